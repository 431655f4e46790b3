/* Whole-file reading and atomic writing, shared by results and report: a file is either its old content or
 * its new content, never half of it. */
#ifndef FILEIO_H
#define FILEIO_H
#include <stdio.h>

/* The whole file, NUL-terminated (free it), or NULL with errno set. */
char *fileio_read(const char *path);
/* Writes n bytes of text to path through a temporary file, fsync and rename. 0, or -1 with
 * "path: cannot write: cause" in err. */
int fileio_write_atomic(const char *path, const char *text, size_t n, char *err, size_t len);
/* Flushes f to disk and closes it; -1 if any step (or an earlier write) failed. */
int fileio_close_synced(FILE *f);

#endif
