/* One cell's lifecycle, the only one in the project: init (what the cell
 * is), place (its executors' cpusets), open (the strategy's cell setup:
 * pools start here, untimed), rep (one timed repetition: setup | pre |
 * parallel | post | verify, with CPU time, context switches, migrations,
 * peak RSS and each worker's CPUs beside the three phases), close, free.
 * The plan, the runner's measuring process, micro and the tests all go
 * through it; cb_solo_open gives a cell outside a plan. A repetition's
 * record (cb_rep_json and back) lives here too. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/migrations.h"
#include "engine/capacity.h"
#include "engine/run.h"

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
	if (rep->probe)
		json_decref(rep->probe);
	rep->probe = NULL;
	if (rep->pu_speed)
		json_decref(rep->pu_speed);
	rep->pu_speed = NULL;
}

int cb_cell_place(cb_cell *c, const cb_topology *t, const cb_pin *pin, cb_error *err)
{
	if (c->strategy->flags & CB_STRATEGY_THREADS)
		return cb_place_groups(t, pin, c->workers, c->threads, &c->place, err);
	return cb_place(t, pin, c->workers, &c->place, err);
}

/* What open maps for the executors: their progress records, the job
 * control block and the tracer's lanes. */
static void release_shared(cb_cell *c)
{
	cb_exec *ex = &c->ex;
	cb_shared_free(ex->trace, (size_t)(c->workers * c->threads) * sizeof *ex->trace);
	cb_shared_free(ex->ctl, sizeof *ex->ctl);
	cb_tracer_free(ex->tracer);
	ex->trace = NULL;
	ex->ctl = NULL;
	ex->tracer = NULL;
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
	/* Mapped before cell_setup, so that pool processes inherit it. */
	if (run->cfg->trace_cap && !(c->strategy->flags & CB_STRATEGY_EXTERNAL))
		ex->tracer = cb_tracer_alloc(c->workers * c->threads, run->cfg->trace_cap);
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
	release_shared(c);
	return -1;
}

int cb_cell_settle_passes(const cb_cell *c)
{
	unsigned pool = CB_STRATEGY_POOL | CB_STRATEGY_FORKS;
	int parts = c->workers * c->threads;
	/* One executor ran every task in the warmup already. */
	if ((c->strategy->flags & pool) != pool || (c->strategy->flags & CB_STRATEGY_EXTERNAL) ||
	    (parts < 2 && c->run->cfg->warmup > 0))
		return 0;
	return parts;
}

int cb_cell_settle(cb_cell *c, void (*each)(double wall_s, void *ctx), void *ctx, cb_error *err)
{
	if (!c->open)
		return 0;
	int rc = 0, parts = cb_cell_settle_passes(c);
	for (int r = 1; r <= parts && !rc; r++) {
		atomic_store(&c->ex.ctl->rotate, r);
		cb_rep rep;
		rc = cb_cell_rep(c, &rep, err);
		if (!rc && each)
			each(rep.wall_s, ctx);
		cb_rep_clear(&rep);
	}
	atomic_store(&c->ex.ctl->rotate, 0);
	return rc;
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
	release_shared(c);
	c->open = false;
}

/* The main thread runs pre and post, and waits while the workers run: it
 * is bound to worker 0's cpuset (the whole allowed set when unpinned) so
 * that the serial phases run where the cell runs and a pinned cell shows
 * no migrations from the main thread waking up elsewhere. */
static void bind_main(const cb_cell *c)
{
	if (!cb_topology_is_this_system(c->run->topo))
		return;
	if (c->place.sets && c->place.sets[0])
		cb_bind_thread(c->run->topo, c->place.sets[0]);
	else
		cb_bind_thread(c->run->topo, hwloc_topology_get_allowed_cpuset(cb_topology_hwloc(c->run->topo)));
}

/* The speed probe on the cell's PUs, one after the other, the main thread
 * bound to each: {"PU": ms}. At most CB_PROBE_PUS of them, spread evenly
 * over the placement's distinct PUs (a wide cell's rounds would otherwise
 * pay a millisecond and more per PU). NULL when the cell is not pinned,
 * runs elsewhere (a launcher's ranks) or the topology is not this
 * machine's. The main thread is bound back where the cell keeps it. */
#define CB_PROBE_PUS 8
json_t *cb_cell_probe(const cb_cell *c)
{
	int *pus = cb_xcalloc((size_t)c->place.workers + 1, sizeof *pus);
	int n = cb_cell_pus(c, pus);
	json_t *out = NULL;
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	size_t take = cb_spread_pus(pus, (size_t)n, CB_PROBE_PUS);
	for (size_t k = 0; k < take; k++) {
		int pu = pus[k];
		hwloc_bitmap_only(set, (unsigned)pu);
		if (cb_bind_thread(c->run->topo, set))
			continue;
		char key[16];
		snprintf(key, sizeof key, "%d", pu);
		if (!out)
			out = json_object();
		json_object_set_new(out, key, json_real(cb_speed_probe_ms()));
	}
	hwloc_bitmap_free(set);
	free(pus);
	bind_main(c);
	return out;
}

