/* Kernel benchmark: GFLOP/s of the forward and backward kernels at several (batch, in, out) shapes against their
 * FLOP count and OpenBLAS sgemm on the same shapes; a whole training step against the same GEMMs; thread
 * scaling of a step; and, in the build without the serial threshold (-DMLP_PARALLEL_MIN_WORK=1), where a
 * second thread starts to pay. Every kernel is first checked against its plain twin, and a step for equal bits
 * across thread counts. Built with -DBENCH_OPENBLAS and -lopenblas for the sgemm columns; without, they read 0.
 * Usage: bench_kernels [--quick] [--only=kernels|step|scaling|deep] [--threshold | --sgemm] OUTDIR: writes
 * tab-separated tables to OUTDIR (kernels.tsv, step.tsv, scaling.tsv, deep.tsv: multi-layer steps; or
 * threshold.tsv) and prints them;
 * --sgemm prints OpenBLAS's core and its GFLOP/s at one shape and thread (to check OPENBLAS_CORETYPE);
 * --round-trip prints the nanoseconds a cache line takes from one core to another and back;
 * --os-costs prints what the machine charges a process around its work: a page fault (us), a system call (us) and a
 * bare process (/bin/true spawned and waited for, ms), tab-separated;
 * --time FILE CMD [ARG...] runs CMD and writes its wall time in seconds to FILE, and exits with CMD's status.
 * Exit 1 on a failed check, 2 on a bad command line. */
#define _GNU_SOURCE /* sched_getaffinity, pthread_setaffinity_np */
#include "bench_clock.h"
#include "mlp.h"
#include "rng.h"
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef BENCH_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int n);
char *openblas_get_corename(void);
#else
enum { CblasRowMajor, CblasNoTrans, CblasTrans };
static void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc)
{
}
static void openblas_set_num_threads(int n) {}
static char *openblas_get_corename(void) { return "none (built without OpenBLAS)"; }
#endif

enum { MAXREP = 15, MAXTHREADS = 64 };
static int reps = 7;            /* timed repetitions per measurement: medians of these */
static double min_seconds = 0.03; /* each repetition loops for at least this long */
static int failed;

static double now(void) { return 1e-9 * bench_now_ns(); }

typedef struct stat {
    double median, lo, hi; /* seconds per call: median, min and max over the repetitions */
} stat;

static stat summarise(double *t, int n)
{
    double m = bench_median(t, n);
    return (stat){m, t[0], t[n - 1]};
}

typedef void (*bench_fn)(void *arg);

/* Calls per repetition so that one repetition lasts at least min_seconds (after a warm-up call). */
static long calibrate(bench_fn f, void *arg)
{
    f(arg);
    long n = 1;
    for (;;) {
        double t0 = now();
        for (long i = 0; i < n; i++)
            f(arg);
        double t = now() - t0;
        if (t >= min_seconds)
            return n;
        n = t > 0 ? (long)(n * 1.2 * min_seconds / t) + 1 : n * 10;
    }
}

/* Lets OpenBLAS's worker threads stop spinning (they busy-wait about 0.1 s after a call) before OpenMP's team
 * needs the cores again; only a multi-threaded sgemm leaves them. */
static void settle(void)
{
    if (omp_get_max_threads() > 1)
        nanosleep(&(struct timespec){0, 250000000}, NULL);
}

/* Times k functions side by side: each repetition runs every one in turn, so slow phases of a shared machine
 * hit all of them alike. Odd-numbered functions are sgemm's, each followed by settle(). */
static void measure(int k, bench_fn *f, void **arg, stat *out)
{
    long n[4];
    double t[4][MAXREP];
    for (int j = 0; j < k; j++) {
        n[j] = calibrate(f[j], arg[j]);
        if (j % 2)
            settle();
    }
    for (int r = 0; r < reps; r++)
        for (int j = 0; j < k; j++) {
            double t0 = now();
            for (long i = 0; i < n[j]; i++)
                f[j](arg[j]);
            t[j][r] = (now() - t0) / (double)n[j];
            if (j % 2)
                settle();
        }
    for (int j = 0; j < k; j++)
        out[j] = summarise(t[j], reps);
}

static void set_threads(int t)
{
    omp_set_num_threads(t);
    openblas_set_num_threads(t);
}

