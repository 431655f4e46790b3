/* Labelled data in memory: features x (rows, cols) float32 and labels y (rows) in 0..K-1, loaded from HDF5
 * and validated, split into train and test sets with a seeded permutation, scaled. */
#ifndef DATASET_H
#define DATASET_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "error.h"

enum { DATASET_MAX_CLASSES = 65536 };

typedef struct dataset {
    int rows, cols;
    float *x;          /* (rows, cols) */
    int *y;            /* (rows) */
    int nclasses;      /* max label + 1 */
    uint64_t checksum; /* FNV-1a 64 of x (float32) then y (int32) bytes as loaded, before scaling */
    char **class_names; /* (nnames) from the labels' class_names attribute, NULL when it has none */
    int nnames;
    float *mean, *std; /* (cols) the statistics dataset_standardize took from these rows, NULL when none */
} dataset;

/* Loads datasets FEATURES (2-D, numeric) and LABELS (1-D, integer) from PATH. Returns 0, or -1 with
 * "PATH: what is wrong" in err (missing file, not HDF5, missing dataset, wrong rank or type, rows != labels,
 * zero rows, negative labels, non-finite features, a size beyond memory, a virtual dataset with a missing source
 * or short external storage). */
int dataset_load(dataset *d, const char *path, const char *features, const char *labels, char *err, size_t len);
/* Copies arrays into a dataset (for generated data and tests); returns 0 or -1 when memory is short. */
int dataset_from_arrays(dataset *d, const float *x, const int *y, int rows, int cols);
/* Holds out round(fraction * rows) rows chosen by a permutation seeded with seed; both parts keep file order.
 * Returns 0, or with the reason -1 when a part would be empty, -2 out of memory. */
int dataset_split(const dataset *all, double fraction, uint64_t seed, dataset *train, dataset *test, char *err,
                  size_t len);
/* Holds out round(fraction * rows) rows of all for validation, drawn from split_seed's own stream (so the test
 * split does not change); both parts keep file order. 0, or -1 with "what is wrong (what is allowed)" when no row
 * would be held out or a class of all would keep no training row. */
int dataset_split_validation(const dataset *all, double fraction, uint64_t seed, dataset *train, dataset *val,
                             char *err, size_t len);
/* Multiplies every feature by s. 0, or -1 with the index of the first feature that would not stay finite in
 * *bad, and nothing changed. */
int dataset_scale(dataset *d, float s, size_t *bad);
/* Per-feature standardisation with the statistics of train's rows only (kept in train->mean and train->std):
 * x = (x - mean) / std in train and in each of others; a feature constant on train becomes 0 everywhere. Call
 * it after every split. 0, or -1 when memory is short. */
int dataset_standardize(dataset *train, dataset *const *others, int nothers);
/* Writes train's standardisation statistics as TSV "feature mean std" (standardize.tsv). 0, or -1. */
int dataset_write_standardize(FILE *f, const dataset *train);
/* The labels 0..nclasses-1 no row of train or test has: their count, and the first of them as "0, 3" in buf. */
int dataset_empty_classes(const dataset *train, const dataset *test, int nclasses, char *buf, size_t len);
void dataset_free(dataset *d);
/* The train, validation and test sets a config describes: data.file, then data.test_file or a split by
 * test_fraction and split_seed, scaled by data.scale (a feature that overflows float32 then is an error naming
 * data.scale); then data.validation_fraction of the training rows held out into val (val->rows = 0 when it is 0);
 * then standardised with data.standardize (statistics of the final training rows, applied to all three);
 * nclasses covers all three. ERROR_NONE, or with "FILE: what is wrong" in err ERROR_DATA (the data) or
 * ERROR_USAGE (a validation_fraction these rows cannot satisfy). */
error_class dataset_open_config(const config *c, dataset *train, dataset *val, dataset *test, int *nclasses,
                                char *err, size_t len);
/* FNV-1a 64 over bytes, continuing from h (start with DATASET_FNV_BASIS). */
#define DATASET_FNV_BASIS 0xcbf29ce484222325ULL
uint64_t dataset_fnv1a(uint64_t h, const void *bytes, size_t n);

#endif
