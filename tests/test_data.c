/* Data: the committed digits and XOR files load with the checksums their Python exporter recorded, the split
 * is a seeded partition in file order, and bad files are refused with the reason. */
#include "tests.h"
#include "dataset.h"
#include "h5util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_digits_and_xor_load)
{
    h5util_quiet();
    dataset d;
    char err[600];
    ck_assert_msg(dataset_load(&d, "data/digits.h5", "X", "y", err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(d.rows, 1797);
    ck_assert_int_eq(d.cols, 64);
    ck_assert_int_eq(d.nclasses, 10);
    /* the fnv1a64 attribute experiments/export_digits.py wrote, computed there in Python */
    ck_assert_uint_eq(d.checksum, 0x9edd6a71afe3044fULL);
    float lo = 1e9f, hi = -1e9f;
    for (int i = 0; i < d.rows * d.cols; i++) {
        lo = d.x[i] < lo ? d.x[i] : lo;
        hi = d.x[i] > hi ? d.x[i] : hi;
    }
    ck_assert_float_eq(lo, 0);
    ck_assert_float_eq(hi, 16);
    dataset_free(&d);
    ck_assert_msg(dataset_load(&d, "data/xor.h5", "X", "y", err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(d.rows, 4);
    ck_assert_uint_eq(d.checksum, 0xc144f016d32e17b5ULL);
    dataset_free(&d);
}
END_TEST

/* Rows i = 0..n-1 of two features (i, -i) and label i % 3: each row says which it is. */
static void numbered_rows(float *x, int *y, int n)
{
    for (int i = 0; i < n; i++) {
        x[i * 2] = (float)i;
        x[i * 2 + 1] = (float)-i;
        y[i] = i % 3;
    }
}

/* The parts hold each of the n numbered rows exactly once, in file order, each with its label. */
static void check_partition(const dataset *const *parts, int nparts, int n)
{
    int *seen = calloc((size_t)n, sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    for (int p = 0; p < nparts; p++)
        for (int i = 0; i < parts[p]->rows; i++) {
            int row = (int)parts[p]->x[i * 2];
            seen[row]++;
            ck_assert_int_eq(parts[p]->y[i], row % 3);
            if (i)
                ck_assert_float_lt(parts[p]->x[(i - 1) * 2], parts[p]->x[i * 2]);
        }
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(seen[i], 1);
    free(seen);
}

START_TEST(test_split_is_a_seeded_partition)
{
    enum { N = 50, C = 2 };
    float x[N * C];
    int y[N];
    numbered_rows(x, y, N);
    dataset all, tr, te, tr2, te2;
    char err[200];
    ck_assert_int_eq(dataset_from_arrays(&all, x, y, N, C), 0);
    ck_assert_int_eq(dataset_split(&all, 0.2, 7, &tr, &te, err, sizeof err), 0);
    ck_assert_int_eq(te.rows, 10);
    ck_assert_int_eq(tr.rows, 40);
    /* each row lands in exactly one part, rows keep file order, labels travel with their rows */
    const dataset *parts[2] = {&tr, &te};
    check_partition(parts, 2, N);
    /* the same seed gives the same split, another seed another */
    ck_assert_int_eq(dataset_split(&all, 0.2, 7, &tr2, &te2, err, sizeof err), 0);
    ck_assert_mem_eq(te.x, te2.x, sizeof(float) * te.rows * C);
    dataset_free(&tr2);
    dataset_free(&te2);
    ck_assert_int_eq(dataset_split(&all, 0.2, 8, &tr2, &te2, err, sizeof err), 0);
    ck_assert(memcmp(te.x, te2.x, sizeof(float) * te.rows * C) != 0);
    /* a fraction that leaves a part empty is refused */
    dataset_free(&tr2);
    dataset_free(&te2);
    ck_assert_int_eq(dataset_split(&all, 0.001, 1, &tr2, &te2, err, sizeof err), -1);
    ck_assert_str_eq(err, "test_fraction 0.001 of 50 rows leaves an empty test set (allowed here: a fraction that "
                          "holds out 1 to 49 rows, from 0.5/50 to 48.5/50)");
    dataset_free(&tr);
    dataset_free(&te);
    dataset_free(&all);
}
END_TEST

/* The validation split: rows held out of the training part, disjoint from it and from the test part, drawn from
 * split_seed's own stream; refused when it would hold out nothing or leave a class without a training row. */
START_TEST(test_validation_split)
{
    enum { N = 50, C = 2 };
    float x[N * C];
    int y[N];
    numbered_rows(x, y, N);
    dataset all, rest, te, tr, va, tr2, va2;
    char err[300];
    ck_assert_int_eq(dataset_from_arrays(&all, x, y, N, C), 0);
    ck_assert_int_eq(dataset_split(&all, 0.2, 7, &rest, &te, err, sizeof err), 0);
    ck_assert_int_eq(dataset_split_validation(&rest, 0.25, 7, &tr, &va, err, sizeof err), 0);
    ck_assert_int_eq(va.rows, 10);
    ck_assert_int_eq(tr.rows, 30);
    const dataset *parts[3] = {&tr, &va, &te};
    check_partition(parts, 3, N);
    /* the same seed, the same rows; another seed, others */
    ck_assert_int_eq(dataset_split_validation(&rest, 0.25, 7, &tr2, &va2, err, sizeof err), 0);
    ck_assert_mem_eq(va.x, va2.x, sizeof(float) * va.rows * C);
    dataset_free(&tr2);
    dataset_free(&va2);
    ck_assert_int_eq(dataset_split_validation(&rest, 0.25, 8, &tr2, &va2, err, sizeof err), 0);
    ck_assert(memcmp(va.x, va2.x, sizeof(float) * va.rows * C) != 0);
    dataset_free(&tr2);
    dataset_free(&va2);
    /* its own stream: not the rows a test split of the same seed and size would hold out */
    ck_assert_int_eq(dataset_split(&rest, 0.25, 7, &tr2, &va2, err, sizeof err), 0);
    ck_assert(memcmp(va.x, va2.x, sizeof(float) * va.rows * C) != 0);
    dataset_free(&tr2);
    dataset_free(&va2);
    /* nothing held out, or a class left without a training row: refused, with what is allowed */
    ck_assert_int_eq(dataset_split_validation(&rest, 0.01, 7, &tr2, &va2, err, sizeof err), -1);
    ck_assert_str_eq(err, "0.01 of 40 training rows leaves no validation row (allowed: 0, or a fraction in (0, 1) "
                          "that holds out at least one row and keeps a training row of every class)");
    dataset three;
    ck_assert_int_eq(dataset_from_arrays(&three, x, y, 3, C), 0); /* labels 0, 1, 2: one row each */
    ck_assert_int_eq(dataset_split_validation(&three, 0.5, 7, &tr2, &va2, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "0.5 of 3 training rows leaves no training row of class ") == err, "%s", err);
    ck_assert_ptr_null(tr2.x);
    ck_assert_ptr_null(va2.x);
    dataset_free(&three);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&rest);
    dataset_free(&te);
    dataset_free(&all);
}
END_TEST

/* A config's data: validation_fraction takes rows from the training part only; the test part does not change. */
START_TEST(test_validation_from_config)
{
    h5util_quiet();
    config c;
    config_errors errs = {0};
    config_defaults(&c);
    ck_assert_int_eq(config_load(&c, "configs/digits.ini", &errs), 0);
    dataset tr[2], va[2], te[2];
    int nclasses;
    char err[600];
    for (int i = 0; i < 2; i++) {
        c.validation_fraction = i ? 0.1 : 0;
        ck_assert_msg(dataset_open_config(&c, &tr[i], &va[i], &te[i], &nclasses, err, sizeof err) == ERROR_NONE, "%s",
                      err);
        ck_assert_int_eq(nclasses, 10);
    }
    ck_assert_int_eq(va[0].rows, 0);
    ck_assert_int_eq(te[1].rows, te[0].rows);
    ck_assert_mem_eq(te[1].x, te[0].x, sizeof(float) * (size_t)te[0].rows * 64);
    ck_assert_int_eq(va[1].rows, 144); /* round(0.1 x 1438) */
    ck_assert_int_eq(tr[1].rows + va[1].rows, tr[0].rows);
    for (int i = 0; i < 2; i++) {
        dataset_free(&tr[i]);
        dataset_free(&va[i]);
        dataset_free(&te[i]);
    }
    /* the four XOR rows are the training set: 0.1 of them is no row, a config error */
    ck_assert_int_eq(config_load(&c, "configs/article_xor.ini", &errs), 0);
    c.validation_fraction = 0.1;
    ck_assert_int_eq(dataset_open_config(&c, &tr[0], &va[0], &te[0], &nclasses, err, sizeof err), ERROR_USAGE);
    ck_assert_str_eq(err, "configs/article_xor.ini:12: data.validation_fraction: data/xor.h5: 0.1 of 4 training "
                          "rows leaves no validation row (allowed: 0, or a fraction in (0, 1) that holds out at least "
                          "one row and keeps a training row of every class)");
    ck_assert_ptr_null(tr[0].x);
    ck_assert_ptr_null(te[0].x);
    config_free(&c);
}
END_TEST

/* One broken file per class (made by tests/reference/make_bad_data.py), with the reason dataset_load gives. */
static const struct {
    const char *path, *reason;
} bad_files[] = {
    {"tests/bad_data/not_hdf5.h5", "tests/bad_data/not_hdf5.h5: not an HDF5 file"},
    {"tests/bad_data/truncated.h5", "tests/bad_data/truncated.h5: cannot open HDF5 file (truncated file"},
    {"tests/bad_data", "tests/bad_data: is a directory, not an HDF5 file"},
    {"tests/bad_data/no_such_file.h5", "tests/bad_data/no_such_file.h5: no such file"},
    {"tests/bad_data/no_features.h5", "no dataset 'X'"},
    {"tests/bad_data/no_labels.h5", "no dataset 'y'"},
    {"tests/bad_data/features_rank1.h5", "dataset 'X' has rank 1 (expected 2)"},
    {"tests/bad_data/labels_rank2.h5", "dataset 'y' has rank 2 (expected 1)"},
    {"tests/bad_data/rows_mismatch.h5", "'X' has 40 rows but 'y' has 39 labels"},
    {"tests/bad_data/zero_rows.h5", "no data ('X' is 0 x 8)"},
    {"tests/bad_data/negative_label.h5", "row 7 of 'y' is -1 (labels are 0..65535)"},
    {"tests/bad_data/float_labels.h5", "labels 'y' are not integers"},
    {"tests/bad_data/nan_feature.h5", "feature [3, 2] of 'X' is NaN"},
    {"tests/bad_data/inf_feature.h5", "feature [5, 1] of 'X' is infinite"},
    {"tests/bad_data/uint64_label.h5", "row 9 of 'y' is 18446744073709551615 (labels are 0..65535)"},
    {"tests/bad_data/vds_missing_source.h5", "'X' is a virtual dataset whose source 'X' in 'vds_source_missing.h5'"},
    {"tests/bad_data/external_short.h5", "external file 'tests/bad_data/external_short.bin', which is shorter"},
    {"/dev/null", "/dev/null: not a regular file (a character device)"},
    {"tests/bad_data/stale_fnv1a64.h5", "X and y do not match the file's fnv1a64 attribute (0123456789abcdef stored, "},
};

/* Standardisation takes its statistics from the training rows only (population std), applies them to the other
 * sets, and sends a feature constant on the training rows to 0 everywhere. */
START_TEST(test_standardize_uses_training_rows)
{
    /* features: (1, 3, 5, 7) -> mean 4, std sqrt(5); constant 2; (0, 0, 0, 4) -> mean 1, std sqrt(3) */
    const float xtr[] = {1, 2, 0, 3, 2, 0, 5, 2, 0, 7, 2, 4}, xte[] = {4, 9, 1, 100, -1, 4};
    const int ytr[] = {0, 1, 0, 1}, yte[] = {0, 1};
    dataset tr, te;
    ck_assert_int_eq(dataset_from_arrays(&tr, xtr, ytr, 4, 3), 0);
    ck_assert_int_eq(dataset_from_arrays(&te, xte, yte, 2, 3), 0);
    dataset *others[] = {&te};
    ck_assert_int_eq(dataset_standardize(&tr, others, 1), 0);
    ck_assert_float_eq_tol(tr.mean[0], 4, 1e-6);
    ck_assert_float_eq_tol(tr.std[0], sqrtf(5), 1e-6);
    ck_assert_float_eq(tr.mean[1], 2);
    ck_assert_float_eq(tr.std[1], 0);
    ck_assert_float_eq_tol(tr.mean[2], 1, 1e-6);
    ck_assert_float_eq_tol(tr.std[2], sqrtf(3), 1e-6);
    ck_assert_float_eq_tol(tr.x[0], -3 / sqrtf(5), 1e-6);
    ck_assert_float_eq(tr.x[1], 0);
    ck_assert_float_eq_tol(te.x[0], 0, 1e-6);
    ck_assert_float_eq(te.x[1], 0); /* 9 on a feature constant in training */
    ck_assert_float_eq_tol(te.x[5], 3 / sqrtf(3), 1e-6);
    ck_assert_float_eq_tol(te.x[3], 96 / sqrtf(5), 1e-4);
    ck_assert_ptr_null(te.mean);
    dataset_free(&tr);
    dataset_free(&te);
}
END_TEST

/* Text labels imported by experiments/csv_to_h5.py (cat, dog, dog, cat, bird, cat) are 0..K-1 in sorted order,
 * named by the class_names attribute, and the names survive the split. */
START_TEST(test_class_names_read)
{
    dataset d, tr, te;
    char err[400];
    h5util_quiet();
    ck_assert_msg(dataset_load(&d, "tests/fixtures/named_classes.h5", "X", "y", err, sizeof err) == 0, "%s", err);
    const int want[] = {1, 2, 2, 1, 0, 1};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(d.y[i], want[i]);
    ck_assert_int_eq(d.nnames, 3);
    ck_assert_str_eq(d.class_names[0], "bird");
    ck_assert_str_eq(d.class_names[2], "dog");
    ck_assert_int_eq(dataset_split(&d, 0.5, 1, &tr, &te, err, sizeof err), 0);
    ck_assert_int_eq(te.nnames, 3);
    ck_assert_str_eq(te.class_names[1], "cat");
    dataset_free(&d);
    dataset_free(&tr);
    dataset_free(&te);
}
END_TEST

/* Labels 1..K leave class 0 without rows: it is named. */
START_TEST(test_empty_classes_named)
{
    const float x[] = {0, 0, 0, 0};
    const int ytr[] = {1, 3, 1}, yte[] = {3};
    dataset tr, te;
    ck_assert_int_eq(dataset_from_arrays(&tr, x, ytr, 3, 1), 0);
    ck_assert_int_eq(dataset_from_arrays(&te, x, yte, 1, 1), 0);
    char buf[100];
    ck_assert_int_eq(dataset_empty_classes(&tr, &te, 4, buf, sizeof buf), 2);
    ck_assert_str_eq(buf, "0, 2");
    ck_assert_int_eq(dataset_empty_classes(&tr, &te, 2, buf, sizeof buf), 1);
    dataset_free(&tr);
    dataset_free(&te);
}
END_TEST

START_TEST(test_bad_files_refused)
{
    h5util_quiet();
    dataset d;
    char err[600];
    ck_assert_int_eq(dataset_load(&d, bad_files[_i].path, "X", "y", err, sizeof err), -1);
    ck_assert_msg(strstr(err, bad_files[_i].reason), "%s: got '%s'", bad_files[_i].path, err);
    ck_assert_ptr_null(d.x);
}
END_TEST

/* The fnv1a64 attribute is checked only in experiments/h5layout.py's layout: X stored as float64 beside one is
 * another tool's file, and loads; a path through a missing group is no such dataset, not a damaged file. */
START_TEST(test_stored_sum_only_in_the_layout)
{
    h5util_quiet();
    dataset d;
    char err[600];
    ck_assert_msg(dataset_load(&d, "tests/bad_data/other_fnv1a64.h5", "X", "y", err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(d.rows, 40);
    dataset_free(&d);
    ck_assert_int_eq(dataset_load(&d, "tests/bad_data/good.h5", "grp/X", "y", err, sizeof err), -1);
    ck_assert_str_eq(err, "tests/bad_data/good.h5: no dataset 'grp/X'");
    ck_assert_int_eq(dataset_load(&d, "tests/bad_data/good.h5", "X/sub", "y", err, sizeof err), -1);
    ck_assert_str_eq(err, "tests/bad_data/good.h5: no dataset 'X/sub'");
}
END_TEST

/* Scaling that would overflow float32 names the first feature and changes nothing. */
START_TEST(test_scale_overflow_refused)
{
    float x[] = {1, 2, 3e38f, 4, -3e38f, 6};
    int y[] = {0, 1, 0};
    dataset d;
    size_t bad = 99;
    ck_assert_int_eq(dataset_from_arrays(&d, x, y, 3, 2), 0);
    ck_assert_int_eq(dataset_scale(&d, 1e30f, &bad), -1);
    ck_assert_uint_eq(bad, 2);
    ck_assert(d.x[0] == 1 && d.x[2] == 3e38f);
    ck_assert_int_eq(dataset_scale(&d, 0.5f, &bad), 0);
    ck_assert(d.x[0] == 0.5f && d.x[2] == 1.5e38f);
    dataset_free(&d);
}
END_TEST

Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("data");
    tcase_add_test(tc, test_digits_and_xor_load);
    tcase_add_test(tc, test_split_is_a_seeded_partition);
    tcase_add_test(tc, test_validation_split);
    tcase_add_test(tc, test_validation_from_config);
    tcase_add_test(tc, test_scale_overflow_refused);
    tcase_add_test(tc, test_standardize_uses_training_rows);
    tcase_add_test(tc, test_empty_classes_named);
    tcase_add_test(tc, test_class_names_read);
    tcase_add_test(tc, test_stored_sum_only_in_the_layout);
    tcase_add_loop_test(tc, test_bad_files_refused, 0, (int)(sizeof bad_files / sizeof bad_files[0]));
    suite_add_tcase(s, tc);
    return s;
}