static float *random_floats(size_t n, rng *r, double scale)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) {
        fprintf(stderr, "bench_kernels: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = (float)((2 * rng_uniform(r) - 1) * scale);
    return p;
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

/* ---- one linear layer ------------------------------------------------------------------------------------ */

typedef struct layer {
    int B, IN, OUT;
    float *in, *w, *b, *out, *dout, *din, *dw, *db;
} layer;

static void layer_init(layer *l, int B, int IN, int OUT, rng *r)
{
    l->B = B, l->IN = IN, l->OUT = OUT;
    l->in = random_floats((size_t)B * IN, r, 1);
    l->w = random_floats((size_t)OUT * IN, r, 1 / sqrt(IN));
    l->b = random_floats((size_t)OUT, r, 1);
    l->out = random_floats((size_t)B * OUT, r, 1);
    l->dout = random_floats((size_t)B * OUT, r, 1e-3);
    l->din = random_floats((size_t)B * IN, r, 1);
    l->dw = random_floats((size_t)OUT * IN, r, 0);
    l->db = random_floats((size_t)OUT, r, 0);
}

static void layer_free(layer *l)
{
    free(l->in), free(l->w), free(l->b), free(l->out), free(l->dout), free(l->din), free(l->dw), free(l->db);
}

static void fwd_ours(void *p)
{
    layer *l = p;
    mlp_linear_forward(l->out, l->in, l->w, l->b, l->B, l->IN, l->OUT);
}

static void bwd_ours(void *p)
{
    layer *l = p;
    mlp_linear_backward(l->din, l->dw, l->db, l->dout, l->in, l->w, l->B, l->IN, l->OUT);
}

/* out (B, OUT) = in w^T (the bias is left out: it is not part of the FLOP count) */
static void fwd_blas(void *p)
{
    layer *l = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l->B, l->OUT, l->IN, 1, l->in, l->IN, l->w, l->IN, 0,
                l->out, l->OUT);
}

/* dw (OUT, IN) += dout^T in; din (B, IN) = dout w */
static void bwd_blas(void *p)
{
    layer *l = p;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l->OUT, l->IN, l->B, 1, l->dout, l->OUT, l->in, l->IN, 1,
                l->dw, l->IN);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l->B, l->IN, l->OUT, 1, l->dout, l->OUT, l->w, l->IN, 0,
                l->din, l->IN);
}

/* The fast kernels against their plain twins at this shape. */
static void check_layer(const layer *l)
{
    size_t nout = (size_t)l->B * l->OUT, nin = (size_t)l->B * l->IN, nw = (size_t)l->OUT * l->IN;
    float *o1 = malloc(nout * 4), *o2 = malloc(nout * 4), *d1 = malloc(nin * 4), *d2 = malloc(nin * 4);
    float *w1 = calloc(nw, 4), *w2 = calloc(nw, 4), *b1 = calloc((size_t)l->OUT, 4), *b2 = calloc((size_t)l->OUT, 4);
    mlp_linear_forward(o1, l->in, l->w, l->b, l->B, l->IN, l->OUT);
    mlp_linear_forward_ref(o2, l->in, l->w, l->b, l->B, l->IN, l->OUT);
    mlp_linear_backward(d1, w1, b1, l->dout, l->in, l->w, l->B, l->IN, l->OUT);
    mlp_linear_backward_ref(d2, w2, b2, l->dout, l->in, l->w, l->B, l->IN, l->OUT);
    double e = fmax(fmax(max_rel_diff(o1, o2, nout), max_rel_diff(d1, d2, nin)),
                    fmax(max_rel_diff(w1, w2, nw), max_rel_diff(b1, b2, (size_t)l->OUT)));
    if (!(e < 1e-5)) {
        fprintf(stderr, "CHECK FAILED: %dx%dx%d: fast kernels differ from the plain twins by %g\n", l->B, l->IN,
                l->OUT, e);
        failed = 1;
    }
    free(o1), free(o2), free(d1), free(d2), free(w1), free(w2), free(b1), free(b2);
}

