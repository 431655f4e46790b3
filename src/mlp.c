/* The network: parameters and workspace, the forward pass, the loss, the backward pass and the training step,
 * on the kernels of mlp_kernels.c (the tiled layers, the optimizer update). The loss runs over blocks of rows;
 * each value is written by one thread, so the results are bitwise the same for any thread count. One parallel
 * region per pass, and one per training step, none at all below the serial threshold. A training step of a
 * model with one hidden layer that is big enough is instead the chunked step: threads own fixed chunks of hidden
 * units from the forward pass to the update, and the logits add the chunks' partial sums in chunk order. Other
 * steps on a team are units steps where every hidden layer has units for each thread (each thread owns a share
 * of them; the same bits as one thread); on one thread, and by each thread's rows in a units step, a narrow output
 * layer goes by rows (mlp_forward_narrow). */
#include "mlp_kernels.h"
#include "team.h"
#include <stdlib.h>

/* Hidden units per chunk of the chunked step: a multiple of every tile width, small enough that a 512-unit
 * layer shares out evenly among a few threads. Fixed, so the chunks (and the bits) do not depend on threads. */
enum { HCHUNK = 64 };

/* Parameters below which the update of the unchunked step stays on the calling thread: entering even a
 * one-thread parallel region costs libgomp a few microseconds, as much as a small model's whole update. */
enum { UPDATE_PARALLEL_MIN = 65536 };

static void *alloc_floats(size_t n, size_t elem)
{
    size_t bytes = n * elem;
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes ? bytes : 64);
    return p;
}

int mlp_output_units(mlp_output out, int nclasses)
{
    return (out == MLP_OUT_SIGMOID && nclasses == 2) ? 1 : nclasses;
}

int mlp_init(mlp *net, int nin, const int *hidden, int nhidden, int nout, mlp_activation act, mlp_output out,
             int max_rows)
{
    memset(net, 0, sizeof *net);
    if (nhidden < 0 || nhidden + 1 > MLP_MAX_LAYERS || max_rows < 1)
        return -1;
    net->nlayers = nhidden + 1;
    net->size[0] = nin;
    for (int k = 0; k < nhidden; k++)
        net->size[k + 1] = hidden[k];
    net->size[net->nlayers] = nout;
    net->act = act;
    net->out = out;
    net->max_rows = max_rows;

    size_t np = 0;
    for (int k = 0; k < net->nlayers; k++)
        np += (size_t)net->size[k + 1] * (size_t)net->size[k] + (size_t)net->size[k + 1];
    net->nparams = np;
    net->params = alloc_floats(np, sizeof(float));
    net->grads = alloc_floats(np, sizeof(float));
    net->loss = alloc_floats((size_t)max_rows, sizeof(double));
    net->correct = alloc_floats((size_t)max_rows, 1);
    int ok = net->params && net->grads && net->loss && net->correct;

    size_t off = 0;
    for (int k = 0; k < net->nlayers; k++) {
        size_t nw = (size_t)net->size[k + 1] * (size_t)net->size[k];
        net->w[k] = net->params + off;
        net->gw[k] = net->grads + off;
        off += nw;
        net->b[k] = net->params + off;
        net->gb[k] = net->grads + off;
        off += (size_t)net->size[k + 1];
    }
    for (int k = 1; k <= net->nlayers && ok; k++) {
        size_t n = (size_t)max_rows * (size_t)net->size[k];
        net->a[k] = alloc_floats(n, sizeof(float));
        net->d[k] = alloc_floats(n, sizeof(float));
        ok = net->a[k] && net->d[k];
        if (ok && k < net->nlayers)
            ok = (net->h[k] = alloc_floats(n, sizeof(float))) != NULL;
    }
    if (ok && net->nlayers == 2) {
        /* mlp_chunked_floats counts these */
        size_t H = (size_t)net->size[1], OUT = (size_t)nout, chunks = (H + HCHUNK - 1) / HCHUNK;
        net->part = alloc_floats(chunks * (size_t)max_rows * OUT, sizeof(float));
        net->w2c = alloc_floats(H * OUT, sizeof(float));
        net->g2c = alloc_floats(H * OUT, sizeof(float));
        net->zero = alloc_floats(OUT, sizeof(float));
        ok = net->part && net->w2c && net->g2c && net->zero;
    }
    if (!ok) {
        mlp_free(net);
        return -1;
    }
    return 0;
}

void mlp_free(mlp *net)
{
    free(net->params);
    free(net->grads);
    free(net->loss);
    free(net->correct);
    free(net->part);
    free(net->w2c);
    free(net->g2c);
    free(net->zero);
    free(net->xt);
    free(net->yt);
    for (int k = 0; k <= MLP_MAX_LAYERS; k++) {
        free(net->a[k]);
        free(net->d[k]);
        if (k < MLP_MAX_LAYERS)
            free(net->h[k]);
    }
    memset(net, 0, sizeof *net);
}

/* ---- the first layer kept transposed ---------------------------------------------------------------------- */

