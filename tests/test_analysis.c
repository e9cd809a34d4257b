/* Known answers for the scaling laws in harness/analysis/analysis.c: the R usl
 * package's synthetic set, a constructed Amdahl workload with f = 0.05,
 * and small hand-computed cases for the bound, Little's law and verdicts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analysis/analysis.h"

#define NELEM(a) (sizeof(a) / sizeof *(a))

/* Three significant digits, as the published coefficients are given. */
static void assert_3sig(double got, double want)
{
	if (fabs(got - want) > 0.5e-3 * fabs(want) + 1e-12)
		fail_msg("got %.6g, want %.3g", got, want);
}

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.9g, want %.9g (tolerance %g)", got, want, tol);
}

static const double usl_n[] = { 1, 2, 4, 6, 8, 10 };
static const double usl_x[] = { 1, 1.8868, 3.0769, 3.5294, 3.5398, 3.3557 };

/* The speedup from paired rounds: the Hodges-Lehmann estimate of
 * log(base[k] / cell[k]) over the rounds both have (ratios 2, 1, 2: Walsh
 * averages of their logs 0, l/2, l/2, l, l, l with l = log 2, median 3l/4);
 * fewer than 3, or a time not positive, is no answer. */
static void test_paired_speedup_of_round_ratios(void **state)
{
	(void)state;
	const double base[] = { 10, 10, 20, 30 }, cell[] = { 5, 10, 10 };
	double s = -1, lo = -1, hi = -1, r[3];
	assert_true(cb_paired_speedup(base, 4, cell, 3, &s, &lo, &hi, r));   /* the first 3 rounds */
	assert_true(fabs(s - pow(2, 0.75)) < 1e-12 && lo == 1.0 && hi == 2.0);
	assert_true(r[0] == 2.0 && r[1] == 1.0 && r[2] == 2.0);
	/* The ratio of the medians of the same rounds would be 10 / 10. */
	assert_true(cb_median(base, 3) / cb_median(cell, 3) == 1.0);
	s = -1;
	assert_false(cb_paired_speedup(base, 2, cell, 2, &s, NULL, NULL, NULL));
	const double zero[] = { 5, 0, 10 };
	assert_false(cb_paired_speedup(base, 3, zero, 3, &s, NULL, NULL, NULL));
	assert_true(s == -1);
}

static void test_usl_fit_r_synthetic_matches_published(void **state)
{
	(void)state;
	cb_usl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_usl_fit_points(usl_n, usl_x, NELEM(usl_n), &fit, &err), 0);
	assert_3sig(fit.alpha, 0.02);
	assert_3sig(fit.beta, 0.02);
	assert_3sig(fit.gamma, 1.00);
	assert_true(fit.r2 > 0.9999);
	assert_true(fit.se_alpha >= 0 && fit.se_alpha < 1e-3);
	assert_true(fit.se_beta >= 0 && fit.se_beta < 1e-3);
	/* N* = sqrt(0.98 / 0.02) = 7 */
	assert_near(fit.peak_n, 7.0, 0.01);
	assert_near(fit.peak_x, cb_usl_eval(&fit, 7.0), 1e-9);
}

static void test_usl_fit_throughput_units_carried_by_gamma(void **state)
{
	(void)state;
	double x[NELEM(usl_x)];
	for (size_t i = 0; i < NELEM(x); i++)
		x[i] = 250.0 * usl_x[i];
	cb_usl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_usl_fit_points(usl_n, x, NELEM(x), &fit, &err), 0);
	assert_3sig(fit.gamma, 250.0);
	assert_3sig(fit.alpha, 0.02);
	assert_3sig(fit.beta, 0.02);
}

static void test_usl_fit_linear_data_holds_bounds_at_zero(void **state)
{
	(void)state;
	/* Superlinear-looking noise would want negative alpha; the bound holds. */
	const double n[] = { 1, 2, 4, 8 }, x[] = { 10, 20.2, 40.5, 81.5 };
	cb_usl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_usl_fit_points(n, x, NELEM(n), &fit, &err), 0);
	assert_true(fit.alpha >= 0);
	assert_true(fit.beta >= 0);
	assert_true(isinf(fit.peak_n) || fit.peak_n > 8);
}

static void test_usl_fit_amdahl_data_gives_zero_beta(void **state)
{
	(void)state;
	/* Amdahl is USL with beta = 0 and alpha = f. */
	const double n[] = { 1, 2, 4, 8, 16 };
	double x[NELEM(n)];
	for (size_t i = 0; i < NELEM(n); i++)
		x[i] = cb_amdahl_speedup(0.1, n[i]);
	cb_usl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_usl_fit_points(n, x, NELEM(n), &fit, &err), 0);
	assert_near(fit.alpha, 0.1, 1e-6);
	assert_near(fit.beta, 0.0, 1e-6);
	assert_true(isinf(fit.peak_n));
}

