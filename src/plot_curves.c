/* The curve plots: loss per epoch (or optimizer step, or second of training: report.x_axis), test accuracy (and
 * validation accuracy, dashed, where runs have a validation set) per epoch, and loss against wall-clock seconds; a
 * line per sweep point, the mean over its seeds with a min..max band.
 * When the lines are too many for one legend, small multiples: a panel per value of the panel key
 * (report.panel_key; auto: every swept key but the line key), a panel that would still hold too many split in
 * parts. No point is left out of a .dat: report.points only chooses the lines drawn. */
#include "plot_parts.h"
#include "gnuplot.h"
#include "store.h"
#include "train.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LINES = PLOT_MAX_LINES };

/* One evaluated epoch of a point over the seeds that reached it: sums (then means), minima and maxima. */
typedef struct epoch_agg {
    int n;
    double train[3], test[3], acc[3]; /* mean, min, max; acc in % */
    int nval;                         /* runs with a validation accuracy (a finite val_acc) at this epoch */
    double val[3];                    /* their validation accuracy in %: mean, min, max */
    double step, seconds;             /* optimizer steps (NAN: unknown) and cumulative training seconds (mean) */
} epoch_agg;

typedef struct point_curve {
    epoch_agg *e; /* (cap), epochs without runs have n = 0 */
    int cap, nepochs;
} point_curve;

/* The points drawn, panel by panel. */
typedef struct layout {
    long *order;      /* (ndrawn) plan indices */
    int *start;       /* (npanels + 1) where each panel begins in order */
    int *part;        /* (npanels) 1.. when a panel is one part of a group split for its size, else 0 */
    int *block;       /* (npoints) the .dat block of each point, -1 when it has no runs */
    int ndrawn, npanels, filtered;
} layout;

static void stat_add(double *s, double v, int first)
{
    if (first)
        s[1] = s[2] = v;
    s[0] += v;
    s[1] = fmin(s[1], v), s[2] = fmax(s[2], v);
}

/* Optimizer steps per epoch of a run: its training rows (samples per second x seconds / epochs, as result.tsv
 * holds them) over the rows of a batch; NAN when a batch size is set and the rows are unknown. */
static double steps_per_epoch(const config *c, const tsv_result *r)
{
    double rows = r->epochs_done > 0 ? round(r->samples_per_second * r->seconds / r->epochs_done) : NAN;
    if (c->batch_size == 0)
        return 1;
    if (!(rows > 0 && rows < 2e9))
        return NAN;
    return ceil(rows / train_batch_rows(c, (int)rows));
}

/* Adds one run's curve to pc. 0, or -1 when out of memory. */
static int add_run(point_curve *pc, const config *c, const store_run *run)
{
    const curve *cv = &run->curve;
    double spe = steps_per_epoch(c, &run->result), cum = 0;
    for (int i = 0; i < cv->n; i++) {
        const double *v = cv->v + (size_t)i * CURVE_COLS;
        int e = (int)v[0];
        /* a row's seconds are its own epoch's: with eval_every > 1 the epochs between rows count as long */
        cum += i ? v[5] * (v[0] - v[-CURVE_COLS]) : 0;
        if (e >= pc->cap) {
            int ncap = e + 1 > 2 * pc->cap ? e + 1 : 2 * pc->cap;
            epoch_agg *t = realloc(pc->e, (size_t)ncap * sizeof *t);
            if (!t)
                return -1;
            memset(t + pc->cap, 0, (size_t)(ncap - pc->cap) * sizeof *t);
            pc->e = t, pc->cap = ncap;
        }
        epoch_agg *a = &pc->e[e];
        stat_add(a->train, v[1], !a->n);
        stat_add(a->test, v[2], !a->n);
        stat_add(a->acc, 100 * v[4], !a->n);
        if (isfinite(v[CURVE_VAL_ACC]))
            stat_add(a->val, 100 * v[CURVE_VAL_ACC], !a->nval++);
        a->step = e * spe;
        a->seconds += cum;
        a->n++;
        pc->nepochs = e + 1 > pc->nepochs ? e + 1 : pc->nepochs;
    }
    return 0;
}