/* The first layer's weights in layer w0 (OUT, IN) <-> (IN, OUT) of each of params, t_m and t_v, through grads. */
static void transpose_first(mlp *net)
{
    size_t off = (size_t)(net->w[0] - net->params), nw = (size_t)net->size[0] * (size_t)net->size[1];
    float *all[3] = {net->params, net->t_m, net->t_v}, *tmp = net->gw[0];
    int rows = net->t_live ? net->size[0] : net->size[1], cols = net->t_live ? net->size[1] : net->size[0];
    for (int i = 0; i < 3; i++)
        if (all[i]) {
            mlp_transpose(tmp, all[i] + off, rows, cols);
            memcpy(all[i] + off, tmp, nw * sizeof *tmp);
        }
    net->t_live = !net->t_live;
}

/* The first layer in the usual layout. */
static void first_usual(mlp *net)
{
    if (net->t_live)
        transpose_first(net);
}

/* The first layer transposed, with u's optimizer state. */
static void first_transposed(mlp *net, const mlp_update *u)
{
    if (net->t_live && (net->t_m != u->m || net->t_v != u->v))
        transpose_first(net);
    if (!net->t_live) {
        net->t_m = u->m;
        net->t_v = u->v;
        transpose_first(net);
    }
}

void mlp_steps_begin(mlp *net) { net->t_allowed = 1; }

void mlp_steps_end(mlp *net)
{
    first_usual(net);
    net->t_allowed = 0;
}

void mlp_randomize(mlp *net, mlp_init_kind kind, rng *r)
{
    first_usual(net);
    for (int k = 0; k < net->nlayers; k++) {
        int in = net->size[k], out = net->size[k + 1];
        size_t nw = (size_t)in * (size_t)out;
        double xavier = sqrt(6.0 / (in + out)), he = sqrt(2.0 / in);
        for (size_t i = 0; i < nw; i++) {
            double v = kind == MLP_INIT_NORMAL ? rng_normal(r)
                     : kind == MLP_INIT_XAVIER ? (2.0 * rng_uniform(r) - 1.0) * xavier
                     : rng_normal(r) * he;
            net->w[k][i] = (float)v;
        }
        for (int o = 0; o < out; o++)
            net->b[k][o] = kind == MLP_INIT_NORMAL ? (float)rng_normal(r) : 0.0f;
    }
}

/* ---- network --------------------------------------------------------------------------------------------- */

/* Multiply-adds of a pass of n rows through layers of sizes size[0..nlayers]. */
static long sizes_work(const int *size, int nlayers, int n)
{
    long work = 0;
    for (int k = 0; k < nlayers; k++)
        work += (long)n * size[k] * size[k + 1];
    return work;
}

static long pass_work(const mlp *net, int n) { return sizes_work(net->size, net->nlayers, n); }

/* The layers of a forward pass, one after the other: inside a parallel region they meet at the barriers of
 * their work-sharing loops. */
static void forward_pass(mlp *net, const float *x, int n)
{
    for (int k = 0; k < net->nlayers; k++) {
        int hidden = k + 1 < net->nlayers;
        if (k == 0 && net->t_live) /* on one thread: a step's */
            mlp_forward_layer_t(net->a[1], hidden ? net->h[1] : NULL, net->act, x, net->w[0], net->b[0], n,
                                net->size[0], net->size[1]);
        else
            mlp_forward_layer(net->a[k + 1], hidden ? net->h[k + 1] : NULL, net->act, k == 0 ? x : net->h[k],
                              net->w[k], net->b[k], n, net->size[k], net->size[k + 1], 1);
    }
}

static int narrow_shape(const mlp *net);
static void hidden_serial(mlp *net, const float *x, int n);
static void narrow_rows(mlp *net, const int *y, int r0, int r1, float scale);

/* One parallel region for the whole pass; on one thread, a narrow output layer by mlp_forward_narrow. */
static void forward_any(mlp *net, const float *x, int n)
{
    int nt = pass_threads(pass_work(net, n));
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        forward_pass(net, x, n);
    } else if (narrow_shape(net)) {
        hidden_serial(net, x, n);
        narrow_rows(net, NULL, 0, n, 0);
    } else
        forward_pass(net, x, n);
}

void mlp_forward(mlp *net, const float *x, int n)
{
    first_usual(net);
    forward_any(net, x, n);
}

/* log(1 + exp(z)) without overflow */
static inline double softplus(double z) { return (z > 0 ? z : 0) + log1p(exp(-fabs(z))); }

enum { LOSS_ROWS = 16 }; /* rows per block of the loss: a vector of floats, one row per lane */
enum { NARROW_ROWS_MAX = 32 }; /* the widest tile of mlp_forward_narrow that narrow_rows takes */

/* Softmax cross-entropy of rows r0..r1-1 (at most LOSS_ROWS), vectorised across rows: one lane per row, the
 * classes in the outer loops, so there are no horizontal reductions. Log-sum-exp around the largest logit, so
 * every exp argument is <= 0; the prediction is the first largest logit. A NaN or +Inf logit makes the loss
 * NaN, as does a row of -Inf; a -Inf logit is a class of probability 0 (an infinite loss if it is the label).
 * Every sum over classes is in class order. The logits: rows of a[nlayers] (zt NULL), or the columns of zt
 * (classes, ld) from mlp_forward_narrow, whose lanes read whole vectors and whose padding columns are computed
 * and dropped; the gradient goes to d[nlayers] either way. */
