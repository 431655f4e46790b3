/* Verification reads the plan (STORE_PLAN), plans its runs as the runner did, and names each run that is not committed with the
 * store's reason, in plan order. */
#include "verify.h"
#include "config.h"
#include "fileio.h"
#include "store.h"
#include "sweep.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The plan's base config from STORE_PLAN of dir. 0, or -1 with err. */
static int load_plan(const char *dir, config *cfg, char *err, size_t len)
{
    char path[STORE_PATH + 16];
    snprintf(path, sizeof path, "%s/" STORE_PLAN, dir);
    config_defaults(cfg);
    char *text = fileio_read(path);
    if (!text) {
        snprintf(err, len, "%s: cannot read: %s (every run of the config records its plan; run it again)", path,
                 strerror(errno));
        return -1;
    }
    config_errors errs = {0};
    for (char *l = text, *end; *l; l = end + (*end != 0)) {
        end = l + strcspn(l, "\n");
        char keep = *end;
        *end = 0;
        config_override(cfg, l, &errs);
        *end = keep;
    }
    free(text);
    if (errs.n == 0)
        return 0;
    snprintf(err, len, "%s: not a plan this runner wrote: %.*s", path, (int)strcspn(errs.text, "\n"), errs.text);
    config_errors_free(&errs);
    config_free(cfg);
    return -1;
}

int verify_experiment(const char *root, const char *name, FILE *lines, FILE *ok, long *bad, char *err, size_t len)
{
    static const char *const verdicts[] = {[-STORE_RUN_DAMAGED] = "damaged", [-STORE_RUN_MISSING] = "missing",
                                           [-STORE_RUN_BUSY] = "cannot be read now"};
    char dir[STORE_PATH];
    config cfg;
    sweep_plan plan;
    *bad = 0;
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    if (load_plan(dir, &cfg, err, len) < 0)
        return -1;
    if (sweep_plan_init(&plan, &cfg, 100000000, err, len) < 0) {
        config_free(&cfg);
        return -1;
    }
    long counts[4] = {0};
    for (long r = 0; r < plan.nruns; r++) {
        char why[600], id[SWEEP_ID];
        int rc = store_read_run(dir, &plan, r, NULL, why, sizeof why);
        counts[-rc]++;
        if (rc == STORE_RUN_OK)
            continue;
        config c;
        long long seed;
        sweep_run(&plan, r, &c, &seed, id, sizeof id);
        fprintf(lines, "%s/runs/%s: %s: %s\n", dir, id, verdicts[-rc], why);
    }
    *bad = plan.nruns - counts[0];
    fprintf(*bad ? lines : ok, "%s: %ld runs, %ld intact, %ld damaged, %ld missing, %ld cannot be read now%s\n",
            dir, plan.nruns, counts[0], counts[-STORE_RUN_DAMAGED], counts[-STORE_RUN_MISSING],
            counts[-STORE_RUN_BUSY], *bad ? " (run the config again to train what is missing or damaged)" : "");
    config_free(&cfg);
    return 0;
}
