/* Dataset loading and validation. Every check happens before training, and sizes are checked against
 * overflow and the machine's memory before anything is allocated. */
#include "dataset.h"
#include "h5util.h"
#include "plural.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t dataset_fnv1a(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t checksum(const dataset *d)
{
    uint64_t h = dataset_fnv1a(DATASET_FNV_BASIS, d->x, (size_t)d->rows * (size_t)d->cols * sizeof(float));
    for (int i = 0; i < d->rows; i++) {
        int32_t v = d->y[i];
        h = dataset_fnv1a(h, &v, sizeof v);
    }
    return h;
}

static size_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (size_t)pages * (size_t)size : SIZE_MAX;
}

/* Opens a dataset of the given rank of the file at path that reads its own values (h5util_check_storage);
 * fills dims, its class and whether it is unsigned; returns its id, or -1 with the reason in why. */
static hid_t open_dataset(hid_t file, const char *path, const char *name, int rank, hsize_t *dims,
                          H5T_class_t *cls, int *is_unsigned, char *why, size_t len)
{
    htri_t exists = H5Lexists(file, name, H5P_DEFAULT);
    if (exists < 0) {
        /* H5Lexists also fails on a path whose group is missing ("grp/X") or is a dataset ("X/sub"): the file is
         * damaged only when its root group cannot be read */
        H5Eclear2(H5E_DEFAULT);
        H5G_info_t root;
        if (H5Gget_info(file, &root) < 0) {
            char cause[200];
            h5util_cause(cause, sizeof cause);
            snprintf(why, len, "cannot look for dataset '%s': the file is damaged (%s)", name, cause);
            return -1;
        }
        exists = 0;
    }
    if (exists == 0) {
        snprintf(why, len, "no dataset '%s'", name);
        return -1;
    }
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0) {
        char cause[200];
        h5util_cause(cause, sizeof cause);
        snprintf(why, len, "'%s' is not a readable dataset (%s)", name, cause);
        return -1;
    }
    hid_t space = H5Dget_space(ds), type = H5Dget_type(ds);
    int r = H5Sget_simple_extent_ndims(space);
    *cls = H5Tget_class(type);
    *is_unsigned = *cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE;
    H5Tclose(type);
    int bad = r != rank;
    if (bad)
        snprintf(why, len, "dataset '%s' has rank %d (expected %d)", name, r, rank);
    else
        H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    if (bad || h5util_check_storage(ds, path, name, why, len) < 0) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

/* The checks on the two datasets' types and shapes before anything is allocated: 0, or -1 with why filled. */
static int check_layout(const char *features, const char *labels, const hsize_t xd[2], const hsize_t yd[1],
                        H5T_class_t xc, H5T_class_t yc, char *why, size_t len)
{
    if (xc != H5T_FLOAT && xc != H5T_INTEGER) {
        snprintf(why, len, "features '%s' are not numeric", features);
        return -1;
    }
    if (yc != H5T_INTEGER) {
        snprintf(why, len, "labels '%s' are not integers (store them as an integer dataset)", labels);
        return -1;
    }
    if (xd[0] != yd[0]) {
        snprintf(why, len, "'%s' has %llu rows but '%s' has %llu labels", features,
                 (unsigned long long)xd[0], labels, (unsigned long long)yd[0]);
        return -1;
    }
    if (xd[0] == 0 || xd[1] == 0) {
        snprintf(why, len, "no data ('%s' is %llu x %llu)", features, (unsigned long long)xd[0],
                 (unsigned long long)xd[1]);
        return -1;
    }
    /* int indexing and memory: refuse before allocating */
    if (xd[0] > 0x7fffffff || xd[1] > 0x7fffffff || xd[0] > SIZE_MAX / xd[1] / 8 ||
        (size_t)xd[0] * (size_t)xd[1] * sizeof(float) + (size_t)xd[0] * 12 > physical_memory() / 2) {
        snprintf(why, len, "%llu x %llu features would need %.1f GiB, more than half this machine's memory",
                 (unsigned long long)xd[0], (unsigned long long)xd[1], (double)xd[0] * (double)xd[1] * 4 / (1 << 30));
        return -1;
    }
    return 0;
}

/* Labels read as 64-bit integers in their own signedness (unsigned when is_unsigned, so an error shows the value
 * stored: 2^64-1 is not -1) into d->y and d->nclasses; -1 with why at the first one out of range. */
