/* The store: text files through stdio with fsync, weights through checkpoint_save, every run folder renamed into
 * place only once complete. */
#include "store.h"
#include "buildinfo.h"
#include "checkpoint.h"
#include "fileio.h"
#include "h5util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Takes the experiment's lock, or says who holds it. */
static error_class take_lock(store *s, char *err, size_t len)
{
    char path[STORE_PATH + 16];
    snprintf(path, sizeof path, "%s/.lock", s->dir);
    s->lock_fd = open(path, O_RDWR | O_CREAT, 0666);
    if (s->lock_fd < 0) {
        snprintf(err, len, "%s: cannot create lock: %s", path, strerror(errno));
        return ERROR_OUTPUT;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        snprintf(err, len, "%s: another runner (pid %s) is working on this experiment; wait for it to finish",
                 s->dir, *pid ? pid : "?");
        return ERROR_USAGE;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n) {
        snprintf(err, len, "%s: cannot write lock: %s", path, strerror(errno));
        return ERROR_OUTPUT;
    }
    return ERROR_NONE;
}

/* Removes the temporary folders a killed runner left in runs/: they are never results. */
static void remove_temporaries(const char *runs)
{
    DIR *d = opendir(runs);
    if (!d)
        return;
    char path[STORE_PATH + 300];
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, ".tmp-", 5) || !strncmp(e->d_name, ".old-", 5)) {
            snprintf(path, sizeof path, "%s/%s", runs, e->d_name);
            fileio_remove_tree(path);
        }
    closedir(d);
}

/* Compares experiment.ini with the identity of base: writes it when new (or with force), refuses a different
 * one, naming each key that differs. */
static error_class check_identity(const store *s, const config *base, int force, char *err, size_t len)
{
    char *identity = NULL, path[STORE_PATH + 32];
    size_t isize = 0;
    FILE *mem = open_memstream(&identity, &isize);
    if (!mem || config_write(base, mem, CONFIG_WRITE_IDENTITY) != 0 || fclose(mem) != 0) {
        snprintf(err, len, "out of memory");
        return ERROR_OUTPUT;
    }
    snprintf(path, sizeof path, "%s/experiment.ini", s->dir);
    char *old = fileio_read(path);
    error_class rc = ERROR_NONE;
    if (old && strcmp(old, identity) && !force) {
        char diff[600];
        config_identity_diff(old, identity, diff, sizeof diff);
        snprintf(err, len, "%s: results there come from a different configuration (%s); use another "
                 "experiment.name, or --force to train everything again", s->dir, diff);
        rc = ERROR_USAGE;
    } else if (!old || strcmp(old, identity)) {
        rc = fileio_write_atomic(path, identity, strlen(identity), err, len) < 0 ? ERROR_OUTPUT : ERROR_NONE;
    }
    free(old);
    free(identity);
    return rc;
}

error_class store_open(store *s, const char *root, const config *base, int force, char *err, size_t len)
{
    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
    char runs[STORE_PATH + 16];
    snprintf(s->dir, sizeof s->dir, "%s/%s", root, base->name);
    snprintf(runs, sizeof runs, "%s/runs", s->dir);
    if (fileio_make_dir(root, err, len) || fileio_make_dir(s->dir, err, len) || fileio_make_dir(runs, err, len))
        return ERROR_OUTPUT;
    /* both folders: runs go into runs/; the lock, experiment.ini, the tables and the report into the other */
    const char *folders[] = {s->dir, runs};
    for (int i = 0; i < 2; i++)
        if (access(folders[i], W_OK) != 0) {
            snprintf(err, len, "%s: not writable: %s", folders[i], strerror(errno));
            return ERROR_OUTPUT;
        }
    error_class rc = take_lock(s, err, len);
    if (rc == ERROR_NONE) {
        remove_temporaries(runs);
        rc = check_identity(s, base, force, err, len);
    }
    if (rc != ERROR_NONE)
        store_close(s);
    return rc;
}

void store_close(store *s)
{
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    s->lock_fd = -1;
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

static void write_manifest(FILE *f, const train_job *job)
{
    char hdf5[32], cpu[256], host[256] = "unknown", date[64];
    h5util_version(hdf5, sizeof hdf5);
    cpu_model(cpu, sizeof cpu);
    gethostname(host, sizeof host - 1);
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    fprintf(f, "git_revision = %s\ncompiler = %s\ncflags = %s\nopenmp_threads = %d\nhdf5_version = %s\n"
               "data_file = %s\ndata_fnv1a64 = %016llx\ntest_file = %s\ntest_fnv1a64 = %016llx\nseed = %lld\n"
               "host = %s\ncpu = %s\nlogical_cpus = %ld\ndate = %s\n",
            BUILD_GIT_REV, BUILD_COMPILER, BUILD_CFLAGS, job->threads, hdf5, job->cfg.file,
            (unsigned long long)job->train->checksum, job->cfg.test_file[0] ? job->cfg.test_file : job->cfg.file,
            (unsigned long long)job->test->checksum, job->seed, host, cpu, sysconf(_SC_NPROCESSORS_ONLN), date);
}

static void write_result(FILE *f, const train_job *job)
{
    const train_epoch *best = &job->curve[job->best_epoch], *last = &job->curve[job->epochs_done];
    tsv_result m = {.diverged = job->status == TRAIN_DIVERGED, .epochs_done = job->epochs_done,
                    .diverged_epoch = job->diverged_epoch, .best_epoch = job->best_epoch,
                    .train_loss = last->train_loss, .test_loss = last->test_loss, .train_acc = last->train_acc,
                    .test_acc = last->test_acc, .best_test_acc = best->test_acc, .seconds = job->train_seconds,
                    .samples_per_second = job->samples_per_second};
    fprintf(f, "%s\n", tsv_result_header);
    tsv_result_row(f, &m);
    fprintf(f, "\n");
}

static void write_config(FILE *f, const train_job *job)
{
    fprintf(f, "; resolved configuration of this run (defaults included), seed %lld\n", job->seed);
    config_write(&job->cfg, f, CONFIG_WRITE_ALL);
}

static int write_run_files(const char *dir, const train_job *job)
{
    static const char *const names[] = {"curve.dat", "result.tsv", "config.ini", "manifest.txt"};
    char path[STORE_PATH + 400];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        if (!f)
            return -1;
        if (i == 0)
            curve_write(f, job->curve, job->epochs_done);
        else if (i == 1)
            write_result(f, job);
        else if (i == 2)
            write_config(f, job);
        else
            write_manifest(f, job);
        if (fileio_close_synced(f))
            return -1;
    }
    char err[400];
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    if (checkpoint_save(&job->net, train_weights(job), path, err, sizeof err) < 0 || fileio_sync_path(path) < 0)
        return -1;
    return 0;
}

