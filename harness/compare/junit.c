/* compare as JUnit XML: one <testsuite>, one <testcase> per cell, so that
 * any CI system that reads test reports shows regressions as failed tests.
 * The shape is the common Jenkins / Surefire one (tests/data/junit.xsd):
 * <failure> for a regression, <skipped> for a cell too noisy to judge or
 * not compared, <error> for a cell that failed (a wrong checksum). */
#include "compare/ci.h"
#include "compare/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* XML 1.0 text: the five specials escaped, control characters (which XML
 * 1.0 cannot hold at all) replaced; in attributes, tab and newline kept as
 * character references so that they survive attribute normalisation. */
static void xml_text(FILE *f, const char *s, bool attr)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs(attr ? "&quot;" : "\"", f); break;
		case '\'': fputs(attr ? "&apos;" : "'", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		case '\t': fputs(attr ? "&#9;" : "\t", f); break;
		case '\r': fputs("&#13;", f); break;
		default: fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
		}
	}
}

static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	xml_text(f, value, true);
	fputc('"', f);
}

static bool skip_is_error(const cb_cmp_skip *s)
{
	return !strncmp(s->why, "failed in ", 10);
}

cb_junit_counts cb_cmp_junit_counts(const cb_cmp_result *r)
{
	cb_junit_counts c = { .tests = r->nrows + r->nskips,
	                      .failures = r->count[CB_VERDICT_REGRESSED],
	                      .skipped = r->count[CB_VERDICT_NOISY] };
	for (size_t i = 0; i < r->nskips; i++)
		if (skip_is_error(&r->skips[i]))
			c.errors++;
		else
			c.skipped++;
	return c;
}

/* classname: workload.strategy for a concbench cell id
 * ("workload[params]/strategy/n2/..."), the benchmark's name up to its
 * first '/' for Google Benchmark, "hyperfine" for a hyperfine command. */
static char *classname(const char *format, const char *label)
{
	if (!strcmp(format, "hyperfine"))
		return cb_xstrdup("hyperfine");
	size_t wl = strcspn(label, "[/");
	if (!strcmp(format, "gbench"))
		return cb_xasprintf("%.*s", (int)strcspn(label, "/"), label);
	const char *rest = label + wl;
	if (*rest == '[') {
		const char *close = strchr(rest, ']');
		rest = close ? close + 1 : rest + strlen(rest);
	}
	if (*rest == '/')
		rest++;
	size_t st = strcspn(rest, "/");
	if (!st)
		return cb_xasprintf("%.*s", (int)wl, label);
	return cb_xasprintf("%.*s.%.*s", (int)wl, label, (int)st, rest);
}

static void testcase_open(FILE *f, const cb_cmp_result *r, const char *label)
{
	char *cls = classname(r->base->format, label);
	fprintf(f, "    <testcase");
	attr(f, "classname", cls);
	attr(f, "name", label);
	free(cls);
}

static void row_message(FILE *f, const cb_cmp_result *r, const cb_cmp_row *w)
{
	char p[32], mdc[32], b[32], n[32];
	fprintf(f, "%s %+.1f%% (ratio %.3f, interval [%.3f, %.3f]), p after Holm %s, MDC %s; "
	        "base %s, new %s",
	        cb_cmp_verdict_name(w->verdict), (w->ratio - 1) * 100, w->ratio, w->lo, w->hi,
	        cb_cmp_fmt_p(p, sizeof p, w->p_adj), cb_cmp_fmt_pct(mdc, sizeof mdc, w->mdc),
	        cb_cmp_fmt_value(b, sizeof b, r->opts.metric, w->base_med),
	        cb_cmp_fmt_value(n, sizeof n, r->opts.metric, w->new_med));
}

