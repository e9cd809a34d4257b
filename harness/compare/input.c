/* compare's input: a concbench results.json (read by the one reader,
 * resultfile/read.c), a Google Benchmark JSON file (--benchmark_out) or
 * hyperfine's --export-json (hyperfine_read.c) becomes one list of cells
 * with samples of the chosen metric. Every malformed input is an error that
 * names the file and what is wrong; none may crash the reader (fuzzed by
 * tests/fuzz/fuzz_results.c). */
#include "compare/compare.h"
#include "compare/hyperfine_read.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "resultfile/read.h"

typedef struct reader {
	const char *name;   /* the file, for messages */
	cb_metric metric;
	cb_error *err;
	cb_jreader jr;
} reader;

#define type_name cb_json_type_name

static int get_string(reader *rd, const json_t *obj, const char *key, const char *where,
                      bool required, const char **out)
{
	return cb_jget_string(&rd->jr, obj, key, where, required, out);
}

static int get_number(reader *rd, const json_t *obj, const char *key, const char *where,
                      bool required, double *out)
{
	return cb_jget_number(&rd->jr, obj, key, where, required, out);
}

static json_t *get_typed(reader *rd, const json_t *obj, const char *key, const char *where,
                         json_type type, bool required, int *rc)
{
	return cb_jget_typed(&rd->jr, obj, key, where, type, required, rc);
}

/* ---- cells ----------------------------------------------------------- */

static void cell_free(cb_cmp_cell *c)
{
	free(c->key);
	free(c->label);
	free(c->reps);
	free(c->rounds);
	free(c->probes);
	free(c->failed);
}

void cb_cmp_input_free(cb_cmp_input *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->ncells; i++)
		cell_free(&in->cells[i]);
	for (int f = 0; f < CB_FACT_COUNT; f++)
		free(in->facts[f]);
	for (size_t i = 0; i < in->nchanges; i++)
		free(in->changes[i].workload);
	free(in->changes);
	free(in->cells);
	free(in->path);
	free(in);
}

static cb_cmp_cell *add_cell(cb_cmp_input *in)
{
	in->cells = cb_xrealloc(in->cells, (in->ncells + 1) * sizeof *in->cells);
	cb_cmp_cell *c = &in->cells[in->ncells++];
	memset(c, 0, sizeof *c);
	return c;
}

/* Appends to an array whose capacity doubles at each power of two. */
static void push(double **v, size_t *n, double x)
{
	if (*n == 0 || !(*n & (*n - 1))) {
		*v = cb_xrealloc(*v, (*n < 4 ? 4 : *n * 2) * sizeof **v);
	}
	(*v)[(*n)++] = x;
}

/* ---- concbench results.json ------------------------------------------ */

/* The speed probe's readings before each repetition (reps[].probe_ms:
 * {"PU": ms}), with the round each belongs to. Files from before the probe,
 * and readings that are not positive numbers, give none. */
static void read_probes(cb_cmp_cell *c, const cb_rcell *r)
{
	const json_t *reps = json_object_get(r->json, "reps"), *rep;
	size_t i;
	json_array_foreach(reps, i, rep) {
		const json_t *probe = json_object_get(rep, "probe_ms"), *round = json_object_get(rep, "round");
		if (!json_is_object(probe) || !json_is_integer(round) || json_integer_value(round) < 0 ||
		    (size_t)json_integer_value(round) >= r->nrounds)
			continue;
		const char *pu;
		json_t *ms;
		json_object_foreach((json_t *)probe, pu, ms) {
			char *end;
			long k = strtol(pu, &end, 10);
			double v = json_number_value(ms);
			if (*end || end == pu || k < 0 || k > 1 << 20 || !(v > 0) || !isfinite(v))
				continue;
			c->probes = cb_xrealloc(c->probes, (c->nprobes + 1) * sizeof *c->probes);
			c->probes[c->nprobes++] = (cb_cmp_probe){ (size_t)json_integer_value(round), (int)k, log(v) };
		}
	}
}

/* One cell of the one reader's view: its key (what matches it in the other
 * file), its samples of the metric per repetition and per round. */
