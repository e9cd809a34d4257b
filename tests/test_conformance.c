/* Conformance: what every strategy owes every workload. The whole strategy
 * registry is run against the whole workload registry at size tiny, so a
 * strategy or workload added later is covered without touching this file:
 * the checksum equals serial for 1, 2, 3 and 7 workers, static, static:3
 * and dynamic schedules, pinned (compact) and unpinned, and for strategies
 * with tasks in flight beyond their workers concurrency 1, 16 and 1000. A
 * task error fails its cell without hanging; a worker process that dies
 * fails its cell with the signal or status named, and the next cell runs;
 * and no fd, child process, shared mapping or /dev/shm entry outlives a
 * cell, failed or not.
 *
 * Beside the registry, the workloads loaded at run time that ctest names
 * in CB_PLUGIN (the example C plug-in) and CB_PY_WORKLOAD (py:FILE.py,
 * where Python workloads are built) go through the same suite.
 *
 * CB_CONFORMANCE_STRATEGIES=a,b limits the run to those strategies, and
 * CB_CONFORMANCE_NO_FORKS=1 leaves out those whose workers are processes
 * (the ThreadSanitizer build sets it: TSan does not follow forks well). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/run.h"

#define WATCHDOG_S 60   /* a cell that takes longer has hung */

static cb_topology *topo;
static cb_job **jobs;
static int njobs;

/* --- which strategies ---------------------------------------------------- */

static bool selected(const cb_strategy *st)
{
	/* Strategies run by a launcher (mpi) rebuild the job from the registry
	 * in other processes; they have their own suite (tests/cli/mpi.sh). */
	if (st->flags & CB_STRATEGY_EXTERNAL)
		return false;
	/* Python's own pools run Python workloads only (tests/cli/python.sh). */
	if (st->flags & CB_STRATEGY_RUNTIME)
		return false;
#if defined(__SANITIZE_THREAD__)
	/* libgomp hands work between its threads with futexes and atomics of
	 * its own, which ThreadSanitizer sees only in a libgomp built with it
	 * (GCC's is not): every hand-over would read as a race. The openmp
	 * strategy runs this suite in the other builds. */
	if (!strcmp(st->name, "openmp"))
		return false;
#endif
	const char *no_forks = getenv("CB_CONFORMANCE_NO_FORKS");
	if (no_forks && *no_forks && strcmp(no_forks, "0") && (st->flags & CB_STRATEGY_FORKS))
		return false;
	const char *list = getenv("CB_CONFORMANCE_STRATEGIES");
	if (!list || !*list)
		return true;
	size_t n = strlen(st->name);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, st->name, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* --- resources that must not outlive a cell -------------------------------- */

typedef struct { int fds, shared_maps, shm; } snapshot;

/* Entries of a directory whose names start with prefix ("" = all). Other
 * programs on the machine (an MPI run's segments) come and go in /dev/shm,
 * so only concbench's own names count there. */
static int count_dir(const char *path, const char *prefix)
{
	DIR *d = opendir(path);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.' && !strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

/* MAP_SHARED mappings: the fourth permission character is 's'. */
static int count_shared_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512], perms[8];
	int n = 0;
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%*s %7s", perms) == 1 && perms[3] == 's')
			n++;
	fclose(f);
	return n;
}

static snapshot take(void)
{
	snapshot s = { count_dir("/proc/self/fd", ""), count_shared_maps(), count_dir("/dev/shm", "concbench") };
	return s;
}

static void assert_same(snapshot before, const char *what)
{
	snapshot after = take();
	int status;
	errno = 0;
	pid_t child = waitpid(-1, &status, WNOHANG);
	if (child != -1 || errno != ECHILD)
		fail_msg("%s: a child process is left (waitpid gave %d)", what, (int)child);
	if (after.fds != before.fds)
		fail_msg("%s: %d fds open, %d before", what, after.fds, before.fds);
	if (after.shared_maps != before.shared_maps)
		fail_msg("%s: %d shared mappings, %d before", what, after.shared_maps, before.shared_maps);
	if (after.shm != before.shm)
		fail_msg("%s: %d /dev/shm entries, %d before", what, after.shm, before.shm);
}

