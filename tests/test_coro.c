/* Coroutines: fcontext switches carry values both ways, stacks fault on
 * their guard page, one scheduler thread carries 10,000 sleeping
 * coroutines, both event loops do what the I/O interface promises (sleep
 * order, pipes, TCP, timeouts), coroutines parked on a word are woken
 * from their own scheduler and from another thread's (no wake-up lost in
 * thousands of hand-overs), and the strategy reproduces the serial
 * answer, fails a job on a task error instead of hanging, and reports an
 * io_uring it cannot have (exit code 3) or falls back to epoll. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coro/coro.h"
#include "cell_fixture.h"
#include "engine/run.h"

static const cb_loop_backend *const backends[] = { &cb_loop_uring, &cb_loop_epoll };
#define NBACKENDS 2

/* ---- raw fcontext ---- */

static void pingpong_entry(transfer_t t)
{
	/* Echoes every value back plus one, until it gets 0. */
	for (;;) {
		intptr_t v = (intptr_t)t.data;
		t = jump_fcontext(t.fctx, (void *)(v + 1));
	}
}

static void test_switch_pingpong_passes_values(void **state)
{
	(void)state;
	cb_stack st;
	assert_int_equal(cb_stack_alloc(&st, 64 * 1024), 0);
	fcontext_t ctx = make_fcontext(cb_stack_top(&st), st.size, pingpong_entry);
	for (intptr_t i = 1; i <= 10000; i++) {
		transfer_t t = jump_fcontext(ctx, (void *)(i * 3));
		assert_int_equal((intptr_t)t.data, i * 3 + 1);
		ctx = t.fctx;
	}
	/* The coroutine is abandoned mid-loop: its stack simply goes away. */
	cb_stack_free(&st);
}

/* ---- guard page ---- */

/* The pointer itself is volatile too: the handler must see it set before
 * the faulting store, whatever the optimiser would reorder. */
static volatile char *volatile guard_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	_exit(si->si_addr == (void *)guard_addr ? 42 : 43);
}

static void test_stack_guard_faults(void **state)
{
	(void)state;
	cb_stack st;
	assert_int_equal(cb_stack_alloc(&st, 64 * 1024), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
		((volatile char *)st.lo)[0] = 1;          /* the lowest usable byte is fine */
		guard_addr = (volatile char *)st.lo - 1;  /* one below it is the guard */
		*guard_addr = 1;
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 42);
	cb_stack_free(&st);
}

/* ---- the scheduler and both loops ---- */

typedef struct {
	cb_sched s;
	cb_stack *stacks;
	cb_coro *coros;
	size_t n;
} world;

static void world_open(world *w, const cb_loop_backend *b, size_t n, size_t stack)
{
	assert_int_equal(cb_sched_init(&w->s, b, (unsigned)(2 * n)), 0);
	w->n = n;
	w->stacks = cb_xcalloc(n, sizeof *w->stacks);
	w->coros = cb_xcalloc(n, sizeof *w->coros);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(cb_stack_alloc(&w->stacks[k], stack), 0);
}

static void world_start(world *w, size_t k, cb_coro_fn fn, void *arg)
{
	cb_coro_start(&w->s, &w->coros[k], &w->stacks[k], fn, arg);
}

static void world_close(world *w)
{
	for (size_t k = 0; k < w->n; k++)
		cb_stack_free(&w->stacks[k]);
	free(w->stacks);
	free(w->coros);
	cb_sched_fini(&w->s);
}

static int sleepers_done;

static void sleeper(cb_coro *co, void *arg)
{
	(void)arg;
	assert_int_equal(cb_io_sleep(&co->sched->io, 0.002), 0);
	sleepers_done++;
}

/* ThreadSanitizer counts every live fiber as a thread and dies past 8128. */
#if defined(__SANITIZE_THREAD__)
#define MANY 4000
#else
#define MANY 10000
#endif

