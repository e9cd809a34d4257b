/* The capacity probe (capacity.h): a thread per PU, asleep on a futex
 * between readings, that times the chain alone or with every other PU's
 * thread at once. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/chain.h"
#include "base/futex.h"
#include "base/stats.h"
#include "engine/capacity.h"

#define ALONE_KEPT 3            /* a PU's speed alone: the median of its last readings */
#define CALIBRATE_ITERS (1u << 13)
#define CMD_STOP (-2)
#define CMD_ALL (-1)
#define CMD_SPAN 4096u           /* commands a word can carry: at most 4094 PUs */

struct cb_capacity {
	const cb_topology *t;
	int n, started;
	int *pus;
	pthread_t *tid;
	bool *bound;
	_Atomic uint32_t gen;      /* a new command (futex word): a sequence
	                              number, times CMD_SPAN, plus the command + 2 */
	_Atomic uint32_t done;     /* threads done with it (futex word) */
	_Atomic int arrived;       /* threads at the start line of a reading of all */
	int cmd;                   /* the last command: CMD_STOP, CMD_ALL or a PU's index */
	uint32_t seq;
	uint64_t iters, int_iters;    /* the two chains' steps in a reading */
	double per_ms, int_per_ms;
	double *last;              /* per PU: the seconds of its last timing */
	double *alone;             /* per PU: its last ALONE_KEPT timings alone */
	int *nalone;
	int next_alone;
	double cost_s;
	int readings;
	const char *fake;
	long fake_k;
};

typedef struct { cb_capacity *cp; int i; } probe_arg;

static inline void relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static void *probe_main(void *p)
{
	probe_arg *a = p;
	cb_capacity *cp = a->cp;
	int me = a->i;
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	hwloc_bitmap_only(set, (unsigned)cp->pus[me]);
	cp->bound[me] = !cb_bind_thread(cp->t, set);
	hwloc_bitmap_free(set);
	uint32_t seen = 0;
	if (atomic_fetch_add(&cp->done, 1) + 1 == (uint32_t)cp->n)
		cb_futex_wake(&cp->done, 1, false);
	for (;;) {
		uint32_t g;
		while ((g = atomic_load(&cp->gen)) == seen)
			cb_futex_wait(&cp->gen, seen, NULL, false);
		seen = g;
		int cmd = (int)(g % CMD_SPAN) - 2;
		if (cmd == CMD_STOP)
			break;
		if (cmd != CMD_ALL && cmd != me)
			continue;
		if (cmd == CMD_ALL) {
			/* Every thread starts the chain once all are awake. */
			atomic_fetch_add(&cp->arrived, 1);
			while (atomic_load(&cp->arrived) < cp->n)
				relax();
		}
		/* Half floating-point, half integer work, both keeping the
		 * core's units busy (base/chain.h): a neighbour on the same
		 * core may slow either alone. */
		cp->last[me] = cb_fp_wide_s(cp->iters / 2) + cb_divide_s(cp->int_iters / 2);
		if (atomic_fetch_add(&cp->done, 1) + 1 == (uint32_t)(cmd == CMD_ALL ? cp->n : 1))
			cb_futex_wake(&cp->done, 1, false);
	}
	return NULL;
}

static void wait_done(cb_capacity *cp, uint32_t expect)
{
	uint32_t d;
	while ((d = atomic_load(&cp->done)) < expect)
		cb_futex_wait(&cp->done, d, NULL, false);
}

/* Runs one command to its end: the chain on one PU (i) or on all (CMD_ALL). */
static void command(cb_capacity *cp, int cmd)
{
	double t0 = cb_now();
	cp->cmd = cmd;
	atomic_store(&cp->arrived, 0);
	atomic_store(&cp->done, 0);
	cp->seq = (cp->seq + 1) % (UINT32_MAX / CMD_SPAN);
	atomic_store(&cp->gen, (cp->seq + 1) * CMD_SPAN + (uint32_t)(cmd + 2));
	cb_futex_wake(&cp->gen, cp->n, false);
	if (cmd != CMD_STOP)
		wait_done(cp, cmd == CMD_ALL ? (uint32_t)cp->n : 1);
	cp->cost_s += cb_now() - t0;
}

static void alone_on(cb_capacity *cp, int i)
{
	command(cp, i);
	int k = cp->nalone[i]++ % ALONE_KEPT;
	cp->alone[i * ALONE_KEPT + k] = cp->last[i];
}

static double alone_s(const cb_capacity *cp, int i)
{
	int n = cp->nalone[i] < ALONE_KEPT ? cp->nalone[i] : ALONE_KEPT;
	double v[ALONE_KEPT];
	memcpy(v, cp->alone + i * ALONE_KEPT, (size_t)n * sizeof *v);
	cb_sort(v, (size_t)n);
	return n ? v[n / 2] : NAN;
}

