/* Jobs: one workload instance (parameters, inputs, shared partials) and its
 * serial reference answer, computed once when the job is created so that
 * every cell of every strategy is checked against the same number. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/workload.h"

const char *const cb_kind_names[CB_NKINDS] = { "cpu", "memory", "io", "sync" };

const cb_workload *cb_workload_find(const char *name)
{
	for (const cb_workload *const *w = cb_workloads; *w; w++)
		if (!strcmp((*w)->name, name))
			return *w;
	return cb_loaded_find(name);
}

void cb_workload_names(char *buf, size_t n)
{
	size_t off = 0;
	buf[0] = 0;
	for (const cb_workload *const *w = cb_workloads; *w && off < n; w++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", w == cb_workloads ? "" : ", ", (*w)->name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t cb_python_twins(char ***out)
{
	char *dir = cb_shipped_dir("python", "workloads/python", NULL);
	DIR *d = dir ? opendir(dir) : NULL;
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 3, ".py") || e->d_name[0] == '.')
			continue;
		names = cb_xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = cb_xasprintf("py.%.*s", (int)(len - 3), e->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	*out = names;
	return n;
}

int cb_workload_resolve(const char *item, const cb_workload **out, cb_error *err)
{
	if (!strncmp(item, "py:", 3))
		return cb_python_load(item + 3, out, err);
	if (strchr(item, '/'))
		return cb_plugin_load(item, out, err);
	if ((*out = cb_workload_find(item)))
		return 0;
	/* The Python twins of built-ins ship as workloads/python/NAME.py. */
	if (!strncmp(item, "py.", 3) && !strchr(item, '/')) {
		char *file = cb_xasprintf("%s.py", item + 3), *dir = cb_shipped_dir("python", "workloads/python", file);
		char *path = dir ? cb_xasprintf("%s/%s", dir, file) : NULL;
		int rc = !path ? 1 : cb_python_load(path, out, err);
		free(path);
		free(dir);
		free(file);
		if (rc <= 0)
			return rc;
	}
	char names[1024], twins[512] = "";
	cb_workload_names(names, sizeof names);
	char **tw;
	size_t ntw = cb_python_twins(&tw);
	for (size_t i = 0; i < ntw; i++) {
		size_t used = strlen(twins);
		snprintf(twins + used, sizeof twins - used, "%s%s", i ? ", " : "", tw[i]);
		free(tw[i]);
	}
	free(tw);
	return cb_error_set(err, CB_EXIT_USAGE, "unknown workload '%s' (known: %s; Python twins py.NAME: %s; "
	                    "or a plug-in's path, which contains a '/', or py:FILE.py)", item, names,
	                    ntw ? twins : "none found");
}

/* pre and every base task in order: the reference run's parallel part. */
static int reference_pass(cb_job *job, cb_io *io, cb_error *err)
{
	int rc = job->wl->pre ? job->wl->pre(job, err) : 0;
	for (size_t i = 0; !rc && i < job->base_ntasks; i++) {
		rc = cb_job_task(job, i, io);
		if (rc) {
			char said[400];
			if (cb_task_error_take(said, sizeof said))
				cb_error_set(err, CB_EXIT_FAIL, "%s: serial reference run: task %zu %s", job->wl->name, i,
				             said);
			else
				cb_error_set(err, CB_EXIT_FAIL, "%s: serial reference run failed at task %zu: %s",
				             job->wl->name, i, strerror(-rc));
			rc = -1;
		}
	}
	return rc;
}

/* A first pass that faulted in more than this many pages (4 MiB) of new
 * memory says little of a repetition, which runs warm: mem.stream's 1 GiB
 * of arrays cost 3-4 s cold against 34 ms warm, and the plan's estimate
 * of the default suite came out at 13-14 minutes for a 9-minute run. */
enum { COLD_FAULTS = 1024 };

/* The serial answer: pre, every task in order, post, in the calling thread
 * with the blocking I/O interface, except that sleeps return at once: a
 * sleep cannot change an answer, and io.sleep's 10,000 tasks of 10 ms would
 * make every job cost 100 s before its first cell. A scaled job's replicated
 * tasks have their base task's partial, so only the base tasks are run.
 * Where the first pass touched much new memory, pre and the tasks run a
 * second time, as every repetition runs them again, to time a warm pass. */
static int compute_reference(cb_job *job, cb_error *err)
{
	cb_io io = { &cb_io_nosleep_ops, NULL };
	job->reference_run = true;
	struct rusage u0, u1;
	getrusage(RUSAGE_THREAD, &u0);
	double t0 = cb_now();
	int rc = reference_pass(job, &io, err);
	double t1 = cb_now();
	getrusage(RUSAGE_THREAD, &u1);
	job->reference_passes = 1;
	if (!rc && u1.ru_minflt - u0.ru_minflt > COLD_FAULTS) {
		job->reference_passes = 2;
		rc = reference_pass(job, &io, err);
		double t2 = cb_now();
		job->cold_extra_s = (t1 - t0) - (t2 - t1) > 0 ? (t1 - t0) - (t2 - t1) : 0;
		t0 = t1;
		t1 = t2;
	}
	for (size_t i = job->base_ntasks; !rc && i < job->ntasks; i++)
		job->partials[i] = job->partials[i % job->base_ntasks];
	if (!rc)
		job->reference = job->wl->post(job);
	job->reference_s = cb_now() - t0;
	job->reference_run = false;
	return rc;
}

