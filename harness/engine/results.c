/* results.json (the schema in resultfile/file.h, results/README.md) and
 * results.csv, both rewritten atomically at the runner's checkpoints, with
 * the derived figures (speedup, efficiency, serial fraction, Amdahl)
 * recomputed from the cells finished so far. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/analysis.h"
#include "analysis/drift.h"
#include "base/build.h"
#include "engine/run.h"
#include "resultfile/file.h"
#include "engine/strategy.h"


static json_t *num_or_null(bool ok, double v)
{
	return ok && isfinite(v) ? json_real(v) : json_null();
}

/* A workload loaded at run time: which file, byte for byte, ran. */
static json_t *origin_json(const cb_workload_origin *o)
{
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string(o->kind));
	json_object_set_new(j, "path", json_string(o->path));
	json_object_set_new(j, "sha256", json_string(o->sha256));
	if (*o->runtime)
		json_object_set_new(j, "runtime", json_string(o->runtime));
	if (o->gil >= 0)
		json_object_set_new(j, "gil", json_boolean(o->gil));
	return j;
}

/* A cell's repetitions and rounds: those kept, those set aside, and
 * which rounds were measured at reduced capacity. */
static void cell_reps_json(json_t *j, const cb_cell *c)
{
	json_t *reps = json_array();
	for (int r = 0; r < c->reps_done; r++)
		json_array_append_new(reps, cb_rep_json(&c->reps[r]));
	json_object_set_new(j, "reps", reps);
	json_t *rounds = json_array();
	for (int r = 0; r < c->nrounds; r++)
		json_array_append_new(rounds, json_real(c->rounds[r]));
	json_object_set_new(j, "rounds", rounds);
	json_t *aside = json_array(), *rr = json_array();
	for (int r = 0; r < c->naside; r++)
		json_array_append_new(aside, cb_rep_json(&c->aside[r]));
	for (int r = 0; r < c->nrounds && c->rounds_reduced; r++)
		json_array_append_new(rr, json_boolean(c->rounds_reduced[r]));
	json_object_set_new(j, "reps_set_aside", aside);
	json_object_set_new(j, "rounds_reduced", rr);
}

/* What a cell used and made: peak memory per unit of concurrency, its
 * trace and the measuring process's record, the workload's own figure of
 * merit and the task latencies. */
static void cell_usage_json(json_t *j, const cb_cell *c, bool have)
{
	const cb_job *job = c->job;
	/* Peak memory per unit of concurrency: a thread's stack against a
	 * coroutine's, when the same workload runs at high concurrency. */
	long rss = 0;
	for (int r = 0; r < c->reps_done; r++)
		if (c->reps[r].maxrss_kib > rss)
			rss = c->reps[r].maxrss_kib;
	json_object_set_new(j, "maxrss_kib_per_concurrency",
	                    num_or_null(have && rss > 0 && c->concurrency > 0, (double)rss / c->concurrency));
	if (c->trace)
		json_object_set_new(j, "trace", cb_trace_summary(c->trace));
	if (c->record)
		json_object_update_missing(j, c->record);
	/* The workload's own figure of merit (flop/s, B/s): its work per job
	 * here, the rate at the median in cb_results_derive(). */
	const char *unit = job->work_unit;
	double units = job->error ? NAN : job->work;
	bool rated = have && !c->error && unit && isfinite(units);
	json_object_set_new(j, "work_per_job", num_or_null(rated, units));
	json_object_set_new(j, "rate_unit", rated ? json_sprintf("%s/s", unit) : json_null());
	if (c->has_latency)
		json_object_set_new(j, "latency", json_pack("{s:f, s:f, s:f, s:f}", "p50_s", c->latency[0],
		                    "p90_s", c->latency[1], "p99_s", c->latency[2], "max_s", c->latency[3]));
}

