/* Report writer: one walk over the results produces headings, paragraphs,
 * tables and charts, and two small back ends turn them into HTML (charts
 * inline as SVG, one self-contained file) and Markdown (charts as PNG
 * links), so the two reports cannot drift apart. */
#include "render/report.h"
#include "render/summary.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CV_LIMIT 0.05
#define LOAD_PER_PU_LIMIT 0.5
#define LITTLE_TOLERANCE 0.2

/* ---- warnings ---- */

/* A warning about the run (cell NULL) or one cell, under a kind that the
 * report groups by. */
static void warn_kind(cb_warnings *w, const char *kind, const char *cell, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void warn_kind(cb_warnings *w, const char *kind, const char *cell, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	w->msg = cb_xrealloc(w->msg, (w->n + 1) * sizeof *w->msg);
	w->kind = cb_xrealloc(w->kind, (w->n + 1) * sizeof *w->kind);
	w->cell = cb_xrealloc(w->cell, (w->n + 1) * sizeof *w->cell);
	if (!w->msg || !w->kind || !w->cell)
		abort();
	w->kind[w->n] = kind;
	w->cell[w->n] = cell ? cb_xstrdup(cell) : NULL;
	w->msg[w->n++] = s;
}
#define warn(w, ...) warn_kind(w, NULL, NULL, __VA_ARGS__)

static void warn_cell(cb_warnings *w, const cb_rcell *c)
{
	if (c->skipped)
		return;
	if (!c->checksum_ok && (!c->error || strstr(c->error, "checksum")))
		warn_kind(w, "wrong answer", c->id, "%s: wrong answer, left out of the analysis: %s", c->id,
		     c->error ? c->error : "checksum differs from the serial reference");
	else if (c->error)
		warn_kind(w, "failed", c->id, "%s: failed, left out of the analysis: %s", c->id, c->error);
	if (c->cv > CV_LIMIT)
		warn_kind(w, "cv above 5%", c->id, "%s: cv %.1f%% above %.0f%%: repetitions disagree, compare with care", c->id,
		     c->cv * 100, CV_LIMIT * 100);
	if (c->oversubscribed)
		warn_kind(w, "oversubscribed", c->id, "%s: oversubscribed (%d workers on %d usable PUs)", c->id, c->workers,
		     c->usable_pus);
	char *cap = cb_cell_capacity_warning(c->json);
	if (cap)
		warn_kind(w, "below full capacity", c->id, "%s", cap);
	free(cap);
	char *slow = cb_cell_work_speed_warning(c->json);
	if (slow)
		warn_kind(w, "workers slowed at the same work", c->id, "%s", slow);
	free(slow);
	if (c->migrations > 0 && strcmp(c->pin, "none"))
		warn_kind(w, "CPU migrations despite pinning", c->id, "%s: %ld CPU migrations in a repetition despite pin '%s'", c->id,
		     c->migrations, c->pin);
}

/* Steps in the machine's speed during the run (machine_changes), every
 * workload's in one line. */
static void machine_changes(const cb_rdoc *d, cb_warnings *w)
{
	const json_t *ch = json_object_get(d->root, "machine_changes"), *v;
	size_t i;
	if (!json_array_size(ch))
		return;
	char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	json_array_foreach(ch, i, v) {
		double r = json_number_value(json_object_get(v, "ratio"));
		fprintf(f, "%s%s %.2fx %s from %.0f s on (%d of %d cells)", i ? ", " : "",
		        json_string_value(json_object_get(v, "workload")), r >= 1 ? r : 1 / r,
		        r >= 1 ? "slower" : "faster", json_number_value(json_object_get(v, "at_s")),
		        (int)json_integer_value(json_object_get(v, "agree")),
		        (int)json_integer_value(json_object_get(v, "cells")));
	}
	fclose(f);
	warn(w, "the machine changed speed during the run: %s; those figures mix two states of the machine: "
	     "run again, or compare builds interleaved (docs/ci.md)", list);
	free(list);
}

void cb_report_warnings(const cb_rdoc *d, cb_warnings *w)
{
	memset(w, 0, sizeof *w);
	if (!d->complete)
		warn(w, "the run is incomplete: it was interrupted or stopped early");
	if (d->governor && strcmp(d->governor, "performance"))
		warn(w, "CPU frequency governor is '%s', not 'performance': clock speed may vary "
		     "between cells", d->governor);
	/* What was runnable at the start, where the file says; the load
	 * average (which lags: after a build it says busy for minutes) only
	 * for files without it. */
	if (d->allowed_pus > 0 && isfinite(d->runnable_others)) {
		if (d->runnable_others > LOAD_PER_PU_LIMIT * d->allowed_pus)
			warn(w, "%.1f other tasks were runnable at the start on average, above %.1f per PU "
			     "(%d PUs): other work competed with the benchmark", d->runnable_others,
			     LOAD_PER_PU_LIMIT, d->allowed_pus);
	} else if (d->allowed_pus > 0 && d->loadavg1 > LOAD_PER_PU_LIMIT * d->allowed_pus) {
		warn(w, "load average %.2f at the start is above %.1f per PU (%d PUs): other work "
		     "competed with the benchmark", d->loadavg1, LOAD_PER_PU_LIMIT, d->allowed_pus);
	}
	char *build = cb_build_warning(&d->build);
	if (build)
		warn(w, "%s", build);
	free(build);
	char *fault = cb_machine_fault_warning(d->page_fault_us);
	if (fault)
		warn(w, "%s", fault);
	free(fault);
	char *noise = cb_machine_noise_warning(d->noise_sd, d->rounds, d->ncells);
	if (noise)
		warn(w, "%s", noise);
	free(noise);
	machine_changes(d, w);
	if (d->clocksource && strcmp(d->clocksource, "tsc"))
		warn(w, "clocksource is '%s', not 'tsc': reading the clock is slower and coarser",
		     d->clocksource);
	for (size_t i = 0; i < d->ncells; i++)
		warn_cell(w, &d->cells[i]);
	/* Speedups above the law's bound for their own serial fraction. */
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	if (cb_series_from_doc(d, &set, &err) == 0) {
		for (size_t i = 0; i < set.n; i++)
			for (size_t j = 0; j < set.s[i].npts; j++) {
				char *m = cb_point_bound_warning(&set.s[i], &set.s[i].pts[j]);
				const cb_rcell *c = set.s[i].pts[j].cell;
				/* The cell's id lives in the document, not the set. */
				if (m)
					warn_kind(w, "speedup above its bound", c ? c->id : NULL, "%s", m);
				free(m);
				m = cb_point_implausible_warning(&set.s[i], &set.s[i].pts[j]);
				if (m)
					warn_kind(w, "efficiency above 1.1 at one worker (a measurement problem)",
					          c ? c->id : NULL, "%s", m);
				free(m);
			}
		cb_series_set_free(&set);
	}
}

void cb_warnings_free(cb_warnings *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->msg[i]);
		free(w->cell[i]);
	}
	free(w->msg);
	free(w->kind);
	free(w->cell);
	w->msg = NULL;
	w->kind = NULL;
	w->cell = NULL;
	w->n = 0;
}

