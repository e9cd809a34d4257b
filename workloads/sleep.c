/* io.sleep: the asyncio.sleep of the suite. Each task waits `latency`
 * through the I/O interface, then computes `cpu` of calibrated work (the
 * LCG chain of spin.h, whose result is the task's partial). Its ideal time
 * is ntasks x (latency + cpu) / concurrency until the CPUs saturate, where
 * it becomes latency + ntasks x cpu / cores: the shape that separates a
 * thread per request from coroutines on an event loop. */
#include <math.h>
#include <stdlib.h>

#include "spin.h"
#include "engine/workload.h"

typedef struct { double latency; uint64_t iters; } sleep_state;

static const cb_param_spec params[] = {
	{ "tasks", CB_PARAM_INT, { "64", "50", "400", "10000" }, 1, 1e7, NULL,
	  "tasks (requests), each one sleep then a little work" },
	{ "latency", CB_PARAM_TIME, { "1ms", "1ms", "2ms", "10ms" }, 0, 60, NULL,
	  "how long each task waits (through the I/O interface's sleep)" },
	{ "cpu", CB_PARAM_TIME, { "10us", "50us", "50us", "50us" }, 0, 1, NULL,
	  "work after the wait, calibrated on this machine at setup" },
	CB_SPIN_RATE_PARAM,
};

static int setup(cb_job *job, cb_error *err)
{
	(void)err;
	sleep_state *s = cb_xcalloc(1, sizeof *s);
	s->latency = cb_job_param(job, "latency");
	s->iters = (uint64_t)llround(cb_job_param(job, "cpu") * cb_spin_rate(job));
	job->state = s;
	job->ntasks = (size_t)cb_job_param(job, "tasks");
	return 0;
}

static int task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	const sleep_state *s = job->state;
	int rc = cb_io_sleep(io, s->latency);
	if (rc)
		return rc;
	*out = cb_spin(i + 1, s->iters);
	return 0;
}

static uint64_t post(cb_job *job)
{
	return cb_partials_hash(job);
}

static void teardown(cb_job *job) { free(job->state); }

/* Every task waits `latency` whatever runs it. */
static double serial_wait_s(const cb_job *job)
{
	return cb_job_param(job, "tasks") * cb_job_param(job, "latency");
}

const cb_workload cb_wl_sleep = {
	.abi = CB_WORKLOAD_ABI,
	.name = "io.sleep",
	.summary = "each task sleeps `latency` through the I/O interface, then computes `cpu`",
	.kind = CB_KIND_IO,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "an ordered hash of every task's LCG chain result",
	.setup = setup,
	.task = task,
	.post = post,
	.teardown = teardown,
	.serial_wait_s = serial_wait_s,
};
