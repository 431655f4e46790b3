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

/* The identity of c (config_write CONFIG_WRITE_IDENTITY) as a text to free, or NULL when out of memory. */
static char *identity_text(const config *c)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (!mem)
        return NULL;
    int bad = config_write(c, mem, CONFIG_WRITE_IDENTITY) != 0;
    if (fclose(mem) != 0 || bad) {
        free(text);
        return NULL;
    }
    return text;
}

/* The first line where texts a and b differ: its start in each. */
static void first_difference(const char **a, const char **b)
{
    while (**a && **b) {
        size_t la = strcspn(*a, "\n"), lb = strcspn(*b, "\n");
        if (la != lb || strncmp(*a, *b, la))
            break;
        *a += la + ((*a)[la] != 0);
        *b += lb + ((*b)[lb] != 0);
    }
}

/* Compares experiment.ini with the identity of base: writes it when new (or with force), refuses a different
 * one, naming the first line that differs. */
static error_class check_identity(const store *s, const config *base, int force, char *err, size_t len)
{
    char path[STORE_PATH + 32];
    char *identity = identity_text(base);
    if (!identity) {
        snprintf(err, len, "out of memory");
        return ERROR_OUTPUT;
    }
    snprintf(path, sizeof path, "%s/experiment.ini", s->dir);
    char *old = fileio_read(path);
    error_class rc = ERROR_NONE;
    if (old && strcmp(old, identity) && !force) {
        const char *a = old, *b = identity;
        first_difference(&a, &b);
        snprintf(err, len, "%s: results there come from a different configuration (was '%.*s', now '%.*s'); use "
                 "another experiment.name, or --force to train everything again", s->dir, (int)strcspn(a, "\n"), a,
                 (int)strcspn(b, "\n"), b);
        rc = ERROR_USAGE;
    } else if (!old || strcmp(old, identity)) {
        rc = fileio_write_atomic(path, identity, strlen(identity), err, len) < 0 ? ERROR_OUTPUT : ERROR_NONE;
    }
    free(old);
    free(identity);
    return rc;
}

/* Writes STORE_PLAN: every key of base as "section.key=value" and every sweep list as "sweep.section.key=a, b",
 * the --set syntax (a sweep list can be longer than an INI line may be). What --verify expects. */
static error_class write_plan(const store *s, const config *base, char *err, size_t len)
{
    char path[STORE_PATH + 32], *ini = NULL;
    size_t size = 0;
    config flat = *base; /* the keys alone; the lists follow */
    flat.sweep = NULL;
    flat.nsweep = 0;
    FILE *mem = open_memstream(&ini, &size);
    int bad = !mem || config_write(&flat, mem, CONFIG_WRITE_ALL) != 0;
    if ((mem && fclose(mem) != 0) || bad) {
        free(ini);
        snprintf(err, len, "out of memory");
        return ERROR_OUTPUT;
    }
    fileio_text t;
    if (fileio_text_open(&t, err, len) < 0) {
        free(ini);
        return ERROR_OUTPUT;
    }
    char section[64] = "";
    for (char *l = ini; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
        int n = (int)strcspn(l, "\n");
        char *eq = strstr(l, " = ");
        if (*l == '[')
            snprintf(section, sizeof section, "%.*s", n > 2 ? n - 2 : 0, l + 1);
        else if (eq && eq < l + n)
            fprintf(t.f, "%s.%.*s=%.*s\n", section, (int)(eq - l), l, (int)(l + n - eq - 3), eq + 3);
    }
    free(ini);
    for (int i = 0; i < base->nsweep; i++) {
        const config_sweep *w = &base->sweep[i];
        fprintf(t.f, "sweep.%s.%s=", config_key_section(w->key), config_key_name(w->key));
        for (int j = 0; j < w->nvalues; j++)
            fprintf(t.f, "%s%s", j ? ", " : "", w->values[j]);
        fprintf(t.f, "\n");
    }
    snprintf(path, sizeof path, "%s/" STORE_PLAN, s->dir);
    return fileio_text_save(&t, path, err, len) < 0 ? ERROR_OUTPUT : ERROR_NONE;
}