static int map_cell(reader *rd, cb_cmp_input *in, const cb_rcell *r, size_t idx)
{
	char where[300];
	snprintf(where, sizeof where, "cells[%zu] '%.200s'", idx, r->id);
	if (rd->metric == CB_METRIC_THROUGHPUT && !r->has_ntasks)
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s: missing 'ntasks'", rd->name, where);
	cb_cmp_cell *c = add_cell(in);
	c->key = cb_xasprintf("%s[%s]/%s/n%d/c%d/t%d/%s/%s", r->workload, r->params, r->strategy,
	                      r->workers, r->concurrency, r->threads, r->pin, r->schedule);
	c->label = cb_xstrdup(strcmp(r->id, "?") ? r->id : c->key);
	c->executors = r->workers * (r->threads > 0 ? r->threads : 1);
	if (r->error)
		c->failed = cb_xstrdup(r->error);
	else if (!r->checksum_ok)
		c->failed = cb_xstrdup("wrong checksum");
	for (size_t i = 0; i < r->nreps; i++) {
		double wall = r->wall[i], v = wall;
		if (rd->metric == CB_METRIC_THROUGHPUT) {
			v = wall > 0 ? (double)r->ntasks / wall : 0;
		} else if (rd->metric == CB_METRIC_CPU) {
			if (isnan(r->user[i]) || isnan(r->sys[i]))
				return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s: reps[%zu]: missing '%s'",
				                    rd->name, where, i, isnan(r->user[i]) ? "user_s" : "sys_s");
			v = r->user[i] + r->sys[i];
		}
		push(&c->reps, &c->nreps, v);
	}
	/* Rounds hold wall seconds; CPU time is not kept per round. */
	for (size_t i = 0; i < r->nrounds; i++) {
		double d = r->rounds[i];
		if (rd->metric == CB_METRIC_TIME)
			push(&c->rounds, &c->nrounds, d);
		else if (rd->metric == CB_METRIC_THROUGHPUT)
			push(&c->rounds, &c->nrounds, d > 0 ? (double)r->ntasks / d : 0);
	}
	read_probes(c, r);
	for (size_t i = 0; i + 1 < in->ncells; i++)
		if (!strcmp(in->cells[i].key, c->key))
			return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s: the same cell as cells[%zu]",
			                    rd->name, where, i);
	return 0;
}

static char *topology_fact(const json_t *topo)
{
	static const char *const keys[] = { "packages", "numa_nodes", "l3_groups", "cores", "pus",
	                                    "allowed_pus" };
	char buf[512] = "";
	size_t len = 0;
	if (!json_is_object(topo))
		return NULL;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		json_t *v = json_object_get(topo, keys[i]);
		if (json_is_integer(v) && len < sizeof buf - 64)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%lld", len ? " " : "",
			                        keys[i], (long long)json_integer_value(v));
	}
	return len ? cb_xstrdup(buf) : NULL;
}

static char *string_fact(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? cb_xstrdup(json_string_value(v)) : NULL;
}

/* A concbench results.json, through the one reader (resultfile/read.c). */
static int read_concbench(reader *rd, json_t *root, cb_cmp_input *in)
{
	cb_rdoc *doc = NULL;
	in->format = "concbench";
	if (cb_results_parse_json(rd->name, root, &doc, rd->err))
		return -1;
	int rc = 0;
	if (doc->micro) {
		rc = cb_error_set(rd->err, CB_EXIT_USAGE, "%s: a micro run (cells of kind micro) is a "
		                  "price list, not cells to compare (valid: results of concbench run "
		                  "or Google Benchmark JSON)", rd->name);
		goto out;
	}
	const json_t *m = doc->machine;
	if (m) {
		in->facts[CB_FACT_HOST] = string_fact(m, "host");
		in->facts[CB_FACT_CPU] = string_fact(m, "cpu_model");
		in->facts[CB_FACT_KERNEL] = string_fact(m, "kernel");
		in->facts[CB_FACT_GOVERNOR] = string_fact(m, "governor");
		in->facts[CB_FACT_TOPOLOGY] = topology_fact(json_object_get(m, "topology"));
	}
	const json_t *ch = json_object_get(doc->root, "machine_changes"), *v;
	size_t k;
	json_array_foreach(ch, k, v) {
		const char *w = json_string_value(json_object_get(v, "workload"));
		double at = json_number_value(json_object_get(v, "at_s")), ratio = json_number_value(json_object_get(v, "ratio"));
		if (!w || !(ratio > 0))
			continue;
		in->changes = cb_xrealloc(in->changes, (in->nchanges + 1) * sizeof *in->changes);
		in->changes[in->nchanges++] = (cb_cmp_change){ cb_xstrdup(w), at, ratio };
	}
	for (size_t i = 0; i < doc->ncells && !rc; i++)
		rc = map_cell(rd, in, &doc->cells[i], i);
out:
	cb_rdoc_free(doc);
	return rc;
}

