/* The coroutine core (see coro.h): guarded stacks, fcontext switches with
 * AddressSanitizer told about every stack change, and the scheduler loop
 * that runs queued coroutines and waits in the event loop when none is
 * runnable. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
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
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0)
		return -errno;
	pthread_mutex_init(&s->remote_mu, NULL);
	int rc = loop->open(s, depth ? depth : 1, &s->loop_state);
	if (rc < 0) {
		close(s->wake_fd);
		s->wake_fd = -1;
		pthread_mutex_destroy(&s->remote_mu);
	}
	return rc;
}

void cb_sched_fini(cb_sched *s)
{
	if (s->loop && s->loop_state) {
		s->loop->close(s->loop_state);
		close(s->wake_fd);
		pthread_mutex_destroy(&s->remote_mu);
	}
	s->loop_state = NULL;
	s->wake_fd = -1;
}

void cb_sched_remote_wake(cb_sched *s, cb_coro *co)
{
	pthread_mutex_lock(&s->remote_mu);
	cb__coro_append(&s->remote_head, &s->remote_tail, co);
	pthread_mutex_unlock(&s->remote_mu);
	uint64_t one = 1;
	/* Only EAGAIN can fail it (the counter full): it is readable then. */
	ssize_t rc = write(s->wake_fd, &one, sizeof one);
	(void)rc;
}

void cb_sched_drain_wake(cb_sched *s)
{
	uint64_t v;
	ssize_t rc = read(s->wake_fd, &v, sizeof v);
	(void)rc;
}

/* A coroutine queued after the list is taken comes with a write to the
 * eventfd after it, so the loop does not sleep through it. */
void cb_sched_take_remote(cb_sched *s)
{
	if (!s->parked_words)
		return;
	pthread_mutex_lock(&s->remote_mu);
	cb_coro *co = s->remote_head;
	s->remote_head = s->remote_tail = NULL;
	pthread_mutex_unlock(&s->remote_mu);
	while (co) {
		cb_coro *next = co->next;
		s->parked_words--;
		cb_sched_wake(s, co);
		co = next;
	}
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
		cb_sched_take_remote(s);
		bool block = !s->head;
		/* Coroutines parked on a word wait for another thread's wake-up,
		 * which the loop sees (the eventfd). */
		if (block && !s->loop->inflight(s->loop_state) && !s->parked_words)
			return -EDEADLK;
		int rc = s->loop->poll(s, block);
		if (rc < 0)
			return rc;
		cb_sched_take_remote(s);
	}
	/* Requests queued by the last coroutines (none today: every operation
	 * parks until it completes) would be submitted here. */
	return 0;
}
