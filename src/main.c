/* runner: with the options cli.c parsed, read and validate the config, load the data, plan the runs, train the
 * ones not yet committed (all of them, or one shard's), write the summary. Only this file decides to exit. Exit
 * codes: 0 success (diverged runs are results), 2 usage or config error (threads that cannot be started too), 3
 * data error, 4 output error (or damaged runs found by --verify, or standard output not written), 5 every run of
 * the experiment diverged, 6 --collect found runs missing or damaged, 130/143 stopped by SIGINT/SIGTERM. */
#include "catalog.h"
#include "appendf.h"
#include "cli.h"
#include "config.h"
#include "cost.h"
#include "collect.h"
#include "error.h"
#include "fileio.h"
#include "gnuplot.h"
#include "h5util.h"
#include "identity.h"
#include "plandata.h"
#include "plural.h"
#include "report.h"
#include "sweep.h"
#include "schedule.h"
#include "shard.h"
#include "store.h"
#include "tables.h"
#include "timing.h"
#include "trainer.h"
#include "tsv.h"
#include "verify.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <omp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
    for (int i = 0; i < 2; i++)
        if (!fileio_dirs_possible(dirs[i], err, sizeof err)) { /* neither is made when the other cannot be */
            fprintf(stderr, "%s\n", err);
            return -1;
        }
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
    char plots_dir[STORE_PATH], warning[STORE_PATH + 200], err[1200];
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

/* EXIT_ALL_DIVERGED, with its line, when the summary.tsv just written in experiment folder dir lists every run of
 * the plan and every one diverged (trained now or before: a rerun says the same); else rc. */
static int all_diverged(const sweep_plan *plan, const char *dir, int rc)
{
    char path[STORE_PATH + 32], why[300];
    tsv t;
    snprintf(path, sizeof path, "%s/summary.tsv", dir);
    if (rc || stop_signal || tsv_load(&t, path, why, sizeof why) < 0)
        return rc;
    int col = tsv_col(&t, "status", why, sizeof why), all = col >= 0 && t.nrows == plan->nruns && t.nrows > 0;
    for (int r = 0; all && r < t.nrows; r++)
        all = !strcmp(tsv_cell(&t, r, col), "diverged");
    tsv_free(&t);
    if (!all)
        return rc;
    fprintf(stderr, "%s: every run diverged (results are kept; try a smaller train.learning_rate)\n", plan->base->name);
    return EXIT_ALL_DIVERGED;
}

/* Says that experiment folder dir does not exist (for --verify, --status, --collect). Returns the exit code. */
static int no_such_experiment(const char *dir)
{
    fprintf(stderr, "%s: no such experiment (no runner has opened it; train it first)\n", dir);
    return exit_code(ERROR_USAGE);
}

