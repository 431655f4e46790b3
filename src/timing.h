/* The one clock for measuring durations: monotonic, in seconds. And --profile: where the process's wall time went,
 * part by part, with the fsyncs each part did. */
#ifndef TIMING_H
#define TIMING_H
#include <stdio.h>

/* Seconds on CLOCK_MONOTONIC since an arbitrary start: only differences mean anything. */
double timing_now(void);

/* The parts of a process's wall time, in the order they come. The main thread is always in exactly one part
 * (TIMING_STARTUP until timing_profile_begin); TIMING_EVAL is measured inside the workers' training instead. */
typedef enum timing_part {
    TIMING_STARTUP,  /* fork to main: the child before exec, the libraries, the GOMP_SPINCOUNT re-exec if any */
    TIMING_PLAN,     /* options, config, plan, folders */
    TIMING_LOAD,     /* HDF5 load, checksums, split */
    TIMING_PROBE,    /* memory check and thread-creation probe */
    TIMING_OPEN,     /* results: lock, recovery, identity, which runs are committed */
    TIMING_TRAIN,    /* training (the main thread waiting for the workers) */
    TIMING_EVAL,     /* evaluation inside training (train_evaluate), summed over the runs */
    TIMING_WRITES,   /* committing runs */
    TIMING_REPORT,   /* tables, plots' scripts, report, index */
    TIMING_EXIT,     /* from main's return to the last exit handler */
    TIMING_NPARTS
} timing_part;

/* Turns the profile on (at main's start, once): the time since exec becomes TIMING_STARTUP, the main thread goes
 * into TIMING_PLAN, and the profile is printed on f by an exit handler. */
void timing_profile_begin(FILE *f);
/* 1 when the profile is on. */
int timing_profiling(void);
/* The main thread's time counts to part p from now on (no-op when the profile is off). */
void timing_enter(timing_part p);
/* Adds seconds of work done by the training workers, from any thread: TIMING_EVAL (train_evaluate) or
 * TIMING_TRAIN (a run's training clock, less its evaluation). The main thread's time in TIMING_TRAIN is shared
 * between the two in proportion to them: with runs side by side, the workers' time adds up to more than it. */
void timing_add(timing_part p, double seconds);
/* pages of heap were mapped ahead in one call (main.c, prefault_heap), and the kernel counted faults for them: the
 * profile's count of page faults leaves those out, since none of them trapped, and names the pages apart. */
void timing_prefaulted(long pages, long faults);
/* fsync(fd), counted and timed for the part the main thread is in. fsync's result. */
int timing_fsync(int fd);

#endif
