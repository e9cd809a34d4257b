/* mpi: the workload on MPI ranks under Open MPI's mpirun, the way past one
 * machine. mpirun is launched once per cell (cell_setup), over the
 * concbench-mpi rank program (harness/cli/mpi_worker.c), and the ranks run
 * every repetition of the cell as this process tells rank 0 over its stdin;
 * launching per repetition would cost a few hundred milliseconds of
 * mpirun start-up each time, which no MPI program pays per computation.
 * Ranks bind themselves with hwloc (mpirun runs with --bind-to none), run
 * pre, their share of the tasks and, on rank 0, post, and rank 0 reports
 * the phases, the communication time and the checksum, which the runner
 * verifies against the serial answer as for every strategy.
 *
 * mpirun runs in its own process group with PR_SET_PDEATHSIG; Open MPI
 * puts each rank in a group of its own, so the ranks report their pids and
 * a cell that fails or ends kills mpirun's group and then every rank of
 * this machine still running: no rank outlives its cell. The limit on a
 * start-up or a repetition is the runner's (--timeout): mpirun's group is
 * recorded where the runner reads it, and a cell past its limit loses
 * mpirun with its measuring process; the runner then kills the ranks,
 * which come to it as their subreaper. */
#include <errno.h>
#include <fcntl.h>
#include <hwloc/glibc-sched.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/run.h"
#include "base/hostfile.h"
#include "engine/strategy.h"

#define PROTO "@cb "
#define STOP_GRACE_S 5.0
#ifdef CB_HAVE_MPI
#define HAVE_MPI 1
#else
#define HAVE_MPI 0   /* concbench-mpi was not built: the strategy says so */
#endif

static const cb_param_spec params[] = {
	{ "mpi_queue", CB_PARAM_ENUM, { "rma", "rma", "rma", "rma" }, 0, 0, "rma|messages",
	  "mpi, dynamic schedule: rank 0's work queue as a one-sided counter (MPI_Fetch_and_op) "
	  "or as requests rank 0 answers between its own tasks (MPI_Send/MPI_Recv)" },
};

static const char not_built[] =
	"the mpi strategy is not built into this concbench: Open MPI was not found at build time "
	"(install it with 'apt-get install libopenmpi-dev openmpi-bin', then rebuild)";

/* The rank program: $CONCBENCH_MPI_WORKER, else next to this executable. */
static int find_worker(char *out, size_t n)
{
	const char *env = getenv("CONCBENCH_MPI_WORKER");
	if (env && *env) {
		snprintf(out, n, "%s", env);
		return access(out, X_OK) ? -1 : 0;
	}
	char *self = cb_self_exe(), *slash = self ? strrchr(self, '/') : NULL;
	int rc = -1;
	if (slash) {
		*slash = 0;
		rc = (size_t)snprintf(out, n, "%.*s/concbench-mpi", (int)(n - 32), self) >= n ? -1 : 0;
	}
	free(self);
	return rc || access(out, X_OK) ? -1 : 0;
}

/* mpirun: $CONCBENCH_MPIRUN, else the first in PATH. */
static int find_mpirun(char *out, size_t n)
{
	const char *env = getenv("CONCBENCH_MPIRUN");
	if (env && *env) {
		snprintf(out, n, "%s", env);
		return access(out, X_OK) ? -1 : 0;
	}
	const char *path = getenv("PATH");
	char *copy = cb_xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL;
	int rc = -1;
	for (char *d = strtok_r(copy, ":", &save); d && rc; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, n, "%s/mpirun", *d ? d : ".");
		rc = access(out, X_OK);
	}
	free(copy);
	return rc ? -1 : 0;
}

/* Slots a host file offers, or -1 when a host gives none (Open MPI then
 * counts that node's cores, which only that node knows). */
static int hostfile_slots(const char *path, int *nhosts, cb_error *err)
{
	cb_host *hosts;
	if (cb_hostfile_read(path, &hosts, nhosts, err))
		return -2;
	int total = cb_hostfile_slots(hosts, *nhosts);
	free(hosts);
	return total;
}

