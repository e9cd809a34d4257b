/* The engine's side of the workload contract. What a workload is (the
 * descriptor cb_workload, the job it sees, the I/O interface, parameters)
 * is the public header include/concbench/workload.h, which the built-in
 * workloads (one file each under workloads/, one line each in
 * workloads/registry.c) and run-time plug-ins (engine/plugin.c) share:
 * one contract. Here: the registry, the job's lifecycle, and the names a
 * `-w` item may take. */
#ifndef CB_WORKLOAD_H
#define CB_WORKLOAD_H

#include "base/common.h"
#include "base/filehash.h"
#include "base/io.h"
#include "base/params.h"

extern const char *const cb_kind_names[CB_NKINDS];

extern const cb_workload *const cb_workloads[];  /* NULL-terminated */
const cb_workload *cb_workload_find(const char *name);
/* The Python twins of built-ins that ship (workloads/python/NAME.py, or an
 * installed share/concbench/python): "py.primes", ..., sorted; *names and
 * each name malloc'ed. */
size_t cb_python_twins(char ***names);
/* "cpu.primes, synth.amdahl, ..." for error messages. */
void cb_workload_names(char *buf, size_t n);
/* A `-w` item: a built-in's name, a path to a plug-in (any item with a
 * '/'), or py:FILE.py. Loads what needs loading (once); unknown names,
 * files that do not load and broken descriptors are CB_EXIT_USAGE, a
 * Python workload in a build without Python CB_EXIT_ENV. */
int cb_workload_resolve(const char *item, const cb_workload **out, cb_error *err);

/* A workload's own event loop's view of a share of a job (cb_worker_run_lanes):
 * lane k asks for its next task (an index into job->partials; task
 * i % base_ntasks of the workload; SIZE_MAX when it has none left or the
 * job is failing) and says when it ended (rc 0, or -errno after
 * cb_task_error_note). */
typedef struct cb_lanes cb_lanes;
size_t cb_lanes_next(cb_lanes *l, size_t k);
void cb_lanes_done(cb_lanes *l, size_t k, size_t i, int rc);

struct cb_placement;

/* Where a workload loaded at run time came from: what the results record
 * and what an mpi rank is given to load it again. */
typedef struct cb_workload_origin {
	char kind[16];             /* "plugin", "python" */
	char item[4200];           /* the -w item that loads it again */
	char path[4096];           /* the file, absolute */
	char sha256[CB_SHA256_HEX];
	char runtime[96];          /* python: "CPython 3.11.2"; else empty */
	int gil;                   /* python: 1 the GIL is enabled, 0 not; -1 n/a */
	/* A workload whose tasks run on an event loop of its own (an `async def`
	 * task on asyncio): runs `nlanes` lanes of tasks in flight together on
	 * the calling thread until none is left; 0 or -errno (its tasks' errors
	 * go through cb_lanes_done). NULL for the rest. A strategy that yields
	 * hands its share to it instead of running coroutines of its own. */
	int (*run_lanes)(const cb_job *job, cb_lanes *lanes, size_t nlanes);
	char loop[32];             /* its loop's name ("asyncio", "uvloop") */
	/* A runtime with executors of its own (Python's ThreadPoolExecutor,
	 * ProcessPoolExecutor), for strategies flagged CB_STRATEGY_RUNTIME;
	 * NULL for the rest. pool_open starts `workers` of them (processes:
	 * forked) pinned one each to place's sets (none: unpinned), untimed;
	 * pool_run runs every task of the job on them into job->partials (-1
	 * with err naming the task that failed and why); pool_close stops
	 * them, leaving no process behind. `what` says what it started. */
	void *(*pool_open)(cb_job *job, bool processes, int workers, const struct cb_placement *place,
	                   char *what, size_t nwhat, cb_error *err);
	int (*pool_run)(void *pool, cb_job *job, cb_error *err);
	void (*pool_close)(void *pool);
} cb_workload_origin;
/* NULL for a built-in. */
const cb_workload_origin *cb_workload_origin_of(const cb_workload *wl);
/* The -w item that names wl again in another process (mpi ranks). */
static inline const char *cb_workload_item(const cb_workload *wl)
{
	const cb_workload_origin *o = cb_workload_origin_of(wl);
	return o ? o->item : wl->name;
}
/* Loads a C plug-in (engine/plugin.c); see cb_workload_resolve. */
int cb_plugin_load(const char *path, const cb_workload **out, cb_error *err);
/* Loads py:FILE.py (harness/python/): embedded CPython, or, in a build
 * without it, CB_EXIT_ENV naming the package to install. */
