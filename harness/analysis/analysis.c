/* Scaling laws for the analysis stage: everything the analyze, plot and
 * report commands compute from measured times is here, as pure functions
 * with known-answer tests (tests/test_analysis.c). */
#include "analysis/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>

double cb_speedup(double t1, double tp)
{
	if (!(t1 > 0) || !(tp > 0))
		return NAN;
	return t1 / tp;
}

double cb_efficiency(double speedup, double p)
{
	if (!(p > 0))
		return NAN;
	return speedup / p;
}

double cb_amdahl_speedup(double f, double p)
{
	if (!(p > 0))
		return NAN;
	return 1.0 / (f + (1.0 - f) / p);
}

double cb_karp_flatt(double speedup, double p)
{
	if (!(p > 1) || !(speedup > 0))
		return NAN;
	return (1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p);
}

double cb_gustafson_speedup(double f, double p)
{
	return p - f * (p - 1.0);
}

double cb_scaled_serial_s(const double *wall, const double *par, size_t n, double scale)
{
	if (!n || !(scale >= 1))
		return NAN;
	if (scale == 1)
		return cb_median(wall, n);
	double *t = cb_xmalloc(n * sizeof *t);
	for (size_t i = 0; i < n; i++)
		t[i] = wall[i] + (scale - 1.0) * par[i];
	double m = cb_median(t, n);
	free(t);
	return m;
}

double cb_scaled_speedup(double t_serial_scaled, double tp)
{
	return cb_speedup(t_serial_scaled, tp);
}

size_t cb_paired_speedup(const double *base, size_t nb, const double *cell, size_t nc, double *s,
                         double *lo, double *hi, double *ratios)
{
	size_t all = nb < nc ? nb : nc, n = 0;
	double *r = cb_xmalloc((all + 1) * sizeof *r);
	for (size_t k = 0; k < all; k++) {
		if (isnan(base[k]) || isnan(cell[k]))
			continue;   /* a pair left out (a round at reduced capacity) */
		if (!(base[k] > 0) || !(cell[k] > 0)) {
			free(r);
			return 0;
		}
		r[n++] = base[k] / cell[k];
	}
	if (n < CB_PAIRED_MIN_ROUNDS) {
		free(r);
		return 0;
	}
	if (ratios)
		memcpy(ratios, r, n * sizeof *r);
	cb_sort(r, n);
	if (lo)
		*lo = r[0];
	if (hi)
		*hi = r[n - 1];
	for (size_t k = 0; k < n; k++)
		r[k] = log(r[k]);
	double est, l, h;
	cb_hodges_lehmann(r, n, 0.5, &est, &l, &h);
	*s = exp(est);
	free(r);
	return n;
}

double cb_speedup_bound(double f, double scale, double p)
{
	if (!(p > 0) || !(scale >= 1) || !(f >= 0 && f <= 1))
		return NAN;
	if (scale == 1)
		return cb_amdahl_speedup(f, p);
	if (scale == p)
		return cb_gustafson_speedup(f, p);
	return (f + scale * (1.0 - f)) / (f + scale * (1.0 - f) / p);
}

double cb_karp_flatt_scaled(double speedup, double scale, double p)
{
	if (!(p > 1) || !(speedup > 0) || !(scale >= 1))
		return NAN;
	if (scale == 1)
		return cb_karp_flatt(speedup, p);
	/* S (f + k (1 - f) / p) = f + k (1 - f), solved for f. */
	double den = scale - 1.0 + speedup * (1.0 - scale / p);
	if (den == 0)
		return NAN;
	return scale * (1.0 - speedup / p) / den;
}

/* Both laws are a line through the origin, y = f x, in a transform of the
 * points: the least-squares f, clamped to [0, 1], with its standard error.
 * Points at one worker or without a speedup carry no information. */
typedef void law_xy(double p, double s, double *x, double *y);

