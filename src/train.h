/* One training run: epochs of mini-batch backpropagation with SGD, momentum or Adam; evaluation of the whole
 * train and test sets before training, after every train.eval_every-th epoch and after the last (the curve's
 * rows); and divergence detection: a non-finite loss (looked for after every batch) or weight (after every
 * epoch) ends the run with status diverged at that epoch (the curve and the weights kept are those of the last
 * evaluated epoch before it), and so does a train loss above train.diverge_factor times the initial one at an
 * evaluated epoch (that epoch is kept). Evaluation reads the weights and changes nothing, so the weights do not
 * depend on train.eval_every. With a validation set (data.validation_fraction > 0) it is evaluated too, best_epoch
 * is chosen on it, and train.early_stopping = P stops the run after P evaluations without a lower validation loss:
 * the run keeps the weights and numbers of the evaluation with the lowest one (final_epoch). With
 * train.target_accuracy every epoch is evaluated and the target checked there (and every train.eval_every_steps
 * steps on the validation set): the first check that reaches it gives the *_to_target numbers, and
 * train.stop_at_target ends the run (status ok) at the evaluation that follows it. train.noise_scale measures
 * B_simple (noise.h) at every evaluation. train_prepare runs on the main thread (it may read an HDF5 checkpoint);
 * train_execute only computes, so several may run side by side in worker threads. A job whose state an in-run
 * checkpoint filled (train_state, at_epoch > 0) goes on from there and ends bitwise as if never stopped. */
#ifndef TRAIN_H
#define TRAIN_H
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include "config.h"
#include "dataset.h"
#include "mlp.h"
#include "noise.h"

typedef enum { TRAIN_OK, TRAIN_DIVERGED, TRAIN_INTERRUPTED } train_status;

typedef struct train_epoch {
    int epoch;                                   /* 0 = before training */
    double train_loss, test_loss;                /* mean per-sample loss, whatever train.loss says */
    double train_acc, test_acc;                  /* fractions 0..1 */
    double seconds;                              /* training time of this epoch, evaluation excluded */
    int evaluated;                               /* the numbers are filled: a row of curve.dat */
    double val_loss, val_acc;                    /* as the test ones, on the validation set; NAN without one */
    double lr;                                   /* learning rate this epoch trained at; epoch 0: the first's */
    double b_simple;                             /* gradient noise scale at this evaluation; NAN when not measured */
} train_epoch;

typedef struct train_job {
    /* inputs */
    config cfg;                                  /* the run's resolved config (no sweep) */
    long long seed;
    const dataset *train, *test;
    const dataset *val;                          /* validation set; NULL or no rows: none */
    int nclasses;
    int threads;                                 /* OpenMP threads for this run, >= 1 */
    volatile sig_atomic_t *stop;                 /* set from a signal handler: end the run as interrupted */
    _Atomic int *halt;                           /* set by the trainer when a run could not be written: the same
                                                    (NULL: none) */
    /* in-run checkpoints (runckpt.h): the worker calls checkpoint (NULL: none) with at_epoch and at_rows set, at
     * the start of an epoch once cfg.checkpoint_every seconds have passed since the last call, and when stop
     * interrupts the run */
    void (*checkpoint)(struct train_job *job, void *ctx);
    void *checkpoint_ctx;
    /* state */
    mlp net;
    float *opt_m, *opt_v;                        /* (nparams) optimizer state, NULL when unused */
    float *last_good;                            /* (nparams) weights at the last finite epoch */
    float *best_params;                          /* (nparams) with early stopping: weights at final_epoch */
    int *order;                                  /* (train rows) this epoch's sample order */
    noise noise;                                 /* train.noise_scale's scratch; empty without it */
    long long steps, examples;                   /* optimizer steps (Adam's bias corrections count them) and
                                                    training rows seen so far */
    int best_eval, since_best;                   /* early stopping: lowest validation loss so far (-1: none),
                                                    and the evaluations since it */
    rng shuffle;                                 /* the stream of the sample orders */
    int at_epoch, at_rows;                       /* where training goes on: epoch at_epoch (0: a fresh run) after
                                                    at_rows of its training rows (0: before its shuffle) */
    double checkpoint_clock;                     /* timing_now() of the last checkpoint or of the start */
    /* results */
    train_status status;
    int epochs_done;                             /* the last evaluated epoch with finite numbers and weights */
    int diverged_epoch;                          /* 0 when the run did not diverge */
    int final_epoch;                             /* the evaluation whose numbers and weights the run keeps:
                                                    epochs_done, or with early stopping the lowest val_loss */
    train_epoch *curve;                          /* (epochs + 1), indexed by epoch; evaluated ones 0..epochs_done */
    int *confusion;                              /* (nclasses, nclasses) test rows by true class (row) and predicted
                                                    class (column), of the kept weights (train_weights); NULL
                                                    above TRAIN_CONFUSION_MAX classes */
    int best_epoch;                              /* highest validation accuracy of the evaluated (test accuracy
                                                    without a validation set), earliest on ties */
    double train_seconds, samples_per_second;    /* over epochs 1..epochs_done */
    /* train.target_accuracy: the first check that reached it (-1 and NANs when none did): steps and training
     * rows up to it, those rows in epochs, and the training time (evaluations excluded) */
    long long steps_to_target, examples_to_target;
    double epochs_to_target, seconds_to_target;
    /* for the progress display on another thread: the worker stores with memory_order_release after the epoch
     * (and its curve row) is written, readers load with memory_order_acquire */
    _Atomic int progress_epoch;                  /* last finished epoch */
    _Atomic int progress_eval;                   /* last evaluated epoch: its curve row is complete */
} train_job;

