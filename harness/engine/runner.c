/* The runner: a lean parent runs every cell in rounds, each round of each
 * cell in a fresh process that holds only that cell's job (so that no cell
 * measures another's footprint), in a new random order every round. In
 * that process the cell is one Google Benchmark benchmark (manual time,
 * one iteration per repetition), and each repetition is
 * setup | pre | parallel | post | verify, with CPU time, context switches,
 * migrations, peak RSS and the CPUs each worker ran on recorded beside the
 * three timed phases. results.json is rewritten after every cell round. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <linux/perf_event.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "engine/gbench.h"
#include "engine/run.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void cb_stats_compute(const double *x, size_t n, cb_stats *s)
{
	memset(s, 0, sizeof *s);
	if (!n)
		return;
	double *v = cb_xmalloc(n * sizeof *v);
	memcpy(v, x, n * sizeof *v);
	gsl_sort(v, 1, n);
	s->median = gsl_stats_median_from_sorted_data(v, 1, n);
	s->mean = gsl_stats_mean(v, 1, n);
	s->stddev = n > 1 ? gsl_stats_sd_m(v, 1, n, s->mean) : 0;
	s->cv = s->mean > 0 ? s->stddev / s->mean : 0;
	s->min = v[0];
	s->max = v[n - 1];
	free(v);
}

static int perf_open_migrations(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof a);
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof a;
	a.config = PERF_COUNT_SW_CPU_MIGRATIONS;
	a.inherit = 1;   /* every thread and child created afterwards counts */
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd;
}

static long long perf_read(int fd)
{
	uint64_t v;
	if (fd < 0 || read(fd, &v, sizeof v) != sizeof v)
		return -1;
	return (long long)v;
}

/* Peak RSS is per process lifetime; writing 5 to clear_refs resets it so
 * that each repetition reports its own peak. */
static void rss_reset(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "5", 1) < 0) { /* older kernels: lifetime peak it is */ }
		close(fd);
	}
}

static long rss_peak_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	long kib = -1;
	char line[256];
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec * 1e-6; }

void cb_rep_clear(cb_rep *rep)
{
	if (rep->cpus)
		json_decref(rep->cpus);
	rep->cpus = NULL;
}

int cb_cell_place(cb_cell *c, const cb_topology *t, const cb_pin *pin, cb_error *err)
{
	if (c->strategy->flags & CB_STRATEGY_THREADS)
		return cb_place_groups(t, pin, c->workers, c->threads, &c->place, err);
	return cb_place(t, pin, c->workers, &c->place, err);
}

int cb_cell_open(cb_cell *c, cb_error *err)
{
	if (c->open)
		return 0;
	cb_run *run = c->run;
	cb_exec *ex = &c->ex;
	memset(ex, 0, sizeof *ex);
	ex->strategy = c->strategy;
	ex->topo = run->topo;
	ex->workers = c->workers;
	ex->concurrency = c->concurrency;
	ex->threads = c->threads;
	ex->sched = run->cfg->sched;
	ex->place = &c->place;
	ex->cfg = run->cfg;
	ex->trace = cb_shared_alloc((size_t)(c->workers * c->threads) * sizeof *ex->trace);
	ex->watch = c->watch;
	ex->ctl = cb_shared_alloc(sizeof *ex->ctl);
	if (cb_params_init(&ex->params, c->strategy->params, c->strategy->nparams, run->cfg->size,
	                   run->cfg->params, run->cfg->nparams, NULL, c->strategy->name, err))
		goto fail;
	if (!c->reps)
		c->reps = cb_xcalloc((size_t)c->reps_total, sizeof *c->reps);
	c->checksum_ok = true;
	c->open = true;
	if (c->strategy->cell_setup && c->strategy->cell_setup(ex, c->job, err)) {
		cb_cell_close(c);
		return -1;
	}
	return 0;
fail:
	cb_shared_free(ex->trace, (size_t)(c->workers * c->threads) * sizeof *ex->trace);
	cb_shared_free(ex->ctl, sizeof *ex->ctl);
	ex->trace = NULL;
	ex->ctl = NULL;
	return -1;
}

void cb_cell_close(cb_cell *c)
{
	if (!c->open)
		return;
	cb_exec *ex = &c->ex;
	if (c->strategy->cell_teardown)
		c->strategy->cell_teardown(ex);
	if (ex->record) {
		if (c->record)
			json_decref(c->record);
		c->record = ex->record;
		ex->record = NULL;
	}
	cb_params_free(&ex->params);
	cb_shared_free(ex->trace, (size_t)(c->workers * c->threads) * sizeof *ex->trace);
	cb_shared_free(ex->ctl, sizeof *ex->ctl);
	ex->trace = NULL;
	ex->ctl = NULL;
	c->open = false;
}

