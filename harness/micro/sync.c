/* sync: the price of a synchronisation primitive, uncontended (n1) and
 * contended by 1..N threads placed by --pin (`sync/<primitive>/n<k>`, the
 * lock-scaling chart's series), plus two-thread signal-to-wake hand-offs
 * and process-shared mutex and semaphore across processes. Every lock
 * protects a plain (non-atomic) counter that must come out exact; barriers
 * count their generations; the false-sharing pair shows what one shared
 * cache line costs per-thread counters. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>

#include "base/common.h"
#include "micro/micro.h"

#define FALSE_SHARING_MAX 8   /* uint64 counters in one 64-byte line */

typedef struct sy {
	pthread_mutex_t mu;
	pthread_rwlock_t rw;
	sem_t sem;
	pthread_barrier_t bar;
	pthread_cond_t cv;
	_Atomic int spin;
	uint64_t counter, a, b;         /* protected by the primitive */
	_Atomic uint64_t shared;
	_Alignas(64) _Atomic uint64_t same_line[FALSE_SHARING_MAX];
	struct { _Alignas(128) _Atomic uint64_t v; } padded[CB_MICRO_MAX_CREW];
	_Alignas(64) _Atomic uint32_t bar_count;   /* spin barrier */
	_Atomic uint32_t bar_sense;
	uint64_t generations;
	int64_t serial;                  /* pthread barrier: SERIAL_THREAD returns */
	uint64_t seq;                    /* signal-to-wake */
	bool flag;
	_Alignas(64) _Atomic uint64_t ack;
	int64_t per[CB_MICRO_MAX_CREW];  /* operations each worker completed */
	int64_t bad;                     /* inconsistencies a worker saw */
	int n;
} sy;

typedef struct prim {
	const char *name;
	bool processes;
	int max_n;                       /* 0: any */
	void (*setup)(sy *s, int n);
	cb_micro_work_fn work;
	/* Expected value check after n workers did iters each; NULL = ok. */
	const char *(*verify)(sy *s, int n, int64_t iters, char *buf, size_t len);
	void (*teardown)(sy *s);
} prim;

static void setup_mutex(sy *s, int n)
{
	(void)n;
	pthread_mutex_init(&s->mu, NULL);
}

static void setup_recursive(sy *s, int n)
{
	(void)n;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->mu, &a);
	pthread_mutexattr_destroy(&a);
}

static void setup_pshared_mutex(sy *s, int n)
{
	(void)n;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->mu, &a);
	pthread_mutexattr_destroy(&a);
}

static void teardown_mutex(sy *s) { pthread_mutex_destroy(&s->mu); }

static void work_mutex(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 0; i < n; i++) {
		pthread_mutex_lock(&s->mu);
		s->counter++;
		pthread_mutex_unlock(&s->mu);
	}
	s->per[idx] = n;
}

/* Re-entry is what a recursive mutex is for: the owner takes it twice. */
static void work_recursive(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 0; i < n; i++) {
		pthread_mutex_lock(&s->mu);
		pthread_mutex_lock(&s->mu);
		s->counter++;
		pthread_mutex_unlock(&s->mu);
		pthread_mutex_unlock(&s->mu);
	}
	s->per[idx] = n;
}

static void work_spin(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 0; i < n; i++) {
		/* Test-and-test-and-set; yields after a while so that two
		 * workers sharing one PU still make progress. */
		for (unsigned k = 0; atomic_exchange_explicit(&s->spin, 1, memory_order_acquire); k++)
			while (atomic_load_explicit(&s->spin, memory_order_relaxed)) {
				if (++k % 1024 == 0)
					sched_yield();
				cb_cpu_relax();
			}
		s->counter++;
		atomic_store_explicit(&s->spin, 0, memory_order_release);
	}
	s->per[idx] = n;
}

static const char *verify_counter(sy *s, int n, int64_t iters, char *buf, size_t len)
{
	if (s->counter == (uint64_t)(n * iters) && !s->bad)
		return NULL;
	snprintf(buf, len, "protected counter %llu, expected %lld (%lld inconsistent reads)",
	         (unsigned long long)s->counter, (long long)(n * iters), (long long)s->bad);
	return buf;
}

