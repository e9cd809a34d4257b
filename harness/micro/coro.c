/* Micro-benchmarks of the coroutine core, for `concbench micro`: a raw
 * jump_fcontext round trip (the floor), the same round trip through the
 * scheduler's run queue (what a yielding coroutine pays), and starting a
 * coroutine on a pooled stack through to its end. Registered through the
 * Google Benchmark shim; per iteration times are per round trip / start. */
#include <stdlib.h>

#include "coro/coro.h"
#include "engine/gbench.h"
#include "micro/micro.h"

#define STACK (64 * 1024)

/* ---- switch/fcontext_roundtrip ---- */

static void bounce(transfer_t t)
{
	for (;;)
		t = jump_fcontext(t.fctx, t.data);
}

static void fcontext_roundtrip(cb_gb_state *st, void *arg)
{
	(void)arg;
	cb_stack stack;
	if (cb_stack_alloc(&stack, STACK)) {
		cb_gb_skip_with_error(st, "cannot map a stack");
		return;
	}
	fcontext_t ctx = make_fcontext(cb_stack_top(&stack), stack.size, bounce);
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++) {
			transfer_t t = jump_fcontext(ctx, NULL);
			ctx = t.fctx;
		}
	/* The bouncing coroutine is abandoned; its stack goes with it. */
	cb_stack_free(&stack);
}

/* ---- the scheduler's benchmarks run inside a scheduler ---- */

static int open_sched(cb_sched *s)
{
	if (!cb_sched_init(s, &cb_loop_uring, 64))
		return 0;
	cb_sched_fini(s);
	return cb_sched_init(s, &cb_loop_epoll, 64);
}

/* Two coroutines yield to each other: one iteration is A -> B -> A, the
 * same two switches as the raw round trip, each through the run queue. */
typedef struct { cb_gb_state *st; bool stop; } yield_pair;

static void yield_body(cb_coro *co, void *arg)
{
	yield_pair *yp = arg;
	for (int64_t n; (n = cb_gb_batch(yp->st)) > 0;)
		for (int64_t i = 0; i < n; i++)
			cb_sched_yield(co->sched);
	yp->stop = true;
}

static void yield_partner(cb_coro *co, void *arg)
{
	yield_pair *yp = arg;
	while (!yp->stop)
		cb_sched_yield(co->sched);
}

static void scheduler_yield(cb_gb_state *st, void *arg)
{
	(void)arg;
	cb_sched s;
	cb_stack stack[2];
	cb_coro co[2];
	yield_pair yp = { st, false };
	if (open_sched(&s)) {
		cb_gb_skip_with_error(st, "cannot open an event loop");
		return;
	}
	if (cb_stack_alloc(&stack[0], STACK) || cb_stack_alloc(&stack[1], STACK)) {
		cb_stack_free(&stack[0]);
		cb_sched_fini(&s);
		cb_gb_skip_with_error(st, "cannot map a stack");
		return;
	}
	cb_gb_set_label(st, s.loop->name);
	cb_coro_start(&s, &co[0], &stack[0], yield_body, &yp);
	cb_coro_start(&s, &co[1], &stack[1], yield_partner, &yp);
	if (cb_sched_run(&s))
		cb_gb_skip_with_error(st, "the scheduler failed");
	cb_stack_free(&stack[0]);
	cb_stack_free(&stack[1]);
	cb_sched_fini(&s);
}

static void empty_body(cb_coro *co, void *arg)
{
	(void)co;
	(void)arg;
}

static void coroutine_create_first_switch(cb_gb_state *st, void *arg)
{
	(void)arg;
	cb_sched s;
	cb_stack stack;
	cb_coro co;
	if (open_sched(&s)) {
		cb_gb_skip_with_error(st, "cannot open an event loop");
		return;
	}
	if (cb_stack_alloc(&stack, STACK)) {
		cb_sched_fini(&s);
		cb_gb_skip_with_error(st, "cannot map a stack");
		return;
	}
	cb_gb_set_label(st, s.loop->name);
	int rc = 0;
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++) {
			cb_coro_start(&s, &co, &stack, empty_body, NULL);
			rc |= cb_sched_run(&s);
		}
	if (rc)
		cb_gb_skip_with_error(st, "the scheduler failed");
	cb_stack_free(&stack);
	cb_sched_fini(&s);
}

void cb_micro_register_coro(void)
{
	cb_gb_time_unit(cb_gb_register("switch/fcontext_roundtrip", fcontext_roundtrip, NULL), CB_GB_NS);
	cb_gb_time_unit(cb_gb_register("switch/scheduler_yield", scheduler_yield, NULL), CB_GB_NS);
	cb_gb_time_unit(cb_gb_register("start/coroutine_create_first_switch", coroutine_create_first_switch, NULL),
	                CB_GB_NS);
}