/* ---- a tiny document model: tables of text ---- */

typedef struct rtable {
	char **cell;
	size_t ncols, nrows;  /* row 0 is the header */
} rtable;

static void row_add(rtable *t, ...)
{
	va_list ap;
	t->cell = cb_xrealloc(t->cell, (t->nrows + 1) * t->ncols * sizeof *t->cell);
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++)
		t->cell[t->nrows * t->ncols + i] = va_arg(ap, char *);  /* owned */
	va_end(ap);
	t->nrows++;
}

static void table_free(rtable *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cell[i]);
	free(t->cell);
}

static char *fmt(const char *f, double v)
{
	return isfinite(v) ? cb_xasprintf(f, v) : cb_xstrdup("–");
}

static char *S(const char *s)
{
	return cb_xstrdup(s ? s : "–");
}

/* The back end: HTML or Markdown. */
typedef struct emitter {
	FILE *f;
	const cb_report_in *in;
	void (*heading)(struct emitter *e, int level, const char *text, const char *anchor);
	void (*para)(struct emitter *e, const char *text);
	void (*list)(struct emitter *e, char *const *items, size_t n);
	void (*table)(struct emitter *e, const rtable *t);
	void (*chart)(struct emitter *e, const cb_chart *c);
	void (*plain_list)(struct emitter *e, char *const *items, size_t n);
	/* A list folded away under a one-line summary (<details>). */
	void (*details)(struct emitter *e, const char *summary, char *const *items, size_t n);
} emitter;

/* ---- sections ---- */

static void section_machine(emitter *e)
{
	const cb_rdoc *d = e->in->doc;
	json_t *m = json_object_get(d->root, "machine"), *topo = json_object_get(m, "topology");
	rtable t = { .ncols = 2 };
	char *la = json_dumps(json_object_get(m, "loadavg"), JSON_COMPACT | JSON_REAL_PRECISION(4));
	char *cmd = json_dumps(json_object_get(d->root, "command"), JSON_COMPACT);
	row_add(&t, S("machine"), S(""));
	row_add(&t, S("host"), S(d->host));
	row_add(&t, S("CPU"), S(d->cpu_model));
	row_add(&t, S("kernel"), S(d->kernel));
	row_add(&t, S("topology"), cb_xasprintf("%lld packages, %lld cores, %lld PUs (%d allowed)",
	        json_integer_value(json_object_get(topo, "packages")),
	        json_integer_value(json_object_get(topo, "cores")),
	        json_integer_value(json_object_get(topo, "pus")), d->allowed_pus));
	row_add(&t, S("governor"), S(d->governor ? d->governor : "unknown"));
	row_add(&t, S("clocksource"), S(d->clocksource ? d->clocksource : "unknown"));
	json_t *vm = json_object_get(m, "virtual_machine");
	row_add(&t, S("virtual machine"), S(json_is_boolean(vm) ? (json_is_true(vm) ? "yes" : "no") : "unknown"));
	row_add(&t, S("page fault"), isfinite(d->page_fault_us) ? cb_xasprintf("%.2f us%s", d->page_fault_us,
	        d->free_page_reporting ? " (free page reporting on)" : "") : S("unknown"));
	row_add(&t, S("timing noise"), isfinite(d->noise_sd) ? cb_xasprintf("%.1f%% (sd of log time of a fixed CPU-bound "
	        "chain before the first cell; concbench noise)", 100 * d->noise_sd) : S("not measured (runs of 3 rounds or more measure it)"));
	cb_doc_capacity cap;
	cb_rdoc_capacity(d, &cap);
	row_add(&t, S("parallel capacity"), cap.reps ? cb_xasprintf("median %.2f of the PUs a cell used, %.0f%% of "
	        "%zu repetitions on 2 PUs or more below 90%%; %zu cell%s never had full capacity", cap.median,
	        100 * cap.below, cap.reps, cap.limited, cap.limited == 1 ? "" : "s")
	        : S("not measured (no cell on 2 PUs or more)"));
	row_add(&t, S("load average at start"), S(la ? la : "unknown"));
	row_add(&t, S("run started"), S(d->created));
	row_add(&t, S("command"), S(cmd ? cmd : ""));
	e->heading(e, 2, "Machine", "machine");
	e->table(e, &t);
	table_free(&t);
	free(la);
	free(cmd);
}

static void section_config(emitter *e)
{
	json_t *cfg = json_object_get(e->in->doc->root, "config"), *v;
	const char *k;
	rtable t = { .ncols = 2 };
	row_add(&t, S("setting"), S("value"));
	json_object_foreach(cfg, k, v) {
		char *s = json_is_string(v) ? cb_xstrdup(json_string_value(v))
		                            : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
		row_add(&t, S(k), s ? s : S(""));
	}
	e->heading(e, 2, "Configuration", "configuration");
	e->table(e, &t);
	table_free(&t);
}

static bool is_common(char ***parts, const size_t *np, const bool *common, const char *part)
{
	for (size_t k = 1; k < np[0]; k++)
		if (common[k] && !strcmp(parts[0][k], part))
			return true;
	return false;
}

/* Cell ids without the parts every named cell shares (pin, schedule ...),
 * grouped by workload: "cpu.primes (threads/n2, processpool/n2), io.sleep
 * (coroutines/n2)", cut after about `room` characters with "and N more". */
static char *cells_compact(const char *const *ids, size_t n, size_t room)
{
	enum { MAXP = 12 };
	char ***parts = cb_xcalloc(n + 1, sizeof *parts);
	size_t *np = cb_xcalloc(n + 1, sizeof *np);
	for (size_t i = 0; i < n; i++) {
		parts[i] = cb_xcalloc(MAXP, sizeof **parts);
		char *copy = cb_xstrdup(ids[i]), *save = NULL;
		for (char *t = strtok_r(copy, "/", &save); t && np[i] < MAXP; t = strtok_r(NULL, "/", &save))
			parts[i][np[i]++] = cb_xstrdup(t);
		free(copy);
	}
	/* A part every id holds (the pin, the schedule) says nothing here. */
	bool common[MAXP] = { false };
	for (size_t k = 1; k < np[0] && n > 1; k++) {
		common[k] = true;
		for (size_t i = 1; i < n && common[k]; i++) {
			bool has = false;
			for (size_t q = 1; q < np[i] && !has; q++)
				has = !strcmp(parts[i][q], parts[0][k]);
			common[k] = has;
		}
	}
	char *buf = NULL;
	size_t len = 0, shown = 0;
	FILE *f = open_memstream(&buf, &len);
	bool *done = cb_xcalloc(n + 1, sizeof *done);
	for (size_t i = 0; i < n && ftell(f) < (long)room; i++) {
		if (done[i])
			continue;
		fprintf(f, "%s%s (", ftell(f) ? ", " : "", parts[i][0]);
		bool first = true;
		for (size_t j = i; j < n; j++) {
			if (done[j] || strcmp(parts[j][0], parts[i][0]) || (!first && ftell(f) >= (long)room))
				continue;
			done[j] = true;
			shown++;
			fputs(first ? "" : ", ", f);
			first = false;
			bool any = false;
			for (size_t k = 1; k < np[j]; k++)
				if (!is_common(parts, np, common, parts[j][k])) {
					fprintf(f, "%s%s", any ? "/" : "", parts[j][k]);
					any = true;
				}
			if (!any)
				fputs(ids[j], f);
		}
		fputs(")", f);
	}
	if (shown < n)
		fprintf(f, " and %zu more", n - shown);
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < np[i]; k++)
			free(parts[i][k]);
		free(parts[i]);
	}
	free(parts);
	free(np);
	free(done);
	return buf;
}

