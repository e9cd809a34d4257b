/* concbench's workload contract: what a workload provides (a descriptor:
 * name, kind, parameters with per-size defaults, setup, task, post,
 * teardown) and what a task may call (the I/O interface, through which
 * every wait goes so that it yields under coroutines). The built-in
 * workloads are written against this header, and a plug-in is a shared
 * object built against it alone:
 *
 *     cc -O2 -shared -fPIC -Iinclude mine.c -o mine.so
 *     concbench run -w ./mine.so
 *
 * A plug-in exports one descriptor, CB_WORKLOAD_EXPORT (the symbol
 * "concbench_workload"), with .abi = CB_WORKLOAD_ABI. It links against
 * nothing of concbench: every helper below is inline and needs only libc.
 *
 * Self-contained on purpose: libc and stdint headers only. Any change to a
 * type below (a field added, moved or retyped) raises CB_WORKLOAD_ABI, and
 * concbench refuses a plug-in built against another value. */
#ifndef CONCBENCH_WORKLOAD_H
#define CONCBENCH_WORKLOAD_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of every type in this header. */
#define CB_WORKLOAD_ABI 1
/* The one symbol concbench looks up in a plug-in. */
#define CB_WORKLOAD_SYMBOL "concbench_workload"
/* Defines it: `CB_WORKLOAD_EXPORT = { .abi = CB_WORKLOAD_ABI, ... };` */
#define CB_WORKLOAD_EXPORT \
	__attribute__((visibility("default"))) const struct cb_workload concbench_workload

/* ---- errors ------------------------------------------------------------ */

/* Exit codes, the output contract: what an error's code means. */
enum cb_exit {
	CB_EXIT_OK = 0,    /* success */
	CB_EXIT_FAIL = 1,  /* the run failed: wrong checksum, regression found */
	CB_EXIT_USAGE = 2, /* bad option, unknown name, invalid value */
	CB_EXIT_ENV = 3,   /* this environment cannot run the request */
};

typedef struct cb_error {
	int code;        /* one of enum cb_exit; 0 while no error */
	char msg[1024];  /* one line, no trailing newline, no "concbench:" */
} cb_error;

/* Records the first error (later ones are dropped) and returns -1, so that
 * a setup can `return cb_error_set(err, CB_EXIT_USAGE, "...", ...)`. */
static inline __attribute__((format(printf, 3, 4)))
int cb_error_set(cb_error *err, int code, const char *fmt, ...)
{
	if (!err || err->code)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err->code = code ? code : CB_EXIT_FAIL;
	return -1;
}

/* ---- temporary files ---------------------------------------------------- */

/* A private directory for a job's files, mode 0700:
 * cb_temp_root() (TMPDIR, or /tmp)/concbench.PID.TAG.XXXXXX, PID the process that makes
 * it (the measuring process, where setup runs). The workload's teardown
 * removes it. When the runner has to kill a measuring process (a
 * repetition past its limit, an interrupt that outlasts its grace), the
 * teardown never runs; the runner then removes that process's
 * directories, with everything in them. 0, or -errno with out empty. */
static inline const char *cb_temp_root(void)
{
	const char *tmp = getenv("TMPDIR");
	return tmp && *tmp ? tmp : "/tmp";
}

static inline int cb_temp_dir(const char *tag, char *out, size_t n)
{
	/* mkdir with a name of its own rather than mkdtemp, which strict C
	 * (-std=c99, -std=c11) does not declare. The pid makes it unique
	 * between processes; a name taken (EEXIST) is tried again with the
	 * next number, and mkdir never follows a link planted at it. */
	uint64_t x = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out;
	for (int tries = 0; tries < 100; tries++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int len = snprintf(out, n, "%s/concbench.%ld.%s.%06llx", cb_temp_root(), (long)getpid(),
		                   tag, (unsigned long long)(x >> 40));
		if (len < 0 || (size_t)len >= n) {
			if (n)
				out[0] = 0;
			return -ENAMETOOLONG;
		}
		if (!mkdir(out, 0700))
			return 0;
		if (errno != EEXIST)
			break;
	}
	int e = errno;
	out[0] = 0;
	return -e;
}

/* ---- the I/O interface --------------------------------------------------- */

/* Everything a task does that may block goes through it: the blocking
 * implementation makes plain syscalls (threads, processes), the coroutine
 * scheduler's suspends the coroutine and runs others meanwhile. Each call
 * returns the syscall's result, or -errno (never sets errno). */
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

/* ---- parameters ---------------------------------------------------------- */

/* `--size`: every parameter has one default per size. */
typedef enum { CB_SIZE_TINY, CB_SIZE_QUICK, CB_SIZE_DEFAULT, CB_SIZE_LARGE, CB_NSIZES } cb_size;

typedef enum {
	CB_PARAM_INT,    /* integer */
	CB_PARAM_REAL,   /* double */
	CB_PARAM_TIME,   /* duration, stored in seconds: "10ms", "50us" */
	CB_PARAM_BYTES,  /* size, stored in bytes: "64k", "1M" */
	CB_PARAM_ENUM,   /* one of choices, stored as its index */
	CB_PARAM_MEASURED, /* a number measured on this machine at setup (a
	                      calibration) unless given: recorded apart in the
	                      results and not part of what makes two cells the
	                      same cell, so runs on different days still match */
} cb_param_type;

typedef struct cb_param_spec {
	const char *name;
	cb_param_type type;
	const char *dflt[CB_NSIZES];  /* default per size, as text */
	double min, max;              /* inclusive range, not for enums */
	const char *choices;          /* enums: "mutex|spin|atomic|sharded" */
	const char *help;
} cb_param_spec;

/* Values of one spec at one size, after --param overrides. Filled by
 * concbench before setup; a workload reads them with cb_job_param. */
