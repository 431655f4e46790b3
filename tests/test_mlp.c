/* The MLP math, three ways: central finite differences of a plain double-precision forward pass against the
 * float backward pass, for every activation x output x loss and 1-3 hidden layers; fast kernels against their
 * plain twins; exact hand-computed values for a 2-2-2 net. Plus numerical stability at extreme logits. */
#include "tests.h"
#include "mlp.h"
#include "mlp_kernels.h" /* mlp_narrow_rows: whether the narrow evaluation applies */
#include "rng.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Plain double-precision loss of the batch objective for the net's parameters p (the mlp layout), written
 * independently of mlp.c: one sample at a time, straight loops. */
static double ref_loss(const mlp *net, const double *p, const float *x, const int *y, int n, int mean)
{
    double total = 0, act[2][256];
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < net->size[0]; i++)
            act[0][i] = x[r * net->size[0] + i];
        const double *q = p;
        int cur = 0;
        for (int k = 0; k < net->nlayers; k++) {
            int in = net->size[k], out = net->size[k + 1];
            const double *w = q, *b = q + in * out;
            q += in * out + out;
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++)
                    s += w[o * in + i] * act[cur][i];
                if (k + 1 < net->nlayers)
                    s = net->act == MLP_SIGMOID ? 1 / (1 + exp(-s)) : net->act == MLP_TANH ? tanh(s) : fmax(s, 0);
                act[1 - cur][o] = s;
            }
            cur = 1 - cur;
        }
        int U = net->size[net->nlayers];
        const double *z = act[cur];
        if (net->out == MLP_OUT_SOFTMAX) {
            double s = 0;
            for (int k = 0; k < U; k++)
                s += exp(z[k]);
            total += log(s) - z[y[r]];
        } else {
            for (int k = 0; k < U; k++) {
                double t = U == 1 ? y[r] : (k == y[r]), sig = 1 / (1 + exp(-z[k]));
                total -= t * log(sig) + (1 - t) * log(1 - sig);
            }
        }
    }
    return mean ? total / n : total;
}

/* Checks the float gradient of a random net against central differences; returns the relative error
 * max|g - g_fd| / max|g_fd|. */
static double gradient_error(mlp_activation act, mlp_output out, int mean, const int *hidden, int nhidden,
                             int nclasses, uint64_t seed)
{
    enum { IN = 4, N = 6 };
    mlp net;
    int nout = mlp_output_units(out, nclasses);
    ck_assert_int_eq(mlp_init(&net, IN, hidden, nhidden, nout, act, out, N), 0);
    rng r;
    rng_init(&r, seed, 7);
    for (size_t i = 0; i < net.nparams; i++)
        net.params[i] = (float)(rng_normal(&r) * 0.7);
    float x[N * IN];
    int y[N];
    for (int i = 0; i < N * IN; i++)
        x[i] = (float)(2 * rng_uniform(&r) - 1);
    for (int i = 0; i < N; i++)
        y[i] = i % nclasses;

    mlp_zero_grads(&net);
    mlp_forward(&net, x, N);
    mlp_loss(&net, y, N, mean ? 1.0f / N : 1.0f);
    mlp_backward(&net, x, N);

    double *p = malloc(net.nparams * sizeof *p);
    for (size_t i = 0; i < net.nparams; i++)
        p[i] = net.params[i];
    double maxdiff = 0, maxg = 0, h = 1e-6;
    for (size_t i = 0; i < net.nparams; i++) {
        double keep = p[i];
        p[i] = keep + h;
        double up = ref_loss(&net, p, x, y, N, mean);
        p[i] = keep - h;
        double down = ref_loss(&net, p, x, y, N, mean);
        p[i] = keep;
        double fd = (up - down) / (2 * h);
        maxdiff = fmax(maxdiff, fabs(fd - net.grads[i]));
        maxg = fmax(maxg, fabs(fd));
    }
    /* the float forward agrees with the double one */
    double lf = 0;
    for (int i = 0; i < N; i++)
        lf += net.loss[i];
    double lr = ref_loss(&net, p, x, y, N, 0);
    ck_assert_msg(fabs(lf - lr) <= 1e-5 * fmax(1, fabs(lr)), "forward loss %g vs reference %g", lf, lr);
    free(p);
    mlp_free(&net);
    return maxdiff / maxg;
}

