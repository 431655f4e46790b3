/* Shards: a sweep split among processes that never talk to each other. Which runs shard I of N owns is a fixed
 * function of the plan and N (the run-cost model's longest-processing-time greedy), never of what is committed,
 * so any shard can be started, killed and started again on its own. I and N come from --shard or the launcher. */
#ifndef SHARD_H
#define SHARD_H
#include <stddef.h>
#include "plandata.h"
#include "sweep.h"

enum { SHARD_MAX = 1000000 };

typedef struct shard {
    int index, count;                            /* 0 <= index < count */
    const char *source;                          /* where they came from: "--shard", "SLURM_ARRAY_TASK_ID", ... */
} shard;

/* Parses "I/N" or "auto" (a Slurm array task's variables, else Open MPI's rank, else Slurm's task, else 0/1). 0, or -1 with a line
 * naming the text or the variables in err. */
int shard_parse(const char *text, shard *s, char *err, size_t len);
/* When a launcher started this process as one of several (a Slurm job array, mpirun's ranks), a note for a plain run that another runner already holds its experiment: the
 * variable and a hint to give --shard auto; else "". */
void shard_launcher_note(char *buf, size_t len);
/* The owner (shard index) of every run of plan among count shards, into owner (plan->nruns), and each shard's
 * estimated work into load (count; NULL: not wanted): runs by cost_run's work, largest first and plan order among
 * equals, each to the shard with the least work so far (the lowest index among equals). 0, or -1 when out of
 * memory. */
int shard_assign(const sweep_plan *plan, const plandata *data, int count, int *owner, double *load);
/* SLURM_CPUS_PER_TASK, the cores a Slurm task was given: that positive integer, 0 when unset, or -1 with err
 * when it is anything else. */
int shard_cpus(char *err, size_t len);

#endif