size_t cb_warnings_group(const cb_warnings *w, size_t room, char ***out)
{
	char **lines = cb_xcalloc(w->n + 1, sizeof *lines);
	const char **ids = cb_xcalloc(w->n + 1, sizeof *ids);
	bool *done = cb_xcalloc(w->n + 1, sizeof *done);
	size_t nl = 0;
	for (size_t i = 0; i < w->n; i++) {
		if (done[i])
			continue;
		if (!w->cell || !w->cell[i] || !w->kind[i]) {
			lines[nl++] = cb_xstrdup(w->msg[i]);
			continue;
		}
		size_t nid = 0;
		for (size_t j = i; j < w->n; j++)
			if (!done[j] && w->cell[j] && w->kind[j] && !strcmp(w->kind[j], w->kind[i])) {
				done[j] = true;
				ids[nid++] = w->cell[j];
			}
		if (nid == 1) {
			lines[nl++] = cb_xstrdup(w->msg[i]);
			continue;
		}
		char *cells = cells_compact(ids, nid, room);
		lines[nl++] = cb_xasprintf("%s in %zu cells: %s", w->kind[i], nid, cells);
		free(cells);
	}
	free(ids);
	free(done);
	*out = lines;
	return nl;
}

/* Warnings about the run one line each; warnings about cells one line per
 * kind, the cells named compactly; then every warning, folded. */
static void section_warnings(emitter *e)
{
	const cb_warnings *w = e->in->warnings;
	e->heading(e, 2, "Warnings", "warnings");
	if (!w->n) {
		e->para(e, "None: no cell or machine condition is known to distort these numbers.");
		return;
	}
	char **lines;
	size_t nl = cb_warnings_group(w, 240, &lines);
	e->list(e, lines, nl);
	if (nl < w->n) {
		char *sum = cb_xasprintf("All %zu warnings, one per line", w->n);
		e->details(e, sum, w->msg, w->n);
		free(sum);
	}
	for (size_t i = 0; i < nl; i++)
		free(lines[i]);
	free(lines);
}

/* The answer first: every workload against every strategy at its largest
 * worker count, the best model and whether its lead is real, and the main
 * reason the best parallel model falls short. */
static void section_summary(emitter *e)
{
	cb_summary sm;
	cb_summary_build(e->in->set, &sm);
	e->heading(e, 2, "Summary", "summary");
	if (!sm.nrows) {
		e->para(e, "No cell finished with a correct answer: nothing to summarise.");
		cb_summary_free(&sm);
		return;
	}
	e->para(e, "Each strategy at its largest worker count: parallel efficiency (speedup over the serial "
	           "strategy / the PUs the cell may use) for computing workloads, throughput in tasks/s for I/O "
	           "workloads. The best model is the fastest cell of any worker count; its lead is beyond noise "
	           "when its slowest repetition beats the runner-up's fastest.");
	rtable t = { .ncols = sm.ncols + 4 };
	t.cell = NULL;
	/* row_add is variadic on a fixed count: build the rows by hand. */
	size_t nc = t.ncols;
	t.cell = cb_xcalloc((sm.nrows + 1) * nc, sizeof *t.cell);
	t.cell[0] = S("workload");
	for (size_t c = 0; c < sm.ncols; c++)
		t.cell[1 + c] = S(sm.cols[c]);
	t.cell[1 + sm.ncols] = S("measure");
	t.cell[2 + sm.ncols] = S("best model");
	t.cell[3 + sm.ncols] = S("lead beyond noise");
	for (size_t r = 0; r < sm.nrows; r++) {
		const cb_summary_row *row = &sm.rows[r];
		char **cell = &t.cell[(r + 1) * nc];
		cell[0] = S(row->workload);
		for (size_t c = 0; c < sm.ncols; c++) {
			double v = row->value[c];
			const char *q = row->series[c] ? strchr(row->series[c], '/') : NULL;
			cell[1 + c] = !isfinite(v) ? S("–")
			              : row->io ? cb_xasprintf("%.4g/s (c=%g%s%s)", v, row->n[c], q ? ", " : "", q ? q + 1 : "")
			                        : cb_xasprintf("%.2f (n=%g%s%s)", v, row->n[c], q ? ", " : "", q ? q + 1 : "");
		}
		cell[1 + sm.ncols] = S(row->io ? "throughput" : "efficiency");
		char *odd = row->best_implausible ? cb_summary_implausible(row) : cb_xstrdup("");
		cell[2 + sm.ncols] = row->best ? cb_xasprintf("%s (%g)%s", row->best, row->best_n, odd) : S("–");
		free(odd);
		cell[3 + sm.ncols] = !row->best ? S("–") : !row->runner_up ? S("only one model")
		                     : cb_xasprintf("%s: %.1f%% ahead of %s", row->beyond_noise ? "yes" : "no",
		                                    row->margin * 100, row->runner_up);
	}
	t.nrows = sm.nrows + 1;
	e->table(e, &t);
	table_free(&t);
	const cb_chart_list *cl = e->in->charts;
	for (size_t i = 0; i < cl->n; i++)
		if (cl->c[i].rendered && cl->c[i].workload && !*cl->c[i].workload)
			e->chart(e, &cl->c[i]);
	char **why = cb_xcalloc(sm.nrows + 1, sizeof *why);
	for (size_t r = 0; r < sm.nrows; r++)
		why[r] = cb_xasprintf("%s: %s", sm.rows[r].workload, sm.rows[r].reason);
	e->heading(e, 3, "Why the best parallel model falls short", NULL);
	e->plain_list(e, why, sm.nrows);
	for (size_t r = 0; r < sm.nrows; r++)
		free(why[r]);
	free(why);
	cb_summary_free(&sm);
}

/* The series of one workload (and parameter set) as in the charts. */
static size_t group_of(const cb_series_set *set, size_t first, const cb_series **out)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->s[i].workload, set->s[first].workload) &&
		    !strcmp(set->s[i].params, set->s[first].params))
			out[n++] = &set->s[i];
	return n;
}

