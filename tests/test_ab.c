/* Tests of concbench ab's pieces: the statistics of pairs (the signed-rank
 * test against values counted by hand, Hodges-Lehmann, the MDC and the
 * power at the pair counts ab ships, on synthetic pairs with a known
 * shift), compare's verdicts under --pairs, and the measuring-process
 * protocol spoken by the built binary (hello, a refused protocol, a cell's
 * ready, rep and end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>

#include "base/stats.h"
#include "compare/compare.h"
#include "engine/run.h"

/* ---- the signed-rank test and Hodges-Lehmann -------------------------- */

static void test_signed_rank_exact_small(void **state)
{
	(void)state;
	/* Five positive differences: W+ = 15, the one most extreme of 32
	 * patterns on each side: p = 2/32. */
	double d[] = { 0.1, 0.2, 0.3, 0.4, 0.5 };
	assert_float_equal(cb_signed_rank_p(d, 5, 0), 2.0 / 32, 1e-12);
	/* Ranks 1..5, signs - + - + +: W+ = 2 + 4 + 5 = 11. P(W+ >= 11) =
	 * P(W+ <= 4) = (1 + 1 + 1 + 2 + 2) / 32 = 7/32; p = 14/32. */
	double e[] = { -0.1, 0.2, -0.3, 0.4, 0.5 };
	assert_float_equal(cb_signed_rank_p(e, 5, 0), 14.0 / 32, 1e-12);
	/* The shift is subtracted first; zeros are dropped. */
	double f[] = { 1.1, 1.2, 1.3, 1.0 };
	assert_float_equal(cb_signed_rank_p(f, 4, 1.0), 2.0 / 8, 1e-12);
	assert_true(isnan(cb_signed_rank_p(f, 0, 0)));
	assert_float_equal(cb_signed_rank_min_p(5), 2.0 / 32, 1e-15);
	assert_float_equal(cb_signed_rank_min_p(1), 1, 0);
}

static void test_signed_rank_ties_use_normal(void **state)
{
	(void)state;
	double d[40];
	for (int i = 0; i < 40; i++)
		d[i] = i < 30 ? 0.01 : -0.01;   /* all tied in absolute value */
	double p = cb_signed_rank_p(d, 40, 0);
	/* W+ = 30 * 20.5 = 615, mean 410, var 22140 - (40^3 - 40) / 48. */
	double var = 40.0 * 41 * 81 / 24 - (64000.0 - 40) / 48, z = (615 - 410 - 0.5) / sqrt(var);
	assert_float_equal(p, erfc(z / sqrt(2)), 1e-9);
}

static void test_hodges_lehmann(void **state)
{
	(void)state;
	/* Walsh averages of {1, 2, 4}: 1, 1.5, 2, 2.5, 3, 4: median 2.25. */
	double d[] = { 4, 1, 2 }, est, lo, hi;
	cb_hodges_lehmann(d, 3, 0.9, &est, &lo, &hi);
	assert_float_equal(est, 2.25, 1e-12);
	/* Three pairs cannot give 90%: the interval is the whole range. */
	assert_float_equal(lo, 1, 1e-12);
	assert_float_equal(hi, 4, 1e-12);
	/* A shifted symmetric sample: the interval holds the shift, and is
	 * narrower than the range. */
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 7);
	double x[30];
	for (int i = 0; i < 30; i++)
		x[i] = 0.03 + gsl_ran_gaussian(rng, 0.01);
	cb_hodges_lehmann(x, 30, 0.99, &est, &lo, &hi);
	assert_true(lo < 0.03 && 0.03 < hi);
	assert_true(hi - lo < 0.03);
	gsl_rng_free(rng);
}

/* ---- power at the pair counts ab ships ------------------------------- */

/* The fraction of `cells` synthetic cells of n pairs, log ratios normal
 * with sd `sd` around log(1 + shift), found at per-cell level alpha. */
static double power_at(size_t n, double sd, double shift, double alpha, int cells, unsigned long seed)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	double *d = malloc(n * sizeof *d);
	int found = 0;
	for (int c = 0; c < cells; c++) {
		for (size_t i = 0; i < n; i++)
			d[i] = log1p(shift) + gsl_ran_gaussian(rng, sd);
		found += cb_signed_rank_p(d, n, 0) <= alpha;
	}
	free(d);
	gsl_rng_free(rng);
	return (double)found / cells;
}

