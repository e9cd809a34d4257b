/* io.tcp: request/response over loopback TCP. Each task sends one request
 * of `size` bytes to a built-in echo server and reads the echo back; the
 * server holds every request for `service` before answering, without
 * blocking the others, so the task is I/O-bound and the question is how
 * many requests a concurrency model keeps in flight.
 *
 * The server is a process of its own, forked by setup and killed and
 * reaped by teardown (and killed by the kernel if concbench dies first;
 * it sends no SIGCHLD, so generic waitpid(-1) loops leave it alone):
 * one epoll loop over a listening socket on 127.0.0.1 (ephemeral port
 * unless port= says otherwise), refusing any peer outside 127.0.0.0/8.
 * Every request waits the same service time, so deadlines arrive in
 * order: a FIFO behind one timerfd is the timer heap here.
 *
 * Connections (conn=):
 *   per-request  a connection per task: connect, request, response, and
 *                the server closes first (HTTP/1.0 style, so TIME_WAIT
 *                stays on the server's side and client ports recycle).
 *   persistent   a pool of idle connections per process, as a client
 *                library keeps: a task takes any idle connection (or
 *                opens one), does one request and gives it back. Framing
 *                is fixed-size, so a connection carries nothing from one
 *                task to the next and tasks stay independent; the pool
 *                grows to the tasks in flight (threads, coroutines). A
 *                thread-local cache would not do: coroutines share their
 *                thread. A forked worker drops the connections it
 *                inherited (they are its parent's) and opens its own, so
 *                a fork-per-job strategy pays a connect per worker per job:
 *                that is the cost of that model, not hidden.
 * Sockets are blocking; the I/O interface decides how a task waits. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/workload.h"

enum { CONN_PER_REQUEST, CONN_PERSISTENT };

typedef struct {
	int conn;
	size_t size;
	double service;
	struct sockaddr_in addr;
	pid_t server;
	/* The idle-connection pool (persistent): private to each process. */
	pthread_mutex_t pool_mu;
	int *pool;
	size_t npool, cap;
	pid_t pool_pid;
} tcp_state;

static const cb_param_spec params[] = {
	{ "conn", CB_PARAM_ENUM, { "per-request", "per-request", "per-request", "per-request" }, 0, 0,
	  "per-request|persistent",
	  "a connection per request, or a per-process pool of persistent connections" },
	{ "size", CB_PARAM_BYTES, { "1k", "1k", "1k", "1k" }, 1, 16 << 20, NULL,
	  "request payload, echoed back as the response" },
	{ "service", CB_PARAM_TIME, { "1ms", "1ms", "1ms", "1ms" }, 0, 10, NULL,
	  "time the server holds each request before answering (others are served meanwhile)" },
	{ "requests", CB_PARAM_INT, { "16", "50", "300", "4000" }, 1, 1e7, NULL,
	  "requests = tasks" },
	{ "port", CB_PARAM_INT, { "0", "0", "0", "0" }, 0, 65535, NULL,
	  "server port on 127.0.0.1; 0 = an ephemeral port (a port in use fails the cells)" },
};

/* ---------------------------------------------------------------- server */

typedef struct {
	enum { FREE, READING, WAITING, WRITING } state;
	size_t off;
	unsigned gen;
	char *buf;
} srv_conn;

typedef struct { double deadline; int fd; unsigned gen; } srv_due;

typedef struct {
	int ep, tfd, lfd, per_request;
	size_t size;
	double service;
	srv_conn *conns;
	size_t nconns;
	srv_due *q;              /* ring buffer of pending answers, in deadline order */
	size_t qhead, qlen, qcap;
} server;

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *srv_alloc(void *p, size_t n)
{
	p = cb_xrealloc(p, n);
	if (!p)
		_exit(3);
	return p;
}

