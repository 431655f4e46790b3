/* runner: parse the arguments, read and validate the config, load the data, plan the runs, train the ones not
 * yet committed, write the summary. Only this file decides to exit. Exit codes: 0 success (diverged runs are
 * results), 2 usage or config error (threads that cannot be started too), 3 data error, 4 output error (or
 * damaged runs found by --verify, or standard output not written), 5 every run of the experiment diverged,
 * 130/143 stopped by SIGINT/SIGTERM. */
#include "buildinfo.h"
#include "catalog.h"
#include "config.h"
#include "cost.h"
#include "error.h"
#include "gnuplot.h"
#include "h5util.h"
#include "plandata.h"
#include "progress.h"
#include "report.h"
#include "sweep.h"
#include "schedule.h"
#include "store.h"
#include "tables.h"
#include "train.h"
#include "verify.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The exit codes; a class of failure becomes one in exit_code only. */
enum { EXIT_USAGE = 2, EXIT_DATA = 3, EXIT_OUTPUT = 4, EXIT_ALL_DIVERGED = 5 };
#define RUNNER_VERSION "0.1.0"

static volatile sig_atomic_t stop_signal;

/* The one place where a class of failure becomes an exit code. */
static int exit_code(error_class c)
{
    static const int codes[] = {[ERROR_NONE] = 0, [ERROR_USAGE] = EXIT_USAGE, [ERROR_DATA] = EXIT_DATA,
                                [ERROR_OUTPUT] = EXIT_OUTPUT};
    return codes[c];
}

static void on_signal(int sig) { stop_signal = sig; }

typedef struct options {
    const char *config, *results_root, *plots_root, *verify;
    const char *sets[64];
    const char *compare[8];     /* --compare NAME NAME...: the experiments */
    int nsets, threads, quiet, force, no_plots, list, ncompare;
    long max_runs;
    double max_memory;
} options;

