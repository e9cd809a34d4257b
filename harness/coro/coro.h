/* Stackful coroutines and the scheduler that runs them, one scheduler per
 * OS thread. Coroutines switch with Boost.Context's fcontext (its C ABI in
 * libboost_context), run on mmap'ed stacks with a guard page, and park on
 * I/O: the scheduler's event loop (io_uring in coro_uring.c, epoll + timerfd
 * in coro_epoll.c, both behind cb_loop_backend) wakes them when their
 * operation completes. The coroutines strategy builds on this; nothing here
 * knows about jobs or tasks. */
#ifndef CB_CORO_H
#define CB_CORO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "base/io.h"

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
	/* The scheduler's own context, as a coroutine that is never queued:
	 * every switch, to or from it or between coroutines, is the same
	 * jump. Its stack bounds are the thread's, learnt on the first switch
	 * (ASan needs them). */
	cb_coro main;
	cb_coro *current;       /* NULL while the scheduler itself runs */
	cb_coro *head, *tail;   /* run queue (FIFO) */
	size_t live;            /* started and not yet finished */
	const cb_loop_backend *loop;
	void *loop_state;
	cb_io io;               /* { loop->io, this scheduler } */
	unsigned since_poll;    /* resumes since the loop was last polled */
	/* Wake-ups from other threads (cb_coro_wake_word): coroutines parked
	 * on a word, handed back through a list that the scheduler takes
	 * into its run queue; the eventfd wakes its loop when it sleeps. */
	size_t parked_words;    /* its coroutines parked in cb_coro_wait_word */
	int wake_fd;            /* eventfd, readable once a wake-up is queued */
	pthread_mutex_t remote_mu;
	cb_coro *remote_head, *remote_tail;
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

/* A futex for coroutines. cb_coro_wait_word parks the calling coroutine of
 * s while *word == val (checked under the word's lock, so no wake-up is
 * lost): its scheduler runs its other coroutines meanwhile and sleeps in
 * its loop when none can run. cb_coro_wake_word wakes every coroutine of
 * the process parked on word, on whichever scheduler (from any thread;
 * self, the caller's scheduler or NULL, is woken without a syscall). A
 * waiter may return without a wake-up (the word changed first): callers
 * check again. */
void cb_coro_wait_word(cb_sched *s, _Atomic uint32_t *word, uint32_t val);
void cb_coro_wake_word(cb_sched *self, _Atomic uint32_t *word);
/* The scheduler whose coroutine calls through io, or NULL when io is not
 * a coroutine scheduler's (blocking calls). */
cb_sched *cb_coro_sched_of(const cb_io *io);
/* Hands parked co back to s from another thread (cb_coro_wake_word). */
void cb_sched_remote_wake(cb_sched *s, cb_coro *co);
/* Takes the coroutines woken from other threads into the run queue
 * (cb_sched_run, around each poll of the loop). */
void cb_sched_take_remote(cb_sched *s);
/* Empties the wake_fd: the backends, when their loop reports it readable
 * (a wake-up queued after is seen at the next poll: the list is taken
 * after). */
void cb_sched_drain_wake(cb_sched *s);

/* Inside a coroutine. Both switch straight to the next runnable coroutine
 * (one jump), and to the scheduler only when the run queue is empty or the
 * loop is due a poll. */
/* cb_sched_yield(s): to the back of the run queue.
 * cb_sched_park(s): until someone calls cb_sched_wake. (Both below.) */
/* Appends co to a FIFO of coroutines linked through their `next`. */
static inline void cb__coro_append(cb_coro **head, cb_coro **tail, cb_coro *co)
{
	co->next = NULL;
	if (*tail)
		(*tail)->next = co;
	else
		*head = co;
	*tail = co;
}

/* From the loop (or another coroutine of the same scheduler). */
static inline void cb_sched_wake(cb_sched *s, cb_coro *co) { cb__coro_append(&s->head, &s->tail, co); }

