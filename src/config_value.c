/* Text <-> typed values of the config keys: one setter, one formatter and one range text per key type, chosen
 * through a table. Values are parsed with strtoll/strtod checking the end pointer, errno and the range; nothing
 * is clamped. A setter either stores the whole value or nothing. */
#include "config_key.h"
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- numbers and lists ----------------------------------------------------------------------------------- */

/* Whether s, read by strtoll/strtod up to end, held one whole number with at most blanks around it: returns 0, or
 * -1 with the reason; nothing_read is the reason when no number was read, or when a character of misread follows
 * it (a '.' after an integer). */
static int whole_number(const char *s, const char *end, const char *nothing_read, const char *misread,
                        const char **why)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s) {
        *why = "empty value";
        return -1;
    }
    if (end <= s) {
        *why = nothing_read;
        return -1;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end) {
        *why = strchr(misread, *end) ? nothing_read : "trailing characters after the number";
        return -1;
    }
    return 0;
}

int config_parse_ll(const char *s, long long *out, const char **why)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (whole_number(s, end, "not an integer", ".eE", why) < 0)
        return -1;
    if (errno == ERANGE) {
        *why = "integer too large";
        return -1;
    }
    *out = v;
    return 0;
}

int config_parse_real(const char *s, double *out, const char **why)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (whole_number(s, end, "not a number", "", why) < 0)
        return -1;
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

void config_format_real(double v, char *buf, size_t len)
{
    int plain = fabs(v) >= 1e-4 && fabs(v) < 1e15;
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, v);
        if (strtod(buf, NULL) == v && (!plain || !strchr(buf, 'e')))
            return;
    }
    snprintf(buf, len, "%.17g", v);
}

int config_next_item(const char **cursor, char sep, int trim, const char **item, size_t *len)
{
    const char *p = *cursor;
    if (!p)
        return 0;
    const char *end = strchr(p, sep);
    size_t l = end ? (size_t)(end - p) : strlen(p);
    *cursor = end ? end + 1 : NULL;
    while (trim && l && isspace((unsigned char)*p))
        p++, l--;
    while (trim && l && isspace((unsigned char)p[l - 1]))
        l--;
    *item = p;
    *len = l;
    return 1;
}

/* ---- checks shared by the setters ------------------------------------------------------------------------ */

/* The longest value text that still fits on one "name = value" line of the resolved dump (config_write): inih
 * reads lines of at most INI_MAX_LINE - 1 characters, so a longer value would make a config.ini that the runner
 * itself refuses. */
static int line_room(const config_key *d) { return INI_MAX_LINE - 1 - (int)strlen(d->name) - 3; }

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

static int in_range(const config_key *d, double v)
{
    if (v < d->min || v > d->max)
        return 0;
    if ((d->flags & MIN_OPEN) && v == d->min)
        return 0;
    if ((d->flags & MAX_OPEN) && v == d->max)
        return 0;
    return 1;
}

/* A list item copied out for parsing; NULL when it does not fit in item[len]. */
static const char *item_text(const char *p, size_t l, char *item, size_t len)
{
    if (l >= len)
        return NULL;
    memcpy(item, p, l);
    item[l] = 0;
    return item;
}

/* ---- where a value lives --------------------------------------------------------------------------------- */

static void *field(const config_key *d, config *c) { return (char *)c + d->offset; }
static const void *cfield(const config_key *d, const config *c) { return (const char *)c + d->offset; }
static int *count(const config_key *d, config *c) { return (int *)((char *)c + d->count); }
static int ccount(const config_key *d, const config *c) { return *(const int *)((const char *)c + d->count); }

/* Integer fields are int or long long, as the key's storage size says; ranges keep values inside either. */
static void store_int(const config_key *d, config *c, long long v)
{
    if (d->size == sizeof(int))
        *(int *)field(d, c) = (int)v;
    else
        *(long long *)field(d, c) = v;
}

static long long load_int(const config_key *d, const config *c)
{
    return d->size == sizeof(int) ? *(const int *)cfield(d, c) : *(const long long *)cfield(d, c);
}

/* ---- setters: store the value and return NULL, or return what is wrong (detail may hold the text) -------- */

typedef const char *setter(const config_key *d, config *c, const char *value, char *detail, size_t dlen);

static const char *set_name(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    size_t n = strlen(value);
    if (n == 0)
        return "empty name";
    if (n >= d->size)
        return "name too long";
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)value[i]) && value[i] != '_' && value[i] != '-')
            return value[i] == '/' || value[i] == '.' ? "name could escape results/" : "character not allowed";
    memcpy(field(d, c), value, n + 1);
    return NULL;
}

static const char *set_text(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    size_t n = strlen(value);
    if (n == 0 && d->type == T_STRING)
        return "empty value";
    if (n >= d->size || n > (size_t)line_room(d))
        return "too long";
    const char *err = unwritable(value);
    if (!err)
        memcpy(field(d, c), value, n + 1);
    return err;
}

