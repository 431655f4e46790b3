/* The store: a run's files (weights.h5 from checkpoint_image) through stdio with fsync, every run folder renamed into
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
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* This host's name, cut to STORE_HOST - 1 characters so that a temporary run folder's name stays within
 * NAME_MAX: "unknown" when it has none. */
static void host_name(char *host, size_t len)
{
    char full[256] = "";
    if (gethostname(full, sizeof full - 1) != 0 || !*full)
        snprintf(full, sizeof full, "unknown");
    full[strcspn(full, "@/")] = 0;
    snprintf(host, len, "%s", full);
}

/* The holder file that names this process while it holds the lock: dir/.holder-PID@HOST. */
static void holder_path(const store *s, char *path, size_t len)
{
    char host[STORE_HOST];
    host_name(host, sizeof host);
    snprintf(path, len, "%s/" STORE_HOLDER "%d@%s", s->dir, (int)getpid(), host);
}

/* 1 when a holder file, or a temporary run folder's PID and host, names a process of this host that is gone. */
static int gone(long pid, const char *host)
{
    char me[STORE_HOST];
    host_name(me, sizeof me);
    return !strcmp(host, me) && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* The holders named by dir's holder files as "pid P" or "pid P on HOST", joined into who (at most a few), after
 * waiting up to a second for a holder that took the lock an instant ago to write its file; "" when none. */
static void describe_holders(const store *s, char *who, size_t len)
{
    char me[STORE_HOST];
    host_name(me, sizeof me);
    *who = 0;
    for (int tries = 0; tries < 20 && !*who; tries++) {
        if (tries)
            nanosleep(&(struct timespec){0, 50000000}, NULL);
        DIR *d = opendir(s->dir);
        int n = 0;
        for (struct dirent *e; d && (e = readdir(d));) {
            char *at = strchr(e->d_name, '@');
            if (strncmp(e->d_name, STORE_HOLDER, strlen(STORE_HOLDER)) || !at)
                continue;
            long pid = strtol(e->d_name + strlen(STORE_HOLDER), NULL, 10);
            if (gone(pid, at + 1))
                continue;
            size_t used = strlen(who);
            if (n++ < 4)
                snprintf(who + used, len - used, "%spid %ld%s%s", n > 1 ? ", " : "", pid, strcmp(at + 1, me) ?
                         " on " : "", strcmp(at + 1, me) ? at + 1 : "");
            else if (n == 5)
                snprintf(who + used, len - used, ", ...");
        }
        if (d)
            closedir(d);
    }
}

/* Takes the experiment's lock, shared (shards) or exclusive, or says who holds it. The holder files name the
 * holders, one file each, so that shards never write one file and a refused runner never reads one half-written. */
static error_class take_lock(store *s, int shared, char *err, size_t len)
{
    char path[STORE_PATH + 300];
    snprintf(path, sizeof path, "%s/.lock", s->dir);
    /* close-on-exec: a gnuplot that outlives the runner must not keep the experiment locked */
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (s->lock_fd < 0) {
        snprintf(err, len, "%s: cannot create lock: %s", path, strerror(errno));
        return ERROR_OUTPUT;
    }
    int held = flock(s->lock_fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0;
    if (held && errno != EWOULDBLOCK) {
        /* no lock at all (NFS without lockd, a Lustre mounted noflock): not another runner */
        snprintf(err, len, "%s: cannot lock: %s (the results need a filesystem with flock)", path, strerror(errno));
        return ERROR_OUTPUT;
    }
    if (held) {
        char who[200];
        describe_holders(s, who, sizeof who);
        snprintf(err, len, "%s: another runner%s%s%s is working on this experiment%s; wait for it to finish", s->dir,
                 *who ? " (" : "", who, *who ? ")" : "", shared ? " alone (a plain run or --collect)" : "");
        s->busy = 1;
        return ERROR_USAGE;
    }
    if (!shared) { /* alone: every holder file left is a killed holder's, every shard's claim a finished shard's */
        DIR *d = opendir(s->dir);
        for (struct dirent *e; d && (e = readdir(d));)
            if ((!strncmp(e->d_name, STORE_HOLDER, strlen(STORE_HOLDER)) || !strncmp(e->d_name, ".shard-", 7)) &&
                snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name) < (int)sizeof path)
                unlink(path);
        if (d)
            closedir(d);
    }
    holder_path(s, path, sizeof path);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
        snprintf(err, len, "%s: cannot write: %s", path, strerror(errno));
        return ERROR_OUTPUT;
    }
    s->holding = 1;
    return ERROR_NONE;
}

