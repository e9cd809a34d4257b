/* `concbench ab`: the options. run's plan options mean what they mean for
 * run (cb_cli_run_config); what differs between the sides (binaries,
 * workload files, parameters) and the pairs are ab's own; everything after
 * `--` goes to compare. The measuring is engine/ab.c's, the verdicts
 * compare's (--pairs), its reporters and exit codes included. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "engine/run.h"

static const char usage_text[] =
	"usage: concbench ab [run options] [ab options] [-- compare options]\n"
	"\n"
	"Measures every cell of a plan twice, A (BASE) and B (NEW), pair by pair: both\n"
	"sides of a cell set up and warmed in their own measuring processes on the same\n"
	"PUs, then each pair runs one repetition of each side, in a random order (AB or\n"
	"BA), milliseconds apart; a cell's pairs come from three pairs of processes.\n"
	"Each cell is judged on its pairs' log ratios (concbench compare --pairs).\n"
	"docs/ab.md describes the method and CI recipes.\n"
	"\n"
	"run options: the plan, as for concbench run (--suite quick, -w, -s, -n, -c, -t,\n"
	"  --pin, --schedule, --size, --param, --warmup, --scaling, --timeout, --seed:\n"
	"  the pairs' order)\n"
	"  -o, --out DIR           the output folder (default: results/ab): DIR/base and\n"
	"                          DIR/new (results.json of each side), DIR/pairs.json,\n"
	"                          DIR/compare.txt, .md, .json, .xml\n"
	"ab options:\n"
	"  --base-bin PATH         the concbench that measures BASE (default: this one)\n"
	"  --new-bin PATH          the concbench that measures NEW (default: this one)\n"
	"  --base-workload ITEM    BASE's workload: a plug-in's path or py:FILE.py\n"
	"  --new-workload ITEM     NEW's workload (with --base-workload; replaces -w)\n"
	"  --new-param [OWNER:]KEY=VALUE  a parameter on NEW only (repeatable), e.g.\n"
	"                          synth.amdahl:iters=1.03e8\n"
	"  --pairs N               pairs per cell (default 36; 108 for a plan of at most\n"
	"                          40 cells; at least 18)\n"
	"  --cell-budget DURATION  once a cell has 18 pairs, stop its pairs past this time\n"
	"                          (default 10s)\n"
	"  --processes K           pairs of measuring processes a cell (2 to 12, default 3):\n"
	"                          its pairs are shared among them\n"
	"  --order auto|spread|together  how a cell's pairs of processes take\n"
	"                          turns: spread, all started and the pairs taken from\n"
	"                          each in turn; together, one pair of processes after\n"
	"                          the other; auto (default): spread for CPU-bound\n"
	"                          workloads, together for memory, I/O and sync ones\n"
	"compare options: --threshold (default 1), --alpha, --format, --fail-on, --github...\n"
	"\n"
	"exit: compare's (0 no regression, 1 regression), 2 bad input.\n";

typedef struct ab_args {
	const char *bin[2], *workload[2];
	char **new_params;
	int nnew;
	long pairs, processes;
	double budget_s;
	cb_ab_order order;
	char **rest, **cmp;
	int nrest, ncmp;
} ab_args;

static int need(int i, int argc, char **argv, cb_error *err)
{
	return i + 1 < argc ? 0 : cb_error_set(err, CB_EXIT_USAGE, "%s needs a value (see concbench ab --help)", argv[i]);
}

/* Takes ab's own options out of argv; the rest is run's, after `--` compare's. */
static int split_args(int argc, char **argv, ab_args *a, cb_error *err)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--")) {
			a->cmp = argv + i + 1;
			a->ncmp = argc - i - 1;
			break;
		}
		int side = !strncmp(o, "--new-", 6);
		if (!strcmp(o, "--base-bin") || !strcmp(o, "--new-bin")) {
			if (need(i, argc, argv, err))
				return -1;
			a->bin[side] = argv[++i];
		} else if (!strcmp(o, "--base-workload") || !strcmp(o, "--new-workload")) {
			if (need(i, argc, argv, err))
				return -1;
			a->workload[side] = argv[++i];
		} else if (!strcmp(o, "--new-param")) {
			if (need(i, argc, argv, err))
				return -1;
			if (!strchr(argv[i + 1], '=') || argv[i + 1][0] == '=')
				return cb_error_set(err, CB_EXIT_USAGE, "--new-param '%s' is not [OWNER:]KEY=VALUE", argv[i + 1]);
			a->new_params[a->nnew++] = argv[++i];
		} else if (!strcmp(o, "--pairs")) {
			if (need(i, argc, argv, err))
				return -1;
			if (cb_parse_long(argv[++i], &a->pairs) || a->pairs < CB_AB_MIN_PAIRS || a->pairs > 100000)
				return cb_error_set(err, CB_EXIT_USAGE, "--pairs '%s' must be a whole number from %d to 100000 "
				                    "(fewer pairs cannot reach Holm's level over a suite's cells)", argv[i],
				                    CB_AB_MIN_PAIRS);
		} else if (!strcmp(o, "--processes")) {
			if (need(i, argc, argv, err))
				return -1;
			if (cb_parse_long(argv[++i], &a->processes) || a->processes < 2 || a->processes > CB_AB_MAX_ROUNDS)
				return cb_error_set(err, CB_EXIT_USAGE, "--processes '%s' must be a whole number from 2 to %d "
				                    "(pairs of measuring processes a cell)", argv[i], CB_AB_MAX_ROUNDS);
		} else if (!strcmp(o, "--order")) {
			if (need(i, argc, argv, err))
				return -1;
			const char *v = argv[++i];
			if (!strcmp(v, "auto"))
				a->order = CB_AB_BY_KIND;
			else if (!strcmp(v, "spread"))
				a->order = CB_AB_SPREAD;
			else if (!strcmp(v, "together"))
				a->order = CB_AB_TOGETHER;
			else
				return cb_error_set(err, CB_EXIT_USAGE, "--order '%s' is not auto, spread or together", v);
		} else if (!strcmp(o, "--cell-budget")) {
			if (need(i, argc, argv, err))
				return -1;
			if (cb_parse_duration(argv[++i], &a->budget_s) || a->budget_s < 0 || a->budget_s > 86400)
				return cb_error_set(err, CB_EXIT_USAGE, "--cell-budget '%s' is not a duration from 0 to 1d "
				                    "(a number with s, ms, m, h or d)", argv[i]);
		} else {
			a->rest[a->nrest++] = argv[i];
		}
	}
	if (!a->workload[0] != !a->workload[1])
		return cb_error_set(err, CB_EXIT_USAGE, "--base-workload and --new-workload go together (one "
		                    "workload file a side); for the same workload on both sides use -w");
	return 0;
}

