/* The runner: a lean parent runs every cell in rounds, each round of each
 * cell in a fresh process that holds only that cell's job (so that no cell
 * measures another's footprint), in a new random order every round,
 * blocked by workload (round_order). In
 * that process the cell is one Google Benchmark benchmark (manual time,
 * one iteration per repetition), and each repetition is
 * setup | pre | parallel | post | verify, with CPU time, context switches,
 * migrations, peak RSS and the CPUs each worker ran on recorded beside the
 * three timed phases. results.json is rewritten at checkpoints (below). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <poll.h>
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

#include "base/spin.h"
#include "engine/capacity.h"
#include "engine/gbench.h"
#include "base/migrations.h"
#include "engine/run.h"

/* Interrupts received (Ctrl-C, SIGTERM), counted to 2: the first stops
 * the run after the repetition at hand, the second at once. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	if (interrupted < 2)
		interrupted++;   /* both signals are blocked here: no lost count */
}

static void catch_interrupts(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
}

void cb_runner_catch_interrupts(void)
{
	catch_interrupts(NULL, NULL);
}

int cb_runner_check_interrupt(cb_error *err)
{
	if (!interrupted)
		return 0;
	return cb_error_set(err, CB_EXIT_FAIL, "interrupted while the jobs were set up: nothing was measured");
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
	cb_cell *serial;  /* the serial cell its repetitions pair with, or NULL */
	int fd, round;
	json_t *probe;   /* the round's speed probe reading, or NULL */
	cb_capacity *cap; /* the host's capacity probe (2 PUs or more), or NULL */
	int *pus, npus;   /* the cell's PUs (0: its capacity is not measured) */
	double *before, *after;
	bool fresh;       /* after[] holds the reading after the last repetition */
	int retakes, in_row;  /* repetitions retaken this round; reduced in a row */
	uint64_t rng;     /* the order within each pair */
} child_ctx;

static void send_warm(double wall_s, void *fd)
{
	cb_send_json_line(*(int *)fd, json_pack("{s:f}", "warm", wall_s));
}

/* The paired serial repetition: its wall time, or NAN with rc set, and
 * its executor's CPU seconds (cpu_s). Its own capacity (its one PU's
 * share) makes the pair reduced. */
static double serial_rep(child_ctx *x, bool *reduced, double *cpu_s, int *rc, cb_error *err)
{
	cb_rep sr;
	int pu;
	*rc |= cb_cell_rep(x->serial, &sr, err);
	if (cb_cell_pus(x->serial, &pu) == 1) {
		cb_cell_capacity(x->serial, &pu, 1, NULL, NULL, &sr);
		*reduced |= sr.reduced;
	}
	*cpu_s = cb_cell_work_cpu_s(x->serial);
	double t = sr.wall_s;
	cb_rep_clear(&sr);
	return *rc ? NAN : t;
}

/* CB_WORK_SPEED_FAKE=FACTOR (tests): the workers' speed read as FACTOR
 * times what was measured. */
static double work_speed_fake(void)
{
	const char *f = getenv("CB_WORK_SPEED_FAKE");
	double v = f ? atof(f) : 0;
	return v > 0 ? v : 1;
}

/* One timed repetition with what stands beside it: the host's capacity
 * read before and after it, the guest's from its executors, and the
 * paired serial repetition before or after it (drawn). */
static int measure_one(child_ctx *x, cb_rep *rep, cb_error *err)
{
	cb_cell *c = x->c;
	bool serial_first = x->serial && (cb_random(&x->rng) & 1), serial_reduced = false;
	int rc = 0;
	double serial_s = NAN, serial_cpu = NAN, cpu = NAN;
	if (serial_first)
		serial_s = serial_rep(x, &serial_reduced, &serial_cpu, &rc, err);
	/* The reading just after the last repetition stands for the one
	 * before this (a paired serial repetition at most between them,
	 * milliseconds): one reading a repetition. A host's reduced
	 * capacity lasts seconds; a process of this machine's that takes a
	 * worker's PU during the repetition itself is the guest reading's. */
	if (!rc && x->cap && x->fresh)
		memcpy(x->before, x->after, (size_t)x->npus * sizeof *x->before);
	else if (!rc && x->cap)
		cb_capacity_read(x->cap, x->before);
	if (!rc)
		rc = cb_cell_rep(c, rep, err);
	if (!rc)
		cpu = cb_cell_work_cpu_s(c);
	if (!rc && x->cap)
		cb_capacity_read(x->cap, x->after);
	x->fresh = !rc && x->cap;
	if (!rc && x->npus)
		cb_cell_capacity(c, x->pus, x->npus, x->cap ? x->before : NULL, x->cap ? x->after : NULL, rep);
	if (!rc && x->serial && !serial_first)
		serial_s = serial_rep(x, &serial_reduced, &serial_cpu, &rc, err);
	rep->serial_s = serial_s;
	rep->serial_reduced = serial_reduced;
	if (!rc && isfinite(serial_cpu) && isfinite(cpu))
		rep->work_speed = serial_cpu / cpu * work_speed_fake();
	return rc;
}

