/* Tables: the committed runs are read once (store_read_run); each table is built in memory as cells holding both
 * the text the .tsv shows and the number behind it, then written as text and as an HDF5 compound dataset. */
#include "tables.h"
#include "confusion.h"
#include "fileio.h"
#include "h5util.h"
#include "stats.h"
#include "store.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char tables_header[] = "n\ttest_acc_mean\ttest_acc_std\ttest_acc_min\ttest_acc_max\ttest_loss_mean"
                             "\ttest_loss_std\ttest_loss_min\ttest_loss_max\tbest_epoch\tdiverged"
                             "\tseconds_mean\tseconds_per_epoch\tsamples_per_second"
                             "\tval_acc_mean\tval_acc_std\tval_acc_min\tval_acc_max\tval_loss_mean\tval_loss_std"
                             "\tval_loss_min\tval_loss_max\treached\tsteps_to_target_median"
                             "\tsteps_to_target_min\tsteps_to_target_max\tepochs_to_target_median"
                             "\texamples_to_target_median\tseconds_to_target_median\tseconds_to_target_min"
                             "\tseconds_to_target_max\tb_simple_median";

/* Keys every summary shows; swept keys not among them get columns of their own. */
static const char *const fixed_keys[] = {"experiment.seeds", "model.hidden", "train.learning_rate",
                                         "model.activation", "model.output", "train.optimizer",
                                         "train.batch_size", "train.epochs"};
#define NFIXED ((int)(sizeof fixed_keys / sizeof fixed_keys[0]))

/* One cell: the text of the .tsv and, for a number, its value. */
typedef struct cell {
    char *text;
    double num;
    int is_num;
} cell;

/* A table in memory: names and kinds (ncols), then cells row after row. A column's kind is fixed by what it
 * holds (a key's type, a metric), never by the values of one experiment: results.h5 types stay the same. */
/* A column's kind in results.h5: text, float64, or int64 (a seed: up to 2^63 - 1, past float64's 2^53). */
enum { COL_TEXT = 0, COL_FLOAT = 1, COL_INT64 = 2 };

typedef struct table {
    char **names;
    char *numeric;              /* (ncols) COL_* */
    cell *cells;
    int ncols, ncells, cap, failed;
} table;

static void table_free(table *t)
{
    for (int i = 0; i < t->ncols; i++)
        free(t->names[i]);
    for (int i = 0; i < t->ncells; i++)
        free(t->cells[i].text);
    free(t->names);
    free(t->numeric);
    free(t->cells);
}

static int table_rows(const table *t) { return t->ncols ? t->ncells / t->ncols : 0; }

/* Appends the tab-separated column names of header: the first ntext of them text, the others numbers. */
static void add_names(table *t, const char *header, int ntext)
{
    for (const char *s = header;; s++) {
        size_t n = strcspn(s, "\t");
        char **names = realloc(t->names, (size_t)(t->ncols + 1) * sizeof *names);
        t->names = names ? names : t->names;
        char *numeric = realloc(t->numeric, (size_t)(t->ncols + 1));
        t->numeric = numeric ? numeric : t->numeric;
        if (!names || !numeric || !(names[t->ncols] = strndup(s, n))) {
            t->failed = 1;
            return;
        }
        t->numeric[t->ncols] = ntext-- <= 0;
        t->ncols++;
        s += n;
        if (!*s)
            return;
    }
}

static void add_cell(table *t, const char *text, double num, int is_num)
{
    if (t->ncells == t->cap) {
        cell *c = realloc(t->cells, (size_t)(t->cap = t->cap ? 2 * t->cap : 256) * sizeof *c);
        if (!c) {
            t->failed = 1;
            return;
        }
        t->cells = c;
    }
    cell *c = &t->cells[t->ncells];
    if (!(c->text = strdup(text))) {
        t->failed = 1;
        return;
    }
    c->num = num;
    c->is_num = is_num;
    t->ncells++;
}

