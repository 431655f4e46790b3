/* The study: table.tsv's target columns by sweep point, the best learning rate of each batch size, the S/E fit,
 * and its section and plots. Only points whose other swept keys have their first values take part (as the
 * report's other plots), so a sweep of batch, learning rate and more keeps one slice. */
#include "study.h"
#include "appendf.h"
#include "fileio.h"
#include "gnuplot.h"
#include "plot.h"
#include "plural.h"
#include "stats.h"
#include "tsv.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the analysis ---------------------------------------------------------------------------------------- */

int study_best_lr(const double *lr, const double *steps, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (!isnan(steps[i]) && (best < 0 || steps[i] < steps[best] || (steps[i] == steps[best] && lr[i] < lr[best])))
            best = i;
    return best;
}

/* Sum of squared log residuals of (a, b) = (log S_min, log E_min); J^T J and J^T r into jj and jr when not NULL. */
static double residuals(const double *B, const double *S, int n, double a, double b, double jj[3], double jr[2])
{
    double rss = 0;
    if (jj)
        jj[0] = jj[1] = jj[2] = jr[0] = jr[1] = 0;
    for (int i = 0; i < n; i++) {
        double p = exp(a), q = exp(b) / B[i], m = p + q, r = log(S[i]) - log(m);
        double ja = p / m, jb = q / m;
        rss += r * r;
        if (jj) {
            jj[0] += ja * ja, jj[1] += ja * jb, jj[2] += jb * jb;
            jr[0] += ja * r, jr[1] += jb * r;
        }
    }
    return rss;
}

/* The start: S = s + e u (u = 1 / B) by least squares weighted by 1 / S^2 (relative errors, as in log space);
 * where it gives a parameter that is not positive, half the smallest S and half the smallest B S. */
static void first_guess(const double *B, const double *S, int n, double *s, double *e)
{
    double w0 = 0, w1 = 0, w2 = 0, y0 = 0, y1 = 0, smin = S[0], emin = B[0] * S[0];
    for (int i = 0; i < n; i++) {
        double w = 1 / (S[i] * S[i]), u = 1 / B[i];
        w0 += w, w1 += w * u, w2 += w * u * u, y0 += w * S[i], y1 += w * u * S[i];
        smin = fmin(smin, S[i]);
        emin = fmin(emin, B[i] * S[i]);
    }
    double det = w0 * w2 - w1 * w1;
    *s = det != 0 ? (w2 * y0 - w1 * y1) / det : 0;
    *e = det != 0 ? (w0 * y1 - w1 * y0) / det : 0;
    if (!(*s > 0))
        *s = smin / 2;
    if (!(*e > 0))
        *e = emin / 2;
}

int study_fit_steps(const double *B, const double *S, int n, study_fit *f)
{
    double s, e, jj[3], jr[2];
    memset(f, 0, sizeof *f);
    f->n = n;
    if (n < 2)
        return -1;
    first_guess(B, S, n, &s, &e);
    double a = log(s), b = log(e), rss = residuals(B, S, n, a, b, jj, jr);
    for (int it = 0; it < 200 && rss > 0; it++) {
        double det = jj[0] * jj[2] - jj[1] * jj[1];
        if (!(det > 0))
            break;
        double da = (jj[2] * jr[0] - jj[1] * jr[1]) / det, db = (jj[0] * jr[1] - jj[1] * jr[0]) / det, t = 1;
        double next = residuals(B, S, n, a + da, b + db, NULL, NULL);
        while (!(next < rss) && t > 1e-6) { /* halve the step until the residual falls */
            t /= 2;
            next = residuals(B, S, n, a + t * da, b + t * db, NULL, NULL);
        }
        if (!(next < rss))
            break;
        a += t * da, b += t * db;
        double before = rss;
        rss = residuals(B, S, n, a, b, jj, jr);
        if (before - rss < 1e-15 * before)
            break;
    }
    residuals(B, S, n, a, b, jj, jr);
    f->s_min = exp(a);
    f->e_min = exp(b);
    f->b_crit = f->e_min / f->s_min;
    f->rms = sqrt(rss / n);
    f->s_err = f->e_err = f->b_err = NAN;
    double det = jj[0] * jj[2] - jj[1] * jj[1];
    if (n > 2 && det > 0) {
        /* covariance of (a, b): sigma^2 (J^T J)^-1, sigma^2 from the residuals with n - 2 degrees of freedom */
        double s2 = rss / (n - 2), vaa = s2 * jj[2] / det, vbb = s2 * jj[0] / det, vab = -s2 * jj[1] / det;
        f->s_err = exp(sqrt(vaa));
        f->e_err = exp(sqrt(vbb));
        f->b_err = exp(sqrt(fmax(0, vaa + vbb - 2 * vab)));
    }
    return isfinite(f->s_min) && isfinite(f->e_min) && f->s_min > 0 ? 0 : -1;
}

