/* What run says before it measures: the jobs too short for the overheads
 * of the strategies that run them. A serial job under a few milliseconds
 * measures a strategy's start and join more than its model; so does one
 * under ten times that strategy's own dispatch price, where `concbench
 * micro` has priced it on this machine (pools/NAME_empty_job: a job whose
 * one task does nothing, a wake-up and a join for a pool, creating and
 * reaping the executors otherwise). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/stats.h"
#include "cli/commands.h"
#include "engine/run.h"
#include "micro/micro.h"

/* Any parallel cell of a job shorter than this is warned about. */
#define SHORT_JOB_S 3e-3
/* ... and one whose job is shorter than this many times its dispatch. */
#define DISPATCH_TIMES 10.0

/* The newest micro run under root, when it was measured on this host. */
static json_t *price_list(const char *root)
{
	char *path = cb_xasprintf("%s/%s/results.json", root, CB_MICRO_LATEST);
	json_t *doc = json_load_file(path, 0, NULL);
	free(path);
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	const char *h = json_string_value(json_object_get(json_object_get(doc, "machine"), "host"));
	if (doc && (!h || strcmp(h, host))) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

/* The median time of an empty job under strategy s at w workers (micro
 * measured 1 and 2), in seconds; NAN where the list has none. */
static double dispatch_s(const json_t *prices, const char *s, int w)
{
	char id[160];
	snprintf(id, sizeof id, "pools/%s_empty_job/%d", s, w > 1 ? 2 : 1);
	size_t i, k;
	json_t *c, *r;
	json_array_foreach(json_object_get(prices, "cells"), i, c) {
		const char *cid = json_string_value(json_object_get(c, "id"));
		if (!cid || strcmp(cid, id))
			continue;
		json_t *reps = json_object_get(c, "reps");
		double *v = cb_xcalloc(json_array_size(reps) + 1, sizeof *v);
		size_t n = 0;
		json_array_foreach(reps, k, r)
			if (json_is_number(json_object_get(r, "real_s")))
				v[n++] = json_number_value(json_object_get(r, "real_s"));
		double m = n ? cb_median(v, n) : NAN;
		free(v);
		return m;
	}
	return NAN;
}

/* Whether a cell of job under strategy st is too short for it. */
static bool too_short(const cb_run *run, const cb_job *job, const cb_strategy *st, const json_t *prices, double t)
{
	for (int i = 0; i < run->ncells; i++) {
		const cb_cell *c = &run->cells[i];
		if (c->job != job || c->strategy != st || c->error || c->skipped)
			continue;
		double d = prices ? dispatch_s(prices, st->name, c->workers * c->threads) : NAN;
		double limit = isfinite(d) && DISPATCH_TIMES * d > SHORT_JOB_S ? DISPATCH_TIMES * d : SHORT_JOB_S;
		if (t < limit)
			return true;
	}
	return false;
}

/* "cpu.primes 0.30 ms (threads, processes)" for each job with a cell too
 * short for its strategy; returns how many jobs. */
static size_t short_jobs(const cb_run *run, const json_t *prices, FILE *f)
{
	size_t njobs = 0;
	for (int j = 0; j < run->njobs; j++) {
		const cb_job *job = run->jobs[j];
		double t = cb_job_serial_s(job);
		size_t n = 0;
		for (const cb_strategy *const *st = cb_strategies; *st; st++) {
			if (((*st)->flags & CB_STRATEGY_BASELINE) || !too_short(run, job, *st, prices, t))
				continue;
			if (!n++) {
				const char *id = NULL;
				for (int i = 0; i < run->ncells && !id; i++)
					id = run->cells[i].job == job ? run->cells[i].id : NULL;
				const char *slash = id ? strchr(id, '/') : NULL;
				fprintf(f, "%s%.*s %.2f ms (", njobs++ ? ", " : "",
				        slash ? (int)(slash - id) : id ? (int)strlen(id) : 0, id ? id : "", t * 1e3);
			}
			fprintf(f, "%s%s", n > 1 ? ", " : "", (*st)->name);
		}
		if (n)
			fputs(")", f);
	}
	return njobs;
}

int cb_cli_warn_short_jobs(const cb_run *run)
{
	json_t *prices = price_list(run->cfg->out_root);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	size_t n = short_jobs(run, prices, f);
	fclose(f);
	if (n)
		fprintf(stderr, "concbench: warning: job%s too short for the overheads of the strategies that run "
		        "them (a serial job under %.0f ms%s): %s; their speedups measure starting and joining the "
		        "executors more than the model: a larger --size or --param%s\n", n == 1 ? "" : "s",
		        SHORT_JOB_S * 1e3, prices ? ", or under 10x the strategy's dispatch price from concbench micro" : "",
		        text, prices ? "" : " (concbench micro 'pools/*_empty_job*' prices each strategy's dispatch "
		        "on this machine, and run then judges each by its own)");
	free(text);
	json_decref(prices);
	return n ? 1 : 0;
}