static json_t *cell_json(const cb_run *run, const cb_cell *c)
{
	const cb_job *job = c->job;
	char sched[32];
	cb_schedule_format(&run->cfg->sched, sched, sizeof sched);
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(c->id));
	json_object_set_new(j, "workload", json_string(job->wl->name));
	json_object_set_new(j, "kind", json_string(cb_kind_names[job->wl->kind]));
	const cb_workload_origin *o = cb_workload_origin_of(job->wl);
	if (o)
		json_object_set_new(j, "workload_source", origin_json(o));
	json_object_set_new(j, "size", json_string(cb_size_names[job->size]));
	json_t *params = json_object(), *measured = json_object();
	for (size_t i = 0; i < job->params.n; i++)
		json_object_set_new(job->params.spec[i].type == CB_PARAM_MEASURED ? measured : params, job->params.spec[i].name,
		                    json_string(job->params.text[i]));
	json_object_set_new(j, "params", params);
	json_object_set_new(j, "measured_params", measured);
	json_object_set_new(j, "strategy", json_string(c->strategy->name));
	json_object_set_new(j, "workers", json_integer(c->workers));
	json_object_set_new(j, "concurrency", json_integer(c->concurrency));
	json_object_set_new(j, "threads", json_integer(c->threads));
	json_object_set_new(j, "pin", json_string(run->cfg->pin.text));
	json_t *pl = json_array();
	for (int w = 0; w < c->place.workers; w++)
		json_array_append_new(pl, json_integer(c->place.pu ? c->place.pu[w] : -1));
	json_object_set_new(j, "placement", pl);
	json_object_set_new(j, "schedule", json_string(sched));
	json_object_set_new(j, "ntasks", json_integer((json_int_t)job->ntasks));
	json_object_set_new(j, "scale", json_integer(job->scale));
	json_object_set_new(j, "baseline", json_boolean(c->strategy->flags & CB_STRATEGY_BASELINE));
	json_object_set_new(j, "baseline_added", json_boolean(c->added_baseline));
	cell_reps_json(j, c);
	json_object_set_new(j, "capacity_probe", c->capacity_readings
	                    ? json_pack("{s:f, s:i}", "s", c->capacity_cost_s, "readings", c->capacity_readings)
	                    : json_null());
	bool have = c->reps_done > 0;
	cb_results_cell_stats(j);
	json_object_set_new(j, "checksum", have ? json_sprintf("%#018llx", (unsigned long long)c->checksum) : json_null());
	json_object_set_new(j, "reference", json_sprintf("%#018llx", (unsigned long long)job->reference));
	json_object_set_new(j, "checksum_ok", json_boolean(have && c->checksum_ok && !c->error));
	json_object_set_new(j, "error", c->error ? json_string(c->error) : json_null());
	json_object_set_new(j, "skipped", c->skipped ? json_string(c->skipped) : json_null());
	json_object_set_new(j, "strategy_note", c->ex.note[0] ? json_string(c->ex.note) : json_null());
	unsigned sf = c->strategy->flags;
	const char *deps = cb_workload_dependencies(job, sf & CB_STRATEGY_BASELINE ? CB_DEPS_SERIAL
	                                                 : sf & CB_STRATEGY_YIELDS ? CB_DEPS_YIELDING
	                                                 : sf & CB_STRATEGY_ORDERS ? CB_DEPS_RUNTIME : CB_DEPS_BLOCKING);
	if (deps)
		json_object_set_new(j, "dependencies", json_string(deps));

	json_object_set_new(j, "usable_pus", json_integer(c->place.usable_pus));
	json_object_set_new(j, "oversubscribed", json_boolean(c->place.oversubscribed));
	cell_usage_json(j, c, have);
	return j;
}

static double jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Whether a repetition in results.json counts in its cell's figures
 * (cb_rep_counts): not one at reduced capacity when others were not. */
static bool rep_reduced(const json_t *r)
{
	return json_is_true(json_object_get(r, "reduced_capacity"));
}

static bool any_full(const json_t *reps)
{
	size_t i;
	json_t *r;
	json_array_foreach(reps, i, r)
		if (!rep_reduced(r))
			return true;
	return false;
}

/* The cell's parallel capacity: over the repetitions that count, the
 * median and smallest, how many were at reduced capacity, how many were
 * set aside and retaken; limited when none was at full capacity. NULL
 * when no repetition measured it. */