static const char *set_int(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    long long v;
    const char *err = NULL;
    if (config_parse_ll(value, &v, &err) == 0 && !in_range(d, (double)v))
        err = "out of range";
    if (!err)
        store_int(d, c, v);
    return err;
}

static const char *set_autoint(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    if (strcmp(value, "auto"))
        return set_int(d, c, value, detail, dlen);
    store_int(d, c, 0);
    return NULL;
}

static const char *set_real(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    double v;
    const char *err = NULL;
    if (config_parse_real(value, &v, &err) == 0 && !in_range(d, v))
        err = "out of range";
    if (!err)
        *(double *)field(d, c) = v;
    return err;
}

static const char *set_bool(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(value, yes[i]) || !strcasecmp(value, no[i])) {
            store_int(d, c, !strcasecmp(value, yes[i]));
            return NULL;
        }
    return *value ? "not a boolean" : "empty value";
}

static const char *set_choice(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    const char *cursor = d->choices, *choice;
    size_t l, n = strlen(value);
    for (int idx = 0; config_next_item(&cursor, '|', 0, &choice, &l); idx++)
        if (l == n && !strncmp(choice, value, n)) {
            store_int(d, c, idx);
            return NULL;
        }
    return *value ? "unknown value" : "empty value";
}

static const char *set_layers(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    int w[CONFIG_MAX_HIDDEN], n = 0, most = (int)(d->size / sizeof *w);
    const char *cursor = value, *p, *err = NULL;
    size_t l;
    char item[32];
    const char *first = value + strspn(value, " \t");
    if (first[0] == '-' && isdigit((unsigned char)first[1])) /* else an empty width: '-' joins layers */
        return "negative layer width";
    while (config_next_item(&cursor, '-', 0, &p, &l)) {
        long long v;
        if (l == 0)
            return *value ? "empty layer width" : "empty value";
        if (!item_text(p, l, item, sizeof item))
            return "layer width too long";
        if (config_parse_ll(item, &v, &err) < 0)
            return err;
        if (v < d->min || v > d->max)
            return "layer width out of range";
        if (n == most)
            return "too many hidden layers";
        w[n++] = (int)v;
    }
    memset(field(d, c), 0, d->size);
    memcpy(field(d, c), w, (size_t)n * sizeof *w);
    *count(d, c) = n;
    return NULL;
}

/* Each seed once, and the canonical text "a, b, c" that config_write puts on one line must fit there. */
static const char *set_seeds(const config_key *d, config *c, const char *value, char *detail, size_t dlen)
{
    long long s[CONFIG_MAX_SEEDS], v;
    int n = 0, most = (int)(d->size / sizeof *s);
    const char *cursor = value, *p, *err = NULL;
    size_t l, width = 0;
    char item[32];
    while (config_next_item(&cursor, ',', 0, &p, &l)) {
        if (!item_text(p, l, item, sizeof item))
            return "seed too long";
        if (l == 0 && *value)
            return "empty seed";
        if (config_parse_ll(item, &v, &err) < 0)
            return err;
        if (v < 0)
            return "negative seed";
        for (int i = 0; i < n; i++)
            if (s[i] == v) {
                snprintf(detail, dlen, "seed %lld listed twice", v);
                return detail;
            }
        if (n == most)
            return "too many seeds";
        s[n++] = v;
    }
    for (int i = 0; i < n; i++)
        width += (size_t)snprintf(detail, dlen, "%lld", s[i]) + (i ? 2 : 0);
    if (width > (size_t)line_room(d)) {
        snprintf(detail, dlen, "%d seeds take %zu characters as 'a, b, c', more than one line holds (%d)", n, width,
                 line_room(d));
        return detail;
    }
    memset(field(d, c), 0, d->size);
    memcpy(field(d, c), s, (size_t)n * sizeof *s);
    *count(d, c) = n;
    return NULL;
}

/* ---- formatters: the canonical text, which the type's setter reads back to the same value ---------------- */

typedef void formatter(const config_key *d, const config *c, char *buf, size_t len);

static void format_text(const config_key *d, const config *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", (const char *)cfield(d, c));
}

static void format_int(const config_key *d, const config *c, char *buf, size_t len)
{
    snprintf(buf, len, "%lld", load_int(d, c));
}

static void format_autoint(const config_key *d, const config *c, char *buf, size_t len)
{
    if (load_int(d, c) == 0)
        snprintf(buf, len, "auto");
    else
        format_int(d, c, buf, len);
}

static void format_real(const config_key *d, const config *c, char *buf, size_t len)
{
    config_format_real(*(const double *)cfield(d, c), buf, len);
}

static void format_bool(const config_key *d, const config *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", load_int(d, c) ? "true" : "false");
}

static void format_choice(const config_key *d, const config *c, char *buf, size_t len)
{
    const char *cursor = d->choices, *choice = "";
    size_t l = 0;
    for (long long i = 0; i <= load_int(d, c); i++)
        config_next_item(&cursor, '|', 0, &choice, &l);
    snprintf(buf, len, "%.*s", (int)l, choice);
}

