/* Report: reads table.tsv into one record per sweep point, aggregates the runs' curves, writes each plot as a
 * .dat of aggregates plus a .gp script reading it, writes report.md, then renders the scripts with gnuplot
 * (posix_spawnp, never a shell). Every file is written whole to a temporary name and renamed into place. */
#include "report.h"
#include "fileio.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum {
    REPORT_PATH = 4096, /* longest path built here; a longer one is an error, never cut */
    MAX_LINES = 8,      /* curves or series in one plot: beyond that a legend stops being readable */
    NPLOTS = 5,
    PLOT_W = 900, PLOT_H = 600, FONT_PT = 12 /* every image, PNG and SVG */
};

static const char *const colours[MAX_LINES] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                               "#9467bd", "#8c564b", "#e377c2", "#17becf"};
static const char *const plot_names[NPLOTS] = {"loss_curves", "acc_vs_lr", "heatmap", "time", "speedup"};
static const char *const plot_headings[NPLOTS] = {"Loss curves", "Accuracy vs learning rate", "Accuracy heatmap",
                                                  "Time per epoch and throughput", "Parallel speedup"};

/* ---- files ----------------------------------------------------------------------------------------------- */

static int path_fmt(char *buf, size_t size, char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int path_fmt(char *buf, size_t size, char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) {
        snprintf(err, len, "%.100s...: path too long (at most %zu characters)", buf, size - 1);
        return -1;
    }
    return 0;
}

/* A file built in memory, then written atomically. */
typedef struct text {
    char *buf;
    size_t size;
    FILE *f;
} text;

static int text_open(text *t, char *err, size_t len)
{
    t->buf = NULL;
    t->size = 0;
    if (!(t->f = open_memstream(&t->buf, &t->size))) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    return 0;
}

/* Closes the stream and writes its text to path; frees it either way. */
static int text_save(text *t, const char *path, char *err, size_t len)
{
    int bad = ferror(t->f);
    bad |= fclose(t->f) != 0;
    t->f = NULL;
    int rc = -1;
    if (bad)
        snprintf(err, len, "%s: out of memory", path);
    else
        rc = fileio_write_atomic(path, t->buf, t->size, err, len);
    free(t->buf);
    t->buf = NULL;
    return rc;
}

static void text_drop(text *t)
{
    if (t->f)
        fclose(t->f);
    free(t->buf);
    t->f = NULL;
    t->buf = NULL;
}

/* Opens the .dat and .gp texts of one plot: both, or neither. */
static int texts_open(text *dat, text *gp, char *err, size_t len)
{
    if (text_open(dat, err, len) < 0)
        return -1;
    if (text_open(gp, err, len) < 0) {
        text_drop(dat);
        return -1;
    }
    return 0;
}

/* mkdir -p */
static int make_dirs(const char *path, char *err, size_t len)
{
    char p[REPORT_PATH];
    if (path_fmt(p, sizeof p, err, len, "%s", path) < 0)
        return -1;
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/')
            continue;
        char c = *s;
        *s = 0;
        struct stat st;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            snprintf(err, len, "%s: cannot create directory: %s", p, strerror(errno));
            return -1;
        }
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, len, "%s: exists and is not a directory", p);
            return -1;
        }
        *s = c;
        if (!c)
            return 0;
    }
}

/* ---- tab-separated tables -------------------------------------------------------------------------------- */

typedef struct tsv {
    char *text;
    char **cell;        /* (nrows + 1, ncols): row 0 is the header */
    int *line;          /* (nrows + 1) line number of each row in the file */
    int ncols, nrows;
    const char *path;
} tsv;

static void tsv_free(tsv *t)
{
    free(t->text);
    free(t->cell);
    free(t->line);
}

/* Cuts the line at s into at most t->ncols cells of row; the number of fields found. */
static int tsv_split(tsv *t, char *s, int row)
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

static int tsv_load(tsv *t, const char *path, char *err, size_t len)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    if (!(t->text = fileio_read(path))) {
        snprintf(err, len, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
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
        int nf = tsv_split(t, s, row);
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

static const char *tsv_cell(const tsv *t, int row, int col) { return t->cell[(row + 1) * t->ncols + col]; }

/* The column called name, or -1 with err. */
static int tsv_col(const tsv *t, const char *name, char *err, size_t len)
{
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->cell[c], name))
            return c;
    snprintf(err, len, "%s: no column '%s' in the header", t->path, name);
    return -1;
}

static int tsv_num(const tsv *t, int row, int col, double *v, char *err, size_t len)
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

/* ---- sweep points ---------------------------------------------------------------------------------------- */

/* One row of table.tsv: the runs of one sweep point aggregated over seeds. */
typedef struct point {
    char id[SWEEP_ID];                          /* point_id */
    int n, diverged;                            /* committed runs, and how many diverged; n = 0: none yet */
    double acc_mean, acc_std, acc_min, acc_max; /* final test accuracy, fractions 0..1 */
    double loss_mean, loss_std;                 /* final test loss */
    double sec_epoch, samples_per_s;
} point;

static const char *const table_cols[] = {"point_id",       "n",             "diverged",          "test_acc_mean",
                                         "test_acc_std",   "test_acc_min",  "test_acc_max",      "test_loss_mean",
                                         "test_loss_std",  "seconds_per_epoch", "samples_per_second"};
enum { NTABLE = (int)(sizeof table_cols / sizeof table_cols[0]) };

static int point_read(const tsv *t, int row, const int *col, point *p, char *err, size_t len)
{
    double v[NTABLE];
    for (int k = 1; k < NTABLE; k++)
        if (tsv_num(t, row, col[k], &v[k], err, len) < 0)
            return -1;
    if (path_fmt(p->id, sizeof p->id, err, len, "%s", tsv_cell(t, row, col[0])) < 0)
        return -1;
    p->n = (int)v[1];
    p->diverged = (int)v[2];
    p->acc_mean = v[3], p->acc_std = v[4], p->acc_min = v[5], p->acc_max = v[6];
    p->loss_mean = v[7], p->loss_std = v[8], p->sec_epoch = v[9], p->samples_per_s = v[10];
    return 0;
}

/* Reads table.tsv into rows (*n of them, malloc'ed). 0, or -1 with err. */
static int table_load(const char *path, point **rows, int *n, char *err, size_t len)
{
    tsv t;
    int col[NTABLE], rc = tsv_load(&t, path, err, len);
    for (int k = 0; k < NTABLE && rc == 0; k++)
        rc = (col[k] = tsv_col(&t, table_cols[k], err, len)) < 0 ? -1 : 0;
    *rows = NULL;
    *n = 0;
    if (rc == 0 && !(*rows = calloc((size_t)t.nrows + 1, sizeof **rows))) {
        snprintf(err, len, "%s: out of memory", path);
        rc = -1;
    }
    for (int r = 0; r < t.nrows && rc == 0; r++)
        rc = point_read(&t, r, col, &(*rows)[r], err, len);
    if (rc == 0)
        *n = t.nrows;
    else {
        free(*rows);
        *rows = NULL;
    }
    tsv_free(&t);
    return rc;
}

/* The best point: highest mean test accuracy, then lowest test loss; never one whose runs all diverged. -1: none. */
static long best_point(const point *p, long n)
{
    long best = -1;
    for (long i = 0; i < n; i++) {
        if (p[i].n == 0 || p[i].diverged >= p[i].n || !isfinite(p[i].acc_mean))
            continue;
        if (best < 0 || p[i].acc_mean > p[best].acc_mean ||
            (p[i].acc_mean == p[best].acc_mean && p[i].loss_mean < p[best].loss_mean))
            best = i;
    }
    return best;
}

/* ---- the experiment -------------------------------------------------------------------------------------- */

typedef struct plot_ref {
    int kind;                    /* index into plot_names */
    char caption[400];
} plot_ref;

typedef struct experiment {
    const config *base;
    const sweep_plan *plan;
    const char *results_dir, *plots_dir;
    int nsweep;
    point *pts;                  /* (npoints) in plan order; n = 0 where table.tsv has no row */
    int *vidx;                   /* (npoints, nsweep) value index of each swept key at each point */
    int lr, hidden, threads;     /* position of these keys in [sweep], -1 when not swept */
    long committed, first_run;   /* runs with a result.tsv, and the first of them (-1: none) */
    char *manifest;              /* manifest.txt of the first committed run, NULL when none */
    plot_ref plots[NPLOTS];
    int nplots;
} experiment;

