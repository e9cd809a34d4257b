/* Task graphs in Task Bench's timestep model (Slaughter et al., SC20):
 * tasks whose inputs are other tasks' outputs.
 *
 * graph.deps: a graph of `width` W tasks per step and `steps` T steps;
 * task (t, i) is task t * W + i, and reads the outputs of tasks of step
 * t - 1 as the pattern says:
 *   trivial     none (a bag of tasks, for comparison)
 *   stencil     i - 1, i, i + 1
 *   fft         i and i xor 2^((t - 1) mod log2 W) (a butterfly; W a power of 2)
 *   tree        i / 2 (each task feeds two of the next step)
 *   all_to_all  every task of step t - 1
 * With `sync` step, each task of step t also waits for every task of step
 * t - 1 before it starts, whichever it reads: a barrier a step's effect,
 * the way a bulk-synchronous program (Task Bench's mpi_openmp forall, an
 * `omp parallel for` a step) meets the same graph; its outputs, and so
 * its checksum, are those of `sync` inputs.
 * graph.pipeline: `stages` S stages and `items` items; task (k, s) is item
 * k at stage s (task k * S + s). It reads item k from stage s - 1 and
 * follows item k - 1 through its own stage (a stage handles its items in
 * order), and waits for room in the bounded queue after it: item
 * k - queue must have left stage s + 1.
 *
 * The kernel of each task is compute-bound (the spin chain) or
 * memory-bound (passes reading a slice of memory per column), sized to `task` seconds
 * on this machine, optionally imbalanced. Every task's output mixes its
 * kernel's result with its inputs' outputs, and the checksum hashes every
 * output: a task that ran before an input was ready read a stale value
 * (the fill the engine writes before each repetition) and the checksum
 * fails.
 *
 * Dependencies are met the way each model meets them: a task waits on a
 * flag per task in shared memory (MAP_SHARED, so that forked workers see
 * it) that its input sets when done. A thread or process spins briefly,
 * then sleeps on the flag (a futex); a coroutine spins more briefly, then
 * parks on the flag (cb_coro_wait_word, a futex for coroutines): its
 * scheduler runs its other coroutines, sleeps in its loop when none can
 * run, and the writer's wake-up reaches it through the loop. (A waiter
 * that napped 1 us at a time instead kept its scheduler's thread waking:
 * with two schedulers a PU it took from the one computing, and the
 * pipeline ran at 0.32-0.49 of its slowest stage's rate.) The engine
 * hands tasks out in index order under the dynamic schedule, so every
 * input of a task was handed out before it and the graph cannot deadlock;
 * under a static schedule a worker's block waits for the blocks before
 * it. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/futex.h"
#include "coro/coro.h"
#include "spin.h"
#include "engine/workload.h"

enum { PAT_TRIVIAL, PAT_STENCIL, PAT_FFT, PAT_TREE, PAT_ALL, PAT_PIPELINE };
enum { KERNEL_COMPUTE, KERNEL_MEMORY };
enum { SYNC_INPUTS, SYNC_STEP };   /* graph.deps's `sync`, in its order */
#define SPIN_BEFORE_SLEEP 20000   /* flag checks (about 20-50 us) before sleeping */
/* A coroutine's checks before it parks: while it spins its scheduler's
 * other coroutines wait, so it spins less. graph.deps stencil, 2
 * schedulers, METG(50%) two runs each: 2,000 checks 7.2 and 6.4 us,
 * 20,000 11.4 and 11.1, 200 10.8 and 13.3, none 14.5 and 12.6. */
#define CORO_SPIN 2000
#define CORO_NAP_S 1e-6           /* between looks, behind an I/O wrapper (no scheduler to park in) */
#define STR_(x) #x
#define STR(x) STR_(x)
#define MAX_WIDTH 256
/* A task reads at most a whole step and two more (the pipeline's). */
_Static_assert(CB_INPUTS_MAX >= MAX_WIDTH + 2, "cb_workload_inputs' room must hold a task's inputs");
#define STALE 0x57414c4500000000ULL   /* what an input not yet written reads as */
typedef struct {
	_Atomic uint32_t gen;         /* the repetition (pre increments it) */
	struct flag {
		_Alignas(64) _Atomic uint32_t done;   /* == gen once the task's output is written */
		_Atomic uint32_t waiters;
		uint64_t value;
	} task[];
} graph_shm;

