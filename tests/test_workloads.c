/* The workload catalogue's contract at size tiny: the reference answer is
 * deterministic, threads reproduce it under static and dynamic schedules,
 * forked workers writing through shared memory reproduce it too, the I/O
 * workloads leave no process, descriptor or file behind, and refusals
 * (bad parameters, a port in use, a full disk) come back with a reason. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "cell_fixture.h"
#include "engine/run.h"

static const char *const catalogue[] = {
	"cpu.mandelbrot", "cpu.matmul", "mem.stream", "sync.counter", "io.tcp", "io.file", NULL,
};

static cb_job *job_with(const char *name, const cb_kv *kv, size_t nkv)
{
	cb_job *job = NULL;
	cb_error err = { 0 };
	const cb_workload *wl = cb_workload_find(name);
	assert_non_null(wl);
	if (cb_job_create(&job, wl, CB_SIZE_TINY, 1, kv, nkv, NULL, &err))
		fail_msg("%s: %s", name, err.msg);
	return job;
}

typedef cell_fixture fixture;

static fixture *open_cell(cb_job *job, const char *strategy, int workers, const char *sched)
{
	cb_error err = { 0 };
	fixture *f = cell_fixture_new(job, NULL, cb_strategy_find(strategy), workers, workers, 1, "none", sched,
	                              NULL, 0, 1, &err);
	if (!f)
		fail_msg("%s: %s", strategy, err.msg);
	return f;
}

static void close_cell(fixture *f) { cell_fixture_free(f); }

/* One repetition; 0 with the answer checked, or -1 with err filled. */
static int one_rep(cb_job *job, const char *strategy, int workers, const char *sched, cb_error *err)
{
	fixture *f = open_cell(job, strategy, workers, sched);
	cb_rep rep;
	int rc = cb_cell_rep(f->cell, &rep, err);
	if (!rc)
		assert_true(rep.checksum_ok);
	cb_rep_clear(&rep);
	close_cell(f);
	return rc;
}

static void test_reference_is_deterministic(void **state)
{
	(void)state;
	for (const char *const *w = catalogue; *w; w++) {
		cb_job *a = job_with(*w, NULL, 0);
		cb_job *b = job_with(*w, NULL, 0);
		assert_int_equal(a->reference, b->reference);
		assert_true(a->ntasks > 1);
		/* The conformance suite runs every strategy at tiny: tiny must be
		 * less work than quick wherever a workload counts its work (by
		 * the count, not by a clock; ctest's timeout bounds the rest). */
		if (isfinite(a->work)) {
			cb_job *q = NULL;
			cb_error err = { 0 };
			if (cb_job_create(&q, cb_workload_find(*w), CB_SIZE_QUICK, 1, NULL, 0, NULL, &err))
				fail_msg("%s at quick: %s", *w, err.msg);
			if (!(a->work < q->work))
				fail_msg("%s: tiny does %g %s of work, quick %g", *w, a->work, a->work_unit, q->work);
			cb_job_free(q);
		}
		cb_job_free(a);
		cb_job_free(b);
	}
}

static void test_threads_match_serial_static_and_dynamic(void **state)
{
	(void)state;
	static const char *const scheds[] = { "static", "dynamic" };
	for (const char *const *w = catalogue; *w; w++) {
		cb_job *job = job_with(*w, NULL, 0);
		cb_error err = { 0 };
		if (one_rep(job, "serial", 1, "static", &err))
			fail_msg("%s serial: %s", *w, err.msg);
		for (size_t s = 0; s < 2; s++)
			if (one_rep(job, "threads", 2, scheds[s], &err))
				fail_msg("%s threads n2 %s: %s", *w, scheds[s], err.msg);
		cb_job_free(job);
	}
}

/* What a fork-per-job strategy does: the tasks split between this process
 * and a forked child, partials and workload state in shared memory. */
