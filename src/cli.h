/* The command line: the options, the usage text and their parsing. Every refusal is one line on stderr; main.c
 * decides the exit. */
#ifndef CLI_H
#define CLI_H
#include "shard.h"

enum { CLI_MAX_SETS = 64, CLI_MAX_COMPARE = 8 };

typedef struct cli_options {
    const char *config, *results_root, *plots_root, *verify; /* config NULL: --verify, --list or --compare */
    const char *sets[CLI_MAX_SETS];              /* --set S.KEY=VALUE, in order */
    const char *compare[CLI_MAX_COMPARE];        /* --compare NAME NAME...: the experiments */
    int nsets, threads, quiet, force, no_plots, list, ncompare; /* threads -1: no --threads */
    long max_runs;
    double max_memory;                           /* 0: no --max-memory */
    shard shard;                                 /* shard.count 0: no --shard */
    int collect, status, dry_run;
    int profile;                                 /* --profile: timing_profile_begin */
    int no_fuse;                                 /* --no-fuse: every run trains alone */
} cli_options;

/* Parses argv into o: 0 to go on, 1 when --help or --version has answered on stdout, -1 after printing a usage
 * error on stderr. */
int cli_parse(int argc, char **argv, cli_options *o);

#endif
