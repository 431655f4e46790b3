/* The layer kernels of mlp_kernels.c against plain twins that spell out each value's chain of operations (so
 * the comparison is bit for bit), in every way of sharing the work among a team; and the training step on
 * several threads (the units step of multi-layer models) against the same step on one, with the barrier it
 * waits at (team.c). */
#define _GNU_SOURCE /* sched_getaffinity */
#include "mlp_kernels.h"
#include "team.h"
#include "tests.h"
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fill(float *v, size_t n, rng *r)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(2 * rng_uniform(r) - 1);
}

static float act_of(mlp_activation act, float a)
{
    return act == MLP_SIGMOID ? sigmoidf(a) : act == MLP_TANH ? tanhf(a) : a > 0 ? a : 0;
}

/* a = in w^T + b: each value multiply-adds from 0 in input order, then the bias; h = act(a) */
static void forward_twin(float *a, float *h, mlp_activation act, const float *in, const float *w, const float *b,
                         int B, int IN, int OUT)
{
    for (int r = 0; r < B; r++)
        for (int o = 0; o < OUT; o++) {
            float s = 0;
            for (int k = 0; k < IN; k++)
                s = MADD(in[r * IN + k], w[o * IN + k], s);
            a[r * OUT + o] = s + b[o];
            if (h)
                h[r * OUT + o] = act_of(act, s + b[o]);
        }
}

/* dw (+)= dout^T in and db (+)= column sums of dout, each a chain over the samples in order */
static void weights_twin(float *dw, float *db, const float *dout, const float *in, int B, int IN, int OUT, int acc)
{
    for (int o = 0; o < OUT; o++) {
        for (int i = 0; i < IN; i++) {
            float s = acc ? dw[o * IN + i] : 0;
            for (int r = 0; r < B; r++)
                s = MADD(dout[r * OUT + o], in[r * IN + i], s);
            dw[o * IN + i] = s;
        }
        float s = acc ? db[o] : 0;
        for (int r = 0; r < B; r++)
            s += dout[r * OUT + o];
        db[o] = s;
    }
}

/* din = dout w, times act'(a) from h = act(a) */
static void input_twin(float *din, const float *a, const float *h, mlp_activation act, const float *dout,
                       const float *w, int B, int IN, int OUT)
{
    for (int r = 0; r < B; r++)
        for (int i = 0; i < IN; i++) {
            float s = 0;
            for (int o = 0; o < OUT; o++)
                s = MADD(dout[r * OUT + o], w[o * IN + i], s);
            size_t at = (size_t)r * IN + i;
            din[at] = act == MLP_SIGMOID ? s * (h[at] * (1 - h[at]))
                    : act == MLP_TANH    ? s * (1 - h[at] * h[at])
                                         : s * (a[at] > 0 ? 1.0f : 0.0f);
        }
}

static int same(const float *x, const float *y, size_t n) { return memcmp(x, y, n * sizeof *x) == 0; }

/* A layer's inputs and what its twins make of them: logits, activations, input gradient, and the weight gradient
 * overwriting (dw0, db0) and added to a start (dws, dbs) (dwa, dba). */
typedef struct lcase {
    int B, IN, OUT, acc;
    mlp_activation act;
    float *in, *ha, *w, *b, *dout, *a0, *h0, *din0, *dw0, *db0, *dws, *dbs, *dwa, *dba;
} lcase;

/* The kernels in one sharing mode on t threads against the twins. */
static void check_mode(const lcase *c, int mode, int t)
{
    int B = c->B, IN = c->IN, OUT = c->OUT, acc = c->acc;
    size_t nin = (size_t)B * IN, nout = (size_t)B * OUT, nw = (size_t)IN * OUT;
    float *a1 = malloc(nout * 4), *h1 = malloc(nout * 4), *din1 = malloc(nin * 4), *dw1 = malloc(nw * 4);
    float *db1 = malloc(OUT * 4);
    memset(a1, 0xff, nout * 4);
    memset(h1, 0xff, nout * 4);
    memset(din1, 0xff, nin * 4);
    memcpy(dw1, c->dws, nw * 4);
    memcpy(db1, c->dbs, OUT * 4);
    #pragma omp parallel num_threads(t)
    {
        if (mode != MLP_TEAM_INS)
            mlp_forward_layer(a1, h1, c->act, c->in, c->w, c->b, B, IN, OUT, mode);
        if (mode != MLP_TEAM_OUTS) {
            mlp_backward_input(din1, c->in, c->ha, c->act, c->dout, c->w, B, IN, OUT, mode);
            #pragma omp barrier
        }
        mlp_backward_weights(dw1, db1, c->dout, c->in, B, IN, OUT, mode, acc);
    }
    if (mode != MLP_TEAM_INS)
        ck_assert_msg(same(c->a0, a1, nout) && same(c->h0, h1, nout), "%dx%dx%d, mode %d, %d threads: forward differs",
                      B, IN, OUT, mode, t);
    if (mode != MLP_TEAM_OUTS)
        ck_assert_msg(same(c->din0, din1, nin), "%dx%dx%d, mode %d, %d threads: input gradient differs", B, IN, OUT,
                      mode, t);
    ck_assert_msg(same(acc ? c->dwa : c->dw0, dw1, nw) && same(acc ? c->dba : c->db0, db1, OUT),
                  "%dx%dx%d, mode %d, %d threads, acc %d: weight gradient differs", B, IN, OUT, mode, t, acc);
    free(a1); free(h1); free(din1); free(dw1); free(db1);
}

/* mlp_backward_weights_update against the weight twin then the scalar update twin, on the layer's parameters laid out
 * as in the model (weights, then biases): bias gradients, parameters and optimizer state bit for bit, for SGD, momentum
 * and Adam (c1 below 1, and 1), with and without weight decay, from c's dout and from a copy of it with NaN and
 * infinities; on the calling thread, and by each thread's share of the outputs and of the inputs on 1 to 3 threads. */
