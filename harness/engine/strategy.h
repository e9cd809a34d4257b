/* A strategy executes the tasks of a job with `workers` OS-level executors
 * placed on the cell's cpusets. One file per strategy under
 * harness/strategies/, one line per strategy in strategies/registry.c; the
 * core never switches on a strategy's name, only on its flags. */
#ifndef CB_STRATEGY_H
#define CB_STRATEGY_H

#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "base/common.h"
#include "base/params.h"
#include "base/topology.h"
#include "engine/workload.h"

enum {
	CB_STRATEGY_BASELINE = 1u << 0, /* the serial baseline T1 */
	CB_STRATEGY_FORKS = 1u << 1,    /* workers are processes */
	CB_STRATEGY_YIELDS = 1u << 2,   /* tasks yield on I/O (coroutines) */
	CB_STRATEGY_POOL = 1u << 3,     /* executors persist across jobs */
	CB_STRATEGY_CONCURRENCY = 1u << 4, /* takes -c: concurrency != workers */
	CB_STRATEGY_THREADS = 1u << 5,  /* takes -t: threads per process */
	/* Executors run outside this process tree, under a launcher (mpirun),
	 * possibly on other machines: takes --hosts; in-process conformance
	 * suites skip it, it has its own test (tests/cli/mpi.sh). */
	CB_STRATEGY_EXTERNAL = 1u << 6,
	/* Its executors are the workload's runtime's own (Python's
	 * concurrent.futures pools, cb_workload_origin's pool_*): only for
	 * workloads whose runtime offers them; the plan gives the others no
	 * cells of it (with a note where the strategy was named), in-process
	 * conformance suites skip it (tests/cli/python.sh has its test). */
	CB_STRATEGY_RUNTIME = 1u << 7,
	/* Its runtime starts a task only once the tasks it reads are done
	 * (cb_workload_inputs, OpenMP's depend clauses): a graph's
	 * dependencies are met before a task starts, not by its waits. */
	CB_STRATEGY_ORDERS = 1u << 8,
};

typedef enum { CB_SCHED_STATIC, CB_SCHED_DYNAMIC } cb_sched_kind;
typedef struct cb_schedule {
	cb_sched_kind kind;
	size_t chunk;   /* static: 0 = one block per worker; dynamic: >= 1 */
} cb_schedule;
/* "static", "static:4", "dynamic", "dynamic:8" (OpenMP's meaning). */
int cb_schedule_parse(const char *s, cb_schedule *out, cb_error *err);
void cb_schedule_format(const cb_schedule *s, char *buf, size_t n);

/* Per-worker record of where it actually ran (shared memory), and of the
 * share of its PU it got: the wall and thread CPU seconds of its shares
 * of the job (cb_worker_run_part), summed over the repetition. A worker
 * that computes and never blocks gets all of its PU unless something
 * else on the machine runs there: cpu_s / wall_s is the part of the PU
 * left to it (the capacity, engine/capacity.h). */
typedef struct cb_worker_trace {
	cpu_set_t ran_on;
	double wall_s, cpu_s;
	long waits;          /* times it gave up its PU of its own accord (a task
	                        waiting on another's output): then its share says
	                        nothing of the machine */
} cb_worker_trace;

/* Per-job control block (shared memory; reset before every repetition). */
typedef struct cb_jobctl {
	_Atomic size_t next;    /* dynamic schedule: next task to claim */
	_Atomic int err;        /* first task error (-errno), 0 if none */
	_Atomic long err_task;  /* the task that failed */
	/* 0: the cell's schedule. r > 0: a settling pass (cb_cell_settle):
	 * executor part runs the tasks i with (i + r - 1) % nparts == part. */
	_Atomic long rotate;
	/* What the failed task said (cb_task_error_note), written by the
	 * executor that set err: "raised ValueError: bad 7 (at f.py line 12)";
	 * empty when it said nothing, and the message is then strerror(err). */
	char err_text[400];
} cb_jobctl;

/* What the runner watches in a measuring process: shared memory that the
 * runner maps before it forks that process, so that it can still read it,
 * and act on it, when a repetition makes no progress and it kills the
 * process.
 *
 * Where each worker is, for the timeout message: each executor writes
 * only its own slot (one cache line, no sharing): one relaxed store per
 * task (its index), and one relaxed load and store on entering and on
 * leaving its share of a job; plain moves on x86 and arm64, nothing that
 * orders or waits, so the timed region keeps the cost of a store per task.
 * A forking strategy records each worker's pid once after the fork (0:
 * the worker runs in the measuring process itself). */