static void test_sched_runs_10000_sleepers_on_one_thread(void **state)
{
	(void)state;
	for (int b = 0; b < NBACKENDS; b++) {
		world w;
		world_open(&w, backends[b], MANY, 16 * 1024);
		sleepers_done = 0;
		double t0 = cb_now();
		for (size_t k = 0; k < w.n; k++)
			world_start(&w, k, sleeper, NULL);
		assert_int_equal(cb_sched_run(&w.s), 0);
		double dt = cb_now() - t0;
		assert_int_equal(sleepers_done, MANY);
		/* They sleep together, not one after the other (MANY x 2 ms);
		 * ThreadSanitizer's fibers cost about a millisecond each to
		 * create, so there only completion counts. */
#if !defined(__SANITIZE_THREAD__)
		assert_true(dt < MANY * 0.002 / 4);
#else
		(void)dt;
#endif
		world_close(&w);
	}
}

static int order[3], norder;

static void timed_sleeper(cb_coro *co, void *arg)
{
	int ms = (int)(intptr_t)arg;
	assert_int_equal(cb_io_sleep(&co->sched->io, ms * 1e-3), 0);
	order[norder++] = ms;
}

static void test_io_sleep_wakes_in_deadline_order(void **state)
{
	(void)state;
	for (int b = 0; b < NBACKENDS; b++) {
		world w;
		world_open(&w, backends[b], 3, 64 * 1024);
		norder = 0;
		double t0 = cb_now();
		world_start(&w, 0, timed_sleeper, (void *)(intptr_t)30);
		world_start(&w, 1, timed_sleeper, (void *)(intptr_t)10);
		world_start(&w, 2, timed_sleeper, (void *)(intptr_t)20);
		assert_int_equal(cb_sched_run(&w.s), 0);
		double dt = cb_now() - t0;
		assert_int_equal(norder, 3);
		assert_int_equal(order[0], 10);
		assert_int_equal(order[1], 20);
		assert_int_equal(order[2], 30);
		assert_true(dt >= 0.030 && dt < 1.0);
		world_close(&w);
	}
}

/* A reader that parks before the writer has written: a blocking read
 * would hang the one thread both run on. */
typedef struct { int fds[2]; char got[16]; ssize_t nread, nwritten; int waited; } pipe_case;

static void pipe_reader(cb_coro *co, void *arg)
{
	pipe_case *pc = arg;
	pc->nread = cb_io_read(&co->sched->io, pc->fds[0], pc->got, sizeof pc->got);
}

static void pipe_writer(cb_coro *co, void *arg)
{
	pipe_case *pc = arg;
	/* Nothing to read within 5 ms: wait_fd times out with 0. */
	pc->waited = cb_io_wait_fd(&co->sched->io, pc->fds[0], POLLIN, 0.005);
	pc->nwritten = cb_io_write(&co->sched->io, pc->fds[1], "ping", 4);
}

static void test_io_pipe_between_two_coroutines(void **state)
{
	(void)state;
	for (int b = 0; b < NBACKENDS; b++) {
		world w;
		pipe_case pc = { .nread = -99, .nwritten = -99, .waited = -99 };
		assert_int_equal(pipe2(pc.fds, O_CLOEXEC), 0);   /* blocking on purpose */
		world_open(&w, backends[b], 2, 64 * 1024);
		world_start(&w, 0, pipe_reader, &pc);
		world_start(&w, 1, pipe_writer, &pc);
		assert_int_equal(cb_sched_run(&w.s), 0);
		assert_int_equal(pc.waited, 0);
		assert_int_equal(pc.nwritten, 4);
		assert_int_equal(pc.nread, 4);
		assert_memory_equal(pc.got, "ping", 4);
		close(pc.fds[0]);
		close(pc.fds[1]);
		world_close(&w);
	}
}

typedef struct {
	int lfd;
	struct sockaddr_in addr;
	char server_got[8], client_got[8];
	ssize_t server_n, client_n;
	int accept_rc, connect_rc;
} tcp_case;

static void tcp_server(cb_coro *co, void *arg)
{
	tcp_case *tc = arg;
	cb_io *io = &co->sched->io;
	int fd = cb_io_accept(io, tc->lfd, NULL, NULL);
	tc->accept_rc = fd;
	if (fd < 0)
		return;
	tc->server_n = cb_io_recv(io, fd, tc->server_got, 5, MSG_WAITALL);
	cb_io_send(io, fd, "pong!", 5, MSG_NOSIGNAL);
	close(fd);
}

static void tcp_client(cb_coro *co, void *arg)
{
	tcp_case *tc = arg;
	cb_io *io = &co->sched->io;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	tc->connect_rc = cb_io_connect(io, fd, (struct sockaddr *)&tc->addr, sizeof tc->addr);
	if (!tc->connect_rc) {
		cb_io_send(io, fd, "ping!", 5, MSG_NOSIGNAL);
		tc->client_n = cb_io_recv(io, fd, tc->client_got, 5, MSG_WAITALL);
	}
	close(fd);
}

