/* Runs side by side: how many runs train at once and with how many OpenMP threads each, and a pool of worker
 * threads that execute prepared train jobs. Workers only compute (no HDF5); the main thread prepares jobs and
 * commits the finished ones, so results never depend on the schedule. */
#ifndef SCHEDULE_H
#define SCHEDULE_H
#include "config.h"
#include "fused.h"
#include "plandata.h"
#include "sweep.h"
#include "train.h"

/* Chooses runs side by side (*parallel) and threads per run (*threads) for ntodo of the plan's runs on cores
 * cores, with the plan's data (its training rows size a whole-set batch; NULL: a placeholder). A sweep over
 * experiment.threads runs one at a time so its timings mean what they say. Fills why with a short reason for the
 * choice. */
void schedule_choose(const sweep_plan *plan, const plandata *data, long ntodo, int cores, int *parallel, int *threads,
                     char *why, size_t len);
/* 1 when the plan sweeps experiment.threads: each run then takes its own thread count. */
int schedule_threads_swept(const sweep_plan *plan);
/* Fused groups (fused.h) for the todo runs (ntodo plan indices, largest first; keys indexed by plan index) trained
 * parallel side by side on threads each: the most runs per group, as many groups of a kind as runs side by side,
 * as many as fit COST_GROUP_BYTES a thread; 1 for none (nofuse, experiment.threads swept,
 * experiment.parallel_runs set, or no two runs fuse).
 * Fills what with the choice for the printed line. */
int schedule_fuse(const sweep_plan *plan, const fused_key *keys, const long *todo, long ntodo, int parallel,
                  int threads, int nofuse, char *what, size_t len);
/* schedule_fuse's group size for every run of the plan (data loaded); 1 when out of memory. */
int schedule_fuse_all(const sweep_plan *plan, const plandata *data, int parallel, int threads, int nofuse);
/* Orders todo (ntodo plan indices) largest run first by cost_run's work, plan order among equals, so that the
 * sweep does not end with one big run on one core while the others idle (longest processing time first). 0, or
 * -1 when out of memory (todo unchanged: plan order trains correctly, only slower). */
int schedule_order(const sweep_plan *plan, const plandata *data, long *todo, long ntodo);

/* Creates n threads alive at once and joins them: whether a sweep's threads (its workers and their OpenMP
 * teams) can be created, asked before anything is written, since libgomp aborts the process when it cannot
 * create one. 0, or -1 with the reason in err. */
int schedule_probe(int n, char *err, size_t len);

typedef struct schedule_pool schedule_pool;
/* Starts n worker threads for runs of threads OpenMP threads each, pinned to cores of their own where they fill
 * the process's cores (placement_cores; shared: never); NULL when threads cannot be created. */
schedule_pool *schedule_start(int n, int threads, int shared);
/* Hands a group of n <= FUSED_GROUP_MAX prepared jobs (a fused group when n > 1, else one run alone) to the workers
 * (main thread); owners[i] (not NULL) comes back from schedule_wait when jobs[i] finished, a group's each as it
 * leaves the group (the group goes on without it: the main thread may free it then). */
void schedule_submit_group(schedule_pool *p, train_job **jobs, void **owners, int n);
/* The owner of the next finished job, or NULL when none finished within timeout seconds. */
void *schedule_wait(schedule_pool *p, double timeout);
/* Lets the workers finish their jobs and joins them. */
void schedule_stop(schedule_pool *p);

#endif
