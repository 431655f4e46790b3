/* Plots: each a .dat of aggregates (from table.tsv's points and the committed runs' curves) plus a .gp script
 * reading it, written whole to a temporary name and renamed into place; rendering runs gnuplot on each script. */
#include "plot.h"
#include "appendf.h"
#include "plot_parts.h"
#include "fileio.h"
#include "gnuplot.h"
#include "plural.h"
#include "store.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_LINES = PLOT_MAX_LINES };
enum { LR_TICS = 8 }; /* acc_vs_lr labels each rate swept up to this many; more would crowd the axis */

const char *const plot_colours[PLOT_MAX_LINES] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                  "#9467bd", "#8c564b", "#e377c2", "#17becf"};
static const char *const plot_names[PLOT_KINDS] = {"loss_curves", "acc_curves", "loss_time", "acc_vs_lr",
                                                   "heatmap", "time", "speedup", "confusion"};
static const char *const plot_headings[PLOT_KINDS] = {"Loss curves", "Accuracy curves",
                                                      "Loss against training time", "Accuracy vs learning rate",
                                                      "Accuracy heatmap", "Time per epoch and throughput",
                                                      "Parallel speedup", "Confusion matrix"};

/* Opens the .dat and .gp texts of one plot: both, or neither. */
int plot_texts_open(fileio_text *dat, fileio_text *gp, char *err, size_t len)
{
    if (fileio_text_open(dat, err, len) < 0)
        return -1;
    if (fileio_text_open(gp, err, len) < 0) {
        fileio_text_drop(dat);
        return -1;
    }
    return 0;
}

/* Writes dir/name.dat and name.gp and lists the plot for report.md. */
int plot_save(plot_set *s, int kind, fileio_text *dat, fileio_text *gp, const char *caption, char *err,
                     size_t len)
{
    char path[FILEIO_PATH];
    int rc = fileio_path(path, sizeof path, err, len, "%s/%s.dat", s->dir, plot_names[kind]);
    rc = rc ? rc : fileio_text_save_derived(dat, path, err, len);
    rc = rc ? rc : fileio_path(path, sizeof path, err, len, "%s/%s.gp", s->dir, plot_names[kind]);
    rc = rc ? rc : fileio_text_save_derived(gp, path, err, len);
    fileio_text_drop(dat);
    fileio_text_drop(gp);
    if (rc == 0) {
        s->kind[s->n] = kind;
        snprintf(s->caption[s->n++], sizeof s->caption[0], "%s", caption);
    }
    return rc;
}

/* ---- accuracy against the learning rate ------------------------------------------------------------------ */

/* The swept key that makes the series of acc_vs_lr: hidden, else the first other one; -1 when lr is alone. */
static int series_key(const points *x)
{
    if (x->hidden >= 0)
        return x->hidden;
    for (int i = 0; i < x->nsweep; i++)
        if (i != x->lr)
            return i;
    return -1;
}

/* The panels of a summary plot over swept keys keep1 and keep2 (-1: none): one per combination of the other swept
 * keys' values, each named by its point where keep1 and keep2 have their first values (like, plan order), at most
 * SUMMARY_PANELS of them; how many combinations there are. */
enum { SUMMARY_PANELS = 12 };
static long summary_panels(const points *x, int keep1, int keep2, long *like, int *n)
{
    long total = 0;
    *n = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++)
        if (points_vindex(x, pt, keep1) == 0 && (keep2 < 0 || points_vindex(x, pt, keep2) == 0)) {
            if (*n < SUMMARY_PANELS)
                like[(*n)++] = pt;
            total++;
        }
    return total;
}

/* " at batch_size=8": the title's note of a one-panel summary, and of more panels than are drawn: "; the first 12
 * of 16 combinations of batch_size, epochs". */
static void panels_note(const points *x, int keep1, int keep2, const long *like, int n, long total, char *buf,
                        size_t len)
{
    char others[400];
    points_others_note(x, keep1, keep2, like[0], others, sizeof others);
    buf[0] = 0;
    if (n == 1 && *others)
        snprintf(buf, len, " at %s", others);
    if (total > n) {
        size_t used = strlen(buf);
        used += (size_t)snprintf(buf + used, len - used, "%s the first %d of %ld combinations of ", n == 1 ? ";" : ":",
                                 n, total);
        for (int i = 0, k = 0; i < x->nsweep && used < len; i++)
            if (i != keep1 && i != keep2)
                used += (size_t)snprintf(buf + used, len - used, "%s%s", k++ ? ", " : "",
                                         config_key_name(x->base->sweep[i].key));
    }
}

/* One block per series value of the panel of point like: learning rate, accuracy mean, min, max (%), runs,
 * diverged. Returns the number of blocks (from block b0 on), each one's count of rows in rows[b0 + j]; *diverged
 * is set when a drawn point has a diverged run, *lo lowers to the least min accuracy. */
