/* The group: keys, dealing runs out to groups, and the lockstep loop. Every run's step runs on one thread of the
 * group's team (its own nested threads set to 1), so it takes the one-thread path of mlp_train_step, where alone
 * a run on more threads may take the chunked, team or units path: those paths give the same bits whatever the
 * thread count (mlp.h), so the run's numbers are those it gives alone. Each team thread steps its runs through
 * an epoch on its own; the team meets between epochs, where the runs are evaluated (shared out among the team)
 * and leave or go on, each handed back as it leaves. */
#include "fused.h"
#include "cost.h"
#include "placement.h"
#include "timing.h"
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

int fused_supported(const config *cfg)
{
    return !cfg->noise_scale && !(cfg->target_accuracy > 0 && cfg->eval_every_steps > 0);
}

fused_key fused_key_of(const sweep_plan *plan, const plandata *data, long r)
{
    config c;
    long long seed;
    const plandata_set *d = plandata_run(data, plan, r, &c, &seed);
    fused_key k = {.set = d, .seed = c.shuffle ? seed : 0, .batch = d ? train_batch_rows(&c, d->train.rows) : 0,
                   .shuffle = c.shuffle, .nhidden = c.nhidden, .activation = c.activation, .output = c.output};
    /* a big step trains faster with threads inside than one run per thread of a group */
    k.fusable = d && fused_supported(&c) && (long)k.batch * cost_hidden_units(&c) < COST_BIG_STEP;
    k.step_bytes = d ? cost_run(&c, d->train.cols, d->nclasses, d->train.rows).step_bytes : 0;
    return k;
}

fused_key *fused_keys(const sweep_plan *plan, const plandata *data, const long *todo, long ntodo)
{
    fused_key *keys = calloc((size_t)plan->nruns, sizeof *keys);
    for (long i = 0; keys && i < ntodo; i++)
        keys[todo[i]] = fused_key_of(plan, data, todo[i]);
    return keys;
}

int fused_same(const fused_key *a, const fused_key *b)
{
    return a->fusable && b->fusable && a->set == b->set && a->seed == b->seed && a->batch == b->batch &&
           a->shuffle == b->shuffle && a->nhidden == b->nhidden && a->activation == b->activation &&
           a->output == b->output;
}

long fused_pick(const fused_key *keys, long *todo, long next, long ntodo, int cap)
{
    const fused_key *lead = &keys[todo[next]];
    long kind = 0;
    for (long i = next; i < ntodo && cap > 1; i++)
        kind += fused_same(lead, &keys[todo[i]]);
    if (kind < 2)
        return 1;
    /* every m-th run of its kind (largest first): m groups of similar work */
    long m = (kind + cap - 1) / cap, seen = 0, k = 0, rest = next;
    long *later = malloc((size_t)(ntodo - next) * sizeof *later);
    if (!later)
        return 1;
    long nlater = 0;
    for (long i = next; i < ntodo; i++) {
        long r = todo[i];
        int same = fused_same(lead, &keys[r]);
        if (same && seen++ % m == 0 && k < cap)
            todo[rest++] = r, k++;
        else
            later[nlater++] = r;
    }
    memcpy(todo + rest, later, (size_t)nlater * sizeof *later);
    free(later);
    return k;
}

long fused_count(const fused_key *keys, const long *todo, long ntodo, int cap)
{
    long *copy = malloc((size_t)ntodo * sizeof *copy), groups = 0;
    if (!copy)
        return ntodo;
    memcpy(copy, todo, (size_t)ntodo * sizeof *copy);
    for (long next = 0; next < ntodo; groups++)
        next += fused_pick(keys, copy, next, ntodo, cap);
    free(copy);
    return groups;
}

/* ---- the lockstep loop ------------------------------------------------------------------------------------ */

typedef struct member {
    train_job *job;
    double work;                                 /* cost_time_weight per epoch: shares the group's time out */
    double lr;                                   /* this epoch's */
    int alive, finite;                           /* still in the group; no non-finite loss this epoch */
    int alone;                                   /* begun at another position than the group's: trains alone */
    int gone;                                    /* handed back (leave): its job is no longer the group's */
    int thread;                                  /* the team thread that steps it this epoch */
    int stopped_at;                              /* rows of the epoch trained when its thread saw a stop; 0 */
} member;

