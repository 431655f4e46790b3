/* HTML pages: written whole in memory and saved atomically. Every text that comes from a config, a file name or a
 * table is escaped (html_text); the plots are gnuplot's own SVG files copied inline with their ids prefixed per
 * plot, since gnuplot names its markers and clip paths alike in every file and ids must be unique in a page. */
#include "stats.h"
#include "html.h"
#include "catalog.h"
#include "fileio.h"
#include "plural.h"
#include "report.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char style[] =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1000px;margin:1.5em auto;"
    "padding:0 1em;color:#222;background:#fff}\n"
    "h1{font-size:1.6em;margin:.4em 0}h2{margin-top:1.6em;border-bottom:1px solid #ddd}nav{font-size:.95em}\n"
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}\n"
    "th{background:#f0f0f0;cursor:pointer;user-select:none}.text{text-align:left}\n"
    "tr.best td{font-weight:bold;background:#e9f5e9}\n"
    "th[data-dir=asc]::after{content:' \\25B2'}th[data-dir=desc]::after{content:' \\25BC'}\n"
    "figure{margin:1.2em 0}figure svg{display:block;max-width:100%;height:auto;border:1px solid #ddd}\n"
    "figcaption{font-size:.92em;color:#444}pre{background:#f6f6f6;padding:.8em 1em;overflow:auto}\n"
    ".note{background:#fff5dc;border-left:4px solid #e0a000;padding:.5em 1em}code{background:#f3f3f3}\n";

/* Sorts a table when its header is clicked (numbers by data-v or their text, then texts). With #check in the
 * address, a test's headless browser finds in body's data attributes what it needs: the errors caught, the
 * drawn size of every image (empty: under 10 px inside its border, or an SVG that draws nothing), and the first
 * row after sorting by accuracy, highest first. */
static const char script[] =
    "var runnerErrors=[];\n"
    "window.addEventListener('error',function(e){runnerErrors.push(e.message||'error');});\n"
    "function cellKey(c){var v=c.getAttribute('data-v');if(v===null)v=c.textContent.trim();var n=Number(v);"
    "return v!==''&&!isNaN(n)?n:v;}\n"
    "function sortBy(th){var b=th.closest('table').tBodies[0],i=th.cellIndex,up=th.getAttribute('data-dir')!=='asc';"
    "Array.prototype.forEach.call(th.parentNode.cells,function(h){h.removeAttribute('data-dir');});"
    "th.setAttribute('data-dir',up?'asc':'desc');var rows=Array.prototype.slice.call(b.rows);"
    "rows.sort(function(r,s){var x=cellKey(r.cells[i]),y=cellKey(s.cells[i]),nx=typeof x==='number',"
    "ny=typeof y==='number';var c=nx&&ny?x-y:nx!==ny?(nx?-1:1):x<y?-1:x>y?1:0;return up?c:-c;});"
    "rows.forEach(function(r){b.appendChild(r);});}\n"
    "document.addEventListener('DOMContentLoaded',function(){"
    "document.querySelectorAll('table.sortable th').forEach(function(th){th.title='click to sort';"
    "th.addEventListener('click',function(){sortBy(th);});});\n"
    "if(location.hash!=='#check')return;var d=document.body;"
    "var t=document.querySelector('th.acc');if(t){sortBy(t);sortBy(t);"
    "d.setAttribute('data-top',t.closest('table').tBodies[0].rows[0].cells[0].textContent.trim());}"
    "var n=0,bad=0;document.querySelectorAll('figure svg,img').forEach(function(e){var q=e.getBoundingClientRect();"
    "e.setAttribute('data-w',Math.round(q.width));e.setAttribute('data-h',Math.round(q.height));n++;"
    "if(!(q.width>10&&q.height>10)||(e.tagName==='svg'&&!e.querySelector('path,text')))bad++;});"
    "d.setAttribute('data-images',n);d.setAttribute('data-empty-images',bad);"
    "d.setAttribute('data-errors',runnerErrors.length?runnerErrors.join(' | '):'none');});\n";

