/* report.md and results/index.md: Markdown written whole in memory and saved atomically; the numbers come from
 * the experiment's points (table.tsv, summary.tsv, the committed runs) and the plots just written. */
#include "stats.h"
#include "report.h"
#include "confusion.h"
#include "fileio.h"
#include "gnuplot.h"
#include "html.h"
#include "plot.h"
#include "plural.h"
#include "points.h"
#include "study.h"
#include "tsv.h"
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Writes s for a Markdown table cell ('|' escaped). */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++)
        fprintf(f, *s == '|' ? "\\|" : "%c", *s);
}

static void md_run_info(FILE *f, const points *x)
{
    const config *b = x->base;
    int diverged = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++)
        diverged += x->pts[pt].diverged;
    fprintf(f, "## What was run\n\n- **Runs:** %ld of %ld committed: %ld sweep point%s × %d seed%s (", x->committed,
            x->plan->nruns, x->plan->npoints, plural(x->plan->npoints), b->nseeds, plural(b->nseeds));
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
        points_manifest(x, keys[k], v[k], sizeof v[k]);
    if (x->first_run >= 0) {
        config c;
        long long seed;
        sweep_run(x->plan, x->first_run, &c, &seed, id, sizeof id);
    }
    if (!*id) { /* nothing committed yet: no manifest to read the machine and the build from */
        fprintf(f, "- **Machine, build:** not known yet (no run is committed: they come from a run's manifest)\n");
        return;
    }
    fprintf(f, "- **Machine:** %s (%s logical CPUs), host `%s`\n- **Build:** %s, flags `%s`, git `%s`, HDF5 %s\n"
               "  (from the manifest of run `%s`)\n",
            v[0], v[1], v[2], v[3], v[4], v[5], v[6], id);
}

static int md_config(FILE *f, const points *x)
{
    fprintf(f, "\nThe configuration, defaults included%s:\n\n```ini\n",
            x->nsweep ? " (each run takes the swept keys from [sweep], not from their sections)" : "");
    int rc = config_write(x->base, f, CONFIG_WRITE_ALL);
    fprintf(f, "```\n\n");
    return rc;
}

static void md_row(FILE *f, const points *x, long pt, int bold)
{
    const point *p = &x->pts[pt];
    const char *b = bold ? "**" : "";
    fprintf(f, "|");
    for (int i = 0; i < x->nsweep; i++) {
        fprintf(f, " %s", b);
        md_cell(f, points_value(x, pt, i));
        fprintf(f, "%s |", b);
    }
    if (x->nsweep == 0)
        fprintf(f, " %sall%s |", b, b);
    if (p->n == 0) {
        fprintf(f, " not run yet | | | 0 | 0 | |\n");
        return;
    }
    char pm[3][128];
    if (isfinite(p->val_acc_mean))
        fprintf(f, " %s%s%s |", b,
                stats_pm(pm[0], sizeof pm[0], 100 * p->val_acc_mean, 100 * p->val_acc_std, 2, "±"), b);
    else
        fprintf(f, " – |");
    fprintf(f, " %s%s%s | %s%s%s | %s%d%s | %s%d%s | %s%.4g%s |\n", b,
            stats_pm(pm[1], sizeof pm[1], 100 * p->acc_mean, 100 * p->acc_std, 2, "±"), b, b,
            stats_pm(pm[2], sizeof pm[2], p->loss_mean, p->loss_std, 4, "±"), b, b, p->n, b, b, p->diverged, b, b,
            p->sec_epoch, b);
}

