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
 * (or as OMP_WAIT_POLICY says; libgomp's default otherwise), fewer when the team outnumbers the cores, then
 * asleep. A team of one returns at once. */
void team_barrier_wait(team_barrier *b);

/* The spins team_barrier_wait makes before sleeping in a team of `threads`: team_spin_count with the environment
 * and the cores of the process as they were at its start (libgomp's view), whatever the calling thread is pinned
 * to since. */
unsigned long long team_barrier_spins(int threads);

/* The spins before sleeping for a team of `threads` on `procs` cores, from GOMP_SPINCOUNT and OMP_WAIT_POLICY as
 * libgomp reads them: its value, "infinite", or with a k, M, G or T suffix; ACTIVE: all but endless; PASSIVE: 0;
 * neither: 300000; a bad value counts as unset. */
unsigned long long team_spin_count(int threads, int procs);

#endif