void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void page_begin(FILE *f, const char *title)
{
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    html_text(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n<script>\n%s</script>\n</head>\n<body>\n", style, script);
}

/* Writes the page of t to path; frees t either way. */
static int page_save(fileio_text *t, const char *path, char *err, size_t len)
{
    fprintf(t->f, "</body>\n</html>\n");
    return fileio_text_save_derived(t, path, err, len);
}

/* ---- report.html ----------------------------------------------------------------------------------------- */

static void run_info(FILE *f, const points *x)
{
    const config *b = x->base;
    int diverged = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++)
        diverged += x->pts[pt].diverged;
    fprintf(f, "<h2>What was run</h2>\n<ul>\n<li><b>Runs:</b> %ld of %ld committed: %ld sweep point%s &times; %d "
               "seed%s (", x->committed, x->plan->nruns, x->plan->npoints, plural(x->plan->npoints),
            b->nseeds, plural(b->nseeds));
    for (int i = 0; i < b->nseeds; i++)
        fprintf(f, "%s%lld", i ? ", " : "", b->seeds[i]);
    fprintf(f, "); %d diverged.</li>\n<li><b>Swept:</b> %s", diverged, b->nsweep ? "" : "nothing");
    for (int i = 0; i < b->nsweep; i++) {
        fprintf(f, "%s<code>%s.%s</code> = ", i ? "; " : "", config_key_section(b->sweep[i].key),
                config_key_name(b->sweep[i].key));
        for (int j = 0; j < b->sweep[i].nvalues; j++) {
            fprintf(f, "%s", j ? ", " : "");
            html_text(f, b->sweep[i].values[j]);
        }
    }
    if (x->first_run < 0) { /* nothing committed yet: no manifest to read the machine and the build from */
        fprintf(f, "</li>\n<li><b>Machine, build:</b> not known yet (no run is committed: they come from a run's "
                   "manifest)</li>\n</ul>\n");
        return;
    }
    static const char *const keys[] = {"cpu", "logical_cpus", "host", "compiler", "cflags", "git_revision"};
    static const char *const before[] = {"</li>\n<li><b>Machine:</b> ", " (", " logical CPUs), host <code>",
                                         "</code></li>\n<li><b>Build:</b> ", ", flags <code>", "</code>, git <code>"};
    for (int k = 0; k < 6; k++) {
        char v[300];
        points_manifest(x, keys[k], v, sizeof v);
        fputs(before[k], f);
        html_text(f, v);
    }
    fprintf(f, "</code></li>\n</ul>\n");
}

/* One row of the results table; numbers sort by their data-v. */
static void result_row(FILE *f, const points *x, long pt, int best)
{
    const point *p = &x->pts[pt];
    char pm[2][128];
    fprintf(f, "<tr%s>", best ? " class=\"best\"" : "");
    for (int i = 0; i < x->nsweep; i++) {
        fprintf(f, "<td class=\"text\">");
        html_text(f, points_value(x, pt, i));
        fprintf(f, "</td>");
    }
    if (x->nsweep == 0)
        fprintf(f, "<td class=\"text\">all</td>");
    if (p->n == 0)
        fprintf(f, "<td data-v=\"\"></td><td data-v=\"\">not run yet</td><td data-v=\"\"></td><td>0</td><td>0</td>"
                   "<td data-v=\"\"></td>");
    else if (isfinite(p->val_acc_mean))
        fprintf(f, "<td data-v=\"%.6g\">%s</td>", 100 * p->val_acc_mean,
                stats_pm(pm[0], sizeof pm[0], 100 * p->val_acc_mean, 100 * p->val_acc_std, 2, "&plusmn;"));
    else
        fprintf(f, "<td data-v=\"\">&ndash;</td>");
    if (p->n > 0)
        fprintf(f, "<td data-v=\"%.6g\">%s</td><td data-v=\"%.9g\">%s</td>"
                   "<td>%d</td><td>%d</td><td data-v=\"%.9g\">%.4g</td>",
                100 * p->acc_mean, stats_pm(pm[0], sizeof pm[0], 100 * p->acc_mean, 100 * p->acc_std, 2, "&plusmn;"),
                p->loss_mean, stats_pm(pm[1], sizeof pm[1], p->loss_mean, p->loss_std, 4, "&plusmn;"), p->n,
                p->diverged, p->sec_epoch, p->sec_epoch);
    fprintf(f, "</tr>\n");
}

