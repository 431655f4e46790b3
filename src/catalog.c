/* Catalog: the experiment folders of a results root read through the one reader of each format (points.c for
 * table.tsv, tsv.c for summary.tsv, identity.c for the plan, curve.c for curve.dat, config.c for a run's config.ini); --list
 * prints them, --compare puts their best points side by side and draws their loss curves with gnuplot.c. */
#include "stats.h"
#include "catalog.h"
#include "dataset.h"
#include "curve.h"
#include "fileio.h"
#include "gnuplot.h"
#include "identity.h"
#include "plot.h"
#include "plural.h"
#include "report.h"
#include "store.h"
#include "tsv.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { MAX_COMPARED = 8 }; /* lines in one plot: beyond that its legend stops being readable */
#define CATALOG_MAX_RUNS 100000000L /* --max-runs' own ceiling: any plan that was trained fits */

/* The runs planned by the experiment in dir (its plan, saved by identity before training), -1 when unknown; with
 * committed, also how many of them are committed (store_read_run), -1 when unknown. */
static long read_planned(const char *dir, int *committed)
{
    config cfg;
    sweep_plan plan;
    char err[1200];
    if (committed)
        *committed = -1;
    if (identity_load_plan(dir, &cfg, err, sizeof err) < 0)
        return -1;
    long n = sweep_plan_init(&plan, &cfg, CATALOG_MAX_RUNS, err, sizeof err) < 0 ? -1 : plan.nruns;
    if (n >= 0 && committed) {
        *committed = 0;
        for (long r = 0; r < n; r++)
            *committed += store_read_run(dir, &plan, r, NULL, err, sizeof err) == STORE_RUN_OK;
    }
    config_free(&cfg);
    return n;
}

/* Fills e from the files of root/name; what cannot be read stays unknown. */
static void entry_read(catalog_entry *e, const char *root, const char *name)
{
    char dir[FILEIO_PATH], path[FILEIO_PATH], why[600];
    struct stat st;
    tsv t;
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    e->committed = -1;
    snprintf(e->date, sizeof e->date, "?");
    if (snprintf(path, sizeof path, "%s/summary.tsv", dir) < (int)sizeof path) {
        if (tsv_load(&t, path, why, sizeof why) == 0)
            e->committed = t.nrows;
        tsv_free(&t);
        struct tm tm;
        if (stat(path, &st) == 0 && gmtime_r(&st.st_mtime, &tm))
            strftime(e->date, sizeof e->date, "%Y-%m-%d %H:%M", &tm);
    }
    /* a summary.tsv there but unreadable is a damaged table ("?"), not none yet */
    e->tables = snprintf(path, sizeof path, "%s/summary.tsv", dir) < (int)sizeof path && access(path, F_OK) == 0;
    if (!e->tables)
        snprintf(e->date, sizeof e->date, "-");
    e->planned = read_planned(dir, e->tables ? NULL : &e->committed);
    point *rows;
    int nrows;
    if (snprintf(path, sizeof path, "%s/table.tsv", dir) < (int)sizeof path &&
        points_read_table(path, &rows, &nrows, why, sizeof why) == 0) {
        long best = points_best(rows, nrows, &e->best_on_val);
        if ((e->has_best = best >= 0))
            e->best = rows[best];
        free(rows);
    }
}

/* 1 when root/name is an experiment folder holding file: a name that fits, and the file inside. */
static int holds(const char *root, const char *name, const char *file)
{
    char path[FILEIO_PATH];
    return name[0] != '.' && strlen(name) < CONFIG_NAME &&
           snprintf(path, sizeof path, "%s/%s/%s", root, name, file) < (int)sizeof path && access(path, R_OK) == 0;
}

/* 1 when root/name is an experiment with tables (a summary.tsv): what --compare reads. */
static int is_experiment(const char *root, const char *name) { return holds(root, name, "summary.tsv"); }