static int check_bin(const char *bin, const char *flag, cb_error *err)
{
	if (access(bin, X_OK))
		return cb_error_set(err, CB_EXIT_USAGE, "%s '%s' is not an executable concbench: %s", flag, bin,
		                    strerror(errno));
	return 0;
}

/* NEW's configuration: BASE's, with its workload file and its parameters
 * after BASE's (the last one given wins). Shares BASE's other fields. */
static void new_config(const cb_run_config *a, const ab_args *x, cb_run_config *b)
{
	*b = *a;
	b->params = cb_xcalloc(a->nparams + (size_t)x->nnew + 1, sizeof *b->params);
	if (a->nparams)
		memcpy(b->params, a->params, a->nparams * sizeof *b->params);
	for (int i = 0; i < x->nnew; i++) {
		char *key = cb_xstrdup(x->new_params[i]);
		char *eq = strchr(key, '=');
		*eq = 0;
		b->params[b->nparams++] = (cb_kv){ key, eq + 1 };
	}
	if (x->workload[1]) {
		b->workloads = cb_xcalloc(1, sizeof *b->workloads);
		b->workloads[0] = (char *)x->workload[1];
		b->nworkloads = 1;
	}
}

static void new_config_free(const cb_run_config *a, cb_run_config *b)
{
	for (size_t i = a->nparams; i < b->nparams; i++)
		free((char *)b->params[i].key);
	free(b->params);
	if (b->workloads != a->workloads)
		free(b->workloads);
}

/* mkdir -p: the folder and those above it. */
static int make_dir(const char *path, cb_error *err)
{
	char *p = cb_xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; !rc && s && *s; s = strchr(s + 1, '/')) {
		char c = *s;
		if (c != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0777) && errno != EEXIST)
			rc = -1;
		*s = c;
	}
	if (!rc && mkdir(p, 0777) && errno != EEXIST)
		rc = -1;
	free(p);
	return rc ? cb_error_set(err, CB_EXIT_FAIL, "cannot create the output folder '%s': %s", path, strerror(errno)) : 0;
}

/* Writes both sides and the pairs into out. */
static int write_all(const cb_run *plan, cb_ab_side side[2], json_t *pairs, const char *out, cb_error *err)
{
	if (make_dir(out, err))
		return -1;
	for (int s = 0; s < 2; s++) {
		char *dir = cb_xasprintf("%s/%s", out, side[s].name);
		int rc = make_dir(dir, err) || cb_ab_write_side(plan, &side[s], dir, err);
		free(dir);
		if (rc)
			return -1;
	}
	char *text = json_dumps(pairs, JSON_INDENT(1) | JSON_REAL_PRECISION(9));
	char *path = cb_xasprintf("%s/pairs.json", out);
	int rc = text ? cb_write_file_atomic(path, text, strlen(text), err) : -1;
	free(path);
	free(text);
	return rc;
}