static void check_fold(const lcase *c, rng *r)
{
    int B = c->B, IN = c->IN, OUT = c->OUT;
    size_t nw = (size_t)IN * OUT, np = nw + (size_t)OUT, nout = (size_t)B * OUT;
    float *p0 = malloc(np * 4), *m0 = malloc(np * 4), *v0 = malloc(np * 4), *g = malloc(np * 4), *p1 = malloc(np * 4);
    float *m1 = malloc(np * 4), *v1 = malloc(np * 4), *p2 = malloc(np * 4), *m2 = malloc(np * 4);
    float *v2 = malloc(np * 4), *dw = malloc(nw * 4), *db = malloc(OUT * 4), *bad = malloc(nout * 4);
    fill(p0, np, r);
    fill(m0, np, r);
    fill(v0, np, r);
    for (size_t i = 0; i < np; i++)
        v0[i] = fabsf(v0[i]); /* Adam's second moment is never negative */
    memcpy(bad, c->dout, nout * 4);
    bad[0] = NAN, bad[nout / 2] = INFINITY, bad[nout - 1] = -INFINITY;
    /* Adam with c1 = 1 too: its loops without the first moment's correction */
    static const struct { mlp_optimizer kind; float wd, c1; } opts[] = {
        {MLP_SGD, 0, 0}, {MLP_SGD, 1e-3f, 0}, {MLP_MOMENTUM, 0, 0}, {MLP_MOMENTUM, 1e-3f, 0}, {MLP_ADAM, 0, 0.19f},
        {MLP_ADAM, 1e-3f, 0.19f}, {MLP_ADAM, 0, 1}, {MLP_ADAM, 1e-3f, 1}};
    for (int nan = 0; nan < 2; nan++) {
        const float *dout = nan ? bad : c->dout;
        weights_twin(g, g + nw, dout, c->in, B, IN, OUT, 0);
        for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++) {
            mlp_update u = {.kind = opts[o].kind, .lr = 0.1f, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f,
                            .eps = 1e-8f, .c1 = opts[o].c1, .c2 = 0.002f, .weight_decay = opts[o].wd, .m = m1, .v = v1};
            int state = u.kind != MLP_SGD, adam = u.kind == MLP_ADAM;
            memcpy(p1, p0, np * 4), memcpy(m1, m0, np * 4), memcpy(v1, v0, np * 4);
            mlp_update_range_ref(&u, p1, g, 0, np);
            static const int modes[] = {MLP_SERIAL, MLP_TEAM_OUTS, MLP_TEAM_INS};
            for (int k = 0; k < 3; k++)
                for (int t = 1; t <= (modes[k] == MLP_SERIAL ? 1 : 3); t++) {
                    memcpy(p2, p0, np * 4), memcpy(m2, m0, np * 4), memcpy(v2, v0, np * 4);
                    memset(dw, 0xff, nw * 4);
                    memset(db, 0xff, OUT * 4);
                    mlp_fold f = {.u = &u, .w = p2, .b = p2 + nw, .mw = state ? m2 : NULL,
                                  .mb = state ? m2 + nw : NULL, .vw = adam ? v2 : NULL, .vb = adam ? v2 + nw : NULL};
                    #pragma omp parallel num_threads(t)
                    mlp_backward_weights_update(dw, db, dout, c->in, B, IN, OUT, modes[k], &f);
                    ck_assert_msg(same(db, g + nw, OUT) && same(p1, p2, np) && same(m1, m2, np) &&
                                      same(v1, v2, np),
                                  "%dx%dx%d, update %zu, nan %d, mode %d, %d threads: bias gradients, parameters or "
                                  "state differ", B, IN, OUT, o, nan, modes[k], t);
                }
            if (!mlp_transposed_shape(B, IN, OUT))
                continue;
            /* the same with the weights and their state transposed (IN, OUT), put back for the comparison */
            float *all[3][2] = {{p0, p2}, {m0, m2}, {v0, v2}};
            for (int i = 0; i < 3; i++) {
                mlp_transpose(all[i][1], all[i][0], OUT, IN);
                memcpy(all[i][1] + nw, all[i][0] + nw, (size_t)OUT * 4);
            }
            memset(db, 0xff, OUT * 4);
            mlp_fold f = {.u = &u, .w = p2, .b = p2 + nw, .mw = state ? m2 : NULL, .mb = state ? m2 + nw : NULL,
                          .vw = adam ? v2 : NULL, .vb = adam ? v2 + nw : NULL};
            mlp_backward_weights_update_t(db, dout, c->in, B, IN, OUT, &f);
            for (int i = 0; i < 3; i++) {
                mlp_transpose(dw, all[i][1], IN, OUT);
                memcpy(all[i][1], dw, nw * 4);
            }
            ck_assert_msg(same(db, g + nw, OUT) && same(p1, p2, np) && same(m1, m2, np) && same(v1, v2, np),
                          "%dx%dx%d, update %zu, nan %d, transposed: bias gradients, parameters or state differ", B,
                          IN, OUT, o, nan);
        }
    }
    free(p0); free(m0); free(v0); free(g); free(p1); free(m1); free(v1); free(p2); free(m2); free(v2); free(dw);
    free(db); free(bad);
}

/* mlp_forward_layer_t, from the weights transposed, against the forward twin, where the shape allows it (with a
 * zero-padded copy of a last, narrower block of outputs). */
static int check_forward_t(const lcase *c)
{
    int B = c->B, IN = c->IN, OUT = c->OUT;
    size_t nout = (size_t)B * OUT, nw = (size_t)IN * OUT;
    if (!mlp_transposed_shape(B, IN, OUT))
        return 0;
    float *wt = malloc(nw * 4), *a1 = malloc(nout * 4), *h1 = malloc(nout * 4);
    mlp_transpose(wt, c->w, OUT, IN);
    memset(a1, 0xff, nout * 4);
    memset(h1, 0xff, nout * 4);
    mlp_forward_layer_t(a1, h1, c->act, c->in, wt, c->b, B, IN, OUT);
    ck_assert_msg(same(c->a0, a1, nout) && same(c->h0, h1, nout), "%dx%dx%d: forward from the transpose differs", B,
                  IN, OUT);
    memset(a1, 0xff, nout * 4);
    mlp_forward_layer_t(a1, NULL, c->act, c->in, wt, c->b, B, IN, OUT);
    ck_assert_msg(same(c->a0, a1, nout), "%dx%dx%d: forward from the transpose differs without h", B, IN, OUT);
    free(wt); free(a1); free(h1);
    return 1;
}

/* mlp_forward_narrow's transposed logits against the forward twin's, TN rows at a time. */
static void check_narrow(const lcase *c)
{
    int ld = mlp_narrow_rows(), IN = c->IN, OUT = c->OUT;
    float *zt = malloc((size_t)MLP_NARROW_OUT * ld * 4);
    for (int r0 = 0; r0 < c->B; r0 += ld) {
        int nr = c->B - r0 < ld ? c->B - r0 : ld;
        mlp_forward_narrow(zt, c->in + (size_t)r0 * IN, c->w, c->b, nr, IN, OUT);
        for (int i = 0; i < nr; i++)
            for (int o = 0; o < OUT; o++)
                ck_assert_msg(memcmp(&zt[o * ld + i], &c->a0[(r0 + i) * OUT + o], 4) == 0,
                              "%dx%dx%d: narrow logit (%d, %d) differs", c->B, IN, OUT, r0 + i, o);
    }
    free(zt);
}

