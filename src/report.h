/* The report of an experiment: gnuplot scripts with the aggregated data they plot under plots/<name>/ (rendered
 * to PNG and SVG when gnuplot is installed; plot.c) and results/<name>/report.md embedding them; results/index.md
 * lists every report. Reads only what the runner wrote: summary.tsv, table.tsv and the committed runs (points.c). */
#ifndef REPORT_H
#define REPORT_H
#include <stddef.h>
#include "config.h"
#include "points.h"
#include "sweep.h"
#include "tsv.h"

/* Writes plots_dir/ (.dat aggregates and .gp scripts, and with render set .png and .svg by running gnuplot)
 * and results_dir/report.md for the experiment of plan. 0, or -1 with one line in err. A missing gnuplot is
 * not an error: warning gets one line (else it is "") and the scripts are still written. */
int report_write(const config *base, const sweep_plan *plan, const char *results_dir, const char *plots_dir,
                 int render, char *warning, size_t wlen, char *err, size_t len);
/* Rewrites results_root/index.md: one row per experiment folder that holds a report.md. 0, or -1 with err. */
int report_index(const char *results_root, char *err, size_t len);
/* The relative path from folder FROM to TO ("results/x", "plots/x" gives "../../plots/x"). 0, or -1 when it
 * does not fit in out or the working directory is unknown. */
int report_relative(const char *from, const char *to, char *out, size_t len);
/* report_relative, or -1 with "from: cannot link to to from there (path too long)" in err. */
int report_link(const char *from, const char *to, char *out, size_t size, char *err, size_t len);
/* Loads results_dir/summary.tsv into t (tsv_free it either way) with the columns run_id, status, diverged_epoch and
 * epochs_done in col: the diverged runs both reports list. 0, or -1 with err. */
int report_summary(const char *results_dir, tsv *t, int col[4], char *err, size_t len);

/* 1 when some point of x may have a validation set / stop at its target (the base config's value, or the key
 * swept). */
int report_has_validation(const points *x);
int report_stops_at_target(const points *x);
/* Under the best configuration of a sweep with train.stop_at_target: why its final accuracies mislead (plain text). */
extern const char report_stop_note[];

#endif