/* ---- reading the experiment ------------------------------------------------------------------------------ */

/* table.tsv's target columns of every point (NAN where it has no row). */
static const char *const col_names[STUDY_COLS] = {"steps_to_target_median", "steps_to_target_min", "steps_to_target_max",
                                             "examples_to_target_median", "epochs_to_target_median",
                                             "seconds_to_target_median", "b_simple_median", "reached", "n"};

/* v (npoints, STUDY_COLS) from x's table.tsv. 0, or -1 with err. */
static int read_targets(const points *x, double *v, char *err, size_t len)
{
    char path[FILEIO_PATH];
    tsv t;
    int col[STUDY_COLS], id = -1, rc = fileio_path(path, sizeof path, err, len, "%s/table.tsv", x->results_dir);
    for (long i = 0; i < x->plan->npoints * STUDY_COLS; i++)
        v[i] = NAN;
    if (rc < 0 || tsv_load(&t, path, err, len) < 0 || (id = tsv_col(&t, "point_id", err, len)) < 0) {
        if (rc == 0)
            tsv_free(&t);
        return -1;
    }
    for (int c = 0; c < STUDY_COLS && rc == 0; c++)
        rc = (col[c] = tsv_col(&t, col_names[c], err, len)) < 0 ? -1 : 0;
    for (int r = 0; r < t.nrows && rc == 0; r++) {
        long pt = 0;
        while (pt < x->plan->npoints && strcmp(x->pts[pt].id, tsv_cell(&t, r, id)))
            pt++;
        for (int c = 0; c < STUDY_COLS && pt < x->plan->npoints && rc == 0; c++)
            if (*tsv_cell(&t, r, col[c])) /* empty: not reached */
                rc = tsv_num(&t, r, col[c], &v[pt * STUDY_COLS + c], err, len);
    }
    tsv_free(&t);
    return rc;
}

/* The swept key's position in [sweep], or -1. */
static int swept(const points *x, const char *dotted)
{
    for (int i = 0; i < x->nsweep; i++)
        if (x->base->sweep[i].key == config_find(dotted))
            return i;
    return -1;
}

/* For each value of swept key by (numeric order), the point with the best learning rate among those whose other
 * keys have their first values: rows (one per value that reached the target at some learning rate, that is, more
 * than half its seeds did: the median). The number of rows. A batch size of 0 (the whole training set) is read from
 * its steps: examples / steps, exact for medians of whole batches; when it equals a batch size of the list, one row
 * stands for both. miss (NULL: not wanted), by value index: why a value has no row. */
