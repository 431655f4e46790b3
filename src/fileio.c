/* File helpers: stdio with fsync before rename, errno kept for the message. */
#define _GNU_SOURCE /* sync_file_range, Linux's */
#include "fileio.h"
#include "timing.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fileio_file_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
           S_ISSOCK(m) ? "a socket" : S_ISDIR(m) ? "a directory" : "a special file";
}

int fileio_open_regular(const char *path, mode_t *mode)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    int fd = S_ISREG(st.st_mode) ? open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY) : -2;
    if (fd == -1)
        return -1;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -2;
    }
    if (fd == -2) {
        *mode = st.st_mode;
        return -2;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

char *fileio_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n + 4097 > cap) {
            char *t = realloc(buf, cap = (n + 4097) * 2);
            if (!t) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = t;
        }
        got = fread(buf + n, 1, 4096, f);
        n += got;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

int fileio_close_synced(FILE *f)
{
    int rc = ferror(f) ? -1 : 0;
    if (fflush(f) != 0 || timing_fsync(fileno(f)) != 0)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

int fileio_close_started(FILE *f)
{
    int bad = ferror(f) || fflush(f) != 0, fd = bad ? -1 : fcntl(fileno(f), F_DUPFD_CLOEXEC, 0);
    if (fclose(f) != 0 && fd >= 0) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0)
        sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: fsync waits for the same pages anyway */
    return fd;
}

int fileio_finish_synced(int fd)
{
    int rc = timing_fsync(fd);
    return close(fd) != 0 ? -1 : rc;
}

/* 1 when path is a regular file that holds exactly the n bytes of text, so writing it again would change nothing
 * (a re-run's unchanged plot scripts, index, tables). A path is written either always durably or always as a
 * derived file: one that fileio_write_atomic finds holding its text was flushed before its rename, when it wrote
 * it. */
static int holds(const char *path, const char *text, size_t n)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)n)
        return 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), same = fd >= 0;
    char buf[16384];
    size_t at = 0;
    while (same && at < n) {
        ssize_t got = read(fd, buf, n - at < sizeof buf ? n - at : sizeof buf);
        same = got > 0 && memcmp(buf, text + at, (size_t)got) == 0;
        at += got > 0 ? (size_t)got : 0;
    }
    same = same && read(fd, buf, 1) == 0; /* not grown since the stat */
    if (fd >= 0)
        close(fd);
    return same;
}

/* The failure of a write through tmp, path's temporary: tmp removed and freed, "path: cannot write: cause" in err
 * (errno's, or EIO where none was set) and errno kept. -1. */
static int temporary_failed(const char *path, char *tmp, char *err, size_t len)
{
    int e = errno ? errno : EIO;
    unlink(tmp);
    snprintf(err, len, "%s: cannot write: %s", path, strerror(e));
    free(tmp);
    errno = e;
    return -1;
}

/* path's temporary ("<path>" FILEIO_TMP "<pid>") created and the n bytes of text written to it: the open stream,
 * and its name in *tmp (free it); NULL with err and errno set, and nothing left behind. */
static FILE *write_temporary(const char *path, const char *text, size_t n, char **tmp, char *err, size_t len)
{
    size_t plen = strlen(path);
    *tmp = malloc(plen + 32);
    if (!*tmp) {
        snprintf(err, len, "%s: cannot write: %s", path, strerror(ENOMEM));
        errno = ENOMEM;
        return NULL;
    }
    snprintf(*tmp, plen + 32, "%s" FILEIO_TMP "%d", path, (int)getpid());
    errno = 0;
    FILE *f = fopen(*tmp, "w");
    if (f && fwrite(text, 1, n, f) == n)
        return f;
    if (f)
        fclose(f);
    temporary_failed(path, *tmp, err, len);
    return NULL;
}

