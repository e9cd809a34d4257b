/* The parallel capacity (engine/capacity.h): the guest's reading from
 * the executors' shares, the injected reading, the probe threads on this
 * machine's PUs, and how results.json turns capacity into figures: the
 * cell's median and speedup from its full-capacity repetitions, its
 * capacity summary, and the warning for a cell that never had full
 * capacity. Nothing here depends on how fast or busy the machine is. */
#include <math.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/analysis.h"
#include "engine/capacity.h"
#include "engine/run.h"
#include "resultfile/read.h"

static cb_worker_trace exec_on(int pu, double wall_s, double cpu_s)
{
	cb_worker_trace t;
	memset(&t, 0, sizeof t);
	CPU_SET(pu, &t.ran_on);
	t.wall_s = wall_s;
	t.cpu_s = cpu_s;
	return t;
}

static void guest_share(void **state)
{
	(void)state;
	int pus[3] = { 0, 1, 2 };
	double speed[3];
	/* PU 0: one executor with all of it; PU 1: one with half (another
	 * process ran there); PU 2: two executors of the cell sharing it. */
	cb_worker_trace t[5] = { exec_on(0, 0.1, 0.1), exec_on(1, 0.1, 0.05), exec_on(2, 0.1, 0.05),
	                         exec_on(2, 0.1, 0.05), exec_on(1, 0.001, 0) };
	cb_capacity_guest(t, 5, pus, 3, speed);
	assert_float_equal(speed[0], 1.0, 1e-12);
	assert_float_equal(speed[1], 0.5, 1e-12);   /* the 1 ms executor is too short to count */
	assert_float_equal(speed[2], 1.0, 1e-12);
	/* An executor that ran on two PUs says nothing of either. */
	cb_worker_trace moved = exec_on(0, 0.1, 0.01);
	CPU_SET(1, &moved.ran_on);
	cb_capacity_guest(&moved, 1, pus, 2, speed);
	assert_float_equal(speed[0], 1.0, 1e-12);
	assert_float_equal(speed[1], 1.0, 1e-12);
	/* One that slept waiting (a task graph's dependency) neither. */
	cb_worker_trace waited = exec_on(1, 0.1, 0.02);
	waited.waits = 3;
	cb_capacity_guest(&waited, 1, pus, 2, speed);
	assert_float_equal(speed[1], 1.0, 1e-12);
}

static void fake_reading(void **state)
{
	(void)state;
	assert_float_equal(cb_capacity_fake(NULL, 1, 0), 1, 0);
	assert_float_equal(cb_capacity_fake("1:0.5", 1, 0), 0.5, 0);
	assert_float_equal(cb_capacity_fake("1:0.5", 1, 1000), 0.5, 0);
	assert_float_equal(cb_capacity_fake("1:0.5", 0, 0), 1, 0);
	assert_float_equal(cb_capacity_fake("1:0.5:2", 1, 1), 0.5, 0);
	assert_float_equal(cb_capacity_fake("1:0.5:2", 1, 2), 1, 0);
	assert_float_equal(cb_capacity_fake("junk", 1, 0), 1, 0);
}

/* The probe threads on this machine's first two allowed PUs (or one):
 * every reading is a speed in (0, 1] per PU, their sum the capacity; an
 * injected reading caps its PU. */
static void probe_threads(void **state)
{
	(void)state;
	cb_topology *t;
	cb_error err = { 0 };
	assert_int_equal(cb_topology_open(&t, NULL, &err), 0);
	cpu_set_t set;
	assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
	int pus[2], n = 0;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			pus[n++] = c;
	setenv("CB_CAPACITY_FAKE", "", 1);
	char spec[32];
	snprintf(spec, sizeof spec, "%d:0.25:1", pus[n - 1]);
	setenv("CB_CAPACITY_FAKE", spec, 1);
	cb_capacity *cp = cb_capacity_open(t, pus, n, 0.2, &err);
	assert_non_null(cp);
	assert_int_equal(cb_capacity_npus(cp), n);
	double speed[2];
	double sum = cb_capacity_read(cp, speed);
	assert_true(speed[n - 1] <= 0.25);   /* the first reading is capped */
	for (int k = 0; k < 5; k++) {
		double s = 0;
		sum = cb_capacity_read(cp, speed);
		for (int i = 0; i < n; i++) {
			assert_true(speed[i] > 0 && speed[i] <= 1);
			s += speed[i];
		}
		assert_float_equal(sum, s, 1e-12);
	}
	int readings;
	assert_true(cb_capacity_cost_s(cp, &readings) > 0);
	assert_int_equal(readings, 6);
	cb_capacity_close(cp);
	unsetenv("CB_CAPACITY_FAKE");
	/* Not a PU to bind to: refused with the reason. */
	int bad = CPU_SETSIZE - 1;
	assert_null(cb_capacity_open(t, &bad, 1, 0.2, &err));
	assert_non_null(strstr(err.msg, "capacity: cannot bind a probe thread to PU"));
	cb_topology_free(t);
}

