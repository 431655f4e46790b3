/* Configuration: the one table of every key (section, name, type, storage, default, range, help), lookups in
 * it, and a config's lifecycle: defaults, the resolved dump, --help, copy and free. Text <-> values is in
 * config_value.c, INI files, --set and [sweep] lists in config_load.c. */
#include "config_key.h"
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Where a key's value lives: its offset and storage size, and for lists where their count is. */
#define FIELD(f) offsetof(config, f), sizeof(((config *)0)->f), 0
#define LIST(f, n) offsetof(config, f), sizeof(((config *)0)->f), offsetof(config, n)

const config_key config_keys[] = {
    {"experiment", "name", T_NAME, FIELD(name), "digits", 0, 0, NO_SWEEP, NULL,
     "results go to results/<name>/; default: the config file's name without .ini"},
    {"experiment", "seeds", T_SEEDS, LIST(seeds, nseeds), "1", 0, (double)INT64_MAX, NO_SWEEP, NULL,
     "comma list: one run per seed (weights init and shuffling)"},
    {"experiment", "threads", T_INT, FIELD(threads), "0", 0, 1024, NO_EFFECT, NULL,
     "OpenMP threads per run; 0 = all available (OMP_NUM_THREADS)"},
    {"experiment", "parallel_runs", T_AUTOINT, FIELD(parallel_runs), "auto", 1, 1024, NO_EFFECT | NO_SWEEP, NULL,
     "runs trained side by side; auto = the runner chooses"},
    {"data", "file", T_STRING, FIELD(file), "data/digits.h5", 0, 0, 0, NULL,
     "HDF5 file with the training data (relative to the working directory)"},
    {"data", "features", T_STRING, FIELD(features), "X", 0, 0, 0, NULL,
     "float dataset [rows, features] inside the HDF5 file(s)"},
    {"data", "labels", T_STRING, FIELD(labels), "y", 0, 0, 0, NULL,
     "integer dataset [rows]: labels 0..K-1, K = max label + 1"},
    {"data", "test_file", T_OPTSTRING, FIELD(test_file), "", 0, 0, 0, NULL,
     "optional separate HDF5 test set (same dataset names); then no split is made"},
    {"data", "test_fraction", T_REAL, FIELD(test_fraction), "0.2", 0, 1, MIN_OPEN | MAX_OPEN, NULL,
     "otherwise this fraction of the rows is held out, chosen with split_seed"},
    {"data", "split_seed", T_INT, FIELD(split_seed), "1", 0, (double)INT64_MAX, 0, NULL,
     "seed of the train/test split"},
    {"data", "validation_fraction", T_REAL, FIELD(validation_fraction), "0.1", 0, 1, MAX_OPEN | LATER_KEY, NULL,
     "this fraction of the training rows is held out (split_seed) to select epochs and points; 0 = none"},
    {"data", "scale", T_REAL, FIELD(scale), "1", 0, 1e30, MIN_OPEN, NULL,
     "every feature is multiplied by this (digits: 0.0625 maps pixels to 0..1)"},
    {"data", "standardize", T_BOOL, FIELD(standardize), "false", 0, 0, LATER_KEY, NULL,
     "true: each feature becomes (x - mean) / std with the training rows' statistics (after scale)"},
    {"model", "hidden", T_LAYERS, LIST(hidden, nhidden), "128", 1, 65536, 0, NULL,
     "hidden layer widths, input to output, joined by '-': 256-128"},
    {"model", "activation", T_CHOICE, FIELD(activation), "sigmoid", 0, 0, 0, "sigmoid|tanh|relu",
     "activation of the hidden layers"},
    {"model", "output", T_CHOICE, FIELD(output), "softmax", 0, 0, 0, "softmax|sigmoid",
     "softmax (cross-entropy) | sigmoid (per-class binary cross-entropy, as the article)"},
    {"model", "init", T_CHOICE, FIELD(init), "xavier", 0, 0, 0, "normal|xavier|he",
     "normal: N(0,1) as the article; xavier: U(+-sqrt(6/(in+out))); he: N(0, 2/in)"},
    {"model", "init_file", T_OPTSTRING, FIELD(init_file), "", 0, 0, 0, NULL,
     "optional HDF5 checkpoint to start from (weight0, bias0, ...); overrides init"},
    {"train", "optimizer", T_CHOICE, FIELD(optimizer), "sgd", 0, 0, 0, "sgd|momentum|adam",
     "parameter update rule"},
    {"train", "learning_rate", T_REAL, FIELD(learning_rate), "0.1", 0, 1e6, MIN_OPEN, NULL,
     "step size"},
    {"train", "momentum", T_REAL, FIELD(momentum), "0.9", 0, 1, MAX_OPEN, NULL,
     "used by momentum: v = momentum v + g; p -= learning_rate v"},
    {"train", "adam_beta1", T_REAL, FIELD(adam_beta1), "0.9", 0, 1, MAX_OPEN, NULL,
     "used by adam"},
    {"train", "adam_beta2", T_REAL, FIELD(adam_beta2), "0.999", 0, 1, MAX_OPEN, NULL,
     "used by adam"},
    {"train", "adam_eps", T_REAL, FIELD(adam_eps), "1e-08", 0, 1, MIN_OPEN, NULL,
     "used by adam"},
    {"train", "batch_size", T_INT, FIELD(batch_size), "32", 0, 100000000, 0, NULL,
     "samples per step; 0 = the whole training set"},
    {"train", "epochs", T_INT, FIELD(epochs), "50", 1, 10000000, 0, NULL,
     "passes over the training set"},
    {"train", "shuffle", T_BOOL, FIELD(shuffle), "true", 0, 0, 0, NULL,
     "false: every epoch visits the training samples in file order"},
    {"train", "diverge_factor", T_REAL, FIELD(diverge_factor), "100", 0, 1e300, 0, NULL,
     "a train loss above this many times the initial one also counts as diverged; 0 = only NaN/Inf"},
    {"train", "eval_every", T_INT, FIELD(eval_every), "1", 1, 10000000, LATER_KEY, NULL,
     "evaluate the train and test sets after every this many epochs and after the last; curve rows only there"},
    {"train", "loss", T_CHOICE, FIELD(loss), "mean", 0, 0, 0, "mean|sum",
     "batch objective: mean or sum of per-sample losses (the article sums)"},
    {"train", "early_stopping", T_INT, FIELD(early_stopping), "0", 0, 10000000, LATER_KEY, NULL,
     "stop after this many evaluations without a lower validation loss and keep the best; 0 = off"},
    {"train", "weight_decay", T_REAL, FIELD(weight_decay), "0", 0, 1e6, LATER_KEY, NULL,
     "L2: weight_decay x parameter is added to every gradient (biases too) before the optimizer"},
    {"train", "schedule", T_CHOICE, FIELD(schedule), "constant", 0, 0, LATER_KEY, "constant|step|cosine",
     "learning rate per epoch after the warmup: constant | step (x step_factor every step_every) | cosine"},
    {"train", "warmup_epochs", T_INT, FIELD(warmup_epochs), "0", 0, 10000000, LATER_KEY, NULL,
     "epoch e < warmup_epochs trains at learning_rate (e + 1) / warmup_epochs; less than epochs"},
    {"train", "step_every", T_INT, FIELD(step_every), "10", 1, 10000000, LATER_KEY, NULL,
     "step schedule: epochs between two multiplications by step_factor"},
    {"train", "step_factor", T_REAL, FIELD(step_factor), "0.1", 0, 1, MIN_OPEN | LATER_KEY, NULL,
     "step schedule: the learning rate is multiplied by this every step_every epochs"},
    {"train", "min_learning_rate", T_REAL, FIELD(min_learning_rate), "0", 0, 1e6, LATER_KEY, NULL,
     "cosine schedule: the learning rate of the last epoch's end; at most learning_rate"},
    {"train", "checkpoint_every", T_REAL, FIELD(checkpoint_every), "60", 0, 1e9, NO_EFFECT | NO_SWEEP, NULL,
     "seconds of training between two in-run checkpoints a killed run resumes from (fractions allowed); 0 = off"},
    {"train", "target_accuracy", T_REAL, FIELD(target_accuracy), "0", 0, 1, LATER_KEY, NULL,
     "goal: validation accuracy (test without a validation set) in (0, 1]; runs record steps to it; 0 = off"},
    {"train", "stop_at_target", T_BOOL, FIELD(stop_at_target), "false", 0, 0, LATER_KEY, NULL,
     "true: a run ends (status ok) at the evaluation that reaches target_accuracy (a step check: at its epoch's end)"},
    {"train", "eval_every_steps", T_INT, FIELD(eval_every_steps), "0", 0, 1000000000, LATER_KEY, NULL,
     "with a target: also check it every this many steps (on the validation set, else the test set); 0 = at evaluations"},
    {"train", "noise_scale", T_BOOL, FIELD(noise_scale), "false", 0, 0, LATER_KEY, NULL,
     "true: estimate the gradient noise scale B_simple at every evaluation (curve.dat's b_simple)"},
    {"train", "noise_big_batch", T_INT, FIELD(noise_big_batch), "0", 0, 100000000, LATER_KEY, NULL,
     "rows of the noise scale's big batch: two batches' rows to the training rows; 0 = the whole training set"},
    {"report", "x_axis", T_CHOICE, FIELD(report_x_axis), "epoch", 0, 0, NO_EFFECT | NO_SWEEP, "epoch|step|seconds",
     "x axis of the loss and accuracy curves: epochs, optimizer steps, or seconds of training"},
    {"report", "points", T_STRING, FIELD(report_points), "all", 0, 0, NO_EFFECT | NO_SWEEP, NULL,
     "curves drawn: all, or section.key=v1,v2 (a swept key and some of its values); the .dat keeps every point"},
    {"report", "panel_key", T_STRING, FIELD(report_panel_key), "auto", 0, 0, NO_EFFECT | NO_SWEEP, NULL,
     "curve panels: auto (one panel per value of the other swept keys when the lines are too many), none, "
     "or a swept section.key"},
};

