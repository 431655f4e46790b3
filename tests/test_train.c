/* Training: a few epochs against the independent NumPy reference (tests/reference/mlp_reference.py, fixtures in
 * tests/fixtures), bitwise equality across thread counts, XOR convergence, divergence as a result, and the
 * checkpoint round trip. Run from the repository root. */
#include "tests.h"
#include "checkpoint.h"
#include "config.h"
#include "dataset.h"
#include "h5util.h"
#include "rng.h"
#include "store.h"
#include "sweep.h"
#include "train.h"
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct loaded {
    config cfg;
    dataset train, val, test;
    int nclasses;
} loaded;

/* Reads a config file with optional overrides ("section.key=value", NULL-terminated) and its data. */
static void load(loaded *l, const char *path, const char *const *sets)
{
    config_errors errs = {0};
    config_defaults(&l->cfg);
    config_load(&l->cfg, path, &errs);
    for (; sets && *sets; sets++)
        config_override(&l->cfg, *sets, &errs);
    ck_assert_msg(errs.n == 0, "%s: %s", path, errs.text);
    h5util_quiet();
    char err[600];
    ck_assert_msg(dataset_open_config(&l->cfg, &l->train, &l->val, &l->test, &l->nclasses, err, sizeof err) == 0, "%s", err);
}

static void unload(loaded *l)
{
    dataset_free(&l->train);
    dataset_free(&l->val);
    dataset_free(&l->test);
    config_free(&l->cfg);
}

static void run(train_job *job, loaded *l, int threads)
{
    char err[600];
    ck_assert_msg(train_prepare(job, &l->cfg, l->cfg.seeds[0], &l->train, &l->val, &l->test, l->nclasses, threads, err,
                                sizeof err) == 0, "%s", err);
    train_execute(job);
}

static double read_double_attr(const char *path, const char *name)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    double v = NAN;
    ck_assert_int_ge(H5Aread(a, H5T_NATIVE_DOUBLE, &v), 0);
    H5Aclose(a);
    H5Fclose(f);
    return v;
}

static const char *const reference_cases[] = {"sig_softmax_sgd", "tanh_sigmoid_momentum", "relu_softmax_adam",
                                              "binary_sigmoid_sum", "deep_relu_sgd", "wd_sgd_warmup",
                                              "wd_momentum_step", "wd_adam_cosine"};

START_TEST(test_matches_numpy_reference)
{
    const char *name = reference_cases[_i];
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/ref_%s.ini", name);
    loaded l;
    load(&l, path, NULL);
    train_job job;
    run(&job, &l, 2);
    ck_assert_int_eq(job.status, TRAIN_OK);
    ck_assert_int_eq(job.epochs_done, (int)l.cfg.epochs);

    /* the expected weights, read through the project's own loader into a net of the same shape */
    mlp want;
    ck_assert_int_eq(mlp_init(&want, job.net.size[0], l.cfg.hidden, l.cfg.nhidden, job.net.size[job.net.nlayers],
                              job.net.act, job.net.out, 1), 0);
    char err[600];
    snprintf(path, sizeof path, "tests/fixtures/ref_%s_expected.h5", name);
    ck_assert_msg(checkpoint_load(&want, path, err, sizeof err) == 0, "%s", err);
    double maxdiff = 0;
    for (size_t i = 0; i < want.nparams; i++)
        maxdiff = fmax(maxdiff, fabs((double)want.params[i] - job.net.params[i]));
    /* float32 against float64 over at most 12 steps: observed <= 8e-7 */
    ck_assert_msg(maxdiff < 1e-5, "%s: weights differ from the reference by %g", name, maxdiff);
    double want_loss = read_double_attr(path, "final_train_loss");
    double got = job.curve[job.epochs_done].train_loss;
    ck_assert_msg(fabs(got - want_loss) < 1e-5 * want_loss, "%s: final loss %.9g, reference %.9g", name, got,
                  want_loss);
    mlp_free(&want);
    train_free(&job);
    unload(&l);
}
END_TEST

