/* Tests of compare: the statistics against values computed independently,
 * the verdicts on synthetic results with a known truth (no change, a 10%
 * slowdown, a change under the threshold, heavy noise, a shifted machine),
 * and the readers on well-formed and malformed inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "compare/compare.h"

/* ---- synthetic inputs ------------------------------------------------ */

typedef struct synth {
	size_t ncells, reps, rounds;
	double scale;   /* every value multiplied by this */
	double cv;      /* relative noise per sample */
	size_t heavier; /* the first `heavier` cells are multiplied by heavy too */
	double heavy;
	unsigned long seed;
	const char *host;
} synth;

/* Cell c has a mean of 10 ms * (c + 1), normal noise of the given cv. */
static cb_cmp_input *make_input(synth s)
{
	cb_cmp_input *in = cb_xcalloc(1, sizeof *in);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, s.seed);
	in->path = cb_xstrdup("synthetic.json");
	in->format = "concbench";
	in->facts[CB_FACT_HOST] = cb_xstrdup(s.host ? s.host : "runner-1");
	in->cells = cb_xcalloc(s.ncells, sizeof *in->cells);
	in->ncells = s.ncells;
	for (size_t c = 0; c < s.ncells; c++) {
		cb_cmp_cell *cell = &in->cells[c];
		double mean = 0.01 * (double)(c + 1) * s.scale * (c < s.heavier ? s.heavy : 1);
		/* 13 cells a workload, as the quick suite has: the unit the
		 * variance prior is pooled over. */
		cell->key = cb_xasprintf("synth.w%zu[]/cell%zu/threads/n2/c2/t1/compact/static", c / 13, c);
		cell->label = cb_xstrdup(cell->key);
		cell->nreps = s.reps;
		cell->reps = cb_xcalloc(s.reps, sizeof *cell->reps);
		for (size_t i = 0; i < s.reps; i++)
			cell->reps[i] = mean * (1 + gsl_ran_gaussian(rng, s.cv));
		cell->nrounds = s.rounds;
		cell->rounds = s.rounds ? cb_xcalloc(s.rounds, sizeof *cell->rounds) : NULL;
		for (size_t i = 0; i < s.rounds; i++)
			cell->rounds[i] = mean * (1 + gsl_ran_gaussian(rng, s.cv));
	}
	gsl_rng_free(rng);
	return in;
}

static cb_cmp_result *compare(synth base, synth new, cb_cmp_input **b, cb_cmp_input **n)
{
	cb_cmp_opts o;
	cb_cmp_result *r = NULL;
	cb_error err = { 0 };
	cb_cmp_opts_default(&o);
	*b = make_input(base);
	*n = make_input(new);
	assert_int_equal(cb_cmp_run(*b, *n, &o, &r, &err), 0);
	return r;
}

static void release(cb_cmp_result *r, cb_cmp_input *b, cb_cmp_input *n)
{
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
}

/* ---- verdicts -------------------------------------------------------- */

static void test_identical_inputs_no_regression(void **state)
{
	(void)state;
	synth s = { .ncells = 6, .reps = 10, .scale = 1, .cv = 0.01, .seed = 7 };
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(s, s, &b, &n);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 0);
	assert_int_equal(r->count[CB_VERDICT_IMPROVED], 0);
	assert_int_equal(r->count[CB_VERDICT_UNCHANGED], 6);
	assert_false(r->shifted);
	assert_true(fabs(r->gm - 1) < 1e-12);
	assert_int_equal(cb_cmp_exit_code(r, true), CB_EXIT_OK);
	release(r, b, n);
}

static void test_slowdown_10pct_cv1_regressed(void **state)
{
	(void)state;
	synth base = { .ncells = 1, .reps = 10, .scale = 1, .cv = 0.01, .seed = 1 };
	synth new = base;
	new.scale = 1.10;
	new.seed = 2;
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(base, new, &b, &n);
	assert_int_equal(r->nrows, 1);
	assert_int_equal(r->rows[0].verdict, CB_VERDICT_REGRESSED);
	assert_false(r->rows[0].rounds);
	assert_true(r->rows[0].mdc < 0.05);
	assert_int_equal(cb_cmp_exit_code(r, false), CB_EXIT_FAIL);
	release(r, b, n);
}

