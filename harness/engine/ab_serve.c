/* concbench ab, the measuring process (`concbench ab-worker`): one cell of
 * one side, served over JSON lines (the protocol in run.h). It builds the
 * cell's plan from what the parent sends, so that the job, its serial
 * reference answer and every figure come from this build, then sets the
 * cell up as the runner's measuring process does (runner.c child_main):
 * the job released and set up again, the cell opened, the warmup and the
 * settling passes, and then one timed repetition per "rep", each verified
 * against the serial answer (cb_cell_rep). */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/migrations.h"
#include "engine/run.h"


static void send_error(int fd, const char *msg)
{
	cb_send_json_line(fd, json_pack("{s:s}", "error", msg));
}

static void send_warm(double wall_s, void *fd)
{
	cb_send_json_line(*(int *)fd, json_pack("{s:f}", "warm", wall_s));
}

static void say_nothing(void *ctx, cb_say_kind kind, const char *text)
{
	(void)ctx;
	(void)kind;
	(void)text;
}

/* The cell's configuration from the parent's message: one workload, one
 * strategy, one worker count (and concurrency, threads where the strategy
 * takes them). Strings point into `cell`, which outlives cfg. */
static int config_from(const json_t *cell, cb_run_config *cfg, cb_error *err)
{
	const char *wl = json_string_value(json_object_get(cell, "workload"));
	const char *st = json_string_value(json_object_get(cell, "strategy"));
	const char *pin = json_string_value(json_object_get(cell, "pin"));
	const char *sched = json_string_value(json_object_get(cell, "schedule"));
	const char *size = json_string_value(json_object_get(cell, "size"));
	const char *scaling = json_string_value(json_object_get(cell, "scaling"));
	if (!wl || !st || !pin || !sched || !size)
		return cb_error_set(err, CB_EXIT_USAGE, "the cell message lacks workload, strategy, pin, "
		                    "schedule or size");
	cfg->workloads = cb_xcalloc(1, sizeof *cfg->workloads);
	cfg->workloads[0] = (char *)wl;
	cfg->nworkloads = 1;
	cfg->strategies = cb_xcalloc(1, sizeof *cfg->strategies);
	cfg->strategies[0] = (char *)st;
	cfg->nstrategies = 1;
	cfg->workers = cb_xcalloc(1, sizeof *cfg->workers);
	cfg->workers[0] = (int)json_integer_value(json_object_get(cell, "workers"));
	cfg->nworkers = 1;
	const cb_strategy *s = cb_strategy_find(st);
	if (s && (s->flags & CB_STRATEGY_CONCURRENCY)) {
		cfg->concurrency = cb_xcalloc(1, sizeof *cfg->concurrency);
		cfg->concurrency[0] = (int)json_integer_value(json_object_get(cell, "concurrency"));
		cfg->nconcurrency = 1;
	}
	if (s && (s->flags & CB_STRATEGY_THREADS)) {
		cfg->threads = cb_xcalloc(1, sizeof *cfg->threads);
		cfg->threads[0] = (int)json_integer_value(json_object_get(cell, "threads"));
		cfg->nthreads = 1;
	}
	json_t *params = json_object_get(cell, "params"), *kv;
	size_t i;
	cfg->params = cb_xcalloc(json_array_size(params) + 1, sizeof *cfg->params);
	json_array_foreach(params, i, kv) {
		const char *k = json_string_value(json_array_get(kv, 0)), *v = json_string_value(json_array_get(kv, 1));
		if (k && v)
			cfg->params[cfg->nparams++] = (cb_kv){ k, v };
	}
	cfg->weak = scaling && !strcmp(scaling, "weak");
	cfg->warmup = (int)json_integer_value(json_object_get(cell, "warmup"));
	cfg->reps = (int)json_integer_value(json_object_get(cell, "reps"));
	cfg->rounds = 1;
	cfg->hosts = json_string_value(json_object_get(cell, "hosts"));
	cfg->quiet = true;
	if (cfg->reps < 1)
		cfg->reps = 1;
	if (cb_size_parse(size, &cfg->size, err) || cb_pin_parse(pin, &cfg->pin, err) ||
	    cb_schedule_parse(sched, &cfg->sched, err))
		return -1;
	cb_schedule_format(&cfg->sched, cfg->sched_text, sizeof cfg->sched_text);
	return 0;
}