/* The curves of every point with committed runs. 0, or -1 with err. */
static int load_curves(const points *x, point_curve *pcs, char *err, size_t len)
{
    char id[SWEEP_ID], why[300];
    for (long pt = 0; pt < x->plan->npoints; pt++)
        for (long r = pt * x->base->nseeds; x->pts[pt].n && r < (pt + 1) * x->base->nseeds; r++) {
            config c;
            long long seed;
            store_run run;
            sweep_run(x->plan, r, &c, &seed, id, sizeof id);
            if (store_read_run(x->results_dir, x->plan, r, &run, why, sizeof why) < 0)
                continue;
            int rc = add_run(&pcs[pt], &c, &run);
            store_run_free(&run);
            if (rc < 0) {
                snprintf(err, len, "%s/runs/%s/curve.dat: out of memory", x->results_dir, id);
                return -1;
            }
        }
    return 0;
}

/* Every point with runs as one block (gnuplot index) of the .dat, in plan order. */
/* The value of dat column col (1, 3, 6, 9, 12, 13, 14: epoch, train, test, test accuracy, step, seconds, validation
 * accuracy means) at epoch e of a point: what write_dat writes there, and what a panel's key avoids. */
static double dat_value(const epoch_agg *a, int e, int col)
{
    switch (col) {
    case 1: return e;
    case 3: return a->train[0] / a->n;
    case 6: return a->test[0] / a->n;
    case 9: return a->acc[0] / a->n;
    case 12: return a->step;
    case 13: return a->seconds / a->n;
    case 14: return a->nval ? a->val[0] / a->nval : NAN;
    case 4: case 5: return a->train[col - 3];
    case 7: case 8: return a->test[col - 6];
    case 10: case 11: return a->acc[col - 9];
    case 15: case 16: return a->nval ? a->val[col - 14] : NAN;
    default: return NAN;
    }
}

static void write_dat(FILE *f, const points *x, const point_curve *pcs, const layout *l)
{
    fprintf(f, "# loss, test and validation accuracy per evaluated epoch over the committed seeds of each point, one\n"
               "# block (gnuplot index) per point with runs; step: optimizer steps (nan: unknown); seconds:\n"
               "# cumulative training seconds, mean over the runs; val_acc: nan without a validation set\n"
               "# epoch runs train_mean train_min train_max test_mean test_min test_max "
               "test_acc_mean_%% test_acc_min_%% test_acc_max_%% step seconds "
               "val_acc_mean_%% val_acc_min_%% val_acc_max_%%\n");
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        char label[600];
        if (l->block[pt] < 0)
            continue;
        points_label(x, pt, -1, label, sizeof label);
        fprintf(f, "%s# index %d: %s\n", l->block[pt] ? "\n\n" : "", l->block[pt], label);
        for (int e = 0; e < pcs[pt].nepochs; e++) {
            const epoch_agg *a = &pcs[pt].e[e];
            if (a->n)
                fprintf(f, "%d %d %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g\n", e, a->n,
                        dat_value(a, e, 3), a->train[1], a->train[2], dat_value(a, e, 6), a->test[1], a->test[2],
                        dat_value(a, e, 9), a->acc[1], a->acc[2], dat_value(a, e, 12), dat_value(a, e, 13),
                        dat_value(a, e, 14), a->nval ? a->val[1] : NAN, a->nval ? a->val[2] : NAN);
        }
    }
}

/* The keys that group the drawn points into panels (grouped[i] = 1): the panel key, or with auto and more lines
 * than fit every swept key but the line key (the learning rate, else the key with the most values). */
static void panel_keys(const points *x, int panel, int ndrawn, int *grouped)
{
    int line = x->lr;
    for (int i = 0; i < x->nsweep; i++) {
        grouped[i] = panel == i;
        if (line < 0 || (x->lr < 0 && x->base->sweep[i].nvalues > x->base->sweep[line].nvalues))
            line = x->lr >= 0 ? x->lr : i;
    }
    for (int i = 0; panel == CONFIG_PANEL_AUTO && ndrawn > MAX_LINES && i < x->nsweep; i++)
        grouped[i] = i != line;
}

