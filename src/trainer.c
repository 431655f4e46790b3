/* The trainer: the runs to train, largest first; each one prepared (from its in-run checkpoint when one fits),
 * handed to the pool in a fused group or alone, and committed as it lands, the next group started first. */
#include "trainer.h"
#include "cost.h"
#include "fused.h"
#include "plural.h"
#include "runckpt.h"
#include "schedule.h"
#include "timing.h"
#include "train.h"
#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int trainer_flights_add(trainer_flights *f, int k)
{
    int slot = 0;
    while (slot < PROGRESS_MAX_AIR && f->members[slot])
        slot++;
    assert(slot < PROGRESS_MAX_AIR && f->nair + k <= PROGRESS_MAX_AIR);
    f->members[slot] = k;
    f->groups++;
    f->nair += k;
    return slot;
}

int trainer_flights_land(trainer_flights *f, int slot)
{
    f->nair--;
    if (--f->members[slot])
        return 0;
    f->groups--;
    return 1;
}

/* A run in training: its job and id, and its in-run checkpoint. The pool hands the flight back as the job's owner
 * when it finishes. */
typedef struct flight {
    train_job job;
    char id[SWEEP_ID];
    char checkpoint[STORE_PATH + SWEEP_ID + 16];  /* store_checkpoint_path */
    uint64_t fingerprint;                          /* runckpt_fingerprint of the job as prepared */
    int warned;                                    /* a checkpoint could not be written: said once */
    int group;                                     /* its group's slot in trainer_flights */
    double restored;                               /* training seconds its checkpoint held (0: a fresh run) */
} flight;

/* Training the runs that are missing: what is to train, what is in flight, and what failed. */
typedef struct trainer {
    const sweep_plan *plan;
    store *res;
    const plandata *data;
    schedule_pool *pool;
    const int *owner;                            /* each run's shard (NULL: every run is this process's) */
    int shard;                                   /* this process's shard */
    long *todo, ntodo, next, diverged, owned;    /* todo: plan indices, largest run first */
    int parallel, threads;
    fused_key *keys;                             /* by plan index: which runs fuse */
    int group;                                   /* runs per fused group at most (1: none) */
    trainer_flights air;
    volatile sig_atomic_t *stop;
    _Atomic int halt;                            /* HALT_WRITE or HALT_IDENTITY: the runs in flight stop as a signal
                                                    would stop them, none starts */
    error_class failed;
    progress pr;
} trainer;

/* Why the runs in flight stop: a run could not be written (their checkpoints keep them, as a signal's would), or
 * the experiment's identity could not be recorded (they leave nothing: no checkpoint in an experiment without one,
 * as when store_open refused it before training). */
enum { HALT_WRITE = 1, HALT_IDENTITY = 2 };

/* The plan indices of the runs not committed yet (all of them with force), largest first, into t->todo, and the
 * progress display set up for them. 0, or -1 when out of memory. */
static int plan_todo(trainer *t, int force, int quiet)
{
    const sweep_plan *plan = t->plan;
    t->todo = malloc((size_t)plan->nruns * sizeof *t->todo);
    if (!t->todo)
        return -1;
    double epochs = 0;
    config c;
    long long seed;
    char id[SWEEP_ID];
    for (long r = 0; r < plan->nruns; r++) {
        if (t->owner && t->owner[r] != t->shard)
            continue;
        t->owned++;
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        char why[600];
        /* --force trains every run again: only one in use by another process stops it */
        int done = force ? -store_run_busy(t->res, plan, r, why, sizeof why) : store_run_done(t->res, plan, r, why,
                                                                                                 sizeof why);
        if (done < 0) { /* in use by another process: not damaged, and not to be replaced, even with --force */
            fprintf(stderr, "%s/runs/%s: %s\n", t->res->dir, id, why);
            return -1;
        }
        if (force || !done) {
            t->todo[t->ntodo++] = r;
            epochs += (double)c.epochs;
        } else /* one a runner killed after the commit left */
            store_forget_checkpoint(t->res, plan, r);
    }
    progress_init(&t->pr, quiet, t->ntodo, epochs);
    schedule_order(plan, t->data, t->todo, t->ntodo);
    return 0;
}