static int check_folder(const char *rundir, store_run *run, char *why, size_t len);

/* The runs of plan that store_read_run found committed in dir since this process took dir's exclusive lock: nobody
 * else writes there until store_close, so the tables, the points and the plots read such a run again without
 * checking its weights and identity again (ok: nruns flags). A commit forgets them all: it may replace one. */
static struct {
    char dir[STORE_PATH];
    const sweep_plan *plan;
    unsigned char *ok;
} checked;

static void checked_forget(const char *dir)
{
    free(checked.ok);
    checked.ok = NULL;
    checked.plan = NULL;
    snprintf(checked.dir, sizeof checked.dir, "%s", dir);
}

/* A temporary run folder's name: ".tmp-ID@HOST@PID" or ".old-ID@HOST@PID" (".tmp-ID-PID" and ".old-ID-PID"
 * before runners shared an experiment). Its run id into id and, for the current form, the host and PID; 0, or -1
 * for another name. */
static int temporary_name(const char *name, char *id, size_t len, char *host, size_t hlen, long *pid)
{
    const char *at = strchr(name + 5, '@'), *last = strrchr(name + 5, at ? '@' : '-');
    if (!last || last == name + 5 || !last[1] || last[1 + strspn(last + 1, "0123456789")] || (at && at == last))
        return -1;
    const char *end = at ? at : last;
    snprintf(id, len, "%.*s", (int)(end - name - 5), name + 5);
    snprintf(host, hlen, "%.*s", at ? (int)(last - at - 1) : 0, at ? at + 1 : "");
    *pid = strtol(last + 1, NULL, 10);
    return 0;
}

/* A shard's cleaning, under the shared lock: the temporary folders of commits of this host's processes that are
 * gone (a killed shard of this host). Another host's, or a live process's, may be a commit in progress: only
 * recover_runs, alone, touches them. A run being replaced (.old-) is never removed here: it may be the only copy. */
static void remove_own_leftovers(const char *runs)
{
    DIR *d = opendir(runs);
    for (struct dirent *e; d && (e = readdir(d));) {
        char id[SWEEP_ID], host[STORE_HOST], path[STORE_PATH + 300];
        long pid;
        if (!strncmp(e->d_name, ".tmp-", 5) && temporary_name(e->d_name, id, sizeof id, host, sizeof host, &pid) == 0
            && *host && gone(pid, host) && snprintf(path, sizeof path, "%s/%s", runs, e->d_name) < (int)sizeof path)
            fileio_remove_tree(path);
    }
    if (d)
        closedir(d);
}

/* 1 when runs holds the .old- folder of the commit whose .tmp- folder is tmp_name */
static int replacing(const char *runs, const char *tmp_name)
{
    char old[STORE_PATH + 300];
    struct stat st;
    return snprintf(old, sizeof old, "%s/.old-%s", runs, tmp_name + 5) < (int)sizeof old && lstat(old, &st) == 0;
}

/* A commit killed part way leaves .tmp-ID-PID (the new run) and, between its two renames, .old-ID-PID (the run it
 * replaces) with no ID. Only a .tmp- beside its own .old- (the same name past the prefix) is known to be on disk
 * whole: that rename comes after every file of the new run was fsync'ed. It takes the free ID first, if its files
 * check out; else the old run comes back. Any other .tmp- (a commit killed before its renames: its files may be
 * written but not yet on disk, the last one only part written) is never a result and goes, and its run trains
 * again. Under the exclusive lock only: nobody is committing. */