static int fit_through_origin(const double *p, const double *s, size_t n, law_xy *xy,
                              const char *law, cb_amdahl_fit *out, cb_error *err)
{
	double sxx = 0, sxy = 0, x, y;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(p[i] > 1) || !(s[i] > 0))
			continue;
		xy(p[i], s[i], &x, &y);
		sxx += x * x;
		sxy += x * y;
		m++;
	}
	if (!m)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "the %s fit needs a point with more than one worker", law);
	double f = sxy / sxx, sse = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(p[i] > 1) || !(s[i] > 0))
			continue;
		xy(p[i], s[i], &x, &y);
		sse += (y - f * x) * (y - f * x);
	}
	out->f = f < 0 ? 0 : f > 1 ? 1 : f;
	out->se = m > 1 ? sqrt(sse / (double)(m - 1) / sxx) : NAN;
	out->used = m;
	return 0;
}

/* Amdahl is linear in time: 1/S - 1/p = f (1 - 1/p). Fitting that line
 * through the origin weighs every point by its normalised time, which is
 * what was measured, and needs no iteration. */
static void amdahl_xy(double p, double s, double *x, double *y)
{
	*x = 1.0 - 1.0 / p;
	*y = 1.0 / s - 1.0 / p;
}

int cb_amdahl_fit_points(const double *p, const double *s, size_t n,
                         cb_amdahl_fit *out, cb_error *err)
{
	return fit_through_origin(p, s, n, amdahl_xy, "Amdahl", out, err);
}

/* Gustafson is linear in the speedup itself: p - S = f (p - 1). */
static void gustafson_xy(double p, double s, double *x, double *y)
{
	*x = p - 1.0;
	*y = p - s;
}

int cb_gustafson_fit_points(const double *p, const double *s, size_t n,
                            cb_amdahl_fit *out, cb_error *err)
{
	return fit_through_origin(p, s, n, gustafson_xy, "Gustafson", out, err);
}

/* ---- Universal Scalability Law ---- */

double cb_usl_eval(const cb_usl_fit *fit, double n)
{
	double d = 1.0 + fit->alpha * (n - 1.0) + fit->beta * n * (n - 1.0);
	return fit->gamma * n / d;
}

/* Which of alpha and beta are free in one candidate fit; the others sit at
 * their lower bound 0. Gamma is always free and always parameter 0. */
typedef struct usl_problem {
	const double *n, *x;
	size_t k;
	bool free_a, free_b;
} usl_problem;

static void usl_unpack(const usl_problem *pb, const gsl_vector *v,
                       double *a, double *b, double *g)
{
	size_t j = 1;
	*g = gsl_vector_get(v, 0);
	*a = pb->free_a ? gsl_vector_get(v, j++) : 0.0;
	*b = pb->free_b ? gsl_vector_get(v, j) : 0.0;
}

static double usl_denominator(double a, double b, double n)
{
	double d = 1.0 + a * (n - 1.0) + b * n * (n - 1.0);
	/* An infeasible trial step may drive it to 0; keep the model finite so
	 * the trust region can reject the step instead of failing. */
	return d > 1e-12 ? d : 1e-12;
}

static int usl_f(const gsl_vector *v, void *data, gsl_vector *f)
{
	const usl_problem *pb = data;
	double a, b, g;
	usl_unpack(pb, v, &a, &b, &g);
	for (size_t i = 0; i < pb->k; i++) {
		double n = pb->n[i];
		gsl_vector_set(f, i, g * n / usl_denominator(a, b, n) - pb->x[i]);
	}
	return GSL_SUCCESS;
}

