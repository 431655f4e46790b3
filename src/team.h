/* A barrier for the threads of one OpenMP team that makes no system call unless a thread went to sleep in it.
 * libgomp's last thread into a barrier always wakes the futex, sleeper or not: on a kernel that isolates page
 * tables that system call is ~1.2 us, paid at every barrier of a training step (why it matters: team.c). */
#ifndef TEAM_H
#define TEAM_H

/* Shared by the team (declared outside the parallel region, zeroed: TEAM_BARRIER_INIT); each field on its own
 * cache line, so the arrivals do not disturb the threads polling the generation. */
typedef struct team_barrier {
    _Alignas(64) _Atomic unsigned gen; /* barriers passed; the futex word */
    _Alignas(64) _Atomic int arrived;  /* threads in the current barrier */
    _Atomic int sleepers;              /* threads asleep on gen */
} team_barrier;
#define TEAM_BARRIER_INIT {0, 0, 0}

/* Every thread of the calling (innermost) team calls it; none returns before all have arrived, and each sees
 * every write the others made before arriving. It waits as libgomp's barriers do: spinning GOMP_SPINCOUNT times
 * (or as OMP_WAIT_POLICY says; libgomp's default otherwise), fewer when threads outnumber the cores
 * (team_barrier_spins), then asleep. A team of one returns at once. */
void team_barrier_wait(team_barrier *b);

/* Around a parallel region of `threads` whose team waits at a team_barrier: its threads count among the process's
 * (the calling thread already does), which decide the spins. */
void team_barrier_begin(int threads);
void team_barrier_end(int threads);

/* The spins team_barrier_wait makes before sleeping: team_spin_count with the environment and the cores of the
 * process as they were at its start (libgomp's view, whatever the calling thread is pinned to since), crowded
 * when the threads of the teams between team_barrier_begin and team_barrier_end (and one more: the process's
 * first) outnumber those cores. */
unsigned long long team_barrier_spins(void);

/* The spins before sleeping for `threads` threads on `procs` cores, from GOMP_SPINCOUNT and OMP_WAIT_POLICY as
 * libgomp (GCC 12) reads them: GOMP_SPINCOUNT's number (strtoull's, so "-5" wraps), with a k, M, G or T suffix,
 * or "infinite"; else ACTIVE: all but endless, PASSIVE: none, neither: libgomp's default. Threads that outnumber
 * the cores spin libgomp's throttled count instead (fewer under ACTIVE, none under PASSIVE), never more than the
 * unthrottled. A bad value counts as unset. */
unsigned long long team_spin_count(int threads, int procs);

#endif
