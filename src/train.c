/* The training loop. Nothing is allocated after train_prepare; every sum over samples is taken serially in
 * sample order from per-sample arrays, so curves and weights do not depend on the thread count. */
#include "train.h"
#include "checkpoint.h"
#include "placement.h"
#include "stats.h"
#include "timing.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int train_batch_rows(const config *cfg, int train_rows)
{
    long long b = cfg->batch_size;
    return b == 0 || b > train_rows ? train_rows : (int)b;
}

int train_model_rows(int batch) { return batch > TRAIN_EVAL_ROWS ? batch : TRAIN_EVAL_ROWS; }

int train_prepare(train_job *job, const config *cfg, long long seed, const dataset *train, const dataset *val,
                  const dataset *test, int nclasses, int threads, char *err, size_t len)
{
    return train_prepare_init(job, cfg, seed, train, val, test, nclasses, threads, NULL, err, len);
}

int train_prepare_init(train_job *job, const config *cfg, long long seed, const dataset *train, const dataset *val,
                       const dataset *test, int nclasses, int threads, const float *init, char *err, size_t len)
{
    memset(job, 0, sizeof *job);
    job->cfg = *cfg;
    job->cfg.sweep = NULL;
    job->cfg.nsweep = 0;
    job->seed = seed;
    job->train = train;
    job->test = test;
    job->val = val;
    job->nclasses = nclasses;
    job->threads = threads < 1 ? 1 : threads;
    int B = train_batch_rows(cfg, train->rows);
    int rows = train_model_rows(B);
    int nout = mlp_output_units((mlp_output)cfg->output, nclasses);
    if (mlp_init(&job->net, train->cols, cfg->hidden, cfg->nhidden, nout, (mlp_activation)cfg->activation,
                 (mlp_output)cfg->output, rows) < 0)
        goto oom;
    size_t np = job->net.nparams;
    job->last_good = malloc(np * sizeof(float));
    job->order = malloc((size_t)train->rows * sizeof(int));
    job->curve = calloc((size_t)cfg->epochs + 1, sizeof *job->curve);
    if (!job->last_good || !job->order || !job->curve || mlp_reserve(&job->net, job->threads, B) < 0)
        goto oom;
    if (cfg->early_stopping > 0 && !(job->best_params = malloc(np * sizeof(float))))
        goto oom;
    if (nclasses <= TRAIN_CONFUSION_MAX && !(job->confusion = calloc((size_t)nclasses * nclasses, sizeof(int))))
        goto oom;
    if (cfg->optimizer != OPT_SGD && !(job->opt_m = calloc(np, sizeof(float))))
        goto oom;
    if (cfg->optimizer == OPT_ADAM && !(job->opt_v = calloc(np, sizeof(float))))
        goto oom;
    if (cfg->noise_scale && noise_init(&job->noise, np) < 0)
        goto oom;
    if (cfg->init_file[0] && init) {
        memcpy(job->net.params, init, np * sizeof(float));
    } else if (cfg->init_file[0]) {
        if (checkpoint_load(&job->net, cfg->init_file, err, len) < 0) {
            config_blame(cfg, "model.init_file", err, len);
            train_free(job);
            return -1;
        }
    } else {
        rng r;
        rng_init(&r, (uint64_t)seed, RNG_STREAM_INIT);
        mlp_randomize(&job->net, (mlp_init_kind)cfg->init, &r);
    }
    return 0;
oom:
    snprintf(err, len, "out of memory for a %d-input, %d-layer model with batch %d", train->cols, cfg->nhidden, B);
    train_free(job);
    return -1;
}

int train_read_init(const config *cfg, const dataset *train, int nclasses, float **params, size_t *n, char *shape,
                    size_t shape_len, char *err, size_t len)
{
    /* a one-row net is enough to read the checkpoint against the model's shapes */
    config small = *cfg;
    small.batch_size = 1;
    small.sweep = NULL;
    small.nsweep = 0;
    train_job job;
    dataset one = *train;
    one.rows = 1;
    *params = NULL;
    if (train_prepare(&job, &small, 0, &one, NULL, &one, nclasses, 1, err, len) < 0)
        return -1;
    shape[0] = 0;
    for (int k = 0; k <= job.net.nlayers; k++)
        snprintf(shape + strlen(shape), shape_len - strlen(shape), "%s%d", k ? "-" : "", job.net.size[k]);
    *n = job.net.nparams;
    if (cfg->init_file[0] && (*params = malloc(*n * sizeof(float))))
        memcpy(*params, job.net.params, *n * sizeof(float));
    train_free(&job);
    if (cfg->init_file[0] && !*params) {
        snprintf(err, len, "out of memory for the weights of %s", cfg->init_file);
        return -1;
    }
    return 0;
}

