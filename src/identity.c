/* The experiment's identity on disk: experiment.ini (config_write's identity of the base config), data.fnv1a64
 * (the data's checksums) and plan.txt (the whole plan); one module writes and reads all three, and checks a run
 * against them. */
#include "identity.h"
#include "fileio.h"
#include "timing.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The identity of c (config_write CONFIG_WRITE_IDENTITY) as a text to free, or NULL when out of memory. */
static char *identity_text(const config *c)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (!mem)
        return NULL;
    int bad = config_write(c, mem, CONFIG_WRITE_IDENTITY) != 0;
    if (fclose(mem) != 0 || bad) {
        free(text);
        return NULL;
    }
    return text;
}

/* Creates path with text unless it exists, atomically even beside other hosts (link(2) of a complete, flushed
 * temporary, which NFS makes atomic too): 0 when written, 1 when the file was there, -1 with err. */
static int write_once(const char *path, const char *text, char *err, size_t len)
{
    char tmp[IDENTITY_PATH + 64];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    /* the PID and the nanoseconds: another host's runner may have the same PID */
    snprintf(tmp, sizeof tmp, "%s" FILEIO_TMP "%d%09ld", path, (int)getpid(), now.tv_nsec);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    size_t n = strlen(text);
    int bad = fd < 0 || write(fd, text, n) != (ssize_t)n || timing_fsync(fd) != 0;
    if (fd >= 0 && close(fd) != 0)
        bad = 1;
    int rc = bad ? -1 : link(tmp, path) == 0 ? 0 : errno == EEXIST ? 1 : -1;
    if (rc < 0)
        snprintf(err, len, "%s: cannot write: %s", path, strerror(errno ? errno : EIO));
    if (fd >= 0)
        unlink(tmp);
    return rc;
}

/* The text of path, written from text when the file is missing and mode is IDENTITY_ONCE (a shard: the first one
 * writes it, the others read what it wrote), or NULL when it is missing (errno ENOENT) or cannot be written (err
 * filled, errno something else). Free it. */
static char *read_or_create(const char *path, const char *text, int mode, char *err, size_t len)
{
    char *old = fileio_read(path);
    if (old || mode != IDENTITY_ONCE)
        return old;
    int w = write_once(path, text, err, len);
    if (w < 0)
        return NULL;
    errno = 0;
    return fileio_read(path);
}

/* 1 when text has the shape of an identity this runner writes (config_write's): "[experiment]" and the name
 * first, whole lines, each blank, a section header, "key = value" with a key of its section, or in [sweep]
 * "section.key = (swept)". An empty, cut or overwritten experiment.ini has not, and a key-by-key comparison with it
 * would name keys that do not differ. (A section whose keys are all swept or left out has no header: none is
 * required but the first.) */
static int identity_shaped(const char *text)
{
    size_t n = strlen(text);
    if (strncmp(text, "[experiment]\nname = ", 20) || text[n - 1] != '\n')
        return 0;
    char section[16] = "";
    for (const char *l = text; *l; l += strcspn(l, "\n") + 1) {
        size_t len = strcspn(l, "\n"), key = strcspn(l, " \n");
        if (len == 0)
            continue;
        if (l[0] == '[') {
            if (len < 3 || len - 2 >= sizeof section || l[len - 1] != ']')
                return 0;
            snprintf(section, sizeof section, "%.*s", (int)(len - 2), l + 1);
            continue;
        }
        char dotted[96];
        if (key >= 64 || key + 3 > len || strncmp(l + key, " = ", 3))
            return 0;
        int sweep = !strcmp(section, "sweep");
        snprintf(dotted, sizeof dotted, "%s%s%.*s", sweep ? "" : section, sweep ? "" : ".", (int)key, l);
        int ok = config_find(dotted) >= 0 && (!sweep || (len == key + 10 && !strncmp(l + key + 3, "(swept)", 7)));
        if (!ok)
            return 0;
    }
    return 1;
}

/* Compares experiment.ini with the identity of base: writes it when new (or with IDENTITY_FORCE), refuses a
 * different one, naming each key that differs, and a damaged one as such. */