/* A pair left out (NAN) does not stop the others from giving the
 * estimate: ratios 2, 2, 1.6, the median of the Walsh averages of their
 * logs the mean of log 2 and (log 2 + log 1.6) / 2. */
static void paired_skips_nan(void **state)
{
	(void)state;
	double base[5] = { 2, 2, NAN, 2, 2 }, cell[5] = { 1, 1, 1, 1.25, NAN }, s = 0;
	assert_int_equal(cb_paired_speedup(base, 5, cell, 5, &s, NULL, NULL, NULL), 3);
	assert_float_equal(s, exp((log(2) + (log(2) + log(1.6)) / 2) / 2), 1e-12);
	double few[3] = { 1, NAN, 1 };
	assert_int_equal(cb_paired_speedup(few, 3, few, 3, &s, NULL, NULL, NULL), 0);
}

/* A run's document built by hand: a serial cell, and a 2-worker cell with
 * one repetition at reduced capacity and its pairs. */
static json_t *rep(double wall, double cap, bool reduced, double serial, bool serial_reduced)
{
	json_t *r = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:b}", "wall_s", wall, "pre_s", 0.0, "par_s", wall,
	                      "post_s", 0.0, "user_s", wall, "sys_s", 0.0, "checksum_ok", 1);
	if (isfinite(cap)) {
		json_object_set_new(r, "capacity", json_real(cap));
		json_object_set_new(r, "capacity_pus", json_integer(2));
		json_object_set_new(r, "reduced_capacity", json_boolean(reduced));
		json_object_set_new(r, "pu_speed", json_pack("{s:f, s:f}", "0", 1.0, "1", cap - 1));
	}
	if (isfinite(serial)) {
		json_object_set_new(r, "serial_s", json_real(serial));
		json_object_set_new(r, "serial_reduced", json_boolean(serial_reduced));
	}
	return r;
}

static json_t *cell(const char *id, const char *strategy, int workers, json_t *reps)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:{}, s:s, s:i, s:i, s:i, s:i, s:b, s:o, s:[], s:[], s:n}", "id", id,
	                 "workload", "w.x", "kind", "cpu", "size", "tiny", "params", "strategy", strategy,
	                 "workers", workers, "threads", 1, "usable_pus", 2, "scale", 1, "baseline",
	                 workers == 1, "reps", reps, "rounds", "reps_set_aside", "error");
}

static json_t *doc(json_t *parallel_reps)
{
	json_t *cells = json_array();
	json_array_append_new(cells, cell("w.x/serial", "serial", 1,
	                                  json_pack("[o, o, o]", rep(2.0, NAN, false, NAN, false),
	                                            rep(2.2, NAN, false, NAN, false), rep(2.1, NAN, false, NAN, false))));
	json_array_append_new(cells, cell("w.x/threads/n2", "threads", 2, parallel_reps));
	json_t *root = json_pack("{s:o}", "cells", cells);
	json_t *c;
	size_t i;
	json_array_foreach(cells, i, c)
		cb_results_cell_stats(c);
	cb_results_derive(root);
	return root;
}

static void figures_from_full_capacity(void **state)
{
	(void)state;
	/* Four at full capacity (1.0 s, serial 2.0 beside each, one serial
	 * reduced), one at 1.4 of 2 PUs that took 1.6 s. */
	json_t *root = doc(json_pack("[o, o, o, o, o]", rep(1.0, 2.0, false, 2.0, false), rep(1.0, 1.98, false, 2.0, false),
	                             rep(1.6, 1.4, true, 2.0, false), rep(1.0, 1.95, false, 2.0, false),
	                             rep(1.0, 1.99, false, 3.0, true)));
	json_t *c = json_array_get(json_object_get(root, "cells"), 1);
	assert_float_equal(json_real_value(json_object_get(json_object_get(c, "stats"), "median_s")), 1.0, 1e-12);
	json_t *cap = json_object_get(c, "capacity");
	assert_false(json_is_true(json_object_get(cap, "limited")));
	assert_int_equal(json_integer_value(json_object_get(cap, "reduced_reps")), 1);
	assert_int_equal(json_integer_value(json_object_get(cap, "full_reps")), 4);
	assert_float_equal(json_real_value(json_object_get(cap, "median")), 1.985, 1e-12);
	/* The pairs: three full ones (the reduced serial's left out), 2.0 each. */
	assert_string_equal(json_string_value(json_object_get(c, "speedup_method")), "paired repetitions");
	assert_float_equal(json_real_value(json_object_get(c, "speedup")), 2.0, 1e-12);
	assert_null(cb_cell_capacity_warning(c));
	/* The reader sees the same repetitions. */
	cb_rdoc *d = NULL;
	cb_error err = { 0 };
	json_object_set_new(root, "schema", json_string("concbench.results/1"));
	int rc_parse = cb_results_parse_json("t.json", root, &d, &err);
	if (rc_parse)
		fail_msg("%s", err.msg);
	const cb_rcell *rc = &d->cells[1];
	assert_int_equal(rc->nreps, 4);
	assert_int_equal(rc->reps_in_file, 5);
	assert_true(isnan(rc->serial[3]));
	cb_rdoc_free(d);
	json_decref(root);
}

