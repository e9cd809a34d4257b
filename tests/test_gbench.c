/* Tests of the Google Benchmark shim (gbench.h): what a C benchmark gets
 * back through cb_gb_run() (repetitions, aggregates, counters, errors,
 * names), filters, flags, and the iteration count of the C loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gbench.h"

#define MAX_RUNS 64
#define MAX_COUNTERS 4

typedef struct rec_run {
	char name[128];
	char benchmark[128];
	char aggregate[16];         /* "" for a repetition */
	int64_t repetition_index;
	int64_t repetitions;
	int64_t iterations;
	double real_s;
	double cpu_s;
	bool error;
	char error_message[128];
	char label[64];
	size_t ncounters;
	char counter_names[MAX_COUNTERS][32];
	double counter_values[MAX_COUNTERS];
} rec_run;

typedef struct recorder {
	int n;
	rec_run runs[MAX_RUNS];
} recorder;

static char out_path[] = "/tmp/test_gbench_out_XXXXXX";
static char out_flag[sizeof out_path + 32];
static char *init_argv[] = {"test_gbench", out_flag, "--benchmark_out_format=json",
                            "--keep-me", NULL};
static int init_argc = 4;

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void record(const struct cb_gb_run *r, void *ctx)
{
	recorder *rec = ctx;
	assert_true(rec->n < MAX_RUNS);
	rec_run *o = &rec->runs[rec->n++];
	copy_str(o->name, sizeof o->name, r->name);
	copy_str(o->benchmark, sizeof o->benchmark, r->benchmark);
	copy_str(o->aggregate, sizeof o->aggregate, r->aggregate);
	copy_str(o->error_message, sizeof o->error_message, r->error_message);
	copy_str(o->label, sizeof o->label, r->label);
	o->repetition_index = r->repetition_index;
	o->repetitions = r->repetitions;
	o->iterations = r->iterations;
	o->real_s = r->real_s;
	o->cpu_s = r->cpu_s;
	o->error = r->error;
	o->ncounters = r->ncounters < MAX_COUNTERS ? r->ncounters : MAX_COUNTERS;
	for (size_t i = 0; i < o->ncounters; i++) {
		copy_str(o->counter_names[i], sizeof o->counter_names[i], r->counter_names[i]);
		o->counter_values[i] = r->counter_values[i];
	}
}

static const rec_run *find_aggregate(const recorder *rec, const char *aggregate)
{
	for (int i = 0; i < rec->n; i++)
		if (strcmp(rec->runs[i].aggregate, aggregate) == 0)
			return &rec->runs[i];
	fail_msg("no run with aggregate '%s'", aggregate);
	return NULL;
}

static double counter_of(const rec_run *r, const char *name)
{
	for (size_t i = 0; i < r->ncounters; i++)
		if (strcmp(r->counter_names[i], name) == 0)
			return r->counter_values[i];
	fail_msg("no counter '%s' in %s", name, r->name);
	return 0;
}

/* --- bodies --- */

static void manual_2ms(cb_gb_state *st, void *arg)
{
	(void)arg;
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++)
			cb_gb_set_iteration_time(st, 0.002);
	cb_gb_counter(st, "items", 1000, CB_GB_COUNTER_RATE);
	cb_gb_counter(st, "per_iter", 1000, CB_GB_COUNTER_AVG_ITERATIONS);
}

static void fails(cb_gb_state *st, void *arg)
{
	(void)arg;
	cb_gb_skip_with_error(st, "no such device");
	assert_true(cb_gb_error_occurred(st));
	assert_int_equal(cb_gb_batch(st), 0);
}

static void empty_batch(cb_gb_state *st, void *arg)
{
	(void)arg;
	while (cb_gb_batch(st) > 0)
		;
}

typedef struct counted {
	int64_t last;      /* iterations run by the latest call of the body */
	int64_t max_iterations;
} counted;

static void count_batch(cb_gb_state *st, void *arg)
{
	counted *c = arg;
	int64_t iters = 0;

	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++) {
			iters++;
			cb_gb_do_not_optimize(iters);
		}
	c->last = iters;
	c->max_iterations = cb_gb_max_iterations(st);
}