static void recover_runs(const char *runs)
{
    static const char *const prefixes[] = {".tmp-", ".old-"};
    int changed = 0;
    for (int pass = 0; pass < 2; pass++) {
        DIR *d = opendir(runs);
        if (!d)
            return;
        for (struct dirent *e; (e = readdir(d));) {
            char id[SWEEP_ID], host[STORE_HOST], from[STORE_PATH + 300], to[STORE_PATH + 300], why[300];
            long pid;
            struct stat st;
            if (strncmp(e->d_name, prefixes[pass], 5))
                continue;
            snprintf(from, sizeof from, "%s/%s", runs, e->d_name);
            int keep = temporary_name(e->d_name, id, sizeof id, host, sizeof host, &pid) == 0 &&
                       snprintf(to, sizeof to, "%s/%s", runs, id) < (int)sizeof to && lstat(to, &st) != 0 &&
                       errno == ENOENT && (pass == 1 || (replacing(runs, e->d_name) &&
                                                          check_folder(from, NULL, why, sizeof why) == STORE_RUN_OK));
            if (!keep || rename(from, to) != 0)
                fileio_remove_tree(from);
            changed = 1;
        }
        closedir(d);
    }
    if (changed) /* the renames and removals reach the disk before anything else is written */
        fileio_sync_path(runs);
}

#define CHECKPOINT_PREFIX ".ckpt-"

int store_checkpoint_path(const store *s, const char *id, char *buf, size_t size, char *err, size_t len)
{
    return fileio_path(buf, size, err, len, "%s/runs/" CHECKPOINT_PREFIX "%s", s->dir, id);
}

/* In-run checkpoints that no run will resume from: all of them with force, else the temporaries of killed writes.
 * (Those of runs committed by a runner killed before it removed them go once the plan says the run is done:
 * store_forget_checkpoint. A folder's committed run says nothing by itself: it may be another config's, and the
 * checkpoint that of the run being trained again.) Under the exclusive lock only: beside shards, any of them may be
 * a shard's run in flight. */
static void remove_checkpoints(const char *runs, int force)
{
    DIR *d = opendir(runs);
    if (!d)
        return;
    size_t n = strlen(CHECKPOINT_PREFIX);
    for (struct dirent *e; (e = readdir(d));) {
        char path[STORE_PATH + 300];
        if (strncmp(e->d_name, CHECKPOINT_PREFIX, n) ||
            snprintf(path, sizeof path, "%s/%s", runs, e->d_name) >= (int)sizeof path)
            continue;
        if (force || fileio_is_temporary(e->d_name))
            unlink(path);
    }
    closedir(d);
}

error_class store_open(store *s, const char *root, const config *base, const plandata *data, int flags, char *err,
                       size_t len)
{
    memset(s, 0, sizeof *s);
    s->lock_fd = s->shard_fd = -1;
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
    int shared = (flags & STORE_SHARED) != 0;
    s->shared = shared;
    error_class rc = take_lock(s, shared, err, len);
    if (rc == ERROR_NONE && shared)
        remove_own_leftovers(runs);
    else if (rc == ERROR_NONE) {
        recover_runs(runs);
        remove_checkpoints(runs, (flags & STORE_FORCE) != 0);
        fileio_remove_temporaries(s->dir);
        checked_forget(s->dir);
    }
    int mode = shared                    ? IDENTITY_ONCE
               : (flags & STORE_FORCE)   ? IDENTITY_FORCE
               : (flags & STORE_COLLECT) ? IDENTITY_COLLECT
                                         : 0;
    if (rc == ERROR_NONE && !shared && (flags & STORE_SETTLE_LATER))
        rc = identity_open_started(s->dir, base, data, mode, &s->identity, err, len);
    else if (rc == ERROR_NONE)
        rc = identity_open(s->dir, base, data, mode, err, len);
    if (rc != ERROR_NONE)
        store_close(s);
    return rc;
}

int store_settle(store *s, char *err, size_t len)
{
    if (s->unsettled) {
        if (len)
            *err = 0;
        return -1;
    }
    if (!s->identity.n || fileio_batch_commit(&s->identity, err, len) == 0)
        return 0;
    s->unsettled = 1;
    return -1;
}

