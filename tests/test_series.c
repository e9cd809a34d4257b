/* Grouping of result cells into scaling series and the numbers derived on
 * them, read from the synthetic fixture in tests/data/ and from CSV text. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "resultfile/read.h"
#include "analysis/series.h"

static char *fixture_path(void)
{
	const char *src = getenv("CB_SOURCE_DIR");
	return cb_xasprintf("%s/tests/data/results-synthetic.json", src ? src : CB_SOURCE_DIR);
}

static const cb_series *find(const cb_series_set *set, const char *label)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->s[i].label, label))
			return &set->s[i];
	fail_msg("no series '%s'", label);
	return NULL;
}

static void test_series_fixture_groups_by_strategy_and_load(void **state)
{
	(void)state;
	char *path = fixture_path();
	cb_rdoc *doc = NULL;
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_results_read(path, &doc, &err), 0);
	assert_int_equal(cb_series_from_doc(doc, &set, &err), 0);

	const cb_series *t = find(&set, "cpu.primes/threads/compact");
	assert_int_equal(t->npts, 3);
	assert_true(t->pts[0].n == 1 && t->pts[2].n == 4);
	assert_string_equal(t->baseline, "serial");
	assert_true(t->has_usl);
	assert_true(fabs(t->f_measured - 0.00625) < 1e-9);
	/* Speedup is against the serial cell, not the strategy's own n = 1. */
	assert_true(t->pts[0].speedup < 1.0 && t->pts[0].self_speedup == 1.0);
	assert_true(t->pts[2].speedup_lo <= t->pts[2].speedup && t->pts[2].speedup <= t->pts[2].speedup_hi);

	/* Coroutines keep one loop while concurrency grows: one series. */
	const cb_series *co = find(&set, "io.sleep/coroutines/w1/compact");
	assert_int_equal(co->npts, 3);
	assert_true(co->pts[2].n == 256);

	/* The cell with a wrong checksum measures nothing and is left out. */
	const cb_series *pr = find(&set, "io.sleep/processes/compact");
	assert_int_equal(pr->npts, 1);

	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	free(path);
}

static void test_series_weak_scaling_uses_gustafson(void **state)
{
	(void)state;
	char *path = fixture_path();
	cb_rdoc *doc = NULL;
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_results_read(path, &doc, &err), 0);
	doc->weak_scaling = true;
	assert_int_equal(cb_series_from_doc(doc, &set, &err), 0);
	const cb_series *t = find(&set, "synth.amdahl/threads/compact");
	assert_true(t->weak);
	/* Gustafson at f = 0.1, p = 4: 4 - 0.1 * 3 = 3.7 */
	assert_true(fabs(t->pts[2].amdahl - 3.7) < 1e-9);
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	free(path);
}

static void test_series_points_without_n1_use_usl_gamma(void **state)
{
	(void)state;
	const double n[] = { 2, 4, 6, 8, 10 }, x[] = { 1.8868, 3.0769, 3.5294, 3.5398, 3.3557 };
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_series_from_points("usl", n, x, 5, &set, &err), 0);
	assert_string_equal(set.s[0].baseline, "USL gamma");
	assert_true(fabs(set.s[0].x_base - 1.0) < 1e-3);
	assert_true(fabs(set.s[0].pts[0].speedup - 1.8868) < 2e-3);
	cb_series_set_free(&set);
}

static void test_csv_header_comment_and_order_accepted(void **state)
{
	(void)state;
	double *n = NULL, *x = NULL;
	size_t k = 0;
	cb_error err = { 0 };
	assert_int_equal(cb_points_read_csv("t.csv", "N , X\n# note\n\n4,3.5\n1, 1\r\n2,1.9\n", &n, &x, &k, &err), 0);
	assert_int_equal(k, 3);
	assert_true(n[0] == 1 && n[1] == 2 && n[2] == 4 && x[2] == 3.5);
	free(n);
	free(x);
}

static void test_csv_second_text_line_is_error(void **state)
{
	(void)state;
	double *n = NULL, *x = NULL;
	size_t k = 0;
	cb_error err = { 0 };
	assert_int_equal(cb_points_read_csv("t.csv", "1,1\n2,2\nN,X\n4,4\n", &n, &x, &k, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "t.csv:3: field 1 (N) 'N'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series_fixture_groups_by_strategy_and_load),
		cmocka_unit_test(test_series_weak_scaling_uses_gustafson),
		cmocka_unit_test(test_series_points_without_n1_use_usl_gamma),
		cmocka_unit_test(test_csv_header_comment_and_order_accepted),
		cmocka_unit_test(test_csv_second_text_line_is_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