typedef struct {
	int pattern, kernel;
	size_t width, steps;          /* pipeline: stages, items */
	size_t queue;                 /* pipeline: queue length between stages */
	uint64_t iters;               /* compute: spin steps of a task */
	int passes;                   /* memory: passes over its slice */
	double imbalance;
	long broken;                  /* the task that does not wait for its inputs, or -1 */
	bool step_sync;               /* deps: each task waits for the whole step before */
	long slow_stage;              /* pipeline: the bottleneck stage, or -1 */
	double slow_factor;
	graph_shm *shm;
	size_t shm_bytes;
	uint64_t *array;              /* memory kernel: width slices, read only */
	size_t slice;                 /* words of a slice */
} graph_state;

static const cb_param_spec deps_params[] = {
	{ "pattern", CB_PARAM_ENUM, { "stencil", "stencil", "stencil", "stencil" }, 0, 0,
	  "trivial|stencil|fft|tree|all_to_all", "which tasks of the step before each task reads" },
	{ "width", CB_PARAM_INT, { "4", "4", "8", "16" }, 1, MAX_WIDTH, NULL, "tasks per step (W)" },
	{ "steps", CB_PARAM_INT, { "8", "30", "40", "200" }, 1, 1e6, NULL, "timesteps (T)" },
	{ "task", CB_PARAM_TIME, { "50us", "250us", "1ms", "1ms" }, 1e-7, 10, NULL, "duration of one task's kernel" },
	{ "kernel", CB_PARAM_ENUM, { "compute", "compute", "compute", "compute" }, 0, 0, "compute|memory",
	  "compute-bound (a dependent chain) or memory-bound (passes over a slice of memory per column)" },
	{ "slice", CB_PARAM_BYTES, { "256k", "4M", "4M", "4M" }, 4096, 1ULL << 32, NULL,
	  "memory kernel: bytes each column reads" },
	{ "imbalance", CB_PARAM_REAL, { "0", "0", "0", "0" }, 0, 1, NULL,
	  "task durations spread by up to this fraction either way (fixed per task)" },
	{ "broken", CB_PARAM_INT, { "-1", "-1", "-1", "-1" }, -1, 1e7, NULL,
	  "for tests: this task does not wait for its inputs (-1: every task waits)" },
	{ "sync", CB_PARAM_ENUM, { "inputs", "inputs", "inputs", "inputs" }, 0, 0, "inputs|step",
	  "what a task waits for: its own inputs (point to point), or every task of the step before "
	  "(a barrier a step's effect)" },
	CB_SPIN_RATE_PARAM,
	{ "read_rate", CB_PARAM_MEASURED, { "0", "0", "0", "0" }, 0, 1e15, NULL,
	  "memory kernel: bytes read per second; 0: measured at setup (the measured rate is recorded)" },
};

