/* gnuplot: strings quoted for its language, the pieces every script shares, and running it (posix_spawnp, never
 * a shell, in its own process group) with its output kept in a log whose first error line is reported; a script
 * that runs past the time limit, or a stop signal meanwhile, kills the group. */
#include "gnuplot.h"
#include "fileio.h"
#include "dataset.h"
#include "timing.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Set once by gnuplot_init, before rendering: the stop flag of the signal handler and the limit per script. */
static volatile sig_atomic_t *stop_flag;
static double timeout_s = GNUPLOT_TIMEOUT;

enum { PLOT_W = 900, PLOT_H = 600, FONT_PT = 12 }; /* every image, PNG and SVG */

/* Writes s as a gnuplot single-quoted string (where only '' needs escaping). */
void gnuplot_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* Writes s as a double-quoted string cell of a .dat file (no escapes there: '"' becomes '\''). */
void gnuplot_dat_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : *s, f);
    fputc('"', f);
}

/* Writes 'dir/name.ext' (ext NULL: 'dir/name') as a gnuplot string. */
static void put_path(FILE *f, const char *dir, const char *name, const char *ext)
{
    fputc('\'', f);
    for (const char *s = dir; *s; s++)
        fprintf(f, *s == '\'' ? "''" : "%c", *s);
    fprintf(f, "/%s%s%s'", name, ext ? "." : "", ext ? ext : "");
}

void gnuplot_lines(FILE *f, const char *s)
{
    char line[1000];
    for (int first = 1;; first = 0) {
        size_t n = strcspn(s, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), s);
        fprintf(f, "%s", first ? "" : ".\"\\n\".");
        gnuplot_str(f, line);
        if (!s[n])
            return;
        s += n + 1;
    }
}

/* The head of every script: how to run it, the files it reads and writes, the shared look, the title (lines
 * split at '\n'; NULL: the script sets its own). */
void gnuplot_begin(FILE *f, const char *experiment, const char *dir, const char *name, const char *title)
{
    fprintf(f, "# %s of experiment %s, written by the runner's report.\n"
               "# Paths are %s: run it from %s with\n"
               "#   gnuplot %s/%s.gp\n"
               "# It reads %s.dat and writes %s.png and %s.svg beside itself.\n",
            name, experiment, dir[0] == '/' ? "absolute (--plots or --results)" : "relative to the repository root",
            dir[0] == '/' ? "anywhere" : "there", dir, name, name, name, name);
    fprintf(f, "dat = ");
    put_path(f, dir, name, "dat");
    fprintf(f, "\nout = ");
    put_path(f, dir, name, NULL);
    fprintf(f, "\n");
    if (title) {
        fprintf(f, "set title ");
        gnuplot_lines(f, title);
        fprintf(f, "\n");
    }
    fprintf(f, "set grid\nset border lw 1.2\n");
}

/* Opens the loop that draws the plot once per format; the plot commands follow, then gnuplot_end. */
void gnuplot_loop(FILE *f) { gnuplot_loop_size(f, 1, 1); }

void gnuplot_loop_size(FILE *f, int cols, int rows)
{
    /* a panel of a grid gets 3/5 of a single plot's width and height, never less than one plot in all */
    gnuplot_loop_px(f, cols > 1 ? cols * PLOT_W * 3 / 5 : PLOT_W, rows > 1 ? rows * PLOT_H * 3 / 5 : PLOT_H);
}

int gnuplot_width_for(int labels)
{
    /* a label turned upright takes about a line of the font (1.4 of its size), plus the margins and the y axis */
    int w = 180 + (int)(labels * 1.4 * FONT_PT);
    return w < PLOT_W ? PLOT_W : w > 4 * PLOT_W ? 4 * PLOT_W : w;
}