static const char *value_of(const experiment *x, long pt, int i)
{
    return x->base->sweep[i].values[x->vidx[pt * x->nsweep + i]];
}

static int vindex(const experiment *x, long pt, int i) { return x->vidx[pt * x->nsweep + i]; }

static double number_of(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    return end == s || *end ? NAN : v;
}

static int sweep_pos(const config *base, const char *dotted)
{
    int k = config_find(dotted);
    for (int i = 0; i < base->nsweep; i++)
        if (base->sweep[i].key == k)
            return i;
    return -1;
}

/* Which value of each swept key every point has: the canonical text of its run config, found in the list. */
static int index_points(experiment *x, char *err, size_t len)
{
    const config *b = x->base;
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        config c;
        long long seed;
        char id[SWEEP_ID], v[CONFIG_PATH + 64];
        sweep_run(x->plan, pt * b->nseeds, &c, &seed, id, sizeof id);
        for (int i = 0; i < x->nsweep; i++) {
            config_format(&c, b->sweep[i].key, v, sizeof v);
            int j = 0;
            while (j < b->sweep[i].nvalues && strcmp(b->sweep[i].values[j], v))
                j++;
            if (j == b->sweep[i].nvalues) {
                snprintf(err, len, "%s: value %.60s of %s is not in its sweep list", id, v,
                         config_key_name(b->sweep[i].key));
                return -1;
            }
            x->vidx[pt * x->nsweep + i] = j;
        }
    }
    return 0;
}

/* Puts each row of table.tsv at its sweep point: point_id is the point's id (or its number). */
static int place_rows(experiment *x, char *err, size_t len)
{
    char path[REPORT_PATH], id[SWEEP_ID];
    point *rows;
    int nrows;
    if (path_fmt(path, sizeof path, err, len, "%s/table.tsv", x->results_dir) < 0 ||
        table_load(path, &rows, &nrows, err, len) < 0)
        return -1;
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        sweep_point_id(x->plan, pt, id, sizeof id);
        snprintf(x->pts[pt].id, sizeof x->pts[pt].id, "%s", id);
        for (int r = 0; r < nrows; r++) {
            char *end;
            long num = strtol(rows[r].id, &end, 10);
            if (!strcmp(rows[r].id, id) || (!*end && end != rows[r].id && num == pt)) {
                x->pts[pt] = rows[r];
                snprintf(x->pts[pt].id, sizeof x->pts[pt].id, "%s", id);
                break;
            }
        }
    }
    free(rows);
    return 0;
}

/* Counts the committed runs and reads the manifest of the first. */
static int find_runs(experiment *x, char *err, size_t len)
{
    char path[REPORT_PATH], id[SWEEP_ID];
    x->first_run = -1;
    for (long r = 0; r < x->plan->nruns; r++) {
        config c;
        long long seed;
        sweep_run(x->plan, r, &c, &seed, id, sizeof id);
        if (path_fmt(path, sizeof path, err, len, "%s/runs/%s/result.tsv", x->results_dir, id) < 0)
            return -1;
        if (access(path, R_OK) != 0)
            continue;
        x->committed++;
        if (x->first_run < 0) {
            x->first_run = r;
            if (path_fmt(path, sizeof path, err, len, "%s/runs/%s/manifest.txt", x->results_dir, id) < 0)
                return -1;
            x->manifest = fileio_read(path);
        }
    }
    return 0;
}

static int experiment_load(experiment *x, char *err, size_t len)
{
    x->nsweep = x->base->nsweep;
    x->lr = sweep_pos(x->base, "train.learning_rate");
    x->hidden = sweep_pos(x->base, "model.hidden");
    x->threads = sweep_pos(x->base, "experiment.threads");
    x->pts = calloc((size_t)x->plan->npoints, sizeof *x->pts);
    x->vidx = calloc((size_t)x->plan->npoints * (size_t)x->nsweep + 1, sizeof *x->vidx);
    if (!x->pts || !x->vidx) {
        snprintf(err, len, "out of memory for %ld sweep points", x->plan->npoints);
        return -1;
    }
    if (index_points(x, err, len) < 0 || place_rows(x, err, len) < 0)
        return -1;
    return find_runs(x, err, len);
}

static void experiment_free(experiment *x)
{
    free(x->pts);
    free(x->vidx);
    free(x->manifest);
}

/* The value of "key = value" in the manifest, or "unknown". */
static void manifest_get(const experiment *x, const char *key, char *out, size_t len)
{
    snprintf(out, len, "unknown");
    size_t klen = strlen(key);
    for (const char *s = x->manifest; s && *s; s += strcspn(s, "\n"), s += *s == '\n') {
        if (strncmp(s, key, klen) || strncmp(s + klen, " = ", 3))
            continue;
        snprintf(out, len, "%.*s", (int)strcspn(s + klen + 3, "\n"), s + klen + 3);
        return;
    }
}

/* "learning_rate=0.1, hidden=32": the swept values of point pt except key skip; "all runs" when none. */
static void point_label(const experiment *x, long pt, int skip, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < x->nsweep; i++) {
        if (i == skip)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s=%s", used ? ", " : "", config_key_name(x->base->sweep[i].key),
                         value_of(x, pt, i));
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
    if (!used)
        snprintf(buf, len, "all runs");
}

/* 1 when every swept key but keep1 and keep2 has its first value at point pt. */
static int others_first(const experiment *x, long pt, int keep1, int keep2)
{
    for (int i = 0; i < x->nsweep; i++)
        if (i != keep1 && i != keep2 && vindex(x, pt, i) != 0)
            return 0;
    return 1;
}

/* "hidden=16, threads=1": the first values of the swept keys but keep1 and keep2; "" when there are none. */
static void others_note(const experiment *x, int keep1, int keep2, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < x->nsweep; i++) {
        if (i == keep1 || i == keep2)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s=%s", used ? ", " : "", config_key_name(x->base->sweep[i].key),
                         x->base->sweep[i].values[0]);
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
}

/* The value indices of swept key i, by increasing numeric value (order has nvalues entries). */
static void numeric_order(const experiment *x, int i, int *order)
{
    const config_sweep *s = &x->base->sweep[i];
    for (int j = 0; j < s->nvalues; j++) {
        int k = j;
        for (; k > 0 && number_of(s->values[order[k - 1]]) > number_of(s->values[j]); k--)
            order[k] = order[k - 1];
        order[k] = j;
    }
}

/* The point whose key i has value index v and whose other keys equal those of point like (but key j: vj). */
static long point_with(const experiment *x, long like, int i, int v, int j, int vj)
{
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        int ok = 1;
        for (int k = 0; k < x->nsweep && ok; k++)
            ok = vindex(x, pt, k) == (k == i ? v : k == j ? vj : vindex(x, like, k));
        if (ok)
            return pt;
    }
    return -1;
}

/* ---- gnuplot scripts ------------------------------------------------------------------------------------- */

/* Writes s as a gnuplot single-quoted string (where only '' needs escaping). */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* Writes s as a double-quoted string cell of a .dat file (no escapes there: '"' becomes '\''). */
static void dat_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : *s, f);
    fputc('"', f);
}

/* Writes 'dir/name.ext' (ext NULL: 'dir/name') as a gnuplot string. */
static void gp_path(FILE *f, const char *dir, const char *name, const char *ext)
{
    fputc('\'', f);
    for (const char *s = dir; *s; s++)
        fprintf(f, *s == '\'' ? "''" : "%c", *s);
    fprintf(f, "/%s%s%s'", name, ext ? "." : "", ext ? ext : "");
}

/* Writes a string expression gnuplot shows as several lines: 'line 1'."\n".'line 2'. */
static void gp_lines(FILE *f, const char *s)
{
    char line[1000];
    for (int first = 1;; first = 0) {
        size_t n = strcspn(s, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), s);
        fprintf(f, "%s", first ? "" : ".\"\\n\".");
        gp_str(f, line);
        if (!s[n])
            return;
        s += n + 1;
    }
}

