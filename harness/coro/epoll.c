/* The epoll event loop, for where io_uring cannot be set up (seccomp
 * filters, io_uring_disabled, old kernels). Sockets and pipes are made
 * non-blocking and tried first; on EAGAIN the coroutine registers for
 * readiness (one-shot, removed on wake-up) and parks. Regular files are
 * always "ready" under epoll (and epoll refuses them), so pread, pwrite and
 * fsync run synchronously. Timers are a binary min-heap of deadlines behind
 * one timerfd armed at the earliest (nanosecond resolution, unlike
 * epoll_wait's milliseconds). An fd is registered while someone waits on
 * it, for the union of what its waiters want; readiness wakes every waiter
 * of that direction (each retries, and parks again on EAGAIN). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "coro/coro.h"

#define MAX_EVENTS 256

/* One parked coroutine, living on its stack while it waits. */
typedef struct waiter {
	cb_coro *co;
	int fd;              /* -1: a pure timer */
	double deadline;     /* CLOCK_MONOTONIC seconds; < 0: none */
	size_t heap_at;      /* index in the heap, or SIZE_MAX */
	int revents;         /* what woke it: 0 = the deadline */
	bool dir[2];         /* waits for [0] reading, [1] writing */
	struct waiter *next[2];  /* the fd's other waiters in that direction */
} waiter;

/* Who waits on one fd, per direction (0 reading, 1 writing). */
typedef struct { waiter *head[2]; } fd_waiters;

typedef struct {
	int ep, tfd;
	fd_waiters *fds;     /* indexed by fd */
	size_t nfds;
	waiter **heap;
	size_t nheap, cap;
	double armed;        /* deadline the timerfd is set to; 0: disarmed */
	size_t inflight;
} epoll_state;

static void heap_swap(epoll_state *e, size_t a, size_t b)
{
	waiter *t = e->heap[a];
	e->heap[a] = e->heap[b];
	e->heap[b] = t;
	e->heap[a]->heap_at = a;
	e->heap[b]->heap_at = b;
}

static void heap_up(epoll_state *e, size_t i)
{
	while (i && e->heap[(i - 1) / 2]->deadline > e->heap[i]->deadline) {
		heap_swap(e, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(epoll_state *e, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < e->nheap && e->heap[l]->deadline < e->heap[m]->deadline)
			m = l;
		if (r < e->nheap && e->heap[r]->deadline < e->heap[m]->deadline)
			m = r;
		if (m == i)
			return;
		heap_swap(e, i, m);
		i = m;
	}
}

static void heap_push(epoll_state *e, waiter *w)
{
	if (e->nheap == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->heap = cb_xrealloc(e->heap, e->cap * sizeof *e->heap);
	}
	w->heap_at = e->nheap;
	e->heap[e->nheap++] = w;
	heap_up(e, w->heap_at);
}

static void heap_remove(epoll_state *e, waiter *w)
{
	size_t i = w->heap_at;
	if (i == SIZE_MAX)
		return;
	w->heap_at = SIZE_MAX;
	e->nheap--;
	if (i == e->nheap)
		return;
	e->heap[i] = e->heap[e->nheap];
	e->heap[i]->heap_at = i;
	heap_up(e, i);
	heap_down(e, e->heap[i]->heap_at);
}

/* Keeps the timerfd on the earliest deadline; a syscall only when it moves. */
static int arm(epoll_state *e)
{
	double next = e->nheap ? e->heap[0]->deadline : 0;
	if (next == e->armed)
		return 0;
	struct itimerspec its = { 0 };
	if (next > 0) {
		double whole = floor(next);
		its.it_value.tv_sec = (time_t)whole;
		its.it_value.tv_nsec = (long)((next - whole) * 1e9);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL))
		return -errno;
	e->armed = next;
	return 0;
}

static int ep_open(cb_sched *s, unsigned depth, void **state)
{
	(void)depth;
	epoll_state *e = cb_xcalloc(1, sizeof *e);
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = e->tfd };
	/* The scheduler's wake_fd (wake-ups from other threads) is always
	 * watched; cb_sched_run drains it. */
	struct epoll_event wev = { .events = EPOLLIN, .data.fd = s->wake_fd };
	if (e->ep < 0 || e->tfd < 0 || epoll_ctl(e->ep, EPOLL_CTL_ADD, e->tfd, &ev) ||
	    epoll_ctl(e->ep, EPOLL_CTL_ADD, s->wake_fd, &wev)) {
		int rc = -errno;
		if (e->ep >= 0)
			close(e->ep);
		if (e->tfd >= 0)
			close(e->tfd);
		free(e);
		return rc;
	}
	*state = e;
	return 0;
}

