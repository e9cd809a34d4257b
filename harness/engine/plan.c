/* The plan: named suites, validation of every name and value before
 * anything runs (so bad input never leaves a results folder behind), and
 * the expansion into cells. Jobs are created here, once per workload, and
 * shared by every cell of that workload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run.h"

/* Budgets on the 2-core machine: quick within 3 minutes, default within
 * 10, every workload under every strategy. Every round of every cell is a
 * fresh process that pays its setup and one warmup repetition, so rounds
 * cost more than repetitions: default runs 2 rounds of 4 (its timed work
 * measured 680 s at 2 x 5 on a busy afternoon of the shared host, 14
 * minutes with the build and the report). quick is for compare, whose
 * unit is the round: on a shared machine a process's rounds differ by
 * several times what its repetitions do (quick, 117 cells: median sd of
 * log values 0.5-0.9% between the repetitions of one round, 1-3% between
 * rounds), so a second repetition buys almost nothing and quick runs 10
 * rounds of 1: between two quick runs, the cells whose MDC is at most 10%
 * went from 25-44% (5 rounds of 2) to 35-78% (10 of 1). Sizes are tuned per workload (their quick and
 * default presets) so that a serial repetition costs 0.1-0.35 s at default
 * (primes and amdahl about 0.5-0.6 s: at 0.9 and 1.2 s they took 240 of a
 * 685 s default run, and scripts/bench 12 min 10 s, over its budget; of
 * that run, mem.stream's auto-sized arrays, 1 GiB here, cost 122 s of
 * first touches and settling around 35 s of repetitions) and
 * 10-60 ms at quick; amdahl keeps about
 * 115 ms there, where its fixed costs leave the 2-worker speedup within 5%
 * of Amdahl's law (at 57 ms it fell 5-7% below). Measured
 * 2026-12-01, 117 quick cells (9 workloads, the 7 in-process strategies, 1
 * and 2 workers), load average under 1.8: quick 145-168 s, of it 10-17 s
 * for the settling passes of the pools (cb_cell_settle). Strategies under a
 * launcher (CB_STRATEGY_EXTERNAL) are left out of quick: the launcher starts
 * once per cell round (about 0.6 s each); so are those of a workload's own
 * runtime (CB_STRATEGY_RUNTIME), which no built-in workload takes. A
 * workload added later brings its own share: keep its quick repetition
 * near 30 ms and its default one near 0.3 s. */
const cb_suite cb_suites[] = {
	{ "quick", "every workload, every strategy but %s, at size quick, 1, 2, 4 ... all PUs, "
	  "10 rounds of 1 repetition (CI: compare)",
	  "all", CB_STRATEGY_EXTERNAL | CB_STRATEGY_RUNTIME, "pow2", CB_SIZE_QUICK, 1, 10 },
	{ "default", "every workload and strategy at size default, 1, 2, 4 ... all PUs, 2 rounds of 4 repetitions",
	  "all", 0, "pow2", CB_SIZE_DEFAULT, 4, 2 },
	{ NULL, NULL, NULL, 0, NULL, 0, 0, 0 },
};

/* The names of the table's strategies with (want) or without (!want) any
 * of flags, in table order, joined by sep. */
static void strategy_names_by_flags(unsigned flags, bool want, const char *sep, char *buf, size_t n)
{
	size_t off = 0;
	buf[0] = 0;
	for (const cb_strategy *const *s = cb_strategies; *s && off < n; s++)
		if (!((*s)->flags & flags) == !want)
			off += (size_t)snprintf(buf + off, n - off, "%s%s", off ? sep : "", (*s)->name);
}

char *cb_suite_strategies(const cb_suite *s)
{
	if (!s->without)
		return NULL;
	char buf[1024];
	strategy_names_by_flags(s->without, false, ",", buf, sizeof buf);
	return cb_xstrdup(buf);
}