/* Writes a flight's in-run checkpoint; called by its worker (train_job.checkpoint). A failure is said once, and
 * the run goes on, or stops (a signal, a failed commit) without it. */
static void save_flight(train_job *job, void *ctx)
{
    flight *f = ctx;
    char err[1200];
    if (job->halt && atomic_load_explicit(job->halt, memory_order_acquire) == HALT_IDENTITY)
        return;
    if (runckpt_save(f->checkpoint, job, f->fingerprint, err, sizeof err) < 0 && !f->warned++)
        fprintf(stderr, "warning: %s; the run %s\n", err,
                train_stop_asked(job->stop, job->halt) ? "stops without it (and resumes from its last one, if any)"
                                                       : "goes on without it");
}

/* The seconds job has trained, in this process or before: its train_seconds, and the epochs after its last evaluated
 * one up to last (an epoch a stop cut short holds the seconds before the stop). */
static double seconds_through(const train_job *job, int last)
{
    double s = job->train_seconds;
    for (int e = job->epochs_done + 1; e <= last; e++)
        s += job->curve[e].seconds;
    return s;
}

/* Prepares run c (seed) of f->id. 0, or -1 with err. */
static int prepare(const trainer *t, flight *f, const config *c, long long seed, char *err, size_t len)
{
    const plandata_set *d = plandata_find(t->data, c);
    int threads = c->threads ? cost_threads(c->threads) : t->threads;
    return train_prepare_init(&f->job, c, seed, &d->train, &d->val, &d->test, d->nclasses, threads,
                              plandata_init_weights(t->data, c), err, len);
}

/* Prepares run c (seed) of f->id, goes on from its checkpoint when one fits the run (one that does not is ignored
 * with one warning line: the run starts from epoch 0) and, with train.checkpoint_every, sets up its in-run
 * checkpoints. A checkpoint is resumed from whatever checkpoint_every says now: the key is not part of the
 * experiment's identity, and 0 means writing none, not throwing away the one a killed runner left. 0, or -1 with
 * err. */
static int prepare_flight(const trainer *t, flight *f, const config *c, long long seed, char *err, size_t len)
{
    f->restored = 0;
    if (prepare(t, f, c, seed, err, len) < 0)
        return -1;
    if (store_checkpoint_path(t->res, f->id, f->checkpoint, sizeof f->checkpoint, err, len) < 0) {
        train_free(&f->job);
        return -1;
    }
    f->fingerprint = runckpt_fingerprint(&f->job);
    f->warned = 0;
    char why[1200];
    int got = runckpt_load(f->checkpoint, &f->job, f->fingerprint, why, sizeof why);
    if (got < 0) {
        fprintf(stderr, "warning: %s; ignored, the run starts from epoch 0\n", why);
        train_free(&f->job);
        if (prepare(t, f, c, seed, err, len) < 0)
            return -1;
    } else if (got > 0)
        f->restored = seconds_through(&f->job, f->job.at_epoch);
    if (got > 0 && !t->pr.quiet) {
        fprintf(stderr, "%sresuming %s from epoch %d", t->pr.tty ? "\r\033[K" : "", f->id, f->job.at_epoch - 1);
        if (f->job.at_rows)
            fprintf(stderr, " (and %d rows of epoch %d)", f->job.at_rows, f->job.at_epoch);
        fprintf(stderr, "\n");
    }
    if (c->checkpoint_every > 0) {
        f->job.checkpoint = save_flight;
        f->job.checkpoint_ctx = f;
    }
    return 0;
}

/* Starts groups of runs (fused, or one alone) until every worker has one or none is left; a run that cannot
 * start sets t->failed (the runs of its group prepared so far are freed). */
