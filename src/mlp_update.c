/* The optimizer update of a range of parameters (SGD, momentum, Adam), vectorised, and its scalar twin. The
 * update folded into the weight gradient's pass (mlp_backward_weights_update) performs the same operations on
 * each value, so the same bits. */
#include "mlp_kernels.h"

/* Adam in blocks of MLP_ADAM_BLOCK, each by mlp_adam_block (the tests compare it with mlp_update_range_ref bit for
 * bit). */
static void adam_range(const mlp_update *u, float *restrict p, const float *restrict g, size_t lo, size_t hi)
{
    mlp_fold f = {.u = u};
    for (size_t at = lo; at < hi; at += MLP_ADAM_BLOCK) {
        size_t n = hi - at < MLP_ADAM_BLOCK ? hi - at : MLP_ADAM_BLOCK;
        mlp_adam_block(&f, p + at, u->m + at, u->v + at, g + at, n);
    }
}

/* Weight decay adds wd p to each gradient inside the same loop (as torch.optim's weight_decay); without it the
 * loops read g alone, so a run without decay keeps its bits even where a weight is not finite. */
void mlp_update_range(const mlp_update *u, float *restrict p, const float *restrict g, size_t lo, size_t hi)
{
    if (u->kind == MLP_ADAM) {
        adam_range(u, p, g, lo, hi);
        return;
    }
    float lr = u->lr, wd = u->weight_decay, *restrict m = u->m;
#define GRAD(i) (wd != 0 ? g[i] + wd * p[i] : g[i])
    if (u->kind == MLP_SGD) {
        for (size_t i = lo; i < hi; i++)
            p[i] -= lr * GRAD(i);
    } else {
        float mu = u->momentum;
        for (size_t i = lo; i < hi; i++) {
            m[i] = mu * m[i] + GRAD(i);
            p[i] -= lr * m[i];
        }
    }
#undef GRAD
}

/* The plain twin: one scalar loop per optimizer, as the update was first written. */
void mlp_update_range_ref(const mlp_update *u, float *p, const float *g, size_t lo, size_t hi)
{
    float lr = u->lr, wd = u->weight_decay, *m = u->m, *v = u->v;
    for (size_t i = lo; i < hi; i++) {
        float gi = wd != 0 ? g[i] + wd * p[i] : g[i];
        if (u->kind == MLP_SGD)
            p[i] -= lr * gi;
        else if (u->kind == MLP_MOMENTUM) {
            m[i] = u->momentum * m[i] + gi;
            p[i] -= lr * m[i];
        } else {
            m[i] = u->beta1 * m[i] + (1 - u->beta1) * gi;
            v[i] = u->beta2 * v[i] + (1 - u->beta2) * gi * gi;
            p[i] -= lr * (m[i] / u->c1) / (sqrtf(v[i] / u->c2) + u->eps);
        }
    }
}

