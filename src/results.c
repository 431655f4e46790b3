/* Writing results: text files through stdio with fsync, weights through checkpoint_save, every run folder
 * renamed into place only once complete. */
#include "results.h"
#include "buildinfo.h"
#include "checkpoint.h"
#include "fileio.h"
#include "h5util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char results_metric_header[] = "status\tepochs_done\tdiverged_epoch\ttrain_loss\ttest_loss\ttrain_acc\ttest_acc"
                                     "\tbest_epoch\tbest_test_acc\ttrain_seconds\tsamples_per_second";
const char results_curve_header[] = "# epoch train_loss test_loss train_acc test_acc seconds";

static int make_dir(const char *path, char *err, size_t len)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        snprintf(err, len, "%s: exists and is not a directory", path);
        return -1;
    }
    snprintf(err, len, "%s: cannot create directory: %s", path, strerror(errno));
    return -1;
}

static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Removes a folder of plain files (a run folder). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[RESULTS_PATH + 300];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", path, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(path);
}

int results_open(results *r, const char *root, const config *base, int force, char *err, size_t len)
{
    memset(r, 0, sizeof *r);
    r->lock_fd = -1;
    char runs[RESULTS_PATH + 16], path[RESULTS_PATH + 300];
    snprintf(r->dir, sizeof r->dir, "%s/%s", root, base->name);
    snprintf(runs, sizeof runs, "%s/runs", r->dir);
    if (make_dir(root, err, len) || make_dir(r->dir, err, len) || make_dir(runs, err, len))
        return -1;
    /* both folders: runs go into runs/; the lock, experiment.ini, the tables and the report into the other */
    const char *folders[] = {r->dir, runs};
    for (int i = 0; i < 2; i++)
        if (access(folders[i], W_OK) != 0) {
            snprintf(err, len, "%s: not writable: %s", folders[i], strerror(errno));
            return -1;
        }
    snprintf(path, sizeof path, "%s/.lock", r->dir);
    r->lock_fd = open(path, O_RDWR | O_CREAT, 0666);
    if (r->lock_fd < 0) {
        snprintf(err, len, "%s: cannot create lock: %s", path, strerror(errno));
        return -1;
    }
    if (flock(r->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(r->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        snprintf(err, len, "%s: another runner (pid %s) is working on this experiment; wait for it to finish",
                 r->dir, *pid ? pid : "?");
        results_close(r);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(r->lock_fd, 0) != 0 || pwrite(r->lock_fd, pid, (size_t)n, 0) != n) {
        snprintf(err, len, "%s: cannot write lock: %s", path, strerror(errno));
        results_close(r);
        return -1;
    }

    /* temporary folders left by a killed runner are never results */
    DIR *d = opendir(runs);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (!strncmp(e->d_name, ".tmp-", 5) || !strncmp(e->d_name, ".old-", 5)) {
                snprintf(path, sizeof path, "%s/%s", runs, e->d_name);
                remove_tree(path);
            }
        closedir(d);
    }

    char *identity = NULL;
    size_t isize = 0;
    FILE *mem = open_memstream(&identity, &isize);
    if (!mem || config_write(base, mem, CONFIG_WRITE_IDENTITY) != 0 || fclose(mem) != 0) {
        snprintf(err, len, "out of memory");
        results_close(r);
        return -1;
    }
    snprintf(path, sizeof path, "%s/experiment.ini", r->dir);
    char *old = fileio_read(path);
    int rc = 0;
    if (old && strcmp(old, identity) && !force) {
        /* name the first line that differs */
        const char *a = old, *b = identity;
        while (*a && *b) {
            size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
            if (la != lb || strncmp(a, b, la))
                break;
            a += la + (a[la] != 0);
            b += lb + (b[lb] != 0);
        }
        snprintf(err, len, "%s: results there come from a different configuration (was '%.*s', now '%.*s'); use "
                 "another experiment.name, or --force to train everything again", r->dir, (int)strcspn(a, "\n"), a,
                 (int)strcspn(b, "\n"), b);
        rc = -1;
    } else if (!old || strcmp(old, identity)) {
        rc = fileio_write_atomic(path, identity, strlen(identity), err, len);
    }
    free(old);
    free(identity);
    if (rc < 0)
        results_close(r);
    return rc;
}

void results_close(results *r)
{
    if (r->lock_fd >= 0)
        close(r->lock_fd); /* releases the flock */
    r->lock_fd = -1;
}

int results_run_done(const results *r, const char *id)
{
    char why[300];
    return results_check_run(r->dir, id, why, sizeof why) == 0;
}

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            char *v = strchr(line, ':') + 2;
            v[strcspn(v, "\n")] = 0;
            snprintf(buf, len, "%s", v);
            break;
        }
    fclose(f);
}

