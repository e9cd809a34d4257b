/* The step search of harness/analysis/drift.c on constructed runs: 13 cells
 * of one workload, 10 rounds each spread over 120 s in a shuffled order,
 * with log-normal noise and, in some, a step of the machine's speed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "analysis/drift.h"

#define CELLS 13
#define ROUNDS 10
#define N (CELLS * ROUNDS)

static uint64_t rng;
static double uniform(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

/* Cell c's round k begins in round k's 12 s, at a random moment; its time
 * is base_c x noise, x step from step_at on for the cells in `stepped`
 * (a bit mask), and x spike now and then (interference). */
static void make(cb_drift_point *p, double sd, double step, double step_at, unsigned stepped, double spikes)
{
	for (int c = 0; c < CELLS; c++)
		for (int k = 0; k < ROUNDS; k++) {
			cb_drift_point *q = &p[c * ROUNDS + k];
			q->cell = c;
			q->at_s = 12.0 * k + 12.0 * uniform();
			double t = (0.01 + 0.005 * c) * exp(sd * normal());
			if (q->at_s >= step_at && (stepped >> c & 1))
				t *= step;
			if (uniform() < spikes)
				t *= 1.5 + uniform();
			q->wall_s = t;
		}
}

static void finds_a_step_every_cell_took(void **state)
{
	(void)state;
	cb_drift_point p[N];
	cb_drift d;
	rng = 1;
	/* The step of run S2: matmul from 46 ms to 29 ms at 92 s. */
	make(p, 0.02, 0.63, 92, (1u << CELLS) - 1, 0.05);
	cb_drift_find(p, N, CELLS, &d);
	assert_true(d.found);
	assert_true(fabs(d.ratio - 0.63) < 0.05);
	assert_true(d.at_s > 84 && d.at_s < 100);
	assert_int_equal(d.cells, CELLS);
	assert_true(d.agree >= 12);
	/* Early and up: 12% slower from 30 s. */
	make(p, 0.02, 1.12, 30, (1u << CELLS) - 1, 0);
	cb_drift_find(p, N, CELLS, &d);
	assert_true(d.found);
	assert_true(d.ratio > 1.08 && d.ratio < 1.16);
}

static void noise_is_not_a_step(void **state)
{
	(void)state;
	cb_drift_point p[N];
	cb_drift d;
	int found = 0;
	/* 200 runs of 5% noise with 10% of the repetitions slowed 1.5-2.5x:
	 * noisier than any workload of the quick suite measured here. */
	for (int run = 0; run < 200; run++) {
		rng = 1000 + (uint64_t)run;
		make(p, 0.05, 1, 0, 0, 0.10);
		cb_drift_find(p, N, CELLS, &d);
		found += d.found;
	}
	assert_int_equal(found, 0);
}

static void one_cell_is_not_the_machine(void **state)
{
	(void)state;
	cb_drift_point p[N];
	cb_drift d;
	rng = 7;
	/* Two cells of 13 twice as slow from 60 s: their own trouble. */
	make(p, 0.02, 2.0, 60, 0x3, 0);
	cb_drift_find(p, N, CELLS, &d);
	assert_false(d.found);
	/* A step below 10% is within what the statistics carry. */
	make(p, 0.01, 1.06, 60, (1u << CELLS) - 1, 0);
	cb_drift_find(p, N, CELLS, &d);
	assert_false(d.found);
}

static void too_little_to_tell(void **state)
{
	(void)state;
	cb_drift_point p[N];
	cb_drift d;
	rng = 3;
	make(p, 0.02, 0.5, 60, (1u << CELLS) - 1, 0);
	cb_drift_find(p, 8, CELLS, &d);   /* 8 points */
	assert_false(d.found);
	cb_drift_find(p, N, 2, &d);       /* cells 0 and 1 only */
	assert_false(d.found);
	make(p, 0.02, 0.5, 60, (1u << CELLS) - 1, 0);
	for (int i = 0; i < N; i++)
		p[i].at_s = NAN;              /* a file from before at_s */
	cb_drift_find(p, N, CELLS, &d);
	assert_false(d.found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_a_step_every_cell_took),
		cmocka_unit_test(noise_is_not_a_step),
		cmocka_unit_test(one_cell_is_not_the_machine),
		cmocka_unit_test(too_little_to_tell),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
