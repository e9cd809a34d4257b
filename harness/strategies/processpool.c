/* processpool: worker processes forked once per cell, outside the timed
 * region, and reused by every job of the cell; a job costs a cross-process
 * wake-up and a join, not a fork.
 *
 * How inputs reach the pool: the job is set up (workload setup, inputs
 * allocated) before the cell opens, so the children inherit the inputs
 * copy-on-write at fork time, at the same addresses. What a task writes
 * goes to MAP_SHARED memory made before the fork: the partials and task
 * latencies (the job), the worker traces and the job control block with the
 * dynamic schedule's counter and the first task error (the runner). A
 * workload's `pre` runs in the parent for every job, after the fork: tasks
 * under this strategy see nothing `pre` writes to private memory, which is
 * what the conformance suite checks by comparing every checksum to serial.
 *
 * Dispatch and join are the thread pool's epoch and countdown words, put in
 * a MAP_SHARED block and used as shared (not private) futexes. The parent
 * waits for the countdown with a timeout and, each time it expires, looks
 * for dead children with waitpid(WNOHANG): a worker that crashed fails the
 * cell with its signal named instead of hanging the run, and costs an idle
 * wait a wake-up every CHILD_POLL_MS, nothing on the dispatch path.
 *
 * Pool children are reaped only when the cell closes, so during a
 * repetition their CPU time is in no getrusage() of the runner: each child
 * publishes its own RUSAGE_SELF into the shared block after every job and
 * cpu_times() hands the sum to the runner. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/futex.h"
#include "engine/strategy.h"

#define CHILD_POLL_MS 50      /* crash detection while a job runs */
#define STOP_GRACE_S 2.0      /* then SIGKILL at teardown */

typedef struct pp_shared {
	_Alignas(64) _Atomic uint32_t epoch;   /* children sleep on it */
	_Alignas(64) _Atomic uint32_t pending; /* children still busy; the parent sleeps on it */
	_Atomic uint32_t stop;
	cb_cpu_times cpu[];                    /* [workers], each child's own usage */
} pp_shared;

typedef struct pp_priv {
	pp_shared *sh;
	size_t shsize;
	pid_t *pid;      /* [workers]; 0 once reaped (or never started) */
	int started;
	bool broken;     /* a child died: no further job may be dispatched */
} pp_priv;

static void done_one(pp_shared *sh)
{
	if (atomic_fetch_sub_explicit(&sh->pending, 1, memory_order_acq_rel) == 1)
		cb_futex_wake(&sh->pending, 1, true);
}

__attribute__((noreturn)) static void child_main(cb_exec *ex, cb_job *job, pp_shared *sh, int w,
                                                 pid_t parent)
{
	/* A parent that dies (killed, crashed test) takes the pool with it
	 * instead of leaving it asleep forever. Strictly this follows the
	 * forking thread: cells open on the runner's thread, which lives as
	 * long as the run. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	if (cb_exec_bind_thread(ex, w))
		_exit(CB_CHILD_EXIT_BIND);
	cb_cpu_times_self(&sh->cpu[w]);
	uint32_t seen = 0;
	done_one(sh);   /* ready */
	for (;;) {
		uint32_t e;
		while ((e = atomic_load_explicit(&sh->epoch, memory_order_acquire)) == seen)
			cb_futex_wait(&sh->epoch, seen, NULL, true);
		seen = e;
		if (atomic_load_explicit(&sh->stop, memory_order_relaxed))
			_exit(0);
		cb_io io = cb_io_blocking();
		cb_worker_run(ex, job, w, ex->workers, &io);
		cb_cpu_times_self(&sh->cpu[w]);   /* before done_one publishes it */
		done_one(sh);
	}
}

/* Reaps every child that has died. Any death outside teardown is an error:
 * the first one is named in err. */