/* --- a hang is a failure, not a CI timeout --------------------------------- */

static char current[300];

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "conformance: watchdog expired in cell ";
	if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0 ||
	    write(STDERR_FILENO, current, strlen(current)) < 0 || write(STDERR_FILENO, "\n", 1) < 0) {
	}
	_exit(1);
}

/* --- one cell, outside the plan -------------------------------------------- */

typedef cb_cell cellctx;

static cellctx *cell_new(cb_job *job, const cb_strategy *st, int workers, int conc, int threads,
                         const char *pin, const char *sched, int reps)
{
	cb_error err = { 0 };
	snprintf(current, sizeof current, "%s/%s/n%d/c%d/t%d/%s/%s", job->wl->name, st->name, workers,
	         conc, threads, pin, sched);
	cb_solo_spec spec = { .job = job, .strategy = st, .workers = workers, .concurrency = conc,
	                      .threads = threads, .reps = reps, .pin = pin, .sched = sched,
	                      .size = CB_SIZE_TINY, .topo = topo };
	alarm(WATCHDOG_S);
	cb_cell *c = cb_solo_open(&spec, &err);
	if (!c)
		fail_msg("%s: cannot place or open: %s", current, err.msg);
	return c;
}

static void cell_free(cellctx *x)
{
	cb_solo_free(x);
	alarm(0);
}

static void expect_ok(cellctx *x, int n)
{
	for (int r = 0; r < n; r++) {
		cb_rep rep;
		cb_error err = { 0 };
		if (cb_cell_rep(x, &rep, &err))
			fail_msg("%s: repetition %d failed: %s", x->id, r, err.msg);
		cb_rep_clear(&rep);
		if (!rep.checksum_ok)
			fail_msg("%s: wrong checksum", x->id);
	}
}

/* --- the matrix ------------------------------------------------------------ */

static int uniq_concurrency(const cb_strategy *st, const cb_job *job, int workers, int *out)
{
	if (!(st->flags & CB_STRATEGY_CONCURRENCY)) {
		out[0] = workers;
		return 1;
	}
	static const int want[] = { 1, 16, 1000 };
	int n = 0;
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		int c = (size_t)want[i] > job->ntasks ? (int)job->ntasks : want[i];
		if (!n || out[n - 1] != c)
			out[n++] = c;
	}
	return n;
}

static void test_every_strategy_matches_serial_everywhere(void **state)
{
	(void)state;
	static const int workers[] = { 1, 2, 3, 7 };
	static const char *const scheds[] = { "static", "static:3", "dynamic" };
	static const char *const pins[] = { "compact", "none" };
	snapshot before = take();
	int cells = 0;
	for (const cb_strategy *const *sp = cb_strategies; *sp; sp++) {
		const cb_strategy *st = *sp;
		if (!selected(st))
			continue;
		bool base = st->flags & CB_STRATEGY_BASELINE;
		int nthreads = st->flags & CB_STRATEGY_THREADS ? 2 : 1;
		for (int j = 0; j < njobs; j++)
			for (size_t wi = 0; wi < (base ? 1 : sizeof workers / sizeof *workers); wi++)
				for (size_t si = 0; si < sizeof scheds / sizeof *scheds; si++)
					for (size_t pi = 0; pi < sizeof pins / sizeof *pins; pi++)
						for (int t = 1; t <= nthreads; t++) {
							int conc[3];
							int nc = uniq_concurrency(st, jobs[j], workers[wi], conc);
							for (int ci = 0; ci < nc; ci++) {
								/* Two repetitions: pools must come back
								 * clean for the next job. */
								cellctx *x = cell_new(jobs[j], st, workers[wi], conc[ci], t,
								                      pins[pi], scheds[si], 2);
								expect_ok(x, 2);
								cell_free(x);
								cells++;
							}
						}
	}
	assert_true(cells > 0);
	assert_same(before, "after the matrix");
}

/* --- failure: a task error ------------------------------------------------- */

/* Arming flags live in shared memory so that pool processes, forked
 * before the test arms them, see them too. */