/* Every kernel in every sharing mode (serial, MLP_TEAM, MLP_TEAM_OUTS, MLP_TEAM_INS on 1, 2 and 3 threads) gives
 * its twin's bits, mlp_forward_narrow gives the forward twin's logits transposed and mlp_backward_weights_update
 * the twins' gradients and update (SGD, momentum, Adam), as do the kernels of a first layer kept transposed
 * (mlp_forward_layer_t, mlp_backward_weights_update_t) where the shape allows: narrow and wide layers,
 * widths that are no multiple of a tile, more threads than groups, and panels of more than 256 inputs. */
START_TEST(test_kernels_match_bitwise_twins)
{
    static const int shapes[][3] = {{1, 1, 1},   {5, 13, 7},    {32, 64, 128}, {32, 128, 10}, {17, 100, 3},
                                    {30, 70, 12}, {64, 300, 95}, {9, 513, 40},  {40, 33, 257},
                                    {300, 40, 37}, {7, 45, 50},    {3, 20, 33},   {256, 64, 48}};
    static const int modes[] = {MLP_SERIAL, MLP_TEAM, MLP_TEAM_OUTS, MLP_TEAM_INS};
    int transposed = 0; /* shapes the transposed first layer takes */
    rng r;
    rng_init(&r, 41, 1);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int B = shapes[s][0], IN = shapes[s][1], OUT = shapes[s][2];
        size_t nin = (size_t)B * IN, nout = (size_t)B * OUT, nw = (size_t)IN * OUT;
        lcase c = {.B = B, .IN = IN, .OUT = OUT, .act = (mlp_activation)(s % 3), .in = malloc(nin * 4),
                   .ha = malloc(nin * 4), .w = malloc(nw * 4), .b = malloc(OUT * 4), .dout = malloc(nout * 4),
                   .a0 = malloc(nout * 4), .h0 = malloc(nout * 4), .din0 = malloc(nin * 4), .dw0 = malloc(nw * 4),
                   .db0 = malloc(OUT * 4), .dws = malloc(nw * 4), .dbs = malloc(OUT * 4), .dwa = malloc(nw * 4),
                   .dba = malloc(OUT * 4)};
        fill(c.in, nin, &r);
        fill(c.w, nw, &r);
        fill(c.b, OUT, &r);
        fill(c.dout, nout, &r);
        fill(c.dws, nw, &r);
        fill(c.dbs, OUT, &r);
        for (size_t i = 0; i < nin; i++)
            c.ha[i] = act_of(c.act, c.in[i]);
        forward_twin(c.a0, c.h0, c.act, c.in, c.w, c.b, B, IN, OUT);
        input_twin(c.din0, c.in, c.ha, c.act, c.dout, c.w, B, IN, OUT);
        weights_twin(c.dw0, c.db0, c.dout, c.in, B, IN, OUT, 0);
        memcpy(c.dwa, c.dws, nw * 4);
        memcpy(c.dba, c.dbs, OUT * 4);
        weights_twin(c.dwa, c.dba, c.dout, c.in, B, IN, OUT, 1);
        for (c.acc = 0; c.acc < 2; c.acc++)
            for (int m = 0; m < 4; m++)
                for (int t = 1; t <= (modes[m] == MLP_SERIAL ? 1 : 3); t++)
                    check_mode(&c, modes[m], t);
        if (OUT <= MLP_NARROW_OUT)
            check_narrow(&c);
        transposed += check_forward_t(&c);
        check_fold(&c, &r);
        free(c.in); free(c.ha); free(c.w); free(c.b); free(c.dout); free(c.a0); free(c.h0); free(c.din0);
        free(c.dw0); free(c.db0); free(c.dws); free(c.dbs); free(c.dwa); free(c.dba);
    }
    /* the layers of more than 16 outputs but the 300-row batch (over one panel): whole blocks, a padded last
     * block, a last block one vector wide, padded or not */
    ck_assert_int_ge(transposed, 7); /* more where a tile is narrower than 32 floats */
}
END_TEST

/* A model and optimizer of the step tests below. */
typedef struct step_case {
    int B, nh, h[3], OUT;
    mlp_activation act;
    mlp_output out;
    mlp_optimizer opt;
} step_case;

/* Case k of the step tests on IN inputs: net with weights drawn (Xavier) from a stream seeded seed, ref a copy of it,
 * then from the same stream a batch x (B, IN) and its labels y; returns the step's update (every other case with
 * weight decay), whose optimizer state m and v the caller sets. */
static mlp_update step_setup(const step_case *c, size_t k, int IN, uint64_t seed, mlp *net, mlp *ref, float *x, int *y)
{
    ck_assert_int_eq(mlp_init(net, IN, c->h, c->nh, c->OUT, c->act, c->out, c->B), 0);
    ck_assert_int_eq(mlp_init(ref, IN, c->h, c->nh, c->OUT, c->act, c->out, c->B), 0);
    rng r;
    rng_init(&r, seed, 1);
    mlp_randomize(net, MLP_INIT_XAVIER, &r);
    memcpy(ref->params, net->params, net->nparams * 4);
    fill(x, (size_t)c->B * IN, &r);
    for (int i = 0; i < c->B; i++)
        y[i] = (int)(rng_uniform(&r) * (c->OUT == 1 ? 2 : c->OUT));
    return (mlp_update){.kind = c->opt, .lr = 0.05f, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-3f,
                        .c1 = 0.1f, .c2 = 0.001f, .weight_decay = k % 2 ? 1e-3f : 0};
}

/* Training steps of multi-layer models (the units step on 2 or more threads where every hidden layer has units
 * for each thread, the team step elsewhere) give the same bits as on one thread, and on one thread the same bits
 * as the plain sequence (forward, loss, backward, update) whose loss reads the logits by rows: parameters,
 * optimizer state, losses and predictions, over three steps; with and without weight decay, and a batch longer than
 * one 256-row panel. */
