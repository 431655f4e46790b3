/* Configuration: the key table, value parsing and validation, INI reading through libinih, --set overrides,
 * [sweep] lists, --help and the resolved dump. Values are parsed with strtoll/strtod checking the end pointer,
 * errno and the range; nothing is clamped. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_NAME, T_STRING, T_OPTSTRING, T_INT, T_REAL, T_BOOL, T_CHOICE, T_LAYERS, T_SEEDS, T_AUTOINT } key_type;

enum {
    MIN_OPEN = 1,     /* the lower bound itself is not allowed */
    MAX_OPEN = 2,     /* the upper bound itself is not allowed */
    NO_EFFECT = 4,    /* does not change a run's numbers (threads, scheduling) */
    NO_SWEEP = 8,     /* may not appear in [sweep] */
    LATER_KEY = 16    /* added after results were first written: their identity leaves it out at its default,
                         so experiments written before it existed still resume */
};

typedef struct key_def {
    const char *section, *name;
    key_type type;
    size_t offset;
    const char *def;
    double min, max;
    int flags;
    const char *choices;    /* T_CHOICE: "a|b|c", the index is the stored value */
    const char *help;
} key_def;

#define F(field) offsetof(config, field)

static const key_def keys[] = {
    {"experiment", "name", T_NAME, F(name), "digits", 0, 0, NO_SWEEP, NULL,
     "results go to results/<name>/"},
    {"experiment", "seeds", T_SEEDS, F(seeds), "1", 0, (double)INT64_MAX, NO_SWEEP, NULL,
     "comma list: one run per seed (weights init and shuffling)"},
    {"experiment", "threads", T_INT, F(threads), "0", 0, 1024, NO_EFFECT, NULL,
     "OpenMP threads per run; 0 = all available (OMP_NUM_THREADS)"},
    {"experiment", "parallel_runs", T_AUTOINT, F(parallel_runs), "auto", 1, 1024, NO_EFFECT | NO_SWEEP, NULL,
     "runs trained side by side; auto = the runner chooses"},
    {"data", "file", T_STRING, F(file), "data/digits.h5", 0, 0, 0, NULL,
     "HDF5 file with the training data (relative to the working directory)"},
    {"data", "features", T_STRING, F(features), "X", 0, 0, 0, NULL,
     "float dataset [rows, features] inside the HDF5 file(s)"},
    {"data", "labels", T_STRING, F(labels), "y", 0, 0, 0, NULL,
     "integer dataset [rows]: labels 0..K-1, K = max label + 1"},
    {"data", "test_file", T_OPTSTRING, F(test_file), "", 0, 0, 0, NULL,
     "optional separate HDF5 test set (same dataset names); then no split is made"},
    {"data", "test_fraction", T_REAL, F(test_fraction), "0.2", 0, 1, MIN_OPEN | MAX_OPEN, NULL,
     "otherwise this fraction of the rows is held out, chosen with split_seed"},
    {"data", "split_seed", T_INT, F(split_seed), "1", 0, (double)INT64_MAX, 0, NULL,
     "seed of the train/test split"},
    {"data", "scale", T_REAL, F(scale), "1", 0, 1e30, MIN_OPEN, NULL,
     "every feature is multiplied by this (digits: 0.0625 maps pixels to 0..1)"},
    {"model", "hidden", T_LAYERS, F(hidden), "128", 1, 65536, 0, NULL,
     "hidden layer widths, input to output, joined by '-': 256-128"},
    {"model", "activation", T_CHOICE, F(activation), "sigmoid", 0, 0, 0, "sigmoid|tanh|relu",
     "activation of the hidden layers"},
    {"model", "output", T_CHOICE, F(output), "softmax", 0, 0, 0, "softmax|sigmoid",
     "softmax (cross-entropy) | sigmoid (per-class binary cross-entropy, as the article)"},
    {"model", "init", T_CHOICE, F(init), "xavier", 0, 0, 0, "normal|xavier|he",
     "normal: N(0,1) as the article; xavier: U(+-sqrt(6/(in+out))); he: N(0, 2/in)"},
    {"model", "init_file", T_OPTSTRING, F(init_file), "", 0, 0, 0, NULL,
     "optional HDF5 checkpoint to start from (weight0, bias0, ...); overrides init"},
    {"train", "optimizer", T_CHOICE, F(optimizer), "sgd", 0, 0, 0, "sgd|momentum|adam",
     "parameter update rule"},
    {"train", "learning_rate", T_REAL, F(learning_rate), "0.1", 0, 1e6, MIN_OPEN, NULL,
     "step size"},
    {"train", "momentum", T_REAL, F(momentum), "0.9", 0, 1, MAX_OPEN, NULL,
     "used by momentum: v = momentum v + g; p -= learning_rate v"},
    {"train", "adam_beta1", T_REAL, F(adam_beta1), "0.9", 0, 1, MAX_OPEN, NULL,
     "used by adam"},
    {"train", "adam_beta2", T_REAL, F(adam_beta2), "0.999", 0, 1, MAX_OPEN, NULL,
     "used by adam"},
    {"train", "adam_eps", T_REAL, F(adam_eps), "1e-08", 0, 1, MIN_OPEN, NULL,
     "used by adam"},
    {"train", "batch_size", T_INT, F(batch_size), "32", 0, 100000000, 0, NULL,
     "samples per step; 0 = the whole training set"},
    {"train", "epochs", T_INT, F(epochs), "50", 1, 10000000, 0, NULL,
     "passes over the training set"},
    {"train", "shuffle", T_BOOL, F(shuffle), "true", 0, 0, 0, NULL,
     "false: every epoch visits the training samples in file order"},
    {"train", "diverge_factor", T_REAL, F(diverge_factor), "100", 0, 1e300, 0, NULL,
     "a train loss above this many times the initial one also counts as diverged; 0 = only NaN/Inf"},
    {"train", "eval_every", T_INT, F(eval_every), "1", 1, 10000000, LATER_KEY, NULL,
     "evaluate the train and test sets after every this many epochs and after the last; curve rows only there"},
    {"train", "loss", T_CHOICE, F(loss), "mean", 0, 0, 0, "mean|sum",
     "batch objective: mean or sum of per-sample losses (the article sums)"},
};

