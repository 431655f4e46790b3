/* The one clock for measuring durations: monotonic, in seconds. */
#ifndef TIMING_H
#define TIMING_H

/* Seconds on CLOCK_MONOTONIC since an arbitrary start: only differences mean anything. */
double timing_now(void);

#endif