static inline __attribute__((always_inline)) void softmax_block(mlp *net, const float *zt, int ld, const int *y,
                                                                int r0, int r1, float scale)
{
    int U = net->size[net->nlayers], nr = r1 - r0;
    const float *z = net->a[net->nlayers] + (size_t)r0 * U;
    float *dz = net->d[net->nlayers] + (size_t)r0 * U;
    float m[LOSS_ROWS], s[LOSS_ROWS], lse[LOSS_ROWS], g[LOSS_ROWS];
    int best[LOSS_ROWS], row[LOSS_ROWS], label[LOSS_ROWS];
    /* lanes past the last row repeat it (unmasked loads vectorise as gathers); their results are dropped */
    for (int i = 0; i < LOSS_ROWS; i++) {
        row[i] = (i < nr ? i : nr - 1) * U;
        label[i] = y[r0 + (i < nr ? i : nr - 1)];
    }
#define LOGIT(i, k) (zt ? zt[(k) * ld + (i)] : z[row[i] + (k)])
    #pragma omp simd
    for (int i = 0; i < LOSS_ROWS; i++) {
        m[i] = LOGIT(i, 0);
        best[i] = 0;
        s[i] = 0;
    }
    for (int k = 1; k < U; k++)
        #pragma omp simd
        for (int i = 0; i < LOSS_ROWS; i++) {
            float v = LOGIT(i, k);
            best[i] = v > m[i] ? k : best[i];
            m[i] = v > m[i] ? v : m[i];
        }
    for (int k = 0; k < U; k++)
        #pragma omp simd
        for (int i = 0; i < LOSS_ROWS; i++)
            s[i] += exp_nonpos(LOGIT(i, k) - m[i]);
    #pragma omp simd
    for (int i = 0; i < LOSS_ROWS; i++)
        lse[i] = log_ge1(s[i]); /* s in [1, U] */
    for (int i = 0; i < nr; i++) {
        net->loss[r0 + i] = (double)m[i] + (double)lse[i] - (double)LOGIT(i, label[i]);
        net->correct[r0 + i] = best[i] == label[i];
    }
    if (scale == 0)
        return;
    #pragma omp simd
    for (int i = 0; i < LOSS_ROWS; i++)
        s[i] = 1 / s[i];
    for (int k = 0; k < U; k++) {
        #pragma omp simd
        for (int i = 0; i < LOSS_ROWS; i++)
            g[i] = scale * (exp_nonpos(LOGIT(i, k) - m[i]) * s[i] - (float)(label[i] == k));
        for (int i = 0; i < nr; i++)
            dz[row[i] + k] = g[i];
    }
#undef LOGIT
}

static void softmax_rows(mlp *net, const int *y, int r0, int r1, float scale)
{
    softmax_block(net, NULL, 0, y, r0, r1, scale);
}

/* Rows r0..r1-1 of the output layer by mlp_forward_narrow, on the calling thread, and with y their softmax loss (a
 * step's, as mlp_loss); without y the logits land in a[nlayers] as mlp_forward leaves them. */
static void narrow_rows(mlp *net, const int *y, int r0, int r1, float scale)
{
    int L = net->nlayers - 1, IN = net->size[L], U = net->size[L + 1], ld = mlp_narrow_rows();
    float zt[MLP_NARROW_OUT * NARROW_ROWS_MAX];
    for (int t0 = r0; t0 < r1; t0 += ld) {
        int nr = imin(ld, r1 - t0);
        mlp_forward_narrow(zt, net->h[L] + (size_t)t0 * IN, net->w[L], net->b[L], nr, IN, U);
        for (int r = 0; y && r < nr; r += LOSS_ROWS)
            softmax_block(net, zt + r, ld, y, t0 + r, t0 + imin(nr, r + LOSS_ROWS), scale);
        if (y)
            continue; /* a step's logits stay in zt: only its loss reads them */
        float *z = net->a[L + 1] + (size_t)t0 * U;
        for (int i = 0; i < nr; i++)
            for (int k = 0; k < U; k++)
                z[i * U + k] = zt[k * ld + i];
    }
}

/* 1 when narrow_rows takes a model's output layer on one thread (and, with softmax outputs, its loss; on a units
 * step's team too, each thread its rows). */
static int narrow_shape(const mlp *net)
{
    int ld = mlp_narrow_rows();
    return net->nlayers > 1 && net->size[net->nlayers] <= MLP_NARROW_OUT && ld >= LOSS_ROWS && ld <= NARROW_ROWS_MAX;
}

/* The hidden layers of a forward pass on the calling thread. */
static void hidden_serial(mlp *net, const float *x, int n)
{
    for (int k = 0; k + 1 < net->nlayers; k++)
        if (k == 0 && net->t_live)
            mlp_forward_layer_t(net->a[1], net->h[1], net->act, x, net->w[0], net->b[0], n, net->size[0],
                                net->size[1]);
        else
            mlp_forward_layer(net->a[k + 1], net->h[k + 1], net->act, k == 0 ? x : net->h[k], net->w[k],
                              net->b[k], n, net->size[k], net->size[k + 1], MLP_SERIAL);
}

/* Per-class binary cross-entropy of row r (sigmoid outputs), in double through a softplus that cannot
 * overflow; the prediction: logit > 0 for one unit, else the first largest logit. */