static void md_results(FILE *f, const points *x)
{
    int on_val;
    long best = points_best(x->pts, x->plan->npoints, &on_val);
    fprintf(f, "## Results\n\nFinal %s of each sweep point, mean ± "
               "standard deviation over its seeds (a diverged run counts with its last finite epoch). %s\n\n|",
            report_has_validation(x) ? "validation accuracy, test accuracy and test loss"
                                             : "test accuracy and test loss (no validation set: its column is –)",
            best < 0 ? "No point is in bold as the best: every run of every point diverged."
            : on_val ? "The best point, in bold, is the one with the highest mean validation accuracy (rows held out "
                       "of the training set): the test set plays no part in the choice, so its test accuracy is the "
                       "estimate."
                     : "The best point, in bold, is the one with the highest mean test accuracy: without a validation "
                       "set (data.validation_fraction = 0) the test set chooses it, which makes its test accuracy an "
                       "optimistic estimate.");
    for (int i = 0; i < x->nsweep; i++)
        fprintf(f, " %s |", config_key_name(x->base->sweep[i].key));
    fprintf(f, "%s validation accuracy (%%) | test accuracy (%%) | test loss | n | diverged | s / epoch |\n|",
            x->nsweep ? "" : " point |");
    for (int i = 0; i < (x->nsweep ? x->nsweep : 1) + 6; i++)
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
        fprintf(f, "%s%s = %s", i ? ", " : "", config_key_name(x->base->sweep[i].key), points_value(x, best, i));
    char pm[3][128];
    if (on_val)
        fprintf(f, "%sselected on validation accuracy %s %%; ", x->nsweep ? ": " : "",
                stats_pm(pm[0], sizeof pm[0], 100 * p->val_acc_mean, 100 * p->val_acc_std, 2, "±"));
    else
        fprintf(f, "%sselected on test accuracy (optimistic); ", x->nsweep ? ": " : "");
    fprintf(f, "test accuracy %s %% over %d seed%s, test loss %s.\n\n",
            stats_pm(pm[1], sizeof pm[1], 100 * p->acc_mean, 100 * p->acc_std, 2, "±"), p->n, plural(p->n),
            stats_pm(pm[2], sizeof pm[2], p->loss_mean, p->loss_std, 4, "±"));
    if (report_stops_at_target(x))
        fprintf(f, "%s\n\n", report_stop_note);
}

/* 1 when key (section.key) is set in base to a nonzero value, or swept (some point may have one). */
static int set_or_swept(const points *x, const char *key, double base_value)
{
    int k = config_find(key);
    for (int i = 0; i < x->nsweep; i++)
        if (x->base->sweep[i].key == k)
            return 1;
    return base_value != 0;
}

int report_has_validation(const points *x)
{
    return set_or_swept(x, "data.validation_fraction", x->base->validation_fraction);
}

int report_stops_at_target(const points *x) { return set_or_swept(x, "train.stop_at_target", x->base->stop_at_target); }

/* final accuracies of runs cut at the target, beside runs that trained on */
const char report_stop_note[] = "With train.stop_at_target, a run that reaches the target stops there, so the final "
                                "accuracies above compare runs of different lengths, and the best point may be one "
                                "that reached the target late or never; the study section ranks the points by steps "
                                "to the target.";

int report_summary(const char *results_dir, tsv *t, int col[4], char *err, size_t len)
{
    char path[FILEIO_PATH];
    static const char *const names[] = {"run_id", "status", "diverged_epoch", "epochs_done"};
    memset(t, 0, sizeof *t);
    if (fileio_path(path, sizeof path, err, len, "%s/summary.tsv", results_dir) < 0)
        return -1;
    int rc = tsv_load(t, path, err, len);
    for (int k = 0; k < 4 && rc == 0; k++)
        rc = (col[k] = tsv_col(t, names[k], err, len)) < 0 ? -1 : 0;
    return rc;
}

/* The diverged runs of summary.tsv. */
static int md_diverged(FILE *f, const points *x, char *err, size_t len)
{
    tsv t;
    int col[4], n = 0, rc = report_summary(x->results_dir, &t, col, err, len);
    fprintf(f, "## Diverged runs\n\n");
    for (int r = 0; r < t.nrows && rc == 0; r++) {
        if (strcmp(tsv_cell(&t, r, col[1]), "diverged"))
            continue;
        if (n++ == 0)
            fprintf(f, "A diverged run keeps the numbers of its last finite epoch.\n\n"
                       "| run | diverged at epoch | last finite epoch |\n|---|---:|---:|\n");
        fprintf(f, "| `%s` | %s | %s |\n", tsv_cell(&t, r, col[0]), tsv_cell(&t, r, col[2]), tsv_cell(&t, r, col[3]));
    }
    if (rc == 0 && n == 0 && t.nrows == 1)
        fprintf(f, "The run did not diverge.\n");
    else if (rc == 0 && n == 0)
        fprintf(f, "None of the %d runs diverged.\n", t.nrows);
    fprintf(f, "\n");
    tsv_free(&t);
    return rc;
}

/* The command that draws every plot of the experiments beside plots folder dir: make plots, with PLOTS=ROOT for a
 * root other than plots (--results, --plots). */