static json_t *capacity_json(const json_t *cell)
{
	json_t *reps = json_object_get(cell, "reps"), *r;
	size_t n = json_array_size(reps), i, m = 0, reduced = 0;
	double *v = cb_xmalloc((n + 1) * sizeof *v);
	int pus = 0;
	json_array_foreach(reps, i, r) {
		double cap = jnum(r, "capacity");
		if (!isfinite(cap))
			continue;
		v[m++] = cap;
		reduced += rep_reduced(r);
		pus = (int)jnum(r, "capacity_pus");
	}
	if (!m) {
		free(v);
		return json_null();
	}
	bool full = reduced < m;
	size_t k = 0;
	json_array_foreach(reps, i, r)
		if (isfinite(jnum(r, "capacity")) && (!full || !rep_reduced(r)))
			v[k++] = jnum(r, "capacity");
	cb_stats st;
	cb_stats_compute(v, k, &st);
	/* The workers' speed per CPU second against the paired serial
	 * repetitions', over the same repetitions. */
	size_t w = 0;
	json_array_foreach(reps, i, r)
		if (isfinite(jnum(r, "capacity")) && (!full || !rep_reduced(r)) && isfinite(jnum(r, "work_speed")))
			v[w++] = jnum(r, "work_speed");
	double work = cb_median(v, w);
	free(v);
	json_t *out = json_pack("{s:i, s:f, s:f, s:I, s:I, s:I, s:b}", "pus", pus, "median", st.median, "min", st.min,
	                        "reduced_reps", (json_int_t)reduced, "full_reps", (json_int_t)(m - reduced), "set_aside",
	                        (json_int_t)json_array_size(json_object_get(cell, "reps_set_aside")), "limited", !full);
	json_object_set_new(out, "work_speed", num_or_null(w, work));
	return out;
}

/* Stats over the cell's repetitions (wall_s) that count. */
void cb_results_cell_stats(json_t *cell)
{
	json_t *reps = json_object_get(cell, "reps");
	size_t n = json_array_size(reps), i;
	json_t *r;
	bool full = any_full(reps);
	double *w = cb_xmalloc((n + 1) * sizeof *w);
	size_t m = 0;
	json_array_foreach(reps, i, r)
		if (!full || !rep_reduced(r))
			w[m++] = jnum(r, "wall_s");
	n = m;
	cb_stats st;
	cb_stats_compute(w, n, &st);
	free(w);
	json_object_set_new(cell, "stats", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
	        "median_s", num_or_null(n, st.median), "mean_s", num_or_null(n, st.mean),
	        "stddev_s", num_or_null(n > 1, st.stddev), "cv", num_or_null(n > 1, st.cv),
	        "min_s", num_or_null(n, st.min), "max_s", num_or_null(n, st.max)));
	json_object_set_new(cell, "capacity", capacity_json(cell));
}

/* The speedup from the cell's repetitions that ran beside a serial one
 * (--speedup pairs): the median over the pairs that count of serial_s /
 * wall_s (cb_paired_speedup), leaving out a pair whose serial repetition
 * had less than its PU. 0 pairs when it has too few. */
static size_t paired_reps(const json_t *cell, double *s)
{
	json_t *reps = json_object_get(cell, "reps"), *r;
	size_t n = json_array_size(reps), i, m = 0;
	bool full = any_full(reps);
	double *ser = cb_xmalloc((n + 1) * sizeof *ser), *wall = cb_xmalloc((n + 1) * sizeof *wall);
	json_array_foreach(reps, i, r) {
		if ((full && rep_reduced(r)) || !isfinite(jnum(r, "serial_s")) ||
		    json_is_true(json_object_get(r, "serial_reduced")))
			continue;
		ser[m] = jnum(r, "serial_s");
		wall[m++] = jnum(r, "wall_s");
	}
	size_t k = cb_paired_speedup(ser, m, wall, m, s, NULL, NULL, NULL);
	free(ser);
	free(wall);
	return k;
}

/* Files written before weak scaling existed have no scale: 1. */
static double scale_of(const json_t *cell)
{
	return json_is_number(json_object_get(cell, "scale")) ? jnum(cell, "scale") : 1;
}

/* The cell's own flag; files written before it was recorded are read
 * through the strategy table's flag. */
static bool is_baseline(const json_t *cell)
{
	json_t *flag = json_object_get(cell, "baseline");
	if (json_is_boolean(flag))
		return json_is_true(flag);
	const cb_strategy *st = cb_strategy_find(json_string_value(json_object_get(cell, "strategy")));
	return st && (st->flags & CB_STRATEGY_BASELINE);
}