static void usage(FILE *f)
{
    fprintf(f, "usage: runner [options] CONFIG\n"
               "  --help              this text and every config key with its default and range\n"
               "  --version           version, compiler and HDF5\n"
               "  --threads N         OpenMP threads per run (overrides experiment.threads; 0 = all;\n"
               "                      more than the cores available are capped)\n"
               "  --set S.KEY=VALUE   override a config key (repeatable); sweep.S.KEY=LIST replaces a sweep list\n"
               "  --quiet             print nothing but errors\n"
               "  --force             train every run again even if its results exist\n"
               "  --no-plots          write the plot scripts and report but do not render them\n"
               "  --results DIR       results root (default: results)\n"
               "  --plots DIR         plots root (default: plots, or DIR/plots with --results DIR)\n"
               "  --max-runs N        refuse sweeps with more runs (default: 10000)\n"
               "  --max-memory SIZE   refuse when the runs in memory at once would need more (e.g. 4G;\n"
               "                      default: the machine's physical memory)\n"
               "  --verify NAME       check every committed run of results/NAME and list the damaged ones\n"
               "  --list              list the experiments of the results root: runs, best point, date\n"
               "  --compare NAME...   compare the best points of 2 to 8 experiments: results/compare-NAMES.md\n"
               "exit status: 0 ok (diverged runs are results), 2 usage or config error (or threads that\n"
               "             cannot be started), 3 data error, 4 output error (or damaged runs found by\n"
               "             --verify, or standard output not written), 5 every run diverged,\n"
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

/* The value of --results, --plots or --verify (option ch), each naming a folder: an empty one would name none,
 * or with a '/' appended the root. 0, or -1 after printing why. */
static int folder_arg(int ch, const char *value, options *o)
{
    const char *option = ch == 'r' ? "--results" : ch == 'p' ? "--plots" : "--verify";
    if (!*value) {
        fprintf(stderr, "runner: %s: empty %s\n", option, ch == 'v' ? "experiment name" : "path (expected a folder)");
        return -1;
    }
    *(ch == 'r' ? &o->results_root : ch == 'p' ? &o->plots_root : &o->verify) = value;
    return 0;
}

/* --list, or --compare NAME with the other names left in argv from optind: neither takes a config, and they
 * exclude each other and --verify. 0, or -1 after printing why. */
static int catalog_args(int argc, char **argv, options *o)
{
    if ((o->list && o->compare[0]) || o->verify) {
        fprintf(stderr, "runner: %s: one of --list, --compare and --verify at a time\n", o->list ? "--list" : "--compare");
        return -1;
    }
    if (o->list && optind < argc) {
        fprintf(stderr, "runner: --list takes no config file ('%s' given)\n", argv[optind]);
        return -1;
    }
    o->ncompare = o->compare[0] ? 1 : 0;
    for (int i = optind; i < argc; i++) {
        if (o->ncompare == (int)(sizeof o->compare / sizeof o->compare[0])) {
            fprintf(stderr, "runner: --compare: more than %d experiments\n", o->ncompare);
            return -1;
        }
        o->compare[o->ncompare++] = argv[i];
    }
    return 0;
}

/* 0 to go on, 1 when --help or --version has answered, -1 after printing a usage error. */
static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},       {"version", no_argument, 0, 'V'},
        {"threads", required_argument, 0, 't'}, {"set", required_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},      {"force", no_argument, 0, 'f'},
        {"no-plots", no_argument, 0, 'P'},   {"results", required_argument, 0, 'r'},
        {"max-runs", required_argument, 0, 'm'}, {"max-memory", required_argument, 0, 'M'},
        {"verify", required_argument, 0, 'v'}, {"plots", required_argument, 0, 'p'},
        {"list", no_argument, 0, 'L'},       {"compare", required_argument, 0, 'C'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->results_root = "results";
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
            return 1;
        case 'V': {
            char h5[32];
            h5util_version(h5, sizeof h5);
            printf("runner %s (git %s), %s, flags %s, HDF5 %s, OpenMP %d\n", RUNNER_VERSION, BUILD_GIT_REV,
                   BUILD_COMPILER, BUILD_CFLAGS, h5, _OPENMP);
            return 1;
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
        case 'L': o->list = 1; break;
        case 'C': o->compare[0] = optarg; break;
        case 'r':
        case 'p':
        case 'v':
            if (folder_arg(ch, optarg, o) < 0)
                return -1;
            break;
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
        default:
            fprintf(stderr, "runner: unknown or incomplete option '%s' (see runner --help)\n", argv[optind - 1]);
            return -1;
        }
    }
    if (o->verify && optind == argc && !o->list && !o->compare[0])
        return 0;
    if (o->list || o->compare[0])
        return catalog_args(argc, argv, o);
    if (optind != argc - 1) {
        fprintf(stderr, "runner: %s (usage: runner [options] CONFIG; see runner --help)\n",
                optind >= argc ? "no config file given" : "more than one config file given");
        return -1;
    }
    o->config = argv[optind];
    return 0;
}

/* The plots folder of NAME (or the plots root, for NAME ""). 0, or -1 after printing why. */
static int plots_path(const options *opt, const char *name, char *out, size_t size)
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

/* Plots and report.md of the experiment in results_dir, then results/index.md. 0, or -1 after printing why.
 * Plots belong to their results root: --plots DIR, else plots/ beside the default results root and
 * DIR/plots for --results DIR, so that another results root never replaces them. */
