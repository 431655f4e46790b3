/* runner: with the options cli.c parsed, read and validate the config, load the data, plan the runs, train the
 * ones not yet committed (all of them, or one shard's), write the summary. Only this file decides to exit. Exit
 * codes: 0 success (diverged runs are results), 2 usage or config error (threads that cannot be started too), 3
 * data error, 4 output error (or damaged runs found by --verify, or standard output not written), 5 every run of
 * the experiment diverged, 6 --collect found runs missing or damaged, 130/143 stopped by SIGINT/SIGTERM. */
#include "catalog.h"
#include "cli.h"
#include "config.h"
#include "collect.h"
#include "cost.h"
#include "error.h"
#include "fused.h"
#include "fileio.h"
#include "gnuplot.h"
#include "h5util.h"
#include "identity.h"
#include "plandata.h"
#include "progress.h"
#include "report.h"
#include "runckpt.h"
#include "sweep.h"
#include "schedule.h"
#include "shard.h"
#include "store.h"
#include "tables.h"
#include "timing.h"
#include "train.h"
#include "verify.h"
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* The exit codes; a class of failure becomes one in exit_code only. */
enum { EXIT_USAGE = 2, EXIT_DATA = 3, EXIT_OUTPUT = 4, EXIT_ALL_DIVERGED = 5, EXIT_INCOMPLETE = 6 };

static volatile sig_atomic_t stop_signal;

/* The one place where a class of failure becomes an exit code. */
static int exit_code(error_class c)
{
    static const int codes[] = {[ERROR_NONE] = 0, [ERROR_USAGE] = EXIT_USAGE, [ERROR_DATA] = EXIT_DATA,
                                [ERROR_OUTPUT] = EXIT_OUTPUT};
    return codes[c];
}

static void on_signal(int sig) { stop_signal = sig; }

/* The plots folder of NAME (or the plots root, for NAME ""): --plots DIR, else plots/ beside the default results
 * root and DIR/plots for --results DIR, so that another results root never replaces them. 0, or -1 after printing
 * why. */
static int plots_path(const cli_options *opt, const char *name, char *out, size_t size)
{
    const char *root = opt->plots_root, *sub = "";
    if (!root && strcmp(opt->results_root, "results") != 0)
        root = opt->results_root, sub = "/plots";
    else if (!root)
        root = "plots";
    int n = snprintf(out, size, "%s%s%s%s", root, sub, *name ? "/" : "", name);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "%s%s/%s: path too long\n", root, sub, name);
        return -1;
    }
    return 0;
}

/* Creates the results root and the plots folder (with their parents) and checks both are writable, before any
 * training: an unwritable --plots found after hours of training would lose the report. 0, or -1 after printing
 * why. */
