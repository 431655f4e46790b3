/* TSV: cells split in place in one copy of the file; numbers parsed with strtod and checked to the end. */
#include "tsv.h"
#include "fileio.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char tsv_result_header[] = "status\tepochs_done\tdiverged_epoch\ttrain_loss\ttest_loss\ttrain_acc\ttest_acc"
                                 "\tbest_epoch\tbest_test_acc\ttrain_seconds\tsamples_per_second"
                                 "\tval_loss\tval_acc\tbest_val_acc"
                                 "\tsteps_to_target\tepochs_to_target\texamples_to_target\tseconds_to_target"
                                 "\tb_simple";
/* the whole header of a result.tsv written before the validation columns, before the target ones, and now */
enum { RESULT_COLS_BEFORE_VAL = 11, RESULT_COLS_BEFORE_TARGET = 14, RESULT_COLS = 19 };

void tsv_free(tsv *t)
{
    free(t->text);
    free(t->cell);
    free(t->line);
    t->text = NULL;
    t->cell = NULL;
    t->line = NULL;
}

/* Cuts the line at s into at most t->ncols cells of row; the number of fields found. */
static int split_line(tsv *t, char *s, int row)
{
    int nf = 0;
    for (char *field = s;; nf++) {
        char *tab = strchr(field, '\t');
        if (nf < t->ncols)
            t->cell[row * t->ncols + nf] = field;
        if (!tab)
            return nf + 1;
        *tab = 0;
        field = tab + 1;
    }
}

int tsv_parse(tsv *t, char *text, const char *path, char *err, size_t len)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->text = text;
    size_t lines = 1;
    for (const char *s = t->text; *s; s++)
        lines += *s == '\n';
    t->ncols = 1;
    for (const char *s = t->text; *s && *s != '\n'; s++)
        t->ncols += *s == '\t';
    t->cell = malloc(lines * (size_t)t->ncols * sizeof *t->cell);
    t->line = malloc(lines * sizeof *t->line);
    if (!t->cell || !t->line) {
        snprintf(err, len, "%s: out of memory", path);
        return -1;
    }
    int row = 0, lineno = 0;
    for (char *s = t->text, *next; *s; s = next) {
        char *end = s + strcspn(s, "\n");
        next = *end ? end + 1 : end;
        *end = 0;
        lineno++;
        if (end > s && end[-1] == '\r')
            end[-1] = 0;
        if (!*s)
            continue;
        int nf = split_line(t, s, row);
        if (nf != t->ncols) {
            snprintf(err, len, "%s:%d: %d fields, but the header has %d", path, lineno, nf, t->ncols);
            return -1;
        }
        t->line[row++] = lineno;
    }
    if (row == 0) {
        snprintf(err, len, "%s: empty (expected a header row)", path);
        return -1;
    }
    t->nrows = row - 1;
    return 0;
}

int tsv_load(tsv *t, const char *path, char *err, size_t len)
{
    char *text = fileio_read(path);
    if (!text) {
        memset(t, 0, sizeof *t);
        snprintf(err, len, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    return tsv_parse(t, text, path, err, len);
}

const char *tsv_cell(const tsv *t, int row, int col) { return t->cell[(row + 1) * t->ncols + col]; }

int tsv_col(const tsv *t, const char *name, char *err, size_t len)
{
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->cell[c], name))
            return c;
    snprintf(err, len, "%s: no column '%s' in the header", t->path, name);
    return -1;
}

int tsv_num(const tsv *t, int row, int col, double *v, char *err, size_t len)
{
    const char *s = tsv_cell(t, row, col);
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end) {
        snprintf(err, len, "%s:%d: %s: '%.40s' is not a number", t->path, t->line[row + 1], t->cell[col], s);
        return -1;
    }
    return 0;
}