/* -1, 0 or 1: the order of points a and b by the value indices of the grouped keys. */
static int group_cmp(const points *x, const int *grouped, long a, long b)
{
    for (int i = 0; i < x->nsweep; i++)
        if (grouped[i] && points_vindex(x, a, i) != points_vindex(x, b, i))
            return points_vindex(x, a, i) < points_vindex(x, b, i) ? -1 : 1;
    return 0;
}

/* Splits the sorted points into panels: one per group, a group of more than MAX_LINES in equal parts (but with
 * panel_key = none). */
static void split_panels(const points *x, layout *l, const int *grouped, int none)
{
    for (int i = 0; i < l->ndrawn;) {
        int g = i + 1;
        while (g < l->ndrawn && group_cmp(x, grouped, l->order[i], l->order[g]) == 0)
            g++;
        int parts = none ? 1 : (g - i + MAX_LINES - 1) / MAX_LINES;
        for (int p = 0; p < parts; p++) {
            l->part[l->npanels] = parts > 1 ? p + 1 : 0;
            l->start[l->npanels++] = i + (int)((long)(g - i) * p / parts);
        }
        i = g;
    }
    l->start[l->npanels] = l->ndrawn;
}

/* The points drawn (report.points) in panels (report.panel_key). 0, or -1 with err. */
static int layout_make(const points *x, layout *l, char *err, size_t len)
{
    long np = x->plan->npoints;
    int fpos, panel, grouped[CONFIG_MAX_SWEEP] = {0}, blocks = 0;
    char chosen[CONFIG_MAX_VALUES];
    *l = (layout){0};
    if (config_report_points(x->base, &fpos, chosen, err, len) < 0 ||
        config_report_panel(x->base, &panel, err, len) < 0)
        return -1;
    l->order = malloc((size_t)np * sizeof *l->order);
    l->start = malloc((size_t)(np + 1) * sizeof *l->start);
    l->part = malloc((size_t)(np + 1) * sizeof *l->part);
    l->block = malloc((size_t)np * sizeof *l->block);
    if (!l->order || !l->start || !l->part || !l->block) {
        snprintf(err, len, "out of memory for %ld sweep points", np);
        return -1;
    }
    for (long pt = 0; pt < np; pt++) {
        l->block[pt] = x->pts[pt].n ? blocks++ : -1;
        if (x->pts[pt].n && (fpos < 0 || chosen[points_vindex(x, pt, fpos)]))
            l->order[l->ndrawn++] = pt;
        l->filtered += x->pts[pt].n && fpos >= 0 && !chosen[points_vindex(x, pt, fpos)];
    }
    panel_keys(x, panel, l->ndrawn, grouped);
    for (int i = 1; i < l->ndrawn; i++) /* stable: plan order within a panel */
        for (int j = i; j > 0 && group_cmp(x, grouped, l->order[j - 1], l->order[j]) > 0; j--) {
            long t = l->order[j];
            l->order[j] = l->order[j - 1], l->order[j - 1] = t;
        }
    split_panels(x, l, grouped, panel == CONFIG_PANEL_NONE);
    return 0;
}

static void layout_free(layout *l)
{
    free(l->order);
    free(l->start);
    free(l->part);
    free(l->block);
}

/* "k=v, k=v" of the swept keys that are the same across panel p (same = 1) or that vary in it (same = 0). */
static void panel_label(const points *x, const layout *l, int p, long pt, int same, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < x->nsweep && used < len; i++) {
        int constant = 1;
        for (int j = l->start[p]; j < l->start[p + 1]; j++)
            constant &= points_vindex(x, l->order[j], i) == points_vindex(x, pt, i);
        if (constant == same)
            used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", used ? ", " : "",
                                     config_key_name(x->base->sweep[i].key),
                                     points_shown(x, i, points_value(x, pt, i)));
    }
}

/* What one curve plot draws: its kind, x column and label, y label, and the .dat columns of its lines. */
typedef struct curve_spec {
    int kind, xcol, logy, bands;
    const char *what, *xlabel, *ylabel, *key;
    int ycol[2], lo[2];  /* mean column, then min (max follows), of the solid and the dashed line (0: none) */
    const char *solid, *dashed; /* what the two lines are, with a dashed one: "test", "train" */
} curve_spec;