static void bench_layers(FILE *tsv, int quick, int maxthreads)
{
    static const int shapes[][3] = {{32, 64, 128},   {32, 128, 10},    {256, 64, 1024}, {256, 1024, 10},
                                    {256, 512, 512}, {256, 1024, 1024}, {256, 2048, 2048}};
    int nshapes = quick ? 3 : (int)(sizeof shapes / sizeof shapes[0]);
    fprintf(tsv, "batch\tin\tout\tthreads\tfwd_gflops\tfwd_lo\tfwd_hi\tfwd_sgemm_gflops\tfwd_ratio\t"
                 "bwd_gflops\tbwd_lo\tbwd_hi\tbwd_sgemm_gflops\tbwd_ratio\n");
    printf("\nKernel throughput, GFLOP/s (median of %d; lo-hi range), against OpenBLAS sgemm (core %s)\n", reps,
           openblas_get_corename());
    printf("%5s %5s %5s %3s | %8s %13s %8s %6s | %8s %13s %8s %6s\n", "batch", "in", "out", "thr", "forward",
           "range", "sgemm", "ratio", "backward", "range", "sgemm", "ratio");
    rng r;
    rng_init(&r, 42, 1);
    for (int s = 0; s < nshapes; s++) {
        layer l;
        layer_init(&l, shapes[s][0], shapes[s][1], shapes[s][2], &r);
        for (int t = 1; t <= maxthreads; t = t == maxthreads ? t + 1 : maxthreads) {
            set_threads(t);
            check_layer(&l);
            double flops = 2.0 * l.B * l.IN * l.OUT;
            bench_fn f[4] = {fwd_ours, fwd_blas, bwd_ours, bwd_blas};
            void *a[4] = {&l, &l, &l, &l};
            stat st[4];
            measure(4, f, a, st);
            double gf = flops / st[0].median * 1e-9, gb = flops / st[1].median * 1e-9;
            double bf = 2 * flops / st[2].median * 1e-9, bb = 2 * flops / st[3].median * 1e-9;
            printf("%5d %5d %5d %3d | %8.1f %6.1f-%-6.1f %8.1f %6.2f | %8.1f %6.1f-%-6.1f %8.1f %6.2f\n", l.B, l.IN,
                   l.OUT, t, gf, flops / st[0].hi * 1e-9, flops / st[0].lo * 1e-9, gb, gf / gb, bf,
                   2 * flops / st[2].hi * 1e-9, 2 * flops / st[2].lo * 1e-9, bb, bf / bb);
            fprintf(tsv, "%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\n", l.B, l.IN,
                    l.OUT, t, gf, flops / st[0].hi * 1e-9, flops / st[0].lo * 1e-9, gb, gf / gb, bf,
                    2 * flops / st[2].hi * 1e-9, 2 * flops / st[2].lo * 1e-9, bb, bf / bb);
        }
        layer_free(&l);
    }
}

/* ---- a training step ------------------------------------------------------------------------------------- */

typedef struct step {
    mlp net;
    int B, H;
    float *x, lr;
    int *y;
    layer l1, l2; /* the same GEMMs for sgemm: 64 -> H and H -> 10 */
} step;

enum { STEP_IN = 64, STEP_OUT = 10 };

static void step_init(step *s, int B, int H, mlp_activation act, rng *r)
{
    memset(s, 0, sizeof *s);
    s->B = B, s->H = H, s->lr = 1e-3f;
    if (mlp_init(&s->net, STEP_IN, &H, 1, STEP_OUT, act, MLP_OUT_SOFTMAX, B) < 0) {
        fprintf(stderr, "bench_kernels: out of memory\n");
        exit(2);
    }
    rng w;
    rng_init(&w, 7, RNG_STREAM_INIT);
    mlp_randomize(&s->net, MLP_INIT_XAVIER, &w);
    s->x = random_floats((size_t)B * STEP_IN, r, 1);
    s->y = malloc((size_t)B * sizeof *s->y);
    for (int i = 0; i < B; i++)
        s->y[i] = (int)rng_below(r, STEP_OUT);
    layer_init(&s->l1, B, STEP_IN, H, r);
    layer_init(&s->l2, B, H, STEP_OUT, r);
}

static void step_free(step *s)
{
    mlp_free(&s->net);
    free(s->x), free(s->y);
    layer_free(&s->l1), layer_free(&s->l2);
}

/* Everything train.c does per batch but gathering it: mlp_train_step with an SGD update (the chunked step for
 * one hidden layer of more than 64 units at these batch sizes; else zero, forward, loss, backward, update). */
static void step_ours(void *p)
{
    step *s = p;
    mlp_update u = {.kind = MLP_SGD, .lr = s->lr};
    mlp_train_step(&s->net, s->x, s->y, s->B, 1.0f / (float)s->B, &u);
}

/* The step's GEMMs alone: forward of both layers, both weight gradients, the hidden layer's input gradient. */
static void step_blas(void *p)
{
    step *s = p;
    fwd_blas(&s->l1);
    fwd_blas(&s->l2);
    bwd_blas(&s->l2);
    layer *l = &s->l1;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l->OUT, l->IN, l->B, 1, l->dout, l->OUT, l->in, l->IN, 1,
                l->dw, l->IN);
}

static double step_flops(int B, int H)
{
    double fw = 2.0 * B * ((double)STEP_IN * H + (double)H * STEP_OUT);
    return 2 * fw + 2.0 * B * H * STEP_OUT;
}

/* Three steps from the same start with 1 thread and with t threads leave the same bits. */
static void check_same_bits(int B, int H, int t)
{
    float *keep[2];
    for (int k = 0; k < 2; k++) {
        rng r;
        rng_init(&r, 3, 1);
        step s;
        step_init(&s, B, H, MLP_SIGMOID, &r);
        set_threads(k ? t : 1);
        for (int i = 0; i < 3; i++)
            step_ours(&s);
        keep[k] = malloc(s.net.nparams * sizeof(float));
        memcpy(keep[k], s.net.params, s.net.nparams * sizeof(float));
        if (k && memcmp(keep[0], keep[1], s.net.nparams * sizeof(float))) {
            fprintf(stderr, "CHECK FAILED: a %d-%d-%d step with batch %d differs with %d threads\n", STEP_IN, H,
                    STEP_OUT, B, t);
            failed = 1;
        }
        step_free(&s);
    }
    free(keep[0]), free(keep[1]);
}