#define NKEYS ((int)(sizeof config_keys / sizeof config_keys[0]))
#define MAX_REPORTED 50
/* the line of each key in config.key_line */
_Static_assert(NKEYS <= (int)(sizeof ((config *)0)->key_line / sizeof(int)), "config.key_line too short");

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

/* Where key was given, as config_origin words it: line of path (> 0), --set (CONFIG_LINE_SET) or its default (0);
 * swept: by a [sweep] line or --set sweep.KEY rather than the key itself. */
static void origin_at(const char *path, int line, int swept, int key, char *buf, size_t len)
{
    const char *section = config_key_section(key), *name = config_key_name(key), *sweep = swept ? "sweep." : "";
    if (line > 0)
        snprintf(buf, len, "%s:%d: %s%s.%s", path, line, sweep, section, name);
    else if (line == CONFIG_LINE_SET)
        snprintf(buf, len, "runner: --set %s%s.%s", sweep, section, name);
    else if (path[0])
        snprintf(buf, len, "%s: %s%s.%s%s", path, sweep, section, name, swept ? "" : " (its default)");
    else
        snprintf(buf, len, "%s%s.%s", sweep, section, name);
}

void config_origin(const config *c, int key, char *buf, size_t len)
{
    origin_at(c->path, c->key_line[key], c->swept >> key & 1, key, buf, len);
}

