/* hyperfine's --export-json as compare input. One cell per results[] entry:
 * label = `command` (hyperfine writes the -n name there when one was
 * given), repetitions = `times` (wall seconds per run), failed when any
 * run's exit code was not 0. With --parameter-scan or --parameter-list the
 * entry's `parameters` join the cell's identity as "command[k=v;...]", the
 * values in the command replaced by {k}, so that --ignore-param k matches
 * the same command across two values of k as it does for concbench cells. */
#include "compare/hyperfine_read.h"
#include "resultfile/file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VALID "valid: hyperfine --export-json output"

static char *replace_all(const char *s, const char *what, const char *with)
{
	size_t wl = strlen(what), n = 0;
	for (const char *p = strstr(s, what); p; p = strstr(p + wl, what))
		n++;
	char *out = cb_xmalloc(strlen(s) + n * strlen(with) + 1), *o = out;
	for (const char *p; (p = strstr(s, what)); s = p + wl) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		o += sprintf(o, "%s", with);
	}
	strcpy(o, s);
	return out;
}

/* Longer values first, so that a value inside another ("1" in "10") does
 * not cut it. */
static int by_value_length(const void *a, const void *b, void *vals)
{
	size_t la = strlen(json_string_value(json_object_get(vals, *(const char *const *)a)));
	size_t lb = strlen(json_string_value(json_object_get(vals, *(const char *const *)b)));
	return (la < lb) - (la > lb);
}

/* "command[k=v;...]" with each value in the command written {k}. */
static int cell_key(const char *name, const char *where, const char *command,
                    const json_t *params, char **key, cb_error *err)
{
	size_t n = json_object_size(params), i = 0;
	const char **keys = cb_xcalloc(n + 1, sizeof *keys), *k;
	json_t *v;
	json_t *text = json_object();   /* parameter values as text */
	json_object_foreach((json_t *)params, k, v) {
		char *s;
		if (json_is_string(v))
			s = cb_xstrdup(json_string_value(v));
		else if (json_is_number(v) && isfinite(json_number_value(v)))
			s = cb_xasprintf("%.17g", json_number_value(v));
		else {
			free(keys);
			json_decref(text);
			return cb_error_set(err, CB_EXIT_USAGE, "%s: %s: parameter '%s' must be a "
			                    "string or a number, not %s (" VALID ")", name, where, k,
			                    cb_json_type_name(v));
		}
		json_object_set_new(text, k, json_string(s));
		free(s);
		keys[i++] = k;
	}
	char *tmpl = cb_xstrdup(command);
	qsort_r(keys, n, sizeof *keys, by_value_length, text);
	for (i = 0; i < n; i++) {
		const char *val = json_string_value(json_object_get(text, keys[i]));
		if (!*val)
			continue;
		char *brace = cb_xasprintf("{%s}", keys[i]);
		char *t = replace_all(tmpl, val, brace);
		free(brace);
		free(tmpl);
		tmpl = t;
	}
	/* The parameters as every cell's identity writes them (file.h). */
	cb_jreader rd = { name, err };
	char *pk = NULL;
	if (cb_params_key(&rd, text, where, &pk))
		abort();   /* every value in text is a string */
	char *s = n ? cb_xasprintf("%s[%s]", tmpl, pk) : cb_xstrdup(tmpl);
	free(pk);
	free(tmpl);
	free(keys);
	json_decref(text);
	*key = s;
	return 0;
}

/* "exit code 1 in 3 of 10 runs", or NULL when every run exited 0. */
static int exit_problem(const char *name, const char *where, const json_t *codes, char **why,
                        cb_error *err)
{
	size_t i, bad = 0, n = json_array_size(codes);
	json_t *c, *first = NULL;
	*why = NULL;
	if (!codes)
		return 0;
	if (!json_is_array(codes))
		return cb_error_set(err, CB_EXIT_USAGE, "%s: %s: 'exit_codes' must be an array, not "
		                    "%s (" VALID ")", name, where, cb_json_type_name(codes));
	json_array_foreach(codes, i, c) {
		if (!json_is_integer(c) && !json_is_null(c))
			return cb_error_set(err, CB_EXIT_USAGE, "%s: %s: exit_codes[%zu] must be an "
			                    "integer or null, not %s (" VALID ")", name, where, i,
			                    cb_json_type_name(c));
		/* null: the command was ended by a signal. */
		if (json_is_null(c) || json_integer_value(c)) {
			bad++;
			first = first ? first : c;
		}
	}
	if (!bad)
		return 0;
	if (json_is_null(first))
		*why = cb_xasprintf("ended by a signal in %zu of %zu runs", bad, n);
	else
		*why = cb_xasprintf("exit code %lld in %zu of %zu runs",
		                    (long long)json_integer_value(first), bad, n);
	return 0;
}

