/* `concbench compare BASE NEW`: the CLI over compare.h. Parses options,
 * loads both inputs, prints the report in the chosen format, draws the ratio
 * chart on request, and turns the verdicts into the exit code CI acts on. */
#include "cli/commands.h"
#include "render/gnuplot.h"
#include "compare/compare.h"
#include "compare/ci.h"
#include "compare/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


enum format { FMT_TEXT, FMT_MD, FMT_JSON, FMT_JUNIT };

typedef struct compare_args {
	cb_cmp_opts opts;
	enum format format;
	bool fail_any;
	int github;               /* -1: when GITHUB_ACTIONS=true; 0 off; 1 on */
	const char *baseline;
	const char *chart;
	const char *base, *new;
	const char *ignore[16];   /* --ignore-param: parameters left out of matching */
	size_t nignore;
	char *baseline_path;
	bool threshold_set;
	const char *save;         /* --save DIR: every format's report written there too */
} compare_args;

static const char usage_text[] =
	"usage: concbench compare [options] BASE NEW\n"
	"       concbench compare [options] --baseline NAME NEW\n"
	"\n"
	"Compares two results files (concbench results.json, Google Benchmark JSON or\n"
	"hyperfine --export-json, told apart by their content; a run's folder stands for\n"
	"its results.json) cell by cell and exits 1 on a significant regression beyond\n"
	"the threshold.\n"
	"\n"
	"  --threshold PCT    smallest change that matters, in percent (default 5)\n"
	"  --alpha A          family-wise error rate across all cells, Holm (default 0.01)\n"
	"  --metric M         time | throughput | cpu (default time)\n"
	"  --format F         text | md | json | junit (default text)\n"
	"  --github           GitHub Actions outputs (default when GITHUB_ACTIONS=true):\n"
	"                     ::error per regressed cell on stderr, verdict= regressed=\n"
	"                     ... to $GITHUB_OUTPUT, the table to $GITHUB_STEP_SUMMARY\n"
	"  --no-github        none of these, even under GitHub Actions\n"
	"  --fail-on W        regressed | any (default regressed; any: improvements, a\n"
	"                     changed machine state and cells not compared fail too)\n"
	"  --baseline NAME    BASE is the baseline saved as NAME (concbench baseline save)\n"
	"  --chart FILE       draw the ratios with their intervals (.png or .svg, gnuplot)\n"
	"  --seed N           bootstrap seed (default 1)\n"
	"  --resamples N      bootstrap resamples (default 2000)\n"
	"  --ignore-param K   match cells whatever parameter K is (repeatable): compare\n"
	"                     runs that differ in K on purpose (a tuned or injected change)\n"
	"  --paired           round k of BASE ran beside round k of NEW (concbench merge of\n"
	"                     runs made alternately, docs/ci.md): test each cell on the log\n"
	"                     ratios of its paired rounds, so the machine's drift cancels\n"
	"  --no-adjust        test rounds as measured, without adjusting them for the speed\n"
	"                     probe that run records before each round (docs/ci.md)\n"
	"  --pairs            repetition k of BASE ran milliseconds from repetition k of NEW\n"
	"                     (the two sides of concbench ab): Wilcoxon signed-rank test on\n"
	"                     each cell's pair log ratios; threshold 1% unless given\n"
	"  --save DIR         also write the report as DIR/compare.txt, .md, .json and .xml\n"
	"\n"
	"exit: 0 no regression, 1 regression (or any change with --fail-on any),\n"
	"      2 usage or input error\n";

static int usage_error(const char *fmt, const char *arg, const char *valid)
{
	fprintf(stderr, "concbench: ");
	fprintf(stderr, fmt, arg);
	if (valid)
		fprintf(stderr, " (valid: %s)", valid);
	fprintf(stderr, "\n");
	return CB_EXIT_USAGE;
}

static int parse_choice(const char *s, const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

static int parse_threshold(const char *s, double *out)
{
	char buf[64];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '%')
		buf[n - 1] = 0;
	if (cb_parse_double(buf, out) || *out < 0 || *out > 1000)
		return -1;
	*out /= 100;
	return 0;
}