static void srv_close(server *sv, int fd)
{
	srv_conn *c = &sv->conns[fd];
	epoll_ctl(sv->ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(c->buf);
	c->buf = NULL;
	c->state = FREE;
	c->gen++;
}

static void srv_watch(server *sv, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	epoll_ctl(sv->ep, EPOLL_CTL_MOD, fd, &ev);
}

static void srv_arm(server *sv)
{
	struct itimerspec its = { 0 };
	if (sv->qlen) {
		double d = sv->q[sv->qhead].deadline;
		its.it_value.tv_sec = (time_t)d;
		its.it_value.tv_nsec = (long)((d - (double)(time_t)d) * 1e9);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(sv->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void srv_write(server *sv, int fd)
{
	srv_conn *c = &sv->conns[fd];
	while (c->off < sv->size) {
		ssize_t n = send(fd, c->buf + c->off, sv->size - c->off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (c->state != WRITING)
				srv_watch(sv, fd, EPOLLOUT);
			c->state = WRITING;
			return;
		}
		if (n <= 0) {
			srv_close(sv, fd);
			return;
		}
		c->off += (size_t)n;
	}
	if (sv->per_request) {
		srv_close(sv, fd);
		return;
	}
	c->state = READING;
	c->off = 0;
	srv_watch(sv, fd, EPOLLIN);
}

static void srv_request_done(server *sv, int fd)
{
	srv_conn *c = &sv->conns[fd];
	c->off = 0;
	c->state = WAITING;
	if (sv->service <= 0) {
		srv_write(sv, fd);
		return;
	}
	srv_watch(sv, fd, 0);   /* nothing to read until the answer is out */
	if (sv->qlen == sv->qcap) {
		size_t ncap = sv->qcap ? sv->qcap * 2 : 256;
		srv_due *nq = srv_alloc(NULL, ncap * sizeof *nq);
		for (size_t k = 0; k < sv->qlen; k++)
			nq[k] = sv->q[(sv->qhead + k) % sv->qcap];
		free(sv->q);
		sv->q = nq;
		sv->qhead = 0;
		sv->qcap = ncap;
	}
	sv->q[(sv->qhead + sv->qlen++) % sv->qcap] = (srv_due){ mono() + sv->service, fd, c->gen };
	if (sv->qlen == 1)
		srv_arm(sv);
}

static void srv_read(server *sv, int fd)
{
	srv_conn *c = &sv->conns[fd];
	while (c->state == READING) {
		ssize_t n = recv(fd, c->buf + c->off, sv->size - c->off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			srv_close(sv, fd);
			return;
		}
		c->off += (size_t)n;
		if (c->off == sv->size)
			srv_request_done(sv, fd);
	}
}

static void srv_accept(server *sv)
{
	for (;;) {
		struct sockaddr_in peer;
		socklen_t len = sizeof peer;
		int fd = accept4(sv->lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;   /* EAGAIN, or out of fds: the backlog waits */
		if (peer.sin_family != AF_INET || (ntohl(peer.sin_addr.s_addr) >> 24) != 127) {
			close(fd);   /* loopback peers only */
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if ((size_t)fd >= sv->nconns) {
			size_t n = (size_t)fd * 2 + 16;
			sv->conns = srv_alloc(sv->conns, n * sizeof *sv->conns);
			memset(sv->conns + sv->nconns, 0, (n - sv->nconns) * sizeof *sv->conns);
			sv->nconns = n;
		}
		srv_conn *c = &sv->conns[fd];
		c->state = READING;
		c->off = 0;
		c->buf = srv_alloc(NULL, sv->size);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		epoll_ctl(sv->ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

static void srv_timer(server *sv)
{
	uint64_t ticks;
	if (read(sv->tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		_exit(4);
	double now = mono();
	while (sv->qlen && sv->q[sv->qhead].deadline <= now) {
		srv_due d = sv->q[sv->qhead];
		sv->qhead = (sv->qhead + 1) % sv->qcap;
		sv->qlen--;
		srv_conn *c = &sv->conns[d.fd];
		if (c->gen == d.gen && c->state == WAITING)
			srv_write(sv, d.fd);
	}
	srv_arm(sv);
}

static void __attribute__((noreturn)) server_main(int lfd, size_t size, double service, int per_request)
{
	server sv = { .lfd = lfd, .size = size, .service = service, .per_request = per_request };
	sv.ep = epoll_create1(EPOLL_CLOEXEC);
	sv.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sv.ep < 0 || sv.tfd < 0)
		_exit(2);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
	epoll_ctl(sv.ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = sv.tfd;
	epoll_ctl(sv.ep, EPOLL_CTL_ADD, sv.tfd, &ev);
	struct epoll_event evs[256];
	for (;;) {
		int n = epoll_wait(sv.ep, evs, 256, -1);
		if (n < 0 && errno != EINTR)
			_exit(5);
		for (int k = 0; k < n; k++) {
			int fd = evs[k].data.fd;
			if (fd == lfd)
				srv_accept(&sv);
			else if (fd == sv.tfd)
				srv_timer(&sv);
			else if ((size_t)fd < sv.nconns && sv.conns[fd].state == READING)
				srv_read(&sv, fd);
			else if ((size_t)fd < sv.nconns && sv.conns[fd].state == WRITING)
				srv_write(&sv, fd);
			else if ((size_t)fd < sv.nconns && sv.conns[fd].state == WAITING)
				srv_close(&sv, fd);   /* reset while waiting: its answer is dropped */
		}
	}
}

/* Binds before forking, so that a port in use is reported by setup and
 * connections queue in the backlog before the server's loop starts. */
static int start_server(tcp_state *s, int port, cb_error *err)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return cb_error_set(err, CB_EXIT_ENV, "io.tcp: cannot create the server socket: %s", strerror(errno));
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->addr.sin_port = htons((uint16_t)port);
	socklen_t len = sizeof s->addr;
	if (bind(lfd, (struct sockaddr *)&s->addr, sizeof s->addr) || listen(lfd, SOMAXCONN) ||
	    getsockname(lfd, (struct sockaddr *)&s->addr, &len)) {
		int e = errno;
		close(lfd);
		return cb_error_set(err, CB_EXIT_ENV, "io.tcp: cannot listen on 127.0.0.1:%d: %s%s", port,
		                    strerror(e), e == EADDRINUSE ? " (set port=0 for an ephemeral port)" : "");
	}
	pid_t parent = getpid();
	/* fork() without SIGCHLD at exit: a "clone" child, which waitpid(-1)
	 * and wait() do not report, so that a strategy or test reaping its
	 * own workers generically neither takes the server for a leaked
	 * worker nor reaps it; stop_server() waits for it with __WALL. */
	pid_t pid = (pid_t)syscall(SYS_clone, 0UL, NULL, NULL, NULL, 0UL);
	if (pid < 0) {
		int e = errno;
		close(lfd);
		return cb_error_set(err, CB_EXIT_ENV, "io.tcp: cannot fork the server: %s", strerror(e));
	}
	if (pid == 0) {
		/* Never outlive concbench; Ctrl-C is for concbench, which
		 * stops the server in teardown. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		/* Only the listening socket: no copy of the parent's files. */
		if (lfd != 3) {
			dup3(lfd, 3, O_CLOEXEC);
			lfd = 3;
		}
		close_range(4, ~0U, 0);
		server_main(lfd, s->size, s->service, s->conn == CONN_PER_REQUEST);
	}
	close(lfd);
	s->server = pid;
	return 0;
}

static void stop_server(tcp_state *s)
{
	if (s->server <= 0)
		return;
	kill(s->server, SIGKILL);
	while (waitpid(s->server, NULL, __WALL) < 0 && errno == EINTR)
		;
	s->server = 0;
}

/* ---------------------------------------------------------------- client */

static void pool_drop_inherited(tcp_state *s)
{
	pid_t me = getpid();
	if (s->pool_pid == me)
		return;
	for (size_t k = 0; k < s->npool; k++)
		close(s->pool[k]);   /* the parent's sockets: drop our copy only */
	s->npool = 0;
	s->pool_pid = me;
}

static int pool_take(tcp_state *s)
{
	pthread_mutex_lock(&s->pool_mu);
	pool_drop_inherited(s);
	int fd = s->npool ? s->pool[--s->npool] : -1;
	pthread_mutex_unlock(&s->pool_mu);
	return fd;
}

static void pool_give(tcp_state *s, int fd)
{
	pthread_mutex_lock(&s->pool_mu);
	pool_drop_inherited(s);
	if (s->npool == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->pool = cb_xrealloc(s->pool, s->cap * sizeof *s->pool);
	}
	s->pool[s->npool++] = fd;
	pthread_mutex_unlock(&s->pool_mu);
}

static int dial(const tcp_state *s, cb_io *io)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	int rc = cb_io_connect(io, fd, (const struct sockaddr *)&s->addr, sizeof s->addr);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

static int send_all(cb_io *io, int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t k = cb_io_send(io, fd, p, n, MSG_NOSIGNAL);
		if (k < 0)
			return (int)k;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int recv_all(cb_io *io, int fd, unsigned char *p, size_t n)
{
	while (n) {
		ssize_t k = cb_io_recv(io, fd, p, n, 0);
		if (k < 0)
			return (int)k;
		if (k == 0)
			return -ECONNRESET;   /* the server went away mid-answer */
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Request i's payload: a pseudo-random byte string seeded by i. */
static void fill(unsigned char *p, size_t n, size_t i)
{
	uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ULL + 1;
	for (size_t k = 0; k < n; k += 8) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		memcpy(p + k, &x, n - k < 8 ? n - k : 8);
	}
}

static uint64_t hash_bytes(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t k = 0; k < n; k += 8) {
		uint64_t w = 0;
		memcpy(&w, p + k, n - k < 8 ? n - k : 8);
		h = cb_mix64(h, w);
	}
	return h;
}

static int task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	tcp_state *s = job->state;
	unsigned char *req = malloc(s->size), *resp = malloc(s->size);
	int fd = -1, rc = -ENOMEM;
	if (!req || !resp)
		goto out;
	fill(req, s->size, i);
	if (s->conn == CONN_PERSISTENT)
		fd = pool_take(s);
	if (fd < 0 && (fd = rc = dial(s, io)) < 0)
		goto out;
	if ((rc = send_all(io, fd, req, s->size)) || (rc = recv_all(io, fd, resp, s->size)))
		goto out;
	if (memcmp(req, resp, s->size)) {
		rc = -EBADMSG;
		goto out;
	}
	if (s->conn == CONN_PER_REQUEST) {
		/* The server closes first; anything else is a protocol error. */
		unsigned char extra;
		ssize_t k = cb_io_recv(io, fd, &extra, 1, 0);
		if (k != 0) {
			rc = k < 0 ? (int)k : -EPROTO;
			goto out;
		}
	} else {
		pool_give(s, fd);
		fd = -1;
	}
	*out = hash_bytes(i, resp, s->size);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(req);
	free(resp);
	return rc;
}

static uint64_t post(cb_job *job)
{
	return cb_partials_hash(job);
}

static void teardown(cb_job *job)
{
	tcp_state *s = job->state;
	if (s->pool_pid == getpid())
		for (size_t k = 0; k < s->npool; k++)
			close(s->pool[k]);
	free(s->pool);
	stop_server(s);
	pthread_mutex_destroy(&s->pool_mu);
	free(s);
	job->state = NULL;
}

static int setup(cb_job *job, cb_error *err)
{
	tcp_state *s = cb_xcalloc(1, sizeof *s);
	job->state = s;
	pthread_mutex_init(&s->pool_mu, NULL);
	s->pool_pid = getpid();
	s->conn = (int)cb_job_param(job, "conn");
	s->size = (size_t)cb_job_param(job, "size");
	s->service = cb_job_param(job, "service");
	job->ntasks = (size_t)cb_job_param(job, "requests");
	return start_server(s, (int)cb_job_param(job, "port"), err);
}

static double work_units(const cb_job *job, const char **unit)
{
	const tcp_state *s = job->state;
	*unit = "B";
	return 2.0 * (double)s->size * (double)job->ntasks;   /* sent and received */
}

const cb_workload cb_wl_tcp = {
	.abi = CB_WORKLOAD_ABI,
	.name = "io.tcp",
	.summary = "request/response to a built-in loopback echo server (epoll, service delay); B/s",
	.kind = CB_KIND_IO,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "every response's bytes (each also compared with its request), hashed per request in order",
	.setup = setup,
	.task = task,
	.post = post,
	.teardown = teardown,
	.work_units = work_units,
};