typedef struct {
	_Atomic int fail;     /* task 3 returns -EIO */
	_Atomic int crash;    /* task 3 dies in a child: one of the modes below */
	pid_t parent;
} arming;
enum { CRASH_NONE, CRASH_KILL, CRASH_ABORT, CRASH_EXIT };
static arming *arm;

static int armed_setup(cb_job *job, cb_error *err)
{
	(void)err;
	job->ntasks = 8;
	return 0;
}

static int armed_task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)job;
	(void)io;
	*out = i * 7 + 1;
	if (i != 3)
		return 0;
	if (atomic_load(&arm->fail))
		return -EIO;
	if (getpid() != arm->parent)
		switch (atomic_load(&arm->crash)) {
		case CRASH_KILL: raise(SIGKILL); break;
		case CRASH_ABORT: abort();
		case CRASH_EXIT: _exit(3);
		}
	return 0;
}


static const cb_workload armed = {
	.name = "test.armed", .summary = "task 3 fails or dies when armed", .kind = CB_KIND_CPU,
	.checksum = "partials", .setup = armed_setup, .task = armed_task, .post = cb_partials_hash,
};

static void test_task_error_fails_cell_every_strategy(void **state)
{
	(void)state;
	static const char *const scheds[] = { "static", "dynamic" };
	cb_job *job;
	cb_error err = { 0 };
	assert_int_equal(cb_job_create(&job, &armed, CB_SIZE_TINY, 1, NULL, 0, NULL, &err), 0);
	snapshot before = take();
	for (const cb_strategy *const *sp = cb_strategies; *sp; sp++) {
		if (!selected(*sp))
			continue;
		for (size_t s = 0; s < sizeof scheds / sizeof *scheds; s++) {
			int workers = (*sp)->flags & CB_STRATEGY_BASELINE ? 1 : 2;
			int conc = (*sp)->flags & CB_STRATEGY_CONCURRENCY ? 4 : workers;
			cellctx *x = cell_new(job, *sp, workers, conc, 1, "none", scheds[s], 3);
			cb_rep rep;
			memset(&err, 0, sizeof err);
			atomic_store(&arm->fail, 1);
			int rc = cb_cell_rep(x, &rep, &err);
			atomic_store(&arm->fail, 0);
			cb_rep_clear(&rep);
			if (rc != -1 || !strstr(err.msg, "task 3 failed"))
				fail_msg("%s: expected 'task 3 failed', got rc %d '%s'", x->id, rc, err.msg);
			/* The executors are fine afterwards: the next job runs. */
			expect_ok(x, 1);
			cell_free(x);
		}
	}
	assert_same(before, "after failing tasks");
	cb_job_free(job);
}

/* --- failure: a worker process dies ---------------------------------------- */

static void test_dead_worker_fails_cell_and_next_cell_runs(void **state)
{
	(void)state;
	static const struct { int mode; const char *msg; } modes[] = {
		{ CRASH_KILL, "killed by signal 9 (Killed)" },
		{ CRASH_ABORT, "killed by signal 6 (Aborted)" },
		{ CRASH_EXIT, "exited with status 3" },
	};
	static const char *const scheds[] = { "static", "dynamic" };
	cb_job *job;
	cb_error err = { 0 };
	assert_int_equal(cb_job_create(&job, &armed, CB_SIZE_TINY, 1, NULL, 0, NULL, &err), 0);
	snapshot before = take();
	int tested = 0;
	for (const cb_strategy *const *sp = cb_strategies; *sp; sp++) {
		if (!selected(*sp) || !((*sp)->flags & CB_STRATEGY_FORKS))
			continue;
		for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
			for (size_t s = 0; s < sizeof scheds / sizeof *scheds; s++) {
				cellctx *x = cell_new(job, *sp, 2, 2, 1, "compact", scheds[s], 2);
				cb_rep rep;
				memset(&err, 0, sizeof err);
				atomic_store(&arm->crash, modes[m].mode);
				int rc = cb_cell_rep(x, &rep, &err);
				atomic_store(&arm->crash, CRASH_NONE);
				cb_rep_clear(&rep);
				if (rc != -1 || !strstr(err.msg, modes[m].msg) || !strstr(err.msg, "worker "))
					fail_msg("%s: expected '%s', got rc %d '%s'", x->id, modes[m].msg, rc,
					         err.msg);
				cell_free(x);
				assert_same(before, "after a dead worker");
				/* The run goes on: a fresh cell of the same strategy works. */
				x = cell_new(jobs[0], *sp, 2, 2, 1, "compact", scheds[s], 1);
				expect_ok(x, 1);
				cell_free(x);
				tested++;
			}
	}
	assert_same(before, "after dead workers");
	cb_job_free(job);
	if (!tested)
		skip();
}

