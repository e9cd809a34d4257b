/* `concbench granularity`: the smallest task each model runs efficiently.
 * A fixed amount of work (synth.amdahl with no serial part) is split into
 * tasks of a duration stepped on a log scale; at each duration every
 * strategy runs at its worker counts as an ordinary `run` (fresh measuring
 * processes, pinned, every checksum verified, repetitions paired with
 * serial ones); efficiency against task duration gives each model's METG
 * (Task Bench's minimum effective task granularity) at 50% and 90%. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/granularity.h"
#include "analysis/metg.h"
#include "cli/commands.h"
#include "render/granularity.h"
#include "render/plot.h"
#include "render/report.h"
#include "resultfile/read.h"

#define MAX_STEPS CB_GRAN_MAX_STEPS

typedef cb_gran_series series;

static const char usage_text[] =
	"usage: concbench granularity [-s LIST] [-n LIST] [--from D] [--to D] [--per-decade K]\n"
	"                             [--work D] [--pattern P [--width W] [--sync S]]\n"
	"                             [--price FILE] [-r N] [-o DIR] [-q]\n"
	"\n"
	"The smallest task each model runs efficiently. A fixed amount of CPU work\n"
	"(synth.amdahl, no serial part) is split into tasks of a duration stepped on\n"
	"a log scale; at each duration every strategy runs at its worker counts as a\n"
	"`concbench run` does (a fresh measuring process per cell, pinned, checksums\n"
	"verified, each repetition paired with a serial one). It prints the\n"
	"efficiency at each task duration and each model's METG(50%) and METG(90%):\n"
	"the shortest task at which it still reaches that efficiency (Task Bench's\n"
	"metric), interpolated in log duration, with an interval from the fastest and\n"
	"slowest repetitions; draws granularity.png and writes the sweep's report\n"
	"(report.html, report.md: `concbench report DIR` writes it again).\n"
	"\n"
	"  -s, --strategy LIST  strategies (default: every one that runs here, mpi too)\n"
	"  -n, --workers LIST   worker counts (default: 1,all)\n"
	"      --from D         the shortest task (default 100ns)\n"
	"      --to D           the longest task (default 10ms)\n"
	"      --per-decade K   durations per factor of 10 (default 2)\n"
	"      --work D         the serial time of one job (default 50ms)\n"
	"      --pattern P      sweep a task graph instead of a bag of tasks: graph.deps\n"
	"                       with pattern P (trivial, stencil, fft, tree, all_to_all),\n"
	"                       W tasks a step and as many steps as make --work at each\n"
	"                       task duration\n"
	"      --width W        with --pattern: tasks a step (default 4)\n"
	"      --sync S         with --pattern: what a task waits for, its own inputs\n"
	"                       (default) or every task of the step before (step: a\n"
	"                       barrier a step's effect)\n"
	"      --price FILE     a `concbench micro pools` results.json: each model's METG\n"
	"                       is set beside what its cost of a job and of a task\n"
	"                       predict (pools/S_empty_job, pools/S_map_100k at the same\n"
	"                       workers), with the ratio; over 2x is called out\n"
	"  -r, --reps N         timed repetitions per cell (default 3)\n"
	"  -o, --out DIR        results root (default: results); the sweep goes to\n"
	"                       DIR/granularity-<timestamp>, one run per duration in it\n"
	"  -q, --quiet          no table\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 measured, 1 a cell failed, 2 bad input, 3 this machine cannot\n"
	"run the request (no gnuplot: the chart is left out with a warning).\n";

typedef struct {
	const char *strategies, *workers, *out, *reps, *price;
	const char *pattern;     /* graph.deps's pattern, or NULL: a bag of tasks (synth.amdahl) */
	const char *sync;        /* graph.deps's sync (inputs, step), or NULL: its default */
	long width;
	bool width_set;          /* --width given: it goes with --pattern */
	double from, to, work;
	int per_decade;
	bool quiet;
} gran_opts;

static int parse_duration_opt(const char *name, const char *v, double *out, cb_error *err)
{
	if (cb_parse_duration(v, out) || !(*out >= 1e-7 && *out <= 60))
		return cb_error_set(err, CB_EXIT_USAGE, "--%s '%s' is not a duration from 100ns to 60s (as 1us, "
		                    "10ms)", name, v);
	return 0;
}

