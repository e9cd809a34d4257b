/* `concbench micro [FILTER]`: registers every family of the table in
 * micro.c, selects the benchmarks FILTER names, runs them through the
 * shim and records each as a cell of kind "micro" in a run folder with the
 * results schema of `run` (rewritten after every benchmark), then writes
 * the price-list and lock-scaling .dat files and draws them with the
 * gnuplot templates plots/micro_*.gp. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "render/gnuplot.h"
#include "engine/gbench.h"
#include "micro/micro.h"
#include "render/micro_chart.h"
#include "engine/run.h"
#include "resultfile/file.h"


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

/* One benchmark's repetitions while they arrive from the reporter. */
typedef struct micro_cell {
	char *name;              /* Google Benchmark's run name */
	char *label;
	json_t *reps;            /* array of rep objects */
	double *s_per_op;
	int nreps;
	char *error, *skipped;
} micro_cell;

typedef struct micro_run {
	const micro_opts *opts;
	char **argv;
	int argc;
	char *dir;
	char created[32];
	json_t *machine, *config, *cells;
	char **names;
	int nnames, done, failed;
	micro_cell cur;
	double t_start;
	cb_error err;
} micro_run;

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* The counters of every repetition, folded to their median. */
static json_t *counter_medians(json_t *reps)
{
	json_t *out = json_object();
	json_t *first = json_object_get(json_array_get(reps, 0), "counters");
	const char *key;
	json_t *v;
	json_object_foreach(first, key, v) {
		size_t n = json_array_size(reps), i;
		double *x = cb_xcalloc(n, sizeof *x);
		json_t *r;
		int k = 0;
		json_array_foreach(reps, i, r) {
			json_t *c = json_object_get(json_object_get(r, "counters"), key);
			if (json_is_number(c))
				x[k++] = json_number_value(c);
		}
		json_object_set_new(out, key, num_or_null(k ? cb_median(x, (size_t)k) : NAN));
		free(x);
	}
	return out;
}

static json_t *cell_json(const micro_run *mr, const micro_cell *c)
{
	char *id = cb_micro_id(c->name);
	const char *slash = strchr(id, '/');
	char *family = slash ? strndup(id, (size_t)(slash - id)) : cb_xstrdup(id);
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(id));
	json_object_set_new(j, "kind", json_string("micro"));
	json_object_set_new(j, "family", json_string(family));
	json_object_set_new(j, "benchmark", json_string(slash ? slash + 1 : id));
	json_object_set_new(j, "model", json_string(cb_micro_model(id, c->label)));
	json_object_set_new(j, "pin", json_string(mr->opts->pin ? mr->opts->pin : "compact"));
	json_object_set_new(j, "reps", json_incref(c->reps));
	json_t *counters = counter_medians(c->reps);
	json_t *workers = json_object_get(counters, "workers");
	json_object_set_new(j, "workers", json_integer(json_is_number(workers) ? (json_int_t)json_number_value(workers) : 1));
	cb_stats s = { NAN, NAN, NAN, NAN, NAN, NAN };
	if (c->nreps)
		cb_stats_compute(c->s_per_op, (size_t)c->nreps, &s);
	json_object_set_new(j, "stats", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
	        "median_s", num_or_null(s.median), "mean_s", num_or_null(s.mean),
	        "stddev_s", num_or_null(s.stddev), "cv", num_or_null(s.cv),
	        "min_s", num_or_null(s.min), "max_s", num_or_null(s.max)));
	json_object_set_new(j, "ns_per_op", num_or_null(c->nreps ? s.median * 1e9 : NAN));
	double ops = NAN;
	if (c->nreps) {
		double *x = cb_xcalloc((size_t)c->nreps, sizeof *x);
		size_t i;
		json_t *r;
		json_array_foreach(c->reps, i, r)
			x[i] = json_number_value(json_object_get(r, "ops_per_s"));
		ops = cb_median(x, (size_t)c->nreps);
		free(x);
	}
	json_object_set_new(j, "ops_per_s", num_or_null(ops));
	json_t *p50 = json_object_get(counters, "p50_ns"), *p99 = json_object_get(counters, "p99_ns"),
	       *max = json_object_get(counters, "max_ns");
	if (json_is_number(p50) && json_is_number(p99))
		json_object_set_new(j, "latency", json_pack("{s:f, s:f, s:o}",
		        "p50_s", json_number_value(p50) * 1e-9, "p99_s", json_number_value(p99) * 1e-9,
		        "max_s", json_is_number(max) ? json_real(json_number_value(max) * 1e-9) : json_null()));
	json_object_set_new(j, "counters", counters);
	json_object_set_new(j, "skipped", c->skipped ? json_string(c->skipped) : json_null());
	json_object_set_new(j, "error", c->error ? json_string(c->error) : json_null());
	free(family);
	free(id);
	return j;
}

