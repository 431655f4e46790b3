/* What fusing a group's runs further would save (issue #13's "one wider model"), measured where the runner does not
 * do it. A fused group's runs share their batches (README, Sweeps); two ways to share more:
 *   stacked: the first layers of the group's runs (64 inputs, sigmoid) as one GEMM over their weights stacked, in
 *            place of each run's own layer: forward and weight gradient at batch 32 (the grid's steps), forward at
 *            evaluation's 256-row chunks, and the forward of one thread's steps (the first layer transposed where
 *            mlp_transposed_shape allows it, alone or stacked);
 *   chunked: a group's evaluation over digits' 1,797 rows with every run taking each 256-row chunk while it is in
 *            cache, in place of one run after the other over all the rows.
 * Either way each value is one chain over the same inputs in the same order, so the bits stay each run's: checked
 * first, for every group and pass (exit 1 when a value differs). Then apart and together are timed in interleaved
 * rounds on one thread. Prints a table and writes OUTDIR/fused.tsv (group, pass, rows, apart_us, together_us,
 * ratio: medians over the rounds; ratio = apart / together, above 1 when together is faster).
 * Usage: bench_fused [--quick] OUTDIR; exit 2 on a bad command line or no memory. */
#include "bench_clock.h"
#include "mlp.h"
#include "mlp_kernels.h"
#include "rng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IN = 64, OUT = 10, BATCH = 32, CHUNK = 256, EVAL_ROWS = 1797, MAX_RUNS = 5 };

typedef struct group {
    int runs, hidden[MAX_RUNS];
} group;

/* the widths of the grid's groups (configs/grid.ini): mixed, all wide, all of one width, and the one that gains */
static const group GROUPS[] = {
    {3, {16, 32, 64}}, {3, {64, 128, 256}}, {5, {16, 32, 64, 128, 256}}, {3, {128, 128, 128}}, {3, {16, 16, 16}},
};

typedef enum { PASS_FORWARD, PASS_WEIGHTS, PASS_TRANSPOSED, PASS_EVAL, PASSES } pass_kind;
static const char *const PASS_NAME[PASSES] = {"forward", "weight gradient", "forward, transposed", "evaluation"};

static float *floats(size_t n, rng *r)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) {
        fprintf(stderr, "bench_fused: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = (float)((double)rng_below(r, 1u << 20) / (1 << 20) - 0.5);
    return p;
}

/* One group's first layers, apart and stacked: w (total, IN) holds every run's weights, run i's rows from off[i];
 * wt (IN, total) its transpose and wti[i] (IN, hidden[i]) each run's; the outputs a, h (rows, total) stacked and
 * ai[i], hi[i] (rows, hidden[i]) apart; the gradients dout (rows, total) stacked, douti[i] its columns of run i. */
typedef struct layers {
    const group *g;
    int total, off[MAX_RUNS], rows;
    float *x, *w, *b, *wt, *a, *h, *dout, *dw, *db;
    float *wti[MAX_RUNS], *ai[MAX_RUNS], *hi[MAX_RUNS], *douti[MAX_RUNS], *dwi, *dbi;
} layers;

static void layers_init(layers *l, const group *g, int rows, rng *r)
{
    memset(l, 0, sizeof *l);
    l->g = g;
    l->rows = rows;
    for (int i = 0; i < g->runs; i++) {
        l->off[i] = l->total;
        l->total += g->hidden[i];
    }
    int T = l->total;
    l->x = floats((size_t)rows * IN, r);
    l->w = floats((size_t)T * IN, r);
    l->b = floats((size_t)T, r);
    l->wt = floats((size_t)T * IN, r);
    mlp_transpose(l->wt, l->w, T, IN);
    l->a = floats((size_t)rows * T, r);
    l->h = floats((size_t)rows * T, r);
    l->dout = floats((size_t)rows * T, r);
    l->dw = floats((size_t)T * IN, r);
    l->db = floats((size_t)T, r);
    l->dwi = floats((size_t)T * IN, r);
    l->dbi = floats((size_t)T, r);
    for (int i = 0; i < g->runs; i++) {
        int H = g->hidden[i];
        l->wti[i] = floats((size_t)IN * H, r);
        mlp_transpose(l->wti[i], l->w + (size_t)l->off[i] * IN, H, IN);
        l->ai[i] = floats((size_t)rows * H, r);
        l->hi[i] = floats((size_t)rows * H, r);
        l->douti[i] = floats((size_t)rows * H, r);
        for (int s = 0; s < rows; s++)
            memcpy(l->douti[i] + (size_t)s * H, l->dout + (size_t)s * T + l->off[i], (size_t)H * sizeof(float));
    }
}

static void layers_free(layers *l)
{
    float *all[] = {l->x, l->w, l->b, l->wt, l->a, l->h, l->dout, l->dw, l->db, l->dwi, l->dbi};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++)
        free(all[k]);
    for (int i = 0; i < l->g->runs; i++) {
        free(l->wti[i]);
        free(l->ai[i]);
        free(l->hi[i]);
        free(l->douti[i]);
    }
}