static void draw_panel(FILE *gp, const points *x, const layout *l, const curve_spec *c, int p, int single)
{
    char label[600];
    int k = 0;
    if (!single) {
        panel_label(x, l, p, l->order[l->start[p]], 1, label, sizeof label);
        if (l->part[p])
            snprintf(label + strlen(label), sizeof label - strlen(label), "%spart %d", *label ? ", " : "", l->part[p]);
        fprintf(gp, "    set title ");
        gnuplot_str(gp, label);
        fprintf(gp, "\n");
    }
    if (single && c->ycol[1]) {
        gnuplot_clause(gp, &k);
        fprintf(gp, "keyentry with lines lw 2 lc 'black' title '%s (solid)'", c->solid);
        gnuplot_clause(gp, &k);
        fprintf(gp, "keyentry with lines lw 2 dt 2 lc 'black' title '%s (dashed)'", c->dashed);
    }
    for (int j = l->start[p]; j < l->start[p + 1]; j++) {
        long pt = l->order[j];
        const char *col = plot_colours[(j - l->start[p]) % MAX_LINES];
        panel_label(x, l, p, pt, 0, label, sizeof label);
        for (int s = 0; s < 2 && c->bands; s++)
            if (c->lo[s]) {
                gnuplot_clause(gp, &k);
                fprintf(gp, "dat index %d using %d:%d:%d with filledcurves lc rgb '%s' notitle", l->block[pt],
                        c->xcol, c->lo[s], c->lo[s] + 1, col);
            }
        for (int s = 0; s < 2; s++)
            if (c->ycol[s]) {
                gnuplot_clause(gp, &k);
                fprintf(gp, "dat index %d using %d:%d with lines lw 2%s lc rgb '%s' ", l->block[pt], c->xcol,
                        c->ycol[s], s ? " dt 2" : "", col);
                if (s)
                    fprintf(gp, "notitle");
                else {
                    fprintf(gp, "title ");
                    gnuplot_str(gp, *label ? label : "mean over seeds");
                }
            }
    }
    fprintf(gp, "\n");
}

/* Where a key may go inside a panel, in the order preferred on a tie after the spec's own corner. */
static const char *const key_places[] = {"top right", "bottom right", "top left", "bottom left", "right center",
                                         "left center"};
enum { KEY_PLACES = sizeof key_places / sizeof *key_places };

const char *plot_key_place(const double (*at)[2], long n, int bottom)
{
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    long hits[KEY_PLACES] = {0};
    for (long i = 0; i < n; i++)
        for (int d = 0; d < 2; d++)
            lo[d] = fmin(lo[d], at[i][d]), hi[d] = fmax(hi[d], at[i][d]);
    for (long i = 0; i < n && hi[0] > lo[0] && hi[1] > lo[1]; i++) {
        /* a place's region: half the x range (a key's width with these labels) by the top or bottom 35 % of the y
         * range, or its middle 40 % */
        double fx = (at[i][0] - lo[0]) / (hi[0] - lo[0]), fy = (at[i][1] - lo[1]) / (hi[1] - lo[1]);
        int right = fx >= 0.5, left = fx <= 0.5, top = fy >= 0.65, low = fy <= 0.35, centre = fy > 0.3 && fy < 0.7;
        int in[KEY_PLACES] = {top && right, low && right, top && left, low && left, centre && right, centre && left};
        for (int k = 0; k < KEY_PLACES; k++)
            hits[k] += in[k];
    }
    int best = bottom ? 1 : 0; /* the spec's corner first, so it wins a tie */
    for (int k = 0; k < KEY_PLACES; k++)
        best = hits[k] < hits[best] ? k : best;
    return key_places[best];
}

/* Where panel p's key goes: plot_key_place of its lines' plotted values (log10 on a log axis; those that are not
 * finite left out). */