static error_class check_identity(const char *dir, const config *base, int mode, fileio_batch *batch, char *err,
                                  size_t len)
{
    char path[IDENTITY_PATH + 32];
    char *identity = identity_text(base);
    if (!identity) {
        snprintf(err, len, "out of memory");
        return ERROR_OUTPUT;
    }
    snprintf(path, sizeof path, "%s/experiment.ini", dir);
    char *old = read_or_create(path, identity, mode, err, len);
    error_class rc = ERROR_NONE;
    if (!old && mode == IDENTITY_ONCE) {
        rc = ERROR_OUTPUT;
    } else if (old && strcmp(old, identity) && mode != IDENTITY_FORCE && !identity_shaped(old)) {
        snprintf(err, len, "%s: experiment.ini is damaged (not the identity a runner writes: empty, cut short or "
                 "overwritten), so its runs cannot be matched to a configuration; restore it, or %s", dir,
                 mode == IDENTITY_ONCE || mode == IDENTITY_READ || mode == IDENTITY_COLLECT
                     ? "train everything again with a plain run and --force"
                     : "--force to train everything again");
        rc = ERROR_OUTPUT; /* the results folder's damage, as --verify's damaged runs */
    } else if (old && strcmp(old, identity) && mode != IDENTITY_FORCE) {
        char diff[600];
        config_identity_diff(old, identity, diff, sizeof diff);
        snprintf(err, len, "%s: results there come from a different configuration (%s); %s", dir, diff,
                 mode == IDENTITY_ONCE   ? "every shard must run the experiment's configuration"
                 : mode == IDENTITY_READ || mode == IDENTITY_COLLECT ? "give the configuration they were trained with"
                                         : "use another experiment.name, or --force to train everything again");
        rc = ERROR_USAGE;
    } else if (mode != IDENTITY_READ && (!old || strcmp(old, identity))) {
        rc = fileio_batch_write(batch, path, identity, strlen(identity), err, len) < 0 ? ERROR_OUTPUT : ERROR_NONE;
    }
    free(old);
    free(identity);
    return rc;
}

/* Every sweep list of base as a line "sweep.section.key=a, b", in plan order. */
static void put_sweep_lists(FILE *f, const config *base)
{
    for (int i = 0; i < base->nsweep; i++) {
        const config_sweep *w = &base->sweep[i];
        fprintf(f, "sweep.%s.%s=", config_key_section(w->key), config_key_name(w->key));
        for (int j = 0; j < w->nvalues; j++)
            fprintf(f, "%s%s", j ? ", " : "", w->values[j]);
        fprintf(f, "\n");
    }
}

/* Writes IDENTITY_PLAN: every key of base as "section.key=value" and every sweep list as "sweep.section.key=a, b",
 * the --set syntax (a sweep list can be longer than an INI line may be). What --verify expects. */
static error_class write_plan(const char *dir, const config *base, int mode, fileio_batch *batch, char *err,
                              size_t len)
{
    char path[IDENTITY_PATH + 32], *ini = NULL;
    size_t size = 0;
    config flat = *base; /* the keys alone; the lists follow */
    flat.sweep = NULL;
    flat.nsweep = 0;
    FILE *mem = open_memstream(&ini, &size);
    int bad = !mem || config_write(&flat, mem, CONFIG_WRITE_ALL) != 0;
    if ((mem && fclose(mem) != 0) || bad) {
        free(ini);
        snprintf(err, len, "out of memory");
        return ERROR_OUTPUT;
    }
    fileio_text t;
    if (fileio_text_open(&t, err, len) < 0) {
        free(ini);
        return ERROR_OUTPUT;
    }
    char section[64] = "";
    for (char *l = ini; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
        int n = (int)strcspn(l, "\n");
        char *eq = strstr(l, " = ");
        if (*l == '[')
            snprintf(section, sizeof section, "%.*s", n > 2 ? n - 2 : 0, l + 1);
        else if (eq && eq < l + n)
            fprintf(t.f, "%s.%.*s=%.*s\n", section, (int)(eq - l), l, (int)(l + n - eq - 3), eq + 3);
    }
    free(ini);
    put_sweep_lists(t.f, base);
    snprintf(path, sizeof path, "%s/" IDENTITY_PLAN, dir);
    int failed = ferror(t.f) || fflush(t.f) != 0; /* a line lost to memory would go unseen in the text */
    if (failed)
        snprintf(err, len, "out of memory");
    else if (mode != IDENTITY_ONCE)
        failed = fileio_batch_write(batch, path, t.buf, t.size, err, len) < 0;
    else
        failed = write_once(path, t.buf, err, len) < 0;
    fileio_text_drop(&t);
    return failed ? ERROR_OUTPUT : ERROR_NONE;
}

char *identity_plan_lists(const config *base)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    fprintf(f, "experiment.seeds=");
    for (int i = 0; i < base->nseeds; i++)
        fprintf(f, "%s%lld", i ? ", " : "", base->seeds[i]);
    fprintf(f, "\n");
    put_sweep_lists(f, base);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The value of line "key=value" of lists (key of length klen), with its length in *n; NULL when absent. */
