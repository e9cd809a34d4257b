/* results.json (schema concbench.results/1, see results/README.md) and
 * results.csv, both rewritten atomically after every cell that ends, with
 * the derived figures (speedup, efficiency, serial fraction, Amdahl)
 * recomputed from the cells finished so far. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis.h"
#include "run.h"

#define SCHEMA "concbench.results/1"

/* The serial cell of the same job, if it has finished cleanly. */
static const cb_cell *baseline_of(const cb_run *run, const cb_cell *c)
{
	for (int i = 0; i < run->ncells; i++) {
		const cb_cell *b = &run->cells[i];
		if (b->job == c->job && (b->strategy->flags & CB_STRATEGY_BASELINE) && b->done &&
		    !b->error && b->reps_done > 0)
			return b;
	}
	return NULL;
}

/* Median over the serial cell's repetitions of (pre + post) / wall. */
static double serial_fraction(const cb_cell *b)
{
	double *f = cb_xmalloc((size_t)b->reps_done * sizeof *f);
	for (int r = 0; r < b->reps_done; r++)
		f[r] = b->reps[r].wall_s > 0 ? (b->reps[r].pre_s + b->reps[r].post_s) / b->reps[r].wall_s : 0;
	cb_stats s;
	cb_stats_compute(f, (size_t)b->reps_done, &s);
	free(f);
	return s.median;
}

/* Parallel units the cell may use: its executors, capped by the PUs. */
static int cell_units(const cb_cell *c)
{
	int p = c->workers * c->threads;
	return c->place.usable_pus > 0 && p > c->place.usable_pus ? c->place.usable_pus : p;
}

static json_t *num_or_null(bool ok, double v)
{
	return ok && isfinite(v) ? json_real(v) : json_null();
}

static json_t *rep_json(const cb_rep *r)
{
	json_t *j = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:b}",
	                      "wall_s", r->wall_s, "pre_s", r->pre_s, "par_s", r->par_s,
	                      "post_s", r->post_s, "user_s", r->user_s, "sys_s", r->sys_s,
	                      "vcsw", (json_int_t)r->vcsw, "ivcsw", (json_int_t)r->ivcsw,
	                      "maxrss_kib", (json_int_t)r->maxrss_kib, "checksum_ok", r->checksum_ok);
	json_object_set_new(j, "migrations", r->migrations >= 0 ? json_integer(r->migrations) : json_null());
	json_object_set_new(j, "cpus", r->cpus ? json_incref(r->cpus) : json_array());
	return j;
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
	json_object_set_new(j, "size", json_string(cb_size_names[job->size]));
	json_t *params = json_object();
	for (size_t i = 0; i < job->params.n; i++)
		json_object_set_new(params, job->params.spec[i].name, json_string(job->params.text[i]));
	json_object_set_new(j, "params", params);
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
	json_object_set_new(j, "baseline_added", json_boolean(c->added_baseline));
	json_t *reps = json_array();
	for (int r = 0; r < c->reps_done; r++)
		json_array_append_new(reps, rep_json(&c->reps[r]));
	json_object_set_new(j, "reps", reps);
	bool have = c->reps_done > 0;
	json_object_set_new(j, "stats", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
	        "median_s", num_or_null(have, c->stats.median), "mean_s", num_or_null(have, c->stats.mean),
	        "stddev_s", num_or_null(have, c->stats.stddev), "cv", num_or_null(have, c->stats.cv),
	        "min_s", num_or_null(have, c->stats.min), "max_s", num_or_null(have, c->stats.max)));
	json_object_set_new(j, "checksum", have ? json_sprintf("%#018llx", (unsigned long long)c->checksum) : json_null());
	json_object_set_new(j, "reference", json_sprintf("%#018llx", (unsigned long long)job->reference));
	json_object_set_new(j, "checksum_ok", json_boolean(have && c->checksum_ok && !c->error));
	json_object_set_new(j, "error", c->error ? json_string(c->error) : json_null());

	const cb_cell *b = baseline_of(run, c);
	bool ok = have && b && !c->error;
	int p = cell_units(c);
	double f = b ? serial_fraction(b) : NAN;
	double s = ok ? cb_speedup(b->stats.median, c->stats.median) : NAN;
	json_object_set_new(j, "speedup", num_or_null(ok, s));
	json_object_set_new(j, "efficiency", num_or_null(ok, cb_efficiency(s, p)));
	json_object_set_new(j, "serial_fraction", num_or_null(b != NULL, f));
	json_object_set_new(j, "amdahl_speedup", num_or_null(b != NULL, cb_amdahl_speedup(f, p)));
	json_object_set_new(j, "usable_pus", json_integer(c->place.usable_pus));
	json_object_set_new(j, "oversubscribed", json_boolean(c->place.oversubscribed));
	json_object_set_new(j, "throughput", num_or_null(have && c->stats.median > 0,
	                                                 (double)job->ntasks / c->stats.median));
	/* The workload's own figure of merit (flop/s, B/s), from the median. */
	const char *unit = NULL;
	double units = job->wl->work_units && !job->error ? job->wl->work_units(job, &unit) : NAN;
	bool rated = have && !c->error && unit && c->stats.median > 0 && isfinite(units);
	json_object_set_new(j, "rate", num_or_null(rated, units / c->stats.median));
	json_object_set_new(j, "rate_unit", rated ? json_sprintf("%s/s", unit) : json_null());
	if (c->has_latency)
		json_object_set_new(j, "latency", json_pack("{s:f, s:f, s:f, s:f}", "p50_s", c->latency[0],
		                    "p90_s", c->latency[1], "p99_s", c->latency[2], "max_s", c->latency[3]));
	return j;
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
	json_object_set_new(c, "pin", json_string(cfg->pin.text));
	json_object_set_new(c, "schedule", json_string(sched));
	json_object_set_new(c, "scaling", json_string("strong"));
	json_object_set_new(c, "interleave", json_true());
	json_object_set_new(c, "workloads", strings_json(cfg->workloads, cfg->nworkloads));
	json_object_set_new(c, "strategies", strings_json(cfg->strategies, cfg->nstrategies));
	json_object_set_new(c, "workers", ints_json(cfg->workers, cfg->nworkers));
	json_object_set_new(c, "concurrency", ints_json(cfg->concurrency, cfg->nconcurrency));
	json_object_set_new(c, "params", params);
	return c;
}