static void test_io_tcp_loopback_exchange(void **state)
{
	(void)state;
	for (int b = 0; b < NBACKENDS; b++) {
		tcp_case tc = { .server_n = -99, .client_n = -99 };
		tc.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		tc.addr.sin_family = AF_INET;
		tc.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t len = sizeof tc.addr;
		assert_int_equal(bind(tc.lfd, (struct sockaddr *)&tc.addr, sizeof tc.addr), 0);
		assert_int_equal(listen(tc.lfd, 4), 0);
		assert_int_equal(getsockname(tc.lfd, (struct sockaddr *)&tc.addr, &len), 0);
		world w;
		world_open(&w, backends[b], 2, 64 * 1024);
		world_start(&w, 0, tcp_server, &tc);   /* accepts before anyone connects */
		world_start(&w, 1, tcp_client, &tc);
		assert_int_equal(cb_sched_run(&w.s), 0);
		assert_true(tc.accept_rc >= 0);
		assert_int_equal(tc.connect_rc, 0);
		assert_int_equal(tc.server_n, 5);
		assert_int_equal(tc.client_n, 5);
		assert_memory_equal(tc.server_got, "ping!", 5);
		assert_memory_equal(tc.client_got, "pong!", 5);
		close(tc.lfd);
		world_close(&w);
	}
}

static void parks_forever(cb_coro *co, void *arg)
{
	(void)arg;
	cb_sched_park(co->sched);
}

static void test_sched_reports_deadlock_instead_of_hanging(void **state)
{
	(void)state;
	world w;
	world_open(&w, &cb_loop_epoll, 1, 64 * 1024);
	world_start(&w, 0, parks_forever, NULL);
	assert_int_equal(cb_sched_run(&w.s), -EDEADLK);
	world_close(&w);
}

/* ---- coroutines parked on a word ---- */

/* A baton passed round a ring of coroutines: each waits until the word
 * names it, then names the next and wakes the waiters. */
#define RELAY_LAPS 2000
typedef struct {
	_Atomic uint32_t turn;
	uint32_t n;           /* coroutines in the ring */
	_Atomic int passes;
} relay;

typedef struct {
	relay *r;
	uint32_t me;
} runner;

static void relay_coro(cb_coro *co, void *arg)
{
	runner *ru = arg;
	relay *r = ru->r;
	for (int lap = 0; lap < RELAY_LAPS; lap++) {
		uint32_t t;
		while ((t = atomic_load(&r->turn)) != ru->me)
			cb_coro_wait_word(co->sched, &r->turn, t);
		atomic_store(&r->turn, (ru->me + 1) % r->n);
		atomic_fetch_add(&r->passes, 1);
		cb_coro_wake_word(co->sched, &r->turn);
	}
}

typedef struct {
	const cb_loop_backend *b;
	relay *r;
	runner ru[4];
	size_t n;
	int rc;
	_Atomic bool done;
} relay_thread;

static void *relay_main(void *arg)
{
	relay_thread *t = arg;
	world w;
	world_open(&w, t->b, t->n, 64 * 1024);
	for (size_t k = 0; k < t->n; k++)
		world_start(&w, k, relay_coro, &t->ru[k]);
	t->rc = cb_sched_run(&w.s);
	world_close(&w);
	atomic_store(&t->done, true);
	return NULL;
}

/* Every hand-over on one scheduler: the waiters are woken without the
 * loop, and the run ends (no wake-up waits on the eventfd). */
static void test_word_wait_wakes_on_own_scheduler(void **state)
{
	(void)state;
	for (int b = 0; b < NBACKENDS; b++) {
		relay r = { .n = 3 };
		relay_thread t = { .b = backends[b], .r = &r, .n = 3 };
		for (uint32_t k = 0; k < 3; k++)
			t.ru[k] = (runner){ &r, k };
		relay_main(&t);
		assert_int_equal(t.rc, 0);
		assert_int_equal(atomic_load(&r.passes), 3 * RELAY_LAPS);
	}
}