int store_commit(store *s, const char *id, const train_job *job, char *err, size_t len)
{
    char tmp[STORE_PATH + 300], final[STORE_PATH + 300], old[STORE_PATH + 300], runs[STORE_PATH + 16];
    snprintf(runs, sizeof runs, "%s/runs", s->dir);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%d", runs, id, (int)getpid());
    snprintf(final, sizeof final, "%s/%s", runs, id);
    snprintf(old, sizeof old, "%s/.old-%s-%d", runs, id, (int)getpid());
    fileio_remove_tree(tmp);
    errno = 0;
    if (mkdir(tmp, 0777) != 0 || write_run_files(tmp, job) != 0) {
        snprintf(err, len, "%s: cannot write run: %s", final, strerror(errno ? errno : EIO));
        fileio_remove_tree(tmp);
        return -1;
    }
    int had_old = rename(final, old) == 0;
    if (rename(tmp, final) != 0 || fileio_sync_path(runs) != 0) {
        snprintf(err, len, "%s: cannot commit run: %s", final, strerror(errno));
        fileio_remove_tree(tmp);
        if (had_old)
            rename(old, final);
        return -1;
    }
    if (had_old)
        fileio_remove_tree(old);
    return 0;
}

/* The reason curve.dat of a run with result m is not the curve of a committed run, or NULL. */
static const char *check_curve(const char *path, const tsv_result *m, curve *c)
{
    const char *why = NULL;
    int line;
    char *text = fileio_read(path);
    if (!text)
        return "curve.dat missing";
    int rc = curve_parse(text, c, &why, &line);
    free(text);
    if (rc < 0)
        return why;
    int last = c->n ? (int)c->v[(size_t)(c->n - 1) * CURVE_COLS] : -1;
    if (c->n == 0 && !(m->diverged && m->epochs_done == 0))
        why = "curve.dat has no rows"; /* none is right only for a run whose first evaluation overflowed */
    else if (c->n > 0 && last != m->epochs_done)
        why = "curve.dat does not end at epoch epochs_done";
    if (why)
        curve_free(c);
    return why;
}

/* The reason the other files of a run are not those of a committed run, or NULL. */
static const char *check_other_files(const char *dir, const char *id)
{
    static const char *const plain[] = {"config.ini", "manifest.txt"};
    char path[STORE_PATH + 400];
    for (int i = 0; i < 2; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/runs/%s/%s", dir, id, plain[i]);
        if (stat(path, &st) != 0 || st.st_size == 0)
            return i ? "manifest.txt missing or empty" : "config.ini missing or empty";
    }
    char layers[256], cause[300];
    const char *why = NULL;
    snprintf(path, sizeof path, "%s/runs/%s/weights.h5", dir, id);
    hid_t f = h5util_open(path, cause, sizeof cause);
    if (f < 0 || h5util_get_string(f, "layers", layers, sizeof layers) < 0)
        why = "weights.h5 is missing or damaged";
    if (f >= 0)
        H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return why;
}

int store_read_run(const char *dir, const char *id, store_run *run, char *why, size_t len)
{
    char path[STORE_PATH + 400];
    const char *reason = NULL;
    store_run r = {0};
    snprintf(path, sizeof path, "%s/runs/%s/result.tsv", dir, id);
    char *text = fileio_read(path);
    if (!text)
        reason = "result.tsv missing";
    else if (tsv_result_parse(text, &r.result) < 0)
        reason = "result.tsv is malformed";
    free(text);
    if (!reason) {
        snprintf(path, sizeof path, "%s/runs/%s/curve.dat", dir, id);
        reason = check_curve(path, &r.result, &r.curve);
    }
    if (!reason && (reason = check_other_files(dir, id)))
        curve_free(&r.curve);
    if (reason) {
        snprintf(why, len, "%s", reason);
        return -1;
    }
    if (run)
        *run = r;
    else
        store_run_free(&r);
    return 0;
}

int store_run_done(const store *s, const char *id)
{
    char why[300];
    return store_read_run(s->dir, id, NULL, why, sizeof why) == 0;
}

void store_run_free(store_run *run) { curve_free(&run->curve); }
