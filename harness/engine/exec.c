/* What every strategy shares: the schedule (OpenMP's static and dynamic),
 * the one loop that runs a worker's share of a job, binding a worker to its
 * cpuset, and turning a failed task into an error. No strategy has its own
 * copy of any of these. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <hwloc/glibc-sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/strategy.h"

const cb_strategy *cb_strategy_baseline(void)
{
	for (const cb_strategy *const *s = cb_strategies; *s; s++)
		if ((*s)->flags & CB_STRATEGY_BASELINE)
			return *s;
	abort();   /* the table has one: serial.c */
}

const cb_strategy *cb_strategy_find(const char *name)
{
	for (const cb_strategy *const *s = cb_strategies; *s; s++)
		if (!strcmp((*s)->name, name))
			return *s;
	return NULL;
}

void cb_strategy_names(char *buf, size_t n)
{
	size_t off = 0;
	buf[0] = 0;
	for (const cb_strategy *const *s = cb_strategies; *s && off < n; s++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", s == cb_strategies ? "" : ", ", (*s)->name);
}

int cb_schedule_parse(const char *s, cb_schedule *out, cb_error *err)
{
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);
	if (len == 6 && !strncmp(s, "static", 6)) {
		out->kind = CB_SCHED_STATIC;
		out->chunk = 0;
	} else if (len == 7 && !strncmp(s, "dynamic", 7)) {
		out->kind = CB_SCHED_DYNAMIC;
		out->chunk = 1;
	} else {
		goto bad;
	}
	if (colon) {
		long c;
		if (cb_parse_long(colon + 1, &c) || c < 1)
			goto bad;
		out->chunk = (size_t)c;
	}
	return 0;
bad:
	return cb_error_set(err, CB_EXIT_USAGE,
	                    "invalid schedule '%s' (valid: static, static:CHUNK, dynamic, dynamic:CHUNK with CHUNK >= 1)", s);
}

void cb_schedule_format(const cb_schedule *s, char *buf, size_t n)
{
	if (s->kind == CB_SCHED_STATIC && !s->chunk)
		snprintf(buf, n, "static");
	else
		snprintf(buf, n, "%s:%zu", s->kind == CB_SCHED_STATIC ? "static" : "dynamic", s->chunk);
}

static inline void note_cpu(cpu_set_t *seen)
{
	int cpu = sched_getcpu();
	if (seen && cpu >= 0 && cpu < CPU_SETSIZE)
		CPU_SET(cpu, seen);
}

/* The calling thread's failing task's own words (cb_task_error_note). */
static __thread char task_note[sizeof ((cb_jobctl *)0)->err_text];