static int usl_df(const gsl_vector *v, void *data, gsl_matrix *jac)
{
	const usl_problem *pb = data;
	double a, b, g;
	usl_unpack(pb, v, &a, &b, &g);
	for (size_t i = 0; i < pb->k; i++) {
		double n = pb->n[i], d = usl_denominator(a, b, n);
		size_t j = 1;
		gsl_matrix_set(jac, i, 0, n / d);
		if (pb->free_a)
			gsl_matrix_set(jac, i, j++, -g * n * (n - 1.0) / (d * d));
		if (pb->free_b)
			gsl_matrix_set(jac, i, j, -g * n * n * (n - 1.0) / (d * d));
	}
	return GSL_SUCCESS;
}

/* Scale estimate from the lowest load: X(N) ~ gamma N while N is small. */
static double usl_gamma_guess(const double *n, const double *x, size_t k)
{
	size_t lo = 0;
	for (size_t i = 1; i < k; i++)
		if (n[i] < n[lo])
			lo = i;
	return x[lo] / n[lo];
}

/* One candidate: fit the free parameters, fill out (SEs NAN for fixed ones).
 * Returns 0 when the solver converged to a point inside the bounds. */
static int usl_fit_candidate(usl_problem *pb, cb_usl_fit *out)
{
	size_t p = 1 + pb->free_a + pb->free_b, dof = pb->k - p;
	int rc = -1;
	gsl_multifit_nlinear_parameters prm = gsl_multifit_nlinear_default_parameters();
	gsl_multifit_nlinear_workspace *w =
		gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &prm, pb->k, p);
	gsl_matrix *cov = gsl_matrix_alloc(p, p);
	gsl_vector *v0 = gsl_vector_alloc(p);
	gsl_multifit_nlinear_fdf fdf = { .f = usl_f, .df = usl_df, .n = pb->k, .p = p, .params = pb };

	gsl_vector_set(v0, 0, usl_gamma_guess(pb->n, pb->x, pb->k));
	for (size_t j = 1; j < p; j++)
		gsl_vector_set(v0, j, 0.01);
	gsl_multifit_nlinear_init(v0, &fdf, w);
	int info;
	int st = gsl_multifit_nlinear_driver(500, 1e-12, 1e-12, 1e-12, NULL, NULL, &info, w);
	if (st != GSL_SUCCESS && st != GSL_EMAXITER)
		goto out;

	double a, b, g, sse;
	usl_unpack(pb, w->x, &a, &b, &g);
	if (a < -1e-9 || b < -1e-9 || !isfinite(g))
		goto out;
	gsl_blas_ddot(w->f, w->f, &sse);
	gsl_multifit_nlinear_covar(w->J, 0.0, cov);
	double s2 = dof ? sse / (double)dof : NAN;
	size_t j = 1;
	out->gamma = g;
	out->se_gamma = sqrt(s2 * gsl_matrix_get(cov, 0, 0));
	out->alpha = a > 0 ? a : 0;
	out->se_alpha = pb->free_a ? sqrt(s2 * gsl_matrix_get(cov, j, j)) : NAN;
	j += pb->free_a;
	out->beta = b > 0 ? b : 0;
	out->se_beta = pb->free_b ? sqrt(s2 * gsl_matrix_get(cov, j, j)) : NAN;
	out->sse = sse;
	rc = 0;
out:
	gsl_vector_free(v0);
	gsl_matrix_free(cov);
	gsl_multifit_nlinear_free(w);
	return rc;
}

static int usl_check_input(const double *n, const double *x, size_t k, cb_error *err)
{
	if (k < 3)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "the USL fit needs at least 3 points, got %zu", k);
	for (size_t i = 0; i < k; i++) {
		if (!(n[i] > 0) || !isfinite(n[i]) || !(x[i] > 0) || !isfinite(x[i]))
			return cb_error_set(err, CB_EXIT_USAGE,
			                    "the USL fit needs N > 0 and X > 0 (point %zu: N = %g, X = %g)",
			                    i + 1, n[i], x[i]);
		for (size_t j = 0; j < i; j++)
			if (n[j] == n[i])
				return cb_error_set(err, CB_EXIT_USAGE,
				                    "the USL fit needs distinct N (N = %g twice)", n[i]);
	}
	return 0;
}

