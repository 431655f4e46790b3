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
    _Atomic long long work_ns[TIMING_NPARTS]; /* timing_add's */
    long prefaulted, prefaults;   /* timing_prefaulted's pages and faults */
} prof;

static long long to_ns(double s) { return (long long)(s * 1e9 + 0.5); }

/* Seconds this thread has spent on a CPU or waiting for one since its process was created (exec keeps counting
 * across the re-exec): the time since the fork, the child's work before its exec included (a shell's, which grows
 * when it sets up a pipeline), as far as it has not blocked. The CPU time from the clock (schedstat's
 * own figure lags by up to a scheduler tick), the waits from /proc/self/schedstat when there is one. */
static double lifetime(void)
{
    struct timespec cpu = {0, 0};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    FILE *f = fopen("/proc/self/schedstat", "r");
    unsigned long long run = 0, wait = 0;
    if (f && fscanf(f, "%llu %llu", &run, &wait) != 2)
        wait = 0;
    if (f)
        fclose(f);
    return (double)cpu.tv_sec + 1e-9 * (double)cpu.tv_nsec + 1e-9 * (double)wait;
}

/* KiB of this process's memory in transparent huge pages (main.c, huge_heap), -1 when the kernel does not say. */
static long huge_kib(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[128];
    long kib = -1;
    while (f && kib < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kib) != 1)
            kib = -1;
    if (f)
        fclose(f);
    return kib;
}

static void print_profile(void)
{
    static const char *const names[TIMING_NPARTS] = {
        "start-up", "config/plan", "data load", "thread probe", "results open", "training", "evaluation",
        "result writes", "tables/report", "exit"};
    static const char *const notes[TIMING_NPARTS] = {
        "fork to main: the child before exec, libraries, the GOMP_SPINCOUNT re-exec", "options, config, plan, folders",
        "HDF5 read, checksums, split", "memory check, thread-creation probe",
        "lock, recovery, identity, committed runs", "main's wait for the workers (their clocks: last line)",
        "train_evaluate, inside training",
        "runs committed", "tables, plot scripts, report, index", "main's return to the exit handlers"};
    timing_enter(TIMING_EXIT);
    double wall = timing_now() - prof.start, sec[TIMING_NPARTS];
    for (int p = 0; p < TIMING_NPARTS; p++)
        sec[p] = 1e-9 * (double)atomic_load(&prof.ns[p]);
    /* the workers trained and evaluated while the main thread waited in the training part: its time is theirs,
     * shared in proportion */
    double train = 1e-9 * (double)atomic_load(&prof.work_ns[TIMING_TRAIN]);
    double eval = 1e-9 * (double)atomic_load(&prof.work_ns[TIMING_EVAL]);
    if (train + eval > 0) {
        sec[TIMING_EVAL] = sec[TIMING_TRAIN] * eval / (train + eval);
        sec[TIMING_TRAIN] -= sec[TIMING_EVAL];
    }
    struct rusage ru = {0};
    getrusage(RUSAGE_SELF, &ru);
    char ahead[80] = "", huge[48] = "";
    if (prof.prefaulted > 0)
        snprintf(ahead, sizeof ahead, " (and %ld pages of heap mapped ahead in one call)", prof.prefaulted);
    long kib = huge_kib();
    if (kib >= 0)
        snprintf(huge, sizeof huge, ", %ld KiB in huge pages", kib);
    fprintf(prof.out, "profile: %.2f ms wall, %ld page faults%s%s, by part (ms; fsyncs and their ms):\n", 1e3 * wall,
            ru.ru_minflt + ru.ru_majflt - prof.prefaults, ahead, huge);
    for (int p = 0; p < TIMING_NPARTS; p++) {
        long long n = atomic_load(&prof.fsyncs[p]);
        char fs[64] = "";
        if (n)
            snprintf(fs, sizeof fs, "%lld fsyncs %.2f ms", n, 1e-6 * (double)atomic_load(&prof.fsync_ns[p]));
        fprintf(prof.out, "profile: %-14s %8.2f  %-22s %s\n", names[p], 1e3 * sec[p], fs, notes[p]);
    }
    fprintf(prof.out, "profile: (the workers, summed over runs: training %.2f ms, evaluation %.2f ms)\n", 1e3 * train,
            1e3 * eval);
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

void timing_prefaulted(long pages, long faults)
{
    prof.prefaulted = pages;
    prof.prefaults = faults;
}

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
        atomic_fetch_add(&prof.work_ns[p], to_ns(seconds));
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