void gnuplot_loop_px(FILE *f, int w, int h)
{
    w = w < PLOT_W ? PLOT_W : w, h = h < PLOT_H ? PLOT_H : h;
    fprintf(f, "do for [ext in \"png svg\"] {\n"
               "    if (ext eq \"png\") {\n"
               "        set terminal pngcairo size %d,%d font \"Sans,%d\" noenhanced\n"
               "    } else {\n"
               "        set terminal svg size %d,%d font \"Sans,%d\" noenhanced background \"white\"\n"
               "    }\n"
               "    set output out.\".\".ext\n", w, h, FONT_PT, w, h, FONT_PT);
}

void gnuplot_end(FILE *f) { fprintf(f, "    unset output\n}\n"); }

/* A boxed key under the plot, clear of the data: as many columns as titles of maxlen characters (plus the line
 * sample) fit in the width, and a bottom margin that keeps it off the x label (gnuplot's own leaves them
 * touching). A character of Sans is about 0.62 of the font size wide. */
void gnuplot_key_below(FILE *f, int entries, size_t maxlen)
{
    int cols = (int)((PLOT_W - 40) / ((double)(maxlen + 8) * 0.62 * FONT_PT)), rows;
    cols = cols < 1 ? 1 : cols;
    rows = (entries + cols - 1) / cols;
    fprintf(f, "set key below center horizontal box maxrows %d\nset bmargin %d\n", rows, rows + 5);
}

/* Starts the k-th clause of a plot command (k counts clauses written so far). */
void gnuplot_clause(FILE *f, int *k)
{
    fprintf(f, "%s", *k ? ", \\\n         " : "    plot ");
    (*k)++;
}

int gnuplot_grid_cols(int cells) { return cells <= 3 ? cells : cells <= 4 ? 2 : cells <= 9 ? 3 : 4; }

void gnuplot_key_cell(FILE *f, int *k)
{
    fprintf(f, "    unset title\n    unset border\n    unset xtics\n    unset ytics\n    unset grid\n"
               "    unset xlabel\n    unset ylabel\n    unset logscale\n    unset colorbox\n    set xrange [0:1]\n"
               "    set yrange [0:1]\n    set key center center box font ',11' samplen 3\n");
    *k = 0;
    gnuplot_clause(f, k);
    fprintf(f, "NaN notitle"); /* a plot of key entries alone is refused */
}

void gnuplot_key_cell_undo(FILE *f, const char *axes)
{
    fprintf(f, "    set border 31 lw 1.2\n    set xtics\n    set ytics\n    set grid\n    unset key\n");
    for (const char *a = axes; *a; a += strcspn(a, "\n") + (a[strcspn(a, "\n")] != 0))
        fprintf(f, "    %.*s\n", (int)strcspn(a, "\n"), a);
}

void gnuplot_tics(FILE *gp, const char *axis, const config_sweep *s, const int *order)
{
    fprintf(gp, "set %stics (", axis);
    for (int a = 0; a < s->nvalues; a++) {
        fprintf(gp, "%s", a ? ", " : "");
        gnuplot_str(gp, s->values[order ? order[a] : a]);
        fprintf(gp, " %d", a);
    }
    fprintf(gp, ") scale 0\nset %srange [-0.5:%d.5]\n", axis, s->nvalues - 1);
}

/* The line of gnuplot's output that names the error ("script" line N: ..., given as line N: ...), else its
 * last non-blank line. */
static void first_error(const char *script, const char *log, char *out, size_t len)
{
    size_t slen = strlen(script);
    snprintf(out, len, "no message");
    char *t = fileio_read(log);
    for (const char *s = t; s && *s; s += strcspn(s, "\n"), s += *s == '\n') {
        int n = (int)strcspn(s, "\n");
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
            n--;
        int skip = s[0] == '"' && !strncmp(s + 1, script, slen) && !strncmp(s + 1 + slen, "\" line ", 7);
        if (n > 0 && strspn(s, " ^") < (size_t)n)
            snprintf(out, len, "%.*s", n > 300 ? 300 : n - (skip ? (int)slen + 3 : 0), s + (skip ? slen + 3 : 0));
        if (skip || (strstr(s, "\" line ") && strstr(s, "\" line ") < s + n))
            break;
    }
    free(t);
}

