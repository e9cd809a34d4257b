/* pingpong: one round trip between two workers — threads through a futex,
 * a condition variable or a pair of eventfds, processes through a pair of
 * pipes as `perf bench sched pipe` does — with both on one PU and across
 * two PUs (and the pipe unpinned, perf's own setting). Each side counts
 * what it saw; the numbers must come back in order on both sides. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/common.h"
#include "base/futex.h"
#include "micro/micro.h"

typedef struct pp {
	_Atomic uint32_t flag;        /* futex: 2i-1 = ping sent i, 2i = pong answered */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t turn;                /* condvar: same encoding as flag */
	int fd[4];                    /* eventfd a, b or pipe a[0..1], b[0..1] */
	int64_t seen[2];              /* round trips each side completed */
	int64_t bad[2];               /* out-of-order or short messages */
} pp;

typedef struct pp_kind {
	const char *name;
	const char *model;
	bool processes;
	int (*setup)(pp *p);
	cb_micro_work_fn side;
	void (*teardown)(pp *p);
} pp_kind;

static void futex_side(void *ctx, int idx, int64_t n)
{
	pp *p = ctx;
	for (int64_t i = 1; i <= n; i++) {
		uint32_t sent = (uint32_t)(2 * i - 1), answered = (uint32_t)(2 * i);
		if (idx == 0) {
			atomic_store(&p->flag, sent);
			cb_futex_wake(&p->flag, 1, true);
			for (uint32_t v; (v = atomic_load(&p->flag)) != answered;)
				cb_futex_wait(&p->flag, v, NULL, true);
		} else {
			for (uint32_t v; (v = atomic_load(&p->flag)) != sent;)
				cb_futex_wait(&p->flag, v, NULL, true);
			atomic_store(&p->flag, answered);
			cb_futex_wake(&p->flag, 1, true);
		}
		p->seen[idx]++;
	}
}

static int condvar_setup(pp *p)
{
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return 0;
}

static void condvar_teardown(pp *p)
{
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}

/* One condvar, both sides waiting on it for their turn: the shape of a
 * Condition used as a baton. */
static void condvar_side(void *ctx, int idx, int64_t n)
{
	pp *p = ctx;
	for (int64_t i = 1; i <= n; i++) {
		uint64_t mine = (uint64_t)(2 * i - 1 + idx), wait_for = (uint64_t)(2 * i - 2 + idx);
		pthread_mutex_lock(&p->mu);
		while (p->turn != wait_for)
			pthread_cond_wait(&p->cv, &p->mu);
		p->turn = mine;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		p->seen[idx]++;
	}
	if (idx == 0) {   /* the last answer */
		pthread_mutex_lock(&p->mu);
		while (p->turn != (uint64_t)(2 * n))
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
	}
}

static int eventfd_setup(pp *p)
{
	p->fd[0] = eventfd(0, EFD_CLOEXEC);
	p->fd[1] = eventfd(0, EFD_CLOEXEC);
	return p->fd[0] < 0 || p->fd[1] < 0 ? -errno : 0;
}

static void close_fds(pp *p)
{
	for (int i = 0; i < 4; i++)
		if (p->fd[i] > 0)
			close(p->fd[i]);
}

static void eventfd_side(void *ctx, int idx, int64_t n)
{
	pp *p = ctx;
	int out = p->fd[idx], in = p->fd[1 - idx];
	uint64_t one = 1, got;
	for (int64_t i = 0; i < n; i++) {
		if (idx == 1 && (read(in, &got, sizeof got) != sizeof got || got != 1))
			p->bad[idx]++;
		if (write(out, &one, sizeof one) != sizeof one)
			p->bad[idx]++;
		if (idx == 0 && (read(in, &got, sizeof got) != sizeof got || got != 1))
			p->bad[idx]++;
		p->seen[idx]++;
	}
}

static int pipe_setup(pp *p)
{
	return pipe2(p->fd, O_CLOEXEC) || pipe2(p->fd + 2, O_CLOEXEC) ? -errno : 0;
}

/* perf bench sched pipe's loop: an int out, the same int back. */
static void pipe_side(void *ctx, int idx, int64_t n)
{
	pp *p = ctx;
	int out = idx == 0 ? p->fd[1] : p->fd[3], in = idx == 0 ? p->fd[2] : p->fd[0];
	for (int64_t i = 0; i < n; i++) {
		int m = (int)i, got = -1;
		if (idx == 1) {
			if (read(in, &got, sizeof got) != sizeof got || got != m)
				p->bad[idx]++;
			if (write(out, &got, sizeof got) != sizeof got)
				p->bad[idx]++;
		} else {
			if (write(out, &m, sizeof m) != sizeof m)
				p->bad[idx]++;
			if (read(in, &got, sizeof got) != sizeof got || got != m)
				p->bad[idx]++;
		}
		p->seen[idx]++;
	}
}

static const pp_kind kinds[] = {
	{ "futex", "threads", false, NULL, futex_side, NULL },
	{ "condvar", "threads", false, condvar_setup, condvar_side, condvar_teardown },
	{ "eventfd", "threads", false, eventfd_setup, eventfd_side, close_fds },
	{ "pipe", "processes", true, pipe_setup, pipe_side, close_fds },
};

typedef struct pp_bench {
	const pp_kind *kind;
	cb_micro_place place;
} pp_bench;

static void pingpong(cb_gb_state *st, void *arg)
{
	const pp_bench *b = arg;
	pp *p = cb_shared_alloc(sizeof *p);
	int64_t n = 0;
	int rc;
	cb_gb_set_label(st, b->kind->model);
	for (int i = 0; i < 4; i++)
		p->fd[i] = -1;
	if (b->kind->setup && (rc = b->kind->setup(p))) {
		cb_micro_skip(st, "%s: %s", b->kind->name, strerror(-rc));
		goto out;
	}
	if (cb_micro_crew_body(st, 2, b->place, b->kind->processes, b->kind->side, p, &n)) {
		cb_gb_counter(st, "workers", 2, CB_GB_COUNTER_DEFAULT);
		if (p->seen[0] != n || p->seen[1] != n || p->bad[0] || p->bad[1] ||
		    (b->kind->side == futex_side && atomic_load(&p->flag) != (uint32_t)(2 * n)))
			cb_micro_fail(st, "%s: %lld round trips asked, ping saw %lld, pong %lld, %lld bad messages",
			              b->kind->name, (long long)n, (long long)p->seen[0], (long long)p->seen[1],
			              (long long)(p->bad[0] + p->bad[1]));
	}
	if (b->kind->teardown)
		b->kind->teardown(p);
out:
	cb_shared_free(p, sizeof *p);
}

#define NKINDS (sizeof kinds / sizeof *kinds)
static pp_bench benches[NKINDS * 3];

void cb_micro_register_pingpong(void)
{
	static const struct { const char *name; cb_micro_place place; } places[] = {
		{ "same_pu", CB_MICRO_SAME_PU }, { "cross_pu", CB_MICRO_CROSS_PU }, { "unpinned", CB_MICRO_UNBOUND },
	};
	int k = 0;
	for (size_t i = 0; i < NKINDS; i++)
		for (size_t j = 0; j < 3; j++) {
			/* Unpinned only for the pipe, to set beside perf bench. */
			if (places[j].place == CB_MICRO_UNBOUND && strcmp(kinds[i].name, "pipe"))
				continue;
			benches[k] = (pp_bench){ &kinds[i], places[j].place };
			char name[96];
			snprintf(name, sizeof name, "pingpong/%s/%s", kinds[i].name, places[j].name);
			cb_micro_add(name, pingpong, &benches[k++]);
		}
}
