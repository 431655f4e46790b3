/* The views of a sharded sweep; the work of checking runs is verify_runs', ownership shard_assign's. */
#include "collect.h"
#include "cost.h"
#include "fileio.h"
#include "plural.h"
#include "store.h"
#include <stdlib.h>
#include <string.h>

int collect_shards_recorded(const char *dir)
{
    char path[STORE_PATH + 32];
    snprintf(path, sizeof path, "%s/" COLLECT_SHARDS, dir);
    char *text = fileio_read(path), *end;
    long n = text ? strtol(text, &end, 10) : 0;
    int ok = text && end != text && *end == '\n' && n > 0 && n <= 1000000;
    free(text);
    return ok ? (int)n : 0;
}

int collect_shards_record(const char *dir, int count, char *err, size_t len)
{
    char path[STORE_PATH + 32], text[32];
    if (collect_shards_recorded(dir) == count)
        return 0;
    snprintf(path, sizeof path, "%s/" COLLECT_SHARDS, dir);
    int n = snprintf(text, sizeof text, "%d\n", count);
    return fileio_write_atomic(path, text, (size_t)n, err, len);
}

void collect_dry_run(FILE *out, const sweep_plan *plan, const plandata *data, const int *owner, const double *load,
                     int count, const shard *self)
{
    double total = 0;
    for (int s = 0; s < count; s++)
        total += load[s];
    fprintf(out, "# %s: %ld run%s, %d shard%s; work in multiply-adds of forward passes (the run-cost model)\n",
            plan->base->name, plan->nruns, plural(plan->nruns), count, plural(count));
    if (self)
        fprintf(out, "# this process: shard %d/%d (from %s)\n", self->index, self->count, self->source);
    fprintf(out, "# run\tshard\twork\tid\n");
    long *runs = count > 0 ? calloc((size_t)count, sizeof *runs) : NULL;
    for (long r = 0; r < plan->nruns; r++) {
        config c;
        long long seed;
        char id[SWEEP_ID];
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        fprintf(out, "%ld\t%d\t%.4g\t%s\n", r, owner[r], cost_plan_run(plan, data, r).work, id);
        if (runs)
            runs[owner[r]]++;
    }
    for (int s = 0; s < count; s++)
        fprintf(out, "# shard %d/%d: %ld run%s, work %.4g (%.1f%% of %.4g)\n", s, count, runs ? runs[s] : -1L,
                plural(runs ? runs[s] : -1L), load[s], total > 0 ? 100 * load[s] / total : 0.0, total);
    free(runs);
}

int collect_scan(const char *dir, const sweep_plan *plan, const int *owner, int count, FILE *lines, verify_counts *c)
{
    memset(c, 0, sizeof *c);
    c->owned = calloc((size_t)count, sizeof *c->owned);
    c->committed = calloc((size_t)count, sizeof *c->committed);
    if (!c->owned || !c->committed)
        return -1;
    verify_runs(dir, plan, owner, lines, c);
    return 0;
}

void collect_counts_free(verify_counts *c)
{
    free(c->owned);
    free(c->committed);
    c->owned = c->committed = NULL;
}

void collect_status(FILE *out, const char *dir, const verify_counts *c, int count, long nruns)
{
    for (int s = 0; s < count; s++)
        fprintf(out, "%s: shard %d/%d: %ld/%ld runs committed%s\n", dir, s, count, c->committed[s], c->owned[s],
                c->committed[s] == c->owned[s] ? " (done)" : "");
    fprintf(out, "%s: %ld/%ld runs committed (%ld damaged, %ld missing, %ld cannot be read now)\n", dir, c->intact,
            nruns, c->damaged, c->missing, c->busy);
}

void collect_incomplete(FILE *out, const char *dir, const verify_counts *c, int count, long nruns)
{
    char list[400] = "";
    int listed = 0;
    for (int s = 0; s < count; s++) {
        size_t used = strlen(list);
        if (c->committed[s] == c->owned[s])
            continue;
        if (listed++ < 20)
            snprintf(list + used, sizeof list - used, "%s %d/%d", listed > 1 ? "," : "", s, count);
        else if (listed == 21)
            snprintf(list + used, sizeof list - used, ", ...");
    }
    fprintf(out, "%s: incomplete: %ld of %ld runs missing or damaged (%ld missing, %ld damaged, %ld cannot be read "
            "now); owned by shard%s%s (run them again, e.g. runner --shard I/N CONFIG, then --collect)\n", dir,
            nruns - c->intact, nruns, c->missing, c->damaged, c->busy, plural(listed), list);
}