int gnuplot_init(volatile sig_atomic_t *stop, char *err, size_t len)
{
    stop_flag = stop;
    const char *s = getenv("RUNNER_GNUPLOT_TIMEOUT");
    if (!s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v > 0) || v > GNUPLOT_TIMEOUT_MAX) {
        snprintf(err, len, "runner: RUNNER_GNUPLOT_TIMEOUT=%s: expected seconds per plot script, more than 0 and "
                 "at most %d", s, GNUPLOT_TIMEOUT_MAX);
        return -1;
    }
    timeout_s = v;
    return 0;
}

/* Waits for gnuplot, pid, the leader of its own process group; when the time limit passes or the stop flag is
 * set first, kills the group (a script's own children too). 0 with its status, 1 timed out, 2 stopped, -1. */
static int wait_child(pid_t pid, int *status)
{
    double deadline = timing_now() + timeout_s;
    long nap_ns = 1000000; /* polled, from 1 ms (a small plot takes tens) up to 50 ms between looks */
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        int why = stop_flag && *stop_flag ? 2 : timing_now() >= deadline ? 1 : 0;
        if (why) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return why;
        }
        struct timespec nap = {0, nap_ns};
        nanosleep(&nap, NULL);
        nap_ns = nap_ns < 25000000 ? 2 * nap_ns : 50000000;
    }
}

int gnuplot_installed(void)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin"; /* posix_spawnp's search without PATH */
    for (const char *p = path;; p += strcspn(p, ":") + 1) {
        int n = (int)strcspn(p, ":");
        char file[FILEIO_PATH];
        /* an empty entry is the current directory, as for the shell */
        int w = snprintf(file, sizeof file, "%.*s/gnuplot", n ? n : 1, n ? p : ".");
        if (w > 0 && (size_t)w < sizeof file && access(file, X_OK) == 0)
            return 1;
        if (!p[n])
            return 0;
    }
}

/* Starts "gnuplot script" in its own process group with stdin from /dev/null and stdout and stderr on fd.
 * 0 with its pid, or posix_spawnp's error number. */
