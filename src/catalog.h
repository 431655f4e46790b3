/* The experiments under a results root, side by side: --list (one line each: runs committed of planned, best
 * point, date), --compare (their best points in one Markdown table and their loss curves in one plot) and the
 * rows of index.html. Reads table.tsv, summary.tsv and the runs' curves through points.c, tsv.c and curve.c, and
 * the runs an experiment plans from the plan identity.c saved before training. */
#ifndef CATALOG_H
#define CATALOG_H
#include <stddef.h>
#include <stdio.h>
#include "config.h"
#include "error.h"
#include "points.h"
#include "sweep.h"

/* One experiment folder of a results root. */
typedef struct catalog_entry {
    char name[CONFIG_NAME];
    int committed;          /* rows of summary.tsv, -1 when it cannot be read */
    long planned;           /* runs the experiment plans (its saved plan), -1 when unknown */
    int has_best;           /* best is a point that did not diverge whole */
    int best_on_val;        /* the validation set chose it (else the test set) */
    point best;
    char date[24];          /* when summary.tsv was last written, UTC "YYYY-MM-DD HH:MM" */
    int tables;             /* it has a summary.tsv: else committed counts its committed runs (store_read_run) */
} catalog_entry;

typedef struct catalog {
    catalog_entry *e;       /* (n) sorted by name */
    int n;
} catalog;

/* Reads every experiment folder of root that holds a summary.tsv and, with untabled, one that holds an
 * experiment.ini only (runs without tables yet, as shards before --collect or a sweep stopped early; its
 * committed runs read one by one). 0, or -1 with err; catalog_free either way. */
int catalog_load(catalog *c, const char *root, int untabled, char *err, size_t len);
void catalog_free(catalog *c);
/* Prints the experiments of root, one aligned line each, to out. ERROR_NONE, or ERROR_USAGE (no such root) or
 * ERROR_OUTPUT with one line in err. */
error_class catalog_list(const char *root, FILE *out, char *err, size_t len);

/* What --compare writes: root/compare-<names>.md and plots_root/compare-<names>/loss_curves.*, the names joined
 * by '+' (compare-digits+lr_sweep). */
typedef struct catalog_compared {
    char markdown[4096], plots[4096];
    char warning[300];      /* "" or why the plot was not rendered */
} catalog_compared;
/* Compares the best points of the n experiments names of root (2 to 8). ERROR_NONE; ERROR_USAGE with one line
 * naming the experiment that is unknown, has no best point or was trained on other data; ERROR_OUTPUT when the
 * files cannot be written. */
error_class catalog_compare(const char *root, const char *plots_root, const char *const *names, int n, int render,
                            catalog_compared *out, char *err, size_t len);

#endif