/* The main thread runs pre and post, and waits while the workers run: it
 * is bound to worker 0's cpuset (the whole allowed set when unpinned) so
 * that the serial phases run where the cell runs and a pinned cell shows
 * no migrations from the main thread waking up elsewhere. */
static void bind_main(cb_cell *c)
{
	if (!cb_topology_is_this_system(c->run->topo))
		return;
	if (c->place.sets && c->place.sets[0])
		cb_bind_thread(c->run->topo, c->place.sets[0]);
	else
		cb_bind_thread(c->run->topo, hwloc_topology_get_allowed_cpuset(cb_topology_hwloc(c->run->topo)));
}

/* Threads and processes created inside the job start on their creator's
 * PU (worker 0's, where the main thread is bound) and the kernel moves
 * each once onto its own: that move is counted as a migration. Pools and
 * the baseline create nothing in the timed region. */
static int start_moves(const cb_cell *c)
{
	if ((c->strategy->flags & (CB_STRATEGY_BASELINE | CB_STRATEGY_POOL)) || !c->place.pu)
		return 0;
	int n = 0;
	for (int w = 1; w < c->place.workers; w++)
		n += c->place.pu[w] >= 0 && c->place.pu[w] != c->place.pu[0];
	return n;
}

static json_t *cpus_json(const cb_exec *ex, int n)
{
	json_t *all = json_array();
	for (int w = 0; w < n; w++) {
		json_t *one = json_array();
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &ex->trace[w].ran_on))
				json_array_append_new(one, json_integer(cpu));
		json_array_append_new(all, one);
	}
	return all;
}

static void latency_percentiles(cb_cell *c)
{
	cb_job *job = c->job;
	if (!job->task_s)
		return;
	double *v = cb_xmalloc(job->ntasks * sizeof *v);
	memcpy(v, job->task_s, job->ntasks * sizeof *v);
	gsl_sort(v, 1, job->ntasks);
	c->latency[0] = gsl_stats_quantile_from_sorted_data(v, 1, job->ntasks, 0.50);
	c->latency[1] = gsl_stats_quantile_from_sorted_data(v, 1, job->ntasks, 0.90);
	c->latency[2] = gsl_stats_quantile_from_sorted_data(v, 1, job->ntasks, 0.99);
	c->latency[3] = v[job->ntasks - 1];
	c->has_latency = true;
	free(v);
}