/* The parameters whose values differ between the two sides' cells (a
 * --new-param, a workload file with other defaults): compare matches the
 * cells whatever they are, as ab paired them. At most max names. */
static int differing_params(const cb_ab_side side[2], const char **names, int max)
{
	int n = 0;
	size_t i;
	json_t *cell;
	json_array_foreach(side[0].cells, i, cell) {
		json_t *a = json_object_get(cell, "params");
		json_t *b = json_object_get(json_array_get(side[1].cells, i), "params"), *v;
		const char *k;
		json_object_foreach(a, k, v) {
			bool seen = false;
			for (int j = 0; j < n; j++)
				seen |= !strcmp(names[j], k);
			if (!seen && n < max && !json_equal(v, json_object_get(b, k)))
				names[n++] = k;
		}
	}
	return n;
}

/* compare --pairs over the two sides, its report and exit code. */
static int judge(const ab_args *a, const cb_ab_side side[2], const char *out)
{
	enum { MAX_IGNORED = 16 };   /* compare's --ignore-param limit */
	const char *ignored[MAX_IGNORED];
	int nign = differing_params(side, ignored, MAX_IGNORED);
	char **v = cb_xcalloc((size_t)(2 * nign + a->ncmp + 8), sizeof *v);
	int n = 0;
	v[n++] = "compare";
	v[n++] = "--pairs";
	v[n++] = "--save";
	v[n++] = (char *)out;
	for (int i = 0; i < nign; i++) {
		v[n++] = "--ignore-param";
		v[n++] = (char *)ignored[i];
	}
	for (int i = 0; i < a->ncmp; i++)
		v[n++] = a->cmp[i];
	char *base = cb_xasprintf("%s/base/results.json", out), *new = cb_xasprintf("%s/new/results.json", out);
	v[n++] = base;
	v[n++] = new;
	fflush(stdout);
	int rc = cb_cmd_compare(n, v);
	free(base);
	free(new);
	free(v);
	return rc;
}

/* Pairs farther apart than this (the median, start to start, of a
 * cell's pairs: about one repetition's length) do not have the grain ab
 * is for: on the 2-vCPU VM two timings 5-20 ms apart differ by 0.5%,
 * 0.1 s apart by 1.0%, 2 s apart by 1.7%, and a branchy or memory-bound
 * loop's speed steps between 1.0x and 1.5-2x every few seconds, which
 * pairs milliseconds apart cancel. CB_AB_FAR_PAIR_S overrides it (tests). */
#define FAR_PAIR_S 0.2

/* Each cell's median gap between its pairs' two repetitions into
 * pairs.json ("gap_s"), and into warn (empty when none) one warning
 * naming the cells whose pairs are not milliseconds apart and what to do. */
static void pair_gaps(json_t *pairs, char *warn, size_t wn)
{
	const char *env = getenv("CB_AB_FAR_PAIR_S");
	double far = env && atof(env) > 0 ? atof(env) : FAR_PAIR_S, lo = INFINITY, hi = 0;
	json_t *cells = json_object_get(pairs, "cells"), *cell, *pr;
	size_t i, j, nfar = 0;
	const char *first = NULL;
	json_array_foreach(cells, i, cell) {
		json_t *ps = json_object_get(cell, "pairs");
		size_t n = 0;
		double *g = cb_xmalloc((json_array_size(ps) + 1) * sizeof *g);
		json_array_foreach(ps, j, pr)
			g[n++] = fabs(json_number_value(json_object_get(pr, "new_at_s")) -
			              json_number_value(json_object_get(pr, "base_at_s")));
		if (n) {
			double gap = cb_median(g, n);
			json_object_set_new(cell, "gap_s", json_real(gap));
			if (gap > far) {
				nfar++;
				lo = fmin(lo, gap);
				hi = fmax(hi, gap);
				if (!first)
					first = json_string_value(json_object_get(cell, "id"));
			}
		}
		free(g);
	}
	warn[0] = 0;
	if (nfar)
		snprintf(warn, wn, "concbench ab: warning: %zu of %zu cells have their pairs %.2g-%.2g s apart (a "
		         "repetition's length; first %s): a shared machine's speed drifts over seconds, which "
		         "pairs milliseconds apart cancel and these do not; a smaller --size, or a parameter "
		         "that makes a repetition take 5-50 ms, keeps them milliseconds apart\n",
		         nfar, json_array_size(cells), lo, hi, first);
}

/* The plan on BASE's configuration; NEW's is built too where its
 * parameters differ, so that a wrong --new-param is bad input before
 * anything runs (with --new-workload the measuring process says it). */