static void bench_step(FILE *tsv, int maxthreads)
{
    static const int models[][2] = {{32, 128}, {256, 1024}};
    fprintf(tsv, "batch\thidden\tthreads\tstep_us\tstep_gflops\tsgemm_us\tsgemm_gflops\tratio\n");
    printf("\nTraining step (zero, forward, loss, backward, SGD) of 64-H-10 sigmoid/softmax against the same GEMMs in "
           "sgemm\n%5s %6s %3s | %10s %8s | %10s %8s | %6s\n", "batch", "hidden", "thr", "step us", "GFLOP/s",
           "sgemm us", "GFLOP/s", "ratio");
    rng r;
    rng_init(&r, 43, 1);
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        int B = models[m][0], H = models[m][1];
        step s;
        step_init(&s, B, H, MLP_SIGMOID, &r);
        for (int t = 1; t <= maxthreads; t = t == maxthreads ? t + 1 : maxthreads) {
            check_same_bits(B, H, t);
            set_threads(t);
            bench_fn f[2] = {step_ours, step_blas};
            void *a[2] = {&s, &s};
            stat st[2];
            measure(2, f, a, st);
            double fl = step_flops(B, H);
            double go = fl / st[0].median * 1e-9, gb = fl / st[1].median * 1e-9;
            printf("%5d %6d %3d | %10.1f %8.1f | %10.1f %8.1f | %6.2f\n", B, H, t, st[0].median * 1e6, go,
                   st[1].median * 1e6, gb, go / gb);
            fprintf(tsv, "%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\n", B, H, t, st[0].median * 1e6, go,
                    st[1].median * 1e6, gb, go / gb);
        }
        step_free(&s);
    }
}

/* f(arg[t]) with t + 1 threads for t < nt: one model per thread count, the thread counts alternating within
 * every repetition. */
static void time_threads(bench_fn f, void **arg, int nt, stat *st)
{
    long n[MAXTHREADS];
    double tm[MAXTHREADS][MAXREP];
    for (int t = 0; t < nt; t++) {
        set_threads(t + 1);
        n[t] = calibrate(f, arg[t]);
    }
    for (int rep = 0; rep < reps; rep++)
        for (int t = 0; t < nt; t++) {
            set_threads(t + 1);
            double t0 = now();
            for (long i = 0; i < n[t]; i++)
                f(arg[t]);
            tm[t][rep] = (now() - t0) / (double)n[t];
        }
    for (int t = 0; t < nt; t++)
        st[t] = summarise(tm[t], reps);
}

/* Step time for 1..maxthreads threads: speedup and efficiency against one thread. */
static void bench_scaling(FILE *tsv, int quick, int maxthreads)
{
    static const int models[][2] = {{32, 128}, {256, 64}, {256, 512}, {256, 1024}, {256, 2048}};
    int nmodels = quick ? 3 : (int)(sizeof models / sizeof models[0]);
    fprintf(tsv, "batch\thidden\tthreads\tstep_us\tlo_us\thi_us\tspeedup\tefficiency\n");
    printf("\nThread scaling of a training step (64-H-10 relu/softmax; median of %d)\n%5s %6s %3s | %10s %19s | "
           "%7s %10s\n", reps, "batch", "hidden", "thr", "step us", "range", "speedup", "efficiency");
    rng r;
    rng_init(&r, 44, 1);
    for (int m = 0; m < nmodels; m++) {
        int B = models[m][0], H = models[m][1];
        int nt = maxthreads < MAXTHREADS ? maxthreads : MAXTHREADS;
        step s[MAXTHREADS];
        void *arg[MAXTHREADS];
        stat st[MAXTHREADS];
        for (int t = 0; t < nt; t++) {
            step_init(&s[t], B, H, MLP_RELU, &r);
            arg[t] = &s[t];
        }
        time_threads(step_ours, arg, nt, st);
        for (int t = 0; t < nt; t++) {
            double sp = st[0].median / st[t].median;
            printf("%5d %6d %3d | %10.1f %8.1f-%-10.1f | %7.2f %10.2f\n", B, H, t + 1, st[t].median * 1e6,
                   st[t].lo * 1e6, st[t].hi * 1e6, sp, sp / (t + 1));
            fprintf(tsv, "%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.3f\t%.3f\n", B, H, t + 1, st[t].median * 1e6,
                    st[t].lo * 1e6, st[t].hi * 1e6, sp, sp / (t + 1));
        }
        for (int t = 0; t < nt; t++)
            step_free(&s[t]);
    }
}

