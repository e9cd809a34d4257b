/* A micro run's results: each benchmark's repetitions, as the shim
 * reports them, folded into a cell of kind "micro" (the median counters,
 * the statistics of its time per operation, its model), and the results
 * files of `run`'s schema rewritten after every benchmark; and where the
 * workers of a micro run are placed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run.h"
#include "micro/results.h"
#include "resultfile/file.h"

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* The counters of every repetition, folded to their median. */
static json_t *counter_medians(json_t *reps)
{
	json_t *out = json_object();
	json_t *first = json_object_get(json_array_get(reps, 0), "counters");
	const char *key;
	json_t *v;
	json_object_foreach(first, key, v) {
		size_t n = json_array_size(reps), i;
		double *x = cb_xcalloc(n, sizeof *x);
		json_t *r;
		int k = 0;
		json_array_foreach(reps, i, r) {
			json_t *c = json_object_get(json_object_get(r, "counters"), key);
			if (json_is_number(c))
				x[k++] = json_number_value(c);
		}
		json_object_set_new(out, key, num_or_null(k ? cb_median(x, (size_t)k) : NAN));
		free(x);
	}
	return out;
}

static json_t *cell_json(const cb_micro_results *mr, const cb_micro_cell *c)
{
	char *id = cb_micro_id(c->name);
	const char *slash = strchr(id, '/');
	char *family = slash ? strndup(id, (size_t)(slash - id)) : cb_xstrdup(id);
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(id));
	json_object_set_new(j, "kind", json_string("micro"));
	json_object_set_new(j, "family", json_string(family));
	json_object_set_new(j, "benchmark", json_string(slash ? slash + 1 : id));
	json_object_set_new(j, "model", json_string(cb_micro_model(id, c->label)));
	json_object_set_new(j, "pin", json_string(mr->pin ? mr->pin : "compact"));
	json_object_set_new(j, "reps", json_incref(c->reps));
	json_t *counters = counter_medians(c->reps);
	json_t *workers = json_object_get(counters, "workers");
	json_object_set_new(j, "workers", json_integer(json_is_number(workers) ? (json_int_t)json_number_value(workers) : 1));
	cb_stats s = { NAN, NAN, NAN, NAN, NAN, NAN };
	if (c->nreps)
		cb_stats_compute(c->s_per_op, (size_t)c->nreps, &s);
	json_object_set_new(j, "stats", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
	        "median_s", num_or_null(s.median), "mean_s", num_or_null(s.mean),
	        "stddev_s", num_or_null(s.stddev), "cv", num_or_null(s.cv),
	        "min_s", num_or_null(s.min), "max_s", num_or_null(s.max)));
	json_object_set_new(j, "ns_per_op", num_or_null(c->nreps ? s.median * 1e9 : NAN));
	double ops = NAN;
	if (c->nreps) {
		double *x = cb_xcalloc((size_t)c->nreps, sizeof *x);
		size_t i;
		json_t *r;
		json_array_foreach(c->reps, i, r)
			x[i] = json_number_value(json_object_get(r, "ops_per_s"));
		ops = cb_median(x, (size_t)c->nreps);
		free(x);
	}
	json_object_set_new(j, "ops_per_s", num_or_null(ops));
	json_t *p50 = json_object_get(counters, "p50_ns"), *p99 = json_object_get(counters, "p99_ns"),
	       *max = json_object_get(counters, "max_ns");
	if (json_is_number(p50) && json_is_number(p99))
		json_object_set_new(j, "latency", json_pack("{s:f, s:f, s:o}",
		        "p50_s", json_number_value(p50) * 1e-9, "p99_s", json_number_value(p99) * 1e-9,
		        "max_s", json_is_number(max) ? json_real(json_number_value(max) * 1e-9) : json_null()));
	json_object_set_new(j, "counters", counters);
	json_object_set_new(j, "skipped", c->skipped ? json_string(c->skipped) : json_null());
	json_object_set_new(j, "error", c->error ? json_string(c->error) : json_null());
	free(family);
	free(id);
	return j;
}

static json_t *results_root(const cb_micro_results *mr, bool complete)
{
	json_t *root = json_object();
	json_t *cmd = json_array();
	for (int i = 0; i < mr->argc; i++)
		json_array_append_new(cmd, json_string(mr->argv[i]));
	json_object_set_new(root, "schema", json_string(CB_RESULTS_SCHEMA));
	json_object_set_new(root, "concbench_version", json_string(CB_VERSION_STRING));
	json_object_set_new(root, "created", json_string(mr->created));
	json_object_set_new(root, "command", cmd);
	json_object_set_new(root, "complete", json_boolean(complete));
	json_object_set_new(root, "machine", json_incref(mr->machine));
	json_object_set_new(root, "config", json_incref(mr->config));
	json_object_set_new(root, "cells", json_incref(mr->cells));
	return root;
}

static const char *const csv_columns[] = {
	"id", "family", "benchmark", "model", "pin", "workers", "ns_per_op", "ops_per_s", "median_s",
	"mean_s", "stddev_s", "cv", "min_s", "max_s", "p50_s", "p99_s", "skipped", "error", NULL,
};

int cb_micro_results_write(const cb_micro_results *mr, bool complete, cb_error *err)
{
	static const char *const within[] = { "stats", "latency", NULL };
	json_t *root = results_root(mr, complete);
	int rc = cb_results_write_files(mr->dir, root, csv_columns, within, err);
	json_decref(root);
	return rc;
}

