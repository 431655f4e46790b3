/* Where a sweep's threads run: when the runs side by side fill exactly the cores the process may use, each worker
 * and the threads of its OpenMP team are pinned one to a core (why, and when not: placement.c). */
#ifndef PLACEMENT_H
#define PLACEMENT_H

/* The process's cores (its affinity mask, in order) for n workers of team threads each, worker w's thread t on
 * core w * team + t; NULL when they are not to be pinned: the workers do not fill the mask exactly, fewer than
 * two threads in all, the user placed the threads (OMP_PROC_BIND, OMP_PLACES, GOMP_CPU_AFFINITY), or shared is
 * set (processes that may share one mask, such as shards: the same pins in each would stack them). Free it. */
int *placement_cores(int n, int team, int shared);
/* Gives the calling thread (a worker) its team cores cores[0..n-1]; NULL: none. */
void placement_give(const int *cores, int n);
/* Pins the calling thread and the threads of the team of up to `threads` it is about to use, one to each of its
 * cores, outside any parallel region; nothing without cores. Called before each run or group, since libgomp
 * replaces a team's extra threads after a smaller region, and new threads would share their creator's core. */
void placement_pin(int threads);

#endif
