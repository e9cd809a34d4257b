/* The micro-benchmark family table: one line per family, the one place a
 * family is listed (list, filters, --help and the run are generated from
 * it), and the lookups over it. */
#include <stdio.h>
#include <string.h>

#include "micro/micro.h"

const cb_micro_family cb_micro_families[] = {
	{ "shim", "the measurement shim's own cost: C batch loop, per-iteration loop, native C++",
	  cb_gb_register_shim_overhead },
	{ "start", "start a worker and wait for it: thread, fork, vfork+exec, posix_spawn",
	  cb_micro_register_start },
	{ "switch", "coroutine switches: fcontext round trip, scheduler yield, create+first switch",
	  cb_micro_register_coro },
	{ "pingpong", "round trip between two threads (futex, condvar, eventfd) or processes (pipe), same PU and across PUs",
	  cb_micro_register_pingpong },
	{ "sync", "locks, semaphores, condvars, events, barriers, atomics: 1..N pinned threads, and across processes",
	  cb_micro_register_sync },
	{ "handover", "producer to consumer, 8 B and 4 KiB items: queues, rings, pipe, sockets, mqueue, TCP",
	  cb_micro_register_handover },
	{ "pools", "submit-to-result of an empty job: every strategy's dispatch and join, 1 and 2 workers",
	  cb_micro_register_dispatch },
	{ "timers", "lateness of 1 us .. 10 ms waits: clock_nanosleep, timerfd, io_uring timeout",
	  cb_micro_register_timers },
	{ NULL, NULL, NULL },
};

const cb_micro_family *cb_micro_family_find(const char *name)
{
	for (const cb_micro_family *f = cb_micro_families; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

const char *cb_micro_family_names(void)
{
	static char buf[512];
	if (!*buf)
		for (const cb_micro_family *f = cb_micro_families; f->name; f++)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
			         f == cb_micro_families ? "" : ", ", f->name);
	return buf;
}