typedef struct cb_params {
	const cb_param_spec *spec;
	size_t n;
	double *v;    /* [n] */
	char **text;  /* [n] canonical text of each value (for results) */
} cb_params;

static inline size_t cb_params_index(const cb_params *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->spec[i].name, name))
			return i;
	/* A workload asked for a parameter it does not declare: a programming
	 * error, which every run of that workload trips. */
	abort();
}

/* Value by name (durations in seconds, sizes in bytes, enums as index). */
static inline double cb_params_get(const cb_params *p, const char *name) { return p->v[cb_params_index(p, name)]; }
static inline const char *cb_params_text(const cb_params *p, const char *name) { return p->text[cb_params_index(p, name)]; }

/* ---- the descriptor and the job ------------------------------------------ */

typedef enum { CB_KIND_CPU, CB_KIND_MEMORY, CB_KIND_IO, CB_KIND_SYNC, CB_NKINDS } cb_workload_kind;

typedef struct cb_job cb_job;

typedef struct cb_workload {
	unsigned abi;           /* CB_WORKLOAD_ABI, as the workload was built */
	const char *name;       /* "cpu.primes": letters, digits, '.', '_', '-' */
	const char *summary;    /* one line */
	cb_workload_kind kind;
	const cb_param_spec *params;
	size_t nparams;
	const char *checksum;   /* what the checksum covers, for list -v */
	/* Tasks are pure functions of their index (no state of their own), so
	 * weak scaling may replicate them: task i of a job scaled k times is
	 * task i mod ntasks of the base job. */
	bool pure_tasks;
	/* Tasks meet in memory all executors of one machine share (a common
	 * counter): the answer needs one shared address space or MAP_SHARED
	 * region, so strategies that spread over machines (mpi) skip it. */
	bool shared_memory;
	/* Untimed, once per job and again in every process that measures it
	 * (before any strategy forks a pool, so pools inherit the inputs):
	 * validate, allocate job->state, set job->ntasks. 0, or -1 with err. */
	int (*setup)(cb_job *job, cb_error *err);
	/* Timed serial phase before the parallel section; may be NULL. */
	int (*pre)(cb_job *job, cb_error *err);
	/* One task: its partial result into *out. Runs concurrently with other
	 * tasks in threads, processes or coroutines, so it writes no shared
	 * state but *out. Must not block except through io. 0 or -errno. */
	int (*task)(const cb_job *job, size_t i, cb_io *io, uint64_t *out);
	/* Timed serial phase after it: fold job->partials into the checksum.
	 * NULL in a plug-in means cb_partials_hash. */
	uint64_t (*post)(cb_job *job);
	/* Untimed, once per job; may be NULL. Must release everything. */
	void (*teardown)(cb_job *job);
	/* May be NULL. The work one job does, counted in *unit ("flop", "B"),
	 * for the workload's own figure of merit (rate = units / time). */
	double (*work_units)(const cb_job *job, const char **unit);
	/* May be NULL. A lower bound on one serial repetition that no CPU
	 * shortens (io.sleep: tasks x latency), for the plan's estimate: the
	 * serial reference run skips sleeps. */
	double (*serial_wait_s)(const cb_job *job);
} cb_workload;

struct cb_job {
	/* What a workload reads (and, where said, writes). */
	const cb_workload *wl;
	cb_size size;
	cb_params params;    /* read with cb_job_param */
	int scale;           /* weak scaling factor (1 = strong scaling) */
	size_t ntasks;       /* setup sets it; then base_ntasks x scale */
	void *state;         /* the workload's own: setup sets, teardown frees */
	uint64_t *partials;  /* [ntasks], shared memory, written by tasks */
	bool reference_run;  /* true while the serial reference is computed */
	/* The engine's own from here on: a workload does not touch them. */
	size_t base_ntasks;  /* tasks of the unscaled job, as setup made it */
	double *task_s;      /* [ntasks], shared memory: each task's latency,
	                        recorded for kind CB_KIND_IO only, else NULL */
	uint64_t reference;  /* the serial answer, computed once at job setup */
	char *error;         /* set on a job whose setup failed (cb_job_failed) */
	/* The work one job does (wl->work_units), taken at creation so that a
	 * released job still states it; NAN and NULL when not declared. */
	double work;
	const char *work_unit;
	/* How long the workload's setup and the serial reference run took
	 * when the job was created (sleeps skipped): what the plan's estimate
	 * starts from. 0 for a failed job. */
	double setup_s, reference_s;
	bool released;       /* inputs given back (cb_job_release); see reopen */
	/* What the reference run's first pass over fresh memory cost beyond a
	 * warm pass (its first-touch page faults): a measuring process pays it
	 * once, in its warmup. 0 when that run touched little new memory;
	 * otherwise reference_s is the warm pass plus post. */
	double cold_extra_s;
	/* How many times the reference run ran pre and its tasks: 1, or 2
	 * where the first pass touched much new memory (0 for a failed job). */
	int reference_passes;
};

static inline double cb_job_param(const cb_job *job, const char *name)
{
	return cb_params_get(&job->params, name);
}

/* Order-dependent 64-bit mixing for checksums. */
static inline uint64_t cb_mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 31);
}

/* The usual merge: an ordered hash of every partial, seeded with h (so a
 * workload can fold its serial phases in). Usable as a workload's post. */
static inline uint64_t cb_partials_hash_from(const cb_job *job, uint64_t h)
{
	for (size_t i = 0; i < job->ntasks; i++)
		h = cb_mix64(h, job->partials[i]);
	return h;
}

static inline uint64_t cb_partials_hash(cb_job *job) { return cb_partials_hash_from(job, 0); }

#ifdef __cplusplus
}
#endif

#endif
