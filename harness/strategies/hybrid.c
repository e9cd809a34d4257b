/* hybrid: P worker processes forked once per cell, each running a pool of T
 * threads created bound to their PUs (placement from cb_place_groups: worker
 * g*T+k is thread k of process g). This is the shape a hybrid service has:
 * processes for isolation (a crash or a global lock stays in one process),
 * threads inside each to share memory; nobody forks per request, so the
 * pool persists across the repetitions of a cell and a job costs one wake-up
 * and one join, not a fork.
 *
 * Every thread of every process waits on one futex word in MAP_SHARED
 * memory; the parent bumps it to start a job and sleeps on a second word
 * that the last thread to finish wakes. Tasks are dealt by the one schedule
 * loop with (w = g*T+k, nworkers = P*T): under static blocks process g gets
 * the contiguous block [n*g/P, n*(g+1)/P) and its threads split it, under
 * dynamic every thread of every process claims from the shared counter. */
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

/* How often the parent looks for a dead child while it waits. */
#define POLL_NS (20 * 1000 * 1000L)
/* How long a stopping pool may take before it is killed. */
#define STOP_GRACE_S 5.0

typedef struct {
	_Atomic uint32_t gen;    /* bumped by the parent: a job (or stop) is posted */
	_Atomic uint32_t done;   /* threads that finished the current job */
	_Atomic uint32_t ready;  /* threads started and waiting */
	_Atomic uint32_t stop;
	/* Per process: threads done with the current job, and the process's
	 * own usage, published by its last thread before the job counts as
	 * done (pool processes are never reaped children while they live). */
	struct { _Atomic uint32_t done; cb_cpu_times cpu; } proc[];
} pool_ctl;

typedef struct {
	pool_ctl *ctl;   /* shared memory */
	pid_t *pid;      /* [P]; 0 once reaped */
	int nproc, total;
	cb_job *job;
} hybrid_priv;

typedef struct { cb_exec *ex; hybrid_priv *p; int w; } thread_arg;

static size_t ctl_size(int nproc)
{
	return sizeof(pool_ctl) + (size_t)nproc * sizeof(((pool_ctl *)0)->proc[0]);
}

static void *pool_thread(void *arg)
{
	thread_arg *a = arg;
	pool_ctl *ctl = a->p->ctl;
	cb_io io = cb_io_blocking();
	uint32_t seen = atomic_load(&ctl->gen);
	if (atomic_fetch_add(&ctl->ready, 1) + 1 == (uint32_t)a->p->total)
		cb_futex_wake(&ctl->ready, INT_MAX, true);
	for (;;) {
		uint32_t g;
		while ((g = atomic_load(&ctl->gen)) == seen)
			cb_futex_wait(&ctl->gen, seen, NULL, true);
		seen = g;
		if (atomic_load(&ctl->stop))
			break;
		cb_worker_run(a->ex, a->p->job, a->w, a->p->total, &io);
		int proc = a->w / a->ex->threads;
		if (atomic_fetch_add(&ctl->proc[proc].done, 1) + 1 == (uint32_t)a->ex->threads) {
			atomic_store(&ctl->proc[proc].done, 0);
			cb_cpu_times_self(&ctl->proc[proc].cpu);
		}
		if (atomic_fetch_add(&ctl->done, 1) + 1 == (uint32_t)a->p->total)
			cb_futex_wake(&ctl->done, INT_MAX, true);
	}
	return NULL;
}

/* Process g: threads 1..T-1 are created bound to their PUs, the process's
 * own thread binds itself and serves as thread 0. */
