/* A multi-layer perceptron in float32: all parameters in one contiguous buffer, gradients in a second buffer of
 * the same layout (layer k: weight (OUT, IN) row-major, then bias (OUT)), forward and backward kernels as pairs,
 * OpenMP over batch rows or output units so every value is computed by one thread in a fixed order. */
#ifndef MLP_H
#define MLP_H
#include <stddef.h>
#include "rng.h"

enum { MLP_MAX_LAYERS = 17 }; /* hidden layers + the output layer */

typedef enum { MLP_SIGMOID, MLP_TANH, MLP_RELU } mlp_activation;
typedef enum { MLP_OUT_SOFTMAX, MLP_OUT_SIGMOID } mlp_output;
typedef enum { MLP_INIT_NORMAL, MLP_INIT_XAVIER, MLP_INIT_HE } mlp_init_kind;

typedef struct mlp {
    int nlayers;                     /* weight layers: hidden layers + 1 */
    int size[MLP_MAX_LAYERS + 1];    /* size[0] inputs ... size[nlayers] outputs */
    mlp_activation act;
    mlp_output out;
    int max_rows;                    /* workspace holds this many samples */
    size_t nparams;
    float *params, *grads;           /* (nparams) each */
    float *w[MLP_MAX_LAYERS], *b[MLP_MAX_LAYERS];   /* views into params */
    float *gw[MLP_MAX_LAYERS], *gb[MLP_MAX_LAYERS]; /* views into grads */
    float *a[MLP_MAX_LAYERS + 1];    /* a[0] unused; a[k] (max_rows, size[k]): pre-activations, a[nlayers] logits */
    float *h[MLP_MAX_LAYERS];        /* h[k] (max_rows, size[k]) activations of hidden layer k (k >= 1) */
    float *d[MLP_MAX_LAYERS + 1];    /* d[k] (max_rows, size[k]): dLoss/da[k] */
    double *loss;                    /* (max_rows) per-sample loss of the last mlp_loss call */
    unsigned char *correct;          /* (max_rows) 1 when the prediction of the last mlp_loss call was right */
    /* workspace of the chunked step (one hidden layer): partial logits per chunk (chunks, max_rows, outputs),
     * the output layer's weights and gradients by chunk ((outputs, chunk width) blocks), zero biases */
    float *part, *w2c, *g2c, *zero;
    /* mlp_train_rows' gathered batches: xthreads copies of (xrows, inputs), one per thread of a chunked or units
     * step (mlp_reserve), and the labels (xrows) */
    float *xt;
    int *yt, xthreads, xrows;
    /* the first layer kept transposed (mlp_steps_begin): t_allowed between mlp_steps_begin and mlp_steps_end;
     * t_live while w[0] and the first layer's weights in the optimizer state t_m, t_v hold their transposes */
    int t_allowed, t_live;
    float *t_m, *t_v;
} mlp;

typedef enum { MLP_SGD, MLP_MOMENTUM, MLP_ADAM } mlp_optimizer;

/* An optimizer step: p -= lr g (sgd); m = momentum m + g, p -= lr m (momentum); Adam with bias corrections
 * c1 = 1 - beta1^t, c2 = 1 - beta2^t, both in (0, 1] (the kernels' division by them needs it: mlp_div_by); each
 * with g = gradient + weight_decay p (every parameter, biases too). m, v (nparams): state, NULL where unused. */
typedef struct mlp_update {
    mlp_optimizer kind;
    float lr, momentum, beta1, beta2, eps, c1, c2, weight_decay;
    float *m, *v;
} mlp_update;

/* Output units for K classes: K, except one unit for a sigmoid output with two classes. */
int mlp_output_units(mlp_output out, int nclasses);
/* Allocates parameters and a workspace for max_rows samples; returns 0, or -1 when memory is short. */
int mlp_init(mlp *net, int nin, const int *hidden, int nhidden, int nout, mlp_activation act, mlp_output out,
             int max_rows);
