/* HTML pages beside the Markdown ones: results/<name>/report.html and results/index.html, each one self-contained
 * (inline CSS, the rendered SVG plots inline, a few lines of plain JavaScript that sort the tables), readable
 * offline in any browser. Built from the same numbers as report.md (points.c, catalog.c), never from it. */
#ifndef HTML_H
#define HTML_H
#include <stddef.h>
#include <stdio.h>
#include "confusion.h"
#include "plot.h"
#include "points.h"
#include "study.h"

/* Writes s with &, <, >, " and ' escaped for HTML text and attribute values. */
void html_text(FILE *f, const char *s);
/* Writes x->results_dir/report.html: what was run, the sortable results table, the per-class results of cm (the
 * confusion matrix summed at where, as report.md words it; NULL: none), the diverged runs, every plot of s with its
 * SVG inline (no_plots: why the plots are not drawn, e.g. gnuplot missing; "" when they were rendered), the study
 * st (study.h) with its plots when it is on, the resolved config and a link back to the index. 0, or -1 with
 * err. */
int html_report(const points *x, const plot_set *s, const study *st, const confusion *cm, const char *where,
                const char *no_plots, char *err, size_t len);
/* Writes results_root/index.html: one sortable row per experiment (catalog.c), each linking its report.html.
 * 0, or -1 with err. */
int html_index(const char *results_root, char *err, size_t len);

#endif