static void add_text(table *t, const char *s) { add_cell(t, s, 0, 0); }

/* The column of config key `key`: a number in results.h5 when every value of the key is one. */
static void add_key_name(table *t, int key) { add_names(t, config_key_name(key), !config_key_numeric(key)); }

/* A config value: its canonical text, and the number when the key's values are numbers ("128-64" stays text). */
static void add_config(table *t, const config *c, int key)
{
    char v[CONFIG_PATH + 64];
    config_format(c, key, v, sizeof v);
    add_cell(t, v, config_key_numeric(key) ? strtod(v, NULL) : 0, config_key_numeric(key));
}

/* A number as the .tsv prints it with fmt; results.h5 holds the same rounded value, so the two agree. */
static void add_num(table *t, const char *fmt, double v)
{
    char s[64];
    snprintf(s, sizeof s, fmt, v);
    add_cell(t, s, strtod(s, NULL), 1);
}

static void add_int(table *t, long long v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", v);
    add_cell(t, s, (double)v, 1);
}

/* A number that may be missing: an empty cell in the .tsv, NAN in results.h5 (a target not reached). */
static void add_optional(table *t, const char *fmt, double v)
{
    if (isnan(v))
        add_cell(t, "", NAN, 1);
    else
        add_num(t, fmt, v);
}

static void add_result(table *t, const tsv_result *m)
{
    add_text(t, m->diverged ? "diverged" : "ok");
    add_int(t, m->epochs_done);
    add_int(t, m->diverged_epoch);
    add_num(t, "%.9g", m->train_loss);
    add_num(t, "%.9g", m->test_loss);
    add_num(t, "%.9g", m->train_acc);
    add_num(t, "%.9g", m->test_acc);
    add_int(t, m->best_epoch);
    add_num(t, "%.9g", m->best_test_acc);
    add_num(t, "%.6g", m->seconds);
    add_num(t, "%.1f", m->samples_per_second);
    add_num(t, "%.9g", fabs(m->val_loss)); /* fabs: NAN (no validation set) prints "nan", never "-nan" */
    add_num(t, "%.9g", fabs(m->val_acc));
    add_num(t, "%.9g", fabs(m->best_val_acc));
    add_optional(t, "%.0f", m->steps_to_target);
    add_optional(t, "%.9g", m->epochs_to_target);
    add_optional(t, "%.0f", m->examples_to_target);
    add_optional(t, "%.6g", m->seconds_to_target);
    add_optional(t, "%.9g", m->b_simple);
}

/* The committed runs of a plan: run[r] is valid where done[r]. */
typedef struct runs {
    store_run *run;
    char *done;
} runs;

static int runs_load(runs *rs, const char *dir, const sweep_plan *p)
{
    rs->run = calloc((size_t)p->nruns + 1, sizeof *rs->run);
    rs->done = calloc((size_t)p->nruns + 1, 1);
    if (!rs->run || !rs->done)
        return -1;
    for (long r = 0; r < p->nruns; r++) {
        config c;
        long long seed;
        char id[SWEEP_ID], why[300];
        sweep_run(p, r, &c, &seed, id, sizeof id);
        rs->done[r] = store_read_run(dir, p, r, &rs->run[r], why, sizeof why) == 0;
    }
    return 0;
}

static void runs_free(runs *rs, const sweep_plan *p)
{
    for (long r = 0; rs->run && rs->done && r < p->nruns; r++)
        if (rs->done[r])
            store_run_free(&rs->run[r]);
    free(rs->run);
    free(rs->done);
}

