/* Task Bench run the way concbench's `threads` strategy runs graph.deps:
 * a program on Task Bench's own core library (StanfordLegion/task-bench,
 * core/core_c.h: its graph, its kernel, its input checks, its timing
 * report), so that scripts/task-bench-check can set concbench's threads
 * against an independent harness running the same model, as it sets
 * concbench's openmp against Task Bench's openmp/main.
 *
 * The model, as concbench's threads and graph.deps have it: `-worker N`
 * pthreads created for the run and joined after it (inside the timed
 * region), each bound to one PU of the process's CPU set in order (the
 * attributes prepared before), claiming tasks in index order from one
 * shared counter (dynamic:1, concbench's default schedule); a task waits
 * for each of its inputs on a flag per task in shared memory, checking it
 * up to SPIN_BEFORE_SLEEP times and then sleeping on it (a futex), and its
 * writer sets the flag and wakes the sleepers if there are any.
 *
 *   threads [Task Bench's flags] -worker N
 *
 * One graph (no -and), every output kept (no -field). Built by
 * scripts/task-bench-check against Task Bench's core:
 *   gcc -std=c11 -O3 -march=native -I core threads.c core/libcore_s.a -lstdc++ -lpthread -lm
 * Exit status: 0 ran, 2 bad arguments, 3 the system refused (memory,
 * threads, binding).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core_c.h"

#define SPIN_BEFORE_SLEEP 20000   /* as graph.c's: flag checks before sleeping */

struct flag {
	_Alignas(64) _Atomic uint32_t done;   /* a cache line a task, as graph.c's */
	_Atomic uint32_t waiters;
};

typedef struct {
	task_graph_t g;
	long steps, width, ntasks;
	struct flag *flag;            /* a flag per task, MAP_SHARED as graph.c's */
	char *out;                    /* every task's output, a cache line apart as graph.c's */
	size_t stride;                /* output_bytes rounded up to a cache line */
	long *in_at, *in;             /* task k's inputs: in[in_at[k] .. in_at[k + 1]) */
	_Atomic long next;            /* the next task to claim */
} run_t;

typedef struct {
	run_t *r;
	char *scratch;
} worker_t;

static void die(int code, const char *what)
{
	fprintf(stderr, "threads: %s\n", what);
	exit(code);
}

static void wait_for(struct flag *f)
{
	for (long spin = 0; atomic_load_explicit(&f->done, memory_order_acquire) == 0; spin++) {
		if (spin < SPIN_BEFORE_SLEEP)
			continue;
		atomic_fetch_add(&f->waiters, 1);
		if (atomic_load(&f->done) == 0)
			syscall(SYS_futex, &f->done, FUTEX_WAIT, 0, NULL, NULL, 0);
		atomic_fetch_sub(&f->waiters, 1);
	}
}

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	run_t *r = w->r;
	size_t bytes = r->g.output_bytes_per_task, stride = r->stride;
	const char *ptr[r->width > 0 ? r->width : 1];
	size_t len[r->width > 0 ? r->width : 1];
	for (long k; (k = atomic_fetch_add(&r->next, 1)) < r->ntasks;) {
		long t = k / r->width, p = k % r->width;
		long n = 0;
		for (long j = r->in_at[k]; j < r->in_at[k + 1]; j++, n++) {
			wait_for(&r->flag[r->in[j]]);
			ptr[n] = r->out + (size_t)r->in[j] * stride;
			len[n] = bytes;
		}
		long off = task_graph_offset_at_timestep(r->g, t);
		if (p >= off && p < off + task_graph_width_at_timestep(r->g, t))
			task_graph_execute_point_scratch(r->g, t, p, r->out + (size_t)k * stride, bytes, ptr, len,
			                                 (size_t)n, w->scratch, r->g.scratch_bytes_per_task);
		struct flag *f = &r->flag[k];
		atomic_store(&f->done, 1);
		if (atomic_load(&f->waiters))
			syscall(SYS_futex, &f->done, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	}
	return NULL;
}

/* Task k's inputs: the tasks of the step before that its dependence set
 * names and that exist (Task Bench's execute_point checks the same). */