static int check(const cb_run_config *cfg, const cb_params *params, char *warn, size_t nwarn,
                 cb_error *err)
{
	(void)params;
	(void)warn;
	(void)nwarn;
	if (!HAVE_MPI)
		return cb_error_set(err, CB_EXIT_ENV, "%s", not_built);
	char path[PATH_MAX];
	if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK"))
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "concbench is itself running as an MPI rank: run it outside mpirun/srun, "
		                    "the mpi strategy launches mpirun itself (inside a batch allocation mpirun "
		                    "takes the allocation's hosts)");
	if (find_worker(path, sizeof path))
		return cb_error_set(err, CB_EXIT_ENV,
		                    "the mpi strategy's rank program concbench-mpi is not next to concbench "
		                    "(rebuild, or point CONCBENCH_MPI_WORKER at it)");
	if (find_mpirun(path, sizeof path))
		return cb_error_set(err, CB_EXIT_ENV,
		                    "mpirun not found in PATH (install it with 'apt-get install openmpi-bin', "
		                    "or point CONCBENCH_MPIRUN at it)");
	if (cfg->hosts) {
		int hosts = 0, slots = hostfile_slots(cfg->hosts, &hosts, err);
		if (slots == -2)
			return -1;
		for (int i = 0; slots > 0 && i < cfg->nworkers; i++)
			if (cfg->workers[i] > slots)
				return cb_error_set(err, CB_EXIT_USAGE,
				                    "-n %d asks for more MPI ranks than the %d slots of host file '%s' "
				                    "(%d hosts; valid: -n up to %d, or raise slots=)",
				                    cfg->workers[i], slots, cfg->hosts, hosts, slots);
	}
	return 0;
}

typedef struct {
	pid_t pid;          /* mpirun, leader of its process group; 0 once reaped */
	int to_fd, from_fd, err_fd;
	char *buf;          /* unparsed output of rank 0 */
	size_t len, cap;
	char worker[PATH_MAX];
	cb_exec *ex;        /* for the runner's record of mpirun's group */
	pid_t *rank_pid;    /* ranks on this machine, from the hello message */
	int nrank_pid;
} mpi_priv;

/* Is pid still a running (not zombie) rank program of ours? The check on
 * the executable keeps a recycled pid from being killed. */
static bool rank_alive(const mpi_priv *p, pid_t pid)
{
	char path[64], exe[PATH_MAX], stat[256];
	snprintf(path, sizeof path, "/proc/%ld/exe", (long)pid);
	ssize_t n = readlink(path, exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	if (strcmp(exe, p->worker))
		return false;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool alive = fgets(stat, sizeof stat, f) && !strstr(stat, ") Z ") && !strstr(stat, ") X ");
	fclose(f);
	return alive;
}

/* After mpirun is gone: no rank of this machine may stay behind. */
static void kill_ranks(mpi_priv *p)
{
	for (int i = 0; i < p->nrank_pid; i++)
		if (rank_alive(p, p->rank_pid[i]))
			kill(p->rank_pid[i], SIGKILL);
	for (double end = cb_now() + 2; cb_now() < end;) {
		bool any = false;
		for (int i = 0; i < p->nrank_pid; i++)
			any |= rank_alive(p, p->rank_pid[i]);
		if (!any)
			break;
		struct timespec ts = { 0, 2 * 1000 * 1000L };
		nanosleep(&ts, NULL);
	}
	p->nrank_pid = 0;
}

/* mpirun is reaped: its group is no longer the runner's to kill. */
static void reaped(mpi_priv *p)
{
	p->pid = 0;
	cb_exec_launcher_group(p->ex, 0);
}

static void kill_group(mpi_priv *p)
{
	if (p->pid > 0) {
		cb_exec_stop_launcher(p->pid);
		reaped(p);
	}
	kill_ranks(p);
}

/* The most telling line of mpirun's stderr: the first of Open MPI's
 * "noticed that process rank N ... exited on signal", a rank's own message
 * or a sanitizer's, else the last non-empty line. */
static void stderr_reason(mpi_priv *p, char *out, size_t n)
{
	out[0] = 0;
	off_t size = lseek(p->err_fd, 0, SEEK_END);
	if (size <= 0)
		return;
	size_t len = size > 65536 ? 65536 : (size_t)size;
	char *text = cb_xcalloc(len + 1, 1);
	if (pread(p->err_fd, text, len, size - (off_t)len) > 0) {
		char *save = NULL, *best = NULL, *last = NULL;
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			while (*l == ' ' || *l == '\t')
				l++;
			if (!*l || *l == '-')
				continue;
			last = l;
			if (strstr(l, "noticed that process rank") || strstr(l, "concbench-mpi: rank") ||
			    strstr(l, "runtime error") || strstr(l, "ERROR: "))
				best = best ? best : l;
		}
		if (best || last)
			snprintf(out, n, "%s", best ? best : last);
	}
	free(text);
}

