/* The file formats' own readers and writers: tsv (tables and result.tsv's metrics row) and curve (curve.dat).
 * Each written text is read back to the numbers it was written from, and malformed files are refused with the
 * line at fault. */
#include "tests.h"
#include "confusion.h"
#include "curve.h"
#include "fileio.h"
#include "tsv.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* text written to a fresh temporary file; its path in path */
static void temp_file(char *path, size_t size, const char *text)
{
    snprintf(path, size, "/tmp/formats_test_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

START_TEST(test_tsv_reads_cells_and_numbers)
{
    char path[64], err[300];
    temp_file(path, sizeof path, "a\tb\tc\r\n1\tx y\t2.5\n\n-3\t\t1e3\n");
    tsv t;
    ck_assert_msg(tsv_load(&t, path, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(t.ncols, 3);
    ck_assert_int_eq(t.nrows, 2);
    ck_assert_int_eq(tsv_col(&t, "c", err, sizeof err), 2);
    ck_assert_str_eq(tsv_cell(&t, 0, 1), "x y");
    ck_assert_str_eq(tsv_cell(&t, 1, 1), "");
    double v;
    ck_assert_int_eq(tsv_num(&t, 1, 2, &v, err, sizeof err), 0);
    ck_assert_double_eq(v, 1000);
    ck_assert_int_eq(tsv_num(&t, 0, 1, &v, err, sizeof err), -1);
    char want[200];
    snprintf(want, sizeof want, "%s:2: b: 'x y' is not a number", path);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(tsv_num(&t, 1, 1, &v, err, sizeof err), -1); /* an empty cell is no number */
    ck_assert_int_eq(tsv_col(&t, "d", err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: no column 'd' in the header", path);
    ck_assert_str_eq(err, want);
    tsv_free(&t);
    unlink(path);
}
END_TEST

START_TEST(test_tsv_refuses_malformed_tables)
{
    char path[64], err[300], want[200];
    tsv t;
    temp_file(path, sizeof path, "a\tb\n1\t2\n3\n");
    ck_assert_int_eq(tsv_load(&t, path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:3: 1 fields, but the header has 2", path);
    ck_assert_str_eq(err, want);
    tsv_free(&t);
    unlink(path);
    temp_file(path, sizeof path, "\n\n");
    ck_assert_int_eq(tsv_load(&t, path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: empty (expected a header row)", path);
    ck_assert_str_eq(err, want);
    tsv_free(&t);
    unlink(path);
    ck_assert_int_eq(tsv_load(&t, path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
    ck_assert_str_eq(err, want);
    tsv_free(&t);
}
END_TEST

/* A metrics row written with tsv_result_row parses back to the same numbers (to the digits written). */
START_TEST(test_tsv_result_round_trip)
{
    const tsv_result m = {.diverged = 1, .epochs_done = 7, .diverged_epoch = 8, .best_epoch = 5,
                          .train_loss = 0.123456789012, .test_loss = 2.5e-7, .train_acc = 0.75, .test_acc = 1.0 / 3,
                          .best_test_acc = 0.5, .seconds = 1.23456789e-6, .samples_per_second = 98765.43,
                          .val_loss = 0.25, .val_acc = 0.625, .best_val_acc = 0.875, .steps_to_target = NAN,
                          .epochs_to_target = NAN, .examples_to_target = NAN, .seconds_to_target = NAN,
                          .b_simple = 12.5};
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    fprintf(f, "%s\n", tsv_result_header);
    tsv_result_row(f, &m);
    fprintf(f, "\n");
    fclose(f);
    ck_assert_str_eq(strchr(text, '\n') + 1, "diverged\t7\t8\t0.123456789\t2.5e-07\t0.75\t0.333333333\t5\t0.5"
                                             "\t1.23457e-06\t98765.4\t0.25\t0.625\t0.875\t\t\t\t\t12.5\n");
    tsv_result r;
    ck_assert_int_eq(tsv_result_parse(text, &r), 0);
    ck_assert(r.diverged && r.epochs_done == 7 && r.diverged_epoch == 8 && r.best_epoch == 5);
    ck_assert_double_eq_tol(r.train_loss, m.train_loss, 1e-9);
    ck_assert_double_eq_tol(r.test_loss, m.test_loss, 1e-15);
    ck_assert_double_eq_tol(r.test_acc, m.test_acc, 1e-9);
    ck_assert_double_eq_tol(r.seconds, m.seconds, 1e-11); /* 6 digits, not 6 decimals: a fast epoch is not 0 */
    ck_assert_double_eq_tol(r.samples_per_second, m.samples_per_second, 0.05);
    ck_assert(r.val_loss == 0.25 && r.val_acc == 0.625 && r.best_val_acc == 0.875);
    ck_assert(isnan(r.steps_to_target) && isnan(r.seconds_to_target) && r.b_simple == 12.5); /* empty: NAN */
    free(text);
}
END_TEST

START_TEST(test_tsv_result_refuses_malformed_rows)
{
    char text[600];
    tsv_result r;
    snprintf(text, sizeof text, "%s\nok\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\tnan\tnan\n", tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), -1); /* 13 fields */
    snprintf(text, sizeof text, "%s\nfine\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\tnan\tnan\tnan\n", tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), -1); /* status neither ok nor diverged */
    snprintf(text, sizeof text, "status\tepochs\nok\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\n");
    ck_assert_int_eq(tsv_result_parse(text, &r), -1); /* another header */
    snprintf(text, sizeof text, "%s", tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), -1); /* no row */
    snprintf(text, sizeof text, "%s\nok\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\tnan\tnan\tnan\n", tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), -1); /* the current header, a row without the target columns */
    snprintf(text, sizeof text, "%s\nok\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\tnan\tnan\tnan\t40\tx\t\t\t\n",
             tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), -1); /* a target cell that is not a number */
    snprintf(text, sizeof text, "%s\nok\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\tnan\tnan\tnan\t40\t2.5\t320\t0.5\t\n",
             tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), 0);
    ck_assert(r.steps_to_target == 40 && r.epochs_to_target == 2.5 && r.examples_to_target == 320 &&
              r.seconds_to_target == 0.5 && isnan(r.b_simple));
    /* written before the target columns */
    snprintf(text, sizeof text, "%.*s\nok\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\tnan\tnan\tnan\n",
             (int)(strstr(tsv_result_header, "\tsteps_to_target") - tsv_result_header), tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), 0); /* no validation set */
    ck_assert(isnan(r.steps_to_target) && isnan(r.b_simple));
    ck_assert(!r.diverged && isnan(r.val_loss) && isnan(r.val_acc) && isnan(r.best_val_acc));
    /* written before the validation columns: read with them NAN */
    snprintf(text, sizeof text, "%.*s\nok\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\n",
             (int)(strstr(tsv_result_header, "\tval_loss") - tsv_result_header), tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), 0);
    ck_assert(r.samples_per_second == 9 && isnan(r.val_loss) && isnan(r.best_val_acc));
    snprintf(text, sizeof text, "%.*s\nok\t1\t0\t0.5\t0.5\t1\t1\t1\t1\t0.1\t9\t0.5\t0.5\t0.5\n",
             (int)(strstr(tsv_result_header, "\tval_loss") - tsv_result_header), tsv_result_header);
    ck_assert_int_eq(tsv_result_parse(text, &r), -1); /* the old header with a new row */
}
END_TEST

/* curve_write keeps the evaluated epochs only; curve_parse gives their numbers back. */
START_TEST(test_curve_round_trip)
{
    train_epoch e[4] = {{0, 2.5, 2.6, 0.1, 0.2, 0, 1, 2.25, 0.3, 0.1, 42.5},
                        {1, 1.25, 1.5, 0.5, 0.4, 0.125, 0, 0, 0, 0.1, 0},
                        {2, 0.625, 0.75, 0.75, 0.7, 0.25, 1, 0.5, 0.6, 0.05, 17},
                        {3, 1.0 / 3, 0.3, 0.9, 0.8, 8.36502e-7, 1, 0.25, 0.875, 1.0 / 3, 1.0 / 7}};
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    curve_write(f, e, 3);
    fclose(f);
    curve c;
    const char *why;
    int line;
    ck_assert_msg(curve_parse(text, &c, &why, &line) == 0, "%s at line %d", why, line);
    ck_assert_int_eq(c.n, 3);
    const int rows[3] = {0, 2, 3};
    for (int i = 0; i < 3; i++) {
        const train_epoch *x = &e[rows[i]];
        const double want[CURVE_COLS] = {x->epoch,    x->train_loss, x->test_loss, x->train_acc, x->test_acc,
                                         x->seconds,  x->val_loss,   x->val_acc,   x->lr, x->b_simple};
        for (int k = 0; k < CURVE_COLS; k++)
            ck_assert_double_eq_tol(c.v[i * CURVE_COLS + k], want[k], 1e-9);
    }
    curve_free(&c);
    free(text);
}
END_TEST

static void refused(const char *text, const char *why_want, int line_want)
{
    curve c;
    const char *why = NULL;
    int line = 0;
    ck_assert_int_eq(curve_parse(text, &c, &why, &line), -1);
    ck_assert_str_eq(why, why_want);
    ck_assert_int_eq(line, line_want);
    ck_assert_ptr_null(c.v);
}

/* confusion.tsv reads back what was written, names with a tab made one cell; a row short of counts is refused. */
START_TEST(test_confusion_round_trip)
{
    char path[] = "/tmp/confusion_testXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    const int m[] = {5, 1, 0, 2, 7, 1, 0, 0, 9};
    char *names[] = {"cat", "big\tdog", "bird"};
    ck_assert_int_eq(confusion_write(f, m, 3, names), 0);
    fclose(f);
    confusion c;
    char err[300];
    ck_assert_msg(confusion_load(path, &c, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(c.k, 3);
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(c.count[i], m[i]);
    ck_assert_str_eq(c.name[1], "big dog");
    ck_assert_int_eq(confusion_add(&c, &c), 0);
    ck_assert_int_eq(c.count[4], 14);
    confusion_free(&c);
    f = fopen(path, "w");
    fprintf(f, "true\tname\t0\t1\n0\ta\t1\t2\n1\tb\t3\tx\n");
    fclose(f);
    ck_assert_int_eq(confusion_load(path, &c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":3: a count is not a whole number"));
    unlink(path);
}
END_TEST

/* A curve.dat written before the validation and lr columns existed reads with NaN there (older runs resume). */
START_TEST(test_curve_reads_older_files)
{
    curve c;
    const char *why;
    int line;
    const char *text = "# epoch train_loss test_loss train_acc test_acc seconds\n0 1 1 0.5 0.5 0\n2 0.5 0.5 0.75 0.7 1.5\n";
    ck_assert_msg(curve_parse(text, &c, &why, &line) == 0, "%s at line %d", why, line);
    ck_assert_int_eq(c.n, 2);
    ck_assert_double_eq(c.v[CURVE_COLS + 5], 1.5);
    ck_assert(isnan(c.v[CURVE_COLS + CURVE_VAL_LOSS]) && isnan(c.v[CURVE_COLS + CURVE_VAL_ACC]) &&
              isnan(c.v[CURVE_COLS + CURVE_LR]));
    curve_free(&c);
}
END_TEST

START_TEST(test_curve_refuses_malformed_files)
{
    char text[400];
    refused("1 2 3 4 5 6 nan nan 0.1 nan\n", "curve.dat has no header line", 1);
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 nan nan 0.1 nan\n1 1 1 0.5\n", curve_header);
    refused(text, "curve.dat has a malformed row", 3);
    snprintf(text, sizeof text, "%s\n0 1 nan 0.5 0.5 0 nan nan 0.1 nan\n", curve_header);
    refused(text, "curve.dat holds a non-finite number", 2);
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 nan nan nan nan\n", curve_header);
    refused(text, "curve.dat holds a non-finite number", 2);
    /* nan only in the validation columns, and there in both and in every row or in none */
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 1 nan 0.1 nan\n", curve_header);
    refused(text, "curve.dat holds a non-finite number", 2);
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 1 0.5 0.1 nan\n1 1 1 0.5 0.5 0 nan nan 0.1 nan\n", curve_header);
    refused(text, "curve.dat holds a non-finite number", 3);
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 nan nan 0.1 nan\n1 1 1 0.5 0.5 0 1 0.5 0.1 nan\n", curve_header);
    refused(text, "curve.dat holds a non-finite number", 3);
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 inf 0.5 0.1 nan\n", curve_header);
    refused(text, "curve.dat holds a non-finite number", 2);
    snprintf(text, sizeof text, "%s\n1 1 1 0.5 0.5 0 nan nan 0.1 nan\n", curve_header);
    refused(text, "curve.dat's epochs do not rise from 0", 2);
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 1 1 0.1 nan\n4 1 1 0.5 0.5 0 1 1 0.1 nan\n4 1 1 0.5 0.5 0 1 1 0.1 nan\n",
             curve_header);
    refused(text, "curve.dat's epochs do not rise from 0", 4);
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 nan nan 0.1 nan\n1.5 1 1 0.5 0.5 0 nan nan 0.1 nan\n", curve_header);
    refused(text, "curve.dat's epochs do not rise from 0", 3);
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 nan nan 0.1 nan 7\n", curve_header);
    refused(text, "curve.dat has a malformed row", 2);
    refused("# epoch train_loss test_loss train_acc test_acc\n0 1 1 0.5 0.5\n", "curve.dat has no header line", 1);
    /* a header alone is a curve of no rows (a run whose first evaluation overflowed) */
    curve c;
    const char *why;
    int line;
    snprintf(text, sizeof text, "%s\n", curve_header);
    ck_assert_int_eq(curve_parse(text, &c, &why, &line), 0);
    ck_assert_int_eq(c.n, 0);
    curve_free(&c);
    /* rows without validation numbers, and a curve written before the validation columns existed */
    snprintf(text, sizeof text, "%s\n0 1 1 0.5 0.5 0 nan nan 0.1 nan\n2 1 1 0.5 0.5 0 nan nan 0.1 3.5\n", curve_header);
    ck_assert_int_eq(curve_parse(text, &c, &why, &line), 0);
    ck_assert(c.n == 2 && !curve_has_validation(&c));
    curve_free(&c);
    ck_assert_int_eq(curve_parse("# epoch train_loss test_loss train_acc test_acc seconds\n0 1 1 0.5 0.5 0\n",
                                 &c, &why, &line), 0);
    ck_assert(c.n == 1 && c.v[5] == 0 && isnan(c.v[CURVE_VAL_LOSS]) && isnan(c.v[CURVE_VAL_ACC]));
    curve_free(&c);
}
END_TEST

START_TEST(test_curve_load_names_the_file)
{
    char path[64], err[300], want[200];
    curve c;
    temp_file(path, sizeof path, "# epoch train_loss test_loss train_acc test_acc seconds\n0 1 1 1 1\n");
    ck_assert_int_eq(curve_load(path, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: curve.dat has a malformed row", path);
    ck_assert_str_eq(err, want);
    unlink(path);
    ck_assert_int_eq(curve_load(path, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
    ck_assert_str_eq(err, want);
}
END_TEST

Suite *formats_suite(void)
{
    Suite *s = suite_create("formats");
    TCase *tc = tcase_create("formats");
    tcase_add_test(tc, test_tsv_reads_cells_and_numbers);
    tcase_add_test(tc, test_tsv_refuses_malformed_tables);
    tcase_add_test(tc, test_tsv_result_round_trip);
    tcase_add_test(tc, test_tsv_result_refuses_malformed_rows);
    tcase_add_test(tc, test_curve_round_trip);
    tcase_add_test(tc, test_curve_refuses_malformed_files);
    tcase_add_test(tc, test_curve_reads_older_files);
    tcase_add_test(tc, test_confusion_round_trip);
    tcase_add_test(tc, test_curve_load_names_the_file);
    suite_add_tcase(s, tc);
    return s;
}
