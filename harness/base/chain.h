/* A dependent chain of floating-point steps: core-bound work (no memory
 * traffic, nothing to predict wrongly for long) whose time varies only
 * with the machine, not with the work. concbench noise times it to measure
 * the machine's timing noise, and the capacity probe to measure how fast
 * each PU runs alone and with the cell's other PUs busy. */
#ifndef CB_CHAIN_H
#define CB_CHAIN_H

#include <stdint.h>

/* Seconds that `iters` steps of the chain take on the calling thread. */
double cb_chain_s(uint64_t iters);
/* Seconds that `iters` steps of throughput-bound work take: each step
 * four 64-bit divisions by divisors the compiler cannot know, independent
 * of each other and of the steps before (cb_divide_s), or eight
 * independent floating-point multiply-adds (cb_fp_wide_s). A dependent
 * chain waits on its own latency and leaves a core's units mostly idle,
 * so a hardware thread beside it barely slows it; work that keeps the
 * units busy, as trial division does (cpu.primes), runs at half speed
 * when the host puts two busy vCPUs on one core. On the 2-vCPU VM
 * cpu.primes ran at half speed on both vCPUs for seconds at a time while
 * a floating-point chain and a dependent division chain lost 5%. */
double cb_divide_s(uint64_t iters);
double cb_fp_wide_s(uint64_t iters);
/* Steps per millisecond on the calling thread: the fastest of `tries`
 * timings of 2^18 steps (at least 1 try). */
double cb_chain_per_ms(int tries);

#endif
