/* Configuration: the one table of every key (section, name, type, storage, default, range, help), lookups in
 * it, and a config's lifecycle: defaults, the resolved dump, --help, copy and free. Text <-> values is in
 * config_value.c, INI files, --set and [sweep] lists in config_load.c. */
#include "config_key.h"
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Where a key's value lives: its offset and storage size, and for lists where their count is. */
#define FIELD(f) offsetof(config, f), sizeof(((config *)0)->f), 0
#define LIST(f, n) offsetof(config, f), sizeof(((config *)0)->f), offsetof(config, n)

const config_key config_keys[] = {
    {"experiment", "name", T_NAME, FIELD(name), "digits", 0, 0, NO_SWEEP, NULL,
     "results go to results/<name>/"},
    {"experiment", "seeds", T_SEEDS, LIST(seeds, nseeds), "1", 0, (double)INT64_MAX, NO_SWEEP, NULL,
     "comma list: one run per seed (weights init and shuffling)"},
    {"experiment", "threads", T_INT, FIELD(threads), "0", 0, 1024, NO_EFFECT, NULL,
     "OpenMP threads per run; 0 = all available (OMP_NUM_THREADS)"},
    {"experiment", "parallel_runs", T_AUTOINT, FIELD(parallel_runs), "auto", 1, 1024, NO_EFFECT | NO_SWEEP, NULL,
     "runs trained side by side; auto = the runner chooses"},
    {"data", "file", T_STRING, FIELD(file), "data/digits.h5", 0, 0, 0, NULL,
     "HDF5 file with the training data (relative to the working directory)"},
    {"data", "features", T_STRING, FIELD(features), "X", 0, 0, 0, NULL,
     "float dataset [rows, features] inside the HDF5 file(s)"},
    {"data", "labels", T_STRING, FIELD(labels), "y", 0, 0, 0, NULL,
     "integer dataset [rows]: labels 0..K-1, K = max label + 1"},
    {"data", "test_file", T_OPTSTRING, FIELD(test_file), "", 0, 0, 0, NULL,
     "optional separate HDF5 test set (same dataset names); then no split is made"},
    {"data", "test_fraction", T_REAL, FIELD(test_fraction), "0.2", 0, 1, MIN_OPEN | MAX_OPEN, NULL,
     "otherwise this fraction of the rows is held out, chosen with split_seed"},
    {"data", "split_seed", T_INT, FIELD(split_seed), "1", 0, (double)INT64_MAX, 0, NULL,
     "seed of the train/test split"},
    {"data", "validation_fraction", T_REAL, FIELD(validation_fraction), "0.1", 0, 1, MAX_OPEN | LATER_KEY, NULL,
     "this fraction of the training rows is held out (split_seed) to select epochs and points; 0 = none"},
    {"data", "scale", T_REAL, FIELD(scale), "1", 0, 1e30, MIN_OPEN, NULL,
     "every feature is multiplied by this (digits: 0.0625 maps pixels to 0..1)"},
    {"data", "standardize", T_BOOL, FIELD(standardize), "false", 0, 0, LATER_KEY, NULL,
     "true: each feature becomes (x - mean) / std with the training rows' statistics (after scale)"},
    {"model", "hidden", T_LAYERS, LIST(hidden, nhidden), "128", 1, 65536, 0, NULL,
     "hidden layer widths, input to output, joined by '-': 256-128"},
    {"model", "activation", T_CHOICE, FIELD(activation), "sigmoid", 0, 0, 0, "sigmoid|tanh|relu",
     "activation of the hidden layers"},
    {"model", "output", T_CHOICE, FIELD(output), "softmax", 0, 0, 0, "softmax|sigmoid",
     "softmax (cross-entropy) | sigmoid (per-class binary cross-entropy, as the article)"},
    {"model", "init", T_CHOICE, FIELD(init), "xavier", 0, 0, 0, "normal|xavier|he",
     "normal: N(0,1) as the article; xavier: U(+-sqrt(6/(in+out))); he: N(0, 2/in)"},
    {"model", "init_file", T_OPTSTRING, FIELD(init_file), "", 0, 0, 0, NULL,
     "optional HDF5 checkpoint to start from (weight0, bias0, ...); overrides init"},
    {"train", "optimizer", T_CHOICE, FIELD(optimizer), "sgd", 0, 0, 0, "sgd|momentum|adam",
     "parameter update rule"},
    {"train", "learning_rate", T_REAL, FIELD(learning_rate), "0.1", 0, 1e6, MIN_OPEN, NULL,
     "step size"},
    {"train", "momentum", T_REAL, FIELD(momentum), "0.9", 0, 1, MAX_OPEN, NULL,
     "used by momentum: v = momentum v + g; p -= learning_rate v"},
    {"train", "adam_beta1", T_REAL, FIELD(adam_beta1), "0.9", 0, 1, MAX_OPEN, NULL,
     "used by adam"},
    {"train", "adam_beta2", T_REAL, FIELD(adam_beta2), "0.999", 0, 1, MAX_OPEN, NULL,
     "used by adam"},
    {"train", "adam_eps", T_REAL, FIELD(adam_eps), "1e-08", 0, 1, MIN_OPEN, NULL,
     "used by adam"},
    {"train", "batch_size", T_INT, FIELD(batch_size), "32", 0, 100000000, 0, NULL,
     "samples per step; 0 = the whole training set"},
    {"train", "epochs", T_INT, FIELD(epochs), "50", 1, 10000000, 0, NULL,
     "passes over the training set"},
    {"train", "shuffle", T_BOOL, FIELD(shuffle), "true", 0, 0, 0, NULL,
     "false: every epoch visits the training samples in file order"},
    {"train", "diverge_factor", T_REAL, FIELD(diverge_factor), "100", 0, 1e300, 0, NULL,
     "a train loss above this many times the initial one also counts as diverged; 0 = only NaN/Inf"},
    {"train", "eval_every", T_INT, FIELD(eval_every), "1", 1, 10000000, LATER_KEY, NULL,
     "evaluate the train and test sets after every this many epochs and after the last; curve rows only there"},
    {"train", "loss", T_CHOICE, FIELD(loss), "mean", 0, 0, 0, "mean|sum",
     "batch objective: mean or sum of per-sample losses (the article sums)"},
    {"train", "early_stopping", T_INT, FIELD(early_stopping), "0", 0, 10000000, LATER_KEY, NULL,
     "stop after this many evaluations without a lower validation loss and keep the best; 0 = off"},
    {"train", "weight_decay", T_REAL, FIELD(weight_decay), "0", 0, 1e6, LATER_KEY, NULL,
     "L2: weight_decay x parameter is added to every gradient (biases too) before the optimizer"},
    {"train", "schedule", T_CHOICE, FIELD(schedule), "constant", 0, 0, LATER_KEY, "constant|step|cosine",
     "learning rate per epoch after the warmup: constant | step (x step_factor every step_every) | cosine"},
    {"train", "warmup_epochs", T_INT, FIELD(warmup_epochs), "0", 0, 10000000, LATER_KEY, NULL,
     "epoch e < warmup_epochs trains at learning_rate (e + 1) / warmup_epochs; less than epochs"},
    {"train", "step_every", T_INT, FIELD(step_every), "10", 1, 10000000, LATER_KEY, NULL,
     "step schedule: epochs between two multiplications by step_factor"},
    {"train", "step_factor", T_REAL, FIELD(step_factor), "0.1", 0, 1, MIN_OPEN | LATER_KEY, NULL,
     "step schedule: the learning rate is multiplied by this every step_every epochs"},
    {"train", "min_learning_rate", T_REAL, FIELD(min_learning_rate), "0", 0, 1e6, LATER_KEY, NULL,
     "cosine schedule: the learning rate of the last epoch's end; at most learning_rate"},
    {"train", "checkpoint_every", T_REAL, FIELD(checkpoint_every), "60", 0, 1e9, NO_EFFECT | NO_SWEEP, NULL,
     "seconds of training between two in-run checkpoints a killed run resumes from (fractions allowed); 0 = off"},
};