static const cb_param_spec pipe_params[] = {
	{ "stages", CB_PARAM_INT, { "4", "4", "4", "8" }, 1, MAX_WIDTH, NULL, "pipeline stages (S)" },
	{ "items", CB_PARAM_INT, { "16", "30", "80", "1000" }, 1, 1e6, NULL, "items through the pipeline" },
	{ "queue", CB_PARAM_INT, { "2", "2", "4", "4" }, 1, 1e6, NULL, "bounded queue length between stages" },
	{ "task", CB_PARAM_TIME, { "50us", "250us", "1ms", "1ms" }, 1e-7, 10, NULL,
	  "duration of one stage on one item" },
	{ "kernel", CB_PARAM_ENUM, { "compute", "compute", "compute", "compute" }, 0, 0, "compute|memory",
	  "compute-bound (a dependent chain) or memory-bound (passes over a slice of memory per stage)" },
	{ "slice", CB_PARAM_BYTES, { "256k", "4M", "4M", "4M" }, 4096, 1ULL << 32, NULL,
	  "memory kernel: bytes each stage reads" },
	{ "imbalance", CB_PARAM_REAL, { "0", "0", "0", "0" }, 0, 1, NULL,
	  "stage durations spread by up to this fraction either way (fixed per stage and item)" },
	{ "slow_stage", CB_PARAM_INT, { "-1", "-1", "-1", "-1" }, -1, MAX_WIDTH - 1, NULL,
	  "a stage that takes slow_factor times as long (the bottleneck; -1: none)" },
	{ "slow_factor", CB_PARAM_REAL, { "1", "1", "1", "1" }, 1, 1000, NULL, "how much longer slow_stage takes" },
	{ "broken", CB_PARAM_INT, { "-1", "-1", "-1", "-1" }, -1, 1e7, NULL,
	  "for tests: this task does not wait for its inputs (-1: every task waits)" },
	CB_SPIN_RATE_PARAM,
	{ "read_rate", CB_PARAM_MEASURED, { "0", "0", "0", "0" }, 0, 1e15, NULL,
	  "memory kernel: bytes read per second; 0: measured at setup (the measured rate is recorded)" },
};

/* One pass of the memory kernel over a slice: every word read and mixed
 * in (read only, so that tasks of one column may run in any order). */
static uint64_t memory_pass(const uint64_t *v, size_t n, uint64_t h)
{
	uint64_t a = h, b = ~h;
	for (size_t j = 0; j + 1 < n; j += 2) {
		a += v[j];
		b ^= v[j + 1];
	}
	return cb_mix64(a, b);
}

/* Passes of the memory kernel that take `seconds`, from the read rate:
 * measured once (the fastest of three passes, after one that faults the
 * slice in) and recorded, so that every process that reopens the job
 * does the same work. */
static int memory_passes(cb_job *job, graph_state *s, double seconds)
{
	double rate = cb_job_param(job, "read_rate"), bytes = (double)(s->slice * sizeof *s->array);
	if (rate <= 0) {
		double best = INFINITY;
		volatile uint64_t sink = memory_pass(s->array, s->slice, 0);
		for (int k = 0; k < 3; k++) {
			double t0 = cb_now();
			sink += memory_pass(s->array, s->slice, (uint64_t)k);
			double dt = cb_now() - t0;
			best = dt < best ? dt : best;
		}
		(void)sink;
		rate = bytes / best;
		cb_params_set(&job->params, "read_rate", rate);
	}
	long p = lround(seconds * rate / bytes);
	return p < 1 ? 1 : (int)p;
}

static int setup_common(cb_job *job, graph_state *s, cb_error *err)
{
	size_t n = s->width * s->steps;
	if (n > 10000000)
		return cb_error_set(err, CB_EXIT_USAGE, "%s: %zu tasks: at most 10000000", job->wl->name, n);
	s->kernel = (int)cb_job_param(job, "kernel");
	s->imbalance = cb_job_param(job, "imbalance");
	s->broken = (long)cb_job_param(job, "broken");
	double task_s = cb_job_param(job, "task");
	s->shm_bytes = sizeof *s->shm + n * sizeof s->shm->task[0];
	s->shm = cb_shared_alloc(s->shm_bytes);
	if (s->kernel == KERNEL_MEMORY) {
		s->slice = (size_t)cb_job_param(job, "slice") / sizeof *s->array;
		s->array = cb_pages_alloc(s->width * s->slice * sizeof *s->array);
		for (size_t j = 0; j < s->width * s->slice; j++)
			s->array[j] = cb_mix64(j, 0x6a09e667);
		s->passes = memory_passes(job, s, task_s);
	} else {
		s->iters = (uint64_t)llround(task_s * cb_spin_rate(job));
	}
	job->state = s;
	job->ntasks = n;
	return 0;
}

