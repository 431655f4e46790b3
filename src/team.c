/* A central barrier: a count of arrivals and a generation the last arrival advances, polled by the others, who
 * sleep on it as a futex once their spins run out. libgomp's barriers (GCC 12) wake that futex at every barrier
 * whether or not anyone sleeps: 7 system calls in a 2-thread step of 64-256-256-10 at batch 64 (strace), on the
 * Zen 5 VM of 2026-12-02 1.1-1.3 us each in a ~115 us step, which is why the units step of mlp.c waits here
 * instead. The parallel region's own fork and join stay libgomp's. */
#include "team.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#include <sched.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif
#if defined(__SSE2__)
#include <immintrin.h>
#endif

enum { THROTTLED_SPINS = 1000 }; /* libgomp's, for a team that outnumbers the cores */
#define DEFAULT_SPINS 300000ULL  /* libgomp's default */
#define ACTIVE_SPINS 30000000000ULL /* libgomp's for OMP_WAIT_POLICY=ACTIVE: minutes */

static const char *skip_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* GOMP_SPINCOUNT's value into *n: digits with an optional k, M, G or T (powers of 1000), or "infinite" /
 * "infinity", with spaces around; 0 when it is not one of them. */
static int parse_spins(const char *s, unsigned long long *n)
{
    s = skip_space(s);
    if (!strncasecmp(s, "infinite", 8) || !strncasecmp(s, "infinity", 8)) {
        *n = ULLONG_MAX;
        return *skip_space(s + 8) == '\0';
    }
    if (!isdigit((unsigned char)*s))
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10), mult = 1;
    if (errno)
        return 0;
    end = (char *)skip_space(end);
    if (*end) {
        switch (tolower((unsigned char)*end)) {
        case 'k': mult = 1000ULL; break;
        case 'm': mult = 1000000ULL; break;
        case 'g': mult = 1000000000ULL; break;
        case 't': mult = 1000000000000ULL; break;
        default: return 0;
        }
        if (*skip_space(end + 1))
            return 0;
    }
    *n = v > ULLONG_MAX / mult ? ULLONG_MAX : v * mult;
    return 1;
}

/* OMP_WAIT_POLICY: 1 active, -1 passive, 0 unset or neither */
static int wait_policy(void)
{
    const char *p = getenv("OMP_WAIT_POLICY");
    if (!p)
        return 0;
    p = skip_space(p);
    int active = !strncasecmp(p, "active", 6), passive = !strncasecmp(p, "passive", 7);
    if ((active && !*skip_space(p + 6)) || (passive && !*skip_space(p + 7)))
        return active ? 1 : -1;
    return 0;
}

unsigned long long team_spin_count(int threads, int procs)
{
    int policy = wait_policy();
    unsigned long long spins = policy > 0 ? ACTIVE_SPINS : policy < 0 ? 0 : DEFAULT_SPINS, given;
    const char *s = getenv("GOMP_SPINCOUNT");
    if (s && parse_spins(s, &given))
        spins = given;
    if (threads > procs && policy <= 0 && spins > THROTTLED_SPINS)
        spins = THROTTLED_SPINS;
    return spins;
}

/* The spins for a team that fits the cores and for one that outnumbers them, read once before main, as libgomp
 * reads its environment and counts the cores then: a worker pinned to one core later (placement.c) would count
 * one, and its team of two would spin only the throttled 1000 times, which made loaded runs slower. */
static int start_procs = 1;
static unsigned long long spins_fit = DEFAULT_SPINS, spins_crowded = THROTTLED_SPINS;

__attribute__((constructor)) static void read_environment(void)
{
    start_procs = omp_get_num_procs();
    spins_fit = team_spin_count(1, 1);
    spins_crowded = team_spin_count(2, 1);
}

unsigned long long team_barrier_spins(int threads) { return threads > start_procs ? spins_crowded : spins_fit; }

static inline void relax(void)
{
#if defined(__SSE2__)
    _mm_pause();
#endif
}

static void sleep_on(_Atomic unsigned *gen, unsigned g)
{
#if defined(__linux__) && defined(SYS_futex)
    syscall(SYS_futex, (unsigned *)gen, FUTEX_WAIT_PRIVATE, g, NULL, NULL, 0);
#else
    (void)gen, (void)g;
    sched_yield(); /* <sched.h> */
#endif
}

static void wake_all(_Atomic unsigned *gen)
{
#if defined(__linux__) && defined(SYS_futex)
    syscall(SYS_futex, (unsigned *)gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
    (void)gen;
#endif
}

/* The generation is read before arriving, so a thread cannot mistake the end of this barrier for the last. The
 * last arrival resets the count before it advances the generation (release: the others see its writes, and
 * through the count's read-modify-writes every earlier arrival's). A sleeper announces itself (sleepers) before
 * it looks at the generation a last time, and the last arrival looks at sleepers after advancing it, both
 * sequentially consistent: one of the two sees the other, so no wake is lost. */
void team_barrier_wait(team_barrier *b)
{
    int n = omp_get_num_threads();
    if (n < 2)
        return;
    unsigned g = atomic_load(&b->gen);
    if (atomic_fetch_add(&b->arrived, 1) == n - 1) {
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        atomic_store(&b->gen, g + 1);
        if (atomic_load(&b->sleepers))
            wake_all(&b->gen);
        return;
    }
    for (unsigned long long i = team_barrier_spins(n); i > 0; i--) {
        if (atomic_load_explicit(&b->gen, memory_order_acquire) != g)
            return;
        relax();
    }
    atomic_fetch_add(&b->sleepers, 1);
    while (atomic_load(&b->gen) == g)
        sleep_on(&b->gen, g);
    atomic_fetch_sub(&b->sleepers, 1);
}