/* Bound: float32 gradients carry ~1e-7 relative rounding per operation; 1e-4 of the largest gradient leaves a
 * wide margin for that and none for a wrong formula (those show up at 1e-1 and above). */
#define GRAD_BOUND 1e-4

START_TEST(test_gradients_all_combinations)
{
    static const int layers[3][3] = {{5}, {5, 4}, {5, 4, 3}};
    int cases = 0;
    for (int act = MLP_SIGMOID; act <= MLP_RELU; act++)
        for (int out = MLP_OUT_SOFTMAX; out <= MLP_OUT_SIGMOID; out++)
            for (int mean = 0; mean <= 1; mean++)
                for (int nh = 1; nh <= 3; nh++)
                    for (int nclasses = 2; nclasses <= 3; nclasses++) {
                        double e = gradient_error(act, out, mean, layers[nh - 1], nh, nclasses, 100 + cases);
                        ck_assert_msg(e < GRAD_BOUND, "act %d out %d mean %d layers %d classes %d: rel err %g",
                                      act, out, mean, nh, nclasses, e);
                        cases++;
                    }
    ck_assert_int_eq(cases, 72);
}
END_TEST

static void random_fill(float *v, size_t n, rng *r)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(2 * rng_uniform(r) - 1);
}

static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 1e-30;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

START_TEST(test_kernels_match_plain_twins)
{
    /* odd and even shapes, narrow and wide layers, partial register tiles, and shapes big enough for the
     * blocked and parallel paths */
    static const int shapes[][3] = {{1, 1, 1}, {5, 13, 7}, {32, 64, 128}, {33, 128, 10}, {7, 3, 257},
                                    {300, 300, 20}, {257, 513, 17}, {256, 64, 1024}};
    rng r;
    rng_init(&r, 5, 1);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int B = shapes[s][0], IN = shapes[s][1], OUT = shapes[s][2];
        size_t nin = (size_t)B * IN, nout = (size_t)B * OUT, nw = (size_t)IN * OUT;
        float *in = malloc(nin * 4), *w = malloc(nw * 4), *b = malloc(OUT * 4), *dout = malloc(nout * 4);
        float *o1 = malloc(nout * 4), *o2 = malloc(nout * 4), *din1 = malloc(nin * 4), *din2 = malloc(nin * 4);
        float *dw1 = calloc(nw, 4), *dw2 = calloc(nw, 4), *db1 = calloc(OUT, 4), *db2 = calloc(OUT, 4);
        random_fill(in, nin, &r);
        random_fill(w, nw, &r);
        random_fill(b, OUT, &r);
        random_fill(dout, nout, &r);
        mlp_linear_forward(o1, in, w, b, B, IN, OUT);
        mlp_linear_forward_ref(o2, in, w, b, B, IN, OUT);
        ck_assert_double_lt(max_rel_diff(o1, o2, nout), 1e-5);
        /* twice, to check that backward accumulates */
        for (int rep = 0; rep < 2; rep++) {
            mlp_linear_backward(din1, dw1, db1, dout, in, w, B, IN, OUT);
            mlp_linear_backward_ref(din2, dw2, db2, dout, in, w, B, IN, OUT);
        }
        ck_assert_double_lt(max_rel_diff(dw1, dw2, nw), 1e-5);
        ck_assert_double_lt(max_rel_diff(db1, db2, OUT), 1e-5);
        ck_assert_double_lt(max_rel_diff(din1, din2, nin), 1e-5);
        free(in); free(w); free(b); free(dout); free(o1); free(o2); free(din1); free(din2);
        free(dw1); free(dw2); free(db1); free(db2);
    }
}
END_TEST

/* The chunked step of a one-hidden-layer model against the plain sequence (forward, loss, backward, update):
 * the same gradients and weights up to the order of the logits' sums, for every optimizer, activation and
 * output, on a shape whose last chunk is partial; and the same bits with 1, 2, 3 and 7 threads. */