#define NKEYS ((int)(sizeof keys / sizeof keys[0]))
static const char *const sections[] = {"experiment", "data", "model", "train", "sweep"};
#define NSECTIONS ((int)(sizeof sections / sizeof sections[0]))
#define MAX_REPORTED 50

/* ---- errors ---------------------------------------------------------------------------------------------- */

void config_error(config_errors *e, const char *fmt, ...)
{
    e->n++;
    if (e->n > MAX_REPORTED)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t need = e->len + strlen(line) + 2;
    if (need > e->cap) {
        size_t cap = need * 2;
        char *t = realloc(e->text, cap);
        if (!t)
            return;
        e->text = t;
        e->cap = cap;
    }
    e->len += (size_t)sprintf(e->text + e->len, "%s\n", line);
}

void config_errors_free(config_errors *e)
{
    free(e->text);
    memset(e, 0, sizeof *e);
}

/* ---- the table ------------------------------------------------------------------------------------------- */

int config_nkeys(void) { return NKEYS; }

void config_blame(const config *c, const char *dotted, char *msg, size_t len)
{
    char origin[CONFIG_PATH + 64], *copy = strdup(msg);
    config_origin(c, config_find(dotted), origin, sizeof origin);
    if (copy)
        snprintf(msg, len, "%s: %s", origin, copy);
    free(copy);
}

void config_origin(const config *c, int key, char *buf, size_t len)
{
    if (c->key_line[key])
        snprintf(buf, len, "%s:%d: %s.%s", c->path, c->key_line[key], keys[key].section, keys[key].name);
    else
        snprintf(buf, len, "%s.%s", keys[key].section, keys[key].name);
}
const char *config_key_section(int k) { return keys[k].section; }
const char *config_key_name(int k) { return keys[k].name; }
int config_key_sweepable(int k) { return !(keys[k].flags & NO_SWEEP); }

static int find_key(const char *section, const char *name)
{
    for (int k = 0; k < NKEYS; k++)
        if (!strcmp(keys[k].section, section) && !strcmp(keys[k].name, name))
            return k;
    return -1;
}

int config_find(const char *dotted)
{
    const char *dot = strchr(dotted, '.');
    if (!dot || dot - dotted >= 32)
        return -1;
    char section[32];
    memcpy(section, dotted, (size_t)(dot - dotted));
    section[dot - dotted] = 0;
    return find_key(section, dot + 1);
}

/* Edit distance, for "did you mean" suggestions on short key names. */
static int distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int row[64];
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int cur = row[j];
            int best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* The closest key to section.name, searching every section; -1 when nothing is close. */
static int closest_key(const char *section, const char *name)
{
    int best = -1, bestd = 99;
    for (int k = 0; k < NKEYS; k++) {
        int d = distance(name, keys[k].name) + 2 * (strcmp(section, keys[k].section) != 0);
        if (d < bestd) {
            bestd = d;
            best = k;
        }
    }
    int len = (int)strlen(name);
    return bestd <= (len < 6 ? 1 : len / 3 + 1) ? best : -1;
}

static int section_known(const char *s)
{
    for (int i = 0; i < NSECTIONS; i++)
        if (!strcmp(sections[i], s))
            return 1;
    return 0;
}

/* ---- values ---------------------------------------------------------------------------------------------- */

/* The longest value text that still fits on one "name = value" line of the resolved dump (config_write): inih
 * reads lines of at most INI_MAX_LINE - 1 characters, so a longer value would make a config.ini that the runner
 * itself refuses. */
static int line_room(const key_def *d) { return INI_MAX_LINE - 1 - (int)strlen(d->name) - 3; }

