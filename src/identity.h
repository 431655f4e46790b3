/* What an experiment is, on disk beside its runs: experiment.ini (the identity of its config: what runs must share
 * to compare), IDENTITY_SUMS (one line "CHECKSUM PATH", FNV-1a 64, per data, test and init file: the data's part
 * of the identity) and IDENTITY_PLAN (every key and sweep list as "section.key=value", the --set syntax, since a
 * sweep list can be longer than an INI line: the runs --verify expects). */
#ifndef IDENTITY_H
#define IDENTITY_H
#include <stddef.h>
#include "config.h"
#include "error.h"
#include "fileio.h"
#include "plandata.h"

#define IDENTITY_SUMS "data.fnv1a64"
#define IDENTITY_PLAN "plan.txt"
enum { IDENTITY_PATH = 1024 };

/* identity_open's modes besides 0 (alone: refuse a difference, record the identity): IDENTITY_FORCE (alone:
 * replace a different one), IDENTITY_ONCE (beside other shards: refuse a difference, write only what is missing,
 * and that without replacing what another shard wrote an instant before), IDENTITY_READ (--status, without the
 * lock: refuse a difference, write nothing), IDENTITY_COLLECT (--collect: as 0, but its refusal asks for the
 * configuration the results were trained with, since --collect takes no --force). */
enum { IDENTITY_FORCE = 1, IDENTITY_ONCE = 2, IDENTITY_READ = 3, IDENTITY_COLLECT = 4 };
/* In experiment folder dir, under its lock (IDENTITY_READ: without it): compares experiment.ini with base's identity
 * and, when data is given, IDENTITY_SUMS with its checksums (an experiment without them, from an earlier version,
 * with its runs' manifests), refusing a difference as mode says; then records all three (IDENTITY_READ: none).
 * ERROR_NONE; ERROR_USAGE naming the keys that differ or the changed file; ERROR_OUTPUT when the disk refuses. One
 * line in err. */
error_class identity_open(const char *dir, const config *base, const plandata *data, int mode, char *err,
                          size_t len);
/* identity_open for a plain run (mode 0 or IDENTITY_FORCE), except that what it records is left started to the
 * disk in *pending (empty on a refusal) for the caller to fileio_batch_commit, or drop: the wait for the disk
 * goes where something else can go on meanwhile. */
error_class identity_open_started(const char *dir, const config *base, const plandata *data, int mode,
                                  fileio_batch *pending, char *err, size_t len);
/* 0 when run folder rundir of experiment dir belongs to it: its config.ini resolves to want (compared as
 * config_write's identity: seeds, threads and scheduling left out) and its manifest's data checksums are those of
 * IDENTITY_SUMS; else -1 with the reason in why. */
int identity_check_run(const char *dir, const char *rundir, const config *want, char *why, size_t len);
/* The data checksums run folder rundir's manifest records, 16 hex digits each: its training file's (train) and its
 * test data's (test: the training file's when the test set was split from it). 0, or -1 when it records none (a
 * run from before they were). */
int identity_run_sums(const char *rundir, char train[17], char test[17]);
/* 1 when experiment folder dir has an identity (some runner opened it), else 0. */
int identity_exists(const char *dir);
/* What the identity leaves out of base that decides its runs and which shard owns each: "experiment.seeds=1, 2"
 * and a line "sweep.section.key=a, b" per sweep list, in plan order, as a text to free (NULL: out of memory). */
char *identity_plan_lists(const config *base);
/* The first line ("key=value") that differs between two identity_plan_lists texts, as "key: A -> B" ("none" for
 * a missing line) into out; 0 when they are equal. */
int identity_plan_diff(const char *a, const char *b, char *out, size_t len);
/* The base config of experiment dir's IDENTITY_PLAN (config_free it). 0, or -1 with err. */
int identity_load_plan(const char *dir, config *cfg, char *err, size_t len);

#endif