static void limited_cell_warns(void **state)
{
	(void)state;
	json_t *root = doc(json_pack("[o, o, o]", rep(1.5, 1.5, true, 2.0, false), rep(1.4, 1.5, true, 2.0, false),
	                             rep(1.6, 1.4, true, 2.0, false)));
	json_t *c = json_array_get(json_object_get(root, "cells"), 1);
	json_t *cap = json_object_get(c, "capacity");
	assert_true(json_is_true(json_object_get(cap, "limited")));
	assert_float_equal(json_real_value(json_object_get(json_object_get(c, "stats"), "median_s")), 1.5, 1e-12);
	assert_float_equal(json_real_value(json_object_get(c, "efficiency_at_capacity")),
	                   json_real_value(json_object_get(c, "speedup")) / 1.5, 1e-12);
	char *msg = cb_cell_capacity_warning(c);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "w.x/threads/n2: the machine gave 1.50 of the 2 PUs this cell used"));
	assert_non_null(strstr(msg, "PU 1 at 0.50"));
	assert_non_null(strstr(msg, "is the machine's, not the model's"));
	free(msg);
	json_decref(root);
}

/* The same repetitions with each worker's speed per CPU second beside
 * them (work_speed): the cell's median of it, and a warning only when it
 * is low and the cell had its PUs. */
static json_t *with_work(json_t *r, double w)
{
	json_object_set_new(r, "work_speed", json_real(w));
	return r;
}

static void slowed_workers_warn(void **state)
{
	(void)state;
	/* Full capacity, a speedup near 1: each worker ran all the time at
	 * about half its serial speed. */
	json_t *root = doc(json_pack("[o, o, o]", with_work(rep(1.9, 1.98, false, 2.0, false), 0.53),
	                             with_work(rep(1.95, 1.97, false, 2.0, false), 0.52),
	                             with_work(rep(1.9, 1.99, false, 2.0, false), 0.51)));
	json_t *c = json_array_get(json_object_get(root, "cells"), 1);
	json_t *cap = json_object_get(c, "capacity");
	assert_false(json_is_true(json_object_get(cap, "limited")));
	assert_float_equal(json_real_value(json_object_get(cap, "work_speed")), 0.52, 1e-12);
	assert_null(cb_cell_capacity_warning(c));
	char *msg = cb_cell_work_speed_warning(c);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "w.x/threads/n2: its workers did the job's work at 0.52 of the serial speed per CPU "
	                            "second (the same work took 1.9x the CPU time) while they had their 2 PUs"));
	assert_non_null(strstr(msg, "its speedup 1.05 is not the model's alone"));
	free(msg);
	json_decref(root);

	/* Workers at their serial speed: nothing to say. */
	root = doc(json_pack("[o, o, o]", with_work(rep(1.0, 2.0, false, 2.0, false), 0.97),
	                     with_work(rep(1.0, 2.0, false, 2.0, false), 1.01),
	                     with_work(rep(1.0, 2.0, false, 2.0, false), 0.99)));
	c = json_array_get(json_object_get(root, "cells"), 1);
	assert_float_equal(json_real_value(json_object_get(json_object_get(c, "capacity"), "work_speed")), 0.99, 1e-12);
	assert_null(cb_cell_work_speed_warning(c));
	json_decref(root);

	/* A cell that never had its PUs says so, once: the capacity warning. */
	root = doc(json_pack("[o, o, o]", with_work(rep(1.5, 1.5, true, 2.0, false), 0.6),
	                     with_work(rep(1.5, 1.5, true, 2.0, false), 0.6),
	                     with_work(rep(1.5, 1.5, true, 2.0, false), 0.6)));
	c = json_array_get(json_object_get(root, "cells"), 1);
	assert_null(cb_cell_work_speed_warning(c));
	msg = cb_cell_capacity_warning(c);
	assert_non_null(msg);
	free(msg);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guest_share),
		cmocka_unit_test(fake_reading),
		cmocka_unit_test(probe_threads),
		cmocka_unit_test(paired_skips_nan),
		cmocka_unit_test(figures_from_full_capacity),
		cmocka_unit_test(limited_cell_warns),
		cmocka_unit_test(slowed_workers_warn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