static void format_layers(const config_key *d, const config *c, char *buf, size_t len)
{
    const int *w = cfield(d, c);
    size_t used = 0;
    for (int i = 0; i < ccount(d, c) && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%d", i ? "-" : "", w[i]);
}

static void format_seeds(const config_key *d, const config *c, char *buf, size_t len)
{
    const long long *s = cfield(d, c);
    size_t used = 0;
    for (int i = 0; i < ccount(d, c) && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", s[i]);
}

/* ---- what is allowed, for messages and --help ------------------------------------------------------------ */

typedef void describer(const config_key *d, char *buf, size_t len);

static void allowed_name(const config_key *d, char *buf, size_t len)
{
    snprintf(buf, len, "1 to %d letters, digits, '_' or '-'", (int)d->size - 1);
}

static void allowed_text(const config_key *d, char *buf, size_t len)
{
    snprintf(buf, len, "%s text of at most %d characters, no ';' at the start or after a blank%s",
             d->type == T_STRING ? "a non-empty" : "a", line_room(d), d->type == T_STRING ? "" : ", or nothing");
}

static void allowed_int(const config_key *d, char *buf, size_t len)
{
    /* (double)INT64_MAX rounds up to 2^63; name the largest integer actually accepted */
    if (d->max >= (double)INT64_MAX)
        snprintf(buf, len, "an integer from %.0f to %lld", d->min, (long long)INT64_MAX);
    else
        snprintf(buf, len, "an integer from %.0f to %.0f", d->min, d->max);
}

static void allowed_autoint(const config_key *d, char *buf, size_t len)
{
    snprintf(buf, len, "auto, or an integer from %.0f to %.0f", d->min, d->max);
}

static void allowed_real(const config_key *d, char *buf, size_t len)
{
    snprintf(buf, len, "a number %s %g and %s %g", d->flags & MIN_OPEN ? ">" : ">=", d->min,
             d->flags & MAX_OPEN ? "<" : "<=", d->max);
}

static void allowed_bool(const config_key *d, char *buf, size_t len)
{
    snprintf(buf, len, "true or false; also yes/no, on/off, 1/0");
}

static void allowed_choice(const config_key *d, char *buf, size_t len)
{
    const char *cursor = d->choices, *choice;
    size_t l, used = (size_t)snprintf(buf, len, "one of ");
    for (int i = 0; config_next_item(&cursor, '|', 0, &choice, &l) && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%.*s", i ? ", " : "", (int)l, choice);
}

static void allowed_layers(const config_key *d, char *buf, size_t len)
{
    snprintf(buf, len, "1 to %d widths from %.0f to %.0f joined by '-', e.g. 256-128", (int)(d->size / sizeof(int)),
             d->min, d->max);
}

static void allowed_seeds(const config_key *d, char *buf, size_t len)
{
    snprintf(buf, len, "1 to %d different integers from 0 to %lld, joined by ','",
             (int)(d->size / sizeof(long long)), (long long)INT64_MAX);
}

/* ---- the types --------------------------------------------------------------------------------------------- */

static const struct {
    setter *set;
    formatter *format;
    describer *allowed;
} types[T_NTYPES] = {
    [T_NAME] = {set_name, format_text, allowed_name},
    [T_STRING] = {set_text, format_text, allowed_text},
    [T_OPTSTRING] = {set_text, format_text, allowed_text},
    [T_INT] = {set_int, format_int, allowed_int},
    [T_AUTOINT] = {set_autoint, format_autoint, allowed_autoint},
    [T_REAL] = {set_real, format_real, allowed_real},
    [T_BOOL] = {set_bool, format_bool, allowed_bool},
    [T_CHOICE] = {set_choice, format_choice, allowed_choice},
    [T_LAYERS] = {set_layers, format_layers, allowed_layers},
    [T_SEEDS] = {set_seeds, format_seeds, allowed_seeds},
};

void config_allowed(int key, char *buf, size_t len)
{
    types[config_keys[key].type].allowed(&config_keys[key], buf, len);
}

int config_set(config *c, int key, const char *value, char *why, size_t whylen)
{
    const config_key *d = &config_keys[key];
    char detail[128];
    const char *err = types[d->type].set(d, c, value, detail, sizeof detail);
    if (!err)
        return 0;
    char range[160], shown[41]; /* the value as quoted: a control character (from --set) would break the line */
    size_t i = 0;
    for (; value[i] && i + 1 < sizeof shown; i++)
        shown[i] = (unsigned char)value[i] < 32 || value[i] == 127 ? '?' : value[i];
    shown[i] = 0;
    config_allowed(key, range, sizeof range);
    snprintf(why, whylen, "%s '%s' (%s)", err, shown, range);
    return -1;
}

void config_format(const config *c, int key, char *buf, size_t len)
{
    buf[0] = 0;
    types[config_keys[key].type].format(&config_keys[key], c, buf, len);
}
