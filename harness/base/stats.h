/* The one definition of each summary statistic the project prints or
 * writes: median (mean of the two middle values for an even n), the
 * percentile (linear interpolation between closest ranks, R's type 7 and
 * GSL's quantile_from_sorted_data), mean, sample standard deviation and
 * cv. results/README.md states them for the reader of the files. */
#ifndef CB_STATS_H
#define CB_STATS_H

#include <stddef.h>

typedef struct cb_stats { double median, mean, stddev, cv, min, max; } cb_stats;

/* Over n samples (copied and sorted internally); all zero for n == 0. */
void cb_stats_compute(const double *x, size_t n, cb_stats *s);
/* Median of n values (copied, not reordered); NAN for n == 0. */
double cb_median(const double *v, size_t n);
/* The p-quantile (0 <= p <= 1) of n values sorted ascending; NAN for n == 0. */
double cb_percentile_sorted(const double *sorted, size_t n, double p);
/* Sorts n values ascending in place. */
void cb_sort(double *v, size_t n);
/* Percentile bootstrap interval (two-sided, at `level`) of median(y) /
 * median(x), both samples resampled with replacement `resamples` times
 * from a generator seeded with `seed` (MT19937: the same seed gives the
 * same interval); the log ratio of every resample into boot[resamples]
 * when boot is not NULL. Used by compare (new / base) and by the guard
 * against speedups above the bound (serial / cell). */
void cb_bootstrap_median_ratio(const double *x, size_t nx, const double *y, size_t ny, int resamples,
                               double level, unsigned long seed, double *lo, double *hi, double *boot);
/* The same interval for the median of one sample (e.g. paired ratios). */
void cb_bootstrap_median(const double *x, size_t n, int resamples, double level, unsigned long seed,
                         double *lo, double *hi);

#endif