/* A number with fmt, or nothing for NAN (a target not reached, a noise scale not measured). */
static void put_optional(FILE *f, const char *fmt, double v)
{
    fputc('\t', f);
    if (!isnan(v))
        fprintf(f, fmt, v);
}

void tsv_result_row(FILE *f, const tsv_result *m)
{
    fprintf(f, "%s\t%d\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%d\t%.9g\t%.6g\t%.1f\t%.9g\t%.9g\t%.9g",
            m->diverged ? "diverged" : "ok", m->epochs_done, m->diverged_epoch, m->train_loss, m->test_loss,
            m->train_acc, m->test_acc, m->best_epoch, m->best_test_acc, m->seconds, m->samples_per_second,
            fabs(m->val_loss), fabs(m->val_acc), fabs(m->best_val_acc)); /* fabs: "nan", never "-nan" */
    put_optional(f, "%.0f", m->steps_to_target);
    put_optional(f, "%.9g", m->epochs_to_target);
    put_optional(f, "%.0f", m->examples_to_target);
    put_optional(f, "%.6g", m->seconds_to_target);
    put_optional(f, "%.9g", m->b_simple);
}

/* The number of columns of a result.tsv header line at text (the current one or an older one), or -1. */
static int result_columns(const char *text)
{
    size_t n = strcspn(text, "\n"), cols = 1;
    for (size_t i = 0; i < n; i++)
        cols += text[i] == '\t';
    if (strncmp(text, tsv_result_header, n) || text[n] != '\n')
        return -1;
    return cols == RESULT_COLS || cols == RESULT_COLS_BEFORE_TARGET || cols == RESULT_COLS_BEFORE_VAL ? (int)cols
                                                                                                     : -1;
}

/* The optional numbers after the first RESULT_COLS_BEFORE_TARGET cells of row (a line): empty cells are NAN.
 * 0, or -1 when one is not a number. */
static int parse_optional(const char *row, double *const *out, int n)
{
    const char *s = row;
    for (int i = 0; i < RESULT_COLS_BEFORE_TARGET; i++) /* to the tab after the last of those cells */
        if (!(s = strchr(s + (i > 0), '\t')))
            return -1;
    for (int i = 0; i < n; i++) {
        s++; /* the tab before the cell */
        size_t w = strcspn(s, "\t\n");
        char *end;
        *out[i] = w ? strtod(s, &end) : NAN;
        if ((w && end != s + w) || (i + 1 < n && s[w] != '\t'))
            return -1;
        s += w;
    }
    return 0;
}

int tsv_result_parse(const char *text, tsv_result *m)
{
    int cols = result_columns(text);
    if (cols < 0)
        return -1;
    const char *row = strchr(text, '\n');
    char status[16];
    m->val_loss = m->val_acc = m->best_val_acc = NAN;
    m->steps_to_target = m->epochs_to_target = m->examples_to_target = m->seconds_to_target = m->b_simple = NAN;
    int n = sscanf(row + 1, "%15s %d %d %lf %lf %lf %lf %d %lf %lf %lf %lf %lf %lf", status, &m->epochs_done,
                   &m->diverged_epoch, &m->train_loss, &m->test_loss, &m->train_acc, &m->test_acc, &m->best_epoch,
                   &m->best_test_acc, &m->seconds, &m->samples_per_second, &m->val_loss, &m->val_acc,
                   &m->best_val_acc);
    m->diverged = !strcmp(status, "diverged");
    double *const optional[] = {&m->steps_to_target, &m->epochs_to_target, &m->examples_to_target,
                                &m->seconds_to_target, &m->b_simple};
    if (cols == RESULT_COLS && parse_optional(row + 1, optional, RESULT_COLS - RESULT_COLS_BEFORE_TARGET) < 0)
        return -1;
    return n == (cols < RESULT_COLS_BEFORE_TARGET ? cols : RESULT_COLS_BEFORE_TARGET) &&
                   (m->diverged || !strcmp(status, "ok")) ? 0 : -1;
}