int config_key_given(const config *c, int key) { return c->key_line[key] != 0 || (c->swept >> key & 1); }

void config_sweep_origin(const config *base, int key, char *buf, size_t len)
{
    for (int i = 0; i < base->nsweep; i++)
        if (base->sweep[i].key == key && base->sweep[i].line != 0) {
            origin_at(base->path, base->sweep[i].line, 1, key, buf, len);
            return;
        }
    config_origin(base, key, buf, len);
}

const char *config_key_section(int k) { return config_keys[k].section; }
const char *config_key_name(int k) { return config_keys[k].name; }
int config_key_numeric(int k) { return config_keys[k].type == T_INT || config_keys[k].type == T_REAL; }
int config_key_sweepable(int k) { return !(config_keys[k].flags & NO_SWEEP); }


int config_key_index(const char *section, const char *name)
{
    for (int k = 0; k < NKEYS; k++)
        if (!strcmp(config_keys[k].section, section) && !strcmp(config_keys[k].name, name))
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
    return config_key_index(section, dot + 1);
}

/* Whether key d's storage holds every value its range allows (the setters rely on it). */
static int storage_fits(const config_key *d)
{
    switch (d->type) {
    case T_INT:
    case T_AUTOINT:
        return d->size == sizeof(long long) || (d->size == sizeof(int) && d->max <= INT_MAX);
    case T_BOOL:
    case T_CHOICE:
        return d->size == sizeof(int);
    case T_REAL:
        return d->size == sizeof(double);
    case T_LAYERS:
        return d->size == CONFIG_MAX_HIDDEN * sizeof(int) && d->max <= INT_MAX;
    case T_SEEDS:
        return d->size == CONFIG_MAX_SEEDS * sizeof(long long);
    default:
        return d->size > 0;
    }
}

