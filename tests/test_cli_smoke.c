/* End to end: `concbench run --size tiny` as a user runs it, then the
 * results.json it wrote is read back and checked against the schema's
 * contract (results/README.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "resultfile/read.h"
#include "engine/run.h"

static char dir[] = "/tmp/concbench-smoke-XXXXXX";

static int run_cmd(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *bin(void)
{
	const char *b = getenv("CONCBENCH");
	return b ? b : "./concbench";
}

static void check_cell(json_t *c)
{
	const char *keys[] = { "id", "workload", "kind", "size", "params", "strategy", "workers",
	                       "concurrency", "pin", "schedule", "reps", "stats", "checksum",
	                       "checksum_ok", "speedup", "efficiency", "serial_fraction",
	                       "amdahl_speedup", "oversubscribed", "placement", "throughput" };
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
		assert_non_null(json_object_get(c, keys[k]));
	assert_true(json_is_true(json_object_get(c, "checksum_ok")));
	json_t *reps = json_object_get(c, "reps");
	assert_int_equal(json_array_size(reps), 2);
	size_t i;
	json_t *r;
	json_array_foreach(reps, i, r) {
		const char *rk[] = { "wall_s", "pre_s", "par_s", "post_s", "user_s", "sys_s", "vcsw",
		                     "ivcsw", "migrations", "maxrss_kib", "cpus" };
		for (size_t k = 0; k < sizeof rk / sizeof *rk; k++)
			assert_non_null(json_object_get(r, rk[k]));
		double sum = json_real_value(json_object_get(r, "pre_s")) +
		             json_real_value(json_object_get(r, "par_s")) +
		             json_real_value(json_object_get(r, "post_s"));
		assert_float_equal(json_real_value(json_object_get(r, "wall_s")), sum, 1e-9);
	}
	json_t *st = json_object_get(c, "stats");
	const char *sk[] = { "median_s", "mean_s", "stddev_s", "cv", "min_s", "max_s" };
	for (size_t k = 0; k < sizeof sk / sizeof *sk; k++)
		assert_true(json_is_number(json_object_get(st, sk[k])));
	assert_true(json_real_value(json_object_get(c, "speedup")) > 0);
}

static void test_run_tiny_writes_valid_results(void **state)
{
	(void)state;
	assert_int_equal(run_cmd("%s run -q --size tiny -w cpu.primes,synth.amdahl -s serial,threads "
	                         "-n 1,2 -r 2 -o %s/res", bin(), dir), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/res/latest/results.json", dir);
	cb_rdoc *doc;
	cb_error err = { 0 };
	assert_int_equal(cb_results_read(path, &doc, &err), 0);
	json_t *root = json_incref(doc->root);
	cb_rdoc_free(doc);
	assert_string_equal(json_string_value(json_object_get(root, "schema")), "concbench.results/1");
	assert_true(json_is_true(json_object_get(root, "complete")));
	const char *top[] = { "concbench_version", "created", "command", "machine", "config" };
	for (size_t k = 0; k < sizeof top / sizeof *top; k++)
		assert_non_null(json_object_get(root, top[k]));
	/* Round trip: what the writer writes, the reader reads back unchanged. */
	char again[400];
	snprintf(again, sizeof again, "%s/again", dir);
	assert_int_equal(cb_mkdir_p(again, &err), 0);
	assert_int_equal(cb_results_write_json(again, root, &err), 0);
	snprintf(path, sizeof path, "%s/results.json", again);
	cb_rdoc *doc2;
	assert_int_equal(cb_results_read(path, &doc2, &err), 0);
	assert_true(json_equal(doc2->root, root));
	cb_rdoc_free(doc2);

	json_t *cells = json_object_get(root, "cells");
	/* per workload: serial + threads at 1 and 2 workers */
	assert_int_equal(json_array_size(cells), 6);
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
		check_cell(c);
	json_decref(root);

	/* The CSV has a header and one row per cell. */
	snprintf(path, sizeof path, "%s/res/latest/results.csv", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int lines = 0;
	char line[4096];
	while (fgets(line, sizeof line, f))
		lines++;
	fclose(f);
	assert_int_equal(lines, 7);
}

/* One repetition has a median but no spread: stddev and cv are null, not 0
 * (a cv of 0.0% would read as a perfectly steady cell). */
static void test_one_repetition_has_no_cv(void **state)
{
	(void)state;
	assert_int_equal(run_cmd("%s run -q --size tiny -w cpu.primes -s serial -r 1 -o %s/one", bin(), dir), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/one/latest/results.json", dir);
	cb_rdoc *doc;
	cb_error err = { 0 };
	assert_int_equal(cb_results_read(path, &doc, &err), 0);
	json_t *st = json_object_get(json_array_get(json_object_get(doc->root, "cells"), 0), "stats");
	assert_true(json_is_number(json_object_get(st, "median_s")));
	assert_true(json_is_null(json_object_get(st, "stddev_s")));
	assert_true(json_is_null(json_object_get(st, "cv")));
	/* The run's folder reads as its results.json. */
	cb_rdoc *same;
	snprintf(path, sizeof path, "%s/one/latest", dir);
	assert_int_equal(cb_results_read(path, &same, &err), 0);
	assert_true(json_equal(same->root, doc->root));
	cb_rdoc_free(same);
	cb_rdoc_free(doc);
}

static void test_results_read_rejects_non_results(void **state)
{
	(void)state;
	char path[512];
	cb_rdoc *root;
	cb_error e1 = { 0 }, e2 = { 0 }, e3 = { 0 };
	snprintf(path, sizeof path, "%s/bad.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"schema\": \"other/2\", \"cells\": []}", f);
	fclose(f);
	assert_int_equal(cb_results_read(path, &root, &e1), -1);
	assert_int_equal(e1.code, CB_EXIT_USAGE);
	assert_non_null(strstr(e1.msg, "unsupported schema 'other/2'"));
	f = fopen(path, "w");
	fputs("{\"schema\": \"concbench.results/1\", \"cells\": [", f);
	fclose(f);
	assert_int_equal(cb_results_read(path, &root, &e2), -1);
	assert_non_null(strstr(e2.msg, "not valid JSON"));
	assert_int_equal(cb_results_read(dir, &root, &e3), -1);
	assert_non_null(strstr(e3.msg, "a folder without results.json"));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return run_cmd("rm -rf %s", dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_tiny_writes_valid_results),
		cmocka_unit_test(test_one_repetition_has_no_cv),
		cmocka_unit_test(test_results_read_rejects_non_results),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
