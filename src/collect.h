/* A sharded sweep seen whole: the plan and each shard's runs and work (--dry-run), committed runs per shard
 * (--status), what --collect lists when runs are missing, and the shard count the shards record (COLLECT_SHARDS:
 * one line "N"), which --status and --collect use when not told. */
#ifndef COLLECT_H
#define COLLECT_H
#include <stddef.h>
#include <stdio.h>
#include "plandata.h"
#include "shard.h"
#include "sweep.h"
#include "verify.h"

#define COLLECT_SHARDS "shards.txt"

/* The shard count last recorded in experiment folder dir, 0 when none. */
int collect_shards_recorded(const char *dir);
/* Records count in dir (when it differs from what is there). 0, or -1 with err. */
int collect_shards_record(const char *dir, int count, char *err, size_t len);
/* The plan, each run with its shard and work, and each shard's runs and work, to out; with self (a shard given by
 * --shard or read by --shard auto; NULL: none), which shard this process is and where that came from. */
void collect_dry_run(FILE *out, const sweep_plan *plan, const plandata *data, const int *owner, const double *load,
                     int count, const shard *self);
/* verify_runs over dir with per-shard counts (count shards, owner[r] each run's): lines as verify_runs. 0, or -1
 * when out of memory; collect_counts_free either way. */
int collect_scan(const char *dir, const sweep_plan *plan, const int *owner, int count, FILE *lines, verify_counts *c);
void collect_counts_free(verify_counts *c);
/* Committed and total runs per shard, then in all, to out. */
void collect_status(FILE *out, const char *dir, const verify_counts *c, int count, long nruns);
/* One line to out: how many runs are missing or damaged and which shards own them. */
void collect_incomplete(FILE *out, const char *dir, const verify_counts *c, int count, long nruns);

#endif