static bool group_first(const cb_series_set *set, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(set->s[j].workload, set->s[i].workload) &&
		    !strcmp(set->s[j].params, set->s[i].params))
			return false;
	return true;
}

/* Every point of the group at load n competes, however many series there are. */
static void add_verdict_row(rtable *t, const cb_series **g, size_t ng, double n)
{
	size_t most = 0, k = 0;
	for (size_t i = 0; i < ng; i++)
		most += g[i]->npts;
	cb_timing *tm = cb_xcalloc(most, sizeof *tm);
	const cb_series **who = cb_xcalloc(most, sizeof *who);
	for (size_t i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i]->npts; j++)
			if (g[i]->pts[j].n == n) {
				const cb_rcell *c = g[i]->pts[j].cell;
				tm[k] = (cb_timing){ c->median_s, c->min_s, c->max_s };
				who[k++] = g[i];
			}
	cb_verdict v = cb_verdict_pick(tm, k);
	if (v.best < 0)
		goto out;
	bool two = v.runner_up >= 0;
	row_add(t, cb_xasprintf("%g", n), S(who[v.best]->short_name),
	        cb_xasprintf("%.4g ms", tm[v.best].median_s * 1e3),
	        S(two ? who[v.runner_up]->short_name : "–"),
	        two ? cb_xasprintf("%.1f%%", v.margin * 100) : S("–"),
	        S(!two ? "only one strategy" : v.beyond_noise ? "yes: min-max ranges do not overlap"
	                                                      : "no: min-max ranges overlap"));
out:
	free(tm);
	free(who);
}

/* One row per distinct load of any series of the group, in order. */
static void section_verdicts(emitter *e, const cb_series **g, size_t ng)
{
	size_t most = 0, nl = 0;
	for (size_t i = 0; i < ng; i++)
		most += g[i]->npts;
	double *loads = cb_xcalloc(most, sizeof *loads);
	for (size_t i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i]->npts; j++)
			loads[nl++] = g[i]->pts[j].n;
	cb_sort(loads, nl);
	size_t nu = 0;
	for (size_t i = 0; i < nl; i++)
		if (!nu || loads[nu - 1] != loads[i])
			loads[nu++] = loads[i];
	rtable t = { .ncols = 6 };
	bool io = g[0]->kind && !strcmp(g[0]->kind, "io");
	row_add(&t, S(io ? "concurrency" : "workers"), S("fastest"), S("median"), S("runner-up"),
	        S("margin"), S("beyond noise"));
	for (size_t i = 0; i < nu; i++)
		add_verdict_row(&t, g, ng, loads[i]);
	e->heading(e, 3, "Verdict: fastest strategy per load", NULL);
	e->table(e, &t);
	table_free(&t);
	free(loads);
}

static void section_fits(emitter *e, const cb_series **g, size_t ng)
{
	rtable t = { .ncols = 8 };
	row_add(&t, S("series"), S("USL alpha (contention)"), S("USL beta (coherency)"),
	        S("USL gamma (tasks/s)"), S("R²"), S("peak N*"), S("Amdahl f (fit ± se)"),
	        S("f measured"));
	for (size_t i = 0; i < ng; i++) {
		const cb_series *s = g[i];
		const cb_usl_fit *u = &s->usl;
		bool U = s->has_usl;
		char *amd = !s->has_amdahl ? S("–")
		            : isfinite(s->amdahl.se) ? cb_xasprintf("%.4g ± %.2g", s->amdahl.f, s->amdahl.se)
		                                     : cb_xasprintf("%.4g", s->amdahl.f);
		row_add(&t, S(s->short_name), U ? fmt("%.4g", u->alpha) : S(s->usl_note),
		        U ? fmt("%.4g", u->beta) : S("–"), U ? fmt("%.4g", u->gamma) : S("–"),
		        U ? fmt("%.4f", u->r2) : S("–"),
		        U ? (isfinite(u->peak_n) ? fmt("%.3g", u->peak_n) : S("none")) : S("–"),
		        amd, fmt("%.4g", s->f_measured));
	}
	e->heading(e, 3, "Fits: Universal Scalability Law and Amdahl", NULL);
	e->table(e, &t);
	table_free(&t);
}

/* "1.950", or "1.140 (machine gave 1.45 of 2 PUs)" for a cell that never
 * had full capacity, or "1.040 (workers at 0.52 of serial speed)" for one
 * whose workers had their PUs but did the work slower. */
static char *speedup_text(const cb_point *p)
{
	const json_t *cap = p->cell ? json_object_get(p->cell->json, "capacity") : NULL;
	if (!isfinite(p->speedup))
		return fmt("%.3f", p->speedup);
	char *warning = p->cell ? cb_cell_work_speed_warning(p->cell->json) : NULL;
	bool slow = warning != NULL;
	free(warning);
	if (slow)
		return cb_xasprintf("%.3f (workers at %.2f of serial speed)", p->speedup,
		                    json_number_value(json_object_get(cap, "work_speed")));
	if (!json_is_true(json_object_get(cap, "limited")))
		return fmt("%.3f", p->speedup);
	return cb_xasprintf("%.3f (machine gave %.2f of %lld PUs)", p->speedup,
	                    json_number_value(json_object_get(cap, "median")),
	                    json_integer_value(json_object_get(cap, "pus")));
}

static void section_scaling(emitter *e, const cb_series **g, size_t ng)
{
	rtable t = { .ncols = 11 };
	bool weak = g[0]->weak;
	row_add(&t, S("series"), S("N"), S("median"), S("min"), S("max"), S("cv"),
	        S(weak ? "scaled speedup" : "speedup"), S("efficiency"),
	        S(weak ? "Gustafson" : "Amdahl"), S("Karp-Flatt"), S("throughput (tasks/s)"));
	for (size_t i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i]->npts; j++) {
			const cb_point *p = &g[i]->pts[j];
			const cb_rcell *c = p->cell;
			row_add(&t, S(g[i]->short_name), cb_xasprintf("%g", p->n),
			        fmt("%.4g ms", c->median_s * 1e3), fmt("%.4g ms", c->min_s * 1e3),
			        fmt("%.4g ms", c->max_s * 1e3), isnan(c->cv) ? S("-") : fmt("%.1f%%", c->cv * 100),
			        speedup_text(p), fmt("%.3f", p->efficiency), fmt("%.3f", p->amdahl),
			        fmt("%.4f", p->karp_flatt), fmt("%.5g", p->x));
		}
	e->heading(e, 3, "Scaling table", NULL);
	e->table(e, &t);
	table_free(&t);
}

/* Little's law: with c tasks in flight, throughput x latency should give c
 * back; less means tasks were not all in flight (ramp-up, a bottleneck
 * upstream), more means latency was measured over something else. */
