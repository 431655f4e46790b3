/* The store: text files through stdio with fsync, weights through checkpoint_save, every run folder renamed into
 * place only once complete. */
#include "store.h"
#include "buildinfo.h"
#include "checkpoint.h"
#include "confusion.h"
#include "fileio.h"
#include "h5util.h"
#include "identity.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
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

static int check_folder(const char *rundir, store_run *run, char *why, size_t len);

/* The run id in a temporary run folder's name ".tmp-ID-PID" or ".old-ID-PID", into id; 0, or -1 for another name. */
static int temporary_id(const char *name, char *id, size_t len)
{
    const char *dash = strrchr(name + 5, '-');
    if (!dash || dash == name + 5 || !dash[1] || dash[1 + strspn(dash + 1, "0123456789")])
        return -1;
    snprintf(id, len, "%.*s", (int)(dash - name - 5), name + 5);
    return 0;
}

/* A commit killed part way leaves .tmp-ID-PID (the new run, complete once all its files are written) and, between
 * its two renames, .old-ID-PID (the run it replaces) with no ID. The complete new run takes the free ID first, else
 * the old one comes back; whatever is left is never a result and goes. Under the lock: nobody is committing. */
static void recover_runs(const char *runs)
{
    static const char *const prefixes[] = {".tmp-", ".old-"};
    for (int pass = 0; pass < 2; pass++) {
        DIR *d = opendir(runs);
        if (!d)
            return;
        for (struct dirent *e; (e = readdir(d));) {
            char id[SWEEP_ID], from[STORE_PATH + 300], to[STORE_PATH + 300], why[300];
            struct stat st;
            if (strncmp(e->d_name, prefixes[pass], 5))
                continue;
            snprintf(from, sizeof from, "%s/%s", runs, e->d_name);
            int keep = temporary_id(e->d_name, id, sizeof id) == 0 &&
                       snprintf(to, sizeof to, "%s/%s", runs, id) < (int)sizeof to && lstat(to, &st) != 0 &&
                       errno == ENOENT && (pass == 1 || check_folder(from, NULL, why, sizeof why) == STORE_RUN_OK);
            if (!keep || rename(from, to) != 0)
                fileio_remove_tree(from);
        }
        closedir(d);
    }
    fileio_sync_path(runs);
}

#define CHECKPOINT_PREFIX ".ckpt-"

int store_checkpoint_path(const store *s, const char *id, char *buf, size_t size, char *err, size_t len)
{
    return fileio_path(buf, size, err, len, "%s/runs/" CHECKPOINT_PREFIX "%s", s->dir, id);
}

/* In-run checkpoints in runs that no run will resume from: all of them with force, else those of committed runs
 * (a kill between a commit and its checkpoint's removal) and the temporaries of killed writes. Under the lock. */
static void remove_checkpoints(const char *runs, int force)
{
    DIR *d = opendir(runs);
    if (!d)
        return;
    size_t n = strlen(CHECKPOINT_PREFIX);
    for (struct dirent *e; (e = readdir(d));) {
        char path[STORE_PATH + 300], rundir[STORE_PATH + 300], why[300];
        if (strncmp(e->d_name, CHECKPOINT_PREFIX, n) ||
            snprintf(path, sizeof path, "%s/%s", runs, e->d_name) >= (int)sizeof path)
            continue;
        snprintf(rundir, sizeof rundir, "%s/%s", runs, e->d_name + n);
        if (force || fileio_is_temporary(e->d_name) || check_folder(rundir, NULL, why, sizeof why) == STORE_RUN_OK)
            unlink(path);
    }
    closedir(d);
}

error_class store_open(store *s, const char *root, const config *base, const plandata *data, int force, char *err,
                       size_t len)
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
        recover_runs(runs);
        remove_checkpoints(runs, force);
        fileio_remove_temporaries(s->dir);
        rc = identity_open(s->dir, base, data, force, err, len);
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
    const train_epoch *best = &job->curve[job->best_epoch], *last = &job->curve[job->final_epoch];
    tsv_result m = {.diverged = job->status == TRAIN_DIVERGED, .epochs_done = job->epochs_done,
                    .diverged_epoch = job->diverged_epoch, .best_epoch = job->best_epoch,
                    .train_loss = last->train_loss, .test_loss = last->test_loss, .train_acc = last->train_acc,
                    .test_acc = last->test_acc, .best_test_acc = best->test_acc, .seconds = job->train_seconds,
                    .samples_per_second = job->samples_per_second, .val_loss = last->val_loss,
                    .val_acc = last->val_acc, .best_val_acc = best->val_acc};
    fprintf(f, "%s\n", tsv_result_header);
    tsv_result_row(f, &m);
    fprintf(f, "\n");
}

static void write_config(FILE *f, const train_job *job)
{
    fprintf(f, "; resolved configuration of this run (defaults included), seed %lld\n", job->seed);
    config_write(&job->cfg, f, CONFIG_WRITE_ALL);
}