typedef struct cb_worker_progress {
	_Alignas(64) _Atomic long task;  /* the task it started last, -1 before any */
	_Atomic int active;              /* its shares of the job still running
	                                    (a coroutine scheduler runs several) */
	_Atomic int pid;                 /* its process; 0: the measuring process */
} cb_worker_progress;

typedef struct cb_watch {
	int nworkers;                    /* slots in worker[] */
	/* A process group the cell started outside its own (a launcher such
	 * as mpirun, which its ranks' runtime needs to lead): the runner kills
	 * it together with the measuring process's group. 0: none. */
	_Atomic int launcher_pgid;
	cb_worker_progress worker[];     /* [workers * threads] */
} cb_watch;

/* Task timelines (run --trace): one lane per OS-level executor (thread,
 * process, coroutine scheduler), each written by that executor alone, in
 * shared memory mapped before any pool forks. A traced task costs two clock
 * reads and one store of its record; past `cap` records a lane keeps
 * counting (busy time, dropped) but stores nothing. I/O tasks add the time
 * spent inside the I/O interface (blocked), two clock reads per call. */
typedef struct cb_trace_event {
	uint32_t task, part;     /* task index; the share that ran it (a coroutine) */
	double t0, t1;           /* cb_now() at its start and end */
	double blocked_s;        /* inside the I/O interface (I/O kinds), else 0 */
} cb_trace_event;

typedef struct cb_trace_lane {
	_Alignas(64) size_t n;   /* records stored (<= cap) */
	size_t dropped;          /* tasks past cap */
	double busy_s, blocked_s;/* over every task, stored or not */
	double first_t0, last_t1;
	int pid, tid;            /* the executor's process and thread */
	cb_trace_event *ev;      /* [cap] */
} cb_trace_lane;

typedef struct cb_tracer {
	_Atomic int on;          /* read once per share of a job */
	int nlanes;
	size_t cap;              /* records per lane */
	cb_trace_lane lane[];
} cb_tracer;

/* One mapping: header, lanes, then every lane's records. NULL on failure. */
cb_tracer *cb_tracer_alloc(int nlanes, size_t cap);
void cb_tracer_free(cb_tracer *t);
/* Empties every lane (untimed, before the traced repetition). */
void cb_tracer_reset(cb_tracer *t);

struct cb_strategy;
struct cb_run_config;

/* Resource usage of executors that getrusage() cannot see from the runner:
 * pool processes are reaped only when their cell closes, so until then
 * their CPU time is in neither RUSAGE_SELF nor RUSAGE_CHILDREN. */
typedef struct cb_cpu_times {
	double user_s, sys_s;
	long vcsw, ivcsw;
	long minflt;        /* minor page faults */
	long maxrss_kib;    /* the largest peak of any of them (lifetime) */
} cb_cpu_times;

/* One cell's execution context, built by the runner. */
typedef struct cb_exec {
	const struct cb_strategy *strategy;
	const cb_topology *topo;
	int workers;        /* OS-level executors (threads, processes, schedulers) */
	int concurrency;    /* tasks in flight; == workers unless CONCURRENCY */
	int threads;        /* threads per process (THREADS strategies), else 1 */
	cb_schedule sched;
	const cb_placement *place;  /* one set per worker (NULL sets = unpinned) */
	cb_params params;   /* the strategy's own --param values */
	cb_worker_trace *trace;     /* [workers * threads], shared memory */
	cb_tracer *tracer;          /* run --trace: task timelines, else NULL */
	cb_watch *watch;            /* shared memory; NULL when nobody watches
	                               (tests driving a strategy, mpi ranks) */
	cb_jobctl *ctl;             /* shared memory */
	/* Dynamic schedule: claims the next `chunk` tasks and returns the first
	 * one (>= ntasks when none are left). NULL: ctl->next, which is shared
	 * by every thread and forked process; a strategy whose executors share
	 * no memory (mpi ranks) supplies its own. */
	size_t (*claim)(struct cb_exec *ex, size_t chunk);
	const struct cb_run_config *cfg;  /* the run's options (hosts, pin ...) */
	/* What the strategy reports about the cell (mpi: the launcher command
	 * and each rank's host and topology): its keys are added to the cell
	 * in results.json. The runner takes ownership at teardown. */
	json_t *record;
	void *priv;         /* the strategy's own */
	char note[160];     /* what the strategy chose at run time (its event
	                       loop, a fallback), recorded with the cell */
} cb_exec;

