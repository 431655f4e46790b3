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

/* Opens path for the checks before HDF5 sees it: a regular file only (a FIFO or a device would block or never end
 * in open or read: refused, and again after a non-blocking open in case one was put there since the stat), and
 * not locked by another process (an HDF5 writer holds an exclusive lock, and HDF5 1.10 then refuses to open it:
 * the file is in use, which says nothing about whether it is damaged). 0, or -1 with why (and *busy for a lock). */
static int check_file(const char *path, int *busy, char *why, size_t len)
{
    mode_t mode;
    int fd = fileio_open_regular(path, &mode);
    if (fd == -1 && errno == EISDIR)
        snprintf(why, len, "is a directory, not an HDF5 file");
    else if (fd == -1)
        snprintf(why, len, "%s", errno == ENOENT ? "no such file" : strerror(errno));
    else if (fd == -2)
        snprintf(why, len, "not a regular file (%s)", fileio_file_kind(mode));
    if (fd < 0)
        return -1;
    int locked = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* releases our shared lock */
    if (locked) {
        if (busy)
            *busy = 1;
        snprintf(why, len, "in use: another process holds a lock on it");
        return -1;
    }
    return 0;
}

hid_t h5util_open(const char *path, char *why, size_t len) { return h5util_open_busy(path, NULL, why, len); }

int h5util_busy(const char *path, char *why, size_t len)
{
    int busy = 0;
    check_file(path, &busy, why, len);
    return busy;
}

