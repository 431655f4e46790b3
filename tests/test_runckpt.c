/* In-run checkpoints (runckpt.c) and the progress lines off a terminal: a run stopped at an epoch boundary or
 * mid-epoch and resumed from its checkpoint ends bitwise equal to an uninterrupted one (SGD, momentum, Adam,
 * early stopping, a step schedule, sparse evaluations, a target reached before the stop and one stopped at after
 * it, checked between evaluations, with the noise scale); a checkpoint with any byte flipped, cut short, or of
 * another run is refused. Run from the repository root. */
#include "tests.h"
#include "config.h"
#include "dataset.h"
#include "h5util.h"
#include "progress.h"
#include "runckpt.h"
#include "train.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct loaded {
    config cfg;
    dataset train, val, test;
    int nclasses, threads; /* the threads a prepared run trains on (load: 1) */
} loaded;

/* configs/digits.ini with a small model and the overrides in sets (NULL-terminated), and its data. */
static void load(loaded *l, const char *const *sets)
{
    config_errors errs = {0};
    config_defaults(&l->cfg);
    config_load(&l->cfg, "configs/digits.ini", &errs);
    const char *small[] = {"model.hidden=16", "train.epochs=9", "train.batch_size=128", "train.checkpoint_every=0"};
    for (int i = 0; i < 4; i++)
        config_override(&l->cfg, small[i], &errs);
    for (; sets && *sets; sets++)
        config_override(&l->cfg, *sets, &errs);
    ck_assert_msg(errs.n == 0, "%s", errs.text);
    l->threads = 1;
    h5util_quiet();
    char err[600];
    ck_assert_msg(dataset_open_config(&l->cfg, &l->train, &l->val, &l->test, &l->nclasses, err, sizeof err) == 0,
                  "%s", err);
}

static void unload(loaded *l)
{
    dataset_free(&l->train);
    dataset_free(&l->val);
    dataset_free(&l->test);
    config_free(&l->cfg);
}

static void prepare(train_job *job, loaded *l, long long seed)
{
    char err[600];
    ck_assert_msg(train_prepare(job, &l->cfg, seed, &l->train, &l->val, &l->test, l->nclasses, l->threads, err,
                                sizeof err) == 0, "%s", err);
}

/* A run that writes a checkpoint at every epoch start (checkpoint_every = 0) and is stopped in epoch stop_at. */
typedef struct saver {
    const char *path, *boundary;   /* every checkpoint; a copy of the one at the start of epoch stop_at */
    uint64_t fingerprint;
    int stop_at;
    volatile sig_atomic_t stop;
} saver;

static void save(train_job *job, void *ctx)
{
    saver *s = ctx;
    char err[600];
    ck_assert_msg(runckpt_save(s->path, job, s->fingerprint, err, sizeof err) == 0, "%s", err);
    if (job->at_epoch == s->stop_at && job->at_rows == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", s->path, s->boundary);
        ck_assert_int_eq(system(cmd), 0);
        s->stop = 1; /* seen after the next batch: the last checkpoint is mid-epoch */
    }
}

/* A checkpoint that is taken and dropped: a resumed run still passes its checkpoints (at every epoch start here,
 * checkpoint_every = 0), which must record where it is without moving it. */
static void drop(train_job *job, void *ctx) { (void)job, (void)ctx; }

/* Everything but the seconds of every curve row (and to the target), the kept weights and the results must be
 * bitwise equal: the steps and examples, and the target's numbers too. */
static void assert_same(const train_job *a, const train_job *b, const char *what)
{
    ck_assert_msg(a->status == b->status && a->epochs_done == b->epochs_done && a->final_epoch == b->final_epoch &&
                      a->best_epoch == b->best_epoch, "%s: results differ", what);
    ck_assert_msg(a->steps == b->steps && a->examples == b->examples && a->steps_to_target == b->steps_to_target &&
                      a->examples_to_target == b->examples_to_target &&
                      !memcmp(&a->epochs_to_target, &b->epochs_to_target, sizeof a->epochs_to_target),
                  "%s: steps, examples or the target's numbers differ", what);
    for (int e = 0; e <= a->cfg.epochs; e++) {
        train_epoch x = a->curve[e], y = b->curve[e];
        x.seconds = y.seconds = 0;
        ck_assert_msg(!memcmp(&x, &y, sizeof x), "%s: curve row %d differs", what, e);
    }
    ck_assert_msg(!memcmp(train_weights(a), train_weights(b), a->net.nparams * sizeof(float)), "%s: weights differ",
                  what);
}

/* Trains sets uninterrupted, then stopped in epoch E and resumed from the mid-epoch checkpoint and from the one at
 * the start of epoch E: the same bits all three ways. E is 4, or with early stopping the last epoch trained, where
 * the best weights are older than the current ones and the evaluations without a better one are counted. */