static cb_cell *find_cell(cb_run *run, const char *id, cb_error *err)
{
	for (int i = 0; i < run->ncells; i++)
		if (!strcmp(run->cells[i].id, id))
			return &run->cells[i];
	cb_error_set(err, CB_EXIT_USAGE, "this build's plan has no cell '%s' (it made '%s')", id,
	             run->ncells ? run->cells[run->ncells - 1].id : "none");
	return NULL;
}

/* The cell as results.json holds it (no repetitions yet), for the parent
 * to fill: what this build says the cell is. */
static json_t *skeleton(cb_run *run, cb_cell *c)
{
	bool done = c->done;
	c->done = true;
	json_t *root = cb_results_json(run), *cells = json_object_get(root, "cells"), *v, *out = NULL;
	size_t i;
	json_array_foreach(cells, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "id")), c->id))
			out = json_incref(v);
	json_decref(root);
	c->done = done;
	if (!out)
		return json_object();
	/* The rate's work, which results.json gives a cell with repetitions. */
	if (c->job->work_unit && isfinite(c->job->work)) {
		json_object_set_new(out, "work_per_job", json_real(c->job->work));
		json_object_set_new(out, "rate_unit", json_sprintf("%s/s", c->job->work_unit));
	}
	return out;
}

/* Sets the cell up as the runner's measuring process does; 0 when ready. */
static int prepare(cb_run *run, cb_cell *c, int fd, cb_error *err)
{
	for (int j = 0; j < run->njobs; j++)
		cb_job_release(run->jobs[j]);
	malloc_trim(0);
	if (cb_job_reopen(c->job, err))
		return -1;
	run->perf_fd = cb_migrations_open();
	c->reps_total = run->cfg->reps;
	c->reps = cb_xcalloc((size_t)c->reps_total, sizeof *c->reps);
	if (cb_cell_open(c, err))
		return -1;
	/* Set up: from here on the parent's limit is the repetitions'. */
	cb_send_json_line(fd, json_pack("{s:b}", "setup", 1));
	for (int w = 0; w < run->cfg->warmup; w++) {
		cb_rep warm;
		if (cb_cell_rep(c, &warm, err))
			return -1;
		send_warm(warm.wall_s, &fd);
		cb_rep_clear(&warm);
	}
	return cb_cell_settle(c, send_warm, &fd, err);
}

/* One command after "ready": 1 for "end" (or the parent gone), else 0. */
static int serve_one(cb_cell *c, const char *line, int fd)
{
	json_t *j = json_loads(line, 0, NULL), *k;
	if (!j)
		return 0;
	int done = json_object_get(j, "end") != NULL;
	if ((k = json_object_get(j, "rep")) && !c->error) {
		cb_rep rep;
		cb_error err = { 0 };
		if (cb_cell_rep(c, &rep, &err)) {
			c->error = cb_xstrdup(err.msg);
			send_error(fd, err.msg);
		} else {
			/* The guest's capacity reading (engine/capacity.h): a worker
			 * that lost part of its PU makes the pair one ab sets aside. */
			int *pus = cb_xcalloc((size_t)c->place.workers + 1, sizeof *pus);
			int npus = cb_cell_pus(c, pus);
			if (npus > 0)
				cb_cell_capacity(c, pus, npus, NULL, NULL, &rep);
			free(pus);
			/* CB_AB_REDUCED_EVERY=N (tests): every Nth repetition of the
			 * process reads as one at reduced capacity. */
			static long served;
			const char *every = getenv("CB_AB_REDUCED_EVERY");
			if (every && atol(every) > 0 && ++served % atol(every) == 0)
				rep.reduced = true;
			cb_send_json_line(fd, json_pack("{s:o, s:O}", "rep", cb_rep_json(&rep), "k", k));
			cb_rep_clear(&rep);
		}
	} else if (k) {
		send_error(fd, c->error);
	}
	json_decref(j);
	return done;
}

static void send_end(cb_cell *c, int fd)
{
	cb_cell_close(c);
	cb_send_json_line(fd, json_pack("{s:o}", "end", cb_cell_end_json(c)));
}

