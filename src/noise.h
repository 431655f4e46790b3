/* The gradient noise scale of McCandlish et al. ("An Empirical Model of Large-Batch Training", 2018, appendix A):
 * B_simple = tr(Sigma) / |G|^2, from the squared norms of mean gradients on small batches of B rows and on the
 * big batch they make up, with the two-batch unbiased estimators. Measured into scratch buffers: the model's
 * parameters are never changed, and its gradient buffer is given back bitwise as it was. */
#ifndef NOISE_H
#define NOISE_H
#include <stddef.h>
#include "mlp.h"

/* Scratch for noise_measure on net (nparams each). */
typedef struct noise {
    float *saved;   /* (nparams) the model's gradients, put back afterwards */
    double *sum;    /* (nparams) sum of the small batches' mean gradients */
} noise;

/* 0, or -1 when memory is short. */
int noise_init(noise *ns, size_t nparams);
void noise_free(noise *ns);
/* The estimators from the mean over small batches of |G_small|^2 (small_sq, batches of bs rows) and |G_big|^2
 * (big_sq, bb > bs rows): |G|^2 = (bb big_sq - bs small_sq) / (bb - bs), tr(Sigma) = (small_sq - big_sq) /
 * (1/bs - 1/bb); returns B_simple = tr(Sigma) / |G|^2, NAN when bb <= bs or |G|^2 is not above 0. */
double noise_b_simple(double small_sq, double big_sq, double bs, double bb, double *g2, double *trace);
/* B_simple of net's current weights on rows x (rows, size[0]) with labels y: the first rows / B * B of them cut
 * into batches of B <= net->max_rows rows, each batch's mean-loss gradient (no weight decay) measured with
 * mlp_forward, mlp_loss and mlp_backward; the big batch is all of them. NAN with fewer than two batches. The
 * forward pass overwrites net's activations, nothing else. */
double noise_measure(noise *ns, mlp *net, const float *x, const int *y, int rows, int B);

#endif