static void test_usl_fit_two_points_is_error(void **state)
{
	(void)state;
	cb_usl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_usl_fit_points(usl_n, usl_x, 2, &fit, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
}

static void test_usl_fit_duplicate_n_is_error(void **state)
{
	(void)state;
	const double n[] = { 1, 2, 2 }, x[] = { 1, 2, 2 };
	cb_usl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_usl_fit_points(n, x, 3, &fit, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
}

static const double amd_p[] = { 1, 2, 4, 8, 16, 32, 64 };
static const double amd_s[] = { 1, 1.904762, 3.478261, 5.925926, 9.142857, 12.54902, 15.421687 };

static void test_amdahl_prediction_f005_matches_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(amd_p); i++)
		assert_near(cb_amdahl_speedup(0.05, amd_p[i]), amd_s[i], 1e-5);
}

static void test_karp_flatt_f005_is_005_at_every_n(void **state)
{
	(void)state;
	assert_true(isnan(cb_karp_flatt(amd_s[0], amd_p[0])));
	for (size_t i = 1; i < NELEM(amd_p); i++)
		assert_near(cb_karp_flatt(amd_s[i], amd_p[i]), 0.05, 1e-5);
}

static void test_amdahl_fit_f005_recovers_005(void **state)
{
	(void)state;
	cb_amdahl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_amdahl_fit_points(amd_p, amd_s, NELEM(amd_p), &fit, &err), 0);
	assert_near(fit.f, 0.05, 1e-5);
	assert_true(fit.se < 1e-5);
	assert_int_equal(fit.used, 6);
}

static void test_amdahl_fit_noisy_points_gives_standard_error(void **state)
{
	(void)state;
	const double p[] = { 2, 4, 8 }, s[] = { 1.80, 3.10, 4.60 };
	cb_amdahl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_amdahl_fit_points(p, s, 3, &fit, &err), 0);
	assert_true(fit.f > 0.05 && fit.f < 0.15);
	assert_true(fit.se > 0 && fit.se < 0.05);
}

