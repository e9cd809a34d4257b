/* compare, the readers: a concbench results.json (schema concbench.results/1)
 * or a Google Benchmark JSON file (--benchmark_out) becomes one list of cells
 * with samples of the chosen metric. Every malformed input is an error that
 * names the file and what is wrong; none may crash the reader (fuzzed by
 * tests/fuzz/fuzz_results.c). */
#include "compare.h"
#include "hyperfine_read.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#define SCHEMA "concbench.results/1"
/* Larger inputs are refused rather than read: no results file comes near it. */
#define MAX_INPUT_BYTES (512u << 20)

typedef struct reader {
	const char *name;   /* the file, for messages */
	cb_metric metric;
	cb_error *err;
} reader;

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int missing(reader *rd, const char *where, const char *what)
{
	return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s%smissing '%s'", rd->name, where,
	                    *where ? ": " : "", what);
}

/* Typed field access: 0 and the value, or -1 with the error set. A missing
 * optional field leaves *out untouched. */
static int get_string(reader *rd, const json_t *obj, const char *key, const char *where,
                      bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? missing(rd, where, key) : 0;
	if (!json_is_string(v))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s%s'%s' must be a string, not %s",
		                    rd->name, where, *where ? ": " : "", key, type_name(v));
	*out = json_string_value(v);
	return 0;
}

static int get_int(reader *rd, const json_t *obj, const char *key, const char *where,
                   bool required, long long *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? missing(rd, where, key) : 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: %s%s'%s' must be a non-negative integer, not %s", rd->name,
		                    where, *where ? ": " : "", key,
		                    json_is_integer(v) ? "negative" : type_name(v));
	*out = json_integer_value(v);
	return 0;
}

static int get_number(reader *rd, const json_t *obj, const char *key, const char *where,
                      bool required, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? missing(rd, where, key) : 0;
	double d = json_number_value(v);
	if (!json_is_number(v) || !isfinite(d) || d < 0)
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: %s%s'%s' must be a non-negative number, not %s", rd->name,
		                    where, *where ? ": " : "", key,
		                    json_is_number(v) ? "negative" : type_name(v));
	*out = d;
	return 0;
}

static json_t *get_typed(reader *rd, const json_t *obj, const char *key, const char *where,
                         json_type type, bool required, int *rc)
{
	static const char *const names[] = { "an object", "an array" };
	json_t *v = json_object_get(obj, key);
	*rc = 0;
	if (!v) {
		if (required)
			*rc = missing(rd, where, key);
		return NULL;
	}
	if (json_typeof(v) != type) {
		*rc = cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s%s'%s' must be %s, not %s", rd->name,
		                   where, *where ? ": " : "", key, names[type == JSON_ARRAY],
		                   type_name(v));
		return NULL;
	}
	return v;
}

/* ---- cells ----------------------------------------------------------- */

static void cell_free(cb_cmp_cell *c)
{
	free(c->key);
	free(c->label);
	free(c->reps);
	free(c->rounds);
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
	free(in->cells);
	free(in->path);
	free(in);
}

static cb_cmp_cell *add_cell(cb_cmp_input *in)
{
	in->cells = realloc(in->cells, (in->ncells + 1) * sizeof *in->cells);
	if (!in->cells)
		abort();
	cb_cmp_cell *c = &in->cells[in->ncells++];
	memset(c, 0, sizeof *c);
	return c;
}

/* Appends to an array whose capacity doubles at each power of two. */
static void push(double **v, size_t *n, double x)
{
	if (*n == 0 || !(*n & (*n - 1))) {
		*v = realloc(*v, (*n < 4 ? 4 : *n * 2) * sizeof **v);
		if (!*v)
			abort();
	}
	(*v)[(*n)++] = x;
}

/* ---- concbench results.json ------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "k=v,k=v" in key order; values as the text the file holds. */
static int params_text(reader *rd, const json_t *params, const char *where, char **out)
{
	size_t n = json_object_size(params), len = 1, i = 0;
	const char **keys = cb_xcalloc(n + 1, sizeof *keys);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)params, k, v) {
		if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v)) {
			free(keys);
			return cb_error_set(rd->err, CB_EXIT_USAGE,
			                    "%s: %s: parameter '%s' must be text, not %s", rd->name, where,
			                    k, type_name(v));
		}
		keys[i++] = k;
	}
	qsort(keys, n, sizeof *keys, cmp_str);
	char **vals = cb_xcalloc(n + 1, sizeof *vals);
	for (i = 0; i < n; i++) {
		v = json_object_get(params, keys[i]);
		vals[i] = json_is_string(v) ? cb_xstrdup(json_string_value(v))
		                            : json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		if (!vals[i])
			abort();
		len += strlen(keys[i]) + strlen(vals[i]) + 2;
	}
	char *s = cb_xmalloc(len), *p = s;
	*p = 0;
	for (i = 0; i < n; i++) {
		p += sprintf(p, "%s%s=%s", i ? "," : "", keys[i], vals[i]);
		free(vals[i]);
	}
	free(vals);
	free(keys);
	*out = s;
	return 0;
}

