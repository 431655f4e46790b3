/* The plan's data sets, found by a key built from the [data] keys of a run's config. */
#include "plandata.h"
#include "train.h"
#include <stdio.h>
#include <string.h>

static void data_key(const config *c, char *key, size_t len)
{
    snprintf(key, len, "%s|%s|%s|%s|%.17g|%lld|%.17g|%d", c->file, c->features, c->labels, c->test_file,
             c->test_fraction, c->split_seed, c->scale, c->standardize);
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

int plandata_load(plandata *d, const sweep_plan *plan, char *err, size_t len)
{
    config c;
    long long seed;
    char id[SWEEP_ID];
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        if (plandata_find(d, &c))
            continue;
        if (d->n == PLANDATA_MAX) {
            snprintf(err, len, "%s: the sweep needs more than %d different data sets", plan->base->path,
                     PLANDATA_MAX);
            return -1;
        }
        plandata_set *s = &d->sets[d->n];
        data_key(&c, s->key, sizeof s->key);
        if (dataset_open_config(&c, &s->train, &s->test, &s->nclasses, err, len) < 0)
            return -1;
        char empty[200];
        int n = dataset_empty_classes(&s->train, &s->test, s->nclasses, empty, sizeof empty);
        s->warning[0] = 0;
        if (n)
            snprintf(s->warning, sizeof s->warning, "%s: %d of the %d classes %s no rows (label%s %s): labels are "
                     "read as 0..max, so they count as classes; relabel to 0..K-1 (experiments/csv_to_h5.py does)",
                     c.file, n, s->nclasses, n > 1 ? "have" : "has", n > 1 ? "s" : "", empty);
        d->n++;
    }
    /* checkpoints to start from must fit their models before anything is written */
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        const plandata_set *s = plandata_find(d, &c);
        if (train_check(&c, &s->train, s->nclasses, err, len) < 0)
            return -1;
    }
    return 0;
}

void plandata_free(plandata *d)
{
    for (int i = 0; i < d->n; i++) {
        dataset_free(&d->sets[i].train);
        dataset_free(&d->sets[i].test);
    }
    d->n = 0;
}
