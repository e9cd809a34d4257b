/* processes: one fork per worker for each job, waited for after it, so
 * process creation, the copy-on-write faults of the child and its reaping
 * are part of what this model costs. Nothing is copied back: the partials,
 * task latencies, worker traces and the job control block (the dynamic
 * schedule's counter, the first task error) are MAP_SHARED mappings made
 * by the job and the runner before the fork. Each child binds itself to its
 * cpuset before its first task and leaves with _exit, so no atexit handler
 * or stdio buffer of the parent runs twice. A worker that dies fails the
 * job at once: the others are killed rather than waited for.
 *
 * Forking is only safe here because run_job is called from the runner's
 * thread while no thread of this cell runs: the child holds just that
 * thread, and it calls nothing but the schedule loop and the workload's
 * tasks. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/strategy.h"

__attribute__((noreturn)) static void child_main(cb_exec *ex, cb_job *job, int w)
{
	if (cb_exec_bind_thread(ex, w))
		_exit(CB_CHILD_EXIT_BIND);
	cb_io io = cb_io_blocking();
	cb_worker_run(ex, job, w, ex->workers, &io);
	_exit(0);   /* a task error travels in ex->ctl, not in the status */
}

static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	(void)job;
	(void)err;
	ex->priv = cb_xcalloc((size_t)ex->workers, sizeof(pid_t));
	return 0;
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	pid_t *pid = ex->priv;
	int started = 0, fork_errno = 0, failed = 0;
	for (int w = 0; w < ex->workers; w++)
		pid[w] = 0;
	for (int k = 0; k < ex->workers; k++) {
		int w = cb_exec_start_order(ex, k);
		pid_t p = fork();
		if (p == 0)
			child_main(ex, job, w);
		if (p < 0) {
			fork_errno = errno;
			/* The children already running stop at their next task. */
			int zero = 0;
			atomic_compare_exchange_strong(&ex->ctl->err, &zero, -fork_errno);
			break;
		}
		pid[w] = p;
		cb_exec_worker_pid(ex, w, p);
		started++;
	}
	/* Every child is reaped, in the order they end. The first that fails
	 * (a signal, an exit status) fails the job and takes the others down
	 * at once: one of them deep in a long task would otherwise hold the
	 * join, and the cell's failure, until it finished. Nothing else in
	 * this process has children while a job runs. */
	for (int left = started; left > 0;) {
		int status = 0;
		pid_t r = waitpid(-1, &status, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (!failed)
				cb_error_set(err, CB_EXIT_ENV, "cannot wait for the workers: %s", strerror(errno));
			failed = 1;
			break;
		}
		int w = 0;
		while (w < ex->workers && pid[w] != r)
			w++;
		if (w == ex->workers)
			continue;
		pid[w] = 0;
		left--;
		if (!failed && cb_exec_child_status(w, status, err)) {
			failed = 1;
			for (int k = 0; k < ex->workers; k++)
				if (pid[k] > 0)
					kill(pid[k], SIGKILL);
		}
	}
	if (fork_errno && !failed)
		return cb_error_set(err, CB_EXIT_ENV, "cannot fork worker %d (of %d): %s",
		                    cb_exec_start_order(ex, started), ex->workers, strerror(fork_errno));
	if (failed)
		return -1;
	return cb_exec_check(ex, err);
}

static void cell_teardown(cb_exec *ex)
{
	free(ex->priv);
	ex->priv = NULL;
}

const cb_strategy cb_st_processes = {
	.name = "processes",
	.summary = "a fork per worker for each job, reaped after it; results in shared memory",
	.flags = CB_STRATEGY_FORKS,
	.colour = 0xd95f02,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
};
