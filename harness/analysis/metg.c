#include <math.h>

#include "analysis/metg.h"

double cb_metg(const double *d, const double *e, size_t n, double theta, cb_metg_where *where)
{
	*where = CB_METG_NONE;
	if (!n)
		return NAN;
	/* The largest duration whose efficiency falls short. */
	size_t j = n;
	for (size_t k = n; k-- > 0;)
		if (!(e[k] >= theta)) {
			j = k;
			break;
		}
	if (j == n) {
		*where = CB_METG_BELOW;
		return d[0];
	}
	if (j == n - 1)
		return d[n - 1];
	*where = CB_METG_FOUND;
	double e0 = isfinite(e[j]) ? e[j] : 0, e1 = e[j + 1];
	double t = e1 > e0 ? (theta - e0) / (e1 - e0) : 1;
	return exp(log(d[j]) + t * (log(d[j + 1]) - log(d[j])));
}

double cb_metg_estimate(double c_task_s, double job_s, double p, double work_s, double theta)
{
	double den = 1 / theta - 1 - p * job_s / work_s;
	if (!(den > 0) || !(c_task_s >= 0))
		return NAN;
	return c_task_s / den;
}