static int take_labels(dataset *d, const long long *lab, int is_unsigned, const char *labels, char *why, size_t len)
{
    int maxl = 0;
    for (int i = 0; i < d->rows; i++) {
        unsigned long long u = (unsigned long long)lab[i];
        if (is_unsigned ? u >= DATASET_MAX_CLASSES : lab[i] < 0 || lab[i] >= DATASET_MAX_CLASSES) {
            char value[32];
            if (is_unsigned)
                snprintf(value, sizeof value, "%llu", u);
            else
                snprintf(value, sizeof value, "%lld", lab[i]);
            snprintf(why, len, "row %d of '%s' is %s (labels are 0..%d)", i, labels, value, DATASET_MAX_CLASSES - 1);
            return -1;
        }
        d->y[i] = (int)lab[i];
        if (d->y[i] > maxl)
            maxl = d->y[i];
    }
    d->nclasses = maxl + 1;
    return 0;
}

/* Reads d->x (rows, cols) and the labels (rows, through lab, in their own signedness) into d->y, checks them and
 * sets nclasses: 0, or -1 with why filled. */
static int read_values(dataset *d, hid_t xs, hid_t ys, long long *lab, int yunsigned, const char *features,
                       const char *labels, char *why, size_t len)
{
    /* converted in strips of 64 KiB, which stay in cache, instead of through a 1 MiB buffer zeroed at every read */
    hid_t dxpl = h5util_transfer(64 << 10);
    int bad = dxpl < 0 || H5Dread(xs, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, dxpl, d->x) < 0 ||
              H5Dread(ys, yunsigned ? H5T_NATIVE_ULLONG : H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, dxpl, lab) < 0;
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (bad) {
        char cause[200];
        h5util_cause(cause, sizeof cause);
        snprintf(why, len, "cannot read data (%s)", cause);
        return -1;
    }
    for (size_t i = 0; i < (size_t)d->rows * (size_t)d->cols; i++)
        if (!isfinite(d->x[i])) {
            snprintf(why, len, "feature [%zu, %zu] of '%s' is %s", i / (size_t)d->cols, i % (size_t)d->cols,
                     features, isnan(d->x[i]) ? "NaN" : "infinite or beyond float32");
            return -1;
        }
    return take_labels(d, lab, yunsigned, labels, why, len);
}

/* Copies n strings (NULL: none); NULL when memory is short. */
static char **copy_names(char *const *names, int n)
{
    char **out = names ? calloc((size_t)n, sizeof *out) : NULL;
    for (int i = 0; out && i < n; i++)
        if (!(out[i] = strdup(names[i]))) {
            while (i-- > 0)
                free(out[i]);
            free(out);
            out = NULL;
        }
    return out;
}

/* The labels' class_names attribute (a 1-D array of variable-length strings, as experiments/csv_to_h5.py writes
 * it) into d->class_names and d->nnames; nothing when absent or of another kind: names are only a courtesy. */
static void read_class_names(dataset *d, hid_t ys)
{
    if (H5Aexists(ys, "class_names") <= 0)
        return;
    hid_t a = H5Aopen(ys, "class_names", H5P_DEFAULT), space = H5Aget_space(a), type = H5Aget_type(a);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    if (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0 && n > 0 && n <= DATASET_MAX_CLASSES) {
        hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_size(mem, H5T_VARIABLE);
        H5Tset_cset(mem, H5Tget_cset(type));
        char **raw = calloc((size_t)n, sizeof *raw);
        if (raw && H5Aread(a, mem, raw) >= 0) {
            for (hssize_t i = 0; i < n; i++)
                if (!raw[i])
                    n = 0; /* a missing name: none of them */
            if ((d->class_names = copy_names(raw, (int)n)))
                d->nnames = (int)n;
            H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw);
        }
        free(raw);
        H5Tclose(mem);
    }
    H5Tclose(type);
    H5Sclose(space);
    H5Aclose(a);
}

/* 1 when dataset ds is stored as type, byte for byte (the layout's little-endian float32 or int32). */
static int stored_as(hid_t ds, hid_t type)
{
    hid_t t = H5Dget_type(ds);
    int same = t >= 0 && H5Tequal(t, type) > 0;
    if (t >= 0)
        H5Tclose(t);
    return same;
}

/* The file's own fnv1a64 attribute, where the file is in experiments/h5layout.py's layout: datasets X
 * (little-endian float32) and y (little-endian int32), read as such, and the attribute that many hex digits of
 * the 64-bit sum over their bytes, as checksum() takes it. A file damaged inside its values, which HDF5 reads
 * without complaint, is refused. 0, or -1 with why. */