static void alloc_shared(cb_job *job)
{
	job->partials = cb_shared_alloc(job->ntasks * sizeof *job->partials);
	if (job->wl->kind == CB_KIND_IO)
		job->task_s = cb_shared_alloc(job->ntasks * sizeof *job->task_s);
}

int cb_job_create(cb_job **out, const cb_workload *wl, cb_size size, int scale,
                  const cb_kv *kv, size_t nkv, bool *used, cb_error *err)
{
	cb_job *job = cb_xcalloc(1, sizeof *job);
	job->wl = wl;
	job->size = size;
	job->scale = scale > 0 ? scale : 1;
	if (cb_params_init(&job->params, wl->params, wl->nparams, size, kv, nkv, used, wl->name, err))
		goto fail;
	double t0 = cb_now();
	if (wl->setup(job, err))
		goto fail;
	job->setup_s = cb_now() - t0;
	if (!job->ntasks) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: the parameters give no tasks", wl->name);
		goto fail;
	}
	if (job->scale > 1 && !wl->pure_tasks) {
		cb_error_set(err, CB_EXIT_USAGE, "%s cannot be scaled (weak scaling needs tasks that are pure "
		             "functions of their index; use --scaling strong)", wl->name);
		goto fail;
	}
	job->base_ntasks = job->ntasks;
	job->ntasks *= (size_t)job->scale;
	alloc_shared(job);
	job->work = NAN;
	if (wl->work_units)
		job->work = wl->work_units(job, &job->work_unit);
	if (compute_reference(job, err))
		goto fail;
	*out = job;
	return 0;
fail:
	cb_job_free(job);
	return -1;
}

static void free_inputs(cb_job *job)
{
	if (job->state && job->wl->teardown)
		job->wl->teardown(job);
	job->state = NULL;
	if (job->partials)
		cb_shared_free(job->partials, job->ntasks * sizeof *job->partials);
	if (job->task_s)
		cb_shared_free(job->task_s, job->ntasks * sizeof *job->task_s);
	job->partials = NULL;
	job->task_s = NULL;
}

void cb_job_release(cb_job *job)
{
	if (job->error || job->released)
		return;
	free_inputs(job);
	job->released = true;
}

int cb_job_reopen(cb_job *job, cb_error *err)
{
	if (!job->released)
		return 0;
	size_t want = job->base_ntasks;
	char before[2048], after[2048];
	cb_params_format(&job->params, before, sizeof before);
	if (job->wl->setup(job, err)) {
		free_inputs(job);
		job->ntasks = want * (size_t)job->scale;
		return -1;
	}
	/* The same job, or the serial answer checks another one: a setup that
	 * resolved a parameter again (an auto size from a topology read that
	 * differed) would compute a different answer. */
	cb_params_format(&job->params, after, sizeof after);
	if (strcmp(before, after)) {
		job->ntasks = want * (size_t)job->scale;
		free_inputs(job);
		return cb_error_set(err, CB_EXIT_FAIL, "%s: setup resolved the parameters to '%s' in the measuring "
		                    "process, '%s' when the job was created", job->wl->name, after, before);
	}
	if (job->ntasks != want) {
		size_t got = job->ntasks;
		job->ntasks = want * (size_t)job->scale;
		free_inputs(job);
		return cb_error_set(err, CB_EXIT_FAIL, "%s: setup gave %zu tasks in the measuring process, "
		                    "%zu when the job was created", job->wl->name, got, want);
	}
	job->ntasks = want * (size_t)job->scale;
	alloc_shared(job);
	job->released = false;
	return 0;
}

void cb_job_free(cb_job *job)
{
	if (!job)
		return;
	free_inputs(job);
	cb_params_free(&job->params);
	free(job->error);
	free(job);
}

cb_job *cb_job_failed(const cb_workload *wl, cb_size size, const cb_kv *kv, size_t nkv,
                      const char *why)
{
	cb_error err = { 0 };
	cb_job *job = cb_xcalloc(1, sizeof *job);
	job->wl = wl;
	job->size = size;
	job->scale = 1;
	if (cb_params_init(&job->params, wl->params, wl->nparams, size, kv, nkv, NULL, wl->name, &err)) {
		free(job);
		return NULL;
	}
	job->error = cb_xstrdup(why);
	job->work = NAN;
	return job;
}