static void results(FILE *f, const points *x)
{
    int on_val;
    long best = points_best(x->pts, x->plan->npoints, &on_val);
    fprintf(f, "<h2>Results</h2>\n<p>Final %s of each sweep point, mean "
               "&plusmn; standard deviation over its seeds (a diverged run counts with its last finite epoch). %s "
               "Click a column's header to sort by it.</p>\n<table class=\"sortable\" id=\"results\">\n<thead><tr>",
            report_has_validation(x) ? "validation accuracy, test accuracy and test loss"
                                             : "test accuracy and test loss (no validation set: its column is &ndash;)",
            best < 0 ? "No point is in bold as the best: every run of every point diverged."
            : on_val ? "The best point, in bold, has the highest mean validation accuracy: the test set plays no part "
                       "in the choice."
                     : "The best point, in bold, has the highest mean test accuracy: without a validation set the test "
                       "set chooses it, which makes its test accuracy optimistic.");
    for (int i = 0; i < x->nsweep; i++)
        fprintf(f, "<th class=\"text\">%s</th>", config_key_name(x->base->sweep[i].key));
    fprintf(f, "%s<th>validation accuracy (%%)</th><th class=\"acc\">test accuracy (%%)</th><th>test loss</th>"
               "<th>n</th><th>diverged</th>"
               "<th>s / epoch</th></tr></thead>\n<tbody>\n", x->nsweep ? "" : "<th class=\"text\">point</th>");
    for (long pt = 0; pt < x->plan->npoints; pt++)
        result_row(f, x, pt, pt == best);
    fprintf(f, "</tbody>\n</table>\n<p><b>Best configuration:</b> ");
    if (best < 0) {
        fprintf(f, "none (no sweep point has a run that did not diverge).</p>\n");
        return;
    }
    const point *p = &x->pts[best];
    for (int i = 0; i < x->nsweep; i++) {
        fprintf(f, "%s%s = ", i ? ", " : "", config_key_name(x->base->sweep[i].key));
        html_text(f, points_value(x, best, i));
    }
    char pm[3][128];
    if (on_val)
        fprintf(f, "%sselected on validation accuracy %s %%; ", x->nsweep ? ": " : "",
                stats_pm(pm[0], sizeof pm[0], 100 * p->val_acc_mean, 100 * p->val_acc_std, 2, "&plusmn;"));
    else
        fprintf(f, "%sselected on test accuracy (optimistic: no validation set); ", x->nsweep ? ": " : "");
    fprintf(f, "test accuracy %s %% over %d seed%s, test loss %s.</p>\n",
            stats_pm(pm[1], sizeof pm[1], 100 * p->acc_mean, 100 * p->acc_std, 2, "&plusmn;"), p->n,
            plural(p->n), stats_pm(pm[2], sizeof pm[2], p->loss_mean, p->loss_std, 4, "&plusmn;"));
    if (report_stops_at_target(x)) {
        fprintf(f, "<p class=\"note\">");
        html_text(f, report_stop_note);
        fprintf(f, "</p>\n");
    }
}