/* The optional files of a run: confusion.tsv (unless the classes are too many for one) and, with
 * data.standardize, standardize.tsv (the statistics new data must be standardised with). 0, or -1. */
static int write_class_files(const char *dir, const train_job *job)
{
    char path[STORE_PATH + 400];
    for (int i = 0; i < 2; i++) {
        if (i == 0 ? !job->confusion : !job->train->mean)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, i == 0 ? "confusion.tsv" : "standardize.tsv");
        FILE *f = fopen(path, "w");
        if (!f)
            return -1;
        if (i == 0)
            confusion_write(f, job->confusion, job->nclasses,
                            job->train->nnames >= job->nclasses ? job->train->class_names : NULL);
        else
            dataset_write_standardize(f, job->train);
        if (fileio_close_synced(f))
            return -1;
    }
    return 0;
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
    if (write_class_files(dir, job) < 0)
        return -1;
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
    /* the run is whole now: its in-run checkpoint goes (store_open removes it if a kill comes first) */
    if (store_checkpoint_path(s, id, tmp, sizeof tmp, err, len) == 0)
        unlink(tmp);
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
    else if (c->n > 0 && curve_has_validation(c) != !isnan(m->val_acc))
        why = "curve.dat and result.tsv disagree on the validation set";
    if (why)
        curve_free(c);
    return why;
}

/* Checks the other files of run folder rundir: STORE_RUN_OK, or the verdict with the reason in why. */
static int check_other_files(const char *rundir, char *why, size_t len)
{
    static const char *const plain[] = {"config.ini", "manifest.txt"};
    char path[STORE_PATH + 400];
    for (int i = 0; i < 2; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", rundir, plain[i]);
        if (stat(path, &st) != 0 || st.st_size == 0) {
            snprintf(why, len, "%s missing or empty", plain[i]);
            return STORE_RUN_DAMAGED;
        }
    }
    char layers[256], cause[300];
    int busy, rc = STORE_RUN_OK;
    snprintf(path, sizeof path, "%s/weights.h5", rundir);
    hid_t f = h5util_open_busy(path, &busy, cause, sizeof cause);
    if (busy) {
        snprintf(why, len, "weights.h5 cannot be read now (%s); not retrained", cause);
        rc = STORE_RUN_BUSY;
    } else if (f < 0 || h5util_get_string(f, "layers", layers, sizeof layers) < 0) {
        snprintf(why, len, "weights.h5 is missing or damaged");
        rc = STORE_RUN_DAMAGED;
    }
    if (f >= 0)
        H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* Checks that run folder rundir holds an intact run, whatever its config: STORE_RUN_OK with run filled (NULL:
 * only checked), or the verdict with the reason in why. */
static int check_folder(const char *rundir, store_run *run, char *why, size_t len)
{
    char path[STORE_PATH + 400];
    const char *reason = NULL;
    store_run r = {0};
    snprintf(path, sizeof path, "%s/result.tsv", rundir);
    char *text = fileio_read(path);
    if (!text)
        reason = "result.tsv missing";
    else if (tsv_result_parse(text, &r.result) < 0)
        reason = "result.tsv is malformed";
    free(text);
    if (!reason) {
        snprintf(path, sizeof path, "%s/curve.dat", rundir);
        reason = check_curve(path, &r.result, &r.curve);
    }
    if (reason) {
        snprintf(why, len, "%s", reason);
        return STORE_RUN_DAMAGED;
    }
    int rc = check_other_files(rundir, why, len);
    if (rc == STORE_RUN_OK && run)
        *run = r;
    else
        store_run_free(&r);
    return rc;
}

int store_read_run(const char *dir, const sweep_plan *plan, long r, store_run *run, char *why, size_t len)
{
    config want;
    long long seed;
    char id[SWEEP_ID], rundir[STORE_PATH + SWEEP_ID + 8];
    struct stat st;
    sweep_run(plan, r, &want, &seed, id, sizeof id);
    snprintf(rundir, sizeof rundir, "%s/runs/%s", dir, id);
    if (lstat(rundir, &st) != 0) {
        snprintf(why, len, "missing");
        return STORE_RUN_MISSING;
    }
    store_run got = {0};
    int rc = check_folder(rundir, &got, why, len);
    if (rc == STORE_RUN_OK && identity_check_run(dir, rundir, &want, why, len) < 0) {
        rc = STORE_RUN_DAMAGED;
        store_run_free(&got);
    }
    if (rc == STORE_RUN_OK && run)
        *run = got;
    else if (rc == STORE_RUN_OK)
        store_run_free(&got);
    return rc;
}

int store_run_done(const store *s, const sweep_plan *plan, long r, char *why, size_t len)
{
    int rc = store_read_run(s->dir, plan, r, NULL, why, len);
    return rc == STORE_RUN_OK ? 1 : rc == STORE_RUN_BUSY ? -1 : 0;
}

void store_run_free(store_run *run) { curve_free(&run->curve); }