START_TEST(test_multilayer_step_any_threads)
{
    static const step_case cases[] = {
        {64, 2, {256, 256}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_SGD},
        {128, 3, {256, 256, 256}, 10, MLP_RELU, MLP_OUT_SOFTMAX, MLP_MOMENTUM},
        {77, 2, {300, 170}, 1, MLP_TANH, MLP_OUT_SIGMOID, MLP_ADAM},
        {100, 3, {200, 90, 250}, 13, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_ADAM},
        {50, 2, {600, 40}, 4, MLP_RELU, MLP_OUT_SOFTMAX, MLP_SGD},
        {32, 1, {128}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_SGD},
        {32, 1, {128}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_MOMENTUM},
        {32, 1, {128}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_ADAM},
        {50, 2, {100, 40}, 3, MLP_TANH, MLP_OUT_SOFTMAX, MLP_ADAM},
        {300, 3, {256, 128, 64}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_MOMENTUM}};
    int threads = omp_get_max_threads(), IN = 64;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int B = cases[c].B;
        mlp net, ref;
        float *x = malloc((size_t)B * IN * 4);
        int *y = malloc((size_t)B * sizeof(int));
        mlp_update u = step_setup(&cases[c], c, IN, 51 + c, &net, &ref, x, y);
        size_t np = net.nparams;
        float *start = malloc(np * 4), *one = malloc(np * 4);
        float *m = calloc(np, 4), *v = calloc(np, 4), *mr = calloc(np, 4), *vr = calloc(np, 4);
        float *m1 = malloc(np * 4), *v1 = malloc(np * 4);
        unsigned char *ok1 = malloc((size_t)B);
        double *loss1 = malloc((size_t)B * sizeof(double));
        memcpy(start, net.params, np * 4);
        u.m = m, u.v = v;
        mlp_update ur = u;
        ur.m = mr, ur.v = vr;
        for (int t = 1; t <= 4; t++) {
            omp_set_num_threads(t);
            memcpy(net.params, start, np * 4);
            memset(m, 0, np * 4);
            memset(v, 0, np * 4);
            /* the first two cases take the units step with a narrow softmax on a team: the logits stay in the tiles
             * of narrow_rows, as on one thread, so a[nlayers] keeps what was there */
            size_t nz = (size_t)B * cases[c].OUT;
            memset(net.a[net.nlayers], 0x7f, nz * sizeof(float));
            for (int step = 0; step < 3; step++)
                mlp_train_step(&net, x, y, B, 1.0f / B, &u);
            for (size_t i = 0; c < 2 && i < nz; i++)
                ck_assert_msg(((unsigned char *)net.a[net.nlayers])[i * sizeof(float)] == 0x7f,
                              "case %zu, %d threads: the step wrote the logits", c, t);
            if (t == 1) {
                memcpy(one, net.params, np * 4);
                memcpy(m1, m, np * 4);
                memcpy(v1, v, np * 4);
                memcpy(loss1, net.loss, (size_t)B * sizeof(double));
                memcpy(ok1, net.correct, (size_t)B);
                continue;
            }
            ck_assert_msg(same(one, net.params, np) && same(m1, m, np) && same(v1, v, np) &&
                              memcmp(loss1, net.loss, (size_t)B * sizeof(double)) == 0 &&
                              memcmp(ok1, net.correct, (size_t)B) == 0,
                          "case %zu: other bits with %d threads", c, t);
        }
        /* the plain sequence on one thread */
        omp_set_num_threads(1);
        memcpy(ref.params, start, np * 4);
        for (int step = 0; step < 3; step++) {
            mlp_forward(&ref, x, B);
            mlp_loss(&ref, y, B, 1.0f / B);
            mlp_zero_grads(&ref);
            mlp_backward(&ref, x, B);
            mlp_update_range(&ur, ref.params, ref.grads, 0, np);
        }
        ck_assert_msg(same(one, ref.params, np) && same(m1, mr, np) &&
                          memcmp(loss1, ref.loss, (size_t)B * sizeof(double)) == 0 &&
                          memcmp(ok1, ref.correct, (size_t)B) == 0,
                      "case %zu: the step differs from the plain sequence", c);
        omp_set_num_threads(threads);
        free(x); free(start); free(one); free(m); free(v); free(mr); free(vr); free(m1); free(v1); free(loss1);
        free(ok1);
        free(y);
        mlp_free(&net);
        mlp_free(&ref);
    }
}
END_TEST

/* Steps with the first layer kept transposed (mlp_steps_begin) give the bits of the same steps without: parameters,
 * optimizer state, losses and predictions, for every optimizer with and without weight decay, narrow, wide and
 * partial blocks of hidden units, deeper models, a batch of one row, a batch over one panel and a first layer of 16
 * units (which keep the usual layout where a tile is 32 floats wide) and batches of several sizes in turn; an
 * evaluation between steps, and a step on two threads (another path for the larger models), put the layout back and
 * the next step transposes it again. The layout is checked to be transposed after a
 * step where the shape allows it, so the test does exercise that path. */
START_TEST(test_transposed_first_layer_same_bits)
{
    static const step_case cases[] = {
        {32, 1, {128}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_SGD},
        {32, 1, {128}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_MOMENTUM},
        {32, 1, {128}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_ADAM},
        {7, 1, {48}, 10, MLP_RELU, MLP_OUT_SOFTMAX, MLP_ADAM},
        {1, 1, {100}, 3, MLP_TANH, MLP_OUT_SIGMOID, MLP_MOMENTUM},
        {64, 2, {256, 256}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_SGD},
        {50, 2, {40, 37}, 1, MLP_TANH, MLP_OUT_SIGMOID, MLP_ADAM},
        {80, 1, {1000}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_SGD}, /* below the chunked step's work */
        {300, 1, {64}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_MOMENTUM},
        {32, 1, {16}, 10, MLP_SIGMOID, MLP_OUT_SOFTMAX, MLP_ADAM}};
    int threads = omp_get_max_threads(), IN = 37;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int B = cases[c].B;
        mlp net, ref;
        float *x = malloc((size_t)B * IN * 4);
        int *y = malloc((size_t)B * sizeof(int));
        mlp_update u = step_setup(&cases[c], c, IN, 91 + c, &net, &ref, x, y);
        size_t np = net.nparams;
        float *m = calloc(np, 4), *v = calloc(np, 4), *mr = calloc(np, 4), *vr = calloc(np, 4);
        u.m = m, u.v = v;
        mlp_update ur = u;
        ur.m = mr, ur.v = vr;
        int allowed = mlp_transposed_shape(B, IN, cases[c].h[0]);
        size_t last = sizeof cases / sizeof cases[0] - 1; /* the 16 units are transposed where tiles are narrower */
        ck_assert_int_eq(allowed, c + 1 < last || (c == last && allowed));
        omp_set_num_threads(1);
        mlp_steps_begin(&net);
        /* steps of B rows, then B - 1 (or 1), an evaluation, a step on two threads and two more on one */
        static const int plan[] = {0, 0, 1, 2, 3, 0, 0};
        for (size_t s = 0; s < sizeof plan / sizeof plan[0]; s++) {
            int n = plan[s] == 1 && B > 1 ? B - 1 : B;
            if (plan[s] == 2) {
                mlp_evaluate(&net, x, y, B);
                mlp_evaluate(&ref, x, y, B);
                ck_assert_msg(!net.t_live && memcmp(net.loss, ref.loss, (size_t)B * sizeof(double)) == 0,
                              "case %zu: the evaluation between steps differs", c);
                continue;
            }
            omp_set_num_threads(plan[s] == 3 ? 2 : 1);
            mlp_train_step(&net, x, y, n, 1.0f / n, &u);
            mlp_train_step(&ref, x, y, n, 1.0f / n, &ur);
            if (plan[s] == 3 && c == 5) /* 64-256-256 on two threads: the units step */
                ck_assert(!net.t_live);
            if (plan[s] != 3)
                ck_assert_msg(net.t_live == allowed, "case %zu step %zu: the first layer is %s", c, s,
                              net.t_live ? "transposed" : "not transposed");
            ck_assert_msg(memcmp(net.loss, ref.loss, (size_t)n * sizeof(double)) == 0 &&
                              memcmp(net.correct, ref.correct, (size_t)n) == 0,
                          "case %zu step %zu: losses differ", c, s);
        }
        omp_set_num_threads(1);
        mlp_steps_end(&net);
        ck_assert_msg(!net.t_live && same(net.params, ref.params, np) && same(m, mr, np) && same(v, vr, np),
                      "case %zu: parameters or optimizer state differ", c);
        /* after mlp_steps_end, a step keeps the usual layout */
        mlp_train_step(&net, x, y, B, 1.0f / B, &u);
        ck_assert(!net.t_live);
        omp_set_num_threads(threads);
        free(x); free(m); free(v); free(mr); free(vr); free(y);
        mlp_free(&net);
        mlp_free(&ref);
    }
}
END_TEST