static void child_main(cb_exec *ex, hybrid_priv *p, int g, pid_t parent)
{
	/* A parent killed outright must not leave the pool behind. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	int T = ex->threads;
	pthread_t *tid = calloc((size_t)T, sizeof *tid);
	thread_arg *args = calloc((size_t)T, sizeof *args);
	if (!tid || !args)
		_exit(71);
	for (int k = 0; k < T; k++)
		args[k] = (thread_arg){ ex, p, g * T + k };
	for (int k = 1; k < T; k++) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		if (cb_exec_thread_attr(ex, g * T + k, &attr) ||
		    pthread_create(&tid[k], &attr, pool_thread, &args[k]))
			_exit(71);
		pthread_attr_destroy(&attr);
	}
	if (cb_exec_bind_thread(ex, g * T))
		_exit(72);
	cb_cpu_times_self(&p->ctl->proc[g].cpu);
	pool_thread(&args[0]);
	for (int k = 1; k < T; k++)
		pthread_join(tid[k], NULL);
	_exit(0);
}

static void describe_status(int g, pid_t pid, int st, char *buf, size_t n)
{
	if (WIFSIGNALED(st))
		snprintf(buf, n, "hybrid worker process %d (pid %ld) was killed by signal %d (%s)", g,
		         (long)pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (WEXITSTATUS(st) == 71)
		snprintf(buf, n, "hybrid worker process %d (pid %ld) could not start its threads", g, (long)pid);
	else if (WEXITSTATUS(st) == 72)
		snprintf(buf, n, "hybrid worker process %d (pid %ld) could not bind to its PUs", g, (long)pid);
	else
		snprintf(buf, n, "hybrid worker process %d (pid %ld) exited with status %d", g, (long)pid,
		         WEXITSTATUS(st));
}

/* Kills and reaps every child still running. */
static void kill_pool(hybrid_priv *p)
{
	for (int g = 0; g < p->nproc; g++)
		if (p->pid[g] > 0)
			kill(p->pid[g], SIGKILL);
	for (int g = 0; g < p->nproc; g++)
		if (p->pid[g] > 0) {
			while (waitpid(p->pid[g], NULL, 0) < 0 && errno == EINTR)
				;
			p->pid[g] = 0;
		}
}

/* A child that has exited while the pool should be alive fails the cell:
 * the rest of the pool is killed, everything reaped. */
static int check_children(hybrid_priv *p, cb_error *err)
{
	for (int g = 0; g < p->nproc; g++) {
		int st;
		if (p->pid[g] <= 0 || waitpid(p->pid[g], &st, WNOHANG) != p->pid[g])
			continue;
		char msg[256];
		describe_status(g, p->pid[g], st, msg, sizeof msg);
		p->pid[g] = 0;
		kill_pool(p);
		return cb_error_set(err, CB_EXIT_FAIL, "%s", msg);
	}
	return 0;
}

/* Waits until *word reaches target, watching for dead children. */
static int wait_for(hybrid_priv *p, _Atomic uint32_t *word, uint32_t target, cb_error *err)
{
	uint32_t v;
	while ((v = atomic_load(word)) < target) {
		cb_futex_wait(word, v, &(struct timespec){ 0, POLL_NS }, true);
		if (atomic_load(word) < target && check_children(p, err))
			return -1;
	}
	return 0;
}

static void cell_teardown(cb_exec *ex);

static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	hybrid_priv *p = cb_xcalloc(1, sizeof *p);
	ex->priv = p;
	p->nproc = ex->workers;
	p->total = ex->workers * ex->threads;
	p->job = job;
	p->ctl = cb_shared_alloc(ctl_size(ex->workers));
	p->pid = cb_xcalloc((size_t)p->nproc, sizeof *p->pid);
	pid_t self = getpid();
	fflush(NULL);   /* no buffered output duplicated into the children */
	for (int g = 0; g < p->nproc; g++) {
		pid_t pid = fork();
		if (pid < 0) {
			int e = errno;
			kill_pool(p);
			return cb_error_set(err, CB_EXIT_ENV, "cannot fork hybrid worker process %d of %d: %s",
			                    g + 1, p->nproc, strerror(e));
		}
		if (pid == 0)
			child_main(ex, p, g, self);
		p->pid[g] = pid;
		for (int k = 0; k < ex->threads; k++)
			cb_exec_worker_pid(ex, g * ex->threads + k, pid);
	}
	return wait_for(p, &p->ctl->ready, (uint32_t)p->total, err);
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	hybrid_priv *p = ex->priv;
	if (job != p->job)
		return cb_error_set(err, CB_EXIT_FAIL, "hybrid: the pool was set up for another job");
	for (int g = 0; g < p->nproc; g++)
		if (p->pid[g] <= 0)
			return cb_error_set(err, CB_EXIT_FAIL, "hybrid: the worker pool is down");
	atomic_store(&p->ctl->done, 0);
	atomic_fetch_add(&p->ctl->gen, 1);
	cb_futex_wake(&p->ctl->gen, INT_MAX, true);
	if (wait_for(p, &p->ctl->done, (uint32_t)p->total, err))
		return -1;
	return cb_exec_check(ex, err);
}

static void cell_teardown(cb_exec *ex)
{
	hybrid_priv *p = ex->priv;
	if (!p)
		return;
	atomic_store(&p->ctl->stop, 1);
	atomic_fetch_add(&p->ctl->gen, 1);
	cb_futex_wake(&p->ctl->gen, INT_MAX, true);
	/* Idle threads leave at once; a thread still inside a long task
	 * (after another one failed) gets a grace period, then SIGKILL. */
	double deadline = cb_now() + STOP_GRACE_S;
	for (int g = 0; g < p->nproc; g++)
		while (p->pid[g] > 0) {
			pid_t r = waitpid(p->pid[g], NULL, WNOHANG);
			if (r == p->pid[g] || (r < 0 && errno != EINTR)) {
				p->pid[g] = 0;
			} else if (cb_now() > deadline) {
				kill_pool(p);
			} else {
				struct timespec ts = { 0, 1000 * 1000L };
				nanosleep(&ts, NULL);
			}
		}
	cb_shared_free(p->ctl, ctl_size(p->nproc));
	free(p->pid);
	free(p);
	ex->priv = NULL;
}

static void cpu_times(cb_exec *ex, cb_cpu_times *out)
{
	hybrid_priv *p = ex->priv;
	memset(out, 0, sizeof *out);
	for (int g = 0; p && g < p->nproc; g++)
		cb_cpu_times_add(out, &p->ctl->proc[g].cpu);
}

const cb_strategy cb_st_hybrid = {
	.name = "hybrid",
	.summary = "P processes (-n) forked once per cell, each with a pool of T threads (-t)",
	.flags = CB_STRATEGY_FORKS | CB_STRATEGY_THREADS | CB_STRATEGY_POOL,
	.colour = 0xe7298a,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
	.cpu_times = cpu_times,
};
