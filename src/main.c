/* runner: parse the arguments, read and validate the config, load the data, plan the runs, train the ones not
 * yet committed, write the summary. Only this file decides to exit. Exit codes: 0 success (diverged runs are
 * results), 2 usage or config error, 3 data error, 4 output error (or damaged runs found by --verify),
 * 5 every run of the experiment diverged, 130/143 stopped by SIGINT/SIGTERM. */
#include "buildinfo.h"
#include "config.h"
#include "dataset.h"
#include "h5util.h"
#include "report.h"
#include "results.h"
#include "sweep.h"
#include "schedule.h"
#include "train.h"
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_USAGE = 2, EXIT_DATA = 3, EXIT_OUTPUT = 4, EXIT_ALL_DIVERGED = 5 };
#define RUNNER_VERSION "0.1.0"
#define MAX_DATA_VARIANTS 64

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

typedef struct options {
    const char *config, *results_root, *plots_root, *verify;
    const char *sets[64];
    int nsets, threads, quiet, force, no_plots;
    long max_runs;
    double max_memory;
} options;

static void usage(FILE *f)
{
    fprintf(f, "usage: runner [options] CONFIG\n"
               "  --help              this text and every config key with its default and range\n"
               "  --version           version, compiler and HDF5\n"
               "  --threads N         OpenMP threads per run (overrides experiment.threads; 0 = all)\n"
               "  --set S.KEY=VALUE   override a config key (repeatable); sweep.S.KEY=LIST replaces a sweep list\n"
               "  --quiet             print nothing but errors\n"
               "  --force             train every run again even if its results exist\n"
               "  --no-plots          write the plot scripts and report but do not render them\n"
               "  --results DIR       results root (default: results)\n"
               "  --plots DIR         plots root (default: plots)\n"
               "  --max-runs N        refuse sweeps with more runs (default: 10000)\n"
               "  --max-memory SIZE   refuse when the runs in memory at once would need more (e.g. 4G;\n"
               "                      default: the machine's physical memory)\n"
               "  --verify NAME       check every committed run of results/NAME and list the damaged ones\n"
               "exit status: 0 ok (diverged runs are results), 2 usage or config error, 3 data error,\n"
               "             4 output error (or damaged runs found by --verify), 5 every run diverged,\n"
               "             130/143 stopped by SIGINT/SIGTERM\n");
}

/* Whole-text non-negative integer option. */
static int parse_count(const char *s, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "4G", "512M", "100000K" or plain bytes, > 0. */
static int parse_size(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double unit = *end == 'K' ? 1024.0 : *end == 'M' ? 1048576.0 : *end == 'G' ? 1073741824.0 : *end == 'T' ? 1099511627776.0 : 1;
    if (unit > 1)
        end++;
    if (end == s || *end || errno || !(v > 0) || !isfinite(v))
        return -1;
    *out = v * unit;
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},       {"version", no_argument, 0, 'V'},
        {"threads", required_argument, 0, 't'}, {"set", required_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},      {"force", no_argument, 0, 'f'},
        {"no-plots", no_argument, 0, 'P'},   {"results", required_argument, 0, 'r'},
        {"max-runs", required_argument, 0, 'm'}, {"max-memory", required_argument, 0, 'M'},
        {"verify", required_argument, 0, 'v'}, {"plots", required_argument, 0, 'p'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->results_root = "results";
    o->plots_root = "plots";
    o->threads = -1;
    o->max_runs = 10000;
    opterr = 0;
    int ch;
    long v;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            usage(stdout);
            printf("\nconfig keys (INI sections, key = default, then the allowed values):\n");
            config_help(stdout);
            exit(0);
        case 'V': {
            char h5[32];
            h5util_version(h5, sizeof h5);
            printf("runner %s (git %s), %s, flags %s, HDF5 %s, OpenMP %d\n", RUNNER_VERSION, BUILD_GIT_REV,
                   BUILD_COMPILER, BUILD_CFLAGS, h5, _OPENMP);
            exit(0);
        }
        case 't':
            if (parse_count(optarg, 1024, &v) < 0) {
                fprintf(stderr, "runner: --threads %s: expected an integer from 0 to 1024\n", optarg);
                return -1;
            }
            o->threads = (int)v;
            break;
        case 's':
            if (o->nsets == 64) {
                fprintf(stderr, "runner: too many --set options (at most 64)\n");
                return -1;
            }
            o->sets[o->nsets++] = optarg;
            break;
        case 'q': o->quiet = 1; break;
        case 'f': o->force = 1; break;
        case 'P': o->no_plots = 1; break;
        case 'r': o->results_root = optarg; break;
        case 'p': o->plots_root = optarg; break;
        case 'm':
            if (parse_count(optarg, 100000000, &v) < 0 || v < 1) {
                fprintf(stderr, "runner: --max-runs %s: expected an integer from 1 to 100000000\n", optarg);
                return -1;
            }
            o->max_runs = v;
            break;
        case 'M':
            if (parse_size(optarg, &o->max_memory) < 0) {
                fprintf(stderr, "runner: --max-memory %s: expected a size such as 512M or 4G\n", optarg);
                return -1;
            }
            break;
        case 'v': o->verify = optarg; break;
        default:
            fprintf(stderr, "runner: unknown or incomplete option '%s' (see runner --help)\n", argv[optind - 1]);
            return -1;
        }
    }
    if (o->verify && optind == argc)
        return 0;
    if (optind != argc - 1) {
        fprintf(stderr, "runner: %s (usage: runner [options] CONFIG; see runner --help)\n",
                optind >= argc ? "no config file given" : "more than one config file given");
        return -1;
    }
    o->config = argv[optind];
    return 0;
}