static void section_little(emitter *e, const cb_series **g, size_t ng)
{
	rtable t = { .ncols = 7 };
	row_add(&t, S("series"), S("concurrency"), S("throughput (tasks/s)"), S("p50 latency"),
	        S("X × W"), S("X × W / c"), S("Little's law"));
	for (size_t i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i]->npts; j++) {
			const cb_point *p = &g[i]->pts[j];
			cb_little l = cb_little_check(p->n, p->x, p->cell->lat_p50, LITTLE_TOLERANCE);
			row_add(&t, S(g[i]->short_name), cb_xasprintf("%g", p->n), fmt("%.5g", p->x),
			        fmt("%.4g ms", p->cell->lat_p50 * 1e3), fmt("%.3g", l.implied),
			        fmt("%.2f", l.ratio),
			        S(isnan(l.ratio) ? "no latency" : l.consistent ? "holds (within 20%)"
			                                                      : "off by more than 20%"));
		}
	e->heading(e, 3, "I/O: Little's law (c = X × W, W = p50 latency)", NULL);
	e->table(e, &t);
	table_free(&t);
}

static void section_charts(emitter *e, const char *workload)
{
	const cb_chart_list *cl = e->in->charts;
	bool any = false;
	for (size_t i = 0; i < cl->n; i++)
		if (cl->c[i].rendered && !cl->c[i].cell && !strcmp(cl->c[i].workload, workload)) {
			if (!any)
				e->heading(e, 3, "Charts", NULL);
			any = true;
			e->chart(e, &cl->c[i]);
		}
	if (!any && e->in->charts_note) {
		char *s = cb_xasprintf("Charts: none drawn. %s.", e->in->charts_note);
		e->heading(e, 3, "Charts", NULL);
		e->para(e, s);
		free(s);
	}
}

static const json_t *trace_of(const cb_rcell *c)
{
	const json_t *t = json_object_get(c->json, "trace");
	return json_is_object(t) ? t : NULL;
}

static double jnum(const json_t *a, size_t i)
{
	const json_t *v = json_array_get(a, i);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Per strategy at its largest worker count, where the run was traced: the
 * timeline, and each executor's busy time with the imbalance. */
static void section_timelines(emitter *e, const cb_series **g, size_t ng, const char *name)
{
	const cb_chart_list *cl = e->in->charts;
	bool any = false;
	for (size_t i = 0; i < ng; i++) {
		const cb_rcell *c = g[i]->pts[g[i]->npts - 1].cell;
		const json_t *tr = c ? trace_of(c) : NULL;
		if (!tr)
			continue;
		if (!any) {
			e->heading(e, 3, "Timelines: one traced repetition per cell", NULL);
			e->para(e, "Each executor's tasks in the repetition run with --trace (after the timed ones, not "
			           "in the statistics). Busy is the time inside tasks less the time blocked in I/O; "
			           "imbalance is the busiest executor's busy time over the mean; first task is how far "
			           "into the parallel section the executor started (start cost); idle at the end is how "
			           "long it waited for the others.");
		}
		any = true;
		for (size_t k = 0; k < cl->n; k++)
			if (cl->c[k].rendered && cl->c[k].cell && !strcmp(cl->c[k].cell, c->id) &&
			    !strcmp(cl->c[k].workload, name))
				e->chart(e, &cl->c[k]);
		const json_t *busy = json_object_get(tr, "busy_s"), *blocked = json_object_get(tr, "blocked_s");
		const json_t *first = json_object_get(tr, "first_task_s"), *tail = json_object_get(tr, "idle_tail_s");
		const json_t *tasks = json_object_get(tr, "tasks");
		double par = json_number_value(json_object_get(tr, "par_s"));
		rtable t = { .ncols = 6 };
		row_add(&t, S("executor"), S("tasks"), S("busy"), S("blocked in I/O"), S("first task at"),
		        S("idle at the end"));
		for (size_t w = 0; w < json_array_size(busy); w++)
			row_add(&t, cb_xasprintf("%s %zu", g[i]->strategy && strstr(g[i]->strategy, "corout") ? "scheduler"
			                                                                                    : "worker", w),
			        cb_xasprintf("%lld", (long long)json_integer_value(json_array_get(tasks, w))),
			        fmt("%.4g ms", jnum(busy, w) * 1e3), fmt("%.4g ms", jnum(blocked, w) * 1e3),
			        fmt("%.4g ms", jnum(first, w) * 1e3), fmt("%.4g ms", jnum(tail, w) * 1e3));
		long long dropped = json_integer_value(json_object_get(tr, "dropped"));
		const json_t *imb = json_object_get(tr, "imbalance");
		char *cap = json_is_number(imb)
		            ? cb_xasprintf("%s at %g: parallel section %.4g ms, imbalance (max/mean busy) %.2f",
		                           g[i]->short_name, g[i]->pts[g[i]->npts - 1].n, par * 1e3, json_number_value(imb))
		            : cb_xasprintf("%s at %g: parallel section %.4g ms", g[i]->short_name,
		                           g[i]->pts[g[i]->npts - 1].n, par * 1e3);
		e->para(e, cap);
		if (dropped > 0) {
			char *d = cb_xasprintf("Each executor kept its first %lld tasks in the trace; %lld more were "
			                       "counted in the busy times but not stored.",
			                       (long long)json_integer_value(json_object_get(tr, "cap_per_executor")), dropped);
			e->para(e, d);
			free(d);
		}
		e->table(e, &t);
		table_free(&t);
		free(cap);
	}
}

/* Task graphs: how each strategy met the dependencies between tasks, as
 * each cell recorded it (results.json `dependencies`, the workload's own
 * words); nothing for workloads of independent tasks. */
static void section_dependencies(emitter *e, const cb_series **g, size_t ng)
{
	rtable t = { .ncols = 2 };
	row_add(&t, S("strategy"), S("how a task waited for its inputs"));
	const char *base = NULL;
	for (size_t i = 0; i < ng; i++) {
		const char *how = NULL;
		for (size_t j = 0; j < g[i]->npts && !how; j++)
			if (g[i]->pts[j].cell)
				how = json_string_value(json_object_get(g[i]->pts[j].cell->json, "dependencies"));
		bool seen = false;
		for (size_t r = 1; r < t.nrows && how; r++)
			seen |= !strcmp(t.cell[r * t.ncols], g[i]->strategy);
		if (how && !seen)
			row_add(&t, S(g[i]->strategy), S(how));
		if (!base && g[i]->base_cell)
			base = json_string_value(json_object_get(g[i]->base_cell->json, "dependencies"));
	}
	if (t.nrows > 1) {
		if (base)
			row_add(&t, S("serial"), S(base));
		e->heading(e, 3, "Dependencies: how each strategy met them", NULL);
		e->table(e, &t);
	}
	table_free(&t);
}

static void section_workload(emitter *e, size_t first)
{
	const cb_series_set *set = e->in->set;
	const cb_series **g = cb_xcalloc(set->n, sizeof *g);
	size_t ng = group_of(set, first, g);
	bool several = strchr(g[0]->label, '[') != NULL;
	char *name = several ? cb_xasprintf("%s[%s]", g[0]->workload, g[0]->params)
	                     : cb_xstrdup(g[0]->workload);
	bool paired = false, pairs = false;
	for (size_t i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i]->npts; j++) {
			const cb_point *p = &g[i]->pts[j];
			const char *m = p->cell ? json_string_value(json_object_get(p->cell->json, "speedup_method")) : NULL;
			pairs |= p->paired_rounds > 0 && m && !strcmp(m, "paired repetitions");
			paired |= p->paired_rounds > 0 && !(m && !strcmp(m, "paired repetitions"));
		}
	char *about = cb_xasprintf("Kind %s, parameters %s; speedup is measured against the serial "
	                           "strategy%s%s%s.", g[0]->kind, *g[0]->params ? g[0]->params : "none",
	                           g[0]->weak ? " (weak scaling: scaled speedup, Gustafson)" : "",
	                           pairs ? ", as the median over the cell's repetitions of the serial "
	                                   "repetition's time over the cell's (each ran beside a serial one of "
	                                   "the same job, in the same process, milliseconds apart)" : "",
	                           paired ? ", as the median over rounds of the serial cell's round time "
	                                    "over the cell's (the two ran side by side in each round)" : "");
	e->heading(e, 2, name, NULL);
	e->para(e, about);
	section_verdicts(e, g, ng);
	section_fits(e, g, ng);
	section_scaling(e, g, ng);
	section_dependencies(e, g, ng);
	if (g[0]->kind && !strcmp(g[0]->kind, "io"))
		section_little(e, g, ng);
	section_charts(e, name);
	section_timelines(e, g, ng, name);
	free(about);
	free(name);
	free(g);
}