static int parse_option(int c, const char *arg, compare_args *a)
{
	static const char *const formats[] = { "text", "md", "json", "junit" };
	static const char *const fails[] = { "regressed", "any" };
	long l;
	int i;
	switch (c) {
	case 't':
		a->threshold_set = true;
		return parse_threshold(arg, &a->opts.threshold) ?
		       usage_error("--threshold '%s' is not a percentage", arg, "0 to 1000, e.g. 5") : 0;
	case 'a':
		if (cb_parse_double(arg, &a->opts.alpha) || !(a->opts.alpha > 0 && a->opts.alpha < 1))
			return usage_error("--alpha '%s' is out of range", arg, "0 < alpha < 1, e.g. 0.01");
		return 0;
	case 'm':
		return cb_cmp_metric_parse(arg, &a->opts.metric) ?
		       usage_error("unknown metric '%s'", arg, "time, throughput, cpu") : 0;
	case 'f':
		if (parse_choice(arg, formats, 4, &i))
			return usage_error("unknown format '%s'", arg, "text, md, json, junit");
		a->format = (enum format)i;
		return 0;
	case 'F':
		if (parse_choice(arg, fails, 2, &i))
			return usage_error("unknown --fail-on '%s'", arg, "regressed, any");
		a->fail_any = i == 1;
		return 0;
	case 's':
		if (cb_parse_long(arg, &l) || l < 0)
			return usage_error("--seed '%s' is not a number", arg, "0 or more");
		a->opts.seed = (unsigned long)l;
		return 0;
	case 'r':
		if (cb_parse_long(arg, &l) || l < 100 || l > 1000000)
			return usage_error("--resamples '%s' is out of range", arg, "100 to 1000000");
		a->opts.resamples = (int)l;
		return 0;
	case 'b':
		a->baseline = arg;
		return 0;
	case 'c':
		a->chart = arg;
		return 0;
	case 'p':
		a->opts.paired = true;
		return 0;
	case 'A':
		a->opts.no_adjust = true;
		return 0;
	case 'P':
		a->opts.pairs = true;
		return 0;
	case 'S':
		a->save = arg;
		return 0;
	case 'g':
	case 'G':
		a->github = c == 'g';
		return 0;
	case 'i':
		if (a->nignore == sizeof a->ignore / sizeof *a->ignore)
			return usage_error("too many --ignore-param (at most %s)", "16", "16 names");
		a->ignore[a->nignore++] = arg;
		return 0;
	}
	return CB_EXIT_USAGE;
}

