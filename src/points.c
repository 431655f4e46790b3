/* Points: table.tsv read through the tsv module, each row put at its sweep point by id; value indices from the
 * plan (sweep_value_index); committed runs by the store's one predicate. */
#include "points.h"
#include "fileio.h"
#include "store.h"
#include "tsv.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns of table.tsv a point is read from (point_id, then numbers). */
static const char *const table_cols[] = {"point_id",       "n",             "diverged",          "test_acc_mean",
                                         "test_acc_std",   "test_acc_min",  "test_acc_max",      "test_loss_mean",
                                         "test_loss_std",  "seconds_per_epoch", "samples_per_second"};
/* and those a table.tsv written before the validation set existed lacks: NAN there */
static const char *const val_cols[] = {"val_acc_mean", "val_acc_std", "val_loss_mean", "val_loss_std"};
enum { NTABLE = (int)(sizeof table_cols / sizeof table_cols[0]), NVAL = 4, NCOLS = NTABLE + NVAL };

static int point_read(const tsv *t, int row, const int *col, point *p, char *err, size_t len)
{
    double v[NCOLS];
    for (int k = 1; k < NCOLS; k++)
        if (col[k] < 0)
            v[k] = NAN;
        else if (tsv_num(t, row, col[k], &v[k], err, len) < 0)
            return -1;
    if (fileio_path(p->id, sizeof p->id, err, len, "%s", tsv_cell(t, row, col[0])) < 0)
        return -1;
    p->n = (int)v[1];
    p->diverged = (int)v[2];
    p->acc_mean = v[3], p->acc_std = v[4], p->acc_min = v[5], p->acc_max = v[6];
    p->loss_mean = v[7], p->loss_std = v[8], p->sec_epoch = v[9], p->samples_per_s = v[10];
    p->val_acc_mean = v[11], p->val_acc_std = v[12], p->val_loss_mean = v[13], p->val_loss_std = v[14];
    return 0;
}

/* Reads table.tsv into rows (*n of them, malloc'ed). 0, or -1 with err. */
int points_read_table(const char *path, point **rows, int *n, char *err, size_t len)
{
    tsv t;
    char none[200];
    int col[NCOLS], rc = tsv_load(&t, path, err, len);
    for (int k = 0; k < NTABLE && rc == 0; k++)
        rc = (col[k] = tsv_col(&t, table_cols[k], err, len)) < 0 ? -1 : 0;
    for (int k = 0; k < NVAL && rc == 0; k++)
        col[NTABLE + k] = tsv_col(&t, val_cols[k], none, sizeof none);
    *rows = NULL;
    *n = 0;
    if (rc == 0 && !(*rows = calloc((size_t)t.nrows + 1, sizeof **rows))) {
        snprintf(err, len, "%s: out of memory", path);
        rc = -1;
    }
    for (int r = 0; r < t.nrows && rc == 0; r++)
        rc = point_read(&t, r, col, &(*rows)[r], err, len);
    if (rc == 0)
        *n = t.nrows;
    else {
        free(*rows);
        *rows = NULL;
    }
    tsv_free(&t);
    return rc;
}

/* Whether point a ranks above point b (b < 0: none yet), on validation or on test numbers. */
static int ranks_above(const point *a, const point *b, int on_val)
{
    double am = on_val ? a->val_acc_mean : a->acc_mean, bm = on_val ? b->val_acc_mean : b->acc_mean;
    double al = on_val ? a->val_loss_mean : a->loss_mean, bl = on_val ? b->val_loss_mean : b->loss_mean;
    return am > bm || (am == bm && al < bl);
}

static int candidate(const point *p) { return p->n > 0 && p->diverged < p->n && isfinite(p->acc_mean); }

long points_best(const point *p, long n, int *on_val)
{
    long best = -1;
    int val;
    if (!on_val)
        on_val = &val;
    *on_val = 0;
    for (long i = 0; i < n; i++)
        if (candidate(&p[i])) {
            if (!isfinite(p[i].val_acc_mean)) {
                *on_val = 0;
                break;
            }
            *on_val = 1;
        }
    for (long i = 0; i < n; i++)
        if (candidate(&p[i]) && (best < 0 || ranks_above(&p[i], &p[best], *on_val)))
            best = i;
    return best;
}