/* Per-class accuracy of the best point from cm, summed at where: as report.md's table. */
static void classes(FILE *f, const confusion *cm, const char *where)
{
    fprintf(f, "<h2>Per-class results</h2>\n<p>Test accuracy of each class at ");
    html_text(f, where);
    fprintf(f, ", summed over its seeds (the confusion matrix is under Plots and in each run's confusion.tsv).</p>\n"
               "<table class=\"sortable\" id=\"classes\">\n<thead><tr><th>class</th><th class=\"text\">name</th>"
               "<th>test rows</th><th>correct</th><th>accuracy (%%)</th><th class=\"text\">most often predicted "
               "instead</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < cm->k; i++) {
        int worst;
        long n = confusion_row(cm, i, &worst), right = cm->count[(size_t)i * cm->k + i];
        fprintf(f, "<tr><td>%d</td><td class=\"text\">", i);
        html_text(f, cm->name[i]);
        if (n)
            fprintf(f, "</td><td>%ld</td><td>%ld</td><td data-v=\"%.6g\">%.2f</td><td class=\"text\">", n, right,
                    100.0 * right / n, 100.0 * right / n);
        else
            fprintf(f, "</td><td>0</td><td>0</td><td data-v=\"\"></td><td class=\"text\">");
        if (worst >= 0) {
            html_text(f, cm->name[worst]);
            fprintf(f, " (%ld)", cm->count[(size_t)i * cm->k + worst]);
        }
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</tbody>\n</table>\n");
}

/* The diverged runs of summary.tsv, as report.md lists them. 0, or -1 with err. */
static int diverged(FILE *f, const points *x, char *err, size_t len)
{
    tsv t;
    int col[4], n = 0, rc = report_summary(x->results_dir, &t, col, err, len);
    fprintf(f, "<h2>Diverged runs</h2>\n");
    for (int r = 0; r < t.nrows && rc == 0; r++) {
        if (strcmp(tsv_cell(&t, r, col[1]), "diverged"))
            continue;
        if (n++ == 0)
            fprintf(f, "<p>A diverged run keeps the numbers of its last finite epoch.</p>\n<table class=\"sortable\" "
                       "id=\"diverged\">\n<thead><tr><th class=\"text\">run</th><th>diverged at epoch</th><th>last "
                       "finite epoch</th></tr></thead>\n<tbody>\n");
        fprintf(f, "<tr><td class=\"text\"><code>");
        html_text(f, tsv_cell(&t, r, col[0]));
        fprintf(f, "</code></td><td>%s</td><td>%s</td></tr>\n", tsv_cell(&t, r, col[2]), tsv_cell(&t, r, col[3]));
    }
    if (rc == 0 && n > 0)
        fprintf(f, "</tbody>\n</table>\n");
    else if (rc == 0 && t.nrows == 1)
        fprintf(f, "<p>The run did not diverge.</p>\n");
    else if (rc == 0)
        fprintf(f, "<p>None of the %d runs diverged.</p>\n", t.nrows);
    tsv_free(&t);
    return rc;
}

/* Copies gnuplot's SVG from its <svg> element on, each id and reference to one prefixed with "p<k>-", with title
 * (HTML already) in place of gnuplot's own. */
static void svg_inline(FILE *f, const char *svg, int k, const char *title)
{
    static const char *const refs[] = {" id='", " id=\"", "href='#", "href=\"#", "url(#"};
    static const char gnuplot_title[] = "<title>Gnuplot</title>";
    const char *s = strstr(svg, "<svg");
    while (s && *s) {
        if (!strncmp(s, gnuplot_title, sizeof gnuplot_title - 1)) { /* the title a browser shows on hover */
            fprintf(f, "<title>%s</title>", title);
            s += sizeof gnuplot_title - 1;
            continue;
        }
        size_t hit = 0;
        for (size_t r = 0; r < sizeof refs / sizeof refs[0] && !hit; r++)
            if (!strncmp(s, refs[r], strlen(refs[r])))
                hit = strlen(refs[r]);
        if (hit) {
            fprintf(f, "%.*sp%d-", (int)hit, s, k);
            s += hit;
        } else
            fputc(*s++, f);
    }
}

/* Plot name of folder dir (rel from the page) as a figure: its SVG inline with ids prefixed by k (unless no_plots
 * says why there is none), its caption, and links to its files. 0, or -1 with err. */
static int figure(FILE *f, const char *dir, const char *rel, const char *name, const char *heading,
                  const char *caption, int k, const char *no_plots, char *err, size_t len)
{
    char path[FILEIO_PATH], *svg = NULL;
    if (fileio_path(path, sizeof path, err, len, "%s/%s.svg", dir, name) < 0)
        return -1;
    if (!*no_plots && !(svg = fileio_read(path))) {
        snprintf(err, len, "%s: cannot read the rendered plot", path);
        return -1;
    }
    fprintf(f, "<figure id=\"%s\">\n<h3>%s</h3>\n", name, heading);
    if (svg)
        svg_inline(f, svg, k, heading);
    free(svg);
    fprintf(f, "\n<figcaption>");
    html_text(f, caption);
    static const char *const files[][2] = {{"png", "PNG"}, {"svg", "SVG"}, {"gp", "script"}, {"dat", "data"}};
    for (int i = 0; i < 4; i++) {
        fprintf(f, "%s<a href=\"", i ? ", " : *caption ? " (" : "(");
        html_text(f, rel);
        fprintf(f, "/%s.%s\">%s</a>", name, files[i][0], files[i][1]);
    }
    fprintf(f, ")</figcaption>\n</figure>\n");
    return 0;
}

static int plots(FILE *f, const plot_set *s, const char *rel, const char *no_plots, char *err, size_t len)
{
    if (s->n == 0)
        return 0;
    fprintf(f, "<h2>Plots</h2>\n<p>Drawn by gnuplot from the scripts and data beside each image; to draw one again "
               "after editing its script, run <code>gnuplot ");
    html_text(f, s->dir);
    fprintf(f, "/NAME.gp</code> from the repository root.</p>\n");
    if (*no_plots) {
        fprintf(f, "<p class=\"note\">No plot is drawn in this page: ");
        html_text(f, no_plots);
        fprintf(f, ". The scripts and their data are linked below; run the config again where gnuplot is installed "
                   "and without <code>--no-plots</code> (it trains nothing already done) and this page shows the "
                   "plots.</p>\n");
    }
    for (int i = 0; i < s->n; i++)
        if (figure(f, s->dir, rel, plot_name(s->kind[i]), plot_heading(s->kind[i]), s->caption[i], i, no_plots, err,
                   len) < 0)
            return -1;
    return 0;
}

/* ---- the study (study.h) --------------------------------------------------------------------------------- */

/* Every batch size at its best learning rate, sortable. */
static void study_table(FILE *f, const study *st)
{
    fprintf(f, "<table class=\"sortable\" id=\"study\">\n<thead><tr><th>batch size</th><th>best learning rate</th>"
               "<th>seeds reached</th><th>steps (median)</th><th>steps (min)</th><th>steps (max)</th><th>examples "
               "(median)</th><th>epochs (median)</th><th>seconds (median)</th><th>B_simple (median)</th></tr></thead>"
               "\n<tbody>\n");
    for (int i = 0; i < st->n; i++) {
        const double *v = st->rows[i].v;
        char steps[64], examples[64];
        fprintf(f, "<tr><td>%g</td><td>%g</td><td data-v=\"%.0f\">%.0f of %.0f</td><td>%s</td><td>%.0f</td>",
                st->rows[i].batch, st->rows[i].lr, v[STUDY_REACHED], v[STUDY_REACHED], v[STUDY_N],
                stats_count(steps, sizeof steps, v[STUDY_STEPS]), v[STUDY_LO]);
        fprintf(f, isnan(v[STUDY_HI]) ? "<td data-v=\"\">not all reached</td>" : "<td>%.0f</td>", v[STUDY_HI]);
        fprintf(f, "<td>%s</td><td>%.3g</td><td>%.4f</td>", stats_count(examples, sizeof examples, v[STUDY_EXAMPLES]),
                v[STUDY_EPOCHS], v[STUDY_SECONDS]);
        fprintf(f, isnan(v[STUDY_BSIMPLE]) ? "<td data-v=\"\">&ndash;</td></tr>\n" : "<td>%.4g</td></tr>\n",
                v[STUDY_BSIMPLE]);
    }
    fprintf(f, "</tbody>\n</table>\n");
}

/* The fit of S = S_min + E_min / B and the measured B_simple. */
static void study_fit_table(FILE *f, const study *st)
{
    const study_fit *q = &st->fit;
    char e[3][32];
    if (st->fitted)
        fprintf(f, "<p>McCandlish et al.'s trade-off S(B) = S_min + E_min / B, fitted to the %d points above by least "
                   "squares on log S (errors: one sigma, as factors):</p>\n<table id=\"study-fit\">\n<thead><tr>"
                   "<th class=\"text\">quantity</th><th>fit</th><th>error (&times;/&divide;)</th></tr></thead>\n"
                   "<tbody>\n<tr><td class=\"text\">S_min (steps at an infinite batch)</td><td>%.4g</td><td>%s</td>"
                   "</tr>\n<tr><td class=\"text\">E_min (examples at batch 1)</td><td>%.4g</td><td>%s</td></tr>\n"
                   "<tr><td class=\"text\">B_crit = E_min / S_min</td><td>%.4g</td><td>%s</td></tr>\n<tr><td "
                   "class=\"text\">rms residual of log S</td><td>%.3g</td><td></td></tr>\n</tbody>\n</table>\n",
                st->n, q->s_min, study_fit_error(e[0], sizeof e[0], q->s_err, st->n), q->e_min,
                study_fit_error(e[1], sizeof e[1], q->e_err, st->n), q->b_crit,
                study_fit_error(e[2], sizeof e[2], q->b_err, st->n), q->rms);
    else
        fprintf(f, "<p>Too few batch sizes reached the target for the fit of S = S_min + E_min / B (%d; it needs 2, "
                   "and 3 for its errors).</p>\n", st->n);
    if (isnan(st->b_simple))
        fprintf(f, "<p>Measured B_simple: not measured (set train.noise_scale = true).</p>\n");
    else
        fprintf(f, "<p>Measured B_simple (median over the best runs' evaluations up to the target): %.4g.</p>\n",
                st->b_simple);
}

/* The study section with its plots (rel: plots_dir from the page). 0, or -1 with err. */
static int study_section(FILE *f, const points *x, const study *st, const char *plots_dir, const char *rel,
                         const char *no_plots, char *err, size_t len)
{
    if (!st->on)
        return 0;
    fprintf(f, "<h2>Study: steps to the target</h2>\n<p>Target: %s accuracy %g. Each batch size at its learning "
               "rate with the fewest median steps to the target (ties to the smaller); report.md explains how a step "
               "count is measured.</p>\n", x->base->validation_fraction > 0 ? "validation" : "test",
            x->base->target_accuracy);
    if (st->batch < 0 || st->lr < 0)
        fprintf(f, "<p class=\"note\">The study plots are absent: they need both train.batch_size and "
                   "train.learning_rate swept.</p>\n");
    else if (st->n == 0)
        fprintf(f, "<p>No batch size reached the target at any learning rate: no study plots.</p>\n");
    else {
        study_table(f, st);
        char left[STUDY_LEFT_OUT];
        study_left_out(st, x, left, sizeof left);
        for (char *l = left; *l;) { /* each line a paragraph under the table */
            size_t n = strcspn(l, "\n");
            int more = l[n] != 0;
            l[n] = 0;
            fprintf(f, "<p class=\"note\">");
            html_text(f, l);
            fprintf(f, "</p>\n");
            l += n + more;
        }
        study_fit_table(f, st);
    }
    if (st->nwidth > 0) {
        fprintf(f, "<p>Best learning rate against width: ");
        for (int i = 0; i < st->nwidth; i++)
            fprintf(f, "%s%g units: %g", i ? ", " : "", st->width[i].batch, st->width[i].lr);
        fprintf(f, ".</p>\n");
    }
    for (int k = 0; k < STUDY_PLOTS; k++)
        if (study_has_plot(st, k) && figure(f, plots_dir, rel, study_plot_name(k), study_plot_title(k),
                                            study_plot_caption(k), PLOT_KINDS + k, no_plots, err, len) < 0)
            return -1;
    return 0;
}

/* The resolved config, escaped. 0, or -1 with err. */
static int config_text(FILE *f, const points *x, char *err, size_t len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&text, &size);
    int rc = m ? config_write(x->base, m, CONFIG_WRITE_ALL) : -1;
    if (m && fclose(m) != 0)
        rc = -1;
    if (rc == 0) {
        fprintf(f, "<h2>Configuration</h2>\n<p>Defaults included%s.</p>\n<pre>",
                x->nsweep ? "; each run takes the swept keys from [sweep], not from their sections" : "");
        html_text(f, text);
        fprintf(f, "</pre>\n");
    } else
        snprintf(err, len, "%s/report.html: out of memory", x->results_dir);
    free(text);
    return rc;
}