static void test_power_at_shipped_pairs(void **state)
{
	(void)state;
	/* Holm's strictest level over the quick suite's 117 cells. */
	double alpha = 0.01 / 117;
	/* 36 pairs (CB_AB_PAIRS) whose log ratios vary by 1.2% (adjacent
	 * repetitions on one PU of the 2-vCPU VM, 0.85% each): a 3% shift in
	 * nearly every cell, 2% in most, none without a shift. */
	assert_int_equal(CB_AB_PAIRS, 36);
	/* The quick suite's 143 cells take 36 pairs each; a plan of one's own
	 * workload under a few strategies three times as many. */
	assert_int_equal(cb_ab_default_pairs(143), CB_AB_PAIRS);
	assert_int_equal(cb_ab_default_pairs(CB_AB_FEW_CELLS + 1), CB_AB_PAIRS);
	assert_int_equal(cb_ab_default_pairs(CB_AB_FEW_CELLS), 108);
	assert_int_equal(cb_ab_default_pairs(19), 108);
	assert_true(power_at(108, 0.07, 0.05, 0.01 / 19, 400, 7) >= 0.8);
	assert_true(power_at(CB_AB_PAIRS, 0.07, 0.05, 0.01 / 19, 400, 7) < 0.8);
	assert_true(power_at(CB_AB_PAIRS, 0.012, 0.03, alpha, 400, 1) >= 0.97);
	assert_true(power_at(CB_AB_PAIRS, 0.012, 0.02, alpha, 400, 2) >= 0.7);
	assert_true(power_at(CB_AB_PAIRS, 0.012, 0, alpha, 400, 3) <= 0.005);
	/* At the minimum, 16 pairs: still a 3% shift in most cells. */
	assert_true(power_at(CB_AB_MIN_PAIRS, 0.012, 0.03, alpha, 400, 4) >= 0.7);
	/* The MDC says the same: 80% power at it, within sampling error. */
	double mdc = cb_cmp_pairs_mdc(0.012, CB_AB_PAIRS, alpha);
	assert_true(mdc > 0.005 && mdc < 0.03);
	double at = power_at(CB_AB_PAIRS, 0.012, mdc, alpha, 400, 5);
	assert_true(at >= 0.65 && at <= 0.95);
	/* Fewer pairs than the level allows: no change is detectable. 2^-13
	 * > 0.01 / 117 > 2^-14. */
	assert_true(isinf(cb_cmp_pairs_mdc(0.012, 14, alpha)));
	assert_true(isfinite(cb_cmp_pairs_mdc(0.012, 15, alpha)));
	assert_true(CB_AB_MIN_PAIRS >= 15);
}

/* The MDC compare reports, simulated from the pairs themselves: about 80%
 * power at it on normal pairs, and wild pairs among steady ones (which
 * the robust sd hardly sees) raise it. */
static void test_simulated_mdc(void **state)
{
	(void)state;
	double alpha = 0.01 / 117, lr[CB_AB_PAIRS];
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 21);
	for (int i = 0; i < CB_AB_PAIRS; i++)
		lr[i] = gsl_ran_gaussian(rng, 0.012);
	double sim = cb_cmp_pairs_mdc_sim(lr, CB_AB_PAIRS, alpha, 1);
	double at = power_at(CB_AB_PAIRS, 0.012, sim, alpha, 400, 6);
	assert_true(at >= 0.6 && at <= 0.97);
	assert_float_equal(sim, cb_cmp_pairs_mdc_sim(lr, CB_AB_PAIRS, alpha, 1), 0);
	/* 25 pairs within 0.3%, 5 wild (10%): the robust sd says about
	 * 0.3%, the rank test needs far more. */
	for (int i = 0; i < CB_AB_PAIRS; i++)
		lr[i] = i < 25 ? gsl_ran_gaussian(rng, 0.003) : gsl_ran_gaussian(rng, 0.1);
	double robust = cb_cmp_pairs_mdc(cb_robust_sd(lr, CB_AB_PAIRS), CB_AB_PAIRS, alpha);
	double mixed = cb_cmp_pairs_mdc_sim(lr, CB_AB_PAIRS, alpha, 1);
	assert_true(mixed > 2 * robust);
	assert_true(isinf(cb_cmp_pairs_mdc_sim(lr, 14, alpha, 1)));
	gsl_rng_free(rng);
}

/* ---- compare --pairs on synthetic pairs ------------------------------- */

/* ncells cells of n pairs: both sides share a slow drift (sd 5% from pair
 * to pair, which pairing cancels), each repetition its own 0.8%; NEW's
 * first `shifted` cells are slower by `shift`. */
static void make_pairs_rounds(size_t ncells, size_t n, size_t shifted, double shift, unsigned long seed,
                              double process, cb_cmp_input **base, cb_cmp_input **new);

static void make_pairs(size_t ncells, size_t n, size_t shifted, double shift, unsigned long seed,
                       cb_cmp_input **base, cb_cmp_input **new)
{
	make_pairs_rounds(ncells, n, shifted, shift, seed, -1, base, new);
}

/* BASE's and NEW's inputs of ncells empty cells each. */
static void new_inputs(cb_cmp_input *in[2], size_t ncells)
{
	for (int s = 0; s < 2; s++) {
		in[s] = cb_xcalloc(1, sizeof *in[s]);
		in[s]->path = cb_xstrdup(s ? "new.json" : "base.json");
		in[s]->format = "concbench";
		in[s]->cells = cb_xcalloc(ncells, sizeof *in[s]->cells);
		in[s]->ncells = ncells;
	}
}