int cb_cell_pus(const cb_cell *c, int *pus)
{
	if (!cb_topology_is_this_system(c->run->topo) || !c->place.pu || c->strategy->run_rep)
		return 0;
	int n = 0;
	for (int w = 0; w < c->place.workers; w++) {
		int pu = c->place.pu[w], seen = pu < 0;
		for (int k = 0; k < n && !seen; k++)
			seen = pus[k] == pu;
		if (!seen)
			pus[n++] = pu;
	}
	return n;
}

/* Its executors wait by design: a coroutine's share of the job is not
 * its executor's, and an I/O task sleeps. */
static bool executors_wait(const cb_cell *c)
{
	return (c->strategy->flags & CB_STRATEGY_YIELDS) || c->job->wl->kind == CB_KIND_IO;
}

double cb_cell_work_cpu_s(const cb_cell *c)
{
	if (executors_wait(c) || !c->ex.trace)
		return NAN;
	double sum = 0;
	for (int e = 0; e < c->workers * c->threads; e++)
		sum += c->ex.trace[e].cpu_s;
	return sum > 0 ? sum : NAN;
}

void cb_cell_capacity(const cb_cell *c, const int *pus, int n, const double *before, const double *after,
                      cb_rep *rep)
{
	if (n < 1)
		return;
	double *guest = cb_xcalloc((size_t)n, sizeof *guest);
	if (executors_wait(c))
		for (int i = 0; i < n; i++)
			guest[i] = 1;
	else
		cb_capacity_guest(c->ex.trace, c->workers * c->threads, pus, n, guest);
	json_t *speed = json_object();
	double sum = 0;
	for (int i = 0; i < n; i++) {
		double s = guest[i];
		if (before && before[i] < s)
			s = before[i];
		if (after && after[i] < s)
			s = after[i];
		sum += s;
		char key[16];
		snprintf(key, sizeof key, "%d", pus[i]);
		json_object_set_new(speed, key, json_real(s));
	}
	free(guest);
	if (rep->pu_speed)
		json_decref(rep->pu_speed);
	rep->pu_speed = speed;
	rep->capacity = sum;
	rep->capacity_pus = n;
	rep->reduced = sum < CB_CAPACITY_FULL * n;
}

json_t *cb_cell_end_json(const cb_cell *c)
{
	json_t *end = json_object();
	json_object_set_new(end, "checksum", json_sprintf("%llu", (unsigned long long)c->checksum));
	json_object_set_new(end, "record", c->record ? json_incref(c->record) : json_null());
	json_object_set_new(end, "note", json_string(c->ex.note));
	if (c->has_latency)
		json_object_set_new(end, "latency", json_pack("[f, f, f, f]", c->latency[0], c->latency[1],
		                                              c->latency[2], c->latency[3]));
	if (c->capacity_readings)
		json_object_set_new(end, "capacity_cost", json_pack("{s:f, s:i}", "s", c->capacity_cost_s,
		                                                    "readings", c->capacity_readings));
	return end;
}

bool cb_cell_pairs_serial(const cb_cell *c)
{
	return c->run->cfg->pair_serial && !(c->strategy->flags & (CB_STRATEGY_BASELINE | CB_STRATEGY_EXTERNAL)) &&
	       !c->strategy->run_rep && c->job->scale == 1 && c->job->wl->kind != CB_KIND_IO;
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
	cb_sort(v, job->ntasks);
	c->latency[0] = cb_percentile_sorted(v, job->ntasks, 0.50);
	c->latency[1] = cb_percentile_sorted(v, job->ntasks, 0.90);
	c->latency[2] = cb_percentile_sorted(v, job->ntasks, 0.99);
	c->latency[3] = v[job->ntasks - 1];
	c->has_latency = true;
	free(v);
}

/* Untimed reset before a repetition: a task that a strategy skips must
 * not inherit the previous repetition's correct partial. */
static void rep_reset(cb_cell *c, cb_rep *rep, int nw)
{
	cb_exec *ex = &c->ex;
	cb_job *job = c->job;
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
	rep->capacity = NAN;
	rep->serial_s = NAN;
	rep->work_speed = NAN;
}

/* The timed repetition: pre, the parallel section and post, each phase's
 * end in t0..t3, and the checksum. Returns the strategy's or the
 * workload's answer (0, or -1 with err). */
