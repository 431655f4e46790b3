/* Tab-separated tables, the one reader and writer of the runner's .tsv files: a table read whole with a header
 * row (summary.tsv, table.tsv), and the metrics row of one run (result.tsv, and summary.tsv's right-hand
 * columns). */
#ifndef TSV_H
#define TSV_H
#include <stddef.h>
#include <stdio.h>

/* A table read into memory; cells point into text. */
typedef struct tsv {
    char *text;
    char **cell;        /* (nrows + 1, ncols): row 0 is the header */
    int *line;          /* (nrows + 1) line number of each row in the file */
    int ncols, nrows;
    const char *path;   /* for messages: not copied */
} tsv;

/* Reads path: a header row, then rows of as many tab-separated cells (blank lines skipped, CR stripped).
 * 0, or -1 with "path[:line]: what is wrong" in err; call tsv_free either way. */
int tsv_load(tsv *t, const char *path, char *err, size_t len);
/* Parses text (taken over: tsv_free frees it) as tsv_load does; path only names it in messages. */
int tsv_parse(tsv *t, char *text, const char *path, char *err, size_t len);
void tsv_free(tsv *t);
/* Cell col of data row row (row 0: the first row after the header). */
const char *tsv_cell(const tsv *t, int row, int col);
/* The column called name, or -1 with err. */
int tsv_col(const tsv *t, const char *name, char *err, size_t len);
/* Cell (row, col) as a number. 0, or -1 with "path:line: column: 'text' is not a number" in err. */
int tsv_num(const tsv *t, int row, int col, double *v, char *err, size_t len);

/* The metrics of one run as result.tsv holds them (the numbers of the evaluation it keeps, its last unless early
 * stopping kept the one with the lowest validation loss, and of its best one). The validation numbers are NAN for
 * a run without a validation set, and in a result.tsv written before they existed (read as such). */
typedef struct tsv_result {
    int diverged, epochs_done, diverged_epoch, best_epoch;
    double train_loss, test_loss, train_acc, test_acc, best_test_acc, seconds, samples_per_second;
    double val_loss, val_acc, best_val_acc;
    /* train.target_accuracy's first reach (train.h), NAN when not reached (an empty cell); and the median
     * B_simple over the run's evaluations, NAN without train.noise_scale */
    double steps_to_target, epochs_to_target, examples_to_target, seconds_to_target, b_simple;
} tsv_result;

/* Column names of the metrics row: result.tsv's header, and the last columns of summary.tsv. */
extern const char tsv_result_header[];
/* Writes the metrics row, without the header and without a newline. */
void tsv_result_row(FILE *f, const tsv_result *m);
/* Parses a result.tsv text: the header, then one metrics row. 0, or -1 when malformed. */
int tsv_result_parse(const char *text, tsv_result *m);

#endif