/* The head of every script: how to run it, the files it reads and writes, the shared look, the title (lines
 * split at '\n'; NULL: the script sets its own). */
static void gp_begin(FILE *f, const experiment *x, const char *name, const char *title)
{
    fprintf(f, "# %s of experiment %s, written by the runner's report.\n"
               "# Paths are relative to the repository root: run it from there with\n"
               "#   gnuplot %s/%s.gp\n"
               "# It reads %s.dat and writes %s.png and %s.svg beside itself.\n",
            name, x->base->name, x->plots_dir, name, name, name, name);
    fprintf(f, "dat = ");
    gp_path(f, x->plots_dir, name, "dat");
    fprintf(f, "\nout = ");
    gp_path(f, x->plots_dir, name, NULL);
    fprintf(f, "\n");
    if (title) {
        fprintf(f, "set title ");
        gp_lines(f, title);
        fprintf(f, "\n");
    }
    fprintf(f, "set grid\nset border lw 1.2\n");
}

/* Opens the loop that draws the plot once per format; the plot commands follow, then gp_end. */
static void gp_loop(FILE *f)
{
    fprintf(f, "do for [ext in \"png svg\"] {\n"
               "    if (ext eq \"png\") {\n"
               "        set terminal pngcairo size %d,%d font \"Sans,%d\" noenhanced\n"
               "    } else {\n"
               "        set terminal svg size %d,%d font \"Sans,%d\" noenhanced background \"white\"\n"
               "    }\n"
               "    set output out.\".\".ext\n", PLOT_W, PLOT_H, FONT_PT, PLOT_W, PLOT_H, FONT_PT);
}

static void gp_end(FILE *f) { fprintf(f, "    unset output\n}\n"); }

/* A boxed key under the plot, clear of the data: as many columns as titles of maxlen characters (plus the line
 * sample) fit in the width, and a bottom margin that keeps it off the x label (gnuplot's own leaves them
 * touching). A character of Sans is about 0.62 of the font size wide. */
static void gp_key_below(FILE *f, int entries, size_t maxlen)
{
    int cols = (int)((PLOT_W - 40) / ((double)(maxlen + 8) * 0.62 * FONT_PT)), rows;
    cols = cols < 1 ? 1 : cols;
    rows = (entries + cols - 1) / cols;
    fprintf(f, "set key below center horizontal box maxrows %d\nset bmargin %d\n", rows, rows + 5);
}

/* Starts the k-th clause of a plot command (k counts clauses written so far). */
static void gp_clause(FILE *f, int *k)
{
    fprintf(f, "%s", *k ? ", \\\n         " : "    plot ");
    (*k)++;
}

/* Writes plots_dir/name.dat and name.gp and lists the plot for report.md. */
static int plot_save(experiment *x, int kind, text *dat, text *gp, const char *caption, char *err, size_t len)
{
    char path[REPORT_PATH];
    int rc = path_fmt(path, sizeof path, err, len, "%s/%s.dat", x->plots_dir, plot_names[kind]);
    rc = rc ? rc : text_save(dat, path, err, len);
    rc = rc ? rc : path_fmt(path, sizeof path, err, len, "%s/%s.gp", x->plots_dir, plot_names[kind]);
    rc = rc ? rc : text_save(gp, path, err, len);
    text_drop(dat);
    text_drop(gp);
    if (rc == 0) {
        x->plots[x->nplots].kind = kind;
        snprintf(x->plots[x->nplots++].caption, sizeof x->plots[0].caption, "%s", caption);
    }
    return rc;
}

/* ---- loss curves ----------------------------------------------------------------------------------------- */

typedef struct epoch_agg {
    int n;                                       /* runs that reached this epoch */
    double train_sum, train_min, train_max, test_sum, test_min, test_max;
} epoch_agg;

static int agg_grow(epoch_agg **agg, int *cap, int need)
{
    if (need <= *cap)
        return 0;
    int ncap = need > 2 * *cap ? need : 2 * *cap;
    epoch_agg *t = realloc(*agg, (size_t)ncap * sizeof *t);
    if (!t)
        return -1;
    memset(t + *cap, 0, (size_t)(ncap - *cap) * sizeof *t);
    *agg = t;
    *cap = ncap;
    return 0;
}

static void agg_add(epoch_agg *a, double train, double test)
{
    if (a->n == 0) {
        a->train_min = a->train_max = train;
        a->test_min = a->test_max = test;
    }
    a->n++;
    a->train_sum += train;
    a->test_sum += test;
    a->train_min = fmin(a->train_min, train), a->train_max = fmax(a->train_max, train);
    a->test_min = fmin(a->test_min, test), a->test_max = fmax(a->test_max, test);
}

/* Parses one curve.dat row "epoch train_loss test_loss train_acc test_acc seconds" into v. */
static int curve_row(const char *s, double v[6])
{
    for (int k = 0; k < 6; k++) {
        char *end;
        v[k] = strtod(s, &end);
        if (end == s)
            return -1;
        s = end;
    }
    s += strspn(s, " \t\r");
    return *s || v[0] < 0 || v[0] > 1e8 || v[0] != floor(v[0]) ? -1 : 0;
}

