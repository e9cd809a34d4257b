/* Summary statistics: see stats.h for the definitions. */
#include "base/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "base/common.h"

void cb_sort(double *v, size_t n)
{
	if (n)
		gsl_sort(v, 1, n);
}

void cb_stats_compute(const double *x, size_t n, cb_stats *s)
{
	memset(s, 0, sizeof *s);
	if (!n)
		return;
	double *v = cb_xmalloc(n * sizeof *v);
	memcpy(v, x, n * sizeof *v);
	cb_sort(v, n);
	s->median = gsl_stats_median_from_sorted_data(v, 1, n);
	s->mean = gsl_stats_mean(v, 1, n);
	s->stddev = n > 1 ? gsl_stats_sd_m(v, 1, n, s->mean) : 0;
	s->cv = s->mean > 0 ? s->stddev / s->mean : 0;
	s->min = v[0];
	s->max = v[n - 1];
	free(v);
}

double cb_median(const double *v, size_t n)
{
	if (!n)
		return NAN;
	double *c = cb_xmalloc(n * sizeof *c);
	memcpy(c, v, n * sizeof *c);
	cb_sort(c, n);
	double m = gsl_stats_median_from_sorted_data(c, 1, n);
	free(c);
	return m;
}

double cb_percentile_sorted(const double *sorted, size_t n, double p)
{
	if (!n)
		return NAN;
	return gsl_stats_quantile_from_sorted_data(sorted, 1, n, p);
}

static double resampled_median(gsl_rng *rng, const double *x, size_t n, double *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = x[gsl_rng_uniform_int(rng, n)];
	gsl_sort(buf, 1, n);
	return gsl_stats_median_from_sorted_data(buf, 1, n);
}

void cb_bootstrap_median_ratio(const double *x, size_t nx, const double *y, size_t ny, int resamples,
                               double level, unsigned long seed, double *lo, double *hi, double *boot)
{
	size_t b = resamples > 0 ? (size_t)resamples : 1;
	double *lr = cb_xmalloc(b * sizeof *lr);
	double *buf = cb_xmalloc((nx > ny ? nx : ny) * sizeof *buf + 1);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		abort();
	gsl_rng_set(rng, seed);
	for (size_t i = 0; i < b; i++) {
		double mx = resampled_median(rng, x, nx, buf);
		double my = resampled_median(rng, y, ny, buf);
		lr[i] = log(my / mx);
	}
	if (boot)
		memcpy(boot, lr, b * sizeof *lr);
	gsl_sort(lr, 1, b);
	*lo = exp(gsl_stats_quantile_from_sorted_data(lr, 1, b, (1 - level) / 2));
	*hi = exp(gsl_stats_quantile_from_sorted_data(lr, 1, b, 1 - (1 - level) / 2));
	gsl_rng_free(rng);
	free(buf);
	free(lr);
}

void cb_bootstrap_median(const double *x, size_t n, int resamples, double level, unsigned long seed,
                         double *lo, double *hi)
{
	*lo = *hi = NAN;
	if (!n)
		return;
	size_t b = resamples > 0 ? (size_t)resamples : 1;
	double *m = cb_xmalloc(b * sizeof *m), *buf = cb_xmalloc(n * sizeof *buf);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		abort();
	gsl_rng_set(rng, seed);
	for (size_t i = 0; i < b; i++)
		m[i] = resampled_median(rng, x, n, buf);
	gsl_sort(m, 1, b);
	*lo = gsl_stats_quantile_from_sorted_data(m, 1, b, (1 - level) / 2);
	*hi = gsl_stats_quantile_from_sorted_data(m, 1, b, 1 - (1 - level) / 2);
	gsl_rng_free(rng);
	free(buf);
	free(m);
}

#define SLOWED_SDS 3.5
#define SLOWED_MIN 0.15

void cb_set_aside_slowed(const double *v, size_t n, bool lower_better, bool *out)
{
	double *l = cb_xmalloc((n ? n : 1) * sizeof *l), *dev = cb_xmalloc((n ? n : 1) * sizeof *dev);
	for (size_t i = 0; i < n; i++)
		l[i] = log(v[i]);
	double med = cb_median(l, n);
	for (size_t i = 0; i < n; i++)
		dev[i] = fabs(l[i] - med);
	double lim = SLOWED_SDS * 1.4826 * cb_median(dev, n);
	if (lim < log1p(SLOWED_MIN))
		lim = log1p(SLOWED_MIN);
	for (size_t i = 0; i < n; i++)
		out[i] = n >= 4 && (lower_better ? l[i] - med : med - l[i]) > lim;
	free(l);
	free(dev);
}

double cb_sd_log_kept(const double *v, size_t n, size_t *set_aside)
{
	bool *aside = cb_xcalloc(n + 1, sizeof *aside);
	cb_set_aside_slowed(v, n, true, aside);
	double m = 0, q = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!aside[i]) {
			m += log(v[i]);
			k++;
		}
	m = k ? m / (double)k : 0;
	for (size_t i = 0; i < n; i++)
		if (!aside[i])
			q += (log(v[i]) - m) * (log(v[i]) - m);
	free(aside);
	if (set_aside)
		*set_aside = n - k;
	return k >= 2 ? sqrt(q / (double)(k - 1)) : NAN;
}

double cb_mdc(double spread, double alpha, double df)
{
	return expm1((gsl_cdf_tdist_Qinv(alpha / 2, df) + gsl_cdf_tdist_Pinv(CB_MDC_POWER, df)) * spread);
}