static void sigmoid_row(mlp *net, const int *y, int r, float scale)
{
    int U = net->size[net->nlayers];
    const float *zr = net->a[net->nlayers] + (size_t)r * U;
    float *dr = net->d[net->nlayers] + (size_t)r * U;
    int best = 0;
    for (int k = 1; k < U; k++)
        if (zr[k] > zr[best])
            best = k;
    double loss = 0;
    for (int k = 0; k < U; k++) {
        double t = U == 1 ? y[r] : (k == y[r]);
        loss += softplus(zr[k]) - t * zr[k];
        if (scale != 0)
            dr[k] = scale * (sigmoidf(zr[k]) - (float)t);
    }
    net->correct[r] = U == 1 ? ((zr[0] > 0) == y[r]) : best == y[r];
    net->loss[r] = loss;
}

/* Rows r0..r1-1 of mlp_loss. */
static inline void loss_block(mlp *net, const int *y, int r0, int r1, float scale)
{
    if (net->out == MLP_OUT_SOFTMAX)
        softmax_rows(net, y, r0, r1, scale);
    else
        for (int r = r0; r < r1; r++)
            sigmoid_row(net, y, r, scale);
}

/* The rows of mlp_loss in blocks, shared out by an orphaned omp for. */
static void loss_rows(mlp *net, const int *y, int n, float scale)
{
    #pragma omp for schedule(static)
    for (int r0 = 0; r0 < n; r0 += LOSS_ROWS)
        loss_block(net, y, r0, imin(n, r0 + LOSS_ROWS), scale);
}

/* Over rows, when the batch is big enough: a logit (two exps) counts as 16 multiply-adds of work. */
void mlp_loss(mlp *net, const int *y, int n, float scale)
{
    int nt = pass_threads((long)n * net->size[net->nlayers] * 16);
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        loss_rows(net, y, n, scale);
    } else
        loss_rows(net, y, n, scale);
}

void mlp_evaluate(mlp *net, const float *x, const int *y, int n)
{
    first_usual(net);
    if (pass_threads(pass_work(net, n)) == 1 && narrow_shape(net) && net->out == MLP_OUT_SOFTMAX) {
        hidden_serial(net, x, n);
        narrow_rows(net, y, 0, n, 0); /* mlp_forward's path on one thread, the loss read from zt as a step's */
        return;
    }
    mlp_forward(net, x, n);
    mlp_loss(net, y, n, 0);
}

static void backward_pass(mlp *net, const float *x, int n, int acc)
{
    for (int k = net->nlayers - 1; k >= 0; k--) {
        int IN = net->size[k], OUT = net->size[k + 1];
        mlp_backward_weights(net->gw[k], net->gb[k], net->d[k + 1], k == 0 ? x : net->h[k], n, IN, OUT, 1, acc);
        if (k > 0)
            mlp_backward_input(net->d[k], net->a[k], net->h[k], net->act, net->d[k + 1], net->w[k], n, IN, OUT, 1);
    }
}

/* One parallel region for the whole pass; acc: add to grads, else overwrite them. */
static void backward_run(mlp *net, const float *x, int n, int acc)
{
    int nt = pass_threads(2 * pass_work(net, n));
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        backward_pass(net, x, n, acc);
    } else
        backward_pass(net, x, n, acc);
}

void mlp_backward(mlp *net, const float *x, int n)
{
    first_usual(net);
    backward_run(net, x, n, 1);
}

void mlp_zero_grads(mlp *net)
{
    first_usual(net); /* its transpose goes through grads */
    memset(net->grads, 0, net->nparams * sizeof(float));
}

int mlp_params_finite(const mlp *net)
{
    int ok = 1;
    for (size_t i = 0; i < net->nparams; i++)
        ok &= isfinite(net->params[i]) != 0;
    return ok;
}

/* ---- training step ---------------------------------------------------------------------------------------- */

/* Every parameter, in contiguous shares when the model is big enough; each element on its own, so the same
 * bits whoever updates it. */
static void update_all(mlp *net, const mlp_update *u)
{
    size_t n = net->nparams;
    if (n >= UPDATE_PARALLEL_MIN && omp_get_max_threads() > 1) {
        #pragma omp parallel
        {
            size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
            mlp_update_range(u, net->params, net->grads, n * t / nt, n * (t + 1) / nt);
        }
    } else
        mlp_update_range(u, net->params, net->grads, 0, n);
}

double mlp_chunked_floats(int hidden, int nout, int max_rows)
{
    double chunks = (hidden + HCHUNK - 1) / HCHUNK;
    return chunks * max_rows * nout + 2.0 * hidden * nout + nout;
}

int mlp_chunked_shape(int nin, int hidden, int nout, int n)
{
    return hidden > HCHUNK && (long)n * ((long)nin * hidden + (long)hidden * nout) >= MLP_PARALLEL_MIN_WORK;
}

int mlp_step_chunked(const mlp *net, int n)
{
    return net->nlayers == 2 && net->part && mlp_chunked_shape(net->size[0], net->size[1], net->size[2], n);
}