/* Adds the finite epochs of one run's curve.dat to agg (cap entries, grown as needed; *nepochs: highest + 1). */
static int add_curve(const char *path, epoch_agg **agg, int *cap, int *nepochs, char *err, size_t len)
{
    char *t = fileio_read(path);
    if (!t) {
        snprintf(err, len, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int lineno = 0, rc = 0;
    for (char *s = t, *next; *s && rc == 0; s = next) {
        char *end = s + strcspn(s, "\n");
        next = *end ? end + 1 : end;
        *end = 0;
        lineno++;
        double v[6];
        if (*s == '#' || !*s)
            continue;
        if (curve_row(s, v) < 0) {
            snprintf(err, len, "%s:%d: expected 6 numbers (%s)", path, lineno, "epoch train_loss test_loss "
                     "train_acc test_acc seconds");
            rc = -1;
        } else if (agg_grow(agg, cap, (int)v[0] + 1) < 0) {
            snprintf(err, len, "%s: out of memory", path);
            rc = -1;
        } else if (isfinite(v[1]) && isfinite(v[2])) {
            agg_add(&(*agg)[(int)v[0]], v[1], v[2]);
            *nepochs = (int)v[0] + 1 > *nepochs ? (int)v[0] + 1 : *nepochs;
        }
    }
    free(t);
    return rc;
}

/* Writes the per-epoch aggregate of point pt's committed runs as one block of the .dat; *epochs: the most. */
static int curve_block(const experiment *x, long pt, int block, FILE *dat, int *epochs, char *err, size_t len)
{
    char path[REPORT_PATH], id[SWEEP_ID], label[600];
    epoch_agg *agg = NULL;
    int cap = 0, nepochs = 0, rc = 0;
    for (long r = pt * x->base->nseeds; r < (pt + 1) * x->base->nseeds && rc == 0; r++) {
        config c;
        long long seed;
        sweep_run(x->plan, r, &c, &seed, id, sizeof id);
        rc = path_fmt(path, sizeof path, err, len, "%s/runs/%s/result.tsv", x->results_dir, id);
        if (rc == 0 && access(path, R_OK) == 0)
            rc = path_fmt(path, sizeof path, err, len, "%s/runs/%s/curve.dat", x->results_dir, id) ||
                 add_curve(path, &agg, &cap, &nepochs, err, len);
    }
    point_label(x, pt, -1, label, sizeof label);
    fprintf(dat, "%s# index %d: %s\n", block ? "\n\n" : "", block, label);
    for (int e = 0; e < nepochs && rc == 0; e++) {
        const epoch_agg *a = &agg[e];
        if (a->n)
            fprintf(dat, "%d %d %.9g %.9g %.9g %.9g %.9g %.9g\n", e, a->n, a->train_sum / a->n, a->train_min,
                    a->train_max, a->test_sum / a->n, a->test_min, a->test_max);
    }
    free(agg);
    *epochs = nepochs - 1 > *epochs ? nepochs - 1 : *epochs;
    return rc ? -1 : 0;
}

/* The points drawn as curves: all when they fit; else the values of the learning rate (or of the first swept
 * key: *group) with every other key at its first value, at most MAX_LINES (else *group = -1). note says which.
 * Returns their number. */
static int pick_curves(const experiment *x, long *sel, int *group, char *note, size_t len)
{
    long drawable = 0, matching = 0;
    int n = 0, vary = x->lr >= 0 ? x->lr : 0;
    for (long pt = 0; pt < x->plan->npoints; pt++)
        drawable += x->pts[pt].n > 0;
    note[0] = 0;
    *group = drawable > MAX_LINES ? vary : -1;
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        if (x->pts[pt].n == 0 || (drawable > MAX_LINES && !others_first(x, pt, vary, -1)))
            continue;
        matching++;
        if (n < MAX_LINES)
            sel[n++] = pt;
    }
    if (drawable <= MAX_LINES)
        return n;
    char others[400];
    others_note(x, vary, -1, others, sizeof others);
    if (*others)
        snprintf(note, len, "%s%d of %ld points: each %s at %s", matching > n ? "the first " : "", n, drawable,
                 config_key_name(x->base->sweep[vary].key), others);
    else
        snprintf(note, len, "the first %d of %ld points", n, drawable);
    return n;
}

static void loss_script(const experiment *x, FILE *gp, const long *sel, int n, int group, int epochs,
                        const char *title)
{
    char labels[MAX_LINES][600];
    size_t maxlen = strlen("train (dashed)");
    for (int i = 0; i < n; i++) {
        point_label(x, sel[i], -1, labels[i], sizeof labels[i]);
        if (group >= 0) /* the other keys are in the title */
            snprintf(labels[i], sizeof labels[i], "%s=%s", config_key_name(x->base->sweep[group].key),
                     value_of(x, sel[i], group));
        maxlen = strlen(labels[i]) > maxlen ? strlen(labels[i]) : maxlen;
    }
    gp_begin(gp, x, "loss_curves", title);
    fprintf(gp, "set xlabel 'epoch'\nset ylabel 'loss per sample (nats, log scale)'\nset logscale y\n"
                "set style fill transparent solid 0.12 noborder\n%s",
            epochs <= 10 ? "set xtics 1\n" : ""); /* whole epochs only */
    gp_key_below(gp, n + 2, maxlen);
    gp_loop(gp);
    int k = 0;
    gp_clause(gp, &k);
    fprintf(gp, "keyentry with lines lw 2 lc 'black' title 'test (solid)'");
    gp_clause(gp, &k);
    fprintf(gp, "keyentry with lines lw 2 dt 2 lc 'black' title 'train (dashed)'");
    for (int i = 0; i < n; i++) {
        const char *c = colours[i % MAX_LINES];
        gp_clause(gp, &k);
        fprintf(gp, "dat index %d using 1:7:8 with filledcurves lc rgb '%s' notitle", i, c);
        gp_clause(gp, &k);
        fprintf(gp, "dat index %d using 1:4:5 with filledcurves lc rgb '%s' notitle", i, c);
        gp_clause(gp, &k);
        fprintf(gp, "dat index %d using 1:6 with lines lw 2 lc rgb '%s' title ", i, c);
        gp_str(gp, labels[i]);
        gp_clause(gp, &k);
        fprintf(gp, "dat index %d using 1:3 with lines lw 2 dt 2 lc rgb '%s' notitle", i, c);
    }
    fprintf(gp, "\n");
    gp_end(gp);
}

static int write_loss_curves(experiment *x, char *err, size_t len)
{
    long sel[MAX_LINES];
    char note[600], title[800], caption[900];
    int group, n = pick_curves(x, sel, &group, note, sizeof note), diverged = 0, epochs = 0;
    if (n == 0)
        return 0;
    text dat, gp;
    if (texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# loss per epoch over the committed seeds of each point, one block (gnuplot index) per point\n"
                   "# epoch runs train_mean train_min train_max test_mean test_min test_max\n");
    for (int i = 0; i < n; i++)
        if (curve_block(x, sel[i], i, dat.f, &epochs, err, len) < 0) {
            text_drop(&dat);
            text_drop(&gp);
            return -1;
        }
    for (int i = 0; i < n; i++)
        diverged |= x->pts[sel[i]].diverged > 0;
    snprintf(title, sizeof title, "Loss per epoch: mean over seeds, band = min..max%s%s", *note ? "\n" : "", note);
    loss_script(x, gp.f, sel, n, group, epochs, title);
    snprintf(caption, sizeof caption, "Train (dashed) and test (solid) loss per epoch, mean over seeds with a "
             "min..max band, log scale%s%s%s.%s", *note ? " (" : "", note, *note ? ")" : "",
             diverged ? " A diverged run stops early: later epochs average the runs that reached them." : "");
    return plot_save(x, 0, &dat, &gp, caption, err, len);
}

/* ---- accuracy against the learning rate ------------------------------------------------------------------ */

/* The swept key that makes the series of acc_vs_lr: hidden, else the first other one; -1 when lr is alone. */
static int series_key(const experiment *x)
{
    if (x->hidden >= 0)
        return x->hidden;
    for (int i = 0; i < x->nsweep; i++)
        if (i != x->lr)
            return i;
    return -1;
}

/* One block per series value: learning rate, accuracy mean, min, max (%), runs, diverged. Returns the number
 * of blocks; *diverged is set when a drawn point has a diverged run. */
static int acc_blocks(const experiment *x, int s, FILE *dat, int *diverged)
{
    int order[CONFIG_MAX_VALUES], nseries = s >= 0 ? x->base->sweep[s].nvalues : 1, blocks = 0;
    numeric_order(x, x->lr, order);
    long first = -1;
    for (long pt = 0; pt < x->plan->npoints && first < 0; pt++)
        first = others_first(x, pt, x->lr, s) ? pt : -1;
    for (int j = 0; j < nseries && blocks < MAX_LINES; j++) {
        char label[600];
        fprintf(dat, "%s# index %d: ", blocks ? "\n\n" : "", blocks);
        for (int a = 0; a < x->base->sweep[x->lr].nvalues; a++) {
            long pt = point_with(x, first, x->lr, order[a], s, j);
            const point *p = &x->pts[pt];
            if (a == 0) {
                point_label(x, pt, x->lr, label, sizeof label);
                fprintf(dat, "%s\n", label);
            }
            if (p->n == 0)
                continue;
            *diverged |= p->diverged > 0;
            fprintf(dat, "%s %.9g %.9g %.9g %d %d\n", value_of(x, pt, x->lr), 100 * p->acc_mean,
                    100 * p->acc_min, 100 * p->acc_max, p->n, p->diverged);
        }
        blocks++;
    }
    return blocks;
}

static void acc_script(const experiment *x, FILE *gp, int s, int blocks, int diverged, const char *title)
{
    char labels[MAX_LINES][600];
    size_t maxlen = diverged ? strlen("diverged (any seed)") : 0;
    for (int b = 0; b < blocks; b++) {
        snprintf(labels[b], sizeof labels[b], "%s=%s", s >= 0 ? config_key_name(x->base->sweep[s].key) : "",
                 s >= 0 ? x->base->sweep[s].values[b] : "");
        if (s < 0)
            snprintf(labels[b], sizeof labels[b], "mean over seeds");
        maxlen = strlen(labels[b]) > maxlen ? strlen(labels[b]) : maxlen;
    }
    gp_begin(gp, x, "acc_vs_lr", title);
    fprintf(gp, "set xlabel 'learning rate (log scale)'\nset ylabel 'final test accuracy (%%)'\nset logscale x\n"
                "set format x '%%g'\nset autoscale xfix\nset offsets graph 0.05, graph 0.05, 0, 0\n"
                "set yrange [*:100]\n");
    gp_key_below(gp, blocks + diverged, maxlen);
    gp_loop(gp);
    int k = 0;
    for (int b = 0; b < blocks; b++) {
        gp_clause(gp, &k);
        fprintf(gp, "dat index %d using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 1.2 lc rgb '%s' title ", b,
                colours[b % MAX_LINES]);
        gp_str(gp, labels[b]);
    }
    if (diverged) {
        gp_clause(gp, &k);
        fprintf(gp, "dat using 1:($6 > 0 ? $2 : NaN) with points pt 6 ps 3 lw 2 lc rgb 'black' "
                    "title 'diverged (any seed)'");
    }
    fprintf(gp, "\n");
    gp_end(gp);
}

static int write_acc_vs_lr(experiment *x, char *err, size_t len)
{
    int s = series_key(x), diverged = 0;
    char others[400], title[800], caption[900];
    others_note(x, x->lr, s, others, sizeof others);
    text dat, gp;
    if (texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# final test accuracy against the learning rate, one block (gnuplot index) per series\n"
                   "# learning_rate acc_mean_%% acc_min_%% acc_max_%% runs diverged\n");
    int blocks = acc_blocks(x, s, dat.f, &diverged);
    snprintf(title, sizeof title, "Final test accuracy vs learning rate (mean over seeds, bars = min..max)%s%s%s",
             *others ? " at " : "", others, blocks < (s >= 0 ? x->base->sweep[s].nvalues : 1) ? ", first series" : "");
    acc_script(x, gp.f, s, blocks, diverged, title);
    snprintf(caption, sizeof caption, "Final test accuracy against the learning rate%s%s, mean over seeds with "
             "min..max bars; circled points had a diverged run.", *others ? " at " : "", others);
    return plot_save(x, 1, &dat, &gp, caption, err, len);
}

/* ---- heatmap of learning rate x hidden ------------------------------------------------------------------- */

/* Cells: x index (learning rate by value), y index (hidden in sweep order), accuracy mean (%), runs, diverged. */
static void heat_cells(const experiment *x, FILE *dat, const int *order)
{
    const config_sweep *l = &x->base->sweep[x->lr], *h = &x->base->sweep[x->hidden];
    long first = 0;
    while (!others_first(x, first, x->lr, x->hidden))
        first++;
    for (int j = 0; j < h->nvalues; j++) {
        for (int a = 0; a < l->nvalues; a++) {
            const point *p = &x->pts[point_with(x, first, x->lr, order[a], x->hidden, j)];
            fprintf(dat, "%d %d %.9g %d %d\n", a, j, p->n ? 100 * p->acc_mean : 0, p->n, p->diverged);
        }
        fprintf(dat, "\n");
    }
}

/* set xtics ('0.01' 0, '0.1' 1): the values of swept key i in the given order (NULL: list order). */
static void gp_tics(FILE *gp, const char *axis, const config_sweep *s, const int *order)
{
    fprintf(gp, "set %stics (", axis);
    for (int a = 0; a < s->nvalues; a++) {
        fprintf(gp, "%s", a ? ", " : "");
        gp_str(gp, s->values[order ? order[a] : a]);
        fprintf(gp, " %d", a);
    }
    fprintf(gp, ") scale 0\nset %srange [-0.5:%d.5]\n", axis, s->nvalues - 1);
}

static void heat_script(const experiment *x, FILE *gp, const int *order, const char *title)
{
    gp_begin(gp, x, "heatmap", title);
    fprintf(gp, "set xlabel 'learning rate'\nset ylabel 'hidden layer sizes (units)'\n"
                "set cblabel 'mean final test accuracy (%%)'\nunset key\nunset grid\n"
                "set palette defined (0 '#ffffcc', 1 '#a1dab4', 2 '#41b6c4')\n");
    gp_tics(gp, "x", &x->base->sweep[x->lr], order);
    gp_tics(gp, "y", &x->base->sweep[x->hidden], NULL);
    fprintf(gp, "# a cell's label: its mean, and how many of its runs diverged\n"
                "cell(acc, n, d) = n == 0 ? \"no runs\" : sprintf(\"%%.2f%%%%\", acc) . "
                "(d > 0 ? sprintf(\"\\n%%d of %%d diverged\", d, n) : \"\")\n");
    gp_loop(gp);
    /* a nan in the file would make gnuplot drop the whole row, label included */
    fprintf(gp, "    plot dat using 1:2:($4 > 0 ? $3 : NaN) with image, \\\n"
                "         dat using 1:2:(cell($3, $4, $5)) with labels font \",12\"\n");
    gp_end(gp);
}

static int write_heatmap(experiment *x, char *err, size_t len)
{
    int order[CONFIG_MAX_VALUES];
    char others[400], title[800], caption[900];
    numeric_order(x, x->lr, order);
    others_note(x, x->lr, x->hidden, others, sizeof others);
    text dat, gp;
    if (texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# mean final test accuracy over seeds, one row per cell, a blank line after each hidden size\n"
                   "# lr_index hidden_index acc_mean_%% runs diverged (runs = 0: no data, drawn blank)\n");
    heat_cells(x, dat.f, order);
    snprintf(title, sizeof title, "Mean final test accuracy by learning rate and hidden size%s%s",
             *others ? " at " : "", others);
    heat_script(x, gp.f, order, title);
    snprintf(caption, sizeof caption, "Mean final test accuracy over seeds for each learning rate and hidden "
             "size%s%s.", *others ? " at " : "", others);
    return plot_save(x, 2, &dat, &gp, caption, err, len);
}

/* ---- time per epoch and throughput ----------------------------------------------------------------------- */

/* "0.01, 16": the swept values of point pt, "all" when nothing is swept. */
static void short_label(const experiment *x, long pt, char *buf, size_t len)
{
    size_t used = 0;
    snprintf(buf, len, "all");
    for (int i = 0; i < x->nsweep; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", value_of(x, pt, i));
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
}

static void time_script(const experiment *x, FILE *gp, long drawn, size_t chars, const char *title)
{
    char keys[600] = "";
    for (int i = 0; i < x->nsweep; i++)
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", i ? ", " : "",
                 config_key_name(x->base->sweep[i].key));
    gp_begin(gp, x, "time", NULL);
    fprintf(gp, "set style fill solid 0.7 border -1\nset boxwidth 0.6\nset yrange [0:*]\n"
                "set offsets 0, 0, graph 0.08, 0\n"
                "set xrange [-0.6:%ld.6]\nset grid noxtics ytics\nunset key\n", drawn - 1);
    gp_loop(gp);
    fprintf(gp, "    set multiplot layout 2,1 title ");
    gp_str(gp, title);
    fprintf(gp, "\n    set xtics 1 format ''\n    set xlabel ''\n"
                "    set ylabel 'seconds per epoch (s)'\n"
                "    plot dat using 1:2 with boxes lc rgb '%s'\n"
                "    set xtics format '%%g'%s\n    set xlabel ",
            colours[0], chars > 70 ? " rotate by 30 right" : "");
    gp_str(gp, *keys ? keys : "");
    fprintf(gp, "\n    set ylabel 'throughput (samples/s)'\n    set format y '%%.0s%%c'\n"
                "    plot dat using 1:3:xtic(5) with boxes lc rgb '%s'\n"
                "    unset multiplot\n    set format y '%%g'\n", colours[2]);
    gp_end(gp);
}

static int write_time(experiment *x, char *err, size_t len)
{
    text dat, gp;
    if (texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# training time per sweep point (mean over its runs)\n"
                   "# index seconds_per_epoch samples_per_second runs label\n");
    long drawn = 0;
    size_t chars = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        char label[600];
        if (x->pts[pt].n == 0)
            continue;
        short_label(x, pt, label, sizeof label);
        chars += strlen(label) + 2;
        fprintf(dat.f, "%ld %.9g %.9g %d ", drawn++, x->pts[pt].sec_epoch, x->pts[pt].samples_per_s, x->pts[pt].n);
        dat_str(dat.f, label);
        fprintf(dat.f, "\n");
    }
    if (drawn == 0) {
        text_drop(&dat);
        text_drop(&gp);
        return 0;
    }
    time_script(x, gp.f, drawn, chars, "Training time per epoch and throughput per sweep point");
    return plot_save(x, 3, &dat, &gp, "Seconds per training epoch (top) and training throughput in samples per "
                     "second (bottom), mean over the runs of each sweep point.", err, len);
}