START_TEST(test_chunked_step_matches_plain_step)
{
    static const struct { int B, IN, H, OUT; mlp_activation act; mlp_output out; mlp_optimizer opt; } cases[] = {
        {256, 64, 512, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_SGD},
        {200, 70, 333, 7, MLP_RELU, MLP_OUT_SIGMOID, MLP_MOMENTUM},
        {300, 40, 400, 3, MLP_TANH, MLP_OUT_SOFTMAX, MLP_ADAM}};
    int threads = omp_get_max_threads();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int B = cases[k].B, IN = cases[k].IN, H = cases[k].H, OUT = cases[k].OUT;
        mlp a, b;
        ck_assert_int_eq(mlp_init(&a, IN, &H, 1, OUT, cases[k].act, cases[k].out, B), 0);
        ck_assert_int_eq(mlp_init(&b, IN, &H, 1, OUT, cases[k].act, cases[k].out, B), 0);
        ck_assert_msg(mlp_step_chunked(&a, B), "case %zu does not take the chunked step", k);
        rng r;
        rng_init(&r, 11 + k, 1);
        mlp_randomize(&a, MLP_INIT_XAVIER, &r);
        random_fill(a.b[0], (size_t)H, &r);
        memcpy(b.params, a.params, a.nparams * sizeof(float));
        float *x = malloc((size_t)B * IN * sizeof(float)), *start = malloc(a.nparams * sizeof(float));
        int *y = malloc((size_t)B * sizeof(int));
        random_fill(x, (size_t)B * IN, &r);
        for (int i = 0; i < B; i++)
            y[i] = (int)(rng_uniform(&r) * OUT);
        if (cases[k].out == MLP_OUT_SIGMOID && OUT == 1)
            for (int i = 0; i < B; i++)
                y[i] &= 1;
        memcpy(start, a.params, a.nparams * sizeof(float));
        float *ma = calloc(a.nparams, sizeof(float)), *va = calloc(a.nparams, sizeof(float));
        float *mb = calloc(a.nparams, sizeof(float)), *vb = calloc(a.nparams, sizeof(float));
        /* Adam's eps well above the gradients' rounding: near g = 0 its first steps are about lr sign(g), where
         * a last-bit difference in a tiny gradient would flip a whole step */
        mlp_update ua = {.kind = cases[k].opt, .lr = 0.05f, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f,
                         .eps = 1e-3f, .c1 = 0.1f, .c2 = 0.001f, .m = ma, .v = va};
        mlp_update ub = ua;
        ub.m = mb, ub.v = vb;
        /* two steps, so that the second starts from updated weights and optimizer state */
        for (int step = 0; step < 2; step++) {
            mlp_train_step(&a, x, y, B, 1.0f / B, &ua);
            mlp_zero_grads(&b);
            mlp_forward(&b, x, B);
            mlp_loss(&b, y, B, 1.0f / B);
            mlp_backward(&b, x, B);
            mlp_update_range(&ub, b.params, b.grads, 0, b.nparams);
            double dl = 0, ml = 1e-30;
            for (int i = 0; i < B; i++) {
                dl = fmax(dl, fabs(a.loss[i] - b.loss[i]));
                ml = fmax(ml, fabs(b.loss[i]));
            }
            ck_assert_msg(dl / ml < 1e-5, "case %zu step %d: losses differ by %g", k, step, dl / ml);
            ck_assert_msg(max_rel_diff(a.grads, b.grads, a.nparams) < 1e-4, "case %zu step %d: gradients differ",
                          k, step);
            ck_assert_msg(max_rel_diff(a.params, b.params, a.nparams) < 1e-5, "case %zu step %d: weights differ",
                          k, step);
        }
        /* the same two steps from the same start leave the same bits with any thread count */
        float *one = malloc(a.nparams * sizeof(float));
        for (int t = 1; t <= 7; t += t == 3 ? 4 : 1) {
            omp_set_num_threads(t);
            memcpy(a.params, start, a.nparams * sizeof(float));
            memset(ma, 0, a.nparams * sizeof(float));
            memset(va, 0, a.nparams * sizeof(float));
            for (int step = 0; step < 2; step++)
                mlp_train_step(&a, x, y, B, 1.0f / B, &ua);
            if (t == 1)
                memcpy(one, a.params, a.nparams * sizeof(float));
            else
                ck_assert_msg(memcmp(one, a.params, a.nparams * sizeof(float)) == 0,
                              "case %zu: the chunked step gives other bits with %d threads", k, t);
        }
        omp_set_num_threads(threads);
        free(one); free(x); free(y); free(start); free(ma); free(va); free(mb); free(vb);
        mlp_free(&a);
        mlp_free(&b);
    }
}
END_TEST