/* rows random rows of in features (malloc'ed) with labels in Y (below out) and order a shuffle of 0..rows-1, drawn from
 * seed. */
static float *shuffled_rows(uint64_t seed, int rows, int in, int out, int *Y, int *order)
{
    rng r;
    rng_init(&r, seed, 3);
    float *X = malloc((size_t)rows * in * 4);
    ck_assert_ptr_nonnull(X);
    fill(X, (size_t)rows * in, &r);
    for (int i = 0; i < rows; i++)
        Y[i] = (int)(rng_uniform(&r) * out), order[i] = i;
    rng_shuffle(&r, order, rows);
    return X;
}

/* mlp_train_rows (each thread of a chunked or units step gathers its own copy of the batch) gives the same bits on
 * 1 to 4 threads: a units-step model, a chunked one and one that stays serial, three steps over shuffled rows of a
 * larger X. */
START_TEST(test_train_rows_any_threads)
{
    /* the last field: 1 where the step of several threads gives each its own copy (units, chunked) */
    static const struct { int nh, h[2], B, copies; } cases[] = {
        {2, {256, 256}, 64, 1}, {1, {512, 0}, 256, 1}, {1, {128, 0}, 32, 0}};
    enum { ROWS = 1000, IN = 64, OUT = 10 }; /* 3 steps of the largest batch */
    int threads = omp_get_max_threads();
    rng r;
    int Y[ROWS], order[ROWS];
    float *X = shuffled_rows(77, ROWS, IN, OUT, Y, order);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int B = cases[c].B;
        float *start = NULL, *one = NULL;
        for (int t = 1; t <= 4; t++) {
            mlp net;
            ck_assert_int_eq(mlp_init(&net, IN, cases[c].h, cases[c].nh, OUT, MLP_SIGMOID, MLP_OUT_SOFTMAX, B), 0);
            omp_set_num_threads(1); /* mlp_reserve decides by its threads argument, not the caller's count */
            ck_assert_int_eq(mlp_reserve(&net, t, B), 0);
            ck_assert_int_eq(net.xthreads, cases[c].copies && t > 1 ? t : 1);
            size_t np = net.nparams;
            if (!start) {
                rng_init(&r, 78 + c, 1);
                mlp_randomize(&net, MLP_INIT_XAVIER, &r);
                start = malloc(np * 4), one = malloc(np * 4);
                memcpy(start, net.params, np * 4);
            }
            memcpy(net.params, start, np * 4);
            omp_set_num_threads(t);
            mlp_update u = {.kind = MLP_SGD, .lr = 0.1f};
            for (int step = 0; step < 3; step++)
                mlp_train_rows(&net, X, Y, order + step * B, B, 1.0f / B, &u);
            if (t == 1)
                memcpy(one, net.params, np * 4);
            else
                ck_assert_msg(same(one, net.params, np), "case %zu: other bits with %d threads", c, t);
            mlp_free(&net);
        }
        omp_set_num_threads(threads);
        free(start);
        free(one);
    }
    free(X);
}
END_TEST

/* mlp_train_rows_run's after(): records each step's loss (complete when after runs), halves the rate for the next
 * step, and ends the run after stop_after steps (0: never). */
typedef struct run_log {
    mlp *net;
    int n, calls, stop_after, nulls;
    double loss[4];
} run_log;

static int log_after(void *ctx, mlp_update *next)
{
    run_log *g = ctx;
    double sum = 0;
    for (int i = 0; i < g->n; i++)
        sum += g->net->loss[i];
    ck_assert_msg(g->calls < 4, "after() called more often than the steps");
    g->loss[g->calls++] = sum;
    g->nulls += next == NULL;
    if (g->calls == g->stop_after || !next)
        return 0;
    next->lr *= 0.5f;
    return 1;
}

/* mlp_train_rows_run (one team for all its steps where they take one) gives the bits of mlp_train_rows step by step
 * on 1 to 4 threads, for a units-step model, a chunked one and one that stays serial: the same parameters and
 * losses, after() called once per step with the next update (NULL after the last), and a run that after() ends
 * early takes exactly the steps before. */
