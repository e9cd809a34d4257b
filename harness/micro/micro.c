/* What the micro-benchmark families share (their table is registry.c): the
 * environment (where workers go), filters, the pinned crew of threads or
 * processes started behind one gate, skip and verification messages, and
 * latency percentiles. */
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/common.h"
#include "base/stats.h"
#include "base/futex.h"
#include "engine/strategy.h"
#include "micro/micro.h"

static const cb_micro_env *current_env;

void cb_micro_env_set(const cb_micro_env *env) { current_env = env; }
const cb_micro_env *cb_micro_env_get(void) { return current_env; }

int cb_micro_max_threads(void)
{
	return current_env && current_env->max_threads > 0 ? current_env->max_threads : 2;
}

cb_gb_bench *cb_micro_add(const char *name, cb_gb_fn fn, void *arg)
{
	cb_gb_bench *b = cb_gb_register(name, fn, arg);
	cb_gb_use_manual_time(b);
	cb_gb_time_unit(b, CB_GB_NS);
	return b;
}

static void skip_v(cb_gb_state *st, const char *prefix, const char *fmt, va_list ap)
{
	char msg[512];
	size_t k = (size_t)snprintf(msg, sizeof msg, "%s", prefix);
	vsnprintf(msg + k, sizeof msg - k, fmt, ap);
	cb_gb_skip_with_error(st, msg);
}

void cb_micro_skip(cb_gb_state *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skip_v(st, CB_MICRO_SKIP_PREFIX, fmt, ap);
	va_end(ap);
}

void cb_micro_fail(cb_gb_state *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skip_v(st, CB_MICRO_FAIL_PREFIX, fmt, ap);
	va_end(ap);
}

bool cb_micro_is_skip(const char *msg)
{
	return msg && !strncmp(msg, CB_MICRO_SKIP_PREFIX, strlen(CB_MICRO_SKIP_PREFIX));
}

/* ---- filters ---- */

bool cb_micro_match(const char *pattern, const char *name)
{
	if (!pattern || !*pattern || !fnmatch(pattern, name, 0))
		return true;
	char buf[512];
	snprintf(buf, sizeof buf, "%s", name);
	for (char *slash = strrchr(buf, '/'); slash; slash = strrchr(buf, '/')) {
		*slash = 0;
		if (!fnmatch(pattern, buf, 0))
			return true;
	}
	return false;
}

bool cb_micro_pattern_is_family(const char *pattern)
{
	return pattern && *pattern && !strpbrk(pattern, "/*?[");
}

char *cb_micro_regex(char *const *names, int n)
{
	size_t len = 8;
	for (int i = 0; i < n; i++)
		len += 2 * strlen(names[i]) + 1;
	char *re = cb_xmalloc(len), *p = re;
	*p++ = '^';
	*p++ = '(';
	for (int i = 0; i < n; i++) {
		if (i)
			*p++ = '|';
		for (const char *s = names[i]; *s; s++) {
			if (strchr(".[]()*+?{}|^$\\", *s))
				*p++ = '\\';
			*p++ = *s;
		}
	}
	*p++ = ')';
	*p++ = '$';
	*p = 0;
	return re;
}

char *cb_micro_id(const char *name)
{
	static const char *const suffixes[] = { "/manual_time", "/real_time" };
	char *id = cb_xstrdup(name);
	for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
		size_t n = strlen(id), k = strlen(suffixes[i]);
		if (n > k && !strcmp(id + n - k, suffixes[i]))
			id[n - k] = 0;
	}
	return id;
}

/* Does name contain one of the '|'-separated words of list? */
static bool has_word_of(const char *name, const char *list)
{
	while (list && *list) {
		char word[64];
		size_t n = strcspn(list, "|");
		snprintf(word, sizeof word, "%.*s", (int)n, list);
		if (strstr(name, word))
			return true;
		list += n + (list[n] == '|');
	}
	return false;
}

const char *cb_micro_model(const char *name, const char *label)
{
	if (label && *label)
		return label;
	/* The pools family times each strategy of the table as pools/NAME_... */
	for (const cb_strategy *const *s = cb_strategies; *s; s++) {
		char pre[96];
		snprintf(pre, sizeof pre, "pools/%s_", (*s)->name);
		if (strstr(name, pre))
			return (*s)->name;
	}
	for (const cb_strategy *const *s = cb_strategies; *s; s++)
		if (has_word_of(name, (*s)->micro_names))
			return (*s)->name;
	return strstr(name, "shim/") ? "shim" : "other";
}

/* ---- the crew ---- */

typedef struct crew_ctl {
	_Atomic uint32_t ready;
	_Atomic uint32_t go;
	double t_end[CB_MICRO_MAX_CREW];
	int bind_err[CB_MICRO_MAX_CREW];
} crew_ctl;

typedef struct crew_member {
	crew_ctl *ctl;
	int idx;
	bool process;
	hwloc_const_bitmap_t set;
	cb_micro_work_fn fn;
	void *ctx;
	int64_t iters;
} crew_member;

static void member_run(crew_member *m)
{
	const cb_micro_env *env = cb_micro_env_get();
	if (env && env->topo && m->set)
		m->ctl->bind_err[m->idx] = m->process ? cb_bind_process(env->topo, m->set)
		                                      : cb_bind_thread(env->topo, m->set);
	atomic_fetch_add(&m->ctl->ready, 1);
	cb_futex_wake(&m->ctl->ready, 1, true);
	while (!atomic_load(&m->ctl->go))
		cb_futex_wait(&m->ctl->go, 0, NULL, true);
	m->fn(m->ctx, m->idx, m->iters);
	m->ctl->t_end[m->idx] = cb_now();
}