/* Train and test sets for each distinct [data] section among the runs (a sweep may vary data.scale). */
typedef struct data_variant {
    char key[4 * CONFIG_PATH + 128];
    dataset train, test;
    int nclasses;
} data_variant;

static void data_key(const config *c, char *key, size_t len)
{
    snprintf(key, len, "%s|%s|%s|%s|%.17g|%lld|%.17g", c->file, c->features, c->labels, c->test_file,
             c->test_fraction, c->split_seed, c->scale);
}

static data_variant *find_data(data_variant *v, int n, const config *c)
{
    char key[sizeof v->key];
    data_key(c, key, sizeof key);
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].key, key))
            return &v[i];
    return NULL;
}

/* Loads every data variant the plan needs and checks every init_file, before anything is written. */
static int load_data(const sweep_plan *plan, data_variant *v, int *nv, char *err, size_t len)
{
    config c;
    long long seed;
    char id[SWEEP_ID];
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        if (find_data(v, *nv, &c))
            continue;
        if (*nv == MAX_DATA_VARIANTS) {
            snprintf(err, len, "%s: the sweep needs more than %d different data sets", plan->base->path,
                     MAX_DATA_VARIANTS);
            return -1;
        }
        data_variant *d = &v[*nv];
        data_key(&c, d->key, sizeof d->key);
        if (dataset_open_config(&c, &d->train, &d->test, &d->nclasses, err, len) < 0)
            return -1;
        (*nv)++;
    }
    /* checkpoints to start from must fit their models before anything is written */
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        data_variant *d = find_data(v, *nv, &c);
        if (train_check(&c, &d->train, d->nclasses, err, len) < 0)
            return -1;
    }
    return 0;
}

/* Refuses a plan whose data and largest runs, as many as may train at once, would not fit in memory. */
static int check_memory(const options *opt, const sweep_plan *plan, data_variant *data, int ndata, char *err,
                        size_t len)
{
    double limit = opt->max_memory, biggest = 0, bytes = 0;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (limit == 0)
        limit = pages > 0 && page > 0 ? (double)pages * (double)page : 1e18;
    for (int i = 0; i < ndata; i++)
        bytes += 4.0 * ((double)data[i].train.rows + data[i].test.rows) * (data[i].train.cols + 1);
    config c;
    long long seed;
    char id[SWEEP_ID];
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        data_variant *d = find_data(data, ndata, &c);
        double m = train_memory(&c, d->train.cols, d->nclasses, d->train.rows);
        biggest = m > biggest ? m : biggest;
    }
    int parallel, threads;
    char why[200];
    schedule_choose(plan->base, plan->nruns, omp_get_max_threads(), &parallel, &threads, why, sizeof why);
    /* while a finished run is written, the next one has started: one more in memory when more are to come */
    parallel += plan->nruns > parallel;
    bytes += parallel * biggest;
    if (bytes > limit) {
        snprintf(err, len, "%s: the runs would need %.2f GiB of memory (%d at once, the largest %.2f GiB), more than "
                 "the %.2f GiB allowed (shrink model.hidden or train.batch_size, or raise --max-memory)",
                 plan->base->path, bytes / 1073741824.0, parallel, biggest / 1073741824.0, limit / 1073741824.0);
        return -1;
    }
    return 0;
}

