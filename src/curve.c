/* curve.dat: numbers printed with %.9g (seconds with %.6f), read back with strtod; a row is eight numbers whose
 * first, the epoch, is a whole number above the previous row's; the two validation ones are both "nan" in every
 * row or finite in every row, the others finite. */
#include "curve.h"
#include "fileio.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char curve_header[] = "# epoch train_loss test_loss train_acc test_acc seconds val_loss val_acc";
/* the header before the validation columns: the first six, the others read as NAN */
enum { COLS_BEFORE_VAL = 6 };

void curve_write(FILE *f, const train_epoch *epochs, int last)
{
    fprintf(f, "%s\n", curve_header);
    for (int e = 0; e <= last; e++) {
        const train_epoch *c = &epochs[e];
        if (!c->evaluated)
            continue;
        /* fabs: a NAN prints as "nan", never "-nan" */
        fprintf(f, "%d %.9g %.9g %.9g %.9g %.6f %.9g %.9g\n", c->epoch, c->train_loss, c->test_loss, c->train_acc,
                c->test_acc, c->seconds, fabs(c->val_loss), fabs(c->val_acc));
    }
}

/* Parses one row of ncols numbers into v (the rest NAN); NULL, or why it is not a row. */
static const char *parse_row(const char *s, double *v, int ncols, int rows)
{
    int used = 0;
    v[6] = v[7] = NAN;
    if (sscanf(s, "%lf %lf %lf %lf %lf %lf%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &used) != 6 ||
        (ncols == CURVE_COLS && sscanf(s + used, "%lf %lf", &v[6], &v[7]) != 2))
        return "curve.dat has a malformed row";
    for (int i = 0; i < COLS_BEFORE_VAL; i++)
        if (!isfinite(v[i]))
            return "curve.dat holds a non-finite number";
    /* validation numbers: both finite, or both NAN (no validation set), and so in every row */
    int val = isfinite(v[CURVE_VAL_LOSS]) + isfinite(v[CURVE_VAL_ACC]);
    if ((val == 1 || (val == 0 && !(isnan(v[CURVE_VAL_LOSS]) && isnan(v[CURVE_VAL_ACC])))) ||
        (rows > 0 && val != 2 * !isnan(v[CURVE_VAL_ACC - CURVE_COLS])))
        return "curve.dat holds a non-finite number";
    if (v[0] != floor(v[0]) || v[0] > INT_MAX || (rows == 0 ? v[0] != 0 : v[0] <= v[-CURVE_COLS]))
        return "curve.dat's epochs do not rise from 0";
    return NULL;
}

/* The number of columns the header line at text names (the current one, or the one before the validation
 * columns), or -1. */
static int header_columns(const char *text)
{
    size_t n = strcspn(text, "\n"), cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += text[i] == ' ';
    if (strncmp(text, curve_header, n) || text[n] != '\n' || (cols != CURVE_COLS && cols != COLS_BEFORE_VAL))
        return -1;
    return (int)cols;
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