double cb_mdc_floor(double sd, double rounds, double alpha)
{
	return cb_mdc(sd * sqrt(2.0 / rounds), alpha, CB_MDC_KNOWN_DF);
}

/* ---- paired samples: signed ranks and Hodges-Lehmann ------------------ */

/* The null distribution of W+ over n untied ranks: count[s] of the 2^n
 * sign patterns give W+ = s (s = 0 .. n(n+1)/2), as doubles (2^400 is far
 * inside a double's range). malloc'ed; *m gets n(n+1)/2. */
static double *signed_rank_counts(size_t n, size_t *m)
{
	*m = n * (n + 1) / 2;
	double *c = cb_xcalloc(*m + 1, sizeof *c);
	c[0] = 1;
	for (size_t r = 1; r <= n; r++)
		for (size_t s = r * (r + 1) / 2; s >= r; s--)
			c[s] += c[s - r];
	return c;
}

double *cb_signed_rank_cdf(size_t n)
{
	size_t m;
	double *c = signed_rank_counts(n, &m), total = ldexp(1, (int)(n < 1000 ? n : 1000)), cum = 0;
	for (size_t s = 0; s <= m; s++) {
		cum += c[s];
		c[s] = cum / total;
	}
	return c;
}

double cb_signed_rank_min_p(size_t n)
{
	return n >= 1 ? fmin(1, ldexp(1, 1 - (int)(n < 2000 ? n : 2000))) : 1;
}

typedef struct absidx { double a; int sign; } absidx;

static int absidx_cmp(const void *x, const void *y)
{
	double a = ((const absidx *)x)->a, b = ((const absidx *)y)->a;
	return (a > b) - (a < b);
}

double cb_signed_rank_p(const double *d, size_t n, double shift)
{
	absidx *v = cb_xmalloc((n ? n : 1) * sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double x = d[i] - shift;
		if (x != 0 && !isnan(x))
			v[k++] = (absidx){ fabs(x), x > 0 ? 1 : -1 };
	}
	if (!k) {
		free(v);
		return NAN;
	}
	qsort(v, k, sizeof *v, absidx_cmp);
	/* Midranks; ties counted for the variance's correction. */
	double wplus = 0, ties = 0;
	bool tied = false;
	for (size_t i = 0; i < k;) {
		size_t j = i;
		while (j + 1 < k && v[j + 1].a == v[i].a)
			j++;
		double rank = (double)(i + j + 2) / 2, t = (double)(j - i + 1);
		tied |= j > i;
		ties += t * t * t - t;
		for (size_t q = i; q <= j; q++)
			if (v[q].sign > 0)
				wplus += rank;
		i = j + 1;
	}
	free(v);
	double nn = (double)k, mean = nn * (nn + 1) / 4;
	if (!tied && k <= CB_SIGNED_RANK_EXACT) {
		size_t m;
		double *c = signed_rank_counts(k, &m), below = 0, above = 0, total = ldexp(1, (int)k);
		size_t w = (size_t)llround(wplus);
		for (size_t s = 0; s <= m; s++) {
			below += s <= w ? c[s] : 0;
			above += s >= w ? c[s] : 0;
		}
		free(c);
		return fmin(1, 2 * fmin(below, above) / total);
	}
	double var = nn * (nn + 1) * (2 * nn + 1) / 24 - ties / 48;
	if (!(var > 0))
		return 1;
	double z = (fabs(wplus - mean) - 0.5) / sqrt(var);
	return fmin(1, 2 * gsl_cdf_ugaussian_Q(z > 0 ? z : 0));
}

void cb_hodges_lehmann(const double *d, size_t n, double level, double *est, double *lo, double *hi)
{
	*est = *lo = *hi = NAN;
	if (!n)
		return;
	size_t m = n * (n + 1) / 2, w = 0;
	double *walsh = cb_xmalloc(m * sizeof *walsh);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n; j++)
			walsh[w++] = (d[i] + d[j]) / 2;
	cb_sort(walsh, m);
	*est = gsl_stats_median_from_sorted_data(walsh, 1, m);
	/* k: the largest count with P(W+ <= k - 1) <= (1 - level) / 2. */
	size_t k = 0;
	if (n <= CB_SIGNED_RANK_EXACT) {
		size_t mm;
		double *c = signed_rank_counts(n, &mm), cum = 0, total = ldexp(1, (int)n);
		while (k <= mm && (cum + c[k]) / total <= (1 - level) / 2)
			cum += c[k++];
		free(c);
	} else {
		double nn = (double)n, z = gsl_cdf_ugaussian_Qinv((1 - level) / 2);
		double kk = nn * (nn + 1) / 4 - z * sqrt(nn * (nn + 1) * (2 * nn + 1) / 24);
		k = kk > 0 ? (size_t)floor(kk) : 0;
	}
	if (k < 1)
		k = 1;
	if (k > (m + 1) / 2)
		k = (m + 1) / 2;
	*lo = walsh[k - 1];
	*hi = walsh[m - k];
	free(walsh);
}

double cb_robust_sd(const double *v, size_t n)
{
	if (n < 2)
		return NAN;
	double med = cb_median(v, n), *dev = cb_xmalloc(n * sizeof *dev);
	for (size_t i = 0; i < n; i++)
		dev[i] = fabs(v[i] - med);
	double s = 1.4826 * cb_median(dev, n);
	free(dev);
	return s > 0 ? s : gsl_stats_sd(v, 1, n);
}