/* ---- multi-layer steps ----------------------------------------------------------------------------------- */

typedef struct deep {
    mlp net;
    int B;
    float *x;
    int *y;
} deep;

/* The same model and batch for every call with the same shape. */
static void deep_init(deep *d, int B, int layers)
{
    int hidden[3] = {256, 256, 256};
    d->B = B;
    if (mlp_init(&d->net, STEP_IN, hidden, layers, STEP_OUT, MLP_SIGMOID, MLP_OUT_SOFTMAX, B) < 0) {
        fprintf(stderr, "bench_kernels: out of memory\n");
        exit(2);
    }
    rng w;
    rng_init(&w, 8, RNG_STREAM_INIT);
    mlp_randomize(&d->net, MLP_INIT_XAVIER, &w);
    d->x = random_floats((size_t)B * STEP_IN, &w, 1);
    d->y = malloc((size_t)B * sizeof *d->y);
    for (int i = 0; i < B; i++)
        d->y[i] = (int)rng_below(&w, STEP_OUT);
}

static void deep_step(void *p)
{
    deep *d = p;
    mlp_update u = {.kind = MLP_SGD, .lr = 1e-3f};
    mlp_train_step(&d->net, d->x, d->y, d->B, 1.0f / (float)d->B, &u);
}

/* The models of the multi-layer target, sigmoid/softmax as configs/digits.ini: step time for
 * 1..maxthreads threads and the speedup, after a check that three steps leave the same bits with each. */
static void bench_deep(FILE *tsv, int maxthreads)
{
    static const int models[][2] = {{64, 2}, {128, 3}};
    fprintf(tsv, "batch\tmodel\tthreads\tstep_us\tlo_us\thi_us\tspeedup\n");
    printf("\nThread scaling of a multi-layer step (sigmoid/softmax, SGD; median of %d)\n%5s %18s %3s | %10s %19s | "
           "%7s\n", reps, "batch", "model", "thr", "step us", "range", "speedup");
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        int B = models[m][0], layers = models[m][1], nt = maxthreads < MAXTHREADS ? maxthreads : MAXTHREADS;
        char name[64];
        snprintf(name, sizeof name, "64-256%s-10", layers == 2 ? "-256" : "-256-256");
        deep d[MAXTHREADS];
        void *arg[MAXTHREADS];
        stat st[MAXTHREADS];
        for (int t = 0; t < nt; t++) {
            deep_init(&d[t], B, layers);
            set_threads(t + 1);
            for (int i = 0; i < 3; i++)
                deep_step(&d[t]);
            if (memcmp(d[0].net.params, d[t].net.params, d[0].net.nparams * sizeof(float))) {
                fprintf(stderr, "CHECK FAILED: a %s step with batch %d differs with %d threads\n", name, B, t + 1);
                failed = 1;
            }
            arg[t] = &d[t];
        }
        time_threads(deep_step, arg, nt, st);
        for (int t = 0; t < nt; t++) {
            double sp = st[0].median / st[t].median;
            printf("%5d %18s %3d | %10.1f %8.1f-%-10.1f | %7.2f\n", B, name, t + 1, st[t].median * 1e6,
                   st[t].lo * 1e6, st[t].hi * 1e6, sp);
            fprintf(tsv, "%d\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.3f\n", B, name, t + 1, st[t].median * 1e6,
                    st[t].lo * 1e6, st[t].hi * 1e6, sp);
        }
        for (int t = 0; t < nt; t++) {
            mlp_free(&d[t].net);
            free(d[t].x), free(d[t].y);
        }
    }
}

/* Forward + backward pass with 1 and maxthreads threads at growing sizes: where the team starts to pay. Only
 * meaningful in the build without the serial threshold, where every pass takes its parallel path. */
static void pass_run(void *p)
{
    step *s = p;
    mlp_forward(&s->net, s->x, s->B);
    mlp_loss(&s->net, s->y, s->B, 1.0f / (float)s->B);
    mlp_backward(&s->net, s->x, s->B);
}