/* ---- Google Benchmark JSON ------------------------------------------- */

static int unit_seconds(reader *rd, const char *unit, const char *where, double *scale)
{
	static const char *const names[] = { "ns", "us", "ms", "s" };
	static const double mult[] = { 1e-9, 1e-6, 1e-3, 1 };
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(unit, names[i])) {
			*scale = mult[i];
			return 0;
		}
	return cb_error_set(rd->err, CB_EXIT_USAGE,
	                    "%s: %s: unknown time_unit '%.20s' (valid: ns, us, ms, s)", rd->name,
	                    where, unit);
}

static double gb_value(reader *rd, double real, double cpu, double items, double scale)
{
	switch (rd->metric) {
	case CB_METRIC_TIME: return real * scale;
	case CB_METRIC_CPU: return cpu * scale;
	case CB_METRIC_THROUGHPUT:
		/* items_per_second when the benchmark counts items, else runs per second */
		return items >= 0 ? items : real > 0 ? 1 / (real * scale) : 0;
	}
	return 0;
}

static cb_cmp_cell *gb_cell(cb_cmp_input *in, const char *name)
{
	for (size_t i = 0; i < in->ncells; i++)
		if (!strcmp(in->cells[i].key, name))
			return &in->cells[i];
	cb_cmp_cell *c = add_cell(in);
	c->key = cb_xstrdup(name);
	c->label = cb_xstrdup(name);
	return c;
}

static int read_gb_run(reader *rd, cb_cmp_input *in, const json_t *b, size_t idx, size_t *iters)
{
	char where[64];
	const char *name = NULL, *run_name = NULL, *run_type = "iteration", *unit = "ns", *msg = NULL;
	double real = 0, cpu = 0, items = -1, scale = 1;
	snprintf(where, sizeof where, "benchmarks[%zu]", idx);
	if (!json_is_object(b))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s must be an object, not %s",
		                    rd->name, where, type_name(b));
	if (get_string(rd, b, "name", where, true, &name) ||
	    get_string(rd, b, "run_name", where, false, &run_name) ||
	    get_string(rd, b, "run_type", where, false, &run_type) ||
	    get_string(rd, b, "time_unit", where, false, &unit) ||
	    get_string(rd, b, "error_message", where, false, &msg))
		return -1;
	/* Files from before run_type existed mark aggregates by aggregate_name. */
	if (!strcmp(run_type, "aggregate") || json_object_get(b, "aggregate_name"))
		return 0;
	if (strcmp(run_type, "iteration"))
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: %s: unknown run_type '%.20s' (valid: iteration, aggregate)",
		                    rd->name, where, run_type);
	cb_cmp_cell *c = gb_cell(in, run_name ? run_name : name);
	if (json_is_true(json_object_get(b, "error_occurred"))) {
		if (!c->failed)
			c->failed = cb_xstrdup(msg ? msg : "error_occurred");
		return 0;
	}
	if (get_number(rd, b, "real_time", where, true, &real) ||
	    get_number(rd, b, "cpu_time", where, true, &cpu) ||
	    get_number(rd, b, "items_per_second", where, false, &items) ||
	    unit_seconds(rd, unit, where, &scale))
		return -1;
	push(&c->reps, &c->nreps, gb_value(rd, real, cpu, items, scale));
	(*iters)++;
	return 0;
}

