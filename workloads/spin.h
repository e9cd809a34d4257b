/* Calibrated CPU work shared by the synthetic workloads: a dependent LCG
 * chain (no memory traffic, no vectorisation) whose result the caller must
 * fold into its checksum so the compiler cannot drop it, and the rate of
 * that chain on this machine. */
#ifndef CB_SPIN_H
#define CB_SPIN_H

#include <stdint.h>

#include "base/common.h"
#include "engine/workload.h"

static inline uint64_t cb_spin(uint64_t seed, uint64_t iters)
{
	uint64_t x = seed;
	for (uint64_t i = 0; i < iters; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL + i;
	return x;
}

/* Iterations per second of cb_spin(), the best of a few short probes (the
 * best is the least disturbed by a noisy neighbour). */
static inline double cb_spin_calibrate(void)
{
	double best = 0;
	uint64_t iters = 1u << 20;
	volatile uint64_t sink = 0;
	for (int k = 0; k < 5; k++) {
		double t0 = cb_now();
		sink += cb_spin((uint64_t)k, iters);
		double dt = cb_now() - t0;
		if (dt > 0 && iters / dt > best)
			best = iters / dt;
	}
	(void)sink;
	return best;
}

/* The `rate` parameter of workloads built on cb_spin(): 0 means calibrate
 * at setup; the measured rate is then recorded in the job, so processes
 * that rebuild the job from its parameters (MPI ranks) do the same work and
 * compute the same answer. */
#define CB_SPIN_RATE_PARAM                                                                    \
	{ "rate", CB_PARAM_MEASURED, { "0", "0", "0", "0" }, 0, 1e15, NULL,                    \
	  "spin iterations per second; 0: calibrated at setup (the measured rate is recorded)" }

static inline double cb_spin_rate(cb_job *job)
{
	double rate = cb_job_param(job, "rate");
	if (rate <= 0) {
		rate = cb_spin_calibrate();
		cb_params_set(&job->params, "rate", rate);
	}
	return rate;
}

#endif
