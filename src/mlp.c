/* MLP kernels. Parallel axes: the forward pass, the loss and the input gradient over batch rows, the weight
 * gradient over output units; each value is written by one thread and summed in a fixed order, so the results
 * are bitwise the same for any thread count. No float reduction crosses threads. */
#include "mlp.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Below this many multiply-adds a kernel runs on one thread: waking the team costs more than it saves. */
#define PARALLEL_MIN_WORK 16384L

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
    for (int k = 0; k <= MLP_MAX_LAYERS; k++) {
        free(net->a[k]);
        free(net->d[k]);
        if (k < MLP_MAX_LAYERS)
            free(net->h[k]);
    }
    memset(net, 0, sizeof *net);
}

void mlp_randomize(mlp *net, mlp_init_kind kind, rng *r)
{
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

/* ---- linear layer ---------------------------------------------------------------------------------------- */

/* in (B, IN), w (OUT, IN), b (OUT) -> out (B, OUT). Four outputs at a time share each load of the input row;
 * the simd reduction order is fixed by the compiled code, not by the thread count. */
void mlp_linear_forward(float *restrict out, const float *restrict in, const float *restrict w,
                        const float *restrict b, int B, int IN, int OUT)
{
    #pragma omp parallel for schedule(static) if ((long)B * IN * OUT >= PARALLEL_MIN_WORK)
    for (int r = 0; r < B; r++) {
        const float *x = in + (size_t)r * IN;
        float *y = out + (size_t)r * OUT;
        int o = 0;
        for (; o + 4 <= OUT; o += 4) {
            const float *w0 = w + (size_t)o * IN, *w1 = w0 + IN, *w2 = w1 + IN, *w3 = w2 + IN;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            #pragma omp simd reduction(+:s0, s1, s2, s3)
            for (int i = 0; i < IN; i++) {
                s0 += x[i] * w0[i];
                s1 += x[i] * w1[i];
                s2 += x[i] * w2[i];
                s3 += x[i] * w3[i];
            }
            y[o] = s0 + b[o];
            y[o + 1] = s1 + b[o + 1];
            y[o + 2] = s2 + b[o + 2];
            y[o + 3] = s3 + b[o + 3];
        }
        for (; o < OUT; o++) {
            const float *wo = w + (size_t)o * IN;
            float s = 0;
            #pragma omp simd reduction(+:s)
            for (int i = 0; i < IN; i++)
                s += x[i] * wo[i];
            y[o] = s + b[o];
        }
    }
}

void mlp_linear_forward_ref(float *out, const float *in, const float *w, const float *b, int B, int IN, int OUT)
{
    for (int r = 0; r < B; r++)
        for (int o = 0; o < OUT; o++) {
            float s = 0;
            for (int i = 0; i < IN; i++)
                s += in[r * IN + i] * w[o * IN + i];
            out[r * OUT + o] = s + b[o];
        }
}

/* dout (B, OUT), in (B, IN), w (OUT, IN) -> dw (OUT, IN) +=, db (OUT) +=, din (B, IN) =.
 * dw rows are owned by output unit (summed over samples in order), din rows by sample. */
void mlp_linear_backward(float *restrict din, float *restrict dw, float *restrict db, const float *restrict dout,
                         const float *restrict in, const float *restrict w, int B, int IN, int OUT)
{
    int par = (long)B * IN * OUT >= PARALLEL_MIN_WORK;
    #pragma omp parallel if (par)
    {
        #pragma omp for schedule(static) nowait
        for (int o = 0; o < OUT; o++) {
            float *g = dw + (size_t)o * IN;
            float gbias = db[o];
            for (int r = 0; r < B; r++) {
                float d = dout[(size_t)r * OUT + o];
                const float *x = in + (size_t)r * IN;
                #pragma omp simd
                for (int i = 0; i < IN; i++)
                    g[i] += d * x[i];
                gbias += d;
            }
            db[o] = gbias;
        }
        if (din) {
            #pragma omp for schedule(static)
            for (int r = 0; r < B; r++) {
                float *g = din + (size_t)r * IN;
                const float *d = dout + (size_t)r * OUT;
                for (int i = 0; i < IN; i++)
                    g[i] = 0;
                for (int o = 0; o < OUT; o++) {
                    const float *wo = w + (size_t)o * IN;
                    float dv = d[o];
                    #pragma omp simd
                    for (int i = 0; i < IN; i++)
                        g[i] += dv * wo[i];
                }
            }
        }
    }
}

void mlp_linear_backward_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, int B, int IN, int OUT)
{
    for (int o = 0; o < OUT; o++)
        for (int r = 0; r < B; r++) {
            for (int i = 0; i < IN; i++)
                dw[o * IN + i] += dout[r * OUT + o] * in[r * IN + i];
            db[o] += dout[r * OUT + o];
        }
    if (!din)
        return;
    for (int r = 0; r < B; r++)
        for (int i = 0; i < IN; i++) {
            float s = 0;
            for (int o = 0; o < OUT; o++)
                s += dout[r * OUT + o] * w[o * IN + i];
            din[r * IN + i] = s;
        }
}