/* The vectorized optimizer updates against their scalar twin, bit for bit: every optimizer with and without weight
 * decay (Adam also at c1 = 1, from step 165), ranges that start off alignment and end in a partial block or vector,
 * three steps so that the moments carry over, and gradients that include zeros, huge, tiny, subnormal, infinite and NaN
 * values. */
START_TEST(test_update_matches_scalar_twin)
{
    enum { N = 1000 };
    static const size_t ranges[][2] = {{0, N}, {3, 517}, {1, 2}, {7, 264}, {0, 0}};
    float p0[N], g[N], p[2][N], m[2][N], v[2][N];
    rng r;
    rng_init(&r, 5, 1);
    random_fill(p0, N, &r);
    random_fill(g, N, &r);
    g[10] = 0, g[11] = 1e30f, g[12] = -1e-30f, g[13] = 1e-40f, g[14] = INFINITY, g[15] = NAN, g[16] = -INFINITY;
    for (int kc = 0; kc < 4; kc++) /* SGD, momentum, Adam, Adam with c1 = 1 (no correction of m) */
        for (int decay = 0; decay < 2; decay++)
            for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
                mlp_optimizer kind = kc < 2 ? (mlp_optimizer)kc : MLP_ADAM;
                for (int t = 0; t < 2; t++) {
                    memcpy(p[t], p0, sizeof p0);
                    memset(m[t], 0, sizeof m[t]);
                    memset(v[t], 0, sizeof v[t]);
                }
                mlp_update u = {.kind = kind, .lr = 0.01f, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f,
                                .eps = 1e-8f, .c1 = kc == 3 ? 1 : 0.1f, .c2 = 0.001f,
                                .weight_decay = decay ? 1e-3f : 0};
                for (int step = 0; step < 3; step++) {
                    u.m = m[0], u.v = v[0];
                    mlp_update_range(&u, p[0], g, ranges[k][0], ranges[k][1]);
                    u.m = m[1], u.v = v[1];
                    mlp_update_range_ref(&u, p[1], g, ranges[k][0], ranges[k][1]);
                }
                ck_assert_msg(memcmp(p[0], p[1], sizeof p0) == 0 && memcmp(m[0], m[1], sizeof p0) == 0 &&
                                  memcmp(v[0], v[1], sizeof p0) == 0,
                              "optimizer %d, decay %d, range %zu: other bits than the scalar twin", kc, decay, k);
            }
}
END_TEST

/* Adam's values, not only its bits: five steps of mlp_update_range and of its twin on parameters from 0 (steps 1 to 3
 * and 400, 401, where c1 is 1 in float), with and without weight decay, against the update computed in double
 * (torch.optim.Adam's formula, the bias corrections 1 - beta^t): each step within 2e-6 of the reference's, so an
 * update off by 1e-4 fails. */