/* A `concbench micro` run: the price list, one row per benchmark. */
static void section_price_list(emitter *e)
{
	json_t *cells = json_object_get(e->in->doc->root, "cells"), *c;
	size_t i;
	rtable t = { .ncols = 6 };
	row_add(&t, S("benchmark"), S("model"), S("ns per op"), S("ops/s"), S("p50 / p99"), S("note"));
	json_array_foreach(cells, i, c) {
		json_t *ns = json_object_get(c, "ns_per_op"), *ops = json_object_get(c, "ops_per_s");
		json_t *lat = json_object_get(c, "latency");
		const char *note = json_string_value(json_object_get(c, "error"));
		if (!note)
			note = json_string_value(json_object_get(c, "skipped"));
		row_add(&t, S(json_string_value(json_object_get(c, "id"))),
		        S(json_string_value(json_object_get(c, "model"))),
		        json_is_number(ns) ? fmt("%.4g", json_number_value(ns)) : S(NULL),
		        json_is_number(ops) ? fmt("%.4g", json_number_value(ops)) : S(NULL),
		        json_is_object(lat) ? cb_xasprintf("%.3g us / %.3g us",
		                1e6 * json_number_value(json_object_get(lat, "p50_s")),
		                1e6 * json_number_value(json_object_get(lat, "p99_s"))) : S(NULL),
		        S(note ? note : ""));
	}
	e->heading(e, 2, "Price list", "price-list");
	e->para(e, "What each building block costs on this machine: ns per operation (median over the "
	           "repetitions; for contended locks as one thread sees it), operations per second for all "
	           "workers together, and latency percentiles where each operation was timed.");
	e->table(e, &t);
	table_free(&t);
	section_charts(e, "micro");
}

/* ---- a granularity sweep ---- */

/* "12.3 us", "<=100 ns", ">10 ms" for a METG as granularity.json has it. */
static char *metg_text(const json_t *m)
{
	double v = json_number_value(json_object_get(m, "task_s"));
	const char *w = json_string_value(json_object_get(m, "where"));
	const char *pre = !w || !strcmp(w, "found") ? "" : !strncmp(w, "below", 5) ? "<=" : ">";
	if (!isfinite(v) || v <= 0)
		return S(NULL);
	return v < 1e-6 ? cb_xasprintf("%s%.3g ns", pre, v * 1e9)
	     : v < 1e-3 ? cb_xasprintf("%s%.3g us", pre, v * 1e6) : cb_xasprintf("%s%.3g ms", pre, v * 1e3);
}

static char *duration_text(double v)
{
	json_t *m = json_pack("{s:f, s:s}", "task_s", v, "where", "found");
	char *s = metg_text(m);
	json_decref(m);
	return s;
}

/* "[lo, hi]" from the slowest and fastest repetitions' curves. */
static char *metg_interval(const json_t *m)
{
	const char *wl = json_string_value(json_object_get(m, "lo_where"));
	const char *wh = json_string_value(json_object_get(m, "hi_where"));
	json_t *lo = json_pack("{s:O, s:s}", "task_s", json_object_get(m, "lo_s"), "where", wl ? wl : "found");
	json_t *hi = json_pack("{s:O, s:s}", "task_s", json_object_get(m, "hi_s"), "where", wh ? wh : "found");
	char *a = metg_text(lo), *b = metg_text(hi), *s = cb_xasprintf("[%s, %s]", a, b);
	free(a);
	free(b);
	json_decref(lo);
	json_decref(hi);
	return s;
}

/* Measured METG over the price list's, where both are numbers and the
 * METG was crossed inside the sweep; NAN otherwise. */
static double metg_ratio(const json_t *m)
{
	const char *w = json_string_value(json_object_get(m, "where"));
	double v = json_number_value(json_object_get(m, "task_s"));
	const json_t *est = json_object_get(m, "price_list_s");
	return w && !strcmp(w, "found") && json_is_number(est) && json_number_value(est) > 0
	       ? v / json_number_value(est) : NAN;
}

/* The METGs of each series, beside the price list's estimates when the
 * sweep had one, with the >2x call-outs and what the estimate is. */