static int rep_timed(cb_cell *c, cb_remote_rep *remote, double *t0, double *t1, double *t2, double *t3,
                     uint64_t *sum, cb_error *err)
{
	cb_exec *ex = &c->ex;
	cb_job *job = c->job;
	int rc;
	if (c->strategy->run_rep) {
		/* The executors time the phases where they run them. */
		rc = c->strategy->run_rep(ex, job, remote, err);
		*t0 = 0;
		*t1 = remote->pre_s;
		*t2 = *t1 + remote->par_s;
		*t3 = *t2 + remote->post_s;
		*sum = remote->checksum;
	} else {
		*t0 = cb_now();
		rc = job->wl->pre ? job->wl->pre(job, err) : 0;
		*t1 = cb_now();
		if (!rc)
			rc = c->strategy->run_job(ex, job, err);
		*t2 = cb_now();
		*sum = rc ? 0 : job->wl->post(job);
		*t3 = cb_now();
	}
	return rc;
}

int cb_cell_rep(cb_cell *c, cb_rep *rep, cb_error *err)
{
	cb_exec *ex = &c->ex;
	cb_job *job = c->job;
	int nw = c->workers * c->threads;

	rep_reset(c, rep, nw);

	struct rusage s0, s1, k0, k1;
	cb_cpu_times p0 = { 0 }, p1 = { 0 };
	if (c->strategy->cpu_times)
		c->strategy->cpu_times(ex, &p0);
	getrusage(RUSAGE_SELF, &s0);
	getrusage(RUSAGE_CHILDREN, &k0);
	long long m0 = cb_migrations_read(c->run->perf_fd);
	double at = cb_now() - c->run->t_start;

	double t0, t1, t2, t3;
	uint64_t sum = 0;
	cb_remote_rep remote = { .comm_s = NAN };
	int rc = rep_timed(c, &remote, &t0, &t1, &t2, &t3, &sum, err);

	long long m1 = cb_migrations_read(c->run->perf_fd);
	c->rep_t[0] = t0, c->rep_t[1] = t1, c->rep_t[2] = t2, c->rep_t[3] = t3;
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
	rep->at_s = at;
	/* Pool processes (cpu_times) are neither self nor reaped children. */
	rep->user_s = tv_s(s1.ru_utime) - tv_s(s0.ru_utime) + tv_s(k1.ru_utime) - tv_s(k0.ru_utime) +
	               (p1.user_s - p0.user_s);
	rep->sys_s = tv_s(s1.ru_stime) - tv_s(s0.ru_stime) + tv_s(k1.ru_stime) - tv_s(k0.ru_stime) +
	              (p1.sys_s - p0.sys_s);
	rep->vcsw = (s1.ru_nvcsw - s0.ru_nvcsw) + (k1.ru_nvcsw - k0.ru_nvcsw) + (p1.vcsw - p0.vcsw);
	rep->ivcsw = (s1.ru_nivcsw - s0.ru_nivcsw) + (k1.ru_nivcsw - k0.ru_nivcsw) + (p1.ivcsw - p0.ivcsw);
	rep->minflt = (s1.ru_minflt - s0.ru_minflt) + (k1.ru_minflt - k0.ru_minflt) + (p1.minflt - p0.minflt);
	rep->user_s += remote.user_s;
	rep->sys_s += remote.sys_s;
	rep->minflt += remote.minflt;
	rep->comm_s = remote.comm_s;
	rep->migrations = m0 >= 0 && m1 >= 0 ? m1 - m0 : -1;
	/* Remote executors count their own: this process's counter would see
	 * the launcher (mpirun and its helpers, unpinned) and not the work. */
	if (c->strategy->run_rep)
		rep->migrations = remote.migrations;
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
	json_object_set_new(j, "minflt", json_integer(r->minflt));
	json_object_set_new(j, "comm_s", isfinite(r->comm_s) ? json_real(r->comm_s) : json_null());
	json_object_set_new(j, "round", json_integer(r->round));
	json_object_set_new(j, "at_s", json_real(r->at_s));
	json_object_set_new(j, "cpus", r->cpus ? json_incref(r->cpus) : json_array());
	if (r->probe)
		json_object_set(j, "probe_ms", r->probe);
	if (isfinite(r->capacity)) {
		json_object_set_new(j, "capacity", json_real(r->capacity));
		json_object_set_new(j, "capacity_pus", json_integer(r->capacity_pus));
		json_object_set_new(j, "reduced_capacity", json_boolean(r->reduced));
		if (r->pu_speed)
			json_object_set(j, "pu_speed", r->pu_speed);
	}
	if (isfinite(r->serial_s)) {
		json_object_set_new(j, "serial_s", json_real(r->serial_s));
		json_object_set_new(j, "serial_reduced", json_boolean(r->serial_reduced));
	}
	if (isfinite(r->work_speed))
		json_object_set_new(j, "work_speed", json_real(r->work_speed));
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
	r->minflt = (long)jreal(j, "minflt", -1);
	r->maxrss_kib = (long)jreal(j, "maxrss_kib", -1);
	r->migrations = (long long)jreal(j, "migrations", -1);
	r->start_moves = (int)jreal(j, "start_moves", 0);
	r->round = (int)jreal(j, "round", 0);
	r->at_s = jreal(j, "at_s", NAN);
	r->checksum_ok = json_is_true(json_object_get(j, "checksum_ok"));
	json_t *cpus = json_object_get(j, "cpus");
	r->cpus = json_is_array(cpus) ? json_incref(cpus) : json_array();
	json_t *probe = json_object_get(j, "probe_ms");
	r->probe = json_is_object(probe) ? json_incref(probe) : NULL;
	r->capacity = jreal(j, "capacity", NAN);
	r->capacity_pus = (int)jreal(j, "capacity_pus", 0);
	r->reduced = json_is_true(json_object_get(j, "reduced_capacity"));
	json_t *speed = json_object_get(j, "pu_speed");
	r->pu_speed = json_is_object(speed) ? json_incref(speed) : NULL;
	r->serial_s = jreal(j, "serial_s", NAN);
	r->serial_reduced = json_is_true(json_object_get(j, "serial_reduced"));
	r->work_speed = jreal(j, "work_speed", NAN);
	return 0;
}


