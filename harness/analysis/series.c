/* Groups result cells into scaling series and derives every per-point and
 * per-series number the analysis commands show. The grouping key is all
 * that holds still along the series; the load is workers x threads for
 * computing workloads and concurrency for I/O, as the USL wants it. */
#include "analysis/series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"

static bool is_io(const cb_rcell *c)
{
	return c->kind && !strcmp(c->kind, "io");
}

static double cell_load(const cb_rcell *c)
{
	return is_io(c) ? (double)c->concurrency : (double)c->workers * c->threads;
}

/* What holds still along a series besides workload, params and strategy.
 * For I/O the load is concurrency, so the executors behind it are part of
 * the series where the strategy sets them apart (coroutines: loops). */
static char *cell_qualifier(const cb_rcell *c, bool decoupled, bool with_pin)
{
	char extra[64] = "";
	if (is_io(c) && decoupled)
		snprintf(extra, sizeof extra, "/w%d", c->workers);
	else if (!is_io(c) && c->concurrency != c->workers)
		snprintf(extra, sizeof extra, "/c%d", c->concurrency);
	if (c->threads > 1)
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "/t%d", c->threads);
	if (!with_pin)
		return cb_xstrdup(extra);
	return cb_xasprintf("%s%s%s%s%s", extra, strcmp(c->pin, "none") ? "/" : "",
	                    strcmp(c->pin, "none") ? c->pin : "",
	                    strcmp(c->schedule, "static") ? "/" : "",
	                    strcmp(c->schedule, "static") ? c->schedule : "");
}

/* True when some cell of this strategy runs more tasks than executors. */
static bool strategy_decoupled(const cb_rdoc *d, const char *strategy)
{
	for (size_t i = 0; i < d->ncells; i++)
		if (!strcmp(d->cells[i].strategy, strategy) &&
		    d->cells[i].workers != d->cells[i].concurrency)
			return true;
	return false;
}

static bool same_group(const cb_rcell *a, const char *qa, const cb_rcell *b, const char *qb)
{
	return !strcmp(a->workload, b->workload) && !strcmp(a->params, b->params) &&
	       !strcmp(a->strategy, b->strategy) && !strcmp(qa, qb);
}

static cb_series *series_add(cb_series_set *set)
{
	set->s = cb_xrealloc(set->s, (set->n + 1) * sizeof *set->s);
	cb_series *s = &set->s[set->n++];
	memset(s, 0, sizeof *s);
	s->f_measured = NAN;
	s->x_base = NAN;
	return s;
}

static void point_add(cb_series *s, const cb_rcell *c)
{
	s->pts = cb_xrealloc(s->pts, (s->npts + 1) * sizeof *s->pts);
	cb_point *p = &s->pts[s->npts++];
	memset(p, 0, sizeof *p);
	p->cell = c;
	p->n = cell_load(c);
	p->p = p->n;
	if (!is_io(c) && c->usable_pus > 0 && c->usable_pus < p->n)
		p->p = c->usable_pus;
	/* Throughput is work / median time, so the time spread maps onto it. */
	double work = c->throughput * c->median_s;
	p->x = c->throughput;
	p->x_lo = work / c->max_s;
	p->x_hi = work / c->min_s;
}

static int cmp_point(const void *a, const void *b)
{
	double x = ((const cb_point *)a)->n, y = ((const cb_point *)b)->n;
	return (x > y) - (x < y);
}

static int check_distinct(const cb_series *s, cb_error *err)
{
	for (size_t i = 1; i < s->npts; i++)
		if (s->pts[i].n == s->pts[i - 1].n)
			return cb_error_set(err, CB_EXIT_USAGE,
			                    "cells '%s' and '%s' are the same point of one series",
			                    s->pts[i - 1].cell->id, s->pts[i].cell->id);
	return 0;
}

/* The job a cell ran is `scale` times the serial one: the file says so;
 * a weak-scaling file without the field grew the job with the load. */
static double cell_scale(const cb_rcell *c, bool weak)
{
	if (!c)
		return 1;
	if (c->scale > 0)
		return c->scale;
	return weak ? cell_load(c) : 1;
}

/* The baseline cell (one worker, unscaled) for this workload and parameter
 * set: what speedup is measured against. */
static const cb_rcell *serial_base(const cb_rdoc *d, const cb_rcell *like, double *f,
                                   const char **name)
{
	const cb_rcell *base = NULL;
	*f = NAN;
	for (size_t i = 0; i < d->ncells; i++) {
		const cb_rcell *c = &d->cells[i];
		if (strcmp(c->workload, like->workload) || strcmp(c->params, like->params) || c->error ||
		    c->skipped)
			continue;
		if (c->baseline && cell_load(c) == 1 && c->scale <= 1 && !base && c->throughput > 0) {
			base = c;
			*name = c->strategy;
		}
		if (isfinite(c->serial_fraction) && (isnan(*f) || c->baseline))
			*f = c->serial_fraction;
	}
	return base;
}

