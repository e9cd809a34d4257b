/* handover: a producer hands items (8 B and 4 KiB) to a consumer through
 * a bounded MPMC queue (mutex + condvars) in FIFO, LIFO and priority
 * order, a lock-free SPSC ring (threads), and between processes through a
 * pipe, a UNIX socketpair, a POSIX message queue, a shared-memory ring
 * with futex wake-up and loopback TCP. `oneway` is throughput (ns per
 * item), `roundtrip` the request/reply latency with p50/p99. Items carry
 * their sequence number at both ends: the consumer checks count, sum and,
 * for FIFO transports, order; the LIFO and priority queues check their
 * order at every pop. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/common.h"
#include "base/futex.h"
#include "micro/micro.h"

#define ITEM_MAX 4096
#define QCAP 64            /* items a queue or ring holds */
#define LAT_CAP 16384      /* latency samples kept */
#define TAIL_MAGIC 0x5a5a5a5a5a5a5a5aull

/* ---- bounded MPMC queue: mutex + two condvars ---- */

typedef enum { Q_FIFO, Q_LIFO, Q_PRIO } q_order;

typedef struct q_entry { uint64_t key; uint32_t slot; } q_entry;

typedef struct mpmc {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	q_order order;
	size_t item;
	uint32_t count, head;
	q_entry heap[QCAP];       /* priority: min-heap of (key, slot) */
	uint32_t free_slots[QCAP], nfree;
	uint64_t last_key;        /* LIFO/priority: key of the last pop */
	int64_t order_bad;        /* pops that broke the queue's order */
	unsigned char slots[QCAP][ITEM_MAX];
} mpmc;

static uint64_t prio_key(uint64_t seq) { return (seq * 0x9e3779b97f4a7c15ull) >> 16; }

static void mpmc_init(mpmc *q, q_order order, size_t item)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	q->order = order;
	q->item = item;
	q->nfree = QCAP;
	for (uint32_t i = 0; i < QCAP; i++)
		q->free_slots[i] = QCAP - 1 - i;
}

static void mpmc_destroy(mpmc *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
}

static void heap_swap(q_entry *a, q_entry *b) { q_entry t = *a; *a = *b; *b = t; }

static void mpmc_push(mpmc *q, const void *buf)
{
	pthread_mutex_lock(&q->mu);
	while (q->count == QCAP)
		pthread_cond_wait(&q->not_full, &q->mu);
	uint64_t seq;
	memcpy(&seq, buf, sizeof seq);
	if (q->order == Q_FIFO) {
		memcpy(q->slots[(q->head + q->count) % QCAP], buf, q->item);
	} else if (q->order == Q_LIFO) {
		memcpy(q->slots[q->count], buf, q->item);
	} else {
		uint32_t slot = q->free_slots[--q->nfree], i = q->count;
		memcpy(q->slots[slot], buf, q->item);
		q->heap[i] = (q_entry){ prio_key(seq), slot };
		for (; i && q->heap[(i - 1) / 2].key > q->heap[i].key; i = (i - 1) / 2)
			heap_swap(&q->heap[i], &q->heap[(i - 1) / 2]);
	}
	q->count++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

static void mpmc_pop(mpmc *q, void *buf)
{
	pthread_mutex_lock(&q->mu);
	while (!q->count)
		pthread_cond_wait(&q->not_empty, &q->mu);
	q->count--;
	if (q->order == Q_FIFO) {
		memcpy(buf, q->slots[q->head], q->item);
		q->head = (q->head + 1) % QCAP;
	} else if (q->order == Q_LIFO) {
		/* One producer pushes rising numbers, so the stack rises from
		 * bottom to top: the top must be above what lies under it. */
		memcpy(buf, q->slots[q->count], q->item);
		uint64_t seq, below;
		memcpy(&seq, buf, sizeof seq);
		if (q->count) {
			memcpy(&below, q->slots[q->count - 1], sizeof below);
			q->order_bad += below >= seq;
		}
	} else {
		q_entry top = q->heap[0];
		memcpy(buf, q->slots[top.slot], q->item);
		q->free_slots[q->nfree++] = top.slot;
		q->heap[0] = q->heap[q->count];
		for (uint32_t i = 0;;) {
			uint32_t l = 2 * i + 1, r = l + 1, m = i;
			if (l < q->count && q->heap[l].key < q->heap[m].key)
				m = l;
			if (r < q->count && q->heap[r].key < q->heap[m].key)
				m = r;
			if (m == i)
				break;
			heap_swap(&q->heap[i], &q->heap[m]);
			i = m;
		}
		/* The smallest key leaves first: nothing left may be smaller. */
		if (q->count && q->heap[0].key < top.key)
			q->order_bad++;
	}
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

/* ---- SPSC ring, lock-free; with futex wake-up across processes ---- */

typedef struct ring {
	_Alignas(64) _Atomic uint32_t head;   /* consumer's */
	_Atomic uint32_t prod_sleeping;
	_Alignas(64) _Atomic uint32_t tail;   /* producer's */
	_Atomic uint32_t cons_sleeping;
	_Alignas(64) bool futex;
	size_t item;
	unsigned char slots[QCAP][ITEM_MAX];
} ring;

/* Spin a little, then (futex ring) sleep on the word until it moves, or
 * (spin ring) yield so that a peer on the same PU can run. */
static void ring_wait(ring *r, _Atomic uint32_t *word, uint32_t seen, _Atomic uint32_t *sleeping)
{
	for (int k = 0; k < 200; k++) {
		if (atomic_load_explicit(word, memory_order_acquire) != seen)
			return;
		cb_cpu_relax();
	}
	while (atomic_load(word) == seen) {
		if (!r->futex) {
			sched_yield();
			continue;
		}
		atomic_store(sleeping, 1);
		if (atomic_load(word) == seen)
			cb_futex_wait(word, seen, NULL, true);
		atomic_store(sleeping, 0);
	}
}

static void ring_wake(_Atomic uint32_t *word, _Atomic uint32_t *sleeping)
{
	if (atomic_load(sleeping))
		cb_futex_wake(word, 1, true);
}

static void ring_push(ring *r, const void *buf)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	for (uint32_t h; t - (h = atomic_load_explicit(&r->head, memory_order_acquire)) == QCAP;)
		ring_wait(r, &r->head, h, &r->prod_sleeping);
	memcpy(r->slots[t % QCAP], buf, r->item);
	atomic_store(&r->tail, t + 1);
	if (r->futex)
		ring_wake(&r->tail, &r->cons_sleeping);
}

static void ring_pop(ring *r, void *buf)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	while (atomic_load_explicit(&r->tail, memory_order_acquire) == h)
		ring_wait(r, &r->tail, h, &r->cons_sleeping);
	memcpy(buf, r->slots[h % QCAP], r->item);
	atomic_store(&r->head, h + 1);
	if (r->futex)
		ring_wake(&r->head, &r->prod_sleeping);
}

