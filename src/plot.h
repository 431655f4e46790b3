/* The plots of an experiment's report: for each plot its points allow, plots/<name>/<plot>.dat (the aggregates)
 * and .gp (a gnuplot script reading it), and with gnuplot installed .png and .svg rendered from the script. */
#ifndef PLOT_H
#define PLOT_H
#include <stddef.h>
#include "confusion.h"
#include "points.h"

/* The kinds of plot, in drawing order. */
enum {
    PLOT_LOSS, PLOT_ACC, PLOT_LOSS_TIME, PLOT_ACC_VS_LR, PLOT_HEATMAP, PLOT_TIME, PLOT_SPEEDUP, PLOT_CONFUSION,
    PLOT_KINDS
};

/* The plots written, in drawing order, with their captions for report.md. */
typedef struct plot_set {
    const char *dir;                 /* plots/<name> */
    int n;
    int kind[PLOT_KINDS];            /* index for plot_name and plot_heading */
    char caption[PLOT_KINDS][400];
} plot_set;

/* Writes the .dat and .gp of every plot the points of x allow into dir (created), and with cm the confusion
 * matrix of the sweep point called where, and removes the files of the others. 0, or -1 with err. */
int plot_write(plot_set *s, const points *x, const confusion *cm, const char *where, const char *dir, char *err,
               size_t len);
/* Renders every plot of s with gnuplot. 0, 1 when gnuplot is not installed, or -1 with err (a script failed,
 * timed out or was stopped: its images may be half-written, for plot_unrender). */
int plot_render(const plot_set *s, char *err, size_t len);
/* Removes the images (PNG, SVG) of every plot of s: a report that does not draw them shows none left from an
 * earlier render of other numbers. */
void plot_unrender(const plot_set *s);
/* Removes dir/name.png and dir/name.svg, the images of one plot (a report's, a study's, a comparison's), and the
 * render stamp beside them (gnuplot_unmark). */
void plot_remove_images(const char *dir, const char *name);
/* The file name (without extension) and the heading of a kind of plot. */
const char *plot_name(int kind);
const char *plot_heading(int kind);

#endif
