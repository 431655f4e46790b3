/* Fused sweep training: a group of runs trained in lockstep gives each run bitwise what it gives alone (curves,
 * kept and final weights, confusion, status, divergence and early-stopping epochs, the target's step, the sample
 * order and shuffle stream), with a run that diverges, one that early-stops and one that stops at its target
 * leaving the group; on a team of one thread and of two; an interrupted group leaves every run interrupted; and the
 * dealing of runs into groups. Run from the repository root. */
#include "tests.h"
#include "config.h"
#include "dataset.h"
#include "fused.h"
#include "h5util.h"
#include "train.h"
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

enum { RUNS = 6 };

/* 3 learning rates (the last diverges: its loss explodes) x 2 widths on digits; the 1-wide-16 run early-stops after one
 * evaluation without a lower validation loss, the 1-wide-48 one stops at its target. */
static const char *const variants[RUNS][5] = {
    {"train.learning_rate=0.01", "model.hidden=16", NULL},
    {"train.learning_rate=0.01", "model.hidden=48", "train.optimizer=momentum", NULL},
    {"train.learning_rate=1", "model.hidden=16", "train.early_stopping=1", NULL},
    {"train.learning_rate=1", "model.hidden=48", "train.target_accuracy=0.9", "train.stop_at_target=true"},
    {"train.learning_rate=1e3", "model.hidden=16", NULL},
    {"train.learning_rate=1e3", "model.hidden=48", "train.optimizer=adam", NULL},
};

typedef struct sweep6 {
    config base, cfg[RUNS];
    dataset train, val, test;
    int nclasses;
} sweep6;

static void load6(sweep6 *s)
{
    config_errors errs = {0};
    config_defaults(&s->base);
    config_load(&s->base, "configs/digits.ini", &errs);
    config_override(&s->base, "train.epochs=12", &errs);
    ck_assert_msg(errs.n == 0, "%s", errs.text);
    for (int r = 0; r < RUNS; r++) {
        s->cfg[r] = s->base;
        for (const char *const *set = variants[r]; *set; set++)
            config_override(&s->cfg[r], *set, &errs);
        ck_assert_msg(errs.n == 0, "%s", errs.text);
    }
    h5util_quiet();
    char err[600];
    ck_assert_msg(dataset_open_config(&s->base, &s->train, &s->val, &s->test, &s->nclasses, err, sizeof err) == 0,
                  "%s", err);
}

static void unload6(sweep6 *s)
{
    dataset_free(&s->train);
    dataset_free(&s->val);
    dataset_free(&s->test);
    config_free(&s->base);
}

static void prepare(train_job *job, const sweep6 *s, int r, int threads)
{
    char err[600];
    ck_assert_msg(train_prepare(job, &s->cfg[r], s->base.seeds[0], &s->train, &s->val, &s->test, s->nclasses,
                                threads, err, sizeof err) == 0, "%s", err);
}

/* Every number but the timing columns, and every weight. */
static void assert_same(const train_job *a, const train_job *b, int r)
{
    ck_assert_msg(a->status == b->status && a->diverged_epoch == b->diverged_epoch &&
                      a->epochs_done == b->epochs_done && a->final_epoch == b->final_epoch &&
                      a->best_epoch == b->best_epoch && a->steps == b->steps && a->examples == b->examples &&
                      a->steps_to_target == b->steps_to_target, "run %d: status or epochs differ", r);
    for (int e = 0; e <= a->cfg.epochs; e++) {
        const train_epoch *x = &a->curve[e], *y = &b->curve[e];
        ck_assert_msg(x->evaluated == y->evaluated, "run %d epoch %d: evaluated differs", r, e);
        if (!x->evaluated)
            continue;
        ck_assert_msg(memcmp(&x->train_loss, &y->train_loss, sizeof x->train_loss) == 0 &&
                          memcmp(&x->test_loss, &y->test_loss, sizeof x->test_loss) == 0 &&
                          x->train_acc == y->train_acc && x->test_acc == y->test_acc &&
                          memcmp(&x->val_loss, &y->val_loss, sizeof x->val_loss) == 0 && x->lr == y->lr,
                      "run %d epoch %d differs", r, e);
    }
    size_t bytes = a->net.nparams * sizeof(float);
    ck_assert_msg(memcmp(train_weights(a), train_weights(b), bytes) == 0, "run %d: kept weights differ", r);
    ck_assert_msg(memcmp(a->net.params, b->net.params, bytes) == 0, "run %d: final weights differ", r);
    ck_assert_msg(memcmp(a->confusion, b->confusion, (size_t)a->nclasses * a->nclasses * sizeof(int)) == 0,
                  "run %d: confusion differs", r);
    /* what a checkpoint would hold to go on from: the sample order and the shuffle stream (a group's runs copy the
     * first one's draw) */
    ck_assert_msg(memcmp(&a->shuffle, &b->shuffle, sizeof a->shuffle) == 0 &&
                      memcmp(a->order, b->order, (size_t)a->train->rows * sizeof *a->order) == 0,
                  "run %d: sample order or shuffle stream differs", r);
}

/* What fused_execute's left callback heard: each run's calls, its place in the order of leaving, and its steps and
 * first weight then (the group must not touch a run after). Called from any thread of the team. */
typedef struct leavers {
    train_job **jobs;
    _Atomic int calls[RUNS], count;
    int place[RUNS];
    long long steps[RUNS];
    float w0[RUNS];
} leavers;