int cb_python_load(const char *path, const cb_workload **out, cb_error *err);
/* One line for --version and list: "CPython 3.11.2" or why it is missing. */
extern const char *const cb_python_status;
/* The table of workloads loaded at run time: a loader adds its own (a copy
 * of wl is kept; post defaults to cb_partials_hash). NULL when full. */
const cb_workload *cb_loaded_add(const cb_workload *wl, const cb_workload_origin *origin, void *handle);
const cb_workload *cb_loaded_find(const char *name);

/* Creates the job: params from defaults at `size` and kv (marking used),
 * setup, shared partials, and the serial reference checksum. */
int cb_job_create(cb_job **out, const cb_workload *wl, cb_size size, int scale,
                  const cb_kv *kv, size_t nkv, bool *used, cb_error *err);
void cb_job_free(cb_job *job);
/* Gives back a job's inputs (teardown, partials) and keeps what describes
 * it: parameters, task count, work and the serial reference. The runner's
 * parent process holds only released jobs, so that what it forks carries no
 * other cell's footprint. */
void cb_job_release(cb_job *job);
/* Sets a released job up again in the process that measures it: setup and
 * shared partials, the reference kept (never recomputed). The task count
 * must come out as it did at creation. */
int cb_job_reopen(cb_job *job, cb_error *err);
/* Runs task i of the (possibly scaled) job into its partial: the one way
 * every strategy calls a task. */
static inline int cb_job_task(const cb_job *job, size_t i, cb_io *io)
{
	return job->wl->task(job, i % job->base_ntasks, io, &job->partials[i]);
}

/* What a failing task says about its failure, for the cell's error, in
 * place of strerror of the task's -errno: a phrase that follows "task N ",
 * such as "raised ValueError: bad 7 (at f.py line 12)". Called by the task
 * on its own thread just before it returns the error; one line. */
void cb_task_error_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Takes what the calling thread's last failing task noted into buf (and
 * forgets it): false when it noted nothing. */
bool cb_task_error_take(char *buf, size_t n);

/* How a strategy runs tasks, as a task that waits for another's output
 * sees it: one after another in index order (the serial baseline), as
 * coroutines of a scheduler (CB_STRATEGY_YIELDS), on threads and
 * processes that block, or started by a runtime that orders them itself
 * (CB_STRATEGY_ORDERS: OpenMP's task dependences). */
typedef enum { CB_DEPS_SERIAL, CB_DEPS_BLOCKING, CB_DEPS_YIELDING, CB_DEPS_RUNTIME } cb_deps_way;
/* The tasks whose outputs task k of a job reads, for a strategy whose
 * runtime starts a task only once those are done (CB_STRATEGY_ORDERS):
 * into in[] (room for CB_INPUTS_MAX), their count. With graph.deps's
 * sync step, every task of the step before; none for a task that reads
 * nothing, for the task a test breaks (it does not wait), and for every
 * task of a bag of tasks (every other workload, every plug-in). */
#define CB_INPUTS_MAX 258
size_t cb_workload_inputs(const cb_job *job, size_t k, size_t *in);
/* How the tasks of a job that wait on other tasks' outputs (graph.deps,
 * graph.pipeline) meet those dependencies under a strategy that runs them
 * `way`: one line for results.json's cell field `dependencies`, from the
 * workload's own code. NULL for a job of independent tasks (a bag of
 * tasks, every plug-in). */
const char *cb_workload_dependencies(const cb_job *job, cb_deps_way way);

/* A stand-in for a job whose setup or reference run failed for a reason
 * other than bad input (a port in use, a full disk): it holds the workload's
 * parameters and `why`, so that the plan can fail that job's cells with the
 * reason and run the others. NULL if the parameters themselves are bad. */
cb_job *cb_job_failed(const cb_workload *wl, cb_size size, const cb_kv *kv, size_t nkv,
                      const char *why);
#endif