static int acc_blocks(const points *x, int s, long first, int b0, FILE *dat, int *diverged, double *lo, int *rows)
{
    int order[CONFIG_MAX_VALUES], nseries = s >= 0 ? x->base->sweep[s].nvalues : 1, blocks = 0;
    points_numeric_order(x, x->lr, order);
    for (int j = 0; j < nseries && blocks < MAX_LINES; j++) {
        char label[600];
        fprintf(dat, "%s# index %d: ", b0 + blocks ? "\n\n" : "", b0 + blocks);
        for (int a = 0; a < x->base->sweep[x->lr].nvalues; a++) {
            long pt = points_with(x, first, x->lr, order[a], s, j);
            const point *p = &x->pts[pt];
            if (a == 0) {
                points_label(x, pt, x->lr, label, sizeof label);
                fprintf(dat, "%s\n", label);
            }
            rows[b0 + blocks] += p->n > 0;
            if (p->n == 0)
                continue;
            *diverged |= p->diverged > 0;
            *lo = fmin(*lo, 100 * p->acc_min);
            fprintf(dat, "%s %.9g %.9g %.9g %d %d\n", points_value(x, pt, x->lr), 100 * p->acc_mean,
                    100 * p->acc_min, 100 * p->acc_max, p->n, p->diverged);
        }
        /* a block of comments alone is no block to gnuplot, whose index would then skip to the next one */
        if (!rows[b0 + blocks])
            fprintf(dat, "nan nan nan nan 0 0\n");
        blocks++;
    }
    return blocks;
}

/* The plot command of one acc_vs_lr panel: blocks b0.. (one per series; those without rows left out, and a panel
 * without any drawn empty, on the ranges the panels share), the diverged points circled. */
static void acc_panel(FILE *gp, const char (*labels)[600], int b0, int blocks, const int *rows, int diverged,
                      int titled)
{
    int k = 0, any = 0;
    for (int b = 0; b < blocks; b++)
        any |= rows[b0 + b] > 0;
    if (!any && !titled) {
        fprintf(gp, "    plot NaN notitle\n");
        return;
    }
    for (int b = 0; b < blocks; b++) {
        if (!rows[b0 + b] && !titled)
            continue;
        gnuplot_clause(gp, &k);
        fprintf(gp, "dat index %d using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 1.2 lc rgb '%s' ", b0 + b,
                plot_colours[b % MAX_LINES]);
        if (titled) {
            fprintf(gp, "title ");
            gnuplot_str(gp, labels[b]);
        } else
            fprintf(gp, "notitle");
    }
    if (diverged) {
        gnuplot_clause(gp, &k);
        fprintf(gp, "dat index %d:%d using 1:($6 > 0 ? $2 : NaN) with points pt 6 ps 3 lw 2 lc rgb 'black' %s", b0,
                b0 + blocks - 1, titled ? "title 'diverged (any seed)'" : "notitle");
    }
    fprintf(gp, "\n");
}