/* The guard against speedups above the bound: the lower end of the 99%
 * bootstrap interval of the speedup as it is measured (speedup_against):
 * of the median of the paired rounds' ratios, else of median(serial) /
 * median(cell), the serial cell's noise counted with the cell's. (The
 * slowest repetition against the fastest, its former form, lost power as
 * repetitions were added: with more of them the extremes only spread.) */
#define GUARD_RESAMPLES 2000
#define GUARD_LEVEL 0.99
#define GUARD_SEED 1UL

/* Speedup of c against a base cell, the one definition results.json uses
 * (cb_results_derive): for the same job, the median of the ratios of the
 * rounds the two ran side by side where both have enough of them
 * (cb_paired_speedup; the interval from the smallest and largest ratio);
 * else T_serial of c's job, derived from the base cell's repetitions when
 * c's job is larger, over c's median, the interval from c's fastest and
 * slowest repetition. False when the base has no repetitions to derive
 * from. *paired (when not NULL): the rounds' ratios into it, and their
 * number (0 when the speedup is not from paired rounds). */
typedef struct paired_ratios {
	double *r;   /* room for the cell's rounds */
	size_t n;
} paired_ratios;

/* A cell's round medians, NAN for a round at reduced capacity (owned). */
static double *rounds_kept(const cb_rcell *c)
{
	double *r = cb_xcalloc(c->nrounds + 1, sizeof *r);
	for (size_t i = 0; i < c->nrounds; i++)
		r[i] = c->round_reduced && c->round_reduced[i] ? NAN : c->rounds[i];
	return r;
}

static bool speedup_against(const cb_rcell *base, const cb_rcell *c, bool weak, double *s,
                            double *lo, double *hi, paired_ratios *paired)
{
	if (!base || !c || !base->nreps || !(c->median_s > 0))
		return false;
	double k = cell_scale(c, weak) / cell_scale(base, weak);
	size_t n = 0;
	if (k == 1 && c != base)
		n = cb_paired_speedup(c->serial, c->nreps, c->wall, c->nreps, s, lo, hi, paired ? paired->r : NULL);
	if (k == 1 && !n) {
		/* Rounds at reduced capacity are left out of the pairs. */
		double *rb = rounds_kept(base), *rc = rounds_kept(c);
		n = cb_paired_speedup(rb, base->nrounds, rc, c->nrounds, s, lo, hi, paired ? paired->r : NULL);
		free(rb);
		free(rc);
	}
	if (paired)
		paired->n = n;
	if (n)
		return true;
	double t = k == 1 ? base->median_s : cb_scaled_serial_s(base->wall, base->par, base->nreps, k);
	if (!(t > 0))
		return false;
	*s = cb_scaled_speedup(t, c->median_s);
	if (lo)
		*lo = t / c->max_s;
	if (hi)
		*hi = t / c->min_s;
	return true;
}

double cb_series_f(const cb_series *s)
{
	if (isfinite(s->f_measured))
		return s->f_measured;
	return s->has_amdahl ? s->amdahl.f : NAN;
}

static void fit_usl(cb_series *s)
{
	cb_error err = { 0 };
	double *n = cb_xcalloc(s->npts, sizeof *n), *x = cb_xcalloc(s->npts, sizeof *x);
	for (size_t i = 0; i < s->npts; i++) {
		n[i] = s->pts[i].n;
		x[i] = s->pts[i].x;
	}
	s->has_usl = cb_usl_fit_points(n, x, s->npts, &s->usl, &err) == 0;
	if (!s->has_usl)
		snprintf(s->usl_note, sizeof s->usl_note, "%.150s", err.msg);
	free(n);
	free(x);
}

/* Under weak scaling the points are scaled speedups: Gustafson's line is
 * fitted, on the points whose job grew with their PUs (an oversubscribed
 * point's job grew more than its PUs and fits neither law). */
static void fit_amdahl(cb_series *s)
{
	cb_error err = { 0 };
	double *p = cb_xcalloc(s->npts + 1, sizeof *p), *sp = cb_xcalloc(s->npts + 1, sizeof *sp);
	size_t m = 0;
	for (size_t i = 0; i < s->npts; i++) {
		if (s->weak && s->pts[i].scale != s->pts[i].p)
			continue;
		p[m] = s->pts[i].p;
		sp[m++] = s->pts[i].speedup;
	}
	s->has_amdahl = (s->weak ? cb_gustafson_fit_points(p, sp, m, &s->amdahl, &err)
	                         : cb_amdahl_fit_points(p, sp, m, &s->amdahl, &err)) == 0;
	free(p);
	free(sp);
}