int catalog_load(catalog *c, const char *root, int untabled, char *err, size_t len)
{
    char **names[2] = {NULL, NULL};
    int n[2] = {fileio_list_holding(root, "summary.tsv", &names[0]), 0}, rc = 0;
    *c = (catalog){0};
    if (n[0] >= 0 && untabled && (n[1] = fileio_list_holding(root, "experiment.ini", &names[1])) < 0) {
        for (int i = 0; i < n[0]; i++)
            free(names[0][i]);
        free(names[0]);
        n[0] = -1;
    }
    if (n[0] < 0) {
        snprintf(err, len, "%s: cannot list experiments: %s", root, strerror(errno));
        return -1;
    }
    if (n[0] + n[1] && !(c->e = calloc((size_t)(n[0] + n[1]), sizeof *c->e))) {
        snprintf(err, len, "%s: out of memory", root);
        rc = -1;
    }
    /* the two sorted lists merged, each name once */
    for (int i = 0, j = 0; i < n[0] || j < n[1];) {
        int k = j >= n[1] || (i < n[0] && strcmp(names[0][i], names[1][j]) <= 0) ? 0 : 1;
        char *name = k ? names[1][j++] : names[0][i++];
        if (k == 0 && j < n[1] && !strcmp(name, names[1][j]))
            free(names[1][j++]);
        if (rc == 0 && (holds(root, name, "summary.tsv") || holds(root, name, "experiment.ini")))
            entry_read(&c->e[c->n++], root, name);
        free(name);
    }
    free(names[0]);
    free(names[1]);
    return rc;
}

void catalog_free(catalog *c)
{
    free(c->e);
    *c = (catalog){0};
}

/* ---- --list ---------------------------------------------------------------------------------------------- */

enum { LIST_COLS = 5 };

/* The cells of entry e's line of --list. */
static void list_cells(const catalog_entry *e, char cell[LIST_COLS][SWEEP_ID + 8])
{
    snprintf(cell[0], sizeof cell[0], "%s", e->name);
    if (e->committed < 0)
        snprintf(cell[1], sizeof cell[1], "?");
    else if (e->planned < 0)
        snprintf(cell[1], sizeof cell[1], "%d/?", e->committed);
    else
        snprintf(cell[1], sizeof cell[1], "%d/%ld", e->committed, e->planned);
    if (!e->tables) { /* shards before --collect, a sweep stopped before its tables */
        snprintf(cell[2], sizeof cell[2], "-");
        snprintf(cell[3], sizeof cell[3], "(no tables yet: --collect, or run its config)");
    } else if (e->has_best) {
        stats_pm(cell[2], sizeof cell[2], 100 * e->best.acc_mean, 100 * e->best.acc_std, 2, "±");
        snprintf(cell[3], sizeof cell[3], "%s", e->best.id);
    } else {
        snprintf(cell[2], sizeof cell[2], "-");
        snprintf(cell[3], sizeof cell[3], "-");
    }
    snprintf(cell[4], sizeof cell[4], "%s", e->date);
}

