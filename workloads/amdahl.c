/* synth.amdahl: an arithmetic loop with a known serial fraction.
 * `serial` of the serial run's work is done in pre and post (half each),
 * the rest is split evenly into tasks, so Amdahl's law predicts the speedup
 * exactly and the harness's prediction can be checked against it. The loop
 * is a dependent LCG chain: no memory traffic, no vectorisation, and its
 * result feeds the checksum so the compiler cannot drop it. The work is a
 * fixed number of iterations by default, so that two runs (a CI baseline
 * and a candidate) do the same work; `work=` asks for a duration instead,
 * calibrated on this machine at setup. */
#include <math.h>
#include <stdlib.h>

#include "spin.h"
#include "engine/workload.h"

typedef struct { uint64_t task_iters, pre_iters, post_iters, pre_val; } amdahl_state;

static const cb_param_spec params[] = {
	{ "serial", CB_PARAM_REAL, { "0.1", "0.1", "0.1", "0.1" }, 0, 0.99, NULL,
	  "fraction of the serial run's work done serially in pre and post" },
	{ "iters", CB_PARAM_INT, { "1e7", "1e8", "5e8", "5e9" }, 1e3, 1e13, NULL,
	  "total loop iterations of one serial run (about 1 ns each on a 3 GHz core)" },
	{ "work", CB_PARAM_TIME, { "0", "0", "0", "0" }, 0, 3600, NULL,
	  "total work of one serial run as a duration, calibrated at setup (0: use iters)" },
	{ "tasks", CB_PARAM_INT, { "8", "64", "128", "256" }, 1, 1e6, NULL,
	  "tasks the parallel part is split into" },
	CB_SPIN_RATE_PARAM,
};

static int setup(cb_job *job, cb_error *err)
{
	(void)err;
	amdahl_state *s = cb_xcalloc(1, sizeof *s);
	double f = cb_job_param(job, "serial");
	double work = cb_job_param(job, "work");
	double total = work > 0 ? work * cb_spin_rate(job) : cb_job_param(job, "iters");
	size_t tasks = (size_t)cb_job_param(job, "tasks");
	s->pre_iters = (uint64_t)llround(total * f / 2);
	s->post_iters = s->pre_iters;
	s->task_iters = (uint64_t)llround(total * (1 - f) / (double)tasks);
	if (!s->task_iters)
		s->task_iters = 1;
	job->state = s;
	job->ntasks = tasks;
	return 0;
}

static int pre(cb_job *job, cb_error *err)
{
	(void)err;
	amdahl_state *s = job->state;
	s->pre_val = cb_spin(1, s->pre_iters);
	return 0;
}

static int task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)io;
	const amdahl_state *s = job->state;
	*out = cb_spin(i + 2, s->task_iters);
	return 0;
}

static uint64_t post(cb_job *job)
{
	amdahl_state *s = job->state;
	return cb_partials_hash_from(job, cb_mix64(s->pre_val, cb_spin(s->pre_val, s->post_iters)));
}

static void teardown(cb_job *job) { free(job->state); }

const cb_workload cb_wl_amdahl = {
	.abi = CB_WORKLOAD_ABI,
	.name = "synth.amdahl",
	.summary = "arithmetic loop with a known serial fraction (pre/post), fixed work or calibrated",
	.kind = CB_KIND_CPU,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "the LCG chain results of pre, every task and post, in order",
	.setup = setup,
	.pre = pre,
	.task = task,
	.post = post,
	.teardown = teardown,
	.pure_tasks = true,
};
