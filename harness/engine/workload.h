/* A workload is `ntasks` independent tasks, each a function of (job, task
 * index, io) returning a 64-bit partial; `post` folds the partials into the
 * checksum that every strategy must reproduce. One file per workload under
 * workloads/, one line per workload in workloads/registry.c. */
#ifndef CB_WORKLOAD_H
#define CB_WORKLOAD_H

#include "base/common.h"
#include "base/io.h"
#include "base/params.h"

typedef enum { CB_KIND_CPU, CB_KIND_MEMORY, CB_KIND_IO, CB_KIND_SYNC, CB_NKINDS } cb_workload_kind;
extern const char *const cb_kind_names[CB_NKINDS];

typedef struct cb_job cb_job;

typedef struct cb_workload {
	const char *name;       /* "cpu.primes" */
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
	 * region, so strategies that spread over machines (EXTERNAL) skip it. */
	bool shared_memory;
	/* Untimed, once per job (before any strategy forks a pool, so pools
	 * inherit the inputs): validate, allocate, set job->ntasks. */
	int (*setup)(cb_job *job, cb_error *err);
	/* Timed serial phase before the parallel section; may be NULL. */
	int (*pre)(cb_job *job, cb_error *err);
	/* One task. Must not block except through io. 0 or -errno. */
	int (*task)(const cb_job *job, size_t i, cb_io *io, uint64_t *out);
	/* Timed serial phase after it: fold job->partials into the checksum. */
	uint64_t (*post)(cb_job *job);
	/* Untimed, once per job; may be NULL. Must release everything. */
	void (*teardown)(cb_job *job);
	/* May be NULL. The work one job does, counted in *unit ("flop", "B",
	 * "inc"), for the workload's own figure of merit: the results carry
	 * rate = units / median wall time, rate_unit = "<unit>/s". */
	double (*work_units)(const cb_job *job, const char **unit);
	/* May be NULL. A lower bound on one serial repetition of the unscaled
	 * job that no CPU shortens, where the workload knows it (io.sleep:
	 * tasks x latency): the serial reference run skips such waits, so the
	 * plan's estimate of how long a run takes adds it back (divided by the
	 * tasks in flight for a concurrent cell). */
	double (*serial_wait_s)(const cb_job *job);
} cb_workload;

struct cb_job {
	const cb_workload *wl;
	cb_size size;
	cb_params params;
	int scale;           /* weak scaling factor (1 = strong scaling) */
	size_t base_ntasks;  /* tasks of the unscaled job, as setup made it */
	size_t ntasks;       /* base_ntasks x scale */
	void *state;         /* the workload's own */
	uint64_t *partials;  /* [ntasks], shared memory, written by tasks */
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
	bool reference_run;  /* true while the serial reference is computed */
};

extern const cb_workload *const cb_workloads[];  /* NULL-terminated */
const cb_workload *cb_workload_find(const char *name);
/* "cpu.primes, synth.amdahl, ..." for error messages. */
void cb_workload_names(char *buf, size_t n);

/* Creates the job: params from defaults at `size` and kv (marking used),
 * setup, shared partials, and the serial reference checksum. */
int cb_job_create(cb_job **out, const cb_workload *wl, cb_size size, int scale,
                  const cb_kv *kv, size_t nkv, bool *used, cb_error *err);
void cb_job_free(cb_job *job);
/* Gives back a job's inputs (teardown, partials) and keeps what describes
 * it: parameters, task count, work and the serial reference. The runner's
 * parent process holds only released jobs, so that what it forks carries no
 * other cell's footprint. */
void cb_job_release(cb_job *job);
/* Sets a released job up again in the process that measures it: setup and
 * shared partials, the reference kept (never recomputed). The task count
 * must come out as it did at creation. */
int cb_job_reopen(cb_job *job, cb_error *err);
/* Runs task i of the (possibly scaled) job into its partial: the one way
 * every strategy calls a task. */
static inline int cb_job_task(const cb_job *job, size_t i, cb_io *io)
{
	return job->wl->task(job, i % job->base_ntasks, io, &job->partials[i]);
}

/* A stand-in for a job whose setup or reference run failed for a reason
 * other than bad input (a port in use, a full disk): it holds the workload's
 * parameters and `why`, so that the plan can fail that job's cells with the
 * reason and run the others. NULL if the parameters themselves are bad. */
cb_job *cb_job_failed(const cb_workload *wl, cb_size size, const cb_kv *kv, size_t nkv,
                      const char *why);
static inline double cb_job_param(const cb_job *job, const char *name)
{
	return cb_params_get(&job->params, name);
}

/* FNV-1a style mixing for checksums; order-dependent. */
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

#endif
