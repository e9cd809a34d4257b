/* threads: pthreads created for each job and joined after it, so thread
 * creation and teardown are part of what this model costs. Each thread
 * binds itself to its worker's cpuset before its first task. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/strategy.h"

typedef struct { cb_exec *ex; cb_job *job; int w; } thread_arg;
typedef struct { pthread_t *tid; thread_arg *args; pthread_attr_t *attr; } threads_priv;

static void *thread_main(void *p)
{
	thread_arg *a = p;
	cb_io io = cb_io_blocking();
	cb_worker_run(a->ex, a->job, a->w, a->ex->workers, &io);
	return NULL;
}

/* Allocation belongs outside the timed region, and so does preparing the
 * attributes: each thread is created already bound to its PU. */
static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	(void)job;
	threads_priv *p = cb_xcalloc(1, sizeof *p);
	p->tid = cb_xcalloc((size_t)ex->workers, sizeof *p->tid);
	p->args = cb_xcalloc((size_t)ex->workers, sizeof *p->args);
	p->attr = cb_xcalloc((size_t)ex->workers, sizeof *p->attr);
	ex->priv = p;
	for (int w = 0; w < ex->workers; w++) {
		pthread_attr_init(&p->attr[w]);
		int rc = cb_exec_thread_attr(ex, w, &p->attr[w]);
		if (rc)
			return cb_error_set(err, CB_EXIT_ENV, "cannot bind thread %d: %s", w, strerror(-rc));
	}
	return 0;
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	threads_priv *p = ex->priv;
	int started = 0, rc = 0;
	for (int k = 0; k < ex->workers; k++) {
		int w = cb_exec_start_order(ex, k);
		p->args[w] = (thread_arg){ ex, job, w };
		rc = pthread_create(&p->tid[w], &p->attr[w], thread_main, &p->args[w]);
		if (rc)
			break;
		started++;
	}
	for (int k = 0; k < started; k++)
		pthread_join(p->tid[cb_exec_start_order(ex, k)], NULL);
	if (rc)
		return cb_error_set(err, CB_EXIT_ENV, "cannot create thread %d of %d: %s", started + 1,
		                    ex->workers, strerror(rc));
	return cb_exec_check(ex, err);
}

static void cell_teardown(cb_exec *ex)
{
	threads_priv *p = ex->priv;
	if (!p)
		return;
	for (int w = 0; w < ex->workers; w++)
		pthread_attr_destroy(&p->attr[w]);
	free(p->attr);
	free(p->tid);
	free(p->args);
	free(p);
	ex->priv = NULL;
}

const cb_strategy cb_st_threads = {
	.name = "threads",
	.summary = "pthreads created for each job and joined after it",
	.flags = 0,
	.colour = 0x1b9e77,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
};