static int check_stored_sum(const dataset *d, hid_t file, hid_t xs, hid_t ys, const char *features,
                            const char *labels, char *why, size_t len)
{
    enum { DIGITS = 16 };
    char stored[64];
    int layout = !strcmp(features, "X") && !strcmp(labels, "y") && stored_as(xs, H5T_IEEE_F32LE) &&
                 stored_as(ys, H5T_STD_I32LE);
    if (!layout || h5util_get_string(file, "fnv1a64", stored, sizeof stored) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    if (strlen(stored) != DIGITS || strspn(stored, "0123456789abcdefABCDEF") != DIGITS)
        return 0; /* not the layout's checksum: another tool's attribute */
    unsigned long long v = strtoull(stored, NULL, 16);
    if (v == d->checksum)
        return 0;
    snprintf(why, len, "X and y do not match the file's fnv1a64 attribute (%s stored, %016llx read): the file is "
             "damaged, or X or y was changed without updating it (experiments/h5layout.py computes it; delete it "
             "if another tool wrote it)", stored, (unsigned long long)d->checksum);
    return -1;
}

/* dataset_load; *missing (when not NULL) becomes "data.features" or "data.labels" when that dataset is not in
 * the file (or cannot be opened), the key a config's message should name (load_blame). */
static int load(dataset *d, const char *path, const char *features, const char *labels, const char **missing,
                char *err, size_t len)
{
    memset(d, 0, sizeof *d);
    char why[400];
    hid_t file = h5util_open(path, why, sizeof why), xs = -1, ys = -1;
    long long *lab = NULL; /* unsigned long long when yunsigned */
    int rc = -1, xunsigned, yunsigned;
    hsize_t xd[2] = {0, 0}, yd[1] = {0};
    H5T_class_t xc, yc;
    if (file < 0)
        goto out;
    if ((xs = open_dataset(file, path, features, 2, xd, &xc, &xunsigned, why, sizeof why)) < 0 ||
        (ys = open_dataset(file, path, labels, 1, yd, &yc, &yunsigned, why, sizeof why)) < 0) {
        if (missing)
            *missing = xs < 0 ? "data.features" : "data.labels";
        goto out;
    }
    if (check_layout(features, labels, xd, yd, xc, yc, why, sizeof why) < 0)
        goto out;
    d->rows = (int)xd[0];
    d->cols = (int)xd[1];
    d->x = malloc((size_t)d->rows * (size_t)d->cols * sizeof(float));
    d->y = malloc((size_t)d->rows * sizeof(int));
    lab = malloc((size_t)d->rows * sizeof *lab);
    if (!d->x || !d->y || !lab) {
        snprintf(why, sizeof why, "out of memory");
        goto out;
    }
    if (read_values(d, xs, ys, lab, yunsigned, features, labels, why, sizeof why) < 0)
        goto out;
    d->checksum = checksum(d);
    if (check_stored_sum(d, file, xs, ys, features, labels, why, sizeof why) < 0)
        goto out;
    read_class_names(d, ys);
    rc = 0;
out:
    free(lab);
    if (xs >= 0) H5Dclose(xs);
    if (ys >= 0) H5Dclose(ys);
    if (file >= 0) H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    if (rc < 0) {
        snprintf(err, len, "%s: %s", path, why);
        dataset_free(d);
    }
    return rc;
}

int dataset_load(dataset *d, const char *path, const char *features, const char *labels, char *err, size_t len)
{
    return load(d, path, features, labels, NULL, err, len);
}

/* Loads c's file_key (data.file or data.test_file) as d; a failure names the dataset's key where the config
 * gives it, else the file's. 0, or -1 with err. */
static int load_blame(dataset *d, const config *c, const char *file_key, char *err, size_t len)
{
    const char *path = strcmp(file_key, "data.file") ? c->test_file : c->file, *blame = file_key;
    if (load(d, path, c->features, c->labels, &blame, err, len) == 0)
        return 0;
    /* the training file loaded with these names, so a test file without them is the test file's fault */
    int named = !strcmp(file_key, "data.file") && config_key_given(c, config_find(blame));
    config_blame(c, named ? blame : file_key, err, len);
    return -1;
}

int dataset_from_arrays(dataset *d, const float *x, const int *y, int rows, int cols)
{
    memset(d, 0, sizeof *d);
    d->rows = rows;
    d->cols = cols;
    d->x = malloc((size_t)rows * (size_t)cols * sizeof(float) + 1);
    d->y = malloc((size_t)rows * sizeof(int) + 1);
    if (!d->x || !d->y) {
        dataset_free(d);
        return -1;
    }
    memcpy(d->x, x, (size_t)rows * (size_t)cols * sizeof(float));
    memcpy(d->y, y, (size_t)rows * sizeof(int));
    for (int i = 0; i < rows; i++)
        if (y[i] + 1 > d->nclasses)
            d->nclasses = y[i] + 1;
    d->checksum = checksum(d);
    return 0;
}

static int take(dataset *part, const dataset *all, const unsigned char *in_test, unsigned char want)
{
    int n = 0;
    for (int i = 0; i < all->rows; i++)
        n += in_test[i] == want;
    float *x = malloc((size_t)n * (size_t)all->cols * sizeof(float) + 1);
    int *y = malloc((size_t)n * sizeof(int) + 1);
    if (!x || !y) {
        free(x);
        free(y);
        return -1;
    }
    int j = 0;
    for (int i = 0; i < all->rows; i++)
        if (in_test[i] == want) {
            memcpy(x + (size_t)j * all->cols, all->x + (size_t)i * all->cols, (size_t)all->cols * sizeof(float));
            y[j++] = all->y[i];
        }
    /* the part keeps the rows just gathered and the whole set's classes and checksum (the data's identity): no
     * second copy and no FNV-1a of the part, which was computed only to be replaced (0.5 ms of a digits load) */
    memset(part, 0, sizeof *part);
    part->rows = n;
    part->cols = all->cols;
    part->x = x;
    part->y = y;
    part->nclasses = all->nclasses;
    part->checksum = all->checksum;
    if ((part->class_names = copy_names(all->class_names, all->nnames)))
        part->nnames = all->nnames;
    return 0;
}

/* Marks n rows of all, chosen by a permutation drawn from (seed, stream), and takes the two parts; -1 when memory
 * is short. */
static int hold_out(const dataset *all, int n, uint64_t seed, uint64_t stream, dataset *kept, dataset *held)
{
    int *perm = malloc((size_t)all->rows * sizeof *perm);
    unsigned char *in_held = calloc((size_t)all->rows, 1);
    int rc = -1;
    if (perm && in_held) {
        for (int i = 0; i < all->rows; i++)
            perm[i] = i;
        rng r;
        rng_init(&r, seed, stream);
        rng_shuffle(&r, perm, all->rows);
        for (int i = 0; i < n; i++)
            in_held[perm[i]] = 1;
        rc = take(kept, all, in_held, 0) == 0 && take(held, all, in_held, 1) == 0 ? 0 : -1;
    }
    if (rc < 0) {
        dataset_free(kept);
        dataset_free(held);
    }
    free(perm);
    free(in_held);
    return rc;
}

int dataset_split(const dataset *all, double fraction, uint64_t seed, dataset *train, dataset *test, char *err,
                  size_t len)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    int ntest = (int)llround(fraction * all->rows);
    if (ntest < 1 || ntest > all->rows - 1) {
        snprintf(err, len, "test_fraction %g of %d rows leaves an empty %s set (allowed here: a fraction that holds "
                 "out 1 to %d rows, from 0.5/%d to %g/%d)", fraction, all->rows, ntest < 1 ? "test" : "training",
                 all->rows - 1, all->rows, all->rows - 1.5, all->rows);
        return -1;
    }
    if (hold_out(all, ntest, seed, RNG_STREAM_SPLIT, train, test) < 0) {
        snprintf(err, len, "out of memory splitting the data");
        return -2;
    }
    return 0;
}

