/* The noise scale: one forward and backward pass over the big batch, cut into small batches whose mean gradients
 * are both squared (the small-batch norms, averaged) and summed (the big batch's gradient). Sums in double, in a
 * fixed order, so the estimate does not depend on the thread count. */
#include "noise.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int noise_init(noise *ns, size_t nparams)
{
    ns->saved = malloc(nparams * sizeof *ns->saved);
    ns->sum = malloc(nparams * sizeof *ns->sum);
    if (ns->saved && ns->sum)
        return 0;
    noise_free(ns);
    return -1;
}

void noise_free(noise *ns)
{
    free(ns->saved);
    free(ns->sum);
    ns->saved = NULL;
    ns->sum = NULL;
}

double noise_b_simple(double small_sq, double big_sq, double bs, double bb, double *g2, double *trace)
{
    *g2 = *trace = NAN;
    if (!(bb > bs))
        return NAN;
    *g2 = (bb * big_sq - bs * small_sq) / (bb - bs);
    *trace = (small_sq - big_sq) / (1 / bs - 1 / bb);
    return *g2 > 0 ? *trace / *g2 : NAN;
}

double noise_measure(noise *ns, mlp *net, const float *x, const int *y, int rows, int B)
{
    int nb = B > 0 ? rows / B : 0;
    size_t np = net->nparams;
    if (nb < 2)
        return NAN;
    memcpy(ns->saved, net->grads, np * sizeof(float));
    memset(ns->sum, 0, np * sizeof *ns->sum);
    double small_sq = 0;
    for (int k = 0; k < nb; k++) {
        const float *xk = x + (size_t)k * B * net->size[0];
        mlp_zero_grads(net);
        mlp_forward(net, xk, B);
        mlp_loss(net, y + (size_t)k * B, B, 1.0f / (float)B);
        mlp_backward(net, xk, B);
        double sq = 0;
        for (size_t i = 0; i < np; i++) {
            sq += (double)net->grads[i] * net->grads[i];
            ns->sum[i] += net->grads[i];
        }
        small_sq += sq / nb;
    }
    double big_sq = 0;
    for (size_t i = 0; i < np; i++)
        big_sq += (ns->sum[i] / nb) * (ns->sum[i] / nb);
    memcpy(net->grads, ns->saved, np * sizeof(float));
    double g2, trace;
    return noise_b_simple(small_sq, big_sq, B, (double)nb * B, &g2, &trace);
}
