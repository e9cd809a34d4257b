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
#include "scaling_fixture.h"

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

/* The constructed document of scaling_fixture.h as series: serial, and
 * threads at 1 and 2 workers whose times the caller gives for n2. */
static cb_rdoc *constructed(bool weak, double pre2, double par2, double post2, json_t **cell2)
{
	json_t *doc = sf_doc(weak);
	sf_serial(doc);
	sf_cell(doc, "threads", 1, 1, 2, 0.05, 0.9, 0.05, NULL, 0);
	json_t *c = sf_cell(doc, "threads", 2, weak ? 2 : 1, 2, pre2, par2, post2, NULL, 0);
	cb_rdoc *d = sf_read(doc);
	assert_non_null(d);
	*cell2 = json_incref(c);
	json_decref(doc);
	return d;
}

static const cb_series *threads_series(const cb_series_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->s[i].strategy, "threads"))
			return &set->s[i];
	fail_msg("no threads series");
	return NULL;
}

/* Weak scaling, Gustafson's ideal cell (f = 0.1, p = 2): the report's
 * speedup is results.json's, 1.9 and not the throughput ratio 2; the
 * efficiency follows; Karp-Flatt by Gustafson's law gives back f = 0.1. */
static void test_series_weak_speedup_matches_results_and_gustafson(void **state)
{
	(void)state;
	json_t *c;
	cb_rdoc *doc = constructed(true, 0.05, 0.9, 0.05, &c);
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_series_from_doc(doc, &set, &err), 0);
	const cb_series *t = threads_series(&set);
	assert_int_equal(t->npts, 2);
	const cb_point *p = &t->pts[1];
	assert_true(fabs(p->speedup - sf_num(c, "speedup")) < 1e-12);
	assert_true(fabs(p->speedup - 1.9) < 1e-9);
	assert_true(fabs(p->self_speedup - 1.9) < 1e-9);
	assert_true(fabs(p->efficiency - 0.95) < 1e-9);
	assert_true(fabs(p->amdahl - 1.9) < 1e-9);
	assert_true(fabs(p->karp_flatt - 0.1) < 1e-9);
	/* The fitted serial fraction is Gustafson's too. */
	assert_true(t->has_amdahl && fabs(t->amdahl.f - 0.1) < 1e-9);
	assert_false(p->above_bound);
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	json_decref(c);
}

/* Strong scaling: the same derivation is the ratio of medians it always
 * was, and Karp-Flatt is Amdahl's. */
static void test_series_strong_speedup_matches_results_and_amdahl(void **state)
{
	(void)state;
	json_t *c;
	cb_rdoc *doc = constructed(false, 0.05, 0.45, 0.05, &c);
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_series_from_doc(doc, &set, &err), 0);
	const cb_point *p = &threads_series(&set)->pts[1];
	assert_true(fabs(p->speedup - sf_num(c, "speedup")) < 1e-12);
	assert_true(fabs(p->speedup - 1.0 / 0.55) < 1e-9);
	assert_true(fabs(p->karp_flatt - 0.1) < 1e-9);
	assert_true(fabs(p->amdahl - 1.0 / 0.55) < 1e-9);
	assert_false(p->above_bound);
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	json_decref(c);
}

/* A speedup of 2 at f = 0.1 is above Amdahl's 1.818 and Gustafson's 1.9
 * even at its slowest repetition (2% spread): the guard says so. */
static void test_series_speedup_above_bound_is_flagged(void **state)
{
	(void)state;
	for (int weak = 0; weak < 2; weak++) {
		json_t *c;
		cb_rdoc *doc = weak ? constructed(true, 0.05, 0.85, 0.05, &c)
		                    : constructed(false, 0.05, 0.4, 0.05, &c);
		cb_series_set set = { 0 };
		cb_error err = { 0 };
		assert_int_equal(cb_series_from_doc(doc, &set, &err), 0);
		const cb_series *t = threads_series(&set);
		assert_true(fabs(t->pts[1].speedup - 2.0) < 1e-9);
		assert_true(t->pts[1].above_bound);
		assert_false(t->pts[0].above_bound);
		char **msg;
		size_t n = cb_series_bound_warnings(&set, &msg);
		assert_int_equal(n, 1);
		assert_non_null(strstr(msg[0], "synth.amdahl[serial=0.1]/threads/n2"));
		assert_non_null(strstr(msg[0], weak ? "Gustafson's bound 1.900" : "Amdahl's bound 1.818"));
		free(msg[0]);
		free(msg);
		cb_series_set_free(&set);
		cb_rdoc_free(doc);
		json_decref(c);
	}
}

/* Above the bound but within the cell's own spread: noise, not a finding. */
static void test_series_speedup_above_bound_within_noise_is_not_flagged(void **state)
{
	(void)state;
	json_t *doc = sf_doc(false);
	sf_serial(doc);
	/* Median speedup 1.833 (0.8% over 1.818), slowest repetition 1.745. */
	static const double drift[] = { 1.0, 1.06 };
	sf_cell(doc, "threads", 2, 1, 2, 0.05, 0.43, 0.05, drift, 2);
	cb_rdoc *d = sf_read(doc);
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_series_from_doc(d, &set, &err), 0);
	const cb_point *p = &threads_series(&set)->pts[0];
	assert_true(p->speedup > 1.0 / 0.55 && p->speedup_lo < 1.0 / 0.55);
	assert_false(p->above_bound);
	cb_series_set_free(&set);
	cb_rdoc_free(d);
	json_decref(doc);
}

