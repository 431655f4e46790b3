/* The worker pool: a mutex, two condition variables and two fixed queues; no busy waiting. Each worker is given
 * its cores where the runs are pinned (placement.h). */
#include "schedule.h"
#include "cost.h"
#include "placement.h"
#include "plural.h"
#include "progress.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { QUEUE = 256 };

/* A group of jobs (one alone, or a fused group) and what its submitter handed in with each. */
typedef struct entry {
    train_job *jobs[FUSED_GROUP_MAX];
    void *owners[FUSED_GROUP_MAX];
    int n;
} entry;

struct schedule_pool {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    entry todo[QUEUE];
    void *finished[QUEUE * FUSED_GROUP_MAX];     /* owners of finished jobs */
    int ntodo, nfinished, shutdown, nthreads, started;
    int team;                                    /* threads per worker */
    int *cores;                                  /* (nthreads * team) placement_cores', NULL: none */
    pthread_t threads[];
};

/* Batch x hidden units per step of the plan's largest run, to tell big runs from small: the largest batch and
 * the largest hidden units among every sweep point, each taken on its own. A whole-set batch (batch_size 0) is
 * the point's training rows where data is given, else COST_WHOLE_SET. */
static long largest_step_units(const sweep_plan *plan, const plandata *data)
{
    const config *base = plan->base;
    long batch = 0, hidden = 0;
    config c;
    long long seed;
    char id[SWEEP_ID];
    for (long pt = 0; pt < plan->npoints; pt++) {
        sweep_run(plan, pt * base->nseeds, &c, &seed, id, sizeof id);
        const plandata_set *d = data ? plandata_find(data, &c) : NULL;
        long b = d ? train_batch_rows(&c, d->train.rows) : cost_step_rows(&c), h = cost_hidden_units(&c);
        batch = b > batch ? b : batch;
        hidden = h > hidden ? h : hidden;
    }
    return batch * hidden;
}

/* Runs side by side when nothing in the config says: the p that trains ntodo runs soonest. Measured by `make
 * bench` ("Scheduler" and "Thread scaling" tables): runs side by side never wait for each other, so with at least
 * as many runs as cores they win; only the last round of a sweep whose runs do not divide among the cores leaves
 * cores idle. A big run (BIG or more batch x hidden units per step; smaller ones stay below the kernels' serial
 * threshold) trains SPEEDUP times faster on two threads, as measured for whole runs here. So p runs at a time
 * take ceil(ntodo / p) rounds, each 1 / S(cores / p) as long, with S(t) = 1 + (t - 1) (SPEEDUP - 1) for big runs
 * and 1 for small ones; the p with the least time wins, ties going to more runs side by side. */
static int auto_parallel(long units, long ntodo, int cores)
{
    enum { BIG = COST_BIG_STEP };
    const double SPEEDUP = 1.25;
    double best = 0;
    int p = 1;
    for (int q = 1; q <= cores && q <= ntodo; q++) {
        if (cores % q)
            continue;
        double s = units >= BIG ? 1 + (cores / q - 1) * (SPEEDUP - 1) : 1;
        double span = (double)((ntodo + q - 1) / q) / s;
        if (q == 1 || span <= best)
            best = span, p = q;
    }
    return p;
}

int schedule_threads_swept(const sweep_plan *plan)
{
    const config *base = plan->base;
    int swept = 0;
    for (int i = 0; i < base->nsweep; i++)
        swept |= base->sweep[i].key == config_find("experiment.threads");
    return swept;
}