/* The serial cell of the same job (workload, size, parameters). */
static const json_t *baseline_of(const json_t *cells, const json_t *c)
{
	size_t i;
	json_t *b;
	json_array_foreach(cells, i, b) {
		if (!is_baseline(b) || !json_is_null(json_object_get(b, "error")) ||
		    !json_array_size(json_object_get(b, "reps")))
			continue;
		if (scale_of(b) == 1 &&
		    json_equal(json_object_get(b, "workload"), json_object_get(c, "workload")) &&
		    json_equal(json_object_get(b, "size"), json_object_get(c, "size")) &&
		    json_equal(json_object_get(b, "params"), json_object_get(c, "params")))
			return b;
	}
	return NULL;
}

/* T_serial of a job `scale` times the serial cell's, from that cell's
 * repetitions (see cb_scaled_serial_s for why the derivation is exact for
 * the workloads that may be scaled). Scale 1 is the serial median. */
static double serial_time(const json_t *b, double scale)
{
	if (scale == 1)
		return jnum(json_object_get(b, "stats"), "median_s");
	json_t *reps = json_object_get(b, "reps"), *r;
	size_t n = json_array_size(reps), i;
	double *wall = cb_xmalloc((n + 1) * sizeof *wall), *par = cb_xmalloc((n + 1) * sizeof *par);
	json_array_foreach(reps, i, r) {
		wall[i] = jnum(r, "wall_s");
		par[i] = jnum(r, "par_s");
	}
	double t = cb_scaled_serial_s(wall, par, n, scale);
	free(wall);
	free(par);
	return t;
}

/* A cell's round medians (rounds[]), as an array of *n (owned); a round
 * that had no repetition at full capacity (rounds_reduced) is NAN. */
static double *rounds_of(const json_t *c, size_t *n)
{
	json_t *a = json_object_get(c, "rounds"), *red = json_object_get(c, "rounds_reduced"), *v;
	size_t i;
	double *r = cb_xmalloc((json_array_size(a) + 1) * sizeof *r);
	*n = 0;
	json_array_foreach(a, i, v) {
		r[*n] = json_is_true(json_array_get(red, i)) ? NAN : json_number_value(v);
		(*n)++;
	}
	return r;
}

/* The speedup from the rounds the two cells ran side by side, the pairs
 * with a round at reduced capacity left out (cb_paired_speedup). */
static size_t paired_rounds(const json_t *b, const json_t *c, double *s)
{
	size_t nb, nc;
	double *rb = rounds_of(b, &nb), *rc = rounds_of(c, &nc);
	size_t n = cb_paired_speedup(rb, nb, rc, nc, s, NULL, NULL, NULL);
	free(rb);
	free(rc);
	return n;
}

/* Median over the serial cell's repetitions of (pre + post) / wall. */
static double serial_fraction(const json_t *b)
{
	json_t *reps = json_object_get(b, "reps"), *r;
	size_t n = json_array_size(reps), i;
	double *f = cb_xmalloc((n + 1) * sizeof *f);
	json_array_foreach(reps, i, r) {
		double w = jnum(r, "wall_s");
		f[i] = w > 0 ? (jnum(r, "pre_s") + jnum(r, "post_s")) / w : 0;
	}
	cb_stats s;
	cb_stats_compute(f, n, &s);
	free(f);
	return s.median;
}