/* The chunked step, run by every thread of the calling team (or by the caller alone). Both loops over chunks
 * share them out by the same static schedule, so the thread that computes a chunk's activations in the
 * forward pass computes its gradients and updates its weights, and finds them in its own cache; in the next
 * step it owns the same chunks again. Hidden pre-activations, activations and their gradients are stored
 * chunk by chunk: chunk c's (n, width) block starts at n * c0. */
static void chunked_step(mlp *net, const float *x, const int *y, int n, float scale, const mlp_update *u,
                         team_barrier *bar)
{
    int IN = net->size[0], H = net->size[1], OUT = net->size[2], nc = (H + HCHUNK - 1) / HCHUNK;
    float *p = net->params, *g = net->grads;
    size_t w1 = (size_t)(net->w[0] - p), b1 = (size_t)(net->b[0] - p), w2 = (size_t)(net->w[1] - p);
    size_t b2 = (size_t)(net->b[1] - p);
    #pragma omp for schedule(static) nowait
    for (int c = 0; c < nc; c++) {
        int c0 = c * HCHUNK, wd = imin(HCHUNK, H - c0);
        float *ac = net->a[1] + (size_t)n * c0, *hc = net->h[1] + (size_t)n * c0, *w2c = net->w2c + (size_t)OUT * c0;
        for (int o = 0; o < OUT; o++)
            memcpy(w2c + (size_t)o * wd, p + w2 + (size_t)o * H + c0, (size_t)wd * sizeof *w2c);
        mlp_forward_layer(ac, hc, net->act, x, p + w1 + (size_t)c0 * IN, p + b1 + c0, n, IN, wd, 0);
        mlp_forward_layer(net->part + (size_t)c * n * OUT, NULL, net->act, hc, w2c, net->zero, n, wd, OUT, 0);
    }
    team_barrier_wait(bar); /* the logits read every chunk's partial sums */
    /* the logits (the chunks' partial sums added in chunk order, then the bias) and the loss, rows in blocks of
     * LOSS_ROWS: one loop, so the thread that sums a row's logits takes its loss */
    float *z = net->a[2];
    const float *part = net->part;
    #pragma omp for schedule(static) nowait
    for (int r0 = 0; r0 < n; r0 += LOSS_ROWS) {
        int r1 = imin(n, r0 + LOSS_ROWS);
        size_t lo = (size_t)r0 * OUT, hi = (size_t)r1 * OUT;
        for (size_t i = lo; i < hi; i++)
            z[i] = part[i];
        for (int c = 1; c < nc; c++) {
            const float *pc = part + (size_t)c * n * OUT;
            #pragma omp simd
            for (size_t i = lo; i < hi; i++)
                z[i] += pc[i];
        }
        for (int r = r0; r < r1; r++)
            for (int o = 0; o < OUT; o++)
                z[(size_t)r * OUT + o] += p[b2 + o];
        loss_block(net, y, r0, r1, scale);
    }
    team_barrier_wait(bar); /* the backward pass reads every row's output gradient */
    const float *d2 = net->d[2];
    #pragma omp single nowait
    {
        /* the output bias: nothing below reads it or its gradient */
        for (int o = 0; o < OUT; o++)
            g[b2 + o] = 0;
        for (int r = 0; r < n; r++)
            for (int o = 0; o < OUT; o++)
                g[b2 + o] += d2[(size_t)r * OUT + o];
        mlp_update_range(u, p, g, b2, b2 + (size_t)OUT);
    }
    #pragma omp for schedule(static) nowait
    for (int c = 0; c < nc; c++) {
        int c0 = c * HCHUNK, wd = imin(HCHUNK, H - c0);
        size_t n0 = (size_t)n * c0;
        float *w2c = net->w2c + (size_t)OUT * c0, *g2c = net->g2c + (size_t)OUT * c0;
        mlp_backward_weights(g2c, NULL, d2, net->h[1] + n0, n, wd, OUT, 0, 0);
        mlp_backward_input(net->d[1] + n0, net->a[1] + n0, net->h[1] + n0, net->act, d2, w2c, n, wd, OUT, 0);
        mlp_backward_weights(g + w1 + (size_t)c0 * IN, g + b1 + c0, net->d[1] + n0, x, n, IN, wd, 0, 0);
        mlp_update_range(u, p, g, w1 + (size_t)c0 * IN, w1 + (size_t)(c0 + wd) * IN);
        mlp_update_range(u, p, g, b1 + c0, b1 + c0 + wd);
        for (int o = 0; o < OUT; o++) {
            size_t at = w2 + (size_t)o * H + c0;
            memcpy(g + at, g2c + (size_t)o * wd, (size_t)wd * sizeof *g);
            mlp_update_range(u, p, g, at, at + wd);
        }
    }
}

/* An unchunked step in one parallel region: the passes meet at their work-sharing loops' barriers (one more
 * before the update), where separate regions per pass would fork the team four times a step. Each thread then
 * updates its contiguous share of the parameters, each element on its own, so the bits are update_all's. */
static void team_step(mlp *net, const float *x, const int *y, int n, float scale, const mlp_update *u)
{
    forward_pass(net, x, n);
    loss_rows(net, y, n, scale);
    backward_pass(net, x, n, 0);
    #pragma omp barrier
    size_t np = net->nparams, t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
    mlp_update_range(u, net->params, net->grads, np * t / nt, np * (t + 1) / nt);
}

