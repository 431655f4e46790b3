/* gnuplot: writing its language (quoted strings, the head, loop and key every script shares) and running it. */
#ifndef GNUPLOT_H
#define GNUPLOT_H
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include "config.h"

/* Seconds one plot script may run by default, and the most RUNNER_GNUPLOT_TIMEOUT may allow. */
#define GNUPLOT_TIMEOUT 60.0
enum { GNUPLOT_TIMEOUT_MAX = 86400 };

/* Writes s as a gnuplot single-quoted string. */
void gnuplot_str(FILE *f, const char *s);
/* Writes s as a string expression gnuplot shows as several lines, split at '\n': 'line 1'."\n".'line 2'. */
void gnuplot_lines(FILE *f, const char *s);
/* Writes s as a double-quoted string cell of a .dat file. */
void gnuplot_dat_str(FILE *f, const char *s);
/* The head of a script of experiment that reads dir/name.dat and writes dir/name.png and .svg; title split into
 * lines at '\n' (NULL: the script sets its own). */
void gnuplot_begin(FILE *f, const char *experiment, const char *dir, const char *name, const char *title);
/* Opens the loop that draws the plot once per format; the plot commands follow, then gnuplot_end. */
void gnuplot_loop(FILE *f);
/* The same for a multiplot of cols x rows panels: the image grows with the grid. */
void gnuplot_loop_size(FILE *f, int cols, int rows);
/* The same, w x h pixels (at least one plot's). */
void gnuplot_loop_px(FILE *f, int w, int h);
/* The width in pixels that labels x-tic labels turned upright need side by side (one plot's at least, four at
 * most). */
int gnuplot_width_for(int labels);
void gnuplot_end(FILE *f);
/* A boxed key under the plot for entries titles of at most maxlen characters. */
void gnuplot_key_below(FILE *f, int entries, size_t maxlen);
/* Starts the next clause of a plot command (*k counts the clauses written so far). */
void gnuplot_clause(FILE *f, int *k);
/* Columns of a multiplot grid of cells: 1-3 in a row, then 2, 3 or 4 columns. */
int gnuplot_grid_cols(int cells);
/* Draws, in the next cell of a multiplot, a key alone (no axes, borders, tics, grid, labels or log scale: the
 * caller sets them again before its next pass): the plot command is opened (k is 1); the caller adds a clause
 * per entry ("keyentry with ... title ...") and ends the line. */
void gnuplot_key_cell(FILE *f, int *k);
/* At the start of a format's pass, what the previous pass's key cell unset: the border, tics, grid and no key,
 * then each line of axes (the plot's "set xlabel ..." settings, one per line). The x range is the caller's. */
void gnuplot_key_cell_undo(FILE *f, const char *axes);
/* set <axis>tics: the values of swept key s in the given order (NULL: list order), one per whole number. */
void gnuplot_tics(FILE *f, const char *axis, const config_sweep *s, const int *order);
/* Rendering stops (gnuplot killed) once *stop is non-zero (a signal handler's flag; NULL: never), and a script
 * may run for RUNNER_GNUPLOT_TIMEOUT seconds (default GNUPLOT_TIMEOUT). 0, or -1 with err on a bad value. */
int gnuplot_init(volatile sig_atomic_t *stop, char *err, size_t len);
/* 1 when an executable gnuplot is on PATH (where gnuplot_run would start it), else 0. */
int gnuplot_installed(void);
/* A render's stamp, dir/name.drawn: FNV-1a 64 of the script dir/name.gp and of its data dir/name.dat as gnuplot was
 * given them, and the size and modification time of each image (dir/name.png, dir/name.svg) as the render left
 * them. gnuplot_current puts the texts' sums as they are now into sums and says 1 when the stamp matches them and
 * the images, so that the images were drawn from these texts and nothing has written them since (a render by hand,
 * cut short or not, a copy or a restore each give an image another time; nothing depends on which time is later);
 * 0 otherwise, or when an image is no regular file with something in it. Before a render gnuplot_unmark removes
 * the stamp and the images (a gnuplot that wrote no image leaves none to stamp); once the render has finished well
 * gnuplot_mark_drawn writes the stamp from the sums taken before it (or removes it, if it cannot). */
enum { GNUPLOT_SUMS = 40 };
int gnuplot_current(const char *dir, const char *name, char sums[GNUPLOT_SUMS]);
void gnuplot_unmark(const char *dir, const char *name);
void gnuplot_mark_drawn(const char *dir, const char *name, const char *sums);
/* Runs "gnuplot script" with its output in log (removed on success). 0, 1 when gnuplot is not installed, 2 when
 * stopped by the flag of gnuplot_init, or -1 with err naming gnuplot's first error line or the time limit. */
int gnuplot_run(const char *script, const char *log, char *err, size_t len);

#endif
