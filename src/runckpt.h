/* In-run checkpoints: the state of a run in flight (train_state's byte ranges) in one binary file, so that a
 * killed run goes on from where it stood and ends as if it had never stopped. Written by the worker that trains
 * the run with stdio only (no HDF5: any thread may write one), through a temporary file, fsync and rename, so
 * the file is always the old checkpoint or the new one. Layout, in the machine's byte order (a checkpoint is read
 * back by the same build on the same kind of machine; anything else fails its checks and is ignored):
 *   "RUNCKPT\n" (8 bytes), uint32 version, uint32 number of parts, uint64 fingerprint, int32 at_epoch,
 *   int32 at_rows, uint64 size of each part, the parts, uint64 FNV-1a 64 of every byte before it. */
#ifndef RUNCKPT_H
#define RUNCKPT_H
#include <stddef.h>
#include <stdint.h>
#include "train.h"

/* The run's fingerprint, taken right after train_prepare: FNV-1a 64 of its config's identity (config_write), seed,
 * data checksums and shapes and initial weights. A checkpoint with another fingerprint is not this run's. */
uint64_t runckpt_fingerprint(const train_job *job);
/* Writes job's state at its position (at_epoch, at_rows) to path. 0, or -1 with "path: cannot write: cause". */
int runckpt_save(const char *path, train_job *job, uint64_t fingerprint, char *err, size_t len);
/* Reads path into job, just prepared, whose fingerprint is fingerprint: 1 when the job now goes on from the
 * checkpoint's position, 0 when path does not exist, -1 when the file cannot be trusted (bad magic, version,
 * checksum, another run's fingerprint, sizes that do not fit the run) with "path: why" in err: then the job's
 * state may be partly overwritten, so free it and prepare it again. Main thread or any. */
int runckpt_load(const char *path, train_job *job, uint64_t fingerprint, char *err, size_t len);

#endif