/* The value of "key = value" in a manifest, into buf; 0, or -1 when absent. */
static int manifest_value(const char *text, const char *key, char *buf, size_t len)
{
    size_t k = strlen(key);
    for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
        if (!strncmp(l, key, k) && !strncmp(l + k, " = ", 3)) {
            snprintf(buf, len, "%.*s", (int)strcspn(l + k + 3, "\n"), l + k + 3);
            return 0;
        }
    return -1;
}

/* 1 when sums (lines "CHECKSUM PATH") lists path but never with checksum hex; the first listed into was. */
static int sums_differ(const char *sums, const char *path, const char *hex, char *was, size_t wlen)
{
    int listed = 0;
    for (const char *l = sums; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
        size_t n = strcspn(l, "\n");
        if (n <= 17 || l[16] != ' ' || n - 17 != strlen(path) || strncmp(l + 17, path, n - 17))
            continue;
        if (!strncmp(l, hex, 16) && strlen(hex) == 16)
            return 0;
        if (!listed++)
            snprintf(was, wlen, "%.16s", l);
    }
    return listed > 0;
}

/* The first data file of a run's manifest whose checksum sums lists otherwise: 1 with "PATH: FNV-1a 64 WAS in
 * the manifest, NOW now" in why, else 0. */
static int manifest_differs(const char *manifest, const char *sums, char *why, size_t len)
{
    static const char *const keys[][2] = {{"data_file", "data_fnv1a64"}, {"test_file", "test_fnv1a64"}};
    char path[CONFIG_PATH + 8], hex[40], now[20];
    for (int i = 0; i < 2; i++)
        if (manifest_value(manifest, keys[i][0], path, sizeof path) == 0 &&
            manifest_value(manifest, keys[i][1], hex, sizeof hex) == 0 &&
            sums_differ(sums, path, hex, now, sizeof now)) {
            snprintf(why, len, "%.520s: FNV-1a 64 %.16s when the run was trained, %.16s now", path, hex, now);
            return 1;
        }
    return 0;
}

/* Checks that the manifest of run folder rundir names the data checksums of dir's STORE_SUMS (an experiment
 * from before those were recorded has none: store_open checked its manifests once). */
static int check_run_sums(const char *dir, const char *rundir, char *why, size_t len)
{
    char path[STORE_PATH + 400], detail[1024];
    snprintf(path, sizeof path, "%s/" STORE_SUMS, dir);
    char *sums = fileio_read(path);
    if (!sums)
        return STORE_RUN_OK;
    snprintf(path, sizeof path, "%s/manifest.txt", rundir);
    char *manifest = fileio_read(path);
    int rc = STORE_RUN_OK;
    if (!manifest || manifest_differs(manifest, sums, detail, sizeof detail)) {
        snprintf(why, len, "trained on other data (%s)", manifest ? detail : "manifest.txt unreadable");
        rc = STORE_RUN_DAMAGED;
    }
    free(sums);
    free(manifest);
    return rc;
}

/* Manifests of the runs in dir/runs checked against sums: for an experiment whose checksums were not recorded yet
 * (written by an earlier version). 0, or -1 with the first run trained on other data named in why. */
static int legacy_manifests(const char *dir, const char *sums, char *why, size_t len)
{
    char path[STORE_PATH + 400], detail[1024];
    snprintf(path, sizeof path, "%s/runs", dir);
    DIR *d = opendir(path);
    int rc = 0;
    for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/runs/%s/manifest.txt", dir, e->d_name);
        char *manifest = fileio_read(path);
        if (manifest && manifest_differs(manifest, sums, detail, sizeof detail)) {
            snprintf(why, len, "%.600s (run %.200s)", detail, e->d_name);
            rc = -1;
        }
        free(manifest);
    }
    if (d)
        closedir(d);
    return rc;
}

/* Compares the checksums of the plan's data files with dir's STORE_SUMS (or, when it is missing, with the
 * manifests of the runs there): refuses changed data unless force, and records the checksums. */