static int build_plans(cb_run *plan, cb_run_config *cfg_new, const ab_args *a, cb_error *err)
{
	cb_runner_catch_interrupts();
	if (cb_plan_build(plan, err) || cb_runner_check_interrupt(err))
		return -1;
	if (!a->nnew || a->workload[1])
		return 0;
	cb_run check = { .cfg = cfg_new, .topo = plan->topo, .perf_fd = -1, .say = plan->say };
	int rc = cb_plan_build(&check, err);
	cb_plan_free(&check);
	return rc;
}

static int ab_main(ab_args *a, cb_run_config *cfg, cb_error *err)
{
	cb_cli_voice voice = { .quiet = cfg->quiet };
	cb_run plan = { .cfg = cfg, .perf_fd = -1, .say = { cb_cli_say, &voice } };
	cb_run_config cfg_new;
	char *self = cb_self_exe();   /* the binary of a side without --*-bin */
	if (!self)
		self = cb_xstrdup("concbench");
	const char *out = cfg->out_root ? cfg->out_root : "results/ab";
	json_t *pairs = NULL;
	int rc = -1;
	new_config(cfg, a, &cfg_new);
	cb_ab_side side[2] = { { "base", a->bin[0] ? a->bin[0] : self, NULL, cfg, NULL },
	                       { "new", a->bin[1] ? a->bin[1] : self, a->workload[1], &cfg_new, NULL } };
	cb_ab_opts o = { (int)a->pairs, a->budget_s, cfg->seed, a->order, (int)a->processes };
	if (check_bin(side[0].bin, "--base-bin", err) || check_bin(side[1].bin, "--new-bin", err) ||
	    cb_topology_open(&plan.topo, NULL, err) || build_plans(&plan, &cfg_new, a, err))
		goto out;
	if (cb_out_root_check(out, err))
		goto out;
	plan.machine = cb_machine_json(plan.topo);
	if (!o.pairs)
		o.pairs = cb_ab_default_pairs(plan.ncells);
	if (cb_ab_run(&plan, side, &o, &pairs, err))
		goto out;
	char warn[1024];
	pair_gaps(pairs, warn, sizeof warn);
	if (write_all(&plan, side, pairs, out, err))
		goto out;
	if (!cfg->quiet || plan.failed)
		fprintf(stderr, "concbench: A/B results in %s (base/, new/, pairs.json, compare.*)\n", out);
	rc = judge(a, side, out);
	fflush(stdout);
	if (*warn)
		fputs(warn, stderr);
out:
	for (int s = 0; s < 2; s++)
		if (side[s].cells)
			json_decref(side[s].cells);
	if (pairs)
		json_decref(pairs);
	cb_plan_free(&plan);
	if (plan.machine)
		json_decref(plan.machine);
	if (plan.topo)
		cb_topology_free(plan.topo);
	new_config_free(cfg, &cfg_new);
	free(self);
	return rc;
}

int cb_cmd_ab(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return CB_EXIT_OK;
		}
	ab_args a = { .pairs = 0, .budget_s = CB_AB_CELL_BUDGET_S };   /* pairs 0: by the plan's size */
	a.rest = cb_xcalloc((size_t)argc + 1, sizeof *a.rest);
	a.new_params = cb_xcalloc((size_t)argc + 1, sizeof *a.new_params);
	a.rest[a.nrest++] = "ab";
	cb_run_config cfg = { .argc = argc, .argv = argv };
	cb_error err = { 0 };
	cb_topology *topo = NULL;
	int rc = -1;
	if (split_args(argc, argv, &a, &err) || cb_topology_open(&topo, NULL, &err))
		goto done;
	cb_topology_summary sum;
	cb_topology_summarize(topo, &sum);
	if (cb_cli_run_config(a.nrest, a.rest, &cfg, sum.allowed_pus, &err))
		goto done;
	if (a.workload[0] && cfg.nworkloads) {
		cb_error_set(&err, CB_EXIT_USAGE, "-w and --base-workload/--new-workload exclude each other");
		goto done;
	}
	if (a.workload[0]) {
		cfg.workloads = cb_xcalloc(1, sizeof *cfg.workloads);
		cfg.workloads[0] = cb_xstrdup(a.workload[0]);
		cfg.nworkloads = 1;
	}
	rc = ab_main(&a, &cfg, &err);
done:
	if (rc < 0)
		fprintf(stderr, "concbench: %s\n", err.msg);
	if (rc < 0)
		rc = err.code ? err.code : CB_EXIT_FAIL;
	if (topo)
		cb_topology_free(topo);
	cb_cli_run_config_free(&cfg);
	free(a.rest);
	free(a.new_params);
	return rc;
}

int cb_cmd_ab_worker(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cb_ab_serve(STDIN_FILENO, STDOUT_FILENO);
}