int cb_cell_rep(cb_cell *c, cb_rep *rep, cb_error *err)
{
	cb_exec *ex = &c->ex;
	cb_job *job = c->job;
	int nw = c->workers * c->threads;

	/* Untimed reset: a task that a strategy skips must not inherit the
	 * previous repetition's correct partial. */
	memset(job->partials, 0xa5, job->ntasks * sizeof *job->partials);
	memset(ex->trace, 0, (size_t)nw * sizeof *ex->trace);
	for (int w = 0; ex->watch && w < nw; w++) {
		atomic_store(&ex->watch->worker[w].task, -1);
		atomic_store(&ex->watch->worker[w].active, 0);
	}
	atomic_store(&ex->ctl->next, 0);
	atomic_store(&ex->ctl->err, 0);
	atomic_store(&ex->ctl->err_task, -1);
	bind_main(c);
	rss_reset();
	memset(rep, 0, sizeof *rep);

	struct rusage s0, s1, k0, k1;
	cb_cpu_times p0 = { 0 }, p1 = { 0 };
	if (c->strategy->cpu_times)
		c->strategy->cpu_times(ex, &p0);
	getrusage(RUSAGE_SELF, &s0);
	getrusage(RUSAGE_CHILDREN, &k0);
	long long m0 = perf_read(c->run->perf_fd);

	double t0, t1, t2, t3;
	uint64_t sum = 0;
	int rc;
	cb_remote_rep remote = { .comm_s = NAN };
	if (c->strategy->run_rep) {
		/* The executors time the phases where they run them. */
		rc = c->strategy->run_rep(ex, job, &remote, err);
		t0 = 0;
		t1 = remote.pre_s;
		t2 = t1 + remote.par_s;
		t3 = t2 + remote.post_s;
		sum = remote.checksum;
	} else {
		t0 = cb_now();
		rc = job->wl->pre ? job->wl->pre(job, err) : 0;
		t1 = cb_now();
		if (!rc)
			rc = c->strategy->run_job(ex, job, err);
		t2 = cb_now();
		sum = rc ? 0 : job->wl->post(job);
		t3 = cb_now();
	}

	long long m1 = perf_read(c->run->perf_fd);
	getrusage(RUSAGE_SELF, &s1);
	getrusage(RUSAGE_CHILDREN, &k1);
	if (rc)
		return -1;
	if (c->strategy->cpu_times)
		c->strategy->cpu_times(ex, &p1);

	rep->pre_s = t1 - t0;
	rep->par_s = t2 - t1;
	rep->post_s = t3 - t2;
	rep->wall_s = t3 - t0;
	/* Pool processes (cpu_times) are neither self nor reaped children. */
	rep->user_s = tv_s(s1.ru_utime) - tv_s(s0.ru_utime) + tv_s(k1.ru_utime) - tv_s(k0.ru_utime) +
	               (p1.user_s - p0.user_s);
	rep->sys_s = tv_s(s1.ru_stime) - tv_s(s0.ru_stime) + tv_s(k1.ru_stime) - tv_s(k0.ru_stime) +
	              (p1.sys_s - p0.sys_s);
	rep->vcsw = (s1.ru_nvcsw - s0.ru_nvcsw) + (k1.ru_nvcsw - k0.ru_nvcsw) + (p1.vcsw - p0.vcsw);
	rep->ivcsw = (s1.ru_nivcsw - s0.ru_nivcsw) + (k1.ru_nivcsw - k0.ru_nivcsw) + (p1.ivcsw - p0.ivcsw);
	rep->user_s += remote.user_s;
	rep->sys_s += remote.sys_s;
	rep->comm_s = remote.comm_s;
	rep->migrations = m0 >= 0 && m1 >= 0 ? m1 - m0 : -1;
	rep->start_moves = start_moves(c);
	long self_kib = rss_peak_kib();
	rep->maxrss_kib = self_kib > k1.ru_maxrss ? self_kib : k1.ru_maxrss;
	if (p1.maxrss_kib > rep->maxrss_kib)
		rep->maxrss_kib = p1.maxrss_kib;
	rep->cpus = cpus_json(ex, nw);
	rep->checksum_ok = sum == job->reference;
	c->checksum = sum;
	latency_percentiles(c);
	if (!rep->checksum_ok) {
		c->checksum_ok = false;
		return cb_error_set(err, CB_EXIT_FAIL, "wrong checksum %#llx (the serial answer is %#llx)",
		                    (unsigned long long)sum, (unsigned long long)job->reference);
	}
	return 0;
}

json_t *cb_rep_json(const cb_rep *r)
{
	json_t *j = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:b}",
	                      "wall_s", r->wall_s, "pre_s", r->pre_s, "par_s", r->par_s,
	                      "post_s", r->post_s, "user_s", r->user_s, "sys_s", r->sys_s,
	                      "vcsw", (json_int_t)r->vcsw, "ivcsw", (json_int_t)r->ivcsw,
	                      "maxrss_kib", (json_int_t)r->maxrss_kib, "checksum_ok", r->checksum_ok);
	json_object_set_new(j, "migrations", r->migrations >= 0 ? json_integer(r->migrations) : json_null());
	json_object_set_new(j, "start_moves", json_integer(r->start_moves));
	json_object_set_new(j, "comm_s", isfinite(r->comm_s) ? json_real(r->comm_s) : json_null());
	json_object_set_new(j, "round", json_integer(r->round));
	json_object_set_new(j, "cpus", r->cpus ? json_incref(r->cpus) : json_array());
	return j;
}

