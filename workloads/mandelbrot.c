/* cpu.mandelbrot: escape-time iteration counts of a width x height image
 * of the Mandelbrot set; one task per row. Rows through the set run to the
 * iteration limit while rows outside escape at once, so the work per task
 * is very uneven: static blocks leave workers idle where dynamic claims do
 * not, which is what this workload is for. */
#include <stdlib.h>

#include "engine/workload.h"

typedef struct { int width, height, iters; double x0, y0, dx, dy; } mandel_state;

static const cb_param_spec params[] = {
	{ "width", CB_PARAM_INT, { "96", "640", "1024", "2560" }, 1, 1 << 16, NULL,
	  "image width in pixels" },
	{ "height", CB_PARAM_INT, { "48", "320", "512", "1280" }, 1, 1 << 16, NULL,
	  "image height in pixels = tasks (one per row)" },
	{ "iters", CB_PARAM_INT, { "256", "256", "512", "1024" }, 1, 1 << 24, NULL,
	  "iteration limit per pixel (points that reach it are in the set)" },
};

/* The view [-2.2, 0.8] x [-0.25, 1.25]: the upper half of the set and a
 * little of the lower. The set is symmetric about the real axis, so a
 * symmetric view would hand two static blocks equal work by accident;
 * here the costly rows (the cardioid) are in the first half of the
 * image and the cheap ones (the bulbs, then nothing) in the second. */
static int setup(cb_job *job, cb_error *err)
{
	(void)err;
	mandel_state *s = cb_xcalloc(1, sizeof *s);
	s->width = (int)cb_job_param(job, "width");
	s->height = (int)cb_job_param(job, "height");
	s->iters = (int)cb_job_param(job, "iters");
	s->x0 = -2.2;
	s->y0 = -0.25;
	s->dx = 3.0 / s->width;
	s->dy = 1.5 / s->height;
	job->state = s;
	job->ntasks = (size_t)s->height;
	return 0;
}

static int task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	(void)io;
	const mandel_state *s = job->state;
	double ci = s->y0 + (double)i * s->dy;
	uint64_t h = i;
	for (int x = 0; x < s->width; x++) {
		double cr = s->x0 + x * s->dx, zr = 0, zi = 0;
		int n = 0;
		while (n < s->iters && zr * zr + zi * zi <= 4.0) {
			double t = zr * zr - zi * zi + cr;
			zi = 2 * zr * zi + ci;
			zr = t;
			n++;
		}
		h = cb_mix64(h, (uint64_t)n);
	}
	*out = h;
	return 0;
}

static uint64_t post(cb_job *job)
{
	return cb_partials_hash(job);
}

static void teardown(cb_job *job) { free(job->state); }

const cb_workload cb_wl_mandelbrot = {
	.abi = CB_WORKLOAD_ABI,
	.name = "cpu.mandelbrot",
	.summary = "Mandelbrot escape-time image; tasks are rows of very uneven cost (static vs dynamic)",
	.kind = CB_KIND_CPU,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "the iteration count of every pixel, hashed in row-major order",
	.setup = setup,
	.task = task,
	.post = post,
	.teardown = teardown,
	.pure_tasks = true,
};