int html_report(const points *x, const plot_set *s, const study *st, const confusion *cm, const char *where,
                const char *no_plots, char *err, size_t len)
{
    char path[FILEIO_PATH], title[CONFIG_NAME + 16], rel[FILEIO_PATH];
    fileio_text t;
    if (fileio_path(path, sizeof path, err, len, "%s/report.html", x->results_dir) < 0 ||
        report_link(x->results_dir, s->dir, rel, sizeof rel, err, len) < 0 || fileio_text_open(&t, err, len) < 0)
        return -1;
    snprintf(title, sizeof title, "Experiment %s", x->base->name);
    page_begin(t.f, title);
    fprintf(t.f, "<nav><a href=\"../index.html\">&larr; all experiments</a> &middot; <a href=\"report.md\">"
                 "report.md</a></nav>\n<h1>");
    html_text(t.f, title);
    fprintf(t.f, "</h1>\n");
    run_info(t.f, x);
    results(t.f, x);
    if (cm)
        classes(t.f, cm, where);
    if (diverged(t.f, x, err, len) < 0 || plots(t.f, s, rel, no_plots, err, len) < 0 || study_section(t.f, x, st, s->dir, rel, no_plots, err, len) < 0 ||
        config_text(t.f, x, err, len) < 0) {
        fileio_text_drop(&t);
        return -1;
    }
    return page_save(&t, path, err, len);
}