void cb_cell_init(cb_cell *c, cb_run *run, cb_job *job, const cb_strategy *st, int workers,
                  int concurrency, int threads, int reps_total)
{
	memset(c, 0, sizeof *c);
	c->run = run;
	c->job = job;
	c->strategy = st;
	c->workers = workers;
	c->concurrency = concurrency;
	c->threads = threads;
	c->reps_total = reps_total;
}

void cb_cell_free(cb_cell *c)
{
	cb_cell_close(c);
	cb_placement_free(&c->place);
	for (int r = 0; r < c->reps_done; r++)
		cb_rep_clear(&c->reps[r]);
	for (int r = 0; r < c->naside; r++)
		cb_rep_clear(&c->aside[r]);
	free(c->aside);
	free(c->rounds_reduced);
	c->aside = NULL;
	c->rounds_reduced = NULL;
	c->naside = c->aside_cap = 0;
	free(c->reps);
	free(c->rounds);
	free(c->error);
	if (c->record)
		json_decref(c->record);
	if (c->trace)
		json_decref(c->trace);
	c->trace = NULL;
	c->reps = NULL;
	c->rounds = NULL;
	c->error = NULL;
	c->record = NULL;
}

/* ---- a cell outside a plan -------------------------------------------- */

struct cb_solo {
	cb_run_config cfg;
	cb_run run;
	cb_cell cell;
	cb_kv *kv;
	bool own_topo;
};

cb_cell *cb_solo_open(const cb_solo_spec *s, cb_error *err)
{
	struct cb_solo *x = cb_xcalloc(1, sizeof *x);
	x->cfg.size = s->size;
	x->cfg.reps = s->reps;
	x->cfg.trace_cap = s->trace_cap;
	if (s->nparams) {
		x->kv = cb_xcalloc(s->nparams, sizeof *x->kv);
		memcpy(x->kv, s->params, s->nparams * sizeof *x->kv);
	}
	x->cfg.params = x->kv;
	x->cfg.nparams = s->nparams;
	x->run.cfg = &x->cfg;
	x->run.perf_fd = -1;
	x->run.topo = s->topo;
	cb_cell_init(&x->cell, &x->run, s->job, s->strategy, s->workers, s->concurrency, s->threads, s->reps);
	x->cell.solo = x;
	snprintf(x->cfg.sched_text, sizeof x->cfg.sched_text, "%s", s->sched);
	if (cb_pin_parse(s->pin, &x->cfg.pin, err) || cb_schedule_parse(s->sched, &x->cfg.sched, err))
		goto fail;
	if (!x->run.topo) {
		if (cb_topology_open(&x->run.topo, NULL, err))
			goto fail;
		x->own_topo = true;
	}
	snprintf(x->cell.id, sizeof x->cell.id, "%s/%s/n%d/c%d/t%d/%s/%s", s->job->wl->name,
	         s->strategy->name, s->workers, s->concurrency, s->threads, s->pin, s->sched);
	if (cb_cell_place(&x->cell, x->run.topo, &x->cfg.pin, err) || cb_cell_open(&x->cell, err))
		goto fail;
	return &x->cell;
fail:
	cb_solo_free(&x->cell);
	return NULL;
}

void cb_solo_free(cb_cell *c)
{
	if (!c)
		return;
	struct cb_solo *x = c->solo;
	cb_cell_free(c);
	if (x->own_topo)
		cb_topology_free(x->run.topo);
	cb_pin_free(&x->cfg.pin);
	free(x->kv);
	free(x);
}
