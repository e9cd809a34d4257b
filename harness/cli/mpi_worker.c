/* concbench-mpi: the MPI side of the mpi strategy (strategies/mpi.c).
 * mpirun starts one per rank, once per cell; every rank creates the same
 * job from its command line and binds itself with hwloc, settles (runs
 * every task once, untimed: settle() below), then the ranks
 * run the cell's repetitions as rank 0 is told over its stdin (mpirun
 * forwards rank 0's stdin and every rank's stdout). A repetition: every
 * rank runs pre (its inputs stay local), its share of the tasks through
 * the one schedule loop (static: blocks or chunks by rank; dynamic: chunks
 * from a queue at rank 0, either a counter in rank 0's window that ranks
 * fetch-and-add one-sidedly, or requests that rank 0 answers between its
 * own tasks), then the
 * partials meet at rank 0 (MPI_Gatherv for static blocks, MPI_Reduce with
 * MPI_BOR otherwise: untouched partials are zero) and rank 0 runs post.
 * Rank 0 writes one line "@cb {json}" per message to stdout. */
#include <errno.h>
#include <mpi.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "engine/strategy.h"
#include "base/migrations.h"
#include "base/topology.h"
#include "engine/workload.h"

/* Open MPI keeps allocations past MPI_Finalize in components it dlopens
 * and unloads, which LeakSanitizer then reports without a usable stack.
 * Under ASan the components stay loaded (so the stacks name them) and
 * Open MPI's own libraries are suppressed; our own code stays checked. */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#define MPI_UNCHECKED(stmt) do { __lsan_disable(); stmt; __lsan_enable(); } while (0)
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libmpi.so\nleak:libopen-pal.so\nleak:libopen-rte.so\nleak:mca_\nleak:libpmix.so\n"
	       "leak:libevent\nleak:libhwloc.so\nleak:libfabric.so\nleak:libucs.so\nleak:libucp.so\n"
	       "leak:libstdc++.so\n"   /* operator new in a C++ MPI component; this program has no C++ */
	       "leak:libpython3\n";    /* a Python workload's interpreter, never finalized (tests/lsan.supp) */
}
static void keep_mpi_components(void) { setenv("OMPI_MCA_mca_base_component_disable_dlclose", "1", 0); }
#else
#define MPI_UNCHECKED(stmt) do { stmt; } while (0)
static void keep_mpi_components(void) {}
#endif

#define PROTO "@cb "
#define INFO_LEN 1024
#define CPU_WORDS (CPU_SETSIZE / 64)
/* Idle ranks poll for the next command instead of spinning in MPI, so
 * that a cell kept open between its repetitions (other cells run in
 * between) takes no CPU from them: 50 us at first, backing off to 5 ms. */
#define IDLE_POLL_MIN_NS (50 * 1000L)
#define IDLE_POLL_MAX_NS (5 * 1000 * 1000L)

enum { CMD_QUIT, CMD_RUN };
enum { TAG_REQ = 1, TAG_REPLY = 2 };

typedef struct {
	int rank, size;
	cb_job *job;
	cb_exec ex;
	double comm;      /* seconds inside MPI calls during the parallel phase */
	size_t next;      /* rank 0: the work queue's next task */
	int finished;     /* rank 0: ranks told that the queue is empty */
	bool pending;     /* rank > 0: a request is outstanding */
	bool rma;         /* dynamic queue: one-sided counter instead of messages */
	MPI_Win win;      /* rma: the counter, in rank 0's window */
	uint64_t *counter;
	int migrations_fd;   /* this rank's CPU migrations (base/migrations.h) */
} worker;

static worker wk;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "concbench-mpi: rank %d: ", wk.rank);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	MPI_Abort(MPI_COMM_WORLD, 3);
	exit(3);
}