static void acc_script(const points *x, const char *dir, FILE *gp, int s, int blocks, const long *like, int npanels,
                       const int *rows, int diverged, double lo, const char *title)
{
    char labels[MAX_LINES][600], axes[400], yrange[64];
    size_t maxlen = diverged ? strlen("diverged (any seed)") : 0;
    for (int b = 0; b < blocks; b++) {
        snprintf(labels[b], sizeof labels[b], "%s=%s", s >= 0 ? config_key_name(x->base->sweep[s].key) : "",
                 s >= 0 ? points_shown(x, s, x->base->sweep[s].values[b]) : "");
        if (s < 0)
            snprintf(labels[b], sizeof labels[b], "mean over seeds");
        maxlen = strlen(labels[b]) > maxlen ? strlen(labels[b]) : maxlen;
    }
    /* panels share the y range, fixed, so that a panel without runs has one too: the least min accuracy drawn,
     * down to a multiple of 10 (90 when every point is at 100 %) */
    snprintf(yrange, sizeof yrange, npanels > 1 ? "%g" : "*", fmin(floor(lo / 10) * 10, 90));
    size_t used = appendf(axes, sizeof axes, 0, "set xlabel 'learning rate (log scale)'\nset ylabel 'final test "
                          "accuracy (%%)'\nset logscale x\nset yrange [%s:100]\n", yrange);
    const config_sweep *lrs = &x->base->sweep[x->lr];
    char tics[300];
    size_t t = 0;
    for (int v = 0; v < lrs->nvalues && lrs->nvalues <= LR_TICS; v++)
        t = appendf(tics, sizeof tics, t, "%s%s%s", v ? ", " : "set xtics (", lrs->values[v],
                    v + 1 == lrs->nvalues ? ")\n" : "");
    /* tics at the rates swept, when they fit whole (a log axis's own may fall between them, or on one) */
    if (t > 0 && !appendf_cut(sizeof tics, t) && !appendf_cut(sizeof axes, used + t))
        appendf(axes, sizeof axes, used, "%s", tics);
    gnuplot_begin(gp, x->base->name, dir, "acc_vs_lr", npanels == 1 ? title : NULL);
    fprintf(gp, "%sset format x '%%g'\nset autoscale xfix\nset offsets graph 0.05, graph 0.05, 0, 0\n", axes);
    if (npanels == 1) {
        gnuplot_key_below(gp, blocks + diverged, maxlen);
        gnuplot_loop(gp);
        acc_panel(gp, (const char(*)[600])labels, 0, blocks, rows, diverged, 1);
        gnuplot_end(gp);
        return;
    }
    int cells = npanels + 1, cols = gnuplot_grid_cols(cells);
    /* one x range for every panel, a panel without runs included: the learning rates' with a twentieth of the
     * decades they span (a decade when they are one value) on either side */
    const config_sweep *lr = &x->base->sweep[x->lr];
    double lmin = INFINITY, lmax = -INFINITY;
    for (int v = 0; v < lr->nvalues; v++) {
        double r = points_number(lr->values[v]);
        if (r > 0)
            lmin = fmin(lmin, log10(r)), lmax = fmax(lmax, log10(r));
    }
    double pad = lmax > lmin ? (lmax - lmin) / 20 : 1;
    gnuplot_loop_size(gp, cols, (cells + cols - 1) / cols);
    gnuplot_key_cell_undo(gp, axes);
    if (lmin <= lmax)
        fprintf(gp, "    set xrange [%.6g:%.6g]\n", pow(10, lmin - pad), pow(10, lmax + pad));
    else
        fprintf(gp, "    set autoscale x\n    set autoscale xfix\n"); /* xfix alone keeps a fixed range fixed */
    fprintf(gp, "    set multiplot layout %d,%d title ", (cells + cols - 1) / cols, cols);
    gnuplot_lines(gp, title);
    fprintf(gp, "\n");
    for (int p = 0; p < npanels; p++) {
        char others[400];
        int any = 0;
        for (int b = 0; b < blocks; b++)
            any |= rows[p * blocks + b] > 0;
        points_others_note(x, x->lr, s, like[p], others, sizeof others);
        if (!any)
            snprintf(others + strlen(others), sizeof others - strlen(others), " (no runs)");
        fprintf(gp, "    set title ");
        gnuplot_str(gp, others);
        fprintf(gp, "\n");
        acc_panel(gp, (const char(*)[600])labels, p * blocks, blocks, rows, diverged, 0);
    }
    int k;
    gnuplot_key_cell(gp, &k);
    for (int b = 0; b < blocks; b++) {
        gnuplot_clause(gp, &k);
        fprintf(gp, "keyentry with yerrorlines lw 2 pt 7 ps 1.2 lc rgb '%s' title ", plot_colours[b % MAX_LINES]);
        gnuplot_str(gp, labels[b]);
    }
    if (diverged) {
        gnuplot_clause(gp, &k);
        fprintf(gp, "keyentry with points pt 6 ps 3 lw 2 lc rgb 'black' title 'diverged (any seed)'");
    }
    fprintf(gp, "\n    unset multiplot\n");
    gnuplot_end(gp);
}

static int write_acc_vs_lr(plot_set *set, const points *x, char *err, size_t len)
{
    int s = series_key(x), diverged = 0, npanels, blocks = 0, rows[SUMMARY_PANELS * MAX_LINES] = {0};
    long like[SUMMARY_PANELS], total = summary_panels(x, x->lr, s, like, &npanels);
    double lo = 100;
    char note[800], title[1200], caption[1200];
    panels_note(x, x->lr, s, like, npanels, total, note, sizeof note);
    fileio_text dat, gp;
    if (plot_texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# final test accuracy against the learning rate, one block (gnuplot index) per series%s\n"
                   "# learning_rate acc_mean_%% acc_min_%% acc_max_%% runs diverged\n",
            npanels > 1 ? " of each panel, panel by panel" : "");
    for (int p = 0; p < npanels; p++)
        blocks = acc_blocks(x, s, like[p], p * blocks, dat.f, &diverged, &lo, rows);
    int nseries = s >= 0 ? x->base->sweep[s].nvalues : 1, drawn = 0;
    for (int b = 0; b < npanels * blocks; b++)
        drawn += rows[b];
    if (!drawn) { /* no committed run to draw (a --collect that found none): no plot, as no curve */
        fileio_text_drop(&dat);
        fileio_text_drop(&gp);
        return 0;
    }
    char seeds[64];
    points_seeds_note(x, seeds, sizeof seeds);
    char first[64] = "";
    if (blocks < nseries)
        snprintf(first, sizeof first, ", the first %d of %d series", blocks, nseries);
    snprintf(title, sizeof title, "Final test accuracy vs learning rate (mean over %s, bars = min..max)%s%s%s", seeds,
             npanels > 1 ? ", a panel per combination of the other swept keys" : "", note, first);
    acc_script(x, set->dir, gp.f, s, blocks, like, npanels, rows, diverged, lo, title);
    size_t used = appendf(caption, sizeof caption, 0, "Final test accuracy against the learning rate%s%s, mean over %s "
                          "with min..max bars; circled points had a diverged run.",
                          npanels > 1 ? ", a panel per combination of the other swept keys" : "", note, seeds);
    if (blocks < nseries) { /* the series past the lines a plot has */
        const config_sweep *sw = &x->base->sweep[s];
        used = appendf(caption, sizeof caption, used, " Not drawn (%d lines at most; table.tsv has every point): %s = ",
                       MAX_LINES, config_key_name(sw->key));
        for (int j = blocks; j < nseries; j++)
            used = appendf(caption, sizeof caption, used, "%s%s%s", j > blocks ? ", " : "", sw->values[j],
                           j + 1 == nseries ? "." : "");
    }
    return plot_save(set, PLOT_ACC_VS_LR, &dat, &gp, caption, err, len);
}