/* A repetition measured at reduced capacity (or whose paired serial one
 * was) is sent apart and taken again, at most CB_CAPACITY_RETAKES times a round and not once that
 * many in a row were reduced: a machine that stays reduced gets reported
 * as it is, marked. */
static int measure_kept(child_ctx *x, cb_rep *rep, cb_error *err)
{
	for (;;) {
		int rc = measure_one(x, rep, err);
		if (rc)
			return rc;
		bool reduced = rep->reduced || rep->serial_reduced;
		bool retake = reduced && x->retakes < CB_CAPACITY_RETAKES && x->in_row < CB_CAPACITY_RETAKES;
		x->in_row = reduced ? x->in_row + 1 : 0;
		if (!retake)
			return 0;
		x->retakes++;
		rep->set_aside = true;
		rep->round = x->round;
		cb_send_json_line(x->fd, json_pack("{s:o}", "aside", cb_rep_json(rep)));
		cb_rep_clear(rep);
	}
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
				rc |= measure_kept(x, &rep, &err);
	rep.probe = x->probe ? json_incref(x->probe) : NULL;
	if (!skip && rc) {
		cb_rep_clear(&rep);
		fail_cell(c, err.msg);
		cb_send_json_line(x->fd, json_pack("{s:s}", "error", c->error));
		skip = c->error;
	}
	if (skip) {
		cb_rep_clear(&rep);
		cb_gb_skip_with_error(st, skip);
		return;
	}
	cb_gb_set_iteration_time(st, rep.wall_s);
	rep.round = x->round;
	cb_send_json_line(x->fd, json_pack("{s:o}", "rep", cb_rep_json(&rep)));
	cb_rep_clear(&rep);
}

static void ignore_report(const struct cb_gb_run *r, void *ctx)
{
	(void)r;
	(void)ctx;
}

/* The serial strategy: the table's baseline. */
static const cb_strategy *baseline_strategy(void)
{
	for (const cb_strategy *const *s = cb_strategies; *s; s++)
		if ((*s)->flags & CB_STRATEGY_BASELINE)
			return *s;
	return NULL;
}

/* What stands beside the timed repetitions, untimed: the capacity probe
 * on the cell's PUs (at its shortest length until the warmup has set the
 * pace) and the serial cell its repetitions pair with. */
static int extras_open(child_ctx *x, cb_error *err)
{
	cb_cell *c = x->c;
	cb_run *run = c->run;
	x->pus = cb_xcalloc((size_t)c->place.workers + 1, sizeof *x->pus);
	x->npus = cb_cell_pus(c, x->pus);
	x->before = cb_xcalloc((size_t)x->npus + 1, sizeof *x->before);
	x->after = cb_xcalloc((size_t)x->npus + 1, sizeof *x->after);
	x->rng = run->cfg->seed ^ ((uint64_t)x->round << 32) ^ (uint64_t)(uintptr_t)c;
	if (x->npus > 1) {
		x->cap = cb_capacity_open(run->topo, x->pus, x->npus, cb_capacity_probe_ms(0), err);
		if (!x->cap)
			return -1;
	}
	const cb_strategy *st = baseline_strategy();
	if (!cb_cell_pairs_serial(c) || !st)
		return 0;
	x->serial = cb_xcalloc(1, sizeof *x->serial);
	cb_cell_init(x->serial, run, c->job, st, 1, 1, 1, 1);
	snprintf(x->serial->id, sizeof x->serial->id, "%.200s (paired serial)", c->id);
	if (cb_cell_place(x->serial, run->topo, &run->cfg->pin, err) || cb_cell_open(x->serial, err))
		return -1;
	return 0;
}

