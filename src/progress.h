/* The progress display on stderr: on a terminal one updating line (runs done/total, a run in flight, its epoch,
 * elapsed time and ETA) and a line per diverged run; elsewhere (a Slurm log file) a line per finished run and,
 * for each run in flight, a line at most every PROGRESS_EVERY seconds with its epoch, train loss and ETA. Main
 * thread only. */
#ifndef PROGRESS_H
#define PROGRESS_H
#include "train.h"

enum { PROGRESS_MAX_AIR = 256, PROGRESS_EVERY = 30 };

typedef struct progress {
    int tty, quiet;
    long total, done;
    double start, epochs_total, epochs_done;
    const train_job *air[PROGRESS_MAX_AIR];      /* the runs in training, with their ids */
    const char *ids[PROGRESS_MAX_AIR];
    double began[PROGRESS_MAX_AIR], said[PROGRESS_MAX_AIR]; /* off a terminal: when each started, last said */
    int from[PROGRESS_MAX_AIR];                  /* the epoch each started from (a resumed run: its checkpoint's) */
    int nair;
    double every;                                /* off a terminal: seconds between two lines of a run */
} progress;

/* Starts the clock for total runs of epochs_total epochs together. */
void progress_init(progress *pr, int quiet, long total, double epochs_total);
/* A run began training; id and job stay valid until progress_landed. */
void progress_started(progress *pr, const char *id, const train_job *job);
/* A run finished training (written or not). */
void progress_landed(progress *pr, const train_job *job);
/* A finished run was written: counts it and prints its line. */
void progress_committed(progress *pr, const char *id, const train_job *job);
/* Redraws the updating line; off a terminal, prints the lines of the runs in flight that are due. */
void progress_show(progress *pr);
/* Clears the updating line and prints "N runs trained (D diverged) in S s; results in DIR". */
void progress_end(const progress *pr, const char *name, long diverged, const char *dir);

#endif