/* The first class with rows in all but none in part, or -1. */
static int class_lost(const dataset *all, const dataset *part)
{
    int *count = calloc((size_t)all->nclasses + 1, sizeof *count), lost = -1;
    if (!count)
        return -1;
    for (int i = 0; i < part->rows; i++)
        count[part->y[i]]++;
    for (int i = 0; i < all->rows && lost < 0; i++)
        if (!count[all->y[i]])
            lost = all->y[i];
    free(count);
    return lost;
}

int dataset_split_validation(const dataset *all, double fraction, uint64_t seed, dataset *train, dataset *val,
                             char *err, size_t len)
{
    memset(train, 0, sizeof *train);
    memset(val, 0, sizeof *val);
    int nval = (int)llround(fraction * all->rows), lost = -1;
    if (nval < 1 || nval > all->rows - 1) {
        snprintf(err, len, "%g of %d training rows leaves %s (allowed: 0, or a fraction in (0, 1) that holds out at "
                 "least one row and keeps a training row of every class)", fraction, all->rows,
                 nval < 1 ? "no validation row" : "no training row");
        return -1;
    }
    if (hold_out(all, nval, seed, RNG_STREAM_VALIDATION, train, val) < 0) {
        snprintf(err, len, "out of memory splitting the data");
        return -1;
    }
    if ((lost = class_lost(all, train)) >= 0) {
        snprintf(err, len, "%g of %d training rows leaves no training row of class %d (allowed: 0, or a fraction "
                 "in (0, 1) that holds out at least one row and keeps a training row of every class)", fraction,
                 all->rows, lost);
        dataset_free(train);
        dataset_free(val);
        return -1;
    }
    return 0;
}

