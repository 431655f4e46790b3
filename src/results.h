/* Results on disk: results/<name>/ holds experiment.ini (what runs must share to compare), summary.tsv and
 * runs/<run_id>/ with curve.dat, result.tsv, weights.h5, config.ini and manifest.txt. A run is committed
 * atomically (written in a temporary folder, flushed, renamed), so a kill never leaves a half run counted
 * as done. A lock keeps a second runner off the same experiment. Main thread only (HDF5). */
#ifndef RESULTS_H
#define RESULTS_H
#include <stddef.h>
#include "config.h"
#include "sweep.h"
#include "train.h"

enum { RESULTS_PATH = 1024 };

typedef struct results {
    char dir[RESULTS_PATH];    /* <root>/<name> */
    int lock_fd;
} results;

/* Creates <root>/<name>/runs, checks it is writable, takes the lock and checks (force: replaces) the
 * experiment identity. 0, or -1 with one line in err. */
int results_open(results *r, const char *root, const config *base, int force, char *err, size_t len);
/* 1 when run id is committed and intact (results_check_run). */
int results_run_done(const results *r, const char *id);
/* Checks a committed run in dir (results/<name>): all five files, result.tsv parses, curve.dat has a header
 * and finite rows from epoch 0 up to epochs_done, weights.h5 opens. 0, or -1 with the reason. */
int results_check_run(const char *dir, const char *id, char *why, size_t len);
/* Checks every run under <root>/<name>/runs; report gets one line per damaged run and a closing count.
 * 0 (with *damaged set), or -1 when the experiment cannot be read. */
int results_verify(const char *root, const char *name, char *report, size_t len, int *damaged);
/* Commits a finished run (replacing an older one of the same id). 0, or -1 with err; nothing half-written
 * remains either way. */
int results_commit(results *r, const char *id, const train_job *job, char *err, size_t len);
/* Rebuilds summary.tsv (one row per committed run of the plan, in plan order), table.tsv (one row per sweep
 * point, aggregated over seeds) and results.h5 (both tables and every curve) from the committed runs.
 * 0, or -1 with err. */
int results_tables(results *r, const sweep_plan *p, char *err, size_t len);
void results_close(results *r);

/* Column names of result.tsv (one row per run), of table.tsv after the swept keys, and curve.dat's header. */
extern const char results_metric_header[];
extern const char results_table_header[];
extern const char results_curve_header[];

#endif