/* Characters a terminal shows for s (UTF-8: continuation bytes take no column). */
static int columns(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

error_class catalog_list(const char *root, FILE *out, char *err, size_t len)
{
    static const char *const head[LIST_COLS] = {"experiment", "runs", "best test acc (%)", "best point",
                                                "written (UTC)"};
    catalog c;
    struct stat st;
    int found = stat(root, &st) == 0;
    if (!found || !S_ISDIR(st.st_mode)) {
        snprintf(err, len, "runner: --list: %s: no results folder (%s)", root, found ? "not a folder" : strerror(errno));
        return ERROR_USAGE;
    }
    if (catalog_load(&c, root, 1, err, len) < 0) {
        catalog_free(&c);
        return ERROR_OUTPUT;
    }
    int width[LIST_COLS];
    char cell[LIST_COLS][SWEEP_ID + 8];
    for (int k = 0; k < LIST_COLS; k++)
        width[k] = columns(head[k]);
    for (int i = 0; i < c.n; i++) {
        list_cells(&c.e[i], cell);
        for (int k = 0; k < LIST_COLS; k++)
            width[k] = columns(cell[k]) > width[k] ? columns(cell[k]) : width[k];
    }
    for (int i = -1; i < c.n; i++) {
        if (i >= 0)
            list_cells(&c.e[i], cell);
        for (int k = 0; k < LIST_COLS; k++) {
            const char *s = i < 0 ? head[k] : cell[k];
            int pad = k == LIST_COLS - 1 ? 0 : width[k] - columns(s) + 2;
            fprintf(out, "%s%*s", s, pad, "");
        }
        fprintf(out, "\n");
    }
    if (c.n == 0)
        fprintf(out, "(no experiments under %s)\n", root);
    catalog_free(&c);
    return ERROR_NONE;
}

/* ---- --compare ------------------------------------------------------------------------------------------- */

/* One compared experiment: its best point, the config of that point's first run, and the loss per epoch
 * averaged over the point's committed runs. */
typedef struct member {
    const char *name;
    point best;
    int on_val;              /* best chosen on validation accuracy (else on test accuracy) */
    config cfg;
    char sums[2][17];        /* the data checksums of its first run's manifest (training file, test data) */
    int has_cfg, has_sums, runs, nepochs;
    double *sum;             /* (nepochs, 2): train and test loss summed over the runs that reached the epoch */
    int *count;              /* (nepochs) */
} member;

static void member_free(member *m)
{
    if (m->has_cfg)
        config_free(&m->cfg);
    free(m->sum);
    free(m->count);
}

/* Adds the finite rows of c to m's sums. 0, or -1 out of memory. */
static int member_add_curve(member *m, const curve *c)
{
    for (int i = 0; i < c->n; i++) {
        const double *v = c->v + (size_t)i * CURVE_COLS;
        int e = (int)v[0];
        if (!isfinite(v[1]) || !isfinite(v[2]) || e < 0)
            continue;
        if (e >= m->nepochs) {
            double *s = realloc(m->sum, (size_t)(e + 1) * 2 * sizeof *s);
            int *k = s ? realloc(m->count, (size_t)(e + 1) * sizeof *k) : NULL;
            if (s)
                m->sum = s;
            if (!k)
                return -1;
            m->count = k;
            memset(m->sum + 2 * m->nepochs, 0, (size_t)(e + 1 - m->nepochs) * 2 * sizeof *s);
            memset(m->count + m->nepochs, 0, (size_t)(e + 1 - m->nepochs) * sizeof *k);
            m->nepochs = e + 1;
        }
        m->sum[2 * e] += v[1], m->sum[2 * e + 1] += v[2];
        m->count[e]++;
    }
    return 0;
}

/* 1 when run id belongs to sweep point pid (the run id is the point id and its seed; "all": seed alone). */
static int run_of_point(const char *id, const char *pid)
{
    size_t n = strlen(pid);
    if (!strcmp(pid, "all"))
        return !strncmp(id, "seed=", 5);
    return !strncmp(id, pid, n) && !strncmp(id + n, "_seed=", 6);
}

/* Reads one run of m's best point: its curve, and for the first its config. 0, or -1 with err. */
static int member_run(member *m, const char *dir, const char *id, char *err, size_t len)
{
    char path[FILEIO_PATH];
    curve c;
    if (fileio_path(path, sizeof path, err, len, "%s/runs/%s/curve.dat", dir, id) < 0 ||
        curve_load(path, &c, err, len) < 0)
        return -1;
    int rc = member_add_curve(m, &c);
    curve_free(&c);
    if (rc < 0) {
        snprintf(err, len, "%.300s: out of memory", path);
        return -1;
    }
    m->runs++;
    if (m->has_cfg)
        return 0;
    config_errors errs = {0};
    if (fileio_path(path, sizeof path, err, len, "%s/runs/%s/config.ini", dir, id) < 0)
        return -1;
    config_defaults(&m->cfg);
    m->has_cfg = 1;
    char rundir[FILEIO_PATH];
    if (fileio_path(rundir, sizeof rundir, err, len, "%s/runs/%s", dir, id) < 0)
        return -1;
    m->has_sums = identity_run_sums(rundir, m->sums[0], m->sums[1]) == 0;
    if (config_load(&m->cfg, path, &errs) > 0) {
        snprintf(err, len, "%.*s", (int)strcspn(errs.text, "\n"), errs.text);
        config_errors_free(&errs);
        return -1;
    }
    return 0;
}

/* Reads experiment m->name of root: its best point and that point's committed runs. ERROR_NONE, or ERROR_USAGE
 * with one line naming it. */
static error_class member_load(member *m, const char *root, char *err, size_t len)
{
    char dir[FILEIO_PATH], path[FILEIO_PATH], why[900];
    point *rows = NULL;
    int nrows, col;
    tsv t = {0};
    if (!*m->name || strchr(m->name, '/') || m->name[0] == '.' || !is_experiment(root, m->name)) {
        if (*m->name && !strchr(m->name, '/') && holds(root, m->name, "experiment.ini"))
            snprintf(err, len, "runner: --compare: experiment '%s' has no tables yet (no %s/%s/summary.tsv: run "
                     "./runner --collect CONFIG after its shards, or its config again)", m->name, root, m->name);
        else
            snprintf(err, len, "runner: --compare: unknown experiment '%s' (no %s/%s/summary.tsv)", m->name, root,
                     m->name);
        return ERROR_USAGE;
    }
    snprintf(dir, sizeof dir, "%s/%s", root, m->name);
    if (fileio_path(path, sizeof path, why, sizeof why, "%s/table.tsv", dir) < 0 ||
        points_read_table(path, &rows, &nrows, why, sizeof why) < 0) {
        snprintf(err, len, "runner: --compare: experiment '%s' has no readable table: %s", m->name, why);
        return ERROR_USAGE;
    }
    long best = points_best(rows, nrows, &m->on_val);
    if (best >= 0)
        m->best = rows[best];
    free(rows);
    if (best < 0) {
        snprintf(err, len, "runner: --compare: experiment '%s' has no best point (no run that did not diverge)",
                 m->name);
        return ERROR_USAGE;
    }
    int rc = fileio_path(path, sizeof path, why, sizeof why, "%s/summary.tsv", dir);
    rc = rc ? rc : tsv_load(&t, path, why, sizeof why);
    rc = rc ? rc : (col = tsv_col(&t, "run_id", why, sizeof why)) < 0 ? -1 : 0;
    for (int r = 0; rc == 0 && r < t.nrows; r++)
        if (run_of_point(tsv_cell(&t, r, col), m->best.id))
            rc = member_run(m, dir, tsv_cell(&t, r, col), why, sizeof why);
    tsv_free(&t);
    if (rc == 0 && m->runs == 0)
        rc = -1, snprintf(why, sizeof why, "no committed run of its best point %s", m->best.id);
    if (rc < 0) {
        snprintf(err, len, "runner: --compare: experiment '%s': %s", m->name, why);
        return ERROR_USAGE;
    }
    return ERROR_NONE;
}

/* Experiments compare when their runs saw the same data: the same contents (the checksums their manifests record,
 * whatever the files' paths; the paths and dataset names when a run from before the checksums has none), split
 * and scaled alike. ERROR_NONE, or ERROR_USAGE naming what differs: the data, or the first key of [data]. */
/* b's data i (0 training, 1 test) differ from a's by their checksums: ERROR_USAGE with one line. */
static error_class data_differ(const member *a, const member *b, int i, char *err, size_t len)
{
    snprintf(err, len, "runner: --compare: experiment '%s' is not comparable with '%s': its %s data differ (FNV-1a 64 "
             "%s, not %s)", b->name, a->name, i ? "test" : "training", b->sums[i], a->sums[i]);
    return ERROR_USAGE;
}

static error_class same_data(const member *a, const member *b, char *err, size_t len)
{
    static const char *const keys[] = {"data.test_fraction", "data.split_seed", "data.scale", "data.file",
                                       "data.features",      "data.labels",     "data.test_file"};
    int sums = a->has_sums && b->has_sums;
    if (sums && strcmp(a->sums[0], b->sums[0])) /* other training data: the first thing to say */
        return data_differ(a, b, 0, err, len);
    /* a test set split from the file records the file's checksum, as a separate test file that is the same file
     * would: whether there is a test file tells them apart */
    if (sums && !a->cfg.test_file[0] != !b->cfg.test_file[0]) {
        const char *file = "data.test_file", *split = "a split of data.file";
        snprintf(err, len, "runner: --compare: experiment '%s' is not comparable with '%s': its test set is %s, "
                 "that of '%s' %s", b->name, a->name, b->cfg.test_file[0] ? file : split, a->name,
                 a->cfg.test_file[0] ? file : split);
        return ERROR_USAGE;
    }
    if (sums && strcmp(a->sums[1], b->sums[1]))
        return data_differ(a, b, 1, err, len);
    size_t nkeys = sums ? 3 : sizeof keys / sizeof keys[0]; /* the same contents: paths and names may differ */
    for (size_t k = 0; k < nkeys; k++) {
        char va[CONFIG_PATH], vb[CONFIG_PATH];
        int key = config_find(keys[k]);
        config_format(&a->cfg, key, va, sizeof va);
        config_format(&b->cfg, key, vb, sizeof vb);
        if (strcmp(va, vb)) {
            snprintf(err, len, "runner: --compare: experiment '%s' is not comparable with '%s': %s is '%s', not '%s'",
                     b->name, a->name, keys[k], vb, va);
            return ERROR_USAGE;
        }
    }
    return ERROR_NONE;
}

/* The loss curves of the members: .dat (one block per experiment) and .gp into dir, rendered when asked. */
static error_class compare_plot(const member *m, int n, const char *tag, const char *dir, int render,
                                catalog_compared *out, char *err, size_t len)
{
    char path[FILEIO_PATH], log[FILEIO_PATH];
    fileio_text dat, gp;
    size_t maxlen = strlen("train (dashed)");
    if (fileio_make_dirs(dir, err, len) < 0 || fileio_text_open(&dat, err, len) < 0)
        return ERROR_OUTPUT;
    if (fileio_text_open(&gp, err, len) < 0) {
        fileio_text_drop(&dat);
        return ERROR_OUTPUT;
    }
    fprintf(dat.f, "# loss per epoch of each experiment's best point, mean over its committed runs\n"
                   "# epoch runs train_mean test_mean\n");
    for (int i = 0; i < n; i++) {
        fprintf(dat.f, "%s# index %d: %s, %s\n", i ? "\n\n" : "", i, m[i].name, m[i].best.id);
        for (int e = 0; e < m[i].nepochs; e++)
            if (m[i].count[e])
                fprintf(dat.f, "%d %d %.9g %.9g\n", e, m[i].count[e], m[i].sum[2 * e] / m[i].count[e],
                        m[i].sum[2 * e + 1] / m[i].count[e]);
        maxlen = strlen(m[i].name) + strlen(m[i].best.id) + 2 > maxlen ? strlen(m[i].name) + strlen(m[i].best.id) + 2
                                                                       : maxlen;
    }
    gnuplot_begin(gp.f, tag, dir, "loss_curves", "Loss per epoch of each experiment's best point, mean over seeds");
    fprintf(gp.f, "set xlabel 'epoch'\nset ylabel 'loss per sample (nats, log scale)'\nset logscale y\n");
    gnuplot_key_below(gp.f, n + 2, maxlen);
    gnuplot_loop(gp.f);
    int k = 0;
    gnuplot_clause(gp.f, &k);
    fprintf(gp.f, "keyentry with lines lw 2 lc 'black' title 'test (solid)'");
    gnuplot_clause(gp.f, &k);
    fprintf(gp.f, "keyentry with lines lw 2 dt 2 lc 'black' title 'train (dashed)'");
    for (int i = 0; i < n; i++) {
        char title[SWEEP_ID + CONFIG_NAME + 4];
        snprintf(title, sizeof title, "%s: %s", m[i].name, m[i].best.id);
        gnuplot_clause(gp.f, &k);
        fprintf(gp.f, "dat index %d using 1:4 with lines lw 2 lc %d title ", i, i + 1);
        gnuplot_str(gp.f, title);
        gnuplot_clause(gp.f, &k);
        fprintf(gp.f, "dat index %d using 1:3 with lines lw 2 dt 2 lc %d notitle", i, i + 1);
    }
    fprintf(gp.f, "\n");
    gnuplot_end(gp.f);
    int rc = fileio_path(path, sizeof path, err, len, "%s/loss_curves.dat", dir);
    rc = rc ? rc : fileio_text_save(&dat, path, err, len);
    rc = rc ? rc : fileio_path(path, sizeof path, err, len, "%s/loss_curves.gp", dir);
    rc = rc ? rc : fileio_text_save(&gp, path, err, len);
    fileio_text_drop(&dat);
    fileio_text_drop(&gp);
    rc = rc ? rc : fileio_path(log, sizeof log, err, len, "%s/loss_curves.log", dir);
    int missing = rc == 0 && render && !gnuplot_installed();
    if (rc == 0 && render && !missing && (rc = gnuplot_run(path, log, err, len)) == 1)
        rc = 0, missing = 1; /* gone since the look */
    if (missing || (rc == 0 && !render))
        snprintf(out->warning, sizeof out->warning, "%s", missing ? "gnuplot not found: plot not rendered "
                 "(apt-get install gnuplot-nox)" : "plot not rendered (--no-plots)");
    render = render && !missing;
    if (rc != 0 || !render) /* no image left from an earlier comparison beside these numbers */
        plot_remove_images(dir, "loss_curves");
    return rc < 0 ? ERROR_OUTPUT : ERROR_NONE;
}

/* root/compare-<tag>.md: the table of best points and the plot. */
static error_class compare_markdown(const member *m, int n, const char *root, catalog_compared *out, char *err,
                                    size_t len)
{
    char rel[FILEIO_PATH], file[CONFIG_PATH];
    fileio_text t;
    if (report_link(root, out->plots, rel, sizeof rel, err, len) < 0 || fileio_text_open(&t, err, len) < 0)
        return ERROR_OUTPUT;
    config_format(&m[0].cfg, config_find("data.file"), file, sizeof file);
    fprintf(t.f, "# Comparison of");
    for (int i = 0; i < n; i++)
        fprintf(t.f, "%s %s", i == 0 ? "" : i == n - 1 ? " and" : ",", m[i].name);
    fprintf(t.f, "\n\nThe best point of each experiment, selected as its report selects it: the highest mean final "
                 "validation accuracy over its seeds, then the lowest validation loss; on test accuracy and loss "
                 "instead where the experiment has no validation set (an optimistic choice, marked). Its test "
                 "accuracy and loss, mean ± standard deviation over its seeds; all trained and tested on `%s`.\n\n"
                 "| experiment | best point | selected on | test accuracy (%%) | test loss | n | diverged "
                 "| s / epoch |\n|---|---|---|---:|---:|---:|---:|---:|\n", file);
    for (int i = 0; i < n; i++) {
        const point *p = &m[i].best;
        char pm[2][128];
        fprintf(t.f, "| [%s](%s/report.md) | `%s` | %s | %s | %s | %d | %d | %.4g |\n", m[i].name, m[i].name, p->id,
                m[i].on_val ? "validation" : "test (optimistic)",
                stats_pm(pm[0], sizeof pm[0], 100 * p->acc_mean, 100 * p->acc_std, 2, "±"),
                stats_pm(pm[1], sizeof pm[1], p->loss_mean, p->loss_std, 4, "±"), p->n, p->diverged, p->sec_epoch);
    }
    fprintf(t.f, "\n## Loss curves\n\n");
    if (out->warning[0])
        fprintf(t.f, "Not drawn yet: %s. Draw it with `gnuplot %s/loss_curves.gp` from the repository root, and the "
                     "image below appears.\n\n", out->warning, out->plots);
    fprintf(t.f, "![Loss per epoch of each best point](%s/loss_curves.png)\n\nTrain (dashed) and "
                 "test (solid) loss per epoch of each best point, mean over its committed runs, log scale "
                 "([SVG](%s/loss_curves.svg), [script](%s/loss_curves.gp), [data](%s/loss_curves.dat)).\n",
            rel, rel, rel, rel);
    return fileio_text_save(&t, out->markdown, err, len) < 0 ? ERROR_OUTPUT : ERROR_NONE;
}

/* The longest name of a comparison: a longer one keeps its start and ends in "~" and the FNV-1a 64 of the whole in
 * hex ('~' is in no experiment name, nor is it the names' separator). */
enum { COMPARE_TAG_MAX = 200 };

error_class catalog_compare(const char *root, const char *plots_root, const char *const *names, int n, int render,
                            catalog_compared *out, char *err, size_t len)
{
    char tag[MAX_COMPARED * (CONFIG_NAME + 1) + 16] = "compare";
    if (n < 2 || n > MAX_COMPARED) {
        snprintf(err, len, "runner: --compare: %d experiment%s given (compare 2 to %d)", n, plural(n),
                 MAX_COMPARED);
        return ERROR_USAGE;
    }
    *out = (catalog_compared){0};
    member m[MAX_COMPARED] = {0};
    error_class rc = ERROR_NONE;
    for (int i = 0; i < n && rc == ERROR_NONE; i++) {
        m[i].name = names[i];
        for (int j = 0; j < i; j++)
            if (!strcmp(names[i], names[j])) {
                snprintf(err, len, "runner: --compare: experiment '%s' given twice", names[i]);
                rc = ERROR_USAGE;
            }
        rc = rc ? rc : member_load(&m[i], root, err, len);
        rc = rc || i == 0 ? rc : same_data(&m[0], &m[i], err, len);
        if (rc == ERROR_NONE) /* '+' is in no experiment name: no other comparison or experiment has this tag */
            strcat(strcat(tag, i ? "+" : "-"), names[i]);
    }
    if (rc == ERROR_NONE && strlen(tag) > COMPARE_TAG_MAX) { /* past a file name's 255 bytes with ".md" */
        uint64_t h = dataset_fnv1a(DATASET_FNV_BASIS, tag, strlen(tag));
        snprintf(tag + COMPARE_TAG_MAX - 17, 18, "~%016llx", (unsigned long long)h);
    }
    if (rc == ERROR_NONE &&
        (fileio_path(out->markdown, sizeof out->markdown, err, len, "%s/%s.md", root, tag) < 0 ||
         fileio_path(out->plots, sizeof out->plots, err, len, "%s/%s", plots_root, tag) < 0))
        rc = ERROR_OUTPUT;
    rc = rc ? rc : compare_plot(m, n, tag, out->plots, render, out, err, len);
    rc = rc ? rc : compare_markdown(m, n, root, out, err, len);
    for (int i = 0; i < n; i++)
        member_free(&m[i]);
    return rc;
}