static void test_speedup_10pct_improved_not_failing(void **state)
{
	(void)state;
	synth base = { .ncells = 1, .reps = 10, .scale = 1, .cv = 0.01, .seed = 1 };
	synth new = base;
	new.scale = 0.90;
	new.seed = 2;
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(base, new, &b, &n);
	assert_int_equal(r->rows[0].verdict, CB_VERDICT_IMPROVED);
	assert_int_equal(cb_cmp_exit_code(r, false), CB_EXIT_OK);
	assert_int_equal(cb_cmp_exit_code(r, true), CB_EXIT_FAIL);
	release(r, b, n);
}

static void test_change_3pct_under_threshold_unchanged(void **state)
{
	(void)state;
	synth base = { .ncells = 1, .reps = 10, .scale = 1, .cv = 0.01, .seed = 3 };
	synth new = base;
	new.scale = 1.03;
	new.seed = 4;
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(base, new, &b, &n);
	assert_int_equal(r->rows[0].verdict, CB_VERDICT_UNCHANGED);
	assert_int_equal(cb_cmp_exit_code(r, true), CB_EXIT_OK);
	release(r, b, n);
}

static void test_cv20_noisy(void **state)
{
	(void)state;
	synth base = { .ncells = 1, .reps = 10, .scale = 1, .cv = 0.20, .seed = 5 };
	synth new = base;
	new.scale = 1.10;
	new.seed = 6;
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(base, new, &b, &n);
	assert_int_equal(r->rows[0].verdict, CB_VERDICT_NOISY);
	assert_true(r->rows[0].mdc > 0.05);
	assert_int_equal(cb_cmp_exit_code(r, false), CB_EXIT_OK);
	release(r, b, n);
}

static void test_missing_cells_reported(void **state)
{
	(void)state;
	synth base = { .ncells = 4, .reps = 10, .scale = 1, .cv = 0.01, .seed = 1 };
	synth new = base;
	new.ncells = 3;
	cb_cmp_input *b, *n;
	b = make_input(base);
	n = make_input(new);
	/* NEW gains a cell BASE lacks */
	free(n->cells[1].key);
	n->cells[1].key = cb_xstrdup("new.cell[]/threads/n2/c2/t1/compact/static");
	cb_cmp_opts o;
	cb_cmp_result *r;
	cb_error err = { 0 };
	cb_cmp_opts_default(&o);
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_int_equal(r->nrows, 2);
	assert_int_equal(r->only_base, 2);
	assert_int_equal(r->only_new, 1);
	assert_int_equal(r->nskips, 3);
	size_t in_new = 0;
	for (size_t i = 0; i < r->nskips; i++)
		in_new += !strcmp(r->skips[i].why, "only in NEW");
	assert_int_equal(in_new, 1);
	release(r, b, n);
}

static void test_failed_cell_not_compared(void **state)
{
	(void)state;
	synth s = { .ncells = 2, .reps = 10, .scale = 1, .cv = 0.01, .seed = 1 };
	cb_cmp_input *b = make_input(s), *n = make_input(s);
	n->cells[0].failed = cb_xstrdup("wrong checksum");
	cb_cmp_opts o;
	cb_cmp_result *r;
	cb_error err = { 0 };
	cb_cmp_opts_default(&o);
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_int_equal(r->nrows, 1);
	assert_int_equal(r->nskips, 1);
	assert_string_equal(r->skips[0].why, "failed in NEW: wrong checksum");
	release(r, b, n);
}

static void test_machine_mismatch_warned(void **state)
{
	(void)state;
	synth base = { .ncells = 2, .reps = 10, .scale = 1, .cv = 0.01, .seed = 1, .host = "a" };
	synth new = base;
	new.host = "b";
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(base, new, &b, &n);
	assert_int_equal(r->nwarnings, 1);
	assert_non_null(strstr(r->warnings[0], "different machines"));
	assert_non_null(strstr(r->warnings[0], "host 'a'"));
	release(r, b, n);
}

static void test_shift_all_20_cells_8pct_machine_state(void **state)
{
	(void)state;
	synth base = { .ncells = 20, .reps = 10, .scale = 1, .cv = 0.01, .seed = 11 };
	synth new = base;
	new.scale = 1.08;
	new.seed = 12;
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(base, new, &b, &n);
	assert_true(r->shifted);
	assert_true(fabs(r->shift - 1.08) < 0.01);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 0);
	assert_true(r->gm_lo < 1.08 && 1.08 < r->gm_hi);
	assert_int_equal(cb_cmp_exit_code(r, false), CB_EXIT_OK);
	assert_int_equal(cb_cmp_exit_code(r, true), CB_EXIT_FAIL);
	release(r, b, n);
}

