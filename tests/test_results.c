/* Results on disk: a small sweep is trained and committed through the store, the tables are built, and
 * results.h5 read back with HDF5 must hold the numbers the training produced (from each train_job, not from the
 * files results.h5 was built from), table.tsv must aggregate the right runs, and the store's refusals must carry
 * the class main maps to an exit code. */
#include "tests.h"
#include "config.h"
#include "curve.h"
#include "dataset.h"
#include "fileio.h"
#include "h5util.h"
#include "store.h"
#include "sweep.h"
#include "tables.h"
#include "train.h"
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { NRUNS = 4, MAX_EPOCHS = 64 };

/* What one trained run produced, copied from its train_job before it is freed. */
typedef struct produced {
    char id[SWEEP_ID];
    long long seed;
    double lr, seconds, samples_per_second;
    int epochs_done, best_epoch, nrows;
    train_epoch last, best, rows[MAX_EPOCHS]; /* rows: the evaluated epochs */
} produced;

/* The members of results.h5's "summary" read here; HDF5 converts by member name, whatever the file's order. */
typedef struct summary_row {
    char *run_id, *status; /* variable-length UTF-8 strings, freed with H5free_memory */
    double seed, learning_rate, epochs_done, best_epoch, train_loss, test_loss, train_acc, test_acc, best_test_acc;
} summary_row;

typedef struct table_row {
    double n, test_acc_mean, test_acc_min, test_acc_max, test_loss_mean, diverged;
    double seconds_mean, seconds_per_epoch, samples_per_second;
} table_row;

#define MEMBER(type, name, t) H5Tinsert(type, #name, offsetof(t, name), H5T_NATIVE_DOUBLE)

static int read_compound(hid_t f, const char *name, hid_t mem, void *rows, int max)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT), space = H5Dget_space(ds);
    ck_assert_int_ge(ds, 0);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    ck_assert_int_le(n, max);
    ck_assert_int_ge(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows), 0);
    H5Sclose(space);
    H5Dclose(ds);
    return (int)n;
}

static int read_summary(hid_t f, summary_row *rows, int max)
{
    hid_t id = H5Tcopy(H5T_C_S1), status = H5Tcopy(H5T_C_S1), mem = H5Tcreate(H5T_COMPOUND, sizeof *rows);
    H5Tset_size(id, H5T_VARIABLE);
    H5Tset_size(status, H5T_VARIABLE);
    H5Tset_cset(id, H5T_CSET_UTF8);
    H5Tset_cset(status, H5T_CSET_UTF8);
    H5Tinsert(mem, "run_id", offsetof(summary_row, run_id), id);
    H5Tinsert(mem, "status", offsetof(summary_row, status), status);
    MEMBER(mem, seed, summary_row);
    MEMBER(mem, learning_rate, summary_row);
    MEMBER(mem, epochs_done, summary_row);
    MEMBER(mem, best_epoch, summary_row);
    MEMBER(mem, train_loss, summary_row);
    MEMBER(mem, test_loss, summary_row);
    MEMBER(mem, train_acc, summary_row);
    MEMBER(mem, test_acc, summary_row);
    MEMBER(mem, best_test_acc, summary_row);
    int n = read_compound(f, "summary", mem, rows, max);
    H5Tclose(mem);
    H5Tclose(status);
    H5Tclose(id);
    return n;
}

static int read_table(hid_t f, table_row *rows, int max)
{
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof *rows);
    MEMBER(mem, n, table_row);
    MEMBER(mem, test_acc_mean, table_row);
    MEMBER(mem, test_acc_min, table_row);
    MEMBER(mem, test_acc_max, table_row);
    MEMBER(mem, test_loss_mean, table_row);
    MEMBER(mem, diverged, table_row);
    MEMBER(mem, seconds_mean, table_row);
    MEMBER(mem, seconds_per_epoch, table_row);
    MEMBER(mem, samples_per_second, table_row);
    int n = read_compound(f, "table", mem, rows, max);
    H5Tclose(mem);
    return n;
}

/* a equals b up to the %.9g the files print with */
static void near(double a, double b, const char *what)
{
    ck_assert_msg(fabs(a - b) <= 1e-8 * fmax(1, fabs(b)), "%s: %.17g, trained %.17g", what, a, b);
}