static int write_report(const options *opt, const config *cfg, const sweep_plan *plan, const char *results_dir)
{
    char plots_dir[STORE_PATH], warning[300], err[1200];
    if (plots_path(opt, cfg->name, plots_dir, sizeof plots_dir) < 0)
        return -1;
    /* the index lists this report even when rendering failed; a stop signal says so itself */
    char ierr[1200];
    int wrote = report_write(cfg, plan, results_dir, plots_dir, !opt->no_plots, warning, sizeof warning, err, sizeof err);
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

/* A run in training: its job and id. The pool hands the flight back as the job's owner when it finishes. */
typedef struct flight {
    train_job job;
    char id[SWEEP_ID];
} flight;

/* Training the runs that are missing: what is to train, what is in flight, and what failed. */
typedef struct trainer {
    const sweep_plan *plan;
    store *res;
    const plandata *data;
    schedule_pool *pool;
    long *todo, ntodo, next, diverged;           /* todo: plan indices, largest run first */
    int parallel, threads, nair;
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
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        char why[600];
        int done = store_run_done(t->res, plan, r, why, sizeof why);
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

/* Starts runs until every worker has one or none is left; a run that cannot start sets t->failed. */
static void launch(trainer *t)
{
    char err[1200];
    while (t->nair < t->parallel && t->next < t->ntodo && !stop_signal && !t->failed) {
        flight *f = malloc(sizeof *f);
        config c;
        long long seed;
        char id[SWEEP_ID];
        sweep_run(t->plan, t->todo[t->next], &c, &seed, f ? f->id : id, sizeof id);
        const plandata_set *d = plandata_find(t->data, &c);
        int threads = c.threads ? cost_threads(c.threads) : t->threads;
        if (!f || train_prepare_init(&f->job, &c, seed, &d->train, &d->test, d->nclasses, threads,
                                     plandata_init_weights(t->data, &c), err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", f ? err : "runner: out of memory");
            free(f);
            t->failed = ERROR_DATA;
            break;
        }
        t->next++;
        f->job.stop = &stop_signal;
        t->nair++;
        progress_started(&t->pr, f->id, &f->job);
        schedule_submit(t->pool, &f->job, f);
    }
}

/* Writes a finished run (unless it was interrupted or an earlier write failed) and frees it. */
static void commit_run(trainer *t, flight *f)
{
    train_job *job = &f->job;
    char err[1200];
    /* a run that could not start (ERROR_DATA) does not stop this finished one from being written */
    if (job->status != TRAIN_INTERRUPTED && t->failed != ERROR_OUTPUT) {
        if (store_commit(t->res, f->id, job, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            t->failed = ERROR_OUTPUT;
        } else {
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
        progress_landed(&t->pr, &landed->job);
    }
}

/* Trains every run of the plan that is not committed yet (all of them with --force), several side by side,
 * largest first, and commits each as it finishes. Returns 0 or an exit code. */
static int train_missing(const options *opt, const sweep_plan *plan, store *res, const plandata *data)
{
    const config *base = plan->base;
    trainer t = {.plan = plan, .res = res, .data = data};
    if (plan_todo(&t, opt->force, opt->quiet) < 0) {
        if (!t.todo)
            fprintf(stderr, "runner: out of memory\n");
        free(t.todo);
        return exit_code(ERROR_OUTPUT);
    }
    char why[200];
    schedule_choose(plan, t.ntodo, cost_threads(0), &t.parallel, &t.threads, why, sizeof why);
    t.threads = cost_threads(t.threads);
    if (!opt->quiet)
        fprintf(stderr, "%s: %ld runs to train, %ld already done (skipped); %d side by side x %d threads each (%s)\n",
                base->name, t.ntodo, plan->nruns - t.ntodo, t.parallel, t.threads, why);
    t.pool = t.ntodo ? schedule_start(t.parallel) : NULL;
    if (t.ntodo && !t.pool) {
        fprintf(stderr, "runner: cannot start worker threads\n");
        free(t.todo);
        return exit_code(ERROR_USAGE);
    }
    train_todo(&t);
    schedule_stop(t.pool);
    progress_end(&t.pr, base->name, t.diverged, res->dir);
    int rc = exit_code(t.failed);
    if (!rc && !stop_signal && t.pr.done == plan->nruns && t.diverged == t.pr.done) {
        fprintf(stderr, "%s: every run diverged (results are kept; try a smaller train.learning_rate)\n",
                base->name);
        rc = EXIT_ALL_DIVERGED;
    }
    free(t.todo);
    return rc;
}

/* --verify NAME: lists the missing and damaged runs of results/NAME. Returns the exit code. */
static int verify(const options *opt)
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
static int list(const options *opt)
{
    char err[1200];
    error_class c = catalog_list(opt->results_root, stdout, err, sizeof err);
    if (c != ERROR_NONE)
        fprintf(stderr, "%s\n", err);
    return exit_code(c);
}

/* --compare: the table and the plot of the experiments' best points. Returns the exit code. */
static int compare(const options *opt)
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
static int load_config(const options *opt, config *cfg)
{
    config_errors errs = {0};
    config_defaults(cfg);
    config_load(cfg, opt->config, &errs);
    for (int i = 0; i < opt->nsets; i++)
        config_override(cfg, opt->sets[i], &errs);
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
static int check_memory(const options *opt, const sweep_plan *plan, const plandata *data, char *err, size_t len)
{
    int parallel, threads;
    char why[200];
    schedule_choose(plan, plan->nruns, cost_threads(0), &parallel, &threads, why, sizeof why);
    return cost_check_memory(plan, data, parallel, opt->max_memory, err, len);
}

/* Says (unless quiet) when runs ask for more threads than the cores available, which caps them, and proves that
 * the most threads the sweep will have alive at once can be created: the runs side by side, each with its
 * threads. 0, or -1 after printing why: before anything is written, not as libgomp's abort mid-sweep. */
static int check_threads(const options *opt, const sweep_plan *plan)
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

/* Trains the config's runs that are missing and writes the tables and the report. Returns the exit code. */
static int run_config(const options *opt)
{
    config cfg;
    if (load_config(opt, &cfg) < 0)
        return exit_code(ERROR_USAGE);

    char err[1200];
    sweep_plan plan;
    if (sweep_plan_init(&plan, &cfg, opt->max_runs, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(&cfg);
        return exit_code(ERROR_USAGE);
    }

    if (gnuplot_init(&stop_signal, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(&cfg);
        return exit_code(ERROR_USAGE);
    }
    h5util_quiet();
    static plandata data;
    int rc = 0;
    store res;
    if (plandata_load(&data, &plan, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = exit_code(ERROR_DATA);
        goto done;
    }
    for (int i = 0; i < data.n && !opt->quiet; i++)
        if (data.sets[i].warning[0])
            fprintf(stderr, "warning: %s\n", data.sets[i].warning);
    if (check_memory(opt, &plan, &data, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = exit_code(ERROR_USAGE);
        goto done;
    }
    if (check_threads(opt, &plan) < 0) {
        rc = exit_code(ERROR_USAGE);
        goto done;
    }
    error_class opened = store_open(&res, opt->results_root, &cfg, &data, opt->force, err, sizeof err);
    if (opened != ERROR_NONE) {
        fprintf(stderr, "%s\n", err);
        rc = exit_code(opened);
        goto done;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = train_missing(opt, &plan, &res, &data);
    /* the planned runs beside the tables, for --list, even when a signal stopped the sweep */
    if (tables_write(res.dir, &plan, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = rc ? rc : exit_code(ERROR_OUTPUT);
    }
    if ((rc == 0 || rc == EXIT_ALL_DIVERGED) && !stop_signal && write_report(opt, &cfg, &plan, res.dir) < 0 &&
        !stop_signal)
        rc = exit_code(ERROR_OUTPUT);
    store_close(&res);
    if (stop_signal && !rc) {
        fprintf(stderr, "%s: stopped by signal %d; committed runs are kept, run again to resume\n", cfg.name,
                (int)stop_signal);
        rc = 128 + (int)stop_signal;
    }
done:
    plandata_free(&data);
    config_free(&cfg);
    return rc;
}

/* How long a thread waiting at a barrier spins before it sleeps, unless the user set OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT. libgomp's default (300,000 spins, a few ms) collapses a 2-thread run when other processes
 * hold the cores: a waiter spins out the time slice the thread it waits for needs. Measured in make bench
 * ("Waiting for the other thread"); README, Performance, has the numbers. */
#define RUNNER_SPINCOUNT "300"

/* libgomp reads its environment in a constructor, before main, so the runner's default takes one re-exec (a few
 * ms of loading the libraries again), only for a training that may use threads: not with --threads 1 or
 * OMP_NUM_THREADS=1, nor on one core. Without /proc it keeps libgomp's default. */
static void default_wait_policy(char **argv, int threads)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || threads == 1 || omp_get_max_threads() < 2 ||
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
    options opt;
    int parsed = parse_args(argc, argv, &opt);
    if (parsed < 0)
        return exit_code(ERROR_USAGE);
    if (parsed > 0)
        return close_stdout(0);
    if (opt.list)
        return close_stdout(list(&opt));
    if (opt.ncompare)
        return close_stdout(compare(&opt));
    if (opt.verify)
        return close_stdout(verify(&opt));
    default_wait_policy(argv, opt.threads);
    /* a reader that went away (runner cfg 2>&1 | head -1) must not end the sweep: writes to it fail instead */
    signal(SIGPIPE, SIG_IGN);
    return close_stdout(run_config(&opt));
}