static int best_rows(const points *x, const double *v, int by, study_row *rows, study_miss *miss)
{
    const config_sweep *s = &x->base->sweep[by];
    int order[CONFIG_MAX_VALUES], nrows = 0, batch = by == swept(x, "train.batch_size");
    study_miss none[CONFIG_MAX_VALUES];
    if (!miss)
        miss = none;
    points_numeric_order(x, by, order);
    for (int a = 0; a < s->nvalues; a++) {
        double lr[CONFIG_MAX_VALUES], steps[CONFIG_MAX_VALUES];
        long pts[CONFIG_MAX_VALUES];
        int n = 0;
        study_miss *m = &miss[order[a]];
        *m = (study_miss){STUDY_KEPT, 0, 0, NAN, -1};
        for (long pt = 0; pt < x->plan->npoints; pt++)
            if (points_vindex(x, pt, by) == order[a] && points_others_first(x, pt, by, x->lr) && n < CONFIG_MAX_VALUES) {
                const double *pv = v + pt * STUDY_COLS;
                lr[n] = points_number(points_value(x, pt, x->lr));
                steps[n] = pv[STUDY_STEPS];
                pts[n++] = pt;
                if (isnan(m->lr) || pv[STUDY_REACHED] > m->reached || (pv[STUDY_REACHED] == m->reached && lr[n - 1] < m->lr))
                    m->reached = pv[STUDY_REACHED], m->seeds = pv[STUDY_N], m->lr = lr[n - 1];
            }
        int b = study_best_lr(lr, steps, n);
        if (b < 0) {
            m->why = STUDY_NOT_REACHED;
            continue;
        }
        study_row *r = &rows[nrows++];
        memcpy(r->v, v + pts[b] * STUDY_COLS, sizeof r->v);
        r->lr = lr[b];
        r->value = order[a];
        r->batch = points_number(s->values[order[a]]);
        if (batch && !(r->batch > 0) && r->v[STUDY_STEPS] > 0)
            r->batch = round(r->v[STUDY_EXAMPLES] / r->v[STUDY_STEPS]);
        if (!(r->batch > 0) || !(r->lr > 0)) { /* not a number for a log axis ("16-8" layers): left out */
            m->why = STUDY_NOT_A_NUMBER;
            nrows--;
            continue;
        }
        int j = nrows - 1;
        for (; j > 0 && rows[j - 1].batch > rows[j].batch; j--) {
            study_row t = rows[j];
            rows[j] = rows[j - 1];
            rows[j - 1] = t;
        }
        if (batch && j > 0 && rows[j - 1].batch == rows[j].batch) { /* 0 and the training rows: keep the number */
            int drop = points_number(s->values[rows[j].value]) > 0 ? j - 1 : j, keep = drop == j ? j - 1 : j;
            miss[rows[drop].value] = (study_miss){STUDY_SAME_BATCH, 0, 0, NAN, rows[keep].value};
            memmove(&rows[drop], &rows[drop + 1], (size_t)(nrows - drop - 1) * sizeof *rows);
            nrows--;
        }
    }
    return nrows;
}

/* ---- plots ----------------------------------------------------------------------------------------------- */

static const char *const plot_names[STUDY_PLOTS] = {"study_steps", "study_time", "study_lr", "study_lr_width"};
static const char *const plot_titles[STUDY_PLOTS] = {
    "Steps to the target against batch size", "Time to the target against batch size",
    "Learning rate chosen per batch size", "Best learning rate against width"};
static const char *const plot_captions[STUDY_PLOTS] = {
    "Steps to the target against batch size (log-log), each batch size at its learning rate with the fewest median "
    "steps (labels; ties to the smaller), bars from the fastest to the slowest seed; the grey line is perfect scaling "
    "through the smallest batch, the red curve and dashed line the fit and its B_crit, the blue dotted line the "
    "measured B_simple.",
    "Training time to the target on this machine (evaluations excluded).",
    "The learning rate at which each batch size reached the target in the fewest median steps (the table's best "
    "learning rate), against batch size.",
    "The learning rate at which each width reached the target in the fewest median steps, against the width (the "
    "other swept keys at their first values)."};