/* 1 when a step of nt threads shares every hidden layer out by units (units_step): each thread gets some of every
 * layer's units, and no more than 5/4 of an even share (96 units in groups of 32 would give one thread twice
 * the other's work; the step by rows then measures faster). */
static int units_sizes(const int *size, int nlayers, int nt)
{
    int ok = nt > 1;
    for (int k = 1; k < nlayers; k++)
        ok &= mlp_team_balanced(size[k], nt);
    return ok;
}

static int units_shape(const mlp *net, int nt) { return units_sizes(net->size, net->nlayers, nt); }

#ifdef MLP_PHASES
#include <time.h>
mlp_phase_log mlp_phases;
static _Thread_local double phase_last; /* the clock (ns) at the calling thread's last mark */

static double phase_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static _Thread_local int phase_alone; /* mlp_phases.alone, read once a step */

/* The start of the calling thread's step: 0 when it takes no part (alone, a thread but the first). */
static int phase_begin(void)
{
    int t = omp_get_thread_num();
    phase_alone = mlp_phases.alone;
    if (phase_alone && t > 0)
        return 0;
    if (t < MLP_PHASE_THREADS)
        mlp_phases.t[t].n = 0;
    phase_last = phase_clock();
    return 1;
}

static void phase_end(mlp_phase_kind kind, int layer)
{
    int t = omp_get_thread_num();
    double now = phase_clock();
    if (t < MLP_PHASE_THREADS && mlp_phases.t[t].n < MLP_PHASE_MAX) {
        mlp_phase_thread *log = &mlp_phases.t[t];
        int i = log->n++;
        log->kind[i] = kind;
        log->layer[i] = layer;
        log->ns[i] = now - phase_last;
    }
    phase_last = now;
}
#define PHASE_END(kind, layer) phase_end(kind, layer)
#else
#define PHASE_END(kind, layer) ((void)0)
#endif

/* A barrier of the units step; in the bench's phase build a phase of its own, and none at all alone. */
static void units_wait(team_barrier *bar)
{
#ifdef MLP_PHASES
    if (phase_alone)
        return;
    team_barrier_wait(bar);
    PHASE_END(MLP_PH_WAIT, -1);
#else
    team_barrier_wait(bar);
#endif
}

/* The output layer's logits and the loss: each thread a contiguous run of blocks of LOSS_ROWS rows, its logits then
 * their loss (a narrow softmax layer's by narrow_rows, as on one thread: half the time of the general tiles for
 * 64-256-256-10, 3.4 against 6.7 us a step); the barrier bar at the end. */
static void output_loss(mlp *net, const int *y, int n, float scale, team_barrier *bar)
{
    int L = net->nlayers - 1, IN = net->size[L], OUT = net->size[L + 1], nb = (n + LOSS_ROWS - 1) / LOSS_ROWS;
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int r0 = nb * t / nt * LOSS_ROWS, r1 = imin(n, nb * (t + 1) / nt * LOSS_ROWS);
    if (narrow_shape(net) && net->out == MLP_OUT_SOFTMAX)
        narrow_rows(net, y, r0, r1, scale); /* as on one thread: the logits only in its tiles */
    else {
        if (r0 < r1)
            mlp_forward_layer(net->a[L + 1] + (size_t)r0 * OUT, NULL, net->act, net->h[L] + (size_t)r0 * IN,
                              net->w[L], net->b[L], r1 - r0, IN, OUT, MLP_SERIAL);
        for (int r = r0; r < r1; r += LOSS_ROWS)
            loss_block(net, y, r, imin(r1, r + LOSS_ROWS), scale);
    }
    PHASE_END(MLP_PH_OUTPUT, L);
    units_wait(bar);
}

/* Layer k's update folded into its weight gradient's pass (mlp_backward_weights_update) for the step u. */
static mlp_fold fold_of(const mlp *net, const mlp_update *u, int k)
{
    size_t w = (size_t)(net->w[k] - net->params), b = (size_t)(net->b[k] - net->params);
    return (mlp_fold){.u = u, .w = net->w[k], .b = net->b[k], .mw = u->m ? u->m + w : NULL,
                      .mb = u->m ? u->m + b : NULL, .vw = u->v ? u->v + w : NULL, .vb = u->v ? u->v + b : NULL};
}

/* A step in which each thread owns a share of every hidden layer's units (mlp_team_share): it computes their
 * pre-activations and activations (all rows), their gradients, the rows of the weights into them (gradient and
 * update) and the columns of the weights out of them. What crosses between the cores: activations, their
 * gradients, and the columns of a hidden layer's weights that the other threads' input gradients read (the kernels
 * ask ahead for them). The output layer's logits and loss go by rows. Each layer's
 * update is folded into its weight gradient's pass, as on one thread, once no thread reads its weights any more:
 * the output layer's columns right after the thread's own input gradient has read them, a hidden layer's rows
 * after the barrier that ends the input gradient below it (which reads every row), the first layer's at once.
 * Every value is computed as in the serial step. */