/* ---- activations ----------------------------------------------------------------------------------------- */

/* Sigmoid that cannot overflow: exp only ever sees a non-positive argument. */
static inline float sigmoidf(float x)
{
    if (x >= 0)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* a (n) -> h (n) */
static void activation_forward(float *h, const float *a, size_t n, mlp_activation act)
{
    #pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN_WORK)
    for (size_t i = 0; i < n; i++)
        h[i] = act == MLP_SIGMOID ? sigmoidf(a[i]) : act == MLP_TANH ? tanhf(a[i]) : (a[i] > 0 ? a[i] : 0);
}

/* d (n) *= act'(a), using h = act(a) where the derivative is cheaper from it */
static void activation_backward(float *d, const float *a, const float *h, size_t n, mlp_activation act)
{
    #pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN_WORK)
    for (size_t i = 0; i < n; i++)
        d[i] *= act == MLP_SIGMOID ? h[i] * (1 - h[i]) : act == MLP_TANH ? 1 - h[i] * h[i] : (a[i] > 0 ? 1 : 0);
}

/* ---- network --------------------------------------------------------------------------------------------- */

void mlp_forward(mlp *net, const float *x, int n)
{
    const float *in = x;
    for (int k = 0; k < net->nlayers; k++) {
        int IN = net->size[k], OUT = net->size[k + 1];
        mlp_linear_forward(net->a[k + 1], in, net->w[k], net->b[k], n, IN, OUT);
        if (k + 1 < net->nlayers) {
            activation_forward(net->h[k + 1], net->a[k + 1], (size_t)n * OUT, net->act);
            in = net->h[k + 1];
        }
    }
}

/* log(1 + exp(z)) without overflow */
static inline double softplus(double z) { return (z > 0 ? z : 0) + log1p(exp(-fabs(z))); }

void mlp_loss(mlp *net, const int *y, int n, float scale)
{
    int U = net->size[net->nlayers];
    const float *z = net->a[net->nlayers];
    float *dz = net->d[net->nlayers];
    int softmax = net->out == MLP_OUT_SOFTMAX;
    #pragma omp parallel for schedule(static) if ((long)n * U >= PARALLEL_MIN_WORK / 16)
    for (int r = 0; r < n; r++) {
        const float *zr = z + (size_t)r * U;
        float *dr = dz + (size_t)r * U;
        int best = 0;
        for (int k = 1; k < U; k++)
            if (zr[k] > zr[best])
                best = k;
        double loss;
        if (softmax) {
            /* log-sum-exp around the largest logit: every exp argument is <= 0 */
            double m = zr[best], s = 0;
            for (int k = 0; k < U; k++)
                s += exp((double)zr[k] - m);
            double lse = m + log(s);
            loss = lse - zr[y[r]];
            if (scale != 0)
                for (int k = 0; k < U; k++)
                    dr[k] = scale * (float)(exp((double)zr[k] - lse) - (k == y[r]));
            net->correct[r] = best == y[r];
        } else {
            loss = 0;
            for (int k = 0; k < U; k++) {
                double t = U == 1 ? y[r] : (k == y[r]);
                loss += softplus(zr[k]) - t * zr[k];
                if (scale != 0)
                    dr[k] = scale * (sigmoidf(zr[k]) - (float)t);
            }
            net->correct[r] = U == 1 ? ((zr[0] > 0) == y[r]) : best == y[r];
        }
        net->loss[r] = loss;
    }
}

void mlp_backward(mlp *net, const float *x, int n)
{
    for (int k = net->nlayers - 1; k >= 0; k--) {
        int IN = net->size[k], OUT = net->size[k + 1];
        const float *in = k == 0 ? x : net->h[k];
        float *din = k == 0 ? NULL : net->d[k];
        mlp_linear_backward(din, net->gw[k], net->gb[k], net->d[k + 1], in, net->w[k], n, IN, OUT);
        if (din)
            activation_backward(din, net->a[k], net->h[k], (size_t)n * IN, net->act);
    }
}

void mlp_zero_grads(mlp *net) { memset(net->grads, 0, net->nparams * sizeof(float)); }

int mlp_params_finite(const mlp *net)
{
    int ok = 1;
    for (size_t i = 0; i < net->nparams; i++)
        ok &= isfinite(net->params[i]) != 0;
    return ok;
}