START_TEST(test_train_rows_run_same_bits)
{
    static const struct { int nh, h[2], B; } cases[] = {{2, {256, 256}, 64}, {1, {512, 0}, 256}, {1, {128, 0}, 32}};
    enum { ROWS = 1000, IN = 64, OUT = 10, STEPS = 3 };
    int threads = omp_get_max_threads();
    rng r;
    int Y[ROWS], order[ROWS];
    float *X = shuffled_rows(79, ROWS, IN, OUT, Y, order);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int B = cases[c].B;
        for (int t = 1; t <= 4; t++)
            for (int stop_after = 0; stop_after <= 2; stop_after++) {
                mlp net, ref;
                ck_assert_int_eq(mlp_init(&net, IN, cases[c].h, cases[c].nh, OUT, MLP_SIGMOID, MLP_OUT_SOFTMAX, B), 0);
                ck_assert_int_eq(mlp_init(&ref, IN, cases[c].h, cases[c].nh, OUT, MLP_SIGMOID, MLP_OUT_SOFTMAX, B), 0);
                omp_set_num_threads(1);
                ck_assert_int_eq(mlp_reserve(&net, t, B), 0);
                ck_assert_int_eq(mlp_reserve(&ref, t, B), 0);
                rng_init(&r, 80 + c, 1);
                mlp_randomize(&net, MLP_INIT_XAVIER, &r);
                memcpy(ref.params, net.params, net.nparams * 4);
                omp_set_num_threads(t);
                int want = stop_after ? stop_after : STEPS;
                double loss[STEPS];
                mlp_update u = {.kind = MLP_SGD, .lr = 0.1f};
                for (int step = 0; step < want; step++, u.lr *= 0.5f) {
                    mlp_train_rows(&ref, X, Y, order + step * B, B, 1.0f / B, &u);
                    loss[step] = 0;
                    for (int i = 0; i < B; i++)
                        loss[step] += ref.loss[i];
                }
                run_log g = {.net = &net, .n = B, .stop_after = stop_after};
                u.lr = 0.1f;
                int taken = mlp_train_rows_run(&net, X, Y, order, B, STEPS, 1.0f / B, &u, log_after, &g);
                ck_assert_msg(taken == want && g.calls == want && g.nulls == (stop_after ? 0 : 1),
                              "case %zu, %d threads: %d steps taken, %d calls, %d without a next step", c, t, taken,
                              g.calls, g.nulls);
                for (int step = 0; step < want; step++)
                    ck_assert_msg(g.loss[step] == loss[step], "case %zu, %d threads: step %d's loss differs", c, t,
                                  step);
                ck_assert_msg(same(ref.params, net.params, net.nparams), "case %zu, %d threads: other bits", c, t);
                mlp_free(&net);
                mlp_free(&ref);
            }
        omp_set_num_threads(threads);
    }
    free(X);
}
END_TEST

/* A chunked step on one thread taken by each thread of a team of two, each on its own model, straight from the team
 * and from a nested team of one (as a fused group's runs are): the step's loops and barriers are its own, not the
 * outer team's, and each gives the bits of a step alone. */
START_TEST(test_chunked_step_inside_a_team)
{
    enum { IN = 64, H = 512, OUT = 10, B = 256 };
    int hidden[1] = {H}, threads = omp_get_max_threads(), Y[B], order[B];
    float *X = shuffled_rows(81, B, IN, OUT, Y, order);
    mlp nets[5];
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(mlp_init(&nets[i], IN, hidden, 1, OUT, MLP_SIGMOID, MLP_OUT_SOFTMAX, B), 0);
        rng r;
        rng_init(&r, 82, 1);
        mlp_randomize(&nets[i], MLP_INIT_XAVIER, &r);
    }
    ck_assert(mlp_step_chunked(&nets[0], B));
    mlp_update u = {.kind = MLP_SGD, .lr = 0.1f};
    omp_set_num_threads(1);
    mlp_train_step(&nets[2], X, Y, B, 1.0f / B, &u);
    int team = 0;
    #pragma omp parallel num_threads(2)
    {
        int t = omp_get_thread_num();
        #pragma omp atomic
        team += omp_get_num_threads();
        omp_set_num_threads(1);
        mlp_train_step(&nets[t], X, Y, B, 1.0f / B, &u);
        #pragma omp parallel num_threads(1)
        mlp_train_step(&nets[3 + t], X, Y, B, 1.0f / B, &u);
    }
    omp_set_num_threads(threads);
    ck_assert_msg(team == 4, "the team has %d threads, not 2 (OMP_DYNAMIC or a thread limit?)", team / 2);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(i == 2 || same(nets[2].params, nets[i].params, nets[2].nparams),
                      "the team's thread %d%s: other bits", i % 3, i > 2 ? " in its team of one" : "");
    for (int i = 0; i < 5; i++)
        mlp_free(&nets[i]);
    free(X);
}
END_TEST

/* The forward pass's sigmoid (vectorised by hand where the host has AVX-512) gives sigmoidf's bits for a million
 * floats spread over every exponent, both signs, and the edges: zeros, infinities, NaNs, subnormals, the values
 * around exp_nonpos' cut-off of -87 and where the exp underflows. Each row's input reaches its logits unchanged
 * (weight 1, bias 0) and is compared with sigmoidf of the logit the kernel wrote. */
START_TEST(test_sigmoid_matches_scalar_over_floats)
{
    enum { ROWS = 1 << 15, OUT = 24 }; /* a block and a half of outputs: full and masked vectors */
    static const uint32_t edges[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
                                     0x7fc01234u, 0xffd00001u, 0x00000001u, 0x807fffffu, 0x42ae0000u, 0xc2ae0000u,
                                     0xc2adffffu, 0xc2ae0001u, 0x42ae0001u, 0xc2b00000u, 0x42fe0000u, 0xc2fe0000u};
    float *in = malloc(ROWS * 4), *w = malloc(OUT * 4), *b = calloc(OUT, 4), *a = malloc((size_t)ROWS * OUT * 4);
    float *h = malloc((size_t)ROWS * OUT * 4);
    for (int o = 0; o < OUT; o++)
        w[o] = 1.0f;
    uint64_t next = 0;
    uint32_t first = 0;
    long bad = 0;
    for (int batch = 0; batch < 32; batch++) {
        for (int r = 0; r < ROWS; r++) {
            uint32_t bits = batch == 0 && r < (int)(sizeof edges / sizeof edges[0]) ? edges[r] : (uint32_t)next;
            next += 4099; /* a stride prime to 2^32: every exponent and sign, many mantissas */
            memcpy(&in[r], &bits, 4);
        }
        mlp_forward_layer(a, h, MLP_SIGMOID, in, w, b, ROWS, 1, OUT, MLP_SERIAL);
        for (size_t i = 0; i < (size_t)ROWS * OUT; i++) {
            float want = sigmoidf(a[i]);
            if (memcmp(&want, &h[i], 4) != 0 && bad++ == 0)
                memcpy(&first, &a[i], 4);
        }
    }
    ck_assert_msg(bad == 0, "%ld sigmoids differ from sigmoidf, the first of %08x", bad, (unsigned)first);
    free(in); free(w); free(b); free(a); free(h);
}
END_TEST

/* mlp_div_by (Adam's divisions by c1 and c2, a multiply in double) gives the float division's bits for divisors in
 * (0, 1]: Adam's c1 and c2 at steps 1 to 1000 and ten others; every significand of a in four binades, [1, 2)
 * of both signs, [2^127, 2^128) (quotients up to and over the largest float) and the subnormals (and zero); and
 * the edges (zeros, infinities, NaNs, the largest floats). A multiply by the reciprocal in float, or rounded once
 * to float, would fail here. */
