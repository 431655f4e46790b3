/* Reading configs: INI files through libinih (with line counting and a lint for what inih would skip or
 * misread), --set overrides and [sweep] lists. Every error is collected as "FILE:LINE: section.key: what is
 * wrong (what is allowed)"; a bad line never stops the reading, so one pass reports them all. */
#include "config_key.h"
#include "fileio.h"
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sections[] = {"experiment", "data", "model", "train", "report", "sweep"};
#define NSECTIONS ((int)(sizeof sections / sizeof sections[0]))

/* ---- unknown names --------------------------------------------------------------------------------------- */

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
    for (int k = 0; k < config_nkeys(); k++) {
        int d = distance(name, config_keys[k].name) + 2 * (strcmp(section, config_keys[k].section) != 0);
        if (d < bestd) {
            bestd = d;
            best = k;
        }
    }
    int len = (int)strlen(name);
    return bestd <= (len < 6 ? 1 : len / 3 + 1) ? best : -1;
}

/* The sections as a list: "experiment, data, ..., sweep" (brackets 0), or "[experiment], ... or [sweep]". */
static const char *section_list(char *buf, size_t len, int brackets)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < NSECTIONS && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, brackets ? "%s[%s]" : "%s%s",
                                 i == 0 ? "" : brackets && i == NSECTIONS - 1 ? " or " : ", ", sections[i]);
    return buf;
}

