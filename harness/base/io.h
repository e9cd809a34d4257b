/* The I/O interface: everything a task does that may block goes through it,
 * so the same workload code blocks under threads and processes and yields
 * under coroutines. The blocking implementation is io_blocking.c; the
 * coroutine scheduler supplies its own ops. Each call returns the syscall's
 * result, or -errno on failure (never sets errno for the caller). */
#ifndef CB_IO_H
#define CB_IO_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef struct cb_io cb_io;

typedef struct cb_io_ops {
	const char *name;
	int (*sleep)(cb_io *io, double seconds);
	ssize_t (*read)(cb_io *io, int fd, void *buf, size_t n);
	ssize_t (*write)(cb_io *io, int fd, const void *buf, size_t n);
	ssize_t (*pread)(cb_io *io, int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwrite)(cb_io *io, int fd, const void *buf, size_t n, off_t off);
	int (*connect)(cb_io *io, int fd, const struct sockaddr *addr, socklen_t len);
	int (*accept)(cb_io *io, int fd, struct sockaddr *addr, socklen_t *len);
	ssize_t (*send)(cb_io *io, int fd, const void *buf, size_t n, int flags);
	ssize_t (*recv)(cb_io *io, int fd, void *buf, size_t n, int flags);
	/* events: POLLIN / POLLOUT; timeout < 0 waits forever. Returns the
	 * ready events, 0 on timeout, -errno on error. */
	int (*wait_fd)(cb_io *io, int fd, int events, double timeout);
	int (*fsync)(cb_io *io, int fd);
} cb_io_ops;

struct cb_io {
	const cb_io_ops *ops;
	void *ctx;   /* the implementation's per-worker (or per-coroutine) state */
};

/* The blocking implementation (plain syscalls, EINTR retried). */
extern const cb_io_ops cb_io_blocking_ops;
static inline cb_io cb_io_blocking(void) { cb_io io = { &cb_io_blocking_ops, NULL }; return io; }

static inline int cb_io_sleep(cb_io *io, double s) { return io->ops->sleep(io, s); }
static inline ssize_t cb_io_read(cb_io *io, int fd, void *b, size_t n) { return io->ops->read(io, fd, b, n); }
static inline ssize_t cb_io_write(cb_io *io, int fd, const void *b, size_t n) { return io->ops->write(io, fd, b, n); }
static inline ssize_t cb_io_pread(cb_io *io, int fd, void *b, size_t n, off_t o) { return io->ops->pread(io, fd, b, n, o); }
static inline ssize_t cb_io_pwrite(cb_io *io, int fd, const void *b, size_t n, off_t o) { return io->ops->pwrite(io, fd, b, n, o); }
static inline int cb_io_connect(cb_io *io, int fd, const struct sockaddr *a, socklen_t l) { return io->ops->connect(io, fd, a, l); }
static inline int cb_io_accept(cb_io *io, int fd, struct sockaddr *a, socklen_t *l) { return io->ops->accept(io, fd, a, l); }
static inline ssize_t cb_io_send(cb_io *io, int fd, const void *b, size_t n, int f) { return io->ops->send(io, fd, b, n, f); }
static inline ssize_t cb_io_recv(cb_io *io, int fd, void *b, size_t n, int f) { return io->ops->recv(io, fd, b, n, f); }
static inline int cb_io_wait_fd(cb_io *io, int fd, int ev, double t) { return io->ops->wait_fd(io, fd, ev, t); }
static inline int cb_io_fsync(cb_io *io, int fd) { return io->ops->fsync(io, fd); }

#endif