/* ---- speedup over threads -------------------------------------------------------------------------------- */

/* Thread count of value v of the threads key (0 = every logical CPU, from the manifest); NAN when unknown. */
static double thread_count(const experiment *x, int v)
{
    double t = number_of(x->base->sweep[x->threads].values[v]);
    if (t == 0) {
        char cpus[64];
        manifest_get(x, "logical_cpus", cpus, sizeof cpus);
        t = number_of(cpus);
    }
    return t > 0 ? t : NAN;
}

/* One series: the points equal to pt but for the thread count; rows threads, s/epoch, speedup, ideal,
 * efficiency (%), against the smallest thread count t0 (value index base). 1 if written. */
static int speed_block(const experiment *x, long pt, int base, const int *order, int block, FILE *dat)
{
    const point *p0 = &x->pts[point_with(x, pt, x->threads, base, -1, 0)];
    double t0 = thread_count(x, base);
    if (p0->n == 0 || !(p0->sec_epoch > 0))
        return 0;
    char label[600];
    point_label(x, pt, x->threads, label, sizeof label);
    fprintf(dat, "%s# index %d: %s\n", block ? "\n\n" : "", block, label);
    for (int a = 0; a < x->base->sweep[x->threads].nvalues; a++) {
        const point *p = &x->pts[point_with(x, pt, x->threads, order[a], -1, 0)];
        double t = thread_count(x, order[a]);
        if (p->n == 0 || !(p->sec_epoch > 0) || isnan(t))
            continue;
        double speedup = p0->sec_epoch / p->sec_epoch, ideal = t / t0;
        fprintf(dat, "%.9g %.9g %.9g %.9g %.9g\n", t, p->sec_epoch, speedup, ideal, 100 * speedup / ideal);
    }
    return 1;
}