/* 1 when stop or halt (train_job's; either may be NULL) asks the run to end as interrupted. */
static inline int train_stop_asked(volatile sig_atomic_t *stop, _Atomic int *halt)
{
    return (stop && *stop) || (halt && atomic_load_explicit(halt, memory_order_acquire));
}

/* Allocates everything for cfg and seed and draws (or, with model.init_file, loads) the initial weights.
 * Returns 0, or -1 with "what is wrong" in err (memory, a checkpoint that does not fit). Main thread only. */
int train_prepare(train_job *job, const config *cfg, long long seed, const dataset *train, const dataset *val,
                  const dataset *test, int nclasses, int threads, char *err, size_t len);
/* train_prepare starting from init (nparams, the weights of cfg's model.init_file as train_read_init read them)
 * instead of reading model.init_file again; init NULL: as train_prepare. */
int train_prepare_init(train_job *job, const config *cfg, long long seed, const dataset *train, const dataset *val,
                       const dataset *test, int nclasses, int threads, const float *init, char *err, size_t len);
/* The layer sizes of cfg's model ("64-128-10", into shape) and, with a model.init_file, its weights checked
 * against that model (*params: n floats to free; NULL without one). 0, or -1 with the reason in err. */
int train_read_init(const config *cfg, const dataset *train, int nclasses, float **params, size_t *n, char *shape,
                    size_t shape_len, char *err, size_t len);
/* Checks before anything is written that the run's model can start: a model.init_file must fit its shapes.
 * 0, or -1 with the reason in err. Main thread only. */
int train_check(const config *cfg, const dataset *train, int nclasses, char *err, size_t len);
/* Checks that train.noise_big_batch fits the run: 0 (the whole training set) or from the batch's rows to the
 * training rows. 0, or -1 with "file:line: train.noise_big_batch: what is wrong (allowed)" in err. */
int train_check_noise(const config *base, const config *cfg, int train_rows, char *err, size_t len);
/* Rows of one training step: train.batch_size, or all train_rows when it is 0 or larger. */
int train_batch_rows(const config *cfg, int train_rows);
/* Evaluation forwards TRAIN_EVAL_ROWS rows at a time, or a whole batch when batches are larger: the rows the model
 * is allocated for with batch rows per step. cost_run predicts a run's memory from these two. */
enum { TRAIN_EVAL_ROWS = 256 };
/* 1 when epoch gets a row in a run's curve (unless the run stopped before it): 0, every train.eval_every-th, the
 * last (train.epochs); every one with a train.target_accuracy. */
