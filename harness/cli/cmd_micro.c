/* `concbench micro [FILTER]`: registers every family of the table in
 * micro.c, selects the benchmarks FILTER names, runs them through the
 * shim and records each as a cell of kind "micro" in a run folder with the
 * results schema of `run` (rewritten after every benchmark), then writes
 * the price-list and lock-scaling .dat files and draws them with the
 * gnuplot templates plots/micro_*.gp. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "engine/gbench.h"
#include "micro/micro.h"
#include "micro/results.h"
#include "render/micro_chart.h"
#include "engine/run.h"


static const char usage_text[] =
	"usage: concbench micro [FILTER] [options] [--benchmark_* flags]\n"
	"\n"
	"Runs the micro-benchmark price list (what starting, switching, locking,\n"
	"waiting and handing over cost here) and writes\n"
	"results/<timestamp>-<host>/results.json with one cell of kind 'micro'\n"
	"per benchmark, plus the charts micro_price and micro_locks (.png, .svg).\n"
	"\n"
	"  FILTER                 a family (sync), family/benchmark (sync/mutex), or a\n"
	"                         glob ('start/thread*', '*pipe*'); default: everything.\n"
	"                         'concbench list micro -v' lists the names\n"
	"      --pin POLICY       where the contended series puts its threads: none,\n"
	"                         compact, spread, cores, or PUs like 0,2 (default: compact);\n"
	"                         same-PU/cross-PU benchmarks use its first two PUs\n"
	"  -r, --reps N           repetitions per benchmark (default: 3)\n"
	"      --min-time S       minimum time per repetition, seconds (default: 0.05)\n"
	"  -o, --out DIR          results root (default: results)\n"
	"  -q, --quiet            no table, no progress line, no warnings\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 every benchmark ran or was skipped (with the reason recorded),\n"
	"1 a benchmark failed its verification, 2 bad input, 3 the machine cannot run it.\n";

typedef struct micro_opts {
	const char *filter, *pin, *reps, *min_time, *out;
	bool quiet;
} micro_opts;

/* The run: its results (micro/results.h) and the benchmarks selected. */
typedef struct micro_run {
	const micro_opts *opts;
	cb_micro_results res;
	char **names;
	int nnames;
	double t_start;
} micro_run;

/* The progress line after each benchmark, on a terminal. */
static void progress(void *ctx, const char *id)
{
	micro_run *mr = ctx;
	if (mr->opts->quiet || !isatty(STDERR_FILENO))
		return;
	int done = mr->res.done;
	double el = cb_now() - mr->t_start;
	double eta = done ? el / done * (mr->nnames - done) : 0;
	fprintf(stderr, "\r\033[K[%d/%d] %s  %dm%02ds, ETA %dm%02ds", done, mr->nnames, id, (int)el / 60,
	        (int)el % 60, (int)eta / 60, (int)eta % 60);
	fflush(stderr);
}

/* ---- charts ---- */

/* Each chart's failure is a warning: the results are already written. */
static void draw_chart(const micro_run *mr, const char *name, const cb_micro_chart *data,
                       const char *words_var, bool rows, const char *what)
{
	cb_error err = { 0 };
	if (cb_micro_chart_draw(mr->res.dir, name, data, words_var, rows, &err) && !mr->opts->quiet)
		fprintf(stderr, "concbench: warning: no %s chart: %s\n", what, err.msg);
}

static void draw_charts(const micro_run *mr)
{
	cb_micro_chart price, locks;
	cb_micro_price_data(mr->res.cells, &price);
	cb_micro_locks_data(mr->res.cells, &locks);
	draw_chart(mr, "micro_price", &price, "models", true, "price-list");
	draw_chart(mr, "micro_locks", &locks, "names", false, "lock-scaling");
	cb_micro_chart_free(&price);
	cb_micro_chart_free(&locks);
}

static void print_table(const micro_run *mr)
{
	printf("%-44s %12s %14s %11s %11s  %s\n", "benchmark", "ns/op", "ops/s", "p50", "p99", "note");
	size_t i;
	json_t *c;
	json_array_foreach(mr->res.cells, i, c) {
		char ns[32] = "-", ops[32] = "-", p50[32] = "", p99[32] = "";
		json_t *v = json_object_get(c, "ns_per_op"), *lat = json_object_get(c, "latency");
		if (json_is_number(v))
			snprintf(ns, sizeof ns, "%.1f", json_number_value(v));
		if (json_is_number(v = json_object_get(c, "ops_per_s")))
			snprintf(ops, sizeof ops, "%.4g", json_number_value(v));
		if (lat) {
			snprintf(p50, sizeof p50, "%.3gus", json_number_value(json_object_get(lat, "p50_s")) * 1e6);
			snprintf(p99, sizeof p99, "%.3gus", json_number_value(json_object_get(lat, "p99_s")) * 1e6);
		}
		const char *skip = json_string_value(json_object_get(c, "skipped")),
		           *err = json_string_value(json_object_get(c, "error"));
		printf("%-44s %12s %14s %11s %11s  %s%s%s\n", json_string_value(json_object_get(c, "id")), ns, ops,
		       p50, p99, skip ? "skipped: " : "", skip ? skip : "", err ? err : "");
	}
}