static int deps_setup(cb_job *job, cb_error *err)
{
	graph_state *s = cb_xcalloc(1, sizeof *s);
	s->pattern = (int)cb_job_param(job, "pattern");
	s->width = (size_t)cb_job_param(job, "width");
	s->steps = (size_t)cb_job_param(job, "steps");
	s->step_sync = (int)cb_job_param(job, "sync") == SYNC_STEP && s->pattern != PAT_TRIVIAL;
	job->state = s;
	if (s->pattern == PAT_FFT && (s->width & (s->width - 1)))
		return cb_error_set(err, CB_EXIT_USAGE, "graph.deps: pattern fft needs a width that is a power of 2, "
		                    "not %zu", s->width);
	return setup_common(job, s, err);
}

static int pipe_setup(cb_job *job, cb_error *err)
{
	graph_state *s = cb_xcalloc(1, sizeof *s);
	s->pattern = PAT_PIPELINE;
	s->width = (size_t)cb_job_param(job, "stages");
	s->steps = (size_t)cb_job_param(job, "items");
	s->queue = (size_t)cb_job_param(job, "queue");
	s->slow_stage = (long)cb_job_param(job, "slow_stage");
	s->slow_factor = cb_job_param(job, "slow_factor");
	job->state = s;
	if (s->slow_stage >= (long)s->width)
		return cb_error_set(err, CB_EXIT_USAGE, "graph.pipeline: slow_stage %ld is not a stage (0 to %zu)",
		                    s->slow_stage, s->width - 1);
	return setup_common(job, s, err);
}

static void teardown(cb_job *job)
{
	graph_state *s = job->state;
	if (!s)
		return;
	cb_shared_free(s->shm, s->shm_bytes);
	cb_pages_free(s->array, s->width * s->slice * sizeof *s->array);
	free(s);
	job->state = NULL;
}

/* A new repetition: every flag of the last one is stale at once. */
static int pre(cb_job *job, cb_error *err)
{
	(void)err;
	graph_state *s = job->state;
	atomic_fetch_add(&s->shm->gen, 1);
	return 0;
}

/* Whether a task runs as a coroutine: its I/O interface is a scheduler's
 * (it yields) rather than plain blocking calls (threads, processes). */
static bool io_yields(const cb_io *io) { return strncmp(io->ops->name, "blocking", 8) != 0; }

/* How wait_for meets a dependency, in words, for the results (one phrase
 * each way a task may wait; cb_graph_dependencies). */
static const char wait_blocking[] =
	"a flag per task in shared memory (MAP_SHARED), set when the task's output is written; a waiting task "
	"checks it up to " STR(SPIN_BEFORE_SLEEP) " times, then sleeps on it (a futex the writer wakes)";
static const char wait_coroutine[] =
	"a flag per task in shared memory, set when the task's output is written; a waiting task checks it up to "
	STR(CORO_SPIN) " times, then parks on it: its coroutine scheduler runs its other tasks meanwhile "
	"and sleeps when none can run, and the writer wakes it (a futex for coroutines, through the waiter's "
	"scheduler)";

static const char wait_runtime[] =
	"OpenMP task dependences: each task an `omp task` with the outputs it reads as depend(in) and its own as "
	"depend(out); libgomp starts it once they are written, and its flag check (the same as under threads) "
	"finds them set";

static const char wait_serial[] =
	"tasks in index order on one executor: every input is written before the task that reads it, whose flag "
	"check finds it set at once";

/* Waits until task k's output of this repetition is written. */
static void wait_for(const graph_state *s, size_t k, uint32_t gen, cb_io *io)
{
	struct flag *f = &s->shm->task[k];
	bool coroutine = io_yields(io);
	cb_sched *sched = cb_coro_sched_of(io);
	for (long spin = 0; atomic_load_explicit(&f->done, memory_order_acquire) != gen; spin++) {
		if (spin < (coroutine ? CORO_SPIN : SPIN_BEFORE_SLEEP))
			continue;
		if (coroutine && !sched) {
			/* A scheduler behind a wrapper: look again after a nap. */
			cb_io_sleep(io, CORO_NAP_S);
			continue;
		}
		atomic_fetch_add(&f->waiters, 1);
		uint32_t seen = atomic_load(&f->done);
		if (seen != gen) {
			if (sched)
				cb_coro_wait_word(sched, &f->done, seen);   /* the others run meanwhile */
			else
				cb_futex_wait(&f->done, seen, NULL, true);
		}
		atomic_fetch_sub(&f->waiters, 1);
	}
}

