/* The one reader of results.json (the schema of file.h), and N,X CSV files
 * for analyze. Tolerant of fields added later within version 1, strict
 * about the ones it needs, each checked by type with the file and the JSON
 * path in the message. */
#include "resultfile/read.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/stats.h"

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
		st->n = cb_xrealloc(st->n, st->cap * sizeof *st->n);
		st->x = cb_xrealloc(st->x, st->cap * sizeof *st->x);
		st->line = cb_xrealloc(st->line, st->cap * sizeof *st->line);
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

/* An optional non-negative number, NAN when missing or null. */
static int opt_number(cb_jreader *rd, json_t *o, const char *key, const char *where, double *out)
{
	*out = NAN;
	if (json_is_null(json_object_get(o, key)))
		return 0;
	return cb_jget_number(rd, o, key, where, false, out);
}

/* The repetitions: their samples, the medians of their phases, the most
 * migrations in one. */
static int read_reps(cb_jreader *rd, cb_rcell *c, json_t *reps, const char *where)
{
	size_t n = json_array_size(reps), i;
	double *pre = cb_xcalloc(n + 1, sizeof *pre);
	double *post = cb_xcalloc(n + 1, sizeof *post), *cpu = cb_xcalloc(n + 1, sizeof *cpu);
	c->wall = cb_xcalloc(n + 1, sizeof *c->wall);
	c->user = cb_xcalloc(n + 1, sizeof *c->user);
	c->sys = cb_xcalloc(n + 1, sizeof *c->sys);
	c->par = cb_xcalloc(n + 1, sizeof *c->par);
	c->serial = cb_xcalloc(n + 1, sizeof *c->serial);
	json_t *r;
	char at[400];
	int rc = -1;
	c->migrations = -1;
	/* A repetition at reduced capacity counts only in a cell that had
	 * none at full capacity (cb_rep_counts). */
	bool full = false;
	json_array_foreach(reps, i, r)
		full |= json_is_object(r) && !json_is_true(json_object_get(r, "reduced_capacity"));
	c->reps_in_file = n;
	size_t k;
	i = 0;
	json_array_foreach(reps, k, r) {
		snprintf(at, sizeof at, "%s: reps[%zu]", where, k);
		if (!json_is_object(r)) {
			cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s must be an object, not %s", rd->name,
			             at, cb_json_type_name(r));
			goto out;
		}
		if (full && json_is_true(json_object_get(r, "reduced_capacity")))
			continue;
		if (cb_jget_number(rd, r, "wall_s", at, true, &c->wall[i]) ||
		    opt_number(rd, r, "user_s", at, &c->user[i]) ||
		    opt_number(rd, r, "sys_s", at, &c->sys[i]))
			goto out;
		/* A serial repetition that had less than its PU pairs with nothing. */
		c->serial[i] = json_is_true(json_object_get(r, "serial_reduced")) ? NAN : num_or(r, "serial_s", NAN);
		pre[i] = num_or(r, "pre_s", NAN);
		c->par[i] = num_or(r, "par_s", NAN);
		post[i] = num_or(r, "post_s", NAN);
		cpu[i] = c->user[i] + c->sys[i];
		long m = int_or(r, "migrations", -1);
		/* Moves of freshly created executors onto their PUs are part of
		 * starting them, not migrations of running work. */
		if (m > 0)
			m -= int_or(r, "start_moves", 0);
		if (m > c->migrations)
			c->migrations = m;
		i++;
	}
	n = i;
	c->nreps = n;
	c->pre_s = cb_median(pre, n);
	c->par_s = cb_median(c->par, n);
	c->post_s = cb_median(post, n);
	c->cpu_s = cb_median(cpu, n);
	rc = 0;
out:
	free(pre);
	free(post);
	free(cpu);
	return rc;
}