static double jreal(const json_t *o, const char *key, double dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

int cb_rep_from_json(const json_t *j, cb_rep *r)
{
	memset(r, 0, sizeof *r);
	if (!json_is_object(j) || !json_is_number(json_object_get(j, "wall_s")))
		return -1;
	r->wall_s = jreal(j, "wall_s", NAN);
	r->pre_s = jreal(j, "pre_s", NAN);
	r->par_s = jreal(j, "par_s", NAN);
	r->post_s = jreal(j, "post_s", NAN);
	r->user_s = jreal(j, "user_s", NAN);
	r->sys_s = jreal(j, "sys_s", NAN);
	r->comm_s = jreal(j, "comm_s", NAN);
	r->vcsw = (long)jreal(j, "vcsw", 0);
	r->ivcsw = (long)jreal(j, "ivcsw", 0);
	r->maxrss_kib = (long)jreal(j, "maxrss_kib", -1);
	r->migrations = (long long)jreal(j, "migrations", -1);
	r->start_moves = (int)jreal(j, "start_moves", 0);
	r->round = (int)jreal(j, "round", 0);
	r->checksum_ok = json_is_true(json_object_get(j, "checksum_ok"));
	json_t *cpus = json_object_get(j, "cpus");
	r->cpus = json_is_array(cpus) ? json_incref(cpus) : json_array();
	return 0;
}

static void fail_cell(cb_cell *c, const char *msg)
{
	if (!c->error)
		c->error = cb_xstrdup(msg);
	c->run->failed = true;
}

/* ---- the measuring process: one per cell and round ------------------
 *
 * It is forked from a parent that holds no job's inputs, so that what it
 * measures (and what a forking strategy copies) is this cell's job alone.
 * It sets the job up again, opens the cell (pools start here, untimed),
 * runs the warmup and then the round's repetitions through Google
 * Benchmark, and streams one JSON line per event to the parent:
 *   {"warm": s}  {"rep": {...}}  {"error": "..."}  {"end": {...}}
 * Each line is also the parent's sign of progress for --timeout. */

typedef struct child_ctx {
	cb_cell *c;
	int fd, round;
} child_ctx;

static void send_line(int fd, json_t *j)
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

static void child_body(cb_gb_state *st, void *arg)
{
	child_ctx *x = arg;
	cb_cell *c = x->c;
	cb_error err = { 0 };
	const char *skip = interrupted ? "interrupted" : c->error;
	/* The engine's loop runs even for a repetition that is skipped: it
	 * checks that every repetition reports the same iteration count. */
	cb_rep rep = { 0 };
	int rc = 0;
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++)
			if (!skip)
				rc |= cb_cell_rep(c, &rep, &err);
	if (!skip && rc) {
		cb_rep_clear(&rep);
		fail_cell(c, err.msg);
		send_line(x->fd, json_pack("{s:s}", "error", c->error));
		skip = c->error;
	}
	if (skip) {
		cb_gb_skip_with_error(st, skip);
		return;
	}
	cb_gb_set_iteration_time(st, rep.wall_s);
	rep.round = x->round;
	send_line(x->fd, json_pack("{s:o}", "rep", cb_rep_json(&rep)));
	cb_rep_clear(&rep);
}

static void ignore_report(const struct cb_gb_run *r, void *ctx)
{
	(void)r;
	(void)ctx;
}

static int child_main(cb_cell *c, int fd, int round)
{
	cb_run *run = c->run;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN);   /* Ctrl-C is the parent's; it sends SIGTERM */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	run->perf_fd = perf_open_migrations();
	cb_error err = { 0 };
	int rc = cb_job_reopen(c->job, &err);
	if (!rc)
		rc = cb_cell_open(c, &err);
	for (int w = 0; !rc && !interrupted && w < run->cfg->warmup; w++) {
		cb_rep warm;
		rc = cb_cell_rep(c, &warm, &err);
		if (!rc)
			send_line(fd, json_pack("{s:f}", "warm", warm.wall_s));
		cb_rep_clear(&warm);
	}
	if (rc) {
		fail_cell(c, err.msg);
		send_line(fd, json_pack("{s:s}", "error", c->error));
	} else if (!interrupted) {
		child_ctx x = { c, fd, round };
		cb_gb_bench *b = cb_gb_register(c->id, child_body, &x);
		cb_gb_use_manual_time(b);
		cb_gb_iterations(b, 1);
		cb_gb_repetitions(b, run->cfg->reps);
		cb_gb_time_unit(b, CB_GB_MS);
		long n = cb_gb_run(NULL, ignore_report, NULL);
		cb_gb_clear();
		if (n < 0)
			send_line(fd, json_pack("{s:s}", "error", "the measurement engine refused to run"));
	}
	cb_cell_close(c);
	json_t *end = json_object();
	json_object_set_new(end, "checksum", json_sprintf("%llu", (unsigned long long)c->checksum));
	json_object_set_new(end, "record", c->record ? json_incref(c->record) : json_null());
	json_object_set_new(end, "note", json_string(c->ex.note));
	if (c->has_latency)
		json_object_set_new(end, "latency", json_pack("[f, f, f, f]", c->latency[0], c->latency[1],
		                                              c->latency[2], c->latency[3]));
	send_line(fd, json_pack("{s:o}", "end", end));
	cb_job_release(c->job);
	if (run->perf_fd >= 0)
		close(run->perf_fd);
	return 0;
}

