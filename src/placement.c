/* Pinning a worker's team. Left to the kernel, two threads of one 2-thread team sometimes shared a core for much
 * of a run (a futex wake-up brings the sleeper to the waker's core), and every barrier of a step then waited:
 * experiments/performance-log.md, "Where the threads run", has the measurements. Pins are only set where the runs
 * fill the cores: where they leave some free, other work may need a core and a pinned thread could not move away
 * from it. */
#define _GNU_SOURCE /* sched_getaffinity, pthread_setaffinity_np */
#include "placement.h"
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

static _Thread_local const int *given; /* the worker's cores */
static _Thread_local int ngiven;

int *placement_cores(int n, int team, int shared)
{
    cpu_set_t mask;
    if (shared || getenv("OMP_PROC_BIND") || getenv("OMP_PLACES") || getenv("GOMP_CPU_AFFINITY") || n * team < 2 ||
        sched_getaffinity(0, sizeof mask, &mask) != 0 || CPU_COUNT(&mask) != n * team)
        return NULL;
    int *cores = malloc((size_t)(n * team) * sizeof *cores), k = 0;
    for (int c = 0; cores && c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &mask))
            cores[k++] = c;
    return cores;
}

void placement_give(const int *cores, int n)
{
    given = cores;
    ngiven = cores ? n : 0;
}

/* Pins the calling thread to core c; a failure leaves it where it was (only the speed is at stake). */
static void pin_to(int c)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}

void placement_pin(int threads)
{
    if (!given || omp_in_parallel())
        return;
    threads = threads < ngiven ? threads : ngiven;
    if (threads <= 1)
        pin_to(given[0]);
    else {
        const int *cores = given;
        #pragma omp parallel num_threads(threads)
        pin_to(cores[omp_get_thread_num()]);
    }
}
