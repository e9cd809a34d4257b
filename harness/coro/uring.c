/* The io_uring event loop: one ring per scheduler. Every I/O operation of a
 * coroutine is one SQE whose user_data is the coroutine; the coroutine
 * parks, the scheduler submits SQEs in batches when it polls, and each CQE
 * wakes its coroutine with the result. Linked timeouts (wait_fd with a
 * timeout) carry no user_data and are only counted. */
#include <errno.h>
#include <liburing.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>

#include "coro/coro.h"

typedef struct {
	struct io_uring ring;
	size_t inflight;     /* SQEs queued or submitted whose CQE wakes a coroutine */
	bool wake_armed;     /* a poll of the scheduler's wake_fd is in the ring (its
	                      * user_data is &wake_armed; it wakes no coroutine) */
} uring_state;

static int uring_open(cb_sched *s, unsigned depth, void **state)
{
	(void)s;
	uring_state *u = cb_xcalloc(1, sizeof *u);
	struct io_uring_params p = { 0 };
	/* The SQ is refilled in batches, so a modest one will do; the CQ must
	 * hold one completion per parked coroutine (and their linked
	 * timeouts), which CLAMP caps at the kernel's maximum; beyond that the
	 * kernel keeps overflowed CQEs (IORING_FEAT_NODROP). */
	unsigned sq = depth < 256 ? 256 : depth > 4096 ? 4096 : depth;
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
	p.cq_entries = depth * 2 > sq * 2 ? depth * 2 : sq * 2;
	int rc = io_uring_queue_init_params(sq, &u->ring, &p);
	if (rc < 0) {
		free(u);
		return rc;
	}
	*state = u;
	return 0;
}

static void uring_close(void *state)
{
	uring_state *u = state;
	io_uring_queue_exit(&u->ring);
	free(u);
}

static size_t uring_inflight(void *state) { return ((uring_state *)state)->inflight; }

static int uring_poll(cb_sched *s, bool block)
{
	uring_state *u = s->loop_state;
	int rc;
	/* Coroutines parked on a word: another thread's wake-up must end
	 * the wait. */
	if (block && s->parked_words && !u->wake_armed) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
		if (!sqe && io_uring_submit(&u->ring) >= 0)
			sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return -EAGAIN;
		io_uring_prep_poll_add(sqe, s->wake_fd, POLLIN);
		io_uring_sqe_set_data(sqe, &u->wake_armed);
		u->wake_armed = true;
	}
	do
		rc = io_uring_submit_and_wait(&u->ring, block ? 1 : 0);
	while (rc == -EINTR);
	if (rc < 0 && rc != -EBUSY && rc != -ETIME)
		return rc;
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	int woken = 0;
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		seen++;
		void *data = io_uring_cqe_get_data(cqe);
		if (data == &u->wake_armed) {
			u->wake_armed = false;   /* cb_sched_run takes the wake-ups */
			cb_sched_drain_wake(s);
			continue;
		}
		cb_coro *co = data;
		if (!co)
			continue;   /* a linked timeout */
		co->result = cqe->res;
		u->inflight--;
		cb_sched_wake(s, co);
		woken++;
	}
	io_uring_cq_advance(&u->ring, seen);
	return woken;
}

/* A free SQE; when the SQ is full, what it holds goes to the kernel first. */
static struct io_uring_sqe *get_sqe(uring_state *u)
{
	struct io_uring_sqe *sqe;
	while (!(sqe = io_uring_get_sqe(&u->ring))) {
		int rc = io_uring_submit(&u->ring);
		if (rc < 0 && rc != -EINTR && rc != -EBUSY)
			return NULL;
	}
	return sqe;
}

/* Parks the current coroutine until sqe's completion. */
static intptr_t await(cb_sched *s, struct io_uring_sqe *sqe)
{
	uring_state *u = s->loop_state;
	io_uring_sqe_set_data(sqe, s->current);
	u->inflight++;
	cb_sched_park(s);
	return s->current->result;
}

#define SCHED(io) ((cb_sched *)(io)->ctx)
#define STATE(io) ((uring_state *)SCHED(io)->loop_state)
#define SQE_OR_FAIL(sqe, io)                          \
	struct io_uring_sqe *sqe = get_sqe(STATE(io)); \
	if (!sqe)                                      \
		return -EAGAIN