static int reap_dead(cb_exec *ex, pp_priv *p, cb_error *err)
{
	int rc = 0;
	for (int w = 0; w < p->started; w++) {
		int status;
		if (p->pid[w] <= 0 || waitpid(p->pid[w], &status, WNOHANG) <= 0)
			continue;
		p->pid[w] = 0;
		p->broken = true;
		if (!rc) {
			rc = -1;
			if (!cb_exec_child_status(w, status, err))
				cb_error_set(err, CB_EXIT_FAIL, "worker %d exited while the pool was running", w);
		}
	}
	if (rc) {
		/* The survivors stop at their next task. */
		int zero = 0;
		atomic_compare_exchange_strong(&ex->ctl->err, &zero, -ECHILD);
	}
	return rc;
}

static int wait_all(cb_exec *ex, pp_priv *p, cb_error *err)
{
	static const struct timespec tick = { 0, CHILD_POLL_MS * 1000000L };
	uint32_t v;
	while ((v = atomic_load_explicit(&p->sh->pending, memory_order_acquire)) != 0)
		if (cb_futex_wait(&p->sh->pending, v, &tick, true) == -ETIMEDOUT && reap_dead(ex, p, err))
			return -1;
	return 0;
}

static void bump(pp_shared *sh)
{
	atomic_fetch_add_explicit(&sh->epoch, 1, memory_order_release);
	cb_futex_wake(&sh->epoch, INT_MAX, true);
}

static void cell_teardown(cb_exec *ex)
{
	pp_priv *p = ex->priv;
	if (!p)
		return;
	atomic_store_explicit(&p->sh->stop, 1, memory_order_relaxed);
	bump(p->sh);
	double deadline = cb_now() + STOP_GRACE_S;
	for (int w = 0; w < p->started; w++) {
		if (p->pid[w] <= 0)
			continue;
		int status;
		pid_t r;
		while ((r = waitpid(p->pid[w], &status, WNOHANG)) == 0 && cb_now() < deadline)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		if (r == 0) {
			/* Stuck in a task longer than the grace period. */
			kill(p->pid[w], SIGKILL);
			while (waitpid(p->pid[w], &status, 0) < 0 && errno == EINTR)
				;
		}
		p->pid[w] = 0;
	}
	cb_shared_free(p->sh, p->shsize);
	free(p->pid);
	free(p);
	ex->priv = NULL;
}

static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	pp_priv *p = cb_xcalloc(1, sizeof *p);
	p->shsize = sizeof *p->sh + (size_t)ex->workers * sizeof p->sh->cpu[0];
	p->sh = cb_shared_alloc(p->shsize);
	p->pid = cb_xcalloc((size_t)ex->workers, sizeof *p->pid);
	ex->priv = p;
	atomic_store(&p->sh->pending, (uint32_t)ex->workers);
	pid_t parent = getpid();
	for (int w = 0; w < ex->workers; w++) {
		pid_t pid = fork();
		if (pid == 0)
			child_main(ex, job, p->sh, w, parent);
		if (pid < 0)
			return cb_error_set(err, CB_EXIT_ENV, "cannot fork worker %d (of %d): %s", w,
			                    ex->workers, strerror(errno));
		p->pid[w] = pid;
		cb_exec_worker_pid(ex, w, pid);
		p->started++;
	}
	/* Every child bound and asleep on the epoch before the first timed job. */
	return wait_all(ex, p, err);
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	(void)job;   /* the children hold the cell's job since the fork */
	pp_priv *p = ex->priv;
	if (p->broken)
		return cb_error_set(err, CB_EXIT_FAIL, "the process pool lost a worker earlier in this cell");
	atomic_store_explicit(&p->sh->pending, (uint32_t)ex->workers, memory_order_relaxed);
	bump(p->sh);
	if (wait_all(ex, p, err))
		return -1;
	return cb_exec_check(ex, err);
}

static void cpu_times(cb_exec *ex, cb_cpu_times *out)
{
	pp_priv *p = ex->priv;
	memset(out, 0, sizeof *out);
	for (int w = 0; p && w < p->started; w++)
		cb_cpu_times_add(out, &p->sh->cpu[w]);
}

const cb_strategy cb_st_processpool = {
	.name = "processpool",
	.summary = "processes forked once per cell, woken for each job through a shared futex",
	.flags = CB_STRATEGY_FORKS | CB_STRATEGY_POOL,
	.colour = 0xe6ab02,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
	.cpu_times = cpu_times,
};