int train_check(const config *cfg, const dataset *train, int nclasses, char *err, size_t len)
{
    if (!cfg->init_file[0])
        return 0;
    float *params;
    size_t n;
    char shape[256];
    int rc = train_read_init(cfg, train, nclasses, &params, &n, shape, sizeof shape, err, len);
    free(params);
    return rc;
}

int train_check_noise(const config *base, const config *cfg, int train_rows, char *err, size_t len)
{
    long long big = cfg->noise_big_batch;
    int B = train_batch_rows(cfg, train_rows);
    /* B_simple compares a batch's gradient with the big batch's: it needs two batches in the big one */
    if (big == 0 || (big >= 2LL * B && big <= train_rows))
        return 0;
    char origin[CONFIG_PATH + 64];
    config_sweep_origin(base, config_find("train.noise_big_batch"), origin, sizeof origin);
    if (2LL * B > train_rows)
        snprintf(err, len, "%s: %lld rows: a batch of %d of %d training rows leaves no room for two batches "
                 "(allowed: 0, which measures nothing here either)", origin, big, B, train_rows);
    else
        snprintf(err, len, "%s: %lld rows %s (allowed: 0 = the whole training set, or %lld to %d: from two batches' "
                 "rows to the training rows)", origin, big, big < 2LL * B ? "is fewer than two batches"
                 : "is more than the training set", 2LL * B, train_rows);
    return -1;
}

void train_free(train_job *job)
{
    mlp_free(&job->net);
    free(job->opt_m);
    free(job->opt_v);
    free(job->last_good);
    free(job->best_params);
    free(job->order);
    free(job->curve);
    free(job->confusion);
    noise_free(&job->noise);
    memset(job, 0, sizeof *job);
}

int train_has_validation(const train_job *job) { return job->val && job->val->rows > 0; }

const float *train_weights(const train_job *job)
{
    if (job->best_params)
        return job->best_params;
    return job->status == TRAIN_DIVERGED ? job->last_good : job->net.params;
}

void train_evaluate(train_job *job, const dataset *d, double *loss, double *acc)
{
    mlp *net = &job->net;
    int timed = timing_profiling();
    double sum = 0, t0 = timed ? timing_now() : 0;
    long correct = 0;
    for (int s = 0; s < d->rows; s += net->max_rows) {
        int n = d->rows - s < net->max_rows ? d->rows - s : net->max_rows;
        mlp_evaluate(net, d->x + (size_t)s * d->cols, d->y + s, n);
        for (int i = 0; i < n; i++) {
            sum += net->loss[i];
            correct += net->correct[i];
        }
    }
    *loss = sum / d->rows;
    *acc = (double)correct / d->rows;
    if (timed)
        timing_add(TIMING_EVAL, timing_now() - t0);
}

double train_schedule_lr(const config *c, long long e)
{
    double lr = c->learning_rate;
    long long W = c->warmup_epochs;
    if (e < W)
        return lr * (double)(e + 1) / (double)W;
    long long ep = e - W, Ep = c->epochs - W;
    if (c->schedule == SCHEDULE_STEP)
        return lr * pow(c->step_factor, (double)(ep / c->step_every));
    if (c->schedule == SCHEDULE_COSINE)
        return c->min_learning_rate + (lr - c->min_learning_rate) * (1 + cos(M_PI * (double)ep / (double)Ep)) / 2;
    return lr;
}

/* The optimizer step t (1-based: Adam's bias corrections) at learning rate lr. */
static mlp_update update_for(const train_job *job, long long t, double lr)
{
    const config *c = &job->cfg;
    mlp_update u = {.kind = c->optimizer == OPT_SGD ? MLP_SGD : c->optimizer == OPT_MOMENTUM ? MLP_MOMENTUM : MLP_ADAM,
                    .lr = (float)lr, .weight_decay = (float)c->weight_decay, .momentum = (float)c->momentum, .beta1 = (float)c->adam_beta1,
                    .beta2 = (float)c->adam_beta2, .eps = (float)c->adam_eps, .m = job->opt_m, .v = job->opt_v};
    if (u.kind == MLP_ADAM) {
        u.c1 = (float)(1.0 - pow(c->adam_beta1, (double)t));
        u.c2 = (float)(1.0 - pow(c->adam_beta2, (double)t));
    }
    return u;
}

