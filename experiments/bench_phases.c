/* The 2-thread units step of the deeper models, phase by phase: where the step's time goes beyond a thread's share
 * of the work. Built against a copy of mlp.c compiled with -DMLP_PHASES (mlp.h: mlp_phase_log), which reads the
 * clock at the end of every phase of units_step. Each model is stepped two ways, in interleaved blocks:
 *   alone: thread 0 does its share while thread 1 returns at once and no barrier waits (nothing crosses between the
 *          cores: what the share costs on its own; the values are meaningless);
 *   team:  the real step; both threads' phases, waits at the barriers included.
 * and, before them, the 1-thread step (mlp_train_step on one thread; whole steps only). Prints a table per model and
 * writes OUTDIR/phases.tsv (model, batch, phase, alone_us, t0_us, t1_us: medians over the steps; the rows "step"
 * and "one thread" hold whole steps). Usage: bench_phases [--quick] OUTDIR; exit 1 when the phases of the two
 * threads or of the two ways do not line up, 2 on a bad command line or a machine of one core. */
#define MLP_PHASES /* mlp.h's phase log */
#include "bench_clock.h"
#include "mlp.h"
#include "rng.h"
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { IN = 64, OUT = 10, BLOCKS = 4 };

static void *alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "bench_phases: out of memory\n");
        exit(2);
    }
    return p;
}

static const char *kind_name(mlp_phase_kind k)
{
    switch (k) {
    case MLP_PH_FORWARD: return "forward";
    case MLP_PH_OUTPUT: return "output logits and loss";
    case MLP_PH_INPUT: return "input gradient";
    case MLP_PH_WEIGHTS: return "weight gradient and update";
    default: return "wait at the barrier";
    }
}

typedef struct model {
    mlp net;
    int B;
    float *x;
    int *y;
} model;

/* A model of the multi-layer target (sigmoid/softmax, Xavier weights, as bench_kernels' step) and a random batch. */
static void model_init(model *m, int B, int layers)
{
    int hidden[3] = {256, 256, 256};
    m->B = B;
    if (mlp_init(&m->net, IN, hidden, layers, OUT, MLP_SIGMOID, MLP_OUT_SOFTMAX, B) < 0) {
        fprintf(stderr, "bench_phases: out of memory\n");
        exit(2);
    }
    rng r;
    rng_init(&r, 8, RNG_STREAM_INIT);
    mlp_randomize(&m->net, MLP_INIT_XAVIER, &r);
    m->x = alloc((size_t)B * IN * sizeof *m->x);
    for (size_t i = 0; i < (size_t)B * IN; i++)
        m->x[i] = (float)(2 * rng_uniform(&r) - 1);
    m->y = alloc((size_t)B * sizeof *m->y);
    for (int i = 0; i < B; i++)
        m->y[i] = (int)rng_below(&r, OUT);
}

static double step(model *m)
{
    mlp_update u = {.kind = MLP_SGD, .lr = 1e-3f};
    double t0 = bench_now_ns();
    mlp_train_step(&m->net, m->x, m->y, m->B, 1.0f / (float)m->B, &u);
    return bench_now_ns() - t0;
}

/* The phases of thread t in the last step (alone, thread 0's has no waits): their count, and their kinds, layers
 * and nanoseconds into kind[], layer[] and ns[]. */
static int phases_of(int t, mlp_phase_kind *kind, int *layer, double *ns)
{
    const mlp_phase_thread *log = &mlp_phases.t[t];
    for (int i = 0; i < log->n; i++)
        kind[i] = log->kind[i], layer[i] = log->layer[i], ns[i] = log->ns[i];
    return log->n;
}

/* One model: steps in BLOCKS interleaved blocks of each way; the table to stdout and tsv. 0, or 1 when the phases
 * do not line up. */
