/* The workload table: one line per workload. Listing, lookup and "unknown
 * workload" errors are all generated from it. */
#include "workload.h"

extern const cb_workload cb_wl_primes;
extern const cb_workload cb_wl_amdahl;
extern const cb_workload cb_wl_sleep;

const cb_workload *const cb_workloads[] = {
	&cb_wl_primes,
	&cb_wl_amdahl,
	&cb_wl_sleep,
	NULL,
};
