/* concbench granularity's analysis (moved from cli/cmd_granularity.c):
 * each run of the sweep read into series of efficiency against task
 * duration, their METG, the price list's estimate, and their JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/granularity.h"

static cb_gran_series *series_of(cb_gran_series **all, size_t *n, const char *name, const char *strategy, int workers, int p)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*all)[i].name, name))
			return &(*all)[i];
	*all = cb_xrealloc(*all, (*n + 1) * sizeof **all);
	cb_gran_series *s = &(*all)[(*n)++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->strategy, sizeof s->strategy, "%s", strategy);
	s->p = p;
	s->workers = workers;
	s->est50 = s->est90 = NAN;
	return s;
}

/* Efficiency at step k of each parallel cell of a run: the speedup over
 * its executors, and the fastest and slowest repetitions' (against the
 * paired serial repetition where there is one, else the serial median). */
void cb_gran_collect(const cb_rdoc *d, int k, cb_gran_series **all, size_t *n)
{
	const cb_rcell *base = NULL;
	for (size_t i = 0; i < d->ncells; i++)
		if (d->cells[i].baseline && d->cells[i].nreps)
			base = &d->cells[i];
	if (!base)
		return;
	double task_s = base->median_s / (double)(base->ntasks > 0 ? base->ntasks : 1);
	for (size_t i = 0; i < d->ncells; i++) {
		const cb_rcell *c = &d->cells[i];
		if (c->baseline || !c->nreps || c->error)
			continue;
		int p = c->workers * (c->threads > 0 ? c->threads : 1);
		if (c->usable_pus > 0 && p > c->usable_pus)
			p = c->usable_pus;
		char name[96];
		snprintf(name, sizeof name, c->threads > 1 ? "%s/n%d/t%d" : "%s/n%d", c->strategy, c->workers, c->threads);
		cb_gran_series *s = series_of(all, n, name, c->strategy, c->workers, p);
		double sp = json_number_value(json_object_get(c->json, "speedup")), lo = INFINITY, hi = 0;
		/* The repetitions' speedups the way the cell's own was taken: against
		 * each one's paired serial repetition, or (a cell with too few pairs:
		 * "ratio of medians") against the serial cell's median, so that the
		 * interval holds the estimate. */
		const char *method = json_string_value(json_object_get(c->json, "speedup_method"));
		bool paired = method && !strcmp(method, "paired repetitions");
		for (size_t r = 0; r < c->nreps; r++) {
			double x = (paired && isfinite(c->serial[r]) ? c->serial[r] : base->median_s) / c->wall[r];
			lo = x < lo ? x : lo;
			hi = x > hi ? x : hi;
		}
		s->d[k] = task_s;
		s->e[k] = sp / p;
		s->lo[k] = lo / p;
		s->hi[k] = hi / p;
		s->have[k] = isfinite(sp);
	}
}

/* METG at theta from the points a series has; lo/hi from its slowest and
 * fastest repetitions' curves. */
double cb_gran_metg(const cb_gran_series *s, int nsteps, double theta, const double *curve, cb_metg_where *w)
{
	double d[CB_GRAN_MAX_STEPS], e[CB_GRAN_MAX_STEPS];
	size_t m = 0;
	/* Durations ascending: the sweep ran the shortest task first. */
	for (int k = 0; k < nsteps; k++)
		if (s->have[k]) {
			d[m] = s->d[k];
			e[m++] = curve[k];
		}
	return cb_metg(d, e, m, theta, w);
}

void cb_gran_fmt_metg(double v, cb_metg_where w, char *buf, size_t n)
{
	const char *pre = w == CB_METG_BELOW ? "<=" : w == CB_METG_NONE ? ">" : "";
	if (v < 1e-3)
		snprintf(buf, n, "%s%.3g us", pre, v * 1e6);
	else
		snprintf(buf, n, "%s%.3g ms", pre, v * 1e3);
}

/* A micro cell's median seconds: pools/STRATEGY_BENCH/WORKERS, or NAN. */
static double micro_s(const json_t *price, const char *strategy, const char *bench, int workers)
{
	char id[160];
	snprintf(id, sizeof id, "pools/%s_%s/%d", strategy, bench, workers);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(price, "cells"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "id")) ? json_string_value(json_object_get(c, "id")) : "", id))
			return json_number_value(json_object_get(json_object_get(c, "stats"), "median_s"));
	return NAN;
}

/* Each series' METG as the price list predicts it (cb_metg_estimate):
 * the cost of a task on one worker is the map of 100k empty tasks beyond
 * an empty job's cost, times the workers that shared it. */
void cb_gran_estimate(cb_gran_series *all, size_t n, const json_t *price, double work)
{
	for (size_t i = 0; i < n; i++) {
		cb_gran_series *s = &all[i];
		double job = micro_s(price, s->strategy, "empty_job", s->workers);
		double map = micro_s(price, s->strategy, "map_100k", s->workers);
		double c = s->workers * (map - job) / 100000;
		s->est50 = cb_metg_estimate(c, job, s->p, work, 0.5);
		s->est90 = cb_metg_estimate(c, job, s->p, work, 0.9);
	}
}

json_t *cb_gran_series_json(const cb_gran_series *s, int nsteps)
{
	json_t *pts = json_array();
	for (int k = 0; k < nsteps; k++)
		if (s->have[k])
			json_array_append_new(pts, json_pack("{s:f, s:f, s:f, s:f}", "task_s", s->d[k], "efficiency", s->e[k],
			                                     "lo", s->lo[k], "hi", s->hi[k]));
	json_t *j = json_pack("{s:s, s:i, s:o}", "series", s->name, "pus", s->p, "points", pts);
	static const double thetas[] = { 0.5, 0.9 };
	static const char *const keys[] = { "metg50", "metg90" };
	for (int t = 0; t < 2; t++) {
		cb_metg_where w, wlo, whi;
		double m = cb_gran_metg(s, nsteps, thetas[t], s->e, &w);
		double mhi = cb_gran_metg(s, nsteps, thetas[t], s->lo, &whi), mlo = cb_gran_metg(s, nsteps, thetas[t], s->hi, &wlo);
		static const char *const where[] = { "found", "below the shortest task", "above the longest task" };
		double est = t ? s->est90 : s->est50;
		json_object_set_new(j, keys[t], json_pack("{s:f, s:f, s:f, s:s, s:s, s:s, s:o}", "task_s", m, "lo_s", mlo,
		                                          "hi_s", mhi, "where", where[w], "lo_where", where[wlo],
		                                          "hi_where", where[whi], "price_list_s",
		                                          isfinite(est) ? json_real(est) : json_null()));
	}
	return j;
}
