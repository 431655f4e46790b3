/* HDF5 helpers: errors become one line of words, never HDF5's stack dump. */
#include "h5util.h"
#include "fileio.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void h5util_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t first_desc(unsigned n, const H5E_error2_t *e, void *data)
{
    char **out = data;
    if (n == 0 && e->desc && *e->desc)
        snprintf(out[0], (size_t)(out[1] - out[0]), "%s", e->desc);
    return 0;
}

void h5util_cause(char *buf, size_t len)
{
    snprintf(buf, len, "unknown HDF5 error");
    char *range[2] = {buf, buf + len};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_desc, range);
    H5Eclear2(H5E_DEFAULT);
    /* a failed read or write of the sec2 driver is "file write failed: time = ...\n, filename = ..., errno = ...,
     * error message = 'No space left on device', ...": keep the system's message, and one line in any case */
    char *os = strstr(buf, "error message = '");
    if (os) {
        os += strlen("error message = '");
        size_t n = strcspn(os, "'");
        memmove(buf, os, n);
        buf[n] = 0;
    }
    buf[strcspn(buf, "\n")] = 0;
}

/* 1 when another process holds an exclusive lock on path (an HDF5 writer does, and HDF5 1.10 then refuses to
 * open it): the file is in use, which says nothing about whether it is damaged. */
static int locked_by_other(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return 0;
    int busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* releases our shared lock */
    return busy;
}

hid_t h5util_open(const char *path, char *why, size_t len) { return h5util_open_busy(path, NULL, why, len); }

hid_t h5util_open_busy(const char *path, int *busy, char *why, size_t len)
{
    if (busy)
        *busy = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, len, "%s", errno == ENOENT ? "no such file" : strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(why, len, "is a directory, not an HDF5 file");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, len, "cannot read: %s", strerror(errno));
        return -1;
    }
    fclose(f);
    if (locked_by_other(path)) {
        if (busy)
            *busy = 1;
        snprintf(why, len, "in use: another process holds a lock on it");
        return -1;
    }
    htri_t is = H5Fis_hdf5(path);
    if (is == 0) {
        snprintf(why, len, "not an HDF5 file");
        return -1;
    }
    if (is < 0) {
        char cause[200];
        h5util_cause(cause, sizeof cause);
        snprintf(why, len, "not a readable HDF5 file (%s)", cause);
        return -1;
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        char cause[200];
        h5util_cause(cause, sizeof cause);
        snprintf(why, len, "cannot open HDF5 file (%s)", cause);
    }
    return file;
}

int h5util_put_string(hid_t obj, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), attr = -1;
    int rc = -1;
    if (type >= 0 && space >= 0 && H5Tset_size(type, strlen(value) + 1) >= 0 &&
        (attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0 && H5Awrite(attr, type, value) >= 0)
        rc = 0;
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    return rc;
}

int h5util_get_string(hid_t obj, const char *name, char *buf, size_t len)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ftype = attr >= 0 ? H5Aget_type(attr) : -1;
    int rc = -1;
    if (ftype >= 0 && H5Tget_class(ftype) == H5T_STRING && !H5Tis_variable_str(ftype)) {
        size_t n = H5Tget_size(ftype);
        hid_t mtype = H5Tcopy(H5T_C_S1);
        char tmp[1024];
        if (n < sizeof tmp && H5Tset_size(mtype, n + 1) >= 0 && H5Aread(attr, mtype, tmp) >= 0) {
            tmp[n] = 0;
            snprintf(buf, len, "%s", tmp);
            rc = 0;
        }
        H5Tclose(mtype);
    }
    if (ftype >= 0) H5Tclose(ftype);
    if (attr >= 0) H5Aclose(attr);
    return rc;
}

hid_t h5util_create_memory(void)
{
    /* the core driver takes two open files of one name for the same file: each gets its own */
    static unsigned serial;
    char name[32];
    snprintf(name, sizeof name, "memory-%u", serial++);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    /* no metadata or small-data blocks reserved ahead: the image would carry their unused space, which a file on
     * disk gives back when it is closed */
    hid_t file = H5Pset_fapl_core(fapl, 64 * 1024, 0) >= 0 && H5Pset_meta_block_size(fapl, 0) >= 0 &&
                 H5Pset_small_data_block_size(fapl, 0) >= 0 ? H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : -1;
    H5Pclose(fapl);
    return file;
}

int h5util_save(hid_t file, const char *path, char *err, size_t len)
{
    /* the image is what the core driver holds: the metadata cache goes there first */
    ssize_t size = H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 ? H5Fget_file_image(file, NULL, 0) : -1;
    char *image = size > 0 ? malloc((size_t)size) : NULL;
    if (!image || H5Fget_file_image(file, image, (size_t)size) != size) {
        char cause[200];
        h5util_cause(cause, sizeof cause);
        snprintf(err, len, "%s: cannot write (%s)", path, image ? cause : "out of memory");
        free(image);
        H5Fclose(file);
        return -1;
    }
    H5Fclose(file);
    int rc = fileio_write_atomic(path, image, (size_t)size, err, len);
    free(image);
    return rc;
}

void h5util_version(char *buf, size_t len)
{
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, len, "%u.%u.%u", maj, min, rel);
}
