/* cpu.matmul: C = A x B for dense n x n doubles, blocked for the cache;
 * one task per block of rows of C. Each element is summed over k in
 * ascending order by the same code whichever worker runs its block, so
 * every strategy produces the same bits; the figure of merit is flop/s.
 * A and B are private (read-only after setup, shared copy-on-write with
 * forked workers); C is shared memory with disjoint rows per task, so a
 * forked worker writes it without copy-on-write faults. */
#include <stdlib.h>
#include <string.h>

#include "engine/workload.h"

typedef struct { size_t n, bs; double *a, *b, *c; } matmul_state;

static const cb_param_spec params[] = {
	{ "n", CB_PARAM_INT, { "48", "512", "1024", "2048" }, 1, 16384, NULL,
	  "matrix order (A, B and C are n x n doubles)" },
	{ "block", CB_PARAM_INT, { "8", "32", "32", "64" }, 1, 16384, NULL,
	  "rows per task and edge of the cache tile" },
};

static int setup(cb_job *job, cb_error *err)
{
	(void)err;
	matmul_state *s = cb_xcalloc(1, sizeof *s);
	s->n = (size_t)cb_job_param(job, "n");
	s->bs = (size_t)cb_job_param(job, "block");
	if (s->bs > s->n)
		s->bs = s->n;
	size_t n = s->n;
	s->a = cb_pages_alloc(n * n * sizeof *s->a);
	s->b = cb_pages_alloc(n * n * sizeof *s->b);
	s->c = cb_shared_alloc(n * n * sizeof *s->c);
	/* Inputs in [-0.5, 0.5) with no pattern that would make the products
	 * exact: rounding happens, so a changed summation order shows. */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n; k++) {
			s->a[i * n + k] = (double)((i * 131 + k * 71) % 1009) / 1009.0 - 0.5;
			s->b[i * n + k] = (double)((i * 37 + k * 113 + 7) % 1013) / 1013.0 - 0.5;
		}
	job->state = s;
	job->ntasks = (n + s->bs - 1) / s->bs;
	return 0;
}

static int task(const cb_job *job, size_t t, cb_io *io, uint64_t *out)
{
	(void)io;
	const matmul_state *s = job->state;
	size_t n = s->n, bs = s->bs, i0 = t * bs, i1 = i0 + bs < n ? i0 + bs : n;
	const double *a = s->a, *b = s->b;
	double *c = s->c;
	memset(c + i0 * n, 0, (i1 - i0) * n * sizeof *c);
	/* For a given element the kk tiles come in ascending order, and k
	 * ascends inside each: one fixed order of summation. */
	for (size_t kk = 0; kk < n; kk += bs) {
		size_t k1 = kk + bs < n ? kk + bs : n;
		for (size_t jj = 0; jj < n; jj += bs) {
			size_t j1 = jj + bs < n ? jj + bs : n;
			for (size_t i = i0; i < i1; i++) {
				double *ci = c + i * n;
				for (size_t k = kk; k < k1; k++) {
					double aik = a[i * n + k];
					const double *bk = b + k * n;
					for (size_t j = jj; j < j1; j++)
						ci[j] += aik * bk[j];
				}
			}
		}
	}
	uint64_t h = t;
	for (size_t i = i0 * n; i < i1 * n; i++) {
		uint64_t bits;
		memcpy(&bits, &c[i], sizeof bits);
		h = cb_mix64(h, bits);
	}
	*out = h;
	return 0;
}

static uint64_t post(cb_job *job)
{
	return cb_partials_hash(job);
}

static void teardown(cb_job *job)
{
	matmul_state *s = job->state;
	cb_pages_free(s->a, s->n * s->n * sizeof *s->a);
	cb_pages_free(s->b, s->n * s->n * sizeof *s->b);
	cb_shared_free(s->c, s->n * s->n * sizeof *s->c);
	free(s);
}

static double work_units(const cb_job *job, const char **unit)
{
	const matmul_state *s = job->state;
	*unit = "flop";
	return 2.0 * (double)s->n * (double)s->n * (double)s->n;
}

const cb_workload cb_wl_matmul = {
	.abi = CB_WORKLOAD_ABI,
	.name = "cpu.matmul",
	.summary = "blocked dense double matrix multiply C = A x B; tasks are row blocks; flop/s",
	.kind = CB_KIND_CPU,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "the bits of every element of C, hashed in row-major order",
	.setup = setup,
	.task = task,
	.post = post,
	.teardown = teardown,
	.work_units = work_units,
};
