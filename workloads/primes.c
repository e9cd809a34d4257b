/* cpu.primes: primes in [2, n) by trial division. Tasks are equal ranges of
 * the interval, so later ranges cost a little more (sqrt growth): a mild,
 * realistic imbalance. The checksum covers the count and an ordered hash of
 * every prime found. */
#include <stdlib.h>

#include "engine/workload.h"

#define COUNT_SHIFT 40  /* partial = count << 40 | 40-bit hash of the range */

typedef struct { uint64_t n, per_task; uint64_t count; } primes_state;

static const cb_param_spec params[] = {
	{ "n", CB_PARAM_INT, { "20000", "800000", "4000000", "30000000" }, 3, 1e10, NULL,
	  "search primes in [2, n)" },
	{ "tasks", CB_PARAM_INT, { "16", "256", "512", "1024" }, 1, 1e6, NULL,
	  "number of equal ranges the interval is split into" },
};

static int setup(cb_job *job, cb_error *err)
{
	primes_state *s = cb_xcalloc(1, sizeof *s);
	s->n = (uint64_t)cb_job_param(job, "n");
	uint64_t tasks = (uint64_t)cb_job_param(job, "tasks");
	if (tasks > s->n) {
		unsigned long long n = s->n;
		free(s);
		return cb_error_set(err, CB_EXIT_USAGE, "cpu.primes: tasks=%llu exceeds n=%llu (valid: tasks <= n)",
		                    (unsigned long long)tasks, n);
	}
	s->per_task = (s->n + tasks - 1) / tasks;
	if (s->per_task >= (1ULL << (64 - COUNT_SHIFT))) {
		free(s);
		return cb_error_set(err, CB_EXIT_USAGE, "cpu.primes: n/tasks must stay below 2^24 (raise tasks)");
	}
	job->state = s;
	job->ntasks = (size_t)((s->n + s->per_task - 1) / s->per_task);
	return 0;
}

static int is_prime(uint64_t x)
{
	if (x < 4)
		return x >= 2;
	if (!(x & 1))
		return 0;
	for (uint64_t d = 3; d * d <= x; d += 2)
		if (x % d == 0)
			return 0;
	return 1;
}

static int task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)io;
	const primes_state *s = job->state;
	uint64_t lo = i * s->per_task, hi = lo + s->per_task;
	if (hi > s->n)
		hi = s->n;
	uint64_t count = 0, h = 0;
	for (uint64_t x = lo; x < hi; x++)
		if (is_prime(x)) {
			count++;
			h = cb_mix64(h, x);
		}
	*out = count << COUNT_SHIFT | (h & ((1ULL << COUNT_SHIFT) - 1));
	return 0;
}

static uint64_t post(cb_job *job)
{
	primes_state *s = job->state;
	uint64_t count = 0, h = 0;
	for (size_t i = 0; i < job->ntasks; i++) {
		count += job->partials[i] >> COUNT_SHIFT;
		h = cb_mix64(h, job->partials[i]);
	}
	s->count = count;
	return cb_mix64(h, count);
}

static void teardown(cb_job *job) { free(job->state); }

const cb_workload cb_wl_primes = {
	.abi = CB_WORKLOAD_ABI,
	.name = "cpu.primes",
	.summary = "count primes below n by trial division; tasks are ranges",
	.kind = CB_KIND_CPU,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "the number of primes below n and an ordered hash of every prime",
	.setup = setup,
	.task = task,
	.post = post,
	.teardown = teardown,
	.pure_tasks = true,
};