/* The pass once, each run's layer apart (together = 0) or the runs stacked (1). */
static void layers_pass(layers *l, pass_kind p, int together)
{
    int B = l->rows, T = l->total;
    if (together) {
        if (p == PASS_FORWARD)
            mlp_forward_layer(l->a, l->h, MLP_SIGMOID, l->x, l->w, l->b, B, IN, T, MLP_SERIAL);
        else if (p == PASS_TRANSPOSED && mlp_transposed_shape(B, IN, T))
            mlp_forward_layer_t(l->a, l->h, MLP_SIGMOID, l->x, l->wt, l->b, B, IN, T);
        else if (p == PASS_TRANSPOSED) /* a shape that one thread's steps keep in the usual layout */
            mlp_forward_layer(l->a, l->h, MLP_SIGMOID, l->x, l->w, l->b, B, IN, T, MLP_SERIAL);
        else
            mlp_backward_weights(l->dw, l->db, l->dout, l->x, B, IN, T, MLP_SERIAL, 0);
        return;
    }
    for (int i = 0; i < l->g->runs; i++) {
        int H = l->g->hidden[i], o = l->off[i];
        if (p == PASS_FORWARD || (p == PASS_TRANSPOSED && !mlp_transposed_shape(B, IN, H)))
            mlp_forward_layer(l->ai[i], l->hi[i], MLP_SIGMOID, l->x, l->w + (size_t)o * IN, l->b + o, B, IN, H,
                              MLP_SERIAL);
        else if (p == PASS_TRANSPOSED)
            mlp_forward_layer_t(l->ai[i], l->hi[i], MLP_SIGMOID, l->x, l->wti[i], l->b + o, B, IN, H);
        else
            mlp_backward_weights(l->dwi + (size_t)o * IN, l->dbi + o, l->douti[i], l->x, B, IN, H, MLP_SERIAL, 0);
    }
}

/* 1 when the stacked pass left every run's values with the bits of its own. */
static int layers_same(const layers *l, pass_kind p)
{
    int B = l->rows, T = l->total;
    if (p == PASS_WEIGHTS)
        return !memcmp(l->dw, l->dwi, (size_t)T * IN * sizeof(float)) && !memcmp(l->db, l->dbi, (size_t)T * sizeof(float));
    for (int i = 0; i < l->g->runs; i++) {
        size_t bytes = (size_t)l->g->hidden[i] * sizeof(float);
        for (int s = 0; s < B; s++) {
            size_t at = (size_t)s * T + l->off[i], own = (size_t)s * l->g->hidden[i];
            if (memcmp(l->a + at, l->ai[i] + own, bytes) || memcmp(l->h + at, l->hi[i] + own, bytes))
                return 0;
        }
    }
    return 1;
}

/* A group's evaluation: each run's loss and correct rows summed in row order (train_evaluate's sums) into
 * loss[i], correct[i]; the runs one after the other over all rows, or chunk by chunk. */
static void evaluate(mlp *nets, int runs, const float *x, const int *y, int together, double *loss, long *correct)
{
    for (int i = 0; i < runs; i++)
        loss[i] = 0, correct[i] = 0;
    int outer = together ? 1 : runs, inner = together ? runs : 1;
    for (int o = 0; o < outer; o++)
        for (int s = 0; s < EVAL_ROWS; s += CHUNK) {
            int n = EVAL_ROWS - s < CHUNK ? EVAL_ROWS - s : CHUNK;
            for (int k = 0; k < inner; k++) {
                int i = together ? k : o;
                mlp_evaluate(&nets[i], x + (size_t)s * IN, y + s, n);
                for (int r = 0; r < n; r++) {
                    loss[i] += nets[i].loss[r];
                    correct[i] += nets[i].correct[r];
                }
            }
        }
}

typedef struct timing {
    double apart, together; /* µs per pass, medians */
} timing;

/* rounds of calls passes each way, interleaved: call(ctx, together) does one pass */
static timing time_both(void (*call)(void *ctx, int together), void *ctx, int rounds, int calls)
{
    double *t[2];
    for (int k = 0; k < 2; k++)
        if (!(t[k] = malloc((size_t)rounds * sizeof(double)))) {
            fprintf(stderr, "bench_fused: out of memory\n");
            exit(2);
        }
    for (int k = 0; k < 2; k++) /* warm-up */
        for (int c = 0; c < calls; c++)
            call(ctx, k);
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++) {
            int together = (r + k) % 2; /* alternate which way goes first */
            double t0 = bench_now_ns();
            for (int c = 0; c < calls; c++)
                call(ctx, together);
            t[together][r] = (bench_now_ns() - t0) / calls / 1e3;
        }
    timing out = {bench_median(t[0], rounds), bench_median(t[1], rounds)};
    free(t[0]);
    free(t[1]);
    return out;
}

