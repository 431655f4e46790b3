/* A central barrier: a count of arrivals and a generation the last arrival advances, polled by the others, who
 * sleep on it as a futex once their spins run out. libgomp's barriers (GCC 12) wake that futex at every barrier
 * whether or not anyone sleeps: 7 system calls in a 2-thread step of 64-256-256-10 at batch 64 (strace), on the
 * Zen 5 VM of 2026-12-02 1.1-1.3 us each in a ~115 us step, which is why the units step of mlp.c waits here
 * instead. The parallel region's own fork and join stay libgomp's. Spinning first is what libgomp does too, and
 * for as long: a waiter that slept at once would pay a futex wait and a wake at every barrier of a step whose
 * phases last a few microseconds; the spins are bounded, and shorter when threads outnumber the cores. */
#include "team.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif
#if defined(__SSE2__)
#include <immintrin.h>
#endif

/* libgomp's (GCC 12, env.c): the spins by default and under OMP_WAIT_POLICY=ACTIVE (minutes), and the throttled
 * spins when its threads outnumber the cores: unset, ACTIVE, PASSIVE (0), never more than the spins */
#define DEFAULT_SPINS 300000ULL
#define ACTIVE_SPINS 30000000000ULL
#define THROTTLED_SPINS 100ULL
#define THROTTLED_ACTIVE_SPINS 1000ULL

static const char *skip_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* GOMP_SPINCOUNT's value into *n as libgomp reads it: strtoull's number (a sign included: "-5" wraps) with an
 * optional k, M, G or T (powers of 1000, saturating), or "infinite" / "infinity", with spaces around; 0 when it
 * is none of them. */
static int parse_spins(const char *s, unsigned long long *n)
{
    s = skip_space(s);
    if (!strncasecmp(s, "infinite", 8) || !strncasecmp(s, "infinity", 8)) {
        *n = ULLONG_MAX;
        return *skip_space(s + 8) == '\0';
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10), mult = 1;
    if (errno || end == s)
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
    unsigned long long throttled = policy > 0 ? THROTTLED_ACTIVE_SPINS : policy < 0 ? 0 : THROTTLED_SPINS;
    return threads > procs && throttled < spins ? throttled : spins;
}

/* The spins for threads that fit the cores and for more, read once before main, as libgomp reads its environment
 * and counts the cores then: a worker pinned to one core later (placement.c) would count one, and its team of two
 * would spin only the throttled few times, which made loaded runs slower. Like libgomp's count of the threads it
 * manages, `managed` is the calling thread plus the other threads of every team between team_barrier_begin and
 * team_barrier_end, so that teams side by side that outnumber the cores spin briefly (libgomp also counts the
 * teams of regions that use no team barrier, which this count does not see). */
static int start_procs = 1;
static unsigned long long spins_fit = DEFAULT_SPINS, spins_crowded = THROTTLED_SPINS;
static _Atomic int managed = 1;

__attribute__((constructor)) static void read_environment(void)
{
    start_procs = omp_get_num_procs();
    spins_fit = team_spin_count(1, 1);
    spins_crowded = team_spin_count(2, 1);
}

void team_barrier_begin(int threads) { atomic_fetch_add(&managed, threads - 1); }
void team_barrier_end(int threads) { atomic_fetch_sub(&managed, threads - 1); }

unsigned long long team_barrier_spins(void)
{
    return atomic_load_explicit(&managed, memory_order_relaxed) > start_procs ? spins_crowded : spins_fit;
}

static inline void relax(void)
{
#if defined(__SSE2__)
    _mm_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
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
    for (unsigned long long i = team_barrier_spins(); i > 0; i--) {
        if (atomic_load_explicit(&b->gen, memory_order_acquire) != g)
            return;
        relax();
    }
    atomic_fetch_add(&b->sleepers, 1);
    while (atomic_load(&b->gen) == g)
        sleep_on(&b->gen, g);
    atomic_fetch_sub(&b->sleepers, 1);
}
