/* The one definition of each summary statistic the project prints or
 * writes: median (mean of the two middle values for an even n), the
 * percentile (linear interpolation between closest ranks, R's type 7 and
 * GSL's quantile_from_sorted_data), mean, sample standard deviation and
 * cv. results/README.md states them for the reader of the files. */
#ifndef CB_STATS_H
#define CB_STATS_H

#include <stdbool.h>
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
/* The smallest change (a ratio minus 1) that a t test with df degrees of
 * freedom finds with CB_MDC_POWER power at two-sided level alpha, when the
 * difference of log means has standard error `spread` (compare's MDC). */
#define CB_MDC_POWER 0.8
double cb_mdc(double spread, double alpha, double df);
/* The df at which the variance counts as known exactly: the best case a
 * prior fitted to many cells could lend one cell (the machine's floor). */
#define CB_MDC_KNOWN_DF 1e9
/* The MDC of a cell whose log rounds vary by sd, at `rounds` a side (or
 * pairs) and per-cell level alpha, its variance known exactly: the floor
 * that concbench noise and the report state. */
double cb_mdc_floor(double sd, double rounds, double alpha);
/* Values slowed by something outside the code under test (the rule
 * compare sets rounds aside by, docs/ci.md): out[i] is set for each v[i]
 * (positive) worse than the median by more than 3.5 robust standard
 * deviations (1.4826 MAD of the log values) and by more than 15%; never
 * with fewer than 4 values. Worse is larger when lower_better. */
void cb_set_aside_slowed(const double *v, size_t n, bool lower_better, bool *out);
/* Sample sd of log v over the values cb_set_aside_slowed keeps (lower is
 * better); *set_aside, when not NULL, gets how many it left out. NAN when
 * fewer than 2 are kept. */
double cb_sd_log_kept(const double *v, size_t n, size_t *set_aside);
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


/* Paired samples, distribution-free (concbench ab: the log ratios of A/B
 * pairs). Wilcoxon's signed-rank test of d - shift: the two-sided p, exact
 * (the null distribution of W+ counted over all 2^n sign patterns) when no
 * two |d - shift| tie and n <= CB_SIGNED_RANK_EXACT, else the normal
 * approximation with the tie correction and a continuity correction.
 * Differences equal to the shift are dropped first (Wilcoxon's rule). NAN
 * when none is left. */
#define CB_SIGNED_RANK_EXACT 400
double cb_signed_rank_p(const double *d, size_t n, double shift);
/* P(W+ <= w), w = 0 .. n(n+1)/2, for n untied ranks (malloc'ed): the exact
 * test's table, for the callers that test many samples of one size. */
double *cb_signed_rank_cdf(size_t n);
/* The smallest two-sided p the test can give on n pairs: 2^(1-n) (capped
 * at 1). A family of m cells at level alpha needs it below alpha / m. */
double cb_signed_rank_min_p(size_t n);
/* The Hodges-Lehmann estimate of d's centre (the median of its n(n+1)/2
 * Walsh averages (d_i + d_j) / 2, i <= j) and its distribution-free
 * interval at `level` from the signed-rank null distribution (Walsh
 * averages k and M + 1 - k, k the largest count with P(W+ < k) <= (1 -
 * level) / 2; the full range when n is too small for the level). */
void cb_hodges_lehmann(const double *d, size_t n, double level, double *est, double *lo, double *hi);
/* A robust sd of n values: 1.4826 MAD around the median (the sample sd
 * when the MAD is 0 and the values are not all equal). */
double cb_robust_sd(const double *v, size_t n);

#endif
