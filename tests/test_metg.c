/* METG (analysis/metg.c) on constructed efficiency curves. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analysis/metg.h"

static void crossing_interpolated_in_log_duration(void **state)
{
	(void)state;
	double d[] = { 1e-6, 1e-5, 1e-4, 1e-3 }, e[] = { 0.1, 0.3, 0.7, 0.95 };
	cb_metg_where w;
	/* 0.5 lies halfway from 0.3 to 0.7: halfway from 10 to 100 us in log. */
	assert_float_equal(cb_metg(d, e, 4, 0.5, &w), sqrt(1e-5 * 1e-4), 1e-12);
	assert_int_equal(w, CB_METG_FOUND);
	assert_float_equal(cb_metg(d, e, 4, 0.9, &w), exp(log(1e-4) + 0.8 * (log(1e-3) - log(1e-4))), 1e-12);
}

static void the_first_crossing_counts(void **state)
{
	(void)state;
	/* Efficient from 100 us on, short again at 10 ms (5 tasks on 2
	 * workers: imbalance): the METG is the crossing below 100 us. */
	double d[] = { 1e-5, 1e-4, 1e-3, 1e-2 }, e[] = { 0.3, 0.7, 0.95, 0.83 };
	cb_metg_where w;
	double m = cb_metg(d, e, 4, 0.5, &w);
	assert_int_equal(w, CB_METG_FOUND);
	assert_true(m > 1e-5 && m < 1e-4);
	assert_float_equal(cb_metg(d, e, 4, 0.9, &w), exp(log(1e-4) + 0.8 * (log(1e-3) - log(1e-4))), 1e-12);
	assert_int_equal(w, CB_METG_FOUND);
}

static void outside_the_range(void **state)
{
	(void)state;
	double d[] = { 1e-6, 1e-5 }, hi[] = { 0.6, 0.9 }, lo[] = { 0.1, 0.2 };
	cb_metg_where w;
	assert_float_equal(cb_metg(d, hi, 2, 0.5, &w), 1e-6, 0);
	assert_int_equal(w, CB_METG_BELOW);
	assert_float_equal(cb_metg(d, lo, 2, 0.5, &w), 1e-5, 0);
	assert_int_equal(w, CB_METG_NONE);
	assert_true(isnan(cb_metg(d, lo, 0, 0.5, &w)));
}

static void price_list_estimate(void **state)
{
	(void)state;
	/* 1 us a task, no job cost: half efficiency at 1 us tasks, 90% at 9 us. */
	assert_float_equal(cb_metg_estimate(1e-6, 0, 2, 0.05, 0.5), 1e-6, 1e-15);
	assert_float_equal(cb_metg_estimate(1e-6, 0, 2, 0.05, 0.9), 9e-6, 1e-15);
	/* A job cost of 5 ms on 2 workers against 50 ms of work: 1 / (1 - 0.2). */
	assert_float_equal(cb_metg_estimate(1e-6, 5e-3, 2, 0.05, 0.5), 1.25e-6, 1e-15);
	/* A job cost that alone halves the efficiency: never. */
	assert_true(isnan(cb_metg_estimate(1e-6, 25e-3, 2, 0.05, 0.5)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crossing_interpolated_in_log_duration),
		cmocka_unit_test(the_first_crossing_counts),
		cmocka_unit_test(outside_the_range),
		cmocka_unit_test(price_list_estimate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
