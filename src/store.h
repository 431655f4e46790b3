/* Results on disk: results/<name>/ holds the experiment's identity (identity.h) and runs/<run_id>/ with
 * curve.dat, result.tsv, weights.h5, config.ini and manifest.txt. A run is committed atomically (written in a
 * temporary folder ".tmp-ID@HOST@PID", flushed, renamed), so a kill never leaves a half run counted as done;
 * store_read_run is the one definition of a committed run. A lock keeps a second runner off the same experiment,
 * or lets shards share it. Main thread only (HDF5). */
#ifndef STORE_H
#define STORE_H
#include <stddef.h>
#include "config.h"
#include "curve.h"
#include "error.h"
#include "fileio.h"
#include "plandata.h"
#include "sweep.h"
#include "train.h"
#include "tsv.h"

/* STORE_HOST: the host name in a temporary run folder's name, cut to fit NAME_MAX with SWEEP_ID_MAX. */
enum { STORE_PATH = 1024, STORE_HOST = 33 };
/* The holder files beside the lock, one per process holding it: STORE_HOLDER "PID@HOST". */
#define STORE_HOLDER ".holder-"
/* store_open's flags: replace a different identity (--force); take the lock shared (a shard); --collect (which a
 * refused identity asks for the trained configuration, not --force); leave the identity's files started to the
 * disk for store_settle (a plain run, whose first runs train meanwhile). */
enum { STORE_FORCE = 1, STORE_SHARED = 2, STORE_COLLECT = 4, STORE_SETTLE_LATER = 8 };

typedef struct store {
    char dir[STORE_PATH];    /* <root>/<name> */
    int lock_fd, holding;    /* holding: this process's holder file exists */
    int shard_fd;            /* store_claim_shard's lock, -1 when none */
    int shared;              /* the lock is shared (a shard) */
    fileio_batch identity;   /* STORE_SETTLE_LATER's files, until store_settle */
    int unsettled;           /* store_settle failed */
    int busy;                /* store_open refused: another runner holds the experiment's lock */
} store;

/* A committed run, read back. */
typedef struct store_run {
    tsv_result result;       /* result.tsv */
    curve curve;             /* curve.dat */
} store_run;

/* Creates <root>/<name>/runs, checks it is writable, takes the lock and checks the experiment's identity
 * (identity_open: the config's and, when data is given, its files' checksums). Exclusive (flags without
 * STORE_SHARED: a plain run, --collect): recovers what killed runners left (a run being replaced comes back whole,
 * temporaries go) and, with STORE_FORCE, replaces a different identity. STORE_SHARED (a shard): beside other
 * shards, removes only the temporaries of this host's processes that are gone, and writes the identity only
 * where there is none (IDENTITY_ONCE). ERROR_NONE; ERROR_USAGE when the lock is held in the other way, or the
 * config or a data file differs from what the results were trained with; ERROR_OUTPUT when the disk refuses.
 * One line in err. With STORE_SETTLE_LATER (not with STORE_SHARED) the identity, checked, is recorded by
 * store_settle. */
error_class store_open(store *s, const char *root, const config *base, const plandata *data, int flags, char *err,
                       size_t len);
/* Waits for the identity store_open left started (STORE_SETTLE_LATER) to reach the disk and puts it in place: the
 * experiment's files as store_open alone writes them. At once when there is none (any later call). Before any run
 * is committed (store_commit settles first) and before the tables. 0, or -1 with err (its temporaries removed):
 * then every later call fails too, with "" in err (said once), so no run is committed without it. */
int store_settle(store *s, char *err, size_t len);
/* Releases the lock; an identity never settled is dropped (its temporaries removed). */
void store_close(store *s);
/* A shard's claim on its index among count shards (a shard's store): an exclusive lock on
 * <dir>/.shard-INDEX-of-COUNT, which names its holder (PID@HOST) and then the seeds and sweep lists of base
 * (identity_plan_lists), held until store_close, so a second copy of the same shard (a launcher started twice) is
 * refused, naming the first, where it would train the same runs beside it, and so is a shard beside a running one
 * of another count or of other seeds or sweep lists, whose runs and owners differ. store_open alone (a plain run,
 * --collect) removes the files. ERROR_NONE; ERROR_USAGE when another process holds it or runs another count or
 * plan; ERROR_OUTPUT when the file cannot be made. One line in err. */
error_class store_claim_shard(store *s, int index, int count, const config *base, char *err, size_t len);
/* Commits a finished run (replacing an older one of the same id). 0, or -1 with err; nothing half-written
 * remains either way, and a kill at any instant leaves the old run or the new one for store_open to find. */
int store_commit(store *s, const char *id, const train_job *job, char *err, size_t len);

/* The in-run checkpoint (runckpt.h) of run id while it trains: "<dir>/runs/.ckpt-<id>", removed when the run
 * commits, all of them with --force; store_open, alone (not a shard), removes the temporaries of killed writes, and
 * store_forget_checkpoint those of runs that are done. 0, or -1 with err when the path does not fit. */
int store_checkpoint_path(const store *s, const char *id, char *buf, size_t size, char *err, size_t len);

/* What store_read_run found; every value but STORE_RUN_OK means "not a committed run of this plan". */
enum { STORE_RUN_OK = 0, STORE_RUN_DAMAGED = -1, STORE_RUN_MISSING = -2, STORE_RUN_BUSY = -3 };
/* The one definition of a committed run: run r of plan in dir (results/<name>) is there and intact (all five
 * files, result.tsv parses, curve.dat has finite rows from epoch 0 up to epochs_done, weights.h5 opens) and
 * belongs to this plan (identity_check_run against run r's config). STORE_RUN_OK with run filled (NULL: only
 * checked; else store_run_free); otherwise the reason in why: STORE_RUN_MISSING (no folder), STORE_RUN_BUSY
 * (weights.h5 locked by another process: it cannot be read now, which is not damage) or STORE_RUN_DAMAGED
 * (anything else). */
int store_read_run(const char *dir, const sweep_plan *plan, long r, store_run *run, char *why, size_t len);
/* 1 when run r of plan is committed in s (store_read_run), 0 when it is to be trained, -1 when it cannot be read
 * now (STORE_RUN_BUSY, with why). */
int store_run_done(const store *s, const sweep_plan *plan, long r, char *why, size_t len);
/* 1 when run r's weights.h5 in s is locked by another process (why filled), the one thing that matters of a run
 * that --force trains again whatever it holds: store_run_done's STORE_RUN_BUSY without the checks. Else 0. */
int store_run_busy(const store *s, const sweep_plan *plan, long r, char *why, size_t len);
void store_run_free(store_run *run);
/* Removes the in-run checkpoint of run r of plan, which the caller found committed (store_run_done): a run that is
 * done never resumes. Only where s holds the lock alone (beside shards, another process may be training r). */
void store_forget_checkpoint(const store *s, const sweep_plan *plan, long r);
/* store_forget_checkpoint of every run of plan that has a checkpoint and is committed (--collect). */
void store_forget_done_checkpoints(const store *s, const sweep_plan *plan);

#endif