static const char *key_place(const point_curve *pcs, const layout *l, int p, const curve_spec *c)
{
    long n = 0, cap = 0;
    double(*at)[2] = NULL;
    for (int j = l->start[p]; j < l->start[p + 1]; j++)
        cap += 2L * pcs[l->order[j]].nepochs;
    if (cap > 0 && !(at = malloc((size_t)cap * sizeof *at)))
        cap = 0; /* out of memory: the spec's corner */
    for (int j = l->start[p]; j < l->start[p + 1] && at; j++) {
        const point_curve *pc = &pcs[l->order[j]];
        for (int e = 0; e < pc->nepochs; e++)
            for (int s = 0; s < 2 && pc->e[e].n && c->ycol[s]; s++) {
                double x = dat_value(&pc->e[e], e, c->xcol), y = dat_value(&pc->e[e], e, c->ycol[s]);
                y = c->logy ? (y > 0 ? log10(y) : NAN) : y;
                if (isfinite(x) && isfinite(y))
                    at[n][0] = x, at[n][1] = y, n++;
            }
    }
    const char *place = plot_key_place((const double(*)[2])at, n, strcmp(c->key, "top") != 0);
    free(at);
    return place;
}

/* 1 when every panel draws the same lines (as many, with the same labels in the same order): then one key serves
 * them all, in a cell of its own, instead of a key over each panel's data. */
static int same_lines(const points *x, const layout *l)
{
    char a[600], b[600];
    int n = l->start[1] - l->start[0];
    for (int p = 1; p < l->npanels; p++) {
        if (l->start[p + 1] - l->start[p] != n)
            return 0;
        for (int j = 0; j < n; j++) {
            panel_label(x, l, 0, l->order[l->start[0] + j], 0, a, sizeof a);
            panel_label(x, l, p, l->order[l->start[p] + j], 0, b, sizeof b);
            if (strcmp(a, b) != 0)
                return 0;
        }
    }
    return 1;
}

/* The y range every panel shares, so that one height means one value across them: the drawn lines' and bands'
 * extremes (positive ones on a log axis), widened to whole decades (log) or to a round step of about a tenth of
 * the span, as gnuplot's own autoscale would widen each panel's. 1 with lo and hi, 0 when nothing is finite. */
static int shared_yrange(const point_curve *pcs, const layout *l, const curve_spec *c, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (int j = 0; j < l->ndrawn; j++) {
        const point_curve *pc = &pcs[l->order[j]];
        for (int e = 0; e < pc->nepochs; e++)
            for (int s = 0; s < 2 && pc->e[e].n; s++) {
                int cols[3] = {c->ycol[s], c->bands ? c->lo[s] : 0, c->bands && c->lo[s] ? c->lo[s] + 1 : 0};
                for (int k = 0; k < 3; k++) {
                    double y = cols[k] ? dat_value(&pc->e[e], e, cols[k]) : NAN;
                    if (isfinite(y) && (!c->logy || y > 0))
                        *lo = fmin(*lo, y), *hi = fmax(*hi, y);
                }
            }
    }
    if (!(*lo <= *hi))
        return 0;
    if (c->logy) {
        *lo = pow(10, floor(log10(*lo))), *hi = pow(10, ceil(log10(*hi)));
        *hi = *hi > *lo ? *hi : *lo * 10;
        return 1;
    }
    double span = *hi - *lo > 0 ? *hi - *lo : fmax(fabs(*hi), 1), step = pow(10, floor(log10(span)));
    step = span / step > 5 ? step : span / step > 2 ? step / 2 : step / 5;
    *lo = floor(*lo / step) * step, *hi = ceil(*hi / step) * step;
    *hi = *hi > *lo ? *hi : *lo + step;
    return 1;
}