void store_close(store *s)
{
    char path[STORE_PATH + 300];
    checked_forget("");
    fileio_batch_drop(&s->identity);
    if (s->holding) {
        holder_path(s, path, sizeof path);
        unlink(path);
        s->holding = 0;
    }
    if (s->shard_fd >= 0) /* before the experiment's lock, which a plain run needs to remove the claim's file */
        close(s->shard_fd);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    s->lock_fd = s->shard_fd = -1;
}

/* The holder a claim's file names (PID@HOST, "" when none) into holder. */
static void read_holder(int fd, char *holder, size_t size)
{
    ssize_t got = pread(fd, holder, size - 1, 0);
    holder[got > 0 ? got : 0] = 0;
    holder[strcspn(holder, "\n")] = 0;
}

/* A shard of experiment folder dir other than shard index/count that holds its claim and would not train the same
 * plan beside it: one of another count, or one whose seeds or sweep lists (its claim's lines after the first,
 * identity_plan_lists) differ from lists. Its count M (with "shard I/M (pid PID@HOST)" in what and, for another
 * plan, the first difference in diff), else 0. Each claim is probed with a shared lock taken and dropped at once
 * (under .shard-claim: no claim is being made meanwhile). A claim without lists (a runner from before them) is
 * judged by its count alone. The running shards of count were each admitted beside the others, so they run one
 * plan: the first whose lists are read stands for them all, and the rest of count are not opened (a start reads
 * one claim, not one per shard). */
static int other_shard_running(const char *dir, int index, int count, const char *lists, char *what, size_t len,
                               char *diff, size_t dlen)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0, compared = 0;
    *diff = 0;
    while (d && !found && (e = readdir(d))) {
        int i, m, end = 0;
        if (sscanf(e->d_name, ".shard-%d-of-%d%n", &i, &m, &end) != 2 || e->d_name[end] ||
            (m == count && (i == index || compared)))
            continue;
        char path[STORE_PATH + 300], holder[STORE_HOST + 32] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
            flock(fd, LOCK_UN);
        else if (errno == EWOULDBLOCK) {
            char *text = m == count ? fileio_read(path) : NULL, *rest = text ? strchr(text, '\n') : NULL;
            compared = rest && rest[1];
            if (m != count || (compared && identity_plan_diff(rest + 1, lists, diff, dlen))) {
                read_holder(fd, holder, sizeof holder);
                snprintf(what, len, "shard %d/%d%s%s%s", i, m, *holder ? " (pid " : "", holder, *holder ? ")" : "");
                found = m;
            }
            free(text);
        }
        close(fd);
    }
    if (d)
        closedir(d);
    return found;
}