static void setup_rw(sy *s, int n)
{
	(void)n;
	pthread_rwlock_init(&s->rw, NULL);
}

static void teardown_rw(sy *s) { pthread_rwlock_destroy(&s->rw); }

static void work_rw_read(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	int64_t bad = 0;
	for (int64_t i = 0; i < n; i++) {
		pthread_rwlock_rdlock(&s->rw);
		bad += s->a != s->b;
		pthread_rwlock_unlock(&s->rw);
	}
	s->per[idx] = n;
	if (bad) {
		pthread_rwlock_wrlock(&s->rw);
		s->bad += bad;
		pthread_rwlock_unlock(&s->rw);
	}
}

static const char *verify_reads(sy *s, int n, int64_t iters, char *buf, size_t len)
{
	int64_t total = 0;
	for (int i = 0; i < n; i++)
		total += s->per[i];
	if (total == n * iters && !s->bad)
		return NULL;
	snprintf(buf, len, "%lld reads of %lld, %lld torn", (long long)total, (long long)(n * iters),
	         (long long)s->bad);
	return buf;
}

static void work_rw_write(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 0; i < n; i++) {
		pthread_rwlock_wrlock(&s->rw);
		s->a++;
		s->b++;
		pthread_rwlock_unlock(&s->rw);
	}
	s->per[idx] = n;
}

static const char *verify_writes(sy *s, int n, int64_t iters, char *buf, size_t len)
{
	if (s->a == (uint64_t)(n * iters) && s->b == s->a)
		return NULL;
	snprintf(buf, len, "write-locked pair (%llu, %llu), expected %lld twice", (unsigned long long)s->a,
	         (unsigned long long)s->b, (long long)(n * iters));
	return buf;
}

/* A counting semaphore of one unit, used as a lock (acquire + release). */
static void setup_sem(sy *s, int n)
{
	(void)n;
	sem_init(&s->sem, 1, 1);
}

static void teardown_sem(sy *s) { sem_destroy(&s->sem); }

static void work_sem(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 0; i < n; i++) {
		while (sem_wait(&s->sem) && errno == EINTR)
			;
		s->counter++;
		sem_post(&s->sem);
	}
	s->per[idx] = n;
}

static void work_faa_shared(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 0; i < n; i++)
		atomic_fetch_add_explicit(&s->shared, 1, memory_order_relaxed);
	s->per[idx] = n;
}

static const char *verify_shared(sy *s, int n, int64_t iters, char *buf, size_t len)
{
	if (atomic_load(&s->shared) == (uint64_t)(n * iters))
		return NULL;
	snprintf(buf, len, "shared counter %llu, expected %lld", (unsigned long long)atomic_load(&s->shared),
	         (long long)(n * iters));
	return buf;
}

static void work_faa_same_line(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 0; i < n; i++)
		atomic_fetch_add_explicit(&s->same_line[idx], 1, memory_order_relaxed);
}

static void work_faa_padded(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 0; i < n; i++)
		atomic_fetch_add_explicit(&s->padded[idx].v, 1, memory_order_relaxed);
}

static const char *verify_private(sy *s, int n, int64_t iters, char *buf, size_t len)
{
	for (int i = 0; i < n; i++) {
		uint64_t v = i < FALSE_SHARING_MAX ? atomic_load(&s->same_line[i]) : 0;
		v += atomic_load(&s->padded[i].v);
		if (v != (uint64_t)iters) {
			snprintf(buf, len, "worker %d counted %llu, expected %lld", i, (unsigned long long)v,
			         (long long)iters);
			return buf;
		}
	}
	return NULL;
}

static void setup_barrier(sy *s, int n)
{
	pthread_barrier_init(&s->bar, NULL, (unsigned)n);
	s->n = n;
}

static void teardown_barrier(sy *s) { pthread_barrier_destroy(&s->bar); }