/* The schedule's learning rate per epoch against values computed by hand. */
START_TEST(test_schedule_formulas)
{
    config c;
    config_defaults(&c);
    c.learning_rate = 0.1;
    c.epochs = 10;
    for (int e = 0; e < 10; e++)
        ck_assert_double_eq(train_schedule_lr(&c, e), 0.1);
    c.warmup_epochs = 4; /* constant after a warmup: 0.1 (e + 1) / 4 */
    const double warm[] = {0.025, 0.05, 0.075, 0.1, 0.1, 0.1};
    for (int e = 0; e < 6; e++)
        ck_assert_double_eq_tol(train_schedule_lr(&c, e), warm[e], 1e-15);
    c.schedule = SCHEDULE_STEP; /* warmup 2, then halved every 3 epochs */
    c.warmup_epochs = 2;
    c.step_every = 3;
    c.step_factor = 0.5;
    const double step[] = {0.05, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
    for (int e = 0; e < 10; e++)
        ck_assert_double_eq_tol(train_schedule_lr(&c, e), step[e], 1e-15);
    c.schedule = SCHEDULE_COSINE; /* no warmup, from 0.1 down towards 0.02 over 10 epochs */
    c.warmup_epochs = 0;
    c.min_learning_rate = 0.02;
    ck_assert_double_eq_tol(train_schedule_lr(&c, 0), 0.1, 1e-15);
    ck_assert_double_eq_tol(train_schedule_lr(&c, 5), 0.06, 1e-15);
    ck_assert_double_eq_tol(train_schedule_lr(&c, 9), 0.0219577393, 1e-10); /* 0.02 + 0.04 (1 + cos 0.9 pi) */
    c.warmup_epochs = 2; /* cosine after a warmup starts from the full rate */
    ck_assert_double_eq_tol(train_schedule_lr(&c, 1), 0.1, 1e-15);
    ck_assert_double_eq_tol(train_schedule_lr(&c, 2), 0.1, 1e-15);
    ck_assert_double_eq_tol(train_schedule_lr(&c, 6), 0.06, 1e-15);
}
END_TEST

/* curve.dat's lr column is the rate each epoch trained at (row 0: the first epoch's), and the confusion matrix
 * counts every test row once, its diagonal the rows the final test accuracy counts. */
START_TEST(test_curve_lr_and_confusion)
{
    loaded l;
    const char *sets[] = {"train.schedule=step", "train.step_every=1", "train.step_factor=0.5", NULL};
    load(&l, "tests/fixtures/ref_wd_momentum_step.ini", sets);
    train_job job;
    run(&job, &l, 1);
    ck_assert_int_eq(job.status, TRAIN_OK);
    ck_assert_double_eq(job.curve[0].lr, 0.1);
    for (int e = 1; e <= job.epochs_done; e++)
        ck_assert_double_eq_tol(job.curve[e].lr, 0.1 * pow(0.5, e - 1), 1e-15);
    int K = l.nclasses;
    long total = 0, diagonal = 0;
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            total += job.confusion[i * K + j];
            diagonal += i == j ? job.confusion[i * K + j] : 0;
        }
    ck_assert_int_eq(total, l.test.rows);
    ck_assert_double_eq_tol((double)diagonal / l.test.rows, job.curve[job.epochs_done].test_acc, 1e-12);
    train_free(&job);
    unload(&l);
}
END_TEST

/* Everything but the timing column of every epoch, and every weight, must be bitwise equal. */
static void assert_same_run(const train_job *a, const train_job *b, int threads)
{
    ck_assert_int_eq(a->epochs_done, b->epochs_done);
    ck_assert_int_eq(a->status, b->status);
    for (int e = 0; e <= a->epochs_done; e++) {
        const train_epoch *x = &a->curve[e], *y = &b->curve[e];
        ck_assert_msg(x->train_loss == y->train_loss && x->test_loss == y->test_loss &&
                          x->train_acc == y->train_acc && x->test_acc == y->test_acc,
                      "epoch %d differs with %d threads", e, threads);
    }
    ck_assert_msg(memcmp(a->net.params, b->net.params, a->net.nparams * sizeof(float)) == 0,
                  "weights differ with %d threads", threads);
}