const char *study_plot_name(int k) { return plot_names[k]; }
const char *study_plot_title(int k) { return plot_titles[k]; }
const char *study_plot_caption(int k) { return plot_captions[k]; }

int study_has_plot(const study *st, int k) { return k == STUDY_PLOT_LR_WIDTH ? st->nwidth > 0 : st->n > 0; }

static void remove_study_files(const char *dir)
{
    static const char *const exts[] = {"gp", "dat", "png", "svg", "log"};
    char path[FILEIO_PATH], err[200];
    for (int i = 0; i < STUDY_PLOTS; i++)
        for (int e = 0; e < 5; e++)
            if (fileio_path(path, sizeof path, err, sizeof err, "%s/%s.%s", dir, plot_names[i], exts[e]) == 0)
                unlink(path);
}

void study_unrender(const char *plots_dir)
{
    for (int i = 0; i < STUDY_PLOTS; i++)
        plot_remove_images(plots_dir, plot_names[i]);
}

/* Writes dir/name.dat (rows: batch lr steps lo hi examples seconds b_simple reached n) and dir/name.gp, whose
 * plot commands come from draw (given the open script). 0, or -1 with err. */
static int write_plot(const points *x, const char *dir, const char *name, const study_row *rows, int n, const char *title,
                      void (*draw)(FILE *, const void *), const void *arg, char *err, size_t len)
{
    char path[FILEIO_PATH];
    fileio_text dat, gp;
    if (fileio_text_open(&dat, err, len) < 0)
        return -1;
    fprintf(dat.f, "# %s: x lr steps_median steps_min steps_max examples_median seconds_median b_simple_median "
                   "reached n\n", name);
    for (int i = 0; i < n; i++) {
        const double *v = rows[i].v;
        fprintf(dat.f, "%.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.0f %.0f\n", rows[i].batch, rows[i].lr, v[STUDY_STEPS],
                isnan(v[STUDY_LO]) ? v[STUDY_STEPS] : v[STUDY_LO], isnan(v[STUDY_HI]) ? v[STUDY_STEPS] : v[STUDY_HI], v[STUDY_EXAMPLES],
                v[STUDY_SECONDS], fabs(v[STUDY_BSIMPLE]), v[STUDY_REACHED], v[STUDY_N]);
    }
    if (fileio_path(path, sizeof path, err, len, "%s/%s.dat", dir, name) < 0 ||
        fileio_text_save(&dat, path, err, len) < 0 || fileio_text_open(&gp, err, len) < 0)
        return -1;
    gnuplot_begin(gp.f, x->base->name, dir, name, title);
    double lo = rows[0].batch, hi = rows[n - 1].batch; /* rows by rising x */
    fprintf(gp.f, "set logscale xy\nset format x '%%g'\nset format y '%%g'\nset xrange [%.9g:%.9g]\n"
                  "set offsets 0, 0, graph 0.1, graph 0.1\nset key top right box\n", lo / 1.5, hi * 1.5);
    draw(gp.f, arg);
    if (fileio_path(path, sizeof path, err, len, "%s/%s.gp", dir, name) < 0)
        return -1;
    return fileio_text_save(&gp, path, err, len);
}

/* What the steps plot draws beside the points. */
typedef struct steps_marks {
    const study_row *first;       /* the smallest batch: the perfect-scaling line goes through it */
    const study_fit *fit;   /* NULL: no fit */
    double b_simple;        /* NAN: not measured */
    double s_lo, s_hi;      /* the fewest and most steps of the points: the y range around them */
} steps_marks;

