/* The coroutine core (see coro.h): guarded stacks, fcontext switches with
 * AddressSanitizer told about every stack change, and the scheduler loop
 * that runs queued coroutines and waits in the event loop when none is
 * runnable. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coro.h"

#if defined(__SANITIZE_ADDRESS__)
#define CB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CB_ASAN 1
#endif
#endif

#ifdef CB_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define START_SWITCH(fake, lo, size) __sanitizer_start_switch_fiber(fake, lo, size)
#define FINISH_SWITCH(fake, lo, size) __sanitizer_finish_switch_fiber(fake, lo, size)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define START_SWITCH(fake, lo, size) ((void)(fake), (void)(lo), (void)(size))
#define FINISH_SWITCH(fake, lo, size) ((void)(fake), (void)(lo), (void)(size))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ThreadSanitizer must know which stack runs, or it mixes up the
 * happens-before histories of coroutines sharing a thread. */
#if defined(__SANITIZE_THREAD__)
#define CB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CB_TSAN 1
#endif
#endif

#ifdef CB_TSAN
#include <sanitizer/tsan_interface.h>
#define TSAN_CREATE() __tsan_create_fiber(0)
#define TSAN_DESTROY(f) __tsan_destroy_fiber(f)
#define TSAN_CURRENT() __tsan_get_current_fiber()
#define TSAN_SWITCH(f) __tsan_switch_to_fiber(f, 0)
#else
#define TSAN_CREATE() NULL
#define TSAN_DESTROY(f) ((void)(f))
#define TSAN_CURRENT() NULL
#define TSAN_SWITCH(f) ((void)(f))
#endif

/* Without a poll now and then, coroutines that only yield would starve
 * the ones whose I/O has completed. */
#define POLL_EVERY 64

int cb_stack_alloc(cb_stack *s, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size = (size + page - 1) / page * page;
	memset(s, 0, sizeof *s);
	/* MAP_NORESERVE: 10,000 stacks of 64 KiB are 640 MB of address space
	 * but only the pages they touch are memory. */
	void *m = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	if (mprotect(m, page, PROT_NONE)) {
		int e = errno;
		munmap(m, size + page);
		return -e;
	}
	s->map = m;
	s->len = size + page;
	s->lo = (char *)m + page;
	s->size = size;
	return 0;
}

void cb_stack_free(cb_stack *s)
{
	/* Frames that never returned (a finished coroutine's entry, a parked
	 * one abandoned) leave poison behind, which the next mapping at this
	 * address (an io_uring ring, another stack) would inherit. */
	if (s->map) {
		UNPOISON(s->lo, s->size);
		munmap(s->map, s->len);
	}
	memset(s, 0, sizeof *s);
}

/* The coroutine side of a switch to the scheduler and back. */
static void switch_to_sched(cb_sched *s, cb_coro *co)
{
	START_SWITCH(&co->asan_fake, s->asan_lo, s->asan_size);
	TSAN_SWITCH(s->tsan_main);
	transfer_t t = jump_fcontext(s->main_ctx, NULL);
	FINISH_SWITCH(co->asan_fake, &s->asan_lo, &s->asan_size);
	s->main_ctx = t.fctx;
}

static void coro_entry(transfer_t t)
{
	cb_coro *co = t.data;
	cb_sched *s = co->sched;
	FINISH_SWITCH(NULL, &s->asan_lo, &s->asan_size);
	s->main_ctx = t.fctx;
	co->fn(co, co->arg);
	co->done = true;
	s->live--;
	/* A finished coroutine never comes back: NULL lets ASan drop its fake
	 * stack. */
	START_SWITCH(NULL, s->asan_lo, s->asan_size);
	TSAN_SWITCH(s->tsan_main);
	jump_fcontext(s->main_ctx, NULL);
	__builtin_unreachable();
}

void cb_coro_start(cb_sched *s, cb_coro *co, const cb_stack *stack, cb_coro_fn fn, void *arg)
{
	memset(co, 0, sizeof *co);
	co->sched = s;
	co->fn = fn;
	co->arg = arg;
	co->stack = *stack;
	/* A reused stack still carries the poison of the frames that never
	 * returned (the last coroutine's entry frame). */
	UNPOISON(stack->lo, stack->size);
	co->ctx = make_fcontext(cb_stack_top(stack), stack->size, coro_entry);
	co->tsan_fiber = TSAN_CREATE();
	s->live++;
	cb_sched_wake(s, co);
}

static void resume(cb_sched *s, cb_coro *co)
{
	s->current = co;
	s->tsan_main = TSAN_CURRENT();
	START_SWITCH(&s->asan_fake, co->stack.lo, co->stack.size);
	TSAN_SWITCH(co->tsan_fiber);
	transfer_t t = jump_fcontext(co->ctx, co);
	FINISH_SWITCH(s->asan_fake, NULL, NULL);
	co->ctx = t.fctx;
	s->current = NULL;
	if (co->done)
		TSAN_DESTROY(co->tsan_fiber);
}

void cb_sched_yield(cb_sched *s)
{
	cb_coro *co = s->current;
	cb_sched_wake(s, co);
	switch_to_sched(s, co);
}

void cb_sched_park(cb_sched *s)
{
	switch_to_sched(s, s->current);
}

int cb_sched_init(cb_sched *s, const cb_loop_backend *loop, unsigned depth)
{
	memset(s, 0, sizeof *s);
	s->loop = loop;
	s->io.ops = loop->io;
	s->io.ctx = s;
	return loop->open(s, depth ? depth : 1, &s->loop_state);
}

void cb_sched_fini(cb_sched *s)
{
	if (s->loop && s->loop_state)
		s->loop->close(s->loop_state);
	s->loop_state = NULL;
}

int cb_sched_run(cb_sched *s)
{
	while (s->live) {
		cb_coro *co = s->head;
		if (co && s->since_poll < POLL_EVERY) {
			s->head = co->next;
			if (!s->head)
				s->tail = NULL;
			s->since_poll++;
			resume(s, co);
			continue;
		}
		s->since_poll = 0;
		bool block = !s->head;
		if (block && !s->loop->inflight(s->loop_state))
			return -EDEADLK;
		int rc = s->loop->poll(s, block);
		if (rc < 0)
			return rc;
	}
	/* Requests queued by the last coroutines (none today: every operation
	 * parks until it completes) would be submitted here. */
	return 0;
}