void cb_capacity_set_length(cb_capacity *cp, double probe_ms)
{
	double ms = probe_ms > 0.05 ? probe_ms : 0.05;
	/* Each chain gets half the length. */
	uint64_t iters = (uint64_t)(ms * cp->per_ms) + 2;
	if (iters == cp->iters)
		return;
	cp->iters = iters;
	cp->int_iters = (uint64_t)(ms * cp->int_per_ms) + 2;
	/* Timings of another length are not this one's speed alone. */
	for (int r = 0; r < ALONE_KEPT; r++)
		for (int i = 0; i < cp->n; i++)
			alone_on(cp, i);
}

static void stop(cb_capacity *cp)
{
	command(cp, CMD_STOP);
	for (int i = 0; i < cp->started; i++)
		pthread_join(cp->tid[i], NULL);
}

cb_capacity *cb_capacity_open(const cb_topology *t, const int *pus, int n, double probe_ms, cb_error *err)
{
	if (n < 1 || (unsigned)n > CMD_SPAN - 2) {
		cb_error_set(err, CB_EXIT_FAIL, "capacity: %d PUs to probe (1 to %u can be)", n, CMD_SPAN - 2);
		return NULL;
	}
	cb_capacity *cp = cb_xcalloc(1, sizeof *cp);
	cp->t = t;
	cp->n = n;
	cp->pus = cb_xmalloc((size_t)n * sizeof *cp->pus);
	memcpy(cp->pus, pus, (size_t)n * sizeof *cp->pus);
	cp->tid = cb_xcalloc((size_t)n, sizeof *cp->tid);
	cp->bound = cb_xcalloc((size_t)n, sizeof *cp->bound);
	cp->last = cb_xcalloc((size_t)n, sizeof *cp->last);
	cp->alone = cb_xcalloc((size_t)n * ALONE_KEPT, sizeof *cp->alone);
	cp->nalone = cb_xcalloc((size_t)n, sizeof *cp->nalone);
	cp->fake = getenv("CB_CAPACITY_FAKE");
	probe_arg *args = cb_xcalloc((size_t)n, sizeof *args);
	for (int i = 0; i < n; i++) {
		args[i] = (probe_arg){ cp, i };
		if (pthread_create(&cp->tid[i], NULL, probe_main, &args[i]))
			break;
		cp->started++;
	}
	if (cp->started == n)
		wait_done(cp, (uint32_t)n);
	int unbound = -1;
	for (int i = 0; i < cp->started && unbound < 0; i++)
		if (!cp->bound[i])
			unbound = i;
	if (cp->started < n || unbound >= 0) {
		if (cp->started < n)
			atomic_store(&cp->done, (uint32_t)n);   /* nothing to wait for */
		stop(cp);
		cb_error_set(err, CB_EXIT_ENV, cp->started < n ? "capacity: cannot start a probe thread"
		             : "capacity: cannot bind a probe thread to PU %d", pus[unbound < 0 ? 0 : unbound]);
		free(args);
		cb_capacity_close(cp);
		return NULL;
	}
	/* Steps per ms of each chain on the first PU: the fastest of three
	 * short timings. */
	double best = INFINITY, best_int = INFINITY;
	for (int k = 0; k < 3; k++) {
		cp->iters = 2 * CALIBRATE_ITERS;
		cp->int_iters = 0;
		command(cp, 0);
		best = cp->last[0] < best ? cp->last[0] : best;
		cp->iters = 0;
		cp->int_iters = 2 * CALIBRATE_ITERS;
		command(cp, 0);
		best_int = cp->last[0] < best_int ? cp->last[0] : best_int;
	}
	cp->per_ms = CALIBRATE_ITERS / (best * 1e3);
	cp->int_per_ms = CALIBRATE_ITERS / (best_int * 1e3);
	cp->iters = 0;
	cb_capacity_set_length(cp, probe_ms);
	free(args);
	return cp;
}

double cb_capacity_fake(const char *spec, int pu, long k)
{
	int fpu;
	double speed;
	long count = -1;
	if (!spec || sscanf(spec, "%d:%lf:%ld", &fpu, &speed, &count) < 2 || fpu != pu)
		return 1;
	return count < 0 || k < count ? speed : 1;
}

/* Each PU's speed with all busy (its last timing) against alone, at
 * most 1, capped by the fake reading; their sum. */
