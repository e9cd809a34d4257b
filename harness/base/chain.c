#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/chain.h"
#include "base/spin.h"
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

double cb_divide_s(uint64_t iters)
{
	/* The divisors through a volatile: constant ones would be compiled
	 * into multiplies, and the divider is what this is for. */
	volatile uint64_t divisor = 1000003;
	uint64_t d0 = divisor, d1 = d0 + 2, d2 = d0 + 4, d3 = d0 + 6;
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	double t0 = cb_now();
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t x = (i * 0x9e3779b97f4a7c15ULL) | (1ULL << 62);
		__asm__ volatile("" : "+r"(x));
		s0 += x / d0;
		s1 += (x >> 1) / d1;
		s2 += (x >> 2) / d2;
		s3 += (x >> 3) / d3;
	}
	double t = cb_now() - t0;
	volatile uint64_t sink = s0 ^ s1 ^ s2 ^ s3;
	(void)sink;
	return t;
}

double cb_fp_wide_s(uint64_t iters)
{
	volatile double seed = 0.5, add = 0.25;
	double c = add, a0 = seed, a1 = seed + 1, a2 = seed + 2, a3 = seed + 3, a4 = seed + 4, a5 = seed + 5,
	       a6 = seed + 6, a7 = seed + 7;
	double t0 = cb_now();
	for (uint64_t i = 0; i < iters; i++) {
		a0 = a0 * 0.999 + c;
		a1 = a1 * 0.999 + c;
		a2 = a2 * 0.999 + c;
		a3 = a3 * 0.999 + c;
		a4 = a4 * 0.999 + c;
		a5 = a5 * 0.999 + c;
		a6 = a6 * 0.999 + c;
		a7 = a7 * 0.999 + c;
		/* In registers, one by one: no folding, no vectorising. */
		KEEP_IN_REGISTER(a0);
		KEEP_IN_REGISTER(a1);
		KEEP_IN_REGISTER(a2);
		KEEP_IN_REGISTER(a3);
		KEEP_IN_REGISTER(a4);
		KEEP_IN_REGISTER(a5);
		KEEP_IN_REGISTER(a6);
		KEEP_IN_REGISTER(a7);
	}
	double t = cb_now() - t0;
	volatile double sink = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
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

double cb_spin_calibrate(int tries)
{
	double best = 0;
	uint64_t iters = 1u << 20;
	volatile uint64_t sink = 0;
	for (int k = 0; k < (tries > 0 ? tries : 1); k++) {
		double t0 = cb_now();
		sink += cb_spin((uint64_t)k, iters);
		double dt = cb_now() - t0;
		if (dt > 0 && iters / dt > best)
			best = iters / dt;
	}
	(void)sink;
	return best;
}

double cb_spin_rate_shared(void)
{
	const char *v = getenv(CB_SPIN_RATE_ENV);
	char *end;
	double rate = v ? strtod(v, &end) : 0;
	if (v && *end == '\0' && isfinite(rate) && rate > 0)
		return rate;
	rate = cb_spin_calibrate(15);
	char text[64];
	snprintf(text, sizeof text, "%.17g", rate);
	setenv(CB_SPIN_RATE_ENV, text, 1);
	return rate;
}