/* The ranks are gone or stuck: reap (or kill) mpirun and say why. */
static int ranks_failed(mpi_priv *p, const char *what, cb_error *err)
{
	int st = 0;
	bool exited = false;
	if (p->pid > 0) {
		for (double end = cb_now() + 1; cb_now() < end;) {
			if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
				exited = true;
				break;
			}
			struct timespec ts = { 0, 10 * 1000 * 1000L };
			nanosleep(&ts, NULL);
		}
		if (exited) {
			kill(-p->pid, SIGKILL);   /* anything left in mpirun's group */
			reaped(p);
			kill_ranks(p);
		} else {
			kill_group(p);
		}
	}
	char reason[512];
	stderr_reason(p, reason, sizeof reason);
	if (!reason[0] && exited && WIFSIGNALED(st))
		snprintf(reason, sizeof reason, "mpirun was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (!reason[0] && exited)
		snprintf(reason, sizeof reason, "mpirun exited with status %d", WEXITSTATUS(st));
	return cb_error_set(err, CB_EXIT_FAIL, "mpi: %s: %s", what, reason[0] ? reason : "no message");
}

/* Next "@cb {json}" line from rank 0; other output is skipped. NULL on
 * EOF. There is no limit of its own: the runner's (--timeout, or the one
 * it derives) covers a start-up or a repetition that never answers, and
 * the runner kills mpirun's group, recorded in ex->watch, with this
 * process. */
static json_t *read_message(mpi_priv *p)
{
	for (;;) {
		char *nl;
		while (p->len && (nl = memchr(p->buf, '\n', p->len))) {
			*nl = 0;
			json_t *msg = NULL;
			if (!strncmp(p->buf, PROTO, strlen(PROTO)))
				msg = json_loads(p->buf + strlen(PROTO), 0, NULL);
			size_t used = (size_t)(nl + 1 - p->buf);
			memmove(p->buf, nl + 1, p->len - used);
			p->len -= used;
			if (msg)
				return msg;
		}
		struct pollfd pfd = { p->from_fd, POLLIN, 0 };
		int r = poll(&pfd, 1, -1);
		if (r < 0 && errno != EINTR)
			return NULL;
		if (r <= 0)
			continue;
		if (p->cap - p->len < 4096) {
			p->cap = p->cap ? p->cap * 2 : 65536;
			p->buf = cb_xrealloc(p->buf, p->cap);
		}
		ssize_t got = read(p->from_fd, p->buf + p->len, p->cap - p->len - 1);
		if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
			return NULL;
		if (got > 0)
			p->len += (size_t)got;
	}
}