START_TEST(test_div_by_matches_division)
{
    float cs[24];
    int nc = 0;
    for (int t = 1; t <= 1000; t *= 10) {
        cs[nc++] = (float)(1.0 - pow(0.9, t));
        cs[nc++] = (float)(1.0 - pow(0.999, t));
    }
    static const float more[] = {0.25f, 0.5f, 0.7f, 0.15f, 0.3333333f, 0.999999f, 1e-3f, 1e-30f, 0x1p-126f, 0.77f};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        cs[nc++] = more[i];
    static const uint32_t binade[4] = {0x3f800000u, 0xbf800000u, 0x7f000000u, 0};
    static const uint32_t edges[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
                                     0x7fc01234u, 0x7f800001u, 0x7f7fffffu, 0xff7fffffu, 0x00800000u, 0x00000001u};
    long bad = 0;
    uint32_t first_a = 0;
    float first_c = 0;
    for (int k = 0; k < nc; k++) {
        float c = cs[k];
        double r = 1.0 / c;
        for (uint32_t bits = 0; bits < (1u << 25); bits++) {
            uint32_t ab = binade[bits >> 23] | (bits & 0x7fffffu);
            float a, want, got;
            memcpy(&a, &ab, 4);
            want = a / c, got = mlp_div_by(a, r);
            if (memcmp(&want, &got, 4) != 0 && bad++ == 0)
                first_a = ab, first_c = c;
        }
        for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
            float a, want, got;
            memcpy(&a, &edges[i], 4);
            want = a / c, got = mlp_div_by(a, r);
            if (memcmp(&want, &got, 4) != 0 && bad++ == 0)
                first_a = edges[i], first_c = c;
        }
    }
    ck_assert_msg(bad == 0, "%ld quotients differ from the division, the first %08x / %a", bad, (unsigned)first_a,
                  (double)first_c);
}
END_TEST

/* mlp_team_share cuts 0..units-1 into contiguous shares in thread order, at the same group boundaries for every
 * team size; mlp_team_balanced accepts a width only when every thread gets some units and none much more. */
START_TEST(test_team_share_partitions)
{
    static const int widths[] = {1, 31, 32, 40, 96, 100, 256, 300, 2048};
    int w = mlp_narrow_rows(); /* the group width: a tile's */
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        for (int t = 1; t <= 5; t++) {
            int units = widths[i], lo[5], hi[5];
            #pragma omp parallel num_threads(t)
            {
                int id = omp_get_thread_num();
                mlp_team_share(units, &lo[id], &hi[id]);
            }
            for (int k = 0; k < t; k++) {
                ck_assert_int_eq(lo[k], k == 0 ? 0 : hi[k - 1]);
                ck_assert(lo[k] <= hi[k] && (lo[k] % w == 0 || lo[k] == units));
            }
            ck_assert_int_eq(hi[t - 1], units);
            int most = 0, some = 1;
            for (int k = 0; k < t; k++) {
                most = hi[k] - lo[k] > most ? hi[k] - lo[k] : most;
                some &= hi[k] > lo[k];
            }
            ck_assert_int_eq(mlp_team_balanced(units, t), t > 1 ? some && 4 * most * t <= 5 * units : some);
        }
    /* eight tiles share evenly between two threads; three cannot (two against one) */
    ck_assert(mlp_team_balanced(8 * w, 2) && !mlp_team_balanced(3 * w, 2));
}
END_TEST

/* team_barrier_wait: no thread leaves a barrier before every thread has written what it wrote before arriving,
 * over many barriers in a row, for teams of 2 and 3 and of one more thread than cores (its threads outnumber the
 * cores: libgomp's throttled spins, so the waiters sleep too; one thread is made late every 64 rounds), and a team
 * of one passes alone. On x86 (TSO) a weakened memory order would not show here: only a missing wait would. */
START_TEST(test_team_barrier_holds_every_thread)
{
    enum { ROUNDS = 20000, MAXT = 64 };
    int procs = omp_get_num_procs(), crowd = procs + 1 < MAXT ? procs + 1 : MAXT;
    int teams[] = {2, 3, crowd}, nteams = crowd > 3 ? 3 : 2;
    for (int k = 0; k < nteams; k++) {
        int t = teams[k];
        static _Atomic int seen[MAXT];
        _Atomic int wrong = 0;
        team_barrier bar = TEAM_BARRIER_INIT;
        for (int i = 0; i < t; i++)
            atomic_store_explicit(&seen[i], -1, memory_order_relaxed);
        team_barrier_begin(t);
        #pragma omp parallel num_threads(t)
        {
            int id = omp_get_thread_num(), nt = omp_get_num_threads();
            for (int r = 0; r < ROUNDS; r++) {
                if (r % 64 == id)
                    usleep(200);
                atomic_store_explicit(&seen[id], r, memory_order_relaxed);
                team_barrier_wait(&bar);
                for (int i = 0; i < nt; i++)
                    if (atomic_load_explicit(&seen[i], memory_order_relaxed) != r)
                        atomic_fetch_add(&wrong, 1);
                team_barrier_wait(&bar); /* nobody writes round r + 1 before all have read round r */
            }
        }
        team_barrier_end(t);
        ck_assert_msg(atomic_load(&wrong) == 0, "team of %d: %d reads of another thread's round were stale", t,
                      atomic_load(&wrong));
        ck_assert_int_eq(atomic_load(&bar.arrived), 0);
        ck_assert_int_eq(atomic_load(&bar.sleepers), 0);
        ck_assert_uint_eq(atomic_load(&bar.gen), 2u * ROUNDS);
    }
    team_barrier one = TEAM_BARRIER_INIT;
    team_barrier_wait(&one); /* outside a parallel region: returns at once */
    ck_assert_uint_eq(atomic_load(&one.gen), 0u);
}
END_TEST

/* The barrier's spins count the cores the process had at its start, as libgomp does: a thread pinned to one core
 * since (as placement.c pins a sweep's workers) still spins in full, not the throttled few times of threads that
 * outnumber their cores; those are the threads of the teams between team_barrier_begin and team_barrier_end (and
 * the process's first), as libgomp counts the threads it manages. */