/* The class the model predicts for row r of its last forward pass, as mlp_loss counts it correct: logit > 0 for
 * one unit, else the first largest logit. */
static int predicted(const mlp *net, int r)
{
    int U = net->size[net->nlayers], best = 0;
    const float *z = net->a[net->nlayers] + (size_t)r * U;
    if (U == 1)
        return z[0] > 0;
    for (int k = 1; k < U; k++)
        best = z[k] > z[best] ? k : best;
    return best;
}

/* The test set's confusion matrix of the kept weights (train_weights: last_good's for a diverged run, the best
 * evaluation's with early stopping), put back in place. */
static void count_confusion(train_job *job)
{
    mlp *net = &job->net;
    const dataset *d = job->test;
    int K = job->nclasses;
    if (!job->confusion)
        return;
    const float *kept = train_weights(job);
    if (kept != net->params)
        memcpy(net->params, kept, net->nparams * sizeof(float));
    memset(job->confusion, 0, (size_t)K * K * sizeof(int));
    for (int s = 0; s < d->rows; s += net->max_rows) {
        int n = d->rows - s < net->max_rows ? d->rows - s : net->max_rows;
        mlp_forward(net, d->x + (size_t)s * d->cols, n);
        for (int i = 0; i < n; i++)
            job->confusion[(size_t)d->y[s + i] * K + predicted(net, i)]++;
    }
}

/* train.noise_scale: B_simple of the current weights on the big batch (train.noise_big_batch rows, or the whole
 * training set) cut into training-sized batches; NAN when off. Changes no weight (noise_measure). */
static double measure_noise(train_job *job)
{
    const dataset *tr = job->train;
    if (!job->cfg.noise_scale)
        return NAN;
    long long big = job->cfg.noise_big_batch;
    int rows = big > 0 && big < tr->rows ? (int)big : tr->rows;
    return noise_measure(&job->noise, &job->net, tr->x, tr->y, rows, train_batch_rows(&job->cfg, tr->rows));
}

/* ---- train.target_accuracy ------------------------------------------------------------------------------- */

/* Records the target as reached now (the first time only): after job->steps steps, seconds of training. */
static void target_reached(train_job *job, double seconds)
{
    if (job->steps_to_target >= 0)
        return;
    job->steps_to_target = job->steps;
    job->examples_to_target = job->examples;
    job->epochs_to_target = (double)job->examples / job->train->rows;
    job->seconds_to_target = seconds;
}

/* At the evaluation of epoch (curve row filled): checks the target on its validation accuracy (test without a
 * validation set). 1 when the run is to stop there (train.stop_at_target). */
static int target_at_evaluation(train_job *job, int epoch)
{
    const train_epoch *e = &job->curve[epoch];
    double target = job->cfg.target_accuracy;
    if (target <= 0)
        return 0;
    if ((train_has_validation(job) ? e->val_acc : e->test_acc) >= target)
        target_reached(job, job->train_seconds);
    return job->cfg.stop_at_target && job->steps_to_target >= 0;
}

/* 1 when the target is to be checked after job->steps steps: every train.eval_every_steps steps, until reached. */
static int target_due(const train_job *job)
{
    long long every = job->cfg.eval_every_steps;
    return job->cfg.target_accuracy > 0 && every > 0 && job->steps % every == 0 && job->steps_to_target < 0;
}

/* Inside an epoch begun at t0 (less the seconds it trained before a stop, for a resumed one) after job->steps
 * steps: when the target is due, checks it on the validation set (the test set without one). */
static void target_between(train_job *job, double t0)
{
    if (!target_due(job))
        return;
    double seconds = job->train_seconds + timing_now() - t0, loss, acc;
    train_evaluate(job, train_has_validation(job) ? job->val : job->test, &loss, &acc);
    if (acc >= job->cfg.target_accuracy)
        target_reached(job, seconds);
}

double train_b_simple_median(const train_job *job)
{
    double *v = malloc(((size_t)job->epochs_done + 1) * sizeof *v), m = NAN;
    int n = 0;
    for (int e = 0; v && e <= job->epochs_done; e++)
        if (job->curve[e].evaluated && isfinite(job->curve[e].b_simple))
            v[n++] = job->curve[e].b_simple;
    if (v)
        m = stats_median(v, n);
    free(v);
    return m;
}