static void draw_steps(FILE *f, const void *arg)
{
    const steps_marks *m = arg;
    fprintf(f, "set xlabel 'batch size (rows per step)'\nset ylabel 'steps to the target (median over seeds)'\n"
               "set yrange [%.9g:%.9g]\n", m->s_lo / 4, m->s_hi * 4);
    if (m->fit)
        fprintf(f, "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lw 2 lc rgb '#d62728'\n",
                m->fit->b_crit, m->fit->b_crit);
    if (!isnan(m->b_simple))
        fprintf(f, "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead dt 3 lw 2 lc rgb '#1f77b4'\n", m->b_simple,
                m->b_simple);
    gnuplot_loop(f);
    int k = 0;
    gnuplot_clause(f, &k);
    fprintf(f, "dat using 1:3:4:5 with yerrorlines lw 2 pt 7 lc rgb 'black' title 'best learning rate per batch'");
    gnuplot_clause(f, &k);
    fprintf(f, "dat using 1:3:(sprintf('%%g', $2)) with labels offset 0, 1.2 font ',9' notitle");
    gnuplot_clause(f, &k);
    fprintf(f, "%.9g * %.9g / x with lines dt 4 lc rgb 'gray40' title 'perfect scaling'", m->first->v[STUDY_STEPS],
            m->first->batch);
    if (m->fit) {
        gnuplot_clause(f, &k);
        fprintf(f, "%.9g + %.9g / x with lines lw 2 lc rgb '#d62728' title 'fit S_min + E_min / B (B_crit dashed)'",
                m->fit->s_min, m->fit->e_min);
    }
    if (!isnan(m->b_simple)) {
        gnuplot_clause(f, &k);
        fprintf(f, "NaN with lines dt 3 lw 2 lc rgb '#1f77b4' title 'measured B_simple'");
    }
    fprintf(f, "\n");
    gnuplot_end(f);
}

/* The plot of column col against x, for the time and learning-rate plots: arg is "xlabel\nylabel\ncol". */
static void draw_column(FILE *f, const void *arg)
{
    const char *const *a = arg;
    fprintf(f, "set xlabel ");
    gnuplot_str(f, a[0]);
    fprintf(f, "\nset ylabel ");
    gnuplot_str(f, a[1]);
    fprintf(f, "\nunset key\n");
    gnuplot_loop(f);
    int k = 0;
    gnuplot_clause(f, &k);
    fprintf(f, "dat using 1:%s with linespoints lw 2 pt 7 lc rgb '#1f77b4'\n", a[2]);
    gnuplot_end(f);
}

/* ---- the section ----------------------------------------------------------------------------------------- */

/* The median of the finite values of column col of rows (NAN when none). */
static double rows_median(const study_row *rows, int n, int col)
{
    double v[CONFIG_MAX_VALUES];
    for (int i = 0; i < n; i++)
        v[i] = rows[i].v[col];
    return stats_median(v, n);
}

void study_left_out(const study *st, const points *x, char *buf, size_t len)
{
    const config_sweep *s = &x->base->sweep[st->batch];
    size_t used = 0;
    int missing = 0, held = 0;
    buf[0] = 0;
#define ADD(...) (used = appendf(buf, len, used, __VA_ARGS__))
    for (int i = 0; i < s->nvalues; i++) { /* each with its own reason; those no seed reached together, last */
        const study_miss *m = &st->miss[i];
        if (m->why == STUDY_KEPT || (m->why == STUDY_NOT_REACHED && !(m->reached > 0)))
            continue;
        ADD("%sbatch_size = %s (", missing++ ? "; " : "Not in the table or the fit: ", s->values[i]);
        if (m->why == STUDY_NOT_A_NUMBER)
            ADD("no number for a log axis)");
        else if (m->why == STUDY_SAME_BATCH)
            ADD("the same batches as batch_size = %s, whose row stands for both)", s->values[m->same]);
        else
            ADD("at no learning rate did more than half of the seeds reach the target; the most: %g of %g, at "
                "learning rate %g)", m->reached, m->seeds, m->lr);
    }
    int none = 0;
    for (int i = 0; i < s->nvalues; i++)
        if (st->miss[i].why == STUDY_NOT_REACHED && !(st->miss[i].reached > 0))
            ADD("%s%s", none++ ? ", " : missing++ ? "; batch_size = " : "Not in the table or the fit: batch_size = ",
                s->values[i]);
    if (none)
        ADD(" (no seed reached the target at any learning rate)");
    if (missing)
        ADD(".\n");
    for (int i = 0; i < x->nsweep; i++)
        if (i != st->batch && i != x->lr)
            ADD("%s%s = %s", held++ ? ", " : "The other swept keys are held at their first values: ",
                config_key_name(x->base->sweep[i].key), x->base->sweep[i].values[0]);
    if (held)
        ADD(".\n");
#undef ADD
    if (appendf_cut(len, used) && len > 8) /* every line ends in a newline, a cut one in an ellipsis */
        snprintf(buf + len - 6, 6, "...\n");
}

