/* The command line: the usage text, and the options parsed and checked against each other, each refusal one line
 * on stderr. */
#include "cli.h"
#include "buildinfo.h"
#include "config.h"
#include "h5util.h"
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RUNNER_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f, "usage: runner [options] CONFIG\n"
               "  -h, --help          this text and every config key with its default and range\n"
               "  --version           version, compiler and HDF5\n"
               "  --threads N         OpenMP threads per run (overrides experiment.threads, refused when it is\n"
               "                      swept; 0 = all; more than the cores available are capped)\n"
               "  --set S.KEY=VALUE   override a config key (repeatable); sweep.S.KEY=LIST replaces a sweep list\n"
               "                      (KEY=VALUE for a key swept before it is refused; a later list replaces it)\n"
               "  --quiet             print nothing but errors and warnings\n"
               "  --force             train every run again even if its results exist\n"
               "  --no-plots          write the plot scripts and report but do not render them\n"
               "  --no-fuse           train every run alone, none in fused groups (the same numbers)\n"
               "  --results DIR       results root (default: results)\n"
               "  --plots DIR         plots root (default: plots, or DIR/plots with --results DIR)\n"
               "  --max-runs N        refuse sweeps with more runs (default: 10000)\n"
               "  --max-memory SIZE   refuse when the runs in memory at once would need more (e.g. 4G;\n"
               "                      default: the machine's physical memory)\n"
               "  --verify NAME       check every committed run of results/NAME and list the damaged ones\n"
               "  --list              list the experiments of the results root: runs, best point, date\n"
               "  --compare NAME...   compare the best points of 2 to 8 experiments: results/compare-NAMES.md\n"
               "  --shard I/N|auto    train only shard I of N's runs (auto: from Slurm or Open MPI); no tables\n"
               "  --collect           check every run, write the tables, report and plots; exit 6 if incomplete\n"
               "  --status            committed/total runs per shard (N from --shard, else as the shards last\n"
               "                      ran), without taking the lock\n"
               "  --dry-run           print the plan, each run's shard and estimated work; write nothing\n"
               "  --profile           after the run, print on stderr where its wall time went, part by part\n"
               "exit status: 0 ok (diverged runs are results), 2 usage or config error (or threads that\n"
               "             cannot be started), 3 data error, 4 output error (or damaged runs found by\n"
               "             --verify, or standard output not written), 5 every run diverged,\n"
               "             6 --collect found runs missing or damaged, 130/143 stopped by SIGINT/SIGTERM\n");
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
    double unit = *end == 'K' ? 1024.0 : *end == 'M' ? 1048576.0 : *end == 'G' ? 1073741824.0
                : *end == 'T' ? 1099511627776.0 : 1;
    if (unit > 1)
        end++;
    if (end == s || *end || errno || !(v > 0) || !isfinite(v))
        return -1;
    *out = v * unit;
    return 0;
}

/* 1 after printing why when option opt's value arg, the last argument (last), is a config file's name: the value
 * was left out, so getopt took the config for it ("runner --threads cfg.ini"); the option's own message would only
 * say the name is no number, or that no config file was given. */
static int missing_value(const char *opt, const char *arg, int last)
{
    size_t n = strlen(arg);
    if (!last || n < 5 || strcasecmp(arg + n - 4, ".ini"))
        return 0;
    fprintf(stderr, "runner: %s needs a value before the config file ('%s' was taken as its value)\n", opt, arg);
    return 1;
}

/* The value of --results, --plots or --verify (option ch), each naming a folder: an empty one would name none,
 * or with a '/' appended the root. 0, or -1 after printing why. */
static int folder_arg(int ch, const char *value, int last, cli_options *o)
{
    const char *option = ch == 'r' ? "--results" : ch == 'p' ? "--plots" : "--verify";
    if (ch != 'v' && missing_value(option, value, last))
        return -1;
    if (!*value) {
        fprintf(stderr, "runner: %s: empty %s\n", option, ch == 'v' ? "experiment name" : "path (expected a folder)");
        return -1;
    }
    *(ch == 'r' ? &o->results_root : ch == 'p' ? &o->plots_root : &o->verify) = value;
    return 0;
}

