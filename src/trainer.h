/* Training the runs of a plan that are missing: the main thread's side of the worker pool. It prepares each run
 * (going on from its in-run checkpoint when one fits), hands runs to the workers in fused groups or alone, and
 * commits each one as it lands, largest runs first, several side by side. */
#ifndef TRAINER_H
#define TRAINER_H
#include "cli.h"
#include "error.h"
#include "plandata.h"
#include "progress.h"
#include "store.h"
#include "sweep.h"
#include <signal.h>

/* The groups in flight (a run alone is a group of one): each one's runs not landed yet, by slot. A group stays in
 * flight until the last of its runs lands, whichever order they land in. */
typedef struct trainer_flights {
    int members[PROGRESS_MAX_AIR];               /* by slot; 0: a free slot */
    int groups, nair;                            /* groups in flight, and their runs not landed */
} trainer_flights;

/* A group of k runs starts: its slot. At most PROGRESS_MAX_AIR groups and runs may be in flight (asserted). */
int trainer_flights_add(trainer_flights *f, int k);
/* A run of the group in slot lands: 1 when it was the group's last (the group is no longer in flight), else 0. */
int trainer_flights_land(trainer_flights *f, int slot);

/* Trains every run of the plan that is not committed yet in res (all of them with opt->force; only those whose
 * owner[] is opt->shard.index when owner is not NULL), several side by side, largest first, and commits each as it
 * lands; *stop (set by a signal) ends the sweep with the runs in flight interrupted (their in-run checkpoints
 * written). ERROR_NONE, or the class of the failure after its line was printed (ERROR_OUTPUT: out of
 * memory or a commit failed; ERROR_USAGE: no worker thread; ERROR_DATA: a run could not start). */
error_class trainer_train(const cli_options *opt, const sweep_plan *plan, store *res, const plandata *data,
                          const int *owner, volatile sig_atomic_t *stop);

#endif