typedef struct group {
    member *m;
    volatile sig_atomic_t *stop;                 /* the stop flag (NULL: none) */
    _Atomic int *halt;                           /* train_job's halt (NULL: none) */
    _Atomic int gate;                            /* this epoch: the end of the steps begun (rows), GATE_STOP once
                                                    a thread saw a stop: the team stops there (thread_steps) */
    int n, nactive, *active;                     /* active: indices of the runs training this epoch */
    float *x;                                    /* (threads, batch, inputs) each team thread's gathered batch */
    int *y;                                      /* (threads, batch) its labels */
    double t0, work;                             /* the epoch's start; the active runs' work */
    int from, rows;                              /* the first epoch and the rows of it already trained */
    int done, stopped;                           /* no run left; a stop came */
    fused_left *left;                            /* hands a run that left back (NULL: none) */
    void *left_ctx;
} group;

/* Run i has ended (its results filled, or interrupted): handed back at once, and never touched again. */
static void leave(group *g, int i)
{
    g->m[i].alive = 0;
    g->m[i].gone = 1;
    if (g->left)
        g->left(g->left_ctx, i);
}

/* Run m's beginning (epoch 0) or, epoch > 0, the end of that epoch. */
static void run_part(member *m, int epoch)
{
    if (!epoch)
        m->alive = train_begin(m->job);
    else if (!(m->alive = train_epoch_end(m->job, epoch, m->finite)))
        train_finish(m->job);
}

/* run_part on the calling thread alone. The kernels share their loops among the innermost team (orphaned omp
 * for), so inside the group's team of several a run's passes get a team of their own: a nested region of one
 * thread (thread_steps' likewise). */
static void run_alone(member *m, int epoch)
{
    if (omp_in_parallel()) {
        #pragma omp parallel num_threads(1)
        run_part(m, epoch);
    } else
        run_part(m, epoch);
}

enum { GATE_STOP = 1 << 30 };                   /* above any count of rows */

/* A stop seen at the start of epoch, before any run's shuffle: every active run ends interrupted with a checkpoint
 * of where it is, (epoch, the rows of it trained before), as the epoch's own checkpoint would have it. */
static void stop_at_start(group *g, int epoch)
{
    for (int a = 0; a < g->nactive; a++) {
        member *m = &g->m[g->active[a]];
        train_checkpoint(m->job, epoch, epoch == g->from ? g->rows : 0, 1);
        m->job->status = TRAIN_INTERRUPTED;
        leave(g, g->active[a]);
    }
    g->stopped = 1;
}

/* At the start of epoch (one thread): the runs still in, each one's learning rate and sample order, and each
 * run given to a team thread, largest first to the least loaded (the bits do not depend on it); or, after a
 * stop, none (stop_at_start). */
static void epoch_start(group *g, int epoch, int nt)
{
    double load[FUSED_GROUP_MAX] = {0};
    g->nactive = 0;
    g->work = 0;
    for (int i = 0; i < g->n; i++)
        if (g->m[i].alive) {
            int at = g->nactive++;
            while (at > 0 && g->m[g->active[at - 1]].work < g->m[i].work) /* largest first, stable */
                g->active[at] = g->active[at - 1], at--;
            g->active[at] = i;
        }
    g->done = g->nactive == 0;
    if (!g->done && train_stop_asked(g->stop, g->halt)) {
        stop_at_start(g, epoch);
        g->done = 1;
        return;
    }
    /* runs whose order would be drawn from the same state as the first's copy its draw (a shuffle is 4 us a run) */
    const train_job *first = g->nactive ? g->m[g->active[0]].job : NULL;
    int twin[FUSED_GROUP_MAX] = {0};
    for (int a = 1; a < g->nactive; a++)
        twin[a] = train_same_order(g->m[g->active[a]].job, first);
    for (int a = 0; a < g->nactive; a++) {
        member *m = &g->m[g->active[a]];
        int best = 0;
        for (int t = 1; t < nt; t++)
            best = load[t] < load[best] ? t : best;
        load[best] += m->work;
        m->thread = best;
        train_checkpoint(m->job, epoch, m->job->at_rows, 0); /* a resumed epoch may begin mid-way */
        m->lr = train_epoch_begin_as(m->job, epoch, twin[a] ? first : NULL);
        m->finite = 1;
        m->stopped_at = 0;
        g->work += m->work;
    }
    atomic_store(&g->gate, epoch == g->from ? g->rows : 0);
    g->t0 = timing_now();
}

