/* The distinct data sets a plan needs: one train and test set per distinct [data] section among its runs (a sweep
 * may vary data.scale), loaded once and shared by every run that reads them. */
#ifndef PLANDATA_H
#define PLANDATA_H
#include <stddef.h>
#include "config.h"
#include "dataset.h"
#include "sweep.h"

enum { PLANDATA_MAX = 64 };

typedef struct plandata_set {
    char key[4 * CONFIG_PATH + 128];             /* the [data] keys that tell two sets apart */
    dataset train, test;
    int nclasses;
    char warning[CONFIG_PATH + 400];             /* "" or one line: classes with no rows */
} plandata_set;

typedef struct plandata {
    plandata_set sets[PLANDATA_MAX];
    int n;
} plandata;

/* Loads every data set the plan's runs need and checks every model.init_file against its model, before anything
 * is written. 0, or -1 with the reason in err (a data error); what was loaded stays for plandata_free. */
int plandata_load(plandata *d, const sweep_plan *plan, char *err, size_t len);
/* The set that run config c reads, NULL when it was not loaded. */
const plandata_set *plandata_find(const plandata *d, const config *c);
void plandata_free(plandata *d);

#endif
