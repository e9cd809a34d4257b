/* mem.stream: the STREAM triad a[i] = b[i] + q * c[i] over three arrays
 * meant to be far larger than the last-level cache; tasks are equal
 * page-aligned chunks; the figure of merit is B/s, counted as STREAM does
 * (24 bytes per element, no write-allocate traffic).
 *
 * First touch. The arrays are shared memory, so forked workers see them;
 * a page of shared memory lands on the NUMA node of the first process or
 * thread that touches it. The reference run at job creation would be that
 * toucher (the main thread, every page), so the reference run's post()
 * hands every page back (MADV_REMOVE) and
 * clears the per-chunk "initialised" marks. The first task to run a chunk
 * afterwards writes b and c of that chunk before its triad: the worker
 * that uses a page is the one that places it, as STREAM's parallel
 * initialisation does. That first repetition pays for page faults and the
 * initialisation; the runner's warm-up repetition absorbs it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/topology.h"
#include "engine/workload.h"

#define QUANTUM 512          /* elements per 4 KiB page: chunks never share a page */
#define Q 3.0

typedef struct {
	size_t n, chunk, bytes;  /* elements per array, per task; bytes of one array */
	int passes;              /* triads per task */
	double *a, *b, *c;
	unsigned char *ready;    /* [ntasks], shared: chunk's b and c written */
} stream_state;

static const cb_param_spec params[] = {
	{ "bytes", CB_PARAM_BYTES, { "768k", "48M", "0", "0" }, 0, 1ULL << 40, NULL,
	  "memory of the three arrays together; 0 = auto: 3 arrays of 4x the last-level cache "
	  "(hwloc), capped at 1/8 of RAM and 1G in all (VMs often report a huge L3 - 480M here - "
	  "and the cap decides); results record the size used" },
	{ "tasks", CB_PARAM_INT, { "8", "32", "64", "256" }, 1, 1e6, NULL,
	  "equal chunks the arrays are split into (page-aligned)" },
	{ "passes", CB_PARAM_INT, { "1", "16", "1", "1" }, 1, 1e6, NULL,
	  "times each task runs the triad over its chunk, pass p with q = 3 + p: a repetition long "
	  "enough to time without arrays so large that setting them up dominates (quick)" },
};

/* The auto size: 3 x 4 x LLC, capped at min(RAM / 8, 1 GiB). */
static int auto_bytes(double *out, cb_error *err)
{
	cb_topology *t;
	if (cb_topology_open(&t, NULL, err))
		return -1;
	cb_topology_summary sum;
	cb_topology_summarize(t, &sum);
	cb_topology_free(t);
	double ram = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
	if (sum.memory_bytes && (double)sum.memory_bytes < ram)
		ram = (double)sum.memory_bytes;
	double want = 3.0 * 4.0 * (double)(sum.llc_bytes ? sum.llc_bytes : 32u << 20);
	double cap = ram / 8 < (double)(1u << 30) ? ram / 8 : (double)(1u << 30);
	*out = want < cap ? want : cap;
	return 0;
}