static json_t *results_root(const micro_run *mr, bool complete)
{
	json_t *root = json_object();
	json_t *cmd = json_array();
	for (int i = 0; i < mr->argc; i++)
		json_array_append_new(cmd, json_string(mr->argv[i]));
	json_object_set_new(root, "schema", json_string(CB_RESULTS_SCHEMA));
	json_object_set_new(root, "concbench_version", json_string(CB_VERSION_STRING));
	json_object_set_new(root, "created", json_string(mr->created));
	json_object_set_new(root, "command", cmd);
	json_object_set_new(root, "complete", json_boolean(complete));
	json_object_set_new(root, "machine", json_incref(mr->machine));
	json_object_set_new(root, "config", json_incref(mr->config));
	json_object_set_new(root, "cells", json_incref(mr->cells));
	return root;
}

static const char *const csv_columns[] = {
	"id", "family", "benchmark", "model", "pin", "workers", "ns_per_op", "ops_per_s", "median_s",
	"mean_s", "stddev_s", "cv", "min_s", "max_s", "p50_s", "p99_s", "skipped", "error", NULL,
};

static int write_results(micro_run *mr, bool complete, cb_error *err)
{
	static const char *const within[] = { "stats", "latency", NULL };
	json_t *root = results_root(mr, complete);
	int rc = cb_results_write_files(mr->dir, root, csv_columns, within, err);
	json_decref(root);
	return rc;
}

static void progress(micro_run *mr, const char *id)
{
	if (mr->opts->quiet || !isatty(STDERR_FILENO))
		return;
	double el = cb_now() - mr->t_start;
	double eta = mr->done ? el / mr->done * (mr->nnames - mr->done) : 0;
	fprintf(stderr, "\r\033[K[%d/%d] %s  %dm%02ds, ETA %dm%02ds", mr->done, mr->nnames, id, (int)el / 60,
	        (int)el % 60, (int)eta / 60, (int)eta % 60);
	fflush(stderr);
}

static void cell_clear(micro_cell *c)
{
	free(c->name);
	free(c->label);
	free(c->s_per_op);
	free(c->error);
	free(c->skipped);
	if (c->reps)
		json_decref(c->reps);
	memset(c, 0, sizeof *c);
}

static void finish_cell(micro_run *mr)
{
	micro_cell *c = &mr->cur;
	if (!c->name)
		return;
	json_t *j = cell_json(mr, c);
	json_array_append_new(mr->cells, j);
	if (c->error)
		mr->failed++;
	mr->done++;
	if (!mr->err.code)
		write_results(mr, false, &mr->err);
	progress(mr, json_string_value(json_object_get(j, "id")));
	cell_clear(c);
}

static void on_run(const struct cb_gb_run *r, void *ctx)
{
	micro_run *mr = ctx;
	micro_cell *c = &mr->cur;
	if (c->name && strcmp(c->name, r->name))
		finish_cell(mr);
	if (!c->name) {
		c->name = cb_xstrdup(r->name);
		c->label = cb_xstrdup(r->label ? r->label : "");
		c->reps = json_array();
	}
	if (r->aggregate)
		return;   /* the statistics are computed from the repetitions */
	if (r->error) {
		const char *msg = r->error_message ? r->error_message : "error";
		if (cb_micro_is_skip(msg)) {
			if (!c->skipped)
				c->skipped = cb_xstrdup(msg + strlen(CB_MICRO_SKIP_PREFIX));
		} else if (!c->error) {
			c->error = cb_xstrdup(msg);
		}
		return;
	}
	if (r->label && *r->label && !*c->label) {
		free(c->label);
		c->label = cb_xstrdup(r->label);
	}
	json_t *counters = json_object();
	/* A contended benchmark's iteration is one operation in each of its
	 * workers: it says how many with the ops_per_iter counter. */
	double per_iter = 1;
	for (size_t i = 0; i < r->ncounters; i++) {
		json_object_set_new(counters, r->counter_names[i], num_or_null(r->counter_values[i]));
		if (!strcmp(r->counter_names[i], "ops_per_iter"))
			per_iter = r->counter_values[i];
	}
	double ops = r->real_s > 0 ? per_iter / r->real_s : NAN;
	json_array_append_new(c->reps, json_pack("{s:o, s:o, s:I, s:f, s:f, s:o}",
	        "ns_per_op", num_or_null(r->real_s * 1e9), "ops_per_s", num_or_null(ops),
	        "iterations", (json_int_t)r->iterations, "real_s", r->real_s, "cpu_s", r->cpu_s,
	        "counters", counters));
	c->s_per_op = cb_xrealloc(c->s_per_op, (size_t)(c->nreps + 1) * sizeof *c->s_per_op);
	c->s_per_op[c->nreps++] = r->real_s;
}

