/* The plan's data sets, found by a key built from the [data] keys of a run's config. */
#include "plandata.h"
#include "train.h"
#include <stdio.h>
#include <string.h>

static void data_key(const config *c, char *key, size_t len)
{
    snprintf(key, len, "%s|%s|%s|%s|%.17g|%lld|%.17g|%.17g", c->file, c->features, c->labels, c->test_file,
             c->test_fraction, c->split_seed, c->scale, c->validation_fraction);
}

const plandata_set *plandata_find(const plandata *d, const config *c)
{
    char key[sizeof d->sets[0].key];
    data_key(c, key, sizeof key);
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->sets[i].key, key))
            return &d->sets[i];
    return NULL;
}

/* The first run of the plan with early stopping but no validation set: ERROR_USAGE naming the key. */
static error_class check_early_stopping(const sweep_plan *plan, char *err, size_t len)
{
    config c;
    long long seed;
    char id[SWEEP_ID];
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        if (c.early_stopping > 0 && c.validation_fraction == 0) {
            config_origin(&c, config_find("train.early_stopping"), err, len);
            size_t used = strlen(err);
            snprintf(err + used, len - used, ": %lld needs a validation set, and data.validation_fraction is 0 "
                     "(allowed: 0 without one; set data.validation_fraction above 0 to stop early)", c.early_stopping);
            return ERROR_USAGE;
        }
    }
    return ERROR_NONE;
}

error_class plandata_load(plandata *d, const sweep_plan *plan, char *err, size_t len)
{
    config c;
    long long seed;
    char id[SWEEP_ID];
    error_class rc = check_early_stopping(plan, err, len);
    for (long r = 0; r < plan->nruns && rc == ERROR_NONE; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        if (plandata_find(d, &c))
            continue;
        if (d->n == PLANDATA_MAX) {
            snprintf(err, len, "%s: the sweep needs more than %d different data sets", plan->base->path,
                     PLANDATA_MAX);
            return ERROR_DATA;
        }
        plandata_set *s = &d->sets[d->n];
        data_key(&c, s->key, sizeof s->key);
        if ((rc = dataset_open_config(&c, &s->train, &s->val, &s->test, &s->nclasses, err, len)) == ERROR_NONE)
            d->n++;
    }
    if (rc != ERROR_NONE)
        return rc;
    /* checkpoints to start from must fit their models before anything is written */
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        const plandata_set *s = plandata_find(d, &c);
        if (train_check(&c, &s->train, s->nclasses, err, len) < 0)
            return ERROR_DATA;
    }
    return ERROR_NONE;
}

void plandata_free(plandata *d)
{
    for (int i = 0; i < d->n; i++) {
        dataset_free(&d->sets[i].train);
        dataset_free(&d->sets[i].val);
        dataset_free(&d->sets[i].test);
    }
    d->n = 0;
}
