/* The run's summary (summary.h): one row per workload (and parameter set),
 * one column per strategy, read off the series; the verdict between each
 * model's best cell; and the main loss of the best parallel model at its
 * largest load, the largest of four shares of ideal that the data names:
 *   serial fraction  1 - Amdahl(p) / p, from f measured on the serial cell;
 *   imbalance        1 - mean / max busy time over the executors (trace);
 *   start cost       mean delay of the executors' first task over the
 *                    parallel section (trace);
 *   contention       1 - serial CPU time per task / this cell's. */
#include "render/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Efficiency at or above this is called near ideal: no reason given. */
#define NEAR_IDEAL 0.9
/* A loss below this share of ideal is not called a cause. */
#define LOSS_FLOOR 0.03

static char *group_name(const cb_series *s)
{
	const char *br = strchr(s->label, '[');
	return br && br - s->label == (ptrdiff_t)strlen(s->workload) ? cb_xasprintf("%s[%s]", s->workload, s->params)
	                                                             : cb_xstrdup(s->workload);
}

static bool same_group(const cb_series *a, const cb_series *b)
{
	return !strcmp(a->workload, b->workload) && !strcmp(a->params, b->params);
}

static size_t col_of(cb_summary *sm, const char *name)
{
	for (size_t i = 0; i < sm->ncols; i++)
		if (!strcmp(sm->cols[i], name))
			return i;
	sm->cols = cb_xrealloc(sm->cols, (sm->ncols + 1) * sizeof *sm->cols);
	sm->cols[sm->ncols] = cb_xstrdup(name);
	return sm->ncols++;
}

/* The point of s with the lowest median wall time. */
static const cb_point *best_point(const cb_series *s)
{
	const cb_point *b = NULL;
	for (size_t j = 0; j < s->npts; j++)
		if (s->pts[j].cell && isfinite(s->pts[j].cell->median_s) &&
		    (!b || s->pts[j].cell->median_s < b->cell->median_s))
			b = &s->pts[j];
	return b;
}

