/* run --trace: the task timeline of one repetition per cell. The measuring
 * process runs it after the timed repetitions of the first round, outside
 * the statistics, with every executor recording its tasks into its own
 * lane (exec.c); it sends the lanes to the parent as one JSON line, the
 * parent adds a summary to the cell in results.json and writes every
 * cell's timeline into trace.json in the Chrome trace event format, which
 * Perfetto and chrome://tracing load. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run.h"

#define TRACE_SCHEMA "concbench.trace/1"

static json_int_t ns_since(double t, double base)
{
	return (json_int_t)llround((t - base) * 1e9);
}

static int by_start(const void *a, const void *b)
{
	const cb_trace_event *x = a, *y = b;
	return (x->t0 > y->t0) - (x->t0 < y->t0);
}

int cb_trace_rep(cb_cell *c, json_t **out, cb_error *err)
{
	*out = NULL;
	cb_tracer *t = c->ex.tracer;
	/* A strategy that runs the whole repetition elsewhere (mpi) has no
	 * lanes here. */
	if (!t || c->strategy->run_rep)
		return 0;
	cb_tracer_reset(t);
	/* The traced repetition is left out of every statistic: what
	 * cb_cell_rep records in the cell beside the rep (the per-task latency
	 * percentiles, the answer) is the timed repetitions', and stays so. */
	double latency[4];
	memcpy(latency, c->latency, sizeof latency);
	bool has_latency = c->has_latency;
	uint64_t checksum = c->checksum;
	atomic_store(&t->on, 1);
	cb_rep rep;
	int rc = cb_cell_rep(c, &rep, err);
	atomic_store(&t->on, 0);
	memcpy(c->latency, latency, sizeof latency);
	c->has_latency = has_latency;
	if (!rc)
		c->checksum = checksum;
	double wall = rep.wall_s;
	cb_rep_clear(&rep);
	if (rc)
		return -1;
	double base = c->run->t_start;
	json_t *j = json_object(), *lanes = json_array(), *span = json_array();
	for (int k = 0; k < 4; k++)
		json_array_append_new(span, json_integer(ns_since(c->rep_t[k], base)));
	json_object_set_new(j, "rep_ns", span);
	json_object_set_new(j, "wall_s", json_real(wall));
	json_object_set_new(j, "cap", json_integer((json_int_t)t->cap));
	json_object_set_new(j, "ntasks", json_integer((json_int_t)c->job->ntasks));
	json_object_set_new(j, "coroutines", json_boolean(c->strategy->flags & CB_STRATEGY_YIELDS));
	for (int l = 0; l < t->nlanes; l++) {
		cb_trace_lane *ln = &t->lane[l];
		/* Coroutines store a task when it ends: order them by start. */
		qsort(ln->ev, ln->n, sizeof *ln->ev, by_start);
		json_t *ev = json_array();
		for (size_t i = 0; i < ln->n; i++) {
			const cb_trace_event *e = &ln->ev[i];
			json_array_append_new(ev, json_pack("[I, I, I, I, I]", (json_int_t)e->task,
			                                    (json_int_t)e->part, ns_since(e->t0, base),
			                                    (json_int_t)llround((e->t1 - e->t0) * 1e9),
			                                    (json_int_t)llround(e->blocked_s * 1e9)));
		}
		json_array_append_new(lanes, json_pack("{s:i, s:i, s:f, s:f, s:I, s:o}", "pid", ln->pid,
		                                       "tid", ln->tid, "busy_s", ln->busy_s, "blocked_s",
		                                       ln->blocked_s, "dropped", (json_int_t)ln->dropped,
		                                       "ev", ev));
	}
	json_object_set_new(j, "lanes", lanes);
	*out = j;
	return 0;
}

static double ns_at(const json_t *a, size_t i)
{
	return (double)json_integer_value(json_array_get(a, i));
}

/* What the report needs without reading trace.json: per executor its busy
 * time (in tasks, not blocked), blocked time, how long after the parallel
 * section began its first task started (start cost) and how long before
 * it ended its last task ended (waiting for the others), and the
 * imbalance, max / mean busy. */