static struct __kernel_timespec to_ts(double s)
{
	double whole = floor(s);
	struct __kernel_timespec ts = { .tv_sec = (long long)whole,
	                                .tv_nsec = (long long)((s - whole) * 1e9) };
	return ts;
}

static int u_sleep(cb_io *io, double seconds)
{
	if (seconds <= 0)
		return 0;
	struct __kernel_timespec ts = to_ts(seconds);   /* lives while parked */
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_timeout(sqe, &ts, 0, 0);
	intptr_t r = await(SCHED(io), sqe);
	return r == -ETIME ? 0 : (int)r;
}

static ssize_t u_read(cb_io *io, int fd, void *b, size_t n)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_read(sqe, fd, b, (unsigned)n, (__u64)-1);
	return await(SCHED(io), sqe);
}

static ssize_t u_write(cb_io *io, int fd, const void *b, size_t n)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_write(sqe, fd, b, (unsigned)n, (__u64)-1);
	return await(SCHED(io), sqe);
}

static ssize_t u_pread(cb_io *io, int fd, void *b, size_t n, off_t o)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_read(sqe, fd, b, (unsigned)n, (__u64)o);
	return await(SCHED(io), sqe);
}

static ssize_t u_pwrite(cb_io *io, int fd, const void *b, size_t n, off_t o)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_write(sqe, fd, b, (unsigned)n, (__u64)o);
	return await(SCHED(io), sqe);
}

static int u_connect(cb_io *io, int fd, const struct sockaddr *a, socklen_t l)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_connect(sqe, fd, a, l);
	return (int)await(SCHED(io), sqe);
}

static int u_accept(cb_io *io, int fd, struct sockaddr *a, socklen_t *l)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_accept(sqe, fd, a, l, SOCK_CLOEXEC);
	return (int)await(SCHED(io), sqe);
}

static ssize_t u_send(cb_io *io, int fd, const void *b, size_t n, int f)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_send(sqe, fd, b, n, f);
	return await(SCHED(io), sqe);
}

static ssize_t u_recv(cb_io *io, int fd, void *b, size_t n, int f)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_recv(sqe, fd, b, n, f);
	return await(SCHED(io), sqe);
}

static int u_wait_fd(cb_io *io, int fd, int events, double timeout)
{
	if (timeout == 0) {
		/* A readiness check, not a wait: no reason to park. */
		struct pollfd p = { .fd = fd, .events = (short)events };
		int r = poll(&p, 1, 0);
		return r < 0 ? -errno : r ? p.revents : 0;
	}
	uring_state *u = STATE(io);
	struct __kernel_timespec ts = to_ts(timeout > 0 ? timeout : 0);
	/* Both SQEs must be queued together: a full SQ between them would
	 * submit the poll without its timeout. */
	if (timeout > 0 && io_uring_sq_space_left(&u->ring) < 2)
		io_uring_submit(&u->ring);
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_poll_add(sqe, fd, (unsigned)events);
	if (timeout > 0) {
		sqe->flags |= IOSQE_IO_LINK;
		struct io_uring_sqe *t = get_sqe(u);
		if (!t)
			return -EAGAIN;
		io_uring_prep_link_timeout(t, &ts, 0);
		io_uring_sqe_set_data(t, NULL);
	}
	intptr_t r = await(SCHED(io), sqe);
	return r == -ECANCELED ? 0 : (int)r;
}

static int u_fsync(cb_io *io, int fd)
{
	SQE_OR_FAIL(sqe, io);
	io_uring_prep_fsync(sqe, fd, 0);
	return (int)await(SCHED(io), sqe);
}

static const cb_io_ops uring_io = {
	.name = "uring",
	.sleep = u_sleep,
	.read = u_read,
	.write = u_write,
	.pread = u_pread,
	.pwrite = u_pwrite,
	.connect = u_connect,
	.accept = u_accept,
	.send = u_send,
	.recv = u_recv,
	.wait_fd = u_wait_fd,
	.fsync = u_fsync,
};

const cb_loop_backend cb_loop_uring = {
	.name = "uring",
	.io = &uring_io,
	.open = uring_open,
	.close = uring_close,
	.poll = uring_poll,
	.inflight = uring_inflight,
};