/* One repetition's value of the metric. */
static int rep_value(reader *rd, const json_t *rep, const char *where, long long ntasks,
                     double *out)
{
	double wall = 0, user = 0, sys = 0;
	if (!json_is_object(rep))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s must be an object, not %s",
		                    rd->name, where, type_name(rep));
	if (get_number(rd, rep, "wall_s", where, true, &wall))
		return -1;
	switch (rd->metric) {
	case CB_METRIC_TIME:
		*out = wall;
		return 0;
	case CB_METRIC_THROUGHPUT:
		*out = wall > 0 ? (double)ntasks / wall : 0;
		return 0;
	case CB_METRIC_CPU:
		if (get_number(rd, rep, "user_s", where, true, &user) ||
		    get_number(rd, rep, "sys_s", where, true, &sys))
			return -1;
		*out = user + sys;
		return 0;
	}
	return 0;
}

static int read_samples(reader *rd, const json_t *cell, const char *where, long long ntasks,
                        cb_cmp_cell *c)
{
	int rc;
	char at[400];
	json_t *reps = get_typed(rd, cell, "reps", where, JSON_ARRAY, true, &rc);
	if (rc)
		return -1;
	for (size_t i = 0; i < json_array_size(reps); i++) {
		double v = 0;
		snprintf(at, sizeof at, "%s: reps[%zu]", where, i);
		if (rep_value(rd, json_array_get(reps, i), at, ntasks, &v))
			return -1;
		push(&c->reps, &c->nreps, v);
	}
	json_t *rounds = get_typed(rd, cell, "rounds", where, JSON_ARRAY, false, &rc);
	if (rc)
		return -1;
	for (size_t i = 0; i < json_array_size(rounds); i++) {
		json_t *v = json_array_get(rounds, i);
		double d = json_number_value(v);
		if (!json_is_number(v) || !isfinite(d) || d < 0)
			return cb_error_set(rd->err, CB_EXIT_USAGE,
			                    "%s: %s: rounds[%zu] must be a non-negative number, not %s",
			                    rd->name, where, i, json_is_number(v) ? "negative" : type_name(v));
		/* Rounds hold wall seconds; CPU time is not kept per round. */
		if (rd->metric == CB_METRIC_TIME)
			push(&c->rounds, &c->nrounds, d);
		else if (rd->metric == CB_METRIC_THROUGHPUT)
			push(&c->rounds, &c->nrounds, d > 0 ? (double)ntasks / d : 0);
	}
	return 0;
}

typedef struct cell_id {
	const char *workload, *strategy, *schedule, *pin, *id;
	long long workers, concurrency, threads, ntasks;
} cell_id;

static int read_identity(reader *rd, const json_t *cell, const char *where, cell_id *ci)
{
	*ci = (cell_id){ .schedule = "static", .pin = "none", .concurrency = -1, .threads = 1,
	                 .ntasks = -1 };
	if (get_string(rd, cell, "id", where, false, &ci->id) ||
	    get_string(rd, cell, "workload", where, true, &ci->workload) ||
	    get_string(rd, cell, "strategy", where, true, &ci->strategy) ||
	    get_string(rd, cell, "schedule", where, false, &ci->schedule) ||
	    get_string(rd, cell, "pin", where, false, &ci->pin) ||
	    get_int(rd, cell, "workers", where, true, &ci->workers) ||
	    get_int(rd, cell, "concurrency", where, false, &ci->concurrency) ||
	    get_int(rd, cell, "threads", where, false, &ci->threads) ||
	    get_int(rd, cell, "ntasks", where, rd->metric == CB_METRIC_THROUGHPUT, &ci->ntasks))
		return -1;
	if (ci->concurrency < 0)
		ci->concurrency = ci->workers;
	return 0;
}