/* Evaluates the weights after epoch on every set into its curve row; 1 when every number is finite. */
static int record(train_job *job, int epoch)
{
    train_epoch *e = &job->curve[epoch];
    train_evaluate(job, job->train, &e->train_loss, &e->train_acc);
    train_evaluate(job, job->test, &e->test_loss, &e->test_acc);
    e->val_loss = e->val_acc = NAN;
    if (train_has_validation(job))
        train_evaluate(job, job->val, &e->val_loss, &e->val_acc);
    e->evaluated = 1;
    e->b_simple = measure_noise(job);
    return isfinite(e->train_loss) && isfinite(e->test_loss) && (!train_has_validation(job) || isfinite(e->val_loss)) &&
           mlp_params_finite(&job->net);
}

/* After the finite evaluation of epoch: with early stopping, keeps its weights when its validation loss is the
 * lowest yet (as final_epoch); 1 when train.early_stopping evaluations in a row have brought no lower one. */
static int keep_evaluation(train_job *job, int epoch)
{
    job->final_epoch = epoch;
    if (!job->best_params)
        return 0;
    if (job->best_eval >= 0 && !(job->curve[epoch].val_loss < job->curve[job->best_eval].val_loss)) {
        job->final_epoch = job->best_eval;
        return ++job->since_best >= job->cfg.early_stopping;
    }
    job->best_eval = epoch;
    job->since_best = 0;
    memcpy(job->best_params, job->net.params, job->net.nparams * sizeof(float));
    return 0;
}

/* best_epoch: the highest validation accuracy of the evaluated epochs up to epochs_done (test accuracy without a
 * validation set), earliest on ties. */
static void choose_best(train_job *job)
{
    int val = train_has_validation(job);
    job->best_epoch = 0;
    for (int e = 1; e <= job->epochs_done; e++) {
        const train_epoch *c = &job->curve[e], *b = &job->curve[job->best_epoch];
        if (c->evaluated && (val ? c->val_acc > b->val_acc : c->test_acc > b->test_acc))
            job->best_epoch = e;
    }
}

int train_curve_epoch(const config *cfg, long long epoch)
{
    return epoch % cfg->eval_every == 0 || epoch == cfg->epochs || cfg->target_accuracy > 0;
}

/* Evaluates the initial weights (epoch 0) and keeps them; 0 when they already overflow: nothing to train from,
 * and no finite row for the curve (the run is diverged at epoch 0). */
static int start(train_job *job)
{
    const mlp *net = &job->net;
    job->status = TRAIN_OK;
    job->best_eval = -1;
    job->steps_to_target = job->examples_to_target = -1;
    job->epochs_to_target = job->seconds_to_target = NAN;
    int finite = record(job, 0);
    memcpy(job->last_good, net->params, net->nparams * sizeof(float));
    if (finite) {
        keep_evaluation(job, 0);
        return !target_at_evaluation(job, 0);
    }
    job->curve[0].evaluated = 0;
    job->status = TRAIN_DIVERGED;
    job->diverged_epoch = 0;
    if (job->best_params)
        memcpy(job->best_params, net->params, net->nparams * sizeof(float));
    return 0;
}

/* A fresh run: the shuffle stream, the sample order in file order, and epoch 0 (start). 0 as start. */
static int begin(train_job *job)
{
    rng_init(&job->shuffle, (uint64_t)job->seed, RNG_STREAM_SHUFFLE);
    for (int i = 0; i < job->train->rows; i++)
        job->order[i] = i;
    job->at_epoch = 1;
    if (!start(job))
        return 0;
    job->curve[0].lr = train_schedule_lr(&job->cfg, 0);
    return 1;
}

void train_checkpoint(train_job *job, int epoch, int rows, int forced)
{
    mlp_steps_end(&job->net); /* a checkpoint holds params, opt_m and opt_v; a stop may come mid-epoch */
    if (!job->checkpoint || (!forced && timing_now() - job->checkpoint_clock < job->cfg.checkpoint_every))
        return;
    job->at_epoch = epoch;
    job->at_rows = rows;
    job->checkpoint(job, job->checkpoint_ctx);
    job->checkpoint_clock = timing_now();
}