/* Why text cannot be written as an INI value and read back unchanged, or NULL: inih drops blanks at either
 * end and reads ';' at the start or after a blank as a comment; a control character could end the line. */
static const char *unwritable(const char *text)
{
    size_t n = strlen(text);
    if (n && (isspace((unsigned char)text[0]) || isspace((unsigned char)text[n - 1])))
        return "blank at the start or end";
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)text[i] < 32 || text[i] == 127)
            return "control character in text";
        if (text[i] == ';' && (i == 0 || isspace((unsigned char)text[i - 1])))
            return "';' would start a comment";
    }
    return NULL;
}

static void describe_range(const key_def *d, char *buf, size_t len)
{
    switch (d->type) {
    case T_NAME:
        snprintf(buf, len, "1 to %d letters, digits, '_' or '-'", CONFIG_NAME - 1);
        break;
    case T_STRING:
        snprintf(buf, len, "a non-empty text of at most %d characters, no ';' at the start or after a blank",
                 line_room(d));
        break;
    case T_OPTSTRING:
        snprintf(buf, len, "a text of at most %d characters, no ';' at the start or after a blank, or nothing",
                 line_room(d));
        break;
    case T_INT:
        /* (double)INT64_MAX rounds up to 2^63; name the largest integer actually accepted */
        if (d->max >= (double)INT64_MAX)
            snprintf(buf, len, "an integer from %.0f to %lld", d->min, (long long)INT64_MAX);
        else
            snprintf(buf, len, "an integer from %.0f to %.0f", d->min, d->max);
        break;
    case T_AUTOINT:
        snprintf(buf, len, "auto, or an integer from %.0f to %.0f", d->min, d->max);
        break;
    case T_REAL:
        snprintf(buf, len, "a number %s %g and %s %g", d->flags & MIN_OPEN ? ">" : ">=", d->min,
                 d->flags & MAX_OPEN ? "<" : "<=", d->max);
        break;
    case T_BOOL:
        snprintf(buf, len, "true or false; also yes/no, on/off, 1/0");
        break;
    case T_CHOICE: {
        size_t used = (size_t)snprintf(buf, len, "one of ");
        for (const char *p = d->choices; *p && used < len; p++)
            used += (size_t)(*p == '|' ? snprintf(buf + used, len - used, ", ") : snprintf(buf + used, len - used, "%c", *p));
        break;
    }
    case T_LAYERS:
        snprintf(buf, len, "1 to %d widths from %.0f to %.0f joined by '-', e.g. 256-128", CONFIG_MAX_HIDDEN, d->min,
                 d->max);
        break;
    case T_SEEDS:
        snprintf(buf, len, "1 to %d different integers from 0 to %lld, joined by ','", CONFIG_MAX_SEEDS,
                 (long long)INT64_MAX);
        break;
    }
}

/* Whole-text integer: returns 0 and sets *out, or -1 with the reason. */
static int parse_ll(const char *s, long long *out, const char **why)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s) {
        *why = "empty value";
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s) {
        *why = "not an integer";
        return -1;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end) {
        *why = (*end == '.' || *end == 'e' || *end == 'E') ? "not an integer" : "trailing characters after the number";
        return -1;
    }
    if (errno == ERANGE) {
        *why = "integer too large";
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_real(const char *s, double *out, const char **why)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s) {
        *why = "empty value";
        return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s) {
        *why = "not a number";
        return -1;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end) {
        *why = "trailing characters after the number";
        return -1;
    }
    if (errno == ERANGE) {
        *why = fabs(v) > 1 ? "number too large" : "number too small to represent (underflow)";
        return -1;
    }
    if (isnan(v) || isinf(v)) {
        *why = isnan(v) ? "NaN is not allowed" : "infinity is not allowed";
        return -1;
    }
    *out = v;
    return 0;
}

static int in_range(const key_def *d, double v)
{
    if (v < d->min || v > d->max)
        return 0;
    if ((d->flags & MIN_OPEN) && v == d->min)
        return 0;
    if ((d->flags & MAX_OPEN) && v == d->max)
        return 0;
    return 1;
}

/* Shortest %g text that reads back as exactly v, without an exponent where plain digits read better
 * (10 rather than 1e+01). */
static void format_real(double v, char *buf, size_t len)
{
    int plain = fabs(v) >= 1e-4 && fabs(v) < 1e15;
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, v);
        if (strtod(buf, NULL) == v && (!plain || !strchr(buf, 'e')))
            return;
    }
    snprintf(buf, len, "%.17g", v);
}