void schedule_choose(const sweep_plan *plan, const plandata *data, long ntodo, int cores, int *parallel, int *threads,
                     char *why, size_t len)
{
    const config *base = plan->base;
    if (cores < 1)
        cores = 1;
    int p, t = base->threads;
    if (schedule_threads_swept(plan)) {
        p = 1;
        snprintf(why, len, "one run at a time: experiment.threads is swept, so each timing is alone");
    } else if (base->parallel_runs > 0) {
        p = base->parallel_runs;
        snprintf(why, len, "experiment.parallel_runs = %d", p);
    } else if (t > 0) {
        p = cores / t > 1 ? cores / t : 1;
        int got = t < cores ? t : cores; /* the runs get the cores, not more (check_threads said so) */
        int n = snprintf(why, len, "auto: %d core%s / %d thread%s per run", cores, plural(cores), got, plural(got));
        if (t > got && n >= 0 && (size_t)n < len)
            snprintf(why + n, len - (size_t)n, ", %d asked", t);
    } else {
        long units = largest_step_units(plan, data);
        p = auto_parallel(units, ntodo, cores);
        snprintf(why, len, "auto: %ld run%s of up to %ld batch x hidden units on %d core%s", ntodo,
                 plural(ntodo), units, cores, plural(cores));
    }
    if (p > ntodo)
        p = (int)ntodo;
    if (p < 1)
        p = 1;
    if (p > QUEUE)
        p = QUEUE;
    if (t == 0)
        t = cores / p > 1 ? cores / p : 1;
    *parallel = p;
    *threads = t;
}

int schedule_fuse(const sweep_plan *plan, const fused_key *keys, const long *todo, long ntodo, int parallel,
                  int threads, int nofuse, char *what, size_t len)
{
    long most = 0, kinds = 0;
    double step = 1;
    long *rep = malloc((size_t)ntodo * sizeof *rep), *count = calloc((size_t)ntodo + 1, sizeof *count);
    for (long i = 0; rep && count && i < ntodo; i++) {
        const fused_key *k = &keys[todo[i]];
        long j = 0;
        while (j < kinds && !fused_same(&keys[rep[j]], k))
            j++;
        if (j == kinds)
            rep[kinds++] = todo[i];
        count[j]++;
        most = count[j] > most ? count[j] : most;
        step = k->fusable && k->step_bytes > step ? k->step_bytes : step;
    }
    free(rep);
    free(count);
    /* as many groups of a kind as runs side by side, each worker training one without waiting for another, but no
     * more runs to a group than fit COST_GROUP_BYTES a thread together (the largest runs' steps taken for all) */
    double fit = COST_GROUP_BYTES * (threads > 1 ? threads : 1) / step;
    int cap = parallel > 0 ? (int)((most + parallel - 1) / parallel) : 1, air = PROGRESS_MAX_AIR / parallel;
    cap = cap < FUSED_GROUP_MAX ? cap : FUSED_GROUP_MAX;
    cap = cap < air ? cap : air;
    cap = cap < fit ? cap : (int)fit;
    /* experiment.parallel_runs = N asks for N runs at a time, each alone */
    if (nofuse || schedule_threads_swept(plan) || plan->base->parallel_runs > 0 || cap < 2) {
        snprintf(what, len, nofuse ? "each alone (--no-fuse)" : "each alone");
        return 1;
    }
    long groups = fused_count(keys, todo, ntodo, cap);
    snprintf(what, len, "%ld fused group%s of up to %d (shared batches)", groups, plural(groups), cap);
    return cap;
}

int schedule_fuse_all(const sweep_plan *plan, const plandata *data, int parallel, int threads, int nofuse)
{
    long *all = malloc((size_t)plan->nruns * sizeof *all);
    for (long r = 0; all && r < plan->nruns; r++)
        all[r] = r;
    fused_key *keys = all ? fused_keys(plan, data, all, plan->nruns) : NULL;
    char what[100];
    int group = keys ? schedule_fuse(plan, keys, all, plan->nruns, parallel, threads, nofuse, what, sizeof what) : 1;
    free(keys);
    free(all);
    return group;
}

/* A plan index and its run's work. */
typedef struct ranked {
    long index;
    double work;
} ranked;

static int by_work_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->work != y->work)
        return x->work < y->work ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index); /* plan order among equals */
}

int schedule_order(const sweep_plan *plan, const plandata *data, long *todo, long ntodo)
{
    ranked *rk = malloc((size_t)ntodo * sizeof *rk);
    if (!rk)
        return -1;
    for (long i = 0; i < ntodo; i++)
        rk[i] = (ranked){todo[i], cost_plan_run(plan, data, todo[i]).work};
    qsort(rk, (size_t)ntodo, sizeof *rk, by_work_desc);
    for (long i = 0; i < ntodo; i++)
        todo[i] = rk[i].index;
    free(rk);
    return 0;
}