static void count_keep_running(cb_gb_state *st, void *arg)
{
	counted *c = arg;
	int64_t iters = 0;

	while (cb_gb_keep_running(st))
		iters++;
	c->last = iters;
}

typedef struct sequence {
	int n;
	char order[64];
} sequence;

static sequence seq;

static void append_a(cb_gb_state *st, void *arg)
{
	(void)arg;
	empty_batch(st, NULL);
	seq.order[seq.n++] = 'a';
}

static void append_b(cb_gb_state *st, void *arg)
{
	(void)arg;
	empty_batch(st, NULL);
	seq.order[seq.n++] = 'b';
}

static void labelled_arg(cb_gb_state *st, void *arg)
{
	int64_t *seen = arg;
	*seen = cb_gb_range(st, 0);
	empty_batch(st, NULL);
	cb_gb_set_label(st, "warm cache");
}

static void thread_count(cb_gb_state *st, void *arg)
{
	int *seen = arg;
	if (cb_gb_thread_index(st) == 0)
		*seen = cb_gb_thread_count(st);
	empty_batch(st, NULL);
}

static cb_gb_bench *register_manual(const char *name)
{
	cb_gb_bench *b = cb_gb_register(name, manual_2ms, NULL);
	cb_gb_use_manual_time(b);
	cb_gb_iterations(b, 1);
	cb_gb_repetitions(b, 3);
	return b;
}

/* --- tests --- */

static void test_init_removes_only_benchmark_flags(void **state)
{
	(void)state;
	assert_int_equal(init_argc, 2);
	assert_string_equal(init_argv[0], "test_gbench");
	assert_string_equal(init_argv[1], "--keep-me");
	assert_null(init_argv[2]);
}

static void test_init_again_is_ignored(void **state)
{
	char *argv[] = {"x", "--benchmark_min_time=100", NULL};
	int argc = 2;

	(void)state;
	cb_gb_init(&argc, argv);
	assert_int_equal(argc, 2);
	assert_string_equal(argv[1], "--benchmark_min_time=100");
}

static void test_manual_time_repetitions_report_set_time(void **state)
{
	recorder rec = {0};

	(void)state;
	register_manual("manual/fixed");
	assert_int_equal(cb_gb_run("^manual/", record, &rec), 1);
	assert_int_equal(rec.n, 3 + 4);
	for (int i = 0; i < 3; i++) {
		const rec_run *r = &rec.runs[i];
		assert_string_equal(r->aggregate, "");
		assert_int_equal(r->repetition_index, i);
		assert_int_equal(r->repetitions, 3);
		assert_int_equal(r->iterations, 1);
		assert_float_equal(r->real_s, 0.002, 1e-9);
		assert_false(r->error);
	}
}

static void test_manual_time_aggregates_are_reported(void **state)
{
	recorder rec = {0};

	(void)state;
	register_manual("manual/fixed");
	assert_int_equal(cb_gb_run("^manual/", record, &rec), 1);
	assert_float_equal(find_aggregate(&rec, "mean")->real_s, 0.002, 1e-9);
	assert_float_equal(find_aggregate(&rec, "median")->real_s, 0.002, 1e-9);
	assert_float_equal(find_aggregate(&rec, "stddev")->real_s, 0, 1e-9);
	assert_float_equal(find_aggregate(&rec, "cv")->real_s, 0, 1e-9);
	for (int i = 3; i < rec.n; i++) {
		assert_int_equal(rec.runs[i].repetition_index, -1);
		assert_int_equal(rec.runs[i].repetitions, 3);
		assert_string_equal(rec.runs[i].name, rec.runs[0].name);
	}
}

static void test_time_unit_keeps_seconds(void **state)
{
	recorder rec = {0};

	(void)state;
	cb_gb_time_unit(register_manual("manual/ms"), CB_GB_MS);
	assert_int_equal(cb_gb_run("^manual/ms/", record, &rec), 1);
	assert_float_equal(rec.runs[0].real_s, 0.002, 1e-9);
	assert_float_equal(find_aggregate(&rec, "mean")->real_s, 0.002, 1e-9);
}