int train_state(train_job *job, train_part *parts)
{
    size_t np = job->net.nparams * sizeof(float);
    train_part all[] = {
        {&job->steps, sizeof job->steps}, {&job->examples, sizeof job->examples},
        {&job->shuffle, sizeof job->shuffle},
        {&job->epochs_done, sizeof job->epochs_done}, {&job->final_epoch, sizeof job->final_epoch},
        {&job->best_eval, sizeof job->best_eval}, {&job->since_best, sizeof job->since_best},
        {&job->train_seconds, sizeof job->train_seconds},
        {&job->steps_to_target, sizeof job->steps_to_target},
        {&job->examples_to_target, sizeof job->examples_to_target},
        {&job->epochs_to_target, sizeof job->epochs_to_target},
        {&job->seconds_to_target, sizeof job->seconds_to_target},
        {job->order, (size_t)job->train->rows * sizeof *job->order}, {job->net.params, np},
        {job->opt_m, job->opt_m ? np : 0}, {job->opt_v, job->opt_v ? np : 0}, {job->last_good, np},
        {job->best_params, job->best_params ? np : 0},
        {job->curve, ((size_t)job->at_epoch + 1) * sizeof *job->curve}};
    int n = (int)(sizeof all / sizeof all[0]);
    _Static_assert(sizeof all / sizeof all[0] <= TRAIN_STATE_PARTS, "TRAIN_STATE_PARTS too small");
    memcpy(parts, all, sizeof all);
    return n;
}

int train_state_check(const train_job *job)
{
    int rows = job->train->rows, at = job->at_epoch;
    if (at < 1 || at > job->cfg.epochs || job->at_rows < 0 || job->at_rows > rows || job->steps < 0 ||
        job->examples < 0 || job->steps_to_target < -1 || job->steps_to_target > job->steps ||
        job->examples_to_target < -1 || job->examples_to_target > job->examples ||
        job->epochs_done < 0 || job->epochs_done >= at || job->final_epoch < 0 ||
        job->final_epoch > job->epochs_done || job->best_eval < -1 || job->best_eval > job->epochs_done ||
        job->since_best < 0)
        return -1;
    for (int i = 0; i < rows; i++)
        if (job->order[i] < 0 || job->order[i] >= rows)
            return -1;
    return 0;
}

int train_begin(train_job *job)
{
    job->checkpoint_clock = timing_now();
    if (!job->at_epoch && !begin(job)) {
        choose_best(job);
        count_confusion(job);
        return 0;
    }
    atomic_store_explicit(&job->progress_epoch, job->at_epoch - 1, memory_order_release);
    atomic_store_explicit(&job->progress_eval, job->epochs_done, memory_order_release);
    return 1;
}

int train_same_order(const train_job *job, const train_job *twin)
{
    return job->cfg.shuffle && twin->cfg.shuffle && !job->at_rows && !twin->at_rows &&
           job->train->rows == twin->train->rows && memcmp(&job->shuffle, &twin->shuffle, sizeof job->shuffle) == 0 &&
           memcmp(job->order, twin->order, (size_t)job->train->rows * sizeof *job->order) == 0;
}

double train_epoch_begin_as(train_job *job, int epoch, const train_job *twin)
{
    double lr = train_schedule_lr(&job->cfg, epoch - 1);
    job->curve[epoch].lr = lr;
    mlp_steps_begin(&job->net); /* until the epoch's end or a checkpoint */
    if (twin) {
        job->shuffle = twin->shuffle;
        memcpy(job->order, twin->order, (size_t)job->train->rows * sizeof *job->order);
    } else if (job->cfg.shuffle && !job->at_rows)
        rng_shuffle(&job->shuffle, job->order, job->train->rows);
    return lr;
}

double train_epoch_begin(train_job *job, int epoch) { return train_epoch_begin_as(job, epoch, NULL); }

float train_step_scale(const train_job *job, int n) { return job->cfg.loss == LOSS_MEAN ? 1.0f / (float)n : 1.0f; }

/* After a step of n rows: 1, or 0 when its loss is not finite (the run ends; the weights it updated are dropped:
 * last_good is kept). */
static int step_done(train_job *job, int n)
{
    double batch_loss = 0;
    for (int i = 0; i < n; i++)
        batch_loss += job->net.loss[i];
    if (!isfinite(batch_loss))
        return 0;
    job->examples += n;
    return 1;
}

int train_step(train_job *job, const float *x, const int *y, int n, double lr)
{
    mlp_update u = update_for(job, ++job->steps, lr);
    mlp_train_step(&job->net, x, y, n, train_step_scale(job, n), &u);
    return step_done(job, n);
}