int dataset_scale(dataset *d, float s, size_t *bad)
{
    size_t n = (size_t)d->rows * (size_t)d->cols;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d->x[i] * s)) {
            *bad = i;
            return -1;
        }
    for (size_t i = 0; i < n; i++)
        d->x[i] *= s;
    return 0;
}

/* Scales the features of d, loaded from path, by data.scale; 0, or -1 with err naming the first feature that
 * overflows float32 (a data error found once, not a divergence found in every run). */
static int scale_loaded(dataset *d, const config *c, const char *path, char *err, size_t len)
{
    size_t i;
    if (dataset_scale(d, (float)c->scale, &i) == 0)
        return 0;
    snprintf(err, len, "%s: feature [%zu, %zu] of '%s' is %g, beyond float32 once multiplied by data.scale = %g",
             path, i / (size_t)d->cols, i % (size_t)d->cols, c->features, (double)d->x[i], c->scale);
    config_blame(c, "data.scale", err, len);
    dataset_free(d);
    return -1;
}

int dataset_standardize(dataset *train, dataset *const *others, int nothers)
{
    int cols = train->cols;
    double *sum = calloc((size_t)cols, sizeof *sum), *sq = calloc((size_t)cols, sizeof *sq);
    train->mean = malloc((size_t)cols * sizeof(float));
    train->std = malloc((size_t)cols * sizeof(float));
    if (!sum || !sq || !train->mean || !train->std) {
        free(sum);
        free(sq);
        return -1;
    }
    /* two passes in double: the mean, then the mean squared deviation (population std, as scikit-learn) */
    for (int i = 0; i < train->rows; i++)
        for (int j = 0; j < cols; j++)
            sum[j] += train->x[(size_t)i * cols + j];
    for (int j = 0; j < cols; j++)
        sum[j] /= train->rows;
    for (int i = 0; i < train->rows; i++)
        for (int j = 0; j < cols; j++) {
            double dev = train->x[(size_t)i * cols + j] - sum[j];
            sq[j] += dev * dev;
        }
    for (int j = 0; j < cols; j++) {
        sq[j] = sqrt(sq[j] / train->rows);
        train->mean[j] = (float)sum[j];
        train->std[j] = (float)sq[j];
    }
    /* a feature constant on the training rows says nothing the model could learn: 0 everywhere */
    for (int d = -1; d < nothers; d++) {
        dataset *t = d < 0 ? train : others[d];
        for (size_t i = 0; i < (size_t)t->rows; i++)
            for (int j = 0; j < cols; j++) {
                float *x = &t->x[i * (size_t)cols + j];
                *x = sq[j] > 0 ? (float)((*x - sum[j]) / sq[j]) : 0.0f;
            }
    }
    free(sum);
    free(sq);
    return 0;
}

int dataset_write_standardize(FILE *f, const dataset *train)
{
    fprintf(f, "feature\tmean\tstd\n");
    for (int j = 0; j < train->cols; j++)
        fprintf(f, "%d\t%.9g\t%.9g\n", j, (double)train->mean[j], (double)train->std[j]);
    return ferror(f) ? -1 : 0;
}