static int write_run_files(const char *dir, const train_job *job)
{
    char path[RESULTS_PATH + 400];
    const train_epoch *best = &job->curve[job->best_epoch], *last = &job->curve[job->epochs_done];

    snprintf(path, sizeof path, "%s/curve.dat", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", results_curve_header);
    for (int e = 0; e <= job->epochs_done; e++) {
        const train_epoch *c = &job->curve[e];
        if (!c->evaluated)
            continue;
        fprintf(f, "%d %.9g %.9g %.9g %.9g %.6f\n", c->epoch, c->train_loss, c->test_loss, c->train_acc,
                c->test_acc, c->seconds);
    }
    if (fileio_close_synced(f))
        return -1;

    snprintf(path, sizeof path, "%s/result.tsv", dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fprintf(f, "%s\n%s\t%d\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%d\t%.9g\t%.6f\t%.1f\n", results_metric_header,
            job->status == TRAIN_DIVERGED ? "diverged" : "ok", job->epochs_done, job->diverged_epoch,
            last->train_loss, last->test_loss, last->train_acc, last->test_acc, job->best_epoch, best->test_acc,
            job->train_seconds, job->samples_per_second);
    if (fileio_close_synced(f))
        return -1;

    snprintf(path, sizeof path, "%s/config.ini", dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fprintf(f, "; resolved configuration of this run (defaults included), seed %lld\n", job->seed);
    config_write(&job->cfg, f, CONFIG_WRITE_ALL);
    if (fileio_close_synced(f))
        return -1;

    char hdf5[32], cpu[256], host[256] = "unknown", date[64];
    h5util_version(hdf5, sizeof hdf5);
    cpu_model(cpu, sizeof cpu);
    gethostname(host, sizeof host - 1);
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fprintf(f, "git_revision = %s\ncompiler = gcc %s\ncflags = %s\nopenmp_threads = %d\nhdf5_version = %s\n"
               "data_file = %s\ndata_fnv1a64 = %016llx\ntest_file = %s\ntest_fnv1a64 = %016llx\nseed = %lld\n"
               "host = %s\ncpu = %s\nlogical_cpus = %ld\ndate = %s\n",
            BUILD_GIT_REV, __VERSION__, BUILD_CFLAGS, job->threads, hdf5, job->cfg.file,
            (unsigned long long)job->train->checksum, job->cfg.test_file[0] ? job->cfg.test_file : job->cfg.file,
            (unsigned long long)job->test->checksum, job->seed, host, cpu, sysconf(_SC_NPROCESSORS_ONLN), date);
    if (fileio_close_synced(f))
        return -1;

    char err[400];
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    if (checkpoint_save(&job->net, train_weights(job), path, err, sizeof err) < 0 || sync_path(path) < 0)
        return -1;
    return 0;
}

int results_commit(results *r, const char *id, const train_job *job, char *err, size_t len)
{
    char tmp[RESULTS_PATH + 300], final[RESULTS_PATH + 300], old[RESULTS_PATH + 300], runs[RESULTS_PATH + 16];
    snprintf(runs, sizeof runs, "%s/runs", r->dir);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%d", runs, id, (int)getpid());
    snprintf(final, sizeof final, "%s/%s", runs, id);
    snprintf(old, sizeof old, "%s/.old-%s-%d", runs, id, (int)getpid());
    remove_tree(tmp);
    errno = 0;
    if (mkdir(tmp, 0777) != 0 || write_run_files(tmp, job) != 0) {
        snprintf(err, len, "%s: cannot write run: %s", final, strerror(errno ? errno : EIO));
        remove_tree(tmp);
        return -1;
    }
    int had_old = rename(final, old) == 0;
    if (rename(tmp, final) != 0 || sync_path(runs) != 0) {
        snprintf(err, len, "%s: cannot commit run: %s", final, strerror(errno));
        remove_tree(tmp);
        if (had_old)
            rename(old, final);
        return -1;
    }
    if (had_old)
        remove_tree(old);
    return 0;
}

/* The second line of a run's result.tsv, without its newline, or NULL. */
static char *run_metrics_row(const results *r, const char *id)
{
    char path[RESULTS_PATH + 300];
    snprintf(path, sizeof path, "%s/runs/%s/result.tsv", r->dir, id);
    char *text = fileio_read(path);
    if (!text)
        return NULL;
    char *row = strchr(text, '\n');
    if (!row || strncmp(text, results_metric_header, strlen(results_metric_header))) {
        free(text);
        return NULL;
    }
    row++;
    row[strcspn(row, "\n")] = 0;
    memmove(text, row, strlen(row) + 1);
    return text;
}

/* The numbers of one committed run, parsed from its result.tsv row. */
typedef struct run_metrics {
    int ok, diverged, epochs_done, diverged_epoch, best_epoch;
    double train_loss, test_loss, train_acc, test_acc, best_test_acc, seconds, sps;
} run_metrics;

static int parse_metrics(const char *row, run_metrics *m)
{
    char status[16];
    int n = sscanf(row, "%15s %d %d %lf %lf %lf %lf %d %lf %lf %lf", status, &m->epochs_done, &m->diverged_epoch,
                   &m->train_loss, &m->test_loss, &m->train_acc, &m->test_acc, &m->best_epoch, &m->best_test_acc,
                   &m->seconds, &m->sps);
    m->diverged = !strcmp(status, "diverged");
    m->ok = n == 11 && (m->diverged || !strcmp(status, "ok"));
    return m->ok ? 0 : -1;
}

/* Counts the data rows of a curve.dat and checks its header, that every row holds six finite numbers and
 * that the epochs rise from 0; *last: the last row's epoch. */
static int curve_rows(const char *text, int *last, const char **why)
{
    size_t hl = strlen(results_curve_header);
    if (strncmp(text, results_curve_header, hl) || text[hl] != '\n') {
        *why = "curve.dat has no header line";
        return -1;
    }
    int rows = 0;
    for (const char *line = text + hl + 1; *line;) {
        double v[6];
        int used = 0;
        if (sscanf(line, "%lf %lf %lf %lf %lf %lf%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &used) != 6) {
            *why = "curve.dat has a malformed row";
            return -1;
        }
        for (int i = 0; i < 6; i++)
            if (!isfinite(v[i])) {
                *why = "curve.dat holds a non-finite number";
                return -1;
            }
        if (v[0] != floor(v[0]) || v[0] > INT_MAX || (rows == 0 ? v[0] != 0 : v[0] <= *last)) {
            *why = "curve.dat's epochs do not rise from 0";
            return -1;
        }
        *last = (int)v[0];
        rows++;
        line += strcspn(line, "\n");
        line += *line == '\n';
    }
    return rows;
}

int results_check_run(const char *dir, const char *id, char *why, size_t len)
{
    char path[RESULTS_PATH + 400];
    const char *reason = NULL;
    run_metrics m;
    snprintf(path, sizeof path, "%s/runs/%s/result.tsv", dir, id);
    char *row = NULL, *text = fileio_read(path);
    if (!text)
        reason = "result.tsv missing";
    else if (strncmp(text, results_metric_header, strlen(results_metric_header)) || !(row = strchr(text, '\n')) ||
             parse_metrics(row + 1, &m) < 0)
        reason = "result.tsv is malformed";
    free(text);
    if (!reason) {
        snprintf(path, sizeof path, "%s/runs/%s/curve.dat", dir, id);
        text = fileio_read(path);
        int last = -1, rows = text ? curve_rows(text, &last, &reason) : -1;
        free(text);
        if (!text && !reason)
            reason = "curve.dat missing";
        else if (rows == 0 && !(m.diverged && m.epochs_done == 0))
            reason = "curve.dat has no rows"; /* none is right only for a run whose first evaluation overflowed */
        else if (rows > 0 && last != m.epochs_done)
            reason = "curve.dat does not end at epoch epochs_done";
    }
    static const char *const plain[] = {"config.ini", "manifest.txt"};
    for (int i = 0; i < 2 && !reason; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/runs/%s/%s", dir, id, plain[i]);
        if (stat(path, &st) != 0 || st.st_size == 0)
            reason = i ? "manifest.txt missing or empty" : "config.ini missing or empty";
    }
    if (!reason) {
        char layers[256], cause[300];
        snprintf(path, sizeof path, "%s/runs/%s/weights.h5", dir, id);
        hid_t f = h5util_open(path, cause, sizeof cause);
        if (f < 0 || h5util_get_string(f, "layers", layers, sizeof layers) < 0)
            reason = "weights.h5 is missing or damaged";
        if (f >= 0)
            H5Fclose(f);
        H5Eclear2(H5E_DEFAULT);
    }
    if (reason)
        snprintf(why, len, "%s", reason);
    return reason ? -1 : 0;
}

int results_verify(const char *root, const char *name, char *report, size_t len, int *damaged)
{
    char runs[RESULTS_PATH + 16];
    snprintf(runs, sizeof runs, "%s/%s/runs", root, name);
    DIR *d = opendir(runs);
    *damaged = 0;
    if (!d) {
        snprintf(report, len, "%s: cannot open: %s", runs, strerror(errno));
        return -1;
    }
    char dir[RESULTS_PATH];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    size_t used = 0;
    int total = 0;
    struct dirent *e;
    report[0] = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* ., .. and temporary folders, which are never runs */
        char why[300];
        total++;
        if (results_check_run(dir, e->d_name, why, sizeof why) < 0) {
            (*damaged)++;
            used += (size_t)snprintf(report + used, used < len ? len - used : 0, "%s/%s: damaged: %s\n", runs,
                                     e->d_name, why);
        }
    }
    closedir(d);
    snprintf(report + used, used < len ? len - used : 0, "%s: %d runs, %d intact, %d damaged%s\n", dir, total,
             total - *damaged, *damaged, *damaged ? " (run the config again to retrain them)" : "");
    return 0;
}

/* Keys every summary shows; swept keys not among them get columns of their own. */
static const char *const fixed_keys[] = {"experiment.seeds", "model.hidden", "train.learning_rate",
                                         "model.activation", "model.output", "train.optimizer",
                                         "train.batch_size", "train.epochs"};
#define NFIXED ((int)(sizeof fixed_keys / sizeof fixed_keys[0]))

static void write_summary(FILE *f, const results *r, const sweep_plan *p)
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
    fprintf(f, "run_id\tseed\thidden\tlearning_rate\tactivation\toutput\toptimizer\tbatch_size\tepochs");
    for (int i = 0; i < nextra; i++)
        fprintf(f, "\t%s", config_key_name(extra[i]));
    fprintf(f, "\t%s\n", results_metric_header);
    config c;
    char id[SWEEP_ID], v[CONFIG_PATH + 64];
    long long seed;
    for (long i = 0; i < p->nruns; i++) {
        sweep_run(p, i, &c, &seed, id, sizeof id);
        char *metrics = run_metrics_row(r, id);
        if (!metrics)
            continue;
        fprintf(f, "%s\t%lld", id, seed);
        for (int j = 1; j < NFIXED; j++) {
            config_format(&c, config_find(fixed_keys[j]), v, sizeof v);
            fprintf(f, "\t%s", v);
        }
        for (int j = 0; j < nextra; j++) {
            config_format(&c, extra[j], v, sizeof v);
            fprintf(f, "\t%s", v);
        }
        fprintf(f, "\t%s\n", metrics);
        free(metrics);
    }
}

/* mean, sample standard deviation (0 for one value), min and max of v (n >= 1) */
static void stats(const double *v, int n, double out[4])
{
    double sum = 0, ss = 0, lo = v[0], hi = v[0];
    for (int i = 0; i < n; i++) {
        sum += v[i];
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    double mean = sum / n;
    for (int i = 0; i < n; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    out[0] = mean;
    out[1] = n > 1 ? sqrt(ss / (n - 1)) : 0;
    out[2] = lo;
    out[3] = hi;
}

const char results_table_header[] = "n\ttest_acc_mean\ttest_acc_std\ttest_acc_min\ttest_acc_max\ttest_loss_mean"
                                    "\ttest_loss_std\ttest_loss_min\ttest_loss_max\tbest_epoch\tdiverged"
                                    "\tseconds_mean\tseconds_per_epoch\tsamples_per_second";

static void write_table(FILE *f, const results *r, const sweep_plan *p)
{
    const config *base = p->base;
    fprintf(f, "point_id");
    for (int i = 0; i < base->nsweep; i++)
        fprintf(f, "\t%s", config_key_name(base->sweep[i].key));
    fprintf(f, "\t%s\n", results_table_header);
    int ns = base->nseeds;
    double *acc = malloc((size_t)ns * sizeof *acc), *loss = malloc((size_t)ns * sizeof *loss);
    if (!acc || !loss) {
        free(acc);
        free(loss);
        return;
    }
    for (long pt = 0; pt < p->npoints; pt++) {
        int n = 0, diverged = 0;
        double best = 0, secs = 0, per_epoch = 0, sps = 0;
        config c;
        long long seed;
        char id[SWEEP_ID];
        for (int s = 0; s < ns; s++) {
            sweep_run(p, pt * ns + s, &c, &seed, id, sizeof id);
            char *row = run_metrics_row(r, id);
            run_metrics m;
            if (!row || parse_metrics(row, &m) < 0) {
                free(row);
                continue;
            }
            free(row);
            acc[n] = m.test_acc;
            loss[n] = m.test_loss;
            best += m.best_epoch;
            diverged += m.diverged;
            secs += m.seconds;
            per_epoch += m.epochs_done ? m.seconds / m.epochs_done : 0;
            sps += m.sps;
            n++;
        }
        if (!n)
            continue;
        sweep_point_id(p, pt, id, sizeof id);
        fprintf(f, "%s", id);
        for (int i = 0; i < base->nsweep; i++) {
            char v[CONFIG_PATH + 64];
            config_format(&c, base->sweep[i].key, v, sizeof v);
            fprintf(f, "\t%s", v);
        }
        double a[4], l[4];
        stats(acc, n, a);
        stats(loss, n, l);
        fprintf(f, "\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%d\t%.6f\t%.6f\t%.1f\n", n, a[0], a[1],
                a[2], a[3], l[0], l[1], l[2], l[3], best / n, diverged, secs / n, per_epoch / n, sps / n);
    }
    free(acc);
    free(loss);
}

/* Writes one of the tables into a memory buffer, then atomically to dir/name. */
static int write_text_file(const results *r, const sweep_plan *p, const char *name,
                           void (*fill)(FILE *, const results *, const sweep_plan *), char **text, char *err,
                           size_t len)
{
    size_t size = 0;
    FILE *f = open_memstream(text, &size);
    if (!f) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    fill(f, r, p);
    if (fclose(f) != 0) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    char path[RESULTS_PATH + 32];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    return fileio_write_atomic(path, *text, strlen(*text), err, len);
}

/* Splits text into lines and tab-separated cells in place; returns the number of lines (header included). */
static int split_tsv(char *text, char ***cells, int *ncols)
{
    int lines = 0, cap = 0;
    char **out = NULL;
    *ncols = 0;
    for (char *line = text; *line;) {
        char *end = line + strcspn(line, "\n");
        int more = *end != 0;
        *end = 0;
        int n = 1;
        for (char *c = line; *c; c++)
            n += *c == '\t';
        if (lines == 0)
            *ncols = n;
        if (n == *ncols) {
            if ((lines + 1) * *ncols > cap) {
                cap = (lines + 1) * *ncols * 2;
                char **t = realloc(out, (size_t)cap * sizeof *t);
                if (!t)
                    break;
                out = t;
            }
            char *c = line;
            for (int j = 0; j < n; j++) {
                out[lines * *ncols + j] = c;
                c += strcspn(c, "\t");
                if (*c)
                    *c++ = 0;
            }
            lines++;
        }
        line = more ? end + 1 : end;
    }
    *cells = out;
    return lines;
}

static int is_number(const char *s)
{
    char *end;
    if (!*s)
        return 0;
    strtod(s, &end);
    return *end == 0;
}

/* A TSV table as a compound dataset: a column whose every cell is a number becomes float64, any other a
 * fixed-length string; pandas.DataFrame(h5py.File(...)[name][()]) reads it in one line. */
static int tsv_dataset(hid_t file, const char *name, const char *tsv)
{
    char *text = strdup(tsv), **cell = NULL;
    int ncols, lines = text ? split_tsv(text, &cell, &ncols) : 0, rows = lines - 1, rc = -1;
    if (lines < 1) {
        free(text);
        free(cell);
        return -1;
    }
    size_t *off = calloc((size_t)ncols, sizeof *off), *width = calloc((size_t)ncols, sizeof *width), rec = 0;
    hid_t type = -1, space = -1, ds = -1, dcpl = H5Pcreate(H5P_DATASET_CREATE);
    char *buf = NULL;
    if (!off || !width)
        goto out;
    for (int j = 0; j < ncols; j++) {
        int numeric = rows > 0;
        size_t w = 1;
        for (int i = 1; i < lines; i++) {
            numeric &= is_number(cell[i * ncols + j]);
            size_t l = strlen(cell[i * ncols + j]) + 1;
            w = l > w ? l : w;
        }
        width[j] = numeric ? 0 : w;
        off[j] = rec;
        rec += numeric ? sizeof(double) : w;
    }
    type = H5Tcreate(H5T_COMPOUND, rec ? rec : 1);
    for (int j = 0; j < ncols; j++) {
        if (width[j]) {
            hid_t st = H5Tcopy(H5T_C_S1);
            H5Tset_size(st, width[j]);
            H5Tinsert(type, cell[j], off[j], st);
            H5Tclose(st);
        } else
            H5Tinsert(type, cell[j], off[j], H5T_NATIVE_DOUBLE);
    }
    buf = calloc((size_t)(rows > 0 ? rows : 1), rec ? rec : 1);
    if (!buf)
        goto out;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < ncols; j++) {
            char *dst = buf + (size_t)i * rec + off[j];
            const char *v = cell[(i + 1) * ncols + j];
            if (width[j])
                memcpy(dst, v, strlen(v) + 1);
            else {
                double d = strtod(v, NULL);
                memcpy(dst, &d, sizeof d);
            }
        }
    hsize_t dims[1] = {(hsize_t)rows};
    H5Pset_obj_track_times(dcpl, 0);
    space = H5Screate_simple(1, dims, NULL);
    ds = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    rc = ds >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 ? 0 : -1;
out:
    if (ds >= 0) H5Dclose(ds);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Pclose(dcpl);
    free(buf);
    free(off);
    free(width);
    free(cell);
    free(text);
    return rc;
}

/* curves/<run_id>: float64 (rows, 6) from the run's curve.dat (a row per evaluated epoch), columns named in an
 * attribute */
static int curve_dataset(hid_t group, const results *r, const char *id)
{
    char path[RESULTS_PATH + 300];
    snprintf(path, sizeof path, "%s/runs/%s/curve.dat", r->dir, id);
    char *text = fileio_read(path);
    if (!text)
        return -1;
    size_t rows = 0, cap = 64;
    double *v = malloc(cap * 6 * sizeof *v);
    for (char *line = text; v && *line;) {
        char *end = line + strcspn(line, "\n");
        if (*line != '#') {
            if (rows == cap) {
                double *t = realloc(v, (cap *= 2) * 6 * sizeof *v);
                if (!t) {
                    free(v);
                    v = NULL;
                    break;
                }
                v = t;
            }
            if (sscanf(line, "%lf %lf %lf %lf %lf %lf", &v[rows * 6], &v[rows * 6 + 1], &v[rows * 6 + 2],
                       &v[rows * 6 + 3], &v[rows * 6 + 4], &v[rows * 6 + 5]) == 6)
                rows++;
        }
        line = *end ? end + 1 : end;
    }
    free(text);
    if (!v)
        return -1;
    hsize_t dims[2] = {rows, 6};
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t ds = H5Dcreate2(group, id, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 &&
             h5util_put_string(ds, "columns", results_curve_header + 2) == 0 ? 0 : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    H5Pclose(dcpl);
    free(v);
    return rc;
}

static int results_h5(const results *r, const sweep_plan *p, const char *summary, const char *table, char *err,
                      size_t len)
{
    char path[RESULTS_PATH + 32];
    snprintf(path, sizeof path, "%s/results.h5", r->dir);
    hid_t file = h5util_create_memory(); /* h5util_save writes it: a full disk fails a write(), not H5Fclose */
    int rc = file >= 0 ? 0 : -1;
    if (rc == 0)
        rc = tsv_dataset(file, "summary", summary) | tsv_dataset(file, "table", table);
    hid_t group = rc == 0 ? H5Gcreate2(file, "curves", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    config c;
    long long seed;
    char id[SWEEP_ID];
    for (long i = 0; group >= 0 && rc == 0 && i < p->nruns; i++) {
        sweep_run(p, i, &c, &seed, id, sizeof id);
        if (results_run_done(r, id))
            rc = curve_dataset(group, r, id);
    }
    if (group >= 0)
        H5Gclose(group);
    else
        rc = -1;
    if (rc == 0)
        return h5util_save(file, path, err, len);
    char cause[200];
    h5util_cause(cause, sizeof cause);
    snprintf(err, len, "%s: cannot write (%s)", path, cause);
    if (file >= 0)
        H5Fclose(file);
    return -1;
}

int results_tables(results *r, const sweep_plan *p, char *err, size_t len)
{
    char *summary = NULL, *table = NULL;
    int rc = write_text_file(r, p, "summary.tsv", write_summary, &summary, err, len);
    if (rc == 0)
        rc = write_text_file(r, p, "table.tsv", write_table, &table, err, len);
    if (rc == 0)
        rc = results_h5(r, p, summary, table, err, len);
    free(summary);
    free(table);
    return rc;
}