/* Value indices of the threads key by thread count (unknown counts last). */
static void thread_order(const experiment *x, int *order)
{
    int n = x->base->sweep[x->threads].nvalues;
    for (int j = 0; j < n; j++) {
        int k = j;
        double tj = thread_count(x, j);
        for (; k > 0 && (isnan(thread_count(x, order[k - 1])) || thread_count(x, order[k - 1]) > tj); k--)
            order[k] = order[k - 1];
        order[k] = j;
    }
}

static void speed_script(const experiment *x, FILE *gp, const long *series, int blocks, const int *order,
                         const char *title)
{
    int nv = x->base->sweep[x->threads].nvalues;
    double t0 = thread_count(x, order[0]), tmax = t0;
    gp_begin(gp, x, "speedup", NULL);
    fprintf(gp, "set xlabel 'threads'\nset pointsize 1.2\nset offsets graph 0.03, graph 0.03, graph 0.03, 0\n"
                "set xtics (");
    for (int a = 0; a < nv && !isnan(thread_count(x, order[a])); a++) { /* the thread counts measured */
        tmax = thread_count(x, order[a]);
        fprintf(gp, "%s%g", a ? ", " : "", tmax);
    }
    int log = tmax / t0 >= 8; /* then log-log, where the ideal speedup is a straight line */
    fprintf(gp, ")\n%s", log ? "set logscale x 2\n" : "");
    gp_loop(gp);
    fprintf(gp, "    set multiplot layout 1,2 title ");
    gp_str(gp, title);
    /* the key sits above the ideal line, where only a superlinear speedup could be */
    fprintf(gp, "\n    set key top left box opaque\n    set ylabel 'speedup T(%g thread%s) / T(n threads)%s'\n",
            t0, t0 == 1 ? "" : "s", log ? " (log scale)" : "");
    fprintf(gp, "%s", log ? "    set logscale y 2\n    set yrange [*:*]\n" : "    set yrange [0:*]\n");
    for (int pass = 0; pass < 2; pass++) {
        int k = 0;
        if (pass == 1)
            fprintf(gp, "    unset key\n    unset logscale y\n    set yrange [0:*]\n    set autoscale yfixmax\n"
                        "    set ylabel 'parallel efficiency (%%)'\n");
        for (int b = 0; b < blocks; b++) {
            char label[600];
            point_label(x, series[b], x->threads, label, sizeof label);
            gp_clause(gp, &k);
            fprintf(gp, "dat index %d using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' title ", b, pass ? 5 : 3,
                    colours[b % MAX_LINES]);
            gp_str(gp, x->nsweep > 1 ? label : "measured");
        }
        gp_clause(gp, &k);
        fprintf(gp, "dat index 0 using 1:%s with lines lw 1.5 dt 2 lc 'black' title 'ideal'\n", pass ? "(100)" : "4");
    }
    fprintf(gp, "    unset multiplot\n    set autoscale y\n");
    gp_end(gp);
}

/* Writes the series of speedup.dat: one per combination of the other swept keys, at most MAX_LINES. */
static int speed_blocks(const experiment *x, FILE *dat, const int *order, long *series, long *total)
{
    int blocks = 0;
    *total = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        if (vindex(x, pt, x->threads) != order[0])
            continue;
        (*total)++;
        if (blocks < MAX_LINES && speed_block(x, pt, order[0], order, blocks, dat))
            series[blocks++] = pt;
    }
    return blocks;
}

static int write_speedup(experiment *x, char *err, size_t len)
{
    int order[CONFIG_MAX_VALUES] = {0};
    thread_order(x, order);
    double t0 = thread_count(x, order[0]);
    if (isnan(t0))
        return 0;
    text dat, gp;
    if (texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# seconds per epoch against the thread count, one block (gnuplot index) per series; speedup\n"
                   "# and ideal are relative to %g threads\n"
                   "# threads seconds_per_epoch speedup ideal efficiency_%%\n", t0);
    long series[MAX_LINES], total;
    int blocks = speed_blocks(x, dat.f, order, series, &total);
    if (blocks == 0) {
        text_drop(&dat);
        text_drop(&gp);
        return 0;
    }
    char title[400], caption[600];
    snprintf(title, sizeof title, "Speedup and parallel efficiency over %g thread%s (seconds per epoch)%s", t0,
             t0 == 1 ? "" : "s", total > blocks ? ", first series" : "");
    speed_script(x, gp.f, series, blocks, order, title);
    snprintf(caption, sizeof caption, "Speedup T(%g)/T(n) of the seconds per epoch (left) and parallel "
             "efficiency (right) against the thread count; dashed: ideal.", t0);
    return plot_save(x, 4, &dat, &gp, caption, err, len);
}

/* ---- rendering ------------------------------------------------------------------------------------------- */

/* The line of gnuplot's output that names the error ("script" line N: ..., given as line N: ...), else its
 * last non-blank line. */
static void first_error(const char *script, const char *log, char *out, size_t len)
{
    size_t slen = strlen(script);
    snprintf(out, len, "no message");
    char *t = fileio_read(log);
    for (const char *s = t; s && *s; s += strcspn(s, "\n"), s += *s == '\n') {
        int n = (int)strcspn(s, "\n");
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
            n--;
        int skip = s[0] == '"' && !strncmp(s + 1, script, slen) && !strncmp(s + 1 + slen, "\" line ", 7);
        if (n > 0 && strspn(s, " ^") < (size_t)n)
            snprintf(out, len, "%.*s", n > 300 ? 300 : n - (skip ? (int)slen + 3 : 0), s + (skip ? slen + 3 : 0));
        if (skip || (strstr(s, "\" line ") && strstr(s, "\" line ") < s + n))
            break;
    }
    free(t);
}

/* Runs "gnuplot script" with stdin from /dev/null and its output in log (removed on success).
 * 0, 1 when gnuplot is not installed, or -1 with err. */
