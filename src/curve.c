/* curve.dat: numbers printed with %.9g (the epoch as an integer, seconds with %.6g), read back with strtod; a row
 * is one number per column whose first, the epoch, is a whole number above the previous row's; the two validation
 * ones are both "nan" in every row or finite in every row, b_simple is a number or "nan", the others finite. */
#include "curve.h"
#include "fileio.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The columns, in file order, as X(field of train_epoch, printf format): the one list of them. A column is
 * appended, never inserted, so that older files stay readable (curve_parse). */
#define CURVE_COLUMNS(X)                                                                                          \
    X(epoch, "%.0f") X(train_loss, "%.9g") X(test_loss, "%.9g") X(train_acc, "%.9g") X(test_acc, "%.9g")          \
    X(seconds, "%.6g") X(val_loss, "%.9g") X(val_acc, "%.9g") X(lr, "%.9g")               \
    X(b_simple, "%.9g")
#define NAME(field, fmt) " " #field
#define VALUE(field, fmt) (double)c->field,
#define FORMAT(field, fmt) fmt,
#define INDEX(field, fmt) COLUMN_##field,
enum { CURVE_COLUMNS(INDEX) };
_Static_assert((int)COLUMN_val_loss == CURVE_VAL_LOSS && (int)COLUMN_val_acc == CURVE_VAL_ACC &&
                   (int)COLUMN_lr == CURVE_LR && (int)COLUMN_b_simple == CURVE_B_SIMPLE,
               "curve.h names the columns where CURVE_COLUMNS puts them");

const char curve_header[] = "#" CURVE_COLUMNS(NAME);

void curve_write(FILE *f, const train_epoch *epochs, int last)
{
    static const char *const formats[] = {CURVE_COLUMNS(FORMAT)};
    _Static_assert(sizeof formats / sizeof formats[0] == CURVE_COLS, "CURVE_COLS counts the columns");
    fprintf(f, "%s\n", curve_header);
    for (int e = 0; e <= last; e++) {
        const train_epoch *c = &epochs[e];
        if (!c->evaluated)
            continue;
        const double v[] = {CURVE_COLUMNS(VALUE)};
        for (int k = 0; k < CURVE_COLS; k++) {
            fprintf(f, k ? " " : "");
            /* a NaN prints as "nan", never "-nan" */
            fprintf(f, formats[k], isnan(v[k]) ? fabs(v[k]) : v[k]);
        }
        fprintf(f, "\n");
    }
}

/* Parses one row of ncols numbers into v (the columns after them NaN); NULL, or why it is not a row. */
static const char *parse_row(const char *s, double *v, int ncols, int rows)
{
    for (int i = 0; i < CURVE_COLS; i++) {
        char *end;
        if (i >= ncols) {
            v[i] = NAN;
            continue;
        }
        v[i] = strtod(s, &end);
        if (end == s || (*end != ' ' && *end != '\t' && *end != '\n' && *end))
            return "curve.dat has a malformed row";
        if (!isfinite(v[i]) && !(isnan(v[i]) && (i == CURVE_VAL_LOSS || i == CURVE_VAL_ACC || i == CURVE_B_SIMPLE)))
            return "curve.dat holds a non-finite number";
        s = end;
    }
    s += strspn(s, " \t");
    if (*s && *s != '\n')
        return "curve.dat has a malformed row";
    /* validation numbers: both finite, or both NaN (no validation set), and so in every row */
    int val = !isnan(v[CURVE_VAL_ACC]);
    if ((!isnan(v[CURVE_VAL_LOSS])) != val || (rows > 0 && val != !isnan(v[CURVE_VAL_ACC - CURVE_COLS])))
        return "curve.dat holds a non-finite number";
    if (v[0] != floor(v[0]) || v[0] > INT_MAX || (rows == 0 ? v[0] != 0 : v[0] <= v[-CURVE_COLS]))
        return "curve.dat's epochs do not rise from 0";
    return NULL;
}

/* The columns of a header line (ending at '\n' or the end): a prefix of curve_header of at least the first
 * CURVE_FIRST_COLS columns, the columns of older files; -1 when it is not one. */
static int header_columns(const char *text)
{
    size_t n = strcspn(text, "\n");
    if (n > strlen(curve_header) || strncmp(text, curve_header, n) || (curve_header[n] && curve_header[n] != ' '))
        return -1;
    int cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += text[i] == ' ';
    return cols >= CURVE_FIRST_COLS && text[n] == '\n' ? cols : -1;
}

int curve_parse(const char *text, curve *c, const char **why, int *line)
{
    int cap = 0, ncols = header_columns(text);
    c->v = NULL;
    c->n = 0;
    *line = 1;
    if (ncols < 0) {
        *why = "curve.dat has no header line";
        return -1;
    }
    for (const char *s = text + strcspn(text, "\n") + 1; *s; s += *s == '\n') {
        ++*line;
        if (c->n == cap) {
            double *t = realloc(c->v, (size_t)(cap = cap ? 2 * cap : 64) * CURVE_COLS * sizeof *t);
            if (!t) {
                *why = "out of memory";
                curve_free(c);
                return -1;
            }
            c->v = t;
        }
        if ((*why = parse_row(s, c->v + (size_t)c->n * CURVE_COLS, ncols, c->n))) {
            curve_free(c);
            return -1;
        }
        c->n++;
        s += strcspn(s, "\n");
    }
    return 0;
}

int curve_has_validation(const curve *c) { return c->n > 0 && !isnan(c->v[CURVE_VAL_ACC]); }

int curve_load(const char *path, curve *c, char *err, size_t len)
{
    char *text = fileio_read(path);
    const char *why;
    int line;
    if (!text) {
        c->v = NULL;
        c->n = 0;
        snprintf(err, len, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int rc = curve_parse(text, c, &why, &line);
    if (rc < 0)
        snprintf(err, len, "%s:%d: %s", path, line, why);
    free(text);
    return rc;
}

void curve_free(curve *c)
{
    free(c->v);
    c->v = NULL;
    c->n = 0;
}