static void extras_close(child_ctx *x)
{
	if (x->cap) {
		x->c->capacity_cost_s = cb_capacity_cost_s(x->cap, &x->c->capacity_readings);
		cb_capacity_close(x->cap);
	}
	if (x->serial) {
		cb_cell_free(x->serial);
		free(x->serial);
	}
	free(x->pus);
	free(x->before);
	free(x->after);
}

/* The round's timed repetitions, one Google Benchmark benchmark. */
static void timed_reps(child_ctx *x)
{
	cb_gb_bench *b = cb_gb_register(x->c->id, child_body, x);
	cb_gb_use_manual_time(b);
	cb_gb_iterations(b, 1);
	cb_gb_repetitions(b, x->c->run->cfg->reps);
	cb_gb_time_unit(b, CB_GB_MS);
	long n = cb_gb_run(NULL, ignore_report, NULL);
	cb_gb_clear();
	if (n < 0)
		cb_send_json_line(x->fd, json_pack("{s:s}", "error", "the measurement engine refused to run"));
}

static void send_end(const cb_cell *c, int fd)
{
	cb_send_json_line(fd, json_pack("{s:o}", "end", cb_cell_end_json(c)));
}

static int child_main(cb_cell *c, int fd, int round)
{
	cb_run *run = c->run;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN);   /* Ctrl-C is the parent's; it sends SIGTERM */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	cb_error err = { 0 };
	int rc = cb_job_reopen(c->job, &err);
	/* Migrations count this process and what the cell starts from here
	 * (pools, workers): not what the job's setup started (io.tcp's echo
	 * server, a process that stands for a remote service, unpinned). */
	run->perf_fd = cb_migrations_open();
	/* The PUs' speed at this moment, for compare: before the strategy
	 * starts its pools (nothing of the cell's runs beside it) and before
	 * the warmup, which then leaves the caches as the job has them for
	 * the timed repetitions. */
	json_t *probe = rc ? NULL : cb_cell_probe(c);
	if (!rc)
		rc = cb_cell_open(c, &err);
	/* What stands beside the timed repetitions is there before the
	 * warmup, so that the warmup leaves the process as they find it: the
	 * capacity probe's threads, opened after it, took the thread stacks
	 * glibc kept from the warmup's workers, and the first timed
	 * repetition of `threads` paid for new ones (graph.deps stencil at
	 * 2.5 us tasks, 2 workers: 0.96-1.2 ms against 0.72-0.79 ms for the
	 * rest; every repetition 0.96-1.18 ms with glibc's stack cache off). */
	child_ctx x = { .c = c, .fd = fd, .round = round, .probe = probe };
	if (!rc)
		rc = extras_open(&x, &err);
	double warm_s = 0;
	for (int w = 0; !rc && !interrupted && w < run->cfg->warmup; w++) {
		cb_rep warm;
		rc = cb_cell_rep(c, &warm, &err);
		if (!rc)
			cb_send_json_line(fd, json_pack("{s:f}", "warm", warm.wall_s));
		warm_s = !rc && warm.wall_s > warm_s ? warm.wall_s : warm_s;
		cb_rep_clear(&warm);
	}
	/* Settling passes are untimed repetitions like the warmup: each one
	 * is a sign of progress to the parent. */
	if (!rc && !interrupted)
		rc = cb_cell_settle(c, send_warm, &fd, &err);
	/* The probe's length follows the warmup's pace. */
	if (!rc && x.cap)
		cb_capacity_set_length(x.cap, cb_capacity_probe_ms(warm_s));
	if (rc) {
		fail_cell(c, err.msg);
		cb_send_json_line(fd, json_pack("{s:s}", "error", c->error));
	} else if (!interrupted) {
		timed_reps(&x);
	}
	extras_close(&x);
	/* The traced repetition: after the timed ones, outside the statistics. */
	if (!rc && !interrupted && !c->error && round == 0 && run->cfg->trace_cap) {
		json_t *tr = NULL;
		if (cb_trace_rep(c, &tr, &err)) {
			fail_cell(c, err.msg);
			cb_send_json_line(fd, json_pack("{s:s}", "error", c->error));
		} else if (tr) {
			cb_send_json_line(fd, json_pack("{s:o}", "trace", tr));
		}
	}
	if (probe)
		json_decref(probe);
	cb_cell_close(c);
	send_end(c, fd);
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
/* How long an interrupted measuring process gets to finish its repetition
 * and clean up, unless a second interrupt comes first. */
