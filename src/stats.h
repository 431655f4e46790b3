/* Statistics over a handful of doubles (the seeds of a point, the rows of a study): the one definition of a
 * median and of the mean, standard deviation, min and max that the tables and the report print. */
#ifndef STATS_H
#define STATS_H
#include <stddef.h>

/* The median of the n values of sorted (rising, n >= 1): the middle one, or the mean of the middle two. */
double stats_sorted_median(const double *sorted, int n);
/* The median of the finite values of v (NaN and infinities left out), or NAN when none is finite. Sorts v in
 * place, finite values first. */
double stats_median(double *v, int n);
/* Sorts v (n) rising; NaNs compare equal to everything, so give it none. */
void stats_sort(double *v, int n);
/* out = {mean, sample standard deviation (NaN for one value: no spread to measure), min, max} of v (n >= 1), NaNs
 * propagating. */
void stats_summary(const double *v, int n, double out[4]);
/* "MEAN PM SD" with prec decimals (pm: "±", or "&plusmn;" in HTML), or "MEAN" alone where sd is NaN (one run);
 * returns buf. */
const char *stats_pm(char *buf, size_t len, double mean, double sd, int prec, const char *pm);
/* A count, or a median of counts: whole numbers in full ("1234567"), halves with one decimal ("25.5"), anything
 * else as %.9g; returns buf. */
const char *stats_count(char *buf, size_t len, double v);

#endif