const char *points_value(const points *x, long pt, int i)
{
    return x->base->sweep[i].values[x->vidx[pt * x->nsweep + i]];
}

void points_seeds_note(const points *x, char *buf, size_t len)
{
    int lo = 0, hi = 0;
    for (long pt = 0; pt < x->plan->npoints; pt++)
        if (x->pts[pt].n > 0) {
            lo = lo && lo < x->pts[pt].n ? lo : x->pts[pt].n;
            hi = hi > x->pts[pt].n ? hi : x->pts[pt].n;
        }
    if (lo == hi)
        snprintf(buf, len, "%d seed%s", hi, hi == 1 ? "" : "s");
    else
        snprintf(buf, len, "%d to %d seeds", lo, hi);
}

const char *points_shown(const points *x, int i, const char *value)
{
    int key = x->base->sweep[i].key;
    return !strcmp(value, "0") && !strcmp(config_key_section(key), "train") &&
                   !strcmp(config_key_name(key), "batch_size")
               ? "full"
               : value;
}

int points_vindex(const points *x, long pt, int i) { return x->vidx[pt * x->nsweep + i]; }

double points_number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    return end == s || *end ? NAN : v;
}

/* The position of key dotted in [sweep], -1 when it is not swept. */
static int key_position(const config *base, const char *dotted)
{
    int k = config_find(dotted);
    for (int i = 0; i < base->nsweep; i++)
        if (base->sweep[i].key == k)
            return i;
    return -1;
}

/* Puts each row of table.tsv at its sweep point: point_id is the point's id (or its number). */
static int place_rows(points *x, char *err, size_t len)
{
    char path[FILEIO_PATH], id[SWEEP_ID];
    point *rows;
    int nrows;
    if (fileio_path(path, sizeof path, err, len, "%s/table.tsv", x->results_dir) < 0 ||
        points_read_table(path, &rows, &nrows, err, len) < 0)
        return -1;
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        sweep_point_id(x->plan, pt, id, sizeof id);
        snprintf(x->pts[pt].id, sizeof x->pts[pt].id, "%s", id);
        for (int r = 0; r < nrows; r++) {
            char *end;
            long num = strtol(rows[r].id, &end, 10);
            if (!strcmp(rows[r].id, id) || (!*end && end != rows[r].id && num == pt)) {
                x->pts[pt] = rows[r];
                snprintf(x->pts[pt].id, sizeof x->pts[pt].id, "%s", id);
                break;
            }
        }
    }
    free(rows);
    return 0;
}

/* The value of "key = value" in manifest text m (NULL: none), or "unknown". */
static void manifest_value(const char *m, const char *key, char *out, size_t len)
{
    snprintf(out, len, "unknown");
    size_t klen = strlen(key);
    for (const char *s = m; s && *s; s += strcspn(s, "\n"), s += *s == '\n') {
        if (strncmp(s, key, klen) || strncmp(s + klen, " = ", 3))
            continue;
        snprintf(out, len, "%.*s", (int)strcspn(s + klen + 3, "\n"), s + klen + 3);
        return;
    }
}

/* Counts the committed runs and reads the manifest of the first, and with threads swept the threads the first
 * committed run of each thread count ran on. */
static int find_runs(points *x, char *err, size_t len)
{
    char path[FILEIO_PATH], id[SWEEP_ID], why[300], value[32];
    x->first_run = -1;
    for (long r = 0; r < x->plan->nruns; r++) {
        config c;
        long long seed;
        sweep_run(x->plan, r, &c, &seed, id, sizeof id);
        if (store_read_run(x->results_dir, x->plan, r, NULL, why, sizeof why) < 0)
            continue;
        x->committed++;
        int v = x->threads >= 0 ? points_vindex(x, sweep_point(x->plan, r), x->threads) : -1;
        if (x->first_run >= 0 && (v < 0 || x->ran[v]))
            continue;
        if (fileio_path(path, sizeof path, err, len, "%s/runs/%s/manifest.txt", x->results_dir, id) < 0)
            return -1;
        char *m = fileio_read(path);
        if (v >= 0) {
            manifest_value(m, "openmp_threads", value, sizeof value);
            char *end;
            long n = strtol(value, &end, 10);
            x->ran[v] = end != value && !*end && n > 0 && n < 1 << 20 ? (int)n : 0;
        }
        if (x->first_run < 0) {
            x->first_run = r;
            x->manifest = m;
        } else
            free(m);
    }
    return 0;
}

