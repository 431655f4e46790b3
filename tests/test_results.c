/* Results on disk: a small sweep committed through the results module, then results.h5 read back with HDF5
 * must hold exactly what summary.tsv and every curve.dat say, and table.tsv must aggregate the right runs. */
#include "tests.h"
#include "config.h"
#include "dataset.h"
#include "fileio.h"
#include "h5util.h"
#include "results.h"
#include "sweep.h"
#include "train.h"
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct summary_row {
    char run_id[64];
    double test_acc, epochs_done;
} summary_row;

/* Reads two named members of the "summary" compound: HDF5 converts by member name. */
static int read_summary_h5(const char *path, summary_row *rows, int max)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hid_t ds = H5Dopen2(f, "summary", H5P_DEFAULT), space = H5Dget_space(ds);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    ck_assert_int_le(n, max);
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, sizeof rows->run_id);
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof *rows);
    H5Tinsert(mem, "run_id", offsetof(summary_row, run_id), str);
    H5Tinsert(mem, "test_acc", offsetof(summary_row, test_acc), H5T_NATIVE_DOUBLE);
    H5Tinsert(mem, "epochs_done", offsetof(summary_row, epochs_done), H5T_NATIVE_DOUBLE);
    ck_assert_int_ge(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows), 0);
    H5Tclose(mem);
    H5Tclose(str);
    H5Sclose(space);
    H5Dclose(ds);
    H5Fclose(f);
    return (int)n;
}

/* Column col (0-based) of data row r (0-based) of a TSV text, as a number. */
static double tsv_number(const char *text, int r, int col)
{
    const char *p = strchr(text, '\n') + 1;
    for (int i = 0; i < r; i++)
        p = strchr(p, '\n') + 1;
    for (int c = 0; c < col; c++)
        p = strchr(p, '\t') + 1;
    return strtod(p, NULL);
}

START_TEST(test_results_h5_matches_text_files)
{
    h5util_quiet();
    config cfg;
    config_errors errs = {0};
    config_defaults(&cfg);
    config_load(&cfg, "configs/article_xor.ini", &errs);
    config_override(&cfg, "train.epochs=30", &errs);
    config_override(&cfg, "experiment.seeds=1, 2", &errs);
    config_override(&cfg, "sweep.train.learning_rate=0.1, 1", &errs);
    ck_assert_msg(errs.n == 0, "%s", errs.text);

    dataset train, test;
    int nclasses;
    char err[1200], root[] = "/tmp/runner_results_XXXXXX";
    ck_assert(dataset_open_config(&cfg, &train, &test, &nclasses, err, sizeof err) == 0);
    ck_assert_ptr_nonnull(mkdtemp(root));
    sweep_plan plan;
    ck_assert(sweep_plan_init(&plan, &cfg, 100, err, sizeof err) == 0);
    results res;
    ck_assert_msg(results_open(&res, root, &cfg, 0, err, sizeof err) == 0, "%s", err);
    for (long r = 0; r < plan.nruns; r++) {
        config c;
        long long seed;
        char id[SWEEP_ID_MAX + 1];
        sweep_run(&plan, r, &c, &seed, id, sizeof id);
        train_job job;
        ck_assert(train_prepare(&job, &c, seed, &train, &test, nclasses, 1, err, sizeof err) == 0);
        train_execute(&job);
        ck_assert_msg(results_commit(&res, id, &job, err, sizeof err) == 0, "%s", err);
        ck_assert(results_run_done(&res, id));
        train_free(&job);
    }
    ck_assert_msg(results_tables(&res, &plan, err, sizeof err) == 0, "%s", err);

    char path[1200];
    snprintf(path, sizeof path, "%s/summary.tsv", res.dir);
    char *summary = fileio_read(path);
    ck_assert_ptr_nonnull(summary);
    summary_row rows[8];
    snprintf(path, sizeof path, "%s/results.h5", res.dir);
    int n = read_summary_h5(path, rows, 8);
    ck_assert_int_eq(n, 4);
    /* test_acc is column 15 and epochs_done column 10 of summary.tsv (run_id seed hidden learning_rate
     * activation output optimizer batch_size epochs status epochs_done ...) */
    for (int i = 0; i < n; i++) {
        const char *line = summary;
        for (int j = 0; j <= i; j++)
            line = strchr(line, '\n') + 1;
        ck_assert_int_eq(strncmp(line, rows[i].run_id, strlen(rows[i].run_id)), 0);
        ck_assert_double_eq(rows[i].test_acc, tsv_number(summary, i, 15));
        ck_assert_double_eq(rows[i].epochs_done, tsv_number(summary, i, 10));

        /* the curve in results.h5 is curve.dat, row for row */
        char dat[1400];
        snprintf(dat, sizeof dat, "%s/runs/%s/curve.dat", res.dir, rows[i].run_id);
        char *curve = fileio_read(dat);
        ck_assert_ptr_nonnull(curve);
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        char name[128];
        snprintf(name, sizeof name, "curves/%s", rows[i].run_id);
        hid_t ds = H5Dopen2(f, name, H5P_DEFAULT), space = H5Dget_space(ds);
        hsize_t dims[2];
        H5Sget_simple_extent_dims(space, dims, NULL);
        ck_assert_int_eq(dims[0], (hsize_t)rows[i].epochs_done + 1);
        ck_assert_int_eq(dims[1], 6);
        double *v = malloc(dims[0] * dims[1] * sizeof *v);
        H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        const char *p = strchr(curve, '\n') + 1;
        for (hsize_t e = 0; e < dims[0]; e++, p = strchr(p, '\n') + 1)
            for (int c = 0; c < 6; c++) {
                char *end;
                ck_assert_double_eq(v[e * 6 + c], strtod(p, &end));
                p = end;
            }
        free(v);
        free(curve);
        H5Sclose(space);
        H5Dclose(ds);
        H5Fclose(f);
    }

    /* table.tsv: one row per learning rate, two seeds each, their mean test accuracy */
    snprintf(path, sizeof path, "%s/table.tsv", res.dir);
    char *table = fileio_read(path);
    ck_assert_ptr_nonnull(table);
    for (int pt = 0; pt < 2; pt++) {
        ck_assert_double_eq(tsv_number(table, pt, 2), 2); /* point_id learning_rate n ... */
        double mean = (rows[2 * pt].test_acc + rows[2 * pt + 1].test_acc) / 2;
        ck_assert_double_eq_tol(tsv_number(table, pt, 3), mean, 1e-8);
    }
    free(table);
    free(summary);
    results_close(&res);
    dataset_free(&train);
    dataset_free(&test);
    config_free(&cfg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *results_suite(void)
{
    Suite *s = suite_create("results");
    TCase *tc = tcase_create("results");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_results_h5_matches_text_files);
    suite_add_tcase(s, tc);
    return s;
}