/* process >= 0: two rounds (pairs of processes) of n / 2 pairs, NEW's
 * second process slower by `process` whatever the code. */
static void make_pairs_rounds(size_t ncells, size_t n, size_t shifted, double shift, unsigned long seed,
                              double process, cb_cmp_input **base, cb_cmp_input **new)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	cb_cmp_input *in[2];
	new_inputs(in, ncells);
	for (size_t c = 0; c < ncells; c++)
		for (int s = 0; s < 2; s++) {
			cb_cmp_cell *cell = &in[s]->cells[c];
			cell->key = cb_xasprintf("synth.w%zu[]/threads/n1/c1/t1/compact/static", c);
			cell->label = cb_xstrdup(cell->key);
			cell->nreps = n;
			cell->reps = cb_xcalloc(n, sizeof *cell->reps);
			if (process >= 0) {
				cell->nrounds = 2;
				cell->rounds = cb_xcalloc(2, sizeof *cell->rounds);
				cell->rounds[0] = cell->rounds[1] = 0.03;
			}
		}
	for (size_t c = 0; c < ncells; c++)
		for (size_t i = 0; i < n; i++) {
			double drift = gsl_ran_gaussian(rng, 0.05);
			in[0]->cells[c].reps[i] = 0.03 * exp(drift + gsl_ran_gaussian(rng, 0.008));
			in[1]->cells[c].reps[i] = 0.03 * (c < shifted ? 1 + shift : 1) *
			                          (process > 0 && i >= n / 2 ? 1 + process : 1) *
			                          exp(drift + gsl_ran_gaussian(rng, 0.008));
		}
	gsl_rng_free(rng);
	*base = in[0];
	*new = in[1];
}

static cb_cmp_result *compare_pairs(cb_cmp_input *b, cb_cmp_input *n)
{
	cb_cmp_opts o;
	cb_cmp_opts_default(&o);
	o.pairs = true;
	o.threshold = CB_CMP_PAIRS_THRESHOLD;
	cb_cmp_result *r = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_cmp_run(b, n, &o, &r, &err), 0);
	return r;
}

static void test_pairs_verdicts(void **state)
{
	(void)state;
	cb_cmp_input *b, *n;
	/* 117 cells, 20 of them 3% slower on NEW. */
	make_pairs(117, CB_AB_PAIRS, 20, 0.03, 11, &b, &n);
	cb_cmp_result *r = compare_pairs(b, n);
	assert_string_equal(r->unit, "pairs");
	assert_false(r->shifted);
	assert_true(r->count[CB_VERDICT_REGRESSED] >= 19);
	for (size_t i = 0; i < r->nrows; i++) {
		const cb_cmp_row *w = &r->rows[i];
		bool slow = strncmp(w->base->key, "synth.w", 7) == 0 && atoi(w->base->key + 7) < 20;
		assert_true(w->pairs);
		assert_int_equal(w->nb, CB_AB_PAIRS);
		assert_true(isfinite(w->mdc) && w->mdc < 0.02);
		if (!slow)
			assert_int_not_equal(w->verdict, CB_VERDICT_REGRESSED);
		assert_int_not_equal(w->verdict, CB_VERDICT_IMPROVED);
		if (slow)
			assert_true(w->lo < 1.03 && 1.03 < w->hi);
	}
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
	/* Every cell 5% slower: the code's change, not a machine state. */
	make_pairs(20, CB_AB_PAIRS, 20, 0.05, 12, &b, &n);
	r = compare_pairs(b, n);
	assert_false(r->shifted);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 20);
	assert_int_equal(cb_cmp_exit_code(r, false), CB_EXIT_FAIL);
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
}

static void test_pairs_processes_that_disagree_are_noisy(void **state)
{
	(void)state;
	cb_cmp_input *b, *n;
	/* NEW's second process 30% slower, its first as fast as BASE's: a
	 * difference between processes, which the rounds show. Every cell of
	 * the workload shows it, so it is the workload's variance between
	 * pairs of processes, and the random-effects test counts it. */
	make_pairs_rounds(10, CB_AB_PAIRS, 0, 0, 14, 0.3, &b, &n);
	cb_cmp_result *r = compare_pairs(b, n);
	for (size_t i = 0; i < r->nrows; i++) {
		assert_true(r->rows[i].block_q > 9.21);
		assert_true(r->rows[i].tau2 > 0.1 * 0.1);
		assert_int_equal(r->rows[i].verdict, CB_VERDICT_NOISY);
		assert_true(r->rows[i].mdc >= 0.25);
	}
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
	/* The same 3% in both rounds: regressed, the rounds agree. */
	make_pairs_rounds(10, CB_AB_PAIRS, 10, 0.03, 15, 0, &b, &n);
	r = compare_pairs(b, n);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 10);
	for (size_t i = 0; i < r->nrows; i++)
		assert_false(r->rows[i].disagree);
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
}

