/* The plan of runs: the Cartesian product of every [sweep] list, times every seed. Run r is point r / nseeds
 * with seed number r % nseeds; its id ("learning_rate=0.1_hidden=128_seed=1") depends only on its own values,
 * so adding a value to a list keeps the ids of the runs that already exist. */
#ifndef SWEEP_H
#define SWEEP_H
#include <stddef.h>
#include "config.h"

/* SWEEP_ID holds any id; a plan refuses ids longer than SWEEP_ID_MAX characters, since each names a folder and,
 * with the prefix and suffix of its temporary folder, must stay within NAME_MAX (255 bytes). */
enum { SWEEP_ID = 256, SWEEP_ID_MAX = 200 };

typedef struct sweep_plan {
    const config *base;
    long npoints, nruns;
} sweep_plan;

/* Plans the runs of base; refuses more than max_runs runs, an id longer than SWEEP_ID_MAX or two runs with one
 * id. 0, or -1 with err. */
int sweep_plan_init(sweep_plan *p, const config *base, long max_runs, char *err, size_t len);
/* The resolved config of run r (no sweep list), its seed and its id. */
void sweep_run(const sweep_plan *p, long r, config *out, long long *seed, char *id, size_t idlen);
/* The sweep point of run r: runs of one point differ only in their seed. */
long sweep_point(const sweep_plan *p, long r);
/* Which value of swept key i (an index into base->sweep[i].values) point pt has. */
int sweep_value_index(const sweep_plan *p, long pt, int i);
/* The id of sweep point pt (the run id without its seed), "all" when nothing is swept. */
void sweep_point_id(const sweep_plan *p, long pt, char *id, size_t idlen);

#endif
