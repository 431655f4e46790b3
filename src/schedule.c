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
        /* small runs scale better side by side than threads inside one tiny matrix product */
        p = ntodo < cores ? (int)ntodo : cores;
        snprintf(why, len, "auto: %d cores shared by %ld runs", cores, ntodo);
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