static int prepare_folders(const cli_options *opt, const config *cfg)
{
    char plots[STORE_PATH], err[1200];
    const char *dirs[] = {opt->results_root, plots};
    if (plots_path(opt, cfg->name, plots, sizeof plots) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (fileio_make_dirs(dirs[i], err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            return -1;
        }
        if (access(dirs[i], W_OK | X_OK) != 0) {
            fprintf(stderr, "%s: cannot write there: %s\n", dirs[i], strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Plots and report.md of the experiment in results_dir, then results/index.md. 0, or -1 after printing why. */
static int write_report(const cli_options *opt, const config *cfg, const sweep_plan *plan, const char *results_dir)
{
    char plots_dir[STORE_PATH], warning[300], err[1200];
    if (plots_path(opt, cfg->name, plots_dir, sizeof plots_dir) < 0)
        return -1;
    /* the index lists this report even when rendering failed; a stop signal says so itself */
    char ierr[1200];
    int wrote = report_write(cfg, plan, results_dir, plots_dir, !opt->no_plots, warning, sizeof warning, err,
                             sizeof err);
    int indexed = report_index(opt->results_root, ierr, sizeof ierr);
    if (wrote < 0 && !stop_signal)
        fprintf(stderr, "%s\n", err);
    if (indexed < 0)
        fprintf(stderr, "%s\n", ierr);
    if (wrote < 0 || indexed < 0)
        return -1;
    if (*warning)
        fprintf(stderr, "%s: %s\n", cfg->name, warning);
    else if (!opt->quiet)
        fprintf(stderr, "%s: report in %s/report.md, plots in %s/\n", cfg->name, results_dir, plots_dir);
    return 0;
}

/* A run in training: its job and id, and its in-run checkpoint. The pool hands the flight back as the job's owner
 * when it finishes. */
typedef struct flight {
    train_job job;
    char id[SWEEP_ID];
    char checkpoint[STORE_PATH + SWEEP_ID + 16];  /* store_checkpoint_path */
    uint64_t fingerprint;                          /* runckpt_fingerprint of the job as prepared */
    int warned;                                    /* a checkpoint could not be written: said once */
    int group;                                     /* its group's slot in trainer.members */
} flight;

/* Training the runs that are missing: what is to train, what is in flight, and what failed. */
typedef struct trainer {
    const sweep_plan *plan;
    store *res;
    const plandata *data;
    schedule_pool *pool;
    const int *owner;                            /* each run's shard (NULL: every run is this process's) */
    int shard;                                   /* this process's shard */
    long *todo, ntodo, next, diverged, owned;    /* todo: plan indices, largest run first */
    int parallel, threads, nair;
    fused_key *keys;                             /* by plan index: which runs fuse */
    int group, groups;                           /* runs per fused group at most (1: none); groups in flight */
    int members[PROGRESS_MAX_AIR];               /* by slot: the runs of a group in flight not landed yet (0: free);
                                                    a group is in flight until the last of its runs lands */
    error_class failed;
    progress pr;
} trainer;

/* The plan indices of the runs not committed yet (all of them with force), largest first, into t->todo, and the
 * progress display set up for them. 0, or -1 when out of memory. */
static int plan_todo(trainer *t, int force, int quiet)
{
    const sweep_plan *plan = t->plan;
    t->todo = malloc((size_t)plan->nruns * sizeof *t->todo);
    if (!t->todo)
        return -1;
    double epochs = 0;
    config c;
    long long seed;
    char id[SWEEP_ID];
    for (long r = 0; r < plan->nruns; r++) {
        if (t->owner && t->owner[r] != t->shard)
            continue;
        t->owned++;
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        char why[600];
        /* --force trains every run again: only one in use by another process stops it */
        int done = force ? -store_run_busy(t->res, plan, r, why, sizeof why) : store_run_done(t->res, plan, r, why,
                                                                                                 sizeof why);
        if (done < 0) { /* in use by another process: not damaged, and not to be replaced, even with --force */
            fprintf(stderr, "%s/runs/%s: %s\n", t->res->dir, id, why);
            return -1;
        }
        if (force || !done) {
            t->todo[t->ntodo++] = r;
            epochs += (double)c.epochs;
        }
    }
    progress_init(&t->pr, quiet, t->ntodo, epochs);
    schedule_order(plan, t->data, t->todo, t->ntodo);
    return 0;
}

/* Writes a flight's in-run checkpoint; called by its worker (train_job.checkpoint). A failure is said once, and
 * the run goes on. */
static void save_flight(train_job *job, void *ctx)
{
    flight *f = ctx;
    char err[1200];
    if (runckpt_save(f->checkpoint, job, f->fingerprint, err, sizeof err) < 0 && !f->warned++)
        fprintf(stderr, "warning: %s; the run goes on without it\n", err);
}

/* Prepares run c (seed) of f->id. 0, or -1 with err. */
static int prepare(const trainer *t, flight *f, const config *c, long long seed, char *err, size_t len)
{
    const plandata_set *d = plandata_find(t->data, c);
    int threads = c->threads ? cost_threads(c->threads) : t->threads;
    return train_prepare_init(&f->job, c, seed, &d->train, &d->val, &d->test, d->nclasses, threads,
                              plandata_init_weights(t->data, c), err, len);
}

/* Prepares run c (seed) of f->id and, with train.checkpoint_every, sets up its in-run checkpoints and goes on
 * from its checkpoint when one fits the run (one that does not is ignored with one warning line: the run starts
 * from epoch 0). 0, or -1 with err. */
static int prepare_flight(const trainer *t, flight *f, const config *c, long long seed, char *err, size_t len)
{
    if (prepare(t, f, c, seed, err, len) < 0)
        return -1;
    if (!(c->checkpoint_every > 0))
        return 0;
    if (store_checkpoint_path(t->res, f->id, f->checkpoint, sizeof f->checkpoint, err, len) < 0) {
        train_free(&f->job);
        return -1;
    }
    f->fingerprint = runckpt_fingerprint(&f->job);
    f->warned = 0;
    char why[1200];
    int got = runckpt_load(f->checkpoint, &f->job, f->fingerprint, why, sizeof why);
    if (got < 0) {
        fprintf(stderr, "warning: %s; ignored, the run starts from epoch 0\n", why);
        train_free(&f->job);
        if (prepare(t, f, c, seed, err, len) < 0)
            return -1;
    } else if (got > 0 && !t->pr.quiet) {
        fprintf(stderr, "%sresuming %s from epoch %d", t->pr.tty ? "\r\033[K" : "", f->id, f->job.at_epoch - 1);
        if (f->job.at_rows)
            fprintf(stderr, " (and %d rows of epoch %d)", f->job.at_rows, f->job.at_epoch);
        fprintf(stderr, "\n");
    }
    f->job.checkpoint = save_flight;
    f->job.checkpoint_ctx = f;
    return 0;
}

/* Starts groups of runs (fused, or one alone) until every worker has one or none is left; a run that cannot
 * start sets t->failed (the runs of its group prepared so far are freed). */
static void launch(trainer *t)
{
    char err[1200];
    while (t->groups < t->parallel && t->next < t->ntodo && !stop_signal && !t->failed) {
        long k = t->group > 1 ? fused_pick(t->keys, t->todo, t->next, t->ntodo, t->group) : 1;
        int slot = 0;
        while (t->members[slot]) /* a free one: fewer groups than t->parallel <= PROGRESS_MAX_AIR are in flight */
            slot++;
        /* schedule_fuse's groups fit the progress display's runs in flight (PROGRESS_MAX_AIR / parallel each) */
        assert(t->nair + k <= PROGRESS_MAX_AIR && slot < PROGRESS_MAX_AIR);
        train_job *jobs[FUSED_GROUP_MAX];
        void *owners[FUSED_GROUP_MAX];
        for (long i = 0; i < k; i++) {
            flight *f = malloc(sizeof *f);
            config c;
            long long seed;
            char id[SWEEP_ID];
            sweep_run(t->plan, t->todo[t->next + i], &c, &seed, f ? f->id : id, sizeof id);
            if (!f || prepare_flight(t, f, &c, seed, err, sizeof err) < 0) {
                fprintf(stderr, "%s\n", f ? err : "runner: out of memory");
                free(f);
                t->failed = ERROR_DATA;
                while (i-- > 0) {
                    train_free(jobs[i]);
                    free(owners[i]);
                }
                return;
            }
            f->job.stop = &stop_signal;
            f->group = slot;
            jobs[i] = &f->job;
            owners[i] = f;
        }
        for (long i = 0; i < k; i++)
            progress_started(&t->pr, ((flight *)owners[i])->id, jobs[i]);
        t->next += k;
        t->nair += (int)k;
        t->members[slot] = (int)k;
        t->groups++;
        schedule_submit_group(t->pool, jobs, owners, (int)k);
    }
}

/* Writes a finished run (unless it was interrupted or an earlier write failed) and frees it. */
static void commit_run(trainer *t, flight *f)
{
    train_job *job = &f->job;
    char err[1200];
    /* a run that could not start (ERROR_DATA) does not stop this finished one from being written */
    if (job->status != TRAIN_INTERRUPTED && t->failed != ERROR_OUTPUT) {
        timing_enter(TIMING_WRITES);
        int committed = store_commit(t->res, f->id, job, err, sizeof err);
        timing_enter(TIMING_TRAIN);
        if (committed < 0) {
            fprintf(stderr, "%s\n", err);
            t->failed = ERROR_OUTPUT;
        } else {
            timing_add(TIMING_TRAIN, job->train_seconds);
            t->diverged += job->status == TRAIN_DIVERGED;
            progress_committed(&t->pr, f->id, job);
        }
    }
    train_free(job);
    free(f);
}

/* Trains the runs in t->todo, several side by side, and commits each as it finishes. */
static void train_todo(trainer *t)
{
    flight *landed = NULL;
    for (;;) {
        /* the next run starts before the one that finished is written, so no core waits on its disk writes */
        launch(t);
        if (landed) {
            commit_run(t, landed);
            landed = NULL;
            progress_show(&t->pr);
        }
        if (!t->nair)
            break;
        landed = schedule_wait(t->pool, 0.25);
        if (!landed) {
            progress_show(&t->pr);
            continue;
        }
        t->nair--;
        t->groups -= --t->members[landed->group] == 0;
        progress_landed(&t->pr, &landed->job);
    }
}

/* Trains every run of the plan that is not committed yet (all of them with --force), several side by side,
 * largest first, and commits each as it finishes. Returns 0 or an exit code. */
static int train_missing(const cli_options *opt, const sweep_plan *plan, store *res, const plandata *data,
                         const int *owner)
{
    const config *base = plan->base;
    trainer t = {.plan = plan, .res = res, .data = data, .owner = owner, .shard = opt->shard.index};
    if (plan_todo(&t, opt->force, opt->quiet) < 0) {
        if (!t.todo)
            fprintf(stderr, "runner: out of memory\n");
        free(t.todo);
        return exit_code(ERROR_OUTPUT);
    }
    char why[200], fused[100];
    timing_enter(TIMING_TRAIN);
    schedule_choose(plan, t.ntodo, cost_threads(0), &t.parallel, &t.threads, why, sizeof why);
    t.threads = cost_threads(t.threads);
    t.keys = fused_keys(plan, data, t.todo, t.ntodo);
    t.group = t.keys ? schedule_fuse(plan, t.keys, t.todo, t.ntodo, t.parallel, t.threads, opt->no_fuse, fused,
                                              sizeof fused) : 1;
    char part[64] = "";
    if (owner)
        snprintf(part, sizeof part, " shard %d/%d (%s)", opt->shard.index, opt->shard.count, opt->shard.source);
    if (!opt->quiet)
        fprintf(stderr, "%s%s: %ld runs to train, %ld already done (skipped); %s, %d side by side x %d threads "
                "each (%s)\n", base->name, part, t.ntodo, t.owned - t.ntodo, t.keys ? fused : "each alone",
                t.parallel, t.threads, why);
    t.pool = t.ntodo ? schedule_start(t.parallel) : NULL;
    if (t.ntodo && !t.pool) {
        fprintf(stderr, "runner: cannot start worker threads\n");
        free(t.keys);
        free(t.todo);
        return exit_code(ERROR_USAGE);
    }
    train_todo(&t);
    schedule_stop(t.pool);
    free(t.keys);
    progress_end(&t.pr, base->name, t.diverged, res->dir);
    int rc = exit_code(t.failed);
    if (!rc && !stop_signal && t.pr.done == t.owned && t.owned && t.diverged == t.pr.done) {
        fprintf(stderr, "%s: every run diverged (results are kept; try a smaller train.learning_rate)\n",
                base->name);
        rc = EXIT_ALL_DIVERGED;
    }
    free(t.todo);
    return rc;
}

/* --verify NAME: lists the missing and damaged runs of results/NAME. Returns the exit code. */
static int verify(const cli_options *opt)
{
    char err[1200];
    long bad;
    h5util_quiet();
    if (verify_experiment(opt->results_root, opt->verify, stderr, stdout, &bad, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return exit_code(ERROR_OUTPUT);
    }
    return exit_code(bad ? ERROR_OUTPUT : ERROR_NONE);
}

/* --list: the experiments of the results root on stdout. Returns the exit code. */
static int list(const cli_options *opt)
{
    char err[1200];
    error_class c = catalog_list(opt->results_root, stdout, err, sizeof err);
    if (c != ERROR_NONE)
        fprintf(stderr, "%s\n", err);
    return exit_code(c);
}

/* --compare: the table and the plot of the experiments' best points. Returns the exit code. */
static int compare(const cli_options *opt)
{
    char plots_root[STORE_PATH], err[1200];
    catalog_compared out;
    if (plots_path(opt, "", plots_root, sizeof plots_root) < 0)
        return exit_code(ERROR_USAGE);
    error_class c = catalog_compare(opt->results_root, plots_root, opt->compare, opt->ncompare, !opt->no_plots, &out,
                                    err, sizeof err);
    if (c != ERROR_NONE)
        fprintf(stderr, "%s\n", err);
    else if (*out.warning)
        fprintf(stderr, "compare: %s; table in %s\n", out.warning, out.markdown);
    else if (!opt->quiet)
        fprintf(stderr, "compare: table in %s, plot in %s/\n", out.markdown, out.plots);
    return exit_code(c);
}

/* The config file with the --set and --threads overrides. 0, or -1 after printing every error. */
static int load_config(const cli_options *opt, config *cfg)
{
    config_errors errs = {0};
    config_defaults(cfg);
    config_load(cfg, opt->config, &errs);
    for (int i = 0; i < opt->nsets; i++)
        config_override(cfg, opt->sets[i], &errs);
    if (!errs.n)
        config_check_report(cfg, &errs);
    if (opt->threads >= 0)
        cfg->threads = opt->threads;
    if (!errs.n)
        return 0;
    fputs(errs.text, stderr);
    if (errs.n > 50)
        fprintf(stderr, "%s: ... and %d more errors\n", opt->config, errs.n - 50);
    config_errors_free(&errs);
    config_free(cfg);
    return -1;
}

/* Refuses a plan whose data and largest runs, as many as may train at once, would not fit in memory. */
static int check_memory(const cli_options *opt, const sweep_plan *plan, const plandata *data, char *err, size_t len)
{
    int parallel, threads;
    char why[200];
    schedule_choose(plan, plan->nruns, cost_threads(0), &parallel, &threads, why, sizeof why);
    /* fused groups hold their runs in memory together */
    int group = schedule_fuse_all(plan, data, parallel, threads, opt->no_fuse);
    return cost_check_memory(plan, data, parallel * group, opt->max_memory, err, len);
}

/* Says (unless quiet) when runs ask for more threads than the cores available, which caps them, and proves that
 * the most threads the sweep will have alive at once can be created: the runs side by side, each with its
 * threads. 0, or -1 after printing why: before anything is written, not as libgomp's abort mid-sweep. */
static int check_threads(const cli_options *opt, const sweep_plan *plan)
{
    int asked = 0, most = 0, parallel, threads;
    config c;
    long long seed;
    char id[SWEEP_ID], why[200], err[300];
    schedule_choose(plan, plan->nruns, cost_threads(0), &parallel, &threads, why, sizeof why);
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        int want = c.threads ? c.threads : omp_get_max_threads();
        int get = c.threads ? cost_threads(c.threads) : cost_threads(threads);
        asked = want > asked ? want : asked;
        most = get > most ? get : most;
    }
    if (cost_threads(asked) < asked && !opt->quiet)
        fprintf(stderr, "%s: %d threads per run requested, capped at the %d cores available\n", plan->base->name,
                asked, cost_threads(asked));
    if (schedule_probe(parallel * most, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "runner: %s, %d side by side x %d each (lower --threads or experiment.parallel_runs, or raise "
            "the limit on processes, ulimit -u)\n", err, parallel, most);
    return -1;
}

/* Opens /dev/null on whichever of fds 0-2 is closed, so that no file opened later (the lock, a run's files)
 * becomes stdin, stdout or stderr and receives the messages meant for them. */
static void open_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
            _exit(exit_code(ERROR_OUTPUT)); /* no /dev/null: going on would let a run's file receive messages */
}

/* Writes out and closes stdout: output that could not be written (a full disk) is an output error, not success.
 * Returns rc, or the output error's code when rc was 0. */
static int close_stdout(int rc)
{
    int failed = fflush(stdout) != 0, why = errno;
    if (!failed && ferror(stdout))
        failed = 1, why = EIO;
    if (fclose(stdout) != 0 && !failed)
        failed = 1, why = errno;
    if (!failed)
        return rc;
    fprintf(stderr, "runner: cannot write standard output: %s\n", strerror(why));
    return rc ? rc : exit_code(ERROR_OUTPUT);
}

/* --collect: under the exclusive lock, checks every run of the plan, writes the tables, the report and the plots,
 * and says which shards own what is missing. Returns the exit code. */
static int collect(const cli_options *opt, const sweep_plan *plan, const plandata *data, const int *owner, int count)
{
    const config *cfg = plan->base;
    char err[1200];
    store res;
    if (prepare_folders(opt, cfg) < 0)
        return exit_code(ERROR_OUTPUT);
    error_class opened = store_open(&res, opt->results_root, cfg, data, 0, err, sizeof err);
    if (opened != ERROR_NONE) {
        fprintf(stderr, "%s\n", err);
        return exit_code(opened);
    }
    verify_counts c;
    int rc = 0;
    /* a SIGINT or SIGTERM while gnuplot renders kills it (gnuplot_run watches the flag) and ends with its code */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (collect_scan(res.dir, plan, owner, count, stderr, &c) < 0) {
        fprintf(stderr, "runner: out of memory\n");
        rc = exit_code(ERROR_OUTPUT);
    } else if (tables_write(res.dir, plan, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = exit_code(ERROR_OUTPUT);
    } else if (write_report(opt, cfg, plan, res.dir) < 0) {
        rc = stop_signal ? 128 + (int)stop_signal : exit_code(ERROR_OUTPUT);
    } else if (c.intact < plan->nruns) {
        collect_incomplete(stderr, res.dir, &c, count, plan->nruns);
        rc = EXIT_INCOMPLETE;
    } else if (!opt->quiet) {
        fprintf(stderr, "%s: all %ld runs committed; tables in %s\n", cfg->name, plan->nruns, res.dir);
    }
    collect_counts_free(&c);
    store_close(&res);
    return rc;
}

/* --dry-run, --status and --collect: the plan seen whole, each run with its shard among N (--shard's, else the
 * shards' record, else 1). Returns the exit code. */
static int survey(const cli_options *opt, const sweep_plan *plan, const plandata *data)
{
    char dir[STORE_PATH];
    snprintf(dir, sizeof dir, "%s/%s", opt->results_root, plan->base->name);
    int count = opt->shard.count ? opt->shard.count : collect_shards_recorded(dir);
    count = count && !(opt->dry_run && !opt->shard.count) ? count : 1;
    int *owner = malloc((size_t)plan->nruns * sizeof *owner), rc = 0;
    double *load = malloc((size_t)count * sizeof *load);
    verify_counts c = {0};
    if (!owner || !load || shard_assign(plan, data, count, owner, load) < 0) {
        fprintf(stderr, "runner: out of memory\n");
        rc = exit_code(ERROR_OUTPUT);
    } else if (opt->dry_run) {
        collect_dry_run(stdout, plan, data, owner, load, count);
    } else if (!identity_exists(dir)) {
        fprintf(stderr, "%s: no such experiment (no runner has opened it; train it first)\n", dir);
        rc = exit_code(ERROR_USAGE);
    } else if (opt->collect) {
        rc = collect(opt, plan, data, owner, count);
    } else if (collect_scan(dir, plan, owner, count, NULL, &c) < 0) {
        fprintf(stderr, "runner: out of memory\n");
        rc = exit_code(ERROR_OUTPUT);
    } else {
        collect_status(stdout, dir, &c, count, plan->nruns);
    }
    collect_counts_free(&c);
    free(owner);
    free(load);
    return rc;
}

/* Opens the store (shared for a shard, which records its shard count), trains what is missing of this process's
 * runs, and (all runs but a shard) writes the tables and the report. Returns the exit code. */
static int train_and_report(const cli_options *opt, const sweep_plan *plan, const plandata *data)
{
    const config *cfg = plan->base;
    char err[1200];
    store res;
    int *owner = NULL, count = opt->shard.count;
    if (count && (!(owner = malloc((size_t)plan->nruns * sizeof *owner)) ||
                  shard_assign(plan, data, count, owner, NULL) < 0)) {
        fprintf(stderr, "runner: out of memory\n");
        free(owner);
        return exit_code(ERROR_OUTPUT);
    }
    timing_enter(TIMING_OPEN);
    error_class opened = store_open(&res, opt->results_root, cfg, data,
                                    (opt->force ? STORE_FORCE : 0) | (count ? STORE_SHARED : 0), err, sizeof err);
    if (opened == ERROR_NONE && count && collect_shards_record(res.dir, count, err, sizeof err) < 0) {
        store_close(&res);
        opened = ERROR_OUTPUT;
    }
    if (opened != ERROR_NONE) {
        fprintf(stderr, "%s\n", err);
        free(owner);
        return exit_code(opened);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = train_missing(opt, plan, &res, data, owner);
    timing_enter(TIMING_REPORT);
    /* the tables even when a signal stopped the sweep; a shard leaves them to --collect */
    if (!count && tables_write(res.dir, plan, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = rc ? rc : exit_code(ERROR_OUTPUT);
    }
    if (!count && (rc == 0 || rc == EXIT_ALL_DIVERGED) && !stop_signal &&
        write_report(opt, cfg, plan, res.dir) < 0 && !stop_signal)
        rc = exit_code(ERROR_OUTPUT);
    store_close(&res);
    free(owner);
    if (stop_signal && !rc) {
        fprintf(stderr, "%s: stopped by signal %d; committed runs are kept, run again to resume\n", cfg->name,
                (int)stop_signal);
        rc = 128 + (int)stop_signal;
    }
    return rc;
}

/* Trains the config's runs that are missing and writes the tables and the report, or surveys them (--dry-run,
 * --status, --collect). Returns the exit code. */
static int run_config(const cli_options *opt)
{
    config cfg;
    if (load_config(opt, &cfg) < 0)
        return exit_code(ERROR_USAGE);
    /* the cores Slurm gave this task, unless the config or --threads says */
    if (cfg.threads == 0 && shard_cpus() > 0)
        omp_set_num_threads(shard_cpus());

    char err[1200];
    sweep_plan plan;
    if (sweep_plan_init(&plan, &cfg, opt->max_runs, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(&cfg);
        return exit_code(ERROR_USAGE);
    }
    int reports = !opt->dry_run && !opt->status && !opt->shard.count;
    if (reports && gnuplot_init(&stop_signal, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(&cfg);
        return exit_code(ERROR_USAGE);
    }
    h5util_quiet();
    static plandata data;
    int rc = 0;
    timing_enter(TIMING_LOAD);
    error_class loaded = plandata_load(&data, &plan, err, sizeof err);
    timing_enter(TIMING_PROBE);
    for (int i = 0; loaded == ERROR_NONE && i < data.n && !opt->quiet; i++)
        if (data.sets[i].warning[0])
            fprintf(stderr, "warning: %s\n", data.sets[i].warning);
    if (loaded != ERROR_NONE) {
        fprintf(stderr, "%s\n", err);
        rc = exit_code(loaded);
    } else if (opt->dry_run || opt->status || opt->collect) {
        rc = survey(opt, &plan, &data);
    } else if (check_memory(opt, &plan, &data, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = exit_code(ERROR_USAGE);
    } else if (check_threads(opt, &plan) < 0) {
        rc = exit_code(ERROR_USAGE);
    } else if (timing_enter(TIMING_PLAN), prepare_folders(opt, &cfg) < 0) {
        rc = exit_code(ERROR_OUTPUT);
    } else {
        rc = train_and_report(opt, &plan, &data);
    }
    timing_enter(TIMING_EXIT);
    plandata_free(&data);
    config_free(&cfg);
    return rc;
}

/* How long a thread waiting at a barrier spins before it sleeps, unless the user set OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT. libgomp's default (300,000 spins, a few ms) collapses a 2-thread run when other processes
 * hold the cores: a waiter spins out the time slice the thread it waits for needs. Measured in make bench
 * ("Waiting for the other thread"); README, Performance, has the numbers. */
#define RUNNER_SPINCOUNT "10000"

/* libgomp reads its environment in a constructor, before main, so the runner's default takes one re-exec (a few
 * ms of loading the libraries again), only for a training that may use threads: not with --threads 1 or
 * OMP_NUM_THREADS=1, nor on one core, nor for --dry-run, --status and --collect, which train nothing. Without
 * /proc it keeps libgomp's default, and so it does when the dynamic loader was run as the program
 * (ld.so ./runner: AT_BASE is 0, and /proc/self/exe is the loader, which would take the options as its own). */
static void default_wait_policy(char **argv, const cli_options *opt)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || opt->threads == 1 || opt->dry_run ||
        opt->status || opt->collect || getauxval(AT_BASE) == 0 || omp_get_max_threads() < 2 ||
        sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return;
    if (setenv("GOMP_SPINCOUNT", RUNNER_SPINCOUNT, 1) == 0) {
        execv("/proc/self/exe", argv);
        unsetenv("GOMP_SPINCOUNT");
    }
}

int main(int argc, char **argv)
{
    open_std_fds();
    cli_options opt;
    int parsed = cli_parse(argc, argv, &opt);
    if (parsed < 0)
        return exit_code(ERROR_USAGE);
    if (parsed > 0)
        return close_stdout(0);
    if (opt.profile)
        timing_profile_begin(stderr);
    if (opt.list)
        return close_stdout(list(&opt));
    if (opt.ncompare)
        return close_stdout(compare(&opt));
    if (opt.verify)
        return close_stdout(verify(&opt));
    default_wait_policy(argv, &opt);
    /* a reader that went away (runner cfg 2>&1 | head -1) must not end the sweep: writes to it fail instead */
    signal(SIGPIPE, SIG_IGN);
    return close_stdout(run_config(&opt));
}
