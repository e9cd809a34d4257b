/* coroutines: stackful coroutines on one event loop per scheduler thread
 * (io_uring, or epoll + timerfd), the M:N model; with one scheduler, the
 * shape of Python's asyncio. `workers` = schedulers, `concurrency` =
 * coroutines in flight across all of them. Coroutine k of C runs part k of
 * C of the one schedule loop (static blocks, or claims on the shared
 * counter), so tasks reach schedulers exactly as they reach threads.
 *
 * Schedulers persist for the cell: each thread is created bound to its PU,
 * then opens its own ring (the ring's memory and the task_work it runs stay
 * on that thread) and maps its share of the stacks (first touch local).
 * Setting these up costs milliseconds (10,000 stacks are 20,000 mmap and
 * mprotect calls), more than a whole io.sleep job at its ideal; a runtime
 * keeps its loop and its stack pool, so the timed job holds only what a
 * program pays per batch of work: waking the schedulers, starting the
 * coroutines on pooled stacks, running them, and the join. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "coro/coro.h"
#include "engine/strategy.h"

enum { LOOP_AUTO, LOOP_URING, LOOP_EPOLL };

static const cb_param_spec params[] = {
	{ "stack", CB_PARAM_BYTES, { "64k", "64k", "64k", "64k" }, 16384, 1 << 30, NULL,
	  "stack of each coroutine, mmap'ed above one guard page" },
	{ "loop", CB_PARAM_ENUM, { "auto", "auto", "auto", "auto" }, 0, 0, "auto|uring|epoll",
	  "event loop: auto = io_uring, or epoll (with a warning) where io_uring cannot be set up" },
};

struct coro_priv;

typedef struct {
	struct coro_priv *p;
	int w;                  /* scheduler index = trace index */
	pthread_t tid;
	cb_sched sched;
	size_t first, count;    /* its coroutines: global indices [first, first + count) */
	cb_stack *stacks;       /* [count] */
	cb_coro *coros;         /* [count] */
	int rc;                 /* -errno of the last setup or run */
	const char *what;       /* what failed */
	bool broken;            /* a failed run may leave I/O in flight: never reuse */
} sched_thread;

typedef struct coro_priv {
	cb_exec *ex;
	const cb_loop_backend *loop;
	size_t stack_size;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long gen;      /* job generation; schedulers run each once */
	int pending;            /* schedulers still busy with the current one */
	bool stop;
	cb_job *job;
	sched_thread *st;       /* [workers] */
	int started;
} coro_priv;

/* Opens a loop and closes it again: can this process use the backend? */
static int try_loop(const cb_loop_backend *b)
{
	cb_sched s;
	int rc = cb_sched_init(&s, b, 64);
	cb_sched_fini(&s);
	return rc;
}

static int choose_loop(int want, const cb_loop_backend **out, char *why, size_t nwhy, cb_error *err)
{
	why[0] = 0;
	if (want == LOOP_EPOLL) {
		*out = &cb_loop_epoll;
		return 0;
	}
	int rc = try_loop(&cb_loop_uring);
	if (!rc) {
		*out = &cb_loop_uring;
		return 0;
	}
	if (want == LOOP_URING)
		return cb_error_set(err, CB_EXIT_ENV,
		                    "coroutines: io_uring cannot be set up here (%s; seccomp, kernel.io_uring_disabled "
		                    "or an old kernel): use --param loop=epoll or loop=auto", strerror(-rc));
	*out = &cb_loop_epoll;
	snprintf(why, nwhy, "io_uring cannot be set up here (%s), falling back to epoll", strerror(-rc));
	return 0;
}

static int check(const struct cb_run_config *cfg, const cb_params *prm, char *warn, size_t nwarn,
                 cb_error *err)
{
	(void)cfg;
	const cb_loop_backend *b = NULL;
	return choose_loop((int)cb_params_get(prm, "loop"), &b, warn, nwarn, err);
}

static void coro_main(cb_coro *co, void *arg)
{
	sched_thread *t = arg;
	coro_priv *p = t->p;
	size_t k = (size_t)(co - t->coros);
	cb_worker_run_part(p->ex, p->job, t->first + k, (size_t)p->ex->concurrency, t->w, &t->sched.io);
}

static int run_share(sched_thread *t)
{
	if (t->broken)
		return t->rc;
	/* A workload with an event loop of its own (an async def task on
	 * asyncio) runs this scheduler's share of the coroutines on it. */
	const cb_workload_origin *o = cb_workload_origin_of(t->p->job->wl);
	if (o && o->run_lanes) {
		cb_worker_run_lanes(t->p->ex, t->p->job, t->first, t->count, t->w, o);
		return 0;
	}
	cb_sched *s = &t->sched;
	for (size_t k = 0; k < t->count; k++)
		cb_coro_start(s, &t->coros[k], &t->stacks[k], coro_main, t);
	int rc = cb_sched_run(s);
	if (rc) {
		t->broken = true;
		t->what = rc == -EDEADLK ? "coroutines parked with no I/O in flight to wake them" : "event loop failed";
	}
	return rc;
}

