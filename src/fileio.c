/* File helpers: stdio with fsync before rename, errno kept for the message. */
#include "fileio.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

int fileio_write_atomic(const char *path, const char *text, size_t n, char *err, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) {
        snprintf(err, len, "%s: cannot write: %s", path, strerror(ENOMEM));
        return -1;
    }
    snprintf(tmp, plen + 32, "%s.tmp%d", path, (int)getpid());
    errno = 0;
    FILE *f = fopen(tmp, "w");
    int ok = f && fwrite(text, 1, n, f) == n;
    if (f)
        ok = fileio_close_synced(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno ? errno : EIO;
        unlink(tmp);
        snprintf(err, len, "%s: cannot write: %s", path, strerror(e));
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