int dataset_empty_classes(const dataset *train, const dataset *test, int nclasses, char *buf, size_t len)
{
    unsigned char *seen = calloc((size_t)nclasses, 1);
    int empty = 0;
    size_t used = 0;
    buf[0] = 0;
    if (!seen)
        return 0;
    /* a label beyond nclasses has no class to mark (the caller counts only the first nclasses) */
    const dataset *parts[] = {train, test};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < parts[p]->rows; i++)
            if (parts[p]->y[i] >= 0 && parts[p]->y[i] < nclasses)
                seen[parts[p]->y[i]] = 1;
    for (int k = 0; k < nclasses; k++) {
        if (seen[k])
            continue;
        if (empty < 8 && used < len) {
            int n = snprintf(buf + used, len - used, "%s%d", empty ? ", " : "", k);
            used += n > 0 ? (size_t)n : 0;
        }
        empty++;
    }
    free(seen);
    if (empty && used < len)
        snprintf(buf + used, len - used, "%s", empty > 8 ? ", ..." : "");
    return empty;
}

void dataset_free(dataset *d)
{
    free(d->x);
    free(d->y);
    free(d->mean);
    free(d->std);
    for (int i = 0; d->class_names && i < d->nnames; i++)
        free(d->class_names[i]);
    free(d->class_names);
    memset(d, 0, sizeof *d);
}

/* The train and test sets of c, before the validation split: ERROR_NONE; ERROR_DATA with err (a file), or
 * ERROR_USAGE when data.test_fraction leaves an empty part (the config's choice, as data.validation_fraction's). */
static error_class open_train_test(const config *c, dataset *train, dataset *test, char *err, size_t len)
{
    dataset all;
    memset(test, 0, sizeof *test);
    if (load_blame(&all, c, "data.file", err, len) < 0)
        return ERROR_DATA;
    if (scale_loaded(&all, c, c->file, err, len) < 0)
        return ERROR_DATA;
    if (c->test_file[0]) {
        *train = all;
        if (load_blame(test, c, "data.test_file", err, len) < 0) {
            dataset_free(train);
            return ERROR_DATA;
        }
        if (scale_loaded(test, c, c->test_file, err, len) < 0) {
            dataset_free(train);
            return ERROR_DATA;
        }
        if (test->cols != train->cols) {
            snprintf(err, len, "%s: '%s' has %d feature%s but the training data has %d", c->test_file, c->features,
                     test->cols, plural(test->cols), train->cols);
            config_blame(c, "data.test_file", err, len);
            dataset_free(train);
            dataset_free(test);
            return ERROR_DATA;
        }
    } else {
        char why[200];
        int rc = dataset_split(&all, c->test_fraction, (uint64_t)c->split_seed, train, test, why, sizeof why);
        dataset_free(&all);
        if (rc < 0) {
            snprintf(err, len, "%s: %s", c->file, why);
            config_blame(c, "data.test_fraction", err, len);
            return rc == -1 ? ERROR_USAGE : ERROR_DATA;
        }
    }
    return ERROR_NONE;
}

/* Holds data.validation_fraction of *train out into val (nothing when it is 0): 0, or -1 with err. */
static int split_validation(const config *c, dataset *train, dataset *val, char *err, size_t len)
{
    memset(val, 0, sizeof *val);
    if (c->validation_fraction == 0)
        return 0;
    dataset all = *train;
    char why[300];
    int rc = dataset_split_validation(&all, c->validation_fraction, (uint64_t)c->split_seed, train, val, why,
                                      sizeof why);
    if (rc < 0) {
        *train = all;
        snprintf(err, len, "%s: %s", c->file, why);
    } else
        dataset_free(&all);
    return rc;
}

error_class dataset_open_config(const config *c, dataset *train, dataset *val, dataset *test, int *nclasses,
                                char *err, size_t len)
{
    memset(val, 0, sizeof *val);
    error_class rc = open_train_test(c, train, test, err, len);
    if (rc != ERROR_NONE)
        return rc;
    int n = train->nclasses > test->nclasses ? train->nclasses : test->nclasses;
    if (n < 2) {
        snprintf(err, len, "%s: every label is 0; classification needs at least two classes", c->file);
        config_blame(c, "data.file", err, len);
        dataset_free(train);
        dataset_free(test);
        return ERROR_DATA;
    }
    if (split_validation(c, train, val, err, len) < 0) {
        config_blame(c, "data.validation_fraction", err, len);
        dataset_free(train);
        dataset_free(test);
        return ERROR_USAGE;
    }
    /* the statistics come from the final training rows, after both splits */
    if (c->standardize && dataset_standardize(train, (dataset *[]){val, test}, 2) < 0) {
        snprintf(err, len, "%s: out of memory standardising the features", c->file);
        dataset_free(train);
        dataset_free(val);
        dataset_free(test);
        return ERROR_DATA;
    }
    *nclasses = n;
    return ERROR_NONE;
}