static int spawn(const char *script, int fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    char *argv[] = {"gnuplot", (char *)script, NULL};
    int rc = posix_spawnp(pid, "gnuplot", &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* FNV-1a 64 of the regular file at path, streamed, into *h; 0, or -1 when it cannot be read. */
static int file_sum(const char *path, uint64_t *h)
{
    mode_t mode;
    int fd = fileio_open_regular(path, &mode);
    if (fd < 0)
        return -1;
    char buf[1 << 16];
    ssize_t got;
    *h = DATASET_FNV_BASIS;
    while ((got = read(fd, buf, sizeof buf)) > 0)
        *h = dataset_fnv1a(*h, buf, (size_t)got);
    close(fd);
    return got == 0 ? 0 : -1;
}

static int stamp_path(const char *dir, const char *name, const char *ext, char *path, size_t len)
{
    return snprintf(path, len, "%s/%s.%s", dir, name, ext) < (int)len ? 0 : -1;
}

/* The first half of a stamp: the sums of dir/name.gp and dir/name.dat, into sums ("" when one cannot be read). */
static void texts_sums(const char *dir, const char *name, char sums[GNUPLOT_SUMS])
{
    char path[FILEIO_PATH];
    uint64_t gp, dat;
    sums[0] = 0;
    if (stamp_path(dir, name, "gp", path, sizeof path) == 0 && file_sum(path, &gp) == 0 &&
        stamp_path(dir, name, "dat", path, sizeof path) == 0 && file_sum(path, &dat) == 0)
        snprintf(sums, GNUPLOT_SUMS, "%016llx %016llx", (unsigned long long)gp, (unsigned long long)dat);
}

/* The stamp of texts sums and of dir/name's images as they are now into line; 0, or -1 when sums is "" or an image
 * is no regular file with something in it. */
static int stamp_line(const char *dir, const char *name, const char *sums, char *line, size_t len)
{
    static const char *const images[] = {"png", "svg"};
    int used = snprintf(line, len, "%s", sums);
    if (!*sums || used < 0 || (size_t)used >= len)
        return -1;
    for (int i = 0; i < 2; i++) {
        char path[FILEIO_PATH];
        struct stat st;
        if (stamp_path(dir, name, images[i], path, sizeof path) < 0 || lstat(path, &st) != 0 ||
            !S_ISREG(st.st_mode) || st.st_size <= 0)
            return -1;
        int w = snprintf(line + used, len - (size_t)used, " %lld %lld.%09ld%s", (long long)st.st_size,
                         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, i ? "\n" : "");
        if (w < 0 || (size_t)w >= len - (size_t)used)
            return -1;
        used += w;
    }
    return 0;
}

int gnuplot_current(const char *dir, const char *name, char sums[GNUPLOT_SUMS])
{
    char path[FILEIO_PATH], want[200], have[200];
    texts_sums(dir, name, sums);
    if (stamp_path(dir, name, "drawn", path, sizeof path) < 0 || stamp_line(dir, name, sums, want, sizeof want) < 0)
        return 0;
    mode_t mode;
    int fd = fileio_open_regular(path, &mode); /* a FIFO put there must not block */
    if (fd < 0)
        return 0;
    ssize_t got = read(fd, have, sizeof have - 1);
    close(fd);
    if (got < 0)
        return 0;
    have[got] = 0;
    return !strcmp(have, want);
}

void gnuplot_unmark(const char *dir, const char *name)
{
    static const char *const files[] = {"drawn", "png", "svg"};
    char path[FILEIO_PATH];
    for (int i = 0; i < 3; i++)
        if (stamp_path(dir, name, files[i], path, sizeof path) == 0)
            unlink(path);
}

void gnuplot_mark_drawn(const char *dir, const char *name, const char *sums)
{
    char path[FILEIO_PATH], line[200], err[FILEIO_PATH + 200];
    if (stamp_path(dir, name, "drawn", path, sizeof path) < 0)
        return;
    if (stamp_line(dir, name, sums, line, sizeof line) < 0 ||
        fileio_write_derived(path, line, strlen(line), err, sizeof err) < 0)
        unlink(path); /* drawn again next time */
}

/* Runs "gnuplot script" with its output in log (removed on success, and when stopped). 0, 1 when gnuplot is not
 * installed, 2 stopped by the stop flag (gnuplot killed), or -1 with err (a failure or the time limit). */
int gnuplot_run(const char *script, const char *log, char *err, size_t len)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, len, "%s: cannot create: %s", log, strerror(errno));
        return -1;
    }
    pid_t pid;
    int rc = spawn(script, fd, &pid), status = 0;
    close(fd);
    if (rc == ENOENT) {
        unlink(log);
        return 1;
    }
    if (rc != 0) {
        snprintf(err, len, "%s: cannot start gnuplot: %s", script, strerror(rc));
        return -1;
    }
    rc = wait_child(pid, &status);
    if (rc < 0) {
        snprintf(err, len, "%s: waiting for gnuplot: %s", script, strerror(errno));
        return -1;
    }
    if (rc == 2) {
        unlink(log);
        snprintf(err, len, "%s: rendering stopped by a signal (gnuplot killed)", script);
        return 2;
    }
    if (rc == 1) {
        snprintf(err, len, "%s: gnuplot did not finish within %g s and was killed (RUNNER_GNUPLOT_TIMEOUT sets the "
                 "limit; its output is in %s)", script, timeout_s, log);
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        unlink(log);
        return 0;
    }
    char why[400];
    first_error(script, log, why, sizeof why);
    snprintf(err, len, "%s: gnuplot %s %d: %s (its output is in %s)", script,
             WIFEXITED(status) ? "exited with status" : "killed by signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), why, log);
    return -1;
}