static void work_barrier(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	int64_t serial = 0;
	for (int64_t i = 0; i < n; i++)
		serial += pthread_barrier_wait(&s->bar) == PTHREAD_BARRIER_SERIAL_THREAD;
	s->per[idx] = serial;
}

static const char *verify_barrier(sy *s, int n, int64_t iters, char *buf, size_t len)
{
	int64_t serial = 0;
	for (int i = 0; i < n; i++)
		serial += s->per[i];
	if (serial == iters)
		return NULL;
	snprintf(buf, len, "%lld barrier generations completed, expected %lld", (long long)serial, (long long)iters);
	return buf;
}

static void setup_spin_barrier(sy *s, int n)
{
	s->n = n;
	atomic_store(&s->bar_count, (uint32_t)n);
}

/* Sense-reversing: the last to arrive resets the count and flips the
 * sense; the others spin (then yield) until the sense they hold is seen. */
static void work_spin_barrier(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	uint32_t local = 0;
	for (int64_t i = 0; i < n; i++) {
		local ^= 1;
		if (atomic_fetch_sub(&s->bar_count, 1) == 1) {
			s->generations++;
			atomic_store(&s->bar_count, (uint32_t)s->n);
			atomic_store_explicit(&s->bar_sense, local, memory_order_release);
		} else {
			for (unsigned k = 0; atomic_load_explicit(&s->bar_sense, memory_order_acquire) != local; k++) {
				if (k % 256 == 255)
					sched_yield();
				cb_cpu_relax();
			}
		}
	}
	s->per[idx] = n;
}

static const char *verify_spin_barrier(sy *s, int n, int64_t iters, char *buf, size_t len)
{
	(void)n;
	if (s->generations == (uint64_t)iters)
		return NULL;
	snprintf(buf, len, "%llu barrier generations completed, expected %lld",
	         (unsigned long long)s->generations, (long long)iters);
	return buf;
}

static const prim prims[] = {
	{ "mutex", false, 0, setup_mutex, work_mutex, verify_counter, teardown_mutex },
	{ "recursive_mutex", false, 0, setup_recursive, work_recursive, verify_counter, teardown_mutex },
	{ "spinlock", false, 0, NULL, work_spin, verify_counter, NULL },
	{ "rwlock_read", false, 0, setup_rw, work_rw_read, verify_reads, teardown_rw },
	{ "rwlock_write", false, 0, setup_rw, work_rw_write, verify_writes, teardown_rw },
	{ "semaphore", false, 0, setup_sem, work_sem, verify_counter, teardown_sem },
	{ "atomic_faa_shared", false, 0, NULL, work_faa_shared, verify_shared, NULL },
	{ "atomic_faa_same_line", false, FALSE_SHARING_MAX, NULL, work_faa_same_line, verify_private, NULL },
	{ "atomic_faa_own_line", false, 0, NULL, work_faa_padded, verify_private, NULL },
	{ "pthread_barrier", false, 0, setup_barrier, work_barrier, verify_barrier, teardown_barrier },
	{ "spin_barrier", false, 0, setup_spin_barrier, work_spin_barrier, verify_spin_barrier, NULL },
	{ "pshared_mutex", true, 0, setup_pshared_mutex, work_mutex, verify_counter, teardown_mutex },
	{ "pshared_semaphore", true, 0, setup_sem, work_sem, verify_counter, teardown_sem },
};
#define NPRIMS (sizeof prims / sizeof *prims)

typedef struct sync_bench {
	const prim *p;
	int n;
} sync_bench;

static void contended(cb_gb_state *st, void *arg)
{
	const sync_bench *b = arg;
	sy *s = cb_shared_alloc(sizeof *s);
	int64_t iters = 0;
	char buf[256];
	cb_gb_set_label(st, b->p->processes ? "processes" : "threads");
	if (b->p->setup)
		b->p->setup(s, b->n);
	if (cb_micro_crew_body(st, b->n, CB_MICRO_POLICY, b->p->processes, b->p->work, s, &iters)) {
		cb_gb_counter(st, "workers", b->n, CB_GB_COUNTER_DEFAULT);
		cb_gb_counter(st, "ops_per_iter", b->n, CB_GB_COUNTER_DEFAULT);
		const char *why = b->p->verify(s, b->n, iters, buf, sizeof buf);
		if (why)
			cb_micro_fail(st, "%s: %s", b->p->name, why);
	}
	if (b->p->teardown)
		b->p->teardown(s);
	cb_shared_free(s, sizeof *s);
}