/* fileio_write_atomic, and fileio_write_derived when flush is 0 */
static int write_replace(const char *path, const char *text, size_t n, int flush, char *err, size_t len)
{
    if (holds(path, text, n))
        return 0;
    char *tmp;
    FILE *f = write_temporary(path, text, n, &tmp, err, len);
    if (!f)
        return -1;
    int ok;
    if (flush)
        ok = fileio_close_synced(f) == 0;
    else {
        int bad = fflush(f) != 0 || ferror(f);
        bad |= fclose(f) != 0;
        ok = !bad;
    }
    if (!ok || rename(tmp, path) != 0)
        return temporary_failed(path, tmp, err, len);
    free(tmp);
    return 0;
}

int fileio_write_atomic(const char *path, const char *text, size_t n, char *err, size_t len)
{
    return write_replace(path, text, n, 1, err, len);
}

int fileio_write_derived(const char *path, const char *text, size_t n, char *err, size_t len)
{
    return write_replace(path, text, n, 0, err, len);
}

int fileio_batch_write(fileio_batch *b, const char *path, const char *text, size_t n, char *err, size_t len)
{
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->path[i], path)) { /* its temporary would be the earlier one's */
            snprintf(err, len, "%s: cannot write: written twice in one batch", path);
            errno = EINVAL;
            return -1;
        }
    if (b->n == FILEIO_BATCH) {
        snprintf(err, len, "%s: cannot write: more than %d files in one batch", path, FILEIO_BATCH);
        errno = EINVAL;
        return -1;
    }
    if (holds(path, text, n))
        return 0;
    char *tmp, *dst = strdup(path);
    if (!dst) {
        snprintf(err, len, "%s: cannot write: %s", path, strerror(ENOMEM));
        errno = ENOMEM;
        return -1;
    }
    FILE *f = write_temporary(path, text, n, &tmp, err, len);
    int fd = f ? fileio_close_started(f) : -1;
    if (fd < 0) {
        free(dst);
        return f ? temporary_failed(path, tmp, err, len) : -1;
    }
    b->tmp[b->n] = tmp, b->path[b->n] = dst, b->fd[b->n] = fd;
    b->n++;
    return 0;
}

int fileio_batch_commit(fileio_batch *b, char *err, size_t len)
{
    int rc = 0;
    for (int i = 0; i < b->n; i++) {
        errno = 0;
        int synced = fileio_finish_synced(b->fd[i]) == 0;
        b->fd[i] = -1;
        if (rc == 0 && !synced) {
            snprintf(err, len, "%s: cannot write: %s", b->path[i], strerror(errno ? errno : EIO));
            rc = -1;
        }
    }
    for (int i = 0; i < b->n && rc == 0; i++)
        if (rename(b->tmp[i], b->path[i]) != 0) {
            snprintf(err, len, "%s: cannot write: %s", b->path[i], strerror(errno));
            rc = -1;
        } else {
            free(b->tmp[i]);
            b->tmp[i] = NULL;
        }
    fileio_batch_drop(b);
    return rc;
}

void fileio_batch_drop(fileio_batch *b)
{
    for (int i = 0; i < b->n; i++) {
        if (b->fd[i] >= 0)
            close(b->fd[i]);
        if (b->tmp[i])
            unlink(b->tmp[i]);
        free(b->tmp[i]);
        free(b->path[i]);
    }
    b->n = 0;
}

int fileio_sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = timing_fsync(fd);
    close(fd);
    return rc;
}

int fileio_make_dir(const char *path, char *err, size_t len)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        snprintf(err, len, "%s: exists and is not a directory", path);
        return -1;
    }
    snprintf(err, len, "%s: cannot create directory: %s", path, strerror(errno));
    return -1;
}

int fileio_path(char *buf, size_t size, char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) {
        snprintf(err, len, "%.100s...: path too long (at most %zu characters)", buf, size - 1);
        return -1;
    }
    return 0;
}

int fileio_make_dirs(const char *path, char *err, size_t len)
{
    char p[FILEIO_PATH];
    if (fileio_path(p, sizeof p, err, len, "%s", path) < 0)
        return -1;
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/')
            continue;
        char c = *s;
        *s = 0;
        if (fileio_make_dir(p, err, len) < 0)
            return -1;
        *s = c;
        if (!c)
            return 0;
    }
}

