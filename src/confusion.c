/* confusion.tsv through tsv.c: counts are whole numbers >= 0, one row per class in order. */
#include "confusion.h"
#include "tsv.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A class name as one TSV cell: tabs and line breaks become blanks. */
static void put_name(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

int confusion_write(FILE *f, const int *m, int K, char *const *names)
{
    fprintf(f, "true\tname");
    for (int j = 0; j < K; j++)
        fprintf(f, "\t%d", j);
    for (int i = 0; i < K; i++) {
        fprintf(f, "\n%d\t", i);
        if (names)
            put_name(f, names[i]);
        else
            fprintf(f, "%d", i);
        for (int j = 0; j < K; j++)
            fprintf(f, "\t%d", m[(size_t)i * K + j]);
    }
    fprintf(f, "\n");
    return ferror(f) ? -1 : 0;
}

/* Fills c from the table t; NULL, or why it is not a confusion matrix. */
static const char *fill(confusion *c, const tsv *t, int *row)
{
    int K = t->ncols - 2;
    if (K < 1 || t->nrows != K || strcmp(t->cell[0], "true"))
        return "not a square confusion matrix";
    c->count = malloc((size_t)K * K * sizeof *c->count);
    c->name = calloc((size_t)K, sizeof *c->name);
    if (!c->count || !c->name)
        return "out of memory";
    c->k = K;
    for (int i = 0; i < K; i++) {
        *row = i;
        if (!(c->name[i] = strdup(tsv_cell(t, i, 1))))
            return "out of memory";
        for (int j = 0; j < K; j++) {
            char *end;
            const char *s = tsv_cell(t, i, j + 2);
            long v = strtol(s, &end, 10);
            if (end == s || *end || v < 0)
                return "a count is not a whole number";
            c->count[(size_t)i * K + j] = v;
        }
    }
    return NULL;
}

int confusion_load(const char *path, confusion *c, char *err, size_t len)
{
    tsv t;
    memset(c, 0, sizeof *c);
    if (tsv_load(&t, path, err, len) < 0) {
        tsv_free(&t);
        return -1;
    }
    int row = -1;
    const char *why = fill(c, &t, &row);
    if (why) {
        snprintf(err, len, "%s:%d: %s", path, row >= 0 ? t.line[row + 1] : 1, why);
        confusion_free(c);
    }
    tsv_free(&t);
    return why ? -1 : 0;
}

int confusion_add(confusion *a, const confusion *b)
{
    if (a->k != b->k)
        return -1;
    for (size_t i = 0; i < (size_t)a->k * a->k; i++)
        a->count[i] += b->count[i];
    return 0;
}

void confusion_free(confusion *c)
{
    for (int i = 0; c->name && i < c->k; i++)
        free(c->name[i]);
    free(c->name);
    free(c->count);
    memset(c, 0, sizeof *c);
}

long confusion_row(const confusion *c, int i, int *worst)
{
    const long *row = c->count + (size_t)i * c->k;
    long n = 0;
    *worst = -1;
    for (int j = 0; j < c->k; j++) {
        n += row[j];
        if (j != i && row[j] > 0 && (*worst < 0 || row[j] > row[*worst]))
            *worst = j;
    }
    return n;
}
