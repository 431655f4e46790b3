/* curve.dat: numbers printed with %.9g (seconds with %.6f), read back with strtod; a row is six finite numbers
 * whose first, the epoch, is a whole number above the previous row's. */
#include "curve.h"
#include "fileio.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char curve_header[] = "# epoch train_loss test_loss train_acc test_acc seconds";

void curve_write(FILE *f, const train_epoch *epochs, int last)
{
    fprintf(f, "%s\n", curve_header);
    for (int e = 0; e <= last; e++) {
        const train_epoch *c = &epochs[e];
        if (!c->evaluated)
            continue;
        fprintf(f, "%d %.9g %.9g %.9g %.9g %.6f\n", c->epoch, c->train_loss, c->test_loss, c->train_acc,
                c->test_acc, c->seconds);
    }
}

/* Parses one row into v; NULL, or why it is not a row. */
static const char *parse_row(const char *s, double *v, int rows)
{
    int used = 0;
    if (sscanf(s, "%lf %lf %lf %lf %lf %lf%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &used) != 6)
        return "curve.dat has a malformed row";
    for (int i = 0; i < CURVE_COLS; i++)
        if (!isfinite(v[i]))
            return "curve.dat holds a non-finite number";
    if (v[0] != floor(v[0]) || v[0] > INT_MAX || (rows == 0 ? v[0] != 0 : v[0] <= v[-CURVE_COLS]))
        return "curve.dat's epochs do not rise from 0";
    return NULL;
}

int curve_parse(const char *text, curve *c, const char **why, int *line)
{
    size_t hl = strlen(curve_header);
    int cap = 0;
    c->v = NULL;
    c->n = 0;
    *line = 1;
    if (strncmp(text, curve_header, hl) || text[hl] != '\n') {
        *why = "curve.dat has no header line";
        return -1;
    }
    for (const char *s = text + hl + 1; *s; s += *s == '\n') {
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
        if ((*why = parse_row(s, c->v + (size_t)c->n * CURVE_COLS, c->n))) {
            curve_free(c);
            return -1;
        }
        c->n++;
        s += strcspn(s, "\n");
    }
    return 0;
}

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