static void *member_thread(void *arg)
{
	member_run(arg);
	return NULL;
}

static hwloc_const_bitmap_t member_set(const cb_micro_env *env, cb_micro_place place, int idx)
{
	if (!env || !env->topo)
		return NULL;
	switch (place) {
	case CB_MICRO_SAME_PU: return env->pair[0];
	case CB_MICRO_CROSS_PU: return env->pair[idx % 2];
	case CB_MICRO_UNBOUND: return NULL;
	default: return env->sets[idx % CB_MICRO_MAX_CREW];
	}
}

int cb_micro_crew_run(int n, cb_micro_place place, bool processes, cb_micro_work_fn fn, void *ctx,
                      int64_t iters, double *elapsed, char *why, size_t whylen)
{
	const cb_micro_env *env = cb_micro_env_get();
	if (n < 1 || n > CB_MICRO_MAX_CREW) {
		snprintf(why, whylen, "crew of %d workers (1..%d)", n, CB_MICRO_MAX_CREW);
		return -1;
	}
	if (place == CB_MICRO_CROSS_PU && env && env->cross_why) {
		snprintf(why, whylen, "%s", env->cross_why);
		return 1;
	}
	crew_ctl *ctl = cb_shared_alloc(sizeof *ctl);
	crew_member m[CB_MICRO_MAX_CREW];
	pthread_t tid[CB_MICRO_MAX_CREW];
	pid_t pid[CB_MICRO_MAX_CREW];
	int started = 0, rc = 0;
	for (int i = 0; i < n; i++) {
		m[i] = (crew_member){ ctl, i, processes, member_set(env, place, i), fn, ctx, iters };
		if (processes) {
			pid[i] = fork();
			if (pid[i] == 0) {
				member_run(&m[i]);
				_exit(0);
			}
			if (pid[i] < 0)
				break;
		} else if (pthread_create(&tid[i], NULL, member_thread, &m[i])) {
			break;
		}
		started++;
	}
	if (started < n) {
		snprintf(why, whylen, "cannot start worker %d of %d", started + 1, n);
		rc = -1;
	}
	for (uint32_t r; (r = atomic_load(&ctl->ready)) < (uint32_t)started;)
		cb_futex_wait(&ctl->ready, r, NULL, true);
	double t0 = cb_now();
	atomic_store(&ctl->go, 1);
	cb_futex_wake(&ctl->go, INT_MAX, true);
	for (int i = 0; i < started; i++) {
		if (!processes) {
			pthread_join(tid[i], NULL);
			continue;
		}
		int status;
		while (waitpid(pid[i], &status, 0) < 0)
			;
		if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status))) {
			snprintf(why, whylen, "worker process %d died (status %#x)", i, status);
			rc = -1;
		}
	}
	double t1 = t0;
	for (int i = 0; i < started; i++) {
		if (ctl->t_end[i] > t1)
			t1 = ctl->t_end[i];
		if (!rc && ctl->bind_err[i]) {
			snprintf(why, whylen, "cannot bind worker %d: %s", i, strerror(-ctl->bind_err[i]));
			rc = 1;
		}
	}
	*elapsed = t1 - t0;
	cb_shared_free(ctl, sizeof *ctl);
	return rc;
}

bool cb_micro_crew_body(cb_gb_state *st, int n, cb_micro_place place, bool processes,
                        cb_micro_work_fn fn, void *ctx, int64_t *iters_out)
{
	char why[256] = "";
	double el = 0;
	int64_t total = 0;
	int rc = 0;
	for (int64_t k; (k = cb_gb_batch(st)) > 0;) {
		rc = cb_micro_crew_run(n, place, processes, fn, ctx, k, &el, why, sizeof why);
		total = k;
	}
	if (rc > 0)
		cb_micro_skip(st, "%s", why);
	else if (rc < 0)
		cb_micro_fail(st, "%s", why);
	if (rc)
		return false;
	cb_gb_set_iteration_time(st, el);
	if (iters_out)
		*iters_out = total;
	return true;
}

/* ---- latency ---- */

void cb_micro_lat_init(cb_micro_lat *l, size_t cap)
{
	l->v = cb_xmalloc(cap * sizeof *l->v);
	l->cap = cap;
	l->n = 0;
}


void cb_micro_lat_report(cb_gb_state *st, cb_micro_lat *l)
{
	size_t n = l->n < l->cap ? (size_t)l->n : l->cap;
	if (!n)
		return;
	cb_sort(l->v, n);
	cb_gb_counter(st, "p50_ns", cb_percentile_sorted(l->v, n, 0.50) * 1e9, CB_GB_COUNTER_DEFAULT);
	cb_gb_counter(st, "p99_ns", cb_percentile_sorted(l->v, n, 0.99) * 1e9, CB_GB_COUNTER_DEFAULT);
	cb_gb_counter(st, "max_ns", l->v[n - 1] * 1e9, CB_GB_COUNTER_DEFAULT);
}

void cb_micro_lat_free(cb_micro_lat *l)
{
	free(l->v);
	l->v = NULL;
}