static void build_summary(table *t, const runs *rs, const sweep_plan *p)
{
    const config *base = p->base;
    int extra[CONFIG_MAX_SWEEP], nextra = 0;
    for (int i = 0; i < base->nsweep; i++) {
        int fixed = 0;
        for (int j = 0; j < NFIXED; j++)
            fixed |= config_find(fixed_keys[j]) == base->sweep[i].key;
        if (!fixed)
            extra[nextra++] = base->sweep[i].key;
    }
    add_names(t, "run_id\tseed", 1);
    if (!t->failed)
        t->numeric[t->ncols - 1] = COL_INT64;
    for (int j = 1; j < NFIXED; j++)
        add_key_name(t, config_find(fixed_keys[j]));
    for (int i = 0; i < nextra; i++)
        add_key_name(t, extra[i]);
    add_names(t, tsv_result_header, 1); /* status, then numbers */
    for (long r = 0; r < p->nruns; r++) {
        config c;
        long long seed;
        char id[SWEEP_ID];
        if (!rs->done[r])
            continue;
        sweep_run(p, r, &c, &seed, id, sizeof id);
        add_text(t, id);
        add_int(t, seed);
        for (int j = 1; j < NFIXED; j++)
            add_config(t, &c, config_find(fixed_keys[j]));
        for (int j = 0; j < nextra; j++)
            add_config(t, &c, extra[j]);
        add_result(t, &rs->run[r].result);
    }
}

/* The four statistics of v (n) as cells, NANs included (a point without a validation set: "nan"). */
static void add_stats(table *t, const double *v, int n)
{
    double s[4];
    stats_summary(v, n, s);
    for (int k = 0; k < 4; k++)
        add_num(t, "%.9g", fabs(s[k]));
}

/* The median of v (n >= 1), unreached seeds (NAN) counted as never reaching: NAN unless more than half reached;
 * min over the reached ones (NAN when none did), max NAN unless all did. v is sorted in place. */
static void target_stats(double *v, int n, double out[3])
{
    for (int i = 0; i < n; i++)
        v[i] = isnan(v[i]) ? INFINITY : v[i];
    stats_sort(v, n);
    double med = stats_sorted_median(v, n);
    out[0] = isinf(med) ? NAN : med;
    out[1] = isinf(v[0]) ? NAN : v[0];
    out[2] = isinf(v[n - 1]) ? NAN : v[n - 1];
}

/* table.tsv's target columns of the n runs of a point: reached, then steps, epochs, examples and seconds to the
 * target (median with min and max for steps and seconds), and the median of the runs' B_simple. */
static void add_target(table *t, const tsv_result *const *m, int n, double *v)
{
    static const size_t fields[] = {offsetof(tsv_result, steps_to_target), offsetof(tsv_result, epochs_to_target),
                                    offsetof(tsv_result, examples_to_target), offsetof(tsv_result, seconds_to_target),
                                    offsetof(tsv_result, b_simple)};
    static const char *const formats[] = {NULL, "%.9g", NULL, "%.6g", "%.9g"}; /* NULL: counts (stats_count) */
    int reached = 0;
    for (int i = 0; i < n; i++)
        reached += !isnan(m[i]->steps_to_target);
    add_int(t, reached);
    for (int f = 0; f < 5; f++) {
        double st[3];
        int k = 0;
        for (int i = 0; i < n; i++) {
            double x = *(const double *)((const char *)m[i] + fields[f]);
            if (f < 4 || !isnan(x))
                v[k++] = x;
        }
        if (k == 0) {
            add_optional(t, "%.9g", NAN);
            continue;
        }
        target_stats(v, k, st);
        for (int j = 0; j < ((f == 0 || f == 3) ? 3 : 1); j++) {
            char c[64];
            if (formats[f] || isnan(st[j]))
                add_optional(t, formats[f] ? formats[f] : "%.9g", st[j]);
            else /* a median of two counts may be a half: kept, and a count past %.9g's digits in full */
                add_cell(t, stats_count(c, sizeof c, st[j]), strtod(c, NULL), 1);
        }
    }
}

/* One row of table.tsv: the committed runs of point pt aggregated; nothing when it has none. acc and loss hold
 * (2, nseeds) room: the test numbers, then the validation ones. */