int points_load(points *x, const config *base, const sweep_plan *plan, const char *results_dir, char *err,
                size_t len)
{
    *x = (points){.base = base, .plan = plan, .results_dir = results_dir, .nsweep = base->nsweep};
    x->lr = key_position(base, "train.learning_rate");
    x->hidden = key_position(base, "model.hidden");
    x->threads = key_position(base, "experiment.threads");
    x->pts = calloc((size_t)plan->npoints, sizeof *x->pts);
    x->vidx = calloc((size_t)plan->npoints * (size_t)x->nsweep + 1, sizeof *x->vidx);
    if (!x->pts || !x->vidx) {
        snprintf(err, len, "out of memory for %ld sweep points", plan->npoints);
        return -1;
    }
    for (long pt = 0; pt < plan->npoints; pt++)
        for (int i = 0; i < x->nsweep; i++)
            x->vidx[pt * x->nsweep + i] = sweep_value_index(plan, pt, i);
    if (place_rows(x, err, len) < 0)
        return -1;
    return find_runs(x, err, len);
}

void points_free(points *x)
{
    free(x->pts);
    free(x->vidx);
    free(x->manifest);
}

/* The value of "key = value" in the manifest, or "unknown". */
void points_manifest(const points *x, const char *key, char *out, size_t len)
{
    manifest_value(x->manifest, key, out, len);
}

/* "learning_rate=0.1, hidden=32": the swept values of point pt except key skip; "all runs" when none. */
void points_label(const points *x, long pt, int skip, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < x->nsweep; i++) {
        if (i == skip)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s=%s", used ? ", " : "", config_key_name(x->base->sweep[i].key),
                         points_shown(x, i, points_value(x, pt, i)));
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
    if (!used)
        snprintf(buf, len, "all runs");
}

/* 1 when every swept key but keep1 and keep2 has its first value at point pt. */
int points_others_first(const points *x, long pt, int keep1, int keep2)
{
    for (int i = 0; i < x->nsweep; i++)
        if (i != keep1 && i != keep2 && points_vindex(x, pt, i) != 0)
            return 0;
    return 1;
}

/* "hidden=16, threads=1": the values at point pt of the swept keys but keep1 and keep2; "" when there are none. */
void points_others_note(const points *x, int keep1, int keep2, long pt, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < x->nsweep; i++) {
        if (i == keep1 || i == keep2)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s=%s", used ? ", " : "", config_key_name(x->base->sweep[i].key),
                         points_shown(x, i, points_value(x, pt, i)));
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
}

/* The value indices of swept key i, by increasing numeric value (order has nvalues entries). */
void points_numeric_order(const points *x, int i, int *order)
{
    const config_sweep *s = &x->base->sweep[i];
    for (int j = 0; j < s->nvalues; j++) {
        int k = j;
        for (; k > 0 && points_number(s->values[order[k - 1]]) > points_number(s->values[j]); k--)
            order[k] = order[k - 1];
        order[k] = j;
    }
}

/* The point whose key i has value index v and whose other keys equal those of point like (but key j: vj). */
long points_with(const points *x, long like, int i, int v, int j, int vj)
{
    for (long pt = 0; pt < x->plan->npoints; pt++) {
        int ok = 1;
        for (int k = 0; k < x->nsweep && ok; k++)
            ok = points_vindex(x, pt, k) == (k == i ? v : k == j ? vj : points_vindex(x, like, k));
        if (ok)
            return pt;
    }
    return -1;
}