/* ---- charts ---- */

/* gnuplot on a template of plots/: 0, or the reason there is no chart. */
static int run_gnuplot(const char *tmpl, const char *vars, char *why, size_t whylen)
{
	cb_error err = { 0 };
	int rc = cb_gnuplot_template(tmpl, vars, &err);
	if (rc)
		snprintf(why, whylen, "%s", err.msg);
	return rc;
}

/* A chart's data, then the chart in both formats, each replacing the old
 * one only when whole; a failure is a warning (the results are already
 * written) that names the file. The price list's template also wants its
 * row count. */
static void draw_chart(const micro_run *mr, const char *name, const cb_micro_chart *data,
                       const char *words_var, bool rows, const char *what)
{
	static const char *const formats[] = { "png", "svg" };
	char why[sizeof ((cb_error *)0)->msg];
	char *dat = cb_xasprintf("%s/%s.dat", mr->dir, name), *out = cb_xasprintf("%s/%s", mr->dir, name);
	char *tmpl = cb_xasprintf("%s.gp", name), *tmpbase = cb_gp_temp_path(out), *vars = NULL;
	cb_error err = { 0 };
	if (cb_write_file_atomic(dat, data->dat, data->len, &err)) {
		fprintf(stderr, "concbench: warning: no %s chart: %s\n", what, err.msg);
		goto out;
	}
	if (data->count <= 0)
		goto out;
	cb_gp_set_str(&vars, "datafile", dat);
	cb_gp_set_str(&vars, "outbase", tmpbase);
	cb_gp_set_str(&vars, words_var, data->words);
	if (rows)
		cb_gp_set_num(&vars, "rows", data->count);
	bool drawn = !run_gnuplot(tmpl, vars, why, sizeof why);
	if (!drawn && !mr->opts->quiet)
		fprintf(stderr, "concbench: warning: no %s chart: %s\n", what, why);
	for (size_t i = 0; i < 2; i++) {
		char *tmp = cb_xasprintf("%s.%s", tmpbase, formats[i]);
		char *path = cb_xasprintf("%s.%s", out, formats[i]);
		if (!drawn || err.code)
			unlink(tmp);
		else if (cb_gp_commit(tmp, path, formats[i], &err))
			fprintf(stderr, "concbench: warning: no %s chart: %s\n", what, err.msg);
		free(tmp);
		free(path);
	}
out:
	free(vars);
	free(tmpbase);
	free(tmpl);
	free(out);
	free(dat);
}

