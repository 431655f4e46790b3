/* The distinct data sets a plan needs: one train, validation and test set per distinct [data] section among its runs (a sweep
 * may vary data.scale), loaded once and shared by every run that reads them. */
#ifndef PLANDATA_H
#define PLANDATA_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "dataset.h"
#include "error.h"
#include "sweep.h"

enum { PLANDATA_MAX = 64 };

typedef struct plandata_set {
    char key[4 * CONFIG_PATH + 128];             /* the [data] keys that tell two sets apart */
    char file[CONFIG_PATH];                      /* data.file */
    char test_file[CONFIG_PATH];                 /* data.test_file, "" for a split */
    dataset train, val, test;                    /* val.rows = 0: no validation set */
    int nclasses;
    char warning[CONFIG_PATH + 400];             /* "" or one line: classes with no rows */
} plandata_set;

/* A model.init_file's weights, read once for every run that starts from them. */
typedef struct plandata_init {
    char path[CONFIG_PATH];
    char shape[256];                             /* the layer sizes they were read for: "64-128-10" */
    float *params;                               /* (nparams of that shape) */
    uint64_t checksum;                           /* FNV-1a 64 of params as read */
} plandata_init;

typedef struct plandata {
    plandata_set sets[PLANDATA_MAX];
    int n;
    plandata_init inits[PLANDATA_MAX];
    int ninits;
} plandata;

/* Loads every data set the plan's runs need, checks that a run with train.early_stopping has a validation set,
 * and reads every model.init_file (once per file and model shape), checked against its model, before anything is
 * written. ERROR_NONE, or with the reason in err ERROR_USAGE (a config the data cannot satisfy) or ERROR_DATA;
 * what was loaded stays for plandata_free. */
error_class plandata_load(plandata *d, const sweep_plan *plan, char *err, size_t len);
/* The set that run config c reads, NULL when it was not loaded. */
const plandata_set *plandata_find(const plandata *d, const config *c);
/* Run r of plan resolved: its config into *c, its seed into *seed, and the set it reads (NULL when not loaded). */
const plandata_set *plandata_run(const plandata *d, const sweep_plan *plan, long r, config *c, long long *seed);
/* The initial weights run config c starts from (model.init_file as read by plandata_load), NULL without one. */
const float *plandata_init_weights(const plandata *d, const config *c);
/* Writes "CHECKSUM PATH" (FNV-1a 64 as 16 hex digits) for every data, test and init file of the plan, in plan
 * order, each path and checksum once: the data's part of the experiment's identity. */
void plandata_sums(const plandata *d, FILE *f);
void plandata_free(plandata *d);

#endif