/* The switch itself, inline: a coroutine resumes by "returning" from a
 * call made on another stack, so every return after a switch is one the
 * CPU's return-stack predictor gets wrong; inlining the jump into yield's
 * caller saves one of those per switch (a third of its cost, measured with
 * switch/scheduler_yield). Sanitizers are told about every stack change. */
#if defined(__SANITIZE_ADDRESS__)
#define CB__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CB__ASAN 1
#endif
#endif

#ifdef CB__ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CB__START_SWITCH(fake, lo, size) __sanitizer_start_switch_fiber(fake, lo, size)
#define CB__FINISH_SWITCH(fake, lo, size) __sanitizer_finish_switch_fiber(fake, lo, size)
#define CB__UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define CB__START_SWITCH(fake, lo, size) ((void)(fake), (void)(lo), (void)(size))
#define CB__FINISH_SWITCH(fake, lo, size) ((void)(fake), (void)(lo), (void)(size))
#define CB__UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ThreadSanitizer must know which stack runs, or it mixes up the
 * happens-before histories of coroutines sharing a thread. */
#if defined(__SANITIZE_THREAD__)
#define CB__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CB__TSAN 1
#endif
#endif

#ifdef CB__TSAN
#include <sanitizer/tsan_interface.h>
#define CB__TSAN_CREATE() __tsan_create_fiber(0)
#define CB__TSAN_DESTROY(f) __tsan_destroy_fiber(f)
#define CB__TSAN_CURRENT() __tsan_get_current_fiber()
#define CB__TSAN_SWITCH(f) __tsan_switch_to_fiber(f, 0)
#else
#define CB__TSAN_CREATE() NULL
#define CB__TSAN_DESTROY(f) ((void)(f))
#define CB__TSAN_CURRENT() NULL
#define CB__TSAN_SWITCH(f) ((void)(f))
#endif

/* Without a poll now and then, coroutines that only yield would starve
 * the ones whose I/O has completed. */
#define CB__POLL_EVERY 64

/* Every jump hands over the coroutine it leaves; whoever lands stores the
 * context that coroutine will resume at. Returns the one it came from. */
static inline cb_coro *cb__sched_jump(cb_sched *s, cb_coro *from, cb_coro *to)
{
	s->current = to == &s->main ? NULL : to;
	/* A finished coroutine never comes back: NULL lets ASan drop its fake
	 * stack. */
	CB__START_SWITCH(from->done ? NULL : &from->asan_fake, to->stack.lo, to->stack.size);
	CB__TSAN_SWITCH(to->tsan_fiber);
	transfer_t t = jump_fcontext(to->ctx, from);
	cb_coro *prev = t.data;
	prev->ctx = t.fctx;
#ifdef CB__ASAN
	const void *lo;
	size_t size;
	CB__FINISH_SWITCH(from->asan_fake, &lo, &size);
	if (prev == &s->main) {
		s->main.stack.lo = (void *)lo;
		s->main.stack.size = size;
	}
#endif
	return prev;
}

/* The next coroutine to run instead of `me`, or the scheduler; NULL when
 * `me` is the only runnable one and may simply go on. */
static inline cb_coro *cb__sched_next(cb_sched *s, cb_coro *me)
{
	cb_coro *next = s->head;
	if (!next || s->since_poll >= CB__POLL_EVERY)
		return &s->main;
	s->head = next->next;
	if (!s->head)
		s->tail = NULL;
	s->since_poll++;
	return next == me ? NULL : next;
}

static inline void cb_sched_yield(cb_sched *s)
{
	cb_coro *co = s->current;
	cb_sched_wake(s, co);
	cb_coro *to = cb__sched_next(s, co);
	if (to)
		cb__sched_jump(s, co, to);
}

static inline void cb_sched_park(cb_sched *s)
{
	cb_coro *co = s->current;
	cb_coro *to = cb__sched_next(s, co);   /* never co: it is not queued */
	cb__sched_jump(s, co, to);
}

#endif