hid_t h5util_open_busy(const char *path, int *busy, char *why, size_t len)
{
    if (busy)
        *busy = 0;
    if (check_file(path, busy, why, len) < 0)
        return -1;
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

/* The folder of path ("." for a bare name) into dir. */
static void folder_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else
        snprintf(dir, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* Whether dataset dset can be opened in the HDF5 file at path (a regular file). */
static int dataset_in(const char *path, const char *dset)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int found = f >= 0 && H5Lexists(f, dset, H5P_DEFAULT) > 0;
    if (f >= 0)
        H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return found;
}

/* Whether source dset in file src of a virtual dataset in the file at path (open as self) is there, looking
 * where HDF5 does for a relative src: under $H5_VDS_PREFIX, beside the virtual file, then from the working
 * directory ("." is the virtual file itself). */
static int source_present(hid_t self, const char *path, const char *src, const char *dset)
{
    if (!strcmp(src, "."))
        return H5Lexists(self, dset, H5P_DEFAULT) > 0;
    if (src[0] == '/')
        return dataset_in(src, dset);
    char dir[4096], cand[8192];
    const char *prefix = getenv("H5_VDS_PREFIX");
    if (prefix && *prefix && snprintf(cand, sizeof cand, "%s/%s", prefix, src) < (int)sizeof cand &&
        dataset_in(cand, dset))
        return 1;
    folder_of(path, dir, sizeof dir);
    return (snprintf(cand, sizeof cand, "%s/%s", dir, src) < (int)sizeof cand && dataset_in(cand, dset)) ||
           dataset_in(src, dset);
}

/* Every mapping of a virtual dataset has its source; -1 with why naming the first missing one. */
static int check_virtual(hid_t ds, hid_t dcpl, const char *path, const char *name, char *why, size_t len)
{
    size_t n = 0;
    if (H5Pget_virtual_count(dcpl, &n) < 0)
        n = 0;
    hid_t self = H5Iget_file_id(ds);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char src[4096] = "", dset[1024] = "";
        if (H5Pget_virtual_filename(dcpl, i, src, sizeof src) < 0 || H5Pget_virtual_dsetname(dcpl, i, dset, sizeof dset) < 0 ||
            !source_present(self, path, src, dset)) {
            snprintf(why, len, "'%s' is a virtual dataset whose source '%s' in '%s' is missing (it would read as "
                     "fill values)", name, dset, src);
            rc = -1;
        }
    }
    if (self >= 0)
        H5Fclose(self);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* Every file of external storage is there and holds the bytes the dataset reads from it; -1 with why. */
static int check_external(hid_t ds, hid_t dcpl, const char *name, char *why, size_t len)
{
    int n = H5Pget_external_count(dcpl);
    hid_t space = H5Dget_space(ds), type = H5Dget_type(ds);
    hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    unsigned long long need = points > 0 && type >= 0 ? (unsigned long long)points * H5Tget_size(type) : 0;
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    for (int i = 0; i < n && need > 0; i++) {
        char file[4096] = "";
        off_t offset = 0;
        hsize_t size = 0;
        struct stat st;
        if (H5Pget_external(dcpl, (unsigned)i, sizeof file, file, &offset, &size) < 0)
            file[0] = 0;
        unsigned long long take = size == H5F_UNLIMITED || size > need ? need : size;
        if (stat(file, &st) != 0 || !S_ISREG(st.st_mode) ||
            (unsigned long long)st.st_size < (unsigned long long)offset + take) {
            snprintf(why, len, "'%s' is stored in external file '%s', which is %s", name, file,
                     stat(file, &st) != 0 ? "missing" : !S_ISREG(st.st_mode) ? "not a regular file" :
                     "shorter than the data (it would read as zeros)");
            return -1;
        }
        need -= take;
    }
    return 0;
}

int h5util_check_storage(hid_t ds, const char *path, const char *name, char *why, size_t len)
{
    hid_t dcpl = H5Dget_create_plist(ds);
    if (dcpl < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int rc = H5Pget_layout(dcpl) == H5D_VIRTUAL ? check_virtual(ds, dcpl, path, name, why, len)
                                                : check_external(ds, dcpl, name, why, len);
    H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    return rc;
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

hid_t h5util_transfer(size_t bytes)
{
    size_t size = bytes < 4096 ? 4096 : bytes > (1 << 20) ? (1 << 20) : bytes;
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0 && H5Pset_buffer(dxpl, size, NULL, NULL) < 0) {
        H5Pclose(dxpl);
        dxpl = -1;
    }
    return dxpl;
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

char *h5util_image(hid_t file, int rc, size_t *size, const char *path, const char *what, char *err, size_t len)
{
    /* the image is what the core driver holds: the metadata cache goes there first */
    ssize_t n = rc == 0 && file >= 0 && H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 ? H5Fget_file_image(file, NULL, 0) : -1;
    char *image = n > 0 ? malloc((size_t)n) : NULL;
    if (!image || H5Fget_file_image(file, image, (size_t)n) != n) {
        char cause[200];
        if (n > 0 && !image)
            snprintf(cause, sizeof cause, "out of memory");
        else
            h5util_cause(cause, sizeof cause);
        snprintf(err, len, "%s: %s (%s)", path, what, cause);
        free(image);
        if (file >= 0)
            H5Fclose(file);
        return NULL;
    }
    H5Fclose(file);
    *size = (size_t)n;
    return image;
}

/* h5util_finish, and h5util_finish_derived when flush is 0 */
static int finish(hid_t file, int rc, int flush, const char *path, const char *what, char *err, size_t len)
{
    size_t size;
    char *image = h5util_image(file, rc, &size, path, what, err, len);
    if (!image)
        return -1;
    rc = flush ? fileio_write_atomic(path, image, size, err, len) : fileio_write_derived(path, image, size, err, len);
    free(image);
    return rc;
}

int h5util_save(hid_t file, const char *path, char *err, size_t len)
{
    return finish(file, 0, 1, path, "cannot write", err, len);
}

int h5util_finish(hid_t file, int rc, const char *path, const char *what, char *err, size_t len)
{
    return finish(file, rc, 1, path, what, err, len);
}

int h5util_finish_derived(hid_t file, int rc, const char *path, const char *what, char *err, size_t len)
{
    return finish(file, rc, 0, path, what, err, len);
}

void h5util_version(char *buf, size_t len)
{
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, len, "%u.%u.%u", maj, min, rel);
}
