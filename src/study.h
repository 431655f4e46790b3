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

/* The text of a fit error err of n points: "%.3g", or why there is none ("– (needs 3 points)" for two, which the
 * fit meets exactly, "–" otherwise); returns buf. */
const char *study_fit_error(char *buf, size_t len, double err, int n);

/* table.tsv's target columns of a sweep point, as a study row holds them. */
enum { STUDY_STEPS, STUDY_LO, STUDY_HI, STUDY_EXAMPLES, STUDY_EPOCHS, STUDY_SECONDS, STUDY_BSIMPLE, STUDY_REACHED,
       STUDY_N, STUDY_COLS };

/* One value of a swept key (a batch size, or a hidden width) at its best learning rate: that point's columns. */
typedef struct study_row {
    double batch, lr, v[STUDY_COLS];
    int value; /* the index of its value in the swept key's list */
} study_row;

/* Why a value of the swept batch sizes has no row in the study's table (study.miss). */
typedef enum { STUDY_KEPT, STUDY_NOT_REACHED, STUDY_NOT_A_NUMBER, STUDY_SAME_BATCH } study_why;
typedef struct study_miss {
    study_why why;
    double reached, seeds, lr; /* STUDY_NOT_REACHED: the most seeds that reached the target at one learning rate */
    int same;                  /* STUDY_SAME_BATCH: the value whose row trains the same batches */
} study_miss;

/* The study plots, in drawing order. */
enum { STUDY_PLOT_STEPS, STUDY_PLOT_TIME, STUDY_PLOT_LR, STUDY_PLOT_LR_WIDTH, STUDY_PLOTS };

/* The numbers of an experiment's study, read once (study_load) for report.md and report.html. */
typedef struct study {
    int on;                             /* the config sets a target: there is a study section */
    int batch, lr;                      /* [sweep] positions of train.batch_size and learning_rate, -1: not swept */
    int n;                              /* batch sizes that reached the target, rising (batch and lr swept) */
    study_row rows[CONFIG_MAX_VALUES];
    study_miss miss[CONFIG_MAX_VALUES]; /* by the batch sizes' value index: why a value has no row */
    int fitted;                         /* fit holds S_min + E_min / B of rows */
    study_fit fit;
    double b_simple;                    /* median B_simple of rows, NAN when not measured */
    int nwidth;                         /* with model.hidden and learning_rate swept: each width, rising */
    study_row width[CONFIG_MAX_VALUES];
} study;

/* The learning rate to keep among n candidates: the fewest steps (NAN: not reached), ties to the smaller lr.
 * Its index, or -1 when none reached the target. */
int study_best_lr(const double *lr, const double *steps, int n);
/* Least squares in log space of S(B) = S_min + E_min / B to n points (B[i], S[i] > 0): Gauss-Newton on
 * (log S_min, log E_min) from the weighted linear fit. 0, or -1 with fewer than 2 points or no finite fit. */
int study_fit_steps(const double *B, const double *S, int n, study_fit *f);
/* The study of x from its table.tsv when x's base config sets a target (st->on), else an empty one. 0, or -1
 * with err. */
int study_load(study *st, const points *x, char *err, size_t len);
/* The study section of report.md into md, and the .dat and .gp of the plots st has into plots_dir (those of an
 * earlier report removed, also without a target); the section says why the plots are absent when the sweep lacks
 * train.batch_size or train.learning_rate; rel is plots_dir relative to report.md. 0, or -1 with err. */
int study_write(FILE *md, const study *st, const points *x, const char *plots_dir, const char *rel, char *err,
                size_t len);
/* What the study's table leaves out (st->n rows), as lines of plain text in buf ("" when nothing): the batch sizes
 * with no row and why (no learning rate at which more than half the seeds reached the target, no number for a log
 * axis, or the same batches as another value's row) and the first values the other swept keys are held at. */
void study_left_out(const study *st, const points *x, char *buf, size_t len);
/* Room for study_left_out's text: a reason for each of the most values a key has, and the keys held. */
enum { STUDY_LEFT_OUT = CONFIG_MAX_VALUES * 200 + 4096 };
/* 1 when st has study plot k (STUDY_PLOT_*): study_write wrote it. */
int study_has_plot(const study *st, int k);
/* The file name (without extension), the title and the caption ("" for none) of study plot k. */
const char *study_plot_name(int k);
const char *study_plot_title(int k);
const char *study_plot_caption(int k);
/* Renders the study plots study_write wrote into plots_dir. 0, 1 when gnuplot is not installed, or -1 with err. */
int study_render(const char *plots_dir, char *err, size_t len);
/* Removes the images (PNG, SVG) of the study plots in plots_dir, as plot_unrender. */
void study_unrender(const char *plots_dir);

#endif