static void granularity_metg(emitter *e, const json_t *g, const json_t *series, bool priced)
{
	const json_t *s;
	size_t i;
	rtable t = { .ncols = priced ? 9 : 5 };
	if (priced)
		row_add(&t, S("series"), S("METG(50%)"), S("interval"), S("METG(90%)"), S("interval"),
		        S("price list's METG(50%)"), S("measured / estimate"), S("price list's METG(90%)"),
		        S("measured / estimate"));
	else
		row_add(&t, S("series"), S("METG(50%)"), S("interval"), S("METG(90%)"), S("interval"));
	char **callouts = NULL;
	size_t ncall = 0;
	json_array_foreach(series, i, s) {
		const json_t *m5 = json_object_get(s, "metg50"), *m9 = json_object_get(s, "metg90");
		const char *name = json_string_value(json_object_get(s, "series"));
		if (!priced) {
			row_add(&t, S(name), metg_text(m5), metg_interval(m5), metg_text(m9), metg_interval(m9));
			continue;
		}
		char *cells[4];
		for (int k = 0; k < 2; k++) {
			const json_t *m = k ? m9 : m5;
			const json_t *est = json_object_get(m, "price_list_s");
			double r = metg_ratio(m);
			cells[2 * k] = json_is_number(est) ? duration_text(json_number_value(est)) : S(NULL);
			cells[2 * k + 1] = isfinite(r) ? cb_xasprintf("%.2fx%s", r, r > 2 || r < 0.5 ? " (more than 2x apart)" : "")
			                               : S(NULL);
			if (isfinite(r) && (r > 2 || r < 0.5)) {
				char *mt = metg_text(m), *et = duration_text(json_number_value(est));
				callouts = cb_xrealloc(callouts, (ncall + 1) * sizeof *callouts);
				callouts[ncall++] = cb_xasprintf("%s: METG(%s) measured %s, the price list predicts %s: %.2fx, "
				                                 "more than 2x %s", name, k ? "90%" : "50%", mt, et, r,
				                                 r > 2 ? "above the estimate" : "below the estimate");
				free(mt);
				free(et);
			}
		}
		row_add(&t, S(name), metg_text(m5), metg_interval(m5), metg_text(m9), metg_interval(m9), cells[0], cells[1],
		        cells[2], cells[3]);
	}
	e->table(e, &t);
	table_free(&t);
	if (priced) {
		const char *sched = json_string_value(json_object_get(g, "schedule"));
		char *why = cb_xasprintf(
			"The price list's METG is what `concbench micro pools` predicts for a bag of tasks: a job of "
			"work W in tasks of duration d on p workers takes about J + (W / d)(d + c) / p, J the cost "
			"of an empty job and c the cost of a task (pools/S_empty_job, and pools/S_map_100k, whose "
			"tasks are claimed one at a time: schedule dynamic:1; the sweep's runs used %s), so "
			"efficiency θ is reached at d = c / (1/θ − 1 − pJ/W). Every model claims its tasks through the "
			"same schedule loop from one shared counter, so c differs little between them; they differ "
			"through J, which a job of W = %.3g ms spreads thin (a smaller --work shows it).",
			sched ? sched : "a schedule the file does not record",
			1e3 * json_number_value(json_object_get(g, "work_s")));
		e->para(e, why);
		free(why);
		if (ncall) {
			e->heading(e, 3, "More than 2x from the price list", NULL);
			e->list(e, callouts, ncall);
		} else {
			e->para(e, "Every METG crossed inside the sweep is within 2x of the price list's estimate.");
		}
	} else {
		e->para(e, "No price list was given to the sweep (granularity --price FILE, from `concbench micro "
		           "pools`): the METGs are not set beside the price list's estimates.");
	}
	for (size_t k = 0; k < ncall; k++)
		free(callouts[k]);
	free(callouts);

}

/* Efficiency at each task duration, one row per series. */
static void granularity_efficiency(emitter *e, const json_t *series)
{
	const json_t *s;
	size_t i;
	double d[64];
	size_t nd = 0;
	json_array_foreach(series, i, s) {
		size_t j;
		const json_t *q;
		json_array_foreach(json_object_get(s, "points"), j, q) {
			double v = json_number_value(json_object_get(q, "task_s"));
			size_t k = 0;
			while (k < nd && fabs(d[k] - v) > 1e-3 * v)
				k++;
			if (k == nd && nd < 64)
				d[nd++] = v;
		}
	}
	for (size_t a = 1; a < nd; a++)
		for (size_t b = a; b > 0 && d[b] < d[b - 1]; b--) {
			double x = d[b];
			d[b] = d[b - 1];
			d[b - 1] = x;
		}
	rtable et = { .ncols = nd + 1 };
	et.cell = cb_xcalloc((json_array_size(series) + 1) * et.ncols, sizeof *et.cell);
	et.cell[0] = S("series / task");
	for (size_t k = 0; k < nd; k++)
		et.cell[k + 1] = duration_text(d[k]);
	et.nrows = 1;
	json_array_foreach(series, i, s) {
		char **row = et.cell + et.nrows * et.ncols;
		row[0] = S(json_string_value(json_object_get(s, "series")));
		for (size_t k = 0; k < nd; k++) {
			size_t j;
			const json_t *q;
			row[k + 1] = NULL;
			json_array_foreach(json_object_get(s, "points"), j, q) {
				double v = json_number_value(json_object_get(q, "task_s"));
				if (fabs(d[k] - v) <= 1e-3 * v && !row[k + 1])
					row[k + 1] = fmt("%.2f", json_number_value(json_object_get(q, "efficiency")));
			}
			if (!row[k + 1])
				row[k + 1] = S(NULL);
		}
		et.nrows++;
	}
	e->heading(e, 3, "Efficiency at each task duration", NULL);
	e->table(e, &et);
	table_free(&et);
}

/* A task graph: how each strategy met its dependencies (its runs' cells
 * say it; the last run stands for every one). */
static void granularity_dependencies(emitter *e)
{
	rtable dt = { .ncols = 2 };
	row_add(&dt, S("strategy"), S("how a task waited for its inputs"));
	for (size_t c = 0; c < e->in->doc->ncells; c++) {
		const cb_rcell *rc = &e->in->doc->cells[c];
		const char *how = json_string_value(json_object_get(rc->json, "dependencies"));
		bool seen = false;
		for (size_t r = 1; r < dt.nrows && how; r++)
			seen |= !strcmp(dt.cell[r * dt.ncols], rc->strategy);
		if (how && !seen)
			row_add(&dt, S(rc->strategy), S(how));
	}
	if (dt.nrows > 1) {
		e->heading(e, 3, "Dependencies: how each strategy met them", NULL);
		e->table(e, &dt);
	}
	table_free(&dt);
}

static void section_granularity(emitter *e)
{
	const json_t *g = e->in->granularity, *s;
	const json_t *series = json_object_get(g, "series"), *pat = json_object_get(g, "pattern");
	size_t i;
	bool priced = false;
	json_array_foreach(series, i, s)
		priced |= json_is_number(json_object_get(json_object_get(s, "metg50"), "price_list_s"));
	char *what = json_is_object(pat)
		? cb_xasprintf("graph.deps, pattern %s, %lld tasks a step (as many steps as make the job's work)",
		               json_string_value(json_object_get(pat, "name")),
		               (long long)json_integer_value(json_object_get(pat, "width")))
		: cb_xstrdup("synth.amdahl with no serial part (a bag of independent tasks)");
	char *about = cb_xasprintf(
		"A job of %.3g ms of serial CPU work, %s, split into tasks of a duration stepped on a log scale "
		"(%lld a decade); every strategy ran it at its worker counts as an ordinary run (a fresh measuring "
		"process per cell, pinned, checksums verified, each repetition paired with a serial one). Efficiency "
		"is the speedup over the executors; METG(θ), the minimum effective task granularity (Task Bench's "
		"metric), is the shortest task at which a series still reaches efficiency θ, interpolated in log "
		"duration; its interval comes from the slowest and the fastest repetitions' curves. <= means "
		"efficient at every duration measured, > at none.",
		1e3 * json_number_value(json_object_get(g, "work_s")), what,
		(long long)json_integer_value(json_object_get(g, "per_decade")));
	e->heading(e, 2, "The smallest task each model runs efficiently", "granularity");
	e->para(e, about);
	free(about);
	free(what);

	granularity_metg(e, g, series, priced);
	granularity_efficiency(e, series);
	granularity_dependencies(e);
	section_charts(e, "granularity");
}