#define NKEYS ((int)(sizeof config_keys / sizeof config_keys[0]))
#define MAX_REPORTED 50
/* the line of each key in config.key_line */
_Static_assert(NKEYS <= (int)(sizeof ((config *)0)->key_line / sizeof(int)), "config.key_line too short");

/* ---- errors ---------------------------------------------------------------------------------------------- */

void config_error(config_errors *e, const char *fmt, ...)
{
    e->n++;
    if (e->n > MAX_REPORTED)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t need = e->len + strlen(line) + 2;
    if (need > e->cap) {
        size_t cap = need * 2;
        char *t = realloc(e->text, cap);
        if (!t)
            return;
        e->text = t;
        e->cap = cap;
    }
    e->len += (size_t)sprintf(e->text + e->len, "%s\n", line);
}

void config_errors_free(config_errors *e)
{
    free(e->text);
    memset(e, 0, sizeof *e);
}

/* ---- the table ------------------------------------------------------------------------------------------- */

int config_nkeys(void) { return NKEYS; }

void config_blame(const config *c, const char *dotted, char *msg, size_t len)
{
    char origin[CONFIG_PATH + 64], *copy = strdup(msg);
    config_origin(c, config_find(dotted), origin, sizeof origin);
    if (copy)
        snprintf(msg, len, "%s: %s", origin, copy);
    free(copy);
}

