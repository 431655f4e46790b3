/* Files and folders, shared by every module that writes results: whole-file reading, atomic writing (a file is
 * either its old content or its new content, never half of it), texts built in memory, folders made and
 * removed. Errors come back as one line "path: what failed: cause". */
#ifndef FILEIO_H
#define FILEIO_H
#include <stdio.h>
#include <sys/types.h>

enum { FILEIO_PATH = 4096 }; /* longest path built by the report; a longer one is an error, never cut */

/* The whole file, NUL-terminated (free it), or NULL with errno set. */
char *fileio_read(const char *path);
/* Opens path read-only, and only a regular file: a FIFO or a device would block or never end in open or read, so
 * it is refused after a stat, and again after a non-blocking open in case one was put there since. The fd (blocking
 * again), or -1 with errno set (EISDIR for a folder), or -2 for any other file that is not regular, whose kind
 * (fileio_file_kind) is then in *mode. */
int fileio_open_regular(const char *path, mode_t *mode);
/* What a file that is not a regular file is, in words: "a FIFO", "a character device", ... */
const char *fileio_file_kind(mode_t mode);
/* The temporary file of fileio_write_atomic (and of a batch's files) is "<path>" FILEIO_TMP "<pid>": the one
 * pattern fileio_is_temporary recognises, so a runner killed while writing leaves nothing that the next one cannot
 * find. */
#define FILEIO_TMP ".runner-tmp-"
/* Writes n bytes of text to path through a temporary file, fsync and rename; nothing when path is a regular file
 * that holds exactly that text already. 0, or -1 with "path: cannot write: cause" in err and errno set. */
int fileio_write_atomic(const char *path, const char *text, size_t n, char *err, size_t len);
/* fileio_write_atomic without the fsync, for a file rebuilt from committed results by every run (tables, plot
 * scripts, reports, indexes): a kill never leaves it half written (temporary and rename), a power cut may leave it
 * empty or old, and the next run of the config writes it again, since it no longer holds the text. */
int fileio_write_derived(const char *path, const char *text, size_t n, char *err, size_t len);
/* Durable writes made together, as fileio_write_atomic's one by one: each new text goes to its temporary and is
 * started to the disk at once, and fileio_batch_commit waits for them all (the disk takes them together: three
 * files flushed in turn cost 3.6 ms on the third host), then renames each into place in the order written. */
enum { FILEIO_BATCH = 4 };
typedef struct fileio_batch {
    int n;
    char *tmp[FILEIO_BATCH], *path[FILEIO_BATCH];
    int fd[FILEIO_BATCH];
} fileio_batch; /* {0}: empty */
/* Starts n bytes of text for path; nothing when path is a regular file that holds exactly that text already. 0, or
 * -1 with "path: cannot write: cause" in err and errno set (what the batch held before stays in it); a path
 * already in the batch, or one file more than FILEIO_BATCH, is refused. */
int fileio_batch_write(fileio_batch *b, const char *path, const char *text, size_t n, char *err, size_t len);
/* Waits until every started file is on disk, then renames each into place, in order, and empties the batch. 0, or
 * -1 with err; the files not renamed by then are removed. */
int fileio_batch_commit(fileio_batch *b, char *err, size_t len);
/* Removes the batch's temporaries, renaming none, and empties it. */
void fileio_batch_drop(fileio_batch *b);
/* Flushes f to disk and closes it; -1 if any step (or an earlier write) failed. */
int fileio_close_synced(FILE *f);
/* Flushes f, starts writing its file to disk without waiting, and closes the stream: the file's descriptor (or -1
 * if any step or an earlier write failed), which fileio_finish_synced waits for. Files started together and then
 * waited for cost less than each flushed in turn (the disk takes them together). */
int fileio_close_started(FILE *f);
/* Waits until the file of fd is on disk (fsync) and closes fd; -1 if either failed. */
int fileio_finish_synced(int fd);
/* printf into a path buffer of size bytes. 0, or -1 with "start...: path too long (at most N characters)" in err
 * when it does not fit: a path is never cut. */
int fileio_path(char *buf, size_t size, char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* fsync of an existing file or folder (a folder: its entries). 0 or -1 with errno. */
int fileio_sync_path(const char *path);
/* mkdir of one folder; an existing folder is fine. 0, or -1 with err. */
int fileio_make_dir(const char *path, char *err, size_t len);
/* mkdir -p: every missing folder of path. 0, or -1 with err. */
int fileio_make_dirs(const char *path, char *err, size_t len);
/* 1 when fileio_make_dirs(path) could succeed as things stand: every part of path that exists is a folder, and the
 * deepest one is writable; else 0 with err (the path and why), before anything is created. */
int fileio_dirs_possible(const char *path, char *err, size_t len);
/* Removes path and, when it is a folder, everything under it; symbolic links are removed, never followed.
 * What is missing is no error. */
void fileio_remove_tree(const char *path);
/* 1 when a file name is a temporary of fileio_write_atomic ("NAME" FILEIO_TMP "PID", or the "NAME.tmpPID" of
 * earlier versions). */
int fileio_is_temporary(const char *name);
/* Removes the temporaries of fileio_write_atomic and of batches in folder dir (not below it): call under the lock that covers
 * what is written there, since another runner's temporary looks the same. */
void fileio_remove_temporaries(const char *dir);
/* The names of the folders in root that hold a readable file named file, sorted (hidden ones, '.'-first, left
 * out); free each and the array. Their number, or -1 with errno set (ENOMEM for memory). */
int fileio_list_holding(const char *root, const char *file, char ***names);

/* A text built in memory (f writes into it), then saved atomically. */
typedef struct fileio_text {
    char *buf;
    size_t size;
    FILE *f;
} fileio_text;

/* Opens an empty text. 0, or -1 with err. */
int fileio_text_open(fileio_text *t, char *err, size_t len);
/* Closes the stream and writes its text atomically to path; frees it either way. 0, or -1 with err. */
int fileio_text_save(fileio_text *t, const char *path, char *err, size_t len);
/* fileio_text_save through fileio_write_derived: for a derived file, not flushed to disk. */
int fileio_text_save_derived(fileio_text *t, const char *path, char *err, size_t len);
/* Frees a text that will not be saved (harmless after fileio_text_save). */
void fileio_text_drop(fileio_text *t);

#endif