static void check_resume_on(const char *const *sets, int threads)
{
    loaded l;
    load(&l, sets);
    l.threads = threads;
    char path[] = "/tmp/runckpt_XXXXXX", boundary[64];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(boundary, sizeof boundary, "%s.boundary", path);
    train_job whole, stopped, resumed;
    prepare(&whole, &l, 1);
    train_execute(&whole);

    saver s = {.path = path, .boundary = boundary, .stop_at = whole.best_params ? whole.epochs_done : 4};
    if (whole.best_params)
        ck_assert_msg(whole.epochs_done < whole.cfg.epochs && whole.final_epoch < whole.epochs_done - 1,
                      "%s: the run did not stop early (the case needs it)", sets[0]);
    if (l.cfg.target_accuracy > 0) /* reached before the stop and kept, or after it and stopped at */
        ck_assert_msg(whole.steps_to_target >= 0 &&
                          (l.cfg.stop_at_target ? whole.epochs_to_target > 4 : whole.epochs_to_target <= 3),
                      "%s: the target is reached at epoch %g (the case needs it %s the stop)", sets[0],
                      whole.epochs_to_target, l.cfg.stop_at_target ? "after" : "before");
    prepare(&stopped, &l, 1);
    s.fingerprint = runckpt_fingerprint(&stopped);
    stopped.checkpoint = save;
    stopped.checkpoint_ctx = &s;
    stopped.stop = &s.stop;
    train_execute(&stopped);
    ck_assert_int_eq(stopped.status, TRAIN_INTERRUPTED);
    train_free(&stopped);

    const char *from[] = {path, boundary};
    for (int i = 0; i < 2; i++) {
        char err[600];
        prepare(&resumed, &l, 1);
        ck_assert_int_eq(runckpt_load(from[i], &resumed, runckpt_fingerprint(&resumed), err, sizeof err), 1);
        ck_assert_int_eq(resumed.at_epoch, s.stop_at);
        ck_assert_int_eq(resumed.at_rows, i == 0 ? train_batch_rows(&l.cfg, l.train.rows) : 0);
        resumed.checkpoint = drop;
        train_execute(&resumed);
        assert_same(&whole, &resumed, sets[0]);
        train_free(&resumed);
    }
    train_free(&whole);
    unlink(path);
    unlink(boundary);
    unload(&l);
}

static void check_resume(const char *const *sets) { check_resume_on(sets, 1); }

START_TEST(test_resumed_run_equals_uninterrupted)
{
    static const char *const sgd[] = {"train.optimizer=sgd", NULL};
    static const char *const momentum[] = {"train.optimizer=momentum", "train.eval_every=3", "train.schedule=step",
                                           "train.step_every=2", "train.weight_decay=0.001", NULL};
    static const char *const adam[] = {"train.optimizer=adam", "train.learning_rate=0.01", "train.warmup_epochs=2",
                                       "train.schedule=cosine", NULL};
    static const char *const stopping[] = {"train.learning_rate=1", "train.early_stopping=3", "train.epochs=60",
                                           "train.batch_size=32", NULL};
    static const char *const kept[] = {"train.target_accuracy=0.15", "train.eval_every_steps=3",
                                       "train.noise_scale=true", NULL};
    static const char *const reached[] = {"train.target_accuracy=0.3", "train.stop_at_target=true",
                                          "train.eval_every_steps=3", "train.noise_scale=true", NULL};
    check_resume(sgd);
    check_resume(momentum);
    check_resume(adam);
    check_resume(stopping);
    check_resume(kept);
    check_resume(reached);
}
END_TEST

/* A model whose steps on two threads take a team that persists across them (mlp_train_rows_run): stopped and
 * resumed the same bits, the run of steps ended by the stop after the first batch of epoch 4 and every 3 steps by
 * the target's check (reached between two steps, not at an epoch's end), and the same bits on one thread, whose
 * steps go one by one. */
START_TEST(test_resumed_team_run_equals_uninterrupted)
{
    static const char *const sgd[] = {"model.hidden=256-256", "train.batch_size=64", "train.epochs=6", NULL};
    static const char *const kept[] = {"model.hidden=256-256", "train.batch_size=64", "train.epochs=6",
                                       "train.target_accuracy=0.15", "train.eval_every_steps=3", NULL};
    check_resume_on(sgd, 2);
    check_resume_on(kept, 2);
    loaded l;
    load(&l, kept);
    train_job two, one;
    l.threads = 2;
    prepare(&two, &l, 1);
    train_execute(&two);
    l.threads = 1;
    prepare(&one, &l, 1);
    train_execute(&one);
    int B = train_batch_rows(&l.cfg, l.train.rows), per_epoch = (l.train.rows + B - 1) / B;
    ck_assert_msg(two.steps_to_target > 0 && two.steps_to_target % 3 == 0 && two.steps_to_target % per_epoch != 0,
                  "the target was reached at step %lld (%d an epoch): the case needs it between two steps",
                  two.steps_to_target, per_epoch);
    assert_same(&one, &two, "2 threads against 1");
    train_free(&two);
    train_free(&one);
    unload(&l);
}
END_TEST