/* ---- heatmap of learning rate x hidden ------------------------------------------------------------------- */

/* Cells of the panel of point first: x index (learning rate by value), y index (hidden in sweep order), accuracy
 * mean (%), runs, diverged; *lo and *hi widen to the means drawn. */
static void heat_cells(const points *x, FILE *dat, const int *order, long first, double *lo, double *hi)
{
    const config_sweep *l = &x->base->sweep[x->lr], *h = &x->base->sweep[x->hidden];
    for (int j = 0; j < h->nvalues; j++) {
        for (int a = 0; a < l->nvalues; a++) {
            const point *p = &x->pts[points_with(x, first, x->lr, order[a], x->hidden, j)];
            fprintf(dat, "%d %d %.9g %d %d\n", a, j, p->n ? 100 * p->acc_mean : 0, p->n, p->diverged);
            if (p->n)
                *lo = fmin(*lo, 100 * p->acc_mean), *hi = fmax(*hi, 100 * p->acc_mean);
        }
        fprintf(dat, "\n");
    }
}

/* set xtics ('0.01' 0, '0.1' 1): the values of swept key i in the given order (NULL: list order). */
static void heat_script(const points *x, const char *dir, FILE *gp, const int *order, const long *like, int npanels,
                        double lo, double hi, const char *title)
{
    gnuplot_begin(gp, x->base->name, dir, "heatmap", npanels == 1 ? title : NULL);
    fprintf(gp, "set xlabel 'learning rate'\nset ylabel 'hidden layer sizes (units)'\n"
                "set cblabel 'mean final test accuracy (%%)'\nunset key\nunset grid\n"
                "set palette defined (0 '#ffffcc', 1 '#a1dab4', 2 '#41b6c4')\n");
    if (npanels > 1 && lo <= hi) /* one colour, one accuracy, in every panel (a panel without runs included) */
        fprintf(gp, "set cbrange [%.9g:%.9g]\n", lo < hi ? lo : lo - 1, lo < hi ? hi : hi + 1);
    gnuplot_tics(gp, "x", &x->base->sweep[x->lr], order);
    gnuplot_tics(gp, "y", &x->base->sweep[x->hidden], NULL);
    fprintf(gp, "# a cell's label: its mean, and how many of its runs diverged\n"
                "cell(acc, n, d) = n == 0 ? \"no runs\" : sprintf(\"%%.2f%%%%\", acc) . "
                "(d > 0 ? sprintf(\"\\n%%d of %%d diverged\", d, n) : \"\")\n");
    int cols = gnuplot_grid_cols(npanels);
    gnuplot_loop_size(gp, cols, (npanels + cols - 1) / cols);
    if (npanels > 1) {
        fprintf(gp, "    set multiplot layout %d,%d title ", (npanels + cols - 1) / cols, cols);
        gnuplot_lines(gp, title);
        fprintf(gp, "\n");
    }
    for (int p = 0; p < npanels; p++) {
        if (npanels > 1) {
            char others[400];
            points_others_note(x, x->lr, x->hidden, like[p], others, sizeof others);
            fprintf(gp, "    set title ");
            gnuplot_str(gp, others);
            fprintf(gp, "\n");
        }
        /* a nan in the file would make gnuplot drop the whole row, label included */
        fprintf(gp, "    plot dat index %d using 1:2:($4 > 0 ? $3 : NaN) with image, \\\n"
                    "         dat index %d using 1:2:(cell($3, $4, $5)) with labels font \",%d\"\n",
                p, p, npanels > 1 ? 9 : 12);
    }
    if (npanels > 1)
        fprintf(gp, "    unset multiplot\n");
    gnuplot_end(gp);
}