static void cell_clear(cb_micro_cell *c)
{
	free(c->name);
	free(c->label);
	free(c->s_per_op);
	free(c->error);
	free(c->skipped);
	if (c->reps)
		json_decref(c->reps);
	memset(c, 0, sizeof *c);
}

void cb_micro_results_finish(cb_micro_results *mr)
{
	cb_micro_cell *c = &mr->cur;
	if (!c->name)
		return;
	json_t *j = cell_json(mr, c);
	json_array_append_new(mr->cells, j);
	if (c->error)
		mr->failed++;
	mr->done++;
	if (!mr->err.code)
		cb_micro_results_write(mr, false, &mr->err);
	if (mr->progress)
		mr->progress(mr->ctx, json_string_value(json_object_get(j, "id")));
	cell_clear(c);
}

void cb_micro_results_on_run(const struct cb_gb_run *r, void *ctx)
{
	cb_micro_results *mr = ctx;
	cb_micro_cell *c = &mr->cur;
	if (c->name && strcmp(c->name, r->name))
		cb_micro_results_finish(mr);
	if (!c->name) {
		c->name = cb_xstrdup(r->name);
		c->label = cb_xstrdup(r->label ? r->label : "");
		c->reps = json_array();
	}
	if (r->aggregate)
		return;   /* the statistics are computed from the repetitions */
	if (r->error) {
		const char *msg = r->error_message ? r->error_message : "error";
		if (cb_micro_is_skip(msg)) {
			if (!c->skipped)
				c->skipped = cb_xstrdup(msg + strlen(CB_MICRO_SKIP_PREFIX));
		} else if (!c->error) {
			c->error = cb_xstrdup(msg);
		}
		return;
	}
	if (r->label && *r->label && !*c->label) {
		free(c->label);
		c->label = cb_xstrdup(r->label);
	}
	json_t *counters = json_object();
	/* A contended benchmark's iteration is one operation in each of its
	 * workers: it says how many with the ops_per_iter counter. */
	double per_iter = 1;
	for (size_t i = 0; i < r->ncounters; i++) {
		json_object_set_new(counters, r->counter_names[i], num_or_null(r->counter_values[i]));
		if (!strcmp(r->counter_names[i], "ops_per_iter"))
			per_iter = r->counter_values[i];
	}
	double ops = r->real_s > 0 ? per_iter / r->real_s : NAN;
	json_array_append_new(c->reps, json_pack("{s:o, s:o, s:I, s:f, s:f, s:o}",
	        "ns_per_op", num_or_null(r->real_s * 1e9), "ops_per_s", num_or_null(ops),
	        "iterations", (json_int_t)r->iterations, "real_s", r->real_s, "cpu_s", r->cpu_s,
	        "counters", counters));
	c->s_per_op = cb_xrealloc(c->s_per_op, (size_t)(c->nreps + 1) * sizeof *c->s_per_op);
	c->s_per_op[c->nreps++] = r->real_s;
}


void cb_micro_results_free(cb_micro_results *mr)
{
	cell_clear(&mr->cur);
	free(mr->dir);
	if (mr->machine)
		json_decref(mr->machine);
	if (mr->config)
		json_decref(mr->config);
	if (mr->cells)
		json_decref(mr->cells);
}

/* Workers of the contended series go where --pin puts them; the same-PU
 * and cross-PU benchmarks take the first two PUs of that placement
 * (compact's under `none`, which has no PUs to give). */
int cb_micro_env_place(cb_micro_env *env, cb_topology *topo, const cb_pin *pin, cb_placement *pl,
                     cb_placement *pair, cb_error *err)
{
	cb_topology_summary sum;
	cb_topology_summarize(topo, &sum);
	int n = pin->kind == CB_PIN_CORES ? sum.allowed_cores : sum.allowed_pus;
	if (n > CB_MICRO_MAX_CREW)
		n = CB_MICRO_MAX_CREW;
	if (cb_place(topo, pin, n, pl, err))
		return -1;
	memset(env, 0, sizeof *env);
	env->topo = topo;
	env->max_threads = pl->usable_pus < n ? pl->usable_pus : n;
	if (env->max_threads < 1)
		env->max_threads = 1;
	for (int i = 0; i < CB_MICRO_MAX_CREW; i++) {
		env->sets[i] = pl->sets ? pl->sets[i % pl->workers] : NULL;
		env->pus[i] = pl->pu ? pl->pu[i % pl->workers] : -1;
	}
	cb_pin compact = { .kind = CB_PIN_COMPACT };
	if (cb_place(topo, pin->kind == CB_PIN_NONE ? &compact : pin, 2, pair, err))
		return -1;
	for (int i = 0; i < 2; i++) {
		env->pair[i] = pair->sets[i];
		env->pair_pu[i] = pair->pu[i];
	}
	if (env->pair_pu[0] == env->pair_pu[1])
		env->cross_why = "only one PU is usable here (cross-PU needs two)";
	return 0;
}

json_t *cb_micro_config_json(const char *filter, const cb_pin *pin, int reps, double min_time)
{
	json_t *fams = json_array();
	for (const cb_micro_family *f = cb_micro_families; f->name; f++)
		json_array_append_new(fams, json_string(f->name));
	return json_pack("{s:s, s:o, s:s, s:i, s:f, s:o, s:b}", "command", "micro", "filter",
	                 filter ? json_string(filter) : json_null(), "pin", pin->text, "reps", reps,
	                 "min_time_s", min_time, "families", fams, "interleave", false);
}
