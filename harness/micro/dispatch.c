/* The price of a job before any task runs: for every strategy in the
 * registry, a cell on a one-task job whose task does nothing, and run_job
 * timed alone (no pre, post, checksum or getrusage around it). For the
 * pools that is a wake-up and a join; for threads and processes, creating
 * and reaping the executors; for serial, a function call. Pinned compact,
 * static schedule, 1 and 2 workers (with 2, one worker gets no task but is
 * still woken and joined). The cell opens before the timing starts, so a
 * pool's creation is not in the figure, as it is not in a real cell's. */
#include <stdlib.h>
#include <string.h>

#include "engine/gbench.h"
#include "micro/micro.h"
#include "engine/run.h"

static const cb_param_spec empty_params[] = {
	{ "tasks", CB_PARAM_INT, { "1", "1", "1", "1" }, 1, 1e7, NULL, "tasks per job" },
};

static int empty_setup(cb_job *job, cb_error *err)
{
	(void)err;
	job->ntasks = (size_t)cb_job_param(job, "tasks");
	job->state = job;
	return 0;
}

static int empty_task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)job;
	(void)io;
	*out = i + 1;
	return 0;
}

static uint64_t empty_post(cb_job *job)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < job->ntasks; i++)
		sum += job->partials[i];
	return sum;
}

static const cb_workload empty = {
	.name = "micro.empty", .summary = "tasks that do nothing", .kind = CB_KIND_CPU,
	.params = empty_params, .nparams = 1,
	.checksum = "the sum of every task's index + 1", .setup = empty_setup, .task = empty_task,
	.post = empty_post,
};

/* What a benchmark here runs: a job of `tasks` empty tasks under `sched`. */
typedef struct { const cb_strategy *s; const char *tasks, *sched; bool traced; } dispatch_case;

static void empty_job(cb_gb_state *st, void *arg)
{
	const dispatch_case *dc = arg;
	const cb_strategy *s = dc->s;
	cb_kv kv = { "tasks", dc->tasks };
	int workers = (int)cb_gb_range(st, 0);
	cb_error err = { 0 };
	cb_job *job = NULL;
	cb_cell *cell = NULL;
	hwloc_bitmap_t saved = hwloc_bitmap_alloc();

	if (cb_job_create(&job, &empty, CB_SIZE_TINY, 1, &kv, 1, NULL, &err))
		goto out;
	cb_solo_spec spec = { .job = job, .strategy = s, .workers = workers, .concurrency = workers,
	                      .threads = 1, .reps = 1, .pin = "compact", .sched = dc->sched,
	                      .size = CB_SIZE_TINY, .trace_cap = dc->traced ? CB_TRACE_CAP_DEFAULT : 0 };
	cell = cb_solo_open(&spec, &err);
	if (!cell)
		goto out;
	/* Where the runner would put the calling thread: on worker 0's PU. */
	hwloc_topology_t h = cb_topology_hwloc(cell->run->topo);
	hwloc_get_cpubind(h, saved, HWLOC_CPUBIND_THREAD);
	cb_bind_thread(cell->run->topo, cell->place.sets[0]);
	cb_exec *ex = &cell->ex;
	if (ex->tracer)
		atomic_store(&ex->tracer->on, 1);
	while (cb_gb_keep_running(st)) {
		if (ex->tracer)
			cb_tracer_reset(ex->tracer);   /* untimed, as in run --trace */
		atomic_store(&ex->ctl->next, 0);
		memset(job->partials, 0, job->ntasks * sizeof *job->partials);
		double t0 = cb_now();
		int rc = s->run_job(ex, job, &err);
		cb_gb_set_iteration_time(st, cb_now() - t0);
		if (rc)
			cb_gb_skip_with_error(st, err.msg);   /* ends the loop */
		else if (empty_post(job) != job->reference)
			cb_gb_skip_with_error(st, "verification failed: a task was not run exactly once");
	}
	if (!cb_gb_error_occurred(st))
		cb_gb_counter(st, "items_per_second", (double)cb_gb_max_iterations(st) * (double)job->ntasks,
		              CB_GB_COUNTER_RATE);
	hwloc_set_cpubind(h, saved, HWLOC_CPUBIND_THREAD);
out:
	if (err.msg[0] && !cb_gb_error_occurred(st))
		cb_gb_skip_with_error(st, err.msg);
	cb_solo_free(cell);
	hwloc_bitmap_free(saved);
	cb_job_free(job);
}

/* Per strategy: the empty-job round trip (what apply_async costs), a map
 * over 100,000 empty tasks claimed one by one (what Pool.map hides: the
 * per-task claim and the dispatch amortised over many tasks), and the same
 * map traced as run --trace traces a repetition (two clock reads and a
 * record per task; each executor keeps its first 5000). */
void cb_micro_register_dispatch(void)
{
	static const char *const suffix[] = { "empty_job", "map_100k", "map_100k_traced" };
	static dispatch_case cases[64][3];
	int k = 0;
	for (const cb_strategy *const *s = cb_strategies; *s && k < 64; s++, k++) {
		/* Strategies run by a launcher cannot see a private workload, and
		 * a runtime's own pools run only that runtime's workloads. */
		if ((*s)->flags & (CB_STRATEGY_EXTERNAL | CB_STRATEGY_RUNTIME))
			continue;
		cases[k][0] = (dispatch_case){ *s, "1", "static", false };
		cases[k][1] = (dispatch_case){ *s, "100000", "dynamic:1", false };
		cases[k][2] = (dispatch_case){ *s, "100000", "dynamic:1", true };
		for (int v = 0; v < 3; v++) {
			char name[128];
			snprintf(name, sizeof name, "pools/%s_%s", (*s)->name, suffix[v]);
			cb_gb_bench *b = cb_gb_register(name, empty_job, &cases[k][v]);
			cb_gb_use_manual_time(b);
			cb_gb_time_unit(b, CB_GB_US);
			cb_gb_arg(b, 1);
			if (!((*s)->flags & CB_STRATEGY_BASELINE))
				cb_gb_arg(b, 2);
		}
	}
}