START_TEST(test_adam_step_values)
{
    enum { N = 37 };
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, lr = 0.01f;
    for (int decay = 0; decay < 2; decay++)
        for (int twin = 0; twin < 2; twin++) {
            float p[N] = {0}, m[N] = {0}, v[N] = {0}, g[N];
            double pd[N] = {0}, md[N] = {0}, vd[N] = {0}, wd = decay ? 0.01 : 0;
            static const int steps[] = {1, 2, 3, 400, 401}; /* at 400, c1 = 1 - 0.9^400 is 1 in float */
            for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
                int t = steps[k];
                for (int i = 0; i < N; i++)
                    g[i] = (float)((i % 7 - 3) * 0.3 + 0.05 * (int)k + 0.01 * i); /* 0 .. 1.44, both signs */
                mlp_update u = {.kind = MLP_ADAM, .lr = lr, .beta1 = b1, .beta2 = b2, .eps = eps,
                                .c1 = (float)(1 - pow(b1, t)), .c2 = (float)(1 - pow(b2, t)),
                                .weight_decay = (float)wd, .m = m, .v = v};
                float before[N];
                memcpy(before, p, sizeof p);
                (twin ? mlp_update_range_ref : mlp_update_range)(&u, p, g, 0, N);
                for (int i = 0; i < N; i++) {
                    double gi = g[i] + (double)(float)wd * pd[i];
                    md[i] = b1 * md[i] + (1 - (double)b1) * gi;
                    vd[i] = b2 * vd[i] + (1 - (double)b2) * gi * gi;
                    double step = lr * (md[i] / (1 - pow(b1, t))) / (sqrt(vd[i] / (1 - pow(b2, t))) + eps);
                    pd[i] -= step;
                    double got = (double)before[i] - p[i];
                    ck_assert_msg(fabs(got - step) <= 2e-6 * fabs(step), "decay %d, twin %d, step %d, [%d]: %.9g, "
                                  "reference %.9g", decay, twin, t, i, got, step);
                }
            }
        }
}
END_TEST

/* The softmax loss of every row against log-sum-exp in double from the same float logits, and the prediction
 * against the first largest logit: 2 to 40 classes, spreads from 1e-3 to 80, ties, partial blocks of rows. */
START_TEST(test_softmax_loss_rows)
{
    enum { ROWS = 400 };
    rng r;
    rng_init(&r, 21, 1);
    for (int U = 2; U <= 40; U += U < 18 ? 1 : 11) {
        int hidden = 3;
        mlp net;
        ck_assert_int_eq(mlp_init(&net, 2, &hidden, 1, U, MLP_SIGMOID, MLP_OUT_SOFTMAX, ROWS), 0);
        int y[ROWS];
        float *z = net.a[2];
        for (int i = 0; i < ROWS; i++) {
            double spread = pow(10, -3 + 5 * rng_uniform(&r)) * (i % 7 == 0 ? 80 : 1);
            for (int k = 0; k < U; k++)
                z[i * U + k] = (float)(spread * (2 * rng_uniform(&r) - 1));
            if (i % 5 == 0) /* a tie for the largest logit */
                z[i * U + U - 1] = z[i * U];
            y[i] = (int)(rng_uniform(&r) * U);
        }
        int n = ROWS - U % 16; /* a last, partial block of rows for most class counts */
        mlp_loss(&net, y, n, 0);
        for (int i = 0; i < n; i++) {
            const float *zr = z + i * U;
            int best = 0;
            for (int k = 1; k < U; k++)
                if (zr[k] > zr[best])
                    best = k;
            double s = 0;
            for (int k = 0; k < U; k++)
                s += exp((double)zr[k] - zr[best]);
            double ref = zr[best] + log(s) - zr[y[i]];
            ck_assert_msg(fabs(net.loss[i] - ref) <= 1e-6 * (1 + fabs(zr[best]) + fabs(zr[y[i]])),
                          "%d classes, row %d: loss %.9g, log-sum-exp in double %.9g", U, i, net.loss[i], ref);
            ck_assert_int_eq(net.correct[i], best == y[i]);
        }
        mlp_free(&net);
    }
}
END_TEST

/* mlp_evaluate against mlp_forward then mlp_loss, bit for bit: narrow softmax outputs (its own path on one
 * thread), a sigmoid output and a wide softmax (mlp_forward's), 1-3 hidden layers, row counts that leave partial
 * tiles and blocks, and extreme inputs; on 1 and 2 threads. */
