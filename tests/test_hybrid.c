/* The hybrid strategy's contract: P processes x T threads reproduce the
 * serial answer for every workload under static and dynamic schedules, a
 * worker process that dies fails the cell naming the signal or status, and
 * no child process or file descriptor outlives the cell. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cell_fixture.h"
#include "engine/run.h"

/* A workload whose task 5 misbehaves once armed; the switch lives in
 * shared memory so that the already forked pool sees it. */
enum { CALM, CRASH, EXIT3, FAIL };
static int *mode;
static pid_t *ran_by;   /* [12]: the process that ran each task */
static int misbehave_setup(cb_job *job, cb_error *err) { (void)err; job->ntasks = 12; return 0; }
static int misbehave_task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)job; (void)io;
	*out = i * 11 + 1;
	ran_by[i] = getpid();
	if (i == 5 && *mode == CRASH)
		raise(SIGKILL);
	if (i == 5 && *mode == EXIT3)
		_exit(3);
	return i == 5 && *mode == FAIL ? -EIO : 0;
}
static const cb_workload misbehave = {
	.name = "test.misbehave", .summary = "task 5 crashes, exits or fails", .kind = CB_KIND_CPU,
	.checksum = "partials", .setup = misbehave_setup, .task = misbehave_task, .post = cb_partials_hash,
};

typedef cell_fixture fixture;

static fixture *make(cb_job *job, int procs, int threads, const char *sched, const char *pin)
{
	cb_error err = { 0 };
	fixture *f = cell_fixture_new(job, NULL, cb_strategy_find("hybrid"), procs, procs, threads, pin, sched,
	                              NULL, 0, 2, &err);
	if (!f)
		fail_msg("cell_open: %s", err.msg);
	return f;
}

static void destroy(fixture *f) { cell_fixture_free(f); }

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_hybrid_every_workload_matches_serial(void **state)
{
	(void)state;
	const char *scheds[] = { "static", "dynamic", "static:2", "dynamic:3" };
	int fds = count_fds();
	for (const cb_workload *const *wl = cb_workloads; *wl; wl++) {
		cb_job *job;
		cb_error err = { 0 };
		assert_int_equal(cb_job_create(&job, *wl, CB_SIZE_TINY, 1, NULL, 0, NULL, &err), 0);
		for (size_t s = 0; s < sizeof scheds / sizeof *scheds; s++)
			for (int P = 1; P <= 3; P++)
				for (int T = 1; T <= 3; T++) {
					/* The chunked schedules once per workload are enough. */
					if (s >= 2 && (P != 2 || T != 2))
						continue;
					fixture *f = make(job, P, T, scheds[s], "compact");
					for (int r = 0; r < 2; r++) {
						cb_rep rep;
						if (cb_cell_rep(f->cell, &rep, &err))
							fail_msg("%s P=%d T=%d %s: %s", (*wl)->name, P, T, scheds[s], err.msg);
						assert_true(rep.checksum_ok);
						assert_int_equal(json_array_size(rep.cpus), (size_t)(P * T));
						cb_rep_clear(&rep);
					}
					destroy(f);
					assert_no_children();
				}
		cb_job_free(job);
	}
	assert_int_equal(count_fds(), fds);
}

/* Under a static schedule process g owns the block [n*g/P, n*(g+1)/P):
 * the threads of one process split one contiguous block. */
static void test_hybrid_static_gives_each_process_a_block(void **state)
{
	(void)state;
	cb_job *job;
	cb_error err = { 0 };
	*mode = CALM;
	assert_int_equal(cb_job_create(&job, &misbehave, CB_SIZE_TINY, 1, NULL, 0, NULL, &err), 0);
	fixture *f = make(job, 2, 3, "static", "compact");
	cb_rep rep;
	assert_int_equal(cb_cell_rep(f->cell, &rep, &err), 0);
	cb_rep_clear(&rep);
	size_t n = job->ntasks;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ran_by[i], ran_by[i < n / 2 ? 0 : n / 2]);
	assert_int_not_equal(ran_by[0], ran_by[n / 2]);
	assert_int_not_equal(ran_by[0], getpid());
	destroy(f);
	cb_job_free(job);
}

static void run_misbehaving(int m, int P, int T, const char *expect)
{
	cb_job *job;
	cb_error err = { 0 };
	int fds = count_fds();
	*mode = CALM;
	assert_int_equal(cb_job_create(&job, &misbehave, CB_SIZE_TINY, 1, NULL, 0, NULL, &err), 0);
	fixture *f = make(job, P, T, "dynamic", "compact");
	cb_rep rep;
	assert_int_equal(cb_cell_rep(f->cell, &rep, &err), 0);   /* healthy first */
	cb_rep_clear(&rep);
	*mode = m;
	assert_int_equal(cb_cell_rep(f->cell, &rep, &err), -1);
	if (!strstr(err.msg, expect))
		fail_msg("expected '%s' in '%s'", expect, err.msg);
	*mode = CALM;
	/* The runner closes a failed cell; nothing may be left behind. */
	destroy(f);
	assert_no_children();
	cb_job_free(job);
	assert_int_equal(count_fds(), fds);
}

static void test_hybrid_crash_fails_cell_naming_signal(void **state)
{
	(void)state;
	run_misbehaving(CRASH, 2, 2, "killed by signal 9 (Killed)");
	run_misbehaving(CRASH, 3, 1, "killed by signal 9");
}

static void test_hybrid_exit_fails_cell_naming_status(void **state)
{
	(void)state;
	run_misbehaving(EXIT3, 2, 2, "exited with status 3");
}

static void test_hybrid_task_error_fails_cell(void **state)
{
	(void)state;
	run_misbehaving(FAIL, 2, 2, "task 5 failed");
}

int main(void)
{
	mode = cb_shared_alloc(sizeof *mode);
	ran_by = cb_shared_alloc(12 * sizeof *ran_by);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hybrid_every_workload_matches_serial),
		cmocka_unit_test(test_hybrid_static_gives_each_process_a_block),
		cmocka_unit_test(test_hybrid_crash_fails_cell_naming_signal),
		cmocka_unit_test(test_hybrid_exit_fails_cell_naming_status),
		cmocka_unit_test(test_hybrid_task_error_fails_cell),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	cb_shared_free(mode, sizeof *mode);
	cb_shared_free(ran_by, 12 * sizeof *ran_by);
	return rc;
}
