/* gnuplot: writing its language (quoted strings, the head, loop and key every script shares) and running it. */
#ifndef GNUPLOT_H
#define GNUPLOT_H
#include <stddef.h>
#include <stdio.h>
#include "config.h"

/* Writes s as a gnuplot single-quoted string. */
void gnuplot_str(FILE *f, const char *s);
/* Writes s as a double-quoted string cell of a .dat file. */
void gnuplot_dat_str(FILE *f, const char *s);
/* The head of a script of experiment that reads dir/name.dat and writes dir/name.png and .svg; title split into
 * lines at '\n' (NULL: the script sets its own). */
void gnuplot_begin(FILE *f, const char *experiment, const char *dir, const char *name, const char *title);
/* Opens the loop that draws the plot once per format; the plot commands follow, then gnuplot_end. */
void gnuplot_loop(FILE *f);
void gnuplot_end(FILE *f);
/* A boxed key under the plot for entries titles of at most maxlen characters. */
void gnuplot_key_below(FILE *f, int entries, size_t maxlen);
/* Starts the next clause of a plot command (*k counts the clauses written so far). */
void gnuplot_clause(FILE *f, int *k);
/* set <axis>tics: the values of swept key s in the given order (NULL: list order), one per whole number. */
void gnuplot_tics(FILE *f, const char *axis, const config_sweep *s, const int *order);
/* Runs "gnuplot script" with its output in log (removed on success). 0, 1 when gnuplot is not installed, or -1
 * with err naming gnuplot's first error line. */
int gnuplot_run(const char *script, const char *log, char *err, size_t len);

#endif