/* Rank 0 answers one request (or every pending one). */
static void serve(bool block)
{
	for (;;) {
		int flag = 1, dummy;
		MPI_Status st;
		if (!block)
			MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQ, MPI_COMM_WORLD, &flag, &st);
		if (!flag)
			return;
		MPI_Recv(&dummy, 1, MPI_INT, block ? MPI_ANY_SOURCE : st.MPI_SOURCE, TAG_REQ, MPI_COMM_WORLD, &st);
		unsigned long long lo = wk.next;
		if (lo < wk.job->ntasks)
			wk.next += wk.ex.sched.chunk;
		else
			wk.finished++;
		MPI_Send(&lo, 1, MPI_UNSIGNED_LONG_LONG, st.MPI_SOURCE, TAG_REPLY, MPI_COMM_WORLD);
		if (block)
			return;
	}
}

static size_t claim_rank0(cb_exec *ex, size_t chunk)
{
	(void)ex;
	double t = MPI_Wtime();
	serve(false);
	wk.comm += MPI_Wtime() - t;
	size_t lo = wk.next;
	if (lo < wk.job->ntasks)
		wk.next += chunk;
	return lo;
}

/* Ranks > 0 keep one request in flight: the next chunk is asked for before
 * the current one runs, so rank 0's answer arrives while it computes. */
static void request(void)
{
	int dummy = 0;
	MPI_Send(&dummy, 1, MPI_INT, 0, TAG_REQ, MPI_COMM_WORLD);
	wk.pending = true;
}