/* ---- index.html ------------------------------------------------------------------------------------------ */

/* One row of the index; the name links the experiment's report.html (report.md before the first report.html). */
static void index_row(FILE *f, const char *root, const catalog_entry *e)
{
    char path[FILEIO_PATH];
    const char *page = "report.html";
    if (snprintf(path, sizeof path, "%s/%s/%s", root, e->name, page) >= (int)sizeof path || access(path, R_OK))
        page = snprintf(path, sizeof path, "%s/%s/report.md", root, e->name) < (int)sizeof path &&
                       access(path, R_OK) == 0 ? "report.md" : NULL;
    fprintf(f, "<tr><td class=\"text\">");
    if (page) {
        fprintf(f, "<a href=\"");
        html_text(f, e->name);
        fprintf(f, "/%s\">", page);
    }
    html_text(f, e->name);
    fprintf(f, "%s</td><td data-v=\"%d\">%d", page ? "</a>" : "", e->committed, e->committed);
    if (e->planned >= 0)
        fprintf(f, " of %ld", e->planned);
    if (e->has_best) {
        char pm[128];
        fprintf(f, "</td><td data-v=\"%.6g\">%s</td><td class=\"text\"><code>", 100 * e->best.acc_mean,
                stats_pm(pm, sizeof pm, 100 * e->best.acc_mean, 100 * e->best.acc_std, 2, "&plusmn;"));
        html_text(f, e->best.id);
        fprintf(f, "</code></td><td class=\"text\">%s", e->best_on_val ? "validation" : "test (optimistic)");
    } else
        fprintf(f, "</td><td data-v=\"\">&ndash;</td><td class=\"text\">&ndash;</td><td class=\"text\">&ndash;");
    fprintf(f, "</td><td class=\"text\">%s</td></tr>\n", e->date);
}