static int send_command(mpi_priv *p, const char *cmd)
{
	size_t n = strlen(cmd);
	return send(p->to_fd, cmd, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static char **build_argv(cb_exec *ex, cb_job *job, const char *mpirun, const char *worker, int *argc)
{
	const cb_run_config *cfg = ex->cfg;
	char **v = cb_xcalloc(32 + 2 * job->params.n, sizeof *v);
	int n = 0;
	cb_topology_summary s;
	cb_topology_summarize(ex->topo, &s);
	char sched[32];
	cb_schedule_format(&ex->sched, sched, sizeof sched);
	v[n++] = cb_xstrdup(mpirun);
	v[n++] = cb_xstrdup("-np");
	v[n++] = cb_xasprintf("%d", ex->workers);
	v[n++] = cb_xstrdup("--bind-to");   /* the ranks bind themselves with hwloc */
	v[n++] = cb_xstrdup("none");
	if (geteuid() == 0)
		v[n++] = cb_xstrdup("--allow-run-as-root");
	if (cfg && cfg->hosts) {
		v[n++] = cb_xstrdup("--hostfile");
		v[n++] = cb_xstrdup(cfg->hosts);
	} else if (ex->workers > s.allowed_cores) {
		/* Open MPI counts one slot per core of this machine. */
		v[n++] = cb_xstrdup("--oversubscribe");
	}
	v[n++] = cb_xstrdup(worker);
	v[n++] = cb_xstrdup("--workload");
	v[n++] = cb_xstrdup(cb_workload_item(job->wl));   /* a plug-in: its path */
	v[n++] = cb_xstrdup("--size");
	v[n++] = cb_xstrdup(cb_size_names[job->size]);
	v[n++] = cb_xstrdup("--schedule");
	v[n++] = cb_xstrdup(sched);
	v[n++] = cb_xstrdup("--pin");
	v[n++] = cb_xstrdup(cfg ? cfg->pin.text : "none");
	v[n++] = cb_xstrdup("--queue");
	v[n++] = cb_xstrdup(cb_params_get(&ex->params, "mpi_queue") == 0 ? "rma" : "messages");
	for (size_t i = 0; i < job->params.n; i++) {
		v[n++] = cb_xstrdup("--param");
		v[n++] = cb_xasprintf("%s=%s", job->params.spec[i].name, job->params.text[i]);
	}
	*argc = n;
	return v;
}

static void cell_teardown(cb_exec *ex);

/* The ranks' first message: where they run (this host's rank pids, for
 * the watch), and that rank 0 built the same job; the launcher's command
 * line and the ranks go into the cell's record. 0, or -1 with err. */
static int read_hello(mpi_priv *p, cb_exec *ex, cb_job *job, char **argv, int argc, cb_error *err)
{
	json_t *hello = read_message(p);
	if (!hello) {
		ranks_failed(p, "the ranks did not start", err);
		return -1;
	}
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	size_t r;
	json_t *rank;
	p->rank_pid = cb_xcalloc(json_array_size(json_object_get(hello, "ranks")) + 1, sizeof *p->rank_pid);
	json_array_foreach(json_object_get(hello, "ranks"), r, rank)
		if (!strcmp(json_string_value(json_object_get(rank, "host")) ?: "", host))
			p->rank_pid[p->nrank_pid++] = (pid_t)json_integer_value(json_object_get(rank, "pid"));
	json_int_t ntasks = json_integer_value(json_object_get(hello, "ntasks"));
	const char *ref = json_string_value(json_object_get(hello, "reference"));
	if ((size_t)ntasks != job->ntasks || !ref || strtoull(ref, NULL, 16) != job->reference) {
		cb_error_set(err, CB_EXIT_FAIL,
		             "mpi: rank 0 built a different job (%lld tasks, serial answer %s; here %zu tasks, %#llx)",
		             (long long)ntasks, ref ? ref : "?", job->ntasks, (unsigned long long)job->reference);
		json_decref(hello);
		kill_group(p);
		return -1;
	}
	json_t *launcher = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(launcher, json_string(argv[i]));
	ex->record = json_pack("{s:o, s:O, s:O}", "launcher", launcher, "mpi_library",
	                       json_object_get(hello, "mpi"), "ranks", json_object_get(hello, "ranks"));
	json_decref(hello);
	return 0;
}

static int cell_setup(cb_exec *ex, cb_job *job, cb_error *err)
{
	if (!HAVE_MPI)
		return cb_error_set(err, CB_EXIT_ENV, "%s", not_built);
	char mpirun[PATH_MAX], worker[PATH_MAX];
	if (find_worker(worker, sizeof worker) || find_mpirun(mpirun, sizeof mpirun))
		return check(ex->cfg, NULL, NULL, 0, err) ? -1 : cb_error_set(err, CB_EXIT_ENV, "mpi: cannot find mpirun");
	mpi_priv *p = cb_xcalloc(1, sizeof *p);
	if (!realpath(worker, p->worker))
		snprintf(p->worker, sizeof p->worker, "%s", worker);
	p->to_fd = p->from_fd = p->err_fd = -1;
	p->ex = ex;
	ex->priv = p;
	int argc, rc = -1;
	char **argv = build_argv(ex, job, mpirun, worker, &argc);
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	/* stdin is a socket so that a dead mpirun gives EPIPE, not SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) || pipe2(out, O_CLOEXEC) ||
	    (p->err_fd = memfd_create("concbench-mpirun-stderr", MFD_CLOEXEC)) < 0) {
		cb_error_set(err, CB_EXIT_ENV, "mpi: cannot create the pipes to mpirun: %s", strerror(errno));
		goto out;
	}
	/* mpirun and its ranks get the whole allowed set, not the PU the main
	 * thread happens to be bound to; the ranks then bind themselves. */
	cpu_set_t all;
	bool reset_affinity = cb_topology_is_this_system(ex->topo) &&
		!hwloc_cpuset_to_glibc_sched_affinity(cb_topology_hwloc(ex->topo),
		        hwloc_topology_get_allowed_cpuset(cb_topology_hwloc(ex->topo)), &all, sizeof all);
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cb_error_set(err, CB_EXIT_ENV, "mpi: cannot fork mpirun: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (reset_affinity)
			sched_setaffinity(0, sizeof all, &all);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (dup2(in[1], 0) < 0 || dup2(out[1], 1) < 0 || dup2(p->err_fd, 2) < 0)
			_exit(127);
		execv(mpirun, argv);
		_exit(127);
	}
	setpgid(pid, pid);
	p->pid = pid;
	cb_exec_launcher_group(ex, pid);
	p->to_fd = in[0];
	p->from_fd = out[0];
	close(in[1]);
	close(out[1]);
	in[1] = out[1] = -1;

	rc = read_hello(p, ex, job, argv, argc, err);
out:
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	if (in[1] >= 0)
		close(in[1]);
	if (out[1] >= 0)
		close(out[1]);
	if (in[0] >= 0 && p->to_fd < 0)
		close(in[0]);
	if (out[0] >= 0 && p->from_fd < 0)
		close(out[0]);
	return rc;
}

static int run_rep(cb_exec *ex, cb_job *job, cb_remote_rep *out, cb_error *err)
{
	(void)job;
	mpi_priv *p = ex->priv;
	if (!p || p->pid <= 0)
		return cb_error_set(err, CB_EXIT_FAIL, "mpi: the ranks are down");
	if (send_command(p, "run\n"))
		return ranks_failed(p, "a rank died", err);
	json_t *m = read_message(p);
	if (!m)
		return ranks_failed(p, "a rank died", err);
	out->pre_s = json_real_value(json_object_get(m, "pre_s"));
	out->par_s = json_real_value(json_object_get(m, "par_s"));
	out->post_s = json_real_value(json_object_get(m, "post_s"));
	out->comm_s = json_real_value(json_object_get(m, "comm_s"));
	out->user_s = json_real_value(json_object_get(m, "user_s"));
	out->sys_s = json_real_value(json_object_get(m, "sys_s"));
	out->minflt = (long)json_integer_value(json_object_get(m, "minflt"));
	json_t *mig = json_object_get(m, "migrations");
	out->migrations = json_is_integer(mig) ? json_integer_value(mig) : -1;
	const char *sum = json_string_value(json_object_get(m, "checksum"));
	out->checksum = sum ? strtoull(sum, NULL, 16) : 0;
	size_t r;
	json_t *cpus;
	json_array_foreach(json_object_get(m, "cpus"), r, cpus) {
		if ((int)r >= ex->workers)
			break;
		size_t k;
		json_t *cpu;
		json_array_foreach(cpus, k, cpu) {
			json_int_t c = json_integer_value(cpu);
			if (c >= 0 && c < CPU_SETSIZE)
				CPU_SET((int)c, &ex->trace[r].ran_on);
		}
	}
	int rc = 0;
	json_t *e = json_object_get(m, "error");
	if (e) {
		const char *text = json_string_value(json_object_get(m, "error_text"));
		long rank = (long)json_integer_value(json_object_get(m, "error_rank"));
		if (text)
			rc = cb_error_set(err, CB_EXIT_FAIL, "mpi rank %ld: %s", rank, text);
		else
			rc = cb_error_set(err, CB_EXIT_FAIL, "task %lld failed on mpi rank %ld: %s",
			                  (long long)json_integer_value(json_object_get(m, "error_task")), rank,
			                  strerror((int)-json_integer_value(e)));
	}
	json_decref(m);
	return rc;
}

static void cell_teardown(cb_exec *ex)
{
	mpi_priv *p = ex->priv;
	if (!p)
		return;
	if (p->pid > 0) {
		send_command(p, "quit\n");
		shutdown(p->to_fd, SHUT_WR);
		double deadline = cb_now() + STOP_GRACE_S;
		while (p->pid > 0) {
			pid_t r = waitpid(p->pid, NULL, WNOHANG);
			if (r == p->pid || (r < 0 && errno != EINTR)) {
				kill(-p->pid, SIGKILL);   /* nothing of the group may stay */
				reaped(p);
				kill_ranks(p);
			} else if (cb_now() > deadline) {
				kill_group(p);
			} else {
				struct timespec ts = { 0, 2 * 1000 * 1000L };
				nanosleep(&ts, NULL);
			}
		}
	}
	if (p->to_fd >= 0)
		close(p->to_fd);
	if (p->from_fd >= 0)
		close(p->from_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	free(p->buf);
	free(p->rank_pid);
	free(p);
	ex->priv = NULL;
}

/* run_job is never called: run_rep replaces the whole repetition. */
static int run_job(cb_exec *ex, cb_job *job, cb_error *err)
{
	(void)ex;
	(void)job;
	return cb_error_set(err, CB_EXIT_FAIL, "mpi: repetitions run through run_rep");
}

const cb_strategy cb_st_mpi = {
	.name = "mpi",
	.summary = "MPI ranks (-n) under mpirun, launched once per cell; --hosts FILE spans machines",
	.flags = CB_STRATEGY_EXTERNAL | CB_STRATEGY_POOL,
	.colour = 0xa6761d,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.check = check,
	.cell_setup = cell_setup,
	.run_job = run_job,
	.cell_teardown = cell_teardown,
	.run_rep = run_rep,
};