/* ---- the shared context and the transports ---- */

typedef struct hv {
	size_t item;
	int fd[4];
	mqd_t mq[2];
	mpmc *q[2];               /* direction 0: producer -> consumer; 1: back */
	ring *r[2];
	/* consumer's findings */
	int64_t received, order_bad, torn;
	uint64_t sum;
	int64_t echoed_bad;
	cb_micro_lat lat;         /* round trip, producer side */
} hv;

typedef struct xport {
	const char *name;
	bool processes;
	bool fifo;                /* the consumer checks strict order */
	q_order qorder;
	int (*open)(hv *h);
	void (*close)(hv *h);
	int (*send)(hv *h, int side, const void *buf);
	int (*recv)(hv *h, int side, void *buf);
} xport;

static int q_open(hv *h, q_order order)
{
	for (int d = 0; d < 2; d++) {
		h->q[d] = cb_shared_alloc(sizeof *h->q[d]);
		mpmc_init(h->q[d], order, h->item);
	}
	return 0;
}
static int q_open_fifo(hv *h) { return q_open(h, Q_FIFO); }
static int q_open_lifo(hv *h) { return q_open(h, Q_LIFO); }
static int q_open_prio(hv *h) { return q_open(h, Q_PRIO); }

static void q_close(hv *h)
{
	for (int d = 0; d < 2; d++) {
		if (!h->q[d])
			continue;
		h->order_bad += h->q[d]->order_bad;
		mpmc_destroy(h->q[d]);
		cb_shared_free(h->q[d], sizeof *h->q[d]);
	}
}

static int q_send(hv *h, int side, const void *buf) { mpmc_push(h->q[side], buf); return 0; }
static int q_recv(hv *h, int side, void *buf) { mpmc_pop(h->q[1 - side], buf); return 0; }

static int ring_open(hv *h, bool futex)
{
	for (int d = 0; d < 2; d++) {
		h->r[d] = cb_shared_alloc(sizeof *h->r[d]);
		h->r[d]->futex = futex;
		h->r[d]->item = h->item;
	}
	return 0;
}
static int spsc_open(hv *h) { return ring_open(h, false); }
static int shm_open_ring(hv *h) { return ring_open(h, true); }

static void ring_close(hv *h)
{
	for (int d = 0; d < 2; d++)
		if (h->r[d])
			cb_shared_free(h->r[d], sizeof *h->r[d]);
}

static int r_send(hv *h, int side, const void *buf) { ring_push(h->r[side], buf); return 0; }
static int r_recv(hv *h, int side, void *buf) { ring_pop(h->r[1 - side], buf); return 0; }