static int write_heatmap(plot_set *s, const points *x, char *err, size_t len)
{
    int order[CONFIG_MAX_VALUES], npanels;
    long like[SUMMARY_PANELS], total = summary_panels(x, x->lr, x->hidden, like, &npanels);
    double lo = INFINITY, hi = -INFINITY;
    char note[800], title[1200], caption[1200];
    points_numeric_order(x, x->lr, order);
    panels_note(x, x->lr, x->hidden, like, npanels, total, note, sizeof note);
    fileio_text dat, gp;
    if (plot_texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# mean final test accuracy over seeds, one row per cell, a blank line after each hidden size%s\n"
                   "# lr_index hidden_index acc_mean_%% runs diverged (runs = 0: no data, drawn blank)\n",
            npanels > 1 ? ", one block (gnuplot index) per panel" : "");
    for (int p = 0; p < npanels; p++) {
        fprintf(dat.f, "%s", p ? "\n" : "");
        heat_cells(x, dat.f, order, like[p], &lo, &hi);
    }
    snprintf(title, sizeof title, "Mean final test accuracy by learning rate and hidden size%s%s",
             npanels > 1 ? ", a panel per combination of the other swept keys" : "", note);
    heat_script(x, s->dir, gp.f, order, like, npanels, lo, hi, title);
    char seeds[64];
    points_seeds_note(x, seeds, sizeof seeds);
    snprintf(caption, sizeof caption, "Mean final test accuracy over %s for each learning rate and hidden size%s%s.",
             seeds, npanels > 1 ? ", a panel per combination of the other swept keys (one colour scale)" : "", note);
    return plot_save(s, PLOT_HEATMAP, &dat, &gp, caption, err, len);
}

/* ---- time per epoch and throughput ----------------------------------------------------------------------- */

/* "0.01, 16": the swept values of point pt, "all" when nothing is swept. */
static void short_label(const points *x, long pt, char *buf, size_t len)
{
    size_t used = 0;
    snprintf(buf, len, "all");
    for (int i = 0; i < x->nsweep; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", points_shown(x, i, points_value(x, pt, i)));
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
}

static void time_script(const points *x, const char *dir, FILE *gp, long drawn, size_t chars, const char *title)
{
    char keys[600] = "";
    for (int i = 0; i < x->nsweep; i++)
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", i ? ", " : "",
                 config_key_name(x->base->sweep[i].key));
    gnuplot_begin(gp, x->base->name, dir, "time", NULL);
    fprintf(gp, "set style fill solid 0.7 border -1\nset boxwidth 0.6\nset yrange [0:*]\n"
                "set offsets 0, 0, graph 0.08, 0\n"
                "set xrange [-0.6:%ld.6]\nset grid noxtics ytics\nunset key\n", drawn - 1);
    /* more than 24 bars: their labels upright, in an image as wide as they need (they piled up at 60 degrees), up
     * to four plots wide: past about 200 bars they crowd again */
    int upright = chars > 70 && drawn > 24;
    gnuplot_loop_px(gp, upright ? gnuplot_width_for((int)drawn) : 0, upright ? 760 : 0);
    /* both panels' sides at the same place (each would size its own left margin to its tics), and labels that
     * would run into each other at 30 degrees (more than 12 of them) turned to 60 */
    fprintf(gp, "    set multiplot layout 2,1 title ");
    gnuplot_str(gp, title);
    fprintf(gp, "\n    set lmargin at screen 0.15\n    set rmargin at screen 0.97\n"
                "    set xtics 1 format ''\n    set xlabel ''\n"
                "    set ylabel 'seconds per epoch (s)'\n"
                "    plot dat using 1:2 with boxes lc rgb '%s'\n"
                "    set xtics format '%%g'%s\n    set xlabel ",
            plot_colours[0], chars <= 70 ? "" : upright ? " rotate by 90 right" : drawn > 12 ? " rotate by 60 right"
                                                                                : " rotate by 30 right");
    gnuplot_str(gp, *keys ? keys : "");
    /* in thousands or millions with gnuplot's own %g tics: an SI format of fixed precision ("%.0s%c") gave
     * every tic between 2M and 3M the same label */
    double most = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++)
        most = x->pts[pt].n && x->pts[pt].samples_per_s > most ? x->pts[pt].samples_per_s : most;
    double unit = most >= 1e6 ? 1e6 : most >= 1e3 ? 1e3 : 1;
    fprintf(gp, "\n    set ylabel 'throughput (%ssamples/s)'\n"
                "    plot dat using 1:($3 / %g):xtic(5) with boxes lc rgb '%s'\n"
                "    unset multiplot\n    unset lmargin\n    unset rmargin\n",
            unit == 1e6 ? "million " : unit == 1e3 ? "thousand " : "", unit, plot_colours[2]);
    gnuplot_end(gp);
}