static void heard_left(void *ctx, int i)
{
    leavers *l = ctx;
    l->place[i] = atomic_fetch_add(&l->count, 1);
    l->steps[i] = l->jobs[i]->steps;
    l->w0[i] = l->jobs[i]->net.params[0];
    atomic_fetch_add(&l->calls[i], 1);
}

/* The sweep fused on a team of threads against each run alone (on 1 and on 2 threads). */
static void fused_equals_alone(int threads)
{
    sweep6 s;
    load6(&s);
    train_job fused[RUNS], *jobs[RUNS];
    for (int r = 0; r < RUNS; r++) {
        prepare(&fused[r], &s, r, threads);
        jobs[r] = &fused[r];
    }
    leavers heard = {.jobs = jobs};
    fused_execute(jobs, RUNS, threads, heard_left, &heard);
    /* every run handed back once, as it left (a diverged one before one that trains every epoch), and not touched
     * after */
    for (int r = 0; r < RUNS; r++) {
        ck_assert_int_eq(heard.calls[r], 1);
        ck_assert_int_eq(heard.steps[r], fused[r].steps);
        ck_assert(memcmp(&heard.w0[r], &fused[r].net.params[0], sizeof(float)) == 0);
    }
    ck_assert_int_lt(heard.place[4], heard.place[0]);
    for (int r = 0; r < RUNS; r++) {
        train_job alone;
        prepare(&alone, &s, r, 1 + r % 2);
        train_execute(&alone);
        assert_same(&alone, &fused[r], r);
        train_free(&alone);
    }
    /* the sweep does what it is meant to: the divergent runs left the group early, one early-stopped, one stopped
     * at its target, and the others trained every epoch */
    ck_assert_int_eq(fused[4].status, TRAIN_DIVERGED);
    ck_assert_int_eq(fused[5].status, TRAIN_DIVERGED);
    ck_assert_int_lt(fused[4].diverged_epoch, s.base.epochs);
    ck_assert_int_lt(fused[2].epochs_done, s.base.epochs);
    ck_assert_int_ge(fused[3].steps_to_target, 1);
    ck_assert_int_lt(fused[3].epochs_done, s.base.epochs);
    ck_assert_int_eq(fused[0].epochs_done, s.base.epochs);
    ck_assert_int_eq(fused[1].status, TRAIN_OK);
    for (int r = 0; r < RUNS; r++) {
        ck_assert_msg(fused[r].train_seconds > 0 || fused[r].epochs_done == 0, "run %d: no training time", r);
        train_free(&fused[r]);
    }
    unload6(&s);
}

START_TEST(test_fused_one_thread_equals_alone) { fused_equals_alone(1); }
END_TEST

START_TEST(test_fused_team_equals_alone) { fused_equals_alone(2); }
END_TEST

START_TEST(test_fused_stop_interrupts_every_run)
{
    sweep6 s;
    load6(&s);
    volatile sig_atomic_t stop = 1;
    for (int threads = 1; threads <= 2; threads++) {
        train_job fused[RUNS], *jobs[RUNS];
        for (int r = 0; r < RUNS; r++) {
            prepare(&fused[r], &s, r, threads);
            fused[r].stop = &stop;
            jobs[r] = &fused[r];
        }
        fused_execute(jobs, RUNS, threads, NULL, NULL);
        for (int r = 0; r < RUNS; r++) {
            ck_assert_int_eq(fused[r].status, TRAIN_INTERRUPTED);
            ck_assert_int_eq(fused[r].steps, 0); /* a stop is looked for at the epoch's start too */
            ck_assert_int_eq(fused[r].at_rows, 0); /* no checkpoint callback: the position is not recorded */
            train_free(&fused[r]);
        }
    }
    unload6(&s);
}
END_TEST

START_TEST(test_fused_pick_deals_runs_out)
{
    /* 25 runs of one kind (largest first) in groups of up to 13: every other run, then the rest; a run of another
     * kind and one that may not fuse stay where they are, alone */
    static plandata_set set;
    fused_key keys[27];
    long todo[27];
    for (int r = 0; r < 27; r++) {
        keys[r] = (fused_key){.set = &set, .seed = 1, .batch = 32, .shuffle = 1, .nhidden = 1, .fusable = 1};
        todo[r] = r;
    }
    keys[3].seed = 2;
    keys[4].fusable = 0;
    ck_assert_int_eq(fused_count(keys, todo, 27, 13), 4);
    ck_assert_int_eq(fused_pick(keys, todo, 0, 27, 13), 13);
    ck_assert_int_eq(todo[0], 0);
    ck_assert_int_eq(todo[1], 2);
    ck_assert_int_eq(todo[2], 6); /* 3 and 4 are of no kind of 0's */
    ck_assert_int_eq(todo[13], 1);
    ck_assert_int_eq(fused_pick(keys, todo, 13, 27, 13), 12);
    ck_assert_int_eq(todo[25], 3);
    ck_assert_int_eq(fused_pick(keys, todo, 25, 27, 13), 1);
    ck_assert_int_eq(fused_pick(keys, todo, 26, 27, 13), 1);
    ck_assert_int_eq(fused_pick(keys, todo, 0, 27, 1), 1);
}
END_TEST

Suite *fused_suite(void)
{
    Suite *s = suite_create("fused");
    TCase *tc = tcase_create("fused");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fused_one_thread_equals_alone);
    tcase_add_test(tc, test_fused_team_equals_alone);
    tcase_add_test(tc, test_fused_stop_interrupts_every_run);
    tcase_add_test(tc, test_fused_pick_deals_runs_out);
    suite_add_tcase(s, tc);
    return s;
}
