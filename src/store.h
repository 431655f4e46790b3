/* Results on disk: results/<name>/ holds experiment.ini (what runs must share to compare) and runs/<run_id>/ with
 * curve.dat, result.tsv, weights.h5, config.ini and manifest.txt. A run is committed atomically (written in a
 * temporary folder, flushed, renamed), so a kill never leaves a half run counted as done; store_read_run is the
 * one definition of a committed run. A lock keeps a second runner off the same experiment. Main thread only
 * (HDF5). */
#ifndef STORE_H
#define STORE_H
#include <stddef.h>
#include "config.h"
#include "curve.h"
#include "error.h"
#include "train.h"
#include "tsv.h"

enum { STORE_PATH = 1024 };

typedef struct store {
    char dir[STORE_PATH];    /* <root>/<name> */
    int lock_fd;
} store;

/* A committed run, read back. */
typedef struct store_run {
    tsv_result result;       /* result.tsv */
    curve curve;             /* curve.dat */
} store_run;

/* Creates <root>/<name>/runs, checks it is writable, takes the lock and checks (force: replaces) the experiment
 * identity. ERROR_NONE; ERROR_USAGE when another runner holds the lock or the results come from a different
 * configuration; ERROR_OUTPUT when the disk refuses. One line in err. */
error_class store_open(store *s, const char *root, const config *base, int force, char *err, size_t len);
void store_close(store *s);
/* Commits a finished run (replacing an older one of the same id). 0, or -1 with err; nothing half-written
 * remains either way. */
int store_commit(store *s, const char *id, const train_job *job, char *err, size_t len);
/* Reads run id of dir (results/<name>) and checks it is committed and intact: all five files, result.tsv parses,
 * curve.dat has a header and finite rows from epoch 0 up to epochs_done, weights.h5 opens. 0 with run filled
 * (NULL: only checked; else store_run_free), or -1 with the reason in why. */
int store_read_run(const char *dir, const char *id, store_run *run, char *why, size_t len);
/* 1 when run id of s is committed and intact (store_read_run). */
int store_run_done(const store *s, const char *id);
void store_run_free(store_run *run);

#endif
