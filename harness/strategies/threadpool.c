/* threadpool: worker threads created once per cell, outside the timed
 * region and each already bound to its PU, then reused by every job of the
 * cell, so a job costs a wake-up and a join instead of thread creation.
 *
 * Dispatch is an epoch word and join a countdown word, both futexes: the
 * caller stores the job, bumps the epoch and wakes every worker with one
 * FUTEX_WAKE; the last worker to finish wakes the caller. A mutex and
 * condition variable would do the same with more work on the critical path:
 * a broadcast makes every woken worker reacquire the mutex one after the
 * other before it can start, and the join needs the mutex again. Nobody
 * spins: the caller sleeps on worker 0's PU (the runner binds it there), so
 * spinning would steal that worker's CPU, and the cost measured is that of
 * a sleeping pool, the one real programs run. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/futex.h"
#include "engine/strategy.h"

typedef struct tpool tpool;
typedef struct { tpool *pool; int w; pthread_t tid; } tp_worker;

struct tpool {
	cb_exec *ex;
	cb_job *job;                        /* published by the epoch bump */
	_Alignas(64) _Atomic uint32_t epoch;   /* workers sleep on it */
	_Alignas(64) _Atomic uint32_t pending; /* workers still busy; the caller sleeps on it */
	_Atomic bool stop;
	int started;
	tp_worker *workers;
};

static void done_one(tpool *p)
{
	if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1)
		cb_futex_wake(&p->pending, 1, false);
}

static void wait_all(tpool *p)
{
	uint32_t v;
	while ((v = atomic_load_explicit(&p->pending, memory_order_acquire)) != 0)
		cb_futex_wait(&p->pending, v, NULL, false);
}

static void *worker_main(void *arg)
{
	tp_worker *me = arg;
	tpool *p = me->pool;
	uint32_t seen = 0;
	done_one(p);   /* started and about to sleep */
	for (;;) {
		uint32_t e;
		while ((e = atomic_load_explicit(&p->epoch, memory_order_acquire)) == seen)
			cb_futex_wait(&p->epoch, seen, NULL, false);
		seen = e;
		if (atomic_load_explicit(&p->stop, memory_order_relaxed))
			return NULL;
		cb_io io = cb_io_blocking();
		cb_worker_run(p->ex, p->job, me->w, p->ex->workers, &io);
		done_one(p);
	}
}

static void bump(tpool *p)
{
	atomic_fetch_add_explicit(&p->epoch, 1, memory_order_release);
	cb_futex_wake(&p->epoch, INT_MAX, false);
}

static void cell_teardown(cb_exec *ex)
{
	tpool *p = ex->priv;
	if (!p)
		return;
	atomic_store_explicit(&p->stop, true, memory_order_relaxed);
	bump(p);
	for (int w = 0; w < p->started; w++)
		pthread_join(p->workers[w].tid, NULL);
	free(p->workers);
	free(p);
	ex->priv = NULL;
}

static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	tpool *p = cb_xcalloc(1, sizeof *p);
	p->ex = ex;
	p->job = job;
	p->workers = cb_xcalloc((size_t)ex->workers, sizeof *p->workers);
	ex->priv = p;
	atomic_store(&p->pending, (uint32_t)ex->workers);
	for (int w = 0; w < ex->workers; w++) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		int rc = cb_exec_thread_attr(ex, w, &attr);
		if (rc) {
			pthread_attr_destroy(&attr);
			return cb_error_set(err, CB_EXIT_ENV, "cannot bind thread %d: %s", w, strerror(-rc));
		}
		p->workers[w] = (tp_worker){ .pool = p, .w = w };
		rc = pthread_create(&p->workers[w].tid, &attr, worker_main, &p->workers[w]);
		pthread_attr_destroy(&attr);
		if (rc)
			return cb_error_set(err, CB_EXIT_ENV, "cannot create thread %d of %d: %s", w + 1,
			                    ex->workers, strerror(rc));
		p->started++;
	}
	/* Every worker asleep on the epoch before the first timed job. */
	wait_all(p);
	return 0;
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	tpool *p = ex->priv;
	p->job = job;
	atomic_store_explicit(&p->pending, (uint32_t)ex->workers, memory_order_relaxed);
	bump(p);
	wait_all(p);
	return cb_exec_check(ex, err);
}

const cb_strategy cb_st_threadpool = {
	.name = "threadpool",
	.summary = "pthreads created once per cell, woken for each job through a futex",
	.flags = CB_STRATEGY_POOL,
	.colour = 0x66a61e,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
};