const char *cb_suite_summary(const cb_suite *s, char *buf, size_t n)
{
	if (!s->without)
		return s->summary;
	/* Named: the strategies left out that a built-in workload would run
	 * (a runtime's own pools give them no cells anyway). */
	char names[256];
	strategy_names_by_flags(s->without & ~(unsigned)CB_STRATEGY_RUNTIME, true, ", ", names, sizeof names);
	snprintf(buf, n, s->summary, names);
	return buf;
}

const cb_suite *cb_suite_find(const char *name)
{
	for (const cb_suite *s = cb_suites; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static int resolve_workloads(cb_run_config *cfg, const cb_workload ***out, int *n, cb_error *err)
{
	const cb_workload **v;
	if (cfg->nworkloads == 0) {
		int cnt = 0;
		while (cb_workloads[cnt])
			cnt++;
		v = cb_xcalloc((size_t)cnt, sizeof *v);
		for (int i = 0; i < cnt; i++)
			v[i] = cb_workloads[i];
		*out = v;
		*n = cnt;
		return 0;
	}
	v = cb_xcalloc((size_t)cfg->nworkloads, sizeof *v);
	for (int i = 0; i < cfg->nworkloads; i++)
		if (cb_workload_resolve(cfg->workloads[i], &v[i], err)) {
			free(v);
			return -1;
		}
	*out = v;
	*n = cfg->nworkloads;
	return 0;
}

static int resolve_strategies(cb_run_config *cfg, const cb_strategy ***out, int *n, cb_error *err)
{
	const cb_strategy **v;
	if (cfg->nstrategies == 0) {
		int cnt = 0;
		while (cb_strategies[cnt])
			cnt++;
		v = cb_xcalloc((size_t)cnt, sizeof *v);
		for (int i = 0; i < cnt; i++)
			v[i] = cb_strategies[i];
		*out = v;
		*n = cnt;
		return 0;
	}
	v = cb_xcalloc((size_t)cfg->nstrategies, sizeof *v);
	for (int i = 0; i < cfg->nstrategies; i++) {
		v[i] = cb_strategy_find(cfg->strategies[i]);
		if (!v[i]) {
			char names[1024];
			cb_strategy_names(names, sizeof names);
			free(v);
			return cb_error_set(err, CB_EXIT_USAGE, "unknown strategy '%s' (known: %s)",
			                    cfg->strategies[i], names);
		}
	}
	*out = v;
	*n = cfg->nstrategies;
	return 0;
}

static void cell_id(cb_cell *c, const cb_run_config *cfg)
{
	char extra[64] = "";
	size_t off = 0;
	if (c->strategy->flags & CB_STRATEGY_CONCURRENCY)
		off += (size_t)snprintf(extra + off, sizeof extra - off, "/c%d", c->concurrency);
	if (c->strategy->flags & CB_STRATEGY_THREADS)
		snprintf(extra + off, sizeof extra - off, "/t%d", c->threads);
	snprintf(c->id, sizeof c->id, "%s/%s/n%d%s/%s/%s%s", c->job->wl->name, c->strategy->name,
	         c->workers, extra, cfg->pin.text, cfg->sched_text, cfg->weak ? "/weak" : "");
}

static cb_cell *add_cell(cb_run *run, int *cap, cb_job *job, const cb_strategy *st, int workers,
                         int concurrency, int threads)
{
	if (run->ncells == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		run->cells = cb_xrealloc(run->cells, (size_t)*cap * sizeof *run->cells);
	}
	cb_cell *c = &run->cells[run->ncells++];
	cb_cell_init(c, run, job, st, workers, concurrency, threads, 0);
	cell_id(c, run->cfg);
	return c;
}

/* Placement is computed now so that a policy that cannot be honoured
 * (cores beyond the core count, a PU that does not exist) is a usage error
 * before anything runs. */
static int place_cell(cb_run *run, cb_cell *c, cb_error *err)
{
	if (cb_cell_place(c, run->topo, &run->cfg->pin, err))
		return -1;
	if (c->place.oversubscribed)
		cb_say(&run->say, CB_SAY_WARNING, "cell %s is oversubscribed (%d workers on %d PUs)",
		       c->id, c->workers * c->threads, c->place.usable_pus);
	return 0;
}

/* One job per workload, or under weak scaling one per workload and scale
 * (the scaled jobs share nothing but their definition). */
static cb_job *get_job(cb_run *run, const cb_workload *wl, int scale, cb_error *err)
{
	for (int j = 0; j < run->njobs; j++)
		if (run->jobs[j]->wl == wl && run->jobs[j]->scale == scale)
			return run->jobs[j];
	cb_run_config *cfg = run->cfg;
	cb_job *job;
	cb_error jerr = { 0 };
	if (cb_runner_check_interrupt(err))
		return NULL;
	if (cb_job_create(&job, wl, cfg->size, scale, cfg->params, cfg->nparams, NULL, &jerr)) {
		/* Bad input stops the run before anything is measured; a refusal
		 * of the environment (a port in use, a full disk) fails this
		 * workload's cells and the others still run. */
		if (jerr.code == CB_EXIT_USAGE ||
		    !(job = cb_job_failed(wl, cfg->size, cfg->params, cfg->nparams, jerr.msg))) {
			*err = jerr;
			return NULL;
		}
		job->scale = scale;
		cb_say(&run->say, CB_SAY_PROBLEM, "%s (its cells fail, the run goes on)", jerr.msg);
	}
	run->jobs = cb_xrealloc(run->jobs, (size_t)(run->njobs + 1) * sizeof *run->jobs);
	run->jobs[run->njobs++] = job;
	return job;
}

/* A strategy whose executors are the workload runtime's own runs only
 * workloads whose runtime has them. */
static bool runtime_runs(const cb_strategy *st, const cb_workload *wl)
{
	const cb_workload_origin *o = cb_workload_origin_of(wl);
	return !(st->flags & CB_STRATEGY_RUNTIME) || (o && o->pool_open);
}

/* Named alone with workloads none of which it can run: a refusal. */
static int check_runtime(const cb_workload **wls, int nwl, const cb_strategy **sts, int nst, cb_error *err)
{
	for (int s = 0; s < nst; s++) {
		bool any = false;
		for (int wi = 0; wi < nwl; wi++)
			any |= runtime_runs(sts[s], wls[wi]);
		if (!any)
			return cb_error_set(err, CB_EXIT_USAGE, "%s runs Python workloads only (-w py:FILE.py, "
			                    "py.primes, py.sleep), and none was selected", sts[s]->name);
	}
	return 0;
}

static int expand(cb_run *run, const cb_workload **wls, int nwl, const cb_strategy **sts, int nst,
                  cb_error *err)
{
	cb_run_config *cfg = run->cfg;
	int cap = 0;
	static const int one = 1;
	for (int wi = 0; wi < nwl; wi++) {
		cb_job *base_job = get_job(run, wls[wi], 1, err);
		if (!base_job)
			return -1;
		bool have_baseline = false;
		for (int s = 0; s < nst; s++)
			have_baseline |= (sts[s]->flags & CB_STRATEGY_BASELINE) != 0;
		if (!have_baseline) {
			cb_cell *c = add_cell(run, &cap, base_job, cb_strategy_baseline(), 1, 1, 1);
			c->added_baseline = true;
		}
		for (int s = 0; s < nst; s++) {
			const cb_strategy *st = sts[s];
			bool base = st->flags & CB_STRATEGY_BASELINE;
			if ((st->flags & CB_STRATEGY_EXTERNAL) && wls[wi]->shared_memory) {
				cb_say(&run->say, CB_SAY_NOTE, "no %s cells for %s: its tasks meet in shared "
				       "memory, which ranks on several machines do not have", st->name, wls[wi]->name);
				continue;
			}
			if (!runtime_runs(st, wls[wi])) {
				if (cfg->nstrategies)
					cb_say(&run->say, CB_SAY_NOTE, "no %s cells for %s: %s runs Python workloads only",
					       st->name, wls[wi]->name, st->name);
				continue;
			}
			int nw = base ? 1 : cfg->nworkers;
			const int *ws = base ? &one : cfg->workers;
			bool takes_c = st->flags & CB_STRATEGY_CONCURRENCY;
			bool takes_t = st->flags & CB_STRATEGY_THREADS;
			for (int k = 0; k < nw; k++) {
				int nc = takes_c && cfg->nconcurrency ? cfg->nconcurrency : 1;
				int nt = takes_t && cfg->nthreads ? cfg->nthreads : 1;
				for (int ci = 0; ci < nc; ci++)
					for (int ti = 0; ti < nt; ti++) {
						int thr = takes_t && cfg->nthreads ? cfg->threads[ti] : 1;
						cb_job *job = base_job;
						if (cfg->weak && !base && !(job = get_job(run, wls[wi], ws[k] * thr, err)))
							return -1;
						int conc = ws[k];
						if (takes_c)
							conc = cfg->nconcurrency ? cfg->concurrency[ci]
							       : (int)(job->ntasks < 10000 ? job->ntasks : 10000);
						add_cell(run, &cap, job, st, ws[k], conc, thr);
					}
			}
		}
	}
	for (int i = 0; i < run->ncells; i++) {
		cb_cell *c = &run->cells[i];
		if (place_cell(run, c, err))
			return -1;
		if (c->job->error) {
			c->error = cb_xstrdup(c->job->error);
			run->failed = true;
		}
	}
	return 0;
}

static int check_combinations(const cb_run_config *cfg, const cb_strategy **sts, int nst, cb_error *err)
{
	bool any_c = false, any_t = false;
	for (int s = 0; s < nst; s++) {
		any_c |= (sts[s]->flags & CB_STRATEGY_CONCURRENCY) != 0;
		any_t |= (sts[s]->flags & CB_STRATEGY_THREADS) != 0;
	}
	if (cfg->nconcurrency && !any_c)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "-c/--concurrency applies to strategies with tasks in flight beyond their workers, and none was selected");
	if (cfg->nthreads && !any_t)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "-t/--threads applies to strategies with threads per process, and none was selected");
	bool any_ext = false;
	for (int s = 0; s < nst; s++)
		any_ext |= (sts[s]->flags & CB_STRATEGY_EXTERNAL) != 0;
	if (cfg->hosts && !any_ext)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "--hosts applies to strategies that run under a launcher across machines (mpi), and none was selected");
	return 0;
}