static double together(const cb_capacity *cp, double *speed)
{
	double sum = 0;
	for (int i = 0; i < cp->n; i++) {
		double s = alone_s(cp, i) / cp->last[i];
		s = isfinite(s) ? (s > 1 ? 1 : s) : 1;
		double fake = cb_capacity_fake(cp->fake, cp->pus[i], cp->fake_k);
		speed[i] = s < fake ? s : fake;
		sum += speed[i];
	}
	return sum;
}

double cb_capacity_read(cb_capacity *cp, double *speed)
{
	double t0 = cb_now();
	double before = cp->cost_s;
	alone_on(cp, cp->next_alone);
	cp->next_alone = (cp->next_alone + 1) % cp->n;
	command(cp, CMD_ALL);
	double sum = together(cp, speed);
	if (sum < CB_CAPACITY_FULL * cp->n) {
		/* A low reading is taken again at once, and each PU keeps the
		 * faster of its two: a fraction of a millisecond can be lost to
		 * an interrupt or a vCPU's wakeup, while a host that shares a
		 * core or lends it away does so for seconds and shows twice. */
		double *first = cb_xmalloc((size_t)cp->n * sizeof *first);
		memcpy(first, cp->last, (size_t)cp->n * sizeof *first);
		command(cp, CMD_ALL);
		for (int i = 0; i < cp->n; i++)
			cp->last[i] = first[i] < cp->last[i] ? first[i] : cp->last[i];
		free(first);
		sum = together(cp, speed);
	}
	cp->fake_k++;
	cp->readings++;
	cp->cost_s = before + (cb_now() - t0);
	return sum;
}

int cb_capacity_npus(const cb_capacity *cp) { return cp->n; }
const int *cb_capacity_pus(const cb_capacity *cp) { return cp->pus; }

double cb_capacity_cost_s(const cb_capacity *cp, int *readings)
{
	if (readings)
		*readings = cp->readings;
	return cp->cost_s;
}

void cb_capacity_close(cb_capacity *cp)
{
	if (!cp)
		return;
	if (cp->started && cp->cmd != CMD_STOP)
		stop(cp);
	free(cp->pus);
	free(cp->tid);
	free(cp->bound);
	free(cp->last);
	free(cp->alone);
	free(cp->nalone);
	free(cp);
}

void cb_capacity_guest(const cb_worker_trace *trace, int nexec, const int *pus, int n, double *speed)
{
	for (int i = 0; i < n; i++) {
		double share = 0;
		bool counted = false;
		for (int e = 0; trace && e < nexec; e++) {
			if (trace[e].wall_s < CB_CAPACITY_MIN_WALL_S || CPU_COUNT(&trace[e].ran_on) != 1 ||
			    !CPU_ISSET(pus[i], &trace[e].ran_on) || trace[e].waits > 0)
				continue;
			share += trace[e].cpu_s / trace[e].wall_s;
			counted = true;
		}
		speed[i] = !counted || share > 1 ? 1 : share;
	}
}

void cb_capacity_dist_of(double *caps, size_t n, int pus, cb_capacity_dist *out)
{
	memset(out, 0, sizeof *out);
	out->pus = pus;
	out->n = n;
	if (!n) {
		out->median = out->p5 = out->min = out->below = NAN;
		return;
	}
	size_t below = 0;
	for (size_t i = 0; i < n; i++)
		below += caps[i] < CB_CAPACITY_FULL * pus;
	cb_sort(caps, n);
	out->median = cb_percentile_sorted(caps, n, 0.5);
	out->p5 = cb_percentile_sorted(caps, n, 0.05);
	out->min = caps[0];
	out->below = (double)below / (double)n;
}

int cb_capacity_sample(const cb_topology *t, const int *pus, int n, double seconds, double probe_ms,
                       double every_ms, cb_capacity_dist *out, cb_error *err)
{
	cb_capacity *cp = cb_capacity_open(t, pus, n, probe_ms, err);
	if (!cp)
		return -1;
	size_t cap = 64, m = 0;
	double *caps = cb_xmalloc(cap * sizeof *caps), *speed = cb_xcalloc((size_t)n, sizeof *speed);
	for (double end = cb_now() + seconds, next = cb_now(); cb_now() < end; next += every_ms * 1e-3) {
		double wait = next - cb_now();
		if (wait > 0) {
			struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
			nanosleep(&ts, NULL);
		}
		if (m == cap)
			caps = cb_xrealloc(caps, (cap *= 2) * sizeof *caps);
		caps[m++] = cb_capacity_read(cp, speed);
	}
	cb_capacity_dist_of(caps, m, n, out);
	out->probe_ms = probe_ms;
	free(caps);
	free(speed);
	cb_capacity_close(cp);
	return 0;
}
