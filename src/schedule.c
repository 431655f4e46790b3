/* The worker pool: a mutex, two condition variables and two fixed queues; no busy waiting. */
#include "schedule.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { QUEUE = 256 };

struct schedule_pool {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    train_job *todo[QUEUE], *finished[QUEUE];
    int ntodo, nfinished, shutdown, nthreads;
    pthread_t threads[];
};

void schedule_choose(const config *base, long ntodo, int cores, int *parallel, int *threads, char *why, size_t len)
{
    int swept_threads = 0;
    for (int i = 0; i < base->nsweep; i++)
        swept_threads |= base->sweep[i].key == config_find("experiment.threads");
    if (cores < 1)
        cores = 1;
    int p, t = base->threads;
    if (swept_threads) {
        p = 1;
        snprintf(why, len, "one run at a time: experiment.threads is swept, so each timing is alone");
    } else if (base->parallel_runs > 0) {
        p = base->parallel_runs;
        snprintf(why, len, "experiment.parallel_runs = %d", p);
    } else if (t > 0) {
        p = cores / t > 1 ? cores / t : 1;
        snprintf(why, len, "auto: %d cores / %d threads per run", cores, t);
    } else {
        /* Measured by `make bench` ("Scheduler" and "Thread scaling" tables): runs side by side never wait for
         * each other, so with at least as many runs as cores they win; only the last round of a sweep whose
         * runs do not divide among the cores leaves cores idle. A big run (BIG or more batch x hidden units
         * per step; smaller ones stay below the kernels' serial threshold) trains SPEEDUP times faster on two
         * threads, as measured for whole runs here. So p runs at a time take ceil(ntodo / p) rounds, each
         * 1 / S(cores / p) as long, with S(t) = 1 + (t - 1) (SPEEDUP - 1) for big runs and 1 for small ones;
         * the p with the least time wins, ties going to more runs side by side. */
        enum { BIG = 65536 };
        const double SPEEDUP = 1.25;
        long units; /* the largest run's batch x hidden units, swept values included */
        int khid = config_find("model.hidden"), kbatch = config_find("train.batch_size");
        long batch = base->batch_size > 0 ? base->batch_size : 1L << 20;
        long hidden = 0;
        for (int i = 0; i < base->nhidden; i++)
            hidden += base->hidden[i];
        for (int i = 0; i < base->nsweep; i++)
            for (int v = 0; v < base->sweep[i].nvalues && (base->sweep[i].key == khid || base->sweep[i].key == kbatch);
                 v++) {
                /* canonical values: "128", "300-70" (layer widths, summed), "0" (the whole training set) */
                const char *s = base->sweep[i].values[v];
                long x = 0;
                for (char *end; *s; s = *end ? end + 1 : end)
                    x += strtol(s, &end, 10);
                if (base->sweep[i].key == khid && x > hidden)
                    hidden = x;
                if (base->sweep[i].key == kbatch && (x == 0 ? 1L << 20 : x) > batch)
                    batch = x == 0 ? 1L << 20 : x;
            }
        units = batch * hidden;
        double best = 0;
        p = 1;
        for (int q = 1; q <= cores && q <= ntodo; q++) {
            if (cores % q)
                continue;
            double s = units >= BIG ? 1 + (cores / q - 1) * (SPEEDUP - 1) : 1;
            double cost = (double)((ntodo + q - 1) / q) / s;
            if (q == 1 || cost <= best)
                best = cost, p = q;
        }
        snprintf(why, len, "auto: %ld runs of up to %ld batch x hidden units on %d cores", ntodo, units, cores);
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

static void *worker(void *arg)
{
    schedule_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->ntodo && !p->shutdown)
            pthread_cond_wait(&p->work, &p->lock);
        if (!p->ntodo)
            break;
        train_job *job = p->todo[--p->ntodo];
        pthread_mutex_unlock(&p->lock);
        train_execute(job);
        pthread_mutex_lock(&p->lock);
        p->finished[p->nfinished++] = job;
        pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

schedule_pool *schedule_start(int n)
{
    schedule_pool *p = calloc(1, sizeof *p + (size_t)n * sizeof(pthread_t));
    if (!p)
        return NULL;
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

void schedule_submit(schedule_pool *p, train_job *job)
{
    pthread_mutex_lock(&p->lock);
    /* the caller keeps at most one job per worker in flight, so the queues never fill */
    p->todo[p->ntodo++] = job;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
}

train_job *schedule_wait(schedule_pool *p, double timeout)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long ns = until.tv_nsec + (long)(timeout * 1e9);
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    train_job *job = NULL;
    pthread_mutex_lock(&p->lock);
    int rc = 0;
    while (!p->nfinished && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&p->done, &p->lock, &until);
    if (p->nfinished)
        job = p->finished[--p->nfinished];
    pthread_mutex_unlock(&p->lock);
    return job;
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
    free(p);
}