START_TEST(test_evaluate_matches_forward_loss)
{
    enum { ROWS = 300 };
    static const int shapes[][5] = {
        /* inputs, hidden layers, hidden units, outputs, output kind (0 softmax, 1 sigmoid) */
        {64, 1, 128, 10, 0}, {64, 1, 16, 10, 0}, {7, 2, 40, 12, 0}, {5, 3, 33, 3, 0}, {9, 1, 20, 13, 0},
        {6, 1, 24, 4, 1}, {64, 1, 256, 10, 0},
    };
    rng r;
    rng_init(&r, 5, 2);
    int threads = omp_get_max_threads();
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        const int *sh = shapes[c];
        int hidden[3] = {sh[2], sh[2] + 3, sh[2] - 1};
        mlp_output out = sh[4] ? MLP_OUT_SIGMOID : MLP_OUT_SOFTMAX;
        mlp a, b;
        ck_assert_int_eq(mlp_init(&a, sh[0], hidden, sh[1], sh[3], MLP_SIGMOID, out, ROWS), 0);
        ck_assert_int_eq(mlp_init(&b, sh[0], hidden, sh[1], sh[3], MLP_SIGMOID, out, ROWS), 0);
        mlp_randomize(&a, MLP_INIT_NORMAL, &r);
        memcpy(b.params, a.params, a.nparams * sizeof *a.params);
        float *x = malloc((size_t)ROWS * sh[0] * sizeof *x);
        int y[ROWS];
        for (int i = 0; i < ROWS * sh[0]; i++)
            x[i] = (float)((2 * rng_uniform(&r) - 1) * (i % 97 == 0 ? 40 : 2));
        for (int i = 0; i < ROWS; i++)
            y[i] = (int)(rng_uniform(&r) * sh[3]);
        for (int t = 1; t <= 2; t++) {
            omp_set_num_threads(t);
            for (int n = 1; n <= ROWS; n += n < 40 ? 13 : 127) {
                mlp_forward(&a, x, n);
                mlp_loss(&a, y, n, 0);
                /* the narrow path leaves the logits alone: a sentinel there shows it was taken */
                memset(b.a[b.nlayers], 0x7f, (size_t)n * sh[3] * sizeof(float));
                mlp_evaluate(&b, x, y, n);
                static const unsigned char sentinel[4] = {0x7f, 0x7f, 0x7f, 0x7f};
                if (t == 1 && sh[3] <= 12 && !sh[4] && mlp_narrow_rows() >= 16) /* one thread: always narrow */
                    ck_assert_msg(memcmp(b.a[b.nlayers], sentinel, 4) == 0,
                                  "shape %zu, %d rows: the narrow evaluation was not taken", c, n);
                ck_assert_msg(memcmp(a.loss, b.loss, (size_t)n * sizeof *a.loss) == 0 &&
                              memcmp(a.correct, b.correct, (size_t)n) == 0,
                              "shape %zu, %d rows, %d threads: mlp_evaluate differs", c, n, t);
            }
        }
        omp_set_num_threads(threads);
        free(x);
        mlp_free(&a);
        mlp_free(&b);
    }
}
END_TEST

/* A 2-2-2 sigmoid net worked by hand: x = (1, 1), W0 = [[1, -1], [0.5, -0.5]], b0 = 0, so a1 = (0, 0) and
 * h = (0.5, 0.5); W1 = [[2, 0], [0, 2]], b1 = (-1, ln 3 - 1), so z = (0, ln 3). Softmax p = (1/4, 3/4); with
 * label 1 the loss is ln(4/3) and dz = p - e1 = (1/4, -1/4); dW1 = dz h^T = +-1/8; dh = W1^T dz = (1/2, -1/2);
 * da1 = dh * h(1 - h) = (1/8, -1/8); dW0 = da1 x^T. Every number but ln 3 is a binary fraction. */
static void hand_net(mlp *net, mlp_output out)
{
    int hidden = 2;
    ck_assert_int_eq(mlp_init(net, 2, &hidden, 1, 2, MLP_SIGMOID, out, 1), 0);
    const float w0[4] = {1, -1, 0.5f, -0.5f}, w1[4] = {2, 0, 0, 2};
    memcpy(net->w[0], w0, sizeof w0);
    memcpy(net->w[1], w1, sizeof w1);
    net->b[0][0] = net->b[0][1] = 0;
    net->b[1][0] = -1;
    net->b[1][1] = (float)(log(3.0) - 1);
}