/* Cell c of both inputs: `key`, `rounds` pairs of processes of `pairs`
 * pairs, repetitions of about t s; both sides share a slow drift (sd 5%),
 * each repetition its own `noise`; NEW is `factor` slower, and its k-th
 * process off its twin by exp(offset[k]). */
static void fill_rounds_cell(cb_cmp_input *in[2], size_t c, char *key, int rounds, int pairs, double t,
                             const double *offset, double factor, double noise, gsl_rng *rng)
{
	for (int s = 0; s < 2; s++) {
		cb_cmp_cell *cell = &in[s]->cells[c];
		cell->key = s ? cb_xstrdup(key) : key;
		cell->label = cb_xstrdup(key);
		cell->nreps = (size_t)(rounds * pairs);
		cell->reps = cb_xcalloc(cell->nreps, sizeof *cell->reps);
		cell->nrounds = (size_t)rounds;
		cell->rounds = cb_xcalloc((size_t)rounds, sizeof *cell->rounds);
		for (int k = 0; k < rounds; k++)
			cell->rounds[k] = t;
	}
	for (int i = 0; i < rounds * pairs; i++) {
		double drift = gsl_ran_gaussian(rng, 0.05);
		in[0]->cells[c].reps[i] = t * exp(drift + gsl_ran_gaussian(rng, noise));
		in[1]->cells[c].reps[i] = t * factor * exp(offset[i / pairs]) * exp(drift + gsl_ran_gaussian(rng, noise));
	}
}

/* Two workloads of 12 cells each, 3 pairs of processes of 10 pairs per
 * cell: on "graph.x" each of NEW's processes runs off its twin by its own
 * N(0, 3%) whatever the code (what graph.deps showed on the 2-vCPU VM),
 * and nothing changed; on "cpu.y" the processes agree and NEW is 3%
 * slower in every cell. */