/* ---- two-thread hand-offs: the waiter is woken, the signaller waits
 * for its acknowledgement, one operation per wake. ---- */

static void ack_wait(sy *s, uint64_t want)
{
	for (unsigned k = 0; atomic_load_explicit(&s->ack, memory_order_acquire) != want; k++) {
		if (k % 256 == 255)
			sched_yield();
		cb_cpu_relax();
	}
}

static void work_signal_wake(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 1; i <= n; i++) {
		pthread_mutex_lock(&s->mu);
		if (idx == 0) {
			s->seq = (uint64_t)i;
			pthread_cond_signal(&s->cv);
			pthread_mutex_unlock(&s->mu);
			ack_wait(s, (uint64_t)i);
		} else {
			while (s->seq != (uint64_t)i)
				pthread_cond_wait(&s->cv, &s->mu);
			pthread_mutex_unlock(&s->mu);
			atomic_store_explicit(&s->ack, (uint64_t)i, memory_order_release);
		}
		s->per[idx]++;
	}
}

/* Python's Event: set() wakes every waiter of the flag; wait() returns
 * once it is set; the waiter clears it for the next round. */
static void work_event(void *ctx, int idx, int64_t n)
{
	sy *s = ctx;
	for (int64_t i = 1; i <= n; i++) {
		pthread_mutex_lock(&s->mu);
		if (idx == 0) {
			s->flag = true;
			pthread_cond_broadcast(&s->cv);
			pthread_mutex_unlock(&s->mu);
			ack_wait(s, (uint64_t)i);
		} else {
			while (!s->flag)
				pthread_cond_wait(&s->cv, &s->mu);
			s->flag = false;
			pthread_mutex_unlock(&s->mu);
			atomic_store_explicit(&s->ack, (uint64_t)i, memory_order_release);
		}
		s->per[idx]++;
	}
}

typedef struct wake_bench {
	const char *name;
	cb_micro_work_fn work;
} wake_bench;

static const wake_bench wakes[] = {
	{ "condvar_signal_wake", work_signal_wake },
	{ "event_set_wait", work_event },
};

static void wake(cb_gb_state *st, void *arg)
{
	const wake_bench *b = arg;
	sy *s = cb_shared_alloc(sizeof *s);
	int64_t iters = 0;
	cb_gb_set_label(st, "threads");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (cb_micro_crew_body(st, 2, CB_MICRO_POLICY, false, b->work, s, &iters)) {
		cb_gb_counter(st, "workers", 2, CB_GB_COUNTER_DEFAULT);
		if (s->per[0] != iters || s->per[1] != iters || atomic_load(&s->ack) != (uint64_t)iters)
			cb_micro_fail(st, "%s: %lld wakes asked, signaller did %lld, waiter %lld", b->name,
			              (long long)iters, (long long)s->per[0], (long long)s->per[1]);
	}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	cb_shared_free(s, sizeof *s);
}

static sync_bench benches[NPRIMS * CB_MICRO_MAX_CREW];

void cb_micro_register_sync(void)
{
	int max = cb_micro_max_threads(), k = 0;
	char name[96];
	for (size_t i = 0; i < NPRIMS; i++)
		for (int n = 1; n <= max; n++) {
			if (prims[i].max_n && n > prims[i].max_n)
				break;
			benches[k] = (sync_bench){ &prims[i], n };
			snprintf(name, sizeof name, "sync/%s/n%d", prims[i].name, n);
			cb_micro_add(name, contended, &benches[k++]);
		}
	for (size_t i = 0; i < sizeof wakes / sizeof *wakes; i++) {
		snprintf(name, sizeof name, "sync/%s", wakes[i].name);
		cb_micro_add(name, wake, (void *)&wakes[i]);
	}
}