typedef struct layer_call {
    layers *l;
    pass_kind p;
} layer_call;

static void call_layers(void *ctx, int together)
{
    layer_call *c = ctx;
    layers_pass(c->l, c->p, together);
}

typedef struct eval_call {
    mlp *nets;
    int runs;
    const float *x;
    const int *y;
    double loss[MAX_RUNS];
    long correct[MAX_RUNS];
} eval_call;

static void call_eval(void *ctx, int together)
{
    eval_call *c = ctx;
    evaluate(c->nets, c->runs, c->x, c->y, together, c->loss, c->correct);
}

static void group_name(const group *g, char *s, size_t len)
{
    size_t used = 0;
    s[0] = 0;
    for (int i = 0; i < g->runs && used < len; i++)
        used += (size_t)snprintf(s + used, len - used, "%s%d", i ? "," : "", g->hidden[i]);
}

int main(int argc, char **argv)
{
    int quick = argc == 3 && !strcmp(argv[1], "--quick");
    if (argc != 2 + quick) {
        fprintf(stderr, "usage: bench_fused [--quick] OUTDIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/fused.tsv", argv[argc - 1]);
    FILE *tsv = fopen(path, "w");
    if (!tsv) {
        fprintf(stderr, "bench_fused: %s: cannot write\n", path);
        return 2;
    }
    fprintf(tsv, "group\tpass\trows\tapart_us\ttogether_us\tratio\n");
    int rounds = quick ? 5 : 31, differ = 0;
    rng r;
    rng_init(&r, 13, 0);
    float *ex = floats((size_t)EVAL_ROWS * IN, &r);
    int *ey = malloc(EVAL_ROWS * sizeof *ey);
    if (!ey)
        return 2;
    for (int s = 0; s < EVAL_ROWS; s++)
        ey[s] = (int)rng_below(&r, OUT);
    printf("%-20s %-20s %5s %12s %12s %7s  %s\n", "group's widths", "pass", "rows", "apart µs", "together µs",
           "ratio", "same bits");
    for (size_t gi = 0; gi < sizeof GROUPS / sizeof *GROUPS; gi++) {
        const group *g = &GROUPS[gi];
        char name[64];
        group_name(g, name, sizeof name);
        for (int p = 0; p < PASSES; p++) {
            int rows = p == PASS_EVAL ? EVAL_ROWS : BATCH;
            for (int chunk = 0; chunk < 1 + (p == PASS_FORWARD); chunk++) {
                int same;
                timing t;
                if (p == PASS_EVAL) {
                    mlp nets[MAX_RUNS];
                    eval_call c = {nets, g->runs, ex, ey, {0}, {0}};
                    for (int i = 0; i < g->runs; i++) {
                        if (mlp_init(&nets[i], IN, &g->hidden[i], 1, OUT, MLP_SIGMOID, MLP_OUT_SOFTMAX, CHUNK)) {
                            fprintf(stderr, "bench_fused: out of memory\n");
                            return 2;
                        }
                        mlp_randomize(&nets[i], MLP_INIT_XAVIER, &r);
                    }
                    double loss[MAX_RUNS];
                    long correct[MAX_RUNS];
                    evaluate(nets, g->runs, ex, ey, 0, loss, correct);
                    evaluate(nets, g->runs, ex, ey, 1, c.loss, c.correct);
                    same = !memcmp(loss, c.loss, (size_t)g->runs * sizeof *loss) &&
                           !memcmp(correct, c.correct, (size_t)g->runs * sizeof *correct);
                    t = time_both(call_eval, &c, rounds, quick ? 2 : 20);
                    for (int i = 0; i < g->runs; i++)
                        mlp_free(&nets[i]);
                } else {
                    layers l;
                    rows = chunk ? CHUNK : BATCH;
                    layers_init(&l, g, rows, &r);
                    layers_pass(&l, (pass_kind)p, 0);
                    layers_pass(&l, (pass_kind)p, 1);
                    same = layers_same(&l, (pass_kind)p);
                    layer_call c = {&l, (pass_kind)p};
                    int calls = (quick ? 20 : 400) * BATCH / rows;
                    t = time_both(call_layers, &c, rounds, calls);
                    layers_free(&l);
                }
                differ |= !same;
                printf("%-20s %-20s %5d %12.2f %12.2f %7.2f  %s\n", name, PASS_NAME[p], rows, t.apart, t.together,
                       t.apart / t.together, same ? "yes" : "NO");
                fprintf(tsv, "%s\t%s\t%d\t%.3f\t%.3f\t%.3f\n", name, PASS_NAME[p], rows, t.apart, t.together,
                        t.apart / t.together);
            }
        }
    }
    free(ex);
    free(ey);
    if (fclose(tsv)) {
        fprintf(stderr, "bench_fused: %s: cannot write\n", path);
        return 2;
    }
    if (differ)
        fprintf(stderr, "bench_fused: a pass together gave other bits than apart\n");
    return differ;
}