static int read_rounds(cb_jreader *rd, cb_rcell *c, json_t *j, const char *where)
{
	int rc;
	json_t *rounds = cb_jget_typed(rd, j, "rounds", where, JSON_ARRAY, false, &rc);
	if (rc)
		return -1;
	c->rounds = cb_xcalloc(json_array_size(rounds) + 1, sizeof *c->rounds);
	c->round_reduced = cb_xcalloc(json_array_size(rounds) + 1, sizeof *c->round_reduced);
	json_t *reduced = json_object_get(j, "rounds_reduced");
	for (size_t i = 0; i < json_array_size(rounds); i++) {
		json_t *v = json_array_get(rounds, i);
		double d = json_number_value(v);
		if (!json_is_number(v) || !isfinite(d) || d < 0)
			return cb_error_set(rd->err, CB_EXIT_USAGE,
			                    "%s: %s: rounds[%zu] must be a non-negative number, not %s",
			                    rd->name, where, i,
			                    json_is_number(v) ? "negative" : cb_json_type_name(v));
		c->round_reduced[c->nrounds] = json_is_true(json_array_get(reduced, i));
		c->rounds[c->nrounds++] = d;
	}
	return 0;
}

/* A cell's figures: its median (written, or taken from its repetitions;
 * one that ran must have one), spread, throughput, serial fraction and
 * task latencies. 0, or -1 with rd's error set. */
static int read_figures(cb_jreader *rd, cb_rcell *c, json_t *j, const char *where)
{
	int rc;
	json_t *stats = cb_jget_typed(rd, j, "stats", where, JSON_OBJECT, false, &rc);
	if (rc)
		return -1;
	/* A cell that failed, was left out or has not run yet has no times,
	 * and needs none; one that ran has a median, written or taken from its
	 * repetitions. */
	bool ran = !c->error && !c->skipped && c->nreps > 0;
	c->median_s = num_or(stats, "median_s", cb_median(c->wall, c->nreps));
	if (ran && !(c->median_s > 0))
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: %s: 'stats.median_s' is missing or not a number > 0", rd->name,
		                    where);
	c->min_s = num_or(stats, "min_s", c->median_s);
	c->max_s = num_or(stats, "max_s", c->median_s);
	c->cv = num_or(stats, "cv", NAN);
	c->throughput = num_or(j, "throughput", c->ntasks > 0 ? (double)c->ntasks / c->median_s : NAN);
	c->serial_fraction = num_or(j, "serial_fraction", NAN);
	json_t *lat = json_object_get(j, "latency");
	c->lat_p50 = num_or(lat, "p50_s", NAN);
	c->lat_p90 = num_or(lat, "p90_s", NAN);
	c->lat_p99 = num_or(lat, "p99_s", NAN);
	c->lat_max = num_or(lat, "max_s", NAN);
	return 0;
}