json_t *cb_trace_summary(const json_t *trace)
{
	const json_t *lanes = json_object_get(trace, "lanes"), *span = json_object_get(trace, "rep_ns");
	double par0 = ns_at(span, 1), par1 = ns_at(span, 2);
	json_t *busy = json_array(), *blocked = json_array(), *first = json_array(), *tail = json_array();
	json_t *tasks = json_array();
	size_t i, events = 0, dropped = 0, n = json_array_size(lanes);
	double sum = 0, most = 0;
	const json_t *ln;
	json_array_foreach(lanes, i, ln) {
		const json_t *ev = json_object_get(ln, "ev");
		size_t ne = json_array_size(ev), nd = (size_t)json_integer_value(json_object_get(ln, "dropped"));
		double b = json_number_value(json_object_get(ln, "busy_s"));
		double lo = par1, hi = par0;
		for (size_t k = 0; k < ne; k++) {
			const json_t *e = json_array_get(ev, k);
			double s = ns_at(e, 2), d = ns_at(e, 3);
			lo = s < lo ? s : lo;
			hi = s + d > hi ? s + d : hi;
		}
		events += ne;
		dropped += nd;
		sum += b;
		most = b > most ? b : most;
		json_array_append_new(busy, json_real(b));
		json_array_append_new(blocked, json_real(json_number_value(json_object_get(ln, "blocked_s"))));
		json_array_append_new(first, ne ? json_real((lo - par0) * 1e-9) : json_null());
		json_array_append_new(tail, ne && !nd ? json_real((par1 - hi) * 1e-9) : json_null());
		json_array_append_new(tasks, json_integer((json_int_t)(ne + nd)));
	}
	json_t *s = json_object();
	json_object_set_new(s, "events", json_integer((json_int_t)events));
	json_object_set_new(s, "dropped", json_integer((json_int_t)dropped));
	json_object_set_new(s, "cap_per_executor", json_incref(json_object_get(trace, "cap")));
	json_object_set_new(s, "wall_s", json_incref(json_object_get(trace, "wall_s")));
	json_object_set_new(s, "par_s", json_real((par1 - par0) * 1e-9));
	json_object_set_new(s, "tasks", tasks);
	json_object_set_new(s, "busy_s", busy);
	json_object_set_new(s, "blocked_s", blocked);
	json_object_set_new(s, "first_task_s", first);
	json_object_set_new(s, "idle_tail_s", tail);
	json_object_set_new(s, "imbalance", n && sum > 0 ? json_real(most / (sum / (double)n)) : json_null());
	return s;
}

/* ---- trace.json --------------------------------------------------- */

static void put_json_string(FILE *f, const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *t = json_dumps(j, JSON_ENCODE_ANY);
	fputs(t ? t : "\"\"", f);
	free(t);
	json_decref(j);
}

static void put_us(FILE *f, double ns)
{
	fprintf(f, "%.3f", ns / 1e3);
}

/* One cell: a process (pid = its index + 1) named after the cell, one
 * thread per executor (per coroutine under a coroutine scheduler, so that
 * slices never overlap on a track), one complete event per task. */
static void write_cell(FILE *f, const cb_cell *c, int pid, bool *first_event)
{
	const json_t *tr = c->trace, *lanes = json_object_get(tr, "lanes"), *ln;
	bool coro = json_is_true(json_object_get(tr, "coroutines"));
	size_t l;
#define SEP() (fputs(*first_event ? "\n" : ",\n", f), *first_event = false)
	SEP();
	fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":", pid);
	put_json_string(f, c->id);
	fputs("}}", f);
	SEP();
	fprintf(f, "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%d,\"tid\":0,\"args\":{\"sort_index\":%d}}",
	        pid, pid);
	json_array_foreach(lanes, l, ln) {
		const json_t *ev = json_object_get(ln, "ev");
		int os_pid = (int)json_integer_value(json_object_get(ln, "pid"));
		int os_tid = (int)json_integer_value(json_object_get(ln, "tid"));
		if (!coro) {
			SEP();
			fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%zu,\"args\":{\"name\":"
			        "\"worker %zu (pid %d, thread %d)\"}}", pid, l + 1, l, os_pid, os_tid);
		}
		for (size_t k = 0; k < json_array_size(ev); k++) {
			const json_t *e = json_array_get(ev, k);
			long long task = json_integer_value(json_array_get(e, 0));
			long long part = json_integer_value(json_array_get(e, 1));
			size_t tid = coro ? (size_t)part + 1 : l + 1;
			SEP();
			fprintf(f, "{\"ph\":\"X\",\"cat\":\"task\",\"name\":\"task %lld\",\"pid\":%d,\"tid\":%zu,\"ts\":",
			        task, pid, tid);
			put_us(f, ns_at(e, 2));
			fputs(",\"dur\":", f);
			put_us(f, ns_at(e, 3));
			fprintf(f, ",\"args\":{\"task\":%lld,\"executor\":%zu", task, l);
			if (coro)
				fprintf(f, ",\"coroutine\":%lld", part);
			if (ns_at(e, 4) > 0) {
				fputs(",\"blocked_us\":", f);
				put_us(f, ns_at(e, 4));
			}
			fputs("}}", f);
		}
	}
	if (coro) {
		/* Each coroutine that ran a task: its track, named after its
		 * scheduler (the lane it ran on). */
		size_t nparts = (size_t)c->concurrency;
		char *seen = cb_xcalloc(nparts + 1, 1);
		json_array_foreach(lanes, l, ln) {
			const json_t *ev = json_object_get(ln, "ev");
			int os_pid = (int)json_integer_value(json_object_get(ln, "pid"));
			int os_tid = (int)json_integer_value(json_object_get(ln, "tid"));
			for (size_t k = 0; k < json_array_size(ev); k++) {
				size_t part = (size_t)json_integer_value(json_array_get(json_array_get(ev, k), 1));
				if (part >= nparts || seen[part])
					continue;
				seen[part] = 1;
				SEP();
				fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%zu,\"args\":{\"name\":"
				        "\"scheduler %zu (pid %d, thread %d) coroutine %zu\"}}", pid, part + 1, l, os_pid,
				        os_tid, part);
			}
		}
		free(seen);
	}
