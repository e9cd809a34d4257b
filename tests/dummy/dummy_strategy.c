/* dummy: a strategy that exists only in the test builds concbench-dummy
 * and test_conformance_dummy (CMakeLists.txt), to show that a strategy is
 * one file plus one table line: this file, and the table line that
 * CB_EXTRA_STRATEGY adds in strategies/registry.c. tests/cli/
 * dummy_strategy.sh checks that it then appears in list, the quick suite,
 * the conformance suite and the charts' colours. A thread per worker,
 * bound to its cpuset, created and joined inside each job. */
#include <pthread.h>

#include "engine/strategy.h"

#define DUMMY_MAX 64

typedef struct { cb_exec *ex; cb_job *job; int w; } dummy_arg;

static void *dummy_main(void *p)
{
	dummy_arg *a = p;
	cb_io io = cb_io_blocking();
	cb_worker_run(a->ex, a->job, a->w, a->ex->workers, &io);
	return NULL;
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	pthread_t tid[DUMMY_MAX];
	dummy_arg args[DUMMY_MAX];
	int started = 0, rc = 0;
	for (int w = 0; w < ex->workers && w < DUMMY_MAX && !rc; w++) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		args[w] = (dummy_arg){ ex, job, w };
		rc = cb_exec_thread_attr(ex, w, &attr) ? -1 : pthread_create(&tid[w], &attr, dummy_main, &args[w]);
		pthread_attr_destroy(&attr);
		started += !rc;
	}
	for (int w = 0; w < started; w++)
		pthread_join(tid[w], NULL);
	if (started < ex->workers)
		return cb_error_set(err, CB_EXIT_ENV, "dummy: cannot start worker %d of %d", started + 1, ex->workers);
	return cb_exec_check(ex, err);
}

const cb_strategy cb_st_dummy = {
	.name = "dummy",
	.summary = "a test's strategy: a bound thread per worker for each job",
	.flags = 0,
	.colour = 0x123456,
	.run_job = run_job,
};