static void row_case(FILE *f, const cb_cmp_result *r, const cb_cmp_row *w)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&msg, &len);
	if (!m)
		abort();
	row_message(m, r, w);
	if (fclose(m))
		abort();
	testcase_open(f, r, w->base->label);
	/* time is seconds: the new median when the metric is a time. */
	if (r->opts.metric != CB_METRIC_THROUGHPUT && isfinite(w->new_med))
		fprintf(f, " time=\"%.9f\"", w->new_med);
	const char *tag = w->verdict == CB_VERDICT_REGRESSED ? "failure"
	                : w->verdict == CB_VERDICT_NOISY ? "skipped" : NULL;
	if (!tag) {
		fprintf(f, "/>\n");
		free(msg);
		return;
	}
	fprintf(f, ">\n      <%s", tag);
	if (w->verdict == CB_VERDICT_REGRESSED)
		attr(f, "type", "regressed");
	attr(f, "message", msg);
	fprintf(f, ">");
	xml_text(f, w->why, false);
	fprintf(f, "; %s %s: %zu base, %zu new; test: %s</%s>\n    </testcase>\n",
	        w->pairs ? "A/B pairs" : w->rounds ? "rounds" : "repetitions", w->paired ? "paired" : "unpaired", w->nb,
	        w->nn, w->test, tag);
	free(msg);
}

static void skip_case(FILE *f, const cb_cmp_result *r, const cb_cmp_skip *s)
{
	bool error = skip_is_error(s);
	testcase_open(f, r, s->label);
	fprintf(f, ">\n      <%s", error ? "error" : "skipped");
	if (error)
		attr(f, "type", "failed");
	attr(f, "message", s->why);
	fprintf(f, "/>\n    </testcase>\n");
}

static void property(FILE *f, const char *name, const char *value)
{
	fprintf(f, "      <property");
	attr(f, "name", name);
	attr(f, "value", value);
	fprintf(f, "/>\n");
}

static void counts_attrs(FILE *f, const cb_cmp_result *r, cb_junit_counts c)
{
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"", c.tests,
	        c.failures, c.errors, c.skipped);
	/* The suite's time: the new medians added up, where they are times. */
	double t = 0;
	for (size_t i = 0; i < r->nrows; i++)
		if (isfinite(r->rows[i].new_med))
			t += r->rows[i].new_med;
	if (r->opts.metric != CB_METRIC_THROUGHPUT)
		fprintf(f, " time=\"%.9f\"", t);
}

void cb_cmp_report_junit(FILE *f, const cb_cmp_result *r)
{
	cb_junit_counts c = cb_cmp_junit_counts(r);
	const cb_cmp_row **rows = cb_cmp_sorted_rows(r);
	char buf[64], *summary = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&summary, &len);
	if (!m)
		abort();
	cb_cmp_summary_line(m, r, false);
	if (fclose(m))
		abort();
	if (len && summary[len - 1] == '\n')
		summary[len - 1] = 0;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"concbench compare\"");
	counts_attrs(f, r, c);
	fprintf(f, ">\n  <testsuite name=\"concbench compare (%s)\"", cb_cmp_metric_name(r->opts.metric));
	counts_attrs(f, r, c);
	if (r->new->facts[CB_FACT_HOST])
		attr(f, "hostname", r->new->facts[CB_FACT_HOST]);
	fprintf(f, ">\n    <properties>\n");
	property(f, "base", r->base->path);
	property(f, "new", r->new->path);
	property(f, "format", r->base->format);
	property(f, "metric", cb_cmp_metric_name(r->opts.metric));
	snprintf(buf, sizeof buf, "%g", r->opts.threshold);
	property(f, "threshold", buf);
	snprintf(buf, sizeof buf, "%g", r->opts.alpha);
	property(f, "alpha", buf);
	property(f, "unit", r->unit);
	if (r->nrows) {
		snprintf(buf, sizeof buf, "%.6g", r->gm);
		property(f, "geomean", buf);
	}
	property(f, "verdict", cb_cmp_overall_verdict(r));
	property(f, "summary", summary);
	for (size_t i = 0; i < r->nwarnings; i++)
		property(f, "warning", r->warnings[i]);
	fprintf(f, "    </properties>\n");
	for (size_t i = 0; i < r->nrows; i++)
		row_case(f, r, rows[i]);
	for (size_t i = 0; i < r->nskips; i++)
		skip_case(f, r, &r->skips[i]);

	/* The text report's notes and method, for whoever opens the suite. */
	char *out = NULL;
	m = open_memstream(&out, &len);
	if (!m)
		abort();
	fprintf(m, "%s\n", summary);
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(m, "WARNING: %s\n", r->warnings[i]);
	cb_cmp_notes(m, r, false);
	cb_cmp_method_line(m, r);
	if (fclose(m))
		abort();
	fprintf(f, "    <system-out>");
	xml_text(f, out, false);
	fprintf(f, "</system-out>\n  </testsuite>\n</testsuites>\n");
	free(out);
	free(summary);
	free(rows);
}
