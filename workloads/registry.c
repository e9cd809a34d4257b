/* The workload table: one line per workload. Listing, lookup and "unknown
 * workload" errors are all generated from it. */
#include "engine/workload.h"

extern const cb_workload cb_wl_primes;
extern const cb_workload cb_wl_amdahl;
extern const cb_workload cb_wl_sleep;
extern const cb_workload cb_wl_mandelbrot;
extern const cb_workload cb_wl_matmul;
extern const cb_workload cb_wl_stream;
extern const cb_workload cb_wl_counter;
extern const cb_workload cb_wl_tcp;
extern const cb_workload cb_wl_file;
extern const cb_workload cb_wl_graph_deps;
extern const cb_workload cb_wl_graph_pipeline;

const cb_workload *const cb_workloads[] = {
	&cb_wl_primes,
	&cb_wl_amdahl,
	&cb_wl_sleep,
	&cb_wl_mandelbrot,
	&cb_wl_matmul,
	&cb_wl_stream,
	&cb_wl_counter,
	&cb_wl_tcp,
	&cb_wl_file,
	&cb_wl_graph_deps,
	&cb_wl_graph_pipeline,
	NULL,
};

const char *cb_graph_dependencies(const cb_job *job, cb_deps_way way);
size_t cb_graph_inputs(const cb_job *job, size_t k, size_t *in);

/* Each workload whose tasks wait on each other says how, from its own
 * code (graph.c: what its tasks' waits do). */
const char *cb_workload_dependencies(const cb_job *job, cb_deps_way way)
{
	return job && !job->error ? cb_graph_dependencies(job, way) : NULL;
}

size_t cb_workload_inputs(const cb_job *job, size_t k, size_t *in)
{
	return job && !job->error ? cb_graph_inputs(job, k, in) : 0;
}