static void point_row(table *t, const runs *rs, const sweep_plan *p, long pt, double *acc, double *loss)
{
    int ns = p->base->nseeds;
    const config *base = p->base;
    int n = 0, diverged = 0;
    double best = 0, secs = 0, per_epoch = 0, samples = 0;
    const tsv_result *ms[CONFIG_MAX_SEEDS];
    for (long r = pt * base->nseeds; r < (pt + 1) * base->nseeds; r++) {
        if (!rs->done[r])
            continue;
        const tsv_result *m = &rs->run[r].result;
        acc[n] = m->test_acc;
        loss[n] = m->test_loss;
        acc[ns + n] = m->val_acc;
        loss[ns + n] = m->val_loss;
        best += m->best_epoch;
        diverged += m->diverged;
        secs += m->seconds;
        per_epoch += m->epochs_done ? m->seconds / m->epochs_done : 0;
        samples += m->samples_per_second * m->seconds; /* the run's samples: rows x epochs_done */
        ms[n++] = m;
    }
    if (!n)
        return;
    config c;
    long long seed;
    char id[SWEEP_ID];
    sweep_run(p, pt * base->nseeds, &c, &seed, id, sizeof id);
    sweep_point_id(p, pt, id, sizeof id);
    add_text(t, id);
    for (int i = 0; i < base->nsweep; i++)
        add_config(t, &c, base->sweep[i].key);
    add_int(t, n);
    add_stats(t, acc, n);
    add_stats(t, loss, n);
    add_num(t, "%.9g", best / n);
    add_int(t, diverged);
    add_num(t, "%.6g", secs / n);
    add_num(t, "%.6g", per_epoch / n);
    /* the runs' samples over their seconds together: with equal epochs, the rows over seconds_per_epoch, so the
     * two never disagree on which point is faster (a mean of the runs' rates favours a fast outlier) */
    add_num(t, "%.1f", secs > 0 ? samples / secs : 0);
    add_stats(t, acc + ns, n);
    add_stats(t, loss + ns, n);
    add_target(t, ms, n, acc);
}

static void build_table(table *t, const runs *rs, const sweep_plan *p)
{
    const config *base = p->base;
    add_names(t, "point_id", 1);
    for (int i = 0; i < base->nsweep; i++)
        add_key_name(t, base->sweep[i].key);
    add_names(t, tables_header, 0);
    double *acc = malloc(2 * (size_t)base->nseeds * sizeof *acc), *loss = malloc(2 * (size_t)base->nseeds * sizeof *loss);
    if (!acc || !loss)
        t->failed = 1;
    for (long pt = 0; pt < p->npoints && !t->failed; pt++)
        point_row(t, rs, p, pt, acc, loss);
    free(acc);
    free(loss);
}

