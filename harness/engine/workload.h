/* The engine's side of the workload contract. What a workload is (the
 * descriptor cb_workload, the job it sees, the I/O interface, parameters)
 * is the public header include/concbench/workload.h, which the built-in
 * workloads (one file each under workloads/, one line each in
 * workloads/registry.c) and run-time plug-ins (engine/plugin.c) share:
 * one contract. Here: the registry, the job's lifecycle, and the names a
 * `-w` item may take. */
#ifndef CB_WORKLOAD_H
#define CB_WORKLOAD_H

#include "base/common.h"
#include "base/io.h"
#include "base/params.h"

extern const char *const cb_kind_names[CB_NKINDS];

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
#endif