static void test_amdahl_fit_serial_only_is_error(void **state)
{
	(void)state;
	const double p[] = { 1 }, s[] = { 1 };
	cb_amdahl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_amdahl_fit_points(p, s, 1, &fit, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
}

static void test_speedup_and_efficiency_known_values(void **state)
{
	(void)state;
	assert_near(cb_speedup(8.0, 2.0), 4.0, 1e-12);
	assert_near(cb_efficiency(4.0, 8.0), 0.5, 1e-12);
	assert_true(isnan(cb_speedup(1.0, 0.0)));
}

static void test_gustafson_scaled_speedup_known_values(void **state)
{
	(void)state;
	assert_near(cb_gustafson_speedup(0.05, 64), 60.85, 1e-9);
}

/* A serial run of 1 s with f = 0.1 (pre + post 0.1, par 0.9): the job four
 * times as large takes 0.1 + 3.6 = 3.7 s serially, not 4 s. */
static void test_scaled_serial_time_grows_only_the_parallel_part(void **state)
{
	(void)state;
	const double wall[] = { 1.02, 0.98, 1.0 }, par[] = { 0.918, 0.882, 0.9 };
	assert_near(cb_scaled_serial_s(wall, par, 3, 1), 1.0, 0);
	assert_near(cb_scaled_serial_s(wall, par, 3, 4), 3.7, 1e-12);
	/* Gustafson's ideal cell runs it in 1 s on 4 PUs. */
	assert_near(cb_scaled_speedup(cb_scaled_serial_s(wall, par, 3, 4), 1.0), 3.7, 1e-12);
	assert_near(cb_gustafson_speedup(0.1, 4), 3.7, 1e-12);
	assert_true(isnan(cb_scaled_serial_s(wall, par, 0, 2)));
}

/* The bound joins Amdahl (scale 1) and Gustafson (scale p); Karp-Flatt by
 * the same law gives back the f the bound was made with. */
static void test_speedup_bound_and_karp_flatt_invert_each_other(void **state)
{
	(void)state;
	assert_near(cb_speedup_bound(0.1, 1, 2), cb_amdahl_speedup(0.1, 2), 0);
	assert_near(cb_speedup_bound(0.1, 2, 2), 1.9, 1e-12);
	/* Four times the job on two PUs: (0.1 + 3.6) / (0.1 + 1.8). */
	assert_near(cb_speedup_bound(0.1, 4, 2), 3.7 / 1.9, 1e-12);
	const double k[] = { 1, 2, 4, 8 }, p[] = { 2, 2, 2, 8 };
	for (size_t i = 0; i < NELEM(k); i++)
		assert_near(cb_karp_flatt_scaled(cb_speedup_bound(0.07, k[i], p[i]), k[i], p[i]), 0.07, 1e-12);
	assert_near(cb_karp_flatt_scaled(1.5, 1, 4), cb_karp_flatt(1.5, 4), 0);
	/* Amdahl's Karp-Flatt on a scaled speedup reads f = 0.1 as 0.053. */
	assert_true(fabs(cb_karp_flatt(1.9, 2) - 0.1) > 0.04);
	assert_true(isnan(cb_karp_flatt_scaled(1.9, 2, 1)));
}

static void test_gustafson_fit_recovers_constructed_f(void **state)
{
	(void)state;
	const double p[] = { 1, 2, 4, 8 };
	double s[4];
	for (size_t i = 0; i < 4; i++)
		s[i] = cb_gustafson_speedup(0.15, p[i]);
	cb_amdahl_fit fit;
	cb_error err = { 0 };
	assert_int_equal(cb_gustafson_fit_points(p, s, 4, &fit, &err), 0);
	assert_near(fit.f, 0.15, 1e-12);
	assert_int_equal(fit.used, 3);
	assert_int_equal(cb_gustafson_fit_points(p, s, 1, &fit, &err), -1);
}

static void test_io_bound_takes_smaller_limit(void **state)
{
	(void)state;
	/* 256 sleeps of 10 ms in flight: 25600/s by latency; 4 cores at
	 * 1 ms CPU each: 4000/s. */
	assert_near(cb_io_bound(256, 0.010, 4, 0.001), 4000, 1e-9);
	assert_near(cb_io_bound(16, 0.010, 4, 0.001), 1600, 1e-9);
	assert_near(cb_io_bound(16, 0.010, 4, 0), 1600, 1e-9);
}

static void test_little_check_agreeing_numbers_consistent(void **state)
{
	(void)state;
	cb_little l = cb_little_check(16, 1550, 0.0101, 0.1);
	assert_near(l.implied, 15.655, 1e-9);
	assert_true(l.consistent);
	l = cb_little_check(256, 4000, 0.010, 0.1);
	assert_false(l.consistent);
}

static void test_verdict_separated_intervals_beyond_noise(void **state)
{
	(void)state;
	const cb_timing t[] = { { 2.0, 1.9, 2.1 }, { 1.0, 0.95, 1.05 }, { 1.2, 1.1, 1.3 } };
	cb_verdict v = cb_verdict_pick(t, 3);
	assert_int_equal(v.best, 1);
	assert_int_equal(v.runner_up, 2);
	assert_near(v.margin, 0.2, 1e-12);
	assert_true(v.beyond_noise);
}

static void test_verdict_overlapping_intervals_within_noise(void **state)
{
	(void)state;
	const cb_timing t[] = { { 1.00, 0.90, 1.20 }, { 1.02, 0.95, 1.10 } };
	cb_verdict v = cb_verdict_pick(t, 2);
	assert_int_equal(v.best, 0);
	assert_false(v.beyond_noise);
	cb_verdict one = cb_verdict_pick(t, 1);
	assert_int_equal(one.runner_up, -1);
}

static void test_median_even_and_odd_counts(void **state)
{
	(void)state;
	const double a[] = { 3, 1, 2 }, b[] = { 4, 1, 3, 2 };
	assert_near(cb_median(a, 3), 2, 0);
	assert_near(cb_median(b, 4), 2.5, 0);
	assert_true(isnan(cb_median(a, 0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paired_speedup_of_round_ratios),
		cmocka_unit_test(test_usl_fit_r_synthetic_matches_published),
		cmocka_unit_test(test_usl_fit_throughput_units_carried_by_gamma),
		cmocka_unit_test(test_usl_fit_linear_data_holds_bounds_at_zero),
		cmocka_unit_test(test_usl_fit_amdahl_data_gives_zero_beta),
		cmocka_unit_test(test_usl_fit_two_points_is_error),
		cmocka_unit_test(test_usl_fit_duplicate_n_is_error),
		cmocka_unit_test(test_amdahl_prediction_f005_matches_table),
		cmocka_unit_test(test_karp_flatt_f005_is_005_at_every_n),
		cmocka_unit_test(test_amdahl_fit_f005_recovers_005),
		cmocka_unit_test(test_amdahl_fit_noisy_points_gives_standard_error),
		cmocka_unit_test(test_amdahl_fit_serial_only_is_error),
		cmocka_unit_test(test_speedup_and_efficiency_known_values),
		cmocka_unit_test(test_gustafson_scaled_speedup_known_values),
		cmocka_unit_test(test_scaled_serial_time_grows_only_the_parallel_part),
		cmocka_unit_test(test_speedup_bound_and_karp_flatt_invert_each_other),
		cmocka_unit_test(test_gustafson_fit_recovers_constructed_f),
		cmocka_unit_test(test_io_bound_takes_smaller_limit),
		cmocka_unit_test(test_little_check_agreeing_numbers_consistent),
		cmocka_unit_test(test_verdict_separated_intervals_beyond_noise),
		cmocka_unit_test(test_verdict_overlapping_intervals_within_noise),
		cmocka_unit_test(test_median_even_and_odd_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