static void units_step(mlp *net, const float *x, const int *y, int n, float scale, const mlp_update *u,
                       team_barrier *bar)
{
    int L = net->nlayers - 1;
    mlp_activation act = net->act;
#ifdef MLP_PHASES
    if (!phase_begin())
        return;
#endif
    for (int k = 0; k < L; k++) {
        mlp_forward_layer(net->a[k + 1], net->h[k + 1], act, k == 0 ? x : net->h[k], net->w[k], net->b[k], n,
                          net->size[k], net->size[k + 1], MLP_TEAM_OUTS);
        PHASE_END(MLP_PH_FORWARD, k);
        units_wait(bar); /* the next layer reads every unit */
    }
    output_loss(net, y, n, scale, bar);
    int IN = net->size[L], OUT = net->size[L + 1];
    mlp_backward_input(net->d[L], net->a[L], net->h[L], act, net->d[L + 1], net->w[L], n, IN, OUT, MLP_TEAM_INS);
    PHASE_END(MLP_PH_INPUT, L);
    mlp_fold f = fold_of(net, u, L);
    mlp_backward_weights_update(net->gw[L], net->gb[L], net->d[L + 1], net->h[L], n, IN, OUT, MLP_TEAM_INS, &f);
    PHASE_END(MLP_PH_WEIGHTS, L);
    for (int k = L - 1; k >= 0; k--) {
        /* the input gradient reads the whole of d[k + 1]: the output layer's input gradient is complete after a
         * barrier, a hidden layer's was at the previous iteration's second barrier; then every read of w[k] ends
         * before its rows are updated. k == 0 reads only the thread's own units of d[1]. */
        if (k > 0) {
            if (k == L - 1)
                units_wait(bar);
            mlp_backward_input(net->d[k], net->a[k], net->h[k], act, net->d[k + 1], net->w[k], n, net->size[k],
                               net->size[k + 1], MLP_TEAM_INS);
            PHASE_END(MLP_PH_INPUT, k);
            units_wait(bar);
        }
        f = fold_of(net, u, k);
        mlp_backward_weights_update(net->gw[k], net->gb[k], net->d[k + 1], k == 0 ? x : net->h[k], n, net->size[k],
                                    net->size[k + 1], MLP_TEAM_OUTS, &f);
        PHASE_END(MLP_PH_WEIGHTS, k);
    }
}

/* The backward pass on the calling thread, each layer updated as soon as nothing reads its weights any more (after
 * its input gradient), inside the weight gradient's pass, as each tile of gradients is complete (no second pass
 * over them). */
static void backward_update(mlp *net, const float *x, int n, const mlp_update *u)
{
    for (int k = net->nlayers - 1; k >= 0; k--) {
        int IN = net->size[k], OUT = net->size[k + 1];
        const float *in = k == 0 ? x : net->h[k];
        if (k > 0)
            mlp_backward_input(net->d[k], net->a[k], net->h[k], net->act, net->d[k + 1], net->w[k], n, IN, OUT,
                               MLP_SERIAL);
        mlp_fold f = fold_of(net, u, k);
        if (k == 0 && net->t_live)
            mlp_backward_weights_update_t(net->gb[0], net->d[1], x, n, IN, OUT, &f);
        else
            mlp_backward_weights_update(net->gw[k], net->gb[k], net->d[k + 1], in, n, IN, OUT, MLP_SERIAL, &f);
    }
}

void mlp_train_step(mlp *net, const float *x, const int *y, int n, float scale, const mlp_update *u)
{
    if (mlp_step_chunked(net, n)) {
        first_usual(net);
        int nt = omp_get_max_threads();
        /* on one thread from a thread of a team of several, a region of its own too: its work-sharing loops and
         * barriers are this step's, not that team's (outside any region, or in a team of one, they run on the
         * caller alone; a region of one thread per step measured 1.5 % slower there) */
        team_barrier bar = TEAM_BARRIER_INIT;
        if (nt > 1 || omp_get_num_threads() > 1) {
            team_barrier_begin(nt);
            #pragma omp parallel num_threads(nt)
            chunked_step(net, x, y, n, scale, u, &bar);
            team_barrier_end(nt);
        } else
            chunked_step(net, x, y, n, scale, u, &bar);
        return;
    }
    int nt = pass_threads(2 * pass_work(net, n));
    /* one thread, the update folded in: the first layer transposed where allowed and it pays */
    int fold = nt == 1 && !(net->nparams >= UPDATE_PARALLEL_MIN && omp_get_max_threads() > 1);
    if (fold && net->t_allowed && mlp_transposed_shape(n, net->size[0], net->size[1]))
        first_transposed(net, u);
    else
        first_usual(net);
    if (nt > 1 && units_shape(net, nt)) {
        team_barrier bar = TEAM_BARRIER_INIT;
        team_barrier_begin(nt);
        #pragma omp parallel num_threads(nt)
        units_step(net, x, y, n, scale, u, &bar);
        team_barrier_end(nt);
        return;
    }
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        team_step(net, x, y, n, scale, u);
        return;
    }
    if (narrow_shape(net) && net->out == MLP_OUT_SOFTMAX) {
        hidden_serial(net, x, n);
        narrow_rows(net, y, 0, n, scale);
    } else {
        forward_any(net, x, n);
        mlp_loss(net, y, n, scale);
    }
    if (!fold) {
        backward_run(net, x, n, 0);
        update_all(net, u);
    } else
        backward_update(net, x, n, u);
}