/* Everything derived from the points once x_base is known (or guessed).
 * Speedups come from the times of a base cell (serial, else the series'
 * own n = 1) as results.json has them; from throughput only where there is
 * no such cell (CSV points, a USL gamma). */
static void derive(cb_series *s)
{
	double self = NAN;
	const cb_rcell *self_cell = NULL;
	if (s->npts && s->pts[0].n == 1) {
		self = s->pts[0].x;
		self_cell = s->pts[0].cell;
	}
	if (s->npts >= 3)
		fit_usl(s);
	else
		snprintf(s->usl_note, sizeof s->usl_note, "needs 3 load levels, the series has %zu",
		         s->npts);
	const cb_rcell *base = s->base_cell;
	if (isnan(s->x_base) && isfinite(self)) {
		s->x_base = self;
		s->baseline = "n=1";
		base = self_cell;
	}
	if (isnan(s->x_base) && s->has_usl) {
		s->x_base = s->usl.gamma;
		s->baseline = "USL gamma";
	}
	for (size_t i = 0; i < s->npts; i++) {
		cb_point *p = &s->pts[i];
		p->scale = cell_scale(p->cell, s->weak);
		size_t room = p->cell ? (p->cell->nrounds > p->cell->nreps ? p->cell->nrounds : p->cell->nreps) : 0;
		paired_ratios pr = { cb_xcalloc(room + 1, sizeof *pr.r), 0 };
		if (!speedup_against(base, p->cell, s->weak, &p->speedup, &p->speedup_lo, &p->speedup_hi, &pr)) {
			p->speedup = p->x / s->x_base;
			p->speedup_lo = p->x_lo / s->x_base;
			p->speedup_hi = p->x_hi / s->x_base;
		}
		p->paired_rounds = pr.n;
		if (!speedup_against(self_cell, p->cell, s->weak, &p->self_speedup, NULL, NULL, NULL))
			p->self_speedup = p->x / self;
		p->efficiency = cb_efficiency(p->speedup, p->p);
		p->karp_flatt = cb_karp_flatt_scaled(p->speedup, p->scale, p->p);
		/* The guard holds the point against the serial fraction measured
		 * on the serial cell, never a fitted one (which the points make). */
		p->bound = cb_speedup_bound(s->f_measured, p->scale, p->p);
		p->guard_speedup = p->speedup_lo;
		double hi;
		if (pr.n)
			cb_bootstrap_median(pr.r, pr.n, GUARD_RESAMPLES, GUARD_LEVEL, GUARD_SEED, &p->guard_speedup, &hi);
		else if (base && base->nreps && p->cell && p->cell->nreps &&
		         cell_scale(p->cell, s->weak) == cell_scale(base, s->weak))
			cb_bootstrap_median_ratio(p->cell->wall, p->cell->nreps, base->wall, base->nreps, GUARD_RESAMPLES,
			                          GUARD_LEVEL, GUARD_SEED, &p->guard_speedup, &hi, NULL);
		p->above_bound = p->n > 1 && !(s->kind && !strcmp(s->kind, "io")) && isfinite(p->bound) &&
		                 p->guard_speedup > p->bound;
		free(pr.r);
	}
	fit_amdahl(s);
	double f = cb_series_f(s);
	for (size_t i = 0; i < s->npts; i++) {
		cb_point *p = &s->pts[i];
		p->amdahl = p->p == 1 && p->scale == 1 ? 1.0 : cb_speedup_bound(f, p->scale, p->p);
	}
}

char *cb_point_bound_warning(const cb_series *s, const cb_point *p)
{
	if (!p->above_bound)
		return NULL;
	return cb_xasprintf("%s: speedup %.3f (99%% interval from %.3f) is above %s bound %.3f for "
	                    "its measured serial fraction %.4g at p = %g: superlinear (cache effects?) "
	                    "or a mismeasured baseline, check before trusting it",
	                    p->cell ? p->cell->id : s->label, p->speedup, p->guard_speedup,
	                    s->weak ? "Gustafson's" : "Amdahl's", p->bound, s->f_measured, p->p);
}

bool cb_point_implausible(const cb_series *s, const cb_point *p)
{
	bool io = s->kind && !strcmp(s->kind, "io");
	return !io && p->cell && !p->cell->baseline && p->p == 1 && p->efficiency > CB_N1_EFFICIENCY_LIMIT;
}