#undef SEP
}

static json_t *cell_meta(const cb_cell *c, int pid)
{
	const json_t *tr = c->trace, *span = json_object_get(tr, "rep_ns");
	json_t *sum = cb_trace_summary(tr);
	json_t *m = json_pack("{s:s, s:i, s:s, s:s, s:i, s:i, s:i, s:I}", "id", c->id, "pid", pid,
	                      "workload", c->job->wl->name, "strategy", c->strategy->name, "workers", c->workers,
	                      "concurrency", c->concurrency, "threads", c->threads, "ntasks",
	                      (json_int_t)c->job->ntasks);
	json_object_set(m, "events", json_object_get(sum, "events"));
	json_object_set(m, "dropped", json_object_get(sum, "dropped"));
	json_object_set(m, "imbalance", json_object_get(sum, "imbalance"));
	json_object_set(m, "wall_s", json_object_get(tr, "wall_s"));
	static const char *const names[] = { "rep_start_us", "par_start_us", "par_end_us", "rep_end_us" };
	for (size_t k = 0; k < 4; k++)
		json_object_set_new(m, names[k], json_real(ns_at(span, k) / 1e3));
	json_object_set_new(m, "executor_tracks", json_string(
		json_is_true(json_object_get(tr, "coroutines")) ? "one per coroutine (tid = coroutine + 1)"
		                                                : "one per worker (tid = worker + 1)"));
	json_decref(sum);
	return m;
}

int cb_trace_write(const cb_run *run, cb_error *err)
{
	if (!run->cfg->trace_cap || !run->dir)
		return 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	json_t *cells = json_array();
	bool first = true;
	fputs("{\"traceEvents\":[", f);
	for (int i = 0; i < run->ncells; i++) {
		const cb_cell *c = &run->cells[i];
		if (!c->trace)
			continue;
		write_cell(f, c, i + 1, &first);
		json_array_append_new(cells, cell_meta(c, i + 1));
	}
	fputs("\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":", f);
	json_t *other = json_pack("{s:s, s:s, s:s, s:I, s:s, s:o}", "schema", TRACE_SCHEMA, "run_started",
	                          run->created, "clock", "CLOCK_MONOTONIC; ts in microseconds since the run began",
	                          "cap_per_executor", (json_int_t)run->cfg->trace_cap, "note",
	                          "one traced repetition per cell, after the timed repetitions of the first round "
	                          "and left out of the statistics; each executor keeps its first cap_per_executor "
	                          "tasks, the rest are counted in 'dropped'; blocked_us is the time a task spent "
	                          "inside the I/O interface", "cells", cells);
	char *meta = json_dumps(other, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(other);
	fputs(meta ? meta : "{}", f);
	free(meta);
	fputs("}\n", f);
	fclose(f);
	char *path = cb_xasprintf("%s/trace.json", run->dir);
	int rc = cb_write_file_atomic(path, buf, len, err);
	free(path);
	free(buf);
	return rc;
}