static void test_one_regressed_cell_among_20_no_shift(void **state)
{
	(void)state;
	synth base = { .ncells = 20, .reps = 10, .scale = 1, .cv = 0.01, .seed = 21 };
	synth new = base;
	new.seed = 22;
	cb_cmp_input *b = make_input(base), *n = make_input(new);
	for (size_t i = 0; i < n->cells[4].nreps; i++)
		n->cells[4].reps[i] *= 1.10;
	cb_cmp_opts o;
	cb_cmp_result *r;
	cb_error err = { 0 };
	cb_cmp_opts_default(&o);
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_false(r->shifted);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 1);
	assert_int_equal(r->ntested, 20);
	release(r, b, n);
}

static void test_rounds_used_when_three_each_side(void **state)
{
	(void)state;
	synth base = { .ncells = 1, .reps = 10, .rounds = 3, .scale = 1, .cv = 0.01, .seed = 1 };
	synth new = base;
	new.seed = 2;
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(base, new, &b, &n);
	assert_true(r->rows[0].rounds);
	assert_int_equal(r->rows[0].nb, 3);
	assert_string_equal(r->unit, "rounds");
	release(r, b, n);

	base.rounds = 2;
	r = compare(base, new, &b, &n);
	assert_false(r->rows[0].rounds);
	assert_string_equal(r->unit, "repetitions");
	release(r, b, n);
}

/* ---- the quick suite's shape: 9 workloads of 13 cells, 5 rounds a side - */

/* Two runs of one build, rounds whose medians scatter by 1%: nothing
 * regressed, few cells noisy, whatever the seed. */
static void test_quick_suite_same_build_no_false_alarm(void **state)
{
	(void)state;
	for (unsigned long seed = 1; seed <= 20; seed++) {
		synth base = { .ncells = 117, .reps = 2, .rounds = 5, .scale = 1, .cv = 0.01, .seed = seed };
		synth new = base;
		new.seed = seed + 1000;
		cb_cmp_input *b, *n;
		cb_cmp_result *r = compare(base, new, &b, &n);
		assert_int_equal(r->count[CB_VERDICT_REGRESSED], 0);
		assert_int_equal(r->count[CB_VERDICT_IMPROVED], 0);
		assert_true(r->count[CB_VERDICT_NOISY] <= 117 * 15 / 100);
		assert_string_equal(r->unit, "rounds");
		release(r, b, n);
	}
}

/* One workload (13 cells) made 10% heavier: most of its cells regressed,
 * fewer than 2 of the others. */
static void test_quick_suite_power_one_workload_10pct(void **state)
{
	(void)state;
	for (unsigned long seed = 1; seed <= 20; seed++) {
		synth base = { .ncells = 117, .reps = 2, .rounds = 5, .scale = 1, .cv = 0.01, .seed = seed };
		synth new = base;
		new.seed = seed + 1000;
		new.heavier = 13;
		new.heavy = 1.10;
		cb_cmp_input *b, *n;
		cb_cmp_result *r = compare(base, new, &b, &n);
		size_t hit = 0, other = 0;
		for (size_t i = 0; i < r->nrows; i++) {
			bool heavy = !strncmp(r->rows[i].base->key, "synth.w0[]", 10);
			if (r->rows[i].verdict == CB_VERDICT_REGRESSED)
				heavy ? hit++ : other++;
		}
		assert_true(hit >= 10);
		assert_true(other < 2);
		release(r, b, n);
	}
}

/* One repetition a side cannot be tested: said first, and no table of
 * rows that could never have been anything but noisy. */
static void test_untestable_inputs_said_first_no_table(void **state)
{
	(void)state;
	synth s = { .ncells = 10, .reps = 1, .scale = 1, .cv = 0.01, .seed = 3 };
	cb_cmp_input *b, *n;
	cb_cmp_result *r = compare(s, s, &b, &n);
	assert_int_equal(r->ntested, 0);
	assert_int_equal(r->underpowered, 10);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cb_cmp_report_text(f, r);
	fclose(f);
	assert_non_null(strstr(text, "POWER: no cell can be tested"));
	/* said before the method line that closes the report */
	assert_non_null(strstr(text, "method:"));
	assert_true(strstr(text, "POWER") < strstr(text, "method:"));
	assert_null(strstr(text, "verdict"));
	free(text);
	release(r, b, n);

	/* 3 repetitions a side, 5% noise, 40 cells: testable, but not to 5% */
	synth t = { .ncells = 40, .reps = 3, .scale = 1, .cv = 0.05, .seed = 4 };
	r = compare(t, t, &b, &n);
	assert_true(r->underpowered > 0);
	assert_true(isfinite(r->needed_n) && r->needed_n > 3);
	f = open_memstream(&text, &len);
	cb_cmp_report_text(f, r);
	fclose(f);
	assert_non_null(strstr(text, "cannot see a change of 5%"));
	assert_true(strstr(text, "POWER") < strstr(text, "verdict"));
	free(text);
	release(r, b, n);
}