/* One whole repetition as a strategy that runs pre and post itself
 * reports it (mpi: rank 0 times the phases inside the allocation). */
typedef struct cb_remote_rep {
	double pre_s, par_s, post_s;
	double comm_s;           /* inside par: time in communication calls */
	double user_s, sys_s;    /* CPU time of executors outside this tree */
	long minflt;             /* their minor page faults */
	long long migrations;    /* their CPU migrations; -1: not counted */
	uint64_t checksum;
} cb_remote_rep;

typedef struct cb_strategy {
	const char *name;
	const char *summary;
	unsigned flags;
	unsigned colour;        /* its charts' colour, 0xRRGGBB (cb_chart_palette_add) */
	/* The micro benchmarks that price this model besides the pools
	 * family's pools/NAME_...: words of their names, '|'-separated
	 * (cb_micro_model, micro's chart colour); NULL for none. */
	const char *micro_names;
	const cb_param_spec *params;
	size_t nparams;
	/* Optional, at plan time, before anything runs: can this machine run
	 * the request with these parameters? 0, with a one-line warning in warn
	 * when it will run degraded (a fallback), or -1 with err set:
	 * CB_EXIT_ENV when the environment lacks something (not built, io_uring
	 * refused, launcher missing), CB_EXIT_USAGE for a bad combination. */
	int (*check)(const struct cb_run_config *cfg, const cb_params *params, char *warn, size_t nwarn,
	             cb_error *err);
	/* Untimed, once per cell, after the job is set up: pools start here. */
	int (*cell_setup)(cb_exec *ex, cb_job *job, cb_error *err);
	/* The timed parallel section: run every task of job, dispatch and join
	 * included. Returns 0, or -1 with err set (a task error, a crashed
	 * worker: name the signal or status). */
	int (*run_job)(cb_exec *ex, cb_job *job, cb_error *err);
	/* Untimed: stop pools, free everything; no child or mapping left. */
	void (*cell_teardown)(cb_exec *ex);
	/* Optional, for strategies whose processes outlive a job (FORKS with
	 * POOL): the usage those processes have accumulated so far, summed
	 * (maxrss: the largest). The runner reads it before and after each
	 * repetition and adds the difference to what getrusage() reports. */
	void (*cpu_times)(cb_exec *ex, cb_cpu_times *out);
	/* Optional, replaces pre | run_job | post for strategies whose
	 * executors run the serial phases too: runs one repetition, reports
	 * its phases and the checksum (which the runner verifies). */
	int (*run_rep)(cb_exec *ex, cb_job *job, cb_remote_rep *out, cb_error *err);
} cb_strategy;

extern const cb_strategy *const cb_strategies[];  /* NULL-terminated */
/* The first strategy of the table flagged CB_STRATEGY_BASELINE. */
const cb_strategy *cb_strategy_baseline(void);
const cb_strategy *cb_strategy_find(const char *name);
void cb_strategy_names(char *buf, size_t n);

/* The one schedule loop every strategy uses: runs worker w's share of the
 * job (static blocks, static chunks round-robin, or dynamic claims on
 * ex->ctl->next), records partials, task latencies and where the worker
 * ran, and stops early once any task has failed. `w` in [0, nworkers). */
int cb_worker_run(cb_exec *ex, cb_job *job, int w, int nworkers, cb_io *io);
/* A share of a job: what every executor records around the tasks it runs
 * (where it ran, its wall and thread CPU time, that it is active for
 * cb_watch, its timeline under run --trace). cb_worker_run_part is one;
 * a strategy whose runtime hands its executors the tasks one by one (the
 * openmp strategy's tasks) opens one per executor, runs each task it is
 * given through it, and closes it. */
typedef struct cb_share {
	size_t part;
	int trace_w;
	cpu_set_t *seen;
	cb_worker_progress *me;
	cb_trace_lane *lane;     /* run --trace's lane, else NULL */
	bool timed;              /* its wall and CPU time recorded (not for a
	                            coroutine: its share is not its executor's,
	                            and a scheduler opens hundreds a repetition) */
	long nvcsw0;
	double wall0, cpu0;
} cb_share;
void cb_share_open(cb_exec *ex, size_t part, int trace_w, cb_share *m);
/* Runs tasks [lo, hi) in the share; nonzero once any task of the job has
 * failed (the first failure is recorded in ex->ctl). */