static void ep_close(void *state)
{
	epoll_state *e = state;
	free(e->fds);
	close(e->ep);
	close(e->tfd);
	free(e->heap);
	free(e);
}

static fd_waiters *slot(epoll_state *e, int fd)
{
	if ((size_t)fd >= e->nfds) {
		size_t n = e->nfds ? e->nfds : 64;
		while (n <= (size_t)fd)
			n *= 2;
		e->fds = cb_xrealloc(e->fds, n * sizeof *e->fds);
		memset(e->fds + e->nfds, 0, (n - e->nfds) * sizeof *e->fds);
		e->nfds = n;
	}
	return &e->fds[fd];
}

/* Tells epoll what the fd's waiters want now: add, modify or remove. */
static int update(epoll_state *e, int fd, bool was_registered)
{
	fd_waiters *f = &e->fds[fd];
	uint32_t want = (f->head[0] ? EPOLLIN : 0) | (f->head[1] ? EPOLLOUT : 0);
	if (!want)
		return epoll_ctl(e->ep, EPOLL_CTL_DEL, fd, NULL) ? -errno : 0;
	struct epoll_event ev = { .events = want, .data.fd = fd };
	return epoll_ctl(e->ep, was_registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void unregister(epoll_state *e, waiter *w)
{
	fd_waiters *f = &e->fds[w->fd];
	for (int d = 0; d < 2; d++) {
		if (!w->dir[d])
			continue;
		for (waiter **p = &f->head[d]; *p; p = &(*p)->next[d])
			if (*p == w) {
				*p = w->next[d];
				break;
			}
		w->dir[d] = false;
	}
	update(e, w->fd, true);
}

static size_t ep_inflight(void *state) { return ((epoll_state *)state)->inflight; }

static void finish(cb_sched *s, epoll_state *e, waiter *w, int revents)
{
	heap_remove(e, w);
	if (w->fd >= 0)
		unregister(e, w);
	w->revents = revents;
	e->inflight--;
	cb_sched_wake(s, w->co);
}

static int ep_poll(cb_sched *s, bool block)
{
	epoll_state *e = s->loop_state;
	struct epoll_event ev[MAX_EVENTS];
	int n = epoll_wait(e->ep, ev, MAX_EVENTS, block ? -1 : 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int woken = 0;
	bool timer = false;
	for (int i = 0; i < n; i++) {
		int fd = ev[i].data.fd;
		uint32_t got = ev[i].events;
		if (fd == e->tfd) {
			timer = true;
			continue;
		}
		if (fd == s->wake_fd) {
			cb_sched_drain_wake(s);   /* cb_sched_run takes the wake-ups */
			continue;
		}
		/* Errors and hang-ups wake both sides: their next call says why. */
		fd_waiters *f = &e->fds[fd];
		const uint32_t mask[2] = { EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP,
		                           EPOLLOUT | EPOLLERR | EPOLLHUP };
		/* finish() unlinks the head (from both lists, for a waiter on
		 * both directions), so each pass sees the next one. */
		for (int d = 0; d < 2; d++)
			while (f->head[d] && (got & mask[d])) {
				finish(s, e, f->head[d], (int)got);
				woken++;
			}
	}
	if (timer) {
		uint64_t ticks;
		if (read(e->tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
			return -errno;
		e->armed = 0;   /* it fired: whatever it was set to is spent */
		double now = cb_now();
		while (e->nheap && e->heap[0]->deadline <= now) {
			finish(s, e, e->heap[0], 0);
			woken++;
		}
	}
	int rc = arm(e);
	return rc < 0 ? rc : woken;
}

/* Registers w (fd and/or deadline) and parks until either fires. */
static int park(cb_sched *s, waiter *w, int events)
{
	epoll_state *e = s->loop_state;
	w->co = s->current;
	w->heap_at = SIZE_MAX;
	w->revents = 0;
	if (w->fd >= 0) {
		fd_waiters *f = slot(e, w->fd);
		bool was = f->head[0] || f->head[1];
		w->dir[0] = events & EPOLLIN;
		w->dir[1] = events & EPOLLOUT;
		for (int d = 0; d < 2; d++)
			if (w->dir[d]) {
				w->next[d] = f->head[d];
				f->head[d] = w;
			}
		int rc = update(e, w->fd, was);
		if (rc) {
			for (int d = 0; d < 2; d++)
				if (w->dir[d]) {
					f->head[d] = w->next[d];
					w->dir[d] = false;
				}
			return rc;
		}
	}
	if (w->deadline >= 0) {
		heap_push(e, w);
		int rc = arm(e);
		if (rc) {
			heap_remove(e, w);
			if (w->fd >= 0)
				unregister(e, w);
			return rc;
		}
	}
	e->inflight++;
	cb_sched_park(s);
	return 0;
}

#define SCHED(io) ((cb_sched *)(io)->ctx)

static int e_sleep(cb_io *io, double seconds)
{
	if (seconds <= 0)
		return 0;
	waiter w = { .fd = -1, .deadline = cb_now() + seconds };
	return park(SCHED(io), &w, 0);
}

static int e_wait_fd(cb_io *io, int fd, int events, double timeout)
{
	if (timeout == 0) {
		struct pollfd p = { .fd = fd, .events = (short)events };
		int r = poll(&p, 1, 0);
		return r < 0 ? -errno : r ? p.revents : 0;
	}
	waiter w = { .fd = fd, .deadline = timeout > 0 ? cb_now() + timeout : -1 };
	int rc = park(SCHED(io), &w, events);
	if (rc == -EPERM)   /* a regular file: always ready */
		return events & (POLLIN | POLLOUT);
	return rc < 0 ? rc : w.revents;
}

/* The fds a coroutine hands in may be blocking ones; the test is done on
 * every call because fd numbers are reused after close. */
static int make_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	return 0;
}

/* Tries op; while it would block, waits for readiness. */
#define RETRY_READY(io, fd, events, expr)                                   \
	do {                                                                \
		int nb_ = make_nonblocking(fd);                             \
		if (nb_)                                                    \
			return nb_;                                         \
		for (;;) {                                                  \
			ssize_t r_ = (expr);                                \
			if (r_ >= 0)                                        \
				return r_;                                  \
			if (errno == EINTR)                                 \
				continue;                                   \
			if (errno != EAGAIN && errno != EWOULDBLOCK)        \
				return -errno;                              \
			waiter w_ = { .fd = (fd), .deadline = -1 };         \
			int rc_ = park(SCHED(io), &w_, (events));           \
			if (rc_)                                            \
				return rc_;                                 \
		}                                                           \
	} while (0)

static ssize_t e_read(cb_io *io, int fd, void *b, size_t n) { RETRY_READY(io, fd, EPOLLIN, read(fd, b, n)); }
static ssize_t e_write(cb_io *io, int fd, const void *b, size_t n) { RETRY_READY(io, fd, EPOLLOUT, write(fd, b, n)); }
static ssize_t e_send(cb_io *io, int fd, const void *b, size_t n, int f) { RETRY_READY(io, fd, EPOLLOUT, send(fd, b, n, f)); }
static ssize_t e_recv(cb_io *io, int fd, void *b, size_t n, int f) { RETRY_READY(io, fd, EPOLLIN, recv(fd, b, n, f)); }
static int e_accept(cb_io *io, int fd, struct sockaddr *a, socklen_t *l)
{
	RETRY_READY(io, fd, EPOLLIN, accept4(fd, a, l, SOCK_CLOEXEC));
}

/* Regular files: synchronous, as under any readiness-based loop. */
static ssize_t e_pread(cb_io *io, int fd, void *b, size_t n, off_t o)
{
	(void)io;
	ssize_t r;
	while ((r = pread(fd, b, n, o)) < 0 && errno == EINTR)
		;
	return r < 0 ? -errno : r;
}

static ssize_t e_pwrite(cb_io *io, int fd, const void *b, size_t n, off_t o)
{
	(void)io;
	ssize_t r;
	while ((r = pwrite(fd, b, n, o)) < 0 && errno == EINTR)
		;
	return r < 0 ? -errno : r;
}

static int e_fsync(cb_io *io, int fd)
{
	(void)io;
	int r;
	while ((r = fsync(fd)) < 0 && errno == EINTR)
		;
	return r < 0 ? -errno : 0;
}

static int e_connect(cb_io *io, int fd, const struct sockaddr *a, socklen_t l)
{
	int rc = make_nonblocking(fd);
	if (rc)
		return rc;
	if (connect(fd, a, l) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	waiter w = { .fd = fd, .deadline = -1 };
	if ((rc = park(SCHED(io), &w, EPOLLOUT)))
		return rc;
	int e = 0;
	socklen_t el = sizeof e;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el))
		return -errno;
	return -e;
}

static const cb_io_ops epoll_io = {
	.name = "epoll",
	.sleep = e_sleep,
	.read = e_read,
	.write = e_write,
	.pread = e_pread,
	.pwrite = e_pwrite,
	.connect = e_connect,
	.accept = e_accept,
	.send = e_send,
	.recv = e_recv,
	.wait_fd = e_wait_fd,
	.fsync = e_fsync,
};

const cb_loop_backend cb_loop_epoll = {
	.name = "epoll",
	.io = &epoll_io,
	.open = ep_open,
	.close = ep_close,
	.poll = ep_poll,
	.inflight = ep_inflight,
};
