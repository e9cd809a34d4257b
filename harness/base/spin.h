/* Calibrated CPU work: a dependent LCG chain (no memory traffic, no
 * vectorisation) whose result the caller must fold into its checksum so
 * the compiler cannot drop it, and the chain's rate on this machine, which
 * turns a task's duration into iterations. */
#ifndef CB_BASE_SPIN_H
#define CB_BASE_SPIN_H

#include <stdint.h>

static inline uint64_t cb_spin(uint64_t seed, uint64_t iters)
{
	uint64_t x = seed;
	for (uint64_t i = 0; i < iters; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL + i;
	return x;
}

/* The environment variable that carries the rate to every process of one
 * invocation (measuring processes, both sides of an A/B run), and that a
 * user may set to hold the work of duration-sized tasks fixed across runs. */
#define CB_SPIN_RATE_ENV "CB_SPIN_RATE"

/* Iterations per second of cb_spin() on the calling thread: the best of
 * `tries` probes of 2^20 iterations (the best is the least disturbed). */
double cb_spin_calibrate(int tries);
/* The rate every process of this invocation uses: CB_SPIN_RATE when set
 * (a positive number), else calibrated here once and put into the
 * environment, so that processes started after it inherit the same rate.
 * Measured per process, rates differed by up to 4% between the measuring
 * processes of one run (graph.deps: 0.90e9 to 0.93e9 a second), and the
 * work of a task sized in time with it. */
double cb_spin_rate_shared(void);

#endif