/* Each strategy's parameters are parsed (marking the --param pairs they
 * use), and each says whether it can run the request here. One named on
 * the command line that cannot is an error; one that came in with "all"
 * and lacks something in this environment (mpi not built) is left out
 * with a note, so that the default run still runs everything else. */
static int check_strategies(const cb_run *run, const cb_strategy **sts, int *nst, bool *used,
                            cb_error *err)
{
	const cb_run_config *cfg = run->cfg;
	int kept = 0;
	for (int s = 0; s < *nst; s++) {
		cb_params tmp;
		if (cb_params_init(&tmp, sts[s]->params, sts[s]->nparams, cfg->size, cfg->params,
		                   cfg->nparams, used, sts[s]->name, err))
			return -1;
		char warn[256] = "";
		cb_error e = { 0 };
		int rc = sts[s]->check ? sts[s]->check(cfg, &tmp, warn, sizeof warn, &e) : 0;
		cb_params_free(&tmp);
		if (rc) {
			if (cfg->nstrategies || e.code != CB_EXIT_ENV)
				return cb_error_set(err, e.code, "%s", e.msg);
			cb_say(&run->say, CB_SAY_NOTE, "leaving out strategy %s: %s", sts[s]->name, e.msg);
			continue;
		}
		if (warn[0])
			cb_say(&run->say, CB_SAY_WARNING, "%s: %s", sts[s]->name, warn);
		sts[kept++] = sts[s];
	}
	*nst = kept;
	return 0;
}