/* ---- the parent ------------------------------------------------------ */

/* The limit on one repetition unless --timeout says otherwise: generous
 * before the first repetition (setup, pools, a cold warmup), then a
 * multiple of the warmup's time with a floor. A sane cell never reaches
 * it; a hung one fails well inside a CI job's budget. */
#define TIMEOUT_FIRST_S 600.0
#define TIMEOUT_FLOOR_S 60.0
#define TIMEOUT_WARM_FACTOR 20.0
/* How long an interrupted measuring process gets to clean up. */
#define INTERRUPT_GRACE_S 10.0
/* How long the processes a failed cell left behind get to die. */
#define SWEEP_S 2.0

typedef struct round_state {
	cb_cell *c;
	int round, reps;       /* repetitions received this round */
	int warms;             /* warmup repetitions received this round */
	double warm_s;         /* slowest warmup seen, or 0 */
	bool ended;
} round_state;

static void handle_line(round_state *rs, const char *line)
{
	cb_cell *c = rs->c;
	cb_run *run = c->run;
	json_t *j = json_loads(line, 0, NULL), *v;
	if (!j)
		return;
	if ((v = json_object_get(j, "warm")) && json_is_number(v)) {
		double w = json_number_value(v);
		rs->warm_s = w > rs->warm_s ? w : rs->warm_s;
		rs->warms++;
	} else if ((v = json_object_get(j, "rep"))) {
		cb_rep rep;
		if (!cb_rep_from_json(v, &rep) && c->reps_done < c->reps_total) {
			c->reps[c->reps_done++] = rep;
			rs->reps++;
			run->reps_done++;
			if (!rep.checksum_ok)
				c->checksum_ok = false;
		} else {
			cb_rep_clear(&rep);
		}
	} else if ((v = json_object_get(j, "error")) && json_is_string(v)) {
		fail_cell(c, json_string_value(v));
	} else if ((v = json_object_get(j, "end"))) {
		rs->ended = true;
		const char *sum = json_string_value(json_object_get(v, "checksum"));
		if (sum && rs->reps)
			c->checksum = strtoull(sum, NULL, 10);
		json_t *rec = json_object_get(v, "record");
		if (json_is_object(rec)) {
			if (c->record)
				json_decref(c->record);
			c->record = json_incref(rec);
		}
		const char *note = json_string_value(json_object_get(v, "note"));
		if (note)
			snprintf(c->ex.note, sizeof c->ex.note, "%s", note);
		json_t *lat = json_object_get(v, "latency");
		for (size_t k = 0; k < 4 && json_array_size(lat) == 4; k++) {
			c->latency[k] = json_number_value(json_array_get(lat, k));
			c->has_latency = true;
		}
	}
	json_decref(j);
}

static void progress(cb_run *run, const cb_cell *c)
{
	if (run->cfg->quiet || !isatty(STDERR_FILENO))
		return;
	double el = cb_now() - run->t_start;
	double eta = run->reps_done ? el / run->reps_done * (run->reps_total - run->reps_done) : 0;
	fprintf(stderr, "\r\033[K[%d/%d reps, %d/%d cells] %s  ETA %dm%02ds", run->reps_done,
	        run->reps_total, run->cells_done, run->ncells, c->id, (int)eta / 60, (int)eta % 60);
	fflush(stderr);
}

/* Children of a killed measuring process (forked workers, a pool) come to
 * the parent, which is their subreaper: none is left a zombie. */
static void reap_orphans(void)
{
	int st;
	while (waitpid(-1, &st, WNOHANG | __WALL) > 0)
		;
}

/* Kills what a measuring process started: its own process group and a
 * launcher's group that it recorded (mpirun leads one of its own). */
static void kill_cell(const cb_cell *c, pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	pid_t launcher = c->watch ? atomic_load(&c->watch->launcher_pgid) : 0;
	if (launcher > 0)
		kill(-launcher, SIGKILL);
}

