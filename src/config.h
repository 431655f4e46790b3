/* The experiment configuration: one table describes every key (section, name, type, default, range, help);
 * parsing with libinih, validation, --set overrides, --help and the resolved dump all come from it.
 * Errors are collected, never printed here: each is "FILE:LINE: section.key: what is wrong (what is allowed)". */
#ifndef CONFIG_H
#define CONFIG_H
#include <stddef.h>
#include <stdio.h>
#include "mlp.h"

enum {
    CONFIG_PATH = 512,          /* longest path or dataset name */
    CONFIG_NAME = 64,           /* longest experiment name */
    CONFIG_MAX_SEEDS = 256,
    CONFIG_MAX_HIDDEN = MLP_MAX_LAYERS - 1,
    CONFIG_MAX_SWEEP = 16,      /* swept keys */
    CONFIG_MAX_VALUES = 64,     /* values per swept key */
    CONFIG_VALUE = 64,          /* longest single swept value text */
    CONFIG_MAX_BYTES = 1 << 20, /* longest config file: far beyond any real one, and a read that always ends */
    CONFIG_LINE_SET = -1        /* config.key_line of a key given by --set */
};

typedef enum { OPT_SGD, OPT_MOMENTUM, OPT_ADAM } config_optimizer;
typedef enum { LOSS_MEAN, LOSS_SUM } config_loss;
typedef enum { X_EPOCH, X_STEP, X_SECONDS } config_x_axis;
typedef enum { SCHEDULE_CONSTANT, SCHEDULE_STEP, SCHEDULE_COSINE } config_schedule;

typedef struct config_sweep {
    int key;                                  /* index into the key table */
    int line;                                 /* where it was set */
    int nvalues;
    char values[CONFIG_MAX_VALUES][CONFIG_VALUE]; /* canonical text of each value */
} config_sweep;

typedef struct config {
    /* [experiment] */
    char name[CONFIG_NAME];
    long long seeds[CONFIG_MAX_SEEDS];
    int nseeds;
    int threads;
    int parallel_runs;          /* 0 = auto */
    /* [data] */
    char file[CONFIG_PATH], features[CONFIG_PATH], labels[CONFIG_PATH], test_file[CONFIG_PATH];
    double test_fraction;
    double validation_fraction; /* of the training rows, held out for selection; 0 = no validation set */
    long long split_seed;
    double scale;
    int standardize;            /* per-feature (x - mean) / std from the training rows, after scale */
    /* [model] */
    int hidden[CONFIG_MAX_HIDDEN];
    int nhidden;
    int activation;             /* mlp_activation */
    int output;                 /* mlp_output */
    int init;                   /* mlp_init_kind */
    char init_file[CONFIG_PATH];
    /* [train] */
    int optimizer;              /* config_optimizer */
    double learning_rate, momentum, adam_beta1, adam_beta2, adam_eps;
    double diverge_factor;      /* train loss > factor x initial loss ends the run as diverged; 0 = off */
    long long batch_size, epochs;
    long long eval_every;       /* the curve gets the epochs divisible by this, and the last */
    int shuffle;
    int loss;                   /* config_loss */
    /* [report]: how the report draws the results, never part of a run's identity */
    int report_x_axis;          /* config_x_axis: the x axis of the curve plots */
    char report_points[CONFIG_PATH];    /* "all", or "section.key=v1,v2": the points whose curves are drawn */
    char report_panel_key[CONFIG_PATH]; /* "auto", "none", or a swept "section.key": one curve panel per value */
    long long early_stopping;   /* patience in evaluations of the validation loss; 0 = off */
    double weight_decay;        /* g += weight_decay p, every parameter */
    int schedule;               /* config_schedule */
    long long warmup_epochs, step_every;
    double step_factor, min_learning_rate;
    double checkpoint_every;    /* seconds of training between in-run checkpoints; 0 = none */
    double target_accuracy;     /* goal accuracy (validation, else test); 0 = none */
    int stop_at_target;         /* end the run when it is reached */
    long long eval_every_steps; /* also check the target every this many steps; 0 = at evaluations */
    int noise_scale;            /* estimate B_simple at every evaluation */
    long long noise_big_batch;  /* rows of its big batch; 0 = the training set */
    /* [sweep] */
    config_sweep *sweep;        /* (nsweep), owned; NULL when nothing is swept */
    int nsweep;
    char path[CONFIG_PATH];     /* the file it came from */
    int key_line[64];           /* line of each key in that file, 0 for defaults, CONFIG_LINE_SET for --set */
    unsigned long long swept;   /* a run's: bit k when key k's value is a sweep's (key_line: the [sweep] line) */
} config;

