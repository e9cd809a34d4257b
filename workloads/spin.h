/* Calibrated CPU work shared by the synthetic workloads: a dependent LCG
 * chain (no memory traffic, no vectorisation) whose result the caller must
 * fold into its checksum so the compiler cannot drop it, and the rate of
 * that chain on this machine. */
#ifndef CB_SPIN_H
#define CB_SPIN_H

#include <stdint.h>

#include "base/common.h"
#include "base/spin.h"
#include "engine/workload.h"

/* The `rate` parameter of workloads built on cb_spin(): 0 means the rate
 * of this invocation (cb_spin_rate_shared: measured once, before the first
 * measuring process starts, and the same in all of them and on both sides
 * of an A/B run); the rate is then recorded in the job, so processes that
 * rebuild the job from its parameters (MPI ranks) do the same work and
 * compute the same answer. */
#define CB_SPIN_RATE_PARAM                                                                    \
	{ "rate", CB_PARAM_MEASURED, { "0", "0", "0", "0" }, 0, 1e15, NULL,                    \
	  "spin iterations per second; 0: calibrated at setup (the measured rate is recorded)" }

static inline double cb_spin_rate(cb_job *job)
{
	double rate = cb_job_param(job, "rate");
	if (rate <= 0) {
		rate = cb_spin_rate_shared();
		cb_params_set(&job->params, "rate", rate);
	}
	return rate;
}

#endif