static int read_cell(cb_rdoc *d, cb_jreader *rd, size_t i, json_t *j)
{
	cb_rcell *c = &d->cells[i];
	char where[300];
	long long workers = 0, conc = -1, threads = 1, ntasks = 0, usable = d->allowed_pus;
	int rc;
	snprintf(where, sizeof where, "cells[%zu]", i);
	if (!json_is_object(j))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s must be an object, not %s",
		                    rd->name, where, cb_json_type_name(j));
	c->json = j;
	c->id = NULL;
	c->kind = "cpu";
	c->pin = "none";
	c->schedule = "static";
	if (cb_jget_string(rd, j, "id", where, false, &c->id))
		return -1;
	if (c->id)
		snprintf(where, sizeof where, "cells[%zu] '%.200s'", i, c->id);
	if (cb_jget_string(rd, j, "workload", where, true, &c->workload) ||
	    cb_jget_string(rd, j, "strategy", where, true, &c->strategy) ||
	    cb_jget_string(rd, j, "kind", where, false, &c->kind) ||
	    cb_jget_string(rd, j, "schedule", where, false, &c->schedule) ||
	    cb_jget_string(rd, j, "pin", where, false, &c->pin) ||
	    cb_jget_int(rd, j, "workers", where, true, &workers) ||
	    cb_jget_int(rd, j, "concurrency", where, false, &conc) ||
	    cb_jget_int(rd, j, "threads", where, false, &threads) ||
	    cb_jget_int(rd, j, "ntasks", where, false, &ntasks) ||
	    cb_jget_int(rd, j, "usable_pus", where, false, &usable))
		return -1;
	if (workers < 1)
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s: 'workers' must be at least 1",
		                    rd->name, where);
	c->has_ntasks = json_object_get(j, "ntasks") != NULL;
	json_t *e = json_object_get(j, "error"), *sk = json_object_get(j, "skipped");
	c->error = json_is_string(e) ? json_string_value(e) : NULL;
	c->skipped = json_is_string(sk) ? json_string_value(sk) : NULL;
	json_t *pj = cb_jget_typed(rd, j, "params", where, JSON_OBJECT, false, &rc);
	if (rc || cb_params_key(rd, pj, where, &c->params))
		return -1;
	c->workers = (int)workers;
	c->concurrency = conc < 0 ? c->workers : (int)conc;
	c->threads = (int)threads;
	c->ntasks = (long)ntasks;
	c->scale = (int)int_or(j, "scale", 0);
	c->usable_pus = (int)usable;
	c->oversubscribed = json_is_true(json_object_get(j, "oversubscribed"));
	c->checksum_ok = !json_is_false(json_object_get(j, "checksum_ok"));
	/* The baseline cell (T1) says so; in files written before the flag it
	 * was the strategy named serial. */
	json_t *bl = json_object_get(j, "baseline");
	c->baseline = json_is_boolean(bl) ? json_is_true(bl) : !strcmp(c->strategy, "serial");
	json_t *reps = cb_jget_typed(rd, j, "reps", where, JSON_ARRAY, true, &rc);
	if (rc || read_reps(rd, c, reps, where) || read_rounds(rd, c, j, where))
		return -1;
	if (read_figures(rd, c, j, where))
		return -1;
	if (!c->id)
		c->id = "?";
	return 0;
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static int read_top(cb_rdoc *d, cb_jreader *rd)
{
	json_t *root = d->root;
	const char *schema = NULL;
	int rc;
	if (!json_is_object(root))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: top level must be an object, not %s",
		                    rd->name, cb_json_type_name(root));
	if (!json_object_get(root, "schema"))
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: not a concbench results file: no 'schema' (valid: %s)",
		                    rd->name, CB_RESULTS_SCHEMA);
	if (cb_jget_string(rd, root, "schema", "", true, &schema))
		return -1;
	if (strcmp(schema, CB_RESULTS_SCHEMA))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: unsupported schema '%.100s' (valid: %s)",
		                    rd->name, schema, CB_RESULTS_SCHEMA);
	if (!cb_jget_typed(rd, root, "cells", "", JSON_ARRAY, true, &rc))
		return -1;
	json_t *m = cb_jget_typed(rd, root, "machine", "", JSON_OBJECT, false, &rc);
	if (rc)
		return -1;
	json_t *topo = json_object_get(m, "topology");
	json_t *cfg = json_object_get(root, "config");
	d->machine = m;
	d->host = str_or(m, "host", "unknown host");
	d->kernel = str_or(m, "kernel", "");
	d->cpu_model = str_or(m, "cpu_model", "");
	d->clocksource = str_or(m, "clocksource", NULL);
	d->governor = str_or(m, "governor", NULL);
	d->created = str_or(root, "created", "");
	json_t *la = json_array_get(json_object_get(m, "loadavg"), 0);
	d->loadavg1 = json_is_number(la) ? json_number_value(la) : NAN;
	json_t *ro = json_object_get(m, "runnable_others");
	d->runnable_others = json_is_number(ro) ? json_number_value(ro) : NAN;
	json_t *pf = json_object_get(m, "page_fault_us");
	d->page_fault_us = json_is_number(pf) ? json_number_value(pf) : NAN;
	d->free_page_reporting = json_is_true(json_object_get(m, "free_page_reporting"));
	json_t *ns = json_object_get(json_object_get(m, "noise"), "sd_log");
	d->noise_sd = json_is_number(ns) ? json_number_value(ns) : NAN;
	json_t *b = json_object_get(root, "build");
	d->build = (cb_build_info){ str_or(b, "type", NULL), str_or(b, "cflags", NULL), str_or(b, "sanitizers", NULL),
	                            str_or(b, "compiler", NULL) };
	d->rounds = (int)int_or(cfg, "rounds", 1);
	d->allowed_pus = (int)int_or(topo, "allowed_pus", int_or(topo, "pus", 0));
	d->weak_scaling = !strcmp(str_or(cfg, "scaling", "strong"), "weak");
	d->complete = !json_is_false(json_object_get(root, "complete"));
	return 0;
}