static size_t take_reply(void)
{
	unsigned long long lo;
	MPI_Recv(&lo, 1, MPI_UNSIGNED_LONG_LONG, 0, TAG_REPLY, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	wk.pending = false;
	if (lo < wk.job->ntasks)
		request();
	return (size_t)lo;
}

static size_t claim_remote(cb_exec *ex, size_t chunk)
{
	(void)ex;
	(void)chunk;
	double t = MPI_Wtime();
	if (!wk.pending)
		request();
	size_t lo = take_reply();
	wk.comm += MPI_Wtime() - t;
	return lo;
}

/* The one-sided queue: an atomic fetch-and-add on a counter in rank 0's
 * window; rank 0 takes no part in answering, so a busy or descheduled
 * rank 0 delays nobody (on one node the add is a shared-memory atomic). */
static size_t claim_rma(cb_exec *ex, size_t chunk)
{
	(void)ex;
	double t = MPI_Wtime();
	uint64_t add = chunk, lo = 0;
	MPI_Fetch_and_op(&add, &lo, MPI_UINT64_T, 0, 0, MPI_SUM, wk.win);
	MPI_Win_flush(0, wk.win);
	wk.comm += MPI_Wtime() - t;
	return (size_t)lo;
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec * 1e-6; }

/* One line of the protocol to the parent (through mpirun's stdout); msg
 * is consumed. */
static void send_msg(json_t *msg)
{
	char *line = json_dumps(msg, JSON_COMPACT);
	printf(PROTO "%s\n", line);
	fflush(stdout);
	free(line);
	json_decref(msg);
}

/* Untimed, before each repetition: every rank's partials, traces and
 * claims back to their start. */
static void rep_reset(void)
{
	cb_job *job = wk.job;
	cb_exec *ex = &wk.ex;
	size_t n = job->ntasks;
	memset(job->partials, 0, n * sizeof *job->partials);
	memset(ex->trace, 0, (size_t)wk.size * sizeof *ex->trace);
	atomic_store(&ex->ctl->next, 0);
	atomic_store(&ex->ctl->err, 0);
	atomic_store(&ex->ctl->err_task, -1);
	wk.comm = 0;
	wk.next = 0;
	wk.finished = 0;
	wk.pending = false;
	if (ex->claim == claim_rma && !wk.rank) {
		*wk.counter = 0;
		MPI_Win_sync(wk.win);
	}
}

/* The partials to rank 0: each rank's block (static, one block each), or
 * every rank's tasks OR-ed together (the others left theirs at 0). */
static void gather_partials(void)
{
	cb_job *job = wk.job;
	cb_exec *ex = &wk.ex;
	size_t n = job->ntasks;
	if (ex->sched.kind == CB_SCHED_STATIC && ex->sched.chunk == 0) {
		int *counts = calloc((size_t)wk.size, sizeof *counts), *displs = calloc((size_t)wk.size, sizeof *displs);
		for (int r = 0; r < wk.size; r++) {
			displs[r] = (int)(n * (size_t)r / (size_t)wk.size);
			counts[r] = (int)(n * (size_t)(r + 1) / (size_t)wk.size) - displs[r];
		}
		void *mine = job->partials + displs[wk.rank];
		MPI_Gatherv(wk.rank ? mine : MPI_IN_PLACE, counts[wk.rank], MPI_UINT64_T, job->partials, counts,
		            displs, MPI_UINT64_T, 0, MPI_COMM_WORLD);
		free(counts);
		free(displs);
	} else {
		MPI_Reduce(wk.rank ? job->partials : MPI_IN_PLACE, job->partials, (int)n, MPI_UINT64_T, MPI_BOR, 0,
		           MPI_COMM_WORLD);
	}
}

/* Where each rank ran, from the CPU masks gathered on rank 0. */
static json_t *cpus_json(const uint64_t *masks)
{
	json_t *cpus = json_array();
	for (int r = 0; r < wk.size; r++) {
		json_t *one = json_array();
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (masks[r * CPU_WORDS + c / 64] >> (c % 64) & 1)
				json_array_append_new(one, json_integer(c));
		json_array_append_new(cpus, one);
	}
	return cpus;
}

/* The first failed rank's error in the repetition's report. */
static void add_error(json_t *msg, const long *errs, int bad, const char *pre_msg)
{
	json_object_set_new(msg, "error", json_integer(errs[2 * bad]));
	json_object_set_new(msg, "error_task", json_integer(errs[2 * bad + 1]));
	json_object_set_new(msg, "error_rank", json_integer(bad));
	if (pre_msg[0])
		json_object_set_new(msg, "error_text", json_string(pre_msg));
}

/* One repetition on every rank. */
static void run_rep(void)
{
	cb_job *job = wk.job;
	cb_exec *ex = &wk.ex;
	bool dynamic = ex->sched.kind == CB_SCHED_DYNAMIC;
	rep_reset();
	const char *kill_rank = getenv("CONCBENCH_MPI_KILL_RANK");   /* fault injection for tests */
	char pre_msg[256] = "";
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	long long mig0 = cb_migrations_read(wk.migrations_fd);

	MPI_Barrier(MPI_COMM_WORLD);
	if (kill_rank && atoi(kill_rank) == wk.rank)
		raise(SIGKILL);
	double t0 = MPI_Wtime();
	cb_error err = { 0 };
	if (job->wl->pre && job->wl->pre(job, &err)) {
		atomic_store(&ex->ctl->err, -EIO);   /* the loop below then claims nothing */
		snprintf(pre_msg, sizeof pre_msg, "%.200s", err.msg);
	}
	double t1 = MPI_Wtime();
	cb_io io = cb_io_blocking();
	cb_worker_run(ex, job, wk.rank, wk.size, &io);
	double tc = MPI_Wtime();
	if (dynamic && !wk.rma && wk.rank == 0)
		while (wk.finished < wk.size - 1)
			serve(true);
	while (dynamic && wk.rank > 0 && wk.pending)
		take_reply();   /* after a failed task: leave the queue cleanly */
	gather_partials();
	double t2 = MPI_Wtime();
	wk.comm += t2 - tc;

	/* Untimed from here: errors, accounting, the report. */
	long mine_err[2] = { atomic_load(&ex->ctl->err), atomic_load(&ex->ctl->err_task) };
	long *errs = wk.rank ? NULL : calloc((size_t)wk.size * 2, sizeof *errs);
	MPI_Gather(mine_err, 2, MPI_LONG, errs, 2, MPI_LONG, 0, MPI_COMM_WORLD);
	int bad = -1;
	for (int r = 0; !wk.rank && r < wk.size; r++)
		if (errs[2 * r] && bad < 0)
			bad = r;
	uint64_t sum = 0;
	double t3 = t2;
	if (!wk.rank && bad < 0) {
		sum = job->wl->post(job);
		t3 = MPI_Wtime();
	}
	getrusage(RUSAGE_SELF, &r1);
	double cpu[2] = { tv_s(r1.ru_utime) - tv_s(r0.ru_utime), tv_s(r1.ru_stime) - tv_s(r0.ru_stime) }, cpu_all[2];
	double comm_max = 0;
	long flt = r1.ru_minflt - r0.ru_minflt, flt_all = 0;
	long long mig1 = cb_migrations_read(wk.migrations_fd);
	/* [0] the sum, [1] -1 if any rank could not count */
	long long mig[2] = { mig0 >= 0 && mig1 >= 0 ? mig1 - mig0 : 0, mig0 >= 0 && mig1 >= 0 ? 0 : -1 }, mig_all[2];
	MPI_Reduce(cpu, cpu_all, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
	MPI_Reduce(&flt, &flt_all, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	MPI_Reduce(&mig[0], &mig_all[0], 1, MPI_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	MPI_Reduce(&mig[1], &mig_all[1], 1, MPI_LONG_LONG, MPI_MIN, 0, MPI_COMM_WORLD);
	MPI_Reduce(&wk.comm, &comm_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
	uint64_t mask[CPU_WORDS] = { 0 }, *masks = wk.rank ? NULL : calloc((size_t)wk.size * CPU_WORDS, sizeof *masks);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &ex->trace[wk.rank].ran_on))
			mask[c / 64] |= 1ULL << (c % 64);
	MPI_Gather(mask, CPU_WORDS, MPI_UINT64_T, masks, CPU_WORDS, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	if (wk.rank)
		return;

	json_t *msg = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:o, s:o}", "pre_s", t1 - t0, "par_s", t2 - t1,
	                        "post_s", t3 - t2, "comm_s", comm_max, "user_s", cpu_all[0], "sys_s", cpu_all[1],
	                        "minflt", (json_int_t)flt_all, "migrations",
	                        (json_int_t)(mig_all[1] < 0 ? -1 : mig_all[0]), "checksum", json_sprintf("%#llx", (unsigned long long)sum), "cpus", cpus_json(masks));
	if (bad >= 0)
		add_error(msg, errs, bad, pre_msg);
	send_msg(msg);
	free(errs);
	free(masks);
}

/* Settling, untimed, before the rank says hello: every rank runs pre and
 * every task once, starting at its own offset so that no two ranks run
 * the same task at once, as a pool of processes settles (engine/cell.c).
 * A rank's memory is its own: under the dynamic schedule any rank may get
 * any task, and without this a task's first run on a rank (first touch of
 * its pages: mem.stream hands its pages back after the reference run so
 * that the workers place them) fell into a timed repetition at random.
 * Sleeps return at once, as in the reference run: they touch no memory. */
static void settle(void)
{
	cb_job *job = wk.job;
	if (wk.size < 2)
		return;   /* rank 0 runs every task in the warmup */
	cb_io io = { &cb_io_nosleep_ops, NULL };
	cb_error err = { 0 };
	if (job->wl->pre && job->wl->pre(job, &err))
		die("settling: pre failed: %s", err.msg);
	size_t n = job->ntasks, off = n * (size_t)wk.rank / (size_t)wk.size;
	for (size_t k = 0; k < n; k++) {
		int rc = cb_job_task(job, (off + k) % n, &io);
		if (rc)
			die("settling: a task failed: %s", strerror(-rc));
	}
}

/* Every rank: host, where it bound, and a summary of its node. */
static void hello(const cb_topology *topo, int pu, int local_rank, int local_size)
{
	char host[256] = "?";
	gethostname(host, sizeof host - 1);
	cb_topology_summary s;
	cb_topology_summarize(topo, &s);
	json_t *me = json_pack("{s:i, s:I, s:s, s:i, s:i, s:i, s:s, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I}}",
	                       "rank", wk.rank, "pid", (json_int_t)getpid(), "host", host, "local_rank", local_rank, "local_size", local_size,
	                       "pu", pu, "binding", pu >= 0 ? "hwloc" : "none", "topology", "packages", s.packages,
	                       "numa_nodes", s.numa_nodes, "l3_groups", s.l3_groups, "cores", s.cores, "pus",
	                       s.pus, "allowed_pus", s.allowed_pus, "llc_bytes", (json_int_t)s.llc_bytes,
	                       "memory_bytes", (json_int_t)s.memory_bytes);
	char info[INFO_LEN] = "";
	char *text = json_dumps(me, JSON_COMPACT);
	snprintf(info, sizeof info, "%s", text);
	free(text);
	json_decref(me);
	char *all = wk.rank ? NULL : calloc((size_t)wk.size, INFO_LEN);
	MPI_Gather(info, INFO_LEN, MPI_CHAR, all, INFO_LEN, MPI_CHAR, 0, MPI_COMM_WORLD);
	if (wk.rank)
		return;
	json_t *ranks = json_array();
	for (int r = 0; r < wk.size; r++) {
		json_t *one = json_loads(all + (size_t)r * INFO_LEN, 0, NULL);
		json_array_append_new(ranks, one ? one : json_null());
	}
	char lib[MPI_MAX_LIBRARY_VERSION_STRING] = "";
	int len = 0;
	MPI_Get_library_version(lib, &len);
	char *nl = strchr(lib, '\n');
	if (nl)
		*nl = 0;
	nl = strchr(lib, ',');
	if (nl)
		*nl = 0;
	json_t *msg = json_pack("{s:o, s:I, s:o, s:s}", "ranks", ranks, "ntasks", (json_int_t)wk.job->ntasks,
	                        "reference", json_sprintf("%#llx", (unsigned long long)wk.job->reference),
	                        "mpi", lib);
	send_msg(msg);
	free(all);
}

/* Rank 0 reads the parent's command; the others wait for it without
 * spinning. */
static int next_command(void)
{
	int cmd = CMD_QUIT;
	if (!wk.rank) {
		char line[64];
		if (fgets(line, sizeof line, stdin) && !strncmp(line, "run", 3))
			cmd = CMD_RUN;
	}
	MPI_Request req;
	MPI_Ibcast(&cmd, 1, MPI_INT, 0, MPI_COMM_WORLD, &req);
	for (long ns = IDLE_POLL_MIN_NS;; ns = ns * 2 < IDLE_POLL_MAX_NS ? ns * 2 : IDLE_POLL_MAX_NS) {
		int done = 0;
		MPI_Test(&req, &done, MPI_STATUS_IGNORE);
		if (done)
			break;
		struct timespec ts = { 0, ns };
		nanosleep(&ts, NULL);
	}
	return cmd;
}

/* The options mpi.c's launcher passes (harness/strategies/mpi.c
 * build_argv); a bad one ends every rank (die). */
typedef struct rank_args {
	const char *workload, *size, *sched, *pin;
	cb_kv *kv;           /* --param KEY=VALUE, the keys malloc'ed */
	size_t nkv;
} rank_args;

static void parse_args(int argc, char **argv, rank_args *o)
{
	*o = (rank_args){ NULL, "default", "dynamic", "compact", calloc((size_t)argc, sizeof *o->kv), 0 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die("option '%s' needs a value", a);
		if (!strcmp(a, "--workload"))
			o->workload = v;
		else if (!strcmp(a, "--size"))
			o->size = v;
		else if (!strcmp(a, "--schedule"))
			o->sched = v;
		else if (!strcmp(a, "--pin"))
			o->pin = v;
		else if (!strcmp(a, "--queue") && (!strcmp(v, "rma") || !strcmp(v, "messages")))
			wk.rma = !strcmp(v, "rma");
		else if (!strcmp(a, "--param")) {
			char *eq = strchr(v, '=');
			if (!eq)
				die("--param '%s' is not KEY=VALUE", v);
			char *key = strndup(v, (size_t)(eq - v));
			o->kv[o->nkv++] = (cb_kv){ key, eq + 1 };
		} else
			die("unknown option '%s'", a);
		i++;
	}
	if (!o->workload)
		die("%s", "--workload is required");
}

int main(int argc, char **argv)
{
	keep_mpi_components();
	MPI_UNCHECKED(MPI_Init(&argc, &argv));
	MPI_Comm_rank(MPI_COMM_WORLD, &wk.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &wk.size);
	rank_args args;
	parse_args(argc, argv, &args);
	cb_error err = { 0 };
	const cb_workload *wl;
	cb_size sz;
	if (cb_workload_resolve(args.workload, &wl, &err))
		die("%s", err.msg);
	if (cb_size_parse(args.size, &sz, &err) || cb_schedule_parse(args.sched, &wk.ex.sched, &err))
		die("%s", err.msg);

	/* Binding: the node-local rank takes the PU that the pin policy gives
	 * that worker on this node, as concbench places local workers. */
	MPI_Comm node;
	int local_rank, local_size, pu = -1;
	MPI_UNCHECKED(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, wk.rank, MPI_INFO_NULL, &node));
	MPI_Comm_rank(node, &local_rank);
	MPI_Comm_size(node, &local_size);
	MPI_Comm_free(&node);
	cb_topology *topo;
	cb_pin p;
	cb_placement pl;
	if (cb_topology_open(&topo, NULL, &err) || cb_pin_parse(args.pin, &p, &err) ||
	    cb_place(topo, &p, local_size, &pl, &err))
		die("%s", err.msg);
	if (pl.sets && pl.sets[local_rank]) {
		int rc = cb_bind_process(topo, pl.sets[local_rank]);
		if (rc)
			die("cannot bind: %s", strerror(-rc));
		pu = pl.pu[local_rank];
	}
	if (cb_job_create(&wk.job, wl, sz, 1, args.kv, args.nkv, NULL, &err))
		die("%s", err.msg);
	wk.ex.workers = wk.size;
	wk.ex.concurrency = wk.size;
	wk.ex.threads = 1;
	wk.ex.topo = topo;
	wk.ex.ctl = calloc(1, sizeof *wk.ex.ctl);
	wk.ex.trace = calloc((size_t)wk.size, sizeof *wk.ex.trace);
	if (wk.ex.sched.kind == CB_SCHED_DYNAMIC && wk.size > 1 && wk.rma) {
		MPI_UNCHECKED(MPI_Win_allocate(wk.rank ? 0 : sizeof(uint64_t), sizeof(uint64_t), MPI_INFO_NULL,
		                               MPI_COMM_WORLD, &wk.counter, &wk.win));
		MPI_Win_lock_all(0, wk.win);
		wk.ex.claim = claim_rma;
	} else if (wk.ex.sched.kind == CB_SCHED_DYNAMIC && wk.size > 1) {
		wk.ex.claim = wk.rank ? claim_remote : claim_rank0;
	}
	settle();
	/* After binding and settling: what moves from here on is a rank's
	 * work leaving its PU. */
	wk.migrations_fd = cb_migrations_open();
	hello(topo, pu, local_rank, local_size);

	while (next_command() == CMD_RUN)
		run_rep();

	if (wk.ex.claim == claim_rma) {
		MPI_Win_unlock_all(wk.win);
		MPI_UNCHECKED(MPI_Win_free(&wk.win));
	}
	if (wk.migrations_fd >= 0)
		close(wk.migrations_fd);
	cb_job_free(wk.job);
	free(wk.ex.ctl);
	free(wk.ex.trace);
	cb_placement_free(&pl);
	cb_pin_free(&p);
	cb_topology_free(topo);
	for (size_t i = 0; i < args.nkv; i++)
		free((char *)args.kv[i].key);
	free(args.kv);
	MPI_UNCHECKED(MPI_Finalize());
	return 0;
}
