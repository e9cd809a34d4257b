/* The runner's contract: three timed phases per repetition, the answer
 * verified against the serial reference every time, and a strategy or task
 * that gets it wrong fails its cell instead of producing a number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "cell_fixture.h"
#include "engine/run.h"

/* A strategy with a bug: it forgets the last task. */
static int broken_run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	cb_io io = cb_io_blocking();
	size_t n = job->ntasks;
	job->ntasks = n - 1;
	cb_worker_run(ex, job, 0, 1, &io);
	job->ntasks = n;
	return cb_exec_check(ex, err);
}

static const cb_strategy broken = { .name = "broken", .summary = "drops a task", .run_job = broken_run_job };

/* A workload whose task 3 fails once armed (after the reference run). */
static int fail_armed;
static int failing_setup(cb_job *job, cb_error *err) { (void)err; job->ntasks = 8; job->state = &fail_armed; return 0; }
static int failing_task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)job; (void)io;
	*out = i * 7;
	return fail_armed && i == 3 ? -EIO : 0;
}
static const cb_workload failing = {
	.name = "test.failing", .summary = "task 3 fails", .kind = CB_KIND_CPU,
	.checksum = "partials", .setup = failing_setup, .task = failing_task, .post = cb_partials_hash,
};

typedef cell_fixture fixture;

static fixture *make(const cb_workload *wl, const cb_strategy *st, int workers, const char *sched)
{
	cb_error err = { 0 };
	fixture *f = cell_fixture_new(NULL, wl, st, workers, workers, 1, "none", sched, NULL, 0, 3, &err);
	if (!f)
		fail_msg("%s", err.msg);
	return f;
}

static void destroy(fixture *f) { cell_fixture_free(f); }

static void test_rep_phases_add_up_to_wall(void **state)
{
	(void)state;
	fixture *f = make(cb_workload_find("synth.amdahl"), cb_strategy_find("threads"), 2, "dynamic");
	cb_rep rep;
	cb_error err = { 0 };
	assert_int_equal(cb_cell_rep(f->cell, &rep, &err), 0);
	assert_true(rep.pre_s > 0 && rep.par_s > 0 && rep.post_s > 0);
	assert_float_equal(rep.wall_s, rep.pre_s + rep.par_s + rep.post_s, 1e-9);
	assert_true(rep.checksum_ok);
	assert_true(rep.user_s + rep.sys_s > 0);
	assert_int_equal(json_array_size(rep.cpus), 2);   /* one entry per worker */
	assert_true(json_array_size(json_array_get(rep.cpus, 0)) >= 1);
	cb_rep_clear(&rep);
	destroy(f);
}

static void test_every_schedule_matches_serial(void **state)
{
	(void)state;
	const char *scheds[] = { "static", "static:1", "static:3", "dynamic", "dynamic:4" };
	for (size_t s = 0; s < sizeof scheds / sizeof *scheds; s++)
		for (int w = 1; w <= 7; w += 2) {
			fixture *f = make(cb_workload_find("cpu.primes"), cb_strategy_find("threads"), w, scheds[s]);
			cb_rep rep;
			cb_error err = { 0 };
			assert_int_equal(cb_cell_rep(f->cell, &rep, &err), 0);
			assert_true(rep.checksum_ok);
			assert_int_equal(f->cell->checksum, f->cell->job->reference);
			cb_rep_clear(&rep);
			destroy(f);
		}
}

static void test_dropped_task_fails_checksum(void **state)
{
	(void)state;
	fixture *f = make(cb_workload_find("cpu.primes"), &broken, 1, "dynamic");
	cb_rep rep;
	cb_error err = { 0 };
	assert_int_equal(cb_cell_rep(f->cell, &rep, &err), -1);
	assert_int_equal(err.code, CB_EXIT_FAIL);
	assert_non_null(strstr(err.msg, "wrong checksum"));
	assert_false(f->cell->checksum_ok);
	cb_rep_clear(&rep);
	destroy(f);
}

static void test_failing_task_fails_cell(void **state)
{
	(void)state;
	fail_armed = 0;
	fixture *f = make(&failing, cb_strategy_find("threads"), 2, "dynamic");
	fail_armed = 1;
	cb_rep rep;
	cb_error err = { 0 };
	assert_int_equal(cb_cell_rep(f->cell, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "task 3 failed"));
	fail_armed = 0;
	cb_rep_clear(&rep);
	destroy(f);
}

static void test_stats_known_answers(void **state)
{
	(void)state;
	double x[] = { 5, 1, 3, 2, 4 };
	cb_stats s;
	cb_stats_compute(x, 5, &s);
	assert_float_equal(s.median, 3, 1e-12);
	assert_float_equal(s.mean, 3, 1e-12);
	assert_float_equal(s.min, 1, 1e-12);
	assert_float_equal(s.max, 5, 1e-12);
	assert_float_equal(s.stddev, 1.5811388300841898, 1e-12);
	assert_float_equal(s.cv, 1.5811388300841898 / 3, 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rep_phases_add_up_to_wall),
		cmocka_unit_test(test_every_schedule_matches_serial),
		cmocka_unit_test(test_dropped_task_fails_checksum),
		cmocka_unit_test(test_failing_task_fails_cell),
		cmocka_unit_test(test_stats_known_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