error_class store_claim_shard(store *s, int index, int count, const config *base, char *err, size_t len)
{
    char path[STORE_PATH + 64];
    char *lists = identity_plan_lists(base);
    if (!lists) {
        snprintf(err, len, "out of memory");
        return ERROR_OUTPUT;
    }
    snprintf(path, sizeof path, "%s/.shard-%d-of-%d", s->dir, index, count);
    /* the file stays: removing a lock file races with a process about to lock it */
    s->shard_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (s->shard_fd < 0) {
        snprintf(err, len, "%s: cannot create: %s", path, strerror(errno));
        free(lists);
        return ERROR_OUTPUT;
    }
    char host[STORE_HOST], holder[STORE_HOST + 32];
    /* claims one at a time (.shard-claim, held for the instant of a claim): of two shards of different counts or
     * plans starting together exactly one runs, and no probe of other_shard_running meets a claim half made */
    char claim[STORE_PATH + 64];
    snprintf(claim, sizeof claim, "%s/.shard-claim", s->dir);
    int serial = open(claim, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (serial >= 0)
        while (flock(serial, LOCK_EX) != 0 && errno == EINTR) {
        }
    int locked = flock(s->shard_fd, LOCK_EX | LOCK_NB) == 0, why = locked ? 0 : errno, m = 0;
    char other[STORE_HOST + 96], diff[700];
    if (locked) { /* the file names its holder, for a refused copy, then its plan, for a shard of another one */
        host_name(host, sizeof host);
        int n = snprintf(holder, sizeof holder, "%d@%s\n", (int)getpid(), host);
        size_t k = strlen(lists);
        int named = ftruncate(s->shard_fd, 0) == 0 && pwrite(s->shard_fd, holder, (size_t)n, 0) == n &&
                    pwrite(s->shard_fd, lists, k, n) == (ssize_t)k;
        (void)named; /* only a refused shard's message reads it: the lock holds either way */
        m = other_shard_running(s->dir, index, count, lists, other, sizeof other, diff, sizeof diff);
    }
    free(lists);
    if (serial >= 0)
        close(serial);
    if (locked && !m)
        return ERROR_NONE;
    if (locked) {
        close(s->shard_fd);
        s->shard_fd = -1;
        if (m == count)
            snprintf(err, len, "%s: %s is running in another process with other runs (%s; the shards of two plans "
                     "would train some runs twice and others never); let it finish or stop it, and run every shard "
                     "with one config", s->dir, other, diff);
        else
            snprintf(err, len, "%s: %s is running in another process (shards of %d and of %d would train the same "
                     "runs twice); let it finish or stop it, and run every shard with one count", s->dir, other, m,
                     count);
        return ERROR_USAGE;
    }
    read_holder(s->shard_fd, holder, sizeof holder);
    close(s->shard_fd);
    s->shard_fd = -1;
    if (why != EWOULDBLOCK) { /* the experiment's own lock worked on this filesystem: not expected */
        snprintf(err, len, "%s: cannot lock: %s", path, strerror(why));
        return ERROR_OUTPUT;
    }
    snprintf(err, len, "%s: shard %d/%d is already running in another process%s%s%s (a second copy would train the "
             "same runs beside it); let it finish, or stop it first", s->dir, index, count, *holder ? " (pid " : "",
             holder, *holder ? ")" : "");
    return ERROR_USAGE;
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
                    .val_acc = last->val_acc, .best_val_acc = best->val_acc,
                    .steps_to_target = job->steps_to_target < 0 ? NAN : (double)job->steps_to_target,
                    .epochs_to_target = job->epochs_to_target,
                    .examples_to_target = job->examples_to_target < 0 ? NAN : (double)job->examples_to_target,
                    .seconds_to_target = job->seconds_to_target, .b_simple = train_b_simple_median(job)};
    fprintf(f, "%s\n", tsv_result_header);
    tsv_result_row(f, &m);
    fprintf(f, "\n");
}

static void write_config(FILE *f, const train_job *job)
{
    fprintf(f, "; resolved configuration of this run (defaults included), seed %lld\n", job->seed);
    config_write(&job->cfg, f, CONFIG_WRITE_ALL);
}

/* Waits for the n files of fds (fileio_close_started) to be on disk and closes them. 0, or -1 with errno. */
static int finish_files(const int *fds, int n)
{
    int rc = 0, e = 0;
    for (int i = 0; i < n; i++)
        if (fileio_finish_synced(fds[i]) != 0 && !rc)
            rc = -1, e = errno ? errno : EIO;
    errno = e;
    return rc;
}

/* The optional files of a run: confusion.tsv (unless the classes are too many for one) and, with
 * data.standardize, standardize.tsv (the statistics new data must be standardised with), started on their way to
 * the disk, their descriptors added to fds[*n]. 0, or -1. */
static int write_class_files(const char *dir, const train_job *job, int *fds, int *n)
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
        if ((fds[*n] = fileio_close_started(f)) < 0)
            return -1;
        (*n)++;
    }
    return 0;
}

/* The run's files in dir, each flushed to disk: written and started together, then waited for (with 5 files 0.4 ms
 * less than each written and flushed in turn). weights.h5 is one of them, its bytes built in memory first: written
 * in place (the folder is the run's temporary one, renamed into runs/ once every file is on disk; recover_runs
 * trusts no such folder a commit left before its renames), not through a temporary file, a rename and a flush of
 * its own. 0, or -1 with errno, or with why filled when the weights' image could not be built. */
