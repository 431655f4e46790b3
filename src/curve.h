/* curve.dat, the learning curve of one run, and its one reader and writer: a header line naming the columns
 * (curve_header: epoch train_loss test_loss train_acc test_acc seconds val_loss val_acc lr b_simple), then one row per
 * evaluated epoch with epochs rising from 0. Every number is finite, except val_loss and val_acc, which are "nan"
 * in every row of a run without a validation set, and b_simple, "nan" where train.noise_scale did not measure it. Older files have only the first CURVE_FIRST_COLS columns; the
 * reader fills the others with NaN. */
#ifndef CURVE_H
#define CURVE_H
#include <stddef.h>
#include <stdio.h>
#include "train.h"

enum { CURVE_COLS = 10, CURVE_FIRST_COLS = 6, CURVE_VAL_LOSS = 6, CURVE_VAL_ACC = 7, CURVE_LR = 8, CURVE_B_SIMPLE = 9 };

/* The rows of a curve.dat. */
typedef struct curve {
    double *v;  /* (n, CURVE_COLS) */
    int n;
} curve;

/* curve.dat's header line, without its newline. */
extern const char curve_header[];
/* Writes the header and a row per evaluated epoch of epochs[0..last]. */
void curve_write(FILE *f, const train_epoch *epochs, int last);
/* Parses a curve.dat text. 0 with c filled (curve_free), or -1 with why (a phrase naming curve.dat) and *line
 * (the line at fault, 1 = the header). */
int curve_parse(const char *text, curve *c, const char **why, int *line);
/* Reads and parses path. 0, or -1 with "path[:line]: why" in err. */
int curve_load(const char *path, curve *c, char *err, size_t len);
void curve_free(curve *c);
/* 1 when the curve's rows hold validation numbers (0 for a curve without rows). */
int curve_has_validation(const curve *c);

#endif