/* --verify NAME: lists the missing and damaged runs of results/NAME. Returns the exit code. */
static int verify(const cli_options *opt)
{
    char err[1200], dir[STORE_PATH];
    long bad;
    h5util_quiet();
    snprintf(dir, sizeof dir, "%s/%s", opt->results_root, opt->verify);
    if (access(dir, F_OK) != 0 && errno == ENOENT) { /* a folder without its plan is a damaged experiment: exit 4 */
        /* a path to an experiment's folder, where its name belongs: say how to name it (trailing slashes aside) */
        char path[STORE_PATH], own[STORE_PATH + 32];
        snprintf(path, sizeof path, "%s", opt->verify);
        for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
            path[n - 1] = 0;
        const char *slash = strrchr(path, '/');
        snprintf(own, sizeof own, "%s/experiment.ini", path);
        if (slash && slash[1] && access(own, F_OK) == 0) {
            fprintf(stderr, "runner: --verify takes an experiment's name: for %s, run --results %.*s --verify %s\n",
                    opt->verify, slash == path ? 1 : (int)(slash - path), path, slash + 1);
            return exit_code(ERROR_USAGE);
        }
        size_t n = strlen(path);
        if (n > 4 && !strcmp(path + n - 4, ".ini") && access(path, F_OK) == 0) { /* a config, where a name belongs */
            fprintf(stderr, "runner: --verify takes an experiment's name (results/NAME), not a config: %s is one; "
                    "its experiment is named by experiment.name, else by the file's name (runner --list shows the "
                    "names)\n", opt->verify);
            return exit_code(ERROR_USAGE);
        }
        return no_such_experiment(dir);
    }
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

/* The key of a --set S.KEY=VALUE, blanks trimmed: its length, and its start in *key (0 without '='). */
static int set_key(const char *set, const char **key)
{
    const char *eq = strchr(set, '=');
    while (*set == ' ' || *set == '\t')
        set++;
    *key = set;
    if (!eq)
        return 0;
    while (eq > set && (eq[-1] == ' ' || eq[-1] == '\t'))
        eq--;
    return (int)(eq - set);
}

/* The config file with the --set and --threads overrides. 0, or -1 after printing every error. */
static int load_config(const cli_options *opt, config *cfg)
{
    config_errors errs = {0};
    config_defaults(cfg);
    config_load(cfg, opt->config, &errs);
    char shadowed[1024] = ""; /* warnings: one value, then a list for the same key (the other order is an error) */
    size_t used = 0;
    for (int i = 0; i < opt->nsets; i++) {
        const char *key, *other;
        int n = set_key(opt->sets[i], &key), last = n > 6 && !strncmp(key, "sweep.", 6);
        for (int k = i + 1; k < opt->nsets && last; k++) /* the list that stands: the last for its key */
            last = !(set_key(opt->sets[k], &other) == n && !strncmp(other, key, (size_t)n));
        for (int j = 0; j < i && last; j++)
            if (set_key(opt->sets[j], &other) == n - 6 && !strncmp(other, key + 6, (size_t)n - 6)) {
                used = appendf(shadowed, sizeof shadowed, used, "runner: --set %.*s: warning: also swept by a later "
                               "--set %.*s, whose values replace this one\n", n - 6, key + 6, n, key);
                break; /* once per key */
            }
        config_override(cfg, opt->sets[i], &errs);
    }
    if (!errs.n)
        config_check_report(cfg, &errs);
    if (opt->threads >= 0) {
        int k = config_find("experiment.threads");
        for (int i = 0; i < cfg->nsweep; i++)
            if (cfg->sweep[i].key == k) { /* as --set refuses a single value for a swept key */
                char origin[CONFIG_PATH + 64];
                config_sweep_origin(cfg, k, origin, sizeof origin);
                config_error(&errs, "runner: --threads %d: experiment.threads is swept (%s), so one thread count "
                             "would change nothing (use --set sweep.experiment.threads=LIST to replace its list)",
                             opt->threads, strncmp(origin, "runner: ", 8) ? origin : origin + 8);
            }
        cfg->threads = opt->threads;
    }
    if (!errs.n) {
        fputs(shadowed, stderr);
        config_shadowed(cfg, &errs);
        if (errs.n)
            fputs(errs.text, stderr);
        config_errors_free(&errs);
        return 0;
    }
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
    schedule_choose(plan, data, plan->nruns, cost_threads(0), &parallel, &threads, why, sizeof why);
    /* fused groups hold their runs in memory together, and a landed group waits to be written (trainer.c) */
    int group = schedule_fuse_all(plan, data, parallel, threads, opt->no_fuse);
    return cost_check_memory(plan, data, parallel * group, group, opt->max_memory, err, len);
}

/* Says (unless quiet) when runs ask for more threads than the cores available, which caps them, and proves that
 * the most threads the sweep will have alive at once can be created: the runs side by side, each with its
 * threads. 0, or -1 after printing why: before anything is written, not as libgomp's abort mid-sweep. */
static int check_threads(const cli_options *opt, const sweep_plan *plan, const plandata *data)
{
    int asked = 0, most = 0, parallel, threads;
    config c;
    long long seed;
    char id[SWEEP_ID], why[200], err[300];
    schedule_choose(plan, data, plan->nruns, cost_threads(0), &parallel, &threads, why, sizeof why);
    for (long r = 0; r < plan->nruns; r++) {
        sweep_run(plan, r, &c, &seed, id, sizeof id);
        int want = c.threads ? c.threads : omp_get_max_threads();
        int get = c.threads ? cost_threads(c.threads) : cost_threads(threads);
        asked = want > asked ? want : asked;
        most = get > most ? get : most;
    }
    if (cost_threads(asked) < asked && !opt->quiet)
        fprintf(stderr, "%s: %d threads per run requested, capped at the %d core%s available\n", plan->base->name,
                asked, cost_threads(asked), plural(cost_threads(asked)));
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
    error_class opened = store_open(&res, opt->results_root, cfg, data, STORE_COLLECT, err, sizeof err);
    if (opened != ERROR_NONE) {
        fprintf(stderr, "%s\n", err);
        return exit_code(opened);
    }
    verify_counts c;
    int rc = 0;
    /* a SIGINT or SIGTERM while gnuplot renders kills it (gnuplot_run watches the flag) and ends with its code */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    store_forget_done_checkpoints(&res, plan); /* those a shard killed after its commit left */
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
    } else if ((rc = all_diverged(plan, res.dir, 0)) == 0 && !opt->quiet) {
        fprintf(stderr, "%s: %s%ld run%s committed; tables in %s\n", cfg->name, plan->nruns == 1 ? "" : "all ",
                plan->nruns, plural(plan->nruns), res.dir);
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
    char err[1200];
    error_class opened;
    double *load = malloc((size_t)count * sizeof *load);
    verify_counts c = {0};
    if (!owner || !load || shard_assign(plan, data, count, owner, load) < 0) {
        fprintf(stderr, "runner: out of memory\n");
        rc = exit_code(ERROR_OUTPUT);
    } else if (opt->dry_run) {
        collect_dry_run(stdout, plan, data, owner, load, count, opt->shard.count ? &opt->shard : NULL);
    } else if (!identity_exists(dir)) {
        rc = no_such_experiment(dir);
    } else if (opt->collect) {
        rc = collect(opt, plan, data, owner, count);
    } else if ((opened = identity_open(dir, plan->base, data, IDENTITY_READ, err, sizeof err)) != ERROR_NONE) {
        fprintf(stderr, "%s\n", err); /* another configuration's runs are not this one's, damaged or not */
        rc = exit_code(opened);
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
    if (count > plan->nruns && opt->shard.index >= plan->nruns) /* an array larger than the sweep */
        fprintf(stderr, "%s: warning: shard %d/%d owns no run: %d shards for %ld run%s (shards %ld to %d train "
                "nothing)\n", cfg->name, opt->shard.index, count, count, plan->nruns, plural(plan->nruns),
                plan->nruns, count - 1);
    timing_enter(TIMING_OPEN);
    /* a plain run's identity settles while its first runs train (trainer.c, train_todo) */
    error_class opened = store_open(&res, opt->results_root, cfg, data,
                                    (opt->force ? STORE_FORCE : 0) | (count ? STORE_SHARED : STORE_SETTLE_LATER), err,
                                    sizeof err);
    if (opened == ERROR_NONE && count &&
        (opened = store_claim_shard(&res, opt->shard.index, count, cfg, err, sizeof err)) != ERROR_NONE)
        store_close(&res);
    else if (opened == ERROR_NONE && count && collect_shards_record(res.dir, count, err, sizeof err) < 0) {
        store_close(&res);
        opened = ERROR_OUTPUT;
    }
    if (opened != ERROR_NONE) {
        char note[200] = "";
        if (res.busy && !count) /* held, perhaps by a sibling the same launcher started */
            shard_launcher_note(note, sizeof note);
        fprintf(stderr, "%s%s\n", err, note);
        free(owner);
        return exit_code(opened);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = exit_code(trainer_train(opt, plan, &res, data, owner, &stop_signal));
    timing_enter(TIMING_REPORT);
    /* settled while training (a failure there, said, stopped it), or here when nothing trained */
    if (store_settle(&res, err, sizeof err) < 0) {
        if (*err)
            fprintf(stderr, "%s\n", err);
        store_close(&res);
        free(owner);
        return exit_code(ERROR_OUTPUT);
    }
    /* the tables even when a signal stopped the sweep; a shard leaves them to --collect */
    if (!count && tables_write(res.dir, plan, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = rc ? rc : exit_code(ERROR_OUTPUT);
    } else if (!count) /* a shard's runs are a part: --collect judges the experiment */
        rc = all_diverged(plan, res.dir, rc);
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

/* Where the kernel gives transparent huge pages on request (/sys/kernel/mm/transparent_hugepage/enabled "madvise"
 * or "always"), the heap's first HUGE_HEAP bytes get them: a fault and a 2 MiB clear in place of 512 faults. On
 * the Zen 5 VM of 2026-12-03, 4 MiB first touched took 0.27 ms in huge pages, 4.4 ms in 4 KiB pages mapped ahead
 * and 9.8 ms faulted page by page (a test program, medians of 30), and a digits process ran 5 ms faster
 * (interleaved, medians of 21). The advice takes only whole aligned huge pages nothing has touched, so a block
 * (kept, never touched past its header) takes the top of the heap up to a page below a 2 MiB boundary, and a
 * second one the next HUGE_HEAP and a page more: its header lands in that page, and the header malloc writes after
 * it lands past the advised range. Freed, the second block is the top of the heap (keep_freed_memory keeps it:
 * HUGE_HEAP is below both thresholds) that the allocations after it come from. Where malloc is not glibc's heap
 * (AddressSanitizer, valgrind) or the blocks land elsewhere, nothing is advised and both are freed. Called first in
 * main, when the heap holds only the C library's start-up. */
enum { HUGE_PAGE = 2 << 20, HUGE_HEAP = 16 << 20 };
static int heap_in_huge_pages; /* huge_heap's advice taken */

/* 1 when the kernel gives this process transparent huge pages of HUGE_PAGE bytes for a range advised
 * MADV_HUGEPAGE: "[always]" or "[madvise]" in /sys/kernel/mm/transparent_hugepage/enabled ("[never]" takes the
 * advice and gives none), that size in hpage_pmd_size (an arm64 kernel with 64 KiB pages has 512 MiB ones), and
 * the process not barred from them (prctl PR_SET_THP_DISABLE, which a parent's setting passes on). */
static int huge_pages_given(void)
{
    char *mode = fileio_read("/sys/kernel/mm/transparent_hugepage/enabled");
    char *size = fileio_read("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
    int given = mode && size && (strstr(mode, "[always]") || strstr(mode, "[madvise]")) &&
                strtol(size, NULL, 10) == HUGE_PAGE && prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0;
    free(mode);
    free(size);
    return given;
}

static void huge_heap(void)
{
#ifdef MADV_HUGEPAGE
    static void *below; /* the first block: address space, never touched past its header */
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || !huge_pages_given())
        return;
    char *end = sbrk(0); /* after huge_pages_given, whose reads may take heap */
    if (end == (char *)-1)
        return;
    uintptr_t top = (uintptr_t)end - mallinfo2().keepcost; /* where the heap's free top begins */
    uintptr_t at = (top + 2 * (uintptr_t)page + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    /* a block of n bytes takes n + 8 rounded up to 16, from the top when no freed block fits */
    below = malloc(at - (uintptr_t)page - top - sizeof(size_t));
    char *p = below ? malloc(HUGE_HEAP + 2 * (size_t)page) : NULL;
    int placed = p && (uintptr_t)p < at && (uintptr_t)p + (uintptr_t)page >= at;
    heap_in_huge_pages = placed && madvise((void *)at, HUGE_HEAP, MADV_HUGEPAGE) == 0;
    free(p);
    if (!placed) {
        free(below);
        below = NULL;
    }
#endif
}

/* A process's first touch of each page of its heap is a page fault, and on some hosts a fault costs far more than
 * the memory: 11 us on the Zen 5 VM of 2026-12-02, whose kernel isolates its page tables (a syscall 1 us), where a
 * digits process took some 840 of them, about 600 on the heap (HDF5's 1 MiB cache at each file open, the model's
 * buffers, the data read into them). One madvise(MADV_POPULATE_WRITE) maps a block of heap in the kernel without a
 * fault per page; freed, the block stays in the heap (keep_freed_memory) for the allocations that follow. It costs
 * the populate (about 1 ms there) and up to HEAP_PREFAULT of resident memory a process may not use; it is done once
 * the config and plan are good, so an error exits without it. A kernel before Linux 5.14 refuses the advice and
 * nothing changes; under AddressSanitizer or valgrind, whose allocators do not hand the block out again, it is only
 * the cost. Where the heap is in huge pages (huge_heap) it would only add the huge pages a process may not use:
 * 0.5-0.7 ms slower there (interleaved, medians of 41), so it is left out. experiments/performance-log.md, "Fixed
 * cost of a process", has the numbers. */
enum { HEAP_PREFAULT = 3 << 20 };
#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23 /* Linux 5.14's value, for C libraries whose headers predate it */
#endif

static void prefault_heap(void)
{
#ifdef MADV_POPULATE_WRITE
    long page = sysconf(_SC_PAGESIZE);
    char *p = page > 0 && !heap_in_huge_pages ? malloc(HEAP_PREFAULT) : NULL;
    if (p) {
        uintptr_t a = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
        uintptr_t b = ((uintptr_t)p + HEAP_PREFAULT) & ~((uintptr_t)page - 1);
        struct rusage before = {0}, after = {0};
        getrusage(RUSAGE_SELF, &before);
        if (madvise((void *)a, b - a, MADV_POPULATE_WRITE) == 0 && getrusage(RUSAGE_SELF, &after) == 0)
            timing_prefaulted((long)((b - a) / (uintptr_t)page),
                              after.ru_minflt + after.ru_majflt - before.ru_minflt - before.ru_majflt);
        free(p);
    }
#endif
}

/* Trains the config's runs that are missing and writes the tables and the report, or surveys them (--dry-run,
 * --status, --collect). Returns the exit code. */
static int run_config(const cli_options *opt)
{
    config cfg;
    if (load_config(opt, &cfg) < 0)
        return exit_code(ERROR_USAGE);
    /* the cores Slurm gave this task: a run's threads when the config and --threads leave them to the runner, and
     * with threads given, what the runs side by side share (it took the machine's cores there) */
    char err[4096]; /* a run breaking every rule between keys gets a line for each, each naming its sweep point */
    int cpus = shard_cpus(err, sizeof err);
    if (cpus < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(&cfg);
        return exit_code(ERROR_USAGE);
    }
    if (cpus > 0)
        omp_set_num_threads(cpus);

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
    prefault_heap(); /* first: HDF5's first call initialises its library, some 60 pages of heap */
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
    } else if (check_threads(opt, &plan, &data) < 0) {
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
 * ("Waiting for the other thread"); README, Performance, has the numbers, experiments/performance-log.md the
 * earlier ones. */
#define RUNNER_SPINCOUNT "10000"

/* libgomp reads its environment in a constructor, before main, so the runner's default takes one re-exec (a few
 * ms of loading the libraries again), only for a training that may use threads: not with --threads 1 or
 * OMP_NUM_THREADS=1, nor on one core, nor for --dry-run, --status and --collect, which train nothing. Without
 * /proc it keeps libgomp's default, and so it does when the dynamic loader was run as the program
 * (ld.so ./runner: AT_BASE, the loader's address, is 0, and /proc/self/exe is the loader, which would take the
 * options as its own). AT_BASE is 0 in a static binary too (make's default build), which has no loader and no
 * _DYNAMIC, the dynamic section the linker defines for a dynamically linked program. (A -static-pie build has
 * both, and keeps libgomp's default.) */
extern char _DYNAMIC[] __attribute__((weak));

static void default_wait_policy(char **argv, const cli_options *opt)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || opt->threads == 1 || opt->dry_run ||
        opt->status || opt->collect || (_DYNAMIC && getauxval(AT_BASE) == 0) || omp_get_max_threads() < 2 ||
        sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return;
    if (setenv("GOMP_SPINCOUNT", RUNNER_SPINCOUNT, 1) == 0) {
        execv("/proc/self/exe", argv);
        unsetenv("GOMP_SPINCOUNT");
    }
}

/* glibc maps every block over 128 KiB afresh and unmaps it when freed, and gives back the top of the heap above 128
 * KiB: each of HDF5's per-file metadata caches (1 MiB, calloc'ed at every open) and type-conversion buffers (1 MiB
 * a read or write) was faulted in page by page again, some 700 faults and 1-2 ms of a digits process (--profile).
 * Blocks up to 32 MiB now come from the heap and 64 MiB of freed heap is kept for the next ones. */
static void keep_freed_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

int main(int argc, char **argv)
{
    keep_freed_memory();
    huge_heap();
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
