#include <math.h>

#include "analysis/metg.h"

double cb_metg(const double *d, const double *e, size_t n, double theta, cb_metg_where *where)
{
	*where = CB_METG_NONE;
	if (!n)
		return NAN;
	/* The shortest duration that reaches theta. */
	size_t k = 0;
	while (k < n && !(e[k] >= theta))
		k++;
	if (k == n)
		return d[n - 1];
	if (k == 0) {
		*where = CB_METG_BELOW;
		return d[0];
	}
	*where = CB_METG_FOUND;
	double e0 = isfinite(e[k - 1]) ? e[k - 1] : 0, e1 = e[k];
	double t = e1 > e0 ? (theta - e0) / (e1 - e0) : 1;
	return exp(log(d[k - 1]) + t * (log(d[k]) - log(d[k - 1])));
}

double cb_metg_estimate(double c_task_s, double job_s, double p, double work_s, double theta)
{
	double den = 1 / theta - 1 - p * job_s / work_s;
	if (!(den > 0) || !(c_task_s >= 0))
		return NAN;
	return c_task_s / den;
}
