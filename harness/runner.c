/* The runner: every cell is one Google Benchmark benchmark (manual time,
 * one iteration per repetition, repetitions interleaved at random across
 * cells), and each repetition is setup | pre | parallel | post | verify,
 * with CPU time, context switches, migrations, peak RSS and the CPUs each
 * worker ran on recorded beside the three timed phases. Cells open lazily
 * on their first repetition and close after their last, and results.json
 * is rewritten after every cell that closes. */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "gbench.h"
#include "run.h"

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

static void fail_cell(cb_cell *c, const char *msg)
{
	if (!c->error)
		c->error = cb_xstrdup(msg);
	c->run->failed = true;
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

static void finish_cell(cb_cell *c)
{
	cb_run *run = c->run;
	if (c->done)
		return;
	c->done = true;
	cb_cell_close(c);
	run->cells_done++;
	cb_error err = { 0 };
	if (cb_results_write(run, &err))
		fprintf(stderr, "\nconcbench: %s\n", err.msg);
}

static void cell_body(cb_gb_state *st, void *arg)
{
	cb_cell *c = arg;
	cb_run *run = c->run;
	cb_error err = { 0 };
	const char *skip = NULL;

	if (interrupted && !run->interrupted) {
		run->interrupted = true;
		run->failed = true;
	}
	if (run->interrupted)
		skip = "interrupted";
	else if (c->error || c->done)
		skip = c->error ? c->error : "done";
	else if (!c->open) {
		int rc = cb_cell_open(c, &err);
		for (int w = 0; !rc && w < run->cfg->warmup; w++) {
			cb_rep warm;
			rc = cb_cell_rep(c, &warm, &err);
			cb_rep_clear(&warm);
		}
		if (rc) {
			fail_cell(c, err.msg);
			skip = c->error;
		}
	}
	/* The engine's loop runs even for a repetition that is skipped: it
	 * checks that every repetition of a benchmark, failed ones included,
	 * reports the same iteration count. */
	cb_rep rep = { 0 };
	int rc = 0;
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++)
			if (!skip)
				rc |= cb_cell_rep(c, &rep, &err);
	if (!skip && rc) {
		cb_rep_clear(&rep);
		fail_cell(c, err.msg);
		skip = c->error;
	}
	if (skip) {
		cb_gb_skip_with_error(st, skip);
	} else {
		cb_gb_set_iteration_time(st, rep.wall_s);
		c->reps[c->reps_done++] = rep;
	}
	run->reps_done++;
	if (!c->done && (c->error || run->interrupted || c->reps_done == c->reps_total)) {
		/* Repetitions this cell will not run still count for the ETA. */
		finish_cell(c);
	}
	progress(run, c);
}

static void ignore_report(const struct cb_gb_run *r, void *ctx)
{
	(void)r;
	(void)ctx;
}

/* Runs what is registered, then forgets it. */
static int run_registered(cb_run *run, cb_error *err)
{
	long n = cb_gb_run(NULL, ignore_report, run);
	cb_gb_clear();
	return n < 0 ? cb_error_set(err, CB_EXIT_FAIL, "the measurement engine refused to run") : 0;
}

int cb_runner_run(cb_run *run, cb_error *err)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	run->perf_fd = perf_open_migrations();
	run->t_start = cb_now();
	/* Cells of strategies run by a launcher (mpirun and its daemons, whose
	 * helper threads wake now and then even when idle) are kept out of the
	 * interleaving: each runs alone, after the rest, so that no launcher
	 * sits beside another cell's measurement. */
	int rc = 0, interleaved = 0;
	for (int pass = 0; pass < 2 && !rc; pass++) {
		for (int i = 0; i < run->ncells; i++) {
			cb_cell *c = &run->cells[i];
			bool external = c->strategy->flags & CB_STRATEGY_EXTERNAL;
			if (external != (pass == 1))
				continue;
			c->reps_total = run->cfg->reps;
			cb_gb_bench *b = cb_gb_register(c->id, cell_body, c);
			cb_gb_use_manual_time(b);
			cb_gb_iterations(b, 1);
			cb_gb_repetitions(b, run->cfg->reps);
			cb_gb_time_unit(b, CB_GB_MS);
			interleaved += !external;
			if (external) {
				rc = run_registered(run, err);
				if (rc)
					break;
			}
		}
		if (pass == 0 && interleaved)
			rc = run_registered(run, err);
	}
	/* Cells that never got a repetition (an engine-level filter) close too. */
	for (int i = 0; i < run->ncells; i++)
		if (!run->cells[i].done) {
			if (!run->cells[i].reps_done && !run->interrupted)
				run->cells[i].skipped = "not run: left out by --benchmark_filter";
			finish_cell(&run->cells[i]);
		}
	if (!run->cfg->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	if (run->perf_fd >= 0)
		close(run->perf_fd);
	run->perf_fd = -1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}