/* Writes t as dir/name, tab-separated with a header row. */
static int save_tsv(const table *t, const char *dir, const char *name, char *err, size_t len)
{
    char path[STORE_PATH + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fileio_text out;
    if (fileio_text_open(&out, err, len) < 0)
        return -1;
    for (int j = 0; j < t->ncols; j++)
        fprintf(out.f, "%s%s", j ? "\t" : "", t->names[j]);
    fprintf(out.f, "\n");
    for (int i = 0; i < t->ncells; i++)
        fprintf(out.f, "%s%s", t->cells[i].text, (i + 1) % t->ncols ? "\t" : "\n");
    return fileio_text_save_derived(&out, path, err, len);
}

/* A variable-length UTF-8 string type, what h5py reads as str (with .asstr()) and pandas as object. */
static hid_t text_type(void)
{
    hid_t st = H5Tcopy(H5T_C_S1);
    if (st >= 0 && (H5Tset_size(st, H5T_VARIABLE) < 0 || H5Tset_cset(st, H5T_CSET_UTF8) < 0)) {
        H5Tclose(st);
        return -1;
    }
    return st;
}

/* t as a compound dataset: each column float64, int64 or a variable-length UTF-8 string as its kind says, whatever
 * the rows; pandas.DataFrame(h5py.File(...)[name][()]) reads it in one line. */
static int h5_table(hid_t file, const char *name, const table *t)
{
    int ncols = t->ncols, rows = table_rows(t), rc = -1;
    size_t *off = calloc((size_t)ncols + 1, sizeof *off), rec = 0;
    char *buf = NULL;
    hid_t type = -1, space = -1, ds = -1, st = text_type(), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (!off || st < 0)
        goto out;
    for (int j = 0; j < ncols; j++) {
        off[j] = rec;
        rec += t->numeric[j] == COL_FLOAT ? sizeof(double) : t->numeric[j] == COL_INT64 ? sizeof(int64_t)
                                                                                           : sizeof(char *);
    }
    type = H5Tcreate(H5T_COMPOUND, rec ? rec : 1);
    for (int j = 0; j < ncols; j++)
        H5Tinsert(type, t->names[j], off[j], t->numeric[j] == COL_FLOAT ? H5T_NATIVE_DOUBLE
                                             : t->numeric[j] == COL_INT64 ? H5T_NATIVE_INT64 : st);
    if (!(buf = calloc((size_t)(rows > 0 ? rows : 1), rec ? rec : 1)))
        goto out;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < ncols; j++) {
            const cell *c = &t->cells[i * ncols + j];
            char *dst = buf + (size_t)i * rec + off[j];
            double num = c->is_num ? c->num : NAN;
            if (t->numeric[j] == COL_FLOAT)
                memcpy(dst, &num, sizeof num);
            else if (t->numeric[j] == COL_INT64) {
                int64_t whole = strtoll(c->text, NULL, 10); /* the cell's text: exact where num is not */
                memcpy(dst, &whole, sizeof whole);
            } else
                memcpy(dst, &c->text, sizeof c->text); /* HDF5 copies the text the pointer names */
        }
    hsize_t dims[1] = {(hsize_t)rows};
    H5Pset_obj_track_times(dcpl, 0);
    space = H5Screate_simple(1, dims, NULL);
    ds = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    /* the rows at most twice their size in memory once converted (a string's 8-byte pointer, 16 bytes in the file) */
    hid_t dxpl = h5util_transfer(2 * rec * (size_t)(rows > 0 ? rows : 1));
    rc = ds >= 0 && dxpl >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, dxpl, buf) >= 0 ? 0 : -1;
    if (dxpl >= 0)
        H5Pclose(dxpl);
out:
    if (ds >= 0) H5Dclose(ds);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (st >= 0) H5Tclose(st);
    H5Pclose(dcpl);
    free(buf);
    free(off);
    return rc;
}