void config_defaults(config *c)
{
    memset(c, 0, sizeof *c);
    char why[256];
    for (int k = 0; k < NKEYS; k++)
        if (!storage_fits(&config_keys[k]) || config_set(c, k, config_keys[k].def, why, sizeof why) != 0)
            abort(); /* a default outside its own range, or a value too wide for its field: a bug in the table */
}

/* ---- [report] -------------------------------------------------------------------------------------------- */

/* The position of key dotted in c's [sweep], -1 when it is not swept (or not a key). */
static int sweep_position(const config *c, const char *dotted)
{
    int k = config_find(dotted);
    for (int i = 0; k >= 0 && i < c->nsweep; i++)
        if (c->sweep[i].key == k)
            return i;
    return -1;
}

/* "a swept key: train.learning_rate, model.hidden" for messages; "nothing is swept" when nothing is. */
static void swept_list(const config *c, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, c->nsweep ? "a swept key: " : "nothing is swept");
    for (int i = 0; i < c->nsweep && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s.%s", i ? ", " : "", config_keys[c->sweep[i].key].section,
                                 config_keys[c->sweep[i].key].name);
}

int config_report_panel(const config *c, int *pos, char *why, size_t len)
{
    char swept[400];
    const char *v = c->report_panel_key;
    *pos = !strcmp(v, "auto") ? CONFIG_PANEL_AUTO : !strcmp(v, "none") ? CONFIG_PANEL_NONE : sweep_position(c, v);
    if (*pos != -1 || !strcmp(v, "auto"))
        return 0;
    swept_list(c, swept, sizeof swept);
    snprintf(why, len, "%.200s is not a swept key (allowed: auto%s%s)", v, c->nsweep ? ", none, or " : " or none; ",
             swept);
    return -1;
}

/* 1 when a and b name the same value: the same text, or the same number. */
static int same_value(const char *a, const char *b, size_t blen)
{
    char bt[CONFIG_VALUE];
    double x, y;
    snprintf(bt, sizeof bt, "%.*s", (int)(blen < sizeof bt ? blen : sizeof bt - 1), b);
    return !strcmp(a, bt) || (config_parse_real(a, &x, &(const char *){0}) == 0 &&
                              config_parse_real(bt, &y, &(const char *){0}) == 0 && x == y);
}