void mlp_free(mlp *net);
/* Draws the parameters: normal = every parameter N(0, 1) as the article; xavier = weights U(+-sqrt(6/(in+out)))
 * and zero biases; he = weights N(0, 2/in) and zero biases. */
void mlp_randomize(mlp *net, mlp_init_kind kind, rng *r);
/* Forward pass of n <= max_rows samples x (n, size[0]); logits land in a[nlayers]. */
void mlp_forward(mlp *net, const float *x, int n);
/* After mlp_forward: per-sample loss and correctness into loss[] and correct[], and, when scale != 0, the
 * output gradient d[nlayers] = scale * dLoss/dlogits. Labels y (n) in 0..K-1. */
void mlp_loss(mlp *net, const int *y, int n, float scale);
/* mlp_forward then mlp_loss(net, y, n, 0): the same loss[] and correct[] bits; the logits in a[nlayers] are left
 * undefined (on one thread a narrow softmax output takes its loss from the transposed logits it computed). */
void mlp_evaluate(mlp *net, const float *x, const int *y, int n);
/* After mlp_loss with scale != 0: accumulates the parameter gradients of the n samples into grads. */
void mlp_backward(mlp *net, const float *x, int n);
void mlp_zero_grads(mlp *net);
/* One training step on n <= max_rows samples: gradients of the loss (scale as in mlp_loss), per-sample loss and
 * correctness as mlp_loss, and the update u of every parameter. grads is its workspace: where the update is folded
 * into the gradient's pass (one thread, and the units step below) only the bias gradients are left there. A model
 * with one hidden layer whose step is big enough (mlp_step_chunked) takes the chunked step: each thread owns
 * chunks of hidden units, with their rows of the first layer's weights, columns of the second's and activations,
 * from the forward pass to the update, so only the logits and their gradients cross cores; its logits are summed
 * chunk by chunk, so they may differ from mlp_forward's in the last bits. Another step on several threads shares
 * every hidden layer out by units (each thread its units' activations, weights and update). Either way the
 * results do not depend on the thread count. */
void mlp_train_step(mlp *net, const float *x, const int *y, int n, float scale, const mlp_update *u);
/* Between mlp_steps_begin and mlp_steps_end, a one-thread step whose first layer is small enough keeps that layer's
 * weights transposed ((size[1], size[0]) becomes (size[0], size[1]), in place in params, and likewise in the
 * optimizer state m and v of the step's update): its forward pass then reads them in place, where the usual layout
 * packs a transposed copy at every step, and its gradient and update work on them in that layout, the same bits.
 * Until mlp_steps_end, the first layer's weights in params, m and v are in that layout after a step; mlp_forward,
 * mlp_evaluate, mlp_backward, mlp_zero_grads and mlp_randomize put them back first (a later step transposes them
 * again), as does a step that takes another path. Whoever reads params, m or v directly calls mlp_steps_end first.
 * Both transposes go through grads (a step's workspace). m and v must outlive the layout. */
void mlp_steps_begin(mlp *net);
void mlp_steps_end(mlp *net);
/* Gathers the rows rows[0..n-1] of X (each size[0] floats) and their labels Y[rows[i]], then mlp_train_step. In a
 * chunked or units step every thread gathers its own copy from X, which nobody writes, rather than reading one
 * copy that another core has just written (where mlp_reserve made a copy for each; else one copy, read by all).
 * Needs mlp_reserve for batches of at least n rows. */
void mlp_train_rows(mlp *net, const float *X, const int *Y, const int *rows, int n, float scale, const mlp_update *u);
/* Up to `steps` steps of n rows each, step i over rows[i * n .. i * n + n - 1], as many calls of mlp_train_rows (the
 * same bits) with u. After each step the calling thread runs after(ctx, next), with next NULL after the last of
 * them, else pointing at u, which after sets for the next step when it returns non-zero; 0 ends the run there.
 * Returns the steps taken. Where those steps take a team of threads, the team persists from the first to the
 * last: its other threads wait while after runs (a parallel region that after started would run on its one
 * thread). */