static int read_entry(const char *name, const json_t *e, size_t idx, cb_metric metric,
                      cb_cmp_input *in, cb_error *err)
{
	char where[64];
	snprintf(where, sizeof where, "results[%zu]", idx);
	if (!json_is_object(e))
		return cb_error_set(err, CB_EXIT_USAGE, "%s: %s must be an object, not %s (" VALID ")",
		                    name, where, cb_json_type_name(e));
	json_t *cmd = json_object_get(e, "command"), *times = json_object_get(e, "times");
	json_t *params = json_object_get(e, "parameters");
	if (!json_is_string(cmd))
		return cb_error_set(err, CB_EXIT_USAGE, "%s: %s: 'command' %s%s (" VALID ")", name,
		                    where, cmd ? "must be a string, not " : "is missing",
		                    cmd ? cb_json_type_name(cmd) : "");
	if (!json_is_array(times))
		return cb_error_set(err, CB_EXIT_USAGE, "%s: %s: 'times' %s%s (" VALID ", whose "
		                    "entries list every run's time)", name, where,
		                    times ? "must be an array, not " : "is missing",
		                    times ? cb_json_type_name(times) : "");
	if (params && !json_is_null(params) && !json_is_object(params))
		return cb_error_set(err, CB_EXIT_USAGE, "%s: %s: 'parameters' must be an object, not "
		                    "%s (" VALID ")", name, where, cb_json_type_name(params));
	char *key = NULL, *why = NULL;
	if (cell_key(name, where, json_string_value(cmd), json_is_object(params) ? params : NULL,
	             &key, err))
		return -1;
	for (size_t i = 0; i < in->ncells; i++)
		if (!strcmp(in->cells[i].key, key)) {
			free(key);
			return cb_error_set(err, CB_EXIT_USAGE, "%s: %s: the same command as results[%zu] "
			                    "(give each a name with hyperfine -n)", name, where, i);
		}
	if (exit_problem(name, where, json_object_get(e, "exit_codes"), &why, err)) {
		free(key);
		return -1;
	}
	in->cells = cb_xrealloc(in->cells, (in->ncells + 1) * sizeof *in->cells);
	cb_cmp_cell *c = &in->cells[in->ncells++];
	*c = (cb_cmp_cell){ .key = key, .label = cb_xstrdup(json_string_value(cmd)), .failed = why };
	size_t n = json_array_size(times);
	c->reps = cb_xcalloc(n + 1, sizeof *c->reps);
	for (size_t i = 0; i < n; i++) {
		json_t *t = json_array_get(times, i);
		double d = json_number_value(t);
		if (!json_is_number(t) || !isfinite(d) || d < 0)
			return cb_error_set(err, CB_EXIT_USAGE, "%s: %s: times[%zu] must be a "
			                    "non-negative number of seconds, not %s", name, where, i,
			                    json_is_number(t) ? "negative" : cb_json_type_name(t));
		/* throughput: runs per second */
		c->reps[c->nreps++] = metric == CB_METRIC_THROUGHPUT ? (d > 0 ? 1 / d : 0) : d;
	}
	return 0;
}

int cb_hyperfine_read(const char *name, const json_t *root, cb_metric metric, cb_cmp_input *in,
                      cb_error *err)
{
	json_t *results = json_object_get(root, "results");
	in->format = "hyperfine";
	if (!json_is_array(results))
		return cb_error_set(err, CB_EXIT_USAGE, "%s: 'results' must be an array, not %s (" VALID
		                    ")", name, cb_json_type_name(results));
	if (metric == CB_METRIC_CPU)
		return cb_error_set(err, CB_EXIT_USAGE, "%s: hyperfine keeps user and system time only "
		                    "as means over all runs, not per run (valid --metric for hyperfine "
		                    "files: time, throughput)", name);
	for (size_t i = 0; i < json_array_size(results); i++)
		if (read_entry(name, json_array_get(results, i), i, metric, in, err))
			return -1;
	return 0;
}