int config_report_points(const config *c, int *pos, char chosen[CONFIG_MAX_VALUES], char *why, size_t len)
{
    char key[128], swept[400];
    const char *v = c->report_points, *eq = strchr(v, '=');
    memset(chosen, 0, CONFIG_MAX_VALUES);
    *pos = CONFIG_POINTS_ALL;
    if (!strcmp(v, "all"))
        return 0;
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - v) : 0, v);
    swept_list(c, swept, sizeof swept);
    if (!eq || (*pos = sweep_position(c, key)) < 0) {
        snprintf(why, len, "%.200s: expected all, or a swept key=values (%s)", v, swept);
        return -1;
    }
    const config_sweep *s = &c->sweep[*pos];
    const char *cur = eq + 1, *item;
    size_t n;
    while (config_next_item(&cur, ',', 1, &item, &n)) {
        int found = -1;
        for (int j = 0; j < s->nvalues && found < 0; j++)
            found = same_value(s->values[j], item, n) ? j : -1;
        if (found < 0) { /* its values, the first 8 of a longer list */
            char values[8 * (CONFIG_VALUE + 2) + 8] = "";
            size_t used = 0;
            for (int j = 0; j < s->nvalues && j < 8; j++)
                used += (size_t)snprintf(values + used, sizeof values - used, "%s%s", j ? ", " : "", s->values[j]);
            snprintf(why, len, "%.*s is not a value of %s (its values: %s%s)", (int)(n < 100 ? n : 100), item, key,
                     values, s->nvalues > 8 ? ", ..." : "");
            return -1;
        }
        chosen[found] = 1;
    }
    return 0;
}