void cb_results_derive(json_t *root)
{
	json_t *cells = json_object_get(root, "cells"), *c;
	size_t i;
	json_array_foreach(cells, i, c) {
		const json_t *b = baseline_of(cells, c);
		json_t *stats = json_object_get(c, "stats");
		double med = jnum(stats, "median_s");
		bool ok = b && isfinite(med) && json_is_null(json_object_get(c, "error"));
		/* Parallel units: executors, capped by the PUs the cell may use. */
		/* Fields a file may lack take the reader's defaults (threads 1,
		 * usable PUs unknown): a NAN never reaches an int. */
		double w = jnum(c, "workers"), t = jnum(c, "threads"), u = jnum(c, "usable_pus");
		int p = (int)((isfinite(w) ? w : 1) * (isfinite(t) ? t : 1));
		int usable = isfinite(u) ? (int)u : 0;
		if (usable > 0 && p > usable)
			p = usable;
		double f = b ? serial_fraction(b) : NAN, scale = scale_of(c);
		/* Under weak scaling the cell's job is `scale` times the serial
		 * one: its speedup is T_serial of that job over its own time,
		 * with T_serial derived from the serial cell's phases (the plan
		 * times serial only on the unscaled job). */
		double ts = ok ? serial_time(b, scale) : NAN;
		double s = ok ? cb_scaled_speedup(ts, med) : NAN;
		/* At scale 1, from the rounds the two cells ran side by side
		 * where both have enough of them (cb_paired_speedup). */
		const char *method = ok && isfinite(s) ? (scale == 1 ? "ratio of medians" : "derived") : NULL;
		if (ok && scale == 1 && paired_reps(c, &s)) {
			method = "paired repetitions";
		} else if (ok && scale == 1 && paired_rounds(b, c, &s)) {
			method = "paired rounds";
		}
		json_object_set_new(c, "speedup", num_or_null(ok, s));
		json_object_set_new(c, "speedup_method", method ? json_string(method) : json_null());
		json_object_set_new(c, "efficiency", num_or_null(ok, cb_efficiency(s, p)));
		/* Against the PUs the machine gave the cell rather than those it
		 * asked for (capacity.median, the sum of their speeds). */
		double cap = jnum(json_object_get(c, "capacity"), "median");
		json_object_set_new(c, "efficiency_at_capacity", num_or_null(ok && cap > 0, cb_efficiency(s, cap)));
		json_object_set_new(c, "t_serial_s", num_or_null(ok, ts));
		json_object_set_new(c, "t_serial_method",
		                    ok && isfinite(ts) ? json_string(scale == 1 ? "measured" : "derived") : json_null());
		json_object_set_new(c, "serial_fraction", num_or_null(b != NULL, f));
		json_object_set_new(c, "amdahl_speedup", num_or_null(b != NULL, cb_amdahl_speedup(f, p)));
		json_object_set_new(c, "gustafson_speedup", num_or_null(b != NULL, cb_gustafson_speedup(f, p)));
		json_object_set_new(c, "speedup_bound", num_or_null(b != NULL, cb_speedup_bound(f, scale, p)));
		json_object_set_new(c, "throughput", num_or_null(med > 0, jnum(c, "ntasks") / med));
		json_object_set_new(c, "rate", num_or_null(med > 0 && json_is_string(json_object_get(c, "rate_unit")),
		                                           jnum(c, "work_per_job") / med));
	}
}

