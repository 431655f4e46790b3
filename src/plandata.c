/* The plan's data sets, found by a key built from the [data] keys of a run's config. */
#include "plandata.h"
#include "plural.h"
#include "train.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void data_key(const config *c, char *key, size_t len)
{
    snprintf(key, len, "%s|%s|%s|%s|%.17g|%lld|%.17g|%.17g|%d", c->file, c->features, c->labels, c->test_file,
             c->test_fraction, c->split_seed, c->scale, c->validation_fraction, c->standardize);
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

const plandata_set *plandata_run(const plandata *d, const sweep_plan *plan, long r, config *c, long long *seed)
{
    char id[SWEEP_ID];
    sweep_run(plan, r, c, seed, id, sizeof id);
    return plandata_find(d, c);
}

static int add_init(plandata *d, const config *c, const char *path, char *err, size_t len);

error_class plandata_load(plandata *d, const sweep_plan *plan, char *err, size_t len)
{
    config c;
    long long seed;
    char id[SWEEP_ID];
    error_class rc = ERROR_NONE;
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
        snprintf(s->file, sizeof s->file, "%s", c.file);
        snprintf(s->test_file, sizeof s->test_file, "%s", c.test_file);
        if ((rc = dataset_open_config(&c, &s->train, &s->val, &s->test, &s->nclasses, err, len)) != ERROR_NONE)
            return rc;
        char empty[200];
        int n = dataset_empty_classes(&s->train, &s->test, s->nclasses, empty, sizeof empty);
        s->warning[0] = 0;
        if (n)
            snprintf(s->warning, sizeof s->warning, "%s: %d of the %d classes %s no rows (label%s %s): labels are "
                     "read as 0..max, so they count as classes; relabel to 0..K-1 (experiments/csv_to_h5.py does)",
                     c.file, n, s->nclasses, n > 1 ? "have" : "has", plural(n), empty);
        d->n++;
    }
    if (rc != ERROR_NONE)
        return rc;
    /* checkpoints to start from must fit their models before anything is written; each is read once */
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        if (train_check_noise(plan->base, &c, plandata_find(d, &c)->train.rows, err, len) < 0)
            return ERROR_USAGE;
        if (c.init_file[0] && add_init(d, &c, plan->base->path, err, len) < 0)
            return ERROR_DATA;
    }
    return ERROR_NONE;
}

/* The init entry of run config c: its file and model shape. */
static const plandata_init *find_init(const plandata *d, const config *c, const char *shape)
{
    for (int i = 0; i < d->ninits; i++)
        if (!strcmp(d->inits[i].path, c->init_file) && !strcmp(d->inits[i].shape, shape))
            return &d->inits[i];
    return NULL;
}

/* The layer sizes of run config c's model, "64-128-10". */
static void model_shape(const plandata *d, const config *c, char *shape, size_t len)
{
    const plandata_set *s = plandata_find(d, c);
    int n = snprintf(shape, len, "%d", s->train.cols);
    for (int k = 0; k < c->nhidden; k++)
        n += snprintf(shape + n, len - (size_t)n, "-%d", c->hidden[k]);
    snprintf(shape + n, len - (size_t)n, "-%d", mlp_output_units((mlp_output)c->output, s->nclasses));
}

static int add_init(plandata *d, const config *c, const char *path, char *err, size_t len)
{
    char shape[256];
    model_shape(d, c, shape, sizeof shape);
    if (find_init(d, c, shape))
        return 0;
    if (d->ninits == PLANDATA_MAX) {
        snprintf(err, len, "%s: the sweep needs more than %d different initial weights", path, PLANDATA_MAX);
        return -1;
    }
    plandata_init *in = &d->inits[d->ninits];
    const plandata_set *s = plandata_find(d, c);
    size_t n;
    if (train_read_init(c, &s->train, s->nclasses, &in->params, &n, in->shape, sizeof in->shape, err, len) < 0)
        return -1;
    snprintf(in->path, sizeof in->path, "%s", c->init_file);
    in->checksum = dataset_fnv1a(DATASET_FNV_BASIS, in->params, n * sizeof(float));
    d->ninits++;
    return 0;
}

const float *plandata_init_weights(const plandata *d, const config *c)
{
    char shape[256];
    if (!c->init_file[0] || !plandata_find(d, c))
        return NULL;
    model_shape(d, c, shape, sizeof shape);
    const plandata_init *in = find_init(d, c, shape);
    return in ? in->params : NULL;
}

/* Writes "CHECKSUM PATH" for file i of the n in sums and paths, unless an earlier one is the same. */
static void sum_line(FILE *f, const uint64_t *sums, const char *const *paths, int i)
{
    for (int j = 0; j < i; j++)
        if (sums[j] == sums[i] && !strcmp(paths[j], paths[i]))
            return;
    fprintf(f, "%016llx %s\n", (unsigned long long)sums[i], paths[i]);
}

void plandata_sums(const plandata *d, FILE *f)
{
    uint64_t sums[3 * PLANDATA_MAX];
    const char *paths[3 * PLANDATA_MAX];
    int n = 0;
    for (int i = 0; i < d->n; i++) {
        const plandata_set *s = &d->sets[i];
        sums[n] = s->train.checksum;
        paths[n++] = s->file;
        sums[n] = s->test.checksum; /* without data.test_file the test set is a part of data.file */
        paths[n++] = s->test_file[0] ? s->test_file : s->file;
    }
    for (int i = 0; i < d->ninits; i++) {
        sums[n] = d->inits[i].checksum;
        paths[n++] = d->inits[i].path;
    }
    for (int i = 0; i < n; i++)
        sum_line(f, sums, paths, i);
}

void plandata_free(plandata *d)
{
    for (int i = 0; i < d->ninits; i++)
        free(d->inits[i].params);
    d->ninits = 0;
    for (int i = 0; i < d->n; i++) {
        dataset_free(&d->sets[i].train);
        dataset_free(&d->sets[i].val);
        dataset_free(&d->sets[i].test);
    }
    d->n = 0;
}