int config_set(config *c, int key, const char *value, char *why, size_t whylen)
{
    const key_def *d = &keys[key];
    char *field = (char *)c + d->offset;
    char range[160];
    describe_range(d, range, sizeof range);
    const char *err = NULL;
    char detail[128] = "";

    switch (d->type) {
    case T_NAME: {
        size_t n = strlen(value);
        if (n == 0)
            err = "empty name";
        else if (n >= CONFIG_NAME)
            err = "name too long";
        for (size_t i = 0; i < n && !err; i++)
            if (!isalnum((unsigned char)value[i]) && value[i] != '_' && value[i] != '-') {
                err = value[i] == '/' || value[i] == '.' ? "name could escape results/" : "character not allowed";
                break;
            }
        if (!err)
            memcpy(field, value, n + 1);
        break;
    }
    case T_STRING:
    case T_OPTSTRING: {
        size_t n = strlen(value);
        if (n == 0 && d->type == T_STRING)
            err = "empty value";
        else if (n >= CONFIG_PATH || n > (size_t)line_room(d))
            err = "too long";
        else if (!(err = unwritable(value)))
            memcpy(field, value, n + 1);
        break;
    }
    case T_INT:
    case T_AUTOINT: {
        long long v;
        if (d->type == T_AUTOINT && !strcmp(value, "auto")) {
            *(int *)field = 0;
            break;
        }
        if (parse_ll(value, &v, &err) == 0 && !in_range(d, (double)v))
            err = "out of range";
        if (err)
            break;
        if (d->offset == F(threads) || d->offset == F(parallel_runs))
            *(int *)field = (int)v;
        else
            *(long long *)field = v;
        break;
    }
    case T_REAL: {
        double v;
        if (parse_real(value, &v, &err) == 0 && !in_range(d, v))
            err = "out of range";
        if (!err)
            *(double *)field = v;
        break;
    }
    case T_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
        int v = -1;
        for (int i = 0; i < 4; i++) {
            if (!strcasecmp(value, yes[i])) v = 1;
            if (!strcasecmp(value, no[i])) v = 0;
        }
        if (v < 0)
            err = *value ? "not a boolean" : "empty value";
        else
            *(int *)field = v;
        break;
    }
    case T_CHOICE: {
        int idx = 0, found = -1;
        size_t n = strlen(value);
        for (const char *p = d->choices; *p; idx++) {
            size_t l = strcspn(p, "|");
            if (l == n && !strncmp(p, value, n))
                found = idx;
            p += l + (p[l] == '|');
        }
        if (found < 0)
            err = *value ? "unknown value" : "empty value";
        else
            *(int *)field = found;
        break;
    }
    case T_LAYERS: {
        int w[CONFIG_MAX_HIDDEN], n = 0;
        const char *p = value;
        while (!err) {
            size_t l = strcspn(p, "-");
            char item[32];
            if (l == 0 || l >= sizeof item) {
                err = l == 0 ? (*value ? "empty layer width" : "empty value") : "layer width too long";
                break;
            }
            memcpy(item, p, l);
            item[l] = 0;
            long long v;
            if (parse_ll(item, &v, &err) < 0)
                break;
            if (v < d->min || v > d->max) {
                err = "layer width out of range";
                break;
            }
            if (n == CONFIG_MAX_HIDDEN) {
                err = "too many hidden layers";
                break;
            }
            w[n++] = (int)v;
            if (!p[l])
                break;
            p += l + 1;
        }
        if (!err) {
            memcpy(c->hidden, w, sizeof w);
            c->nhidden = n;
        }
        break;
    }
    case T_SEEDS: {
        long long s[CONFIG_MAX_SEEDS];
        int n = 0;
        const char *p = value;
        while (!err) {
            size_t l = strcspn(p, ",");
            char item[32];
            if (l >= sizeof item) {
                err = "seed too long";
                break;
            }
            memcpy(item, p, l);
            item[l] = 0;
            long long v;
            if (l == 0 && *value) {
                err = "empty seed";
                break;
            }
            if (parse_ll(item, &v, &err) < 0)
                break;
            if (v < 0) {
                err = "negative seed";
                break;
            }
            for (int i = 0; i < n; i++)
                if (s[i] == v) {
                    snprintf(detail, sizeof detail, "seed %lld listed twice", v);
                    err = detail;
                }
            if (err)
                break;
            if (n == CONFIG_MAX_SEEDS) {
                err = "too many seeds";
                break;
            }
            s[n++] = v;
            if (!p[l])
                break;
            p += l + 1;
        }
        size_t width = 0; /* of the canonical text "a, b, c" that config_write puts on one line */
        for (int i = 0; i < n && !err; i++)
            width += (size_t)snprintf(detail, sizeof detail, "%lld", s[i]) + (i ? 2 : 0);
        if (!err && width > (size_t)line_room(d)) {
            snprintf(detail, sizeof detail, "%d seeds take %zu characters as 'a, b, c', more than one line holds (%d)",
                     n, width, line_room(d));
            err = detail;
        }
        if (!err) {
            memcpy(c->seeds, s, sizeof s);
            c->nseeds = n;
        }
        break;
    }
    }
    if (err) {
        char shown[41]; /* the value as quoted: a control character (from --set) would break the message line */
        size_t i = 0;
        for (; value[i] && i + 1 < sizeof shown; i++)
            shown[i] = (unsigned char)value[i] < 32 || value[i] == 127 ? '?' : value[i];
        shown[i] = 0;
        snprintf(why, whylen, "%s '%s' (%s)", err, shown, range);
        return -1;
    }
    return 0;
}