/* A round slowed by the host (the whole process at half speed) is set
 * aside and said, and does not turn a cell noisy or regressed; a change in
 * every round is no outlier. */
static void test_slowed_round_set_aside(void **state)
{
	(void)state;
	synth base = { .ncells = 26, .reps = 2, .rounds = 10, .scale = 1, .cv = 0.005, .seed = 3 };
	synth new = base;
	new.seed = 4;
	cb_cmp_input *b = make_input(base), *n = make_input(new);
	n->cells[0].rounds[2] *= 2;
	b->cells[1].rounds[7] *= 1.8;
	cb_cmp_opts o;
	cb_cmp_opts_default(&o);
	o.paired = true;
	cb_cmp_result *r = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_int_equal(r->set_aside, 4);   /* two pairs, both rounds of each */
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 0);
	for (size_t i = 0; i < r->nrows; i++) {
		assert_true(r->rows[i].paired);
		assert_int_equal(r->rows[i].nb, r->rows[i].set_aside ? 9 : 10);
	}
	cb_cmp_result_free(r);
	cb_cmp_input_free(n);
	/* one workload 10% slower in every round: regressed, nothing set aside */
	new.heavier = 13;
	new.heavy = 1.10;
	n = make_input(new);
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_true(r->count[CB_VERDICT_REGRESSED] >= 12);
	assert_int_equal(r->set_aside, 2);   /* b's slowed round, and its pair */
	release(r, b, n);
}

/* Spells of a slow PU, as the speed probe records them: in one round of
 * three, the probe on PU 0 and every cell of the first workload run
 * `slowdown` times slower; the other workload's cells do not move. */
static void slow_spells(cb_cmp_input *in, size_t first_slow, double slowdown)
{
	for (size_t c = 0; c < in->ncells; c++) {
		cb_cmp_cell *cell = &in->cells[c];
		cell->nprobes = cell->nrounds;
		cell->probes = cb_xcalloc(cell->nrounds, sizeof *cell->probes);
		for (size_t i = 0; i < cell->nrounds; i++) {
			bool slow = i % 3 == first_slow;
			/* the probe's own noise: +-1% */
			double noise = 0.01 * ((double)((i * 7 + c * 3) % 5) - 2) / 2;
			cell->probes[i] = (cb_cmp_probe){ i, 0, log(1.4 * (slow ? slowdown : 1)) + noise };
			if (slow && c < 13)
				cell->rounds[i] *= slowdown;
		}
	}
}

/* The speed probe's adjustment: slow spells that make a memory-bound
 * workload's rounds bimodal (12% slower: under what sets a round aside)
 * leave it noisy as measured and unchanged once
 * adjusted, with a slope near 1 for it and near 0 for the workload that
 * does not move; a real 10% change survives the adjustment (the slope is
 * fitted within each side, so the change cannot enter it); --no-adjust
 * and files without readings are left as measured. */