/* The value of a --set: one argument holding '=' ("--set KEY VALUE" would make VALUE the config file). 0, or -1
 * after printing why. */
static int set_arg(const char *value, int last, cli_options *o)
{
    if (o->nsets == CLI_MAX_SETS) {
        fprintf(stderr, "runner: too many --set options (at most %d)\n", CLI_MAX_SETS);
        return -1;
    }
    if (!strchr(value, '=')) {
        if (missing_value("--set", value, last))
            return -1;
        fprintf(stderr, "runner: --set %s: expected section.key=value as one argument (--set %s=VALUE)\n", value,
                value);
        return -1;
    }
    o->sets[o->nsets++] = value;
    return 0;
}

/* --list, or --compare NAME with the other names left in argv from optind: neither takes a config, and they
 * exclude each other and --verify. 0, or -1 after printing why. */
static int catalog_args(int argc, char **argv, cli_options *o)
{
    if ((o->list && o->compare[0]) || o->verify) {
        fprintf(stderr, "runner: %s: one of --list, --compare and --verify at a time\n",
                o->list ? "--list" : "--compare");
        return -1;
    }
    if (o->list && optind < argc) {
        fprintf(stderr, "runner: --list takes no config file ('%s' given)\n", argv[optind]);
        return -1;
    }
    o->ncompare = o->compare[0] ? 1 : 0;
    for (int i = optind; i < argc; i++) {
        if (o->ncompare == CLI_MAX_COMPARE) {
            fprintf(stderr, "runner: --compare: more than %d experiments\n", o->ncompare);
            return -1;
        }
        o->compare[o->ncompare++] = argv[i];
    }
    return 0;
}

/* --verify, --list or --compare (which catalog_args tells apart), --collect, --status and --dry-run each go alone,
 * --collect without --shard, and --force only with a plain run. 0, or -1 after printing why. */
static int mode_args(const cli_options *o)
{
    const char *modes[4]; /* --verify, --list and --compare count as one here: catalog_args tells them apart */
    int n = 0;
    if (o->verify || o->list || o->compare[0])
        modes[n++] = o->verify ? "--verify" : o->list ? "--list" : "--compare";
    if (o->collect) modes[n++] = "--collect";
    if (o->status) modes[n++] = "--status";
    if (o->dry_run) modes[n++] = "--dry-run";
    if (n > 1) {
        fprintf(stderr, "runner: %s and %s: --verify, --list, --compare, --collect, --status and --dry-run go alone\n",
                modes[0], modes[1]);
        return -1;
    }
    if (o->collect && o->shard.count) {
        fprintf(stderr, "runner: --collect goes without --shard (it gathers every shard's runs)\n");
        return -1;
    }
    if (o->force && (o->shard.count || n)) {
        fprintf(stderr, "runner: --force goes only with a plain run, not with %s\n", n ? modes[0] : "--shard");
        return -1;
    }
    return 0;
}

/* --version: the build. Returns 1, cli_parse's "answered". */
static int print_version(void)
{
    char h5[32];
    h5util_version(h5, sizeof h5);
    printf("runner %s (git %s), %s, flags %s, HDF5 %s, OpenMP %d\n", RUNNER_VERSION, BUILD_GIT_REV, BUILD_COMPILER,
           BUILD_CFLAGS, h5, _OPENMP);
    return 1;
}

/* -h: the usage text and every config key. Returns 1, cli_parse's "answered". */
static int print_help(void)
{
    usage(stdout);
    printf("\nconfig keys (INI sections, key = default, then the allowed values):\n");
    config_help(stdout);
    return 1;
}

/* The int that option ch sets to 1, or NULL when ch takes a value. */
static int *flag_field(int ch, cli_options *o)
{
    switch (ch) {
    case 'q': return &o->quiet;
    case 'f': return &o->force;
    case 'P': return &o->no_plots;
    case 'L': return &o->list;
    case 'C': return &o->collect;
    case 'T': return &o->status;
    case 'D': return &o->dry_run;
    case 'X': return &o->profile;
    case 'F': return &o->no_fuse;
    default: return NULL;
    }
}

