/* Small HDF5 helpers shared by dataset and checkpoint: quiet error handling and one-line causes.
 * Main thread only: HDF5 is not called from inside OpenMP regions or worker threads. */
#ifndef H5UTIL_H
#define H5UTIL_H
#include <hdf5.h>
#include <stddef.h>

/* Turns off HDF5's automatic error printing; call once before any other HDF5 call. */
void h5util_quiet(void);
/* Opens an existing HDF5 file read-only; returns its id, or -1 with why: missing, a directory, not a regular file
 * (a FIFO or a device, refused before anything could block), unreadable, locked by another process, not HDF5, or
 * HDF5's own innermost cause (e.g. a truncated file). */
hid_t h5util_open(const char *path, char *why, size_t len);
/* h5util_open that tells "cannot open now" from "damaged": *busy (when not NULL) is 1 when the file failed to
 * open because another process holds a lock on it, else 0. */
hid_t h5util_open_busy(const char *path, int *busy, char *why, size_t len);
/* 1 when path is a regular file that another process holds a lock on (why filled), without opening it in HDF5;
 * else 0. */
int h5util_busy(const char *path, char *why, size_t len);
/* Checks that dataset ds of the file at path reads its own values: a virtual dataset whose source file or
 * dataset is missing, or external storage whose file is missing or short, would read as fill values. 0, or -1
 * with why naming the dataset and the missing source. */
int h5util_check_storage(hid_t ds, const char *path, const char *name, char *why, size_t len);
/* The most specific message on HDF5's error stack, or "unknown HDF5 error". */
void h5util_cause(char *buf, size_t len);
/* Writes a string attribute on an object; returns 0 or -1. */
int h5util_put_string(hid_t obj, const char *name, const char *value);
/* Reads a string attribute; returns 0, or -1 when absent or not a string. */
int h5util_get_string(hid_t obj, const char *name, char *buf, size_t len);
/* A dataset transfer property list (close it with H5Pclose) whose type-conversion buffer holds bytes, at least 4
 * KiB and at most HDF5's default 1 MiB: HDF5 calloc's that buffer at every read or write that converts, and a
 * table of a few rows or a read converted in strips needs no MiB zeroed. -1 on failure. */
hid_t h5util_transfer(size_t bytes);
/* Creates an HDF5 file in memory only (core driver, no backing store), to be written out by h5util_save: a full
 * disk then fails one write() we check, never an H5Fclose that leaves HDF5 holding a broken file (HDF5 1.10 would
 * close it again at exit and crash). Returns the file id, or -1. */
hid_t h5util_create_memory(void);
/* Writes the image of a file from h5util_create_memory to path atomically (a temporary file beside it, fsync,
 * rename) and closes the file, also on failure. 0, or -1 with "path: cause" in err and errno set; path is then
 * unchanged. */
int h5util_save(hid_t file, const char *path, char *err, size_t len);
/* Ends a file from h5util_create_memory (or its -1): when rc is 0, h5util_save; else closes it and puts
 * "path: what (HDF5's cause)" in err. 0, or -1 with err. */
int h5util_finish(hid_t file, int rc, const char *path, const char *what, char *err, size_t len);
/* h5util_finish for a file rebuilt from committed results by every run (results.h5): written as
 * fileio_write_derived, not flushed to disk. */
int h5util_finish_derived(hid_t file, int rc, const char *path, const char *what, char *err, size_t len);
/* The bytes of a file from h5util_create_memory (or its -1), which it closes: when rc is 0, a malloc'd image of
 * *size bytes, for a caller that writes it out with other files; else NULL with "path: what (HDF5's cause)" in err
 * (path only names the file in err). */
char *h5util_image(hid_t file, int rc, size_t *size, const char *path, const char *what, char *err, size_t len);
/* HDF5 library version as "1.10.8". */
void h5util_version(char *buf, size_t len);

#endif