static void make_workloads(unsigned long seed, cb_cmp_input **base, cb_cmp_input **new)
{
	enum { CELLS = 12, ROUNDS = 3, PAIRS = 10 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	cb_cmp_input *in[2];
	new_inputs(in, 2 * CELLS);
	for (size_t c = 0; c < 2 * CELLS; c++) {
		bool graph = c < CELLS;
		double offset[ROUNDS];
		for (int k = 0; k < ROUNDS; k++)
			offset[k] = graph ? gsl_ran_gaussian(rng, 0.03) : 0;
		fill_rounds_cell(in, c, cb_xasprintf("%s/threads/n%zu", graph ? "graph.x" : "cpu.y", c), ROUNDS, PAIRS,
		                 0.03, offset, graph ? 1 : 1.03, 0.008, rng);
	}
	gsl_rng_free(rng);
	*base = in[0];
	*new = in[1];
}

static void test_pairs_workload_process_variance(void **state)
{
	(void)state;
	for (unsigned long seed = 21; seed < 26; seed++) {
		cb_cmp_input *b, *n;
		make_workloads(seed, &b, &n);
		cb_cmp_result *r = compare_pairs(b, n);
		for (size_t i = 0; i < r->nrows; i++) {
			const cb_cmp_row *w = &r->rows[i];
			if (!strncmp(w->base->label, "graph.x/", 8)) {
				/* The workload's processes differ by about 3%: no
				 * verdict, and no cell claims to see 3%. */
				assert_true(w->tau2 > 0.01 * 0.01 && w->tau2 < 0.06 * 0.06);
				assert_int_not_equal(w->verdict, CB_VERDICT_REGRESSED);
				assert_int_not_equal(w->verdict, CB_VERDICT_IMPROVED);
				assert_true(w->mdc > 0.03);
			} else {
				/* Its own workload's processes agree: 3% is found. */
				assert_true(w->tau2 < 0.003 * 0.003);
				assert_int_equal(w->verdict, CB_VERDICT_REGRESSED);
			}
		}
		cb_cmp_result_free(r);
		cb_cmp_input_free(b);
		cb_cmp_input_free(n);
	}
}

/* One workload of `cells` cells ("NAME/sC/nW"), 3 pairs of processes of
 * 12 pairs each, repetitions of about t s each with its own `noise`, NEW
 * `factor` slower, each of NEW's processes off its twin by its own N(0,
 * tau), and in cell 0 NEW's second process by `odd` more. */
static void make_workload(unsigned long seed, size_t cells, const char *name, int workers, double t,
                          double noise, double tau, double odd, double factor, cb_cmp_input **base,
                          cb_cmp_input **new)
{
	enum { ROUNDS = 3, PAIRS = 12 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	cb_cmp_input *in[2];
	new_inputs(in, cells);
	for (size_t c = 0; c < cells; c++) {
		double offset[ROUNDS];
		for (int k = 0; k < ROUNDS; k++)
			offset[k] = gsl_ran_gaussian(rng, tau) + (c == 0 && k == 1 ? odd : 0);
		fill_rounds_cell(in, c, cb_xasprintf("%s/s%zu/n%d", name, c, workers), ROUNDS, PAIRS, t, offset, factor,
		                 noise, rng);
	}
	gsl_rng_free(rng);
	*base = in[0];
	*new = in[1];
}

/* 19 cells, NEW 4% slower in every cell, each process off its twin by its
 * own N(0, 0.3%); in cell 0, NEW's second process runs 20% slow for its
 * whole life (what one rank of a Python workload did on the 2-vCPU VM). */
static void make_one_odd_process(unsigned long seed, cb_cmp_input **base, cb_cmp_input **new)
{
	make_workload(seed, 19, "py.x", 1, 0.012, 0.01, 0.003, 0.2, 1.04, base, new);
}

static void test_pairs_one_odd_process_sets_no_workload_variance(void **state)
{
	(void)state;
	for (unsigned long seed = 41; seed < 44; seed++) {
		cb_cmp_input *b, *n;
		make_one_odd_process(seed, &b, &n);
		cb_cmp_result *r = compare_pairs(b, n);
		size_t found = 0;
		for (size_t i = 0; i < r->nrows; i++) {
			const cb_cmp_row *w = &r->rows[i];
			if (!strcmp(w->base->label, "py.x/s0/n1")) {
				assert_true(w->disagree);
				assert_int_equal(w->verdict, CB_VERDICT_NOISY);
				continue;
			}
			/* The pool leaves the odd cell out: the others' variance
			 * between processes is their own (0.3%), far below the
			 * 20% process's share of it. */
			assert_true(w->tau2 < 0.01 * 0.01);
			found += w->verdict == CB_VERDICT_REGRESSED;
		}
		assert_true(found >= 17);
		cb_cmp_result_free(r);
		cb_cmp_input_free(b);
		cb_cmp_input_free(n);
	}
}

/* 3 pairs of processes of 10 pairs per cell; NEW `shift` slower; pairs 4,
 * 14 and 25 of each cell one side's stall (-40%, +40%, -35%). */
static void make_stalls(size_t ncells, double shift, unsigned long seed, cb_cmp_input **base, cb_cmp_input **new)
{
	make_pairs_rounds(ncells, 30, ncells, shift, seed, 0, base, new);
	for (size_t c = 0; c < ncells; c++) {
		for (int s = 0; s < 2; s++) {
			cb_cmp_cell *cell = &(s ? *new : *base)->cells[c];
			cell->nrounds = 3;
			cell->rounds = cb_xrealloc(cell->rounds, 3 * sizeof *cell->rounds);
			cell->rounds[2] = 0.03;
		}
		(*new)->cells[c].reps[4] *= exp(-0.40);
		(*new)->cells[c].reps[14] *= exp(0.40);
		(*new)->cells[c].reps[25] *= exp(-0.35);
	}
}

static void test_pairs_stalls_left_out(void **state)
{
	(void)state;
	cb_cmp_input *b, *n;
	/* 3% slower: the three stalls, two of them against the change, are
	 * left out and every cell is found, its MDC that of its other pairs. */
	make_stalls(10, 0.03, 31, &b, &n);
	cb_cmp_result *r = compare_pairs(b, n);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 10);
	for (size_t i = 0; i < r->nrows; i++) {
		assert_int_equal(r->rows[i].wild, 3);
		assert_true(r->rows[i].mdc < 0.02);
	}
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
	/* Nothing changed: the stalls make no verdict either way. */
	make_stalls(10, 0, 32, &b, &n);
	r = compare_pairs(b, n);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED] + r->count[CB_VERDICT_IMPROVED], 0);
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
}

/* One process slow for a stretch: 4 consecutive pairs of a round's 10
 * (NEW's process 25% slow, its twin not; cpu.mandelbrot on the AMD 2-vCPU
 * VM). Left in that round's estimate they pulled it off its siblings', and
 * the cell's processes looked apart: its MDC went to the variance between
 * them. Left out with the cell's other wild pairs, the rounds agree, the
 * 3% change is found in every cell and the MDC is its pairs'. */
static void test_pairs_slow_stretch_left_out_of_rounds(void **state)
{
	(void)state;
	cb_cmp_input *b, *n;
	make_stalls(10, 0.03, 33, &b, &n);
	for (size_t c = 0; c < 10; c++) {
		/* No single stalls here: the stretch only. */
		n->cells[c].reps[4] *= exp(0.40);
		n->cells[c].reps[14] *= exp(-0.40);
		n->cells[c].reps[25] *= exp(0.35);
		for (size_t i = 20; i < 24; i++)
			n->cells[c].reps[i] *= exp(0.25);
	}
	cb_cmp_result *r = compare_pairs(b, n);
	assert_int_equal(r->count[CB_VERDICT_REGRESSED], 10);
	for (size_t i = 0; i < r->nrows; i++) {
		const cb_cmp_row *w = &r->rows[i];
		assert_int_equal(w->wild, 4);
		assert_int_equal(w->nblocks, 3);
		assert_false(w->disagree);
		for (size_t k = 0; k < 3; k++)
			assert_true(fabs(w->block_est[k] - log(1.03)) < 0.015);
		assert_true(w->mdc < 0.02);
	}
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
}

