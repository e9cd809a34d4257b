/* A results document built from constructed phase times, for the tests of
 * the derived figures (results.c, series.c, report.c): synth.amdahl with a
 * serial fraction of exactly 0.1 (pre 0.05 + post 0.05 of a 1 s serial
 * run), cells whose repetitions are given as phase times, strong or weak.
 * Everything else a reader needs is filled in as a run would. */
#ifndef CB_TEST_SCALING_FIXTURE_H
#define CB_TEST_SCALING_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "resultfile/read.h"
#include "engine/run.h"

/* Repetition times around the median: the median is factor 1 exactly, and
 * every rep keeps its phases in proportion (drift scales them alike). */
static const double sf_spread[] = { 0.98, 1.0, 1.02 };

static inline json_t *sf_doc(bool weak)
{
	return json_pack("{s:s, s:s, s:b, s:{s:s, s:s, s:s, s:[f,f,f], s:n, s:{s:i, s:i, s:i}},"
	                 " s:{s:s, s:s, s:i}, s:[]}",
	                 "schema", CB_RESULTS_SCHEMA, "created", "2025-01-01T00:00:00Z", "complete", 1,
	                 "machine", "host", "fixture", "cpu_model", "constructed", "clocksource", "tsc",
	                 "loadavg", 0.0, 0.0, 0.0, "governor", "topology", "cores", 2, "pus", 2, "allowed_pus", 2,
	                 "config", "scaling", weak ? "weak" : "strong", "size", "quick", "rounds", 1,
	                 "cells");
}

/* A cell of `workers` executors on `usable` PUs, its job `scale` times the
 * serial one, every repetition pre / par / post times the spread factor
 * (times `drift[round]` when drift is given, one round per factor), and
 * each round's median in `rounds`. */
static inline json_t *sf_cell(json_t *doc, const char *strategy, int workers, int scale, int usable,
                              double pre, double par, double post, const double *drift, int rounds)
{
	char id[96];
	snprintf(id, sizeof id, "synth.amdahl[serial=0.1]/%s/n%d/none/static", strategy, workers);
	json_t *reps = json_array(), *medians = json_array();
	for (int r = 0; r < (drift ? rounds : 1); r++) {
		json_array_append_new(medians, json_real((drift ? drift[r] : 1.0) * (pre + par + post)));
		for (size_t k = 0; k < sizeof sf_spread / sizeof *sf_spread; k++) {
			double m = sf_spread[k] * (drift ? drift[r] : 1.0);
			json_array_append_new(reps, json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:i}",
			                      "wall_s", m * (pre + par + post), "pre_s", m * pre, "par_s", m * par,
			                      "post_s", m * post, "user_s", m * (pre + par + post), "sys_s", 0.0,
			                      "checksum_ok", 1, "round", r));
		}
	}
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:s, s:i, s:i, s:i, s:s, s:s, s:i, s:i,"
	                      " s:o, s:n, s:n, s:b, s:i, s:b}",
	                      "id", id, "workload", "synth.amdahl", "kind", "cpu", "size", "quick",
	                      "params", "serial", "0.1", "strategy", strategy, "workers", workers,
	                      "concurrency", workers, "threads", 1, "pin", "none", "schedule", "static",
	                      "ntasks", 8 * scale, "scale", scale, "reps", reps, "error", "skipped",
	                      "checksum_ok", 1, "usable_pus", usable, "oversubscribed", workers > usable);
	json_object_set_new(c, "rounds", medians);   /* each round's median, as the runner writes them */
	cb_results_cell_stats(c);
	json_array_append_new(json_object_get(doc, "cells"), c);
	return c;
}

/* The serial baseline: f = 0.1 of a 1 s run. */
static inline json_t *sf_serial(json_t *doc)
{
	return sf_cell(doc, "serial", 1, 1, 2, 0.05, 0.9, 0.05, NULL, 0);
}

static inline double sf_num(const json_t *cell, const char *key)
{
	const json_t *v = json_object_get(cell, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The derived document read back as analyze, plot and report read it. */
static inline cb_rdoc *sf_read(json_t *doc)
{
	cb_results_derive(doc);
	char *text = json_dumps(doc, 0);
	cb_rdoc *d = NULL;
	cb_error err = { 0 };
	if (cb_results_parse("fixture.json", text, strlen(text), &d, &err))
		d = NULL;
	free(text);
	return d;
}

#endif