static void test_speed_probe_adjustment(void **state)
{
	(void)state;
	synth base = { .ncells = 26, .reps = 1, .rounds = 10, .scale = 1, .cv = 0.005, .seed = 5 };
	synth new = base;
	new.seed = 6;
	cb_cmp_input *b = make_input(base), *n = make_input(new);
	slow_spells(b, 0, 1.12);
	slow_spells(n, 1, 1.12);
	cb_cmp_opts o;
	cb_cmp_opts_default(&o);
	o.no_adjust = true;
	cb_cmp_result *r = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_int_equal(r->adjusted, 0);
	size_t noisy = 0;
	for (size_t i = 0; i < 13; i++)
		noisy += r->rows[i].verdict == CB_VERDICT_NOISY;
	assert_true(noisy >= 10);
	cb_cmp_result_free(r);

	o.no_adjust = false;
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_int_equal(r->adjusted, 26);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 0);
	assert_int_equal(r->count[CB_VERDICT_IMPROVED], 0);
	assert_int_equal(r->count[CB_VERDICT_UNCHANGED], 26);
	assert_true(fabs(r->rows[0].slope - 1) < 0.05);
	assert_true(r->rows[20].slope < 0.1);
	assert_true(fabs(r->slope_max - r->rows[0].slope) < 1e-12);
	cb_cmp_result_free(r);
	/* paired: the slope from the pairs' log ratios against their x
	 * differences, the same answer */
	o.paired = true;
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_true(r->rows[0].paired);
	assert_true(fabs(r->rows[0].slope - 1) < 0.05);
	assert_int_equal(r->count[CB_VERDICT_UNCHANGED], 26);
	o.paired = false;
	cb_cmp_result_free(r);
	cb_cmp_input_free(n);

	/* the first workload 10% heavier in NEW, in every round */
	new.heavier = 13;
	new.heavy = 1.10;
	n = make_input(new);
	slow_spells(n, 1, 1.12);
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_true(fabs(r->rows[0].slope - 1) < 0.05);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 13);
	for (size_t i = 0; i < 13; i++)
		assert_true(fabs(r->rows[i].ratio - 1.10) < 0.02);
	cb_cmp_result_free(r);
	cb_cmp_input_free(n);

	/* NEW without readings (a file from before the probe): as measured */
	n = make_input(new);
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_int_equal(r->adjusted, 0);
	assert_true(isnan(r->rows[0].slope));
	release(r, b, n);
}

/* ---- statistics against independent values --------------------------- */

/* Holm (1979): sorted p 0.005 0.01 0.03 0.04 times 4 3 2 1, made monotone. */
static void test_holm_known_example(void **state)
{
	(void)state;
	const double p[] = { 0.01, 0.04, 0.03, NAN, 0.005 };
	const double want[] = { 0.03, 0.06, 0.06, NAN, 0.02 };
	double adj[5];
	cb_cmp_holm(p, adj, 5);
	for (int i = 0; i < 5; i++) {
		if (isnan(want[i]))
			assert_true(isnan(adj[i]));
		else
			assert_true(fabs(adj[i] - want[i]) < 1e-12);
	}
}

/* The MDC against values worked by hand: with df that large the t is the
 * normal, z(0.975) + z(0.8) = 1.959964 + 0.841621 = 2.801585, so a log
 * spread of 1% gives expm1(0.02801585) = 0.0284120; at 4 df the quantiles
 * are t(0.975) = 2.776445 and t(0.8) = 0.940965: expm1(0.0371741) = 0.0378737.
 * The set-aside rule: 30% slower among steady values is left out, 10%
 * slower is not (under the 15% floor), a faster one never is. */
static void test_mdc_and_set_aside_rule(void **state)
{
	(void)state;
	assert_true(fabs(cb_mdc(0.01, 0.05, 1e9) - 0.0284120) < 1e-6);
	assert_true(fabs(cb_mdc(0.01, 0.05, 4) - 0.0378737) < 1e-6);
	assert_true(cb_mdc(0.01, 0.01 / 117, 1e9) > cb_mdc(0.01, 0.05, 1e9));
	const double v[] = { 1.00, 1.01, 0.99, 1.00, 1.30, 1.10, 0.60, 1.00 };
	bool out[8];
	cb_set_aside_slowed(v, 8, true, out);
	const bool want[] = { false, false, false, false, true, false, false, false };
	for (int i = 0; i < 8; i++)
		assert_int_equal(out[i], want[i]);
	/* Higher is better: the low value is the one set aside. */
	cb_set_aside_slowed(v, 8, false, out);
	assert_true(out[6] && !out[4]);
	/* Fewer than 4 values: nothing. */
	cb_set_aside_slowed(v + 3, 3, true, out);
	assert_false(out[0] || out[1] || out[2]);
}

static void test_moderated_t_without_prior_is_student(void **state)
{
	(void)state;
	/* t = 3 / sqrt(2/3) = 3.6742 on 4 df; for 4 degrees of freedom the
	 * two-sided p has the closed form 1 - 3/2 (s - s^3/3) with
	 * s = t / sqrt(t^2 + 4): 0.0213116411. */
	const double x[] = { 1, 2, 3 }, y[] = { 4, 5, 6 };
	double s2, df;
	double p = cb_cmp_moderated_t(x, 3, y, 3, 0, 0, NAN, &s2, &df);
	assert_true(fabs(p - 0.02131164112875661) < 1e-9);
	assert_true(s2 == 1 && df == 4);
	/* the shift is taken off the difference: y - 3 equals x */
	p = cb_cmp_moderated_t(x, 3, y, 3, 3, 0, NAN, &s2, &df);
	assert_true(fabs(p - 1) < 1e-12);
}