#define INTERRUPT_GRACE_S 10.0
/* How long the processes a failed cell left behind get to die. */
#define SWEEP_S 2.0

typedef struct round_state {
	cb_cell *c;
	int round, reps;       /* repetitions received this round */
	int warms;             /* warmup repetitions received this round */
	int asides;            /* repetitions set aside this round (reduced capacity) */
	double warm_s;         /* slowest warmup seen, or 0 */
	bool ended;
	bool traced;           /* its traced repetition arrived */
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
	} else if ((v = json_object_get(j, "aside"))) {
		cb_rep rep;
		if (!cb_rep_from_json(v, &rep)) {
			rep.set_aside = true;
			if (c->naside == c->aside_cap) {
				c->aside_cap = c->aside_cap ? 2 * c->aside_cap : 8;
				c->aside = cb_xrealloc(c->aside, (size_t)c->aside_cap * sizeof *c->aside);
			}
			c->aside[c->naside++] = rep;
			rs->asides++;
		}
	} else if ((v = json_object_get(j, "trace")) && json_is_object(v)) {
		if (c->trace)
			json_decref(c->trace);
		c->trace = json_incref(v);
		rs->traced = true;
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
		json_t *cost = json_object_get(v, "capacity_cost");
		if (json_is_object(cost)) {
			c->capacity_cost_s += json_number_value(json_object_get(cost, "s"));
			c->capacity_readings += (int)json_integer_value(json_object_get(cost, "readings"));
		}
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
	double el = cb_now() - run->t_start;
	double eta = run->reps_done ? el / run->reps_done * (run->reps_total - run->reps_done) : 0;
	cb_say(&run->say, CB_SAY_PROGRESS, "[%d/%d reps, %d/%d cells] %s  ETA %dm%02ds", run->reps_done,
	       run->reps_total, run->cells_done, run->ncells, c->id, (int)eta / 60, (int)eta % 60);
}

/* Children of a killed measuring process (forked workers, a pool) come to
 * the parent, which is their subreaper: none is left a zombie. */
static void reap_orphans(void)
{
	int st;
	while (waitpid(-1, &st, WNOHANG | __WALL) > 0)
		;
}

/* Kills what a measuring process started: a launcher's group that it
 * recorded (mpirun leads one of its own) first, given the time to clean
 * up after its ranks (cb_exec_stop_launcher: the measuring process's death
 * would SIGKILL it), then the measuring process and its own group. */
static void kill_cell(const cb_cell *c, pid_t pid)
{
	pid_t launcher = c->watch ? atomic_load(&c->watch->launcher_pgid) : 0;
	cb_exec_stop_launcher(launcher);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
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
	pid_t launcher = c && c->watch ? atomic_load(&c->watch->launcher_pgid) : 0;
	/* Its parent is dead, so it is ours: reaping it hands us its
	 * children. ECHILD: the measuring process reaped it already. */
	cb_exec_stop_launcher(launcher);
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

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The directories a killed measuring process made with cb_temp_dir (its
 * teardown never ran): $TMPDIR/concbench.PID.*, with everything in them.
 * Called while the process is dead but not yet reaped, so that its pid
 * cannot name another process's directories yet. */
static void remove_temp_dirs(pid_t pid)
{
	const char *root = cb_temp_root();
	char prefix[40];
	snprintf(prefix, sizeof prefix, "concbench.%ld.", (long)pid);
	DIR *d = opendir(root);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			char *path = cb_xasprintf("%s/%s", root, e->d_name);
			nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
			free(path);
		}
	closedir(d);
}

void cb_runner_after_kill(pid_t pid)
{
	siginfo_t si;
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	remove_temp_dirs(pid);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);
	reap_orphans();
}

void cb_runner_sweep(void)
{
	reap_orphans();
	sweep_leftovers(NULL);
}