/* Plots and report.md of the experiment in results_dir, then results/index.md. 0, or -1 after printing why. */
static int write_report(const options *opt, const config *cfg, const sweep_plan *plan, const char *results_dir)
{
    char plots_dir[RESULTS_PATH], warning[300], err[1200];
    int n = snprintf(plots_dir, sizeof plots_dir, "%s/%s", opt->plots_root, cfg->name);
    if (n < 0 || (size_t)n >= sizeof plots_dir) {
        fprintf(stderr, "%s/%s: path too long\n", opt->plots_root, cfg->name);
        return -1;
    }
    if (report_write(cfg, plan, results_dir, plots_dir, !opt->no_plots, warning, sizeof warning, err, sizeof err) < 0 ||
        report_index(opt->results_root, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (*warning)
        fprintf(stderr, "%s: %s\n", cfg->name, warning);
    else if (!opt->quiet)
        fprintf(stderr, "%s: report in %s/report.md, plots in %s/\n", cfg->name, results_dir, plots_dir);
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A job in flight with what the main thread needs to commit and show it. */
typedef struct flight {
    train_job job;
    char id[SWEEP_ID];
    long index;
} flight;

typedef struct progress {
    int tty, quiet;
    long total, done;
    double start, epochs_total, epochs_done;
} progress;

/* The updating terminal line: runs done/total, the run in flight, its epoch, elapsed and ETA. */
static void progress_line(const progress *pr, flight **air, int nair)
{
    if (!pr->tty || pr->quiet)
        return;
    double epochs = pr->epochs_done;
    for (int i = 0; i < nair; i++)
        epochs += air[i]->job.progress_epoch;
    double elapsed = now() - pr->start, eta = epochs > 0 ? elapsed * (pr->epochs_total - epochs) / epochs : 0;
    if (nair) {
        /* the worker writes a curve row before it publishes progress_eval, so that row is complete */
        const train_job *j = &air[0]->job;
        fprintf(stderr, "\r\033[K[%ld/%ld] %s epoch %d/%lld train loss %.4f  elapsed %.0fs  ETA %.0fs", pr->done,
                pr->total, air[0]->id, j->progress_epoch, j->cfg.epochs, j->curve[j->progress_eval].train_loss,
                elapsed, eta);
    }
    fflush(stderr);
}

/* One line per finished run when not on a terminal; on a terminal only diverged runs keep a line. */
static void progress_run(const progress *pr, const flight *f)
{
    const train_job *job = &f->job;
    const train_epoch *e = &job->curve[job->epochs_done];
    if (pr->quiet || (pr->tty && job->status != TRAIN_DIVERGED))
        return;
    if (pr->tty)
        fprintf(stderr, "\r\033[K");
    if (job->status == TRAIN_DIVERGED)
        fprintf(stderr, "[%ld/%ld] %s: DIVERGED at epoch %d (last finite epoch %d: test_acc %.4f)\n", pr->done,
                pr->total, f->id, job->diverged_epoch, job->epochs_done, e->test_acc);
    else
        fprintf(stderr, "[%ld/%ld] %s: ok, test_acc %.4f, test_loss %.4f, %d epochs in %.2f s\n", pr->done,
                pr->total, f->id, e->test_acc, e->test_loss, job->epochs_done, job->train_seconds);
}

/* Writes a finished run (unless it was interrupted or an earlier write failed: *rc) and frees it. */
static void commit_run(results *res, flight *f, progress *pr, long *diverged, int *rc)
{
    train_job *job = &f->job;
    char err[1200];
    /* a run that could not start (*rc = EXIT_DATA) does not stop this finished one from being written */
    if (job->status != TRAIN_INTERRUPTED && *rc != EXIT_OUTPUT) {
        if (results_commit(res, f->id, job, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            *rc = EXIT_OUTPUT;
        } else {
            pr->done++;
            pr->epochs_done += (double)job->cfg.epochs;
            *diverged += job->status == TRAIN_DIVERGED;
            progress_run(pr, f);
        }
    }
    train_free(job);
    free(f);
}

/* A run's training work (multiply-adds of forward passes over all its epochs), to order runs largest first. */
typedef struct run_cost {
    long index;
    double work;
} run_cost;

static int by_work_desc(const void *a, const void *b)
{
    const run_cost *x = a, *y = b;
    if (x->work != y->work)
        return x->work < y->work ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index); /* plan order among equals */
}

/* Orders todo (plan indices) largest run first, so that the sweep does not end with one big run on one core
 * while the others idle (longest processing time first). */
static void order_largest_first(const sweep_plan *plan, data_variant *data, int ndata, long *todo, long ntodo)
{
    run_cost *rc = malloc((size_t)ntodo * sizeof *rc);
    if (!rc)
        return; /* plan order is correct too, only slower */
    for (long i = 0; i < ntodo; i++) {
        config c;
        long long seed;
        char id[SWEEP_ID];
        sweep_run(plan, todo[i], &c, &seed, id, sizeof id);
        const data_variant *d = find_data(data, ndata, &c);
        double units = 0, prev = d->train.cols;
        for (int k = 0; k < c.nhidden; k++) {
            units += prev * c.hidden[k];
            prev = c.hidden[k];
        }
        units += prev * d->nclasses;
        rc[i] = (run_cost){todo[i], units * (double)d->train.rows * (double)c.epochs};
    }
    qsort(rc, (size_t)ntodo, sizeof *rc, by_work_desc);
    for (long i = 0; i < ntodo; i++)
        todo[i] = rc[i].index;
    free(rc);
}

/* Trains every run of the plan that is not committed yet (all of them with --force), several side by side,
 * largest first, and commits each as it finishes. Returns 0 or an exit code. */
static int train_missing(const options *opt, const sweep_plan *plan, results *res, data_variant *data, int ndata)
{
    const config *base = plan->base;
    long *todo = malloc((size_t)plan->nruns * sizeof *todo), ntodo = 0;
    if (!todo) {
        fprintf(stderr, "runner: out of memory\n");
        return EXIT_OUTPUT;
    }
    progress pr = {.tty = isatty(2), .quiet = opt->quiet, .start = now()};
    config c;
    long long seed;
    char id[SWEEP_ID], why[200], err[1200];
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        if (opt->force || !results_run_done(res, id)) {
            todo[ntodo++] = r;
            pr.epochs_total += (double)c.epochs;
        }
    }
    pr.total = ntodo;
    order_largest_first(plan, data, ndata, todo, ntodo);
    int parallel, threads;
    schedule_choose(base, ntodo, omp_get_max_threads(), &parallel, &threads, why, sizeof why);
    if (!opt->quiet)
        fprintf(stderr, "%s: %ld runs to train, %ld already done (skipped); %d side by side x %d threads each (%s)\n",
                base->name, ntodo, plan->nruns - ntodo, parallel, threads, why);
    schedule_pool *pool = ntodo ? schedule_start(parallel) : NULL;
    if (ntodo && !pool) {
        fprintf(stderr, "runner: cannot start worker threads\n");
        free(todo);
        return EXIT_OUTPUT;
    }
    flight *air[256], *landed = NULL;
    int nair = 0, rc = 0;
    long next = 0, diverged = 0;
    for (;;) {
        /* the next run starts before the one that finished is written, so no core waits on its disk writes */
        while (nair < parallel && next < ntodo && !stop_signal && !rc) {
            flight *f = malloc(sizeof *f);
            sweep_run(plan, todo[next], &c, &seed, f ? f->id : id, sizeof id);
            data_variant *d = find_data(data, ndata, &c);
            int t = c.threads ? c.threads : threads;
            if (!f || train_prepare(&f->job, &c, seed, &d->train, &d->test, d->nclasses, t, err, sizeof err) < 0) {
                fprintf(stderr, "%s\n", f ? err : "runner: out of memory");
                free(f);
                rc = EXIT_DATA;
                break;
            }
            f->index = todo[next++];
            f->job.stop = &stop_signal;
            air[nair++] = f;
            schedule_submit(pool, &f->job);
        }
        if (landed) {
            commit_run(res, landed, &pr, &diverged, &rc);
            landed = NULL;
            progress_line(&pr, air, nair);
        }
        if (!nair)
            break;
        train_job *job = schedule_wait(pool, 0.25);
        if (!job) {
            progress_line(&pr, air, nair);
            continue;
        }
        landed = (flight *)job; /* job is the first member */
        for (int i = 0; i < nair; i++)
            if (air[i] == landed)
                air[i] = air[--nair];
    }
    schedule_stop(pool);
    if (pr.tty && !opt->quiet)
        fprintf(stderr, "\r\033[K");
    if (!opt->quiet)
        fprintf(stderr, "%s: %ld runs trained (%ld diverged) in %.1f s; results in %s\n", base->name, pr.done,
                diverged, now() - pr.start, res->dir);
    if (!rc && !stop_signal && pr.done == plan->nruns && diverged == pr.done) {
        fprintf(stderr, "%s: every run diverged (results are kept; try a smaller train.learning_rate)\n",
                base->name);
        rc = EXIT_ALL_DIVERGED;
    }
    free(todo);
    return rc;
}

int main(int argc, char **argv)
{
    options opt;
    if (parse_args(argc, argv, &opt) < 0)
        return EXIT_USAGE;

    if (opt.verify) {
        char report[65536];
        int damaged;
        h5util_quiet();
        if (results_verify(opt.results_root, opt.verify, report, sizeof report, &damaged) < 0) {
            fprintf(stderr, "%s\n", report);
            return EXIT_OUTPUT;
        }
        fputs(report, damaged ? stderr : stdout);
        return damaged ? EXIT_OUTPUT : 0;
    }

    config cfg;
    config_errors errs = {0};
    config_defaults(&cfg);
    config_load(&cfg, opt.config, &errs);
    for (int i = 0; i < opt.nsets; i++)
        config_override(&cfg, opt.sets[i], &errs);
    if (opt.threads >= 0)
        cfg.threads = opt.threads;
    if (errs.n) {
        fputs(errs.text, stderr);
        if (errs.n > 50)
            fprintf(stderr, "%s: ... and %d more errors\n", opt.config, errs.n - 50);
        config_errors_free(&errs);
        config_free(&cfg);
        return EXIT_USAGE;
    }

    char err[1200];
    sweep_plan plan;
    if (sweep_plan_init(&plan, &cfg, opt.max_runs, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(&cfg);
        return EXIT_USAGE;
    }

    h5util_quiet();
    static data_variant data[MAX_DATA_VARIANTS];
    int ndata = 0, rc = 0;
    results res;
    if (load_data(&plan, data, &ndata, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = EXIT_DATA;
        goto done;
    }
    if (check_memory(&opt, &plan, data, ndata, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = EXIT_USAGE;
        goto done;
    }
    if (results_open(&res, opt.results_root, &cfg, opt.force, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        /* a refused identity is the user's choice to make, not a broken disk */
        rc = strstr(err, "different configuration") || strstr(err, "another runner") ? EXIT_USAGE : EXIT_OUTPUT;
        goto done;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = train_missing(&opt, &plan, &res, data, ndata);
    if (results_tables(&res, &plan, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = rc ? rc : EXIT_OUTPUT;
    }
    if ((rc == 0 || rc == EXIT_ALL_DIVERGED) && !stop_signal && write_report(&opt, &cfg, &plan, res.dir) < 0)
        rc = EXIT_OUTPUT;
    results_close(&res);
    if (stop_signal && !rc) {
        fprintf(stderr, "%s: stopped by signal %d; committed runs are kept, run again to resume\n", cfg.name,
                (int)stop_signal);
        rc = 128 + (int)stop_signal;
    }
done:
    for (int i = 0; i < ndata; i++) {
        dataset_free(&data[i].train);
        dataset_free(&data[i].test);
    }
    config_free(&cfg);
    return rc;
}