/* A cell with the key of lines that every panel draws (panel 0's), and what the dashed ones are. */
static void key_cell(FILE *gp, const points *x, const layout *l, const curve_spec *c)
{
    char label[600];
    int k;
    gnuplot_key_cell(gp, &k);
    if (c->ycol[1]) {
        gnuplot_clause(gp, &k);
        fprintf(gp, "keyentry with lines lw 2 lc 'black' title '%s (solid)'", c->solid);
        gnuplot_clause(gp, &k);
        fprintf(gp, "keyentry with lines lw 2 dt 2 lc 'black' title '%s (dashed)'", c->dashed);
    }
    for (int j = l->start[0]; j < l->start[1]; j++) {
        panel_label(x, l, 0, l->order[j], 0, label, sizeof label);
        gnuplot_clause(gp, &k);
        fprintf(gp, "keyentry with lines lw 2 lc rgb '%s' title ", plot_colours[(j - l->start[0]) % MAX_LINES]);
        gnuplot_str(gp, *label ? label : "mean over seeds");
    }
    fprintf(gp, "\n");
}

static void curve_script(FILE *gp, const points *x, const layout *l, const point_curve *pcs, const curve_spec *c,
                         const char *dir, const char *title, int epochs)
{
    int single = l->npanels == 1, shared = !single && same_lines(x, l), cells = l->npanels + shared;
    int cols = gnuplot_grid_cols(cells);
    double lo, hi;
    int ranged = !single && shared_yrange(pcs, l, c, &lo, &hi);
    gnuplot_begin(gp, x->base->name, dir, plot_name(c->kind), single ? title : NULL);
    /* the axes' settings, again in each format's pass when the key cell has changed them in the one before */
    char axes[400];
    snprintf(axes, sizeof axes, "set xlabel '%s'\nset ylabel '%s'\n%s%s", c->xlabel, c->ylabel,
             c->logy ? "set logscale y\n" : "", c->xcol == 1 && epochs <= 10 ? "set xtics 1\n" : ""); /* whole epochs */
    fprintf(gp, "%s", axes);
    if (ranged)
        fprintf(gp, "set yrange [%.6g:%.6g]\n", lo, hi);
    fprintf(gp, "set style fill transparent solid 0.12 noborder\n");
    if (single) {
        size_t maxlen = strlen("train (dashed)"), dashed = c->ycol[1] ? strlen(c->dashed) + strlen(" (dashed)") : 0;
        maxlen = dashed > maxlen ? dashed : maxlen;
        char label[600];
        for (int j = 0; j < l->ndrawn; j++) {
            panel_label(x, l, 0, l->order[j], 0, label, sizeof label);
            maxlen = strlen(label) > maxlen ? strlen(label) : maxlen;
        }
        gnuplot_key_below(gp, l->ndrawn + (c->ycol[1] ? 2 : 0), maxlen);
    } else if (shared)
        fprintf(gp, "unset key\n");
    else
        fprintf(gp, "set key font ',9' samplen 2 spacing 0.9 box\n");
    gnuplot_loop_size(gp, single ? 1 : cols, single ? 1 : (cells + cols - 1) / cols);
    if (shared) {
        gnuplot_key_cell_undo(gp, axes);
        fprintf(gp, "    set autoscale x\n");
        if (ranged)
            fprintf(gp, "    set yrange [%.6g:%.6g]\n", lo, hi);
    }
    if (!single) {
        fprintf(gp, "    set multiplot layout %d,%d title ", (cells + cols - 1) / cols, cols);
        gnuplot_lines(gp, title);
        fprintf(gp, "\n");
    }
    for (int p = 0; p < l->npanels; p++) {
        if (!single && !shared)
            fprintf(gp, "    set key %s\n", key_place(pcs, l, p, c));
        draw_panel(gp, x, l, c, p, single);
    }
    if (shared)
        key_cell(gp, x, l, c);
    if (!single)
        fprintf(gp, "    unset multiplot\n");
    gnuplot_end(gp);
}