static const char *plan_value(const char *lists, const char *key, size_t klen, size_t *n)
{
    for (const char *l = lists; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
        if (!strncmp(l, key, klen) && l[klen] == '=') {
            *n = strcspn(l + klen + 1, "\n");
            return l + klen + 1;
        }
    *n = 0;
    return NULL;
}

/* 1 when key k (of length klen) has another value, or none, in b than in a, with "key: A -> B" in out (each value
 * cut at 200 characters: only the text is cut, never the comparison), else 0. */
static int plan_line_differs(const char *a, const char *b, const char *k, size_t klen, char *out, size_t len)
{
    size_t na, nb;
    const char *va = plan_value(a, k, klen, &na), *vb = plan_value(b, k, klen, &nb);
    if ((va != NULL) == (vb != NULL) && na == nb && (!va || !memcmp(va, vb, na)))
        return 0;
    snprintf(out, len, "%.*s: %.*s%s -> %.*s%s", (int)klen, k, va ? (int)(na > 200 ? 200 : na) : 4,
             va ? va : "none", na > 200 ? "..." : "", vb ? (int)(nb > 200 ? 200 : nb) : 4, vb ? vb : "none",
             nb > 200 ? "..." : "");
    return 1;
}

int identity_plan_diff(const char *a, const char *b, char *out, size_t len)
{
    const char *both[2] = {a, b};
    for (int t = 0; t < 2; t++) /* the keys of a, then those only b has */
        for (const char *l = both[t]; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
            size_t klen = strcspn(l, "=\n");
            if (l[klen] == '=' && plan_line_differs(a, b, l, klen, out, len))
                return 1;
        }
    return 0;
}

/* The value of "key = value" in a manifest, into buf; 0, or -1 when absent. */
static int manifest_value(const char *text, const char *key, char *buf, size_t len)
{
    size_t k = strlen(key);
    for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
        if (!strncmp(l, key, k) && !strncmp(l + k, " = ", 3)) {
            snprintf(buf, len, "%.*s", (int)strcspn(l + k + 3, "\n"), l + k + 3);
            return 0;
        }
    return -1;
}

int identity_run_sums(const char *rundir, char train[17], char test[17])
{
    char path[IDENTITY_PATH + 400];
    snprintf(path, sizeof path, "%s/manifest.txt", rundir);
    char *manifest = fileio_read(path);
    int rc = manifest && manifest_value(manifest, "data_fnv1a64", train, 17) == 0 &&
                     manifest_value(manifest, "test_fnv1a64", test, 17) == 0 && strlen(train) == 16 &&
                     strlen(test) == 16
                 ? 0
                 : -1;
    free(manifest);
    return rc;
}

/* 1 when sums (lines "CHECKSUM PATH") lists path but never with checksum hex; the first listed into was. */
static int sums_differ(const char *sums, const char *path, const char *hex, char *was, size_t wlen)
{
    int listed = 0;
    for (const char *l = sums; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
        size_t n = strcspn(l, "\n");
        if (n <= 17 || l[16] != ' ' || n - 17 != strlen(path) || strncmp(l + 17, path, n - 17))
            continue;
        if (!strncmp(l, hex, 16) && strlen(hex) == 16)
            return 0;
        if (!listed++)
            snprintf(was, wlen, "%.16s", l);
    }
    return listed > 0;
}

/* The first data file of a run's manifest whose checksum sums lists otherwise: 1 with "PATH: FNV-1a 64 WAS in
 * the manifest, NOW now" in why, else 0. */
static int manifest_differs(const char *manifest, const char *sums, char *why, size_t len)
{
    static const char *const keys[][2] = {{"data_file", "data_fnv1a64"}, {"test_file", "test_fnv1a64"}};
    char path[CONFIG_PATH + 8], hex[40], now[20];
    for (int i = 0; i < 2; i++)
        if (manifest_value(manifest, keys[i][0], path, sizeof path) == 0 &&
            manifest_value(manifest, keys[i][1], hex, sizeof hex) == 0 &&
            sums_differ(sums, path, hex, now, sizeof now)) {
            snprintf(why, len, "%.520s: FNV-1a 64 %.16s when the run was trained, %.16s now", path, hex, now);
            return 1;
        }
    return 0;
}

/* Checks that the manifest of run folder rundir names the data checksums of dir's IDENTITY_SUMS (an experiment
 * from before those were recorded has none: store_open checked its manifests once). */
static int check_run_sums(const char *dir, const char *rundir, char *why, size_t len)
{
    char path[IDENTITY_PATH + 400], detail[1024];
    snprintf(path, sizeof path, "%s/" IDENTITY_SUMS, dir);
    char *sums = fileio_read(path);
    if (!sums)
        return 0;
    snprintf(path, sizeof path, "%s/manifest.txt", rundir);
    char *manifest = fileio_read(path);
    int rc = 0;
    if (!manifest || manifest_differs(manifest, sums, detail, sizeof detail)) {
        snprintf(why, len, "trained on other data (%s)", manifest ? detail : "manifest.txt unreadable");
        rc = -1;
    }
    free(sums);
    free(manifest);
    return rc;
}

/* Manifests of the runs in dir/runs checked against sums: for an experiment whose checksums were not recorded yet
 * (written by an earlier version). 0, or -1 with the first run trained on other data named in why. */
static int legacy_manifests(const char *dir, const char *sums, char *why, size_t len)
{
    char path[IDENTITY_PATH + 400], detail[1024];
    snprintf(path, sizeof path, "%s/runs", dir);
    DIR *d = opendir(path);
    int rc = 0;
    for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/runs/%s/manifest.txt", dir, e->d_name);
        char *manifest = fileio_read(path);
        if (manifest && manifest_differs(manifest, sums, detail, sizeof detail)) {
            snprintf(why, len, "%.600s (run %.200s)", detail, e->d_name);
            rc = -1;
        }
        free(manifest);
    }
    if (d)
        closedir(d);
    return rc;
}