static int read_gbench(reader *rd, const json_t *root, cb_cmp_input *in)
{
	int rc;
	size_t iters = 0;
	in->format = "gbench";
	json_t *ctx = get_typed(rd, root, "context", "", JSON_OBJECT, false, &rc);
	if (rc)
		return -1;
	if (ctx) {
		json_t *ncpu = json_object_get(ctx, "num_cpus");
		in->facts[CB_FACT_HOST] = string_fact(ctx, "host_name");
		if (json_is_integer(ncpu))
			in->facts[CB_FACT_TOPOLOGY] = cb_xasprintf("num_cpus=%lld",
			                                           (long long)json_integer_value(ncpu));
	}
	json_t *bs = get_typed(rd, root, "benchmarks", "", JSON_ARRAY, true, &rc);
	if (rc)
		return -1;
	for (size_t i = 0; i < json_array_size(bs); i++)
		if (read_gb_run(rd, in, json_array_get(bs, i), i, &iters))
			return -1;
	if (!iters && json_array_size(bs))
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: no repetitions, only aggregates (run without "
		                    "--benchmark_report_aggregates_only)", rd->name);
	return 0;
}

/* ---- entry points ---------------------------------------------------- */

static int parse_root(reader *rd, const char *data, size_t len, json_t **root)
{
	json_error_t je;
	if (!len)
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: empty file (valid: a concbench "
		                    "results.json or Google Benchmark JSON)", rd->name);
	if (cb_text_is_binary(data, len))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: binary data, not JSON (valid: a "
		                    "concbench results.json or Google Benchmark JSON)", rd->name);
	*root = json_loadb(data, len, 0, &je);
	if (!*root)
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: not valid JSON at line %d, column %d: %s",
		                    rd->name, je.line, je.column, je.text);
	if (!json_is_object(*root))
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: top level must be an object, not %s", rd->name,
		                    type_name(*root));
	return 0;
}

int cb_cmp_input_parse(const char *name, const char *data, size_t len, cb_metric metric,
                       cb_cmp_input **out, cb_error *err)
{
	reader rd = { name, metric, err, { name, err } };
	json_t *root = NULL;
	cb_cmp_input *in = cb_xcalloc(1, sizeof *in);
	int rc = -1;
	in->path = cb_xstrdup(name);
	in->format = "concbench";
	if (parse_root(&rd, data, len, &root))
		goto out;
	if (json_object_get(root, "schema"))
		rc = read_concbench(&rd, root, in);
	else if (json_object_get(root, "benchmarks"))
		rc = read_gbench(&rd, root, in);
	else if (json_object_get(root, "results"))
		rc = cb_hyperfine_read(name, root, metric, in, err);
	else
		rc = cb_error_set(err, CB_EXIT_USAGE, "%s: neither a concbench results file (no "
		                  "'schema'), Google Benchmark JSON (no 'benchmarks') nor hyperfine "
		                  "JSON (no 'results')", name);
out:
	json_decref(root);
	if (rc) {
		cb_cmp_input_free(in);
		return -1;
	}
	*out = in;
	return 0;
}

int cb_cmp_input_load(const char *path, cb_metric metric, cb_cmp_input **out, cb_error *err)
{
	char *data;
	size_t len;
	if (cb_results_load(path, &data, &len, err))
		return -1;
	int rc = cb_cmp_input_parse(path, data, len, metric, out, err);
	free(data);
	return rc;
}

/* Keys read "workload[k=v;k=v]/strategy/...": the entry for `name` is cut
 * out of the bracket. */
void cb_cmp_input_ignore_param(cb_cmp_input *in, const char *name)
{
	size_t nlen = strlen(name);
	for (size_t i = 0; i < in->ncells; i++) {
		char *key = in->cells[i].key;
		char *open = strchr(key, '['), *close = open ? strchr(open, ']') : NULL;
		if (!close)
			continue;
		for (char *p = open + 1; p < close;) {
			char *end = p + strcspn(p, ";]");
			if ((size_t)(end - p) > nlen && !strncmp(p, name, nlen) && p[nlen] == '=') {
				/* Drop "k=v" and one separator next to it. */
				char *from = *end == ';' ? end + 1 : end;
				char *to = *end != ';' && p > open + 1 ? p - 1 : p;
				memmove(to, from, strlen(from) + 1);
				break;
			}
			p = *end == ';' ? end + 1 : end;
		}
	}
}
