/* Dispatch micro-benchmarks: the round trip of an empty job through each
 * strategy, registered with the Google Benchmark shim for `concbench micro`. */
#ifndef CB_MICRO_DISPATCH_H
#define CB_MICRO_DISPATCH_H

/* Registers pools/<strategy>_empty_job/<workers> (1 and 2 workers) for
 * every strategy in the registry. */
void cb_micro_register_dispatch(void);

#endif