int cb_results_parse_json(const char *path, json_t *root, cb_rdoc **out, cb_error *err)
{
	cb_jreader rd = { path, err };
	cb_rdoc *d = cb_xcalloc(1, sizeof *d);
	d->path = path;
	d->root = json_incref(root);
	if (read_top(d, &rd))
		goto fail;
	json_t *cells = json_object_get(d->root, "cells"), *c;
	size_t i;
	d->cells = cb_xcalloc(json_array_size(cells) + 1, sizeof *d->cells);
	/* A micro run holds only micro cells: a price list, not series. */
	d->micro = json_array_size(cells) &&
	           !strcmp(str_or(json_array_get(cells, 0), "kind", ""), "micro");
	if (d->micro)
		cells = NULL;
	json_array_foreach(cells, i, c) {
		d->ncells = i + 1;
		if (read_cell(d, &rd, i, c))
			goto fail;
	}
	*out = d;
	return 0;
fail:
	cb_rdoc_free(d);
	return -1;
}

int cb_results_parse(const char *path, const char *text, size_t len, cb_rdoc **out,
                     cb_error *err)
{
	json_error_t jerr;
	if (!len)
		return cb_error_set(err, CB_EXIT_USAGE, "%s: empty file (valid: a concbench "
		                    "results.json)", path);
	if (cb_text_is_binary(text, len))
		return cb_error_set(err, CB_EXIT_USAGE, "%s: binary data, not JSON (valid: a "
		                    "concbench results.json)", path);
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!root)
		return cb_error_set(err, CB_EXIT_USAGE, "%s: not valid JSON at line %d, column %d: %s",
		                    path, jerr.line, jerr.column, jerr.text);
	int rc = cb_results_parse_json(path, root, out, err);
	json_decref(root);
	return rc;
}

int cb_results_read(const char *path, cb_rdoc **out, cb_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;
	if (cb_results_load(path, &text, &len, err))
		goto out;
	rc = cb_results_parse(path, text, len, out, err);
out:
	free(text);
	return rc;
}

/* The PU the cell's counted repetitions gave the least, and its median speed. */
static int slowest_pu(const json_t *cell, double *speed)
{
	json_t *reps = json_object_get(cell, "reps"), *r, *v;
	size_t i;
	const char *key;
	int pu = -1;
	double lo = INFINITY;
	/* Per PU, its median speed over the repetitions. */
	json_t *first = json_object_get(json_array_get(reps, 0), "pu_speed");
	json_object_foreach(first, key, v) {
		size_t n = 0;
		double *s = cb_xcalloc(json_array_size(reps) + 1, sizeof *s);
		json_array_foreach(reps, i, r) {
			json_t *x = json_object_get(json_object_get(r, "pu_speed"), key);
			if (json_is_number(x))
				s[n++] = json_number_value(x);
		}
		double m = cb_median(s, n);
		free(s);
		if (n && m < lo) {
			lo = m;
			pu = atoi(key);
		}
	}
	*speed = lo;
	return pu;
}

char *cb_cell_capacity_warning(const json_t *cell)
{
	const json_t *cap = json_object_get(cell, "capacity");
	if (!json_is_true(json_object_get(cap, "limited")))
		return NULL;
	double got = num_or((json_t *)cap, "median", NAN), speed;
	long pus = int_or((json_t *)cap, "pus", 0);
	int pu = slowest_pu(cell, &speed);
	double s = num_or((json_t *)cell, "speedup", NAN), e = num_or((json_t *)cell, "efficiency_at_capacity", NAN);
	char tail[160] = "";
	bool baseline = json_is_true(json_object_get(cell, "baseline"));
	if (!baseline && isfinite(s) && isfinite(e))
		snprintf(tail, sizeof tail, "; its speedup %.2f is the machine's, not the model's (efficiency %.2f "
		         "against the capacity seen)", s, e);
	char at[48] = "";
	if (pu >= 0)
		snprintf(at, sizeof at, ", PU %d at %.2f", pu, speed);
	if (baseline)
		snprintf(tail, sizeof tail, "; every speedup of its workload divides its time");
	return cb_xasprintf("%s: the machine gave %.2f of the %ld PU%s this cell used (median over its "
	                    "repetitions%s), never the full %ld%s", json_string_value(json_object_get(cell, "id")),
	                    got, pus, pus == 1 ? "" : "s", at, pus, tail);
}