/* The serial cell is measured too: a cell whose slowest repetition beats
 * the bound against the serial median (1.870 > 1.818), but whose ratio of
 * medians has a 99% interval reaching below it (a slow round of the serial
 * cell), is within the noise of the two, and the guard stays silent. */
static void test_series_speedup_above_bound_within_baseline_noise_is_not_flagged(void **state)
{
	(void)state;
	json_t *doc = sf_doc(false);
	static const double slow_round[] = { 1.0, 1.1 };   /* serial median 1.049 s, fastest 0.98 s */
	sf_cell(doc, "serial", 1, 1, 2, 0.05, 0.9, 0.05, slow_round, 2);
	sf_cell(doc, "threads", 2, 1, 2, 0.05, 0.45, 0.05, NULL, 0);
	cb_rdoc *d = sf_read(doc);
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_series_from_doc(d, &set, &err), 0);
	const cb_point *p = &threads_series(&set)->pts[0];
	assert_true(p->speedup_lo > 1.0 / 0.55);            /* the slowest repetition is above */
	assert_true(p->guard_speedup < 1.0 / 0.55 && p->guard_speedup < p->speedup);
	assert_false(p->above_bound);
	cb_series_set_free(&set);
	cb_rdoc_free(d);
	json_decref(doc);
}

/* The guard gains power with repetitions: a cell clearly above the bound
 * (median speedup 1.98 against 1.818) with one slow round of three
 * repetitions among six rounds. Its slowest repetition against the serial
 * cell's fastest (1.20) says nothing; the interval of the ratio of medians
 * does. */
static void test_series_speedup_above_bound_with_one_slow_round_is_flagged(void **state)
{
	(void)state;
	json_t *doc = sf_doc(false);
	sf_serial(doc);
	static const double one_slow[] = { 1.0, 1.0, 1.0, 1.0, 1.0, 1.6 };
	sf_cell(doc, "threads", 2, 1, 2, 0.05, 0.4, 0.05, one_slow, 6);
	cb_rdoc *d = sf_read(doc);
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_series_from_doc(d, &set, &err), 0);
	const cb_point *p = &threads_series(&set)->pts[0];
	assert_true(p->speedup > 1.9);
	assert_true(0.98 / (1.6 * 1.02 * 0.5) < 1.0 / 0.55);
	assert_true(p->guard_speedup > 1.0 / 0.55);
	assert_true(p->above_bound);
	cb_series_set_free(&set);
	cb_rdoc_free(d);
	json_decref(doc);
}

/* Paired rounds give the guard its power where the machine drifts: the
 * serial cell and a cell at speedup 2.0 (over the bound 1.818) both ran
 * their first three rounds in a spell at half speed. Every pair says 2.0,
 * and the cell is flagged; the medians of the two cells each fall between
 * the spell and the rest, and their ratio's interval reaches down to 1. */
static void test_series_guard_uses_paired_rounds(void **state)
{
	(void)state;
	json_t *doc = sf_doc(false);
	static const double spell[] = { 2.0, 2.0, 2.0, 1.0, 1.0, 1.0 };
	sf_cell(doc, "serial", 1, 1, 2, 0.05, 0.9, 0.05, spell, 6);
	sf_cell(doc, "threads", 2, 1, 2, 0.05, 0.4, 0.05, spell, 6);
	cb_rdoc *d = sf_read(doc);
	cb_series_set set = { 0 };
	cb_error err = { 0 };
	assert_int_equal(cb_series_from_doc(d, &set, &err), 0);
	const cb_point *p = &threads_series(&set)->pts[0];
	assert_true(fabs(p->speedup - 2.0) < 1e-9);
	assert_true(p->guard_speedup > 1.99);
	assert_true(p->above_bound);
	double lo, hi;
	const cb_rcell *base = NULL, *cell = p->cell;
	for (size_t i = 0; i < d->ncells; i++)
		if (!strcmp(d->cells[i].strategy, "serial"))
			base = &d->cells[i];
	cb_bootstrap_median_ratio(cell->wall, cell->nreps, base->wall, base->nreps, 2000, 0.99, 1, &lo, &hi, NULL);
	assert_true(lo < 1.0 / 0.55);   /* unpaired, the guard could not have seen it */
	cb_series_set_free(&set);
	cb_rdoc_free(d);
	json_decref(doc);
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
		cmocka_unit_test(test_series_weak_speedup_matches_results_and_gustafson),
		cmocka_unit_test(test_series_strong_speedup_matches_results_and_amdahl),
		cmocka_unit_test(test_series_speedup_above_bound_is_flagged),
		cmocka_unit_test(test_series_speedup_above_bound_within_noise_is_not_flagged),
		cmocka_unit_test(test_series_speedup_above_bound_within_baseline_noise_is_not_flagged),
		cmocka_unit_test(test_series_speedup_above_bound_with_one_slow_round_is_flagged),
		cmocka_unit_test(test_series_guard_uses_paired_rounds),
		cmocka_unit_test(test_series_points_without_n1_use_usl_gamma),
		cmocka_unit_test(test_csv_header_comment_and_order_accepted),
		cmocka_unit_test(test_csv_second_text_line_is_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