static void test_moderated_t_prior_adds_degrees_of_freedom(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 3 }, y[] = { 4, 5, 6 };
	double s2, df;
	/* a prior equal to the cell's own variance: same t, 20 more df */
	double p = cb_cmp_moderated_t(x, 3, y, 3, 0, 20, 1, &s2, &df);
	assert_true(fabs(s2 - 1) < 1e-12 && df == 24);
	assert_true(p < 0.002 && p > 0.0005);
	/* a smaller prior variance shrinks the cell's toward it */
	cb_cmp_moderated_t(x, 3, y, 3, 0, 4, 0.25, &s2, &df);
	assert_true(fabs(s2 - (4 * 0.25 + 4 * 1) / 8) < 1e-12 && df == 8);
}

/* Cells whose variances are all draws of one variance: the prior finds it
 * and weighs it heavily; cells of very different variances: a light prior. */
static void test_prior_recovers_common_variance(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 11);
	enum { N = 400 };
	double s2[N], d[N], d0, s02;
	for (int i = 0; i < N; i++) {
		d[i] = 8;
		s2[i] = 0.0004 * gsl_ran_chisq(rng, 8) / 8;
	}
	cb_cmp_prior(s2, d, N, &d0, &s02);
	assert_true(d0 > 40);
	assert_true(fabs(s02 / 0.0004 - 1) < 0.1);
	for (int i = 0; i < N; i++)
		s2[i] = 0.0004 * exp(gsl_ran_gaussian(rng, 2)) * gsl_ran_chisq(rng, 8) / 8;
	cb_cmp_prior(s2, d, N, &d0, &s02);
	assert_true(d0 > 0 && d0 < 2);
	/* too few cells to learn from: no prior */
	cb_cmp_prior(s2, d, 2, &d0, &s02);
	assert_true(d0 == 0);
	gsl_rng_free(rng);
}

static void test_bootstrap_interval_contains_true_ratio(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double x[30], y[30], lo, hi, lo2, hi2;
	gsl_rng_set(rng, 99);
	for (int i = 0; i < 30; i++) {
		x[i] = 1.0 + gsl_ran_gaussian(rng, 0.02);
		y[i] = 1.1 + gsl_ran_gaussian(rng, 0.022);
	}
	gsl_rng_free(rng);
	cb_bootstrap_median_ratio(x, 30, y, 30, 2000, 0.99, 5, &lo, &hi, NULL);
	assert_true(lo < 1.1 && 1.1 < hi);
	assert_true(hi - lo < 0.05);
	/* seeded: the same inputs give the same interval */
	cb_bootstrap_median_ratio(x, 30, y, 30, 2000, 0.99, 5, &lo2, &hi2, NULL);
	assert_true(lo == lo2 && hi == hi2);
}

static void test_median_even_and_odd(void **state)
{
	(void)state;
	const double a[] = { 3, 1, 2 }, b[] = { 4, 1, 3, 2 };
	assert_true(cb_median(a, 3) == 2);
	assert_true(cb_median(b, 4) == 2.5);
}

/* ---- readers --------------------------------------------------------- */

static int parse(const char *json, cb_metric m, cb_cmp_input **in, cb_error *err)
{
	return cb_cmp_input_parse("in.json", json, strlen(json), m, in, err);
}

static void expect_error(const char *json, const char *needle)
{
	cb_cmp_input *in = NULL;
	cb_error err = { 0 };
	assert_int_equal(parse(json, CB_METRIC_TIME, &in, &err), -1);
	assert_null(in);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "in.json: "));
	if (!strstr(err.msg, needle))
		fail_msg("'%s' lacks '%s'", err.msg, needle);
}

