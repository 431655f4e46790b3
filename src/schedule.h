/* Runs side by side: how many runs train at once and with how many OpenMP threads each, and a pool of worker
 * threads that execute prepared train jobs. Workers only compute (no HDF5); the main thread prepares jobs and
 * commits the finished ones, so results never depend on the schedule. */
#ifndef SCHEDULE_H
#define SCHEDULE_H
#include "config.h"
#include "train.h"

/* Chooses runs side by side (*parallel) and threads per run (*threads) for ntodo runs on cores cores.
 * A sweep over experiment.threads runs one at a time so its timings mean what they say. Fills why with
 * a short reason for the choice. */
void schedule_choose(const config *base, long ntodo, int cores, int *parallel, int *threads, char *why, size_t len);

typedef struct schedule_pool schedule_pool;
/* Starts n worker threads; NULL when threads cannot be created. */
schedule_pool *schedule_start(int n);
/* Hands a prepared job to the workers (main thread). */
void schedule_submit(schedule_pool *p, train_job *job);
/* The next finished job, or NULL when none finished within timeout seconds. */
train_job *schedule_wait(schedule_pool *p, double timeout);
/* Lets the workers finish their jobs and joins them. */
void schedule_stop(schedule_pool *p);

#endif