/* Every hand-over crosses threads: coroutines 0 and 2 on one scheduler,
 * 1 and 3 on another's thread, so each wake-up goes through the waiter's
 * scheduler's eventfd while it may be asleep in its loop. A lost wake-up
 * leaves the ring stuck: the test waits 60 s at most, then fails. */
static void test_word_wait_wakes_across_threads(void **state)
{
	(void)state;
	for (int b = 0; b < NBACKENDS; b++) {
		relay r = { .n = 4 };
		relay_thread t[2];
		for (int i = 0; i < 2; i++) {
			t[i] = (relay_thread){ .b = backends[b], .r = &r, .n = 2 };
			t[i].ru[0] = (runner){ &r, (uint32_t)i };
			t[i].ru[1] = (runner){ &r, (uint32_t)i + 2 };
		}
		pthread_t tid[2];
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&tid[i], NULL, relay_main, &t[i]), 0);
		double until = cb_now() + 60;
		while (!(atomic_load(&t[0].done) && atomic_load(&t[1].done)) && cb_now() < until)
			usleep(1000);
		if (!(atomic_load(&t[0].done) && atomic_load(&t[1].done)))
			fail_msg("%s: the ring stopped after %d of %d hand-overs (a lost wake-up)", backends[b]->name,
			         atomic_load(&r.passes), 4 * RELAY_LAPS);
		for (int i = 0; i < 2; i++) {
			pthread_join(tid[i], NULL);
			assert_int_equal(t[i].rc, 0);
		}
		assert_int_equal(atomic_load(&r.passes), 4 * RELAY_LAPS);
	}
}

/* A word that no longer holds the value: no park. */
static void waits_on_changed_word(cb_coro *co, void *arg)
{
	_Atomic uint32_t *word = arg;
	cb_coro_wait_word(co->sched, word, 7);
	atomic_store(word, 9);
}

static void test_word_wait_returns_when_word_differs(void **state)
{
	(void)state;
	for (int b = 0; b < NBACKENDS; b++) {
		_Atomic uint32_t word = 8;
		world w;
		world_open(&w, backends[b], 1, 64 * 1024);
		world_start(&w, 0, waits_on_changed_word, &word);
		assert_int_equal(cb_sched_run(&w.s), 0);
		assert_int_equal(atomic_load(&word), 9);
		world_close(&w);
	}
}

/* ---- the strategy through the runner ---- */

typedef cell_fixture fixture;

static fixture *make(const cb_workload *wl, int workers, int conc, const char *sched, const char *loop)
{
	cb_error err = { 0 };
	cb_kv kv = { "loop", loop };
	fixture *f = cell_fixture_new(NULL, wl, cb_strategy_find("coroutines"), workers, conc, 1, "compact", sched,
	                              &kv, loop ? 1 : 0, 2, &err);
	if (!f)
		fail_msg("%s", err.msg);
	return f;
}

static void destroy(fixture *f) { cell_fixture_free(f); }

static void rep_ok(fixture *f)
{
	cb_rep rep;
	cb_error err = { 0 };
	int rc = cb_cell_rep(f->cell, &rep, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_true(rep.checksum_ok);
	cb_rep_clear(&rep);
}

static void test_strategy_matches_serial(void **state)
{
	(void)state;
	const char *wls[] = { "io.sleep", "cpu.primes" };
	const char *scheds[] = { "static", "dynamic" };
	const int ws[] = { 1, 2, 3 }, cs[] = { 1, 16, 1000 };
	for (size_t a = 0; a < 2; a++)
		for (size_t s = 0; s < 2; s++)
			for (size_t i = 0; i < 3; i++)
				for (size_t j = 0; j < 3; j++) {
					fixture *f = make(cb_workload_find(wls[a]), ws[i], cs[j], scheds[s], NULL);
					rep_ok(f);
					rep_ok(f);   /* the schedulers are reused */
					destroy(f);
				}
}

static void test_epoll_selected_explicitly(void **state)
{
	(void)state;
	fixture *f = make(cb_workload_find("io.sleep"), 2, 64, "dynamic", "epoll");
	assert_string_equal(f->cell->ex.note, "loop=epoll");
	rep_ok(f);
	destroy(f);
	f = make(cb_workload_find("io.sleep"), 1, 64, "dynamic", "uring");
	assert_string_equal(f->cell->ex.note, "loop=uring");
	rep_ok(f);
	destroy(f);
}

/* Task 3 fails after its sleep, once armed (after the reference run). */
static int fail_armed;
static int failing_setup(cb_job *job, cb_error *err) { (void)err; job->ntasks = 64; return 0; }
static int failing_task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)job;
	int rc = cb_io_sleep(io, 0.001);
	*out = i;
	return rc ? rc : fail_armed && i == 3 ? -EIO : 0;
}
static const cb_workload failing = {
	.name = "test.failing", .summary = "task 3 fails", .kind = CB_KIND_IO,
	.checksum = "partials", .setup = failing_setup, .task = failing_task, .post = cb_partials_hash,
};