/* The value arg of option ch (getopt_long's val), checked and stored; last: it was the last argument. 0, or -1
 * after printing why. */
static int value_arg(int ch, const char *arg, int last, cli_options *o)
{
    char err[300];
    long v;
    switch (ch) {
    case 't':
        if (parse_count(arg, 1024, &v) < 0) {
            if (missing_value("--threads", arg, last))
                return -1;
            fprintf(stderr, "runner: --threads %s: expected an integer from 0 to 1024\n", *arg ? arg : "''");
            return -1;
        }
        o->threads = (int)v;
        return 0;
    case 'm':
        if (parse_count(arg, 100000000, &v) < 0 || v < 1) {
            if (missing_value("--max-runs", arg, last))
                return -1;
            fprintf(stderr, "runner: --max-runs %s: expected an integer from 1 to 100000000\n", arg);
            return -1;
        }
        o->max_runs = v;
        return 0;
    case 'M':
        if (parse_size(arg, &o->max_memory) < 0) {
            if (missing_value("--max-memory", arg, last))
                return -1;
            fprintf(stderr, "runner: --max-memory %s: expected a size such as 512M or 4G\n", arg);
            return -1;
        }
        return 0;
    case 'S':
        if (o->shard.count) { /* the last would win: submit.sh's --shard auto beside a user's own --shard 0/2 */
            fprintf(stderr, "runner: --shard given twice (%s): a process trains one shard\n", arg);
            return -1;
        }
        if (shard_parse(arg, &o->shard, err, sizeof err) < 0) {
            if (!missing_value("--shard", arg, last))
                fprintf(stderr, "%s\n", err);
            return -1;
        }
        return 0;
    case 's': return set_arg(arg, last, o);
    case 'K': o->compare[0] = arg; return 0;
    default: return folder_arg(ch, arg, last, o); /* 'r', 'p', 'v' */
    }
}

/* What is left of argv after the options: the config file, or --compare's further names, or nothing (--list,
 * --verify). 0, or -1 after printing why. */
static int operands(int argc, char **argv, cli_options *o)
{
    if (mode_args(o) < 0)
        return -1;
    if (o->verify && !o->list && !o->compare[0]) {
        /* it reads the experiment's own plan: a config, --set or --shard would change nothing, silently */
        if (optind < argc || o->nsets || o->shard.count) {
            fprintf(stderr, "runner: --verify reads the experiment's own plan and takes no %s\n",
                    optind < argc ? "config file" : o->nsets ? "--set" : "--shard");
            return -1;
        }
        return 0;
    }
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

int cli_parse(int argc, char **argv, cli_options *o)
{
    /* val: the flags of flag_field, the values of value_arg */
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},       {"version", no_argument, 0, 'V'},
        {"threads", required_argument, 0, 't'}, {"set", required_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},      {"force", no_argument, 0, 'f'},
        {"no-plots", no_argument, 0, 'P'},   {"results", required_argument, 0, 'r'},
        {"max-runs", required_argument, 0, 'm'}, {"max-memory", required_argument, 0, 'M'},
        {"verify", required_argument, 0, 'v'}, {"plots", required_argument, 0, 'p'},
        {"list", no_argument, 0, 'L'},       {"compare", required_argument, 0, 'K'},
        {"shard", required_argument, 0, 'S'}, {"collect", no_argument, 0, 'C'},
        {"status", no_argument, 0, 'T'},     {"dry-run", no_argument, 0, 'D'},
        {"profile", no_argument, 0, 'X'},    {"no-fuse", no_argument, 0, 'F'},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->results_root = "results";
    o->threads = -1;
    o->max_runs = 10000;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1;) {
        int *flag = flag_field(ch, o);
        if (ch == 'h')
            return print_help();
        if (ch == 'V')
            return print_version();
        if (ch == '?') {
            fprintf(stderr, "runner: unknown or incomplete option '%s' (see runner --help)\n", argv[optind - 1]);
            return -1;
        }
        if (flag)
            *flag = 1;
        else if (value_arg(ch, optarg, optind >= argc, o) < 0)
            return -1;
    }
    return operands(argc, argv, o);
}
