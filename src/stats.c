/* Medians and summaries of small arrays of doubles (stats.h). */
#include "stats.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void stats_sort(double *v, int n)
{
    if (n > 1)
        qsort(v, (size_t)n, sizeof *v, cmp_double);
}

double stats_sorted_median(const double *sorted, int n)
{
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

double stats_median(double *v, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            double t = v[m];
            v[m++] = v[i];
            v[i] = t;
        }
    stats_sort(v, m);
    return m ? stats_sorted_median(v, m) : NAN;
}

const char *stats_pm(char *buf, size_t len, double mean, double sd, int prec, const char *pm)
{
    if (isnan(sd))
        snprintf(buf, len, "%.*f", prec, mean);
    else
        snprintf(buf, len, "%.*f %s %.*f", prec, mean, pm, prec, sd);
    return buf;
}

void stats_summary(const double *v, int n, double out[4])
{
    double sum = 0, ss = 0, lo = v[0], hi = v[0];
    for (int i = 0; i < n; i++) {
        sum += v[i];
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    double mean = sum / n;
    for (int i = 0; i < n; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    out[0] = mean;
    out[1] = n > 1 ? sqrt(ss / (n - 1)) : NAN; /* a sample's spread: none of one value */
    out[2] = lo;
    out[3] = hi;
}

const char *stats_count(char *buf, size_t len, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else if (2 * v == floor(2 * v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.1f", v);
    else
        snprintf(buf, len, "%.9g", v);
    return buf;
}