static void test_reader_malformed_inputs_rejected(void **state)
{
	(void)state;
	expect_error("", "empty file");
	expect_error("{\"schema\": \"concbench.results/1\", \"cells\": [", "not valid JSON");
	expect_error("\x7f" "ELF\x02\x01\x01", "binary data, not JSON");
	expect_error("[1, 2]", "top level must be an object");
	expect_error("{\"schema\": \"concbench.results/9\", \"cells\": []}", "unsupported schema");
	expect_error("{\"hello\": 1}", "neither a concbench results file");
	expect_error("{\"schema\": \"concbench.results/1\"}", "missing 'cells'");
	expect_error("{\"schema\": \"concbench.results/1\", \"cells\": {}}", "'cells' must be an array");
	expect_error("{\"schema\": \"concbench.results/1\", \"cells\": [{\"workload\": \"w\", "
	             "\"strategy\": \"serial\", \"workers\": \"2\", \"reps\": []}]}",
	             "cells[0]: 'workers' must be a non-negative integer, not a string");
	expect_error("{\"schema\": \"concbench.results/1\", \"cells\": [{\"workload\": \"w\", "
	             "\"strategy\": \"serial\", \"workers\": 1, \"reps\": [{\"wall\": 1}]}]}",
	             "reps[0]: missing 'wall_s'");
	expect_error("{\"schema\": \"concbench.results/1\", \"cells\": [{\"workload\": \"w\", "
	             "\"strategy\": \"serial\", \"workers\": 1, \"reps\": [], \"rounds\": [1, \"x\"]}]}",
	             "rounds[1] must be a non-negative number");
	expect_error("{\"schema\": \"concbench.results/1\", \"cells\": [{\"workload\": \"w\", "
	             "\"strategy\": \"serial\", \"workers\": 1, \"reps\": []}, {\"workload\": \"w\", "
	             "\"strategy\": \"serial\", \"workers\": 1, \"reps\": []}]}",
	             "the same cell as cells[0]");
	expect_error("{\"benchmarks\": [{\"name\": \"a\", \"run_type\": \"aggregate\"}]}",
	             "only aggregates");
	expect_error("{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, "
	             "\"time_unit\": \"fortnight\"}]}", "unknown time_unit");
}

static void test_reader_concbench_cells_and_metrics(void **state)
{
	(void)state;
	const char *json =
		"{\"schema\": \"concbench.results/1\", \"machine\": {\"host\": \"h\", "
		"\"topology\": {\"cores\": 2, \"pus\": 2}}, \"cells\": [{\"id\": \"w[a=1]/serial\", "
		"\"workload\": \"w\", \"params\": {\"b\": \"2\", \"a\": \"1\"}, \"strategy\": \"serial\", "
		"\"workers\": 1, \"ntasks\": 100, \"reps\": [{\"wall_s\": 2, \"user_s\": 1.5, "
		"\"sys_s\": 0.25, \"round\": 1, \"probe_ms\": {\"3\": 2.0, \"x\": 1, \"4\": -1}}], "
		"\"rounds\": [2, 4]}]}";
	cb_cmp_input *in;
	cb_error err = { 0 };
	assert_int_equal(parse(json, CB_METRIC_TIME, &in, &err), 0);
	assert_string_equal(in->cells[0].key, "w[a=1;b=2]/serial/n1/c1/t1/none/static");
	assert_string_equal(in->cells[0].label, "w[a=1]/serial");
	assert_string_equal(in->facts[CB_FACT_HOST], "h");
	assert_string_equal(in->facts[CB_FACT_TOPOLOGY], "cores=2 pus=2");
	assert_true(in->cells[0].reps[0] == 2 && in->cells[0].nrounds == 2);
	/* the probe's one valid reading, with its round and PU */
	assert_int_equal(in->cells[0].nprobes, 1);
	assert_int_equal(in->cells[0].probes[0].round, 1);
	assert_int_equal(in->cells[0].probes[0].pu, 3);
	assert_true(fabs(in->cells[0].probes[0].log_ms - log(2.0)) < 1e-12);
	cb_cmp_input_free(in);
	assert_int_equal(parse(json, CB_METRIC_THROUGHPUT, &in, &err), 0);
	assert_true(in->cells[0].reps[0] == 50 && in->cells[0].rounds[1] == 25);
	cb_cmp_input_free(in);
	assert_int_equal(parse(json, CB_METRIC_CPU, &in, &err), 0);
	assert_true(in->cells[0].reps[0] == 1.75 && in->cells[0].nrounds == 0);
	cb_cmp_input_free(in);
}