/* A growing list of error lines. */
typedef struct config_errors { char *text; size_t len, cap; int n; } config_errors;
void config_error(config_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void config_errors_free(config_errors *e);

/* Fills every key with its default. */
void config_defaults(config *c);
/* Reads PATH over the current values; returns the number of errors added to errs. */
int config_load(config *c, const char *path, config_errors *errs);
/* Applies "section.key=value" (from --set); returns the number of errors added. */
int config_override(config *c, const char *assignment, config_errors *errs);
/* Sets key number KEY from text; returns 0, or -1 with "what is wrong (what is allowed)" in why. */
int config_set(config *c, int key, const char *value, char *why, size_t whylen);
/* Canonical text of key KEY's current value (parses back to the same value). */
void config_format(const config *c, int key, char *buf, size_t len);
/* "FILE:LINE: data.file" ("runner: --set data.file" for --set, "FILE: data.file (its default)" for a default,
 * "data.file" for a default of a config read from no file; "FILE:LINE: sweep.data.file" or "runner: --set
 * sweep.data.file" for a run's swept key) naming where key KEY was set, to prefix messages about what its value
 * points to. */
void config_origin(const config *c, int key, char *buf, size_t len);
/* 1 when c's value of key KEY was given (a line, --set or a sweep), 0 for its default. */
int config_key_given(const config *c, int key);
/* The same for key KEY of a run of base: its [sweep] line when base sweeps it. */
void config_sweep_origin(const config *base, int key, char *buf, size_t len);
/* The checks between keys, on the resolved config run of a run of base: stop_at_target needs a target,
 * early_stopping a validation set, warmup_epochs < epochs and min_learning_rate <= learning_rate. 0, or -1 with
 * every rule the run breaks in err, one line each, "FILE:LINE: section.key: what is wrong (allowed)SUFFIX". */
int config_check_run(const config *base, const config *run, const char *suffix, char *err, size_t len);
/* Adds a line to warnings for each key c's file both sets in its section and sweeps (the sweep's values replace
 * the single one: allowed, since configs did it before, but never silently). --set sweep.KEY does it on purpose. */
void config_shadowed(const config *c, config_errors *warnings);
/* Prefixes msg (in place) with the origin of key "section.key". */
void config_blame(const config *c, const char *dotted, char *msg, size_t len);
/* Key index of "section.key", or -1. */
int config_find(const char *dotted);
int config_nkeys(void);
const char *config_key_section(int key);
const char *config_key_name(int key);
/* 1 when every value of the key is a number (an integer or a real; "auto" and "128-64" are not). */
int config_key_numeric(int key);
/* 1 when the key may appear in [sweep]. */
int config_key_sweepable(int key);
/* Writes the resolved configuration as INI: every key with defaults included (CONFIG_WRITE_ALL), or only the
 * keys that decide a run's numbers and are not swept (CONFIG_WRITE_IDENTITY): runs of two configs compare
 * when their identities match. Returns 0, or -1 on a write error. */
enum { CONFIG_WRITE_ALL, CONFIG_WRITE_IDENTITY };
int config_write(const config *c, FILE *f, int mode);
/* "section.key: old -> new, ...": each key whose value differs between two identity texts (CONFIG_WRITE_IDENTITY;
 * a swept key shows as sweep.section.key: (swept)). */
void config_identity_diff(const char *old, const char *now, char *out, size_t len);
/* Prints every key with its default, range and help. */
void config_help(FILE *f);
/* [report]: where report.panel_key sits in [sweep] (CONFIG_PANEL_AUTO, CONFIG_PANEL_NONE, or a position), and
 * which points report.points draws (*pos = CONFIG_POINTS_ALL, or the position of its key in [sweep] with
 * chosen[v] = 1 for each value index named). 0, or -1 with why naming the key and what is allowed. */
enum { CONFIG_PANEL_AUTO = -1, CONFIG_PANEL_NONE = -2, CONFIG_POINTS_ALL = -1 };
int config_report_panel(const config *c, int *pos, char *why, size_t len);
int config_report_points(const config *c, int *pos, char chosen[CONFIG_MAX_VALUES], char *why, size_t len);
/* Adds "FILE:LINE: report.key: why" for each [report] key the sweep cannot serve; returns the number added. */
int config_check_report(const config *c, config_errors *errs);
/* Copies a config (including its sweep list); dst must be freed with config_free. */
int config_copy(config *dst, const config *src);
void config_free(config *c);

#endif
