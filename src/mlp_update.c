/* The optimizer update of a range of parameters (SGD, momentum, Adam): mlp_update_block, which the update folded
 * into the weight gradient's pass (mlp_backward_weights_update) calls too, over the whole range; and its scalar
 * twin. */
#include "mlp_kernels.h"

void mlp_update_range(const mlp_update *u, float *restrict p, const float *restrict g, size_t lo, size_t hi)
{
    if (hi > lo)
        mlp_update_block(u, p + lo, u->m ? u->m + lo : NULL, u->v ? u->v + lo : NULL, g + lo, hi - lo);
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