static void walk(emitter *e)
{
	if (e->in->granularity) {
		section_machine(e);
		section_granularity(e);
		return;
	}
	if (e->in->doc->micro) {
		section_machine(e);
		section_warnings(e);
		section_config(e);
		section_price_list(e);
		return;
	}
	section_machine(e);
	section_summary(e);
	section_warnings(e);
	section_config(e);
	for (size_t i = 0; i < e->in->set->n; i++)
		if (group_first(e->in->set, i))
			section_workload(e, i);
}

/* ---- HTML ---- */

static void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void html_heading(emitter *e, int level, const char *text, const char *anchor)
{
	fprintf(e->f, "<h%d%s%s%s>", level, anchor ? " id=\"" : "", anchor ? anchor : "",
	        anchor ? "\"" : "");
	html_text(e->f, text);
	fprintf(e->f, "</h%d>\n", level);
}

static void html_para(emitter *e, const char *text)
{
	fputs("<p>", e->f);
	html_text(e->f, text);
	fputs("</p>\n", e->f);
}

static void html_list(emitter *e, char *const *items, size_t n)
{
	fputs("<ul class=\"warn\">\n", e->f);
	for (size_t i = 0; i < n; i++) {
		fputs("<li>", e->f);
		html_text(e->f, items[i]);
		fputs("</li>\n", e->f);
	}
	fputs("</ul>\n", e->f);
}

static void html_plain_list(emitter *e, char *const *items, size_t n)
{
	fputs("<ul>\n", e->f);
	for (size_t i = 0; i < n; i++) {
		fputs("<li>", e->f);
		html_text(e->f, items[i]);
		fputs("</li>\n", e->f);
	}
	fputs("</ul>\n", e->f);
}

static void html_details(emitter *e, const char *summary, char *const *items, size_t n)
{
	fputs("<details>\n<summary>", e->f);
	html_text(e->f, summary);
	fputs("</summary>\n", e->f);
	html_list(e, items, n);
	fputs("</details>\n", e->f);
}

static void html_table(emitter *e, const rtable *t)
{
	fputs("<table>\n", e->f);
	for (size_t r = 0; r < t->nrows; r++) {
		fputs("<tr>", e->f);
		for (size_t c = 0; c < t->ncols; c++) {
			fputs(r ? "<td>" : "<th>", e->f);
			html_text(e->f, t->cell[r * t->ncols + c]);
			fputs(r ? "</td>" : "</th>", e->f);
		}
		fputs("</tr>\n", e->f);
	}
	fputs("</table>\n", e->f);
}

/* The SVG inline, from its <svg element on: the XML prolog and doctype are
 * not allowed in the middle of an HTML document. */
static void html_chart(emitter *e, const cb_chart *c)
{
	char *path = cb_xasprintf("%s/%s.svg", e->in->chart_dir, c->base), *svg = NULL;
	size_t len;
	cb_error err = { 0 };
	fputs("<figure>\n", e->f);
	if (cb_results_load(path, &svg, &len, &err) == 0 && strstr(svg, "<svg"))
		fputs(strstr(svg, "<svg"), e->f);
	else
		html_para(e, err.code ? err.msg : "chart file is not SVG");
	fputs("<figcaption>", e->f);
	html_text(e->f, c->title);
	fputs("</figcaption>\n</figure>\n", e->f);
	free(svg);
	free(path);
}

/* Split at the title, which holds the host name: text from the file. */
static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<title>concbench report: ";

static const char html_style[] =
	"</title>\n<style>\n"
	"body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; "
	"padding: 0 1em; color: #222; }\n"
	"table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }\n"
	"th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }\n"
	"th { background: #f2f2f2; }\n"
	"ul.warn li { color: #8a4b00; }\n"
	"figure { margin: 1em 0 2em; } figure svg { max-width: 100%; height: auto; }\n"
	"figcaption { color: #555; font-size: 0.9em; }\n"
	"</style>\n</head>\n<body>\n";

char *cb_report_html(const cb_report_in *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	emitter e = { f, in, html_heading, html_para, html_list, html_table, html_chart, html_plain_list,
	              html_details };
	fputs(html_head, f);
	html_text(f, in->doc->host);
	fputs(html_style, f);
	fputs("<h1>concbench report: ", f);
	html_text(f, in->doc->host);
	fputs("</h1>\n", f);
	walk(&e);
	fputs("</body>\n</html>\n", f);
	fclose(f);
	return buf;
}

/* ---- Markdown ---- */

static void md_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|' || *s == '*' || *s == '_' || *s == '[' || *s == ']' || *s == '<')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
}

static void md_heading(emitter *e, int level, const char *text, const char *anchor)
{
	(void)anchor;
	fprintf(e->f, "\n%.*s ", level, "######");
	md_text(e->f, text);
	fputs("\n\n", e->f);
}

static void md_para(emitter *e, const char *text)
{
	md_text(e->f, text);
	fputs("\n\n", e->f);
}

static void md_list(emitter *e, char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs("- :warning: ", e->f);
		md_text(e->f, items[i]);
		fputc('\n', e->f);
	}
	fputc('\n', e->f);
}

static void md_plain_list(emitter *e, char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs("- ", e->f);
		md_text(e->f, items[i]);
		fputc('\n', e->f);
	}
	fputc('\n', e->f);
}

/* GitHub and most renderers fold <details>; the list inside needs the
 * blank lines around it to be read as Markdown. */
static void md_details(emitter *e, const char *summary, char *const *items, size_t n)
{
	fputs("<details><summary>", e->f);
	md_text(e->f, summary);
	fputs("</summary>\n\n", e->f);
	md_list(e, items, n);
	fputs("</details>\n\n", e->f);
}

static void md_table(emitter *e, const rtable *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		fputc('|', e->f);
		for (size_t c = 0; c < t->ncols; c++) {
			fputc(' ', e->f);
			md_text(e->f, t->cell[r * t->ncols + c]);
			fputs(" |", e->f);
		}
		fputc('\n', e->f);
		if (r == 0) {
			fputc('|', e->f);
			for (size_t c = 0; c < t->ncols; c++)
				fputs("---|", e->f);
			fputc('\n', e->f);
		}
	}
	fputc('\n', e->f);
}

static void md_chart(emitter *e, const cb_chart *c)
{
	fputs("![", e->f);
	md_text(e->f, c->title);
	fprintf(e->f, "](%s.png)\n\n", c->base);
}

char *cb_report_md(const cb_report_in *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	emitter e = { f, in, md_heading, md_para, md_list, md_table, md_chart, md_plain_list, md_details };
	fputs("# concbench report: ", f);
	md_text(f, in->doc->host);
	fputc('\n', f);
	walk(&e);
	fclose(f);
	return buf;
}
