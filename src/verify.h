/* --verify and --collect: check every run that an experiment's plan expects with the store's definition of a
 * committed run, so a missing run counts as much as a damaged one. */
#ifndef VERIFY_H
#define VERIFY_H
#include <stddef.h>
#include <stdio.h>
#include "sweep.h"

/* What verify_runs found: runs by verdict and, with owners, per shard. */
typedef struct verify_counts {
    long intact, damaged, missing, busy;
    long *owned, *committed;                     /* (nshards) each, or NULL: not counted per shard */
} verify_counts;

/* Checks every run of plan in experiment folder dir (store_read_run), in plan order: one line per missing,
 * damaged or unreadable run to lines as it is found (NULL: none), and the counts into c (its per-shard arrays,
 * when given, zeroed by the caller, indexed by owner[r]). */
void verify_runs(const char *dir, const sweep_plan *plan, const int *owner, FILE *lines, verify_counts *c);
/* Checks every run of the plan of <root>/<name>: one line per missing, damaged or unreadable run goes to lines as
 * it is found (nothing is held back), then the closing count to ok, whatever it says (the answer asked for: a
 * script that keeps standard output keeps it when something is wrong too).
 * 0 (with *bad set to the runs that are not committed), or -1 with err when the plan cannot be read. */
int verify_experiment(const char *root, const char *name, FILE *lines, FILE *ok, long *bad, char *err, size_t len);

#endif
