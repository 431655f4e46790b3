/* Fused sweep training: runs that read the same training rows in the same order in batches of the same size train
 * as one group in lockstep, epoch by epoch and one mini-batch at a time: each step's batch is gathered once (per
 * thread of the group's OpenMP team, each thread stepping its share of the runs) and every run's step is the
 * same kernels' work as alone, so each run's numbers are bitwise those it gives alone. A run that diverges,
 * early-stops, reaches its target or ends its epochs leaves the group; the others go on. */
#ifndef FUSED_H
#define FUSED_H
#include "config.h"
#include "plandata.h"
#include "sweep.h"
#include "train.h"

enum { FUSED_GROUP_MAX = 64 }; /* runs per group at most */

/* What decides whether two runs may train in one group. */
typedef struct fused_key {
    const plandata_set *set;                     /* the data (rows, split, validation) */
    long long seed;                              /* the shuffle stream (0 when train.shuffle = 0) */
    int batch, shuffle, nhidden, activation, output;
    int fusable;                                 /* 0: the run trains alone (fused_supported, or a big step) */
    double step_bytes;                           /* cost_run's */
} fused_key;

/* 1 when a run of cfg may train in a group: none of the features lockstep leaves out (train.noise_scale, a target
 * checked every train.eval_every_steps steps). */
int fused_supported(const config *cfg);
/* The key of plan run r (data as loaded). */
fused_key fused_key_of(const sweep_plan *plan, const plandata *data, long r);
/* The keys of the todo runs (ntodo plan indices), in an array of plan->nruns indexed by plan index (the others
 * zero: not fusable); NULL when out of memory. The caller frees it. */
fused_key *fused_keys(const sweep_plan *plan, const plandata *data, const long *todo, long ntodo);
/* 1 when runs of keys a and b train in one group. */
int fused_same(const fused_key *a, const fused_key *b);
/* The groups of up to cap runs that todo (ntodo plan indices, largest first; keys indexed by plan index) forms,
 * as fused_pick deals them out. */
long fused_count(const fused_key *keys, const long *todo, long ntodo, int cap);
/* Forms the group of todo[next], of at most cap runs: the runs of todo[next..ntodo) that fuse with it, dealt out
 * so that the groups of one kind get similar shares of its big and small runs, moved to todo[next..next+k) (the
 * others keep their order). Returns k >= 1. */
long fused_pick(const fused_key *keys, long *todo, long next, long ntodo, int cap);
/* Called with a run's index when it leaves its group (its results filled, or interrupted), from any thread of the
 * group's team, once per run: the group never touches that job again, so the callee may hand it on. */
typedef void fused_left(void *ctx, int i);
/* Trains jobs[0..n) (prepared, of one kind: fresh or resumed from in-run checkpoints) together on threads OpenMP
 * threads; fills each one's results as train_execute would, bitwise. Runs resumed at another position than the
 * group's train alone after it. Each run's curve seconds are the group's training time of the epoch shared out by
 * cost_time_weight. left (NULL: none) hears of each run as it leaves. Touches no HDF5, safe in a worker thread. */
void fused_execute(train_job **jobs, int n, int threads, fused_left *left, void *ctx);

#endif