/* One workload, 8 cells at 1 worker whose processes agree and 4 at 2
 * workers whose processes (contending for one counter) each run off their
 * twins by N(0, 6%); nothing changed. The workload's cells pooled would
 * give the 2-worker cells too small a variance between processes: they
 * take their worker count's. */
static void make_contended(unsigned long seed, cb_cmp_input **base, cb_cmp_input **new)
{
	enum { CELLS = 12, ROUNDS = 3, PAIRS = 10 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	cb_cmp_input *in[2];
	new_inputs(in, CELLS);
	for (size_t c = 0; c < CELLS; c++) {
		bool contended = c % 3 == 0;
		double offset[ROUNDS];
		for (int k = 0; k < ROUNDS; k++)
			offset[k] = contended ? gsl_ran_gaussian(rng, 0.06) : 0;
		for (int s = 0; s < 2; s++) {
			cb_cmp_cell *cell = &in[s]->cells[c];
			cell->key = cb_xasprintf("sync.z/threads/n%d/c%zu", contended ? 2 : 1, c);
			cell->label = cb_xstrdup(cell->key);
			cell->executors = contended ? 2 : 1;
			cell->nreps = ROUNDS * PAIRS;
			cell->reps = cb_xcalloc(cell->nreps, sizeof *cell->reps);
			cell->nrounds = ROUNDS;
			cell->rounds = cb_xcalloc(ROUNDS, sizeof *cell->rounds);
			for (int k = 0; k < ROUNDS; k++)
				cell->rounds[k] = 0.03;
		}
		for (size_t i = 0; i < ROUNDS * PAIRS; i++) {
			double drift = gsl_ran_gaussian(rng, 0.05);
			in[0]->cells[c].reps[i] = 0.03 * exp(drift + gsl_ran_gaussian(rng, 0.008));
			in[1]->cells[c].reps[i] = 0.03 * exp(offset[i / PAIRS] + drift + gsl_ran_gaussian(rng, 0.008));
		}
	}
	gsl_rng_free(rng);
	*base = in[0];
	*new = in[1];
}

static void test_pairs_process_variance_by_workers(void **state)
{
	(void)state;
	for (unsigned long seed = 41; seed < 51; seed++) {
		cb_cmp_input *b, *n;
		make_contended(seed, &b, &n);
		cb_cmp_result *r = compare_pairs(b, n);
		for (size_t i = 0; i < r->nrows; i++) {
			const cb_cmp_row *w = &r->rows[i];
			assert_int_not_equal(w->verdict, CB_VERDICT_REGRESSED);
			assert_int_not_equal(w->verdict, CB_VERDICT_IMPROVED);
			if (w->base->executors == 2)
				assert_true(w->tau2 > 0.02 * 0.02);
		}
		cb_cmp_result_free(r);
		cb_cmp_input_free(b);
		cb_cmp_input_free(n);
	}
}

/* 15 cells, each repetition its own 1.8% (pairs' log ratios about 2.5%,
 * collatz.c's 2-worker cells on the 2-vCPU VM), each of NEW's processes
 * off its twin by its own N(0, `tau`), NEW `factor` slower. */
static void make_processes_apart(unsigned long seed, double tau, double factor, cb_cmp_input **base,
                                 cb_cmp_input **new)
{
	make_workload(seed, 15, "example.z", 2, 0.022, 0.018, tau, 0, factor, base, new);
}

/* Processes that differ as much as their workload's do: a cell's three
 * pairs of processes spread by what the random-effects test counts, and
 * Cochran's Q against the pairs' noise alone calls some of them apart
 * (collatz.c's serial cell at +3.1% of work: +2.7%, +2.4% and +4.9%). The
 * cell is judged by that test, not held to its least pair of processes:
 * 3.5% is found in nearly every cell, and with nothing changed no cell is
 * called changed (20 runs of 15 cells). */
static void test_pairs_processes_apart_as_their_workload(void **state)
{
	(void)state;
	size_t found = 0, apart = 0, cells = 0;
	for (unsigned long seed = 61; seed < 81; seed++) {
		cb_cmp_input *b, *n;
		make_processes_apart(seed, 0.008, 1.035, &b, &n);
		cb_cmp_result *r = compare_pairs(b, n);
		for (size_t i = 0; i < r->nrows; i++) {
			const cb_cmp_row *w = &r->rows[i];
			assert_true(w->tau2 > 0.003 * 0.003);
			found += w->verdict == CB_VERDICT_REGRESSED;
			apart += w->block_q > 9.21;   /* Cochran's Q beyond its 1% point at 2 df */
			cells++;
		}
		cb_cmp_result_free(r);
		cb_cmp_input_free(b);
		cb_cmp_input_free(n);
		make_processes_apart(seed + 100, 0.008, 1, &b, &n);
		r = compare_pairs(b, n);
		assert_int_equal(r->count[CB_VERDICT_REGRESSED] + r->count[CB_VERDICT_IMPROVED], 0);
		cb_cmp_result_free(r);
		cb_cmp_input_free(b);
		cb_cmp_input_free(n);
	}
	printf("processes apart: %zu of %zu cells found, %zu apart by Cochran's Q\n", found, cells, apart);
	assert_true(apart >= cells / 20);
	assert_true(found * 100 >= cells * 95);
}

/* Beyond the threshold overall and in one pair of processes, not in the
 * other: not a regression (each side's first process 0.7% apart, its
 * second 1.4%, the intervals overlapping). */
static void test_pairs_same_direction_in_every_round(void **state)
{
	(void)state;
	cb_cmp_input *b, *n;
	make_pairs_rounds(1, 30, 0, 0, 16, 0, &b, &n);
	for (size_t i = 0; i < 30; i++) {
		double lr = (i < 15 ? -0.008 : -0.001) + 0.03 * (double)(i % 15) / 14;
		b->cells[0].reps[i] = 0.03;
		n->cells[0].reps[i] = 0.03 * exp(lr);
	}
	cb_cmp_result *r = compare_pairs(b, n);
	const cb_cmp_row *w = &r->rows[0];
	assert_false(w->disagree);
	assert_true(w->p_adj <= 0.01);
	assert_true(w->ratio > 1.01);
	assert_true(w->block_lo < 1.01 && w->block_hi > 1.01);
	/* Both pairs of processes in the change's direction, one of them
	 * below the threshold, the cell's estimate beyond it: regressed (12
	 * pairs a process read a true +2% as +0.8% in one of three). */
	assert_true(w->block_lo > 1);
	assert_int_equal(w->verdict, CB_VERDICT_REGRESSED);
	cb_cmp_result_free(r);
	/* One pair of processes the other way: not the code's. */
	for (size_t i = 0; i < 15; i++)
		n->cells[0].reps[i] = 0.03 * exp(-0.005 + 0.003 * (double)(i % 5) / 4);
	for (size_t i = 15; i < 30; i++)
		n->cells[0].reps[i] = 0.03 * exp(0.03 + 0.003 * (double)(i % 5) / 4);
	r = compare_pairs(b, n);
	w = &r->rows[0];
	assert_true(w->block_lo < 1 && w->block_hi > 1.02);
	assert_int_not_equal(w->verdict, CB_VERDICT_REGRESSED);
	assert_int_not_equal(w->verdict, CB_VERDICT_IMPROVED);
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
}

static void test_pairs_unequal_counts_not_compared(void **state)
{
	(void)state;
	cb_cmp_input *b, *n;
	make_pairs(2, 20, 0, 0, 13, &b, &n);
	n->cells[0].nreps = 19;
	cb_cmp_result *r = compare_pairs(b, n);
	assert_int_equal(r->nrows, 1);
	assert_int_equal(r->nskips, 1);
	assert_non_null(strstr(r->skips[0].why, "not pairs"));
	cb_cmp_result_free(r);
	cb_cmp_input_free(b);
	cb_cmp_input_free(n);
}

/* ---- the protocol, spoken by the built binary ------------------------- */

typedef struct worker {
	pid_t pid;
	int to;
	FILE *from;
} worker;

static void start_worker(worker *w)
{
	const char *bin = getenv("CONCBENCH");
	int in[2], out[2];
	assert_non_null(bin);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	w->pid = fork();
	assert_true(w->pid >= 0);
	if (w->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(bin, bin, "ab-worker", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	w->to = in[1];
	w->from = fdopen(out[0], "r");
}

static void say(worker *w, const char *line)
{
	size_t n = strlen(line);
	assert_int_equal(write(w->to, line, n), (ssize_t)n);
	assert_int_equal(write(w->to, "\n", 1), 1);
}

/* The next line as JSON (skipping the word that it was set up and the
 * warmups when skip_warm). */
static json_t *hear(worker *w, bool skip_warm)
{
	char *line = NULL;
	size_t cap = 0;
	for (;;) {
		assert_true(getline(&line, &cap, w->from) > 0);
		json_t *j = json_loads(line, 0, NULL);
		assert_non_null(j);
		if (skip_warm && (json_object_get(j, "warm") || json_object_get(j, "setup"))) {
			json_decref(j);
			continue;
		}
		free(line);
		return j;
	}
}

static int end_worker(worker *w)
{
	close(w->to);
	fclose(w->from);
	int st;
	assert_int_equal(waitpid(w->pid, &st, 0), w->pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_protocol_hello_and_refusal(void **state)
{
	(void)state;
	worker w;
	start_worker(&w);
	json_t *h = hear(&w, false);
	assert_string_equal(json_string_value(json_object_get(h, "hello")), "concbench ab");
	assert_int_equal(json_integer_value(json_object_get(h, "protocol")), CB_AB_PROTOCOL);
	json_decref(h);
	say(&w, "{\"protocol\": 99, \"cell\": {}}");
	json_t *e = hear(&w, false);
	const char *msg = json_string_value(json_object_get(e, "error"));
	assert_non_null(msg);
	assert_non_null(strstr(msg, "refused"));
	assert_non_null(strstr(msg, "99"));
	json_decref(e);
	assert_int_equal(end_worker(&w), CB_EXIT_USAGE);
}

static void test_protocol_cell_rep_end(void **state)
{
	(void)state;
	worker w;
	start_worker(&w);
	json_decref(hear(&w, false));
	char msg[1024];
	snprintf(msg, sizeof msg, "{\"protocol\": %d, \"cell\": {\"id\": \"synth.amdahl/threads/n1/compact/dynamic:1\","
	         " \"workload\": \"synth.amdahl\", \"strategy\": \"threads\", \"workers\": 1, \"concurrency\": 1,"
	         " \"threads\": 1, \"pin\": \"compact\", \"schedule\": \"dynamic:1\", \"size\": \"tiny\","
	         " \"scaling\": \"strong\", \"params\": [], \"warmup\": 1, \"reps\": 4, \"t0\": 0}}",
	         CB_AB_PROTOCOL);
	say(&w, msg);
	/* Set up first (the parent's limit on repetitions starts there). */
	json_t *setup = hear(&w, false);
	assert_true(json_is_true(json_object_get(setup, "setup")));
	json_decref(setup);
	json_t *ready = hear(&w, true), *cell = json_object_get(json_object_get(ready, "ready"), "cell");
	assert_non_null(cell);
	assert_string_equal(json_string_value(json_object_get(cell, "id")), "synth.amdahl/threads/n1/compact/dynamic:1");
	assert_int_equal(json_array_size(json_object_get(cell, "placement")), 1);
	for (int k = 0; k < 2; k++) {
		say(&w, "{\"rep\": 0}");
		json_t *r = hear(&w, false), *rep = json_object_get(r, "rep");
		assert_non_null(rep);
		assert_true(json_is_true(json_object_get(rep, "checksum_ok")));
		assert_true(json_number_value(json_object_get(rep, "wall_s")) > 0);
		json_decref(r);
	}
	say(&w, "{\"end\": true}");
	json_t *end = hear(&w, false), *e = json_object_get(end, "end");
	assert_non_null(e);
	/* The checksum is the serial answer the cell's results hold. */
	char *hex = NULL;
	assert_true(asprintf(&hex, "%#018llx", strtoull(json_string_value(json_object_get(e, "checksum")), NULL, 10)) > 0);
	assert_string_equal(hex, json_string_value(json_object_get(cell, "reference")));
	free(hex);
	json_decref(end);
	json_decref(ready);
	assert_int_equal(end_worker(&w), 0);
}

static void test_protocol_unknown_cell(void **state)
{
	(void)state;
	worker w;
	start_worker(&w);
	json_decref(hear(&w, false));
	char msg[512];
	snprintf(msg, sizeof msg, "{\"protocol\": %d, \"cell\": {\"id\": \"no/such\", \"workload\": \"nope.nope\","
	         " \"strategy\": \"serial\", \"workers\": 1, \"pin\": \"compact\", \"schedule\": \"dynamic\","
	         " \"size\": \"tiny\", \"params\": [], \"t0\": 0}}", CB_AB_PROTOCOL);
	say(&w, msg);
	json_t *e = hear(&w, true);
	assert_non_null(strstr(json_string_value(json_object_get(e, "error")), "unknown workload 'nope.nope'"));
	json_decref(e);
	assert_int_not_equal(end_worker(&w), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_rank_exact_small),
		cmocka_unit_test(test_signed_rank_ties_use_normal),
		cmocka_unit_test(test_hodges_lehmann),
		cmocka_unit_test(test_power_at_shipped_pairs),
		cmocka_unit_test(test_simulated_mdc),
		cmocka_unit_test(test_pairs_verdicts),
		cmocka_unit_test(test_pairs_processes_that_disagree_are_noisy),
		cmocka_unit_test(test_pairs_workload_process_variance),
		cmocka_unit_test(test_pairs_one_odd_process_sets_no_workload_variance),
		cmocka_unit_test(test_pairs_stalls_left_out),
		cmocka_unit_test(test_pairs_slow_stretch_left_out_of_rounds),
		cmocka_unit_test(test_pairs_process_variance_by_workers),
		cmocka_unit_test(test_pairs_processes_apart_as_their_workload),
		cmocka_unit_test(test_pairs_same_direction_in_every_round),
		cmocka_unit_test(test_pairs_unequal_counts_not_compared),
		cmocka_unit_test(test_protocol_hello_and_refusal),
		cmocka_unit_test(test_protocol_cell_rep_end),
		cmocka_unit_test(test_protocol_unknown_cell),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