static double rep_limit(const cb_run *run, const round_state *rs)
{
	if (run->cfg->timeout_s > 0)
		return run->cfg->timeout_s;
	if (!rs->warm_s && !rs->reps)
		return TIMEOUT_FIRST_S;
	/* A repetition paired with a serial one takes both. */
	double each = rs->warm_s + (cb_cell_pairs_serial(rs->c) ? rs->c->job->reference_s : 0);
	double w = TIMEOUT_WARM_FACTOR * each;
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

/* The median of the round's last n repetitions, from those at full
 * capacity where it had any (the round is then not reduced). */
static void round_median(cb_cell *c, int n)
{
	const cb_rep *r = c->reps + c->reps_done - n;
	bool any_full = false;
	for (int k = 0; k < n; k++)
		any_full |= !r[k].reduced;
	double *w = cb_xmalloc((size_t)n * sizeof *w);
	size_t m = 0;
	for (int k = 0; k < n; k++)
		if (cb_rep_counts(&r[k], any_full))
			w[m++] = r[k].wall_s;
	cb_stats s;
	cb_stats_compute(w, m, &s);
	free(w);
	c->rounds_reduced[c->nrounds] = !any_full;
	c->rounds[c->nrounds++] = s.median;
}

static void write_trace(cb_run *run);

/* One round's measuring process as this process follows it. */
typedef struct measuring {
	pid_t pid;
	int fd;                /* its end of the pipe */
	round_state rs;
	double limit;          /* on a repetition's silence, the last one in force */
	double term_at;        /* when it was asked to stop (interrupted), or 0 */
	bool timed_out;
	char stuck[320];       /* where its workers were when the limit passed */
	int busy;              /* how many were inside a task then (-1: unknown) */
} measuring;

/* Forks the measuring process of round `round` of c, its output on a
 * pipe: 0, or -1 with the cell failed. */
static int start_measuring(cb_cell *c, int round, measuring *m)
{
	int fds[2];
	char msg[160];
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(msg, sizeof msg, "cannot create a pipe to the measuring process: %s", strerror(errno));
		fail_cell(c, msg);
		return -1;
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
		snprintf(msg, sizeof msg, "cannot fork the measuring process: %s", strerror(errno));
		close(fds[0]);
		fail_cell(c, msg);
		return -1;
	}
	setpgid(pid, pid);
	m->pid = pid;
	m->fd = fds[0];
	return 0;
}

/* Reads the measuring process's lines into the cell until it ends, stops
 * it when a repetition is silent past the limit (m->timed_out) or when
 * interrupted (SIGTERM, then SIGKILL after INTERRUPT_GRACE_S or a second
 * interrupt). */