START_TEST(test_hand_computed_2_2_2)
{
    mlp net;
    hand_net(&net, MLP_OUT_SOFTMAX);
    const float x[2] = {1, 1};
    const int y = 1;
    mlp_zero_grads(&net);
    mlp_forward(&net, x, 1);
    ck_assert_float_eq(net.h[1][0], 0.5f);
    ck_assert_float_eq(net.h[1][1], 0.5f);
    ck_assert_float_eq_tol(net.a[2][0], 0.0f, 1e-7f);
    ck_assert_float_eq_tol(net.a[2][1], (float)log(3.0), 1e-6f);
    mlp_loss(&net, &y, 1, 1.0f);
    ck_assert_double_eq_tol(net.loss[0], log(4.0 / 3.0), 1e-6);
    ck_assert_int_eq(net.correct[0], 1);
    mlp_backward(&net, x, 1);
    const float gw1[4] = {0.125f, 0.125f, -0.125f, -0.125f}, gb1[2] = {0.25f, -0.25f};
    const float gw0[4] = {0.125f, 0.125f, -0.125f, -0.125f}, gb0[2] = {0.125f, -0.125f};
    for (int i = 0; i < 4; i++) {
        ck_assert_float_eq_tol(net.gw[1][i], gw1[i], 1e-6f);
        ck_assert_float_eq_tol(net.gw[0][i], gw0[i], 1e-6f);
    }
    for (int i = 0; i < 2; i++) {
        ck_assert_float_eq_tol(net.gb[1][i], gb1[i], 1e-6f);
        ck_assert_float_eq_tol(net.gb[0][i], gb0[i], 1e-6f);
    }
    mlp_free(&net);

    /* sigmoid outputs on the same logits: s = (1/2, 3/4), t = (0, 1): loss ln 2 + ln(4/3) = ln(8/3),
     * dz = s - t = (1/2, -1/4) */
    hand_net(&net, MLP_OUT_SIGMOID);
    mlp_forward(&net, x, 1);
    mlp_loss(&net, &y, 1, 1.0f);
    ck_assert_double_eq_tol(net.loss[0], log(8.0 / 3.0), 1e-6);
    ck_assert_float_eq_tol(net.d[2][0], 0.5f, 1e-6f);
    ck_assert_float_eq_tol(net.d[2][1], -0.25f, 1e-6f);
    mlp_free(&net);
}
END_TEST

START_TEST(test_extreme_logits_stay_finite)
{
    /* the logits are set directly: no weights could produce exactly these */
    int hidden = 1;
    for (int out = MLP_OUT_SOFTMAX; out <= MLP_OUT_SIGMOID; out++) {
        mlp net;
        ck_assert_int_eq(mlp_init(&net, 1, &hidden, 1, 3, MLP_RELU, out, 2), 0);
        const float z[6] = {1000, -1000, 0, -1000, 1000, -1000};
        const int y[2] = {1, 1};
        memcpy(net.a[2], z, sizeof z);
        mlp_loss(&net, y, 2, 1.0f);
        for (int r = 0; r < 2; r++) {
            ck_assert(isfinite(net.loss[r]));
            for (int k = 0; k < 3; k++)
                ck_assert(isfinite(net.d[2][r * 3 + k]));
        }
        /* softmax: row 0 misses by 2000, row 1 is right; sigmoid: row 0 pays 1000 + 1000 + ln 2 (the logit
         * at 0), row 1 pays ~0 */
        ck_assert_double_eq_tol(net.loss[0], out == MLP_OUT_SOFTMAX ? 2000 : 2000 + log(2.0), 1e-6);
        ck_assert_double_eq_tol(net.loss[1], 0, 1e-6);
        mlp_free(&net);
    }
}
END_TEST

Suite *mlp_suite(void)
{
    Suite *s = suite_create("mlp");
    TCase *tc = tcase_create("math");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_gradients_all_combinations);
    tcase_add_test(tc, test_kernels_match_plain_twins);
    tcase_add_test(tc, test_chunked_step_matches_plain_step);
    tcase_add_test(tc, test_update_matches_scalar_twin);
    tcase_add_test(tc, test_adam_step_values);
    tcase_add_test(tc, test_softmax_loss_rows);
    tcase_add_test(tc, test_evaluate_matches_forward_loss);
    tcase_add_test(tc, test_hand_computed_2_2_2);
    tcase_add_test(tc, test_extreme_logits_stay_finite);
    suite_add_tcase(s, tc);
    return s;
}
