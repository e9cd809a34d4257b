#include <math.h>

#include "base/chain.h"
#include "base/common.h"

/* The register a double lives in, named to the compiler so that it must
 * keep every step of the chain (no folding, no vectorising). */
#if defined(__x86_64__)
#define KEEP_IN_REGISTER(x) __asm__ volatile("" : "+x"(x))
#elif defined(__aarch64__)
#define KEEP_IN_REGISTER(x) __asm__ volatile("" : "+w"(x))
#else
#define KEEP_IN_REGISTER(x) __asm__ volatile("" : "+m"(x))
#endif

double cb_chain_s(uint64_t iters)
{
	volatile double seed = 0.5, add = 0.25;
	double x = seed, c = add;
	double t0 = cb_now();
	for (uint64_t i = 0; i < iters; i++) {
		x = x * x + c;
		x = x > 2 ? x - 1.7 : x;
		KEEP_IN_REGISTER(x);
	}
	double t = cb_now() - t0;
	volatile double sink = x;
	(void)sink;
	return t;
}

double cb_chain_int_s(uint64_t iters)
{
	/* The divisor through a volatile: a constant one would be compiled
	 * into a multiply, and the divider is what the chain is for. */
	volatile uint64_t seed = 0x9e3779b97f4a7c15ULL, divisor = 1000003;
	uint64_t x = seed, d = divisor;
	double t0 = cb_now();
	for (uint64_t i = 0; i < iters; i++) {
		x = x / d + x * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(x));
	}
	double t = cb_now() - t0;
	volatile uint64_t sink = x;
	(void)sink;
	return t;
}

#define CALIBRATE_ITERS (1u << 18)

double cb_chain_per_ms(int tries)
{
	double best = INFINITY;
	for (int k = 0; k < (tries > 0 ? tries : 1); k++) {
		double s = cb_chain_s(CALIBRATE_ITERS);
		best = s < best ? s : best;
	}
	return CALIBRATE_ITERS / (best * 1e3);
}