static void add_names(const cb_param_spec *spec, size_t n, char *buf, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(buf), nl = strlen(spec[i].name);
		bool dup = false;
		for (const char *p = buf; (p = strstr(p, spec[i].name)); p += nl)
			dup |= (p == buf || p[-1] == ' ') && (p[nl] == ',' || p[nl] == 0);
		if (!dup && used + nl + 3 < len)
			snprintf(buf + used, len - used, "%s%s", used ? ", " : "", spec[i].name);
	}
}

/* "n, tasks, conn, ...": every parameter of the selection, once. */
static void known_params(const cb_workload **wls, int nwl, const cb_strategy **sts, int nst, char *buf,
                         size_t len)
{
	buf[0] = 0;
	for (int w = 0; w < nwl; w++)
		add_names(wls[w]->params, wls[w]->nparams, buf, len);
	for (int s = 0; s < nst; s++)
		add_names(sts[s]->params, sts[s]->nparams, buf, len);
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* OWNER:KEY for a workload or strategy that this run does not select is
 * not an error (one command line can serve runs of one workload at a time,
 * as scripts/compare-builds makes); an OWNER that names nothing is. Returns
 * true when the pair is for another run. */
static bool for_other(const char *key, const cb_workload *const *wls, int nwl, const cb_strategy *const *sts,
                      int nst, cb_error *err)
{
	const char *colon = strrchr(key, ':');
	if (!colon)
		return false;
	char owner[128];
	snprintf(owner, sizeof owner, "%.*s", (int)(colon - key), key);
	/* A selected workload's or strategy's own parameter that none of them
	 * took is a misspelt one, not one for a run without them. */
	for (int i = 0; i < nwl; i++)
		if (!strcmp(wls[i]->name, owner))
			return false;
	for (int i = 0; i < nst; i++)
		if (!strcmp(sts[i]->name, owner))
			return false;
	if (cb_workload_find(owner) || cb_strategy_find(owner))
		return true;
	char wl[1024], st[1024];
	cb_workload_names(wl, sizeof wl);
	cb_strategy_names(st, sizeof st);
	cb_error_set(err, CB_EXIT_USAGE, "--param %s: no workload or strategy is called '%s' (workloads: %s; "
	             "strategies: %s)", key, owner, wl, st);
	return false;
}

int cb_plan_build(cb_run *run, cb_error *err)
{
	cb_run_config *cfg = run->cfg;
	const cb_workload **wls = NULL;
	const cb_strategy **sts = NULL;
	int nwl = 0, nst = 0, rc = -1;
	bool *used = cb_xcalloc(cfg->nparams + 1, sizeof *used);

	if (resolve_workloads(cfg, &wls, &nwl, err) || resolve_strategies(cfg, &sts, &nst, err))
		goto out;
	/* Strategy parameters are checked (and marked used) here; each cell
	 * parses its own copy when it opens. */
	if (check_combinations(cfg, sts, nst, err) || check_strategies(run, sts, &nst, used, err) ||
	    (cfg->nstrategies && check_runtime(wls, nwl, sts, nst, err)))
		goto out;
	/* Parameters of workloads are validated before any job is set up, so a
	 * typo costs no setup time. */
	for (int w = 0; w < nwl; w++) {
		cb_params tmp;
		if (cb_params_init(&tmp, wls[w]->params, wls[w]->nparams, cfg->size, cfg->params,
		                   cfg->nparams, used, wls[w]->name, err))
			goto out;
		cb_params_free(&tmp);
	}
	for (size_t k = 0; k < cfg->nparams; k++)
		if (!used[k] && !for_other(cfg->params[k].key, wls, nwl, sts, nst, err)) {
			if (err->code)
				goto out;
			char known[1024];
			known_params(wls, nwl, sts, nst, known, sizeof known);
			cb_error_set(err, CB_EXIT_USAGE,
			             "unknown parameter '%s' for the selected workloads and strategies "
			             "(known: %s; see 'concbench list workloads -v')", cfg->params[k].key, known);
			goto out;
		}
	/* The pin policy is checked against every worker count before any job
	 * is set up: a PU that does not exist is a usage error, not a wait. */
	for (int i = 0; i < cfg->nworkers; i++) {
		cb_placement p;
		if (cb_place(run->topo, &cfg->pin, cfg->workers[i], &p, err))
			goto out;
		cb_placement_free(&p);
	}
	if (cfg->weak)
		for (int w = 0; w < nwl; w++)
			if (!wls[w]->pure_tasks) {
				cb_error_set(err, CB_EXIT_USAGE, "--scaling weak: %s cannot be scaled (its tasks are "
				             "not pure functions of their index); choose other workloads or --scaling strong",
				             wls[w]->name);
				goto out;
			}
	if (expand(run, wls, nwl, sts, nst, err))
		goto out;
	rc = 0;
out:
	free(wls);
	free(sts);
	free(used);
	return rc;
}

/* One repetition of cell c. The reference run skips the workload's waits,
 * so it measures the compute; the waits overlap up to the tasks in flight,
 * the compute up to the PUs. */
double cb_job_serial_s(const cb_job *job)
{
	double wait = job->wl->serial_wait_s ? job->wl->serial_wait_s(job) * job->scale : 0;
	return job->reference_s * job->scale + wait;
}

static double rep_estimate_s(const cb_cell *c)
{
	const cb_job *job = c->job;
	double cpu = job->reference_s * job->scale;
	double wait = job->wl->serial_wait_s ? job->wl->serial_wait_s(job) * job->scale : 0;
	if (c->strategy->flags & CB_STRATEGY_BASELINE)
		return cb_job_serial_s(job);
	int units = c->workers * c->threads;
	if (c->place.usable_pus > 0 && units > c->place.usable_pus)
		units = c->place.usable_pus;
	int inflight = c->concurrency > c->workers * c->threads ? c->concurrency : c->workers * c->threads;
	double compute = cpu / (units > 0 ? units : 1), waits = (cpu + wait) / (inflight > 0 ? inflight : 1);
	return compute > waits ? compute : waits;
}

void cb_plan_estimate(const cb_run *run, cb_estimate *e)
{
	const cb_run_config *cfg = run->cfg;
	memset(e, 0, sizeof *e);
	e->rounds = cfg->rounds > 0 ? cfg->rounds : 1;
	e->warmup = cfg->warmup;
	e->reps = cfg->reps;
	double *cell_s = cb_xcalloc((size_t)run->ncells + 1, sizeof *cell_s);
	for (int i = 0; i < run->ncells; i++) {
		const cb_cell *c = &run->cells[i];
		if (c->error || c->skipped)
			continue;
		e->cells++;
		/* A pool of processes settles after the warmup (cb_cell_settle):
		 * one pass per executor. */
		int settle = cb_cell_settle_passes(c);
		/* Each round's measuring process pays the job's setup and its
		 * first touch of the job's memory once, then runs warm. */
		/* A repetition paired with a serial one (--speedup pairs) takes both. */
		double paired = cb_cell_pairs_serial(c) ? e->reps * cb_job_serial_s(c->job) : 0;
		cell_s[i] = e->rounds * (c->job->setup_s + c->job->cold_extra_s +
		                         (e->warmup + settle + e->reps) * rep_estimate_s(c) + paired);
		e->total_s += cell_s[i];
	}
	/* The largest cells until they make most of the total. */
	double named = 0;
	while (e->ntop < CB_ESTIMATE_TOP && e->total_s > 0 && named < 0.8 * e->total_s) {
		int best = -1;
		for (int i = 0; i < run->ncells; i++)
			if (cell_s[i] > 0 && (best < 0 || cell_s[i] > cell_s[best]))
				best = i;
		if (best < 0)
			break;
		e->top[e->ntop] = best;
		e->top_s[e->ntop++] = cell_s[best];
		named += cell_s[best];
		cell_s[best] = 0;
	}
	free(cell_s);
}

void cb_plan_free(cb_run *run)
{
	for (int i = 0; i < run->ncells; i++) {
		cb_cell_free(&run->cells[i]);
	}
	free(run->cells);
	for (int j = 0; j < run->njobs; j++)
		cb_job_free(run->jobs[j]);
	free(run->jobs);
	run->cells = NULL;
	run->jobs = NULL;
	run->ncells = run->njobs = 0;
}