/* --- measurement: CPU time is the workers' too ------------------------------ */

/* Every strategy's repetition accounts for the CPU its workers burned,
 * wherever they live (threads, reaped children, pool processes): at least
 * 60% of the serial run's CPU time on the same job, the serial part of
 * synth.amdahl being only 10%. */
static void test_cpu_time_covers_the_workers(void **state)
{
	(void)state;
	cb_job *job = NULL;
	for (int j = 0; j < njobs; j++)
		if (!strcmp(jobs[j]->wl->name, "synth.amdahl"))
			job = jobs[j];
	if (!job)
		skip();
	double serial_cpu = 0;
	cellctx *x = cell_new(job, cb_strategy_find("serial"), 1, 1, 1, "compact", "static", 3);
	for (int r = 0; r < 3; r++) {
		cb_rep rep;
		cb_error err = { 0 };
		assert_int_equal(cb_cell_rep(x, &rep, &err), 0);
		if (rep.user_s + rep.sys_s > serial_cpu)
			serial_cpu = rep.user_s + rep.sys_s;
		cb_rep_clear(&rep);
	}
	cell_free(x);
	for (const cb_strategy *const *sp = cb_strategies; *sp; sp++) {
		if (!selected(*sp))
			continue;
		int conc = (*sp)->flags & CB_STRATEGY_CONCURRENCY ? 4 : 2;
		x = cell_new(job, *sp, 2, conc, 1, "compact", "static", 3);
		double best = 0;
		for (int r = 0; r < 3; r++) {
			cb_rep rep;
			cb_error err = { 0 };
			assert_int_equal(cb_cell_rep(x, &rep, &err), 0);
			if (rep.user_s + rep.sys_s > best)
				best = rep.user_s + rep.sys_s;
			cb_rep_clear(&rep);
		}
		if (best < 0.6 * serial_cpu)
			fail_msg("%s: %.4f s of CPU, the serial run used %.4f s", x->id, best, serial_cpu);
		cell_free(x);
	}
}

/* --- fixtures ---------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	cb_error err = { 0 };
	/* Aborting children must not leave core files behind. */
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGALRM, on_alarm);
	arm = cb_shared_alloc(sizeof *arm);
	arm->parent = getpid();
	if (cb_topology_open(&topo, NULL, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	/* Every built-in, and the workloads loaded at run time that ctest
	 * names: the example C plug-in and a Python workload, where built. */
	const cb_workload *wls[64];
	for (const cb_workload *const *w = cb_workloads; *w; w++)
		wls[njobs++] = *w;
	const char *const extra[] = { getenv("CB_PLUGIN"), getenv("CB_PY_WORKLOAD") };
	for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
		if (extra[i] && *extra[i]) {
			if (cb_workload_resolve(extra[i], &wls[njobs], &err)) {
				fprintf(stderr, "%s\n", err.msg);
				return -1;
			}
			njobs++;
		}
	jobs = cb_xcalloc((size_t)njobs, sizeof *jobs);
	for (int j = 0; j < njobs; j++)
		if (cb_job_create(&jobs[j], wls[j], CB_SIZE_TINY, 1, NULL, 0, NULL, &err)) {
			fprintf(stderr, "%s: %s\n", wls[j]->name, err.msg);
			return -1;
		}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int j = 0; j < njobs; j++)
		cb_job_free(jobs[j]);
	free(jobs);
	cb_topology_free(topo);
	cb_shared_free(arm, sizeof *arm);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_strategy_matches_serial_everywhere),
		cmocka_unit_test(test_task_error_fails_cell_every_strategy),
		cmocka_unit_test(test_dead_worker_fails_cell_and_next_cell_runs),
		cmocka_unit_test(test_cpu_time_covers_the_workers),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
