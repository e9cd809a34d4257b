/* `concbench micro`: the price list. Families of Google Benchmark
 * micro-benchmarks in one table (like perf bench's collections), each
 * family one file harness/micro_<family>.c with one registration function;
 * cmd_micro.c selects, runs and records them as cells of kind "micro".
 * Helpers here are shared by the families: the pinned crew of threads or
 * processes a benchmark runs on, verification and skip messages, latency
 * percentiles. */
#ifndef CB_MICRO_H
#define CB_MICRO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/gbench.h"
#include "base/topology.h"

typedef struct cb_micro_family {
	const char *name;
	const char *summary;
	void (*register_fn)(void);   /* registers the family's benchmarks */
} cb_micro_family;

/* The table; terminated by an entry with a NULL name. */
extern const cb_micro_family cb_micro_families[];
const cb_micro_family *cb_micro_family_find(const char *name);

/* The families' registration functions. */
void cb_micro_register_start(void);
void cb_micro_register_pingpong(void);
void cb_micro_register_sync(void);
void cb_micro_register_handover(void);
void cb_micro_register_timers(void);
/* From the pool and coroutine engines (micro/dispatch.c, micro/coro.c);
 * their table lines are in micro/registry.c. */
void cb_micro_register_dispatch(void);
void cb_micro_register_coro(void);

/* The link in the results root to the newest micro run: the price list
 * run reads each strategy's dispatch price from (pools/NAME_empty_job). */
#define CB_MICRO_LATEST "latest-micro"

/* Where benchmarks run. The command fills it before registering; NULL
 * (tests) means nothing is bound and cross-PU benchmarks run unbound. */
#define CB_MICRO_MAX_CREW 64
typedef struct cb_micro_env {
	const cb_topology *topo;
	int max_threads;                 /* N of the contended 1..N series */
	hwloc_bitmap_t sets[CB_MICRO_MAX_CREW]; /* policy placement; NULL: unbound */
	int pus[CB_MICRO_MAX_CREW];      /* OS index per worker, -1 unbound */
	hwloc_bitmap_t pair[2];          /* same-PU / cross-PU benchmarks */
	int pair_pu[2];
	const char *cross_why;           /* non-NULL: cross-PU cannot run here */
} cb_micro_env;
void cb_micro_env_set(const cb_micro_env *env);
const cb_micro_env *cb_micro_env_get(void);
/* Threads for the contended series: env's max_threads, or 2 without env. */
int cb_micro_max_threads(void);

/* Registers a benchmark with manual time: bodies time exactly their work
 * (cb_now() around the batch) and report it with cb_gb_set_iteration_time,
 * so blocking benchmarks are not judged by the CPU time they do not use. */
cb_gb_bench *cb_micro_add(const char *name, cb_gb_fn fn, void *arg);

/* Skip-with-error messages: a benchmark that cannot run here is
 * "skipped: <reason>" (recorded, not a failure); one that did not do its
 * work is "verification failed: <what>" (the run fails). */
#define CB_MICRO_SKIP_PREFIX "skipped: "
#define CB_MICRO_FAIL_PREFIX "verification failed: "
void cb_micro_skip(cb_gb_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cb_micro_fail(cb_gb_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cb_micro_is_skip(const char *msg);

/* Filters: a family ("sync"), "family/benchmark", or a glob (fnmatch) over
 * the full names. A pattern selects a name when it matches the whole name
 * or the name up to one of its '/' (so "sync" and "sync/mutex" select
 * "sync/mutex/n2"). */
bool cb_micro_match(const char *pattern, const char *name);
/* A pattern with neither '/' nor glob characters must name a family. */
bool cb_micro_pattern_is_family(const char *pattern);
/* "name1|name2|..." escaped and anchored for Google Benchmark's filter. */
char *cb_micro_regex(char *const *names, int n);
/* The cell id of an engine name: "sync/mutex/n2/manual_time" ->
 * "sync/mutex/n2" (the suffix says how the engine timed it, which every
 * micro benchmark shares). Malloc'ed. */
char *cb_micro_id(const char *name);
/* "shim, start, ..." for errors and usage; static storage. */
const char *cb_micro_family_names(void);
/* The model a benchmark prices (chart colour): the label its body set
 * ("threads", "processes", ...), else derived from the name. */
const char *cb_micro_model(const char *name, const char *label);

/* A crew: n workers (threads or forked processes), each bound per place,
 * started together; fn(ctx, idx, iters) is the work of worker idx. For
 * processes, ctx and whatever fn writes must live in shared memory
 * (cb_shared_alloc). *elapsed is from the release of the start gate to
 * the last worker's end. Returns 0; 1 with why filled when the placement
 * cannot be had here (skip); -1 with why filled when a worker failed. */
typedef enum {
	CB_MICRO_SAME_PU,   /* every worker on one PU */
	CB_MICRO_CROSS_PU,  /* workers alternate between two PUs */
	CB_MICRO_POLICY,    /* worker i where --pin puts worker i */
	CB_MICRO_UNBOUND,   /* nobody bound: the OS decides, as perf bench does */
} cb_micro_place;
typedef void (*cb_micro_work_fn)(void *ctx, int idx, int64_t iters);
int cb_micro_crew_run(int n, cb_micro_place place, bool processes, cb_micro_work_fn fn, void *ctx,
                      int64_t iters, double *elapsed, char *why, size_t whylen);
/* The usual body around a crew: runs it over the batch, skips or fails the
 * benchmark as the crew says, sets the iteration time and an ops_per_s
 * counter of n * iterations / elapsed. Returns true if it ran. */
bool cb_micro_crew_body(cb_gb_state *st, int n, cb_micro_place place, bool processes,
                        cb_micro_work_fn fn, void *ctx, int64_t *iters_out);

/* Latency samples: the last `cap` of them are kept (allocated before the
 * timed loop), and p50/p99/max go out as counters p50_ns, p99_ns, max_ns. */
typedef struct cb_micro_lat {
	double *v;
	size_t cap;
	uint64_t n;
} cb_micro_lat;
void cb_micro_lat_init(cb_micro_lat *l, size_t cap);
static inline void cb_micro_lat_add(cb_micro_lat *l, double s)
{
	l->v[l->n++ % l->cap] = s;
}
void cb_micro_lat_report(cb_gb_state *st, cb_micro_lat *l);
void cb_micro_lat_free(cb_micro_lat *l);

/* Futex wait/wake on a 32-bit word, shared between processes (no
 * FUTEX_PRIVATE) so one helper serves threads and processes. */

static inline void cb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

#endif
