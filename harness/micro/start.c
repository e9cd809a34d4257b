/* start: what it costs to start a worker and wait for it to finish —
 * thread create+join, fork+wait, vfork+exec+wait of /bin/true and
 * posix_spawn+wait. Every worker proves it ran: threads bump a counter,
 * children exit 0 (or 42 after fork, to tell a real child from a no-op). */
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/common.h"
#include "micro/micro.h"

extern char **environ;

static const char true_path[] = "/bin/true";

static void *bump(void *arg)
{
	atomic_fetch_add((_Atomic int64_t *)arg, 1);
	return NULL;
}

static void thread_create_join(cb_gb_state *st, void *arg)
{
	(void)arg;
	_Atomic int64_t ran = 0;
	int64_t total = 0;
	int err = 0;
	cb_gb_set_label(st, "threads");
	double t0 = cb_now();
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++, total++) {
			pthread_t t;
			if ((err = pthread_create(&t, NULL, bump, &ran)))
				break;
			pthread_join(t, NULL);
		}
	cb_gb_set_iteration_time(st, cb_now() - t0);
	if (err)
		cb_micro_skip(st, "pthread_create: %s", strerror(err));
	else if (atomic_load(&ran) != total)
		cb_micro_fail(st, "%lld threads created, %lld ran", (long long)total, (long long)atomic_load(&ran));
}

/* Children exit with `code`; any other status counts as a failure. */
static bool reap(pid_t pid, int code)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void fork_wait(cb_gb_state *st, void *arg)
{
	(void)arg;
	int64_t ok = 0, total = 0;
	cb_gb_set_label(st, "processes");
	double t0 = cb_now();
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++, total++) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(42);
			if (pid > 0)
				ok += reap(pid, 42);
		}
	cb_gb_set_iteration_time(st, cb_now() - t0);
	if (ok != total)
		cb_micro_fail(st, "%lld of %lld forked children exited 42", (long long)ok, (long long)total);
}

static char *const true_argv[] = { (char *)true_path, NULL };

/* What the exec benchmarks share: their label, and a skip where the
 * program they start cannot run here. */
static bool true_runs(cb_gb_state *st)
{
	cb_gb_set_label(st, "processes");
	if (access(true_path, X_OK)) {
		cb_micro_skip(st, "%s is not executable here", true_path);
		return false;
	}
	return true;
}

static void vfork_exec_wait(cb_gb_state *st, void *arg)
{
	(void)arg;
	/* The child borrows this stack until it execs: what lives across
	 * vfork() must be in memory, not in registers it could clobber. */
	volatile int64_t ok = 0, total = 0;
	if (!true_runs(st))
		return;
	double t0 = cb_now();
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++, total++) {
			pid_t pid = vfork();
			if (pid == 0) {
				execve(true_path, true_argv, environ);
				_exit(127);
			}
			if (pid > 0)
				ok += reap(pid, 0);
		}
	cb_gb_set_iteration_time(st, cb_now() - t0);
	if (ok != total)
		cb_micro_fail(st, "%lld of %lld vforked %s exited 0", (long long)ok, (long long)total, true_path);
}

static void posix_spawn_wait(cb_gb_state *st, void *arg)
{
	(void)arg;
	int64_t ok = 0, total = 0;
	if (!true_runs(st))
		return;
	double t0 = cb_now();
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++, total++) {
			pid_t pid;
			if (!posix_spawn(&pid, true_path, NULL, NULL, true_argv, environ))
				ok += reap(pid, 0);
		}
	cb_gb_set_iteration_time(st, cb_now() - t0);
	if (ok != total)
		cb_micro_fail(st, "%lld of %lld spawned %s exited 0", (long long)ok, (long long)total, true_path);
}

void cb_micro_register_start(void)
{
	cb_micro_add("start/thread_create_join", thread_create_join, NULL);
	cb_micro_add("start/fork_wait", fork_wait, NULL);
	cb_micro_add("start/vfork_exec_wait", vfork_exec_wait, NULL);
	cb_micro_add("start/posix_spawn_wait", posix_spawn_wait, NULL);
}