static void test_reader_gbench_repetitions_not_aggregates(void **state)
{
	(void)state;
	const char *json =
		"{\"context\": {\"host_name\": \"h\", \"num_cpus\": 2}, \"benchmarks\": ["
		"{\"name\": \"BM/r\", \"run_name\": \"BM/r\", \"run_type\": \"iteration\", "
		"\"real_time\": 1500, \"cpu_time\": 1000, \"time_unit\": \"us\"},"
		"{\"name\": \"BM/r\", \"run_name\": \"BM/r\", \"run_type\": \"iteration\", "
		"\"real_time\": 2500, \"cpu_time\": 1000, \"time_unit\": \"us\"},"
		"{\"name\": \"BM/r_mean\", \"run_name\": \"BM/r\", \"run_type\": \"aggregate\", "
		"\"real_time\": 2000, \"cpu_time\": 1000, \"time_unit\": \"us\"},"
		"{\"name\": \"BM/r_median\", \"aggregate_name\": \"median\", "
		"\"real_time\": 2000, \"cpu_time\": 1000},"
		"{\"name\": \"BM/bad\", \"run_type\": \"iteration\", \"error_occurred\": true, "
		"\"error_message\": \"boom\"}]}";
	cb_cmp_input *in;
	cb_error err = { 0 };
	assert_int_equal(parse(json, CB_METRIC_TIME, &in, &err), 0);
	assert_string_equal(in->format, "gbench");
	assert_int_equal(in->ncells, 2);
	assert_int_equal(in->cells[0].nreps, 2);
	assert_true(fabs(in->cells[0].reps[1] - 2.5e-3) < 1e-15);
	assert_string_equal(in->cells[1].failed, "boom");
	assert_string_equal(in->facts[CB_FACT_TOPOLOGY], "num_cpus=2");
	cb_cmp_input_free(in);
}

static void test_throughput_drop_is_regression(void **state)
{
	(void)state;
	synth base = { .ncells = 1, .reps = 10, .scale = 1, .cv = 0.01, .seed = 1 };
	synth new = base;
	new.scale = 0.90;   /* 10% fewer tasks per second */
	new.seed = 2;
	cb_cmp_input *b = make_input(base), *n = make_input(new);
	cb_cmp_opts o;
	cb_cmp_result *r;
	cb_error err = { 0 };
	cb_cmp_opts_default(&o);
	o.metric = CB_METRIC_THROUGHPUT;
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	assert_int_equal(r->rows[0].verdict, CB_VERDICT_REGRESSED);
	release(r, b, n);
}

static void test_baseline_name_validated(void **state)
{
	(void)state;
	char *path = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_baseline_path("main-1.2_x", &path, &err), 0);
	assert_string_equal(path, "results/baselines/main-1.2_x.json");
	free(path);
	static const char *const bad[] = { "", "..", "a/b", ".hidden", "a b", "x$" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cb_error e = { 0 };
		assert_int_equal(cb_baseline_path(bad[i], &path, &e), -1);
		assert_int_equal(e.code, CB_EXIT_USAGE);
		assert_non_null(strstr(e.msg, "invalid baseline name"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_inputs_no_regression),
		cmocka_unit_test(test_slowdown_10pct_cv1_regressed),
		cmocka_unit_test(test_speedup_10pct_improved_not_failing),
		cmocka_unit_test(test_change_3pct_under_threshold_unchanged),
		cmocka_unit_test(test_cv20_noisy),
		cmocka_unit_test(test_missing_cells_reported),
		cmocka_unit_test(test_failed_cell_not_compared),
		cmocka_unit_test(test_machine_mismatch_warned),
		cmocka_unit_test(test_shift_all_20_cells_8pct_machine_state),
		cmocka_unit_test(test_one_regressed_cell_among_20_no_shift),
		cmocka_unit_test(test_rounds_used_when_three_each_side),
		cmocka_unit_test(test_holm_known_example),
		cmocka_unit_test(test_mdc_and_set_aside_rule),
		cmocka_unit_test(test_moderated_t_without_prior_is_student),
		cmocka_unit_test(test_moderated_t_prior_adds_degrees_of_freedom),
		cmocka_unit_test(test_prior_recovers_common_variance),
		cmocka_unit_test(test_quick_suite_same_build_no_false_alarm),
		cmocka_unit_test(test_quick_suite_power_one_workload_10pct),
		cmocka_unit_test(test_untestable_inputs_said_first_no_table),
		cmocka_unit_test(test_slowed_round_set_aside),
		cmocka_unit_test(test_speed_probe_adjustment),
		cmocka_unit_test(test_bootstrap_interval_contains_true_ratio),
		cmocka_unit_test(test_median_even_and_odd),
		cmocka_unit_test(test_reader_malformed_inputs_rejected),
		cmocka_unit_test(test_reader_concbench_cells_and_metrics),
		cmocka_unit_test(test_reader_gbench_repetitions_not_aggregates),
		cmocka_unit_test(test_throughput_drop_is_regression),
		cmocka_unit_test(test_baseline_name_validated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
