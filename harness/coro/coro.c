/* The coroutine core (see coro.h): guarded stacks, fcontext switches with
 * AddressSanitizer told about every stack change, and the scheduler loop
 * that runs queued coroutines and waits in the event loop when none is
 * runnable. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coro/coro.h"


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
		CB__UNPOISON(s->lo, s->size);
		munmap(s->map, s->len);
	}
	memset(s, 0, sizeof *s);
}

static void coro_entry(transfer_t t)
{
	cb_coro *prev = t.data;
	prev->ctx = t.fctx;
	cb_sched *s = prev->sched;
	cb_coro *co = s->current;
#ifdef CB__ASAN
	const void *lo;
	size_t size;
	CB__FINISH_SWITCH(NULL, &lo, &size);
	if (prev == &s->main) {
		s->main.stack.lo = (void *)lo;
		s->main.stack.size = size;
	}
#endif
	co->fn(co, co->arg);
	co->done = true;
	s->live--;
	/* Back to the scheduler, which retires it. */
	cb__sched_jump(s, co, &s->main);
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
	CB__UNPOISON(stack->lo, stack->size);
	/* Stack tops are page-aligned, so every coroutine's saved context
	 * would sit at the same low 12 address bits, and the CPU takes loads
	 * from one for dependants of stores to another ("4K aliasing"). A
	 * colour per stack (from its address, 16 colours a cache line apart)
	 * keeps neighbours apart; it made switch/scheduler_yield a little
	 * faster and steadier here. Colours stay under 1 KiB: wider ones
	 * pushed a parked io.sleep coroutine's frames onto a second page
	 * (10 KiB of RSS per coroutine instead of 5). */
	size_t colour = ((uintptr_t)stack->lo >> 12) % 16 * 64;
	co->ctx = make_fcontext((char *)cb_stack_top(stack) - colour, stack->size - colour, coro_entry);
	co->tsan_fiber = CB__TSAN_CREATE();
	s->live++;
	cb_sched_wake(s, co);
}

int cb_sched_init(cb_sched *s, const cb_loop_backend *loop, unsigned depth)
{
	memset(s, 0, sizeof *s);
	s->main.sched = s;
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
	s->main.tsan_fiber = CB__TSAN_CURRENT();
	while (s->live) {
		if (s->head && s->since_poll < CB__POLL_EVERY) {
			cb_coro *prev = cb__sched_jump(s, &s->main, cb__sched_next(s, &s->main));
			if (prev->done)
				CB__TSAN_DESTROY(prev->tsan_fiber);
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