/* Rows s..s+n-1 of lead's sample order (every run's of the group) into x (n, inputs) and y (n). */
static void gather(const train_job *lead, float *x, int *y, int s, int n)
{
    const dataset *tr = lead->train;
    mlp_gather_rows(x, tr->x, lead->order + s, n, tr->cols);
    for (int i = 0; i < n; i++)
        y[i] = tr->y[lead->order[s + i]];
}

/* The epoch's training time, shared out by work. After a stop, a run that met a non-finite loss ends diverged
 * as it would alone (it had stopped training), the others end interrupted with a checkpoint of where they are,
 * one position for all (step_gate); every run leaves the group. */
static void epoch_seconds(group *g, int epoch)
{
    double spent = timing_now() - g->t0;
    g->stopped = 0;
    for (int a = 0; a < g->nactive; a++)
        g->stopped |= g->m[g->active[a]].stopped_at > 0;
    for (int a = 0; a < g->nactive; a++) {
        member *m = &g->m[g->active[a]];
        m->job->curve[epoch].seconds += spent * (g->work > 0 ? m->work / g->work : 1.0 / g->nactive);
        if (!g->stopped)
            continue;
        if (!m->finite) {
            run_alone(m, epoch);
        } else {
            train_checkpoint(m->job, epoch, m->stopped_at ? m->stopped_at : m->job->train->rows, 1);
            m->job->status = TRAIN_INTERRUPTED;
        }
        leave(g, g->active[a]);
    }
}

/* Whether team thread tid, at the step of rows s..s+n-1 of the epoch (not its first step s0 when signalled: the
 * thread saw a stop), trains it: 1 while no thread has seen a stop; once one has, the step at which every thread
 * stops is the first that none had begun (every begun step is trained by all, so the runs stop at one position). */
static int step_gate(group *g, int s, int n, int signalled)
{
    int v = atomic_load(&g->gate);
    for (;;) {
        if (v & GATE_STOP)
            return s < (v & ~GATE_STOP);
        int want = signalled ? v | GATE_STOP : s + n > v ? s + n : v;
        if (want == v || atomic_compare_exchange_weak(&g->gate, &v, want)) {
            if (!signalled)
                return 1;
            v = want;
        }
    }
}

/* Whether team thread tid has a run still training this epoch (one with a finite loss). */
static int has_training_run(const group *g, int tid)
{
    for (int a = 0; a < g->nactive; a++)
        if (g->m[g->active[a]].thread == tid && g->m[g->active[a]].finite)
            return 1;
    return 0;
}

/* One epoch's steps of team thread tid's runs, on that thread alone (its own batch, gathered once for its runs,
 * so the team meets only between epochs). A stop is looked for after every step (the epoch's start has its own
 * look, epoch_start), so a stopped run has trained rows of it; the team stops at one step (step_gate). */
static void thread_steps(group *g, int tid, int epoch)
{
    const train_job *lead = g->m[g->active[0]].job;
    int rows = lead->train->rows, B = train_batch_rows(&lead->cfg, rows), s0 = epoch == g->from ? g->rows : 0;
    float *x = g->x + (size_t)tid * B * lead->train->cols;
    int *y = g->y + (size_t)tid * B;
    for (int s = s0; s < rows; s += B) {
        int n = rows - s < B ? rows - s : B;
        /* a thread with nothing left to train leaves the gate alone: raising it to every step at once would let a
         * stop wait for the epoch's end */
        if (!has_training_run(g, tid))
            return;
        int stopped = !step_gate(g, s, n, s > s0 && train_stop_asked(g->stop, g->halt));
        if (!stopped)
            gather(lead, x, y, s, n);
        for (int a = 0; a < g->nactive; a++) {
            member *m = &g->m[g->active[a]];
            if (m->thread == tid && stopped)
                m->stopped_at = s;
            else if (m->thread == tid && m->finite)
                m->finite = train_step(m->job, x, y, n, m->lr);
        }
        if (stopped)
            return;
    }
}

/* thread_steps, then each of the thread's runs' first layer back in its usual layout (mlp_steps_end), inside the
 * epoch's time as alone. */