char *cb_point_implausible_warning(const cb_series *s, const cb_point *p)
{
	if (!cb_point_implausible(s, p))
		return NULL;
	return cb_xasprintf("%s: efficiency %.2f at one worker, above %.1f: a measurement problem, not a "
	                    "result (one executor cannot beat the serial baseline; a job too short for the "
	                    "baseline's own overheads, or the machine's speed changed between the cells)",
	                    p->cell->id, p->efficiency, CB_N1_EFFICIENCY_LIMIT);
}

size_t cb_series_bound_warnings(const cb_series_set *set, char ***out)
{
	char **msg = NULL;
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		for (size_t j = 0; j < set->s[i].npts; j++) {
			char *m = cb_point_bound_warning(&set->s[i], &set->s[i].pts[j]);
			if (!m)
				continue;
			msg = cb_xrealloc(msg, (n + 1) * sizeof *msg);
			msg[n++] = m;
		}
	*out = msg;
	return n;
}

/* A label names params only where one workload ran with several sets; a
 * short name adds pin and schedule only where they tell series apart. */
static void label_series(cb_series_set *set)
{
	bool *clash = cb_xcalloc(set->n, sizeof *clash);
	for (size_t i = 0; i < set->n; i++) {
		cb_series *s = &set->s[i];
		bool several = false;
		for (size_t j = 0; j < set->n; j++) {
			const cb_series *o = &set->s[j];
			several |= !strcmp(s->workload, o->workload) && strcmp(s->params, o->params);
			clash[i] |= j != i && !strcmp(s->workload, o->workload) &&
			            !strcmp(s->params, o->params) && !strcmp(s->short_name, o->short_name);
		}
		const char *q = s->qualifier ? s->qualifier : "";
		s->label = several ? cb_xasprintf("%s[%s]/%s%s", s->workload, s->params, s->strategy, q)
		                   : cb_xasprintf("%s/%s%s", s->workload, s->strategy, q);
	}
	for (size_t i = 0; i < set->n; i++)
		if (clash[i]) {
			free(set->s[i].short_name);
			set->s[i].short_name = cb_xasprintf("%s%s", set->s[i].strategy, set->s[i].qualifier);
		}
	free(clash);
}

int cb_series_from_doc(const cb_rdoc *d, cb_series_set *out, cb_error *err)
{
	cb_series_set set = { 0 };
	for (size_t i = 0; i < d->ncells; i++) {
		const cb_rcell *c = &d->cells[i];
		if (c->error || c->skipped || !(c->throughput > 0))
			continue;
		bool dec = strategy_decoupled(d, c->strategy);
		char *q = cell_qualifier(c, dec, true);
		cb_series *s = NULL;
		for (size_t j = 0; j < set.n && !s; j++)
			if (same_group(set.s[j].pts[0].cell, set.s[j].qualifier, c, q))
				s = &set.s[j];
		if (!s) {
			s = series_add(&set);
			s->workload = c->workload;
			s->strategy = c->strategy;
			s->kind = c->kind;
			s->params = c->params;
			s->qualifier = q;
			q = NULL;
			char *extra = cell_qualifier(c, dec, false);
			s->short_name = cb_xasprintf("%s%s", c->strategy, extra);
			free(extra);
			s->weak = d->weak_scaling;
			s->baseline = "serial";
			s->base_cell = serial_base(d, c, &s->f_measured, &s->baseline);
			s->x_base = s->base_cell ? s->base_cell->throughput : NAN;
		}
		free(q);
		point_add(s, c);
	}
	for (size_t i = 0; i < set.n; i++) {
		cb_series *s = &set.s[i];
		qsort(s->pts, s->npts, sizeof *s->pts, cmp_point);
		if (check_distinct(s, err))
			goto fail;
		derive(s);
	}
	label_series(&set);
	*out = set;
	return 0;
fail:
	cb_series_set_free(&set);
	return -1;
}

int cb_series_from_points(const char *name, const double *n, const double *x, size_t k,
                          cb_series_set *out, cb_error *err)
{
	(void)err;
	cb_series_set set = { 0 };
	cb_series *s = series_add(&set);
	s->workload = name;
	s->strategy = "";
	s->kind = "";
	s->params = "";
	s->label = cb_xstrdup(name);
	s->short_name = cb_xstrdup(name);
	s->pts = cb_xcalloc(k, sizeof *s->pts);
	s->npts = k;
	for (size_t i = 0; i < k; i++) {
		cb_point *p = &s->pts[i];
		p->n = p->p = n[i];
		p->x = p->x_lo = p->x_hi = x[i];
	}
	derive(s);
	*out = set;
	return 0;
}

void cb_series_set_free(cb_series_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->s[i].label);
		free(set->s[i].qualifier);
		free(set->s[i].short_name);
		free(set->s[i].pts);
	}
	free(set->s);
	set->s = NULL;
	set->n = 0;
}