/* The cell, from the parent's message to "end". */
static int serve_cell(FILE *in, int fd, const json_t *msg)
{
	cb_run_config cfg = { .out_root = "results" };
	cb_run run = { .cfg = &cfg, .perf_fd = -1, .say = { say_nothing, NULL } };
	const json_t *cell = json_object_get(msg, "cell");
	cb_error err = { 0 };
	cb_cell *c = NULL;
	int rc = CB_EXIT_FAIL;
	run.t_start = json_number_value(json_object_get(cell, "t0"));
	const char *id = json_string_value(json_object_get(cell, "id"));
	if (!id) {
		cb_error_set(&err, CB_EXIT_USAGE, "the cell message has no id");
		goto fail;
	}
	if (config_from(cell, &cfg, &err) || cb_topology_open(&run.topo, NULL, &err) ||
	    cb_plan_build(&run, &err) || !(c = find_cell(&run, id, &err)))
		goto fail;
	if (c->error)
		cb_error_set(&err, CB_EXIT_FAIL, "%s", c->error);
	if (c->error || prepare(&run, c, fd, &err))
		goto fail;
	cb_send_json_line(fd, json_pack("{s:{s:o}}", "ready", "cell", skeleton(&run, c)));
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, in) > 0 && !serve_one(c, line, fd))
		;
	free(line);
	send_end(c, fd);
	rc = CB_EXIT_OK;
	goto out;
fail:
	send_error(fd, err.msg);
out:
	if (run.perf_fd >= 0)
		close(run.perf_fd);
	cb_plan_free(&run);
	if (run.topo)
		cb_topology_free(run.topo);
	free(cfg.workloads);
	free(cfg.strategies);
	free(cfg.workers);
	free(cfg.concurrency);
	free(cfg.threads);
	free(cfg.params);
	cb_pin_free(&cfg.pin);
	return rc;
}

/* The address layout ab gave this process (CB_AB_LAYOUT, with address
 * space randomisation off, ab.c): a reservation of 1 to 1024 pages shifts
 * whatever is mapped after it (a plug-in, workloads' arrays, Python's
 * arenas, thread stacks, large blocks), and the environment's padding
 * (CB_AB_PAD) the stack, both from one seed, so that the twins of a pair
 * of processes run one layout and each pair of processes its own (the
 * heap's blocks come from free ones first, and a block to shift it moved
 * none of them). Kept for the process's life. What it then finds, a heap
 * block, a stack variable and a fresh mapping, goes into hello for ab to
 * check the twins against each other; null without it. */
static json_t *apply_layout(void)
{
	const char *v = getenv("CB_AB_LAYOUT");
	if (!v || !*v)
		return json_null();
	unsigned long seed = strtoul(v, NULL, 10);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	(void)mmap(NULL, (1 + seed % 1024) * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	volatile char here = 0;
	void *heap = malloc(64), *map = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	json_t *out = json_pack("{s:I, s:I, s:I}", "heap", (json_int_t)(uintptr_t)heap, "stack",
	                        (json_int_t)(uintptr_t)&here, "map", (json_int_t)(uintptr_t)map);
	free(heap);
	if (map != MAP_FAILED)
		munmap(map, page);
	return out;
}

int cb_ab_serve(int in_fd, int out_fd)
{
	/* The protocol has the process's standard output to itself: whatever
	 * a workload prints goes to standard error. */
	int fd = dup(out_fd);
	if (fd < 0 || dup2(STDERR_FILENO, out_fd) < 0)
		return CB_EXIT_ENV;
	signal(SIGINT, SIG_IGN);   /* Ctrl-C is the parent's: it kills this process */
	json_t *layout = apply_layout();
	cb_send_json_line(fd, json_pack("{s:s, s:i, s:s, s:o}", "hello", "concbench ab", "protocol", CB_AB_PROTOCOL,
	                        "version", CB_VERSION_STRING, "layout", layout));
	FILE *in = fdopen(in_fd, "r");
	char *line = NULL;
	size_t cap = 0;
	int rc = CB_EXIT_USAGE;
	if (in && getline(&line, &cap, in) > 0) {
		json_t *msg = json_loads(line, 0, NULL);
		json_t *proto = json_object_get(msg, "protocol");
		if (!msg || !json_is_integer(proto) || json_integer_value(proto) != CB_AB_PROTOCOL) {
			char theirs[48] = "named no protocol";
			if (json_is_integer(proto))
				snprintf(theirs, sizeof theirs, "speaks %lld", (long long)json_integer_value(proto));
			char why[200];
			snprintf(why, sizeof why, "refused: this concbench (%s) speaks A/B protocol %d, the parent %s",
			         CB_VERSION_STRING, CB_AB_PROTOCOL, theirs);
			send_error(fd, why);
		} else {
			rc = serve_cell(in, fd, msg);
		}
		json_decref(msg);
	}
	free(line);
	if (in)
		fclose(in);
	close(fd);
	return rc;
}
