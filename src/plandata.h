/* The distinct data sets a plan needs: one train, validation and test set per distinct [data] section among its runs (a sweep
 * may vary data.scale), loaded once and shared by every run that reads them. */
#ifndef PLANDATA_H
#define PLANDATA_H
#include <stddef.h>
#include "config.h"
#include "dataset.h"
#include "error.h"
#include "sweep.h"

enum { PLANDATA_MAX = 64 };

typedef struct plandata_set {
    char key[4 * CONFIG_PATH + 128];             /* the [data] keys that tell two sets apart */
    dataset train, val, test;                    /* val.rows = 0: no validation set */
    int nclasses;
} plandata_set;

typedef struct plandata {
    plandata_set sets[PLANDATA_MAX];
    int n;
} plandata;

/* Loads every data set the plan's runs need, checks that a run with train.early_stopping has a validation set and
 * every model.init_file against its model, before anything is written. ERROR_NONE, or with the reason in err
 * ERROR_USAGE (a config the data cannot satisfy) or ERROR_DATA; what was loaded stays for plandata_free. */
error_class plandata_load(plandata *d, const sweep_plan *plan, char *err, size_t len);
/* The set that run config c reads, NULL when it was not loaded. */
const plandata_set *plandata_find(const plandata *d, const config *c);
void plandata_free(plandata *d);

#endif