/* Table (e): every batch size at its best learning rate. */
static void md_table(FILE *md, const study_row *rows, int n)
{
    fprintf(md, "| batch size | best learning rate | seeds reached | steps (median) | steps (min–max) | examples "
                "(median) | epochs (median) | seconds (median) | B_simple (median) |\n"
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        const double *v = rows[i].v;
        char steps[64], examples[64];
        fprintf(md, "| %g | %g | %.0f of %.0f | %s | %.0f–", rows[i].batch, rows[i].lr, v[STUDY_REACHED], v[STUDY_N],
                stats_count(steps, sizeof steps, v[STUDY_STEPS]), v[STUDY_LO]);
        fprintf(md, isnan(v[STUDY_HI]) ? "(not all reached)" : "%.0f", v[STUDY_HI]);
        fprintf(md, " | %s | %.3g | %.4f | ", stats_count(examples, sizeof examples, v[STUDY_EXAMPLES]), v[STUDY_EPOCHS],
                v[STUDY_SECONDS]);
        fprintf(md, isnan(v[STUDY_BSIMPLE]) ? "– |\n" : "%.4g |\n", v[STUDY_BSIMPLE]);
    }
    fprintf(md, "\n");
}

const char *study_fit_error(char *buf, size_t len, double err, int n)
{
    /* two points fix both parameters exactly: no residuals, so no error (the cell says why, never "nan") */
    if (n == 2)
        snprintf(buf, len, "– (needs 3 points)");
    else if (!isfinite(err))
        snprintf(buf, len, "–");
    else
        snprintf(buf, len, "%.3g", err);
    return buf;
}

/* The fit and B_simple side by side. */
static void md_fit(FILE *md, const study_fit *f, int nfit, double b_simple)
{
    if (nfit < 2) {
        fprintf(md, "Too few batch sizes reached the target for the fit of S = S_min + E_min / B (%d; it needs 2, "
                    "and 3 for its errors).\n\n", nfit);
    } else {
        fprintf(md, "McCandlish et al.'s trade-off (S/S_min − 1)(E/E_min − 1) = 1 with E = B·S is S(B) = S_min + "
                    "E_min / B. Fitted to the %d points above by least squares on log S (Gauss–Newton from the "
                    "linear fit weighted by 1/S²; errors from the residuals' covariance, one sigma, as factors):\n\n"
                    "| quantity | fit | error (×/÷) |\n|---|---:|---:|\n", nfit);
        char err[3][32];
        const double errs[3] = {f->s_err, f->e_err, f->b_err};
        for (int i = 0; i < 3; i++)
            study_fit_error(err[i], sizeof err[i], errs[i], nfit);
        fprintf(md, "| S_min (steps at an infinite batch) | %.4g | %s |\n| E_min (examples at batch 1) | %.4g | %s |\n"
                    "| B_crit = E_min / S_min | %.4g | %s |\n| rms residual of log S | %.3g | |\n",
                f->s_min, err[0], f->e_min, err[1], f->b_crit, err[2], f->rms);
    }
    if (isnan(b_simple))
        fprintf(md, "| measured B_simple | not measured (set train.noise_scale = true) | |\n\n");
    else
        fprintf(md, "| measured B_simple (median over the best runs' evaluations up to the target) | %.4g | |\n\n",
                b_simple);
}

