/* CLOCK_MONOTONIC never jumps with the wall clock, so a duration is never negative. */
#include "timing.h"
#include <time.h>

double timing_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