/* curves/<id> of f is the run's evaluated epochs, row for row */
static void check_curve(hid_t f, const produced *p)
{
    char name[SWEEP_ID + 16];
    snprintf(name, sizeof name, "curves/%.*s", SWEEP_ID - 1, p->id);
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT), space = H5Dget_space(ds);
    ck_assert_int_ge(ds, 0);
    hsize_t dims[2];
    H5Sget_simple_extent_dims(space, dims, NULL);
    ck_assert_int_eq(dims[0], p->nrows);
    ck_assert_int_eq(dims[1], CURVE_COLS);
    double v[MAX_EPOCHS * CURVE_COLS];
    ck_assert_int_ge(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    for (int e = 0; e < p->nrows; e++) {
        const train_epoch *r = &p->rows[e];
        const double want[CURVE_COLS] = {r->epoch,    r->train_loss, r->test_loss, r->train_acc, r->test_acc,
                                         r->seconds,  r->val_loss,   r->val_acc,   r->lr, r->b_simple};
        for (int c = 0; c < CURVE_COLS; c++)
            if (isnan(want[c]))
                ck_assert(isnan(v[e * CURVE_COLS + c]));
            else if (c == 5)
                ck_assert_double_eq_tol(v[e * CURVE_COLS + c], want[c], fmax(5e-6 * want[c], 1e-12)); /* seconds: %.6g */
            else
                near(v[e * CURVE_COLS + c], want[c], name);
    }
    H5Sclose(space);
    H5Dclose(ds);
}

/* The type of member `name` of compound dataset `table`: its class, and for a string whether it is a
 * variable-length UTF-8 one (else 0); for a number its size. */
static void member_type(hid_t f, const char *table, const char *name, H5T_class_t *cls, size_t *size)
{
    hid_t ds = H5Dopen2(f, table, H5P_DEFAULT), type = H5Dget_type(ds);
    int i = H5Tget_member_index(type, name);
    ck_assert_msg(i >= 0, "%s has no member %s", table, name);
    hid_t m = H5Tget_member_type(type, (unsigned)i);
    *cls = H5Tget_class(m);
    *size = *cls == H5T_STRING ? (size_t)(H5Tis_variable_str(m) > 0 && H5Tget_cset(m) == H5T_CSET_UTF8) : H5Tget_size(m);
    H5Tclose(m);
    H5Tclose(type);
    H5Dclose(ds);
}

/* Each column's type is fixed by its key: a hidden spec is text even where it is one number, the learning
 * rate and the metrics float64, the seed int64 (exact past 2^53), ids and status UTF-8 strings; a curve's columns
 * are an array of strings. */
static void check_types(hid_t f, const char *curve_name)
{
    static const struct { const char *table, *name; H5T_class_t cls; size_t size; } want[] = {
        {"summary", "run_id", H5T_STRING, 1}, {"summary", "hidden", H5T_STRING, 1},
        {"summary", "status", H5T_STRING, 1}, {"summary", "learning_rate", H5T_FLOAT, 8},
        {"summary", "seed", H5T_INTEGER, 8},    {"summary", "activation", H5T_STRING, 1},
        {"table", "point_id", H5T_STRING, 1}, {"table", "learning_rate", H5T_FLOAT, 8},
        {"table", "test_acc_mean", H5T_FLOAT, 8}, {"summary", "val_loss", H5T_FLOAT, 8},
        {"summary", "val_acc", H5T_FLOAT, 8},  {"summary", "best_val_acc", H5T_FLOAT, 8},
        {"table", "val_acc_mean", H5T_FLOAT, 8}, {"table", "val_loss_max", H5T_FLOAT, 8}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        H5T_class_t cls;
        size_t size;
        member_type(f, want[i].table, want[i].name, &cls, &size);
        ck_assert_msg(cls == want[i].cls && size == want[i].size, "%s.%s: class %d size %zu", want[i].table,
                      want[i].name, (int)cls, size);
    }
    hid_t ds = H5Dopen2(f, curve_name, H5P_DEFAULT), attr = H5Aopen(ds, "columns", H5P_DEFAULT);
    hid_t type = H5Aget_type(attr), space = H5Aget_space(attr), mem = H5Tcopy(H5T_C_S1);
    ck_assert_int_eq(H5Tget_class(type), H5T_STRING);
    ck_assert_int_gt(H5Tis_variable_str(type), 0);
    ck_assert_int_eq(H5Sget_simple_extent_npoints(space), CURVE_COLS);
    char *cols[CURVE_COLS];
    H5Tset_size(mem, H5T_VARIABLE);
    ck_assert_int_ge(H5Aread(attr, mem, cols), 0);
    ck_assert_str_eq(cols[0], "epoch");
    ck_assert_str_eq(cols[5], "seconds");
    ck_assert_str_eq(cols[CURVE_VAL_ACC], "val_acc");
    ck_assert_str_eq(cols[CURVE_LR], "lr");
    for (int i = 0; i < CURVE_COLS; i++)
        H5free_memory(cols[i]);
    H5Tclose(mem);
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(attr);
    H5Dclose(ds);
}