static int write_time(plot_set *s, const points *x, char *err, size_t len)
{
    fileio_text dat, gp;
    if (plot_texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# training time per sweep point (seconds per epoch: the mean over its runs; samples per second: "
                   "their samples over their seconds)\n"
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
        gnuplot_dat_str(dat.f, label);
        fprintf(dat.f, "\n");
    }
    if (drawn == 0) {
        fileio_text_drop(&dat);
        fileio_text_drop(&gp);
        return 0;
    }
    time_script(x, s->dir, gp.f, drawn, chars, "Training time per epoch and throughput per sweep point");
    return plot_save(s, PLOT_TIME, &dat, &gp, "Seconds per training epoch (top, the mean over the runs of each sweep "
                     "point) and training throughput in samples per second (bottom, the runs' samples over their "
                     "seconds together).", err, len);
}

/* ---- speedup over threads -------------------------------------------------------------------------------- */

/* 1 when value v of the threads key asked for more threads than its runs ran on (their manifests' openmp_threads):
 * the runner capped it at the cores it had (affinity and Slurm's cpus-per-task included), so its runs ran on as many
 * threads as a smaller value's. */
static int thread_capped(const points *x, int v)
{
    double asked = points_number(x->base->sweep[x->threads].values[v]);
    return x->ran[v] > 0 && asked > x->ran[v];
}

/* Thread count of value v of the threads key: the threads its runs ran on (0 = every core: the runs' count, else the
 * manifest's logical CPUs); NAN when unknown or capped (thread_capped), which the speedup plot leaves out. */
static double thread_count(const points *x, int v)
{
    double t = points_number(x->base->sweep[x->threads].values[v]);
    if (t == 0 && x->ran[v] > 0)
        t = x->ran[v];
    else if (t == 0) {
        char cpus[64];
        points_manifest(x, "logical_cpus", cpus, sizeof cpus);
        t = points_number(cpus);
    }
    return t > 0 && !thread_capped(x, v) ? t : NAN;
}

/* One series: the points equal to pt but for the thread count; rows threads, s/epoch, speedup, ideal,
 * efficiency (%), against the smallest thread count t0 (value index base). 1 if written. */
static int speed_block(const points *x, long pt, int base, const int *order, int block, FILE *dat)
{
    const point *p0 = &x->pts[points_with(x, pt, x->threads, base, -1, 0)];
    double t0 = thread_count(x, base);
    if (p0->n == 0 || !(p0->sec_epoch > 0))
        return 0;
    char label[600];
    points_label(x, pt, x->threads, label, sizeof label);
    fprintf(dat, "%s# index %d: %s\n", block ? "\n\n" : "", block, label);
    for (int a = 0; a < x->base->sweep[x->threads].nvalues; a++) {
        const point *p = &x->pts[points_with(x, pt, x->threads, order[a], -1, 0)];
        double t = thread_count(x, order[a]);
        if (p->n == 0 || !(p->sec_epoch > 0) || isnan(t))
            continue;
        double speedup = p0->sec_epoch / p->sec_epoch, ideal = t / t0;
        fprintf(dat, "%.9g %.9g %.9g %.9g %.9g\n", t, p->sec_epoch, speedup, ideal, 100 * speedup / ideal);
    }
    return 1;
}

/* Value indices of the threads key by thread count (unknown counts last). */
static void thread_order(const points *x, int *order)
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

static void speed_script(const points *x, const char *dir, FILE *gp, const long *series, int blocks, const int *order,
                         const char *title)
{
    int nv = x->base->sweep[x->threads].nvalues;
    double t0 = thread_count(x, order[0]), tmax = t0;
    gnuplot_begin(gp, x->base->name, dir, "speedup", NULL);
    fprintf(gp, "set xlabel 'threads'\nset pointsize 1.2\nset offsets graph 0.03, graph 0.03, graph 0.03, 0\n"
                "set xtics (");
    for (int a = 0; a < nv && !isnan(thread_count(x, order[a])); a++) { /* the thread counts measured */
        tmax = thread_count(x, order[a]);
        fprintf(gp, "%s%g", a ? ", " : "", tmax);
    }
    int log = tmax / t0 >= 8; /* then log-log, where the ideal speedup is a straight line */
    fprintf(gp, ")\n%s", log ? "set logscale x 2\n" : "");
    gnuplot_loop(gp);
    fprintf(gp, "    set multiplot layout 1,2 title ");
    gnuplot_str(gp, title);
    /* the key sits above the ideal line, where only a superlinear speedup could be */
    fprintf(gp, "\n    set key top left box opaque\n    set ylabel 'speedup T(%g thread%s) / T(n threads)%s'\n",
            t0, plural(t0), log ? " (log scale)" : "");
    fprintf(gp, "%s", log ? "    set logscale y 2\n    set yrange [*:*]\n" : "    set yrange [0:*]\n");
    for (int pass = 0; pass < 2; pass++) {
        int k = 0;
        if (pass == 1)
            fprintf(gp, "    unset key\n    unset logscale y\n    set yrange [0:*]\n    set autoscale yfixmax\n"
                        "    set ylabel 'parallel efficiency (%%)'\n");
        for (int b = 0; b < blocks; b++) {
            char label[600];
            points_label(x, series[b], x->threads, label, sizeof label);
            gnuplot_clause(gp, &k);
            fprintf(gp, "dat index %d using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' title ", b, pass ? 5 : 3,
                    plot_colours[b % MAX_LINES]);
            gnuplot_str(gp, x->nsweep > 1 ? label : "measured");
        }
        gnuplot_clause(gp, &k);
        fprintf(gp, "dat index 0 using 1:%s with lines lw 1.5 dt 2 lc 'black' title 'ideal'\n", pass ? "(100)" : "4");
    }
    fprintf(gp, "    unset multiplot\n    set autoscale y\n");
    gnuplot_end(gp);
}

