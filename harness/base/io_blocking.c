/* The blocking side of the I/O interface: plain syscalls with EINTR
 * retried, used by every strategy whose executors are OS threads or
 * processes. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "base/io.h"

#define RETRY(expr)                                   \
	do {                                          \
		ssize_t r_;                           \
		do                                    \
			r_ = (expr);                  \
		while (r_ < 0 && errno == EINTR);     \
		return r_ < 0 ? -errno : r_;          \
	} while (0)

static int blk_sleep(cb_io *io, double s)
{
	(void)io;
	if (s <= 0)
		return 0;
	struct timespec now, until;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double whole = floor(s);
	until.tv_sec = now.tv_sec + (time_t)whole;
	until.tv_nsec = now.tv_nsec + (long)((s - whole) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	int r;
	while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL)) == EINTR)
		;
	return -r;
}

static ssize_t blk_read(cb_io *io, int fd, void *b, size_t n) { (void)io; RETRY(read(fd, b, n)); }
static ssize_t blk_write(cb_io *io, int fd, const void *b, size_t n) { (void)io; RETRY(write(fd, b, n)); }
static ssize_t blk_pread(cb_io *io, int fd, void *b, size_t n, off_t o) { (void)io; RETRY(pread(fd, b, n, o)); }
static ssize_t blk_pwrite(cb_io *io, int fd, const void *b, size_t n, off_t o) { (void)io; RETRY(pwrite(fd, b, n, o)); }
static ssize_t blk_send(cb_io *io, int fd, const void *b, size_t n, int f) { (void)io; RETRY(send(fd, b, n, f)); }
static ssize_t blk_recv(cb_io *io, int fd, void *b, size_t n, int f) { (void)io; RETRY(recv(fd, b, n, f)); }
static int blk_accept(cb_io *io, int fd, struct sockaddr *a, socklen_t *l) { (void)io; RETRY(accept4(fd, a, l, SOCK_CLOEXEC)); }
static int blk_fsync(cb_io *io, int fd) { (void)io; RETRY(fsync(fd)); }

static int blk_connect(cb_io *io, int fd, const struct sockaddr *a, socklen_t l)
{
	(void)io;
	if (connect(fd, a, l) == 0)
		return 0;
	if (errno != EINTR && errno != EINPROGRESS)
		return -errno;
	/* An interrupted connect goes on asynchronously: wait for it. */
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -errno;
	int e = 0;
	socklen_t el = sizeof e;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el))
		return -errno;
	return -e;
}

static int blk_wait_fd(cb_io *io, int fd, int events, double timeout)
{
	(void)io;
	struct pollfd p = { .fd = fd, .events = (short)events };
	int ms = timeout < 0 ? -1 : (int)ceil(timeout * 1e3);
	int r;
	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -errno;
	return r ? p.revents : 0;
}

const cb_io_ops cb_io_blocking_ops = {
	.name = "blocking",
	.sleep = blk_sleep,
	.read = blk_read,
	.write = blk_write,
	.pread = blk_pread,
	.pwrite = blk_pwrite,
	.connect = blk_connect,
	.accept = blk_accept,
	.send = blk_send,
	.recv = blk_recv,
	.wait_fd = blk_wait_fd,
	.fsync = blk_fsync,
};

static int no_sleep(cb_io *io, double s)
{
	(void)io;
	(void)s;
	return 0;
}

const cb_io_ops cb_io_nosleep_ops = {
	.name = "blocking, sleeps skipped",
	.sleep = no_sleep,
	.read = blk_read,
	.write = blk_write,
	.pread = blk_pread,
	.pwrite = blk_pwrite,
	.connect = blk_connect,
	.accept = blk_accept,
	.send = blk_send,
	.recv = blk_recv,
	.wait_fd = blk_wait_fd,
	.fsync = blk_fsync,
};
