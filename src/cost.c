/* Work from the layer widths; bytes from the buffers train_prepare allocates, counted the way mlp_init sizes them. */
#include "cost.h"
#include "mlp.h"
#include "train.h"
#include <omp.h>
#include <stdio.h>
#include <unistd.h>

/* Bytes of the buffers train_prepare allocates for a model of these layer sizes. */
static double run_bytes(const config *cfg, const double *sizes, int train_rows)
{
    double params = 0, units = 0;
    for (int k = 0; k <= cfg->nhidden; k++) {
        params += sizes[k + 1] * sizes[k] + sizes[k + 1];
        units += sizes[k + 1];
    }
    int inputs = (int)sizes[0], B = train_batch_rows(cfg, train_rows);
    double rows = train_model_rows(B);
    /* params, grads and the last finite copy, optimizer state, three activations per unit and row; with one hidden
     * layer the chunked step's workspace; the gathered batch (B rows), one per thread where the step takes one
     * (mlp_batch_copies, on all the threads a run may have) */
    double copies = 3 + (cfg->optimizer == OPT_MOMENTUM) + 2 * (cfg->optimizer == OPT_ADAM);
    double nout = sizes[cfg->nhidden + 1], chunked = 0;
    int isize[MLP_MAX_LAYERS + 1];
    for (int k = 0; k <= cfg->nhidden + 1; k++)
        isize[k] = (int)sizes[k];
    double batches = mlp_batch_copies(isize, cfg->nhidden + 1, cost_threads(cfg->threads), B);
    if (cfg->nhidden == 1)
        chunked = mlp_chunked_floats(cfg->hidden[0], (int)nout, (int)rows);
    /* per row also the loss (8 bytes) and the prediction (1); per batch row the gathered label (4) */
    return 4 * (params * copies + 3 * rows * units + batches * B * inputs + chunked) + 9 * rows + 4.0 * B +
           4.0 * train_rows + (double)(cfg->epochs + 1) * sizeof(train_epoch);
}

cost cost_run(const config *cfg, int inputs, int nclasses, int train_rows)
{
    double sizes[MLP_MAX_LAYERS + 1], units = 0;
    sizes[0] = inputs;
    for (int k = 0; k < cfg->nhidden; k++) {
        sizes[k + 1] = cfg->hidden[k];
        units += sizes[k] * sizes[k + 1];
    }
    units += sizes[cfg->nhidden] * nclasses;
    sizes[cfg->nhidden + 1] = mlp_output_units((mlp_output)cfg->output, nclasses);
    double params = 0, act = 0, B = train_batch_rows(cfg, train_rows);
    for (int k = 0; k <= cfg->nhidden; k++) {
        params += sizes[k + 1] * sizes[k] + sizes[k + 1];
        act += sizes[k + 1];
    }
    double copies = 2 + (cfg->optimizer == OPT_MOMENTUM) + 2 * (cfg->optimizer == OPT_ADAM);
    double step = 4 * (params * copies + 3 * B * act + B * inputs);
    return (cost){units * (double)train_rows * (double)cfg->epochs, run_bytes(cfg, sizes, train_rows), step};
}

double cost_time_weight(const config *cfg, int inputs, int nclasses, int train_rows)
{
    int B = train_batch_rows(cfg, train_rows);
    double steps = (double)cfg->epochs * ((train_rows + B - 1) / B);
    return cost_run(cfg, inputs, nclasses, train_rows).work + steps * COST_STEP_MADDS;
}

cost cost_plan_run(const sweep_plan *plan, const plandata *data, long r)
{
    config c;
    long long seed;
    const plandata_set *d = plandata_run(data, plan, r, &c, &seed);
    return cost_run(&c, d->train.cols, d->nclasses, d->train.rows);
}

int cost_threads(int requested)
{
    int procs = omp_get_num_procs(), t = requested > 0 ? requested : omp_get_max_threads();
    t = t < procs ? t : procs;
    return t > 1 ? t : 1;
}

long cost_step_rows(const config *cfg) { return cfg->batch_size > 0 ? (long)cfg->batch_size : COST_WHOLE_SET; }

long cost_hidden_units(const config *cfg)
{
    long units = 0;
    for (int k = 0; k < cfg->nhidden; k++)
        units += cfg->hidden[k];
    return units;
}

/* bytes in the largest of B, KiB, MiB and GiB that keeps the number at least 1 ("512 B", "4.60 GiB") */
static const char *size_text(double bytes, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB"};
    int u = 0;
    for (; u < 3 && bytes >= 1024; u++)
        bytes /= 1024;
    snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", bytes, unit[u]);
    return buf;
}

int cost_check_memory(const sweep_plan *plan, const plandata *data, int parallel, int group, double limit, char *err,
                      size_t len)
{
    double biggest = 0, bytes = 0;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (limit == 0)
        limit = pages > 0 && page > 0 ? (double)pages * (double)page : 1e18;
    /* features as floats and one label per row, of the training, validation and test sets */
    for (int i = 0; i < data->n; i++) {
        const plandata_set *d = &data->sets[i];
        bytes += 4.0 * ((double)d->train.rows + d->val.rows + d->test.rows) * (d->train.cols + 1);
    }
    for (long r = 0; r < plan->nruns; r++) {
        double m = cost_plan_run(plan, data, r).bytes;
        biggest = m > biggest ? m : biggest;
    }
    /* trainer.c's train_todo starts the next group (train_prepare allocates its runs whole) before it writes and
     * frees the group that finished, so that no core waits on the disk: with more runs than side by side, a landed
     * group more is allocated at once; unfused runs are groups of one, so parallel_runs = 1 has two (as
     * tests/pandas_test.sh pins) */
    parallel += plan->nruns > parallel ? group : 0;
    parallel = plan->nruns < parallel ? (int)plan->nruns : parallel; /* never more than the plan has */
    bytes += parallel * biggest;
    if (bytes > limit) {
        char need[32], one[32], allowed[32];
        snprintf(err, len, "%s: the runs would need %s of memory (%d at once, the largest %s), more than the %s "
                 "allowed (shrink model.hidden or train.batch_size, or raise --max-memory)", plan->base->path,
                 size_text(bytes, need, sizeof need), parallel, size_text(biggest, one, sizeof one),
                 size_text(limit, allowed, sizeof allowed));
        return -1;
    }
    return 0;
}