static void launch(trainer *t)
{
    char err[1200];
    while (t->air.groups < t->parallel && t->next < t->ntodo && !*t->stop && !t->failed) {
        long k = t->group > 1 ? fused_pick(t->keys, t->todo, t->next, t->ntodo, t->group) : 1;
        train_job *jobs[FUSED_GROUP_MAX];
        void *owners[FUSED_GROUP_MAX];
        for (long i = 0; i < k; i++) {
            flight *f = malloc(sizeof *f);
            config c;
            long long seed;
            char id[SWEEP_ID];
            sweep_run(t->plan, t->todo[t->next + i], &c, &seed, f ? f->id : id, sizeof id);
            if (!f || prepare_flight(t, f, &c, seed, err, sizeof err) < 0) {
                fprintf(stderr, "%s\n", f ? err : "runner: out of memory");
                free(f);
                t->failed = ERROR_DATA;
                while (i-- > 0) {
                    train_free(jobs[i]);
                    free(owners[i]);
                }
                return;
            }
            f->job.stop = t->stop;
            f->job.halt = &t->halt;
            jobs[i] = &f->job;
            owners[i] = f;
        }
        /* schedule_fuse's groups fit the progress display's runs in flight (PROGRESS_MAX_AIR / parallel each) */
        int slot = trainer_flights_add(&t->air, (int)k);
        for (long i = 0; i < k; i++) {
            ((flight *)owners[i])->group = slot;
            progress_started(&t->pr, ((flight *)owners[i])->id, jobs[i]);
        }
        t->next += k;
        schedule_submit_group(t->pool, jobs, owners, (int)k);
    }
}

/* A landed run's training time in this process, for --profile: its train_seconds and the epochs after its last
 * evaluated one up to the one after its last finished one (the one a stop or a divergence cut short; nothing for a
 * run that trained to its end), less what its checkpoint held. */
static double trained_seconds(const flight *f)
{
    const train_job *job = &f->job;
    int last = atomic_load_explicit(&job->progress_epoch, memory_order_acquire) + 1;
    return seconds_through(job, last < job->cfg.epochs ? last : (int)job->cfg.epochs) - f->restored;
}

/* Writes a finished run (unless it was interrupted or an earlier write failed) and frees it. */
static void commit_run(trainer *t, flight *f)
{
    train_job *job = &f->job;
    char err[1200];
    /* a run that could not start (ERROR_DATA) does not stop this finished one from being written */
    if (job->status != TRAIN_INTERRUPTED && t->failed != ERROR_OUTPUT) {
        timing_enter(TIMING_WRITES);
        int committed = store_commit(t->res, f->id, job, err, sizeof err);
        timing_enter(TIMING_TRAIN);
        if (committed < 0) {
            if (*err) /* "": the identity's failure, said already */
                fprintf(stderr, "%s\n", err);
            t->failed = ERROR_OUTPUT;
            atomic_store_explicit(&t->halt, HALT_WRITE, memory_order_release);
        } else {
            t->diverged += job->status == TRAIN_DIVERGED;
            progress_committed(&t->pr, f->id, job);
        }
    }
    /* one its worker wrote before the identity failed (a short train.checkpoint_every) goes with the run */
    if (job->checkpoint && atomic_load_explicit(&t->halt, memory_order_acquire) == HALT_IDENTITY)
        unlink(f->checkpoint);
    train_free(job);
    free(f);
}

/* How long the main thread waits for the rest of a group whose first run finished before it writes any of them:
 * a fused group's runs end at the same epoch, each handed back a moment after the one before (its final
 * evaluation and confusion matrix), and the group's worker takes no new group until all of them have landed.
 * Writing the first (about 2 ms, more when fsync is slow) before the others landed left each worker idle between
 * groups. A run that left its group early (diverged, stopped) waits this long before it is written. */
#define LAND_WAIT 0.002

/* Lands f and whatever else of its group follows within LAND_WAIT of each other, appending them to landed[*n]. */
static void land(trainer *t, flight *f, flight **landed, int *n)
{
    while (f) {
        int whole = trainer_flights_land(&t->air, f->group);
        timing_add(TIMING_TRAIN, trained_seconds(f));
        progress_landed(&t->pr, &f->job);
        landed[(*n)++] = f;
        f = whole ? NULL : schedule_wait(t->pool, LAND_WAIT);
    }
}

/* The experiment's identity, which store_open left started to the disk (STORE_SETTLE_LATER), put in place while
 * the first runs train: its fsyncs (three files, 1.6 ms of a digits process on the VM of 2026-12-03) wait there
 * instead of before training. Before any run is committed, as store_commit requires. A failure is said here,
 * stops the sweep and commits nothing. */