/* ---- setup ---- */

enum { OPT_PIN = 256, OPT_MIN_TIME };

static const struct option options[] = {
	{ "pin", required_argument, NULL, OPT_PIN },
	CB_OPT_REPS,
	{ "min-time", required_argument, NULL, OPT_MIN_TIME },
	CB_OPT_OUT,
	CB_OPT_QUIET,
	CB_OPT_HELP,
	CB_OPT_END,
};

static int parse_options(int argc, char **argv, micro_opts *o, int *gb_argc, char **gb_argv, cb_error *err)
{
	/* Google Benchmark's flags are taken out before getopt sees them. */
	argc = cb_gb_take_flags(argc, argv, gb_argc, gb_argv);
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":r:o:qh", options, NULL)) != -1) {
		switch (ch) {
		case 'r': o->reps = optarg; break;
		case 'o': o->out = optarg; break;
		case 'q': o->quiet = true; break;
		case 'h': fputs(usage_text, stdout); return 1;
		case OPT_PIN: o->pin = optarg; break;
		case OPT_MIN_TIME: o->min_time = optarg; break;
		default:
			return cb_cli_opt_error("micro", ch, argv, err);
		}
	}
	if (optind < argc)
		o->filter = argv[optind++];
	if (optind < argc)
		return cb_error_set(err, CB_EXIT_USAGE, "unexpected argument '%s': one FILTER at most (see 'concbench micro --help')",
		                    argv[optind]);
	return 0;
}

static void collect_name(const char *name, void *ctx)
{
	micro_run *mr = ctx;
	const char *pattern = mr->opts->filter;
	char *id = cb_micro_id(name);
	if (cb_micro_match(pattern, name) || cb_micro_match(pattern, id)) {
		mr->names = cb_xrealloc(mr->names, (size_t)(mr->nnames + 1) * sizeof *mr->names);
		mr->names[mr->nnames++] = cb_xstrdup(name);
	}
	free(id);
}

/* -r, --min-time and a family filter, checked: 0, or -1 with err. */
static int check_values(const micro_opts *o, long *reps, double *min_time, cb_error *err)
{
	if (o->reps && (cb_parse_long(o->reps, reps) || *reps < 1 || *reps > 1000))
		return cb_error_set(err, CB_EXIT_USAGE, "-r/--reps '%s' must be a whole number from 1 to 1000", o->reps);
	if (o->min_time && (cb_parse_duration(o->min_time, min_time) || !(*min_time > 0) || *min_time > 60))
		return cb_error_set(err, CB_EXIT_USAGE, "--min-time '%s' must be a duration above 0 and at most 60 s",
		                    o->min_time);
	if (cb_micro_pattern_is_family(o->filter) && !cb_micro_family_find(o->filter))
		return cb_error_set(err, CB_EXIT_USAGE, "unknown micro family '%s' (families: %s)", o->filter,
		                    cb_micro_family_names());
	return 0;
}

/* The measurement engine with our defaults before the user's flags, every
 * family registered, and the names the filter selects in mr: 0, or -1
 * with err (an unknown engine flag, nothing selected). */
static int start_engine(micro_run *mr, cb_micro_env *env, char *minflag, char *repflag, int *gb_argc,
                        char **gb_argv, cb_error *err)
{
	memmove(gb_argv + 4, gb_argv + 1, (size_t)(*gb_argc - 1) * sizeof *gb_argv);
	gb_argv[1] = minflag;
	gb_argv[2] = repflag;
	gb_argv[3] = "--benchmark_enable_random_interleaving=false";
	*gb_argc += 3;
	cb_gb_init(gb_argc, gb_argv);
	if (*gb_argc > 1)
		return cb_error_set(err, CB_EXIT_USAGE, "unknown measurement-engine flag '%s'", gb_argv[1]);
	cb_micro_env_set(env);
	for (const cb_micro_family *f = cb_micro_families; f->name; f++)
		f->register_fn();
	cb_gb_list(NULL, collect_name, mr);
	if (!mr->nnames)
		return cb_error_set(err, CB_EXIT_USAGE, "no micro benchmark matches '%s' (families: %s)",
		                    mr->opts->filter, cb_micro_family_names());
	return 0;
}

/* The run's folder, with a first results.json, published as the latest
 * run and the latest price list: 0, or -1 with err (the folder removed). */