/* 0 to go on, -1 when --help was answered, else an exit code. */
static int parse_args(int argc, char **argv, compare_args *a)
{
	static const struct option longopts[] = {
		{ "threshold", required_argument, NULL, 't' }, { "alpha", required_argument, NULL, 'a' },
		{ "metric", required_argument, NULL, 'm' },    { "format", required_argument, NULL, 'f' },
		{ "fail-on", required_argument, NULL, 'F' },   { "seed", required_argument, NULL, 's' },
		{ "resamples", required_argument, NULL, 'r' }, { "baseline", required_argument, NULL, 'b' },
		{ "chart", required_argument, NULL, 'c' },     { "help", no_argument, NULL, 'h' },
		{ "ignore-param", required_argument, NULL, 'i' }, { "paired", no_argument, NULL, 'p' },
		{ "github", no_argument, NULL, 'g' },          { "no-github", no_argument, NULL, 'G' },
		{ "no-adjust", no_argument, NULL, 'A' },     { "pairs", no_argument, NULL, 'P' },
		{ "save", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return usage_error("compare: unknown option or missing value '%s'", argv[optind - 1],
			                   "--threshold, --alpha, --metric, --format, --fail-on, "
			                   "--baseline, --chart, --seed, --resamples, --ignore-param, --paired, "
			                   "--no-adjust, --pairs, --save, --github, --no-github");
		if ((rc = parse_option(c, optarg, a)))
			return rc;
	}
	int want = a->baseline ? 1 : 2, got = argc - optind;
	if (got != want) {
		fprintf(stderr, "concbench: compare takes %s, got %d (see concbench compare --help)\n",
		        a->baseline ? "one file (NEW) with --baseline" : "two files (BASE NEW)", got);
		return CB_EXIT_USAGE;
	}
	a->base = a->baseline ? NULL : argv[optind];
	a->new = argv[argc - 1];
	if (a->opts.pairs && !a->threshold_set)
		a->opts.threshold = CB_CMP_PAIRS_THRESHOLD;
	return 0;
}

static int resolve_baseline(compare_args *a)
{
	cb_error err = { 0 };
	if (!a->baseline)
		return 0;
	if (cb_baseline_path(a->baseline, &a->baseline_path, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		return err.code;
	}
	FILE *f = fopen(a->baseline_path, "r");
	if (!f) {
		fprintf(stderr, "concbench: no baseline '%s' in %s", a->baseline, CB_BASELINE_DIR);
		cb_baseline_list_text(stderr);
		fprintf(stderr, "\n");
		return CB_EXIT_USAGE;
	}
	fclose(f);
	a->base = a->baseline_path;
	return 0;
}

/* The chart's data beside it (FILE.dat), both replaced only when whole. */
static int draw_chart(const cb_cmp_result *r, const char *chart, cb_error *err)
{
	char *vars = NULL, *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	if (!f)
		abort();
	cb_cmp_chart_data(f, r);
	if (fclose(f))
		abort();
	double xlo, xhi;
	cb_cmp_chart_range(r, &xlo, &xhi);
	cb_gp_set_num(&vars, "threshold", r->opts.threshold);
	cb_gp_set_str(&vars, "metric", cb_cmp_metric_name(r->opts.metric));
	cb_gp_set_str(&vars, "better", cb_cmp_lower_is_better(r->opts.metric) ? "lower" : "higher");
	cb_gp_set_num(&vars, "n", (double)r->nrows);
	cb_gp_set_num(&vars, "xlo", xlo);
	cb_gp_set_num(&vars, "xhi", xhi);
	cb_gp_set_num(&vars, "shift", r->shift);
	int rc = cb_chart_file(chart, "compare.gp", data, len, vars, err);
	free(vars);
	free(data);
	return rc;
}

/* The report goes to standard output, often redirected to a file in CI: a
 * write that failed there must not pass for a report. */
static int report(const cb_cmp_result *r, enum format fmt, cb_error *err)
{
	if (fmt == FMT_MD)
		cb_cmp_report_md(stdout, r);
	else if (fmt == FMT_JSON)
		cb_cmp_report_json(stdout, r);
	else if (fmt == FMT_JUNIT)
		cb_cmp_report_junit(stdout, r);
	else
		cb_cmp_report_text(stdout, r);
	if (fflush(stdout) || ferror(stdout))
		return cb_error_set(err, CB_EXIT_FAIL, "cannot write the report to standard output: %s",
		                    strerror(errno));
	return 0;
}

int cb_cmd_compare(int argc, char **argv)
{
	compare_args a = { .format = FMT_TEXT, .github = -1 };
	cb_cmp_input *base = NULL, *new = NULL;
	cb_cmp_result *r = NULL;
	cb_error err = { 0 };
	cb_cmp_opts_default(&a.opts);
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? CB_EXIT_OK : rc;
	if ((rc = resolve_baseline(&a)))
		goto out;
	if (cb_cmp_input_load(a.base, a.opts.metric, &base, &err) ||
	    cb_cmp_input_load(a.new, a.opts.metric, &new, &err))
		goto fail;
	for (size_t k = 0; k < a.nignore; k++) {
		cb_cmp_input_ignore_param(base, a.ignore[k]);
		cb_cmp_input_ignore_param(new, a.ignore[k]);
	}
	if (cb_cmp_run(base, new, &a.opts, &r, &err))
		goto fail;
	if (report(r, a.format, &err))
		goto fail;
	if (a.save && cb_cmp_save_reports(r, a.save, &err))
		goto fail;
	for (size_t i = 0; i < r->nwarnings; i++)
		if (a.format != FMT_TEXT)   /* loud even when stdout goes to a file */
			fprintf(stderr, "concbench: warning: %s\n", r->warnings[i]);
	if (a.chart && draw_chart(r, a.chart, &err))
		goto fail;
	if (a.github < 0) {
		const char *ga = getenv("GITHUB_ACTIONS");
		a.github = ga && !strcmp(ga, "true");
	}
	const char *missing = NULL;
	if (a.github && cb_compare_github_emit(r, stderr, &missing, &err))
		goto fail;
	if (missing)
		fprintf(stderr, "concbench: warning: %s not set: no GitHub outputs written there\n", missing);
	if (cb_cmp_none_compared(r, a.base, a.new, &err))
		goto fail;
	rc = cb_cmp_exit_code(r, a.fail_any);
	goto out;
fail:
	fprintf(stderr, "concbench: %s\n", err.msg);
	rc = err.code ? err.code : CB_EXIT_USAGE;
out:
	cb_cmp_result_free(r);
	cb_cmp_input_free(base);
	cb_cmp_input_free(new);
	free(a.baseline_path);
	return rc;
}
