/* The sweep points of an experiment as its report sees them: table.tsv's row for each point of the plan, which
 * value of each swept key every point has, the committed runs and the manifest of the first. Reads only what the
 * runner wrote. */
#ifndef POINTS_H
#define POINTS_H
#include <stddef.h>
#include "config.h"
#include "sweep.h"

/* One row of table.tsv: the runs of one sweep point aggregated over seeds. */
typedef struct point {
    char id[SWEEP_ID];                          /* point_id */
    int n, diverged;                            /* committed runs, and how many diverged; n = 0: none yet */
    double acc_mean, acc_std, acc_min, acc_max; /* final test accuracy, fractions 0..1 */
    double loss_mean, loss_std;                 /* final test loss */
    double sec_epoch, samples_per_s;
    double val_acc_mean, val_acc_std;           /* final validation accuracy; NAN without a validation set */
    double val_loss_mean, val_loss_std;         /* final validation loss; NAN likewise */
} point;

/* The points of one experiment. */
typedef struct points {
    const config *base;
    const sweep_plan *plan;
    const char *results_dir;
    int nsweep;
    point *pts;                  /* (npoints) in plan order; n = 0 where table.tsv has no row */
    int *vidx;                   /* (npoints, nsweep) value index of each swept key at each point */
    int lr, hidden, threads;     /* position of these keys in [sweep], -1 when not swept */
    long committed, first_run;   /* committed runs (store_read_run), and the first of them (-1: none) */
    char *manifest;              /* manifest.txt of the first committed run, NULL when none */
    int ran[CONFIG_MAX_VALUES];  /* with threads swept: the OpenMP threads a committed run of each value ran on (its
                                  * manifest's openmp_threads; the runner caps a value at the cores), 0: unknown */
} points;

/* Reads results_dir/table.tsv and the committed runs of plan. 0, or -1 with err; points_free either way. */
int points_load(points *x, const config *base, const sweep_plan *plan, const char *results_dir, char *err,
                size_t len);
void points_free(points *x);
/* Reads a table.tsv into rows (*n of them, malloc'ed). 0, or -1 with err. */
int points_read_table(const char *path, point **rows, int *n, char *err, size_t len);
/* The best point: highest mean validation accuracy, then lowest validation loss, when every candidate has a
 * validation set (*on_val = 1); else highest mean test accuracy, then lowest test loss (*on_val = 0, an optimistic
 * choice; on_val may be NULL). Never one whose runs all diverged. -1: none. */
long points_best(const point *p, long n, int *on_val);

/* How many seeds a point's means are over, as a figure says it: "3 seeds", or "2 to 3 seeds" where some points
 * have fewer committed runs than others (a partial --collect). */
void points_seeds_note(const points *x, char *buf, size_t len);
/* A value of swept key i as a figure shows it: train.batch_size = 0 (every training row in one step) as "full",
 * else the value itself. */
const char *points_shown(const points *x, int i, const char *value);
/* The value text and value index of swept key i at point pt. */
const char *points_value(const points *x, long pt, int i);
int points_vindex(const points *x, long pt, int i);
/* s as a number, NAN when it is not one. */
double points_number(const char *s);
/* The value of "key = value" in the manifest, or "unknown". */
void points_manifest(const points *x, const char *key, char *out, size_t len);
/* "learning_rate=0.1, hidden=32": the swept values of point pt except key skip; "all runs" when none. */
void points_label(const points *x, long pt, int skip, char *buf, size_t len);
/* 1 when every swept key but keep1 and keep2 has its first value at point pt. */
int points_others_first(const points *x, long pt, int keep1, int keep2);
/* "hidden=16, threads=1": the values at point pt of the swept keys but keep1 and keep2; "" when there are none. */
void points_others_note(const points *x, int keep1, int keep2, long pt, char *buf, size_t len);
/* The value indices of swept key i, by increasing numeric value (order has nvalues entries). */
void points_numeric_order(const points *x, int i, int *order);
/* The point whose key i has value index v and whose other keys equal those of point like (but key j: vj). */
long points_with(const points *x, long like, int i, int v, int j, int vj);

#endif