/* The inputs of task k, into in[] (at most width + 2); their count. */
static size_t inputs(const graph_state *s, size_t k, size_t *in)
{
	size_t w = s->width, t = k / w, i = k % w, n = 0;
	if (s->pattern == PAT_PIPELINE) {
		/* k = item t, stage i: the item from the stage before, the item
		 * before it through this stage, room in the queue after it. */
		if (i > 0)
			in[n++] = k - 1;
		if (t > 0)
			in[n++] = k - w;
		if (i + 1 < w && t >= s->queue)
			in[n++] = (t - s->queue) * w + i + 1;
		return n;
	}
	if (t == 0 || s->pattern == PAT_TRIVIAL)
		return 0;
	size_t base = (t - 1) * w;
	switch (s->pattern) {
	case PAT_STENCIL:
		for (size_t j = i ? i - 1 : 0; j <= i + 1 && j < w; j++)
			in[n++] = base + j;
		break;
	case PAT_FFT: {
		size_t levels = 0;
		while (((size_t)1 << levels) < w)
			levels++;
		size_t bit = levels ? (size_t)1 << ((t - 1) % levels) : 0;
		in[n++] = base + i;
		if (bit)
			in[n++] = base + (i ^ bit);
		break;
	}
	case PAT_TREE:
		in[n++] = base + i / 2;
		break;
	default:   /* all to all */
		for (size_t j = 0; j < w; j++)
			in[n++] = base + j;
	}
	return n;
}

/* The kernel's duration factor of task k: 1 +- imbalance, fixed per task. */
static double spread(const graph_state *s, size_t k)
{
	double f = s->pattern == PAT_PIPELINE && (long)(k % s->width) == s->slow_stage ? s->slow_factor : 1;
	if (s->imbalance <= 0)
		return f;
	uint64_t h = cb_mix64(0x51ed27, k);
	return f * (1 + s->imbalance * (2 * ((double)(h >> 11) / 9007199254740992.0) - 1));
}

static uint64_t kernel(const graph_state *s, size_t k, uint64_t seed)
{
	double f = spread(s, k);
	if (s->kernel == KERNEL_COMPUTE)
		return cb_spin(seed, (uint64_t)((double)s->iters * f));
	/* Column i's slice: tasks of one column run one after another. */
	const uint64_t *slice = s->array + (k % s->width) * s->slice;
	int passes = (int)lround(s->passes * f);
	for (int p = 0; p < (passes > 0 ? passes : 1); p++)
		seed = memory_pass(slice, s->slice, seed);
	return seed;
}

static int task(const cb_job *job, size_t k, cb_io *io, uint64_t *out)
{
	const graph_state *s = job->state;
	uint32_t gen = atomic_load_explicit(&s->shm->gen, memory_order_relaxed);
	size_t in[MAX_WIDTH + 2], n = inputs(s, k, in);
	uint64_t h = cb_mix64(0x9e37, k);
	/* sync step: the whole step before first, whichever of it k reads. */
	if (s->step_sync && k >= s->width && (long)k != s->broken)
		for (size_t j = (k / s->width - 1) * s->width; j < k / s->width * s->width; j++)
			wait_for(s, j, gen, io);
	for (size_t j = 0; j < n; j++) {
		if ((long)k != s->broken)
			wait_for(s, in[j], gen, io);
		/* An input not written in this repetition reads as a value no
		 * task writes: a task run too early changes the checksum. */
		const struct flag *f = &s->shm->task[in[j]];
		bool ready = atomic_load_explicit(&f->done, memory_order_acquire) == gen;
		h = cb_mix64(h, ready ? f->value : STALE);
	}
	h = cb_mix64(h, kernel(s, k, h));
	struct flag *f = &s->shm->task[k];
	f->value = h;
	atomic_store(&f->done, gen);
	if (atomic_load(&f->waiters)) {
		cb_sched *sched = cb_coro_sched_of(io);
		if (sched)
			cb_coro_wake_word(sched, &f->done);
		else
			cb_futex_wake(&f->done, INT32_MAX, true);
	}
	*out = h;
	return 0;
}