static void bench_threshold(FILE *tsv, int maxthreads)
{
    static const int models[][2] = {{8, 8},   {8, 32},  {32, 16},  {32, 32},  {32, 64},  {32, 128}, {32, 256},
                                    {32, 512}, {64, 512}, {256, 64}, {256, 128}, {256, 256}, {256, 512}};
    fprintf(tsv, "batch\thidden\twork\tserial_us\tparallel_us\tspeedup\n");
    printf("\nSerial threshold: forward + loss + backward of 64-H-10, 1 thread against %d (work = multiply-adds of a "
           "pass)\n%5s %6s %9s | %10s %10s | %7s\n", maxthreads, "batch", "hidden", "work", "1 thr us", "N thr us",
           "speedup");
    rng r;
    rng_init(&r, 45, 1);
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        int B = models[m][0], H = models[m][1];
        step s[2];
        long n[2];
        double tm[2][MAXREP];
        for (int t = 0; t < 2; t++) {
            step_init(&s[t], B, H, MLP_SIGMOID, &r);
            set_threads(t ? maxthreads : 1);
            n[t] = calibrate(pass_run, &s[t]);
        }
        for (int rep = 0; rep < reps; rep++)
            for (int t = 0; t < 2; t++) {
                set_threads(t ? maxthreads : 1);
                double t0 = now();
                for (long i = 0; i < n[t]; i++)
                    pass_run(&s[t]);
                tm[t][rep] = (now() - t0) / (double)n[t];
            }
        stat a = summarise(tm[0], reps), b = summarise(tm[1], reps);
        long work = (long)B * (STEP_IN * H + H * STEP_OUT);
        printf("%5d %6d %9ld | %10.2f %10.2f | %7.2f\n", B, H, work, a.median * 1e6, b.median * 1e6,
               a.median / b.median);
        fprintf(tsv, "%d\t%d\t%ld\t%.3f\t%.3f\t%.3f\n", B, H, work, a.median * 1e6, b.median * 1e6,
                a.median / b.median);
        step_free(&s[0]), step_free(&s[1]);
    }
}

/* OpenBLAS's core and its single-thread sgemm GFLOP/s at 256 x 1024 x 1024, to check OPENBLAS_CORETYPE. */
static void bench_sgemm(void)
{
    rng r;
    rng_init(&r, 46, 1);
    layer l;
    layer_init(&l, 256, 1024, 1024, &r);
    set_threads(1);
    bench_fn f[1] = {fwd_blas};
    void *a[1] = {&l};
    stat st;
    measure(1, f, a, &st);
    printf("%s\t%.1f\n", openblas_get_corename(), 2.0 * l.B * l.IN * l.OUT / st.median * 1e-9);
    layer_free(&l);
}

static FILE *open_table(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    return f;
}

/* --round-trip: two threads pinned to the first two CPUs this process may run on hand a counter back and forth
 * through one cache line; prints the median of 5 runs of 20,000 round trips in ns ("none" with fewer than two
 * CPUs, a team of one thread or a pin refused). Every barrier of a 2-thread step waits at least this long, and
 * every line of activations the other core wrote costs part of it. On the development VM it read 50-90 ns in some
 * minutes and 340-360 ns in others (the host, it appears, had placed the two vCPUs far apart); in the slow minutes
 * a 2-thread step of 64-256-256-10 at batch 64 took as long as one thread's (308-321 against 310 us), in the fast
 * ones 185-191 us. bench.sh takes it before every 2-thread run of the deeper and the wider models. */
static _Atomic int baton __attribute__((aligned(64)));

static void bench_round_trip(void)
{
    cpu_set_t mask;
    int cpu[2], k = 0;
    if (sched_getaffinity(0, sizeof mask, &mask) == 0)
        for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
            if (CPU_ISSET(c, &mask))
                cpu[k++] = c;
    if (k < 2) {
        printf("none\n");
        return;
    }
    enum { ROUNDS = 20000, RUNS = 5 };
    double ns[RUNS];
    for (int run = 0; run < RUNS; run++) {
        double t0 = 0, t1 = 0;
        atomic_store(&baton, 0);
        int team = 0, pinned = 1;
        #pragma omp parallel num_threads(2) reduction(&& : pinned)
        {
            int t = omp_get_thread_num();
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu[t], &one);
            pinned = pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
            #pragma omp single
            team = omp_get_num_threads();
            if (team == 2) /* else (OMP_THREAD_LIMIT, OMP_DYNAMIC) no partner would ever answer */
            {
                if (t == 0)
                    t0 = now();
                /* thread 0 turns the even counts odd, thread 1 the odd ones even */
                for (int i = 0; i < ROUNDS; i++) {
                    int want = 2 * i + t;
                    while (atomic_load_explicit(&baton, memory_order_acquire) != want)
                        ;
                    atomic_store_explicit(&baton, want + 1, memory_order_release);
                }
                if (t == 0) {
                    while (atomic_load_explicit(&baton, memory_order_acquire) != 2 * ROUNDS)
                        ;
                    t1 = now();
                }
            }
        }
        if (team != 2 || !pinned) {
            printf("none\n"); /* two threads on two known cores, or no reading */
            return;
        }
        ns[run] = (t1 - t0) / ROUNDS * 1e9;
    }
    printf("%.0f\n", summarise(ns, RUNS).median);
}

extern char **environ;

/* The process group spawn_wait's child leads while it runs (0: none), for forward_signal. */
static volatile sig_atomic_t child_group;

/* SIGINT, SIGTERM or SIGHUP, on whichever thread takes it, goes on to the child's group, which a terminal's Ctrl-C
 * no longer reaches; the child's exit ends the wait as usual. */