static void follow(cb_run *run, measuring *m)
{
	cb_cell *c = m->rs.c;
	size_t cap = 1 << 16, len = 0;
	char *buf = cb_xmalloc(cap);
	double last = cb_now();
	m->limit = rep_limit(run, &m->rs);
	m->busy = -1;
	for (;;) {
		if (interrupted && !m->term_at) {
			kill(m->pid, SIGTERM);
			m->term_at = cb_now();
			if (interrupted == 1)
				cb_say(&run->say, CB_SAY_NOTE, "interrupted: stopping after %s's repetition at hand "
				       "(at most %.0f s); interrupt again to stop at once", c->id, INTERRUPT_GRACE_S);
		}
		double now = cb_now(), left = last + m->limit - now;
		if (m->term_at)
			left = interrupted > 1 ? 0 : m->term_at + INTERRUPT_GRACE_S - now;
		if (left <= 0) {
			m->timed_out = !m->term_at;
			if (m->timed_out)
				m->busy = describe_stuck(c, m->pid, m->stuck, sizeof m->stuck);
			else if (interrupted > 1)
				cb_say(&run->say, CB_SAY_NOTE, "interrupted again: %s's repetition at hand is "
				       "abandoned and its processes killed", c->id);
			kill_cell(c, m->pid);
			break;
		}
		struct pollfd p = { .fd = m->fd, .events = POLLIN };
		int pr = poll(&p, 1, (int)(left * 1000) + 1);
		if (pr <= 0)
			continue;
		if (len + 4096 > cap)
			buf = cb_xrealloc(buf, cap *= 2);
		ssize_t n = read(m->fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		char *nl, *line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			int before = m->rs.reps + m->rs.asides + m->rs.warms;
			handle_line(&m->rs, line);
			line = nl + 1;
			if (m->rs.reps + m->rs.asides + m->rs.warms != before) {
				last = cb_now();
				m->limit = rep_limit(run, &m->rs);
				progress(run, c);
			}
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
	}
	free(buf);
	close(m->fd);
}

/* Waits for the measuring process; one that was killed, or ended without
 * saying so, may not have run its teardown: its temporary folders and
 * what its workers left are swept. Its wait status into *st. */
static void reap(cb_cell *c, const measuring *m, int *st)
{
	bool killed = !m->rs.ended || m->timed_out || m->term_at;
	if (killed) {
		siginfo_t si;
		while (waitid(P_PID, (id_t)m->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
		remove_temp_dirs(m->pid);
	}
	*st = 0;
	while (waitpid(m->pid, st, 0) < 0 && errno == EINTR)
		;
	kill(-m->pid, SIGKILL);   /* a worker that outlived its process */
	reap_orphans();
	if (killed)
		sweep_leftovers(c);
}

/* The cell's error when its measuring process timed out or ended early. */
static void fail_ended(cb_run *run, cb_cell *c, const measuring *m, int st)
{
	char msg[640];
	const round_state *rs = &m->rs;
	if (m->timed_out) {
		char when[64], lim[32];
		if (!rs->reps && rs->warms < run->cfg->warmup)
			snprintf(when, sizeof when, "round %d, warmup %d", rs->round + 1, rs->warms + 1);
		else
			snprintf(when, sizeof when, "round %d, repetition %d", rs->round + 1, rs->reps + 1);
		if (m->limit >= 1)
			snprintf(lim, sizeof lim, "%.0f s", m->limit);
		else
			snprintf(lim, sizeof lim, "%.0f ms", m->limit * 1e3);
		const char *why = run->cfg->timeout_s > 0 ? "--timeout" : "the limit derived from the warmup; see --timeout";
		if (m->busy > 0)
			snprintf(msg, sizeof msg, "timed out: %s made no progress in %s (%s, %s); the cell's "
			         "processes were killed", m->stuck, lim, when, why);
		else
			snprintf(msg, sizeof msg, "timed out: %s made no progress in %s%s (%s); the cell's "
			         "processes were killed", when, lim, m->busy ? "" : " with no worker inside a task", why);
		fail_cell(c, msg);
	} else if (!rs->ended && !interrupted) {
		if (WIFSIGNALED(st))
			snprintf(msg, sizeof msg, "the measuring process was killed by signal %d (%s)",
			         WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			snprintf(msg, sizeof msg, "the measuring process ended early (exit status %d)",
			         WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		fail_cell(c, msg);
	}
}

/* Runs round `round` of cell c in a fresh process and folds what it sends
 * into the cell. */
static void measure_round(cb_run *run, cb_cell *c, int round)
{
	/* Made before the fork so that the measuring process's workers
	 * inherit it and this process can still read it after killing them. */
	size_t watch_size = sizeof *c->watch + (size_t)(c->workers * c->threads) * sizeof c->watch->worker[0];
	c->watch = cb_shared_alloc(watch_size);
	c->watch->nworkers = c->workers * c->threads;
	for (int w = 0; w < c->watch->nworkers; w++)
		atomic_store(&c->watch->worker[w].task, -1);
	measuring m = { .rs = { .c = c, .round = round } };
	if (!start_measuring(c, round, &m)) {
		int st;
		follow(run, &m);
		reap(c, &m, &st);
		fail_ended(run, c, &m, st);
		if (m.rs.reps)
			round_median(c, m.rs.reps);
		if (m.rs.traced)
			run->trace_dirty = true;   /* written with results.json, at its checkpoints */
	}
	cb_shared_free(c->watch, watch_size);
	c->watch = NULL;
}

/* Writes what is finished; a failed write fails the run, and the file on
 * disk stays the last complete document. The runner checkpoints: it
 * writes when a cell fails, when --checkpoint (10 s) has passed since the
 * last write, and at the end (an interrupt included), so that a parent
 * killed outright loses at most the last 10 s of measurements. Writing
 * after every cell round cost a quarter of the quick suite's time (117
 * cells: a document growing to 640 KB encoded and fsynced 585 times, 145 s
 * against 110 s) and set the disk to work beside the next cell. */
static void write_results(cb_run *run)
{
	cb_error err = { 0 };
	if (cb_results_write(run, &err)) {
		if (!run->write_error)
			cb_say(&run->say, CB_SAY_PROBLEM, "%s", err.msg);
		free(run->write_error);
		run->write_error = cb_xstrdup(err.msg);
		run->failed = true;
		return;
	}
	free(run->write_error);
	run->write_error = NULL;
	if (run->trace_dirty) {
		write_trace(run);
		run->trace_dirty = false;
	}
	for (int i = 0; i < run->ncells; i++) {
		run->cells[i].reps_on_disk = run->cells[i].reps_done;
		run->cells[i].done_on_disk = run->cells[i].done;
	}
}

/* trace.json holds every cell traced so far; a failed write is a problem
 * said once, not a failed run: the measurements are in results.json. It is
 * written with results.json, at its checkpoints, not after every traced
 * cell: each write encodes every cell traced so far, and a write per cell
 * made a traced run's writing quadratic in its cells. */
static void write_trace(cb_run *run)
{
	cb_error err = { 0 };
	if (cb_trace_write(run, &err))
		cb_say(&run->say, CB_SAY_PROBLEM, "trace: %s", err.msg);
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

/* One round's order: the jobs (a workload and its parameters) in a random
 * order, and each job's cells in a random order inside its block, anew
 * every round. The blocks are what a speedup needs: a cell and its serial
 * baseline run seconds apart in every round and so see the same state of a
 * shared machine, whose slow spells last minutes (fully random, they fell
 * up to a whole run apart, and a spell over the serial cell's rounds moved
 * every speedup of the workload). Drift between blocks still spreads over
 * every workload across the rounds. `cells` lists the cells to run; every
 * cell's job is one of run->jobs (the plan makes the cells from them). */
static void round_order(const cb_run *run, const int *cells, int n, size_t *order, uint64_t *seed)
{
	size_t *jobs = cb_xcalloc((size_t)run->njobs + 1, sizeof *jobs), k = 0;
	for (int j = 0; j < run->njobs; j++)
		jobs[j] = (size_t)j;
	cb_shuffle(jobs, (size_t)run->njobs, seed);
	for (int j = 0; j < run->njobs; j++) {
		size_t first = k;
		for (int i = 0; i < n; i++)
			if (run->cells[cells[i]].job == run->jobs[jobs[j]])
				order[k++] = (size_t)cells[i];
		cb_shuffle(order + first, k - first, seed);
	}
	free(jobs);
}

/* The results could not be written: the error names the cells, or their
 * latest repetitions, that are not on disk. Returns -1. */
static int not_on_disk(const cb_run *run, cb_error *err)
{
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

int cb_runner_run(cb_run *run, cb_error *err)
{
	cb_run_config *cfg = run->cfg;
	if (!run->selected && cb_runner_select(run, err))
		return -1;
	struct sigaction old_int, old_term;
	catch_interrupts(&old_int, &old_term);
	int was_reaper = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &was_reaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* The parent keeps only what describes each job. */
	for (int j = 0; j < run->njobs; j++)
		cb_job_release(run->jobs[j]);
	malloc_trim(0);
	/* One rate of the spin chain for every measuring process. */
	cb_spin_rate_shared();
	run->t_start = cb_now();
	int rounds = cfg->rounds > 0 ? cfg->rounds : 1;
	int *cells = cb_xcalloc((size_t)run->ncells + 1, sizeof *cells), n = 0;
	size_t *order = cb_xcalloc((size_t)run->ncells + 1, sizeof *order);
	run->reps_total = 0;
	for (int i = 0; i < run->ncells; i++) {
		cb_cell *c = &run->cells[i];
		c->reps_total = rounds * cfg->reps;
		c->reps = cb_xcalloc((size_t)c->reps_total, sizeof *c->reps);
		c->rounds = cb_xcalloc((size_t)rounds, sizeof *c->rounds);
		c->rounds_reduced = cb_xcalloc((size_t)rounds, sizeof *c->rounds_reduced);
		c->checksum_ok = true;
		if (!c->error && !c->skipped) {
			cells[n++] = i;
			run->reps_total += c->reps_total;
		}
	}
	uint64_t seed = cfg->seed;
	double written = cb_now();
	for (int r = 0; r < rounds && !interrupted; r++) {
		round_order(run, cells, n, order, &seed);
		for (int k = 0; k < n && !interrupted; k++) {
			cb_cell *c = &run->cells[order[k]];
			if (c->error)
				continue;
			measure_round(run, c, r);
			/* A round cut short by an interrupt did not finish the cell. */
			if (c->error || (r == rounds - 1 && !interrupted)) {
				c->done = true;
				run->cells_done++;
			}
			if (c->error || cb_now() - written >= cfg->checkpoint_s) {
				write_results(run);
				written = cb_now();
			}
		}
	}
	free(order);
	free(cells);
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
	cb_say(&run->say, CB_SAY_PROGRESS, "%s", "");
	prctl(PR_SET_CHILD_SUBREAPER, was_reaper);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return run->write_error ? not_on_disk(run, err) : 0;
}