/* A job of a worker's group and where its owner goes. */
typedef struct leaving {
    schedule_pool *p;
    const entry *e;
} leaving;

/* A run left its group (fused_left): its owner goes to the finished queue at once, so that the main thread commits
 * it while the group goes on. */
static void job_left(void *ctx, int i)
{
    leaving *l = ctx;
    pthread_mutex_lock(&l->p->lock);
    l->p->finished[l->p->nfinished++] = l->e->owners[i];
    pthread_cond_signal(&l->p->done);
    pthread_mutex_unlock(&l->p->lock);
}

static void *worker(void *arg)
{
    schedule_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    int w = p->started++;
    placement_give(p->cores ? p->cores + (size_t)w * (size_t)p->team : NULL, p->team);
    for (;;) {
        while (!p->ntodo && !p->shutdown)
            pthread_cond_wait(&p->work, &p->lock);
        if (!p->ntodo)
            break;
        entry e = p->todo[--p->ntodo];
        pthread_mutex_unlock(&p->lock);
        if (e.n > 1) {
            fused_execute(e.jobs, e.n, e.jobs[0]->threads, job_left, &(leaving){p, &e});
            pthread_mutex_lock(&p->lock);
            continue;
        }
        train_execute(e.jobs[0]);
        pthread_mutex_lock(&p->lock);
        p->finished[p->nfinished++] = e.owners[0];
        pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* The probe's threads wait until all of them exist, so that they are alive at once as a sweep's threads are. */
typedef struct probe {
    pthread_mutex_t lock;
    pthread_cond_t go;
    int released;
} probe;

static void *probe_wait(void *arg)
{
    probe *pr = arg;
    pthread_mutex_lock(&pr->lock);
    while (!pr->released)
        pthread_cond_wait(&pr->go, &pr->lock);
    pthread_mutex_unlock(&pr->lock);
    return NULL;
}

int schedule_probe(int n, char *err, size_t len)
{
    probe pr = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t *t = malloc((size_t)n * sizeof *t);
    int started = 0, rc = t ? 0 : ENOMEM;
    while (t && started < n && !(rc = pthread_create(&t[started], NULL, probe_wait, &pr)))
        started++;
    pthread_mutex_lock(&pr.lock);
    pr.released = 1;
    pthread_cond_broadcast(&pr.go);
    pthread_mutex_unlock(&pr.lock);
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    free(t);
    if (!rc)
        return 0;
    snprintf(err, len, "cannot start %d threads at once (%d started): %s", n, started, strerror(rc));
    return -1;
}

schedule_pool *schedule_start(int n, int threads, int shared)
{
    /* malloc, not calloc: the queues (some 400 KiB) are written before they are read, and zeroing them made a
     * process touch about 100 pages it never used, ~4 us each on the Zen 5 VM of 2026-12-03 (main.c, prefault_heap) */
    schedule_pool *p = malloc(sizeof *p + (size_t)n * sizeof(pthread_t));
    if (!p)
        return NULL;
    p->ntodo = p->nfinished = p->shutdown = p->nthreads = p->started = 0;
    p->team = threads;
    p->cores = placement_cores(n, threads, shared);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (; p->nthreads < n; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0) {
            schedule_stop(p);
            return NULL;
        }
    return p;
}

void schedule_submit_group(schedule_pool *p, train_job **jobs, void **owners, int n)
{
    pthread_mutex_lock(&p->lock);
    /* the caller keeps at most one group per worker in flight, so the queues never fill */
    entry *e = &p->todo[p->ntodo++];
    e->n = n;
    memcpy(e->jobs, jobs, (size_t)n * sizeof *jobs);
    memcpy(e->owners, owners, (size_t)n * sizeof *owners);
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
}

void *schedule_wait(schedule_pool *p, double timeout)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long ns = until.tv_nsec + (long)(timeout * 1e9);
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    void *owner = NULL;
    pthread_mutex_lock(&p->lock);
    int rc = 0;
    while (!p->nfinished && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&p->done, &p->lock, &until);
    if (p->nfinished)
        owner = p->finished[--p->nfinished];
    pthread_mutex_unlock(&p->lock);
    return owner;
}

void schedule_stop(schedule_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->shutdown = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->cores);
    free(p);
}