START_TEST(test_same_bits_for_any_thread_count)
{
    /* digits (64-128-10, batch 32), a wider net with big batches, so every kernel takes its parallel path, and
     * one hidden layer of 512 at batch 256, which takes the chunked step */
    static const char *const small[] = {"train.epochs=3", NULL};
    static const char *const wide[] = {"train.epochs=2", "model.hidden=300-70", "train.batch_size=256",
                                       "model.activation=relu", "train.optimizer=adam", "train.learning_rate=0.01",
                                       NULL};
    static const char *const chunked[] = {"train.epochs=2", "model.hidden=512", "train.batch_size=256", NULL};
    const char *const *variants[] = {small, wide, chunked};
    for (int v = 0; v < 3; v++) {
        loaded l;
        load(&l, "configs/digits.ini", variants[v]);
        train_job one;
        run(&one, &l, 1);
        for (int threads = 2; threads <= 7; threads += threads == 3 ? 4 : 1) {
            train_job many;
            run(&many, &l, threads);
            assert_same_run(&one, &many, threads);
            train_free(&many);
        }
        train_free(&one);
        unload(&l);
    }
}
END_TEST

START_TEST(test_xor_converges)
{
    loaded l;
    load(&l, "configs/article_xor.ini", NULL);
    for (int s = 0; s < l.cfg.nseeds; s++) {
        train_job job;
        char err[600];
        ck_assert(train_prepare(&job, &l.cfg, l.cfg.seeds[s], &l.train, &l.val, &l.test, l.nclasses, 1, err, sizeof err) == 0);
        train_execute(&job);
        ck_assert_int_eq(job.status, TRAIN_OK);
        ck_assert_double_eq(job.curve[job.epochs_done].train_acc, 1.0);
        ck_assert_double_lt(job.curve[job.epochs_done].train_loss, 0.05);
        train_free(&job);
    }
    unload(&l);
}
END_TEST

START_TEST(test_digits_learns)
{
    loaded l;
    load(&l, "configs/digits.ini", NULL);
    train_job job;
    run(&job, &l, 2);
    ck_assert_int_eq(job.status, TRAIN_OK);
    ck_assert_double_ge(job.curve[job.epochs_done].test_acc, 0.95);
    train_free(&job);
    unload(&l);
}
END_TEST

START_TEST(test_divergence_is_a_result)
{
    /* relu is unbounded: with inputs x1e3 and a huge step the weights overflow within a few steps */
    static const char *const blowup[] = {"model.activation=relu", "data.scale=1000", "train.learning_rate=1e6",
                                         "train.diverge_factor=0", "train.epochs=20", NULL};
    loaded l;
    load(&l, "configs/digits.ini", blowup);
    train_job job;
    run(&job, &l, 2);
    ck_assert_int_eq(job.status, TRAIN_DIVERGED);
    ck_assert_int_ge(job.diverged_epoch, 1);
    ck_assert_int_eq(job.epochs_done, job.diverged_epoch - 1);
    for (int e = 0; e <= job.epochs_done; e++)
        ck_assert(isfinite(job.curve[e].train_loss) && isfinite(job.curve[e].test_loss));
    const float *w = train_weights(&job);
    for (size_t i = 0; i < job.net.nparams; i++)
        ck_assert(isfinite(w[i]));
    train_free(&job);
    unload(&l);

    /* the article's digits setup stays finite but its loss explodes: diverged by the loss factor */
    load(&l, "configs/article_digits.ini", NULL);
    run(&job, &l, 2);
    ck_assert_int_eq(job.status, TRAIN_DIVERGED);
    ck_assert_int_eq(job.epochs_done, job.diverged_epoch);
    ck_assert_double_gt(job.curve[job.epochs_done].train_loss, 100 * job.curve[0].train_loss);
    train_free(&job);
    unload(&l);
}
END_TEST