static json_t *strings_json(char **v, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *ints_json(const int *v, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *config_json(const cb_run *run)
{
	const cb_run_config *cfg = run->cfg;
	char sched[32];
	cb_schedule_format(&cfg->sched, sched, sizeof sched);
	json_t *params = json_object();
	for (size_t i = 0; i < cfg->nparams; i++)
		json_object_set_new(params, cfg->params[i].key, json_string(cfg->params[i].value));
	json_t *c = json_object();
	json_object_set_new(c, "suite", cfg->suite ? json_string(cfg->suite) : json_null());
	json_object_set_new(c, "size", json_string(cb_size_names[cfg->size]));
	json_object_set_new(c, "reps", json_integer(cfg->reps));
	json_object_set_new(c, "warmup", json_integer(cfg->warmup));
	json_object_set_new(c, "rounds", json_integer(cfg->rounds > 0 ? cfg->rounds : 1));
	json_object_set_new(c, "isolation", json_string("process per cell and round"));
	json_object_set_new(c, "order_seed", json_integer((json_int_t)(cfg->seed & INT64_MAX)));
	json_object_set_new(c, "speedup_pairs", json_boolean(cfg->pair_serial));
	json_object_set_new(c, "trace_cap", cfg->trace_cap ? json_integer((json_int_t)cfg->trace_cap) : json_null());
	json_object_set_new(c, "timeout_s", cfg->timeout_s > 0 ? json_real(cfg->timeout_s) : json_null());
	json_object_set_new(c, "pin", json_string(cfg->pin.text));
	json_object_set_new(c, "schedule", json_string(sched));
	json_object_set_new(c, "scaling", json_string(cfg->weak ? "weak" : "strong"));
	json_object_set_new(c, "interleave", json_true());   /* cells in a new random order each round */
	json_object_set_new(c, "order", json_string("workload blocks"));   /* runner.c round_order */
	json_object_set_new(c, "workloads", strings_json(cfg->workloads, cfg->nworkloads));
	json_object_set_new(c, "strategies", strings_json(cfg->strategies, cfg->nstrategies));
	json_object_set_new(c, "workers", ints_json(cfg->workers, cfg->nworkers));
	json_object_set_new(c, "concurrency", ints_json(cfg->concurrency, cfg->nconcurrency));
	json_object_set_new(c, "params", params);
	json_object_set_new(c, "hosts", cfg->hosts ? json_string(cfg->hosts) : json_null());
	return c;
}

/* Steps in the machine's speed during the run, per workload: every cell of
 * the workload faster or slower from one moment on (analysis/drift.h). */
static json_t *machine_changes_json(const cb_run *run)
{
	json_t *out = json_array();
	for (int j = 0; j < run->njobs; j++) {
		size_t n = 0;
		int ncells = 0;
		for (int i = 0; i < run->ncells; i++)
			if (run->cells[i].job == run->jobs[j])
				n += (size_t)run->cells[i].reps_done;
		cb_drift_point *pts = cb_xmalloc((n + 1) * sizeof *pts);
		n = 0;
		for (int i = 0; i < run->ncells; i++) {
			const cb_cell *c = &run->cells[i];
			if (c->job != run->jobs[j] || !c->reps_done)
				continue;
			for (int k = 0; k < c->reps_done; k++)
				pts[n++] = (cb_drift_point){ c->reps[k].at_s, c->reps[k].wall_s, ncells };
			ncells++;
		}
		cb_drift d;
		cb_drift_find(pts, n, ncells, &d);
		free(pts);
		if (d.found)
			json_array_append_new(out, json_pack("{s:s, s:f, s:f, s:i, s:i}", "workload",
			                                     run->jobs[j]->wl->name, "at_s", d.at_s, "ratio", d.ratio,
			                                     "cells", d.cells, "agree", d.agree));
	}
	return out;
}

json_t *cb_results_json(const cb_run *run)
{
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string(CB_RESULTS_SCHEMA));
	json_object_set_new(root, "concbench_version", json_string(CB_VERSION_STRING));
	json_object_set_new(root, "created", json_string(run->created));
	json_object_set_new(root, "build", cb_build_json(cb_build_self()));
	json_object_set_new(root, "command", strings_json(run->cfg->argv, run->cfg->argc));
	bool complete = !run->interrupted && run->cells_done == run->ncells;
	json_object_set_new(root, "complete", json_boolean(complete));
	json_object_set_new(root, "machine", run->machine ? json_incref(run->machine) : json_null());
	json_object_set_new(root, "config", config_json(run));
	json_t *cells = json_array();
	for (int i = 0; i < run->ncells; i++)
		if (run->cells[i].done || run->cells[i].reps_done)
			json_array_append_new(cells, cell_json(run, &run->cells[i]));
	json_object_set_new(root, "cells", cells);
	json_object_set_new(root, "machine_changes", machine_changes_json(run));
	cb_results_derive(root);
	return root;
}

/* CSV: one row per cell, the cell's scalars, in the order of the README. */
static const char *const csv_columns[] = {
	"id", "workload", "kind", "size", "params", "strategy", "workers", "concurrency", "threads",
	"pin", "schedule", "ntasks", "median_s", "mean_s", "stddev_s", "cv", "min_s", "max_s",
	"checksum", "checksum_ok", "speedup", "efficiency", "serial_fraction", "amdahl_speedup",
	"usable_pus", "oversubscribed", "throughput", "error", "rate", "rate_unit", NULL,
};

int cb_results_write(const cb_run *run, cb_error *err)
{
	json_t *root = cb_results_json(run);
	int rc = cb_results_write_json(run->dir, root, err);
	json_decref(root);
	return rc;
}

int cb_results_write_json(const char *dir, json_t *root, cb_error *err)
{
	static const char *const within[] = { "stats", NULL };
	return cb_results_write_files(dir, root, csv_columns, within, err);
}
