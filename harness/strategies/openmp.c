/* openmp: OpenMP on GCC's runtime (libgomp), the two ways OpenMP programs
 * run work. Each job is a parallel region of `workers` threads, libgomp's
 * own team, which it keeps from one region to the next (a pool); worker 0
 * is the calling thread, and the region's closing barrier is the join.
 *  - A bag of tasks is a worksharing loop: each thread runs its share of
 *    the job through the schedule loop every strategy shares, under the
 *    cell's schedule (`omp for schedule(...)`'s meaning).
 *  - A task graph (graph.deps, graph.pipeline: cb_workload_inputs) is
 *    OpenMP tasks, as Task Bench's openmp/main runs one: worker 0 creates
 *    every task of the job (`omp single`), one `omp task` each in index
 *    order, naming the outputs it reads in depend(in) clauses and its own
 *    in depend(out), so that libgomp starts it only once those are done,
 *    on whichever thread of the team is free; the schedule does not apply.
 * libgomp runs with its own defaults (its threads spin a while, then
 * sleep, between regions and at barriers), as OpenMP programs do; OMP_* in
 * the environment apply.
 *
 * Placement: each thread of the team binds itself to its worker's cpuset
 * once per cell, the first time it runs as that worker in that cell (the
 * team's threads keep their numbers from region to region, so this is
 * once, in the untimed warm-up region of cell_setup). */
#include <errno.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/strategy.h"

typedef struct omp_cell {
	cb_exec *ex;
	unsigned gen;              /* this cell's number (a thread's binding is per cell) */
	_Atomic int bind_err;      /* -errno of a thread that could not bind, 0 */
	_Atomic int team;          /* threads the last region had, if not `workers` */
	bool graph;                /* the job's tasks read each other's outputs */
	char *dep;                 /* graph: [ntasks], task k's dependence is on dep[k] */
	size_t ndep;
	cb_share *share;           /* [workers]: each thread's share of the job */
} omp_cell;

static _Atomic unsigned cells;                 /* cells set up so far */
static _Thread_local unsigned bound_gen;       /* the cell this thread is bound for */
static _Thread_local int bound_w;

/* Binds the calling thread of the team as worker w of the cell, once. */
static void bind_once(omp_cell *c, int w)
{
	if (bound_gen == c->gen && bound_w == w)
		return;
	int rc = cb_exec_bind_thread(c->ex, w);
	if (rc) {
		int zero = 0;
		atomic_compare_exchange_strong(&c->bind_err, &zero, rc);
		return;
	}
	bound_gen = c->gen;
	bound_w = w;
}

/* On entering a region: false when libgomp gave it another number of
 * threads than the cell's workers (recorded for team_error), else binds
 * the calling thread as worker w (once a cell). */
static bool team_enter(omp_cell *c, int *w)
{
	*w = omp_get_thread_num();
	if (omp_get_num_threads() != c->ex->workers) {
		atomic_store(&c->team, omp_get_num_threads());
		return false;
	}
	bind_once(c, *w);
	return true;
}

static void run_one(omp_cell *c, cb_job *job, size_t k)
{
	cb_io io = cb_io_blocking();
	cb_share_tasks(c->ex, job, &c->share[omp_get_thread_num()], k, k + 1, &io);
}

/* Worker 0: one task per task of the job, in index order (every input of
 * a task is created before it). Stops creating once a task has failed. */
static void create_tasks(omp_cell *c, cb_job *job)
{
	/* gcc 12 does not count a use inside a depend iterator: unused there. */
	char *d __attribute__((unused)) = c->dep;
	for (size_t k = 0; k < job->ntasks; k++) {
		if (atomic_load_explicit(&c->ex->ctl->err, memory_order_relaxed))
			break;
		size_t in[CB_INPUTS_MAX];
		int n __attribute__((unused)) = (int)cb_workload_inputs(job, k, in);
#pragma omp task firstprivate(k) depend(iterator(j = 0 : n), in : d[in[j]]) depend(out : d[k])
		run_one(c, job, k);
	}
}

static int team_error(omp_cell *c, cb_error *err)
{
	int team = atomic_load(&c->team), rc = atomic_load(&c->bind_err);
	if (team)
		return cb_error_set(err, CB_EXIT_ENV, "libgomp gave the parallel region %d threads, not %d "
		                    "(OMP_THREAD_LIMIT or OMP_DYNAMIC in the environment?)", team, c->ex->workers);
	if (rc)
		return cb_error_set(err, CB_EXIT_ENV, "cannot bind an OpenMP thread to its PU: %s", strerror(-rc));
	return 0;
}

static void cell_teardown(cb_exec *ex)
{
	omp_cell *c = ex->priv;
	if (!c)
		return;
	free(c->dep);
	free(c->share);
	free(c);
	ex->priv = NULL;
}

static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	omp_cell *c = cb_xcalloc(1, sizeof *c);
	c->ex = ex;
	c->gen = atomic_fetch_add(&cells, 1) + 1;
	/* Decided once, untimed: run_job only reads it. */
	c->graph = cb_workload_dependencies(job, CB_DEPS_RUNTIME) != NULL;
	c->ndep = job->ntasks;
	c->dep = c->graph ? cb_xcalloc(c->ndep ? c->ndep : 1, 1) : NULL;
	c->share = cb_xcalloc((size_t)ex->workers, sizeof *c->share);
	ex->priv = c;
	omp_set_dynamic(0);
	/* Untimed: libgomp starts its team, and each thread binds itself. */
#pragma omp parallel num_threads(ex->workers)
	{
		int w;
		team_enter(c, &w);
	}
	snprintf(ex->note, sizeof ex->note, "libgomp (GCC %d.%d), OpenMP %d; %s", __GNUC__, __GNUC_MINOR__, _OPENMP,
	         c->graph ? "an omp task per task from worker 0, depend clauses from its inputs"
	                 : "a worksharing loop under the cell's schedule");
	return team_error(c, err);
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	omp_cell *c = ex->priv;
	if (c->graph && job->ntasks > c->ndep)
		return cb_error_set(err, CB_EXIT_FAIL, "openmp: a job of %zu tasks in a cell set up for %zu",
		                    job->ntasks, c->ndep);
#pragma omp parallel num_threads(ex->workers)
	{
		int w;
		if (team_enter(c, &w) && c->graph) {
			cb_share_open(ex, (size_t)w, w, &c->share[w]);
#pragma omp single
			create_tasks(c, job);
			/* single's barrier: every task of the job has run. */
			cb_share_close(ex, &c->share[w]);
		} else if (!atomic_load(&c->team)) {
			cb_io io = cb_io_blocking();
			cb_worker_run(ex, job, w, ex->workers, &io);
		}
	}
	if (team_error(c, err))
		return -1;
	return cb_exec_check(ex, err);
}

const cb_strategy cb_st_openmp = {
	.name = "openmp",
	.summary = "OpenMP on libgomp's thread team, a parallel region a job: a worksharing loop for a bag of "
	           "tasks, omp tasks with depend clauses for a task graph",
	.flags = CB_STRATEGY_POOL | CB_STRATEGY_ORDERS,
	.colour = 0x8c564b,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
};
