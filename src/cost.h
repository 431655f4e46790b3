/* The run-cost model: the work and memory of one run, known before anything is allocated. The scheduler orders
 * runs and chooses threads by it, and the memory check refuses plans by it; the memory side follows what
 * train_prepare and mlp_init allocate. */
#ifndef COST_H
#define COST_H
#include <stddef.h>
#include "config.h"
#include "plandata.h"
#include "sweep.h"

/* Rows counted for a step over the whole training set (batch_size 0) before the data is known. */
enum { COST_WHOLE_SET = 1 << 20 };
/* A big run: this many batch x hidden units per step or more. Smaller steps stay below the kernels' serial
 * threshold, so they gain nothing from threads inside a run and train fused (fused.h) or side by side. */
enum { COST_BIG_STEP = 65536 };

typedef struct cost {
    double work;                                 /* multiply-adds of forward passes over all epochs */
    double bytes;                                /* memory the run allocates */
    double step_bytes;                           /* memory a training step touches: parameters, gradients,
                                                    optimizer state, activations and the batch */
} cost;

/* The cost of a run of cfg with these inputs, classes and training rows. Work counts one output unit per class
 * whatever model.output is: it only ranks runs. */
cost cost_run(const config *cfg, int inputs, int nclasses, int train_rows);
/* The forward multiply-adds a training step's fixed cost is worth (bookkeeping, gather, the update's and the
 * loss's loops): the grid's steps (digits, batch 32, hidden 16 to 256: 4.0 to 21.3 us) fit a + b x work with a
 * about 2.5 us, this many multiply-adds at b's rate. */
enum { COST_STEP_MADDS = 81920 };
/* The memory a fused group's steps may touch together (its runs' step_bytes): a 1 MiB L2 cache. Measured on the
 * grid (configs/grid.ini, 2 cores; up to 0.26 MB a step): groups of 2 to 4 runs trained as fast as each run alone
 * or a little faster, groups of 13 (some 2 MB of steps) 5 to 15 % slower, each run's step coming from L3. */
enum { COST_GROUP_BYTES = 1024 * 1024 };
/* A run's share of a fused group's training time (fused.h): its work plus COST_STEP_MADDS per step. */
double cost_time_weight(const config *cfg, int inputs, int nclasses, int train_rows);
/* The cost of run r of plan, whose data data has loaded. */
cost cost_plan_run(const sweep_plan *plan, const plandata *data, long r);
/* The threads a run asking for requested (0: omp_get_max_threads(), which honours OMP_NUM_THREADS) gets: at most
 * omp_get_num_procs(), the processors this process may run on, since more only wait for each other (and may not
 * be creatable at all). cost_threads(0) is the cores the scheduler shares out. */
int cost_threads(int requested);
/* Rows of one step before the data is known: train.batch_size, or COST_WHOLE_SET when it is 0. */
long cost_step_rows(const config *cfg);
/* Hidden units of cfg's model, every layer together. */
long cost_hidden_units(const config *cfg);
/* Refuses a plan whose data and largest runs, parallel of them training at once and, when more runs follow, a
 * landed group of up to group runs waiting to be written, would need more than limit bytes (0: the machine's
 * physical memory). 0, or -1 with the reason in err. */
int cost_check_memory(const sweep_plan *plan, const plandata *data, int parallel, int group, double limit, char *err,
                      size_t len);

#endif