START_TEST(test_eval_every_changes_only_the_curve)
{
    /* evaluating every 4th epoch of 10 gives rows 0, 4, 8, 10 with the very numbers of evaluating every epoch,
     * and the same weights: evaluation reads the weights and changes nothing */
    static const char *const every[] = {"train.epochs=10", NULL};
    static const char *const fourth[] = {"train.epochs=10", "train.eval_every=4", NULL};
    loaded l, m;
    load(&l, "configs/digits.ini", every);
    load(&m, "configs/digits.ini", fourth);
    train_job a, b;
    run(&a, &l, 2);
    run(&b, &m, 2);
    ck_assert_int_eq(a.status, TRAIN_OK);
    ck_assert_int_eq(b.status, TRAIN_OK);
    ck_assert_int_eq(b.epochs_done, 10);
    ck_assert_msg(memcmp(a.net.params, b.net.params, a.net.nparams * sizeof(float)) == 0,
                  "the weights depend on train.eval_every");
    int rows = 0, best = 0;
    for (int e = 0; e <= 10; e++) {
        const train_epoch *x = &a.curve[e], *y = &b.curve[e];
        ck_assert_int_eq(y->evaluated, e == 0 || e == 4 || e == 8 || e == 10);
        if (!y->evaluated)
            continue;
        rows++;
        ck_assert_int_eq(y->epoch, e);
        ck_assert_msg(x->train_loss == y->train_loss && x->test_loss == y->test_loss &&
                          x->train_acc == y->train_acc && x->test_acc == y->test_acc &&
                          x->val_loss == y->val_loss && x->val_acc == y->val_acc,
                      "epoch %d evaluates differently", e);
        if (y->val_acc > b.curve[best].val_acc) /* configs/digits.ini has a validation set: best is chosen on it */
            best = e;
    }
    ck_assert_int_eq(rows, 4);
    ck_assert_int_eq(b.best_epoch, best);
    ck_assert_double_gt(b.train_seconds, 0);
    train_free(&a);
    train_free(&b);
    unload(&l);
    unload(&m);

    /* a blow-up (in the first epoch: NaN comes fast or not at all here) ends the run diverged at the same
     * epoch with every eval_every, keeping the last evaluated epoch before it */
    static const char *const blowup[] = {"model.activation=relu", "data.scale=1000", "train.learning_rate=1e6",
                                         "train.diverge_factor=0", "train.epochs=20", NULL};
    static const char *const blowup3[] = {"model.activation=relu", "data.scale=1000", "train.learning_rate=1e6",
                                          "train.diverge_factor=0", "train.epochs=20", "train.eval_every=3", NULL};
    load(&l, "configs/digits.ini", blowup);
    load(&m, "configs/digits.ini", blowup3);
    run(&a, &l, 2);
    run(&b, &m, 2);
    ck_assert_int_eq(a.status, TRAIN_DIVERGED);
    ck_assert_int_eq(b.status, TRAIN_DIVERGED);
    ck_assert_int_eq(b.diverged_epoch, a.diverged_epoch);
    ck_assert_int_eq(b.epochs_done, (a.diverged_epoch - 1) / 3 * 3);
    for (int e = b.epochs_done + 1; e <= 20; e++)
        ck_assert_msg(!b.curve[e].evaluated, "epoch %d after the last kept one has a curve row", e);
    const float *w = train_weights(&b);
    for (size_t i = 0; i < b.net.nparams; i++)
        ck_assert(isfinite(w[i]));
    train_free(&a);
    train_free(&b);
    unload(&l);
    unload(&m);

    /* the loss-factor rule looks at evaluated epochs only: the article's digits setup, evaluated every 4th
     * epoch, diverges at the first multiple of 4 whose train loss (from a run without the rule) is over 100x */
    static const char *const whole[] = {"train.diverge_factor=0", "train.epochs=40", NULL};
    static const char *const sparse[] = {"train.epochs=40", "train.eval_every=4", NULL};
    load(&l, "configs/article_digits.ini", whole);
    load(&m, "configs/article_digits.ini", sparse);
    run(&a, &l, 2);
    run(&b, &m, 2);
    ck_assert_int_eq(a.epochs_done, 40);
    int expect = 0;
    for (int e = 4; e <= 40 && !expect; e += 4)
        if (a.curve[e].train_loss > 100 * a.curve[0].train_loss)
            expect = e;
    ck_assert_int_gt(expect, 0);
    ck_assert_int_eq(b.status, TRAIN_DIVERGED);
    ck_assert_int_eq(b.diverged_epoch, expect);
    ck_assert_int_eq(b.epochs_done, expect);
    ck_assert(b.curve[expect].evaluated && b.curve[expect].train_loss == a.curve[expect].train_loss);
    train_free(&a);
    train_free(&b);
    unload(&l);
    unload(&m);
}
END_TEST

