/* The step search: every split of the points in time order, the one whose
 * two sides differ most in their mean residual (the log time less its
 * cell's median log time; clipped, so that one wild repetition cannot make
 * a step), then the check that the cells agree. */
#include <math.h>
#include <stdlib.h>

#include "analysis/drift.h"
#include "base/common.h"
#include "base/stats.h"

#define CLIP 0.5         /* |residual| counted at most: 1.65x */
#define MIN_SIDE 0.2     /* share of the points on each side of a step */
#define MIN_CELL_SIDE 2  /* a cell's points on each side, for it to count */

static int by_time(const void *a, const void *b)
{
	double x = ((const cb_drift_point *)a)->at_s, y = ((const cb_drift_point *)b)->at_s;
	return (x > y) - (x < y);
}

/* The median log time of each cell's points in [lo, hi), into med[cell]
 * (NAN where the cell has none there), and how many points, into cnt[cell]
 * when cnt is not NULL. */
static void cell_medians(const cb_drift_point *p, size_t lo, size_t hi, int ncells, double *med,
                         size_t *cnt, double *buf)
{
	for (int c = 0; c < ncells; c++) {
		size_t k = 0;
		for (size_t i = lo; i < hi; i++)
			if (p[i].cell == c)
				buf[k++] = log(p[i].wall_s);
		med[c] = k ? cb_median(buf, k) : NAN;
		if (cnt)
			cnt[c] = k;
	}
}

void cb_drift_find(cb_drift_point *pts, size_t n, int ncells, cb_drift *out)
{
	*out = (cb_drift){ .found = false, .ratio = NAN, .at_s = NAN };
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(pts[i].at_s) && pts[i].wall_s > 0 && pts[i].cell >= 0 && pts[i].cell < ncells)
			pts[m++] = pts[i];
	if (ncells < 3 || m < 10)
		return;
	qsort(pts, m, sizeof *pts, by_time);
	double *med = cb_xmalloc((size_t)ncells * sizeof *med), *buf = cb_xmalloc(m * sizeof *buf);
	double *res = cb_xmalloc(m * sizeof *res), *before = cb_xmalloc((size_t)ncells * sizeof *before);
	double *after = cb_xmalloc((size_t)ncells * sizeof *after), *shift = cb_xmalloc((size_t)ncells * sizeof *shift);
	size_t *nb = cb_xmalloc((size_t)ncells * sizeof *nb), *na = cb_xmalloc((size_t)ncells * sizeof *na);
	cell_medians(pts, 0, m, ncells, med, NULL, buf);
	double total = 0;
	for (size_t i = 0; i < m; i++) {
		double r = log(pts[i].wall_s) - med[pts[i].cell];
		res[i] = r > CLIP ? CLIP : r < -CLIP ? -CLIP : r;
		total += res[i];
	}
	size_t min_side = (size_t)ceil(MIN_SIDE * (double)m), best = 0;
	double best_gap = 0, run = 0;
	for (size_t k = 1; k < m; k++) {
		run += res[k - 1];
		if (k < min_side || m - k < min_side || pts[k].at_s == pts[k - 1].at_s)
			continue;
		double gap = (total - run) / (double)(m - k) - run / (double)k;
		if (fabs(gap) > fabs(best_gap)) {
			best_gap = gap;
			best = k;
		}
	}
	if (best && fabs(best_gap) >= log1p(CB_DRIFT_STEP) / 2) {
		cell_medians(pts, 0, best, ncells, before, nb, buf);
		cell_medians(pts, best, m, ncells, after, na, buf);
		int both = 0, up = 0, down = 0;
		for (int c = 0; c < ncells; c++) {
			if (nb[c] < MIN_CELL_SIDE || na[c] < MIN_CELL_SIDE)
				continue;
			shift[both++] = after[c] - before[c];
			up += after[c] - before[c] >= log1p(CB_DRIFT_CELL);
			down += after[c] - before[c] <= -log1p(CB_DRIFT_CELL);
		}
		if (both >= 3) {
			double step = cb_median(shift, (size_t)both);
			int agree = step > 0 ? up : down;
			out->cells = both;
			out->agree = agree;
			out->ratio = exp(step);
			out->at_s = (pts[best - 1].at_s + pts[best].at_s) / 2;
			out->found = fabs(step) >= log1p(CB_DRIFT_STEP) && 3 * agree >= 2 * both;
		}
	}
	free(med);
	free(buf);
	free(res);
	free(before);
	free(after);
	free(shift);
	free(nb);
	free(na);
}