static int run_gnuplot(const char *script, const char *log, char *err, size_t len)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        snprintf(err, len, "%s: cannot create: %s", log, strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    char *argv[] = {"gnuplot", (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ), status = 0;
    posix_spawn_file_actions_destroy(&fa);
    close(fd);
    if (rc == ENOENT) {
        unlink(log);
        return 1;
    }
    if (rc != 0) {
        snprintf(err, len, "%s: cannot start gnuplot: %s", script, strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, len, "%s: waiting for gnuplot: %s", script, strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        unlink(log);
        return 0;
    }
    char why[400];
    first_error(script, log, why, sizeof why);
    snprintf(err, len, "%s: gnuplot %s %d: %s (its output is in %s)", script,
             WIFEXITED(status) ? "exited with status" : "killed by signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), why, log);
    return -1;
}

static int render_plots(const experiment *x, char *warning, size_t wlen, char *err, size_t len)
{
    char script[REPORT_PATH], log[REPORT_PATH];
    for (int i = 0; i < x->nplots; i++) {
        const char *name = plot_names[x->plots[i].kind];
        if (path_fmt(script, sizeof script, err, len, "%s/%s.gp", x->plots_dir, name) < 0 ||
            path_fmt(log, sizeof log, err, len, "%s/%s.log", x->plots_dir, name) < 0)
            return -1;
        int rc = run_gnuplot(script, log, err, len);
        if (rc == 1) {
            snprintf(warning, wlen, "gnuplot not found: plots not rendered (apt-get install gnuplot-nox; then make plots)");
            return 0;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Removes the files of plots this report does not draw (left by an earlier sweep of the same name). */
static void remove_stale(const experiment *x)
{
    static const char *const exts[] = {"gp", "dat", "png", "svg", "log"};
    for (int k = 0; k < NPLOTS; k++) {
        int drawn = 0;
        for (int i = 0; i < x->nplots; i++)
            drawn |= x->plots[i].kind == k;
        for (int e = 0; e < 5 && !drawn; e++) {
            char path[REPORT_PATH];
            if (snprintf(path, sizeof path, "%s/%s.%s", x->plots_dir, plot_names[k], exts[e]) < (int)sizeof path)
                unlink(path);
        }
    }
}

static int write_plots(experiment *x, char *err, size_t len)
{
    if (make_dirs(x->plots_dir, err, len) < 0 || write_loss_curves(x, err, len) < 0)
        return -1;
    if (x->lr >= 0 && write_acc_vs_lr(x, err, len) < 0)
        return -1;
    if (x->lr >= 0 && x->hidden >= 0 && write_heatmap(x, err, len) < 0)
        return -1;
    if (write_time(x, err, len) < 0)
        return -1;
    if (x->threads >= 0 && write_speedup(x, err, len) < 0)
        return -1;
    remove_stale(x);
    return 0;
}

/* ---- report.md ------------------------------------------------------------------------------------------- */

/* Writes s for a Markdown table cell ('|' escaped). */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++)
        fprintf(f, *s == '|' ? "\\|" : "%c", *s);
}

static void md_run_info(FILE *f, const experiment *x)
{
    const config *b = x->base;
    int diverged = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++)
        diverged += x->pts[pt].diverged;
    fprintf(f, "## What was run\n\n- **Runs:** %ld of %ld committed: %ld sweep point%s × %d seed%s (", x->committed,
            x->plan->nruns, x->plan->npoints, x->plan->npoints == 1 ? "" : "s", b->nseeds, b->nseeds == 1 ? "" : "s");
    for (int i = 0; i < b->nseeds; i++)
        fprintf(f, "%s%lld", i ? ", " : "", b->seeds[i]);
    fprintf(f, "); %d diverged.\n", diverged);
    for (int i = 0; i < b->nsweep; i++) {
        fprintf(f, "%s%s.%s = ", i ? "; " : "- **Swept:** ", config_key_section(b->sweep[i].key),
                config_key_name(b->sweep[i].key));
        for (int j = 0; j < b->sweep[i].nvalues; j++)
            fprintf(f, "%s%s", j ? ", " : "", b->sweep[i].values[j]);
    }
    fprintf(f, "%s", b->nsweep ? "\n" : "- **Swept:** nothing\n");
    char v[7][300], id[SWEEP_ID] = "";
    static const char *const keys[] = {"cpu", "logical_cpus", "host", "compiler", "cflags", "git_revision",
                                       "hdf5_version"};
    for (int k = 0; k < 7; k++)
        manifest_get(x, keys[k], v[k], sizeof v[k]);
    if (x->first_run >= 0) {
        config c;
        long long seed;
        sweep_run(x->plan, x->first_run, &c, &seed, id, sizeof id);
    }
    fprintf(f, "- **Machine:** %s (%s logical CPUs), host `%s`\n- **Build:** %s, flags `%s`, git `%s`, HDF5 %s\n"
               "  (from the manifest of run `%s`)\n",
            v[0], v[1], v[2], v[3], v[4], v[5], v[6], *id ? id : "none");
}

static int md_config(FILE *f, const experiment *x)
{
    fprintf(f, "\nThe configuration, defaults included%s:\n\n```ini\n",
            x->nsweep ? " (each run takes the swept keys from [sweep], not from their sections)" : "");
    int rc = config_write(x->base, f, CONFIG_WRITE_ALL);
    fprintf(f, "```\n\n");
    return rc;
}

static void md_row(FILE *f, const experiment *x, long pt, int bold)
{
    const point *p = &x->pts[pt];
    const char *b = bold ? "**" : "";
    fprintf(f, "|");
    for (int i = 0; i < x->nsweep; i++) {
        fprintf(f, " %s", b);
        md_cell(f, value_of(x, pt, i));
        fprintf(f, "%s |", b);
    }
    if (x->nsweep == 0)
        fprintf(f, " %sall%s |", b, b);
    if (p->n == 0) {
        fprintf(f, " not run yet | | 0 | 0 | |\n");
        return;
    }
    fprintf(f, " %s%.2f ± %.2f%s | %s%.4f ± %.4f%s | %s%d%s | %s%d%s | %s%.4g%s |\n", b, 100 * p->acc_mean,
            100 * p->acc_std, b, b, p->loss_mean, p->loss_std, b, b, p->n, b, b, p->diverged, b, b, p->sec_epoch, b);
}

static void md_results(FILE *f, const experiment *x)
{
    long best = best_point(x->pts, x->plan->npoints);
    fprintf(f, "## Results\n\nFinal test accuracy and test loss of each sweep point, mean ± standard deviation over "
               "its seeds (a diverged run counts with its last finite epoch). The best point is in bold.\n\n|");
    for (int i = 0; i < x->nsweep; i++)
        fprintf(f, " %s |", config_key_name(x->base->sweep[i].key));
    fprintf(f, "%s test accuracy (%%) | test loss | n | diverged | s / epoch |\n|", x->nsweep ? "" : " point |");
    for (int i = 0; i < (x->nsweep ? x->nsweep : 1) + 5; i++)
        fprintf(f, "---:|");
    fprintf(f, "\n");
    for (long pt = 0; pt < x->plan->npoints; pt++)
        md_row(f, x, pt, pt == best);
    if (best < 0) {
        fprintf(f, "\n**Best configuration:** none (no sweep point has a run that did not diverge).\n\n");
        return;
    }
    const point *p = &x->pts[best];
    fprintf(f, "\n**Best configuration:** ");
    for (int i = 0; i < x->nsweep; i++)
        fprintf(f, "%s%s = %s", i ? ", " : "", config_key_name(x->base->sweep[i].key), value_of(x, best, i));
    fprintf(f, "%stest accuracy %.2f ± %.2f %% over %d seed%s, test loss %.4f ± %.4f.\n\n", x->nsweep ? ": " : "",
            100 * p->acc_mean, 100 * p->acc_std, p->n, p->n == 1 ? "" : "s", p->loss_mean, p->loss_std);
}

/* The diverged runs of summary.tsv. */
static int md_diverged(FILE *f, const experiment *x, char *err, size_t len)
{
    char path[REPORT_PATH];
    tsv t;
    int col[4], n = 0;
    static const char *const names[] = {"run_id", "status", "diverged_epoch", "epochs_done"};
    if (path_fmt(path, sizeof path, err, len, "%s/summary.tsv", x->results_dir) < 0)
        return -1;
    int rc = tsv_load(&t, path, err, len);
    for (int k = 0; k < 4 && rc == 0; k++)
        rc = (col[k] = tsv_col(&t, names[k], err, len)) < 0 ? -1 : 0;
    fprintf(f, "## Diverged runs\n\n");
    for (int r = 0; r < t.nrows && rc == 0; r++) {
        if (strcmp(tsv_cell(&t, r, col[1]), "diverged"))
            continue;
        if (n++ == 0)
            fprintf(f, "A diverged run keeps the numbers of its last finite epoch.\n\n"
                       "| run | diverged at epoch | last finite epoch |\n|---|---:|---:|\n");
        fprintf(f, "| `%s` | %s | %s |\n", tsv_cell(&t, r, col[0]), tsv_cell(&t, r, col[2]), tsv_cell(&t, r, col[3]));
    }
    if (rc == 0 && n == 0)
        fprintf(f, "None of the %d runs diverged.\n", t.nrows);
    fprintf(f, "\n");
    tsv_free(&t);
    return rc;
}

static int md_plots(FILE *f, const experiment *x, char *err, size_t len)
{
    char rel[REPORT_PATH], path[REPORT_PATH];
    if (x->nplots == 0)
        return 0;
    if (report_relative(x->results_dir, x->plots_dir, rel, sizeof rel) < 0) {
        snprintf(err, len, "%s: cannot link to %s from there (path too long)", x->results_dir, x->plots_dir);
        return -1;
    }
    fprintf(f, "## Plots\n\nDrawn by gnuplot from the scripts and data beside each image; to draw one again after "
               "editing its script, run `gnuplot %s/NAME.gp` from the repository root.\n\n", x->plots_dir);
    for (int i = 0; i < x->nplots; i++) {
        const char *name = plot_names[x->plots[i].kind];
        if (path_fmt(path, sizeof path, err, len, "%s/%s", rel, name) < 0)
            return -1;
        fprintf(f, "### %s\n\n![%s](%s.png)\n\n%s ([SVG](%s.svg), [script](%s.gp), [data](%s.dat))\n\n",
                plot_headings[x->plots[i].kind], plot_headings[x->plots[i].kind], path, x->plots[i].caption, path,
                path, path);
    }
    return 0;
}

static int write_markdown(const experiment *x, char *err, size_t len)
{
    char path[REPORT_PATH];
    text t;
    if (path_fmt(path, sizeof path, err, len, "%s/report.md", x->results_dir) < 0 || text_open(&t, err, len) < 0)
        return -1;
    fprintf(t.f, "# Experiment %s\n\n", x->base->name);
    md_run_info(t.f, x);
    int rc = md_config(t.f, x);
    md_results(t.f, x);
    if (rc < 0)
        snprintf(err, len, "%s: out of memory", path);
    if (rc < 0 || md_diverged(t.f, x, err, len) < 0 || md_plots(t.f, x, err, len) < 0) {
        text_drop(&t);
        return -1;
    }
    return text_save(&t, path, err, len);
}

int report_write(const config *base, const sweep_plan *plan, const char *results_dir, const char *plots_dir,
                 int render, char *warning, size_t wlen, char *err, size_t len)
{
    if (wlen)
        warning[0] = 0;
    experiment x = {.base = base, .plan = plan, .results_dir = results_dir, .plots_dir = plots_dir};
    int rc = experiment_load(&x, err, len);
    if (rc == 0)
        rc = write_plots(&x, err, len);
    if (rc == 0)
        rc = write_markdown(&x, err, len);
    if (rc == 0 && render)
        rc = render_plots(&x, warning, wlen, err, len);
    experiment_free(&x);
    return rc;
}

/* ---- relative paths -------------------------------------------------------------------------------------- */

enum { MAX_PARTS = 256 };

/* Splits an absolute, normalised form of path (in buf) into its components; their number, or -1. */
static int path_parts(const char *path, char *buf, size_t size, char **parts)
{
    char cwd[REPORT_PATH];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
        return -1;
    int n = snprintf(buf, size, "%s/%s", path[0] == '/' ? "" : cwd, path);
    if (n < 0 || (size_t)n >= size)
        return -1;
    int np = 0;
    for (char *save, *s = strtok_r(buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (!strcmp(s, "."))
            continue;
        if (!strcmp(s, "..")) {
            np -= np > 0;
            continue;
        }
        if (np == MAX_PARTS)
            return -1;
        parts[np++] = s;
    }
    return np;
}

int report_relative(const char *from, const char *to, char *out, size_t len)
{
    char fbuf[2 * REPORT_PATH], tbuf[2 * REPORT_PATH], *fp[MAX_PARTS], *tp[MAX_PARTS];
    int nf = path_parts(from, fbuf, sizeof fbuf, fp), nt = path_parts(to, tbuf, sizeof tbuf, tp), common = 0;
    if (nf < 0 || nt < 0 || len == 0)
        return -1;
    while (common < nf && common < nt && !strcmp(fp[common], tp[common]))
        common++;
    size_t used = 0;
    out[0] = 0;
    for (int i = common; i < nf + nt - common; i++) {
        const char *part = i < nf ? ".." : tp[i - nf + common];
        int n = snprintf(out + used, len - used, "%s%s", used ? "/" : "", part);
        if (n < 0 || (size_t)n >= len - used)
            return -1;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(out, len, ".");
    return 0;
}

/* ---- results/index.md ------------------------------------------------------------------------------------ */

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The experiment folders of root that hold a report.md, sorted; -1 with err. */
static int list_reports(const char *root, char ***names, int *n, char *err, size_t len)
{
    DIR *d = opendir(root);
    *names = NULL;
    *n = 0;
    if (!d) {
        snprintf(err, len, "%s: cannot list: %s", root, strerror(errno));
        return -1;
    }
    int cap = 0, rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        char path[REPORT_PATH];
        if (e->d_name[0] == '.' || snprintf(path, sizeof path, "%s/%s/report.md", root, e->d_name) >= (int)sizeof path ||
            access(path, R_OK) != 0)
            continue;
        if (*n == cap) {
            char **t = realloc(*names, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *t);
            if (!t) {
                rc = -1;
                break;
            }
            *names = t;
        }
        if (!((*names)[*n] = strdup(e->d_name)))
            rc = -1;
        else
            (*n)++;
    }
    closedir(d);
    if (rc < 0)
        snprintf(err, len, "%s: out of memory", root);
    else if (*n)
        qsort(*names, (size_t)*n, sizeof **names, cmp_names);
    return rc;
}

/* One row of the index: name, committed runs, best mean test accuracy and its point, a link. */
static void index_row(FILE *f, const char *root, const char *name)
{
    char path[REPORT_PATH], why[600];
    tsv t = {0};
    point *rows = NULL;
    int nrows = 0;
    fprintf(f, "| [");
    md_cell(f, name);
    fprintf(f, "](%s/report.md) | ", name);
    if (snprintf(path, sizeof path, "%s/%s/summary.tsv", root, name) < (int)sizeof path &&
        tsv_load(&t, path, why, sizeof why) == 0)
        fprintf(f, "%d", t.nrows);
    else
        fprintf(f, "?");
    tsv_free(&t);
    long best = -1;
    if (snprintf(path, sizeof path, "%s/%s/table.tsv", root, name) < (int)sizeof path &&
        table_load(path, &rows, &nrows, why, sizeof why) == 0)
        best = best_point(rows, nrows);
    if (best >= 0)
        fprintf(f, " | %.2f ± %.2f | `%s` |\n", 100 * rows[best].acc_mean, 100 * rows[best].acc_std, rows[best].id);
    else
        fprintf(f, " | – | – |\n");
    free(rows);
}

int report_index(const char *results_root, char *err, size_t len)
{
    char path[REPORT_PATH], **names;
    int n;
    text t;
    if (path_fmt(path, sizeof path, err, len, "%s/index.md", results_root) < 0 ||
        list_reports(results_root, &names, &n, err, len) < 0)
        return -1;
    int rc = text_open(&t, err, len);
    if (rc == 0) {
        fprintf(t.f, "# Experiments\n\nOne row per experiment with a report; accuracy is the final test accuracy of "
                     "the best sweep point, mean ± standard deviation over its seeds.\n\n"
                     "| experiment | runs | best test accuracy (%%) | best point |\n|---|---:|---:|---|\n");
        for (int i = 0; i < n; i++)
            index_row(t.f, results_root, names[i]);
        if (n == 0)
            fprintf(t.f, "| (none yet) | | | |\n");
        rc = text_save(&t, path, err, len);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}