int train_curve_epoch(const config *cfg, long long epoch);
/* Runs with more classes record no confusion matrix (its size grows as the square). */
enum { TRAIN_CONFUSION_MAX = 256 };
int train_model_rows(int batch);
/* The learning rate of epoch e (0-based): train.warmup_epochs, then train.schedule (README has the formulas). */
double train_schedule_lr(const config *c, long long e);
/* Trains; fills the results. Touches no HDF5, safe in a worker thread. train_execute is the pieces below in a
 * row, which fused.h drives in lockstep for several runs. */
void train_execute(train_job *job);
/* Sets up a fresh run (its shuffle stream and epoch 0's evaluation) or one going on from a checkpoint: 1 to train
 * epoch at_epoch next; 0 when the run ended at epoch 0 (its results are filled). */
int train_begin(train_job *job);
/* Epoch epoch's learning rate, recorded in its curve row, and its sample order (shuffled unless train.shuffle = 0
 * or the epoch goes on after at_rows rows). */
double train_epoch_begin(train_job *job, int epoch);
/* 1 when job's sample order for the coming epoch is twin's: both shuffle from the epoch's start, and their shuffle
 * streams and orders are the same now (the same draws then give the same order). */
int train_same_order(const train_job *job, const train_job *twin);
/* train_epoch_begin with the order that twin has just drawn for the same epoch (train_same_order held before it
 * did) copied, with its stream, instead of drawn again. twin NULL: train_epoch_begin. */
double train_epoch_begin_as(train_job *job, int epoch, const train_job *twin);
/* The loss scale of a step of n rows: 1/n for train.loss = mean, else 1. */
float train_step_scale(const train_job *job, int n);
/* One optimizer step at lr on the gathered batch x (n, inputs), labels y (n), on the calling thread's OpenMP
 * threads: the bits are those of train_execute's step on the same rows. 1, or 0 when its loss is not finite
 * (the epoch ends there and the run diverges at train_epoch_end). */
int train_step(train_job *job, const float *x, const int *y, int n, double lr);
/* After epoch's steps (finite: none had a non-finite loss) and its curve row's seconds: evaluation, divergence,
 * early stopping and the target. 1 to go on with the next epoch; 0 when the run ends (its last epoch, diverged,
 * early-stopped or at its target); train_finish follows. */
int train_epoch_end(train_job *job, int epoch, int finite);
/* Hands the run at (epoch, rows) to job->checkpoint (if any): always when forced (a stop), else at the start of an
 * epoch once train.checkpoint_every seconds have passed since the last checkpoint (or the start). */
void train_checkpoint(train_job *job, int epoch, int rows, int forced);
/* After the last epoch: best_epoch, the confusion matrix of the kept weights and samples_per_second. */
void train_finish(train_job *job);
/* The state train_execute goes on from, for in-run checkpoints: byte ranges of the job at its position (at_epoch,
 * at_rows): the counters (steps, examples, early stopping's), the target's numbers (whether and where it was
 * reached), the shuffle stream, the sample order, the weights, the optimizer's state, the kept weights and the
 * curve up to at_epoch (with its b_simple values). Fills parts (at most TRAIN_STATE_PARTS) and returns their number. */
enum { TRAIN_STATE_PARTS = 24 };
typedef struct train_part { void *data; size_t size; } train_part;
int train_state(train_job *job, train_part *parts);
/* After train_state's ranges were filled from a checkpoint: 0 when they make a state train_execute can go on from
 * (every epoch and sample index in range), else -1. */
int train_state_check(const train_job *job);
/* 1 when the job has a validation set. */
int train_has_validation(const train_job *job);
/* The weights to keep: those of final_epoch (the final ones, the last finite ones for a diverged run, the best
 * ones with early stopping). */
const float *train_weights(const train_job *job);
/* The median of the curve's finite b_simple values up to epochs_done; NAN when there are none. */
double train_b_simple_median(const train_job *job);
/* Mean per-sample loss and accuracy of the current weights on a dataset. */
void train_evaluate(train_job *job, const dataset *d, double *loss, double *acc);
void train_free(train_job *job);

#endif