/* Writes one curve plot: the .dat of every point, the script drawing the layout's. */
static int write_one(plot_set *s, const points *x, const point_curve *pcs, const layout *l, const curve_spec *spec,
                     char *err, size_t len)
{
    char title[1200], caption[1600], note[700] = "", lines[200] = "";
    int epochs = 0, diverged = 0, val = 0;
    for (int j = 0; j < l->ndrawn; j++) {
        const point_curve *pc = &pcs[l->order[j]];
        epochs = pc->nepochs - 1 > epochs ? pc->nepochs - 1 : epochs;
        diverged |= x->pts[l->order[j]].diverged > 0;
        for (int e = 0; e < pc->nepochs; e++)
            val |= pc->e[e].nval > 0;
    }
    /* the accuracy plot's dashed line is the validation accuracy: none when no drawn run has a validation set */
    curve_spec cs = *spec;
    const curve_spec *c = &cs;
    if (cs.kind == PLOT_ACC && !val) {
        cs.ycol[1] = cs.lo[1] = 0;
        cs.what = "Test accuracy", cs.ylabel = "test accuracy (%)";
    }
    if (cs.ycol[1])
        snprintf(lines, sizeof lines, "; solid: %s, dashed: %s", cs.solid, cs.dashed);
    if (l->filtered)
        snprintf(note, sizeof note, " (%d of %d points as report.points = %s chooses)", l->ndrawn,
                 l->ndrawn + l->filtered, x->base->report_points);
    /* the title's note on a line of its own: on one line with the rest it ran past the image's sides */
    char title_note[sizeof note];
    snprintf(title_note, sizeof title_note, "%s%s", *note ? "\n" : "", *note ? note + 1 : "");
    fileio_text dat, gp;
    if (plot_texts_open(&dat, &gp, err, len) < 0)
        return -1;
    write_dat(dat.f, x, pcs, l);
    char seeds[64];
    points_seeds_note(x, seeds, sizeof seeds);
    snprintf(title, sizeof title, "%s against %s: mean over %s%s%s%s", c->what, c->xlabel, seeds,
             c->bands ? ", band = min..max" : "", l->npanels > 1 ? lines : "", title_note);
    curve_script(gp.f, x, l, pcs, c, s->dir, title, epochs);
    snprintf(caption, sizeof caption, "%s against %s, mean over %s%s, every point drawn%s%s.%s",
             !c->ycol[1]          ? c->what
             : c->kind == PLOT_ACC ? "Test (solid) and validation (dashed) accuracy,"
                                   : "Train (dashed) and test (solid) loss per sample, log scale,",
             c->xlabel, seeds, c->bands ? " with a min..max band" : "", l->npanels > 1 ? " in small multiples" : "",
             note,
             diverged ? " A diverged run stops early: later epochs average the runs that reached them." : "");
    return plot_save(s, c->kind, &dat, &gp, caption, err, len);
}

int plot_curves_write(plot_set *s, const points *x, char *err, size_t len)
{
    static const int xcols[] = {[X_EPOCH] = 1, [X_STEP] = 12, [X_SECONDS] = 13};
    static const char *const xlabels[] = {[X_EPOCH] = "epoch", [X_STEP] = "optimizer steps",
                                          [X_SECONDS] = "training time (s)"};
    int xa = x->base->report_x_axis, rc = 0;
    const curve_spec specs[] = {
        {PLOT_LOSS, xcols[xa], 1, 1, "Loss", xlabels[xa],
         "loss per sample (nats, log scale)", "top", {6, 3}, {7, 4}, "test", "train"},
        {PLOT_ACC, xcols[xa], 0, 1, "Accuracy", xlabels[xa], "accuracy (%)", "bottom", {9, 14}, {10, 15}, "test",
         "validation"},
        {PLOT_LOSS_TIME, 13, 1, 0, "Loss", xlabels[X_SECONDS], "loss per sample (nats, log scale)", "top", {6, 3},
         {0, 0}, "test", "train"}};
    layout l;
    point_curve *pcs = calloc((size_t)x->plan->npoints, sizeof *pcs);
    if (!pcs) {
        snprintf(err, len, "out of memory for %ld sweep points", x->plan->npoints);
        return -1;
    }
    rc = layout_make(x, &l, err, len) < 0 || load_curves(x, pcs, err, len) < 0 ? -1 : 0;
    for (size_t k = 0; k < sizeof specs / sizeof *specs && rc == 0 && l.ndrawn; k++)
        rc = write_one(s, x, pcs, &l, &specs[k], err, len);
    for (long pt = 0; pt < x->plan->npoints; pt++)
        free(pcs[pt].e);
    free(pcs);
    layout_free(&l);
    return rc;
}