static double trace_num(const cb_rcell *c, const char *key)
{
	const json_t *v = json_object_get(json_object_get(c->json, "trace"), key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Mean delay of the executors' first task, over the parallel section. */
static double trace_start_share(const cb_rcell *c)
{
	const json_t *tr = json_object_get(c->json, "trace"), *v;
	double par = trace_num(c, "par_s"), sum = 0;
	size_t i, n = 0;
	json_array_foreach(json_object_get(tr, "first_task_s"), i, v)
		if (json_is_number(v)) {
			sum += json_number_value(v);
			n++;
		}
	return n && par > 0 ? sum / (double)n / par : NAN;
}

static char *reason(const cb_series **g, size_t ng)
{
	const cb_series *s = NULL;
	const cb_rcell *base = NULL;
	for (size_t i = 0; i < ng; i++) {
		const cb_rcell *c0 = g[i]->pts[0].cell;
		if (!c0)
			continue;
		if (c0->baseline) {
			base = c0;
			continue;
		}
		const cb_point *b = best_point(g[i]), *sb = s ? best_point(s) : NULL;
		if (b && (!sb || b->cell->median_s < sb->cell->median_s))
			s = g[i];
	}
	if (!s)
		return cb_xstrdup("only the serial baseline ran: nothing to compare");
	const cb_point *p = &s->pts[s->npts - 1];
	const cb_rcell *c = p->cell;
	bool io = s->kind && !strcmp(s->kind, "io");
	char *head = io ? cb_xasprintf("%s at concurrency %g: %.4g tasks/s", s->short_name, p->n, p->x)
	                : cb_xasprintf("%s at %g worker%s: efficiency %.2f", s->short_name, p->n, p->n == 1 ? "" : "s",
	                               p->efficiency);
	if (cb_point_implausible(s, p)) {
		char *r = cb_xasprintf("%s, above %.1f at one worker: a measurement problem, no loss to name", head,
		                       CB_N1_EFFICIENCY_LIMIT);
		free(head);
		return r;
	}
	if (!io && p->efficiency >= NEAR_IDEAL) {
		char *r = cb_xasprintf("%s, near ideal", head);
		free(head);
		return r;
	}
	enum { SERIAL, IMBALANCE, START, CONTENTION, NLOSS };
	double loss[NLOSS] = { NAN, NAN, NAN, NAN };
	double f = cb_series_f(s), imb = trace_num(c, "imbalance"), cpu_ratio = NAN;
	if (isfinite(p->amdahl) && p->p > 1 && !s->weak)
		loss[SERIAL] = 1 - p->amdahl / p->p;
	if (isfinite(imb) && imb > 0)
		loss[IMBALANCE] = 1 - 1 / imb;
	loss[START] = trace_start_share(c);
	if (base && base->ntasks > 0 && c->ntasks > 0 && base->cpu_s > 0 && c->cpu_s > 0) {
		cpu_ratio = (c->cpu_s / (double)c->ntasks) / (base->cpu_s / (double)base->ntasks);
		loss[CONTENTION] = 1 - 1 / cpu_ratio;
	}
	int k = -1;
	for (int i = 0; i < NLOSS; i++)
		if (isfinite(loss[i]) && loss[i] >= LOSS_FLOOR && (k < 0 || loss[i] > loss[k]))
			k = i;
	bool traced = json_is_object(json_object_get(c->json, "trace"));
	char *why;
	switch (k) {
	case SERIAL:
		why = cb_xasprintf("serial fraction: f = %.1f%% caps the speedup at %.2f on %g", f * 100, p->amdahl, p->p);
		break;
	case IMBALANCE:
		why = cb_xasprintf("imbalance: the busiest executor worked %.2fx the mean (traced)", imb);
		break;
	case START:
		why = cb_xasprintf("start cost: executors began their first task %.0f%% into the parallel section "
		                   "on average (traced)", loss[START] * 100);
		break;
	case CONTENTION:
		why = cb_xasprintf("contention: %.2fx the serial CPU time per task", cpu_ratio);
		break;
	default:
		why = cb_xstrdup(traced ? "no single cause stands out in the data"
		                        : "no single cause stands out; run --trace to see imbalance and start cost");
	}
	char *r = cb_xasprintf("%s; main loss: %s", head, why);
	free(head);
	free(why);
	return r;
}

static void row_build(cb_summary *sm, cb_summary_row *r, const cb_series **g, size_t ng)
{
	r->workload = group_name(g[0]);
	r->io = g[0]->kind && !strcmp(g[0]->kind, "io");
	for (size_t i = 0; i < ng; i++)
		col_of(sm, g[i]->strategy);
	/* Columns may still grow with later rows: sized when all are known. */
	cb_timing *tm = cb_xcalloc(ng, sizeof *tm);
	const cb_point **who = cb_xcalloc(ng, sizeof *who);
	const cb_series **ws = cb_xcalloc(ng, sizeof *ws);
	size_t k = 0;
	for (size_t i = 0; i < ng; i++) {
		const cb_point *b = best_point(g[i]);
		if (!b)
			continue;
		tm[k] = (cb_timing){ b->cell->median_s, b->cell->min_s, b->cell->max_s };
		who[k] = b;
		ws[k++] = g[i];
	}
	cb_verdict v = cb_verdict_pick(tm, k);
	if (v.best >= 0) {
		r->best = ws[v.best]->short_name;
		r->best_n = who[v.best]->n;
		r->runner_up = v.runner_up >= 0 ? ws[v.runner_up]->short_name : NULL;
		r->margin = v.margin;
		r->beyond_noise = v.beyond_noise;
		r->best_implausible = cb_point_implausible(ws[v.best], who[v.best]);
		r->best_efficiency = who[v.best]->efficiency;
	}
	r->reason = reason(g, ng);
	free(tm);
	free(who);
	free(ws);
}

void cb_summary_build(const cb_series_set *set, cb_summary *out)
{
	memset(out, 0, sizeof *out);
	const cb_series **g = cb_xcalloc(set->n + 1, sizeof *g);
	bool *done = cb_xcalloc(set->n + 1, sizeof *done);
	for (size_t i = 0; i < set->n; i++) {
		if (done[i])
			continue;
		size_t ng = 0;
		for (size_t j = i; j < set->n; j++)
			if (!done[j] && same_group(&set->s[i], &set->s[j])) {
				done[j] = true;
				g[ng++] = &set->s[j];
			}
		out->rows = cb_xrealloc(out->rows, (out->nrows + 1) * sizeof *out->rows);
		cb_summary_row *r = &out->rows[out->nrows++];
		memset(r, 0, sizeof *r);
		row_build(out, r, g, ng);
	}
	/* The values, now that every column is known. */
	for (size_t ri = 0; ri < out->nrows; ri++) {
		cb_summary_row *r = &out->rows[ri];
		r->value = cb_xcalloc(out->ncols + 1, sizeof *r->value);
		r->n = cb_xcalloc(out->ncols + 1, sizeof *r->n);
		r->rel = cb_xcalloc(out->ncols + 1, sizeof *r->rel);
		r->series = cb_xcalloc(out->ncols + 1, sizeof *r->series);
		for (size_t c = 0; c < out->ncols; c++)
			r->value[c] = r->n[c] = r->rel[c] = NAN;
		double top = 0;
		for (size_t i = 0; i < set->n; i++) {
			const cb_series *s = &set->s[i];
			char *name = group_name(s);
			bool mine = !strcmp(name, r->workload);
			free(name);
			if (!mine || !s->npts)
				continue;
			const cb_point *p = &s->pts[s->npts - 1];
			size_t c = col_of(out, s->strategy);
			double v = r->io ? p->x : p->efficiency;
			/* Several series of one strategy (coroutines at two
			 * concurrencies): the best of them stands for it. */
			if (isfinite(r->value[c]) && !(v > r->value[c]))
				continue;
			r->value[c] = v;
			r->n[c] = p->n;
			r->series[c] = s->short_name;
			if (r->io && isfinite(p->x) && p->x > top)
				top = p->x;
		}
		for (size_t c = 0; c < out->ncols; c++)
			r->rel[c] = r->io ? (top > 0 ? r->value[c] / top : NAN) : r->value[c];
	}
	free(g);
	free(done);
}

char *cb_summary_implausible(const cb_summary_row *r)
{
	return cb_xasprintf(" (efficiency %.2f at one worker, above %.1f: a measurement problem, not a result)",
	                    r->best_efficiency, CB_N1_EFFICIENCY_LIMIT);
}

char *cb_summary_answer(const cb_summary_row *r)
{
	if (!r->best)
		return cb_xasprintf("%s: no cell finished with a correct answer", r->workload);
	char *lead = !r->runner_up ? cb_xstrdup("the only model measured")
	                           : cb_xasprintf("%.1f%% ahead of %s, %s", r->margin * 100, r->runner_up,
	                                          r->beyond_noise ? "beyond noise" : "within noise");
	char *odd = r->best_implausible ? cb_summary_implausible(r) : cb_xstrdup("");
	char *s = r->io ? cb_xasprintf("%s: best %s at concurrency %g%s, %s; %s", r->workload, r->best, r->best_n,
	                               odd, lead, r->reason)
	                : cb_xasprintf("%s: best %s at %g worker%s%s, %s; %s", r->workload, r->best, r->best_n,
	                               r->best_n == 1 ? "" : "s", odd, lead, r->reason);
	free(odd);
	free(lead);
	return s;
}

void cb_summary_free(cb_summary *s)
{
	for (size_t i = 0; i < s->nrows; i++) {
		free(s->rows[i].workload);
		free(s->rows[i].value);
		free(s->rows[i].n);
		free(s->rows[i].rel);
		free(s->rows[i].series);
		free(s->rows[i].reason);
	}
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	free(s->rows);
	free(s->cols);
	memset(s, 0, sizeof *s);
}