void config_origin(const config *c, int key, char *buf, size_t len)
{
    if (c->key_line[key])
        snprintf(buf, len, "%s:%d: %s.%s", c->path, c->key_line[key], config_key_section(key), config_key_name(key));
    else
        snprintf(buf, len, "%s.%s", config_key_section(key), config_key_name(key));
}
void config_sweep_origin(const config *base, int key, char *buf, size_t len)
{
    for (int i = 0; i < base->nsweep; i++)
        if (base->sweep[i].key == key && base->sweep[i].line) {
            snprintf(buf, len, "%s:%d: sweep.%s.%s", base->path, base->sweep[i].line, config_key_section(key),
                     config_key_name(key));
            return;
        }
    config_origin(base, key, buf, len);
}

const char *config_key_section(int k) { return config_keys[k].section; }
const char *config_key_name(int k) { return config_keys[k].name; }
int config_key_sweepable(int k) { return !(config_keys[k].flags & NO_SWEEP); }


int config_key_index(const char *section, const char *name)
{
    for (int k = 0; k < NKEYS; k++)
        if (!strcmp(config_keys[k].section, section) && !strcmp(config_keys[k].name, name))
            return k;
    return -1;
}

int config_find(const char *dotted)
{
    const char *dot = strchr(dotted, '.');
    if (!dot || dot - dotted >= 32)
        return -1;
    char section[32];
    memcpy(section, dotted, (size_t)(dot - dotted));
    section[dot - dotted] = 0;
    return config_key_index(section, dot + 1);
}

/* Whether key d's storage holds every value its range allows (the setters rely on it). */
static int storage_fits(const config_key *d)
{
    switch (d->type) {
    case T_INT:
    case T_AUTOINT:
        return d->size == sizeof(long long) || (d->size == sizeof(int) && d->max <= INT_MAX);
    case T_BOOL:
    case T_CHOICE:
        return d->size == sizeof(int);
    case T_REAL:
        return d->size == sizeof(double);
    case T_LAYERS:
        return d->size == CONFIG_MAX_HIDDEN * sizeof(int) && d->max <= INT_MAX;
    case T_SEEDS:
        return d->size == CONFIG_MAX_SEEDS * sizeof(long long);
    default:
        return d->size > 0;
    }
}

void config_defaults(config *c)
{
    memset(c, 0, sizeof *c);
    char why[256];
    for (int k = 0; k < NKEYS; k++)
        if (!storage_fits(&config_keys[k]) || config_set(c, k, config_keys[k].def, why, sizeof why) != 0)
            abort(); /* a default outside its own range, or a value too wide for its field: a bug in the table */
}

/* ---- writing --------------------------------------------------------------------------------------------- */

static int is_swept(const config *c, int k)
{
    for (int i = 0; i < c->nsweep; i++)
        if (c->sweep[i].key == k)
            return 1;
    return 0;
}

/* LATER_KEYs whose default changes a run's numbers, with the value results written before them were made with:
 * the identity leaves such a key out at that value (an older experiment resumes once the config sets it), and
 * names it at any other (results made without it are not mixed with results made with it). */
static const char *const later_values[][2] = {{"data.validation_fraction", "0"}};