START_TEST(test_huge_inputs_stay_finite)
{
    /* inputs x1e6, 5 epochs. Sigmoid units saturate but nothing overflows: the run ends ok and still learns
     * (measured: test accuracy 0.883 at epoch 5). ReLU units see pre-activations near 1e6: the first loss is
     * about 6e6, the first steps kill every hidden unit, and from then on the output layer learns the class
     * frequencies alone (measured: train loss 2.3018, just under ln 10 = 2.3026, accuracy at chance). Neither
     * is a divergence: every loss and weight stays finite and the loss falls from the first one. So the exact
     * outcome: ok, all 5 epochs, a finite curve, and each activation's own signature. */
    static const char *const acts[] = {"model.activation=sigmoid", "model.activation=relu"};
    for (int a = 0; a < 2; a++) {
        const char *const sets[] = {"data.scale=1e6", "train.epochs=5", "data.validation_fraction=0", acts[a], NULL};
        loaded l;
        load(&l, "configs/digits.ini", sets);
        train_job job;
        run(&job, &l, 2);
        ck_assert_int_eq(job.status, TRAIN_OK);
        ck_assert_int_eq(job.epochs_done, 5);
        ck_assert_int_eq(job.diverged_epoch, 0);
        for (int e = 0; e <= job.epochs_done; e++)
            ck_assert(isfinite(job.curve[e].train_loss) && isfinite(job.curve[e].test_loss) &&
                      isfinite(job.curve[e].test_acc));
        if (a == 0) {
            ck_assert_double_gt(job.curve[5].test_acc, 0.85);
        } else {
            ck_assert_double_gt(job.curve[0].train_loss, 1e6);
            ck_assert_double_lt(fabs(job.curve[5].train_loss - log(10)), 0.01);
            ck_assert_double_lt(job.curve[5].test_acc, 0.2);
        }
        train_free(&job);
        unload(&l);
    }
}
END_TEST

/* Weights that overflow on the very first evaluation (finite, near FLT_MAX, through relu): the run is a result,
 * diverged at epoch 0 with no curve row (there is no finite one), and its committed files pass the check that
 * --verify and resuming use, so a resume does not retrain it forever. */