void cb_task_error_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(task_note, sizeof task_note, fmt, ap);
	va_end(ap);
	for (char *p = task_note; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

bool cb_task_error_take(char *buf, size_t n)
{
	bool said = task_note[0] != 0;
	snprintf(buf, n, "%s", task_note);
	task_note[0] = 0;
	return said;
}

static int task_failed(cb_jobctl *ctl, size_t i, int rc)
{
	int zero = 0;
	if (atomic_compare_exchange_strong(&ctl->err, &zero, rc ? rc : -EIO)) {
		atomic_store(&ctl->err_task, (long)i);
		memcpy(ctl->err_text, task_note, sizeof ctl->err_text);
	}
	task_note[0] = 0;
	return 1;
}

/* Runs tasks [lo, hi); returns nonzero once any task of the job failed. */
static int run_range(cb_exec *ex, cb_job *job, size_t lo, size_t hi, cb_io *io, cb_worker_progress *me)
{
	cb_jobctl *ctl = ex->ctl;
	for (size_t i = lo; i < hi; i++) {
		if (atomic_load_explicit(&ctl->err, memory_order_relaxed))
			return 1;
		if (me)
			atomic_store_explicit(&me->task, (long)i, memory_order_relaxed);
		double t0 = job->task_s ? cb_now() : 0;
		int rc = cb_job_task(job, i, io);
		if (job->task_s)
			job->task_s[i] = cb_now() - t0;
		if (rc)
			return task_failed(ctl, i, rc);
	}
	return 0;
}

/* ---- the traced repetition (run --trace) ------------------------------
 * A separate loop, so that an untraced repetition runs the loop above
 * unchanged. I/O tasks see the I/O interface through a wrapper that sums
 * the time spent inside it: the task's blocked time. */

typedef struct traced_io {
	cb_io io;          /* what the task sees: { traced_ops, this } */
	cb_io *inner;
	double blocked;
} traced_io;

#define TIMED(io_, call)                                   \
	traced_io *t_ = (traced_io *)(io_)->ctx;               \
	double s_ = cb_now();                                  \
	__typeof__(call) r_ = call;                            \
	t_->blocked += cb_now() - s_;                          \
	return r_
#define IN (((traced_io *)io->ctx)->inner)

static int t_sleep(cb_io *io, double s) { TIMED(io, IN->ops->sleep(IN, s)); }
static ssize_t t_read(cb_io *io, int fd, void *b, size_t n) { TIMED(io, IN->ops->read(IN, fd, b, n)); }
static ssize_t t_write(cb_io *io, int fd, const void *b, size_t n) { TIMED(io, IN->ops->write(IN, fd, b, n)); }
static ssize_t t_pread(cb_io *io, int fd, void *b, size_t n, off_t o) { TIMED(io, IN->ops->pread(IN, fd, b, n, o)); }
static ssize_t t_pwrite(cb_io *io, int fd, const void *b, size_t n, off_t o) { TIMED(io, IN->ops->pwrite(IN, fd, b, n, o)); }
static int t_connect(cb_io *io, int fd, const struct sockaddr *a, socklen_t l) { TIMED(io, IN->ops->connect(IN, fd, a, l)); }
static int t_accept(cb_io *io, int fd, struct sockaddr *a, socklen_t *l) { TIMED(io, IN->ops->accept(IN, fd, a, l)); }
static ssize_t t_send(cb_io *io, int fd, const void *b, size_t n, int f) { TIMED(io, IN->ops->send(IN, fd, b, n, f)); }
static ssize_t t_recv(cb_io *io, int fd, void *b, size_t n, int f) { TIMED(io, IN->ops->recv(IN, fd, b, n, f)); }
static int t_wait_fd(cb_io *io, int fd, int ev, double t) { TIMED(io, IN->ops->wait_fd(IN, fd, ev, t)); }
static int t_fsync(cb_io *io, int fd) { TIMED(io, IN->ops->fsync(IN, fd)); }
#undef TIMED
#undef IN

static const cb_io_ops traced_ops = {
	"traced", t_sleep, t_read, t_write, t_pread, t_pwrite, t_connect, t_accept, t_send, t_recv,
	t_wait_fd, t_fsync,
};

static int run_range_traced(cb_exec *ex, cb_job *job, size_t lo, size_t hi, cb_io *io,
                            cb_worker_progress *me, cb_trace_lane *lane, size_t part)
{
	cb_jobctl *ctl = ex->ctl;
	size_t cap = ex->tracer->cap;
	traced_io tio = { { &traced_ops, NULL }, io, 0 };
	tio.io.ctx = &tio;
	if (!lane->pid) {
		lane->pid = (int)getpid();
		lane->tid = (int)gettid();
	}
	bool wrap = job->wl->kind == CB_KIND_IO;
	for (size_t i = lo; i < hi; i++) {
		if (atomic_load_explicit(&ctl->err, memory_order_relaxed))
			return 1;
		if (me)
			atomic_store_explicit(&me->task, (long)i, memory_order_relaxed);
		tio.blocked = 0;
		double t0 = cb_now();
		int rc = cb_job_task(job, i, wrap ? &tio.io : io);
		double t1 = cb_now();
		if (job->task_s)
			job->task_s[i] = t1 - t0;
		/* A coroutine scheduler's lane holds several tasks in flight:
		 * its busy time is the time it ran them, not the time they took. */
		lane->busy_s += t1 - t0 - tio.blocked;
		lane->blocked_s += tio.blocked;
		if (!lane->n && !lane->dropped)
			lane->first_t0 = t0;
		if (t0 < lane->first_t0)
			lane->first_t0 = t0;
		if (t1 > lane->last_t1)
			lane->last_t1 = t1;
		if (lane->n < cap)
			lane->ev[lane->n++] = (cb_trace_event){ (uint32_t)i, (uint32_t)part, t0, t1, tio.blocked };
		else
			lane->dropped++;
		if (rc)
			return task_failed(ctl, i, rc);
	}
	return 0;
}

/* The calling thread's CPU seconds to the nanosecond, the slice it is
 * running now included. getrusage's figure is the scheduler's account,
 * which a running thread's tick brings up to date: it lags by up to a tick
 * (4 ms at 250 Hz), so a 30 ms share that computed throughout read as 90%
 * of its wall. */
static double thread_cpu_s(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return NAN;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Times the calling thread gave up its CPU of its own accord. */
static long voluntary_switches(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_THREAD, &ru) ? 0 : ru.ru_nvcsw;
}

void cb_share_open(cb_exec *ex, size_t part, int trace_w, cb_share *m)
{
	m->part = part;
	m->trace_w = trace_w;
	/* One load per share: an untraced repetition pays nothing per task. */
	m->lane = NULL;
	if (ex->tracer && trace_w < ex->tracer->nlanes &&
	    atomic_load_explicit(&ex->tracer->on, memory_order_relaxed))
		m->lane = &ex->tracer->lane[trace_w];
	m->seen = ex->trace ? &ex->trace[trace_w].ran_on : NULL;
	/* Only this executor writes its slot: no read-modify-write needed. */
	m->me = ex->watch ? &ex->watch->worker[trace_w] : NULL;
	if (m->me)
		atomic_store_explicit(&m->me->active, atomic_load_explicit(&m->me->active, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
	m->timed = ex->trace && !(ex->strategy && (ex->strategy->flags & CB_STRATEGY_YIELDS));
	if (m->timed) {
		m->nvcsw0 = voluntary_switches();
		m->wall0 = cb_now();
		m->cpu0 = thread_cpu_s();
	}
	note_cpu(m->seen);
}

int cb_share_tasks(cb_exec *ex, cb_job *job, cb_share *m, size_t lo, size_t hi, cb_io *io)
{
	if (m->lane)
		return run_range_traced(ex, job, lo, hi, io, m->me, m->lane, m->part);
	return run_range(ex, job, lo, hi, io, m->me);
}

void cb_share_close(cb_exec *ex, cb_share *m)
{
	note_cpu(m->seen);
	if (m->timed) {
		double cpu1 = thread_cpu_s(), wall1 = cb_now();
		ex->trace[m->trace_w].wall_s += wall1 - m->wall0;
		ex->trace[m->trace_w].cpu_s += cpu1 - m->cpu0;
		ex->trace[m->trace_w].waits += voluntary_switches() - m->nvcsw0;
	}
	if (m->me)
		atomic_store_explicit(&m->me->active, atomic_load_explicit(&m->me->active, memory_order_relaxed) - 1,
		                      memory_order_relaxed);
}

int cb_worker_run(cb_exec *ex, cb_job *job, int w, int nworkers, cb_io *io)
{
	return cb_worker_run_part(ex, job, (size_t)w, (size_t)nworkers, w, io);
}

int cb_worker_run_part(cb_exec *ex, cb_job *job, size_t part, size_t nparts, int trace_w, cb_io *io)
{
	size_t n = job->ntasks, nw = nparts, w = part, c = ex->sched.chunk;
	cb_share m;
	cb_share_open(ex, part, trace_w, &m);
	long rot = atomic_load_explicit(&ex->ctl->rotate, memory_order_relaxed);
	if (rot > 0) {
		for (size_t i = (w + nw - (size_t)(rot - 1) % nw) % nw; i < n; i += nw)
			if (cb_share_tasks(ex, job, &m, i, i + 1, io))
				break;
	} else if (ex->sched.kind == CB_SCHED_STATIC && c == 0) {
		size_t lo = n * w / nw, hi = n * (w + 1) / nw;
		cb_share_tasks(ex, job, &m, lo, hi, io);
	} else if (ex->sched.kind == CB_SCHED_STATIC) {
		for (size_t lo = w * c; lo < n; lo += nw * c) {
			note_cpu(m.seen);
			if (cb_share_tasks(ex, job, &m, lo, lo + c < n ? lo + c : n, io))
				break;
		}
	} else {
		for (;;) {
			size_t lo = ex->claim ? ex->claim(ex, c)
			                      : atomic_fetch_add_explicit(&ex->ctl->next, c, memory_order_relaxed);
			if (lo >= n)
				break;
			note_cpu(m.seen);
			if (cb_share_tasks(ex, job, &m, lo, lo + c < n ? lo + c : n, io))
				break;
		}
	}
	cb_share_close(ex, &m);
	return atomic_load(&ex->ctl->err);
}

/* ---- lanes: the same schedule for a workload's own event loop ----------
 * Lane k of a share is part first + k of nparts, exactly as coroutine k
 * would be; the loop asks for each lane's next task and reports its end. */

typedef struct lane_cursor {
	size_t cur, end;     /* the range it is in */
	size_t next_lo;      /* static: the start of its next range */
	size_t step, width;  /* static: ranges [next_lo, +width) every step */
	double t0;           /* the running task's start (task latencies) */
} lane_cursor;

struct cb_lanes {
	cb_exec *ex;
	cb_job *job;
	lane_cursor *lane;   /* [count] */
	cb_worker_progress *me;
	bool dynamic;
};

static void lane_place(cb_lanes *l, lane_cursor *c, size_t w, size_t nw)
{
	size_t n = l->job->ntasks, ch = l->ex->sched.chunk;
	long rot = atomic_load_explicit(&l->ex->ctl->rotate, memory_order_relaxed);
	c->cur = c->end = 0;
	c->step = nw;
	c->width = 1;
	if (rot > 0) {
		c->next_lo = (w + nw - (size_t)(rot - 1) % nw) % nw;
	} else if (l->ex->sched.kind == CB_SCHED_STATIC && ch == 0) {
		c->next_lo = n * w / nw;
		c->width = n * (w + 1) / nw - c->next_lo;
		c->step = n;   /* one range */
	} else if (l->ex->sched.kind == CB_SCHED_STATIC) {
		c->next_lo = w * ch;
		c->width = ch;
		c->step = nw * ch;
	} else {
		l->dynamic = true;
	}
}

size_t cb_lanes_next(cb_lanes *l, size_t k)
{
	cb_exec *ex = l->ex;
	lane_cursor *c = &l->lane[k];
	size_t n = l->job->ntasks;
	if (atomic_load_explicit(&ex->ctl->err, memory_order_relaxed))
		return SIZE_MAX;
	if (c->cur >= c->end) {
		size_t lo, width = ex->sched.chunk;
		if (l->dynamic) {
			lo = ex->claim ? ex->claim(ex, width)
			               : atomic_fetch_add_explicit(&ex->ctl->next, width, memory_order_relaxed);
		} else {
			lo = c->next_lo;
			width = c->width;
			c->next_lo = lo < n ? lo + c->step : n;
		}
		if (lo >= n || !width)
			return SIZE_MAX;
		c->cur = lo;
		c->end = lo + width < n ? lo + width : n;
	}
	if (l->me)
		atomic_store_explicit(&l->me->task, (long)c->cur, memory_order_relaxed);
	if (l->job->task_s)
		c->t0 = cb_now();
	return c->cur++;
}

void cb_lanes_done(cb_lanes *l, size_t k, size_t i, int rc)
{
	if (l->job->task_s)
		l->job->task_s[i] = cb_now() - l->lane[k].t0;
	if (rc)
		task_failed(l->ex->ctl, i, rc);
}

int cb_worker_run_lanes(cb_exec *ex, cb_job *job, size_t first, size_t count, int trace_w,
                        const cb_workload_origin *o)
{
	cb_share m;
	cb_share_open(ex, (size_t)trace_w, trace_w, &m);
	m.lane = NULL;   /* the workload's loop runs the tasks: no timeline */
	cb_lanes l = { ex, job, cb_xcalloc(count ? count : 1, sizeof *l.lane), m.me, false };
	for (size_t k = 0; k < count; k++)
		lane_place(&l, &l.lane[k], first + k, (size_t)ex->concurrency);
	int rc = o->run_lanes(job, &l, count);
	if (rc && !atomic_load(&ex->ctl->err))
		task_failed(ex->ctl, 0, rc);
	free(l.lane);
	cb_share_close(ex, &m);
	return atomic_load(&ex->ctl->err);
}

cb_tracer *cb_tracer_alloc(int nlanes, size_t cap)
{
	size_t head = sizeof(cb_tracer) + (size_t)nlanes * sizeof(cb_trace_lane);
	head = (head + 63) & ~(size_t)63;
	cb_tracer *t = cb_shared_alloc(head + (size_t)nlanes * cap * sizeof(cb_trace_event));
	if (!t)
		return NULL;
	t->nlanes = nlanes;
	t->cap = cap;
	cb_trace_event *ev = (cb_trace_event *)((char *)t + head);
	for (int l = 0; l < nlanes; l++)
		t->lane[l].ev = ev + (size_t)l * cap;
	return t;
}

void cb_tracer_free(cb_tracer *t)
{
	if (!t)
		return;
	size_t head = sizeof(cb_tracer) + (size_t)t->nlanes * sizeof(cb_trace_lane);
	head = (head + 63) & ~(size_t)63;
	cb_shared_free(t, head + (size_t)t->nlanes * t->cap * sizeof(cb_trace_event));
}

void cb_tracer_reset(cb_tracer *t)
{
	for (int l = 0; l < t->nlanes; l++) {
		cb_trace_lane *ln = &t->lane[l];
		cb_trace_event *ev = ln->ev;
		memset(ln, 0, sizeof *ln);
		ln->ev = ev;
	}
}

void cb_exec_worker_pid(cb_exec *ex, int w, pid_t pid)
{
	if (ex->watch)
		atomic_store_explicit(&ex->watch->worker[w].pid, pid, memory_order_relaxed);
}

void cb_exec_launcher_group(cb_exec *ex, pid_t pgid)
{
	if (ex->watch)
		atomic_store(&ex->watch->launcher_pgid, pgid);
}

/* pid has ended: no such process, or a zombie. */
static bool ended(pid_t pid)
{
	char path[64], stat[512];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return true;
	bool got = fgets(stat, sizeof stat, f) != NULL;
	fclose(f);
	const char *rp = got ? strrchr(stat, ')') : NULL;
	return !rp || rp[1] == 0 || rp[2] == 'Z' || rp[2] == 'X';
}

void cb_exec_stop_launcher(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	bool reaped = false;
	for (double end = cb_now() + CB_LAUNCHER_GRACE_S; cb_now() < end;) {
		/* Not our child yet (its parent, a measuring process, lives):
		 * watch it end instead of reaping it. */
		pid_t r = waitpid(pid, NULL, WNOHANG | __WALL);
		if (r == pid) {
			reaped = true;
			break;
		}
		if (r < 0 && ended(pid))
			break;
		struct timespec ts = { 0, 5 * 1000 * 1000L };
		nanosleep(&ts, NULL);
	}
	kill(-pid, SIGKILL);   /* whatever is left of its group */
	while (!reaped && waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

int cb_exec_thread_attr(cb_exec *ex, int w, pthread_attr_t *attr)
{
	if (!ex->place || !ex->place->sets || w >= ex->place->workers || !ex->place->sets[w] ||
	    !cb_topology_is_this_system(ex->topo))
		return 0;
	cpu_set_t set;
	if (hwloc_cpuset_to_glibc_sched_affinity(cb_topology_hwloc(ex->topo), ex->place->sets[w], &set,
	                                         sizeof set))
		return -errno;
	return -pthread_attr_setaffinity_np(attr, sizeof set, &set);
}

int cb_exec_bind_thread(cb_exec *ex, int w)
{
	if (!ex->place || !ex->place->sets || w >= ex->place->workers || !ex->place->sets[w])
		return 0;
	return cb_bind_thread(ex->topo, ex->place->sets[w]);
}

void cb_cpu_times_self(cb_cpu_times *out)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	out->user_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6;
	out->sys_s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	out->vcsw = ru.ru_nvcsw;
	out->ivcsw = ru.ru_nivcsw;
	out->minflt = ru.ru_minflt;
	out->maxrss_kib = ru.ru_maxrss;
}

int cb_exec_child_status(int w, int status, cb_error *err)
{
	if (WIFSIGNALED(status))
		return cb_error_set(err, CB_EXIT_FAIL, "worker %d killed by signal %d (%s)%s", w,
		                    WTERMSIG(status), strsignal(WTERMSIG(status)),
		                    WCOREDUMP(status) ? ", core dumped" : "");
	if (WIFEXITED(status) && WEXITSTATUS(status) == CB_CHILD_EXIT_BIND)
		return cb_error_set(err, CB_EXIT_ENV, "worker %d could not bind itself to its cpuset", w);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return cb_error_set(err, CB_EXIT_FAIL, "worker %d exited with status %d", w,
		                    WEXITSTATUS(status));
	if (!WIFEXITED(status))
		return cb_error_set(err, CB_EXIT_FAIL, "worker %d stopped (wait status %#x)", w, status);
	return 0;
}

int cb_exec_check(cb_exec *ex, cb_error *err)
{
	int rc = atomic_load(&ex->ctl->err);
	if (!rc)
		return 0;
	long task = atomic_load(&ex->ctl->err_task);
	if (ex->ctl->err_text[0])
		return cb_error_set(err, CB_EXIT_FAIL, "task %ld %s", task, ex->ctl->err_text);
	return cb_error_set(err, CB_EXIT_FAIL, "task %ld failed: %s", task, strerror(-rc));
}

void cb_cpu_times_add(cb_cpu_times *sum, const cb_cpu_times *one)
{
	sum->user_s += one->user_s;
	sum->sys_s += one->sys_s;
	sum->vcsw += one->vcsw;
	sum->ivcsw += one->ivcsw;
	sum->minflt += one->minflt;
	if (one->maxrss_kib > sum->maxrss_kib)
		sum->maxrss_kib = one->maxrss_kib;
}

void cb_send_json_line(int fd, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(j);
	if (!text)
		return;
	size_t len = strlen(text);
	text[len] = '\n';   /* json_dumps' terminator becomes the line end */
	for (size_t off = 0; off < len + 1;) {
		ssize_t n = write(fd, text + off, len + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(text);
}