static void settle_identity(trainer *t)
{
    char err[1200];
    if (store_settle(t->res, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        t->failed = ERROR_OUTPUT;
        atomic_store_explicit(&t->halt, HALT_IDENTITY, memory_order_release);
    }
}

/* Trains the runs in t->todo, several side by side, and commits each as it finishes. The next group starts as
 * soon as a worker's group has landed, before any of its runs is written, and between two writes the main thread
 * lands the runs that finished meanwhile, so a worker waits on the disk only when runs finish faster than they
 * are written: no new group starts while more than a group's runs wait to be written. So at most the groups in
 * flight and one landed group are in memory at once, as main's check_memory counts them. */
static void train_todo(trainer *t)
{
    flight *landed[PROGRESS_MAX_AIR + FUSED_GROUP_MAX];
    int nlanded = 0, settled = 0;
    for (;;) {
        if (nlanded <= t->group)
            launch(t);
        if (!settled) {
            settle_identity(t);
            settled = 1;
        }
        double wait = 0.25;
        if (nlanded) {
            commit_run(t, landed[0]);
            memmove(landed, landed + 1, (size_t)--nlanded * sizeof *landed);
            progress_show(&t->pr);
            wait = 0; /* only what finished during the write */
        } else if (!t->air.nair)
            break;
        flight *f = schedule_wait(t->pool, wait);
        if (!f && wait > 0)
            progress_show(&t->pr);
        land(t, f, landed, &nlanded);
    }
}

error_class trainer_train(const cli_options *opt, const sweep_plan *plan, store *res, const plandata *data,
                          const int *owner, volatile sig_atomic_t *stop)
{
    const config *base = plan->base;
    trainer t = {.plan = plan, .res = res, .data = data, .owner = owner, .shard = opt->shard.index, .stop = stop};
    if (plan_todo(&t, opt->force, opt->quiet) < 0) {
        if (!t.todo)
            fprintf(stderr, "runner: out of memory\n");
        free(t.todo);
        return ERROR_OUTPUT;
    }
    char why[200], fused[100];
    timing_enter(TIMING_TRAIN);
    schedule_choose(plan, data, t.ntodo, cost_threads(0), &t.parallel, &t.threads, why, sizeof why);
    t.threads = cost_threads(t.threads);
    t.keys = fused_keys(plan, data, t.todo, t.ntodo);
    t.group = t.keys ? schedule_fuse(plan, t.keys, t.todo, t.ntodo, t.parallel, t.threads, opt->no_fuse, fused,
                                              sizeof fused) : 1;
    char part[64] = "";
    if (owner)
        snprintf(part, sizeof part, " shard %d/%d (%s)", opt->shard.index, opt->shard.count, opt->shard.source);
    char layout[80] = "each run on its own experiment.threads"; /* swept: no one count to give */
    if (!schedule_threads_swept(plan))
        snprintf(layout, sizeof layout, "%d side by side x %d thread%s each", t.parallel, t.threads,
                 plural(t.threads));
    if (!opt->quiet && t.ntodo == 0) /* no schedule to describe */
        fprintf(stderr, "%s%s: 0 runs to train, %ld already done (skipped)\n", base->name, part, t.owned);
    else if (!opt->quiet)
        fprintf(stderr, "%s%s: %ld run%s to train, %ld already done (skipped); %s, %s (%s)\n", base->name, part,
                t.ntodo, plural(t.ntodo), t.owned - t.ntodo, t.keys ? fused : "each alone", layout, why);
    t.pool = t.ntodo ? schedule_start(t.parallel, t.threads, opt->shard.count > 0) : NULL;
    if (t.ntodo && !t.pool) {
        fprintf(stderr, "runner: cannot start worker threads\n");
        free(t.keys);
        free(t.todo);
        return ERROR_USAGE;
    }
    train_todo(&t);
    schedule_stop(t.pool);
    free(t.keys);
    progress_end(&t.pr, base->name, t.diverged, res->dir);
    free(t.todo);
    return t.failed;
}