static double *map_array(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void teardown(cb_job *job)
{
	stream_state *s = job->state;
	if (s->a) munmap(s->a, s->bytes);
	if (s->b) munmap(s->b, s->bytes);
	if (s->c) munmap(s->c, s->bytes);
	cb_shared_free(s->ready, job->ntasks);
	free(s);
	job->state = NULL;
}

static int setup(cb_job *job, cb_error *err)
{
	double total = cb_job_param(job, "bytes");
	size_t tasks = (size_t)cb_job_param(job, "tasks");
	bool is_auto = total == 0;
	if (is_auto && auto_bytes(&total, err))
		return -1;
	stream_state *s = cb_xcalloc(1, sizeof *s);
	job->state = s;
	size_t n = (size_t)(total / 3 / sizeof(double));
	if (is_auto) {
		/* Whole pages, and the size that ran goes into the results. */
		n = n / QUANTUM * QUANTUM;
		char text[32];
		snprintf(text, sizeof text, "%zuk", 3 * n * sizeof(double) / 1024);
		cb_params_set_text(&job->params, "bytes", text);
	}
	size_t chunk = (n + tasks - 1) / tasks;
	chunk = (chunk + QUANTUM - 1) / QUANTUM * QUANTUM;
	if (n < 1 || chunk == 0)
		return cb_error_set(err, CB_EXIT_USAGE, "mem.stream: bytes=%s gives no elements (valid: 0 for auto, or at least 24)",
		                    cb_params_text(&job->params, "bytes"));
	s->n = n;
	s->chunk = chunk;
	s->passes = (int)cb_job_param(job, "passes");
	s->bytes = n * sizeof(double);
	job->ntasks = (n + chunk - 1) / chunk;
	s->ready = cb_shared_alloc(job->ntasks);
	if (!(s->a = map_array(s->bytes)) || !(s->b = map_array(s->bytes)) || !(s->c = map_array(s->bytes)))
		return cb_error_set(err, CB_EXIT_ENV, "mem.stream: cannot map 3 arrays of %zu bytes: %s", s->bytes,
		                    strerror(errno));
	return 0;
}

/* Integer values: every sum below is exact, so the order of the four
 * accumulators cannot change the answer. */
static void init_chunk(const stream_state *s, size_t lo, size_t hi)
{
	for (size_t i = lo; i < hi; i++) {
		s->b[i] = (double)(i & 1023);
		s->c[i] = (double)((i >> 10) & 1023);
	}
}

static int task(const cb_job *job, size_t t, cb_io *io, uint64_t *out)
{
	(void)io;
	const stream_state *s = job->state;
	size_t lo = t * s->chunk, hi = lo + s->chunk < s->n ? lo + s->chunk : s->n;
	if (!s->ready[t]) {
		init_chunk(s, lo, hi);
		s->ready[t] = 1;
	}
	double *restrict a = s->a;
	const double *restrict b = s->b, *restrict c = s->c;
	uint64_t h = 0;
	for (int p = 0; p < s->passes; p++) {
		/* Each pass its own q: no pass repeats another's work. */
		const double q = Q + p;
		double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
		size_t i = lo;
		for (; i + 4 <= hi; i += 4) {
			a[i] = b[i] + q * c[i];
			a[i + 1] = b[i + 1] + q * c[i + 1];
			a[i + 2] = b[i + 2] + q * c[i + 2];
			a[i + 3] = b[i + 3] + q * c[i + 3];
			s0 += a[i];
			s1 += a[i + 1];
			s2 += a[i + 2];
			s3 += a[i + 3];
		}
		for (; i < hi; i++) {
			a[i] = b[i] + q * c[i];
			s0 += a[i];
		}
		h = p ? cb_mix64(h, (uint64_t)(s0 + s1 + s2 + s3)) : (uint64_t)(s0 + s1 + s2 + s3);
	}
	*out = h;
	return 0;
}

static uint64_t post(cb_job *job)
{
	stream_state *s = job->state;
	if (job->reference_run) {
		/* The reference run's post: give the pages back so that the
		 * workers of the first repetition touch them first. Where the
		 * kernel refuses, the main thread's placement stays. (A job
		 * reopened in a measuring process never ran the reference
		 * there: its pages are untouched already.) */
		madvise(s->a, s->bytes, MADV_REMOVE);
		madvise(s->b, s->bytes, MADV_REMOVE);
		madvise(s->c, s->bytes, MADV_REMOVE);
		memset(s->ready, 0, job->ntasks);
	}
	return cb_partials_hash(job);
}

static double work_units(const cb_job *job, const char **unit)
{
	const stream_state *s = job->state;
	*unit = "B";
	return 3.0 * (double)s->bytes * s->passes;
}

const cb_workload cb_wl_stream = {
	.abi = CB_WORKLOAD_ABI,
	.name = "mem.stream",
	.summary = "STREAM triad a = b + q*c over arrays beyond the LLC; first touch by the workers; B/s",
	.kind = CB_KIND_MEMORY,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "the sum of a[] over every chunk (exact: integer-valued doubles), in chunk order",
	.setup = setup,
	.task = task,
	.post = post,
	.teardown = teardown,
	.work_units = work_units,
};