START_TEST(test_team_barrier_spins_count_the_process)
{
    int procs = omp_get_num_procs();
    unsigned long long fit = team_barrier_spins();
    ck_assert(fit == team_spin_count(1, procs));
    team_barrier_begin(procs + 1); /* with the process's first thread, procs + 1 */
    unsigned long long crowded = team_barrier_spins();
    team_barrier_end(procs + 1);
    ck_assert(crowded == team_spin_count(procs + 1, procs));
    ck_assert(team_barrier_spins() == fit);
    if (procs < 2) {
        fprintf(stderr, "test_team_barrier_spins_count_the_process: pinning skipped, one core\n");
        return;
    }
    cpu_set_t old, one;
    ck_assert_int_eq(sched_getaffinity(0, sizeof old, &old), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &old)) {
            CPU_SET(c, &one);
            break;
        }
    int pinned_ok = sched_setaffinity(0, sizeof one, &one) == 0;
    team_barrier_begin(2);
    unsigned long long pinned = team_barrier_spins();
    team_barrier_end(2);
    int restored = sched_setaffinity(0, sizeof old, &old) == 0; /* before any assert: the suites go on here */
    ck_assert(pinned_ok && restored);
    ck_assert_msg(pinned == fit, "pinned to one core, a team of two spins %llu times, not %llu", pinned, fit);
}
END_TEST

static void set_or_unset(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

/* GOMP_SPINCOUNT as libgomp itself shows it (OMP_DISPLAY_ENV=verbose) for this process's environment, from a run
 * of this test binary that runs no suite; -1 when it shows none (another OpenMP runtime). */
static long double libgomp_spins(void)
{
    char self[4096], cmd[4200], line[256];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    if (strchr(self, '\''))
        return -1;
    snprintf(cmd, sizeof cmd, "OMP_DISPLAY_ENV=verbose CK_RUN_SUITE=none CK_FORK=no '%s' 2>&1", self);
    FILE *p = popen(cmd, "r");
    long double v = -1;
    while (p && fgets(line, sizeof line, p)) {
        const char *at = strstr(line, "GOMP_SPINCOUNT = '");
        if (at)
            v = strtold(at + strlen("GOMP_SPINCOUNT = '"), NULL);
    }
    if (p)
        pclose(p);
    return v;
}

/* team_spin_count reads GOMP_SPINCOUNT and OMP_WAIT_POLICY as libgomp (GCC 12) does: the values below, and for
 * each GOMP_SPINCOUNT the unthrottled count libgomp itself displays (both variables restored after). */
START_TEST(test_team_spin_count_as_libgomp)
{
    static const struct {
        const char *count, *policy;
        int threads, procs;
        unsigned long long spins;
    } cases[] = {
        {NULL, NULL, 2, 2, 300000},           {NULL, NULL, 3, 2, 100},
        {"10000", NULL, 2, 2, 10000},         {"10000", NULL, 3, 2, 100},
        {"50", NULL, 3, 2, 50},               {" 2k ", NULL, 2, 2, 2000},
        {"3M", NULL, 2, 2, 3000000},          {"1 g", NULL, 2, 2, 1000000000},
        {"7T", NULL, 2, 2, 7000000000000ULL}, {"infinite", NULL, 2, 2, ULLONG_MAX},
        {"INFINITY", NULL, 2, 2, ULLONG_MAX}, {"99999999999999999T", NULL, 2, 2, ULLONG_MAX},
        {"abc", NULL, 2, 2, 300000},          {"12x", NULL, 2, 2, 300000},
        {"-5", NULL, 2, 2, ULLONG_MAX - 4},   {"+5", NULL, 2, 2, 5},
        {"", NULL, 2, 2, 300000},             {"4k2", NULL, 2, 2, 300000},
        {NULL, "passive", 2, 2, 0},           {NULL, " ACTIVE ", 2, 2, 30000000000ULL},
        {NULL, "active", 3, 2, 1000},         {"500", "active", 3, 2, 500},
        {NULL, "passive", 3, 2, 0},           {NULL, "sometimes", 2, 2, 300000},
        {"7", "PASSIVE", 2, 2, 7},            {"7", "PASSIVE", 3, 2, 0},
        {"0", NULL, 2, 2, 0},
    };
    char *old_count = getenv("GOMP_SPINCOUNT"), *old_policy = getenv("OMP_WAIT_POLICY");
    old_count = old_count ? strdup(old_count) : NULL;
    old_policy = old_policy ? strdup(old_policy) : NULL;
    int compared = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_or_unset("GOMP_SPINCOUNT", cases[i].count);
        set_or_unset("OMP_WAIT_POLICY", cases[i].policy);
        const char *c = cases[i].count ? cases[i].count : "(unset)", *w = cases[i].policy ? cases[i].policy : "(unset)";
        unsigned long long got = team_spin_count(cases[i].threads, cases[i].procs);
        ck_assert_msg(got == cases[i].spins,
                      "GOMP_SPINCOUNT '%s', OMP_WAIT_POLICY '%s', %d threads on %d cores: %llu spins, not %llu", c, w,
                      cases[i].threads, cases[i].procs, got, cases[i].spins);
        long double shown = libgomp_spins();
        if (shown >= 0) {
            compared++;
            ck_assert_msg(shown == (long double)team_spin_count(1, 1),
                          "GOMP_SPINCOUNT '%s', OMP_WAIT_POLICY '%s': libgomp shows %.0Lf spins, team.c reads %llu", c,
                          w, shown, team_spin_count(1, 1));
        }
    }
    set_or_unset("GOMP_SPINCOUNT", old_count);
    set_or_unset("OMP_WAIT_POLICY", old_policy);
    free(old_count);
    free(old_policy);
    if (!compared)
        fprintf(stderr, "test_team_spin_count_as_libgomp: no GOMP_SPINCOUNT shown by the OpenMP runtime, libgomp's "
                        "own reading not compared\n");
}
END_TEST

Suite *mlp_kernels_suite(void)
{
    Suite *s = suite_create("mlp_kernels");
    TCase *tc = tcase_create("bitwise");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_kernels_match_bitwise_twins);
    tcase_add_test(tc, test_multilayer_step_any_threads);
    tcase_add_test(tc, test_train_rows_any_threads);
    tcase_add_test(tc, test_train_rows_run_same_bits);
    tcase_add_test(tc, test_chunked_step_inside_a_team);
    tcase_add_test(tc, test_transposed_first_layer_same_bits);
    tcase_add_test(tc, test_team_share_partitions);
    tcase_add_test(tc, test_team_barrier_holds_every_thread);
    tcase_add_test(tc, test_team_barrier_spins_count_the_process);
    tcase_add_test(tc, test_team_spin_count_as_libgomp);
    tcase_add_test(tc, test_sigmoid_matches_scalar_over_floats);
    tcase_add_test(tc, test_div_by_matches_division);
    suite_add_tcase(s, tc);
    return s;
}