static void test_task_error_fails_job(void **state)
{
	(void)state;
	const char *loops[] = { "uring", "epoll" };
	for (int l = 0; l < 2; l++) {
		fail_armed = 0;
		fixture *f = make(&failing, 2, 8, "dynamic", loops[l]);
		fail_armed = 1;
		for (int r = 0; r < 2; r++) {   /* and the next job runs, and fails, too */
			cb_rep rep;
			cb_error err = { 0 };
			assert_int_equal(cb_cell_rep(f->cell, &rep, &err), -1);
			assert_non_null(strstr(err.msg, "task 3 failed"));
			cb_rep_clear(&rep);
		}
		fail_armed = 0;
		rep_ok(f);
		destroy(f);
	}
}

/* ---- io_uring refused, as a seccomp filter or io_uring_disabled would ---- */

static void deny_io_uring(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof filter / sizeof *filter, .filter = filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(99);
}

static int probe_in_child(const char *loop, char *warn, size_t nwarn)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		deny_io_uring();
		const cb_strategy *st = cb_strategy_find("coroutines");
		cb_kv kv = { "loop", loop };
		cb_params p;
		cb_error err = { 0 };
		char w[256] = "";
		if (cb_params_init(&p, st->params, st->nparams, CB_SIZE_TINY, &kv, 1, NULL, "coroutines", &err))
			_exit(98);
		int rc = st->check(NULL, &p, w, sizeof w, &err);
		dprintf(fds[1], "%s%s", w, err.msg);
		cb_params_free(&p);
		_exit(rc ? err.code : 0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], warn, nwarn - 1);
	warn[n > 0 ? n : 0] = 0;
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_uring_unavailable_falls_back_or_exits_3(void **state)
{
	(void)state;
	char msg[512];
	assert_int_equal(probe_in_child("auto", msg, sizeof msg), 0);
	assert_non_null(strstr(msg, "falling back to epoll"));
	assert_int_equal(probe_in_child("uring", msg, sizeof msg), CB_EXIT_ENV);
	assert_non_null(strstr(msg, "io_uring cannot be set up"));

	/* The whole command: exit code 3 before anything runs or is written. */
	const char *bin = getenv("CONCBENCH");
	if (!bin)
		return;
	char dir[] = "/tmp/cb_coro_XXXXXX";
	assert_non_null(mkdtemp(dir));
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		deny_io_uring();
		execl(bin, bin, "run", "-w", "io.sleep", "-s", "coroutines", "-n", "1", "--size", "tiny", "-r", "1",
		      "--param", "loop=uring", "-q", "-o", dir, (char *)NULL);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CB_EXIT_ENV);
	assert_int_equal(rmdir(dir), 0);   /* nothing was left in it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_pingpong_passes_values),
		cmocka_unit_test(test_stack_guard_faults),
		cmocka_unit_test(test_sched_runs_10000_sleepers_on_one_thread),
		cmocka_unit_test(test_io_sleep_wakes_in_deadline_order),
		cmocka_unit_test(test_io_pipe_between_two_coroutines),
		cmocka_unit_test(test_io_tcp_loopback_exchange),
		cmocka_unit_test(test_sched_reports_deadlock_instead_of_hanging),
		cmocka_unit_test(test_word_wait_wakes_on_own_scheduler),
		cmocka_unit_test(test_word_wait_wakes_across_threads),
		cmocka_unit_test(test_word_wait_returns_when_word_differs),
		cmocka_unit_test(test_strategy_matches_serial),
		cmocka_unit_test(test_epoll_selected_explicitly),
		cmocka_unit_test(test_task_error_fails_job),
		cmocka_unit_test(test_uring_unavailable_falls_back_or_exits_3),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
