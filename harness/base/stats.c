/* Summary statistics: see stats.h for the definitions. */
#include "base/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