static void draw_charts(const micro_run *mr)
{
	cb_micro_chart price, locks;
	cb_micro_price_data(mr->cells, &price);
	cb_micro_locks_data(mr->cells, &locks);
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
	json_array_foreach(mr->cells, i, c) {
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

/* Workers of the contended series go where --pin puts them; the same-PU
 * and cross-PU benchmarks take the first two PUs of that placement
 * (compact's under `none`, which has no PUs to give). */
static int setup_env(cb_micro_env *env, cb_topology *topo, const cb_pin *pin, cb_placement *pl,
                     cb_placement *pair, cb_error *err)
{
	cb_topology_summary sum;
	cb_topology_summarize(topo, &sum);
	int n = pin->kind == CB_PIN_CORES ? sum.allowed_cores : sum.allowed_pus;
	if (n > CB_MICRO_MAX_CREW)
		n = CB_MICRO_MAX_CREW;
	if (cb_place(topo, pin, n, pl, err))
		return -1;
	memset(env, 0, sizeof *env);
	env->topo = topo;
	env->max_threads = pl->usable_pus < n ? pl->usable_pus : n;
	if (env->max_threads < 1)
		env->max_threads = 1;
	for (int i = 0; i < CB_MICRO_MAX_CREW; i++) {
		env->sets[i] = pl->sets ? pl->sets[i % pl->workers] : NULL;
		env->pus[i] = pl->pu ? pl->pu[i % pl->workers] : -1;
	}
	cb_pin compact = { .kind = CB_PIN_COMPACT };
	if (cb_place(topo, pin->kind == CB_PIN_NONE ? &compact : pin, 2, pair, err))
		return -1;
	for (int i = 0; i < 2; i++) {
		env->pair[i] = pair->sets[i];
		env->pair_pu[i] = pair->pu[i];
	}
	if (env->pair_pu[0] == env->pair_pu[1])
		env->cross_why = "only one PU is usable here (cross-PU needs two)";
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

static json_t *config_json(const micro_opts *o, const cb_pin *pin, int reps, double min_time)
{
	json_t *fams = json_array();
	for (const cb_micro_family *f = cb_micro_families; f->name; f++)
		json_array_append_new(fams, json_string(f->name));
	return json_pack("{s:s, s:o, s:s, s:i, s:f, s:o, s:b}", "command", "micro", "filter",
	                 o->filter ? json_string(o->filter) : json_null(), "pin", pin->text, "reps", reps,
	                 "min_time_s", min_time, "families", fams, "interleave", false);
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
	if (cb_run_dir_create(root, mr->created, &mr->dir, err))
		return -1;
	mr->cells = json_array();
	if (write_results(mr, false, err)) {
		cb_run_dir_remove(mr->dir);
		return -1;
	}
	cb_run_dir_publish(root, mr->dir);
	cb_run_dir_publish_as(root, mr->dir, CB_MICRO_LATEST);
	return 0;
}

/* The benchmarks that regex selects, measured into mr, then the results,
 * the charts, the table and the report: 0 (mr->failed says whether a
 * benchmark failed its verification), or -1 with err. */
static int measure(micro_run *mr, const char *regex, cb_error *err)
{
	bool quiet = mr->opts->quiet;
	mr->t_start = cb_now();
	if (cb_gb_run(regex, on_run, mr) < 0)
		return cb_error_set(err, CB_EXIT_FAIL, "the measurement engine refused the filter");
	finish_cell(mr);
	if (!quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	if (mr->err.code) {
		*err = mr->err;
		return -1;
	}
	if (write_results(mr, true, err))
		return -1;
	draw_charts(mr);
	if (!quiet)
		print_table(mr);
	/* The report of the price list, beside the results, as `run` has. */
	char *file = cb_xasprintf("%s/results.json", mr->dir);
	fflush(stdout);
	if (cb_cli_report_quiet(file, mr->dir, quiet) == CB_EXIT_USAGE)
		mr->failed = true;
	free(file);
	if (!quiet || mr->failed)
		fprintf(stderr, "concbench: results in %s/results.json%s\n", mr->dir,
		        mr->failed ? " (a benchmark failed its verification)" : "");
	return 0;
}

static void micro_run_free(micro_run *mr)
{
	cell_clear(&mr->cur);
	for (int i = 0; i < mr->nnames; i++)
		free(mr->names[i]);
	free(mr->names);
	free(mr->dir);
	if (mr->machine)
		json_decref(mr->machine);
	if (mr->config)
		json_decref(mr->config);
	if (mr->cells)
		json_decref(mr->cells);
}

int cb_cmd_micro(int argc, char **argv)
{
	micro_opts o = { 0 };
	micro_run mr = { .opts = &o };
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
	mr.argv = cmdline;
	mr.argc = argc + 1;

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
	    setup_env(&env, topo, &pin, &pl, &pair, &err))
		goto fail;
	if (cb_out_root_check(o.out ? o.out : "results", &err))
		goto fail;

	/* Defaults first so that the user's own --benchmark_* flags win. */
	minflag = cb_xasprintf("--benchmark_min_time=%g", min_time);
	repflag = cb_xasprintf("--benchmark_repetitions=%ld", reps);
	if (start_engine(&mr, &env, minflag, repflag, &gb_argc, gb_argv, &err))
		goto fail;
	mr.machine = cb_machine_json(topo);
	mr.config = config_json(&o, &pin, (int)reps, min_time);
	if (open_run_dir(&mr, &err))
		goto fail;
	regex = cb_micro_regex(mr.names, mr.nnames);
	if (measure(&mr, regex, &err))
		goto fail;
	rc = mr.failed ? CB_EXIT_FAIL : CB_EXIT_OK;
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