static void forward_signal(int sig)
{
    if (child_group > 0)
        kill(-(pid_t)child_group, sig);
}

/* Runs cmd (found on PATH) with this process's descriptors and environment, in a process group of its own, and
 * waits for it, killing the group (SIGKILL: a peer's worker processes too) once it has run timeout seconds (0: no
 * limit), as timeout(1) does: the seconds from just before its spawn to just after its exit, its wait status in
 * *status and its resource use in *ru (wait4's: CPU time, peak memory); -1 (errno set) when it cannot run. The
 * wait polls a pidfd, readable when the child exits (no SIGCHLD, which another thread of this process, OpenBLAS's,
 * could take); a kernel without pidfd_open (before Linux 5.3) gets a poll of waitpid every 100 us instead. */
static double spawn_wait(char **cmd, int *status, double timeout, struct rusage *ru)
{
    static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction fwd = {.sa_handler = forward_signal}, old[3];
    sigemptyset(&fwd.sa_mask);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    pid_t pid;
    double t0 = now();
    int rc = posix_spawnp(&pid, cmd[0], NULL, &attr, cmd, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    child_group = pid;
    for (int i = 0; i < 3; i++)
        sigaction(forwarded[i], &fwd, &old[i]);
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct rusage none;
    pid_t got = 0;
    for (;;) {
        double left = timeout > 0 ? timeout - (now() - t0) : 1.0;
        if (left <= 0) {
            kill(-pid, SIGKILL);
            break;
        }
        if (fd >= 0) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, left < 1.0 ? (int)(left * 1000) + 1 : 1000) > 0)
                break;
        } else if ((got = wait4(pid, status, WNOHANG, ru ? ru : &none)) != 0) {
            break;
        } else {
            nanosleep(&(struct timespec){0, 100000}, NULL);
        }
    }
    while (got == 0 && (got = wait4(pid, status, 0, ru ? ru : &none)) < 0 && errno == EINTR)
        got = 0;
    double seconds = now() - t0;
    int e = errno;
    child_group = 0;
    for (int i = 0; i < 3; i++)
        sigaction(forwarded[i], &old[i], NULL);
    if (fd >= 0)
        close(fd);
    errno = e;
    return got > 0 ? seconds : -1;
}

/* --os-costs: medians of RUNS readings each. A page fault: the first write to each page of a fresh anonymous mapping
 * (the kernel's entry and exit, a zeroed page and its mapping); a system call: getppid, which glibc does not cache;
 * a bare process: posix_spawn of /bin/true and waitpid (fork, exec, the loader, exit and teardown). On a VM whose
 * kernel isolates its page tables (PTI) every kernel entry is dear, and a short process pays it hundreds of times. */

static void bench_os_costs(void)
{
    enum { RUNS = 7, PAGES = 1024, CALLS = 10000, SPAWNS = 21 };
    double fault[RUNS], call[RUNS], spawn[SPAWNS];
    long page = sysconf(_SC_PAGESIZE);
    for (int run = 0; run < RUNS; run++) {
        size_t len = (size_t)PAGES * (size_t)page;
        volatile char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            printf("none\n");
            return;
        }
        /* small pages, each its own fault, where transparent huge pages are on for every mapping */
        madvise((void *)m, len, MADV_NOHUGEPAGE);
        double t0 = now();
        for (size_t i = 0; i < len; i += (size_t)page)
            m[i] = 1;
        double t1 = now();
        munmap((void *)m, len);
        double t2 = now();
        for (int i = 0; i < CALLS; i++)
            syscall(SYS_getppid);
        double t3 = now();
        fault[run] = (t1 - t0) / PAGES * 1e6;
        call[run] = (t3 - t2) / CALLS * 1e6;
    }
    char *argv[] = {"/bin/true", NULL};
    for (int i = 0; i < SPAWNS; i++) {
        int status;
        double seconds = spawn_wait(argv, &status, 0, NULL);
        if (seconds < 0) {
            printf("none\n");
            return;
        }
        spawn[i] = seconds * 1e3;
    }
    printf("%.2f\t%.2f\t%.2f\n", summarise(fault, RUNS).median, summarise(call, RUNS).median,
           summarise(spawn, SPAWNS).median);
}

/* --time FILE [--timeout SECONDS] CMD [ARG...]: runs CMD (found on PATH) with this process's descriptors and
 * environment and writes to FILE one line: the seconds from just before its spawn to just after its exit, its user
 * and system CPU seconds and its peak resident memory in KiB (as /usr/bin/time -f '%e\t%U\t%S\t%M', from
 * wait4), tab-separated. The process's own figures, without a timer's start-up in them: a shell's $(date) on each
 * side added 5-7 ms on a VM where /bin/true took 2.6 ms, and timeout(1) and /usr/bin/time around a digits process
 * 15 ms on the VM of 2026-12-03 (their two execs and waits). With --timeout, CMD is killed (SIGKILL) once it has
 * run that long. Returns CMD's exit status (128 + its signal), or 127 when it cannot run. */