static int open_run_dir(micro_run *mr, cb_error *err)
{
	const char *root = mr->opts->out ? mr->opts->out : "results";
	if (cb_run_dir_create(root, mr->res.created, &mr->res.dir, err))
		return -1;
	mr->res.cells = json_array();
	if (cb_micro_results_write(&mr->res, false, err)) {
		cb_run_dir_remove(mr->res.dir);
		return -1;
	}
	cb_run_dir_publish(root, mr->res.dir);
	cb_run_dir_publish_as(root, mr->res.dir, CB_MICRO_LATEST);
	return 0;
}

/* The benchmarks that regex selects, measured into mr, then the results,
 * the charts, the table and the report: 0 (mr->failed says whether a
 * benchmark failed its verification), or -1 with err. */
static int measure(micro_run *mr, const char *regex, cb_error *err)
{
	bool quiet = mr->opts->quiet;
	mr->t_start = cb_now();
	if (cb_gb_run(regex, cb_micro_results_on_run, &mr->res) < 0)
		return cb_error_set(err, CB_EXIT_FAIL, "the measurement engine refused the filter");
	cb_micro_results_finish(&mr->res);
	if (!quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	if (mr->res.err.code) {
		*err = mr->res.err;
		return -1;
	}
	if (cb_micro_results_write(&mr->res, true, err))
		return -1;
	draw_charts(mr);
	if (!quiet)
		print_table(mr);
	/* The report of the price list, beside the results, as `run` has. */
	char *file = cb_xasprintf("%s/results.json", mr->res.dir);
	fflush(stdout);
	if (cb_cli_report_quiet(file, mr->res.dir, quiet) == CB_EXIT_USAGE)
		mr->res.failed = true;
	free(file);
	if (!quiet || mr->res.failed)
		fprintf(stderr, "concbench: results in %s/results.json%s\n", mr->res.dir,
		        mr->res.failed ? " (a benchmark failed its verification)" : "");
	return 0;
}

static void micro_run_free(micro_run *mr)
{
	cb_micro_results_free(&mr->res);
	for (int i = 0; i < mr->nnames; i++)
		free(mr->names[i]);
	free(mr->names);
}

int cb_cmd_micro(int argc, char **argv)
{
	micro_opts o = { 0 };
	micro_run mr = { .opts = &o };
	mr.res = (cb_micro_results){ .progress = progress, .ctx = &mr };
	cb_error err = { 0 };
	cb_topology *topo = NULL;
	cb_pin pin = { 0 };
	cb_placement pl = { 0 }, pair = { 0 };
	cb_micro_env env;
	char *regex = NULL, *minflag = NULL, *repflag = NULL;
	int rc;
	char **gb_argv = cb_xcalloc((size_t)argc + 6, sizeof *gb_argv);
	int gb_argc = 1;
	gb_argv[0] = "concbench";
	char **cmdline = cb_xcalloc((size_t)argc + 1, sizeof *cmdline);
	cmdline[0] = "concbench";
	for (int i = 0; i < argc; i++)
		cmdline[i + 1] = argv[i];
	mr.res.argv = cmdline;
	mr.res.argc = argc + 1;

	rc = parse_options(argc, argv, &o, &gb_argc, gb_argv, &err);
	if (rc > 0) {
		rc = CB_EXIT_OK;
		goto out;
	}
	if (rc)
		goto fail;
	long reps = 3;
	double min_time = 0.05;
	if (check_values(&o, &reps, &min_time, &err))
		goto fail;
	if (cb_pin_parse(o.pin ? o.pin : "compact", &pin, &err) || cb_topology_open(&topo, NULL, &err) ||
	    cb_micro_env_place(&env, topo, &pin, &pl, &pair, &err))
		goto fail;
	if (cb_out_root_check(o.out ? o.out : "results", &err))
		goto fail;

	/* Defaults first so that the user's own --benchmark_* flags win. */
	minflag = cb_xasprintf("--benchmark_min_time=%g", min_time);
	repflag = cb_xasprintf("--benchmark_repetitions=%ld", reps);
	if (start_engine(&mr, &env, minflag, repflag, &gb_argc, gb_argv, &err))
		goto fail;
	mr.res.pin = o.pin;
	mr.res.machine = cb_machine_json(topo);
	mr.res.config = cb_micro_config_json(o.filter, &pin, (int)reps, min_time);
	if (open_run_dir(&mr, &err))
		goto fail;
	regex = cb_micro_regex(mr.names, mr.nnames);
	if (measure(&mr, regex, &err))
		goto fail;
	rc = mr.res.failed ? CB_EXIT_FAIL : CB_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "concbench: %s\n", err.msg);
	rc = err.code ? err.code : CB_EXIT_FAIL;
out:
	cb_micro_env_set(NULL);
	cb_gb_clear();
	micro_run_free(&mr);
	free(regex);
	free(minflag);
	free(repflag);
	cb_placement_free(&pl);
	cb_placement_free(&pair);
	cb_pin_free(&pin);
	if (topo)
		cb_topology_free(topo);
	free(gb_argv);
	free(cmdline);
	return rc;
}