static void list_inputs(run_t *r)
{
	long cap = r->ntasks * 4 + 16, used = 0;
	r->in_at = malloc(sizeof *r->in_at * (size_t)(r->ntasks + 1));
	r->in = malloc(sizeof *r->in * (size_t)cap);
	if (!r->in_at || !r->in)
		die(3, "out of memory listing the graph's dependencies");
	for (long t = 0; t < r->steps; t++) {
		long off = task_graph_offset_at_timestep(r->g, t), wd = task_graph_width_at_timestep(r->g, t);
		long loff = task_graph_offset_at_timestep(r->g, t - 1), lwd = task_graph_width_at_timestep(r->g, t - 1);
		long dset = task_graph_dependence_set_at_timestep(r->g, t);
		for (long p = 0; p < r->width; p++) {
			long k = t * r->width + p;
			r->in_at[k] = used;
			if (t == 0 || p < off || p >= off + wd)
				continue;
			interval_list_t deps = task_graph_dependencies(r->g, dset, p);
			for (long s = 0; s < interval_list_num_intervals(deps); s++) {
				interval_t iv = interval_list_interval(deps, s);
				for (long d = iv.start; d <= iv.end; d++) {
					if (d < loff || d >= loff + lwd)
						continue;
					if (used == cap) {
						cap *= 2;
						r->in = realloc(r->in, sizeof *r->in * (size_t)cap);
						if (!r->in)
							die(3, "out of memory listing the graph's dependencies");
					}
					r->in[used++] = (t - 1) * r->width + d;
				}
			}
			interval_list_destroy(deps);
		}
	}
	r->in_at[r->ntasks] = used;
}

int main(int argc, char **argv)
{
	long workers = 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-worker")) {
			char *end;
			workers = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
			if (i + 1 >= argc || *end || workers < 1 || workers > 4096)
				die(2, "-worker needs a whole number of workers from 1 to 4096");
		} else if (!strcmp(argv[i], "-and") || !strcmp(argv[i], "-field")) {
			fprintf(stderr, "threads: %s is not supported: one graph, every output kept\n", argv[i]);
			return 2;
		}
	app_t app = app_create(argc, argv);
	task_graph_list_t graphs = app_task_graphs(app);
	run_t r = { .g = task_graph_list_task_graph(graphs, 0) };
	r.steps = r.g.timesteps;
	r.width = r.g.max_width;
	r.ntasks = r.steps * r.width;
	r.stride = (r.g.output_bytes_per_task + 63) / 64 * 64;
	if (r.ntasks <= 0 || (size_t)r.ntasks > ((size_t)1 << 40) / (r.stride + sizeof(struct flag)))
		die(2, "the graph (-steps x -width) is empty or too large to keep every output");
	r.flag = mmap(NULL, (size_t)r.ntasks * sizeof *r.flag, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	              -1, 0);
	r.out = aligned_alloc(64, (size_t)r.ntasks * r.stride);
	if (r.flag == MAP_FAILED || !r.out)
		die(3, "out of memory for the graph's outputs and flags");
	/* Touched before the timed region, as concbench's setup touches its. */
	memset(r.out, 0, (size_t)r.ntasks * r.stride);
	memset(r.flag, 0, (size_t)r.ntasks * sizeof *r.flag);
	list_inputs(&r);

	/* Before the timed region, as concbench's cell setup: the threads'
	 * attributes (each bound to its PU) and their scratch. */
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof allowed, &allowed))
		die(3, "cannot read the process's CPU set");
	pthread_attr_t *attr = calloc((size_t)workers, sizeof *attr);
	worker_t *ws = calloc((size_t)workers, sizeof *ws);
	pthread_t *tid = calloc((size_t)workers, sizeof *tid);
	if (!attr || !ws || !tid)
		die(3, "out of memory for the workers");
	for (long w = 0, cpu = -1; w < workers; w++) {
		do
			cpu++;
		while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed));
		if (cpu >= CPU_SETSIZE)
			die(3, "more workers than PUs in the process's CPU set");
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_attr_init(&attr[w]);
		if (pthread_attr_setaffinity_np(&attr[w], sizeof one, &one))
			die(3, "cannot bind a worker to its PU");
		ws[w].r = &r;
		if (r.g.scratch_bytes_per_task) {
			ws[w].scratch = malloc(r.g.scratch_bytes_per_task);
			if (!ws[w].scratch)
				die(3, "out of memory for the scratch");
			task_graph_prepare_scratch(ws[w].scratch, r.g.scratch_bytes_per_task);
		}
	}
	app_display(app);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long started = 0;
	int rc = 0;
	for (; started < workers; started++)
		if ((rc = pthread_create(&tid[started], &attr[started], worker_main, &ws[started])))
			break;
	for (long w = 0; w < started; w++)
		pthread_join(tid[w], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc) {
		fprintf(stderr, "threads: cannot create worker %ld of %ld: %s\n", started + 1, workers, strerror(rc));
		return 3;
	}
	app_report_timing(app, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);

	for (long w = 0; w < workers; w++) {
		pthread_attr_destroy(&attr[w]);
		free(ws[w].scratch);
	}
	free(attr);
	free(ws);
	free(tid);
	free(r.in);
	free(r.in_at);
	free(r.out);
	munmap(r.flag, (size_t)r.ntasks * sizeof *r.flag);
	task_graph_list_destroy(graphs);
	app_destroy(app);
	return 0;
}