static void load_config(config *cfg)
{
    config_errors errs = {0};
    config_defaults(cfg);
    config_load(cfg, "configs/digits.ini", &errs); /* a held-out test set: train and test numbers differ */
    config_override(cfg, "train.epochs=3", &errs);
    config_override(cfg, "model.hidden=16", &errs);
    config_override(cfg, "experiment.seeds=1, 2", &errs);
    config_override(cfg, "sweep.train.learning_rate=0.1, 1", &errs);
    ck_assert_msg(errs.n == 0, "%s", errs.text);
}

/* Trains and commits every run of plan, keeping what each produced. */
static void train_all(store *s, const sweep_plan *plan, produced *out)
{
    dataset train, val, test;
    int nclasses;
    char err[1200];
    ck_assert(dataset_open_config(plan->base, &train, &val, &test, &nclasses, err, sizeof err) == 0);
    for (long r = 0; r < plan->nruns; r++) {
        config c;
        produced *p = &out[r];
        sweep_run(plan, r, &c, &p->seed, p->id, sizeof p->id);
        train_job job;
        ck_assert(train_prepare(&job, &c, p->seed, &train, &val, &test, nclasses, 1, err, sizeof err) == 0);
        train_execute(&job);
        ck_assert_int_lt(job.epochs_done, MAX_EPOCHS);
        p->lr = c.learning_rate;
        p->epochs_done = job.epochs_done;
        p->seconds = job.train_seconds;
        p->samples_per_second = job.samples_per_second;
        p->best_epoch = job.best_epoch;
        p->last = job.curve[job.epochs_done];
        p->best = job.curve[job.best_epoch];
        p->nrows = 0;
        for (int e = 0; e <= job.epochs_done; e++)
            if (job.curve[e].evaluated)
                p->rows[p->nrows++] = job.curve[e];
        ck_assert_msg(store_commit(s, p->id, &job, err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(store_run_done(s, plan, r, err, sizeof err), 1);
        train_free(&job);
    }
    dataset_free(&train);
    dataset_free(&val);
    dataset_free(&test);
}

START_TEST(test_results_h5_holds_what_training_produced)
{
    h5util_quiet();
    config cfg;
    load_config(&cfg);
    char err[1200], root[] = "/tmp/runner_results_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(root));
    sweep_plan plan;
    ck_assert(sweep_plan_init(&plan, &cfg, 100, err, sizeof err) == 0);
    ck_assert_int_eq(plan.nruns, NRUNS);
    store s;
    ck_assert_msg(store_open(&s, root, &cfg, NULL, 0, err, sizeof err) == ERROR_NONE, "%s", err);
    produced runs[NRUNS];
    train_all(&s, &plan, runs);
    ck_assert_msg(tables_write(s.dir, &plan, err, sizeof err) == 0, "%s", err);

    char path[1200];
    snprintf(path, sizeof path, "%s/results.h5", s.dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    summary_row rows[8];
    ck_assert_int_eq(read_summary(f, rows, 8), NRUNS);
    for (int i = 0; i < NRUNS; i++) { /* plan order */
        const produced *p = &runs[i];
        /* else a swap of two columns would go unseen */
        ck_assert(p->last.train_acc != p->last.test_acc && p->last.train_loss != p->last.test_loss);
        ck_assert_str_eq(rows[i].run_id, p->id);
        ck_assert_str_eq(rows[i].status, "ok");
        ck_assert_double_eq(rows[i].seed, (double)p->seed);
        near(rows[i].learning_rate, p->lr, "learning_rate");
        ck_assert_double_eq(rows[i].epochs_done, p->epochs_done);
        ck_assert_double_eq(rows[i].best_epoch, p->best_epoch);
        near(rows[i].train_loss, p->last.train_loss, "train_loss");
        near(rows[i].test_loss, p->last.test_loss, "test_loss");
        near(rows[i].train_acc, p->last.train_acc, "train_acc");
        near(rows[i].test_acc, p->last.test_acc, "test_acc");
        near(rows[i].best_test_acc, p->best.test_acc, "best_test_acc");
        check_curve(f, p);
        H5free_memory(rows[i].run_id);
        H5free_memory(rows[i].status);
    }
    char curve_name[SWEEP_ID + 16];
    snprintf(curve_name, sizeof curve_name, "curves/%.*s", SWEEP_ID - 1, runs[0].id);
    check_types(f, curve_name);

    /* table: one row per learning rate, two seeds each */
    table_row t[4];
    ck_assert_int_eq(read_table(f, t, 4), 2);
    for (int pt = 0; pt < 2; pt++) {
        double a = runs[2 * pt].last.test_acc, b = runs[2 * pt + 1].last.test_acc;
        ck_assert_double_eq(t[pt].n, 2);
        ck_assert_double_eq(t[pt].diverged, 0);
        near(t[pt].test_acc_mean, (a + b) / 2, "test_acc_mean");
        near(t[pt].test_acc_min, fmin(a, b), "test_acc_min");
        near(t[pt].test_acc_max, fmax(a, b), "test_acc_max");
        near(t[pt].test_loss_mean, (runs[2 * pt].last.test_loss + runs[2 * pt + 1].last.test_loss) / 2,
             "test_loss_mean");
        /* the times to 6 digits (not 6 decimals); the throughput is the two runs' samples over their seconds */
        const produced *r0 = &runs[2 * pt], *r1 = &runs[2 * pt + 1];
        double s0 = r0->seconds, s1 = r1->seconds;
        ck_assert_double_eq_tol(t[pt].seconds_mean, (s0 + s1) / 2, 5e-6 * (s0 + s1) / 2);
        double per = (s0 / r0->epochs_done + s1 / r1->epochs_done) / 2;
        ck_assert_double_eq_tol(t[pt].seconds_per_epoch, per, 5e-6 * per);
        double sps = (r0->samples_per_second * s0 + r1->samples_per_second * s1) / (s0 + s1);
        ck_assert_double_eq_tol(t[pt].samples_per_second, sps, 1e-4 * sps);
    }
    H5Fclose(f);
    store_close(&s);
    config_free(&cfg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A second runner on the same experiment, and a different configuration under the same name, are the user's to
 * resolve (ERROR_USAGE), with the message naming why. */
START_TEST(test_store_refusals_are_usage_errors)
{
    config cfg;
    load_config(&cfg);
    char err[1200], root[] = "/tmp/runner_store_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(root));
    store a, b;
    ck_assert_msg(store_open(&a, root, &cfg, NULL, 0, err, sizeof err) == ERROR_NONE, "%s", err);
    ck_assert_int_eq(store_open(&b, root, &cfg, NULL, 0, err, sizeof err), ERROR_USAGE);
    ck_assert_msg(strstr(err, "another runner") != NULL, "%s", err);
    store_close(&a);
    cfg.epochs = 4;
    ck_assert_int_eq(store_open(&b, root, &cfg, NULL, 0, err, sizeof err), ERROR_USAGE);
    ck_assert_msg(strstr(err, "different configuration") != NULL, "%s", err);
    ck_assert_msg(store_open(&b, root, &cfg, NULL, 1, err, sizeof err) == ERROR_NONE, "%s", err); /* --force */
    store_close(&b);
    char path[1200];
    snprintf(path, sizeof path, "%s/file", root);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(store_open(&b, path, &cfg, NULL, 0, err, sizeof err), ERROR_OUTPUT); /* root is a file */
    config_free(&cfg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* fileio_remove_tree removes nested folders, files and links without following a link; a file passed to it goes
 * too (a file standing where a run folder belongs). */
START_TEST(test_remove_tree_nested_files_links)
{
    char root[] = "/tmp/runner_tree_XXXXXX", path[300], outside[300], cmd[400];
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/t/a/b/c' '%s/keep' && echo x >'%s/t/a/b/c/f' && echo y >'%s/keep/g' && "
             "ln -s '%s/keep' '%s/t/a/link' && echo z >'%s/file'", root, root, root, root, root, root, root);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/t", root);
    fileio_remove_tree(path);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(outside, sizeof outside, "%s/keep/g", root);
    ck_assert_int_eq(access(outside, F_OK), 0); /* the link was removed, not followed */
    snprintf(path, sizeof path, "%s/file", root);
    fileio_remove_tree(path);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The temporaries of the atomic writer are recognised by their name, this version's and the earlier one's, and
 * nothing else is. */
START_TEST(test_temporary_names)
{
    ck_assert(fileio_is_temporary("summary.tsv" FILEIO_TMP "123"));
    ck_assert(fileio_is_temporary("index.md.tmp55"));
    ck_assert(!fileio_is_temporary("summary.tsv"));
    ck_assert(!fileio_is_temporary(FILEIO_TMP "12"));
    ck_assert(!fileio_is_temporary("a" FILEIO_TMP));
    ck_assert(!fileio_is_temporary("report.md.tmpx1"));
    ck_assert(!fileio_is_temporary(".tmp12"));
    char root[] = "/tmp/runner_tmps_XXXXXX", err[300], path[300];
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(path, sizeof path, "%s/table.tsv", root);
    ck_assert_msg(fileio_write_atomic(path, "x\n", 2, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/table.tsv" FILEIO_TMP "999", root);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    fileio_remove_temporaries(root);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/table.tsv", root);
    ck_assert_int_eq(access(path, F_OK), 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A batch of durable writes: the files appear only at the commit, with their texts; a file that already holds its
 * text is left alone; the same path twice and a file past FILEIO_BATCH are refused; a dropped batch leaves neither
 * the files nor a temporary; a commit whose rename fails (the folder gone) says which file. */
START_TEST(test_batch_writes)
{
    char root[] = "/tmp/runner_batch_XXXXXX", err[400], a[300], b[300], c[300], sub[300];
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(a, sizeof a, "%s/a.ini", root);
    snprintf(b, sizeof b, "%s/b.txt", root);
    snprintf(c, sizeof c, "%s/c.txt", root);
    fileio_batch batch = {0};
    ck_assert_msg(fileio_batch_write(&batch, a, "alpha\n", 6, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(fileio_batch_write(&batch, b, "beta\n", 5, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(fileio_batch_write(&batch, a, "again\n", 6, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "a.ini: cannot write: written twice in one batch") != NULL, "%s", err);
    ck_assert_int_ne(access(a, F_OK), 0); /* nothing in place before the commit */
    ck_assert_int_eq(batch.n, 2);
    ck_assert_msg(fileio_batch_commit(&batch, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(batch.n, 0);
    char *ta = fileio_read(a), *tb = fileio_read(b);
    ck_assert_str_eq(ta, "alpha\n");
    ck_assert_str_eq(tb, "beta\n");
    free(ta);
    free(tb);
    /* a holds its text: not written again (its inode stays); c is new; past FILEIO_BATCH: refused */
    struct stat before, after;
    ck_assert_int_eq(stat(a, &before), 0);
    ck_assert_int_eq(fileio_batch_write(&batch, a, "alpha\n", 6, err, sizeof err), 0);
    ck_assert_int_eq(batch.n, 0);
    for (int i = 0; i < FILEIO_BATCH; i++) {
        snprintf(sub, sizeof sub, "%s/n%d", root, i);
        ck_assert_msg(fileio_batch_write(&batch, sub, "n\n", 2, err, sizeof err) == 0, "%s", err);
    }
    ck_assert_int_eq(fileio_batch_write(&batch, c, "gamma\n", 6, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "more than") != NULL, "%s", err);
    fileio_batch_drop(&batch); /* nothing renamed, no temporary left */
    ck_assert_int_eq(batch.n, 0);
    ck_assert_int_eq(stat(a, &after), 0);
    ck_assert(before.st_ino == after.st_ino);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", root); /* a.ini and b.txt */
    ck_assert_int_eq(system(cmd), 0);
    /* the folder of a started file removed before the commit: the rename fails, the message names the file */
    snprintf(sub, sizeof sub, "%s/sub", root);
    ck_assert_int_eq(mkdir(sub, 0777), 0);
    snprintf(c, sizeof c, "%s/sub/c.txt", root);
    ck_assert_msg(fileio_batch_write(&batch, b, "beta 2\n", 7, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(fileio_batch_write(&batch, c, "gamma\n", 6, err, sizeof err) == 0, "%s", err);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", sub);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(fileio_batch_commit(&batch, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "sub/c.txt: cannot write") != NULL, "%s", err);
    tb = fileio_read(b); /* renamed in order: b before the failure */
    ck_assert_str_eq(tb, "beta 2\n");
    free(tb);
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", root);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *results_suite(void)
{
    Suite *s = suite_create("results");
    TCase *tc = tcase_create("results");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_results_h5_holds_what_training_produced);
    tcase_add_test(tc, test_store_refusals_are_usage_errors);
    tcase_add_test(tc, test_remove_tree_nested_files_links);
    tcase_add_test(tc, test_temporary_names);
    tcase_add_test(tc, test_batch_writes);
    suite_add_tcase(s, tc);
    return s;
}