/* Writes the series of speedup.dat: one per combination of the other swept keys, at most MAX_LINES. */
static int speed_blocks(const points *x, FILE *dat, const int *order, long *series, long *total)
{
    int blocks = 0;
    *total = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        if (points_vindex(x, pt, x->threads) != order[0])
            continue;
        (*total)++;
        if (blocks < MAX_LINES && speed_block(x, pt, order[0], order, blocks, dat))
            series[blocks++] = pt;
    }
    return blocks;
}

static int write_speedup(plot_set *s, const points *x, char *err, size_t len)
{
    int order[CONFIG_MAX_VALUES] = {0};
    thread_order(x, order);
    double t0 = thread_count(x, order[0]);
    if (isnan(t0))
        return 0;
    fileio_text dat, gp;
    if (plot_texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# seconds per epoch against the thread count, one block (gnuplot index) per series; speedup\n"
                   "# and ideal are relative to %g thread%s\n"
                   "# threads seconds_per_epoch speedup ideal efficiency_%%\n", t0, plural(t0));
    long series[MAX_LINES], total;
    int blocks = speed_blocks(x, dat.f, order, series, &total);
    if (blocks == 0) {
        fileio_text_drop(&dat);
        fileio_text_drop(&gp);
        return 0;
    }
    char title[400], caption[600];
    snprintf(title, sizeof title, "Speedup and parallel efficiency over %g thread%s (seconds per epoch)%s", t0,
             plural(t0), total > blocks ? ", first series" : "");
    speed_script(x, s->dir, gp.f, series, blocks, order, title);
    size_t used = appendf(caption, sizeof caption, 0, "Speedup T(%g)/T(n) of the seconds per epoch (left) and "
                          "parallel efficiency (right) against the thread count; dashed: ideal.", t0);
    int capped = 0;
    for (int v = 0; v < x->base->sweep[x->threads].nvalues; v++)
        if (thread_capped(x, v))
            used = appendf(caption, sizeof caption, used, "%s%s (ran on %d)", capped++ ? ", " : " Not drawn: threads = ",
                           x->base->sweep[x->threads].values[v], x->ran[v]);
    if (capped)
        appendf(caption, sizeof caption, used, ": more than the cores the runs had, so the runner capped them.");
    return plot_save(s, PLOT_SPEEDUP, &dat, &gp, caption, err, len);
}

/* ---- confusion matrix of the best point ----------------------------------------------------------------- */

enum { CONFUSION_LABELS = 20 }; /* more classes than this: cells without their counts, which would not fit */

/* set xtics/ytics with the class names of cm. */
static void class_tics(FILE *gp, const char *axis, const confusion *cm)
{
    fprintf(gp, "set %stics (", axis);
    for (int k = 0; k < cm->k; k++) {
        fprintf(gp, "%s", k ? ", " : "");
        gnuplot_str(gp, cm->name[k]);
        fprintf(gp, " %d", k);
    }
    /* the first true class on top, as a confusion matrix is read */
    if (*axis == 'y')
        fprintf(gp, ") scale 0\nset yrange [%d.5:-0.5]\n", cm->k - 1);
    else
        fprintf(gp, ") scale 0\nset xrange [-0.5:%d.5]\n", cm->k - 1);
}

