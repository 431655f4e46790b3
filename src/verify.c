/* Verification reads the plan (identity_load_plan), plans its runs as the runner did, and names each run that is
 * not committed with the store's reason, in plan order. */
#include "verify.h"
#include "config.h"
#include "identity.h"
#include "plural.h"
#include "store.h"
#include <string.h>

void verify_runs(const char *dir, const sweep_plan *plan, const int *owner, FILE *lines, verify_counts *c)
{
    static const char *const verdicts[] = {[-STORE_RUN_DAMAGED] = "damaged", [-STORE_RUN_MISSING] = "missing",
                                           [-STORE_RUN_BUSY] = "cannot be read now"};
    long *counts[] = {&c->intact, &c->damaged, &c->missing, &c->busy};
    c->intact = c->damaged = c->missing = c->busy = 0;
    for (long r = 0; r < plan->nruns; r++) {
        char why[600], id[SWEEP_ID];
        int rc = store_read_run(dir, plan, r, NULL, why, sizeof why);
        (*counts[-rc])++;
        if (owner && c->owned) {
            c->owned[owner[r]]++;
            c->committed[owner[r]] += rc == STORE_RUN_OK;
        }
        if (rc == STORE_RUN_OK || !lines)
            continue;
        config cfg;
        long long seed;
        sweep_run(plan, r, &cfg, &seed, id, sizeof id);
        if (rc == STORE_RUN_MISSING) /* why says nothing more */
            fprintf(lines, "%s/runs/%s: missing\n", dir, id);
        else
            fprintf(lines, "%s/runs/%s: %s: %s\n", dir, id, verdicts[-rc], why);
    }
}

int verify_experiment(const char *root, const char *name, FILE *lines, FILE *ok, long *bad, char *err, size_t len)
{
    char dir[STORE_PATH];
    config cfg;
    sweep_plan plan;
    *bad = 0;
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    if (identity_load_plan(dir, &cfg, err, len) < 0)
        return -1;
    if (sweep_plan_init(&plan, &cfg, 100000000, err, len) < 0) {
        config_free(&cfg);
        return -1;
    }
    verify_counts c = {0};
    verify_runs(dir, &plan, NULL, lines, &c);
    *bad = plan.nruns - c.intact;
    fprintf(ok, "%s: %ld run%s, %ld intact, %ld damaged, %ld missing, %ld cannot be read now%s\n",
            dir, plan.nruns, plural(plan.nruns), c.intact, c.damaged, c.missing, c.busy,
            *bad ? " (run the config again to train what is missing or damaged)" : "");
    config_free(&cfg);
    return 0;
}