START_TEST(test_overflowing_start_is_a_result)
{
    loaded l;
    load(&l, "configs/digits.ini", (const char *const[]){"model.hidden=20", "model.activation=relu",
                                                        "train.epochs=3", NULL});
    train_job job;
    char err[1200], path[] = "/tmp/runner_big_XXXXXX", root[] = "/tmp/runner_bigres_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert(train_prepare(&job, &l.cfg, 1, &l.train, &l.val, &l.test, l.nclasses, 1, err, sizeof err) == 0);
    for (size_t i = 0; i < job.net.nparams; i++)
        job.net.params[i] = 3e38f;
    ck_assert_msg(checkpoint_save(&job.net, job.net.params, path, err, sizeof err) == 0, "%s", err);
    train_free(&job);

    config c = l.cfg;
    snprintf(c.init_file, sizeof c.init_file, "%s", path);
    ck_assert_msg(train_prepare(&job, &c, 1, &l.train, &l.val, &l.test, l.nclasses, 2, err, sizeof err) == 0, "%s", err);
    train_execute(&job);
    ck_assert_int_eq(job.status, TRAIN_DIVERGED);
    ck_assert_int_eq(job.diverged_epoch, 0);
    ck_assert_int_eq(job.epochs_done, 0);
    ck_assert(!job.curve[0].evaluated);

    store res;
    ck_assert_ptr_nonnull(mkdtemp(root));
    sweep_plan plan;
    ck_assert_msg(store_open(&res, root, &c, NULL, 0, err, sizeof err) == ERROR_NONE, "%s", err);
    ck_assert_msg(store_commit(&res, "seed=1", &job, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(sweep_plan_init(&plan, &c, 1, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(store_read_run(res.dir, &plan, 0, NULL, err, sizeof err) == 0, "%s", err);
    store_close(&res);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", root, path);
    ck_assert_int_eq(system(cmd), 0);
    train_free(&job);
    unload(&l);
}
END_TEST

START_TEST(test_stop_flag_interrupts)
{
    loaded l;
    load(&l, "configs/digits.ini", NULL);
    train_job job;
    char err[600];
    ck_assert(train_prepare(&job, &l.cfg, 1, &l.train, &l.val, &l.test, l.nclasses, 1, err, sizeof err) == 0);
    volatile sig_atomic_t stop = 1;
    job.stop = &stop;
    train_execute(&job);
    ck_assert_int_eq(job.status, TRAIN_INTERRUPTED);
    train_free(&job);
    unload(&l);
}
END_TEST

START_TEST(test_checkpoint_round_trip)
{
    loaded l;
    load(&l, "configs/digits.ini", (const char *const[]){"model.hidden=20-7", NULL});
    train_job job;
    char err[600], path[] = "/tmp/runner_ckpt_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert(train_prepare(&job, &l.cfg, 3, &l.train, &l.val, &l.test, l.nclasses, 1, err, sizeof err) == 0);
    ck_assert_msg(checkpoint_save(&job.net, job.net.params, path, err, sizeof err) == 0, "%s", err);

    /* load it as init_file: the same parameters, bit for bit */
    config c = l.cfg;
    snprintf(c.init_file, sizeof c.init_file, "%s", path);
    train_job again;
    ck_assert_msg(train_prepare(&again, &c, 99, &l.train, &l.val, &l.test, l.nclasses, 1, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(again.net.nparams, job.net.nparams);
    ck_assert(memcmp(again.net.params, job.net.params, job.net.nparams * sizeof(float)) == 0);
    train_free(&again);

    /* a model of another shape refuses it, naming the dataset and both shapes */
    c.hidden[0] = 21;
    ck_assert(train_prepare(&again, &c, 1, &l.train, &l.val, &l.test, l.nclasses, 1, err, sizeof err) == -1);
    ck_assert_msg(strstr(err, "'weight0' is [20, 64] but the model needs [21, 64]"), "%s", err);
    c.hidden[0] = 20;
    c.nhidden = 1;
    ck_assert(train_prepare(&again, &c, 1, &l.train, &l.val, &l.test, l.nclasses, 1, err, sizeof err) == -1);
    ck_assert_msg(strstr(err, "'weight1' is [7, 20] but the model needs [10, 20]"), "%s", err);
    unlink(path);
    train_free(&job);
    unload(&l);
}
END_TEST

/* A full disk while writing a checkpoint, made in-process with a file size limit (EFBIG rather than ENOSPC): one
 * line naming the file and the cause, nothing left behind, and HDF5 holding no half-closed file (HDF5 1.10
 * closed it again at exit and crashed). */
START_TEST(test_checkpoint_disk_full)
{
    loaded l;
    load(&l, "configs/digits.ini", (const char *const[]){"model.hidden=20-7", NULL});
    train_job job;
    char err[600], dir[] = "/tmp/runner_full_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    ck_assert(train_prepare(&job, &l.cfg, 3, &l.train, &l.val, &l.test, l.nclasses, 1, err, sizeof err) == 0);

    struct rlimit old, small;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 1000; /* bytes: less than the smallest checkpoint */
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = checkpoint_save(&job.net, job.net.params, path, err, sizeof err);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, was);

    ck_assert_int_eq(rc, -1);
    char want[128];
    snprintf(want, sizeof want, "%s: cannot write: File too large", path);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(rmdir(dir), 0); /* empty: no checkpoint, no temporary file */
    train_free(&job);
    unload(&l);
}
END_TEST

/* Early stopping (patience 3, 300 epochs, learning rate 1 on digits) stops well before 300 (measured: at epoch 12,
 * keeping epoch 9) and keeps the weights and numbers of the evaluation with the lowest validation loss: the very
 * weights of the same run trained for that many epochs without early stopping, bit for bit. */
START_TEST(test_early_stopping_keeps_the_best_evaluation)
{
    static const char *const es[] = {"train.epochs=300", "train.learning_rate=1", "train.early_stopping=3", NULL};
    loaded l;
    load(&l, "configs/digits.ini", es);
    train_job job;
    run(&job, &l, 2);
    ck_assert_int_eq(job.status, TRAIN_OK);
    ck_assert_int_lt(job.epochs_done, 30);
    /* patience counts evaluations: the last three brought no lower validation loss than final_epoch's */
    ck_assert_int_eq(job.final_epoch, job.epochs_done - 3);
    for (int e = 0; e <= job.epochs_done; e++) {
        ck_assert(job.curve[e].evaluated && isfinite(job.curve[e].val_loss));
        double v = job.curve[e].val_loss, kept = job.curve[job.final_epoch].val_loss;
        ck_assert(e < job.final_epoch ? v > kept : v >= kept); /* the lowest, earliest on ties */
        /* best_epoch: the highest validation accuracy, earliest on ties */
        ck_assert(job.curve[e].val_acc <= job.curve[job.best_epoch].val_acc);
        if (e < job.best_epoch)
            ck_assert(job.curve[e].val_acc < job.curve[job.best_epoch].val_acc);
    }
    char epochs[64];
    snprintf(epochs, sizeof epochs, "train.epochs=%d", job.final_epoch);
    const char *const plain[] = {epochs, "train.learning_rate=1", NULL};
    loaded m;
    load(&m, "configs/digits.ini", plain);
    train_job ref;
    run(&ref, &m, 1);
    ck_assert_int_eq(ref.epochs_done, job.final_epoch);
    ck_assert_msg(memcmp(train_weights(&job), train_weights(&ref), ref.net.nparams * sizeof(float)) == 0,
                  "the weights kept are not those of epoch %d", job.final_epoch);
    ck_assert(ref.curve[ref.epochs_done].val_loss == job.curve[job.final_epoch].val_loss);
    /* the confusion matrix is that of the kept weights, not of the last epoch trained */
    size_t K = (size_t)job.nclasses;
    ck_assert(job.confusion && ref.confusion);
    ck_assert_msg(memcmp(job.confusion, ref.confusion, K * K * sizeof(int)) == 0,
                  "the confusion matrix is not that of epoch %d", job.final_epoch);
    train_free(&ref);
    unload(&m);
    train_free(&job);
    /* every second epoch evaluated: three evaluations are six epochs */
    static const char *const every2[] = {"train.epochs=300", "train.learning_rate=1", "train.early_stopping=3",
                                         "train.eval_every=2", NULL};
    unload(&l);
    load(&l, "configs/digits.ini", every2);
    run(&job, &l, 2);
    ck_assert_int_lt(job.epochs_done, 300);
    ck_assert_int_eq(job.final_epoch, job.epochs_done - 6);
    train_free(&job);
    unload(&l);
}
END_TEST

/* steps_to_target and its kin from the curve by hand: the first evaluated epoch whose validation accuracy reaches
 * the target gives them (without eval_every_steps), train.stop_at_target ends the run there with status ok, and a
 * target never reached leaves them unset. */
START_TEST(test_steps_to_target_from_the_curve)
{
    static const char *const sets[] = {"train.epochs=30", "train.target_accuracy=0.9", NULL};
    loaded l;
    load(&l, "configs/digits.ini", sets);
    train_job job;
    run(&job, &l, 2);
    int first = -1, B = train_batch_rows(&l.cfg, l.train.rows), per_epoch = (l.train.rows + B - 1) / B;
    double seconds = 0;
    for (int e = 0; e <= job.epochs_done && first < 0; e++) {
        ck_assert(job.curve[e].evaluated); /* a target evaluates every epoch */
        seconds += e ? job.curve[e].seconds : 0;
        if (job.curve[e].val_acc >= 0.9)
            first = e;
    }
    ck_assert_int_gt(first, 0);
    ck_assert_int_eq(job.epochs_done, 30); /* no stop_at_target: trains on */
    ck_assert_int_eq(job.steps_to_target, (long long)first * per_epoch);
    ck_assert_int_eq(job.examples_to_target, (long long)first * l.train.rows);
    ck_assert(job.epochs_to_target == first);
    ck_assert_double_eq_tol(job.seconds_to_target, seconds, 1e-9);
    train_free(&job);
    /* stop_at_target: the same first epoch, and the run ends there as ok */
    l.cfg.stop_at_target = 1;
    run(&job, &l, 2);
    ck_assert_int_eq(job.status, TRAIN_OK);
    ck_assert_int_eq(job.epochs_done, first);
    ck_assert_int_eq(job.steps_to_target, (long long)first * per_epoch);
    train_free(&job);
    /* checked every 7 steps too: no later, at a multiple of 7 or at an epoch's end */
    l.cfg.eval_every_steps = 7;
    run(&job, &l, 2);
    ck_assert_int_le(job.steps_to_target, (long long)first * per_epoch);
    ck_assert(job.steps_to_target % 7 == 0 || job.steps_to_target % per_epoch == 0);
    ck_assert_int_le(job.epochs_done, first);
    train_free(&job);
    /* never reached */
    l.cfg.target_accuracy = 1;
    l.cfg.eval_every_steps = 0;
    l.cfg.epochs = 2;
    run(&job, &l, 2);
    ck_assert(job.steps_to_target == -1 && isnan(job.seconds_to_target) && isnan(job.epochs_to_target));
    ck_assert_int_eq(job.epochs_done, 2);
    train_free(&job);
    unload(&l);
}
END_TEST

/* train.noise_scale measures B_simple at every evaluation and changes no weight: the same bits without it. */
START_TEST(test_noise_scale_leaves_weights_unchanged)
{
    static const char *const sets[] = {"train.epochs=4", "train.noise_scale=true", NULL};
    loaded l;
    load(&l, "configs/digits.ini", sets);
    train_job with, without;
    run(&with, &l, 2);
    l.cfg.noise_scale = 0;
    run(&without, &l, 2);
    ck_assert_int_eq(with.epochs_done, 4);
    ck_assert(memcmp(train_weights(&with), train_weights(&without), with.net.nparams * sizeof(float)) == 0);
    for (int e = 0; e <= 4; e++) {
        ck_assert_msg(isfinite(with.curve[e].b_simple) && with.curve[e].b_simple > 0, "epoch %d: %g", e,
                      with.curve[e].b_simple);
        ck_assert(isnan(without.curve[e].b_simple));
        ck_assert(with.curve[e].train_loss == without.curve[e].train_loss);
    }
    ck_assert(isfinite(train_b_simple_median(&with)) && isnan(train_b_simple_median(&without)));
    train_free(&with);
    train_free(&without);
    unload(&l);
}
END_TEST

/* rng_below draws what its definition draws: the first x of rng_next below the largest multiple of n, reduced mod
 * n, leaving the generator where the definition leaves it; for small n (the shuffles') and for n near 2^64, where a
 * draw is rejected about half the time. */
START_TEST(test_rng_below_matches_its_definition)
{
    static const uint64_t ns[] = {1, 2, 3, 10, 1437, 1797, 1u << 31, UINT64_MAX / 2 + 2, UINT64_MAX - 1, UINT64_MAX};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        rng a, b;
        rng_init(&a, 5 + k, 1);
        b = a;
        uint64_t n = ns[k], limit = UINT64_MAX - UINT64_MAX % n;
        int rejected = 0;
        for (int i = 0; i < 20000; i++) {
            uint64_t x, want;
            while ((x = rng_next(&b)) >= limit)
                rejected++;
            want = x % n;
            ck_assert_msg(rng_below(&a, n) == want, "n = %llu, draw %d", (unsigned long long)n, i);
        }
        ck_assert(memcmp(&a, &b, sizeof a) == 0);
        if (n == UINT64_MAX / 2 + 2)
            ck_assert_int_gt(rejected, 5000); /* the rejecting branch ran */
    }
}
END_TEST

Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("training");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_matches_numpy_reference, 0, (int)(sizeof reference_cases / sizeof *reference_cases));
    tcase_add_test(tc, test_same_bits_for_any_thread_count);
    tcase_add_test(tc, test_schedule_formulas);
    tcase_add_test(tc, test_curve_lr_and_confusion);
    tcase_add_test(tc, test_xor_converges);
    tcase_add_test(tc, test_digits_learns);
    tcase_add_test(tc, test_divergence_is_a_result);
    tcase_add_test(tc, test_eval_every_changes_only_the_curve);
    tcase_add_test(tc, test_early_stopping_keeps_the_best_evaluation);
    tcase_add_test(tc, test_steps_to_target_from_the_curve);
    tcase_add_test(tc, test_noise_scale_leaves_weights_unchanged);
    tcase_add_test(tc, test_huge_inputs_stay_finite);
    tcase_add_test(tc, test_overflowing_start_is_a_result);
    tcase_add_test(tc, test_stop_flag_interrupts);
    tcase_add_test(tc, test_checkpoint_round_trip);
    tcase_add_test(tc, test_checkpoint_disk_full);
    tcase_add_test(tc, test_rng_below_matches_its_definition);
    suite_add_tcase(s, tc);
    return s;
}