int html_index(const char *results_root, char *err, size_t len)
{
    char path[FILEIO_PATH];
    catalog c;
    fileio_text t;
    if (fileio_path(path, sizeof path, err, len, "%s/index.html", results_root) < 0)
        return -1;
    if (catalog_load(&c, results_root, 0, err, len) < 0 || fileio_text_open(&t, err, len) < 0) {
        catalog_free(&c);
        return -1;
    }
    page_begin(t.f, "Experiments");
    fprintf(t.f, "<nav><a href=\"index.md\">index.md</a></nav>\n<h1>Experiments</h1>\n<p>One row per experiment; "
                 "accuracy is the final test accuracy of the best sweep point, mean &plusmn; standard deviation over "
                 "its seeds, selected on mean validation accuracy where the experiment has a validation set, else on test accuracy, "
                 "which makes its test accuracy optimistic. Click a column's header to sort by it.</p>\n"
                 "<table class=\"sortable\" id=\"experiments\">"
                 "\n<thead><tr><th class=\"text\">experiment</th><th>runs committed of planned</th><th class=\"acc\">best test "
                 "accuracy (%%)</th><th class=\"text\">best point</th><th class=\"text\">selected on</th><th class=\"text\">"
                 "written (UTC)</th></tr>"
                 "</thead>\n<tbody>\n");
    for (int i = 0; i < c.n; i++)
        index_row(t.f, results_root, &c.e[i]);
    fprintf(t.f, "</tbody>\n</table>\n%s", c.n ? "" : "<p>No experiment yet.</p>\n");
    catalog_free(&c);
    return page_save(&t, path, err, len);
}