static int open_share(sched_thread *t)
{
	coro_priv *p = t->p;
	int rc = cb_sched_init(&t->sched, p->loop, (unsigned)(t->count * 2 + 2));
	if (rc) {
		t->what = "cannot open the event loop";
		return rc;
	}
	t->stacks = cb_xcalloc(t->count ? t->count : 1, sizeof *t->stacks);
	t->coros = cb_xcalloc(t->count ? t->count : 1, sizeof *t->coros);
	for (size_t k = 0; k < t->count; k++)
		if ((rc = cb_stack_alloc(&t->stacks[k], p->stack_size))) {
			t->what = "cannot map a coroutine stack (vm.max_map_count allows about 2 mappings per stack)";
			return rc;
		}
	return 0;
}

static void close_share(sched_thread *t)
{
	if (t->stacks)
		for (size_t k = 0; k < t->count; k++)
			cb_stack_free(&t->stacks[k]);
	free(t->stacks);
	free(t->coros);
	t->stacks = NULL;
	t->coros = NULL;
	cb_sched_fini(&t->sched);
}

static void *sched_main(void *arg)
{
	sched_thread *t = arg;
	coro_priv *p = t->p;
	int rc = open_share(t);
	pthread_mutex_lock(&p->mu);
	t->rc = rc;
	if (--p->pending == 0)
		pthread_cond_signal(&p->done);
	unsigned long seen = 0;
	for (;;) {
		while (p->gen == seen && !p->stop)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->stop)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		rc = run_share(t);
		pthread_mutex_lock(&p->mu);
		t->rc = rc;
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	close_share(t);
	return NULL;
}

static void cell_teardown(cb_exec *ex);

static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	char why[128];
	const cb_loop_backend *loop = NULL;
	if (choose_loop((int)cb_params_get(&ex->params, "loop"), &loop, why, sizeof why, err))
		return -1;
	const cb_workload_origin *o = cb_workload_origin_of(job->wl);
	if (o && o->run_lanes)
		snprintf(ex->note, sizeof ex->note, "loop=%s (the workload's own, one per scheduler thread)", o->loop);
	else if (why[0])
		snprintf(ex->note, sizeof ex->note, "loop=%s (%.128s)", loop->name, why);
	else
		snprintf(ex->note, sizeof ex->note, "loop=%s", loop->name);

	coro_priv *p = cb_xcalloc(1, sizeof *p);
	ex->priv = p;
	p->ex = ex;
	p->loop = loop;
	p->stack_size = (size_t)cb_params_get(&ex->params, "stack");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->st = cb_xcalloc((size_t)ex->workers, sizeof *p->st);
	size_t c = (size_t)ex->concurrency, n = (size_t)ex->workers;
	for (int w = 0; w < ex->workers; w++) {
		sched_thread *t = &p->st[w];
		t->p = p;
		t->w = w;
		t->first = c * (size_t)w / n;
		t->count = c * ((size_t)w + 1) / n - t->first;
	}

	int rc = 0;
	pthread_mutex_lock(&p->mu);
	p->pending = ex->workers;
	pthread_mutex_unlock(&p->mu);
	for (int w = 0; w < ex->workers && !rc; w++) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		rc = cb_exec_thread_attr(ex, w, &attr);
		if (rc) {
			pthread_attr_destroy(&attr);
			cb_error_set(err, CB_EXIT_ENV, "coroutines: cannot bind scheduler %d: %s", w, strerror(-rc));
			break;
		}
		rc = -pthread_create(&p->st[w].tid, &attr, sched_main, &p->st[w]);
		pthread_attr_destroy(&attr);
		if (rc) {
			cb_error_set(err, CB_EXIT_ENV, "coroutines: cannot create scheduler thread %d of %d: %s", w + 1,
			             ex->workers, strerror(-rc));
			break;
		}
		p->started++;
	}
	/* Wait for the schedulers that did start to finish their setup. */
	pthread_mutex_lock(&p->mu);
	p->pending -= ex->workers - p->started;
	while (p->pending > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	for (int w = 0; w < p->started && !rc; w++)
		if ((rc = p->st[w].rc))
			cb_error_set(err, CB_EXIT_ENV, "coroutines: scheduler %d: %s: %s", w, p->st[w].what,
			             strerror(-rc));
	if (rc) {
		cell_teardown(ex);
		return -1;
	}
	return 0;
}

static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	coro_priv *p = ex->priv;
	pthread_mutex_lock(&p->mu);
	p->job = job;
	p->pending = ex->workers;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	while (p->pending > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	/* A task error names the task; a scheduler error is reported only
	 * when no task failed first. */
	if (cb_exec_check(ex, err))
		return -1;
	for (int w = 0; w < ex->workers; w++)
		if (p->st[w].rc)
			return cb_error_set(err, CB_EXIT_FAIL, "coroutines: scheduler %d: %s: %s", w, p->st[w].what,
			                    strerror(-p->st[w].rc));
	return 0;
}

static void cell_teardown(cb_exec *ex)
{
	coro_priv *p = ex->priv;
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int w = 0; w < p->started; w++)
		pthread_join(p->st[w].tid, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	free(p->st);
	free(p);
	ex->priv = NULL;
}

const cb_strategy cb_st_coroutines = {
	.name = "coroutines",
	.summary = "stackful coroutines (fcontext) on one io_uring or epoll event loop per scheduler thread",
	.flags = CB_STRATEGY_YIELDS | CB_STRATEGY_CONCURRENCY | CB_STRATEGY_POOL,
	.colour = 0x7570b3,
	.micro_names = "coroutine|fcontext|scheduler",
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.check = check,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
};