/* Pids whose parent is this process (at most max). */
static int own_children(pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	pid_t self = getpid();
	while (d && n < max && (e = readdir(d))) {
		char path[sizeof e->d_name + 16], stat[512];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, stat, sizeof stat - 1);
		close(fd);
		if (len <= 0)
			continue;
		stat[len] = 0;
		/* "pid (comm) S ppid ...": comm may hold anything, even ')'. */
		char *rp = strrchr(stat, ')');
		long ppid;
		char st;
		if (rp && sscanf(rp + 1, " %c %ld", &st, &ppid) == 2 && ppid == self)
			out[n++] = (pid_t)atol(e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

/* After a measuring process that did not end cleanly: whatever it started
 * outside its process group (mpi ranks lead groups of their own) comes to
 * this process, their subreaper, once the launcher between them is gone;
 * none may outlive the cell. This process has no other children between
 * rounds. */
static void sweep_leftovers(const cb_cell *c)
{
	pid_t launcher = c->watch ? atomic_load(&c->watch->launcher_pgid) : 0;
	if (launcher > 0) {
		/* Its parent is dead, so it is ours: reaping it hands us its
		 * children. ECHILD: the measuring process reaped it already. */
		kill(-launcher, SIGKILL);
		while (waitpid(launcher, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	for (double end = cb_now() + SWEEP_S; cb_now() < end;) {
		pid_t kids[64];
		int n = own_children(kids, 64);
		if (!n)
			break;
		for (int k = 0; k < n; k++)
			kill(kids[k], SIGKILL);
		struct timespec ts = { 0, 5 * 1000 * 1000L };
		nanosleep(&ts, NULL);
		reap_orphans();
	}
}

static double rep_limit(const cb_run *run, const round_state *rs)
{
	if (run->cfg->timeout_s > 0)
		return run->cfg->timeout_s;
	if (!rs->warm_s && !rs->reps)
		return TIMEOUT_FIRST_S;
	double w = TIMEOUT_WARM_FACTOR * rs->warm_s;
	return w > TIMEOUT_FLOOR_S ? w : TIMEOUT_FLOOR_S;
}

/* "worker 1 (pid 4242) on task 17": the workers the progress record shows
 * inside a task when the limit passed (a coroutine scheduler with several
 * shares running says how many more are in flight on it), or what the
 * record cannot tell. */
static int describe_stuck(const cb_cell *c, pid_t measuring, char *buf, size_t n)
{
	const cb_worker_progress *pr = c->watch ? c->watch->worker : NULL;
	int nw = c->watch ? c->watch->nworkers : 0, named = 0, busy = 0;
	size_t off = 0;
	buf[0] = 0;
	/* Executors under a launcher run elsewhere and write no record. */
	if (!pr || (c->strategy->flags & CB_STRATEGY_EXTERNAL))
		return -1;
	for (int w = 0; w < nw; w++) {
		int active = atomic_load_explicit(&pr[w].active, memory_order_relaxed);
		long task = atomic_load_explicit(&pr[w].task, memory_order_relaxed);
		if (active <= 0 || task < 0)
			continue;
		busy++;
		if (named == 3 || off + 96 > n)
			continue;
		int pid = atomic_load_explicit(&pr[w].pid, memory_order_relaxed);
		off += (size_t)snprintf(buf + off, n - off, "%sworker %d (pid %ld) on task %ld", named ? ", " : "",
		                        w, (long)(pid > 0 ? pid : measuring), task);
		if (active > 1 && off < n)
			off += (size_t)snprintf(buf + off, n - off, " and %d more in flight", active - 1);
		named++;
	}
	if (busy > named && off < n)
		snprintf(buf + off, n - off, " and %d more workers", busy - named);
	return busy;
}

/* Runs round `round` of cell c in a fresh process and folds what it sends
 * into the cell. */
static void measure_round(cb_run *run, cb_cell *c, int round)
{
	int fds[2];
	/* Made before the fork so that the measuring process's workers
	 * inherit it and this process can still read it after killing them. */
	size_t watch_size = sizeof *c->watch + (size_t)(c->workers * c->threads) * sizeof c->watch->worker[0];
	c->watch = cb_shared_alloc(watch_size);
	c->watch->nworkers = c->workers * c->threads;
	for (int w = 0; w < c->watch->nworkers; w++)
		atomic_store(&c->watch->worker[w].task, -1);
	if (pipe2(fds, O_CLOEXEC)) {
		char msg[160];
		snprintf(msg, sizeof msg, "cannot create a pipe to the measuring process: %s", strerror(errno));
		fail_cell(c, msg);
		goto out;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		setpgid(0, 0);
		_exit(child_main(c, fds[1], round));
	}
	close(fds[1]);
	if (pid < 0) {
		char msg[160];
		snprintf(msg, sizeof msg, "cannot fork the measuring process: %s", strerror(errno));
		close(fds[0]);
		fail_cell(c, msg);
		goto out;
	}
	setpgid(pid, pid);

	round_state rs = { .c = c, .round = round };
	size_t cap = 1 << 16, len = 0;
	char *buf = cb_xmalloc(cap);
	double last = cb_now(), limit = rep_limit(run, &rs), term_at = 0;
	bool timed_out = false;
	char stuck[320] = "";
	int busy = -1;
	for (;;) {
		if (interrupted && !term_at) {
			kill(pid, SIGTERM);
			term_at = cb_now();
		}
		double now = cb_now(), left = last + limit - now;
		if (term_at)
			left = term_at + INTERRUPT_GRACE_S - now;
		if (left <= 0) {
			timed_out = !term_at;
			if (timed_out)
				busy = describe_stuck(c, pid, stuck, sizeof stuck);
			kill_cell(c, pid);
			break;
		}
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int pr = poll(&p, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		if (len + 4096 > cap)
			buf = realloc(buf, cap *= 2);
		if (!buf)
			abort();
		ssize_t n = read(fds[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		char *nl, *line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			int before = rs.reps;
			double warm = rs.warm_s;
			handle_line(&rs, line);
			line = nl + 1;
			if (rs.reps != before || rs.warm_s != warm) {
				last = cb_now();
				limit = rep_limit(run, &rs);
				progress(run, c);
			}
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
	}
	free(buf);
	close(fds[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);   /* a worker that outlived its process */
	reap_orphans();
	if (!rs.ended || timed_out || term_at)
		sweep_leftovers(c);
	char msg[640];
	if (timed_out) {
		char when[64];
		if (!rs.reps && rs.warms < run->cfg->warmup)
			snprintf(when, sizeof when, "round %d, warmup %d", round + 1, rs.warms + 1);
		else
			snprintf(when, sizeof when, "round %d, repetition %d", round + 1, rs.reps + 1);
		char lim[32];
		if (limit >= 1)
			snprintf(lim, sizeof lim, "%.0f s", limit);
		else
			snprintf(lim, sizeof lim, "%.0f ms", limit * 1e3);
		const char *why = run->cfg->timeout_s > 0 ? "--timeout" : "the limit derived from the warmup; see --timeout";
		if (busy > 0)
			snprintf(msg, sizeof msg, "timed out: %s made no progress in %s (%s, %s); the cell's "
			         "processes were killed", stuck, lim, when, why);
		else
			snprintf(msg, sizeof msg, "timed out: %s made no progress in %s%s (%s); the cell's "
			         "processes were killed", when, lim, busy ? "" : " with no worker inside a task", why);
		fail_cell(c, msg);
	} else if (!rs.ended && !interrupted) {
		if (WIFSIGNALED(st))
			snprintf(msg, sizeof msg, "the measuring process was killed by signal %d (%s)",
			         WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			snprintf(msg, sizeof msg, "the measuring process ended early (exit status %d)",
			         WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		fail_cell(c, msg);
	}
	if (rs.reps) {
		double *w = cb_xmalloc((size_t)rs.reps * sizeof *w);
		for (int k = 0; k < rs.reps; k++)
			w[k] = c->reps[c->reps_done - rs.reps + k].wall_s;
		cb_stats s;
		cb_stats_compute(w, (size_t)rs.reps, &s);
		free(w);
		c->rounds[c->nrounds++] = s.median;
	}
out:
	cb_shared_free(c->watch, watch_size);
	c->watch = NULL;
}

/* Writes what is finished; a failed write fails the run, and the file on
 * disk stays the last complete document. */
static void write_results(cb_run *run)
{
	cb_error err = { 0 };
	if (cb_results_write(run, &err)) {
		if (!run->write_error && !run->cfg->quiet)   /* past the progress line, if any */
			fprintf(stderr, "%sconcbench: %s\n", isatty(STDERR_FILENO) ? "\n" : "", err.msg);
		free(run->write_error);
		run->write_error = cb_xstrdup(err.msg);
		run->failed = true;
		return;
	}
	free(run->write_error);
	run->write_error = NULL;
	for (int i = 0; i < run->ncells; i++) {
		run->cells[i].reps_on_disk = run->cells[i].reps_done;
		run->cells[i].done_on_disk = run->cells[i].done;
	}
}

typedef struct filter_ctx {
	cb_run *run;
	bool *selected;
} filter_ctx;

static void mark_selected(const char *name, void *arg)
{
	filter_ctx *f = arg;
	for (int i = 0; i < f->run->ncells; i++) {
		size_t n = strlen(f->run->cells[i].id);
		if (!strncmp(name, f->run->cells[i].id, n) && (name[n] == '/' || name[n] == 0))
			f->selected[i] = true;
	}
}

/* Cells that an engine filter (--benchmark_filter) leaves out are recorded
 * as skipped and never get a process. */
int cb_runner_select(cb_run *run, cb_error *err)
{
	run->selected = true;
	filter_ctx f = { run, cb_xcalloc((size_t)run->ncells + 1, sizeof *f.selected) };
	for (int i = 0; i < run->ncells; i++) {
		cb_gb_bench *b = cb_gb_register(run->cells[i].id, NULL, NULL);
		cb_gb_iterations(b, 1);
	}
	long n = cb_gb_list(NULL, mark_selected, &f);
	cb_gb_clear();
	for (int i = 0; n >= 0 && i < run->ncells; i++)
		if (!f.selected[i] && !run->cells[i].error)
			run->cells[i].skipped = "not run: left out by --benchmark_filter";
	free(f.selected);
	return n < 0 ? cb_error_set(err, CB_EXIT_USAGE, "the measurement engine's filter is not a valid "
	                            "regular expression (--benchmark_filter)") : 0;
}

/* A small generator for the order of the cells in each round: the seed is
 * recorded, so an order can be replayed. */
static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void shuffle(int *v, int n, uint64_t *seed)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(next_random(seed) % (uint64_t)(i + 1));
		int t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

int cb_runner_run(cb_run *run, cb_error *err)
{
	cb_run_config *cfg = run->cfg;
	if (!run->selected && cb_runner_select(run, err))
		return -1;
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int was_reaper = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &was_reaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* The parent keeps only what describes each job. */
	for (int j = 0; j < run->njobs; j++)
		cb_job_release(run->jobs[j]);
	malloc_trim(0);
	run->t_start = cb_now();
	int rounds = cfg->rounds > 0 ? cfg->rounds : 1;
	int *order = cb_xcalloc((size_t)run->ncells + 1, sizeof *order), n = 0;
	run->reps_total = 0;
	for (int i = 0; i < run->ncells; i++) {
		cb_cell *c = &run->cells[i];
		c->reps_total = rounds * cfg->reps;
		c->reps = cb_xcalloc((size_t)c->reps_total, sizeof *c->reps);
		c->rounds = cb_xcalloc((size_t)rounds, sizeof *c->rounds);
		c->checksum_ok = true;
		if (!c->error && !c->skipped) {
			order[n++] = i;
			run->reps_total += c->reps_total;
		}
	}
	uint64_t seed = cfg->seed;
	for (int r = 0; r < rounds && !interrupted; r++) {
		shuffle(order, n, &seed);
		for (int k = 0; k < n && !interrupted; k++) {
			cb_cell *c = &run->cells[order[k]];
			if (c->error)
				continue;
			measure_round(run, c, r);
			if (c->error || r == rounds - 1) {
				c->done = true;
				run->cells_done++;
			}
			write_results(run);
		}
	}
	free(order);
	if (interrupted) {
		run->interrupted = true;
		run->failed = true;
	}
	for (int i = 0; i < run->ncells; i++)
		if (!run->cells[i].done && (run->cells[i].reps_done || !run->interrupted)) {
			run->cells[i].done = true;
			run->cells_done++;
		}
	write_results(run);
	if (!cfg->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	prctl(PR_SET_CHILD_SUBREAPER, was_reaper);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (run->write_error) {
		char lost[640] = "";
		size_t off = 0;
		int nlost = 0, named = 0;
		for (int i = 0; i < run->ncells; i++) {
			const cb_cell *c = &run->cells[i];
			if (c->reps_on_disk == c->reps_done && c->done_on_disk == c->done)
				continue;
			nlost++;
			if (named == nlost - 1 && off + strlen(c->id) + 3 < sizeof lost) {
				off += (size_t)snprintf(lost + off, sizeof lost - off, "%s%s", named ? ", " : "", c->id);
				named++;
			}
		}
		char more[32] = "";
		if (named < nlost)
			snprintf(more, sizeof more, " and %d more", nlost - named);
		return cb_error_set(err, CB_EXIT_FAIL, "%s; %s/results.json is the last complete document, "
		                    "without these %d cells or their latest repetitions: %s%s", run->write_error,
		                    run->dir, nlost, lost, more);
	}
	return 0;
}