char *cb_cell_work_speed_warning(const json_t *cell)
{
	const json_t *cap = json_object_get(cell, "capacity");
	double w = num_or((json_t *)cap, "work_speed", NAN), s = num_or((json_t *)cell, "speedup", NAN);
	long pus = int_or((json_t *)cap, "pus", 0);
	if (!(w < CB_WORK_SPEED_LOW) || pus < 2 || json_is_true(json_object_get(cap, "limited")))
		return NULL;
	char sp[48] = "";
	if (isfinite(s))
		snprintf(sp, sizeof sp, "; its speedup %.2f is not the model's alone", s);
	return cb_xasprintf("%s: its workers did the job's work at %.2f of the serial speed per CPU second (the same "
	                    "work took %.1fx the CPU time) while they had their %ld PUs (capacity %.2f): the PUs "
	                    "shared hardware under load (one core of the host, caches, memory bandwidth) or the "
	                    "model spent it on its own work%s",
	                    json_string_value(json_object_get(cell, "id")), w, 1 / w, pus,
	                    num_or((json_t *)cap, "median", NAN), sp);
}

static void add_shares(const json_t *reps, double **v, size_t *n, size_t *cap, size_t *below)
{
	size_t i;
	json_t *r;
	json_array_foreach(reps, i, r) {
		double c = num_or(r, "capacity", NAN), p = num_or(r, "capacity_pus", 0);
		if (!isfinite(c) || p < 2)
			continue;
		if (*n == *cap)
			*v = cb_xrealloc(*v, (*cap = *cap ? 2 * *cap : 64) * sizeof **v);
		(*v)[(*n)++] = c / p;
		*below += json_is_true(json_object_get(r, "reduced_capacity"));
	}
}

void cb_rdoc_capacity(const cb_rdoc *d, cb_doc_capacity *out)
{
	memset(out, 0, sizeof *out);
	double *v = NULL;
	size_t n = 0, cap = 0, below = 0;
	for (size_t i = 0; i < d->ncells; i++) {
		const json_t *c = d->cells[i].json;
		add_shares(json_object_get(c, "reps"), &v, &n, &cap, &below);
		add_shares(json_object_get(c, "reps_set_aside"), &v, &n, &cap, &below);
		out->limited += json_is_true(json_object_get(json_object_get(c, "capacity"), "limited"));
	}
	out->reps = n;
	out->median = cb_median(v, n);
	out->below = n ? (double)below / (double)n : NAN;
	free(v);
}

char *cb_machine_fault_warning(double page_fault_us)
{
	if (!(page_fault_us > CB_FAULT_US_LIMIT))
		return NULL;
	return cb_xasprintf("a page fault costs %.1f us on this machine, against 0.1-1 us on bare metal: "
	                    "each fresh process (one per cell and round) and each forked worker pays it "
	                    "for every page it first touches, so fork-based strategies cost more here "
	                    "than elsewhere, and cells that touch much memory move with the host "
	                    "(docs/methodology.md)", page_fault_us);
}

char *cb_machine_noise_warning(double sd, int rounds, size_t cells)
{
	if (!(sd > 0) || rounds < 2 || !cells)
		return NULL;
	/* Holm's first level, the variance known exactly: the best case. */
	double mdc = cb_mdc_floor(sd, rounds, CB_NOISE_ALPHA / (double)cells);
	if (!(mdc > CB_NOISE_THRESHOLD))
		return NULL;
	return cb_xasprintf("this machine's own timing noise was %.1f%% before the first cell (sd of log "
	                    "time of a fixed CPU-bound chain, concbench noise): at %d rounds a side among "
	                    "%zu cells, compare cannot see a change under %.1f%% in even the steadiest "
	                    "CPU-bound cell, above its %.0f%% threshold; a cell's noisy verdict is then the "
	                    "machine's (docs/ci.md)", 100 * sd, rounds, cells, 100 * mdc, 100 * CB_NOISE_THRESHOLD);
}

void cb_rdoc_free(cb_rdoc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->ncells; i++) {
		cb_rcell *c = &doc->cells[i];
		free(c->params);
		free(c->wall);
		free(c->user);
		free(c->sys);
		free(c->par);
		free(c->rounds);
		free(c->round_reduced);
		free(c->serial);
	}
	free(doc->cells);
	json_decref(doc->root);
	free(doc);
}