/* The column names of curve.dat as an attribute "columns" of ds: an array of variable-length UTF-8 strings. */
static int h5_columns(hid_t ds)
{
    char names[128];
    const char *col[CURVE_COLS];
    int n = 0;
    snprintf(names, sizeof names, "%s", curve_header + 2); /* past "# " */
    for (char *s = strtok(names, " "); s && n < CURVE_COLS; s = strtok(NULL, " "))
        col[n++] = s;
    hsize_t dims[1] = {(hsize_t)n};
    hid_t st = text_type(), space = H5Screate_simple(1, dims, NULL), attr = -1;
    int rc = st >= 0 && space >= 0 && n == CURVE_COLS &&
             (attr = H5Acreate2(ds, "columns", st, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0 && H5Awrite(attr, st, col) >= 0
                 ? 0 : -1;
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    if (st >= 0) H5Tclose(st);
    return rc;
}

/* curves/<run_id>: float64 (rows, CURVE_COLS), a row per evaluated epoch, the column names in an attribute */
static int h5_curve(hid_t group, const char *id, const curve *c)
{
    hsize_t dims[2] = {(hsize_t)c->n, CURVE_COLS};
    const double none = 0; /* HDF5 wants a buffer even for no rows */
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t ds = H5Dcreate2(group, id, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c->n ? c->v : &none) >= 0 &&
             h5_columns(ds) == 0 ? 0 : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    H5Pclose(dcpl);
    return rc;
}

/* confusion/<run_id>: int64 (K, K) test rows by true class (row) and predicted class (column), from the run's
 * confusion.tsv; nothing for a run without one (older runs, too many classes). */
static int h5_confusion(hid_t group, const char *dir, const char *id)
{
    char path[STORE_PATH + SWEEP_ID + 32], err[300];
    confusion m;
    snprintf(path, sizeof path, "%s/runs/%s/confusion.tsv", dir, id);
    if (access(path, F_OK) != 0 || confusion_load(path, &m, err, sizeof err) < 0)
        return 0;
    hsize_t dims[2] = {(hsize_t)m.k, (hsize_t)m.k};
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t ds = H5Dcreate2(group, id, H5T_STD_I64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_LONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.count) >= 0 &&
             h5util_put_string(ds, "axes", "rows: true class, columns: predicted class") == 0 ? 0 : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    H5Pclose(dcpl);
    confusion_free(&m);
    return rc;
}

/* Writes one dataset per committed run of p into a new group of file: curves/, or confusion/ when confusions. */
static int h5_runs(hid_t file, int confusions, const char *dir, const runs *rs, const sweep_plan *p)
{
    hid_t group = H5Gcreate2(file, confusions ? "confusion" : "curves", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = group >= 0 ? 0 : -1;
    for (long r = 0; rc == 0 && r < p->nruns; r++) {
        config c;
        long long seed;
        char id[SWEEP_ID];
        sweep_run(p, r, &c, &seed, id, sizeof id);
        if (rs->done[r])
            rc = confusions ? h5_confusion(group, dir, id) : h5_curve(group, id, &rs->run[r].curve);
    }
    if (group >= 0)
        H5Gclose(group);
    return rc;
}

static int save_h5(const char *dir, const table *summary, const table *points, const runs *rs,
                   const sweep_plan *p, char *err, size_t len)
{
    char path[STORE_PATH + 32];
    snprintf(path, sizeof path, "%s/results.h5", dir);
    hid_t file = h5util_create_memory(); /* h5util_save writes it: a full disk fails a write(), not H5Fclose */
    int rc = file >= 0 ? 0 : -1;
    if (rc == 0)
        rc = h5_table(file, "summary", summary) | h5_table(file, "table", points) |
             h5util_put_string(file, "note", "NaN in the *_to_target columns: the target was not reached (an empty "
                                              "cell in the .tsv); in b_simple: not measured (train.noise_scale off, "
                                              "or fewer than two batches in the big one, as in a full-batch run)");
    if (rc == 0)
        rc = h5_runs(file, 0, dir, rs, p) | h5_runs(file, 1, dir, rs, p);
    return h5util_finish_derived(file, rc, path, "cannot write", err, len);
}

int tables_write(const char *dir, const sweep_plan *p, char *err, size_t len)
{
    runs rs = {0};
    table summary = {0}, points = {0};
    int rc = runs_load(&rs, dir, p);
    if (rc == 0) {
        build_summary(&summary, &rs, p);
        build_table(&points, &rs, p);
        rc = summary.failed || points.failed ? -1 : 0;
    }
    if (rc < 0)
        snprintf(err, len, "%s: out of memory for the tables", dir);
    if (rc == 0)
        rc = save_tsv(&summary, dir, "summary.tsv", err, len);
    if (rc == 0)
        rc = save_tsv(&points, dir, "table.tsv", err, len);
    if (rc == 0)
        rc = save_h5(dir, &summary, &points, &rs, p, err, len);
    table_free(&summary);
    table_free(&points);
    runs_free(&rs, p);
    return rc;
}
