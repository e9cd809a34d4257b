/* The derived figures results.json carries (cb_results_derive), on
 * constructed phase times with a known serial fraction of 0.1: scaled
 * speedup under weak scaling, efficiency, oversubscription, rounds, and
 * strong scaling as it always was. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "scaling_fixture.h"

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.9g, want %.9g (tolerance %g)", got, want, tol);
}

/* Gustafson's ideal cell: the job doubled, two workers, the parallel part
 * halved: 0.05 + 1.8 / 2 + 0.05 = 1.0 s. The work is 0.1 + 1.8 = 1.9 s of
 * serial time, so the speedup is 1.9, not 2 x 1.0 / 1.0. */
static void test_results_weak_speedup_is_serial_time_of_scaled_job(void **state)
{
	(void)state;
	json_t *doc = sf_doc(true);
	sf_serial(doc);
	json_t *c = sf_cell(doc, "threads", 2, 2, 2, 0.05, 0.9, 0.05, NULL, 0);
	cb_results_derive(doc);
	assert_near(sf_num(c, "speedup"), 1.9, 1e-9);
	assert_near(sf_num(c, "efficiency"), 0.95, 1e-9);
	assert_near(sf_num(c, "gustafson_speedup"), 1.9, 1e-9);
	assert_near(sf_num(c, "speedup_bound"), 1.9, 1e-9);
	assert_near(sf_num(c, "t_serial_s"), 1.9, 1e-9);
	assert_string_equal(json_string_value(json_object_get(c, "t_serial_method")), "derived");
	json_decref(doc);
}

/* Strong scaling: T1 is measured on the same job, speedup T1 / Tp. */
static void test_results_strong_speedup_is_ratio_of_medians(void **state)
{
	(void)state;
	json_t *doc = sf_doc(false);
	json_t *b = sf_serial(doc);
	json_t *c = sf_cell(doc, "threads", 2, 1, 2, 0.05, 0.45, 0.05, NULL, 0);
	cb_results_derive(doc);
	double t1 = sf_num(json_object_get(b, "stats"), "median_s");
	double tp = sf_num(json_object_get(c, "stats"), "median_s");
	assert_true(sf_num(c, "speedup") == t1 / tp);
	assert_near(sf_num(c, "speedup"), 1.0 / 0.55, 1e-9);
	assert_near(sf_num(c, "amdahl_speedup"), 1.0 / 0.55, 1e-9);
	assert_near(sf_num(c, "speedup_bound"), 1.0 / 0.55, 1e-9);
	assert_string_equal(json_string_value(json_object_get(c, "t_serial_method")), "measured");
	assert_near(sf_num(b, "speedup"), 1.0, 0);
	json_decref(doc);
}

/* With 3 rounds or more on both, the speedup is the median of the ratios of
 * the rounds the two cells ran side by side: here the cell's second round
 * fell in a slow spell (x1.5) that the serial cell's second round met less
 * (x1.2); every other round pairs exactly at 1 / 0.55. The ratio of
 * the medians would say 1.484. */
static void test_results_strong_speedup_from_paired_rounds(void **state)
{
	(void)state;
	json_t *doc = sf_doc(false);
	static const double serial_drift[] = { 1.0, 1.2, 1.5 }, cell_drift[] = { 1.0, 1.5, 1.5 };
	json_t *b = sf_cell(doc, "serial", 1, 1, 2, 0.05, 0.9, 0.05, serial_drift, 3);
	json_t *c = sf_cell(doc, "threads", 2, 1, 2, 0.05, 0.45, 0.05, cell_drift, 3);
	cb_results_derive(doc);
	/* Round ratios 1/0.55 x (1, 0.8, 1): the Hodges-Lehmann estimate of
	 * their logs is log(1/0.55) + log(0.8) / 4; the drift the rounds
	 * share (round 3) cancels, the ratio of medians does not. */
	assert_near(sf_num(c, "speedup"), pow(0.8, 0.25) / 0.55, 1e-9);
	assert_near(sf_num(json_object_get(b, "stats"), "median_s") / sf_num(json_object_get(c, "stats"), "median_s"),
	            1.2 / (1.47 * 0.55), 1e-9);
	assert_string_equal(json_string_value(json_object_get(c, "speedup_method")), "paired rounds");
	assert_near(sf_num(b, "speedup"), 1.0, 1e-12);
	/* Two rounds are not enough to pair: the ratio of medians. */
	json_t *doc2 = sf_doc(false);
	sf_cell(doc2, "serial", 1, 1, 2, 0.05, 0.9, 0.05, serial_drift, 2);
	json_t *c2 = sf_cell(doc2, "threads", 2, 1, 2, 0.05, 0.45, 0.05, cell_drift, 2);
	cb_results_derive(doc2);
	assert_string_equal(json_string_value(json_object_get(c2, "speedup_method")), "ratio of medians");
	json_decref(doc2);
	json_decref(doc);
}

/* Four workers on two PUs, the job four times the serial one: ideal is
 * 0.1 + 3.6 / 2 = 1.9 s for 3.7 s of serial work, speedup 1.947 and
 * efficiency (capped at the two usable PUs) 0.974, never above 1. */
static void test_results_weak_oversubscribed_efficiency_at_most_one(void **state)
{
	(void)state;
	json_t *doc = sf_doc(true);
	sf_serial(doc);
	json_t *c = sf_cell(doc, "threads", 4, 4, 2, 0.05, 1.8, 0.05, NULL, 0);
	cb_results_derive(doc);
	assert_near(sf_num(c, "speedup"), 3.7 / 1.9, 1e-9);
	assert_near(sf_num(c, "efficiency"), 3.7 / 1.9 / 2, 1e-9);
	assert_true(sf_num(c, "efficiency") <= 1.0);
	/* The ideal for this cell: its job grew four times, its PUs two. */
	assert_near(sf_num(c, "speedup_bound"), 3.7 / 1.9, 1e-9);
	json_decref(doc);
}

/* Three rounds on a drifting machine (every phase 1.3x slower in one,
 * 0.8x in another): the serial fraction is the same in each repetition,
 * and the scaled serial time pairs each repetition's own phases. */
static void test_results_rounds_serial_fraction_and_speedup_hold_under_drift(void **state)
{
	(void)state;
	static const double drift[] = { 1.0, 1.3, 0.8 };
	json_t *doc = sf_doc(true);
	json_t *b = sf_cell(doc, "serial", 1, 1, 2, 0.05, 0.9, 0.05, drift, 3);
	json_t *c = sf_cell(doc, "threads", 2, 2, 2, 0.05, 0.9, 0.05, drift, 3);
	cb_results_derive(doc);
	assert_near(sf_num(b, "serial_fraction"), 0.1, 1e-12);
	assert_near(sf_num(c, "serial_fraction"), 0.1, 1e-12);
	assert_near(sf_num(c, "speedup"), 1.9, 1e-9);
	assert_near(sf_num(c, "gustafson_speedup"), 1.9, 1e-9);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_weak_speedup_is_serial_time_of_scaled_job),
		cmocka_unit_test(test_results_strong_speedup_is_ratio_of_medians),
		cmocka_unit_test(test_results_strong_speedup_from_paired_rounds),
		cmocka_unit_test(test_results_weak_oversubscribed_efficiency_at_most_one),
		cmocka_unit_test(test_results_rounds_serial_fraction_and_speedup_hold_under_drift),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
