/* The batch-size study of an experiment with a target (train.target_accuracy): steps to the target against batch
 * size, each batch size at its best learning rate (Shallue et al. 2019), McCandlish et al.'s (2018) trade-off
 * S = S_min + E_min / B, i.e. (S/S_min - 1)(E/E_min - 1) = 1 with E = B S, fitted to those points, and the measured
 * gradient noise scale beside the fitted critical batch B_crit = E_min / S_min. Read from table.tsv; written as a
 * section of report.md and as plots study_*.{dat,gp,png,svg} beside the report's other plots. */
#ifndef STUDY_H
#define STUDY_H
#include <stddef.h>
#include <stdio.h>
#include "points.h"

/* The fit of S(B) = S_min + E_min / B: its parameters and, from n >= 3 points, their standard errors as factors
 * (the value is within x/÷ factor at one sigma; NAN with fewer points), and the rms residual in log(S). */
typedef struct study_fit {
    int n;
    double s_min, e_min, b_crit;
    double s_err, e_err, b_err;
    double rms;
} study_fit;

/* The learning rate to keep among n candidates: the fewest steps (NAN: not reached), ties to the smaller lr.
 * Its index, or -1 when none reached the target. */
int study_best_lr(const double *lr, const double *steps, int n);
/* Least squares in log space of S(B) = S_min + E_min / B to n points (B[i], S[i] > 0): Gauss-Newton on
 * (log S_min, log E_min) from the weighted linear fit. 0, or -1 with fewer than 2 points or no finite fit. */
int study_fit_steps(const double *B, const double *S, int n, study_fit *f);
/* When x's base config sets a target: the study section of report.md into md, and the study plots' .dat and .gp
 * into plots_dir (those of an earlier report removed); the section says why the plots are absent when the sweep
 * lacks train.batch_size or train.learning_rate; rel is plots_dir relative to report.md. Nothing without a
 * target. 0, or -1 with err. */
int study_write(FILE *md, const points *x, const char *plots_dir, const char *rel, char *err, size_t len);
/* Renders the study plots study_write wrote into plots_dir. 0 (no gnuplot: a line in warning), or -1 with err. */
int study_render(const char *plots_dir, char *warning, size_t wlen, char *err, size_t len);

#endif