static int write_run_files(const char *dir, const train_job *job, char *why, size_t wlen)
{
    static const char *const names[] = {"weights.h5", "curve.dat", "result.tsv", "config.ini", "manifest.txt"};
    char path[STORE_PATH + 400];
    int fds[7], n = 0, rc = 0;
    size_t size = 0;
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    char *image = checkpoint_image(&job->net, train_weights(job), &size, path, why, wlen);
    if (!image)
        return -1;
    for (int i = 0; i < 5 && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        if (!f) {
            rc = -1;
            break;
        }
        if (i == 0)
            fwrite(image, 1, size, f); /* a short write sets the error fileio_close_started checks */
        else if (i == 1)
            curve_write(f, job->curve, job->epochs_done);
        else if (i == 2)
            write_result(f, job);
        else if (i == 3)
            write_config(f, job);
        else
            write_manifest(f, job);
        if ((fds[n] = fileio_close_started(f)) < 0)
            rc = -1;
        else
            n++;
    }
    free(image);
    if (rc == 0)
        rc = write_class_files(dir, job, fds, &n);
    int e = errno;
    if (finish_files(fds, n) < 0 && rc == 0)
        rc = -1, e = errno;
    errno = e;
    return rc;
}

int store_commit(store *s, const char *id, const train_job *job, char *err, size_t len)
{
    char tmp[STORE_PATH + 300], final[STORE_PATH + 300], old[STORE_PATH + 300], runs[STORE_PATH + 16];
    char host[STORE_HOST];
    host_name(host, sizeof host);
    snprintf(runs, sizeof runs, "%s/runs", s->dir);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s@%s@%d", runs, id, host, (int)getpid());
    snprintf(final, sizeof final, "%s/%s", runs, id);
    snprintf(old, sizeof old, "%s/.old-%s@%s@%d", runs, id, host, (int)getpid());
    if (store_settle(s, err, len) < 0)
        return -1;
    fileio_remove_tree(tmp);
    if (!strcmp(checked.dir, s->dir))
        checked_forget(s->dir);
    errno = 0;
    char why[STORE_PATH + 600] = "";
    if (mkdir(tmp, 0777) != 0 || write_run_files(tmp, job, why, sizeof why) != 0) {
        /* the system's cause, or the weights' image's own (HDF5's, or out of memory) */
        snprintf(err, len, "%s: cannot write run: %.700s", final, *why ? why : strerror(errno ? errno : EIO));
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

/* Why a run whose weights.h5 another process holds a lock on (cause) is not trained again. */
static void say_busy(char *why, size_t len, const char *cause)
{
    snprintf(why, len, "weights.h5 cannot be read now (%s); not retrained", cause);
}

/* A run whose curve.dat has the lr column was written by a runner that writes confusion.tsv (up to
 * TRAIN_CONFUSION_MAX classes; runs from before it have neither): then the file must be there, a square matrix of
 * the classes of the model (layers, as weights.h5 names it). NULL, or why the run is damaged. */
static const char *check_confusion(const char *rundir, const char *layers, const curve *c)
{
    const char *dash = strrchr(layers, '-');
    int units = dash ? atoi(dash + 1) : 0, classes = units == 1 ? 2 : units;
    if (c->n == 0 || isnan(c->v[CURVE_LR]) || classes < 1 || classes > TRAIN_CONFUSION_MAX)
        return NULL;
    char path[STORE_PATH + 400], err[STORE_PATH + 400];
    snprintf(path, sizeof path, "%s/confusion.tsv", rundir);
    if (access(path, F_OK) != 0)
        return "confusion.tsv missing";
    confusion m;
    if (confusion_load(path, &m, err, sizeof err) < 0)
        return "confusion.tsv is malformed";
    int k = m.k;
    confusion_free(&m);
    return k == classes ? NULL : "confusion.tsv does not have the model's classes";
}

/* Checks the other files of run folder rundir, whose curve.dat holds c: STORE_RUN_OK, or the verdict with the reason
 * in why. */
static int check_other_files(const char *rundir, const curve *c, char *why, size_t len)
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
    const char *reason;
    int busy, rc = STORE_RUN_OK;
    snprintf(path, sizeof path, "%s/weights.h5", rundir);
    hid_t f = h5util_open_busy(path, &busy, cause, sizeof cause);
    if (busy) {
        say_busy(why, len, cause);
        rc = STORE_RUN_BUSY;
    } else if (f < 0 || h5util_get_string(f, "layers", layers, sizeof layers) < 0) {
        snprintf(why, len, "weights.h5 is missing or damaged");
        rc = STORE_RUN_DAMAGED;
    } else if ((reason = check_confusion(rundir, layers, c))) {
        snprintf(why, len, "%s", reason);
        rc = STORE_RUN_DAMAGED;
    }
    if (f >= 0)
        H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* Reads result.tsv and curve.dat of run folder rundir into out and checks them: STORE_RUN_OK (store_run_free out), or
 * STORE_RUN_DAMAGED with the reason in why. */
static int read_texts(const char *rundir, store_run *out, char *why, size_t len)
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
    *out = r;
    return STORE_RUN_OK;
}

/* Checks that run folder rundir holds an intact run, whatever its config: STORE_RUN_OK with run filled (NULL:
 * only checked), or the verdict with the reason in why. */
static int check_folder(const char *rundir, store_run *run, char *why, size_t len)
{
    store_run r = {0};
    int rc = read_texts(rundir, &r, why, len);
    if (rc != STORE_RUN_OK)
        return rc;
    rc = check_other_files(rundir, &r.curve, why, len);
    if (rc == STORE_RUN_OK && run)
        *run = r;
    else
        store_run_free(&r);
    return rc;
}

/* Whether curve c's rows are the epochs that a run of cfg evaluates (train_curve_epoch), up to its last: 0, or -1
 * with the first epoch out of place in why. The rows alone cannot tell a row lost from the middle from
 * train.eval_every's gaps. Every run ends at an evaluated epoch: its last (train.epochs), the last finite
 * evaluation before it diverged, or where early stopping or the target stopped it, so the last row is held to the
 * schedule too. */
static int check_schedule(const curve *c, const config *cfg, char *why, size_t len)
{
    long long e = 0, k = cfg->eval_every; /* e: the first epoch after the previous row */
    for (long i = 0; i < c->n; e = (long long)c->v[(size_t)i++ * CURVE_COLS] + 1) {
        long long at = (long long)c->v[(size_t)i * CURVE_COLS];
        /* the first epoch from e that gets a row */
        long long due = cfg->target_accuracy > 0 ? e : (e + k - 1) / k * k;
        if (cfg->epochs >= e && cfg->epochs < due)
            due = cfg->epochs;
        if (due != at) {
            snprintf(why, len, due < at ? "curve.dat has no row for epoch %lld (train.eval_every = %lld)"
                                        : "curve.dat has a row for epoch %lld, which is not evaluated (train.eval_every = "
                                          "%lld)",
                     due < at ? due : at, k);
            return -1;
        }
    }
    return 0;
}

/* Whether result m tells a run of cfg that ended as train_execute ends one: 0, or -1 with why. Without diverging, a
 * run stops before train.epochs only by early stopping or at its target (train.stop_at_target, the target
 * reached); a diverged one ends between its last finite evaluation and train.epochs; the best epoch is evaluated.
 * A result.tsv that says otherwise was edited or belongs to another config, and its numbers would read as a whole
 * run's. */
static int check_progress(const tsv_result *m, const config *cfg, char *why, size_t len)
{
    int stopped = cfg->early_stopping > 0 || (cfg->target_accuracy > 0 && cfg->stop_at_target &&
                                              !isnan(m->steps_to_target));
    if (m->epochs_done > cfg->epochs)
        snprintf(why, len, "result.tsv: epochs_done %d is past train.epochs %lld", m->epochs_done, cfg->epochs);
    else if (!m->diverged && m->epochs_done < cfg->epochs && !stopped)
        snprintf(why, len,
                 "result.tsv: the run ends at epoch %d of %lld, but it did not diverge, stop early or reach its target",
                 m->epochs_done, cfg->epochs);
    else if (m->diverged && (m->diverged_epoch < m->epochs_done || m->diverged_epoch > cfg->epochs))
        snprintf(why, len, "result.tsv: diverged_epoch %d is not between epochs_done %d and train.epochs %lld",
                 m->diverged_epoch, m->epochs_done, cfg->epochs);
    else if (m->best_epoch < 0 || m->best_epoch > m->epochs_done)
        snprintf(why, len, "result.tsv: best_epoch %d is not between 0 and epochs_done %d", m->best_epoch,
                 m->epochs_done);
    else
        return 0;
    return -1;
}

/* 1 when run r of plan in dir is among the checked ones; with remember, it becomes one (when dir is locked here). */
static int checked_run(const char *dir, const sweep_plan *plan, long r, int remember)
{
    if (!*checked.dir || strcmp(dir, checked.dir) != 0)
        return 0;
    if (checked.plan != plan && remember) {
        free(checked.ok);
        checked.ok = calloc((size_t)plan->nruns, 1);
        checked.plan = checked.ok ? plan : NULL;
    }
    if (checked.plan != plan)
        return 0;
    if (remember)
        checked.ok[r] = 1;
    return checked.ok[r];
}

int store_read_run(const char *dir, const sweep_plan *plan, long r, store_run *run, char *why, size_t len)
{
    config want;
    long long seed;
    char id[SWEEP_ID], rundir[STORE_PATH + SWEEP_ID + 8];
    struct stat st;
    sweep_run(plan, r, &want, &seed, id, sizeof id);
    snprintf(rundir, sizeof rundir, "%s/runs/%s", dir, id);
    if (checked_run(dir, plan, r, 0)) /* intact when checked, and nobody else has written since */
        return run ? read_texts(rundir, run, why, len) : STORE_RUN_OK;
    if (lstat(rundir, &st) != 0) {
        snprintf(why, len, "missing");
        return STORE_RUN_MISSING;
    }
    store_run got = {0};
    int rc = check_folder(rundir, &got, why, len);
    if (rc == STORE_RUN_OK && (identity_check_run(dir, rundir, &want, why, len) < 0 ||
                               check_schedule(&got.curve, &want, why, len) < 0 ||
                               check_progress(&got.result, &want, why, len) < 0)) {
        rc = STORE_RUN_DAMAGED;
        store_run_free(&got);
    }
    if (rc == STORE_RUN_OK)
        checked_run(dir, plan, r, 1);
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

int store_run_busy(const store *s, const sweep_plan *plan, long r, char *why, size_t len)
{
    config c;
    long long seed;
    char id[SWEEP_ID], path[STORE_PATH + SWEEP_ID + 24], cause[300];
    sweep_run(plan, r, &c, &seed, id, sizeof id);
    snprintf(path, sizeof path, "%s/runs/%s/weights.h5", s->dir, id);
    if (!h5util_busy(path, cause, sizeof cause))
        return 0;
    say_busy(why, len, cause);
    return 1;
}

void store_run_free(store_run *run) { curve_free(&run->curve); }

/* Run r's in-run checkpoint path into path (size bytes); 0, or -1 when it does not fit. */
static int run_checkpoint_path(const store *s, const sweep_plan *plan, long r, char *path, size_t size)
{
    config c;
    long long seed;
    char id[SWEEP_ID], err[300];
    sweep_run(plan, r, &c, &seed, id, sizeof id);
    return store_checkpoint_path(s, id, path, size, err, sizeof err);
}

void store_forget_checkpoint(const store *s, const sweep_plan *plan, long r)
{
    char path[STORE_PATH + SWEEP_ID + 16];
    if (!s->shared && run_checkpoint_path(s, plan, r, path, sizeof path) == 0)
        unlink(path);
}

void store_forget_done_checkpoints(const store *s, const sweep_plan *plan)
{
    char path[STORE_PATH + SWEEP_ID + 16], why[600];
    for (long r = 0; r < plan->nruns && !s->shared; r++)
        if (run_checkpoint_path(s, plan, r, path, sizeof path) == 0 && access(path, F_OK) == 0 &&
            store_run_done(s, plan, r, why, sizeof why) == 1)
            unlink(path);
}