static void test_counters_are_finalised(void **state)
{
	recorder rec = {0};

	(void)state;
	cb_gb_iterations(register_manual("manual/four"), 4);
	assert_int_equal(cb_gb_run("^manual/four/", record, &rec), 1);
	/* 1000 items over 4 iterations of 2 ms of manual time */
	assert_float_equal(counter_of(&rec.runs[0], "items"), 1000 / 0.008, 1e-6);
	assert_float_equal(counter_of(&rec.runs[0], "per_iter"), 250, 1e-9);
	assert_float_equal(counter_of(find_aggregate(&rec, "mean"), "items"),
	                   1000 / 0.008, 1e-6);
}

static void test_skip_with_error_reports_message(void **state)
{
	recorder rec = {0};

	(void)state;
	cb_gb_register("err/fails", fails, NULL);
	assert_int_equal(cb_gb_run("^err/", record, &rec), 1);
	assert_int_equal(rec.n, 1);
	assert_true(rec.runs[0].error);
	assert_string_equal(rec.runs[0].error_message, "no such device");
}

static void test_filter_selects_matching_benchmarks(void **state)
{
	recorder rec = {0};

	(void)state;
	cb_gb_register("filt/alpha", empty_batch, NULL);
	cb_gb_register("filt/beta", empty_batch, NULL);
	cb_gb_register("other/gamma", empty_batch, NULL);
	assert_int_equal(cb_gb_run("^filt/", record, &rec), 2);
	assert_int_equal(rec.n, 2);
	for (int i = 0; i < rec.n; i++)
		assert_memory_equal(rec.runs[i].name, "filt/", 5);
}

static void test_negative_filter_excludes_matches(void **state)
{
	recorder rec = {0};

	(void)state;
	cb_gb_register("filt/alpha", empty_batch, NULL);
	cb_gb_register("other/gamma", empty_batch, NULL);
	assert_int_equal(cb_gb_run("-^filt/", record, &rec), 1);
	assert_string_equal(rec.runs[0].name, "other/gamma");
}

static void test_bad_filter_regex_returns_minus_one(void **state)
{
	recorder rec = {0};

	(void)state;
	cb_gb_register("filt/alpha", empty_batch, NULL);
	assert_int_equal(cb_gb_run("filt/([", record, &rec), -1);
	assert_int_equal(rec.n, 0);
}

static void test_batch_loop_runs_reported_iterations(void **state)
{
	recorder rec = {0};
	counted c = {0};

	(void)state;
	cb_gb_min_time(cb_gb_register("loop/batch", count_batch, &c), 0.01);
	assert_int_equal(cb_gb_run("^loop/batch/", record, &rec), 1);
	assert_int_equal(rec.n, 1);
	assert_true(rec.runs[0].iterations > 1);
	assert_int_equal(c.last, rec.runs[0].iterations);
	assert_int_equal(c.max_iterations, rec.runs[0].iterations);
}

static void test_batch_loop_runs_fixed_iterations(void **state)
{
	recorder rec = {0};
	counted c = {0};

	(void)state;
	cb_gb_iterations(cb_gb_register("loop/fixed", count_batch, &c), 12345);
	assert_int_equal(cb_gb_run("^loop/fixed/", record, &rec), 1);
	assert_int_equal(rec.runs[0].iterations, 12345);
	assert_int_equal(c.last, 12345);
}

static void test_keep_running_runs_reported_iterations(void **state)
{
	recorder rec = {0};
	counted c = {0};

	(void)state;
	cb_gb_min_time(cb_gb_register("loop/keep", count_keep_running, &c), 0.01);
	assert_int_equal(cb_gb_run("^loop/keep/", record, &rec), 1);
	assert_true(rec.runs[0].iterations > 1);
	assert_int_equal(c.last, rec.runs[0].iterations);
}

static void test_arg_and_label_are_reported(void **state)
{
	recorder rec = {0};
	int64_t seen = 0;

	(void)state;
	cb_gb_bench *b = cb_gb_register("args/size", labelled_arg, &seen);
	cb_gb_arg(b, 42);
	cb_gb_iterations(b, 1);
	assert_int_equal(cb_gb_run("^args/", record, &rec), 1);
	assert_int_equal(seen, 42);
	assert_string_equal(rec.runs[0].benchmark, "args/size/42");
	assert_string_equal(rec.runs[0].name, "args/size/42/iterations:1");
	assert_string_equal(rec.runs[0].label, "warm cache");
}