int train_epoch_end(train_job *job, int epoch, int finite)
{
    mlp *net = &job->net;
    mlp_steps_end(net); /* params, opt_m and opt_v are read below */
    job->at_rows = 0;
    job->curve[epoch].epoch = epoch;
    int eval = train_curve_epoch(&job->cfg, epoch);
    if (!finite || !(eval ? record(job, epoch) : mlp_params_finite(net))) {
        /* the curve row of a non-finite evaluation is dropped: curve.dat holds finite numbers only */
        job->curve[epoch].evaluated = 0;
        job->status = TRAIN_DIVERGED;
        job->diverged_epoch = epoch;
        return 0;
    }
    atomic_store_explicit(&job->progress_epoch, epoch, memory_order_release);
    if (!eval)
        return 1;
    for (int e = job->epochs_done + 1; e <= epoch; e++)
        job->train_seconds += job->curve[e].seconds;
    job->epochs_done = epoch;
    memcpy(job->last_good, net->params, net->nparams * sizeof(float));
    atomic_store_explicit(&job->progress_eval, epoch, memory_order_release);
    int stop = keep_evaluation(job, epoch);
    stop |= target_at_evaluation(job, epoch);
    /* finite but exploding: the epoch stays in the curve, and the run ends there */
    double factor = job->cfg.diverge_factor;
    if (factor > 0 && job->curve[epoch].train_loss > factor * job->curve[0].train_loss) {
        job->status = TRAIN_DIVERGED;
        job->diverged_epoch = epoch;
        return 0;
    }
    return !stop && epoch < job->cfg.epochs;
}

void train_finish(train_job *job)
{
    choose_best(job);
    count_confusion(job);
    job->samples_per_second =
        job->train_seconds > 0 ? (double)job->train->rows * job->epochs_done / job->train_seconds : 0;
}

/* A run of train_execute's steps of n rows each at the rate lr; finite: 0 once a step's loss was not. */
typedef struct steps_run {
    train_job *job;
    double lr;
    int n, finite;
} steps_run;

/* mlp_train_rows_run's after: the step's loss checked, then the next step's update, unless the run of steps
 * ends here: a loss not finite, the target to check (train_evaluate's threads are not to run inside the steps'
 * team) or a stop asked. train_execute then does what the step asks, as after a step taken alone. */
static int after_step(void *ctx, mlp_update *next)
{
    steps_run *run = ctx;
    train_job *job = run->job;
    if (!(run->finite = step_done(job, run->n)) || !next || target_due(job) ||
        train_stop_asked(job->stop, job->halt))
        return 0;
    *next = update_for(job, ++job->steps, run->lr);
    return 1;
}

void train_execute(train_job *job)
{
    omp_set_num_threads(job->threads);
    placement_pin(job->threads);
    const dataset *tr = job->train;
    int B = train_batch_rows(&job->cfg, tr->rows);
    if (!train_begin(job))
        return;
    for (int epoch = job->at_epoch; epoch <= job->cfg.epochs; epoch++) {
        train_checkpoint(job, epoch, job->at_rows, 0); /* where it is: a resumed epoch may begin mid-way */
        double t0 = timing_now(), lr = train_epoch_begin(job, epoch);
        int finite = 1;
        for (int s = job->at_rows; s < tr->rows && finite;) {
            /* the full batches from s in one run of steps (a team's, where they take one), a last short one alone */
            int n = tr->rows - s < B ? tr->rows - s : B;
            steps_run run = {job, lr, n, 1};
            mlp_update u = update_for(job, ++job->steps, lr);
            s += n * mlp_train_rows_run(&job->net, tr->x, tr->y, job->order + s, n, (tr->rows - s) / n,
                                        train_step_scale(job, n), &u, after_step, &run);
            if (!(finite = run.finite))
                break;
            target_between(job, t0 - job->curve[epoch].seconds);
            if (train_stop_asked(job->stop, job->halt)) {
                job->curve[epoch].seconds += timing_now() - t0;
                train_checkpoint(job, epoch, s, 1);
                job->status = TRAIN_INTERRUPTED;
                return;
            }
        }
        mlp_steps_end(&job->net); /* inside the epoch's time: the layout's transposes are training's cost */
        job->curve[epoch].seconds += timing_now() - t0; /* a resumed epoch holds the seconds before the stop */
        if (!train_epoch_end(job, epoch, finite))
            break;
    }
    train_finish(job);
}