int cb_share_tasks(cb_exec *ex, cb_job *job, cb_share *m, size_t lo, size_t hi, cb_io *io);
void cb_share_close(cb_exec *ex, cb_share *m);
/* The same loop for part `part` of `nparts` executors that record where
 * they ran under worker `trace_w` (cb_worker_run is part w of nworkers,
 * traced as w). Coroutines use it: part = the coroutine's index across all
 * schedulers, nparts = the concurrency, trace_w = its scheduler. */
int cb_worker_run_part(cb_exec *ex, cb_job *job, size_t part, size_t nparts, int trace_w, cb_io *io);
/* The same schedule for a workload that runs its tasks on an event loop
 * of its own (origin->run_lanes: a Python file whose task is `async def`,
 * on asyncio): lanes first .. first + count - 1 of ex->concurrency, each
 * as coroutine `first + k` would run them, in flight together on the
 * calling thread's loop. Not traced (run --trace records no timeline). */
int cb_worker_run_lanes(cb_exec *ex, cb_job *job, size_t first, size_t count, int trace_w,
                        const cb_workload_origin *o);
/* The worker a strategy that creates its workers inside the job starts
 * k-th: the last worker first, worker 0 last. The main thread is bound to
 * worker 0's cpuset and starts the workers one after the other; a worker 0
 * started first may take that PU from it (a new task can run before the
 * one that has been running), and the workers after it then start up to
 * a scheduler slice late. In reverse order the main thread has started
 * every other worker before it can lose its PU. In a stand-alone test of
 * two forked children of 29 ms each here, the mean time went from
 * 35-36 ms to 32-33 ms; in concbench's quick cells the difference was
 * within the noise (threads at 2 workers: 1.91-1.96 against 1.94-1.97). */
static inline int cb_exec_start_order(const cb_exec *ex, int k)
{
	return ex->workers - 1 - k;
}
/* Sets worker w's cpuset as the affinity of a thread about to be created,
 * so that it starts on its PU instead of migrating there. 0 or -errno. */
int cb_exec_thread_attr(cb_exec *ex, int w, pthread_attr_t *attr);
/* Binds the calling thread to worker w's cpuset, if any. A worker process
 * forked for a strategy has one thread, so this binds the process too:
 * one sched_setaffinity, where hwloc's process binding lists
 * /proc/self/task (an opendir, a heap buffer: copy-on-write faults in
 * every child of a fork per job). */
int cb_exec_bind_thread(cb_exec *ex, int w);
/* The calling process's own usage (getrusage RUSAGE_SELF), for a pool
 * process to publish into shared memory after each job. */
void cb_cpu_times_self(cb_cpu_times *out);
/* Adds one process's usage to a sum (maxrss: the largest). */
void cb_cpu_times_add(cb_cpu_times *sum, const cb_cpu_times *one);
/* Records that worker w runs in process pid (forking strategies, after
 * the fork), for the runner's timeout message. */
void cb_exec_worker_pid(cb_exec *ex, int w, pid_t pid);
/* Records (pgid > 0) or clears (0) the process group of a launcher the
 * cell started outside its own group, for the runner to kill with it. */
void cb_exec_launcher_group(cb_exec *ex, pid_t pgid);
/* Stops a launcher (mpirun) that leads its own process group, and reaps
 * it when the caller is its parent or its subreaper (else waits for it to
 * end, or to be a zombie of its parent). SIGTERM to the launcher
 * alone first, which passes it on to its ranks and then removes its session
 * directory (/tmp/ompi.HOST.UID/pid.N) and the ranks' shared-memory
 * segments (/dev/shm/vader_segment.*): SIGKILL leaves both behind, 4 MiB of
 * shared memory per rank. SIGKILL to the whole group after
 * CB_LAUNCHER_GRACE_S, or at once when the launcher is gone. */
#define CB_LAUNCHER_GRACE_S 3.0
void cb_exec_stop_launcher(pid_t pid);
/* A measuring process's message to its parent: j (its reference taken) as
 * one compact JSON line on fd, written whole through EINTR. The runner's
 * measuring process and ab's worker speak this way. */
void cb_send_json_line(int fd, json_t *j);
/* A forked worker that cannot bind itself exits with this status. */
#define CB_CHILD_EXIT_BIND 125
/* Turns a worker process's wait status into an error naming the signal or
 * the exit status ("worker 1 killed by signal 11 (Segmentation fault)");
 * 0 for a clean exit. */
int cb_exec_child_status(int w, int status, cb_error *err);
/* After run_job: turns ex->ctl->err into an error message. */
int cb_exec_check(cb_exec *ex, cb_error *err);

#endif
