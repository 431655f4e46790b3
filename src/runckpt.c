/* In-run checkpoint files: one writer and one reader. The checksum covers every byte, so a torn or flipped file is
 * never trusted; the fingerprint and the sizes tie it to one run. */
#include "runckpt.h"
#include "dataset.h"
#include "fileio.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = {'R', 'U', 'N', 'C', 'K', 'P', 'T', '\n'};
enum { VERSION = 1 };

/* The fixed start of the file. */
typedef struct header {
    char magic[8];
    uint32_t version, nparts;
    uint64_t fingerprint;
    int32_t at_epoch, at_rows;
} header;

uint64_t runckpt_fingerprint(const train_job *job)
{
    uint64_t h = DATASET_FNV_BASIS;
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (f) {
        config_write(&job->cfg, f, CONFIG_WRITE_IDENTITY);
        fclose(f);
        h = dataset_fnv1a(h, text, n);
    }
    free(text);
    const dataset *sets[] = {job->train, job->val, job->test};
    for (int i = 0; i < 3; i++) {
        long long v[3] = {sets[i] ? sets[i]->rows : -1, sets[i] ? sets[i]->cols : -1,
                          sets[i] ? (long long)sets[i]->checksum : 0};
        h = dataset_fnv1a(h, v, sizeof v);
    }
    long long v[2] = {job->seed, job->nclasses};
    h = dataset_fnv1a(h, v, sizeof v);
    return dataset_fnv1a(h, job->net.params, job->net.nparams * sizeof(float));
}

/* fwrite of n bytes into f, adding them to the checksum *h; 0 or -1. */
static int put(FILE *f, const void *p, size_t n, uint64_t *h)
{
    *h = dataset_fnv1a(*h, p, n);
    return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}

int runckpt_save(const char *path, train_job *job, uint64_t fingerprint, char *err, size_t len)
{
    train_part parts[TRAIN_STATE_PARTS];
    int n = train_state(job, parts);
    header hd = {.version = VERSION, .nparts = (uint32_t)n, .fingerprint = fingerprint, .at_epoch = job->at_epoch,
                 .at_rows = job->at_rows};
    memcpy(hd.magic, magic, sizeof magic);
    char tmp[FILEIO_PATH];
    if (fileio_path(tmp, sizeof tmp, err, len, "%s" FILEIO_TMP "%d", path, (int)getpid()) < 0)
        return -1;
    errno = 0;
    FILE *f = fopen(tmp, "wb");
    uint64_t h = DATASET_FNV_BASIS;
    int rc = f ? put(f, &hd, sizeof hd, &h) : -1;
    for (int i = 0; i < n && rc == 0; i++) {
        uint64_t size = parts[i].size;
        rc = put(f, &size, sizeof size, &h);
    }
    for (int i = 0; i < n && rc == 0; i++)
        rc = put(f, parts[i].data, parts[i].size, &h);
    if (rc == 0)
        rc = fwrite(&h, sizeof h, 1, f) == 1 ? 0 : -1;
    if (f && fileio_close_synced(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) == 0)
        return 0;
    int e = errno ? errno : EIO;
    unlink(tmp);
    snprintf(err, len, "%s: cannot write: %s", path, strerror(e));
    return -1;
}

/* The whole file at path into *buf (*n bytes; free it): 1, 0 when there is none, -1 with errno. */
static int read_all(const char *path, unsigned char **buf, size_t *n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    *buf = NULL;
    size_t got = 0;
    if (fstat(fd, &st) == 0 && (*buf = malloc((size_t)st.st_size + 1)))
        for (ssize_t r = 1; got < (size_t)st.st_size && r > 0; got += r > 0 ? (size_t)r : 0)
            r = read(fd, *buf + got, (size_t)st.st_size - got);
    int e = !*buf ? ENOMEM : EIO;
    close(fd);
    if (*buf && got == (size_t)st.st_size) {
        *n = got;
        return 1;
    }
    free(*buf);
    errno = e;
    return -1;
}

/* Why a file of n bytes in buf is not a checkpoint of job with fingerprint fp, or NULL: then its position is in
 * *hd and the sizes of its parts at buf + sizeof *hd. */
static const char *check_header(const unsigned char *buf, size_t n, const train_job *job, uint64_t fp, header *hd)
{
    uint64_t sum;
    if (n < sizeof *hd + sizeof sum)
        return "too short for an in-run checkpoint";
    memcpy(hd, buf, sizeof *hd);
    memcpy(&sum, buf + n - sizeof sum, sizeof sum);
    if (memcmp(hd->magic, magic, sizeof magic))
        return "not an in-run checkpoint (bad magic)";
    if (hd->version != VERSION)
        return "written by another version of the runner";
    if (dataset_fnv1a(DATASET_FNV_BASIS, buf, n - sizeof sum) != sum)
        return "damaged (checksum mismatch)";
    if (hd->fingerprint != fp)
        return "written for another config, data or model";
    if (hd->at_epoch < 1 || hd->at_epoch > job->cfg.epochs || hd->at_rows < 0 || hd->at_rows > job->train->rows)
        return "its position is outside the run";
    return NULL;
}

/* Copies the parts in buf (n bytes, header hd) into job's state. NULL, or why they do not fit the run. */
static const char *fill(const unsigned char *buf, size_t n, const header *hd, train_job *job)
{
    train_part parts[TRAIN_STATE_PARTS];
    job->at_epoch = hd->at_epoch;
    job->at_rows = hd->at_rows;
    int np = train_state(job, parts);
    size_t off = sizeof *hd + (size_t)np * sizeof(uint64_t), total = off + sizeof(uint64_t);
    if ((int)hd->nparts != np || n < off)
        return "its sizes do not match the run's model and config";
    for (int i = 0; i < np; i++) {
        uint64_t size;
        memcpy(&size, buf + sizeof *hd + (size_t)i * sizeof size, sizeof size);
        if (size != parts[i].size)
            return "its sizes do not match the run's model and config";
        total += parts[i].size;
    }
    if (total != n)
        return "its sizes do not match the run's model and config";
    for (int i = 0; i < np; i++) {
        if (parts[i].size)
            memcpy(parts[i].data, buf + off, parts[i].size);
        off += parts[i].size;
    }
    return train_state_check(job) < 0 ? "its state is inconsistent" : NULL;
}

int runckpt_load(const char *path, train_job *job, uint64_t fingerprint, char *err, size_t len)
{
    unsigned char *buf;
    size_t n;
    int got = read_all(path, &buf, &n);
    if (got <= 0) {
        if (got < 0)
            snprintf(err, len, "%s: cannot read: %s", path, strerror(errno));
        return got;
    }
    header hd;
    const char *why = check_header(buf, n, job, fingerprint, &hd);
    if (!why)
        why = fill(buf, n, &hd, job);
    free(buf);
    if (!why)
        return 1;
    job->at_epoch = job->at_rows = 0;
    snprintf(err, len, "%s: %s", path, why);
    return -1;
}
