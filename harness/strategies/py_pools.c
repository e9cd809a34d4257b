/* py.threadpool and py.processpool: Python's own ThreadPoolExecutor and
 * ProcessPoolExecutor (fork) as cells, for Python workloads only, beside
 * concbench's C-driven models on the same file. One implementation: the
 * pool's kind follows the strategy's own flag (CB_STRATEGY_FORKS). The
 * pool starts once per cell, outside the timed region, each worker pinned
 * to its PU; a job is pool.map(task, range(ntasks), chunksize=1), as a
 * Python program would run it (scripts/py-executors times the same
 * outside concbench), and its answers are checked like every cell's. The
 * workload's runtime runs it (cb_workload_origin's pool_*). */
#include <stdio.h>
#include <stdlib.h>

#include "engine/strategy.h"

typedef struct { const cb_workload_origin *o; void *pool; } pool_priv;

static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	const cb_workload_origin *o = cb_workload_origin_of(job->wl);
	if (!o || !o->pool_open)
		return cb_error_set(err, CB_EXIT_USAGE, "%s runs Python workloads only (%s is not one)",
		                    ex->strategy->name, job->wl->name);
	bool forks = ex->strategy->flags & CB_STRATEGY_FORKS;
	void *pool = o->pool_open(job, forks, ex->workers, ex->place, ex->note, sizeof ex->note, err);
	if (!pool) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		return cb_error_set(err, err->code, "%s: %s", ex->strategy->name, why);
	}
	pool_priv *p = cb_xcalloc(1, sizeof *p);
	*p = (pool_priv){ o, pool };
	ex->priv = p;
	return 0;
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	pool_priv *p = ex->priv;
	return p->o->pool_run(p->pool, job, err);
}

static void cell_teardown(cb_exec *ex)
{
	pool_priv *p = ex->priv;
	if (!p)
		return;
	p->o->pool_close(p->pool);
	free(p);
	ex->priv = NULL;
}

const cb_strategy cb_st_py_threadpool = {
	.name = "py.threadpool",
	.summary = "Python's concurrent.futures.ThreadPoolExecutor (Python workloads only): threads that take turns on the GIL",
	.flags = CB_STRATEGY_RUNTIME | CB_STRATEGY_POOL,
	.colour = 0x1f78b4,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
};

const cb_strategy cb_st_py_processpool = {
	.name = "py.processpool",
	.summary = "Python's concurrent.futures.ProcessPoolExecutor, fork (Python workloads only): a GIL per worker",
	.flags = CB_STRATEGY_RUNTIME | CB_STRATEGY_POOL | CB_STRATEGY_FORKS,
	.colour = 0x1f78b4,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
};