static void test_threads_run_the_body_in_each(void **state)
{
	recorder rec = {0};
	int seen = 0;

	(void)state;
	cb_gb_bench *b = cb_gb_register("thr/two", thread_count, &seen);
	cb_gb_threads(b, 2);
	cb_gb_iterations(b, 10);
	assert_int_equal(cb_gb_run("^thr/", record, &rec), 1);
	assert_int_equal(seen, 2);
	assert_int_equal(rec.runs[0].iterations, 2 * 10);
}

static void test_aggregates_only_hides_repetitions(void **state)
{
	recorder rec = {0};

	(void)state;
	cb_gb_report_aggregates_only(register_manual("manual/agg"), true);
	assert_int_equal(cb_gb_run("^manual/agg/", record, &rec), 1);
	assert_int_equal(rec.n, 4);
	for (int i = 0; i < rec.n; i++)
		assert_string_not_equal(rec.runs[i].aggregate, "");
}

/* With 20 repetitions of each of two benchmarks, an unshuffled order would
 * come out of a fair shuffle once in about 10^11 runs. */
static void test_repetitions_are_interleaved_by_default(void **state)
{
	const int reps = 20;
	const char *msg;

	(void)state;
	memset(&seq, 0, sizeof seq);
	cb_gb_bench *a = cb_gb_register("mix/a", append_a, NULL);
	cb_gb_bench *b = cb_gb_register("mix/b", append_b, NULL);
	cb_gb_iterations(a, 1);
	cb_gb_repetitions(a, reps);
	cb_gb_iterations(b, 1);
	cb_gb_repetitions(b, reps);
	assert_int_equal(cb_gb_run("^mix/", NULL, NULL), 2);
	assert_int_equal(seq.n, 2 * reps);
	msg = "aaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbb";
	assert_memory_not_equal(seq.order, msg, 2 * reps);
	msg = "bbbbbbbbbbbbbbbbbbbbaaaaaaaaaaaaaaaaaaaa";
	assert_memory_not_equal(seq.order, msg, 2 * reps);
}

static void test_benchmark_out_flag_writes_json(void **state)
{
	char buf[4096];
	size_t len;
	FILE *f;

	(void)state;
	cb_gb_iterations(cb_gb_register("out/json", empty_batch, NULL), 1);
	assert_int_equal(cb_gb_run("^out/", NULL, NULL), 1);
	f = fopen(out_path, "r");
	assert_non_null(f);
	len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[len] = '\0';
	assert_non_null(strstr(buf, "\"benchmarks\": ["));
	assert_non_null(strstr(buf, "\"name\": \"out/json/iterations:1\""));
}

/* --- fixtures --- */

static int clear_benchmarks(void **state)
{
	(void)state;
	cb_gb_clear();
	return 0;
}

static int init_once(void **state)
{
	int fd = mkstemp(out_path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s", out_path);
	cb_gb_init(&init_argc, init_argv);
	return 0;
}

static int remove_out(void **state)
{
	(void)state;
	unlink(out_path);
	return 0;
}

#define T(fn) cmocka_unit_test_teardown(fn, clear_benchmarks)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_removes_only_benchmark_flags),
		T(test_init_again_is_ignored),
		T(test_manual_time_repetitions_report_set_time),
		T(test_manual_time_aggregates_are_reported),
		T(test_time_unit_keeps_seconds),
		T(test_counters_are_finalised),
		T(test_skip_with_error_reports_message),
		T(test_filter_selects_matching_benchmarks),
		T(test_negative_filter_excludes_matches),
		T(test_bad_filter_regex_returns_minus_one),
		T(test_batch_loop_runs_reported_iterations),
		T(test_batch_loop_runs_fixed_iterations),
		T(test_keep_running_runs_reported_iterations),
		T(test_arg_and_label_are_reported),
		T(test_threads_run_the_body_in_each),
		T(test_aggregates_only_hides_repetitions),
		T(test_repetitions_are_interleaved_by_default),
		T(test_benchmark_out_flag_writes_json),
	};
	return cmocka_run_group_tests(tests, init_once, remove_out);
}