/* The value at which LATER_KEY k stays out of the identity: its default, or its entry in later_values. */
static const char *later_value(int k)
{
    for (size_t i = 0; i < sizeof later_values / sizeof later_values[0]; i++)
        if (config_find(later_values[i][0]) == k)
            return later_values[i][1];
    return config_keys[k].def;
}

/* Whether config_write leaves key k out of the run identity. */
static int outside_identity(const config *c, int k)
{
    const config_key *d = &config_keys[k];
    char val[CONFIG_PATH + 64];
    if ((d->flags & NO_EFFECT) || d->type == T_SEEDS || is_swept(c, k))
        return 1;
    config_format(c, k, val, sizeof val);
    return (d->flags & LATER_KEY) && !strcmp(val, later_value(k));
}

int config_write(const config *c, FILE *f, int mode)
{
    const char *last = "";
    char val[CONFIG_PATH + 64];
    for (int k = 0; k < NKEYS; k++) {
        const config_key *d = &config_keys[k];
        if (mode == CONFIG_WRITE_IDENTITY && outside_identity(c, k))
            continue;
        config_format(c, k, val, sizeof val);
        if (strcmp(last, d->section))
            fprintf(f, "%s[%s]\n", *last ? "\n" : "", d->section);
        last = d->section;
        fprintf(f, "%s = %s\n", d->name, val);
    }
    if (c->nsweep)
        fprintf(f, "\n[sweep]\n");
    for (int i = 0; i < c->nsweep; i++) {
        const config_key *d = &config_keys[c->sweep[i].key];
        fprintf(f, "%s.%s = ", d->section, d->name);
        /* which keys are swept decides the run ids, so it is part of the identity too, but not their values */
        if (mode == CONFIG_WRITE_IDENTITY)
            fprintf(f, "(swept)");
        for (int j = 0; mode == CONFIG_WRITE_ALL && j < c->sweep[i].nvalues; j++)
            fprintf(f, "%s%s", j ? ", " : "", c->sweep[i].values[j]);
        fprintf(f, "\n");
    }
    return ferror(f) ? -1 : 0;
}

void config_help(FILE *f)
{
    const char *last = "";
    char range[160];
    for (int k = 0; k < NKEYS; k++) {
        const config_key *d = &config_keys[k];
        if (strcmp(last, d->section))
            fprintf(f, "\n[%s]\n", d->section);
        last = d->section;
        config_allowed(k, range, sizeof range);
        fprintf(f, "  %-14s = %-15s %s\n  %-14s   %-15s (%s)\n", d->name, *d->def ? d->def : "(empty)", d->help, "",
                "", range);
    }
    fprintf(f, "\n[sweep]\n  section.key = a, b, c | logspace(a, b, n) | linspace(a, b, n)\n"
               "  trains the Cartesian product of every swept key, times every seed; generated values are rounded\n"
               "  to 4 significant digits (integers for integer keys).\n");
}

int config_copy(config *dst, const config *src)
{
    *dst = *src;
    dst->sweep = NULL;
    if (src->nsweep) {
        if (!(dst->sweep = malloc(CONFIG_MAX_SWEEP * sizeof *dst->sweep)))
            return -1;
        memcpy(dst->sweep, src->sweep, (size_t)src->nsweep * sizeof *src->sweep);
    }
    return 0;
}

int config_check_run(const config *base, const config *run, char *err, size_t len)
{
    static const char *const keys[] = {"train.warmup_epochs", "train.min_learning_rate"};
    char origin[CONFIG_PATH + 64], v[64], limit[64];
    for (int i = 0; i < 2; i++) {
        int k = config_find(keys[i]);
        int bad = i == 0 ? run->warmup_epochs >= run->epochs : run->min_learning_rate > run->learning_rate;
        if (!bad)
            continue;
        config_sweep_origin(base, k, origin, sizeof origin);
        config_format(run, k, v, sizeof v);
        config_format(run, config_find(i == 0 ? "train.epochs" : "train.learning_rate"), limit, sizeof limit);
        snprintf(err, len, i == 0 ? "%s: %s is not less than train.epochs = %s (allowed: 0 to epochs - 1)"
                                  : "%s: %s is above train.learning_rate = %s (allowed: 0 to learning_rate)",
                 origin, v, limit);
        return -1;
    }
    return 0;
}

void config_free(config *c)
{
    free(c->sweep);
    c->sweep = NULL;
    c->nsweep = 0;
}