static int parse_args(int argc, char **argv, gran_opts *o, cb_error *err)
{
	static const struct option longopts[] = {
		{ "strategy", required_argument, NULL, 's' }, { "workers", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'F' },     { "to", required_argument, NULL, 'T' },
		{ "per-decade", required_argument, NULL, 'K' }, { "work", required_argument, NULL, 'W' },
		{ "price", required_argument, NULL, 'P' },    { "pattern", required_argument, NULL, 'G' },
		{ "width", required_argument, NULL, 'D' },    { "sync", required_argument, NULL, 'Y' },
		CB_OPT_REPS, CB_OPT_OUT, CB_OPT_QUIET, CB_OPT_HELP, CB_OPT_END,
	};
	*o = (gran_opts){ .workers = "1,all", .out = "results", .reps = "3", .from = 1e-7, .to = 1e-2,
	                  .work = 0.05, .per_decade = 2, .width = 4 };
	optind = 1;
	opterr = 0;
	int ch;
	long v;
	while ((ch = getopt_long(argc, argv, ":s:n:r:o:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': return 1;
		case 's': o->strategies = optarg; break;
		case 'n': o->workers = optarg; break;
		case 'r': o->reps = optarg; break;
		case 'o': o->out = optarg; break;
		case 'q': o->quiet = true; break;
		case 'P': o->price = optarg; break;
		case 'G': o->pattern = optarg; break;
		case 'Y':
			if (strcmp(optarg, "inputs") && strcmp(optarg, "step"))
				return cb_error_set(err, CB_EXIT_USAGE, "--sync '%s' is not inputs or step", optarg);
			o->sync = optarg;
			break;
		case 'D':
			if (cb_parse_long(optarg, &v) || v < 1 || v > 256)
				return cb_error_set(err, CB_EXIT_USAGE, "--width '%s' must be a whole number from 1 to 256", optarg);
			o->width = v;
			o->width_set = true;
			break;
		case 'F': if (parse_duration_opt("from", optarg, &o->from, err)) return -1; break;
		case 'T': if (parse_duration_opt("to", optarg, &o->to, err)) return -1; break;
		case 'W': if (parse_duration_opt("work", optarg, &o->work, err)) return -1; break;
		case 'K':
			if (cb_parse_long(optarg, &v) || v < 1 || v > 10)
				return cb_error_set(err, CB_EXIT_USAGE, "--per-decade '%s' must be a whole number from 1 to 10",
				                    optarg);
			o->per_decade = (int)v;
			break;
		default:
			return cb_cli_opt_error("granularity", ch, argv, err);
		}
	}
	if (optind < argc)
		return cb_error_set(err, CB_EXIT_USAGE, "unexpected argument '%s' (see 'concbench granularity --help')",
		                    argv[optind]);
	if (o->sync && !o->pattern)
		return cb_error_set(err, CB_EXIT_USAGE, "--sync goes with --pattern (a task graph; a bag of tasks "
		                    "waits for nothing)");
	if (o->width_set && !o->pattern)
		return cb_error_set(err, CB_EXIT_USAGE, "--width goes with --pattern (the tasks a step of a task "
		                    "graph; a bag of tasks has no steps)");
	if (!(o->to > o->from))
		return cb_error_set(err, CB_EXIT_USAGE, "--to must be longer than --from");
	if (o->work < o->to)
		return cb_error_set(err, CB_EXIT_USAGE, "--work %g s is shorter than the longest task (--to %g s): "
		                    "a job needs one task at least", o->work, o->to);
	return 0;
}

/* The task counts of the sweep, shortest task first (most tasks). */
static int task_counts(const gran_opts *o, long *tasks)
{
	int n = 0;
	double step = pow(10, 1.0 / o->per_decade);
	for (double d = o->from; d <= o->to * 1.0001 && n < MAX_STEPS; d *= step) {
		long k = lround(o->work / d);
		if (k < 1 || (n && k == tasks[n - 1]))
			continue;
		tasks[n++] = k;
	}
	return n;
}

/* One `run` at `tasks` tasks, into root/tasks-K; its results.json path. */
static int run_step(const gran_opts *o, const char *root, long tasks, char **path)
{
	char *out = cb_xasprintf("%s/tasks-%ld", root, tasks);
	char *work, *nt, *extra = NULL;
	if (o->pattern) {
		/* The graph's steps make the job's work: tasks / width of them. */
		long steps = tasks / o->width > 0 ? tasks / o->width : 1;
		work = cb_xasprintf("graph.deps:task=%gs", o->work / (double)(steps * o->width));
		nt = cb_xasprintf("graph.deps:steps=%ld", steps);
		extra = cb_xasprintf("graph.deps:width=%ld", o->width);
	} else {
		work = cb_xasprintf("synth.amdahl:work=%gs", o->work);
		nt = cb_xasprintf("synth.amdahl:tasks=%ld", tasks);
	}
	char *pattern = o->pattern ? cb_xasprintf("graph.deps:pattern=%s", o->pattern) : NULL;
	char *sync = o->sync ? cb_xasprintf("graph.deps:sync=%s", o->sync) : NULL;
	char *argv[32];
	int argc = 0;
	argv[argc++] = "run";
	argv[argc++] = "-q";
	argv[argc++] = "-w";
	argv[argc++] = o->pattern ? "graph.deps" : "synth.amdahl";
	if (o->strategies) {
		argv[argc++] = "-s";
		argv[argc++] = (char *)o->strategies;
	}
	argv[argc++] = "-n";
	argv[argc++] = (char *)o->workers;
	argv[argc++] = "--param";
	argv[argc++] = o->pattern ? pattern : "synth.amdahl:serial=0";
	if (extra) {
		argv[argc++] = "--param";
		argv[argc++] = extra;
	}
	if (sync) {
		argv[argc++] = "--param";
		argv[argc++] = sync;
	}
	argv[argc++] = "--param";
	argv[argc++] = work;
	argv[argc++] = "--param";
	argv[argc++] = nt;
	argv[argc++] = "-r";
	argv[argc++] = (char *)o->reps;
	argv[argc++] = "-o";
	argv[argc++] = out;
	argv[argc] = NULL;
	int rc = cb_cmd_run(argc, argv);
	*path = cb_xasprintf("%s/latest/results.json", out);
	free(out);
	free(work);
	free(nt);
	free(extra);
	free(pattern);
	free(sync);
	return rc;
}

static void print_table(series *all, size_t n, int nsteps)
{
	printf("%-22s", "series \\ task");
	double d[MAX_STEPS] = { 0 };
	for (int k = 0; k < nsteps; k++)
		for (size_t i = 0; i < n; i++)
			if (all[i].have[k])
				d[k] = all[i].d[k];
	for (int k = 0; k < nsteps; k++) {
		char b[24];
		cb_gran_fmt_metg(d[k], CB_METG_FOUND, b, sizeof b);
		printf(" %9s", b);
	}
	printf("   METG(50%%) [interval]          METG(90%%)   price list's METG(50%%)\n");
	for (size_t i = 0; i < n; i++) {
		printf("%-22s", all[i].name);
		for (int k = 0; k < nsteps; k++)
			if (all[i].have[k])
				printf(" %9.2f", all[i].e[k]);
			else
				printf(" %9s", "-");
		cb_metg_where w, wl, wh, w9;
		char m[24], lo[24], hi[24], m9[24];
		double vm = cb_gran_metg(&all[i], nsteps, 0.5, all[i].e, &w);
		double vlo = cb_gran_metg(&all[i], nsteps, 0.5, all[i].hi, &wl);
		double vhi = cb_gran_metg(&all[i], nsteps, 0.5, all[i].lo, &wh);
		double v9 = cb_gran_metg(&all[i], nsteps, 0.9, all[i].e, &w9);
		cb_gran_fmt_metg(vm, w, m, sizeof m);
		cb_gran_fmt_metg(vlo, wl, lo, sizeof lo);
		cb_gran_fmt_metg(vhi, wh, hi, sizeof hi);
		cb_gran_fmt_metg(v9, w9, m9, sizeof m9);
		printf("   %-10s [%s, %s]   %-10s", m, lo, hi, m9);
		if (isfinite(all[i].est50)) {
			char es[24];
			cb_gran_fmt_metg(all[i].est50, CB_METG_FOUND, es, sizeof es);
			double ratio = w == CB_METG_FOUND ? vm / all[i].est50 : NAN;
			printf("   %s", es);
			if (isfinite(ratio))
				printf(" (measured %.2fx%s)", ratio, ratio > 2 || ratio < 0.5 ? ": more than 2x apart" : "");
		} else {
			printf("   -");
		}
		printf("\n");
	}
}

/* Each series' METG beside what the price list (--price) predicts. */
static void price_check(const gran_opts *o, series *all, size_t n)
{
	if (o->price) {
		json_error_t je;
		json_t *price = json_load_file(o->price, 0, &je);
		if (!price)
			fprintf(stderr, "concbench: warning: --price %s: %s (line %d): METG not checked against the price list\n",
			        o->price, je.text, je.line);
		else
			cb_gran_estimate(all, n, price, o->work);
		json_decref(price);
	} else if (!o->quiet) {
		fprintf(stderr, "concbench granularity: no price list given (--price FILE from `concbench micro "
		        "pools`): METG not checked against it\n");
	}
}

/* The sweep's report beside it: "The smallest task each model runs
 * efficiently" (what `concbench report DIR` writes again). */
static bool write_report(const char *root)
{
	cb_report_out rep;
	cb_error err = { 0 };
	if (cb_report_granularity(root, root, &rep, &err)) {
		fprintf(stderr, "concbench: warning: no report of the sweep: %s\n", err.msg);
		return false;
	}
	cb_report_out_free(&rep);
	return true;
}

int cb_cmd_granularity(int argc, char **argv)
{
	gran_opts o;
	cb_error err = { 0 };
	int r = cb_cli_parsed(parse_args(argc, argv, &o, &err), usage_text, &err);
	if (r >= 0)
		return r;
	long tasks[MAX_STEPS];
	int nsteps = task_counts(&o, tasks), rc = CB_EXIT_OK;
	char stamp[32];
	time_t now = time(NULL);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", gmtime(&now));
	char *root = cb_xasprintf("%s/granularity-%s", o.out, stamp);
	if (cb_mkdir_p(root, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		free(root);
		return err.code;
	}
	series *all = NULL;
	size_t n = 0;
	cb_rdoc *last = NULL;
	for (int k = 0; k < nsteps; k++) {
		if (!o.quiet)
			fprintf(stderr, "concbench granularity: %d of %d: %ld tasks of %.3g us\n", k + 1, nsteps, tasks[k],
			        o.work / (double)tasks[k] * 1e6);
		char *path = NULL;
		int step = run_step(&o, root, tasks[k], &path);
		cb_rdoc *d = NULL;
		if (step <= CB_EXIT_FAIL && !cb_results_read(path, &d, &err)) {
			cb_gran_collect(d, k, &all, &n);
			cb_rdoc_free(last);
			last = d;
		}
		free(path);
		rc = step > rc ? step : rc;
		if (step > CB_EXIT_FAIL)
			break;
	}
	price_check(&o, all, n);
	json_t *doc = json_pack("{s:s, s:s, s:o, s:f, s:i, s:o}", "schema", "concbench.granularity/1", "workload",
	                        o.pattern ? "graph.deps" : "synth.amdahl", "pattern",
	                        o.pattern ? json_pack("{s:s, s:i, s:s}", "name", o.pattern, "width", (json_int_t)o.width,
	                                            "sync", o.sync ? o.sync : "inputs")
	                                  : json_null(), "work_s", o.work, "per_decade", o.per_decade, "series", json_array());
	for (size_t i = 0; i < n; i++)
		json_array_append_new(json_object_get(doc, "series"), cb_gran_series_json(&all[i], nsteps));
	/* The schedule its runs used (run's default): what the price list's
	 * cost of a task (pools/S_map_100k, dynamic:1) has to match. */
	const json_t *sched = last ? json_object_get(json_object_get(last->root, "config"), "schedule") : NULL;
	if (json_is_string(sched))
		json_object_set_new(doc, "schedule", json_string(json_string_value(sched)));
	char *out = cb_xasprintf("%s/granularity.json", root);
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(6));
	if (cb_write_file_atomic(out, text, strlen(text), &err))
		fprintf(stderr, "concbench: %s\n", err.msg), rc = CB_EXIT_FAIL;
	if (!o.quiet && n)
		print_table(all, n, nsteps);
	if (n && cb_gran_chart(root, all, n, nsteps, o.from, o.to, last, &err))
		fprintf(stderr, "concbench: warning: no granularity chart: %s\n", err.msg);
	bool reported = n && write_report(root);
	if (!o.quiet)
		fprintf(stderr, "concbench: granularity in %s (granularity.json, granularity.png%s)\n", root,
		        reported ? ", report.html, report.md" : "");
	free(text);
	free(out);
	json_decref(doc);
	cb_rdoc_free(last);
	free(all);
	free(root);
	return rc;
}