static void thread_epoch(group *g, int tid, int epoch)
{
    thread_steps(g, tid, epoch);
    for (int a = 0; a < g->nactive; a++)
        if (g->m[g->active[a]].thread == tid)
            mlp_steps_end(&g->m[g->active[a]].job->net);
}

/* The group from its first epoch on, run by every thread of the team (a team of one without threads). */
static void group_run(group *g)
{
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    int outer = omp_get_max_threads();
    omp_set_num_threads(1); /* each run's passes stay on the thread that runs it */
    for (int epoch = g->from;; epoch++) {
        #pragma omp single
        epoch_start(g, epoch, nt);
        if (g->done)
            break;
        if (nt > 1) {
            #pragma omp parallel num_threads(1)
            thread_epoch(g, tid, epoch);
        } else
            thread_epoch(g, tid, epoch);
        #pragma omp barrier
        #pragma omp single
        epoch_seconds(g, epoch);
        if (g->stopped)
            break;
        #pragma omp for schedule(dynamic, 1)
        for (int a = 0; a < g->nactive; a++) {
            run_alone(&g->m[g->active[a]], epoch);
            if (!g->m[g->active[a]].alive)
                leave(g, g->active[a]);
        }
    }
    omp_set_num_threads(outer);
}

/* Begins every run (epoch 0's evaluations shared out among the team); those that go on from the first's position
 * (a fresh run's, or a checkpoint's) train in lockstep, the others alone after them. */
static void group_begin(group *g, int threads)
{
    if (threads > 1) {
        #pragma omp parallel num_threads(threads)
        {
            omp_set_num_threads(1);
            #pragma omp for schedule(dynamic, 1)
            for (int i = 0; i < g->n; i++)
                run_alone(&g->m[i], 0);
        }
    } else
        for (int i = 0; i < g->n; i++)
            run_alone(&g->m[i], 0);
    g->from = 0;
    for (int i = 0; i < g->n; i++) {
        const train_job *job = g->m[i].job;
        if (g->m[i].alive && !g->from)
            g->from = job->at_epoch, g->rows = job->at_rows;
        g->m[i].alone = g->m[i].alive && (job->at_epoch != g->from || job->at_rows != g->rows);
        g->m[i].alive &= !g->m[i].alone;
        if (!g->m[i].alive && !g->m[i].alone)
            leave(g, i);
    }
}

void fused_execute(train_job **jobs, int n, int threads, fused_left *left, void *ctx)
{
    threads = threads < n ? threads : n; /* a thread steps whole runs: more would idle (epoch_start's load[]) */
    omp_set_num_threads(threads);
    placement_pin(threads);
    group g = {.n = n, .stop = jobs[0]->stop, .halt = jobs[0]->halt, .left = left, .left_ctx = ctx};
    const dataset *tr = jobs[0]->train;
    int B = train_batch_rows(&jobs[0]->cfg, tr->rows);
    g.m = calloc((size_t)n, sizeof *g.m);
    g.active = malloc((size_t)n * sizeof *g.active);
    g.x = malloc((size_t)threads * B * tr->cols * sizeof *g.x);
    g.y = malloc((size_t)threads * B * sizeof *g.y);
    if (!g.m || !g.active || !g.x || !g.y || n > FUSED_GROUP_MAX) {
        for (int i = 0; i < n; i++) { /* short of memory: the same numbers, one run after the other */
            train_execute(jobs[i]);
            if (left)
                left(ctx, i);
        }
    } else {
        for (int i = 0; i < n; i++)
            g.m[i] = (member){.job = jobs[i], .work = cost_time_weight(&jobs[i]->cfg, tr->cols, jobs[i]->nclasses,
                                                                       tr->rows) / (double)jobs[i]->cfg.epochs};
        group_begin(&g, threads);
        if (g.from && threads > 1) {
            #pragma omp parallel num_threads(threads)
            group_run(&g);
        } else if (g.from) /* no region at all: even a team of one costs the kernels' barriers some time */
            group_run(&g);
        for (int i = 0; i < n; i++) /* train_begin again changes nothing */
            if (g.m[i].alone) {
                train_execute(jobs[i]);
                leave(&g, i);
            }
        for (int i = 0; i < n; i++) /* none is left in the group by now; should one be, it is handed back */
            if (!g.m[i].gone)
                leave(&g, i);
    }
    free(g.m);
    free(g.active);
    free(g.x);
    free(g.y);
}