static void draw_all_hint(const char *dir, char *buf, size_t len)
{
    const char *slash = strrchr(dir, '/');
    int root = slash ? (int)(slash - dir) : 1;
    const char *at = slash ? dir : ".";
    if (root == 5 && !strncmp(at, "plots", 5))
        snprintf(buf, len, "make plots");
    else if (at[strspn(at, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+")] == 0)
        snprintf(buf, len, "make plots PLOTS=%.*s", root, at);
    else
        snprintf(buf, len, "make plots PLOTS='%.*s'", root, at);
}

/* Why plots of the set s are not drawn when gnuplot is missing, with how to draw them. */
static void gnuplot_missing(const plot_set *s, char *buf, size_t len)
{
    char all[FILEIO_PATH + 32];
    draw_all_hint(s->dir, all, sizeof all);
    snprintf(buf, len, "gnuplot not found: plots not rendered (apt-get install gnuplot-nox; then %s)", all);
}

/* Removes every image of the experiment's plots and study plots in s's folder. */
static void unrender(const plot_set *s)
{
    plot_unrender(s);
    study_unrender(s->dir);
}

/* The plots section; undrawn: why the images are not drawn yet (--no-plots, no gnuplot: the section says so and
 * how to draw them, and the images appear once they are), "" when they were drawn. */
static int md_plots(FILE *f, const points *x, const plot_set *s, const char *undrawn, char *err, size_t len)
{
    char rel[FILEIO_PATH], path[FILEIO_PATH];
    if (s->n == 0)
        return 0;
    if (report_link(x->results_dir, s->dir, rel, sizeof rel, err, len) < 0)
        return -1;
    char all[FILEIO_PATH + 32], hint[FILEIO_PATH + 64] = ""; /* for every experiment, unless undrawn says it */
    if (*undrawn && !strstr(undrawn, "make plots")) {
        draw_all_hint(s->dir, all, sizeof all);
        snprintf(hint, sizeof hint, " (or `%s` for every experiment)", all);
    }
    if (*undrawn)
        fprintf(f, "## Plots\n\nNot drawn yet: %s. Each plot's gnuplot script and data are linked below; draw them "
                   "with `gnuplot %s/NAME.gp` from the repository root%s, and the images below appear (this note "
                   "stays until the config runs again with its plots, where gnuplot is installed and without "
                   "`--no-plots`: that draws them, trains nothing already done and rewrites the reports).\n\n",
                undrawn, s->dir, hint);
    else
        fprintf(f, "## Plots\n\nDrawn by gnuplot from the scripts and data beside each image; to draw one again "
                   "after editing its script, run `gnuplot %s/NAME.gp` from the repository root.\n\n", s->dir);
    for (int i = 0; i < s->n; i++) {
        const char *name = plot_name(s->kind[i]);
        if (fileio_path(path, sizeof path, err, len, "%s/%s", rel, name) < 0)
            return -1;
        fprintf(f, "### %s\n\n![%s](%s.png)\n\n%s ([SVG](%s.svg), [script](%s.gp), [data](%s.dat))\n\n",
                plot_heading(s->kind[i]), plot_heading(s->kind[i]), path, s->caption[i], path, path, path);
    }
    return 0;
}

/* The test confusion matrix of point pt summed over its committed runs' confusion.tsv into cm: the number of runs
 * summed, 0 when none of them has one (runs from before it existed, too many classes). */
static int point_confusion(const points *x, long pt, confusion *cm)
{
    int used = 0;
    memset(cm, 0, sizeof *cm);
    for (int s = 0; pt >= 0 && s < x->base->nseeds; s++) {
        config c;
        long long seed;
        char id[SWEEP_ID], path[FILEIO_PATH], err[300];
        confusion one;
        sweep_run(x->plan, pt * x->base->nseeds + s, &c, &seed, id, sizeof id);
        if (fileio_path(path, sizeof path, err, sizeof err, "%s/runs/%s/confusion.tsv", x->results_dir, id) < 0 ||
            access(path, F_OK) != 0 || confusion_load(path, &one, err, sizeof err) < 0)
            continue;
        if (!cm->k)
            *cm = one;
        else {
            confusion_add(cm, &one);
            confusion_free(&one);
        }
        used++;
    }
    return cm->k > 0 ? used : 0;
}

/* Per-class accuracy of the best point: each true class's share of its test rows predicted right, and the class
 * it is most often mistaken for. */
static void md_classes(FILE *f, const confusion *cm, const char *where)
{
    int K = cm->k;
    fprintf(f, "## Per-class results\n\nTest accuracy of each class at %s, summed over its seeds (the confusion "
               "matrix is under Plots and in each run's confusion.tsv).\n\n"
               "| class | name | test rows | correct | accuracy (%%) | most often predicted instead |\n"
               "|---:|---|---:|---:|---:|---|\n", where);
    for (int i = 0; i < K; i++) {
        const long *row = cm->count + (size_t)i * K;
        int worst;
        long n = confusion_row(cm, i, &worst);
        fprintf(f, "| %d | ", i);
        md_cell(f, cm->name[i]);
        if (n)
            fprintf(f, " | %ld | %ld | %.2f | ", n, row[i], 100.0 * row[i] / n);
        else
            fprintf(f, " | 0 | 0 | | ");
        if (worst >= 0) {
            md_cell(f, cm->name[worst]);
            fprintf(f, " (%ld)", row[worst]);
        }
        fprintf(f, " |\n");
    }
    fprintf(f, "\n");
}

/* The study section (study.h), its plots beside the others. */
static int md_study(FILE *f, const points *x, const study *st, const plot_set *s, char *err, size_t len)
{
    char rel[FILEIO_PATH];
    if (report_link(x->results_dir, s->dir, rel, sizeof rel, err, len) < 0)
        return -1;
    return study_write(f, st, x, s->dir, rel, err, len);
}

static int write_markdown(const points *x, const plot_set *s, const study *st, const confusion *cm,
                          const char *where, const char *undrawn, char *err, size_t len)
{
    char path[FILEIO_PATH];
    fileio_text t;
    if (fileio_path(path, sizeof path, err, len, "%s/report.md", x->results_dir) < 0 || fileio_text_open(&t, err, len) < 0)
        return -1;
    fprintf(t.f, "# Experiment %s\n\n", x->base->name);
    md_run_info(t.f, x);
    int rc = md_config(t.f, x);
    md_results(t.f, x);
    if (cm)
        md_classes(t.f, cm, where);
    if (rc < 0)
        snprintf(err, len, "%s: out of memory", path);
    if (rc < 0 || md_diverged(t.f, x, err, len) < 0 || md_plots(t.f, x, s, undrawn, err, len) < 0 ||
        md_study(t.f, x, st, s, err, len) < 0) {
        fileio_text_drop(&t);
        return -1;
    }
    return fileio_text_save_derived(&t, path, err, len);
}

int report_write(const config *base, const sweep_plan *plan, const char *results_dir, const char *plots_dir,
                 int render, char *warning, size_t wlen, char *err, size_t len)
{
    if (wlen)
        warning[0] = 0;
    points x;
    plot_set plots;
    confusion cm;
    study st;
    char where[SWEEP_ID + 128] = "";
    int rc = points_load(&x, base, plan, results_dir, err, len), have = 0;
    if (rc == 0) {
        long best = points_best(x.pts, plan->npoints, NULL);
        int used = point_confusion(&x, best, &cm), n = best >= 0 ? x.pts[best].n : 0;
        have = used > 0;
        char label[SWEEP_ID] = "", some[96] = "";
        if (have && x.nsweep)
            points_label(&x, best, -1, label, sizeof label);
        if (have && used < n) /* the others' confusion.tsv is missing: the sums say whose they are */
            snprintf(some, sizeof some, "%s%d of its %d runs, the others without confusion.tsv", *label ? ", " : "",
                     used, n);
        snprintf(where, sizeof where, "the best point%s%s%s%s", *label || *some ? " (" : "", label, some,
                 *label || *some ? ")" : "");
        rc = plot_write(&plots, &x, have ? &cm : NULL, where, plots_dir, err, len);
    }
    if (rc == 0)
        rc = study_load(&st, &x, err, len);
    /* why the images are not drawn: the report says so instead of linking images that do not exist, and shows
     * none left by an earlier render beside its numbers */
    char undrawn[FILEIO_PATH + 1400] = "";
    if (rc == 0 && !render)
        snprintf(undrawn, sizeof undrawn, "the plots were not rendered (--no-plots)");
    else if (rc == 0 && !gnuplot_installed())
        gnuplot_missing(&plots, undrawn, sizeof undrawn);
    if (rc == 0 && *undrawn)
        unrender(&plots);
    if (rc == 0)
        rc = write_markdown(&x, &plots, &st, have ? &cm : NULL, where, undrawn, err, len);
    /* 0 drawn, 1 gnuplot gone since the look above, -1 a script failed, timed out or was stopped (err) */
    int drawn = rc == 0 && !*undrawn ? plot_render(&plots, err, len) : 0;
    if (rc == 0 && !*undrawn && drawn == 0)
        drawn = study_render(plots.dir, err, len);
    if (drawn == 1)
        gnuplot_missing(&plots, undrawn, sizeof undrawn);
    else if (drawn < 0)
        snprintf(undrawn, sizeof undrawn, "rendering failed (%s)", err);
    if (drawn != 0) { /* the reports are written again, saying why, with no image */
        unrender(&plots);
        char again[600];
        int ok = write_markdown(&x, &plots, &st, have ? &cm : NULL, where, undrawn, again, sizeof again) == 0 &&
                 html_report(&x, &plots, &st, have ? &cm : NULL, where, undrawn, again, sizeof again) == 0;
        size_t used = drawn < 0 ? strlen(err) : 0; /* a failed render's err stays, with what the rewrite met */
        if (!ok)
            snprintf(err + used, used < len ? len - used : 0, "%s%s", used ? "; and the reports could not say so: "
                     : "", again);
        rc = drawn < 0 || !ok ? -1 : rc;
    } else if (rc == 0)
        rc = html_report(&x, &plots, &st, have ? &cm : NULL, where, undrawn, err, len);
    if (wlen && rc == 0 && *undrawn && render) /* a missing gnuplot: the caller warns */
        snprintf(warning, wlen, "%s", undrawn);
    if (have)
        confusion_free(&cm);
    points_free(&x);
    return rc;
}

/* ---- relative paths -------------------------------------------------------------------------------------- */

enum { MAX_PARTS = 256 };

/* Splits an absolute, normalised form of path (in buf) into its components; their number, or -1. */
static int path_parts(const char *path, char *buf, size_t size, char **parts)
{
    char cwd[FILEIO_PATH];
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
    char fbuf[2 * FILEIO_PATH], tbuf[2 * FILEIO_PATH], *fp[MAX_PARTS], *tp[MAX_PARTS];
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

int report_link(const char *from, const char *to, char *out, size_t size, char *err, size_t len)
{
    if (report_relative(from, to, out, size) == 0)
        return 0;
    snprintf(err, len, "%s: cannot link to %s from there (path too long)", from, to);
    return -1;
}

/* ---- results/index.md ------------------------------------------------------------------------------------ */

/* One row of the index: name, committed runs, best mean test accuracy and its point, a link. */
static void index_row(FILE *f, const char *root, const char *name)
{
    char path[FILEIO_PATH], why[600];
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
    int on_val = 0;
    char pm[128];
    if (snprintf(path, sizeof path, "%s/%s/table.tsv", root, name) < (int)sizeof path &&
        points_read_table(path, &rows, &nrows, why, sizeof why) == 0)
        best = points_best(rows, nrows, &on_val);
    if (best >= 0)
        fprintf(f, " | %s | `%s` | %s |\n",
                stats_pm(pm, sizeof pm, 100 * rows[best].acc_mean, 100 * rows[best].acc_std, 2, "±"), rows[best].id,
                on_val ? "validation" : "test (optimistic)");
    else
        fprintf(f, " | – | – | – |\n");
    free(rows);
}

/* Takes the results root's index lock (results/.index.lock), waiting for another runner's rebuild to finish: the
 * listing read after it is taken is the latest. The fd to close, or -1 with err. */
static int lock_index(const char *results_root, char *err, size_t len)
{
    char path[FILEIO_PATH];
    if (fileio_path(path, sizeof path, err, len, "%s/.index.lock", results_root) < 0)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    while (fd >= 0 && flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    if (fd < 0)
        snprintf(err, len, "%s: cannot create lock: %s", path, strerror(errno));
    return fd;
}

int report_index(const char *results_root, char *err, size_t len)
{
    char path[FILEIO_PATH], **names;
    int n;
    fileio_text t;
    if (fileio_path(path, sizeof path, err, len, "%s/index.md", results_root) < 0)
        return -1;
    int lock = lock_index(results_root, err, len);
    if (lock < 0)
        return -1;
    fileio_remove_temporaries(results_root); /* a killed runner's index.md temporary */
    if ((n = fileio_list_holding(results_root, "report.md", &names)) < 0) {
        snprintf(err, len, "%s: cannot list: %s", results_root, strerror(errno));
        close(lock);
        return -1;
    }
    int rc = fileio_text_open(&t, err, len);
    if (rc == 0) {
        fprintf(t.f, "# Experiments\n\nOne row per experiment with a report; accuracy is the final test accuracy of "
                     "the best sweep point, mean ± standard deviation over its seeds. The best point is selected on "
                     "mean validation accuracy where the experiment has a validation set, else on test accuracy, "
                     "which makes its test accuracy optimistic.\n\n"
                     "| experiment | runs | best test accuracy (%%) | best point | selected on |\n"
                     "|---|---:|---:|---|---|\n");
        for (int i = 0; i < n; i++)
            index_row(t.f, results_root, names[i]);
        if (n == 0)
            fprintf(t.f, "| (none yet) | | | | |\n");
        rc = fileio_text_save_derived(&t, path, err, len);
    }
    if (rc == 0)
        rc = html_index(results_root, err, len);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    close(lock); /* releases the flock */
    return rc;
}