/* Compares the checksums of the plan's data files with dir's IDENTITY_SUMS (or, when it is missing, with the
 * manifests of the runs there): refuses changed data unless force, and records the checksums. */
static error_class check_sums(const char *dir, const plandata *data, int mode, fileio_batch *batch, char *err,
                              size_t len)
{
    char path[IDENTITY_PATH + 32], detail[1024] = "";
    fileio_text t;
    if (fileio_text_open(&t, err, len) < 0)
        return ERROR_OUTPUT;
    plandata_sums(data, t.f);
    if (ferror(t.f) || fflush(t.f) != 0) {
        fileio_text_drop(&t);
        snprintf(err, len, "out of memory");
        return ERROR_OUTPUT;
    }
    snprintf(path, sizeof path, "%s/" IDENTITY_SUMS, dir);
    int legacy = mode == IDENTITY_ONCE && access(path, F_OK) != 0 && legacy_manifests(dir, t.buf, detail, sizeof detail) < 0;
    char *old = legacy ? NULL : read_or_create(path, t.buf, mode, err, len);
    int changed = 0;
    if (!old && !legacy && mode == IDENTITY_ONCE) {
        fileio_text_drop(&t);
        return ERROR_OUTPUT;
    }
    if (old && strcmp(old, t.buf)) {
        char hex[20], file[CONFIG_PATH + 8];
        /* each current line against the recorded ones */
        for (const char *l = t.buf; *l && !changed; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
            if (sscanf(l, "%16s", hex) == 1 && snprintf(file, sizeof file, "%.*s", (int)strcspn(l, "\n") - 17,
                                                        l + 17) > 0 && sums_differ(old, file, hex, detail, 20)) {
                snprintf(err, len, "%s: %s changed since the results there were trained (FNV-1a 64 %.16s, now "
                         "%s)", dir, file, detail, hex);
                changed = 1;
            }
    } else if (!old && (legacy || legacy_manifests(dir, t.buf, detail, sizeof detail) < 0)) {
        snprintf(err, len, "%s: the data changed since the results there were trained: %s", dir, detail);
        changed = 1;
    }
    error_class rc = ERROR_NONE;
    if (changed && mode != IDENTITY_FORCE) {
        /* --status, --verify and --collect take no --force, nor does a shard: a plain run does */
        snprintf(err + strlen(err), len - strlen(err), "%s",
                 mode == IDENTITY_ONCE ? "; every shard must run on the experiment's data (or train everything "
                                         "again with a plain run and --force)"
                 : mode != IDENTITY_READ && mode != IDENTITY_COLLECT
                     ? "; use another experiment.name, or --force to train everything again"
                     : "");
        rc = ERROR_USAGE;
        fileio_text_drop(&t);
    } else {
        if (mode != IDENTITY_READ && (!old || strcmp(old, t.buf)))
            rc = fileio_batch_write(batch, path, t.buf, t.size, err, len) < 0 ? ERROR_OUTPUT : ERROR_NONE;
        fileio_text_drop(&t);
    }
    free(old);
    return rc;
}

/* Checks that config.ini of run folder rundir resolves to want (compared as config_write's identity, which
 * leaves out the seeds and what does not change a run's numbers). */
static int check_config(const char *rundir, const config *want, char *why, size_t len)
{
    char path[IDENTITY_PATH + 400];
    config have;
    config_errors errs = {0};
    config_defaults(&have);
    snprintf(path, sizeof path, "%s/config.ini", rundir);
    int bad = config_load(&have, path, &errs) != 0;
    char *a = bad ? NULL : identity_text(&have), *b = bad ? NULL : identity_text(want);
    int rc = 0;
    if (bad || !a || !b) {
        snprintf(why, len, "config.ini %s", bad ? "is malformed" : "cannot be compared: out of memory");
        rc = -1;
    } else if (strcmp(a, b)) {
        /* each differing key, as a refused experiment names them */
        char diff[600];
        config_identity_diff(a, b, diff, sizeof diff);
        snprintf(why, len, "trained with another configuration (%s: config.ini -> the plan)", diff);
        rc = -1;
    }
    free(a);
    free(b);
    config_errors_free(&errs);
    config_free(&have);
    return rc;
}

/* The checks of identity_open, and the three files started to the disk together in *batch, to be renamed in this
 * order once all are there; a plain run writes nothing when a check refuses (a shard's experiment.ini and plan.txt
 * are created at once by write_once, the others' to read). */
static error_class start_identity(const char *dir, const config *base, const plandata *data, int mode,
                                  fileio_batch *batch, char *err, size_t len)
{
    error_class rc = check_identity(dir, base, mode, batch, err, len);
    if (rc == ERROR_NONE && data)
        rc = check_sums(dir, data, mode, batch, err, len);
    if (rc == ERROR_NONE && mode != IDENTITY_READ)
        rc = write_plan(dir, base, mode, batch, err, len);
    if (rc != ERROR_NONE)
        fileio_batch_drop(batch);
    return rc;
}

error_class identity_open(const char *dir, const config *base, const plandata *data, int mode, char *err,
                          size_t len)
{
    fileio_batch batch = {0};
    error_class rc = start_identity(dir, base, data, mode, &batch, err, len);
    if (rc == ERROR_NONE && fileio_batch_commit(&batch, err, len) < 0)
        rc = ERROR_OUTPUT;
    return rc;
}

error_class identity_open_started(const char *dir, const config *base, const plandata *data, int mode,
                                  fileio_batch *pending, char *err, size_t len)
{
    *pending = (fileio_batch){0};
    return start_identity(dir, base, data, mode, pending, err, len);
}

int identity_check_run(const char *dir, const char *rundir, const config *want, char *why, size_t len)
{
    return check_config(rundir, want, why, len) < 0 || check_run_sums(dir, rundir, why, len) < 0 ? -1 : 0;
}

int identity_load_plan(const char *dir, config *cfg, char *err, size_t len)
{
    char path[IDENTITY_PATH + 16];
    snprintf(path, sizeof path, "%s/" IDENTITY_PLAN, dir);
    config_defaults(cfg);
    char *text = fileio_read(path);
    if (!text) {
        snprintf(err, len, "%s: cannot read: %s (every run of the config records its plan; run it again)", path,
                 strerror(errno));
        return -1;
    }
    config_errors errs = {0};
    int line = 0, bad = 0;
    char what[64] = "";
    for (char *l = text, *end; *l; l = end + (*end != 0)) {
        end = l + strcspn(l, "\n");
        char keep = *end;
        *end = 0;
        line++;
        config_override(cfg, l, &errs);
        if (errs.n && !bad) { /* the first line that is not one this runner writes: shown printable, cut with ... */
            bad = line;
            size_t k = 0;
            for (; l[k] && k + 4 < sizeof what; k++)
                what[k] = (unsigned char)l[k] < 0x20 || l[k] == 0x7f ? '?' : l[k];
            snprintf(what + k, sizeof what - k, "%s", l[k] ? "..." : "");
        }
        *end = keep;
    }
    free(text);
    /* read from the plan, not given by --set: messages name the keys alone */
    memset(cfg->key_line, 0, sizeof cfg->key_line);
    for (int i = 0; i < cfg->nsweep; i++)
        cfg->sweep[i].line = 0;
    if (errs.n == 0)
        return 0;
    /* the line itself, not config_override's words about a --set this file never was */
    snprintf(err, len, "%s:%d: damaged (not a line of the plan a runner writes: '%s'); run the config again to "
             "rewrite it", path, bad, what);
    config_errors_free(&errs);
    config_free(cfg);
    return -1;
}

int identity_exists(const char *dir)
{
    char path[IDENTITY_PATH + 32];
    snprintf(path, sizeof path, "%s/experiment.ini", dir);
    return access(path, F_OK) == 0;
}
