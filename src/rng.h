/* Deterministic random numbers: xoshiro256** seeded through splitmix64 from (seed, stream), so weights init,
 * shuffling, the train/test split and the validation split each draw from their own reproducible stream. */
#ifndef RNG_H
#define RNG_H
#include <stdint.h>

typedef struct rng { uint64_t s[4]; } rng;

enum { RNG_STREAM_INIT = 1, RNG_STREAM_SHUFFLE = 2, RNG_STREAM_SPLIT = 3, RNG_STREAM_VALIDATION = 4 };

void rng_init(rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(rng *r);
double rng_uniform(rng *r);               /* [0, 1) with 53 random bits */
double rng_normal(rng *r);                /* N(0, 1), Box-Muller, one value per call */
uint64_t rng_below(rng *r, uint64_t n);   /* uniform in [0, n), unbiased; n > 0 */
void rng_shuffle(rng *r, int *a, int n);  /* Fisher-Yates */

#endif
