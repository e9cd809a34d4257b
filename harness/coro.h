/* Stackful coroutines and the scheduler that runs them, one scheduler per
 * OS thread. Coroutines switch with Boost.Context's fcontext (its C ABI in
 * libboost_context), run on mmap'ed stacks with a guard page, and park on
 * I/O: the scheduler's event loop (io_uring in coro_uring.c, epoll + timerfd
 * in coro_epoll.c, both behind cb_loop_backend) wakes them when their
 * operation completes. The coroutines strategy builds on this; nothing here
 * knows about jobs or tasks. */
#ifndef CB_CORO_H
#define CB_CORO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "io.h"

/* Boost.Context's C ABI (boost/context/detail/fcontext.hpp), declared here
 * so that C needs no Boost header. */
typedef void *fcontext_t;
typedef struct { fcontext_t fctx; void *data; } transfer_t;
transfer_t jump_fcontext(fcontext_t const to, void *vp);
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));

/* A stack: `size` usable bytes above one PROT_NONE guard page, so that an
 * overflow faults instead of corrupting the neighbour. */
typedef struct cb_stack {
	void *map;      /* the mapping, guard page included */
	size_t len;     /* its length */
	void *lo;       /* lowest usable byte (just above the guard) */
	size_t size;    /* usable bytes */
} cb_stack;
/* 0 or -errno (ENOMEM also when vm.max_map_count runs out). */
int cb_stack_alloc(cb_stack *s, size_t size);
void cb_stack_free(cb_stack *s);
static inline void *cb_stack_top(const cb_stack *s) { return (char *)s->lo + s->size; }

typedef struct cb_sched cb_sched;
typedef struct cb_coro cb_coro;
typedef void (*cb_coro_fn)(cb_coro *co, void *arg);

struct cb_coro {
	fcontext_t ctx;         /* where the coroutine resumes */
	cb_sched *sched;
	cb_coro_fn fn;
	void *arg;
	cb_stack stack;         /* owned by whoever gave it to cb_coro_init */
	cb_coro *next;          /* run queue link */
	intptr_t result;        /* what the loop hands back on wake-up */
	bool done;
	void *asan_fake;        /* ASan's fake stack while switched away */
	void *tsan_fiber;       /* TSan's record of this stack */
};

/* The event loop a scheduler waits in. Each backend also supplies the
 * cb_io_ops its coroutines call: an operation queues its request, parks
 * the calling coroutine (cb_sched_park) and returns the result the loop
 * stored in co->result when it woke it (cb_sched_wake). */
typedef struct cb_loop_backend {
	const char *name;
	const cb_io_ops *io;
	/* Creates the loop state for a scheduler that will have at most
	 * `depth` operations in flight. 0 or -errno (the caller decides
	 * whether that means "fall back"). */
	int (*open)(cb_sched *s, unsigned depth, void **state);
	void (*close)(void *state);
	/* Hands queued requests to the kernel and wakes the coroutines whose
	 * operations completed; with `block`, waits for at least one. Returns
	 * the number woken or -errno. */
	int (*poll)(cb_sched *s, bool block);
	/* Operations in flight (parked coroutines the loop will wake). */
	size_t (*inflight)(void *state);
} cb_loop_backend;

extern const cb_loop_backend cb_loop_uring;
extern const cb_loop_backend cb_loop_epoll;

struct cb_sched {
	fcontext_t main_ctx;    /* the scheduler's own context while a coroutine runs */
	cb_coro *current;
	cb_coro *head, *tail;   /* run queue (FIFO) */
	size_t live;            /* started and not yet finished */
	const cb_loop_backend *loop;
	void *loop_state;
	cb_io io;               /* { loop->io, this scheduler } */
	unsigned since_poll;    /* resumes since the loop was last polled */
	void *asan_fake;        /* ASan bookkeeping of the thread's own stack */
	const void *asan_lo;
	size_t asan_size;
	void *tsan_main;        /* TSan's record of the thread's own stack */
};

/* Opens the scheduler on `loop`; 0 or -errno from the backend. */
int cb_sched_init(cb_sched *s, const cb_loop_backend *loop, unsigned depth);
void cb_sched_fini(cb_sched *s);
/* Prepares co to run fn(co, arg) on stack (which must outlive the run) and
 * queues it. Cheap: no allocation, no syscall; a stack may be reused for a
 * new coroutine once the previous one on it is done. */
void cb_coro_start(cb_sched *s, cb_coro *co, const cb_stack *stack, cb_coro_fn fn, void *arg);
/* Runs until every started coroutine is done. 0, or -errno when the loop
 * fails or coroutines are parked with nothing in flight to wake them
 * (-EDEADLK): the run then stops instead of hanging, leaving them parked. */
int cb_sched_run(cb_sched *s);

/* Inside a coroutine. */
void cb_sched_yield(cb_sched *s);    /* back of the run queue */
void cb_sched_park(cb_sched *s);     /* until someone calls cb_sched_wake */
/* From the loop (or another coroutine of the same scheduler). */
static inline void cb_sched_wake(cb_sched *s, cb_coro *co)
{
	co->next = NULL;
	if (s->tail)
		s->tail->next = co;
	else
		s->head = co;
	s->tail = co;
}

#endif