int config_check_report(const config *c, config_errors *errs)
{
    int before = errs->n, pos;
    char why[1200], chosen[CONFIG_MAX_VALUES], origin[CONFIG_PATH + 64];
    if (config_report_panel(c, &pos, why, sizeof why) < 0) {
        config_origin(c, config_find("report.panel_key"), origin, sizeof origin);
        config_error(errs, "%s: %s", origin, why);
    }
    if (config_report_points(c, &pos, chosen, why, sizeof why) < 0) {
        config_origin(c, config_find("report.points"), origin, sizeof origin);
        config_error(errs, "%s: %s", origin, why);
    }
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

/* LATER_KEYs whose default changes a run's numbers, with the value results written before them were made with:
 * the identity leaves such a key out at that value (an older experiment resumes once the config sets it), and
 * names it at any other (results made without it are not mixed with results made with it). */
static const char *const later_values[][2] = {{"data.validation_fraction", "0"}};

/* The value at which LATER_KEY k stays out of the identity: its default, or its entry in later_values. */
static const char *later_value(int k)
{
    for (size_t i = 0; i < sizeof later_values / sizeof later_values[0]; i++)
        if (config_find(later_values[i][0]) == k)
            return later_values[i][1];
    return config_keys[k].def;
}

/* Whether config_write leaves key k out of the run identity. */
static int outside_identity(const config *c, int k)
{
    const config_key *d = &config_keys[k];
    char val[CONFIG_PATH + 64];
    if ((d->flags & NO_EFFECT) || d->type == T_SEEDS || is_swept(c, k))
        return 1;
    config_format(c, k, val, sizeof val);
    return (d->flags & LATER_KEY) && !strcmp(val, later_value(k));
}

int config_write(const config *c, FILE *f, int mode)
{
    const char *last = "";
    char val[CONFIG_PATH + 64];
    for (int k = 0; k < NKEYS; k++) {
        const config_key *d = &config_keys[k];
        if (mode == CONFIG_WRITE_IDENTITY && outside_identity(c, k))
            continue;
        config_format(c, k, val, sizeof val);
        if (strcmp(last, d->section))
            fprintf(f, "%s[%s]\n", *last ? "\n" : "", d->section);
        last = d->section;
        fprintf(f, "%s = %s\n", d->name, val);
    }
    if (c->nsweep)
        fprintf(f, "\n[sweep]\n");
    for (int i = 0; i < c->nsweep; i++) {
        const config_key *d = &config_keys[c->sweep[i].key];
        fprintf(f, "%s.%s = ", d->section, d->name);
        /* which keys are swept decides the run ids, so it is part of the identity too, but not their values */
        if (mode == CONFIG_WRITE_IDENTITY)
            fprintf(f, "(swept)");
        for (int j = 0; mode == CONFIG_WRITE_ALL && j < c->sweep[i].nvalues; j++)
            fprintf(f, "%s%s", j ? ", " : "", c->sweep[i].values[j]);
        fprintf(f, "\n");
    }
    return ferror(f) ? -1 : 0;
}

/* The value of section.key in an identity text (the line "key = value" under "[section]"), or NULL; *n its length. */
static const char *identity_value(const char *text, const char *section, const char *key, size_t *n)
{
    size_t sl = strlen(section), kl = strlen(key);
    int in = 0;
    for (const char *s = text; *s; s += strcspn(s, "\n"), s += *s == '\n') {
        if (*s == '[')
            in = !strncmp(s + 1, section, sl) && s[1 + sl] == ']';
        else if (in && !strncmp(s, key, kl) && !strncmp(s + kl, " = ", 3)) {
            *n = strcspn(s + kl + 3, "\n");
            return s + kl + 3;
        }
    }
    return NULL;
}

/* Appends "section.key: old -> new" for key k, or for the [sweep] line key (k < 0), when it differs between the
 * two texts. A key an identity leaves out is at its later_value ("1 (the default)"); a [sweep] line left out is a
 * key not swept. */
static void diff_key(const char *old, const char *now, int k, const char *section, const char *key, char *out,
                     size_t len)
{
    size_t no = 0, nn = 0, used = strlen(out);
    const char *a = identity_value(old, section, key, &no), *b = identity_value(now, section, key, &nn);
    if ((!a && !b) || (a && b && no == nn && !strncmp(a, b, no)) || used >= len)
        return;
    char absent[CONFIG_VALUE + 48] = "(not swept)", dotted[80];
    if (k >= 0) {
        size_t n;
        snprintf(dotted, sizeof dotted, "%s.%s", section, key);
        if (identity_value(old, "sweep", dotted, &n) || identity_value(now, "sweep", dotted, &n))
            return; /* a key swept on either side: the [sweep] line's difference says it */
        snprintf(absent, sizeof absent, "%s (%s)", later_value(k),
                 strcmp(later_value(k), config_keys[k].def) ? "as results from before the key" : "the default");
    }
    snprintf(out + used, len - used, "%s%s.%s: %.*s -> %.*s", used ? ", " : "", section, key,
             a ? (int)no : (int)strlen(absent), a ? a : absent, b ? (int)nn : (int)strlen(absent), b ? b : absent);
}

/* The swept keys of an identity text in their order, "a, b" (its [sweep] lines' names). */
static void sweep_order(const char *text, char *out, size_t len)
{
    const char *s = strstr(text, "\n[sweep]\n");
    size_t used = 0;
    out[0] = 0;
    for (s = s ? s + 9 : NULL; s && *s && *s != '['; s += strcspn(s, "\n") + (s[strcspn(s, "\n")] != 0)) {
        size_t n = strcspn(s, " =\n");
        if (n && used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%.*s", used ? ", " : "", (int)n, s);
    }
}

void config_identity_diff(const char *old, const char *now, char *out, size_t len)
{
    out[0] = 0;
    for (int k = 0; k < NKEYS; k++) {
        char swept[80];
        diff_key(old, now, k, config_keys[k].section, config_keys[k].name, out, len);
        snprintf(swept, sizeof swept, "%s.%s", config_keys[k].section, config_keys[k].name);
        diff_key(old, now, -1, "sweep", swept, out, len);
    }
    char a[400], b[400];
    sweep_order(old, a, sizeof a);
    sweep_order(now, b, sizeof b);
    if (!out[0] && strcmp(a, b)) /* the same lists in another order, which would rename every run */
        snprintf(out, len, "the swept keys in another order: %s -> %s; the order makes the run ids, so list them as "
                 "before", a, b);
    else if (!out[0])
        snprintf(out, len, "the files differ in a line that is not a key");
}

void config_help(FILE *f)
{
    const char *last = "";
    char range[160];
    int width = 0; /* the longest key name: every description starts in one column */
    for (int k = 0; k < NKEYS; k++)
        width = (int)strlen(config_keys[k].name) > width ? (int)strlen(config_keys[k].name) : width;
    for (int k = 0; k < NKEYS; k++) {
        const config_key *d = &config_keys[k];
        if (strcmp(last, d->section))
            fprintf(f, "\n[%s]\n", d->section);
        last = d->section;
        config_allowed(k, range, sizeof range);
        /* a name's default is the config file's (the table's is for a config without a file: the tests') */
        const char *def = d->type == T_NAME ? "(file's name)" : *d->def ? d->def : "(empty)";
        fprintf(f, "  %-*s = %-15s %s\n  %-*s   %-15s (%s)\n", width, d->name, def, d->help, width, "", "", range);
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

/* Appends one line "ORIGIN: VALUE what (allowed)SUFFIX" to err (lines joined by newlines). */
static void broken_rule(const config *base, const config *run, const char *key, const char *what, const char *suffix,
                        char *err, size_t len)
{
    char origin[CONFIG_PATH + 64], v[64];
    int k = config_find(key);
    size_t used = strlen(err);
    config_sweep_origin(base, k, origin, sizeof origin);
    config_format(run, k, v, sizeof v);
    if (used < len)
        snprintf(err + used, len - used, "%s%s: %s %s%s", used ? "\n" : "", origin, v, what, suffix);
}

int config_check_run(const config *base, const config *run, const char *suffix, char *err, size_t len)
{
    char what[200], limit[64];
    err[0] = 0;
    if (run->stop_at_target && !(run->target_accuracy > 0))
        broken_rule(base, run, "train.stop_at_target", "needs a target, and train.target_accuracy is 0 (allowed: "
                    "false without one; set train.target_accuracy in (0, 1] to stop there)", suffix, err, len);
    if (run->early_stopping > 0 && run->validation_fraction == 0)
        broken_rule(base, run, "train.early_stopping", "needs a validation set, and data.validation_fraction is 0 "
                    "(allowed: 0 without one; set data.validation_fraction above 0 to stop early)", suffix, err, len);
    if (run->warmup_epochs >= run->epochs) {
        config_format(run, config_find("train.epochs"), limit, sizeof limit);
        snprintf(what, sizeof what, "is not less than train.epochs = %s (allowed: 0 to epochs - 1)", limit);
        broken_rule(base, run, "train.warmup_epochs", what, suffix, err, len);
    }
    if (run->min_learning_rate > run->learning_rate) {
        config_format(run, config_find("train.learning_rate"), limit, sizeof limit);
        snprintf(what, sizeof what, "is above train.learning_rate = %s (allowed: 0 to learning_rate)", limit);
        broken_rule(base, run, "train.min_learning_rate", what, suffix, err, len);
    }
    return err[0] ? -1 : 0;
}

void config_shadowed(const config *c, config_errors *warnings)
{
    for (int i = 0; i < c->nsweep; i++) {
        int k = c->sweep[i].key;
        if (c->sweep[i].line > 0 && c->key_line[k] > 0)
            config_error(warnings, "%s:%d: %s.%s: warning: also swept on line %d, whose values replace this one",
                         c->path, c->key_line[k], config_key_section(k), config_key_name(k), c->sweep[i].line);
    }
}

void config_free(config *c)
{
    free(c->sweep);
    c->sweep = NULL;
    c->nsweep = 0;
}