static void run_split_across_fork(cb_job *job)
{
	cb_error err = { 0 };
	cb_io io = cb_io_blocking();
	memset(job->partials, 0xa5, job->ntasks * sizeof *job->partials);
	if (job->wl->pre)
		assert_int_equal(job->wl->pre(job, &err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	for (size_t i = pid == 0 ? 1 : 0; i < job->ntasks; i += 2)
		if (job->wl->task(job, i, &io, &job->partials[i])) {
			if (pid == 0)
				_exit(1);
			fail_msg("%s: task %zu failed in the parent", job->wl->name, i);
		}
	if (pid == 0)
		_exit(0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(job->wl->post(job), job->reference);
}

static void test_forked_workers_match_serial(void **state)
{
	(void)state;
	for (const char *const *w = catalogue; *w; w++) {
		cb_job *job = job_with(*w, NULL, 0);
		run_split_across_fork(job);
		run_split_across_fork(job);   /* again: with state the first one left */
		cb_job_free(job);
	}
	cb_kv persistent = { "conn", "persistent" };
	cb_job *job = job_with("io.tcp", &persistent, 1);
	run_split_across_fork(job);   /* the child must not use the parent's pooled sockets */
	run_split_across_fork(job);
	cb_job_free(job);
}

static void test_counter_exact_in_every_mode(void **state)
{
	(void)state;
	static const char *const modes[] = { "mutex", "spin", "atomic", "sharded" };
	for (size_t m = 0; m < 4; m++) {
		cb_kv kv = { "mode", modes[m] };
		cb_job *job = job_with("sync.counter", &kv, 1);
		uint64_t expect = (uint64_t)cb_job_param(job, "tasks") * (uint64_t)cb_job_param(job, "incs");
		assert_int_equal(job->reference, expect);
		cb_error err = { 0 };
		if (one_rep(job, "threads", 2, "dynamic", &err) || one_rep(job, "threads", 3, "static", &err))
			fail_msg("mode=%s: %s", modes[m], err.msg);
		run_split_across_fork(job);
		cb_job_free(job);
	}
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_tcp_leaves_no_process_or_fd(void **state)
{
	(void)state;
	static const char *const conns[] = { "per-request", "persistent" };
	for (size_t k = 0; k < 2; k++) {
		int before = count_fds();
		cb_kv kv = { "conn", conns[k] };
		cb_job *job = job_with("io.tcp", &kv, 1);
		cb_error err = { 0 };
		if (one_rep(job, "threads", 4, "dynamic", &err))
			fail_msg("conn=%s: %s", conns[k], err.msg);
		cb_job_free(job);
		assert_int_equal(count_fds(), before);
		errno = 0;
		/* No child at all, not even a zombie; __WALL sees the server,
		 * which leaves without SIGCHLD. */
		assert_int_equal(waitpid(-1, NULL, WNOHANG | __WALL), -1);
		assert_int_equal(errno, ECHILD);
	}
}

static void test_tcp_port_in_use_fails_cell_and_run_goes_on(void **state)
{
	(void)state;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	char port[16];
	snprintf(port, sizeof port, "%d", ntohs(a.sin_port));

	cb_kv kv = { "port", port };
	cb_job *job = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_job_create(&job, cb_workload_find("io.tcp"), CB_SIZE_TINY, 1, &kv, 1, NULL, &err), -1);
	assert_int_equal(err.code, CB_EXIT_ENV);
	assert_non_null(strstr(err.msg, "Address already in use"));
	assert_non_null(strstr(err.msg, port));

	/* The whole run: io.tcp's cells fail with the reason, cpu.primes runs. */
	const char *bin = getenv("CONCBENCH");
	if (!bin) {
		close(s);
		skip();
	}
	char dir[] = "/tmp/cb-test-port-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cmd = cb_xasprintf("'%s' run -q -w io.tcp,cpu.primes -s serial,threads -n 2 --size tiny -r 1 "
	                         "--warmup 0 --param port=%s -o %s 2>/dev/null", bin, port, dir);
	int status = system(cmd);
	free(cmd);
	close(s);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CB_EXIT_FAIL);
	char *path = cb_xasprintf("%s/latest/results.json", dir);
	json_t *root = json_load_file(path, 0, NULL);
	free(path);
	assert_non_null(root);
	size_t i, tcp = 0, primes = 0;
	json_t *c;
	json_array_foreach(json_object_get(root, "cells"), i, c) {
		const char *wl = json_string_value(json_object_get(c, "workload"));
		const char *e = json_string_value(json_object_get(c, "error"));
		if (!strcmp(wl, "io.tcp")) {
			assert_non_null(e);
			assert_non_null(strstr(e, "Address already in use"));
			tcp++;
		} else {
			assert_null(e);
			assert_true(json_is_true(json_object_get(c, "checksum_ok")));
			primes++;
		}
	}
	assert_int_equal(tcp, 2);
	assert_int_equal(primes, 2);
	json_decref(root);
	cmd = cb_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* io.file under a private TMPDIR, so that what it leaves is countable. */
static char *private_tmpdir(void)
{
	char *dir = cb_xstrdup("/tmp/cb-test-file-XXXXXX");
	assert_non_null(mkdtemp(dir));
	setenv("TMPDIR", dir, 1);
	return dir;
}

static void done_tmpdir(char *dir)
{
	assert_int_equal(entries(dir), 0);
	unsetenv("TMPDIR");
	rmdir(dir);
	free(dir);
}

static void test_file_leaves_no_files(void **state)
{
	(void)state;
	char *dir = private_tmpdir();
	cb_kv kv[] = { { "fsync", "1" } };
	cb_job *job = job_with("io.file", kv, 1);
	assert_int_equal(entries(dir), 1);   /* its own directory */
	cb_error err = { 0 };
	if (one_rep(job, "threads", 2, "dynamic", &err))
		fail_msg("%s", err.msg);
	cb_job_free(job);
	done_tmpdir(dir);
}

/* The plan's estimate starts from the reference run. A job whose first
 * pass faults in much new memory (mem.stream's 48M arrays: 12,288 pages)
 * runs pre and its tasks a second time to time a warm pass, as a
 * repetition runs; a job of little memory runs once and charges nothing
 * for a cold pass. The assertions are on what ran, not on how long. */
static void test_reference_times_a_warm_pass(void **state)
{
	(void)state;
	cb_kv kv[] = { { "bytes", "48M" } };
	cb_job *big = job_with("mem.stream", kv, 1);
	assert_int_equal(big->reference_passes, 2);
	assert_true(big->cold_extra_s >= 0);
	cb_error err = { 0 };
	if (one_rep(big, "serial", 1, "static", &err))   /* the answer a repetition checks against */
		fail_msg("%s", err.msg);
	cb_job *small = job_with("cpu.mandelbrot", NULL, 0);
	assert_int_equal(small->reference_passes, 1);
	assert_true(small->cold_extra_s == 0);
	cb_job_free(big);
	cb_job_free(small);
}

/* A forked worker that runs every task of io.file touches one I/O buffer,
 * not one per task: each of its pages costs a copy-on-write fault in the
 * child (5-20 us under a hypervisor), so buffer i for task i made the
 * processes strategy measure 16 x 64 faults a repetition at quick size. */
static void test_file_forked_worker_touches_one_buffer(void **state)
{
	(void)state;
	char *dir = private_tmpdir();
	cb_kv kv[] = { { "files", "32" }, { "size", "256k" }, { "block", "256k" } };
	cb_job *job = job_with("io.file", kv, 3);
	fixture *f = open_cell(job, "processes", 1, "dynamic");
	long least = -1;
	for (int r = 0; r < 3; r++) {
		cb_rep rep;
		cb_error err = { 0 };
		if (cb_cell_rep(f->cell, &rep, &err))
			fail_msg("%s", err.msg);
		assert_true(rep.checksum_ok);
		if (least < 0 || rep.minflt < least)
			least = rep.minflt;
		cb_rep_clear(&rep);
	}
	close_cell(f);
	/* 32 buffers of 64 pages: 2,048 faults if each task wrote its own;
	 * one buffer, the child's stack and the allocator's: a few hundred. */
	if (least >= 32 * 64 / 4)
		fail_msg("a forked worker took %ld page faults for 32 tasks with 64-page buffers", least);
	cb_job_free(job);
	done_tmpdir(dir);
}

/* A full disk, played by RLIMIT_FSIZE: the cell fails naming the cause,
 * the failed file is gone at once, and teardown removes the rest. */
static void test_file_full_disk_fails_cell_and_cleans_up(void **state)
{
	(void)state;
	char *dir = private_tmpdir();
	cb_job *job = job_with("io.file", NULL, 0);
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 16 << 10;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	cb_error err = { 0 };
	int rc = one_rep(job, "serial", 1, "static", &err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "File too large"));
	/* Task 0 failed first and removed its file; the reference run's
	 * other files are still there until teardown. */
	DIR *d = opendir(dir);
	struct dirent *e;
	char *sub = NULL;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			sub = cb_xasprintf("%s/%s", dir, e->d_name);
	closedir(d);
	assert_non_null(sub);
	assert_int_equal(entries(sub), (int)job->ntasks - 1);
	free(sub);
	cb_job_free(job);
	done_tmpdir(dir);
}

static void test_bad_params_are_usage_errors_naming_them(void **state)
{
	(void)state;
	static const struct { const char *wl, *key, *value, *expect; } cases[] = {
		{ "io.tcp", "size", "-1", "'size'" },
		{ "io.file", "size", "-1", "'size'" },
		{ "sync.counter", "mode", "nope", "mutex|spin|atomic|sharded" },
		{ "io.tcp", "conn", "sometimes", "per-request|persistent" },
		{ "io.file", "direct", "2", "0|1" },
		{ "cpu.matmul", "n", "0", "'n'" },
		{ "mem.stream", "bytes", "10", "bytes=10" },
		{ "io.file", "size", "1000", "multiples of 4k" },   /* with direct=1 below */
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		cb_kv kv[2] = { { cases[k].key, cases[k].value }, { "direct", "1" } };
		size_t nkv = strstr(cases[k].expect, "4k") ? 2 : 1;
		cb_job *job = NULL;
		cb_error err = { 0 };
		assert_int_equal(cb_job_create(&job, cb_workload_find(cases[k].wl), CB_SIZE_TINY, 1, kv, nkv, NULL, &err), -1);
		assert_int_equal(err.code, CB_EXIT_USAGE);
		if (!strstr(err.msg, cases[k].expect))
			fail_msg("%s %s=%s: '%s' does not name '%s'", cases[k].wl, cases[k].key, cases[k].value,
			         err.msg, cases[k].expect);
	}
}

static void test_rates_have_units(void **state)
{
	(void)state;
	static const struct { const char *wl, *unit; } cases[] = {
		{ "cpu.matmul", "flop" }, { "mem.stream", "B" }, { "sync.counter", "inc" },
		{ "io.tcp", "B" }, { "io.file", "B" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		cb_job *job = job_with(cases[k].wl, NULL, 0);
		const char *unit = NULL;
		assert_non_null(job->wl->work_units);
		assert_true(job->wl->work_units(job, &unit) > 0);
		assert_string_equal(unit, cases[k].unit);
		cb_job_free(job);
	}
	cb_job *job = job_with("cpu.matmul", NULL, 0);
	double n = cb_job_param(job, "n");
	const char *unit;
	assert_float_equal(job->wl->work_units(job, &unit), 2 * n * n * n, 0);
	cb_job_free(job);
}

/* A measuring process rebuilds the job from the parameters the parent
 * resolved: mem.stream's auto size, taken from the topology when the job
 * was created, is not taken again from a topology that reads otherwise in
 * the measuring process (here a different synthetic L3), or the serial
 * answer would check another job. */
static void test_reopened_job_keeps_resolved_size(void **state)
{
	(void)state;
	setenv("HWLOC_SYNTHETIC", "Package:1 [NUMANode(memory=8589934592)] L3Cache:1(size=65536) Core:1 PU:1", 1);
	static const cb_kv auto_size[] = { { "bytes", "0" } };
	cb_job *job = job_with("mem.stream", auto_size, 1);
	assert_string_equal(cb_params_text(&job->params, "bytes"), "768k");   /* 3 arrays of 4 x 64 KiB */
	assert_float_equal(cb_job_param(job, "bytes"), 768 * 1024, 0);
	cb_job_release(job);
	setenv("HWLOC_SYNTHETIC", "Package:1 [NUMANode(memory=8589934592)] L3Cache:1(size=131072) Core:1 PU:1", 1);
	cb_error err = { 0 };
	if (cb_job_reopen(job, &err))
		fail_msg("reopen: %s", err.msg);
	unsetenv("HWLOC_SYNTHETIC");
	assert_string_equal(cb_params_text(&job->params, "bytes"), "768k");
	assert_int_equal(one_rep(job, "serial", 1, "dynamic", &err), 0);
	assert_int_equal(one_rep(job, "threads", 2, "dynamic", &err), 0);
	cb_job_free(job);
}

/* Two jobs of a graph workload (params ka, kb) have one reference answer,
 * and the second reproduces it under threads, dynamic and static, and
 * (fork) split across forked workers. Both are freed. */
static void assert_graph_jobs_agree(const char *wl, const cb_kv *ka, size_t na, const cb_kv *kb, size_t nb, bool fork)
{
	cb_job *a = job_with(wl, ka, na), *b = job_with(wl, kb, nb);
	cb_error err = { 0 };
	assert_int_equal(a->reference, b->reference);
	assert_int_equal(one_rep(b, "threads", 2, "dynamic", &err), 0);
	assert_int_equal(one_rep(b, "threads", 2, "static", &err), 0);
	if (fork)
		run_split_across_fork(b);
	cb_job_free(a);
	cb_job_free(b);
}

/* Task 4 of a job whose task 4 does not wait (broken=4), run before the
 * tasks it reads, then the rest in order: the checksum must not come out
 * right. The job is freed. */
static void assert_broken_task_fails(cb_job *job, const char *what)
{
	cb_error err = { 0 };
	cb_io io = cb_io_blocking();
	memset(job->partials, 0xa5, job->ntasks * sizeof *job->partials);
	assert_int_equal(job->wl->pre(job, &err), 0);
	assert_int_equal(job->wl->task(job, 4, &io, &job->partials[4]), 0);
	for (size_t i = 0; i < job->ntasks; i++)
		if (i != 4)
			assert_int_equal(job->wl->task(job, i, &io, &job->partials[i]), 0);
	if (job->wl->post(job) == job->reference)
		fail_msg("%s: a task run before its inputs gave the right checksum", what);
	cb_job_free(job);
}

/* The inputs a runtime that orders tasks itself is given (the openmp
 * strategy's depend clauses): those the task reads, the whole step before
 * with sync step, none for the broken task and for a bag of tasks. */
static void assert_inputs(cb_job *job, size_t k, const size_t *want, size_t nwant, const char *what)
{
	size_t in[CB_INPUTS_MAX], n = cb_workload_inputs(job, k, in);
	if (n != nwant)
		fail_msg("%s: task %zu has %zu inputs, expected %zu", what, k, n, nwant);
	for (size_t j = 0; j < n; j++)
		if (in[j] != want[j])
			fail_msg("%s: task %zu's input %zu is %zu, expected %zu", what, k, j, in[j], want[j]);
}

static void test_graph_inputs_for_a_runtime(void **state)
{
	(void)state;
	static const struct { const char *pattern, *sync, *broken; size_t k, n, in[4]; } cases[] = {
		{ "stencil", "inputs", "-1", 0, 0, { 0 } },
		{ "stencil", "inputs", "-1", 4, 2, { 0, 1 } },
		{ "stencil", "inputs", "-1", 5, 3, { 0, 1, 2 } },
		{ "stencil", "inputs", "-1", 11, 2, { 6, 7 } },
		{ "fft", "inputs", "-1", 5, 2, { 1, 0 } },
		{ "fft", "inputs", "-1", 9, 2, { 5, 7 } },
		{ "tree", "inputs", "-1", 7, 1, { 1 } },
		{ "all_to_all", "inputs", "-1", 6, 4, { 0, 1, 2, 3 } },
		{ "stencil", "step", "-1", 4, 4, { 0, 1, 2, 3 } },
		{ "stencil", "inputs", "5", 5, 0, { 0 } },
		{ "trivial", "inputs", "-1", 5, 0, { 0 } },
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		cb_kv kv[] = { { "pattern", cases[c].pattern }, { "width", "4" }, { "steps", "3" }, { "task", "1us" },
		               { "sync", cases[c].sync }, { "broken", cases[c].broken } };
		cb_job *job = job_with("graph.deps", kv, 6);
		assert_inputs(job, cases[c].k, cases[c].in, cases[c].n, cases[c].pattern);
		cb_job_free(job);
	}
	/* The pipeline: item 2 at stage 1 reads itself at stage 0, item 1 at
	 * stage 1, and room after it (item 0 has left stage 2). */
	cb_kv pk[] = { { "stages", "4" }, { "items", "5" }, { "queue", "2" }, { "task", "1us" } };
	cb_job *job = job_with("graph.pipeline", pk, 4);
	assert_inputs(job, 9, (const size_t[]){ 8, 5, 2 }, 3, "pipeline");
	cb_job_free(job);
	job = job_with("cpu.primes", NULL, 0);
	assert_inputs(job, 3, NULL, 0, "cpu.primes");
	cb_job_free(job);
}

/* Task graphs: every pattern and the pipeline reproduce the serial answer
 * under threads and forked workers (the catalogue's tests), and a task
 * run before its input is ready fails the checksum: task 4 (step 1,
 * column 0 of a 4-wide stencil) told not to wait, run first. */
static void test_graph_broken_dependency_fails_checksum(void **state)
{
	(void)state;
	/* A fixed spin rate: the same work, so the same answer, in every job. */
	static const char *const graphs[] = { "graph.deps", "graph.pipeline" };
	for (size_t g = 0; g < 2; g++) {
		cb_kv rate[] = { { "rate", "1e8" } };
		assert_graph_jobs_agree(graphs[g], rate, 1, rate, 1, true);
	}
	static const char *const patterns[] = { "stencil", "fft", "tree", "all_to_all" };
	for (size_t p = 0; p < 4; p++) {
		cb_kv kv[] = { { "pattern", patterns[p] }, { "width", "4" }, { "steps", "3" }, { "task", "1us" },
		               { "broken", "4" } };
		cb_job *job = job_with("graph.deps", kv, 5);
		cb_error err = { 0 };
		/* In order (one worker: nothing overtakes the broken task's inputs): right. */
		assert_int_equal(one_rep(job, "threads", 1, "dynamic", &err), 0);
		assert_broken_task_fails(job, patterns[p]);
	}
	cb_kv bad[] = { { "pattern", "fft" }, { "width", "6" } };
	cb_job *job = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_job_create(&job, cb_workload_find("graph.deps"), CB_SIZE_TINY, 1, bad, 2, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "fft needs a width that is a power of 2"));
}

/* graph.deps sync=step: the same outputs as sync=inputs (so the same
 * reference) in every pattern, right under threads; a task of step 1
 * whose one input (tree: task 0) is written still waits for the rest of
 * step 0 (tasks 1-3), and runs once the last of them is; a task told not
 * to wait still fails the checksum. */
typedef struct { cb_job *job; _Atomic int done; } step_task_arg;

static void *run_task4(void *p)
{
	step_task_arg *a = p;
	cb_io io = cb_io_blocking();
	a->job->wl->task(a->job, 4, &io, &a->job->partials[4]);
	atomic_store(&a->done, 1);
	return NULL;
}

static void test_graph_step_sync_waits_for_the_whole_step(void **state)
{
	(void)state;
	static const char *const patterns[] = { "stencil", "fft", "tree", "all_to_all" };
	for (size_t p = 0; p < 4; p++) {
		cb_kv in[] = { { "pattern", patterns[p] }, { "rate", "1e8" }, { "sync", "inputs" } };
		cb_kv st[] = { { "pattern", patterns[p] }, { "rate", "1e8" }, { "sync", "step" } };
		assert_graph_jobs_agree("graph.deps", in, 3, st, 3, false);
	}
	cb_kv kv[] = { { "pattern", "tree" }, { "width", "4" }, { "steps", "2" }, { "task", "1us" }, { "sync", "step" } };
	cb_job *job = job_with("graph.deps", kv, 5);
	cb_error err = { 0 };
	cb_io io = cb_io_blocking();
	assert_int_equal(job->wl->pre(job, &err), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(job->wl->task(job, i, &io, &job->partials[i]), 0);
	step_task_arg arg = { .job = job };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, run_task4, &arg), 0);
	usleep(100000);
	if (atomic_load(&arg.done))
		fail_msg("sync step: task 4 ran before task 3 of the step before was written");
	assert_int_equal(job->wl->task(job, 3, &io, &job->partials[3]), 0);
	pthread_join(th, NULL);
	assert_int_equal(atomic_load(&arg.done), 1);
	for (size_t i = 5; i < job->ntasks; i++)
		assert_int_equal(job->wl->task(job, i, &io, &job->partials[i]), 0);
	assert_int_equal(job->wl->post(job), job->reference);
	cb_job_free(job);
	cb_kv broken[] = { { "pattern", "stencil" }, { "width", "4" }, { "steps", "3" }, { "task", "1us" },
	                   { "sync", "step" }, { "broken", "4" } };
	assert_broken_task_fails(job_with("graph.deps", broken, 6), "sync step");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_is_deterministic),
		cmocka_unit_test(test_threads_match_serial_static_and_dynamic),
		cmocka_unit_test(test_forked_workers_match_serial),
		cmocka_unit_test(test_counter_exact_in_every_mode),
		cmocka_unit_test(test_tcp_leaves_no_process_or_fd),
		cmocka_unit_test(test_tcp_port_in_use_fails_cell_and_run_goes_on),
		cmocka_unit_test(test_file_leaves_no_files),
		cmocka_unit_test(test_file_full_disk_fails_cell_and_cleans_up),
		cmocka_unit_test(test_file_forked_worker_touches_one_buffer),
		cmocka_unit_test(test_reference_times_a_warm_pass),
		cmocka_unit_test(test_bad_params_are_usage_errors_naming_them),
		cmocka_unit_test(test_rates_have_units),
		cmocka_unit_test(test_reopened_job_keeps_resolved_size),
		cmocka_unit_test(test_graph_broken_dependency_fails_checksum),
		cmocka_unit_test(test_graph_inputs_for_a_runtime),
		cmocka_unit_test(test_graph_step_sync_waits_for_the_whole_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