void config_format(const config *c, int key, char *buf, size_t len)
{
    const key_def *d = &keys[key];
    const char *field = (const char *)c + d->offset;
    size_t used = 0;
    buf[0] = 0;
    switch (d->type) {
    case T_NAME:
    case T_STRING:
    case T_OPTSTRING:
        snprintf(buf, len, "%s", field);
        break;
    case T_INT:
        if (d->offset == F(threads))
            snprintf(buf, len, "%d", *(const int *)field);
        else
            snprintf(buf, len, "%lld", *(const long long *)field);
        break;
    case T_AUTOINT:
        if (*(const int *)field == 0)
            snprintf(buf, len, "auto");
        else
            snprintf(buf, len, "%d", *(const int *)field);
        break;
    case T_REAL:
        format_real(*(const double *)field, buf, len);
        break;
    case T_BOOL:
        snprintf(buf, len, "%s", *(const int *)field ? "true" : "false");
        break;
    case T_CHOICE: {
        const char *p = d->choices;
        for (int i = 0; i < *(const int *)field; i++)
            p += strcspn(p, "|") + 1;
        snprintf(buf, len, "%.*s", (int)strcspn(p, "|"), p);
        break;
    }
    case T_LAYERS:
        for (int i = 0; i < c->nhidden && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, "%s%d", i ? "-" : "", c->hidden[i]);
        break;
    case T_SEEDS:
        for (int i = 0; i < c->nseeds && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", c->seeds[i]);
        break;
    }
}

void config_defaults(config *c)
{
    memset(c, 0, sizeof *c);
    char why[256];
    for (int k = 0; k < NKEYS; k++)
        if (config_set(c, k, keys[k].def, why, sizeof why) != 0)
            abort(); /* a default outside its own range is a bug in the table */
}

/* ---- sweep lists ----------------------------------------------------------------------------------------- */

/* Rounds a generated value to 4 significant digits so run ids and tables stay readable. */
static double round4(double v)
{
    if (v == 0)
        return 0;
    char buf[32];
    snprintf(buf, sizeof buf, "%.4g", v);
    return strtod(buf, NULL);
}

/* Parses "logspace(a, b, n)" or "linspace(a, b, n)"; returns n, 0 when text is not such a call, -1 on error. */
static int parse_space(const char *text, double *vals, const char **err)
{
    int islog = !strncmp(text, "logspace(", 9), lin = !strncmp(text, "linspace(", 9);
    if (!islog && !lin)
        return 0;
    const char *p = text + 9;
    size_t l = strlen(p);
    if (l == 0 || p[l - 1] != ')') {
        *err = "missing ')'";
        return -1;
    }
    char args[3][64];
    int na = 0;
    while (na < 3) {
        size_t n = strcspn(p, ",)");
        if (n >= sizeof args[0]) {
            *err = "argument too long";
            return -1;
        }
        memcpy(args[na], p, n);
        args[na++][n] = 0;
        p += n;
        if (*p != ',')
            break;
        p++;
    }
    /* p is at what followed the last argument read: only the closing ')' may (a fourth argument may not) */
    if (na != 3 || strcmp(p, ")") != 0) {
        *err = "expected three arguments: start, stop, count";
        return -1;
    }
    double a, b;
    long long n;
    if (parse_real(args[0], &a, err) || parse_real(args[1], &b, err) || parse_ll(args[2], &n, err))
        return -1;
    if (n < 1 || n > CONFIG_MAX_VALUES) {
        *err = "count out of range";
        return -1;
    }
    if (islog && (a <= 0 || b <= 0)) {
        *err = "logspace needs start and stop > 0";
        return -1;
    }
    for (int i = 0; i < n; i++) {
        double t = n == 1 ? 0 : (double)i / (double)(n - 1);
        vals[i] = round4(islog ? exp(log(a) + t * (log(b) - log(a))) : a + t * (b - a));
    }
    return (int)n;
}

/* Expands one [sweep] line into canonical values of key k; returns 0, or -1 with the reason in why. */
static int sweep_values(config_sweep *s, int k, const char *text, char *why, size_t whylen)
{
    config scratch;
    config_defaults(&scratch);
    const char *err = NULL;
    double space[CONFIG_MAX_VALUES];
    int n = parse_space(text, space, &err);
    if (n > 0 && keys[k].type != T_INT && keys[k].type != T_REAL) {
        snprintf(why, whylen, "logspace and linspace need a numeric key (give a list)");
        return -1;
    }
    if (n < 0) {
        snprintf(why, whylen, "%s in '%.60s' (a list 'a, b, c', logspace(a, b, n) or linspace(a, b, n))", err, text);
        return -1;
    }
    char items[CONFIG_MAX_VALUES][CONFIG_VALUE];
    if (n > 0) {
        for (int i = 0; i < n; i++) {
            if (keys[k].type == T_INT)
                snprintf(items[i], CONFIG_VALUE, "%.0f", round(space[i]));
            else
                format_real(space[i], items[i], CONFIG_VALUE);
        }
    } else {
        const char *p = text;
        for (;;) {
            size_t l = strcspn(p, ",");
            while (l && isspace((unsigned char)*p)) p++, l--;
            while (l && isspace((unsigned char)p[l - 1])) l--;
            if (l == 0) {
                snprintf(why, whylen, "empty item in list '%.60s' (values joined by ',')", text);
                return -1;
            }
            if (n == CONFIG_MAX_VALUES) {
                snprintf(why, whylen, "too many values (at most %d per key)", CONFIG_MAX_VALUES);
                return -1;
            }
            if (l >= CONFIG_VALUE) {
                snprintf(why, whylen, "value too long (at most %d characters)", CONFIG_VALUE - 1);
                return -1;
            }
            memcpy(items[n], p, l);
            items[n++][l] = 0;
            p += l;
            while (*p && *p != ',') p++;
            if (!*p)
                break;
            p++;
        }
    }
    s->key = k;
    s->nvalues = 0;
    for (int i = 0; i < n; i++) {
        if (config_set(&scratch, k, items[i], why, whylen) < 0)
            return -1;
        char canon[CONFIG_VALUE];
        config_format(&scratch, k, canon, sizeof canon);
        for (int j = 0; j < s->nvalues; j++)
            if (!strcmp(s->values[j], canon)) {
                snprintf(why, whylen, "value %s listed twice (each value once)", canon);
                return -1;
            }
        memcpy(s->values[s->nvalues++], canon, sizeof canon);
    }
    return 0;
}

/* ---- reading INI files ----------------------------------------------------------------------------------- */

typedef struct parse_ctx {
    config *c;
    FILE *f;
    const char *path;
    config_errors *errs;
    int line;              /* line last handed to inih */
    char section[64];      /* current section as the reader saw it */
    int section_ok;        /* 0 after an unknown or malformed section header: its keys are not reported */
    int seen[64];          /* line where each key was set, 0 if not yet */
    int sweep_seen[64];
} parse_ctx;

/* A printable copy of text for quoting in a message: control and non-ASCII bytes become '?'. */
static const char *printable(const char *text, char *buf, size_t len)
{
    size_t i = 0;
    for (; text[i] && i + 1 < len; i++)
        buf[i] = text[i] >= 32 && text[i] < 127 ? text[i] : '?';
    buf[i] = 0;
    return buf;
}

/* Rejects what inih would otherwise skip or misread, and returns 1 when the line may go to inih. */
static int lint_line(parse_ctx *p, char *s)
{
    char shown[41];
    if (!*s || *s == ';' || *s == '#')
        return 1;
    if (*s == '[') {
        char *close = strchr(s, ']');
        char *after = close ? close + 1 : NULL;
        while (after && isspace((unsigned char)*after))
            after++;
        if (!close || (*after && *after != ';' && *after != '#')) {
            config_error(p->errs, "%s:%d: malformed section header '%s' (expected [name])", p->path, p->line,
                         printable(s, shown, sizeof shown));
            snprintf(p->section, sizeof p->section, "?");
            p->section_ok = 0;
            return 0;
        }
        char *b = s + 1, *e = close;
        while (b < e && isspace((unsigned char)*b)) b++;
        while (e > b && isspace((unsigned char)e[-1])) e--;
        snprintf(p->section, sizeof p->section, "%.*s", (int)(e - b), b);
        p->section_ok = section_known(p->section);
        if (!p->section_ok)
            config_error(p->errs, "%s:%d: [%s]: unknown section (allowed: experiment, data, model, train, sweep)",
                         p->path, p->line, printable(p->section, shown, sizeof shown));
        return 1;
    }
    size_t name = strcspn(s, "=:");
    if (!s[name]) {
        config_error(p->errs, "%s:%d: malformed line '%s' (expected key = value, [section] or a ; comment)",
                     p->path, p->line, printable(s, shown, sizeof shown));
        return 0;
    }
    if (name == 0) {
        config_error(p->errs, "%s:%d: missing key name before '%c' (expected key = value)", p->path, p->line, s[0]);
        return 0;
    }
    return 1;
}

/* inih's reader: counts lines, refuses NUL bytes and over-long lines, drops a UTF-8 BOM and leading blanks
 * (so an indented line is never taken as a continuation), and lints each line before inih parses it. */
static char *reader(char *str, int num, void *stream)
{
    parse_ctx *p = stream;
    int c = getc(p->f);
    if (c == EOF)
        return NULL;
    p->line++;
    size_t n = 0;
    int nul = 0, toolong = 0;
    while (c != EOF && c != '\n') {
        if (c == 0)
            nul = 1;
        else if (n + 1 < (size_t)num)
            str[n++] = (char)c;
        else
            toolong = 1;
        c = getc(p->f);
    }
    str[n] = 0;
    if (nul || toolong) {
        if (nul)
            config_error(p->errs, "%s:%d: NUL byte in line (a config is a text file)", p->path, p->line);
        else
            config_error(p->errs, "%s:%d: line too long (at most %d characters)", p->path, p->line, num - 1);
        str[0] = 0;
        return str;
    }
    char *s = str;
    if (p->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
        s += 3;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\r' || isspace((unsigned char)s[len - 1])))
        s[--len] = 0;
    memmove(str, s, len + 1);
    if (!lint_line(p, str))
        str[0] = 0;
    return str;
}

static void report(parse_ctx *p, const char *section, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(parse_ctx *p, const char *section, const char *name, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    config_error(p->errs, "%s:%d: %s.%s: %s", p->path, p->line, section, name, msg);
}

static int add_sweep(config *c, parse_ctx *p, const char *name, const char *value)
{
    int k = config_find(name);
    if (k < 0) {
        int near = -1;
        const char *dot = strchr(name, '.');
        if (dot) {
            char sec[32];
            snprintf(sec, sizeof sec, "%.*s", (int)(dot - name < 31 ? dot - name : 31), name);
            near = closest_key(sec, dot + 1);
        }
        if (near >= 0)
            report(p, "sweep", name, "unknown key (did you mean %s.%s?)", keys[near].section, keys[near].name);
        else if (strchr(name, '.'))
            report(p, "sweep", name, "unknown key (runner --help lists every section.key)");
        else
            report(p, "sweep", name, "unknown key (sweep keys are section.key, e.g. train.learning_rate)");
        return 1;
    }
    if (!config_key_sweepable(k)) {
        report(p, "sweep", name, "cannot be swept (%s)",
               k == find_key("experiment", "seeds") ? "list the seeds in experiment.seeds" : "it names the experiment");
        return 1;
    }
    if (p && p->sweep_seen[k]) {
        report(p, "sweep", name, "duplicate key (first set on line %d)", p->sweep_seen[k]);
        return 1;
    }
    if (c->nsweep == CONFIG_MAX_SWEEP) {
        report(p, "sweep", name, "too many swept keys (at most %d)", CONFIG_MAX_SWEEP);
        return 1;
    }
    if (!c->sweep && !(c->sweep = calloc(CONFIG_MAX_SWEEP, sizeof *c->sweep))) {
        report(p, "sweep", name, "out of memory");
        return 1;
    }
    char why[300];
    config_sweep *s = &c->sweep[c->nsweep];
    if (sweep_values(s, k, value, why, sizeof why) < 0) {
        report(p, "sweep", name, "%s", why);
        return 1;
    }
    s->line = p->line;
    p->sweep_seen[k] = p->line;
    c->nsweep++;
    return 1;
}

static int handler(void *user, const char *section_unused, const char *name, const char *value)
{
    parse_ctx *p = user;
    if (!p->section[0]) {
        config_error(p->errs, "%s:%d: %s: key outside any section (put it under [experiment], [data], [model], "
                     "[train] or [sweep])", p->path, p->line, name);
        return 1;
    }
    if (!p->section_ok)
        return 1;
    if (!strcmp(p->section, "sweep"))
        return add_sweep(p->c, p, name, value);
    int k = find_key(p->section, name);
    if (k < 0) {
        int near = closest_key(p->section, name);
        if (near >= 0)
            report(p, p->section, name, "unknown key (did you mean %s.%s?)", keys[near].section, keys[near].name);
        else
            report(p, p->section, name, "unknown key (see runner --help for the keys of [%s])", p->section);
        return 1;
    }
    if (p->seen[k]) {
        report(p, p->section, name, "duplicate key (first set on line %d)", p->seen[k]);
        return 1;
    }
    p->seen[k] = p->line;
    p->c->key_line[k] = p->line;
    char why[400];
    if (config_set(p->c, k, value, why, sizeof why) < 0)
        report(p, p->section, name, "%s", why);
    return 1;
}

int config_load(config *c, const char *path, config_errors *errs)
{
    int before = errs->n;
    snprintf(c->path, sizeof c->path, "%s", path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        config_error(errs, "%s: cannot open config: %s", path, strerror(errno));
        return errs->n - before;
    }
    parse_ctx p = {.c = c, .f = f, .path = path, .errs = errs};
    ini_parse_stream(reader, &p, handler, &p);
    if (ferror(f))
        config_error(errs, "%s: cannot read config: %s", path, strerror(errno));
    fclose(f);
    return errs->n - before;
}

int config_override(config *c, const char *assignment, config_errors *errs)
{
    int before = errs->n;
    const char *eq = strchr(assignment, '=');
    char name[128];
    if (!eq || eq == assignment || eq - assignment >= (long)sizeof name) {
        config_error(errs, "runner: --set %s: expected section.key=value", assignment);
        return errs->n - before;
    }
    snprintf(name, sizeof name, "%.*s", (int)(eq - assignment), assignment);
    const char *value = eq + 1;
    if (!strncmp(name, "sweep.", 6)) {
        parse_ctx p = {.c = c, .path = "--set", .errs = errs};
        int k = config_find(name + 6);
        /* a swept key given again on the command line replaces the file's list */
        for (int i = 0; k >= 0 && i < c->nsweep; i++)
            if (c->sweep[i].key == k) {
                memmove(&c->sweep[i], &c->sweep[i + 1], (size_t)(c->nsweep - i - 1) * sizeof *c->sweep);
                c->nsweep--;
            }
        add_sweep(c, &p, name + 6, value);
        return errs->n - before;
    }
    int k = config_find(name);
    if (k < 0) {
        const char *dot = strchr(name, '.');
        char sec[32];
        snprintf(sec, sizeof sec, "%.*s", dot ? (int)(dot - name < 31 ? dot - name : 31) : 0, name);
        int near = closest_key(sec, dot ? dot + 1 : name);
        if (near >= 0)
            config_error(errs, "runner: --set %s: unknown key (did you mean %s.%s?)", name, keys[near].section,
                         keys[near].name);
        else
            config_error(errs, "runner: --set %s: unknown key (runner --help lists every section.key)", name);
        return errs->n - before;
    }
    char why[400];
    if (config_set(c, k, value, why, sizeof why) < 0)
        config_error(errs, "runner: --set %s: %s", name, why);
    else
        c->key_line[k] = 0;
    return errs->n - before;
}

/* ---- writing --------------------------------------------------------------------------------------------- */

static int is_swept(const config *c, int k)
{
    for (int i = 0; i < c->nsweep; i++)
        if (c->sweep[i].key == k)
            return 1;
    return 0;
}

int config_write(const config *c, FILE *f, int mode)
{
    const char *last = "";
    char val[CONFIG_PATH + 64];
    for (int k = 0; k < NKEYS; k++) {
        if (mode == CONFIG_WRITE_IDENTITY &&
            ((keys[k].flags & NO_EFFECT) || k == find_key("experiment", "seeds") || is_swept(c, k)))
            continue;
        config_format(c, k, val, sizeof val);
        if (mode == CONFIG_WRITE_IDENTITY && (keys[k].flags & LATER_KEY) && !strcmp(val, keys[k].def))
            continue;
        if (strcmp(last, keys[k].section))
            fprintf(f, "%s[%s]\n", *last ? "\n" : "", keys[k].section);
        last = keys[k].section;
        fprintf(f, "%s = %s\n", keys[k].name, val);
    }
    if (mode == CONFIG_WRITE_ALL && c->nsweep) {
        fprintf(f, "\n[sweep]\n");
        for (int i = 0; i < c->nsweep; i++) {
            fprintf(f, "%s.%s = ", keys[c->sweep[i].key].section, keys[c->sweep[i].key].name);
            for (int j = 0; j < c->sweep[i].nvalues; j++)
                fprintf(f, "%s%s", j ? ", " : "", c->sweep[i].values[j]);
            fprintf(f, "\n");
        }
    } else if (mode == CONFIG_WRITE_IDENTITY && c->nsweep) {
        /* which keys are swept decides the run ids, so it is part of the identity too */
        fprintf(f, "\n[sweep]\n");
        for (int i = 0; i < c->nsweep; i++)
            fprintf(f, "%s.%s = (swept)\n", keys[c->sweep[i].key].section, keys[c->sweep[i].key].name);
    }
    return ferror(f) ? -1 : 0;
}

void config_help(FILE *f)
{
    const char *last = "";
    char range[160];
    for (int k = 0; k < NKEYS; k++) {
        if (strcmp(last, keys[k].section))
            fprintf(f, "\n[%s]\n", keys[k].section);
        last = keys[k].section;
        describe_range(&keys[k], range, sizeof range);
        fprintf(f, "  %-14s = %-15s %s\n  %-14s   %-15s (%s)\n", keys[k].name, *keys[k].def ? keys[k].def : "(empty)",
                keys[k].help, "", "", range);
    }
    fprintf(f, "\n[sweep]\n  section.key = a, b, c | logspace(a, b, n) | linspace(a, b, n)\n"
               "  trains the Cartesian product of every swept key, times every seed; generated values are rounded\n"
               "  to 4 significant digits (integers for integer keys).\n");
}

int config_copy(config *dst, const config *src)
{
    *dst = *src;
    dst->sweep = NULL;
    if (src->nsweep) {
        if (!(dst->sweep = malloc(CONFIG_MAX_SWEEP * sizeof *dst->sweep)))
            return -1;
        memcpy(dst->sweep, src->sweep, (size_t)src->nsweep * sizeof *src->sweep);
    }
    return 0;
}

void config_free(config *c)
{
    free(c->sweep);
    c->sweep = NULL;
    c->nsweep = 0;
}