static int section_known(const char *s)
{
    for (int i = 0; i < NSECTIONS; i++)
        if (!strcmp(sections[i], s))
            return 1;
    return 0;
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
    if (config_parse_real(args[0], &a, err) || config_parse_real(args[1], &b, err) || config_parse_ll(args[2], &n, err))
        return -1;
    if (n < 1 || n > CONFIG_MAX_VALUES) {
        static char range[64]; /* the config is read on the main thread alone */
        snprintf(range, sizeof range, "count out of range (a whole number from 1 to %d)", CONFIG_MAX_VALUES);
        *err = range;
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

/* Splits a [sweep] list "a, b, c" into items[]; returns how many, or -1 with the reason in why. */
static int split_list(const char *text, char items[][CONFIG_VALUE], char *why, size_t whylen)
{
    const char *cursor = text, *p;
    size_t l;
    int n = 0;
    while (config_next_item(&cursor, ',', 1, &p, &l)) {
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
    }
    return n;
}

/* The texts of one [sweep] line's values, as written or generated by logspace/linspace; returns how many, or -1
 * with the reason in why. */
static int sweep_items(int k, const char *text, char items[][CONFIG_VALUE], char *why, size_t whylen)
{
    const char *err = NULL;
    double space[CONFIG_MAX_VALUES];
    int n = parse_space(text, space, &err);
    config_type type = config_keys[k].type;
    if (n > 0 && type != T_INT && type != T_REAL) {
        snprintf(why, whylen, "logspace and linspace need a numeric key (give a list)");
        return -1;
    }
    if (n < 0) {
        snprintf(why, whylen, "%s in '%.60s' (a list 'a, b, c', logspace(a, b, n) or linspace(a, b, n))", err, text);
        return -1;
    }
    if (n == 0)
        return split_list(text, items, why, whylen);
    for (int i = 0; i < n; i++) {
        if (type == T_INT)
            snprintf(items[i], CONFIG_VALUE, "%.0f", round(space[i]));
        else
            config_format_real(space[i], items[i], CONFIG_VALUE);
    }
    return n;
}

/* Expands one [sweep] line into canonical values of key k; returns 0, or -1 with the reason in why. */
static int sweep_values(config_sweep *s, int k, const char *text, char *why, size_t whylen)
{
    char items[CONFIG_MAX_VALUES][CONFIG_VALUE];
    int n = sweep_items(k, text, items, why, whylen);
    if (n < 0)
        return -1;
    config scratch;
    config_defaults(&scratch);
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
        if (!p->section_ok) {
            char list[120], lower[sizeof p->section];
            size_t k = 0;
            for (; p->section[k] && k + 1 < sizeof lower; k++)
                lower[k] = (char)tolower((unsigned char)p->section[k]);
            lower[k] = 0;
            if (section_known(lower)) /* [Train]: names are lower case */
                config_error(p->errs, "%s:%d: [%s]: unknown section (did you mean [%s]? section names are lower "
                             "case)", p->path, p->line, printable(p->section, shown, sizeof shown), lower);
            else
                config_error(p->errs, "%s:%d: [%s]: unknown section (allowed: %s)", p->path, p->line,
                             printable(p->section, shown, sizeof shown), section_list(list, sizeof list, 0));
        }
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
    if (p->line > 0)
        config_error(p->errs, "%s:%d: %s.%s: %s", p->path, p->line, section, name, msg);
    else /* --set sweep.KEY=LIST */
        config_error(p->errs, "runner: --set %s.%s: %s", section, name, msg);
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
            report(p, "sweep", name, "unknown key (did you mean %s.%s?)", config_keys[near].section, config_keys[near].name);
        else if (strchr(name, '.'))
            report(p, "sweep", name, "unknown key (runner --help lists every section.key)");
        else
            report(p, "sweep", name, "unknown key (sweep keys are section.key, e.g. train.learning_rate)");
        return 1;
    }
    if (!config_key_sweepable(k)) {
        const char *why = k == config_key_index("experiment", "seeds")  ? "list the seeds in experiment.seeds"
                          : k == config_key_index("experiment", "name") ? "it names the experiment"
                                                                         : "it sets how the whole experiment runs or is "
                                                                           "reported, one value for all its runs";
        report(p, "sweep", name, "cannot be swept (%s)", why);
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
        char list[120];
        config_error(p->errs, "%s:%d: %s: key outside any section (put it under %s)", p->path, p->line, name,
                     section_list(list, sizeof list, 1));
        return 1;
    }
    if (!p->section_ok)
        return 1;
    if (!strcmp(p->section, "sweep"))
        return add_sweep(p->c, p, name, value);
    int k = config_key_index(p->section, name);
    if (k < 0) {
        int near = closest_key(p->section, name);
        if (near >= 0)
            report(p, p->section, name, "unknown key (did you mean %s.%s?)", config_keys[near].section, config_keys[near].name);
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

/* experiment.name's default is the config file's base name (my_study.ini: my_study), a character the name may not
 * hold becoming '_', so that a config without a name never shares another's results. */
static void default_name(config *c, const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char name[CONFIG_NAME], why[200];
    size_t n = strrchr(base, '.') && strrchr(base, '.') != base ? (size_t)(strrchr(base, '.') - base) : strlen(base);
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), base);
    for (char *s = name; *s; s++)
        *s = isalnum((unsigned char)*s) || *s == '-' ? *s : '_';
    if (*name)
        config_set(c, config_key_index("experiment", "name"), name, why, sizeof why);
}

int config_load(config *c, const char *path, config_errors *errs)
{
    int before = errs->n;
    snprintf(c->path, sizeof c->path, "%s", path);
    /* a FIFO or a device (/dev/zero) would block or never end: a regular file only, and at most CONFIG_MAX_BYTES */
    mode_t mode;
    struct stat st;
    int fd = fileio_open_regular(path, &mode);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (fd == -2)
        config_error(errs, "%s: cannot read config: not a regular file (%s)", path, fileio_file_kind(mode));
    else if (fd == -1 && errno == EISDIR)
        config_error(errs, "%s: cannot read config: %s", path, strerror(errno));
    else if (!f)
        config_error(errs, "%s: cannot open config: %s", path, strerror(errno));
    else if (fstat(fd, &st) == 0 && st.st_size > CONFIG_MAX_BYTES)
        config_error(errs, "%s: config too large (%lld bytes; at most %d)", path, (long long)st.st_size,
                     CONFIG_MAX_BYTES);
    else {
        default_name(c, path);
        parse_ctx p = {.c = c, .f = f, .path = path, .errs = errs};
        ini_parse_stream(reader, &p, handler, &p);
        if (ferror(f))
            config_error(errs, "%s: cannot read config: %s", path, strerror(errno));
        else if (!p.section[0] && errs->n == before) /* empty, blank or comments only: a file cut short or unsaved */
            config_error(errs, "%s: empty config: no [section] and no key (a run on every default needs at least one "
                         "section header, e.g. [experiment])", path);
    }
    if (f)
        fclose(f);
    else if (fd >= 0)
        close(fd);
    return errs->n - before;
}

/* config_override with the value (blanks trimmed) apart from the name. */
static void override_value(config *c, const char *name, const char *value, config_errors *errs)
{
    if (!strncmp(name, "sweep.", 6)) {
        parse_ctx p = {.c = c, .path = "--set", .errs = errs};
        int k = config_find(name + 6), at = -1;
        /* a swept key given again on the command line replaces the file's list in its place: the order of the
         * swept keys makes the run ids, so moving it would rename every run */
        for (int i = 0; k >= 0 && i < c->nsweep && at < 0; i++)
            if (c->sweep[i].key == k) {
                at = i;
                memmove(&c->sweep[i], &c->sweep[i + 1], (size_t)(c->nsweep - i - 1) * sizeof *c->sweep);
                c->nsweep--;
            }
        int added = c->nsweep;
        add_sweep(c, &p, name + 6, value);
        if (c->nsweep > added) {
            config_sweep s = c->sweep[added];
            s.line = CONFIG_LINE_SET;
            if (at >= 0) {
                memmove(&c->sweep[at + 1], &c->sweep[at], (size_t)(added - at) * sizeof *c->sweep);
                added = at;
            }
            c->sweep[added] = s;
        }
        return;
    }
    int k = config_find(name);
    if (k < 0) {
        const char *dot = strchr(name, '.');
        char sec[32];
        snprintf(sec, sizeof sec, "%.*s", dot ? (int)(dot - name < 31 ? dot - name : 31) : 0, name);
        int near = closest_key(sec, dot ? dot + 1 : name);
        if (near >= 0)
            config_error(errs, "runner: --set %s: unknown key (did you mean %s.%s?)", name, config_keys[near].section,
                         config_keys[near].name);
        else
            config_error(errs, "runner: --set %s: unknown key (runner --help lists every section.key)", name);
        return;
    }
    for (int i = 0; i < c->nsweep; i++)
        if (c->sweep[i].key == k) {
            config_error(errs, "runner: --set %s: the key is swept, so a single value would change nothing (use "
                         "--set sweep.%s=LIST to replace its list)", name, name);
            return;
        }
    char why[400];
    if (config_set(c, k, value, why, sizeof why) < 0)
        config_error(errs, "runner: --set %s: %s", name, why);
    else
        c->key_line[k] = CONFIG_LINE_SET;
}

/* s[0..n) without spaces and tabs at either end (a newline stays, for the value's checks to refuse): its start into
 * *s, its length returned. */
static size_t unblank(const char **s, size_t n)
{
    for (; n && (**s == ' ' || **s == '\t'); n--)
        (*s)++;
    while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
        n--;
    return n;
}

int config_override(config *c, const char *assignment, config_errors *errs)
{
    int before = errs->n;
    const char *eq = strchr(assignment, '='), *key = assignment, *value = eq ? eq + 1 : NULL;
    char name[128];
    /* blanks around the key and the value, as an INI line may have them ('train.epochs = 3') */
    size_t n = eq ? unblank(&key, (size_t)(eq - assignment)) : 0, vn = eq ? unblank(&value, strlen(value)) : 0;
    if (!eq || n == 0 || n >= sizeof name) {
        config_error(errs, "runner: --set %s: expected section.key=value", assignment);
        return errs->n - before;
    }
    snprintf(name, sizeof name, "%.*s", (int)n, key);
    char *v = malloc(vn + 1);
    if (!v) {
        config_error(errs, "runner: --set %s: out of memory", name);
        return errs->n - before;
    }
    snprintf(v, vn + 1, "%.*s", (int)vn, value);
    override_value(c, name, v, errs);
    free(v);
    return errs->n - before;
}

