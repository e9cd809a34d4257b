/* serial: one loop in the calling thread, the baseline T1 every speedup is
 * measured against. The runner has already bound the calling thread to the
 * cell's cpuset. */
#include "engine/strategy.h"

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	cb_io io = cb_io_blocking();
	cb_worker_run(ex, job, 0, 1, &io);
	return cb_exec_check(ex, err);
}

const cb_strategy cb_st_serial = {
	.name = "serial",
	.summary = "one loop in the calling thread; the baseline T1",
	.flags = CB_STRATEGY_BASELINE,
	.colour = 0x444444,
	.run_job = run_job,
};