static int write_all(int fd, const void *buf, size_t n)
{
	for (size_t k = 0; k < n;) {
		ssize_t w = write(fd, (const char *)buf + k, n - k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		k += (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
	for (size_t k = 0; k < n;) {
		ssize_t r = read(fd, (char *)buf + k, n - k);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		k += (size_t)r;
	}
	return 0;
}

static void fd_close(hv *h)
{
	for (int i = 0; i < 4; i++)
		if (h->fd[i] >= 0)
			close(h->fd[i]);
}

/* pipe: fd[0..1] producer -> consumer, fd[2..3] back. */
static int pipe_open(hv *h) { return pipe2(h->fd, O_CLOEXEC) || pipe2(h->fd + 2, O_CLOEXEC) ? -errno : 0; }
static int pipe_send(hv *h, int side, const void *buf) { return write_all(h->fd[side ? 3 : 1], buf, h->item); }
static int pipe_recv(hv *h, int side, void *buf) { return read_all(h->fd[side ? 0 : 2], buf, h->item); }

/* Sockets: fd[side] is that side's end, both ways. */
static int sock_send(hv *h, int side, const void *buf) { return write_all(h->fd[side], buf, h->item); }
static int sock_recv(hv *h, int side, void *buf) { return read_all(h->fd[side], buf, h->item); }

static int socketpair_open(hv *h)
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, h->fd) ? -errno : 0;
}

static int tcp_open(hv *h)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int one = 1, rc = 0;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len) ||
	    (h->fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(h->fd[0], (struct sockaddr *)&a, sizeof a) || (h->fd[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
		rc = -errno;
	close(l);
	for (int i = 0; !rc && i < 2; i++)
		setsockopt(h->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return rc;
}

static int mq_open_pair(hv *h)
{
	struct mq_attr attr = { .mq_maxmsg = 10, .mq_msgsize = (long)h->item };
	for (int d = 0; d < 2; d++) {
		char name[64];
		snprintf(name, sizeof name, "/concbench-%ld-%d", (long)getpid(), d);
		h->mq[d] = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
		if (h->mq[d] == (mqd_t)-1)
			return -errno;
		mq_unlink(name);   /* the descriptors live on in the children */
	}
	return 0;
}

static void mq_close_pair(hv *h)
{
	for (int d = 0; d < 2; d++)
		if (h->mq[d] != (mqd_t)-1)
			mq_close(h->mq[d]);
}

static int mq_send_item(hv *h, int side, const void *buf)
{
	while (mq_send(h->mq[side], buf, h->item, 0))
		if (errno != EINTR)
			return -1;
	return 0;
}

static int mq_recv_item(hv *h, int side, void *buf)
{
	ssize_t n;
	while ((n = mq_receive(h->mq[1 - side], buf, h->item, NULL)) < 0)
		if (errno != EINTR)
			return -1;
	return (size_t)n == h->item ? 0 : -1;
}

static const xport xports[] = {
	{ "mpmc_fifo", false, true, Q_FIFO, q_open_fifo, q_close, q_send, q_recv },
	{ "mpmc_lifo", false, false, Q_LIFO, q_open_lifo, q_close, q_send, q_recv },
	{ "mpmc_priority", false, false, Q_PRIO, q_open_prio, q_close, q_send, q_recv },
	{ "spsc_ring", false, true, Q_FIFO, spsc_open, ring_close, r_send, r_recv },
	{ "pipe", true, true, Q_FIFO, pipe_open, fd_close, pipe_send, pipe_recv },
	{ "socketpair", true, true, Q_FIFO, socketpair_open, fd_close, sock_send, sock_recv },
	{ "mqueue", true, true, Q_FIFO, mq_open_pair, mq_close_pair, mq_send_item, mq_recv_item },
	{ "shm_futex_ring", true, true, Q_FIFO, shm_open_ring, ring_close, r_send, r_recv },
	{ "tcp_loopback", true, true, Q_FIFO, tcp_open, fd_close, sock_send, sock_recv },
};
#define NXPORTS (sizeof xports / sizeof *xports)

typedef struct ho_bench {
	const xport *x;
	size_t item;
	bool roundtrip;
} ho_bench;

/* The crew's context: the bench and the shared state. */
typedef struct ho_run {
	const ho_bench *b;
	hv *h;
} ho_run;

static void fill(unsigned char *buf, size_t item, uint64_t seq)
{
	memcpy(buf, &seq, sizeof seq);
	if (item >= 16) {
		uint64_t tail = seq ^ TAIL_MAGIC;
		memcpy(buf + item - sizeof tail, &tail, sizeof tail);
	}
}

/* The consumer's check of one item: returns its sequence number. */
static uint64_t check(hv *h, const unsigned char *buf)
{
	uint64_t seq, tail;
	memcpy(&seq, buf, sizeof seq);
	if (h->item >= 16) {
		memcpy(&tail, buf + h->item - sizeof tail, sizeof tail);
		h->torn += tail != (seq ^ TAIL_MAGIC);
	}
	return seq;
}

/* The consumer's side of item i: receive it, check it, count it (out of
 * order too, where the transport promises order). */
static int consume(hv *h, const xport *x, unsigned char *buf, int64_t i, bool in_order)
{
	if (x->recv(h, 1, buf))
		return -1;
	uint64_t seq = check(h, buf);
	if (in_order && seq != (uint64_t)i)
		h->order_bad++;
	h->sum += seq;
	h->received++;
	return 0;
}

static void oneway(void *ctx, int idx, int64_t n)
{
	ho_run *run = ctx;
	hv *h = run->h;
	const xport *x = run->b->x;
	unsigned char buf[ITEM_MAX];
	memset(buf, 0x11, h->item);
	for (int64_t i = 0; i < n; i++) {
		if (idx == 0) {
			fill(buf, h->item, (uint64_t)i);
			if (x->send(h, 0, buf))
				return;
		} else if (consume(h, x, buf, i, x->fifo)) {
			return;
		}
	}
}

static void roundtrip(void *ctx, int idx, int64_t n)
{
	ho_run *run = ctx;
	hv *h = run->h;
	const xport *x = run->b->x;
	unsigned char buf[ITEM_MAX];
	memset(buf, 0x22, h->item);
	for (int64_t i = 0; i < n; i++) {
		if (idx == 0) {
			double t0 = cb_now();
			fill(buf, h->item, (uint64_t)i);
			if (x->send(h, 0, buf) || x->recv(h, 0, buf))
				return;
			cb_micro_lat_add(&h->lat, cb_now() - t0);
			h->echoed_bad += check(h, buf) != (uint64_t)i;
		} else {
			if (consume(h, x, buf, i, true) || x->send(h, 1, buf))
				return;
		}
	}
}

static void handover(cb_gb_state *st, void *arg)
{
	const ho_bench *b = arg;
	hv *h = cb_shared_alloc(sizeof *h);
	ho_run run = { b, h };
	int64_t n = 0;
	int rc;
	cb_gb_set_label(st, b->x->processes ? "processes" : "threads");
	h->item = b->item;
	for (int i = 0; i < 4; i++)
		h->fd[i] = -1;
	h->mq[0] = h->mq[1] = (mqd_t)-1;
	h->lat.v = cb_shared_alloc(LAT_CAP * sizeof *h->lat.v);
	h->lat.cap = LAT_CAP;
	if ((rc = b->x->open(h))) {
		cb_micro_skip(st, "%s: %s", b->x->name, strerror(-rc));
		goto out;
	}
	if (cb_micro_crew_body(st, 2, CB_MICRO_POLICY, b->x->processes, b->roundtrip ? roundtrip : oneway, &run, &n)) {
		b->x->close(h);   /* folds the queues' own order checks in */
		cb_gb_counter(st, "workers", 2, CB_GB_COUNTER_DEFAULT);
		cb_gb_counter(st, "item_bytes", (double)b->item, CB_GB_COUNTER_DEFAULT);
		if (b->roundtrip)
			cb_micro_lat_report(st, &h->lat);
		uint64_t want = (uint64_t)n * (uint64_t)(n - 1) / 2;
		if (h->received != n || h->sum != want || h->order_bad || h->torn || h->echoed_bad)
			cb_micro_fail(st, "%s: %lld items sent, %lld received (sum %s), %lld out of order, %lld torn, %lld bad replies",
			              b->x->name, (long long)n, (long long)h->received, h->sum == want ? "ok" : "wrong",
			              (long long)h->order_bad, (long long)h->torn, (long long)h->echoed_bad);
		goto done;
	}
out:
	b->x->close(h);
done:
	cb_shared_free(h->lat.v, LAT_CAP * sizeof *h->lat.v);
	cb_shared_free(h, sizeof *h);
}

static ho_bench benches[NXPORTS * 4];

void cb_micro_register_handover(void)
{
	static const size_t sizes[] = { 8, 4096 };
	int k = 0;
	for (size_t i = 0; i < NXPORTS; i++)
		for (int s = 0; s < 2; s++)
			for (int rt = 0; rt < 2; rt++) {
				char name[96];
				benches[k] = (ho_bench){ &xports[i], sizes[s], rt };
				snprintf(name, sizeof name, "handover/%s/%s/%s", xports[i].name, s ? "4KiB" : "8B",
				         rt ? "roundtrip" : "oneway");
				cb_micro_add(name, handover, &benches[k++]);
			}
}