int fileio_dirs_possible(const char *path, char *err, size_t len)
{
    char p[FILEIO_PATH], last[FILEIO_PATH] = ".";
    if (fileio_path(p, sizeof p, err, len, "%s", path) < 0)
        return 0;
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/')
            continue;
        char c = *s;
        *s = 0;
        struct stat st;
        if (stat(p, &st) != 0) {
            *s = c;
            break; /* from here on, folders to create in last */
        }
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, len, "%s: exists and is not a directory", p);
            return 0;
        }
        snprintf(last, sizeof last, "%s", p);
        *s = c;
        if (!c)
            break;
    }
    if (p[0] == '/' && !strcmp(last, ".")) /* "/" itself, which the loop does not look at */
        snprintf(last, sizeof last, "/");
    if (access(last, W_OK | X_OK) != 0) {
        snprintf(err, len, "%s: cannot write there: %s", last, strerror(errno));
        return 0;
    }
    return 1;
}

void fileio_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) { /* a file, a symbolic link (never followed) or anything else */
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[FILEIO_PATH];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                snprintf(p, sizeof p, "%s/%s", path, e->d_name) < (int)sizeof p)
                fileio_remove_tree(p);
        closedir(d);
    }
    rmdir(path);
}

/* 1 when name is "NAME" marker "DIGITS" with a non-empty NAME. */
static int marked(const char *name, const char *marker)
{
    size_t n = strlen(name), m = strlen(marker);
    size_t digits = 0;
    while (digits < n && name[n - 1 - digits] >= '0' && name[n - 1 - digits] <= '9')
        digits++;
    return digits > 0 && n > digits + m && !strncmp(name + n - digits - m, marker, m);
}

int fileio_is_temporary(const char *name)
{
    /* ".tmpPID" is what runners before FILEIO_TMP wrote */
    return marked(name, FILEIO_TMP) || marked(name, ".tmp");
}

void fileio_remove_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char p[FILEIO_PATH];
    for (struct dirent *e; (e = readdir(d));)
        if (fileio_is_temporary(e->d_name) && snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < (int)sizeof p)
            unlink(p);
    closedir(d);
}

int fileio_text_open(fileio_text *t, char *err, size_t len)
{
    t->buf = NULL;
    t->size = 0;
    if (!(t->f = open_memstream(&t->buf, &t->size))) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    return 0;
}

/* fileio_text_save, and fileio_text_save_derived when flush is 0 */
static int text_save(fileio_text *t, const char *path, int flush, char *err, size_t len)
{
    int bad = ferror(t->f);
    bad |= fclose(t->f) != 0;
    t->f = NULL;
    int rc = -1;
    if (bad)
        snprintf(err, len, "%s: out of memory", path);
    else
        rc = write_replace(path, t->buf, t->size, flush, err, len);
    free(t->buf);
    t->buf = NULL;
    return rc;
}

int fileio_text_save(fileio_text *t, const char *path, char *err, size_t len) { return text_save(t, path, 1, err, len); }

int fileio_text_save_derived(fileio_text *t, const char *path, char *err, size_t len)
{
    return text_save(t, path, 0, err, len);
}

void fileio_text_drop(fileio_text *t)
{
    if (t->f)
        fclose(t->f);
    free(t->buf);
    t->f = NULL;
    t->buf = NULL;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int fileio_list_holding(const char *root, const char *file, char ***names)
{
    DIR *d = opendir(root);
    int n = 0, cap = 0, rc = 0;
    *names = NULL;
    if (!d)
        return -1;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        char path[FILEIO_PATH];
        if (e->d_name[0] == '.' || snprintf(path, sizeof path, "%s/%s/%s", root, e->d_name, file) >= (int)sizeof path ||
            access(path, R_OK) != 0)
            continue;
        char **t = n < cap ? *names : realloc(*names, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *t);
        if (!t || !(t[n] = strdup(e->d_name)))
            rc = -1;
        else
            n++;
        if (t)
            *names = t;
    }
    closedir(d);
    if (rc < 0) {
        for (int i = 0; i < n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        errno = ENOMEM;
        return -1;
    }
    if (n)
        qsort(*names, (size_t)n, sizeof **names, cmp_names);
    return n;
}