int mlp_batch_copies(const int *size, int nlayers, int threads, int batch)
{
    int chunked = nlayers == 2 && mlp_chunked_shape(size[0], size[1], size[2], batch);
    /* a units step: mlp_train_step's choice on threads threads, made from the sizes */
    int units = 2 * sizes_work(size, nlayers, batch) >= MLP_PARALLEL_MIN_WORK && units_sizes(size, nlayers, threads);
    return threads > 1 && (chunked || units) ? threads : 1;
}

int mlp_reserve(mlp *net, int threads, int batch)
{
    int copies = mlp_batch_copies(net->size, net->nlayers, threads, batch);
    batch = batch < net->max_rows ? batch : net->max_rows;
    free(net->xt);
    free(net->yt);
    net->xt = alloc_floats((size_t)copies * (size_t)batch * (size_t)net->size[0], sizeof(float));
    net->yt = alloc_floats((size_t)batch, sizeof(int));
    net->xthreads = net->xt && net->yt ? copies : 0;
    net->xrows = batch;
    return net->xthreads ? 0 : -1;
}

void mlp_gather_rows(float *dst, const float *X, const int *rows, int n, int cols)
{
    for (int i = 0; i < n; i++)
        memcpy(dst + (size_t)i * cols, X + (size_t)rows[i] * cols, (size_t)cols * sizeof *dst);
}

/* 1 when a step of n rows from mlp_train_rows takes a team of nt threads (chunked or units), each thread with its
 * own copy of the batch. */
static int rows_team(const mlp *net, int nt, int n)
{
    return nt > 1 && nt <= net->xthreads && mlp_batch_copies(net->size, net->nlayers, nt, n) > 1;
}

static void gather_labels(mlp *net, const int *Y, const int *rows, int n)
{
    for (int i = 0; i < n; i++)
        net->yt[i] = Y[rows[i]];
}

/* The calling thread's part of a team's step of n rows (labels gathered): its copy of the batch, then its share of
 * the chunked or the units step. */
static void rows_team_step(mlp *net, const float *X, const int *rows, int n, int chunked, float scale,
                           const mlp_update *u, team_barrier *bar)
{
    int cols = net->size[0];
    float *x = net->xt + (size_t)omp_get_thread_num() * (size_t)net->xrows * (size_t)cols;
    mlp_gather_rows(x, X, rows, n, cols);
    if (chunked)
        chunked_step(net, x, net->yt, n, scale, u, bar);
    else
        units_step(net, x, net->yt, n, scale, u, bar);
}

void mlp_train_rows(mlp *net, const float *X, const int *Y, const int *rows, int n, float scale, const mlp_update *u)
{
    int nt = omp_get_max_threads();
    gather_labels(net, Y, rows, n);
    if (rows_team(net, nt, n)) {
        int chunked = mlp_step_chunked(net, n);
        first_usual(net);
        team_barrier bar = TEAM_BARRIER_INIT;
        team_barrier_begin(nt);
        #pragma omp parallel num_threads(nt)
        rows_team_step(net, X, rows, n, chunked, scale, u, &bar);
        team_barrier_end(nt);
        return;
    }
    mlp_gather_rows(net->xt, X, rows, n, net->size[0]);
    mlp_train_step(net, net->xt, net->yt, n, scale, u);
}

/* Where the steps take a team, one region holds them all: between two steps the team waits at its own barrier
 * (twice: the step is over, then the next one's labels and update are ready) while the calling thread runs
 * after(); a fork and a join of libgomp's cost ~3 us a step, the two barriers ~0.5 (experiments/performance-log.md,
 * "One team for an epoch's steps"). */
int mlp_train_rows_run(mlp *net, const float *X, const int *Y, const int *rows, int n, int steps, float scale,
                       mlp_update *u, int (*after)(void *ctx, mlp_update *next), void *ctx)
{
    int nt = omp_get_max_threads();
    if (steps < 2 || !rows_team(net, nt, n)) {
        int taken = 0;
        while (taken < steps) {
            mlp_train_rows(net, X, Y, rows + (size_t)taken * n, n, scale, u);
            taken++;
            if (!after(ctx, taken < steps ? u : NULL))
                break;
        }
        return taken;
    }
    int chunked = mlp_step_chunked(net, n), taken = 0, go = 1;
    first_usual(net);
    team_barrier bar = TEAM_BARRIER_INIT;
    team_barrier_begin(nt);
    #pragma omp parallel num_threads(nt)
    for (int i = 0;; i++) {
        /* go and the labels are written here by the calling thread alone, and read by all only between the next
         * two barriers */
        if (omp_get_thread_num() == 0) {
            if (i > 0) {
                taken = i;
                go = after(ctx, i < steps ? u : NULL) && i < steps;
            }
            if (go)
                gather_labels(net, Y, rows + (size_t)i * n, n);
        }
        team_barrier_wait(&bar);
        if (!go)
            break;
        rows_team_step(net, X, rows + (size_t)i * n, n, chunked, scale, u, &bar);
        team_barrier_wait(&bar); /* the step is over: its loss is complete, and nobody reads u or the labels */
    }
    team_barrier_end(nt);
    return taken;
}