json_t *cb_results_json(const cb_run *run)
{
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string(SCHEMA));
	json_object_set_new(root, "concbench_version", json_string(CB_VERSION_STRING));
	json_object_set_new(root, "created", json_string(run->created));
	json_object_set_new(root, "command", strings_json(run->cfg->argv, run->cfg->argc));
	bool complete = !run->interrupted && run->cells_done == run->ncells;
	json_object_set_new(root, "complete", json_boolean(complete));
	json_object_set_new(root, "machine", run->machine ? json_incref(run->machine) : json_null());
	json_object_set_new(root, "config", config_json(run));
	json_t *cells = json_array();
	for (int i = 0; i < run->ncells; i++)
		if (run->cells[i].done)
			json_array_append_new(cells, cell_json(run, &run->cells[i]));
	json_object_set_new(root, "cells", cells);
	return root;
}

/* CSV: one row per cell, the cell's scalars, in the order of the README. */
static const char *const csv_columns[] = {
	"id", "workload", "kind", "size", "params", "strategy", "workers", "concurrency", "threads",
	"pin", "schedule", "ntasks", "median_s", "mean_s", "stddev_s", "cv", "min_s", "max_s",
	"checksum", "checksum_ok", "speedup", "efficiency", "serial_fraction", "amdahl_speedup",
	"usable_pus", "oversubscribed", "throughput", "error", "rate", "rate_unit", NULL,
};

static void csv_field(FILE *f, const json_t *v)
{
	if (!v || json_is_null(v))
		return;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strpbrk(s, ",\"\n")) {
			fputc('"', f);
			for (; *s; s++) {
				if (*s == '"')
					fputc('"', f);
				fputc(*s, f);
			}
			fputc('"', f);
		} else {
			fputs(s, f);
		}
	} else if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		fprintf(f, "%.9g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "true" : "false", f);
	}
}

static char *csv_text(const json_t *root, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	for (int k = 0; csv_columns[k]; k++)
		fprintf(f, "%s%s", k ? "," : "", csv_columns[k]);
	fputc('\n', f);
	size_t i;
	json_t *cell;
	json_array_foreach(json_object_get(root, "cells"), i, cell) {
		json_t *stats = json_object_get(cell, "stats");
		for (int k = 0; csv_columns[k]; k++) {
			const char *col = csv_columns[k];
			if (k)
				fputc(',', f);
			if (!strcmp(col, "params")) {
				const char *key;
				json_t *v;
				int first = 1;
				json_object_foreach(json_object_get(cell, "params"), key, v) {
					fprintf(f, "%s%s=%s", first ? "" : ";", key, json_string_value(v));
					first = 0;
				}
			} else {
				json_t *v = json_object_get(cell, col);
				csv_field(f, v ? v : json_object_get(stats, col));
			}
		}
		fputc('\n', f);
	}
	fclose(f);
	return buf;
}

int cb_results_write(const cb_run *run, cb_error *err)
{
	json_t *root = cb_results_json(run);
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
	size_t csv_len;
	char *csv = csv_text(root, &csv_len);
	char *jp = cb_xasprintf("%s/results.json", run->dir);
	char *cp = cb_xasprintf("%s/results.csv", run->dir);
	int rc = cb_write_file_atomic(jp, text, strlen(text), err);
	if (!rc)
		rc = cb_write_file_atomic(cp, csv, csv_len, err);
	free(jp);
	free(cp);
	free(text);
	free(csv);
	json_decref(root);
	return rc;
}

int cb_results_read(const char *path, json_t **out, cb_error *err)
{
	struct stat st;
	if (stat(path, &st))
		return cb_error_set(err, CB_EXIT_USAGE, "cannot read '%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cb_error_set(err, CB_EXIT_USAGE, "'%s' is a directory, not a results file", path);
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return cb_error_set(err, CB_EXIT_USAGE, "'%s' is not valid JSON (line %d: %s)", path, je.line,
		                    je.text);
	const char *schema = json_string_value(json_object_get(root, "schema"));
	if (!schema || strcmp(schema, SCHEMA)) {
		cb_error_set(err, CB_EXIT_USAGE, "'%s' is not a concbench results file (schema '%s', expected '%s')",
		             path, schema ? schema : "none", SCHEMA);
		json_decref(root);
		return -1;
	}
	if (!json_is_array(json_object_get(root, "cells"))) {
		cb_error_set(err, CB_EXIT_USAGE, "'%s' has no 'cells' array", path);
		json_decref(root);
		return -1;
	}
	*out = root;
	return 0;
}