int mlp_train_rows_run(mlp *net, const float *X, const int *Y, const int *rows, int n, int steps, float scale,
                       mlp_update *u, int (*after)(void *ctx, mlp_update *next), void *ctx);
/* Copies the rows rows[0..n-1] of X (cols floats each) into dst (n, cols): mlp_train_rows' gather. */
void mlp_gather_rows(float *dst, const float *X, const int *rows, int n, int cols);
/* Allocates mlp_train_rows' workspace for up to threads threads and batches of batch rows (at most max_rows): a
 * copy of the batch per thread where those batches take the chunked or the units step on threads threads, else
 * one. 0, or -1 when memory is short. */
int mlp_reserve(mlp *net, int threads, int batch);
/* Copies of a batch of batch rows that mlp_reserve keeps for a model of layer sizes size[0..nlayers] on threads
 * threads: one per thread where such a step is chunked or a units step, else 1 (the cost model counts them). */
int mlp_batch_copies(const int *size, int nlayers, int threads, int batch);
/* 1 when mlp_train_step takes the chunked step for n samples (decided by the shapes alone). */
int mlp_step_chunked(const mlp *net, int n);
/* The same for a model nin-hidden-nout with one hidden layer, before it exists. */
int mlp_chunked_shape(int nin, int hidden, int nout, int n);
/* Floats mlp_init allocates for the chunked step's workspace of such a model (part, w2c, g2c, zero). */
double mlp_chunked_floats(int hidden, int nout, int max_rows);
/* The update u of parameters lo..hi-1 (offsets into params, grads, m and v). */
void mlp_update_range(const mlp_update *u, float *params, const float *grads, size_t lo, size_t hi);
/* Its plain twin: one scalar loop; the same bits. */
void mlp_update_range_ref(const mlp_update *u, float *params, const float *grads, size_t lo, size_t hi);
/* 1 when every parameter is finite. */
int mlp_params_finite(const mlp *net);

/* Kernels and their plain twins (the tests compare them). */
/* in (B, IN), w (OUT, IN), b (OUT) -> out (B, OUT) = in w^T + b */
void mlp_linear_forward(float *out, const float *in, const float *w, const float *b, int B, int IN, int OUT);
void mlp_linear_forward_ref(float *out, const float *in, const float *w, const float *b, int B, int IN, int OUT);
/* dout (B, OUT), in (B, IN), w (OUT, IN): dw (OUT, IN) += dout^T in, db (OUT) += column sums of dout,
 * and din (B, IN) = dout w unless din is NULL. */
void mlp_linear_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w,
                         int B, int IN, int OUT);
void mlp_linear_backward_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, int B, int IN, int OUT);

#ifdef MLP_PHASES
/* Only in the bench's build of mlp.c (experiments/bench_phases.c): the units step's phases, as each of the first
 * MLP_PHASE_THREADS threads ended them in the last step: its work on a layer (kind, layer), or a wait at a barrier.
 * alone (set by the caller): thread 0 of a units step does its share while the other threads return at once and
 * no barrier waits; the values are then meaningless (the other shares are never computed), the times are those of
 * a share with nothing crossing between cores. */
enum { MLP_PHASE_MAX = 64, MLP_PHASE_THREADS = 2 };
typedef enum { MLP_PH_FORWARD, MLP_PH_OUTPUT, MLP_PH_INPUT, MLP_PH_WEIGHTS, MLP_PH_WAIT } mlp_phase_kind;
/* One thread's phases, on cache lines of its own: the log's writes must not cross between the cores they time. */
typedef struct mlp_phase_thread {
    _Alignas(64) int n;                /* phases recorded */
    mlp_phase_kind kind[MLP_PHASE_MAX];
    int layer[MLP_PHASE_MAX];          /* the weight layer (0 .. nlayers - 1) */
    double ns[MLP_PHASE_MAX];          /* each phase's nanoseconds */
} mlp_phase_thread;
typedef struct mlp_phase_log {
    _Alignas(64) int alone;
    mlp_phase_thread t[MLP_PHASE_THREADS];
} mlp_phase_log;
extern mlp_phase_log mlp_phases;
#endif

#endif
