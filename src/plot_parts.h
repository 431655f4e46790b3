/* Inside the plot module only: what plot.c (the set, the per-sweep plots) and plot_curves.c (the curve plots)
 * share. Other modules use plot.h. */
#ifndef PLOT_PARTS_H
#define PLOT_PARTS_H
#include "fileio.h"
#include "plot.h"

enum { PLOT_MAX_LINES = 8 }; /* curves or series in one panel: beyond that a legend stops being readable */

extern const char *const plot_colours[PLOT_MAX_LINES];
/* Opens the .dat and .gp texts of one plot: both, or neither. 0, or -1 with err. */
int plot_texts_open(fileio_text *dat, fileio_text *gp, char *err, size_t len);
/* Writes s->dir/<name of kind>.dat and .gp (dropping both texts) and lists the plot with its caption. */
int plot_save(plot_set *s, int kind, fileio_text *dat, fileio_text *gp, const char *caption, char *err, size_t len);
/* Writes the loss curves, the test accuracy curves and the loss against time. 0, or -1 with err. */
int plot_curves_write(plot_set *s, const points *x, char *err, size_t len);
/* Where a panel's key goes ("top right", "bottom right", "top left", "bottom left", "right center", "left center"):
 * the place whose region (half the range of x by the top or bottom 35 % of the range of y, or its middle 40 %, of
 * the n plotted values at) the fewest values fall in; on a tie the first of that order, starting from bottom right
 * when bottom (else top right). A fixed corner lay over the slow runs' loss curves (top right) and over diverged
 * runs at chance accuracy (bottom right). */
const char *plot_key_place(const double (*at)[2], long n, int bottom);

#endif