static int read_cell(reader *rd, cb_cmp_input *in, const json_t *cell, size_t idx)
{
	char where[300];
	cell_id ci;
	char *params = NULL;
	int rc;
	snprintf(where, sizeof where, "cells[%zu]", idx);
	if (!json_is_object(cell))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s must be an object, not %s",
		                    rd->name, where, type_name(cell));
	if (read_identity(rd, cell, where, &ci))
		return -1;
	if (ci.id)
		snprintf(where, sizeof where, "cells[%zu] '%.200s'", idx, ci.id);
	json_t *pj = get_typed(rd, cell, "params", where, JSON_OBJECT, false, &rc);
	if (rc)
		goto fail;
	if (!pj)
		params = cb_xstrdup("");
	else if (params_text(rd, pj, where, &params))
		goto fail;
	cb_cmp_cell *c = add_cell(in);
	c->key = cb_xasprintf("%s[%s]/%s/n%lld/c%lld/t%lld/%s/%s", ci.workload, params, ci.strategy,
	                      ci.workers, ci.concurrency, ci.threads, ci.pin, ci.schedule);
	c->label = cb_xstrdup(ci.id ? ci.id : c->key);
	free(params);
	params = NULL;
	json_t *e = json_object_get(cell, "error");
	if (e && json_is_string(e))
		c->failed = cb_xstrdup(json_string_value(e));
	else if (json_is_false(json_object_get(cell, "checksum_ok")))
		c->failed = cb_xstrdup("wrong checksum");
	if (read_samples(rd, cell, where, ci.ntasks, c))
		goto fail;
	for (size_t i = 0; i + 1 < in->ncells; i++)
		if (!strcmp(in->cells[i].key, c->key))
			return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s: the same cell as cells[%zu]",
			                    rd->name, where, i);
	return 0;
fail:
	free(params);
	return -1;
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

static int read_concbench(reader *rd, const json_t *root, cb_cmp_input *in)
{
	int rc;
	const char *schema = NULL;
	in->format = "concbench";
	if (get_string(rd, root, "schema", "", true, &schema))
		return -1;
	if (strcmp(schema, SCHEMA))
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: unsupported schema '%.100s' (valid: " SCHEMA ")", rd->name,
		                    schema);
	json_t *m = get_typed(rd, root, "machine", "", JSON_OBJECT, false, &rc);
	if (rc)
		return -1;
	if (m) {
		in->facts[CB_FACT_HOST] = string_fact(m, "host");
		in->facts[CB_FACT_CPU] = string_fact(m, "cpu_model");
		in->facts[CB_FACT_KERNEL] = string_fact(m, "kernel");
		in->facts[CB_FACT_GOVERNOR] = string_fact(m, "governor");
		in->facts[CB_FACT_TOPOLOGY] = topology_fact(json_object_get(m, "topology"));
	}
	json_t *cells = get_typed(rd, root, "cells", "", JSON_ARRAY, true, &rc);
	if (rc)
		return -1;
	for (size_t i = 0; i < json_array_size(cells); i++)
		if (read_cell(rd, in, json_array_get(cells, i), i))
			return -1;
	return 0;
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

/* Control bytes other than whitespace near the start: an executable or an
 * archive handed over by mistake, which deserves a plainer word than a
 * JSON syntax error. */
static bool looks_binary(const char *data, size_t len)
{
	for (size_t i = 0; i < len && i < 512; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return true;
		if (c == 0x7f)
			return true;
	}
	return false;
}

static int parse_root(reader *rd, const char *data, size_t len, json_t **root)
{
	json_error_t je;
	if (!len)
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: empty file (valid: a concbench "
		                    "results.json or Google Benchmark JSON)", rd->name);
	if (looks_binary(data, len))
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
	reader rd = { name, metric, err };
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

int cb_cmp_read_file(const char *path, char **data, size_t *len, cb_error *err)
{
	struct stat st;
	int rc = -1, fd = open(path, O_RDONLY | O_CLOEXEC);
	*data = NULL;
	if (fd < 0)
		return cb_error_set(err, CB_EXIT_USAGE, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: is a directory (valid: a results.json file)", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_INPUT_BYTES) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: not a regular file of at most %u MiB", path,
		             MAX_INPUT_BYTES >> 20);
		goto out;
	}
	*data = cb_xmalloc((size_t)st.st_size + 1);
	*len = 0;
	for (ssize_t r; *len < (size_t)st.st_size; *len += (size_t)r) {
		r = read(fd, *data + *len, (size_t)st.st_size - *len);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0) {
			cb_error_set(err, CB_EXIT_USAGE, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (!r)
			break;
	}
	rc = 0;
out:
	close(fd);
	if (rc) {
		free(*data);
		*data = NULL;
	}
	return rc;
}

int cb_cmp_input_load(const char *path, cb_metric metric, cb_cmp_input **out, cb_error *err)
{
	char *data;
	size_t len;
	if (cb_cmp_read_file(path, &data, &len, err))
		return -1;
	int rc = cb_cmp_input_parse(path, data, len, metric, out, err);
	free(data);
	return rc;
}

/* Keys read "workload[k=v,k=v]/strategy/...": the entry for `name` is cut
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
			char *end = p + strcspn(p, ",]");
			if ((size_t)(end - p) > nlen && !strncmp(p, name, nlen) && p[nlen] == '=') {
				/* Drop "k=v" and one comma next to it. */
				char *from = *end == ',' ? end + 1 : end;
				char *to = *end != ',' && p > open + 1 ? p - 1 : p;
				memmove(to, from, strlen(from) + 1);
				break;
			}
			p = *end == ',' ? end + 1 : end;
		}
	}
}