static int time_command(const char *file, double timeout, char **cmd)
{
    int status;
    struct rusage ru;
    double seconds = spawn_wait(cmd, &status, timeout, &ru);
    if (seconds < 0) {
        fprintf(stderr, "bench_kernels: cannot run %s: %s\n", cmd[0], strerror(errno));
        return 127;
    }
    FILE *f = fopen(file, "w");
    if (!f ||
        fprintf(f, "%.6f\t%.2f\t%.2f\t%ld\n", seconds, (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec,
                (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec, ru.ru_maxrss) < 0 ||
        fclose(f) != 0) {
        fprintf(stderr, "bench_kernels: cannot write %s\n", file);
        return 127;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: bench_kernels [--quick] [--only=kernels|step|scaling|deep] [--threshold] OUTDIR\n"
               "       bench_kernels --sgemm | --round-trip | --os-costs\n"
               "       bench_kernels --time FILE [--timeout SECONDS] CMD [ARG...]\n"
               "--sgemm: OpenBLAS's core and its single-thread sgemm GFLOP/s; --round-trip: a cache line's round trip "
               "between two cores, ns;\n--os-costs: page fault us, system call us, /bin/true spawned and waited for "
               "ms; --time: CMD's wall, user and system seconds and peak KiB, to FILE\n");
    return rc;
}

int main(int argc, char **argv)
{
    int quick = 0, threshold = 0;
    const char *dir = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strncmp(argv[i], "--only=", 7))
            only = argv[i] + 7;
        else if (!strcmp(argv[i], "--threshold"))
            threshold = 1;
        else if (!strcmp(argv[i], "--sgemm")) {
            bench_sgemm();
            return 0;
        } else if (!strcmp(argv[i], "--round-trip")) {
            bench_round_trip();
            return 0;
        } else if (!strcmp(argv[i], "--os-costs")) {
            bench_os_costs();
            return 0;
        } else if (!strcmp(argv[i], "--time")) {
            double timeout = 0;
            int at = i + 2;
            if (at + 1 < argc && !strcmp(argv[at], "--timeout")) {
                char *end;
                timeout = strtod(argv[at + 1], &end);
                if (*end || !(timeout > 0 && timeout <= 1e7))
                    return usage(stderr, 2);
                at += 2;
            }
            if (at >= argc)
                return usage(stderr, 2);
            return time_command(argv[i + 1], timeout, argv + at);
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return usage(stdout, 0);
        else if (argv[i][0] == '-' || dir)
            return usage(stderr, 2);
        else
            dir = argv[i];
    }
    if (!dir)
        return usage(stderr, 2);
    if (only && strcmp(only, "kernels") && strcmp(only, "step") && strcmp(only, "scaling") && strcmp(only, "deep")) {
        fprintf(stderr, "bench_kernels: --only=%s: not one of kernels, step, scaling, deep\n", only);
        return 2;
    }
    if (quick)
        reps = 5, min_seconds = 0.01;
    int maxthreads = omp_get_max_threads();
    printf("bench_kernels: %d threads at most, OpenBLAS core %s, %s\n", maxthreads, openblas_get_corename(),
           threshold ? "every pass parallel (no serial threshold)" : "as built for the runner");
    if (threshold) {
        FILE *f = open_table(dir, "threshold.tsv");
        bench_threshold(f, maxthreads);
        fclose(f);
    } else {
        if (!only || !strcmp(only, "kernels")) {
            FILE *f = open_table(dir, "kernels.tsv");
            bench_layers(f, quick, maxthreads);
            fclose(f);
        }
        if (!only || !strcmp(only, "step")) {
            FILE *f = open_table(dir, "step.tsv");
            bench_step(f, maxthreads);
            fclose(f);
        }
        if (!only || !strcmp(only, "scaling")) {
            FILE *f = open_table(dir, "scaling.tsv");
            bench_scaling(f, quick, maxthreads);
            fclose(f);
        }
        if (!only || !strcmp(only, "deep")) {
            FILE *f = open_table(dir, "deep.tsv");
            bench_deep(f, maxthreads);
            fclose(f);
        }
    }
    if (!threshold) {
        FILE *f = open_table(dir, "checks.tsv");
        fprintf(f, "check\tresult\nfast kernels match their plain twins; a step leaves the same bits with 1 and %d "
                   "threads\t%s\n", maxthreads, failed ? "FAILED" : "ok");
        fclose(f);
    }
    if (failed)
        fprintf(stderr, "bench_kernels: a check failed; the timings above are not to be trusted\n");
    return failed;
}