/* The markdown image of study plot k, with its caption when it has one. */
static void md_image(FILE *md, int k, const char *rel)
{
    fprintf(md, "![%c%s](%s/%s.png)\n\n", tolower((unsigned char)plot_titles[k][0]), plot_titles[k] + 1, rel,
            plot_names[k]);
    if (*plot_captions[k])
        fprintf(md, "%s\n\n", plot_captions[k]);
}

/* The best learning rate of each hidden width (fewest median steps to the target), with model.hidden swept. */
static int write_lr_width(FILE *md, const points *x, const study *st, const char *dir, const char *rel, char *err,
                          size_t len)
{
    static const char *const cols[] = {"hidden units", "best learning rate (fewest steps to the target)", "2"};
    fprintf(md, "Best learning rate against width: ");
    for (int i = 0; i < st->nwidth; i++)
        fprintf(md, "%s%g units: %g", i ? ", " : "", st->width[i].batch, st->width[i].lr);
    fprintf(md, ".\n\n");
    md_image(md, STUDY_PLOT_LR_WIDTH, rel);
    return write_plot(x, dir, plot_names[STUDY_PLOT_LR_WIDTH], st->width, st->nwidth,
                      plot_titles[STUDY_PLOT_LR_WIDTH], draw_column, cols, err, len);
}

/* Why there are no study plots: a line naming the missing keys. */
static void md_absent(FILE *md, int batch, int lr)
{
    fprintf(md, "The study plots are absent: they need both train.batch_size and train.learning_rate swept (each "
                "batch size at its best learning rate), and this sweep lacks %s%s%s. The per-run numbers are in "
                "summary.tsv, table.tsv and results.h5.\n\n",
            batch < 0 ? "train.batch_size" : "", batch < 0 && lr < 0 ? " and " : "", lr < 0 ? "train.learning_rate" : "");
}

/* The batch study proper: table, fit, plots (a)-(d). */
static int write_batch_study(FILE *md, const points *x, const study *st, const char *dir, const char *rel,
                             char *err, size_t len)
{
    const study_row *rows = st->rows;
    int n = st->n;
    if (n == 0) {
        fprintf(md, "No batch size reached the target at any learning rate: no study plots.\n\n");
        return 0;
    }
    md_table(md, rows, n);
    char left[STUDY_LEFT_OUT];
    study_left_out(st, x, left, sizeof left);
    for (const char *l = left; *l;) { /* each line a paragraph under the table */
        size_t k = strcspn(l, "\n");
        fprintf(md, "%.*s\n\n", (int)k, l);
        l += k + (l[k] != 0);
    }
    md_fit(md, &st->fit, st->fitted ? n : 0, st->b_simple);
    for (int k = STUDY_PLOT_STEPS; k <= STUDY_PLOT_LR; k++)
        md_image(md, k, rel);
    double s0 = rows[0].v[STUDY_STEPS];
    steps_marks m = {&rows[0], st->fitted ? &st->fit : NULL, st->b_simple, s0, s0};
    for (int i = 0; i < n; i++)
        m.s_lo = fmin(m.s_lo, rows[i].v[STUDY_LO]),
        m.s_hi = fmax(m.s_hi, fmax(rows[i].v[STUDY_STEPS], rows[i].v[STUDY_HI]));
    static const char *const time_cols[] = {"batch size (rows per step)", "seconds to the target (median)", "7"};
    static const char *const lr_cols[] = {"batch size (rows per step)", "best learning rate", "2"};
    if (write_plot(x, dir, plot_names[STUDY_PLOT_STEPS], rows, n, plot_titles[STUDY_PLOT_STEPS], draw_steps, &m, err,
                   len) < 0 ||
        write_plot(x, dir, plot_names[STUDY_PLOT_TIME], rows, n, plot_titles[STUDY_PLOT_TIME], draw_column, time_cols,
                   err, len) < 0)
        return -1;
    return write_plot(x, dir, plot_names[STUDY_PLOT_LR], rows, n, plot_titles[STUDY_PLOT_LR], draw_column, lr_cols,
                      err, len);
}