static error_class check_sums(const char *dir, const plandata *data, int force, char *err, size_t len)
{
    char path[STORE_PATH + 32], detail[1024] = "";
    fileio_text t;
    if (fileio_text_open(&t, err, len) < 0)
        return ERROR_OUTPUT;
    plandata_sums(data, t.f);
    if (fflush(t.f) != 0) {
        fileio_text_drop(&t);
        snprintf(err, len, "out of memory");
        return ERROR_OUTPUT;
    }
    snprintf(path, sizeof path, "%s/" STORE_SUMS, dir);
    char *old = fileio_read(path);
    int changed = 0;
    if (old && strcmp(old, t.buf)) {
        char hex[20], file[CONFIG_PATH + 8];
        /* each current line against the recorded ones */
        for (const char *l = t.buf; *l && !changed; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
            if (sscanf(l, "%16s", hex) == 1 && snprintf(file, sizeof file, "%.*s", (int)strcspn(l, "\n") - 17,
                                                        l + 17) > 0 && sums_differ(old, file, hex, detail, 20)) {
                snprintf(err, len, "%s: %s changed since the results there were trained (FNV-1a 64 %.16s, now "
                         "%s)", dir, file, detail, hex);
                changed = 1;
            }
    } else if (!old && legacy_manifests(dir, t.buf, detail, sizeof detail) < 0) {
        snprintf(err, len, "%s: the data changed since the results there were trained: %s", dir, detail);
        changed = 1;
    }
    error_class rc = ERROR_NONE;
    if (changed && !force) {
        snprintf(err + strlen(err), len - strlen(err), "; use another experiment.name, or --force to train "
                 "everything again");
        rc = ERROR_USAGE;
        fileio_text_drop(&t);
    } else if (!old || strcmp(old, t.buf))
        rc = fileio_text_save(&t, path, err, len) < 0 ? ERROR_OUTPUT : ERROR_NONE;
    else
        fileio_text_drop(&t);
    free(old);
    return rc;
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
        fileio_remove_temporaries(s->dir);
        rc = check_identity(s, base, force, err, len);
    }
    if (rc == ERROR_NONE && data)
        rc = check_sums(s->dir, data, force, err, len);
    if (rc == ERROR_NONE)
        rc = write_plan(s, base, err, len);
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
    fprintf(f, "git_revision = %s\ncompiler = gcc %s\ncflags = %s\nopenmp_threads = %d\nhdf5_version = %s\n"
               "data_file = %s\ndata_fnv1a64 = %016llx\ntest_file = %s\ntest_fnv1a64 = %016llx\nseed = %lld\n"
               "host = %s\ncpu = %s\nlogical_cpus = %ld\ndate = %s\n",
            BUILD_GIT_REV, __VERSION__, BUILD_CFLAGS, job->threads, hdf5, job->cfg.file,
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

/* Checks that config.ini of run folder rundir resolves to want (compared as config_write's identity, which
 * leaves out the seeds and what does not change a run's numbers). */
static int check_config(const char *rundir, const config *want, char *why, size_t len)
{
    char path[STORE_PATH + 400];
    config have;
    config_errors errs = {0};
    config_defaults(&have);
    snprintf(path, sizeof path, "%s/config.ini", rundir);
    int bad = config_load(&have, path, &errs) != 0;
    char *a = bad ? NULL : identity_text(&have), *b = bad ? NULL : identity_text(want);
    int rc = STORE_RUN_OK;
    if (bad || !a || !b) {
        snprintf(why, len, "config.ini %s", bad ? "is malformed" : "cannot be compared: out of memory");
        rc = STORE_RUN_DAMAGED;
    } else if (strcmp(a, b)) {
        const char *x = a, *y = b;
        first_difference(&x, &y);
        snprintf(why, len, "trained with another configuration (config.ini has '%.*s', the plan '%.*s')",
                 (int)strcspn(x, "\n"), x, (int)strcspn(y, "\n"), y);
        rc = STORE_RUN_DAMAGED;
    }
    free(a);
    free(b);
    config_errors_free(&errs);
    config_free(&have);
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
    if (rc == STORE_RUN_OK && ((rc = check_config(rundir, &want, why, len)) != STORE_RUN_OK ||
                               (rc = check_run_sums(dir, rundir, why, len)) != STORE_RUN_OK))
        store_run_free(&got);
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
