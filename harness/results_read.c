/* Reads results.json (concbench.results/1) and N,X CSV files into the flat
 * views analyze, plot and report work on. Tolerant of fields added later
 * within version 1, strict about the ones it needs. */
#include "results_read.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis.h"

int cb_read_text_file(const char *path, char **text, size_t *len, cb_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, used = 0;
	FILE *f = NULL;
	int rc = -1;

	if (stat(path, &st))
		return cb_error_set(err, CB_EXIT_USAGE, "cannot open '%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "'%s' is a directory (valid: a results.json or a CSV of N,X rows)", path);
	f = fopen(path, "rb");
	if (!f) {
		cb_error_set(err, CB_EXIT_USAGE, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (cap - used < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		size_t r = fread(buf + used, 1, cap - used - 1, f);
		used += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		cb_error_set(err, CB_EXIT_USAGE, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	buf[used] = 0;
	*text = buf;
	*len = used;
	buf = NULL;
	rc = 0;
out:
	if (f)
		fclose(f);
	free(buf);
	return rc;
}

bool cb_text_is_json(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	return *text == '{' || *text == '[';
}

/* ---- CSV ---- */

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

typedef struct csv_state {
	double *n, *x;
	size_t *line;  /* source line of each point, for duplicate errors */
	size_t k, cap;
	bool seen_row;
} csv_state;

static int csv_row(csv_state *st, const char *path, size_t lineno, char *row, cb_error *err)
{
	char *fields[3] = { 0 };
	size_t nf = 0;
	for (char *p = row, *tok; (tok = strsep(&p, ",")) != NULL;) {
		if (nf < 3)
			fields[nf] = trim(tok);
		nf++;
	}
	if (nf != 2)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "%s:%zu: expected 2 fields N,X, found %zu", path, lineno, nf);
	double v[2];
	for (int i = 0; i < 2; i++) {
		if (cb_parse_double(fields[i], &v[i]) == 0)
			continue;
		if (!st->seen_row && i == 0)
			return 1;  /* a header line */
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "%s:%zu: field %d (%s) '%s' is not a number", path, lineno,
		                    i + 1, i ? "X" : "N", fields[i]);
	}
	st->seen_row = true;
	if (!(v[0] > 0))
		return cb_error_set(err, CB_EXIT_USAGE, "%s:%zu: N = %g must be > 0", path, lineno, v[0]);
	if (!(v[1] > 0))
		return cb_error_set(err, CB_EXIT_USAGE, "%s:%zu: X = %g must be > 0", path, lineno, v[1]);
	for (size_t i = 0; i < st->k; i++)
		if (st->n[i] == v[0])
			return cb_error_set(err, CB_EXIT_USAGE, "%s:%zu: duplicate N = %g (first on line %zu)",
			                    path, lineno, v[0], st->line[i]);
	if (st->k == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->n = realloc(st->n, st->cap * sizeof *st->n);
		st->x = realloc(st->x, st->cap * sizeof *st->x);
		st->line = realloc(st->line, st->cap * sizeof *st->line);
		if (!st->n || !st->x || !st->line)
			abort();
	}
	st->n[st->k] = v[0];
	st->x[st->k] = v[1];
	st->line[st->k++] = lineno;
	return 0;
}

static void sort_points(double *n, double *x, size_t k)
{
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && n[j - 1] > n[j]; j--) {
			double t = n[j]; n[j] = n[j - 1]; n[j - 1] = t;
			t = x[j]; x[j] = x[j - 1]; x[j - 1] = t;
		}
}

int cb_points_read_csv(const char *path, const char *text, double **n, double **x,
                       size_t *k, cb_error *err)
{
	csv_state st = { 0 };
	char *copy = cb_xstrdup(text), *p = copy, *line;
	size_t lineno = 0;
	int rc = -1;
	while ((line = strsep(&p, "\n")) != NULL) {
		lineno++;
		char *t = trim(line);
		if (!*t || *t == '#')
			continue;
		int r = csv_row(&st, path, lineno, t, err);
		if (r < 0)
			goto out;
	}
	if (st.k < 3) {
		cb_error_set(err, CB_EXIT_USAGE,
		             "%s: %zu point%s, the fits need at least 3 rows of N,X", path, st.k,
		             st.k == 1 ? "" : "s");
		goto out;
	}
	sort_points(st.n, st.x, st.k);
	*n = st.n;
	*x = st.x;
	*k = st.k;
	st.n = st.x = NULL;
	rc = 0;
out:
	free(st.n);
	free(st.x);
	free(st.line);
	free(copy);
	return rc;
}

/* ---- results.json ---- */

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static double num_or(json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

static long int_or(json_t *o, const char *key, long dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static int need(bool ok, const cb_rdoc *d, size_t i, json_t *cell, const char *what,
                cb_error *err)
{
	if (ok)
		return 0;
	return cb_error_set(err, CB_EXIT_USAGE, "%s: cells[%zu] (%s): %s", d->path, i,
	                    str_or(cell, "id", "no id"), what);
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "k=v;k=v" sorted by key, so equal parameter sets compare equal. Built in a
 * growing buffer: the values are whatever the file holds, of any length. */
static char *params_text(json_t *params)
{
	size_t n = json_object_size(params), i = 0, len = 0;
	const char **keys = cb_xcalloc(n, sizeof *keys);
	const char *key;
	char *s = NULL;
	json_t *val;
	json_object_foreach(params, key, val)
		keys[i++] = key;
	qsort(keys, n, sizeof *keys, cmp_key);
	FILE *f = open_memstream(&s, &len);
	if (!f)
		abort();
	for (i = 0; i < n; i++) {
		json_t *v = json_object_get(params, keys[i]);
		if (json_is_string(v))
			fprintf(f, "%s%s=%s", i ? ";" : "", keys[i], json_string_value(v));
		else
			fprintf(f, "%s%s=%.17g", i ? ";" : "", keys[i], json_number_value(v));
	}
	if (fclose(f))
		abort();
	free(keys);
	return s;
}

/* Medians of the phase times over the repetitions, the most migrations. */
static void read_reps(cb_rcell *c, json_t *reps)
{
	size_t n = json_array_size(reps), i;
	double *pre = cb_xcalloc(n, sizeof *pre), *par = cb_xcalloc(n, sizeof *par);
	double *post = cb_xcalloc(n, sizeof *post), *cpu = cb_xcalloc(n, sizeof *cpu);
	json_t *r;
	c->migrations = -1;
	c->rep_wall = cb_xcalloc(n + 1, sizeof *c->rep_wall);
	c->rep_par = cb_xcalloc(n + 1, sizeof *c->rep_par);
	json_array_foreach(reps, i, r) {
		c->rep_wall[i] = num_or(r, "wall_s", NAN);
		c->rep_par[i] = num_or(r, "par_s", NAN);
		pre[i] = num_or(r, "pre_s", NAN);
		par[i] = num_or(r, "par_s", NAN);
		post[i] = num_or(r, "post_s", NAN);
		cpu[i] = num_or(r, "user_s", NAN) + num_or(r, "sys_s", NAN);
		long m = int_or(r, "migrations", -1);
		/* Moves of freshly created executors onto their PUs are part of
		 * starting them, not migrations of running work. */
		if (m > 0)
			m -= int_or(r, "start_moves", 0);
		if (m > c->migrations)
			c->migrations = m;
	}
	c->nreps = n;
	c->pre_s = cb_median(pre, n);
	c->par_s = cb_median(par, n);
	c->post_s = cb_median(post, n);
	c->cpu_s = cb_median(cpu, n);
	free(pre);
	free(par);
	free(post);
	free(cpu);
}

static int read_cell(cb_rdoc *d, size_t i, json_t *j, cb_error *err)
{
	cb_rcell *c = &d->cells[i];
	json_t *stats = json_object_get(j, "stats"), *lat = json_object_get(j, "latency");
	/* A cell that failed or never ran has no times, and need none. */
	bool ran = json_is_object(j) && !json_is_string(json_object_get(j, "error")) &&
	           !json_is_string(json_object_get(j, "skipped"));
	if (need(json_is_object(j), d, i, j, "not an object", err) ||
	    need(json_is_string(json_object_get(j, "workload")), d, i, j, "'workload' is missing or not a string", err) ||
	    need(json_is_string(json_object_get(j, "strategy")), d, i, j, "'strategy' is missing or not a string", err) ||
	    need(int_or(j, "workers", 0) >= 1, d, i, j, "'workers' is missing or not an integer >= 1", err) ||
	    need(json_is_object(stats), d, i, j, "'stats' is missing or not an object", err) ||
	    need(!ran || num_or(stats, "median_s", 0) > 0, d, i, j, "'stats.median_s' is missing or not a number > 0", err) ||
	    need(json_is_array(json_object_get(j, "reps")), d, i, j, "'reps' is missing or not an array", err))
		return -1;
	c->id = str_or(j, "id", "?");
	c->workload = str_or(j, "workload", "?");
	c->kind = str_or(j, "kind", "cpu");
	c->strategy = str_or(j, "strategy", "?");
	c->pin = str_or(j, "pin", "none");
	c->schedule = str_or(j, "schedule", "static");
	c->error = str_or(j, "error", NULL);
	c->skipped = str_or(j, "skipped", NULL);
	c->params = params_text(json_object_get(j, "params"));
	c->workers = (int)int_or(j, "workers", 1);
	c->concurrency = (int)int_or(j, "concurrency", c->workers);
	c->threads = (int)int_or(j, "threads", 1);
	c->usable_pus = (int)int_or(j, "usable_pus", d->allowed_pus);
	c->oversubscribed = json_is_true(json_object_get(j, "oversubscribed"));
	c->checksum_ok = !json_is_false(json_object_get(j, "checksum_ok"));
	c->median_s = num_or(stats, "median_s", NAN);
	c->min_s = num_or(stats, "min_s", c->median_s);
	c->max_s = num_or(stats, "max_s", c->median_s);
	c->cv = num_or(stats, "cv", NAN);
	c->ntasks = int_or(j, "ntasks", 0);
	c->scale = (int)int_or(j, "scale", 0);
	c->throughput = num_or(j, "throughput", c->ntasks > 0 ? (double)c->ntasks / c->median_s : NAN);
	c->serial_fraction = num_or(j, "serial_fraction", NAN);
	c->lat_p50 = num_or(lat, "p50_s", NAN);
	c->lat_p90 = num_or(lat, "p90_s", NAN);
	c->lat_p99 = num_or(lat, "p99_s", NAN);
	c->lat_max = num_or(lat, "max_s", NAN);
	read_reps(c, json_object_get(j, "reps"));
	return 0;
}

static int read_top(cb_rdoc *d, cb_error *err)
{
	json_t *root = d->root;
	const char *schema = str_or(root, "schema", NULL);
	if (!json_is_object(root) || !schema)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "'%s' is not a concbench results file: no 'schema' (valid: %s)",
		                    d->path, CB_RESULTS_SCHEMA);
	if (strcmp(schema, CB_RESULTS_SCHEMA))
		return cb_error_set(err, CB_EXIT_USAGE, "'%s' has schema '%s' (valid: %s)",
		                    d->path, schema, CB_RESULTS_SCHEMA);
	if (!json_is_array(json_object_get(root, "cells")))
		return cb_error_set(err, CB_EXIT_USAGE, "%s: 'cells' is missing or not an array", d->path);
	json_t *m = json_object_get(root, "machine"), *topo = json_object_get(m, "topology");
	json_t *cfg = json_object_get(root, "config");
	d->host = str_or(m, "host", "unknown host");
	d->kernel = str_or(m, "kernel", "");
	d->cpu_model = str_or(m, "cpu_model", "");
	d->clocksource = str_or(m, "clocksource", NULL);
	d->governor = str_or(m, "governor", NULL);
	d->created = str_or(root, "created", "");
	json_t *la = json_array_get(json_object_get(m, "loadavg"), 0);
	d->loadavg1 = json_is_number(la) ? json_number_value(la) : NAN;
	d->allowed_pus = (int)int_or(topo, "allowed_pus", int_or(topo, "pus", 0));
	d->weak_scaling = !strcmp(str_or(cfg, "scaling", "strong"), "weak");
	d->complete = !json_is_false(json_object_get(root, "complete"));
	return 0;
}

static int read_doc(cb_rdoc *d, cb_rdoc **out, cb_error *err);

int cb_results_parse(const char *path, const char *text, size_t len, cb_rdoc **out,
                     cb_error *err)
{
	json_error_t jerr;
	cb_rdoc *d = cb_xcalloc(1, sizeof *d);
	d->path = path;
	d->root = json_loadb(text, len, 0, &jerr);
	if (!d->root) {
		cb_error_set(err, CB_EXIT_USAGE, "%s:%d:%d: invalid JSON: %s", path, jerr.line,
		             jerr.column, jerr.text);
		cb_rdoc_free(d);
		return -1;
	}
	return read_doc(d, out, err);
}

int cb_results_from_json(const char *path, json_t *root, cb_rdoc **out, cb_error *err)
{
	cb_rdoc *d = cb_xcalloc(1, sizeof *d);
	d->path = path;
	d->root = json_incref(root);
	return read_doc(d, out, err);
}

static int read_doc(cb_rdoc *d, cb_rdoc **out, cb_error *err)
{
	if (read_top(d, err))
		goto fail;
	json_t *cells = json_object_get(d->root, "cells"), *c;
	size_t i;
	d->cells = cb_xcalloc(json_array_size(cells), sizeof *d->cells);
	/* A micro run holds only micro cells: a price list, not series. */
	d->micro = json_array_size(cells) &&
	           !strcmp(str_or(json_array_get(cells, 0), "kind", ""), "micro");
	if (d->micro)
		cells = NULL;
	json_array_foreach(cells, i, c) {
		d->ncells = i + 1;
		if (read_cell(d, i, c, err))
			goto fail;
	}
	*out = d;
	return 0;
fail:
	cb_rdoc_free(d);
	return -1;
}

int cb_results_read(const char *path, cb_rdoc **out, cb_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;
	if (cb_read_text_file(path, &text, &len, err))
		goto out;
	rc = cb_results_parse(path, text, len, out, err);
out:
	free(text);
	return rc;
}

void cb_rdoc_free(cb_rdoc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->ncells; i++) {
		free(doc->cells[i].params);
		free(doc->cells[i].rep_wall);
		free(doc->cells[i].rep_par);
	}
	free(doc->cells);
	json_decref(doc->root);
	free(doc);
}