int study_load(study *st, const points *x, char *err, size_t len)
{
    memset(st, 0, sizeof *st);
    st->b_simple = NAN;
    if (!(x->base->target_accuracy > 0))
        return 0;
    st->on = 1;
    st->batch = swept(x, "train.batch_size");
    st->lr = x->lr;
    double *v = malloc((size_t)x->plan->npoints * STUDY_COLS * sizeof *v);
    if (!v) {
        snprintf(err, len, "%s: out of memory for the study", x->results_dir);
        return -1;
    }
    int rc = read_targets(x, v, err, len);
    if (rc == 0 && st->batch >= 0 && st->lr >= 0 && (st->n = best_rows(x, v, st->batch, st->rows, st->miss)) > 0) {
        double B[CONFIG_MAX_VALUES] = {0}, S[CONFIG_MAX_VALUES] = {0};
        for (int i = 0; i < st->n; i++)
            B[i] = st->rows[i].batch, S[i] = st->rows[i].v[STUDY_STEPS];
        st->b_simple = rows_median(st->rows, st->n, STUDY_BSIMPLE);
        st->fitted = study_fit_steps(B, S, st->n, &st->fit) == 0;
    }
    if (rc == 0 && st->lr >= 0 && x->hidden >= 0)
        st->nwidth = best_rows(x, v, x->hidden, st->width, NULL);
    free(v);
    return rc;
}

int study_write(FILE *md, const study *st, const points *x, const char *plots_dir, const char *rel, char *err,
                size_t len)
{
    remove_study_files(plots_dir);
    if (!st->on)
        return 0;
    double target = x->base->target_accuracy;
    int val = x->base->validation_fraction > 0, rc = 0;
    char step_note[160] = "";
    if (x->base->eval_every_steps > 0)
        snprintf(step_note, sizeof step_note, " and every %lld step%s (on the %s set)", x->base->eval_every_steps,
                 plural(x->base->eval_every_steps), val ? "validation" : "test");
    fprintf(md, "## Study: steps to the target\n\nTarget: %s accuracy %g%s, checked after every epoch%s: "
                "steps_to_target is the first check that reached it, at most %s after the first step whose weights "
                "did.\n\n",
            val ? "validation" : "test", target,
            val ? "" : " (there is no validation set, so the test set decides: an optimistic choice)", step_note,
            x->base->eval_every_steps > 0 ? "that many steps (or one epoch, if shorter)" : "one epoch of steps");
    if (st->batch < 0 || st->lr < 0)
        md_absent(md, st->batch, st->lr);
    else
        rc = write_batch_study(md, x, st, plots_dir, rel, err, len);
    if (rc == 0 && st->nwidth > 0)
        rc = write_lr_width(md, x, st, plots_dir, rel, err, len);
    return rc;
}

int study_render(const char *plots_dir, char *err, size_t len)
{
    char script[FILEIO_PATH], log[FILEIO_PATH];
    for (int i = 0; i < STUDY_PLOTS; i++) {
        if (fileio_path(script, sizeof script, err, len, "%s/%s.gp", plots_dir, plot_names[i]) < 0 ||
            fileio_path(log, sizeof log, err, len, "%s/%s.log", plots_dir, plot_names[i]) < 0)
            return -1;
        if (access(script, F_OK) != 0)
            continue;
        int rc = gnuplot_run(script, log, err, len);
        if (rc == 1)
            return 1;
        if (rc != 0)
            return -1;
    }
    return 0;
}