/* The whole file at path, its size in *n. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

START_TEST(test_damaged_or_foreign_checkpoints_are_refused)
{
    static const char *const adam[] = {"train.optimizer=adam", "train.early_stopping=3", NULL};
    loaded l;
    load(&l, adam);
    char path[] = "/tmp/runckpt_XXXXXX", err[600];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char boundary[64];
    snprintf(boundary, sizeof boundary, "%s.boundary", path);
    train_job job;
    prepare(&job, &l, 1);
    uint64_t fp = runckpt_fingerprint(&job);
    saver sv = {.path = path, .boundary = boundary, .fingerprint = fp, .stop_at = 2};
    job.checkpoint = save;
    job.checkpoint_ctx = &sv;
    job.stop = &sv.stop;
    train_execute(&job); /* the last checkpoint: one batch into epoch 2 */
    train_free(&job);
    unlink(boundary);
    size_t n;
    unsigned char *good = slurp(path, &n);
    /* every byte of the header and the sizes, then bytes spread over the parts, each flipped alone */
    for (size_t i = 0; i < n; i += i < 256 ? 1 : 97) {
        good[i] ^= 0x20;
        spit(path, good, n);
        good[i] ^= 0x20;
        prepare(&job, &l, 1);
        ck_assert_msg(runckpt_load(path, &job, fp, err, sizeof err) == -1, "byte %zu flipped was trusted", i);
        ck_assert_int_eq(job.at_epoch, 0);
        train_free(&job);
    }
    size_t cut[] = {0, 8, n / 2, n - 1};
    for (int i = 0; i < 4; i++) {
        spit(path, good, cut[i]);
        prepare(&job, &l, 1);
        ck_assert_int_eq(runckpt_load(path, &job, fp, err, sizeof err), -1);
        train_free(&job);
    }
    /* intact, but another seed's run (other initial weights): another fingerprint */
    spit(path, good, n);
    prepare(&job, &l, 2);
    ck_assert_int_eq(runckpt_load(path, &job, runckpt_fingerprint(&job), err, sizeof err), -1);
    ck_assert_msg(strstr(err, "written for another config, data or model") != NULL, "%s", err);
    train_free(&job);
    prepare(&job, &l, 1);
    ck_assert_int_eq(runckpt_load(path, &job, fp, err, sizeof err), 1);
    train_free(&job);
    unlink(path);
    prepare(&job, &l, 1);
    ck_assert_int_eq(runckpt_load(path, &job, fp, err, sizeof err), 0);
    train_free(&job);
    free(good);
    unload(&l);
}
END_TEST

/* Off a terminal, a run in flight gets a line with its epoch, train loss and ETA once every pr.every seconds. */
START_TEST(test_progress_lines_off_a_terminal)
{
    static train_job job;
    train_epoch curve[11] = {{0}};
    curve[4].train_loss = 0.25;
    job.cfg.epochs = 10;
    job.curve = curve;
    atomic_store(&job.progress_epoch, 5);
    atomic_store(&job.progress_eval, 4);
    char path[] = "/tmp/progress_XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    dup2(fd, 2);
    progress pr;
    progress_init(&pr, 0, 3, 30);
    pr.tty = 0;
    progress_started(&pr, "lr=0.1_seed=1", &job);
    progress_show(&pr); /* too early: nothing */
    pr.every = 0;
    progress_show(&pr);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    unsigned char *text = slurp(path, &n);
    close(fd);
    unlink(path);
    const char *want = "[0/3] lr=0.1_seed=1: epoch 5/10, train loss 0.2500, ETA ";
    ck_assert_msg(n > strlen(want) && !memcmp(text, want, strlen(want)) &&
                      memchr(text, '\n', n) == text + n - 1, "%.*s", (int)n, (char *)text);
    free(text);
}
END_TEST

Suite *runckpt_suite(void)
{
    Suite *s = suite_create("runckpt");
    TCase *tc = tcase_create("runckpt");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_resumed_run_equals_uninterrupted);
    tcase_add_test(tc, test_resumed_team_run_equals_uninterrupted);
    tcase_add_test(tc, test_damaged_or_foreign_checkpoints_are_refused);
    tcase_add_test(tc, test_progress_lines_off_a_terminal);
    suite_add_tcase(s, tc);
    return s;
}