static int bench_model(FILE *tsv, int B, int layers, int steps)
{
    char name[64];
    snprintf(name, sizeof name, "64-256%s-10", layers == 2 ? "-256" : "-256-256");
    model m;
    model_init(&m, B, layers);
    int per = steps / BLOCKS, total = per * BLOCKS;
    /* phases of thread t in the team (waits included), and thread 0's alone, per step */
    mlp_phase_kind kind[MLP_PHASE_MAX], k2[MLP_PHASE_MAX];
    int layer[MLP_PHASE_MAX], l2[MLP_PHASE_MAX], np = 0;
    double ns[MLP_PHASE_MAX];
    double *team[MLP_PHASE_THREADS][MLP_PHASE_MAX], *alone[MLP_PHASE_MAX];
    double *whole_team = alloc((size_t)total * sizeof(double)), *whole_alone = alloc((size_t)total * sizeof(double));
    double *one = alloc((size_t)total * sizeof(double));

    omp_set_num_threads(1);
    for (int i = 0; i < 50; i++)
        step(&m);
    for (int i = 0; i < total; i++)
        one[i] = step(&m);

    omp_set_num_threads(2);
    mlp_phases.alone = 0;
    for (int t = 0; t < MLP_PHASE_THREADS; t++)
        mlp_phases.t[t].n = 0; /* a step that is no units step leaves none */
    for (int i = 0; i < 50; i++)
        step(&m);
    np = phases_of(0, kind, layer, ns);
    int bad = np == 0;
    if (bad) {
        fprintf(stderr, "bench_phases: %s, batch %d: a 2-thread step is not a units step\n", name, B);
        goto done;
    }
    for (int t = 0; t < MLP_PHASE_THREADS; t++)
        for (int p = 0; p < np; p++)
            team[t][p] = alloc((size_t)total * sizeof(double));
    for (int p = 0; p < np; p++)
        alone[p] = alloc((size_t)total * sizeof(double));

    int at0 = 0; /* the first step of this block */
    for (int blk = 0; blk < BLOCKS; blk++) {
        for (int way = 0; way < 2; way++) {
            mlp_phases.alone = way;
            for (int i = 0; i < 20; i++) /* the other way's caches and lines settle */
                step(&m);
            for (int i = 0; i < per; i++) {
                double w = step(&m);
                int at = at0 + i;
                if (!way) {
                    whole_team[at] = w;
                    for (int t = 0; t < MLP_PHASE_THREADS; t++) {
                        int n = phases_of(t, k2, l2, ns);
                        bad |= n != np || memcmp(k2, kind, (size_t)np * sizeof *kind) ||
                               memcmp(l2, layer, (size_t)np * sizeof *layer);
                        for (int p = 0; p < np && p < n; p++)
                            team[t][p][at] = ns[p];
                    }
                } else {
                    whole_alone[at] = w;
                    int n = phases_of(0, k2, l2, ns);
                    /* the team's sequence, which has the waits besides */
                    for (int p = 0, q = 0; p < np; p++) {
                        if (kind[p] == MLP_PH_WAIT) {
                            alone[p][at] = 0;
                            continue;
                        }
                        bad |= q >= n || k2[q] != kind[p] || l2[q] != layer[p];
                        alone[p][at] = q < n ? ns[q] : 0;
                        q++;
                    }
                }
            }
        }
        at0 += per;
    }
    mlp_phases.alone = 0;
    if (bad) {
        fprintf(stderr, "bench_phases: %s, batch %d: the phases of the threads or of the two ways differ\n", name, B);
        goto done;
    }

    printf("\n%s, batch %d: the 2-thread units step phase by phase (us, medians of %d steps; alone: thread 0's "
           "share with nothing crossing)\n%-34s %9s %9s %9s\n", name, B, total, "phase", "alone", "thread 0",
           "thread 1");
    double sum[3] = {0, 0, 0};
    for (int p = 0; p < np; p++) {
        char label[64];
        if (kind[p] == MLP_PH_WAIT)
            snprintf(label, sizeof label, "%s", kind_name(kind[p]));
        else
            snprintf(label, sizeof label, "%s, layer %d", kind_name(kind[p]), layer[p] + 1);
        double a = kind[p] == MLP_PH_WAIT ? 0 : bench_median(alone[p], total);
        double t0 = bench_median(team[0][p], total), t1 = bench_median(team[1][p], total);
        sum[0] += a, sum[1] += t0, sum[2] += t1;
        printf("%-34s %9.2f %9.2f %9.2f\n", label, a / 1e3, t0 / 1e3, t1 / 1e3);
        fprintf(tsv, "%s\t%d\t%s\t%.2f\t%.2f\t%.2f\n", name, B, label, a / 1e3, t0 / 1e3, t1 / 1e3);
    }
    double s1 = bench_median(one, total), s2 = bench_median(whole_team, total), sa = bench_median(whole_alone, total);
    printf("%-34s %9.2f %9.2f %9.2f\n%-34s %9.2f %9.2f\n%-34s %9.2f\n", "sum of the phases", sum[0] / 1e3,
           sum[1] / 1e3, sum[2] / 1e3, "step (the region's fork included)", sa / 1e3, s2 / 1e3,
           "one thread, the whole step", s1 / 1e3);
    fprintf(tsv, "%s\t%d\tsum of the phases\t%.2f\t%.2f\t%.2f\n", name, B, sum[0] / 1e3, sum[1] / 1e3, sum[2] / 1e3);
    fprintf(tsv, "%s\t%d\tstep\t%.2f\t%.2f\t%.2f\n", name, B, sa / 1e3, s2 / 1e3, s2 / 1e3);
    fprintf(tsv, "%s\t%d\tone thread\t%.2f\t%.2f\t%.2f\n", name, B, s1 / 1e3, s1 / 1e3, s1 / 1e3);

done:
    for (int p = 0; p < np; p++) {
        free(alone[p]);
        for (int t = 0; t < MLP_PHASE_THREADS; t++)
            free(team[t][p]);
    }
    free(whole_team), free(whole_alone), free(one);
    mlp_free(&m.net);
    free(m.x), free(m.y);
    return bad;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    if (argc != 2 + quick || argv[1 + quick][0] == '-') {
        fprintf(stderr, "usage: bench_phases [--quick] OUTDIR\n");
        return 2;
    }
    if (omp_get_num_procs() < 2) {
        fprintf(stderr, "bench_phases: one core: no 2-thread step to take apart\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/phases.tsv", argv[1 + quick]);
    FILE *tsv = fopen(path, "w");
    if (!tsv) {
        perror(path);
        return 2;
    }
    fprintf(tsv, "model\tbatch\tphase\talone_us\tt0_us\tt1_us\n");
    int bad = bench_model(tsv, 64, 2, quick ? 200 : 2000);
    bad |= bench_model(tsv, 128, 3, quick ? 100 : 800);
    if (fclose(tsv)) {
        perror(path);
        return 2;
    }
    return bad;
}