static uint64_t post(cb_job *job) { return cb_partials_hash(job); }

extern const cb_workload cb_wl_graph_deps, cb_wl_graph_pipeline;

/* How a job of graph.deps or graph.pipeline meets its dependencies under
 * a strategy that runs its tasks `way`: what wait_for does, and which
 * tasks a task waits for. NULL for other workloads. */
const char *cb_graph_dependencies(const cb_job *job, cb_deps_way way)
{
	static _Thread_local char buf[640];
	const char *how = way == CB_DEPS_SERIAL ? wait_serial : way == CB_DEPS_YIELDING ? wait_coroutine
	                  : way == CB_DEPS_RUNTIME ? wait_runtime : wait_blocking;
	if (job->wl == &cb_wl_graph_pipeline) {
		snprintf(buf, sizeof buf, "%s; an item at a stage waits for itself at the stage before, the item before "
		         "it at its stage and room in the queue after it", how);
	} else if (job->wl == &cb_wl_graph_deps) {
		if ((int)cb_job_param(job, "pattern") == PAT_TRIVIAL)
			return "none: no task reads another's output (pattern trivial)";
		if ((int)cb_job_param(job, "sync") == SYNC_STEP)
			snprintf(buf, sizeof buf, "%s; each task waits for every task of the step before (sync step: a "
			         "barrier a step's effect)", how);
		else
			snprintf(buf, sizeof buf, "%s; no barrier between steps (each task waits for its own inputs only)",
			         how);
	} else {
		return NULL;
	}
	long broken = (long)cb_job_param(job, "broken");
	if (broken >= 0) {
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, "; task %ld does not wait (broken, for tests)", broken);
	}
	return buf;
}

/* What task k waits for (cb_workload_inputs): its inputs, or with sync
 * step the whole step before (which holds them); none for the broken
 * task. (A graph job is never scaled: its task k is task k.) */
size_t cb_graph_inputs(const cb_job *job, size_t k, size_t *in)
{
	if (job->wl != &cb_wl_graph_deps && job->wl != &cb_wl_graph_pipeline)
		return 0;
	const graph_state *s = job->state;
	if ((long)k == s->broken)
		return 0;
	if (!s->step_sync || k < s->width)
		return inputs(s, k, in);
	for (size_t j = 0; j < s->width; j++)
		in[j] = (k / s->width - 1) * s->width + j;
	return s->width;
}

/* The pipeline's figure of merit: items through it per second. */
static double items(const cb_job *job, const char **unit)
{
	const graph_state *s = job->state;
	*unit = "item";
	return (double)s->steps;
}

const cb_workload cb_wl_graph_deps = {
	.abi = CB_WORKLOAD_ABI,
	.name = "graph.deps",
	.summary = "a task graph in timesteps (Task Bench): stencil, fft, tree or all_to_all dependencies",
	.kind = CB_KIND_CPU,
	.params = deps_params,
	.nparams = sizeof deps_params / sizeof *deps_params,
	.checksum = "every task's output, which mixes its kernel's result with its inputs' outputs",
	.shared_memory = true,
	.setup = deps_setup,
	.pre = pre,
	.task = task,
	.post = post,
	.teardown = teardown,
};

const cb_workload cb_wl_graph_pipeline = {
	.abi = CB_WORKLOAD_ABI,
	.name = "graph.pipeline",
	.summary = "S stages joined by bounded queues, items flowing through them in order",
	.kind = CB_KIND_CPU,
	.params = pipe_params,
	.nparams = sizeof pipe_params / sizeof *pipe_params,
	.checksum = "every item's output at every stage, which mixes the stage's work with its inputs",
	.shared_memory = true,
	.setup = pipe_setup,
	.pre = pre,
	.task = task,
	.post = post,
	.teardown = teardown,
	.work_units = items,
};
