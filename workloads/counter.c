/* sync.counter: every task adds 1 to one shared counter `incs` times; the
 * checksum is the final count, exact in every mode. It shows contention,
 * the coherency term of the USL: one cache line bounced between cores.
 *   mutex    pthread mutex (PTHREAD_PROCESS_SHARED) around a plain ++
 *   spin     test-and-test-and-set spin lock (yields after a long spin,
 *            so that oversubscribed cells finish)
 *   atomic   one atomic fetch-add per increment on one line
 *   sharded  per-CPU counters on their own lines (the CPU read once per
 *            task; the add stays atomic since a thread can migrate),
 *            summed in post
 * Everything lives in shared memory, so forked workers count into the
 * same counter; pre (timed, serial, trivial) zeroes it. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/workload.h"

enum { MODE_MUTEX, MODE_SPIN, MODE_ATOMIC, MODE_SHARDED };
#define LINE 128   /* two 64-byte lines: adjacent-line prefetch pairs them */
#define SPINS_BEFORE_YIELD 4096

typedef struct { _Alignas(LINE) _Atomic uint64_t v; } shard;

typedef struct {
	pthread_mutex_t mutex;
	_Alignas(LINE) atomic_int spin;
	_Alignas(LINE) uint64_t plain;       /* mutex and spin modes */
	_Alignas(LINE) _Atomic uint64_t atom; /* atomic mode */
	shard shards[];                       /* sharded mode */
} counter_shm;

typedef struct {
	int mode;
	uint64_t incs;
	size_t nshards, shm_bytes;
	counter_shm *shm;
} counter_state;

static const cb_param_spec params[] = {
	{ "mode", CB_PARAM_ENUM, { "mutex", "mutex", "mutex", "mutex" }, 0, 0, "mutex|spin|atomic|sharded",
	  "how the shared counter is protected" },
	{ "incs", CB_PARAM_INT, { "2000", "50000", "100000", "1000000" }, 1, 1e9, NULL,
	  "increments per task" },
	{ "tasks", CB_PARAM_INT, { "8", "32", "64", "128" }, 1, 1e6, NULL,
	  "tasks (each does incs increments)" },
};

static void teardown(cb_job *job)
{
	counter_state *s = job->state;
	if (s->shm) {
		pthread_mutex_destroy(&s->shm->mutex);
		cb_shared_free(s->shm, s->shm_bytes);
	}
	free(s);
	job->state = NULL;
}

static int setup(cb_job *job, cb_error *err)
{
	counter_state *s = cb_xcalloc(1, sizeof *s);
	job->state = s;
	s->mode = (int)cb_job_param(job, "mode");
	s->incs = (uint64_t)cb_job_param(job, "incs");
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	s->nshards = cpus > 0 ? (size_t)cpus : 1;
	s->shm_bytes = sizeof *s->shm + s->nshards * sizeof(shard);
	s->shm = cb_shared_alloc(s->shm_bytes);
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	int rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_mutex_init(&s->shm->mutex, &ma);
	pthread_mutexattr_destroy(&ma);
	if (rc) {
		cb_shared_free(s->shm, s->shm_bytes);
		s->shm = NULL;
		return cb_error_set(err, CB_EXIT_ENV, "sync.counter: no process-shared mutex here: %s", strerror(rc));
	}
	job->ntasks = (size_t)cb_job_param(job, "tasks");
	return 0;
}

static int pre(cb_job *job, cb_error *err)
{
	(void)err;
	counter_state *s = job->state;
	s->shm->plain = 0;
	atomic_store(&s->shm->atom, 0);
	for (size_t i = 0; i < s->nshards; i++)
		atomic_store(&s->shm->shards[i].v, 0);
	return 0;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static void spin_lock(atomic_int *l)
{
	for (unsigned n = 0;;) {
		if (!atomic_exchange_explicit(l, 1, memory_order_acquire))
			return;
		while (atomic_load_explicit(l, memory_order_relaxed)) {
			cpu_relax();
			if (++n % SPINS_BEFORE_YIELD == 0)
				sched_yield();
		}
	}
}

static int task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)i;
	(void)io;
	const counter_state *s = job->state;
	counter_shm *m = s->shm;
	uint64_t k = s->incs;
	switch (s->mode) {
	case MODE_MUTEX:
		for (uint64_t n = 0; n < k; n++) {
			pthread_mutex_lock(&m->mutex);
			m->plain++;
			pthread_mutex_unlock(&m->mutex);
		}
		break;
	case MODE_SPIN:
		for (uint64_t n = 0; n < k; n++) {
			spin_lock(&m->spin);
			/* The compiler must not keep the count in a register
			 * across iterations: the lock is the only ordering. */
			*(volatile uint64_t *)&m->plain += 1;
			atomic_store_explicit(&m->spin, 0, memory_order_release);
		}
		break;
	case MODE_ATOMIC:
		for (uint64_t n = 0; n < k; n++)
			atomic_fetch_add_explicit(&m->atom, 1, memory_order_relaxed);
		break;
	case MODE_SHARDED: {
		int cpu = sched_getcpu();
		_Atomic uint64_t *v = &m->shards[(size_t)(cpu > 0 ? cpu : 0) % s->nshards].v;
		for (uint64_t n = 0; n < k; n++)
			atomic_fetch_add_explicit(v, 1, memory_order_relaxed);
		break;
	}
	default:
		return -EINVAL;
	}
	*out = k;
	return 0;
}

static uint64_t post(cb_job *job)
{
	counter_state *s = job->state;
	switch (s->mode) {
	case MODE_ATOMIC:
		return atomic_load(&s->shm->atom);
	case MODE_SHARDED: {
		uint64_t sum = 0;
		for (size_t i = 0; i < s->nshards; i++)
			sum += atomic_load(&s->shm->shards[i].v);
		return sum;
	}
	default:
		return s->shm->plain;
	}
}

static double work_units(const cb_job *job, const char **unit)
{
	const counter_state *s = job->state;
	*unit = "inc";
	return (double)s->incs * (double)job->ntasks;
}

const cb_workload cb_wl_counter = {
	.abi = CB_WORKLOAD_ABI,
	.name = "sync.counter",
	.summary = "tasks increment one shared counter under mode=mutex|spin|atomic|sharded; inc/s",
	.kind = CB_KIND_SYNC,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "the final count, which must equal tasks x incs (a lost update shows)",
	.setup = setup,
	.pre = pre,
	.task = task,
	.post = post,
	.teardown = teardown,
	.shared_memory = true,
	.work_units = work_units,
};
