/* An example concbench plug-in: the longest Collatz chain below n. Task i
 * walks one range of starting values; an optional `wait` before each task
 * goes through the I/O interface, so that it yields under coroutines.
 *
 *   cc -O2 -shared -fPIC -Iinclude examples/plugin/collatz.c -o collatz.so
 *   concbench list -v -w ./collatz.so
 *   concbench run -w ./collatz.so -s serial,threads,processes -n 1,2 --size quick
 *
 * Everything a plug-in needs is in concbench/workload.h: it links against
 * nothing of concbench. */
#include <concbench/workload.h>

typedef struct {
	uint64_t n, per_task;
	double wait;
} collatz;

static const cb_param_spec params[] = {
	/* name, type, default at tiny / quick / default / large, min, max, choices, help */
	{ "n", CB_PARAM_INT, { "20000", "300000", "2000000", "20000000" }, 2, 1e10, NULL,
	  "starting values in [1, n)" },
	{ "tasks", CB_PARAM_INT, { "16", "64", "256", "1024" }, 1, 1e6, NULL,
	  "equal ranges of starting values, one per task" },
	{ "wait", CB_PARAM_TIME, { "0", "0", "0", "0" }, 0, 1, NULL,
	  "a wait before each task, through the I/O interface (0: none)" },
};

static int setup(cb_job *job, cb_error *err)
{
	uint64_t n = (uint64_t)cb_job_param(job, "n");
	uint64_t tasks = (uint64_t)cb_job_param(job, "tasks");
	if (tasks > n)
		return cb_error_set(err, CB_EXIT_USAGE, "example.collatz: tasks=%llu exceeds n=%llu",
		                    (unsigned long long)tasks, (unsigned long long)n);
	collatz *c = calloc(1, sizeof *c);
	if (!c)
		return cb_error_set(err, CB_EXIT_FAIL, "example.collatz: out of memory");
	c->n = n;
	c->per_task = (n + tasks - 1) / tasks;
	c->wait = cb_job_param(job, "wait");
	job->state = c;
	job->ntasks = (size_t)((n + c->per_task - 1) / c->per_task);
	return 0;
}

static uint64_t steps(uint64_t x)
{
	uint64_t s = 0;
	while (x > 1) {
		x = x & 1 ? 3 * x + 1 : x / 2;
		s++;
	}
	return s;
}

/* The partial packs the range's longest chain and where it starts. */
static int task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	const collatz *c = job->state;
	if (c->wait > 0) {
		int rc = cb_io_sleep(io, c->wait);
		if (rc)
			return rc;
	}
	uint64_t lo = i * c->per_task, hi = lo + c->per_task, best = 0, at = 0;
	if (lo < 1)
		lo = 1;
	if (hi > c->n)
		hi = c->n;
	for (uint64_t x = lo; x < hi; x++) {
		uint64_t s = steps(x);
		if (s > best) {
			best = s;
			at = x;
		}
	}
	*out = best << 40 | at;
	return 0;
}

static uint64_t post(cb_job *job)
{
	/* The longest chain overall, folded into an ordered hash. */
	uint64_t best = 0;
	for (size_t i = 0; i < job->ntasks; i++)
		if (job->partials[i] > best)
			best = job->partials[i];
	return cb_mix64(cb_partials_hash(job), best);
}

static void teardown(cb_job *job) { free(job->state); }

CB_WORKLOAD_EXPORT = {
	.abi = CB_WORKLOAD_ABI,
	.name = "example.collatz",
	.summary = "longest Collatz chain below n; tasks are ranges (an example plug-in)",
	.kind = CB_KIND_CPU,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "an ordered hash of every range's longest chain, and the longest",
	.pure_tasks = true,
	.setup = setup,
	.task = task,
	.post = post,
	.teardown = teardown,
};
