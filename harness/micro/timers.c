/* timers: how late a wait of 1 us, 100 us, 1 ms and 10 ms ends, through
 * clock_nanosleep in a thread, a timerfd, and an io_uring timeout on a raw
 * ring (the mechanism the coroutine scheduler sleeps on). Each wait is to
 * an absolute CLOCK_MONOTONIC deadline; ns_per_op is the whole wait and
 * the latency percentiles (p50_ns, p99_ns, max_ns) are the lateness past
 * the deadline. A wait that ends early fails the verification. */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "base/common.h"
#include "micro/micro.h"

#define LAT_CAP 4096

typedef enum { T_NANOSLEEP, T_TIMERFD, T_IO_URING } timer_kind;

typedef struct timer_bench {
	timer_kind kind;
	const char *name, *model;
	long wait_ns;
} timer_bench;

typedef struct waiter {
	int fd;
	struct io_uring ring;
	bool ring_ok;
} waiter;

static struct timespec ts_of(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	return ts;
}

/* 0, or -errno when the mechanism refuses. */
static int wait_until(const timer_bench *b, waiter *w, double deadline)
{
	struct timespec ts = ts_of(deadline);
	switch (b->kind) {
	case T_NANOSLEEP: {
		int rc;
		while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
			;
		return -rc;
	}
	case T_TIMERFD: {
		struct itimerspec its = { .it_value = ts };
		uint64_t expirations;
		if (timerfd_settime(w->fd, TFD_TIMER_ABSTIME, &its, NULL))
			return -errno;
		while (read(w->fd, &expirations, sizeof expirations) < 0)
			if (errno != EINTR)
				return -errno;
		return 0;
	}
	case T_IO_URING: {
		struct __kernel_timespec kts = { ts.tv_sec, ts.tv_nsec };
		struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
		struct io_uring_cqe *cqe;
		if (!sqe)
			return -EBUSY;
		io_uring_prep_timeout(sqe, &kts, 0, IORING_TIMEOUT_ABS);
		int rc = io_uring_submit(&w->ring);
		if (rc < 0)
			return rc;
		while ((rc = io_uring_wait_cqe(&w->ring, &cqe)) == -EINTR)
			;
		if (rc < 0)
			return rc;
		rc = cqe->res == -ETIME ? 0 : cqe->res < 0 ? cqe->res : -EPROTO;
		io_uring_cqe_seen(&w->ring, cqe);
		return rc;
	}
	}
	return -EINVAL;
}

static void timer(cb_gb_state *st, void *arg)
{
	const timer_bench *b = arg;
	waiter w = { .fd = -1 };
	cb_micro_lat lat;
	int rc = 0;
	int64_t early = 0;
	cb_gb_set_label(st, b->model);
	if (b->kind == T_TIMERFD && (w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) < 0) {
		cb_micro_skip(st, "timerfd_create: %s", strerror(errno));
		return;
	}
	if (b->kind == T_IO_URING) {
		if ((rc = io_uring_queue_init(4, &w.ring, 0))) {
			cb_micro_skip(st, "io_uring_queue_init: %s", strerror(-rc));
			return;
		}
		w.ring_ok = true;
	}
	cb_micro_lat_init(&lat, LAT_CAP);
	double wait_s = (double)b->wait_ns * 1e-9, t0 = cb_now();
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n && !rc; i++) {
			double deadline = cb_now() + wait_s;
			rc = wait_until(b, &w, deadline);
			double late = cb_now() - deadline;
			early += late < 0;
			cb_micro_lat_add(&lat, late);
		}
	cb_gb_set_iteration_time(st, cb_now() - t0);
	if (rc)
		cb_micro_skip(st, "%s refused: %s", b->name, strerror(-rc));
	else if (early)
		cb_micro_fail(st, "%s: %lld waits ended before their deadline", b->name, (long long)early);
	else
		cb_micro_lat_report(st, &lat);
	cb_micro_lat_free(&lat);
	if (w.fd >= 0)
		close(w.fd);
	if (w.ring_ok)
		io_uring_queue_exit(&w.ring);
}

static timer_bench benches[12];

void cb_micro_register_timers(void)
{
	static const struct { timer_kind kind; const char *name, *model; } kinds[] = {
		{ T_NANOSLEEP, "clock_nanosleep", "threads" },
		{ T_TIMERFD, "timerfd", "event_loop" },
		{ T_IO_URING, "io_uring_timeout", "io_uring" },
	};
	static const struct { long ns; const char *text; } waits[] = {
		{ 1000, "1us" }, { 100000, "100us" }, { 1000000, "1ms" }, { 10000000, "10ms" },
	};
	int k = 0;
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < 4; j++) {
			char name[96];
			benches[k] = (timer_bench){ kinds[i].kind, kinds[i].name, kinds[i].model, waits[j].ns };
			snprintf(name, sizeof name, "timers/%s/%s", kinds[i].name, waits[j].text);
			cb_micro_add(name, timer, &benches[k++]);
		}
}