static int write_confusion(plot_set *s, const points *x, const confusion *cm, const char *where, char *err,
                           size_t len)
{
    char title[700], caption[800];
    fileio_text dat, gp;
    if (plot_texts_open(&dat, &gp, err, len) < 0)
        return -1;
    fprintf(dat.f, "# test rows by true class (y) and predicted class (x), summed over the seeds of %s\n"
                   "# predicted true count percent_of_true_class (a blank line after each true class)\n", where);
    for (int i = 0; i < cm->k; i++) {
        long row = 0;
        for (int j = 0; j < cm->k; j++)
            row += cm->count[(size_t)i * cm->k + j];
        for (int j = 0; j < cm->k; j++)
            fprintf(dat.f, "%d %d %ld %.9g\n", j, i, cm->count[(size_t)i * cm->k + j],
                    row ? 100.0 * cm->count[(size_t)i * cm->k + j] / row : 0.0);
        fprintf(dat.f, "\n");
    }
    snprintf(title, sizeof title, "Test confusion matrix, summed over seeds, of %s", where);
    gnuplot_begin(gp.f, x->base->name, s->dir, "confusion", title);
    fprintf(gp.f, "set xlabel 'predicted class'\nset ylabel 'true class'\nset cblabel '%% of the true class'\n"
                  "unset key\nunset grid\n"
                  "set palette defined (0 '#ffffff', 1 '#9ecae1', 2 '#08519c')\nset cbrange [0:100]\n");
    class_tics(gp.f, "x", cm);
    class_tics(gp.f, "y", cm);
    gnuplot_loop(gp.f);
    fprintf(gp.f, "    plot dat using 1:2:4 with image%s\n",
            cm->k <= CONFUSION_LABELS ? ", \\\n         dat using 1:2:(sprintf(\"%d\", $3)) with labels" : "");
    gnuplot_end(gp.f);
    snprintf(caption, sizeof caption, "Test rows of each true class (row) by predicted class (column) for %s, "
             "summed over its seeds; the colour is the share of the true class%s.", where,
             cm->k <= CONFUSION_LABELS ? ", the number the count" : "");
    return plot_save(s, PLOT_CONFUSION, &dat, &gp, caption, err, len);
}

/* Removes dir/name.EXT for each of the n extensions. */
static void remove_files(const char *dir, const char *name, const char *const *exts, int n)
{
    for (int e = 0; e < n; e++) {
        char path[FILEIO_PATH];
        if (snprintf(path, sizeof path, "%s/%s.%s", dir, name, exts[e]) < (int)sizeof path)
            unlink(path);
    }
}

int plot_render(const plot_set *s, char *err, size_t len)
{
    char script[FILEIO_PATH], log[FILEIO_PATH];
    for (int i = 0; i < s->n; i++) {
        const char *name = plot_names[s->kind[i]];
        char sums[GNUPLOT_SUMS];
        if (gnuplot_current(s->dir, name, sums))
            continue;
        if (fileio_path(script, sizeof script, err, len, "%s/%s.gp", s->dir, name) < 0 ||
            fileio_path(log, sizeof log, err, len, "%s/%s.log", s->dir, name) < 0)
            return -1;
        gnuplot_unmark(s->dir, name);
        int rc = gnuplot_run(script, log, err, len);
        if (rc != 0) /* a failed script's images may be half-written: the caller removes them (plot_unrender) */
            return rc == 1 ? 1 : -1;
        gnuplot_mark_drawn(s->dir, name, sums);
    }
    return 0;
}

void plot_remove_images(const char *dir, const char *name) { gnuplot_unmark(dir, name); }

void plot_unrender(const plot_set *s)
{
    for (int i = 0; i < s->n; i++)
        plot_remove_images(s->dir, plot_names[s->kind[i]]);
}

/* Removes the files of plots this report does not draw (left by an earlier sweep of the same name). */
static void remove_stale(const plot_set *s)
{
    static const char *const exts[] = {"gp", "dat", "png", "svg", "log", "drawn"};
    for (int k = 0; k < PLOT_KINDS; k++) {
        int drawn = 0;
        for (int i = 0; i < s->n; i++)
            drawn |= s->kind[i] == k;
        if (!drawn)
            remove_files(s->dir, plot_names[k], exts, 6);
    }
}

int plot_write(plot_set *s, const points *x, const confusion *cm, const char *where, const char *dir, char *err,
               size_t len)
{
    s->dir = dir;
    s->n = 0;
    if (fileio_make_dirs(dir, err, len) < 0)
        return -1;
    fileio_remove_temporaries(dir); /* a killed runner's: we hold the experiment's lock */
    if (plot_curves_write(s, x, err, len) < 0)
        return -1;
    if (x->lr >= 0 && write_acc_vs_lr(s, x, err, len) < 0)
        return -1;
    if (x->lr >= 0 && x->hidden >= 0 && write_heatmap(s, x, err, len) < 0)
        return -1;
    if (write_time(s, x, err, len) < 0)
        return -1;
    if (x->threads >= 0 && write_speedup(s, x, err, len) < 0)
        return -1;
    if (cm && write_confusion(s, x, cm, where, err, len) < 0)
        return -1;
    remove_stale(s);
    return 0;
}

const char *plot_name(int kind) { return plot_names[kind]; }
const char *plot_heading(int kind) { return plot_headings[kind]; }
