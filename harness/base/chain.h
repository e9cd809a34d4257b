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
/* Seconds that `iters` steps of a dependent integer chain (a 64-bit
 * division by a divisor the compiler cannot know, and a multiply) take:
 * the divider and the integer units, which a hardware thread beside this
 * one shares. On the 2-vCPU VM, cpu.primes (trial division) ran at half
 * speed on both vCPUs for seconds at a time while a floating-point chain
 * and a multiply chain lost 5%. */
double cb_chain_int_s(uint64_t iters);
/* Steps per millisecond on the calling thread: the fastest of `tries`
 * timings of 2^18 steps (at least 1 try). */
double cb_chain_per_ms(int tries);

#endif