static void usl_finish(cb_usl_fit *fit, const double *x, size_t k)
{
	double mean = 0, sst = 0;
	for (size_t i = 0; i < k; i++)
		mean += x[i] / (double)k;
	for (size_t i = 0; i < k; i++)
		sst += (x[i] - mean) * (x[i] - mean);
	fit->r2 = sst > 0 ? 1.0 - fit->sse / sst : NAN;
	if (fit->alpha >= 1.0) {
		fit->peak_n = 1.0;  /* X falls from the first worker on */
		fit->peak_x = fit->gamma;
	} else if (fit->beta > 0) {
		fit->peak_n = sqrt((1.0 - fit->alpha) / fit->beta);
		fit->peak_x = cb_usl_eval(fit, fit->peak_n);
	} else {
		fit->peak_n = INFINITY;
		fit->peak_x = fit->alpha > 0 ? fit->gamma / fit->alpha : INFINITY;
	}
}

/* Bounded least squares by active sets: with two bounded parameters the
 * optimum is the best feasible fit among the four ways of holding alpha
 * and beta free or at 0. Cheaper and more transparent than a transform,
 * which would flatten the gradient exactly at the bound. */
int cb_usl_fit_points(const double *n, const double *x, size_t k,
                      cb_usl_fit *out, cb_error *err)
{
	static const bool sets[4][2] = { { true, true }, { true, false }, { false, true }, { false, false } };
	if (usl_check_input(n, x, k, err))
		return -1;
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	cb_usl_fit best = { .sse = INFINITY };
	for (size_t s = 0; s < 4; s++) {
		usl_problem pb = { n, x, k, sets[s][0], sets[s][1] };
		cb_usl_fit cand;
		if ((size_t)(1 + pb.free_a + pb.free_b) > k)
			continue;
		if (usl_fit_candidate(&pb, &cand) == 0 && cand.sse < best.sse * (1 - 1e-12))
			best = cand;
	}
	gsl_set_error_handler(old);
	if (!isfinite(best.sse))
		return cb_error_set(err, CB_EXIT_FAIL, "the USL fit did not converge");
	usl_finish(&best, x, k);
	*out = best;
	return 0;
}

/* ---- I/O, verdicts ---- */

double cb_io_bound(double concurrency, double latency_s, double cores,
                   double cpu_per_task_s)
{
	double by_latency = latency_s > 0 ? concurrency / latency_s : INFINITY;
	double by_cpu = cpu_per_task_s > 0 ? cores / cpu_per_task_s : INFINITY;
	return by_latency < by_cpu ? by_latency : by_cpu;
}

cb_little cb_little_check(double concurrency, double throughput, double latency_s,
                          double tolerance)
{
	cb_little l;
	l.implied = throughput * latency_s;
	l.ratio = concurrency > 0 ? l.implied / concurrency : NAN;
	l.consistent = fabs(l.ratio - 1.0) <= tolerance;
	return l;
}

cb_verdict cb_verdict_pick(const cb_timing *t, size_t n)
{
	cb_verdict v = { .best = -1, .runner_up = -1, .margin = NAN, .beyond_noise = false };
	for (size_t i = 0; i < n; i++) {
		if (!(t[i].median_s > 0))
			continue;
		if (v.best < 0 || t[i].median_s < t[v.best].median_s) {
			v.runner_up = v.best;
			v.best = (int)i;
		} else if (v.runner_up < 0 || t[i].median_s < t[v.runner_up].median_s) {
			v.runner_up = (int)i;
		}
	}
	if (v.runner_up >= 0) {
		const cb_timing *b = &t[v.best], *r = &t[v.runner_up];
		v.margin = r->median_s / b->median_s - 1.0;
		v.beyond_noise = b->max_s < r->min_s;
	}
	return v;
}


