/* CLOCK_MONOTONIC never jumps with the wall clock, so a duration is never negative. The profile keeps nanoseconds
 * in atomics: the workers add their evaluation time and fsyncs while the main thread moves from part to part. */
#include "timing.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

double timing_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static struct {
    int on;
    FILE *out;
    double start, since;          /* exec's estimated instant; when the main thread entered part */
    _Atomic int part;             /* the main thread's timing_part, read by workers' fsyncs */
    _Atomic long long ns[TIMING_NPARTS], fsyncs[TIMING_NPARTS], fsync_ns[TIMING_NPARTS];
} prof;

static long long to_ns(double s) { return (long long)(s * 1e9 + 0.5); }

/* Seconds this thread has spent on a CPU or waiting for one since its process was created: the time since exec
 * when it has not blocked, and exec keeps counting across the re-exec. From /proc/self/schedstat, else from
 * getrusage (CPU time only). */
static double lifetime(void)
{
    FILE *f = fopen("/proc/self/schedstat", "r");
    unsigned long long run = 0, wait = 0;
    int got = f && fscanf(f, "%llu %llu", &run, &wait) == 2;
    if (f)
        fclose(f);
    if (got)
        return 1e-9 * (double)(run + wait);
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

static void print_profile(void)
{
    static const char *const names[TIMING_NPARTS] = {
        "start-up", "config/plan", "data load", "thread probe", "results open", "training", "evaluation",
        "result writes", "tables/report", "exit"};
    static const char *const notes[TIMING_NPARTS] = {
        "exec to main: libraries, the GOMP_SPINCOUNT re-exec", "options, config, plan, folders",
        "HDF5 read, checksums, split", "memory check, thread-creation probe",
        "lock, recovery, identity, committed runs", "less evaluation", "inside training, summed over runs",
        "runs committed", "tables, plot scripts, report, index", "main's return to the exit handlers"};
    timing_enter(TIMING_EXIT);
    double wall = timing_now() - prof.start, sec[TIMING_NPARTS];
    for (int p = 0; p < TIMING_NPARTS; p++)
        sec[p] = 1e-9 * (double)atomic_load(&prof.ns[p]);
    /* evaluation happened inside the training part's wall time: it is taken out of it, as far as it goes */
    double eval = sec[TIMING_EVAL] < sec[TIMING_TRAIN] ? sec[TIMING_EVAL] : sec[TIMING_TRAIN];
    sec[TIMING_TRAIN] -= eval;
    sec[TIMING_EVAL] = eval;
    fprintf(prof.out, "profile: %.2f ms wall, by part (ms; fsyncs and their ms):\n", 1e3 * wall);
    for (int p = 0; p < TIMING_NPARTS; p++) {
        long long n = atomic_load(&prof.fsyncs[p]);
        char fs[64] = "";
        if (n)
            snprintf(fs, sizeof fs, "%lld fsyncs %.2f ms", n, 1e-6 * (double)atomic_load(&prof.fsync_ns[p]));
        fprintf(prof.out, "profile: %-14s %8.2f  %-22s %s\n", names[p], 1e3 * sec[p], fs, notes[p]);
    }
    fflush(prof.out);
}

void timing_profile_begin(FILE *f)
{
    double now = timing_now(), before = lifetime();
    prof.out = f;
    prof.start = now - before;
    prof.since = now;
    atomic_store(&prof.part, (int)TIMING_PLAN);
    atomic_store(&prof.ns[TIMING_STARTUP], to_ns(before));
    prof.on = 1;
    atexit(print_profile);
}

int timing_profiling(void) { return prof.on; }

void timing_enter(timing_part p)
{
    if (!prof.on)
        return;
    double now = timing_now();
    atomic_fetch_add(&prof.ns[atomic_load(&prof.part)], to_ns(now - prof.since));
    prof.since = now;
    atomic_store(&prof.part, (int)p);
}

void timing_add(timing_part p, double seconds)
{
    if (prof.on)
        atomic_fetch_add(&prof.ns[p], to_ns(seconds));
}

int timing_fsync(int fd)
{
    if (!prof.on)
        return fsync(fd);
    double t0 = timing_now();
    int rc = fsync(fd);
    int p = atomic_load(&prof.part);
    atomic_fetch_add(&prof.fsyncs[p], 1);
    atomic_fetch_add(&prof.fsync_ns[p], to_ns(timing_now() - t0));
    return rc;
}
