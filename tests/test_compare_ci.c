/* Tests of the CI outputs of compare and of export: the JUnit report's
 * counts match the verdicts, the GitHub outputs and job summary say what
 * the comparison found and stay within their limits, the hyperfine reader
 * turns runs into cells (failed on a non-zero exit code), and export's
 * figures are the results file's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>

#include "compare/compare.h"
#include "compare/ci.h"
#include "render/export.h"

/* ---- a synthetic comparison ------------------------------------------ */

/* ncells cells of 10 ms x (c + 1), 1% noise; the first `heavier` 10% slower
 * in NEW; cells from `failed_from` on failed in NEW. */
static cb_cmp_input *make_input(size_t ncells, bool new, size_t heavier, size_t failed_from,
                                unsigned long seed)
{
	cb_cmp_input *in = cb_xcalloc(1, sizeof *in);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	in->path = cb_xstrdup(new ? "new.json" : "base.json");
	in->format = "concbench";
	in->cells = cb_xcalloc(ncells, sizeof *in->cells);
	in->ncells = ncells;
	for (size_t c = 0; c < ncells; c++) {
		cb_cmp_cell *cell = &in->cells[c];
		double mean = 0.01 * (double)(c + 1) * (new && c < heavier ? 1.10 : 1);
		cell->key = cb_xasprintf("synth.w%zu[n=1]/threads/n2/c2/t1/compact/static", c);
		/* a label with what XML and workflow commands must escape */
		cell->label = c == 0 ? cb_xstrdup("synth.w0[n=1<&\"50%\">]/threads/n2")
		                     : cb_xasprintf("synth.w%zu[n=1]/threads/n2/compact/static", c);
		cell->nreps = 20;
		cell->reps = cb_xcalloc(cell->nreps, sizeof *cell->reps);
		for (size_t i = 0; i < cell->nreps; i++)
			cell->reps[i] = mean * (1 + gsl_ran_gaussian(rng, 0.01));
		if (new && c >= failed_from)
			cell->failed = cb_xstrdup("wrong checksum");
	}
	gsl_rng_free(rng);
	return in;
}

typedef struct cmp {
	cb_cmp_input *b, *n;
	cb_cmp_result *r;
} cmp;

static cmp run_cmp(size_t ncells, size_t heavier, size_t failed_from)
{
	cmp c;
	cb_cmp_opts o;
	cb_error err = { 0 };
	cb_cmp_opts_default(&o);
	o.resamples = 200;
	c.b = make_input(ncells, false, 0, SIZE_MAX, 1);
	c.n = make_input(ncells, true, heavier, failed_from, 2);
	assert_int_equal(cb_cmp_run(c.b, c.n, &o, &c.r, &err), 0);
	return c;
}

static void cmp_free(cmp c)
{
	cb_cmp_result_free(c.r);
	cb_cmp_input_free(c.b);
	cb_cmp_input_free(c.n);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Runs a reporter into a string. */
#define CAPTURE(buf, call)                                   \
	do {                                                 \
		size_t len_;                                 \
		FILE *f = open_memstream(&(buf), &len_);     \
		assert_non_null(f);                          \
		call;                                        \
		assert_int_equal(fclose(f), 0);              \
	} while (0)

/* ---- JUnit -------------------------------------------------------------- */

static void test_junit_failures_equal_regressed(void **state)
{
	(void)state;
	cmp c = run_cmp(12, 3, 10);
	char *xml = NULL;
	CAPTURE(xml, cb_cmp_report_junit(f, c.r));
	cb_junit_counts k = cb_cmp_junit_counts(c.r);
	assert_int_equal(c.r->count[CB_VERDICT_REGRESSED], 3);
	assert_int_equal(k.failures, 3);
	assert_int_equal(k.errors, 2);      /* the two failed cells */
	assert_int_equal(k.tests, 12);
	assert_int_equal(count(xml, "<testcase "), 12);
	assert_int_equal(count(xml, "<failure "), 3);
	assert_int_equal(count(xml, "<error "), 2);
	assert_int_equal(count(xml, "<skipped "), k.skipped);
	assert_non_null(strstr(xml, "tests=\"12\" failures=\"3\" errors=\"2\""));
	/* classname is workload.strategy; the label is escaped */
	assert_non_null(strstr(xml, "classname=\"synth.w1.threads\""));
	assert_non_null(strstr(xml, "name=\"synth.w0[n=1&lt;&amp;&quot;50%&quot;&gt;]/threads/n2\""));
	assert_null(strstr(xml, "<&"));
	/* a failure's message carries the change, the interval, p and the MDC */
	const char *fail = strstr(xml, "<failure ");
	assert_non_null(fail);
	assert_non_null(strstr(fail, "regressed +"));
	assert_non_null(strstr(fail, "interval ["));
	assert_non_null(strstr(fail, "p after Holm"));
	assert_non_null(strstr(fail, "MDC"));
	free(xml);
	cmp_free(c);
}

/* ---- GitHub ------------------------------------------------------------- */

static void test_github_outputs_name_verdict_and_counts(void **state)
{
	(void)state;
	cmp c = run_cmp(6, 2, SIZE_MAX);
	char *out = NULL;
	CAPTURE(out, cb_cmp_github_outputs(f, c.r));
	assert_string_equal(cb_cmp_overall_verdict(c.r), "regressed");
	assert_non_null(strstr(out, "verdict=regressed\n"));
	assert_non_null(strstr(out, "regressed=2\n"));
	assert_non_null(strstr(out, "improved=0\n"));
	assert_non_null(strstr(out, "geomean=1."));
	assert_non_null(strstr(out, "noisy="));
	free(out);
	cmp_free(c);
}

static void test_github_commands_one_error_per_regressed_cell_escaped(void **state)
{
	(void)state;
	cmp c = run_cmp(6, 2, SIZE_MAX);
	char *out = NULL;
	CAPTURE(out, cb_cmp_github_commands(f, c.r));
	assert_int_equal(count(out, "::error title=concbench regressed::"), 2);
	/* '%' in a message is %25, and no raw newline splits a command */
	assert_non_null(strstr(out, "50%25"));
	assert_int_equal(count(out, "\n"), 2);
	free(out);
	cmp_free(c);
}

static void test_github_commands_capped_at_annotation_limit(void **state)
{
	(void)state;
	cmp c = run_cmp(40, 13, SIZE_MAX);   /* a third: no machine-state shift */
	char *out = NULL;
	assert_int_equal(c.r->count[CB_VERDICT_REGRESSED], 13);
	CAPTURE(out, cb_cmp_github_commands(f, c.r));
	assert_int_equal(count(out, "::error "), CB_GITHUB_MAX_ERRORS);
	assert_non_null(strstr(out, "4 more cells regressed"));
	free(out);
	cmp_free(c);
}

static void test_github_summary_regressions_first_rest_folded(void **state)
{
	(void)state;
	cmp c = run_cmp(12, 3, 11);
	char *md = NULL;
	size_t n;
	CAPTURE(md, n = cb_cmp_github_summary(f, c.r, CB_GITHUB_SUMMARY_MAX));
	assert_int_equal(n, strlen(md));
	assert_memory_equal(md, CB_GITHUB_MARKER "\n", strlen(CB_GITHUB_MARKER) + 1);
	assert_int_equal(count(md, "| **regressed** |"), 3);
	const char *details = strstr(md, "<details>");
	assert_non_null(details);
	/* every regressed row is above the fold, every quiet one below it */
	assert_true(strstr(md, "| **regressed** |") < details);
	const char *quiet = strstr(md, "| unchanged |") ? strstr(md, "| unchanged |") : strstr(md, "| noisy |");
	assert_non_null(quiet);
	assert_true(quiet > details);
	assert_non_null(strstr(md, "1 not compared</summary>"));
	assert_int_equal(count(md, "<details>"), count(md, "</details>"));
	assert_null(strstr(md, "left out"));
	free(md);
	cmp_free(c);
}

static void test_github_summary_within_limit_counts_left_out(void **state)
{
	(void)state;
	cmp c = run_cmp(60, 5, SIZE_MAX);
	char *md = NULL;
	size_t n, limit = 6000;
	CAPTURE(md, n = cb_cmp_github_summary(f, c.r, limit));
	assert_true(n <= limit);
	assert_int_equal(n, strlen(md));
	assert_non_null(strstr(md, "rows left out"));
	/* what must be acted on survives the cut */
	assert_int_equal(count(md, "| **regressed** |"), 5);
	assert_int_equal(count(md, "<details>"), count(md, "</details>"));
	free(md);
	/* a nearly full summary file still gets the marker and the verdict */
	CAPTURE(md, n = cb_cmp_github_summary(f, c.r, 300));
	assert_true(n <= 300);
	assert_non_null(strstr(md, CB_GITHUB_MARKER));
	assert_non_null(strstr(md, "verdict regressed"));
	free(md);
	cmp_free(c);
}

/* ---- hyperfine ---------------------------------------------------------- */

static cb_cmp_input *parse(const char *json, cb_metric m, cb_error *err)
{
	cb_cmp_input *in = NULL;
	memset(err, 0, sizeof *err);
	if (cb_cmp_input_parse("hf.json", json, strlen(json), m, &in, err))
		return NULL;
	return in;
}

static void test_hyperfine_times_are_repetitions(void **state)
{
	(void)state;
	cb_error err;
	cb_cmp_input *in = parse("{\"results\": [{\"command\": \"nap\", \"mean\": 0.02, "
	                         "\"times\": [0.02, 0.021, 0.019], \"exit_codes\": [0, 0, 0]}]}",
	                         CB_METRIC_TIME, &err);
	assert_non_null(in);
	assert_string_equal(in->format, "hyperfine");
	assert_int_equal(in->ncells, 1);
	assert_string_equal(in->cells[0].label, "nap");
	assert_string_equal(in->cells[0].key, "nap");
	assert_int_equal(in->cells[0].nreps, 3);
	assert_true(in->cells[0].reps[1] == 0.021);
	assert_null(in->cells[0].failed);
	cb_cmp_input_free(in);
	in = parse("{\"results\": [{\"command\": \"nap\", \"times\": [0.5, 0.25]}]}",
	           CB_METRIC_THROUGHPUT, &err);
	assert_non_null(in);
	assert_true(in->cells[0].reps[0] == 2 && in->cells[0].reps[1] == 4);
	cb_cmp_input_free(in);
}

static void test_hyperfine_nonzero_exit_code_fails_cell(void **state)
{
	(void)state;
	cb_error err;
	cb_cmp_input *in = parse("{\"results\": [{\"command\": \"a\", \"times\": [0.1, 0.1], "
	                         "\"exit_codes\": [0, 3]}, {\"command\": \"b\", \"times\": [0.1], "
	                         "\"exit_codes\": [null]}]}", CB_METRIC_TIME, &err);
	assert_non_null(in);
	assert_non_null(in->cells[0].failed);
	assert_non_null(strstr(in->cells[0].failed, "exit code 3 in 1 of 2 runs"));
	assert_non_null(strstr(in->cells[1].failed, "signal"));
	cb_cmp_input_free(in);
}

static void test_hyperfine_parameters_join_identity(void **state)
{
	(void)state;
	cb_error err;
	cb_cmp_input *in = parse("{\"results\": [{\"command\": \"sleep 0.1; exit 10\", \"times\": "
	                         "[0.1], \"parameters\": {\"t\": \"0.1\", \"code\": \"10\", "
	                         "\"n\": 1}}]}", CB_METRIC_TIME, &err);
	assert_non_null(in);
	/* the longer values first: "1" cuts neither "0.1" nor "10" */
	assert_string_equal(in->cells[0].key, "sleep {t}; exit {code}[code=10;n=1;t=0.1]");
	assert_string_equal(in->cells[0].label, "sleep 0.1; exit 10");
	cb_cmp_input_free(in);
	in = parse("{\"results\": [{\"command\": \"sleep 0.02\", \"times\": [0.1], "
	           "\"parameters\": {\"t\": \"0.02\"}}]}", CB_METRIC_TIME, &err);
	cb_cmp_input_ignore_param(in, "t");
	assert_string_equal(in->cells[0].key, "sleep {t}[]");
	cb_cmp_input_free(in);
}

static void expect_error(const char *json, cb_metric m, const char *what)
{
	cb_error err;
	cb_cmp_input *in = parse(json, m, &err);
	if (in || !strstr(err.msg, what) || err.code != CB_EXIT_USAGE) {
		fprintf(stderr, "input %s\ngave '%s', wanted '%s'\n", json, err.msg, what);
		fail();
	}
	assert_non_null(strstr(err.msg, "hf.json"));
}

static void test_hyperfine_malformed_named(void **state)
{
	(void)state;
	expect_error("{\"results\": {}}", CB_METRIC_TIME, "'results' must be an array");
	expect_error("{\"results\": [1]}", CB_METRIC_TIME, "results[0] must be an object");
	expect_error("{\"results\": [{\"times\": []}]}", CB_METRIC_TIME, "'command' is missing");
	expect_error("{\"results\": [{\"command\": \"x\"}]}", CB_METRIC_TIME, "'times' is missing");
	expect_error("{\"results\": [{\"command\": \"x\", \"times\": [-1]}]}", CB_METRIC_TIME,
	             "times[0] must be a non-negative number");
	expect_error("{\"results\": [{\"command\": \"x\", \"times\": [1], \"exit_codes\": [\"0\"]}]}",
	             CB_METRIC_TIME, "exit_codes[0] must be an integer or null");
	expect_error("{\"results\": [{\"command\": \"x\", \"times\": [1], \"parameters\": {\"a\": []}}]}",
	             CB_METRIC_TIME, "parameter 'a' must be a string or a number");
	expect_error("{\"results\": [{\"command\": \"x\", \"times\": [1]}, {\"command\": \"x\", "
	             "\"times\": [1]}]}", CB_METRIC_TIME, "the same command as results[0]");
	expect_error("{\"results\": []}", CB_METRIC_CPU, "valid --metric for hyperfine");
}

static void test_mixed_formats_refused(void **state)
{
	(void)state;
	cb_error err = { 0 };
	cb_cmp_opts o;
	cb_cmp_result *r = NULL;
	cb_cmp_opts_default(&o);
	cb_cmp_input *hf = parse("{\"results\": [{\"command\": \"x\", \"times\": [1, 1]}]}",
	                         CB_METRIC_TIME, &err);
	cb_cmp_input *cb = make_input(2, false, 0, SIZE_MAX, 1);
	assert_int_equal(cb_cmp_run(cb, hf, &o, &r, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "base.json is concbench output and hf.json is hyperfine output"));
	cb_cmp_input_free(hf);
	cb_cmp_input_free(cb);
}

/* ---- export ------------------------------------------------------------- */

static char *fixture_text(void)
{
	char *path = cb_xasprintf("%s/tests/data/export/results.json", CB_SOURCE_DIR), *text;
	size_t len;
	cb_error err = { 0 };
	assert_int_equal(cb_results_load(path, &text, &len, &err), 0);
	free(path);
	return text;
}

/* The fixture with cell k marked failed (error set, as the runner does). */
static char *fixture_failed(size_t k)
{
	char *text = fixture_text();
	json_t *root = json_loads(text, 0, NULL);
	assert_non_null(root);
	json_object_set_new(json_array_get(json_object_get(root, "cells"), k), "error",
	                    json_string("wrong checksum"));
	free(text);
	text = json_dumps(root, 0);
	json_decref(root);
	return text;
}

static json_t *export_json(const char *text, cb_export_format fmt, cb_export **e, cb_rdoc **doc)
{
	cb_error err = { 0 };
	char *out = NULL;
	assert_int_equal(cb_results_parse("results.json", text, strlen(text), doc, &err), 0);
	assert_int_equal(cb_export_from_doc(*doc, e, &err), 0);
	CAPTURE(out, assert_int_equal(cb_export_write(f, *e, fmt), 0));
	json_t *j = json_loads(out, 0, NULL);
	free(out);
	return j;
}

static void test_export_bencher_latency_is_median_ns(void **state)
{
	(void)state;
	char *text = fixture_text();
	json_t *src = json_loads(text, 0, NULL), *cell;
	cb_export *e;
	cb_rdoc *doc;
	json_t *j = export_json(text, CB_EXPORT_BENCHER, &e, &doc);
	size_t i;
	assert_non_null(j);
	assert_int_equal(json_object_size(j), json_array_size(json_object_get(src, "cells")));
	json_array_foreach(json_object_get(src, "cells"), i, cell) {
		json_t *stats = json_object_get(cell, "stats");
		json_t *m = json_object_get(j, json_string_value(json_object_get(cell, "id")));
		assert_non_null(m);
		json_t *lat = json_object_get(m, "latency");
		assert_float_equal(json_real_value(json_object_get(lat, "value")),
		                   json_number_value(json_object_get(stats, "median_s")) * 1e9, 1e-6);
		assert_float_equal(json_real_value(json_object_get(lat, "lower_value")),
		                   json_number_value(json_object_get(stats, "min_s")) * 1e9, 1e-6);
		assert_float_equal(json_real_value(json_object_get(lat, "upper_value")),
		                   json_number_value(json_object_get(stats, "max_s")) * 1e9, 1e-6);
		assert_float_equal(json_number_value(json_object_get(json_object_get(m, "throughput"), "value")),
		                   json_number_value(json_object_get(cell, "throughput")), 1e-6);
		/* speedup and efficiency as the run derived them (T1 serial / Tp) */
		assert_float_equal(json_number_value(json_object_get(json_object_get(m, "speedup"), "value")),
		                   json_number_value(json_object_get(cell, "speedup")), 1e-6);
		assert_float_equal(json_number_value(json_object_get(json_object_get(m, "efficiency"), "value")),
		                   json_number_value(json_object_get(cell, "efficiency")), 1e-6);
	}
	json_decref(j);
	json_decref(src);
	cb_export_free(e);
	cb_rdoc_free(doc);
	free(text);
}

static void test_export_gab_one_entry_per_cell(void **state)
{
	(void)state;
	char *text = fixture_text();
	cb_export *e;
	cb_rdoc *doc;
	json_t *j = export_json(text, CB_EXPORT_GAB_SMALLER, &e, &doc), *it;
	size_t i;
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), doc->ncells);
	json_array_foreach(j, i, it) {
		assert_string_equal(json_string_value(json_object_get(it, "name")), doc->cells[i].id);
		assert_string_equal(json_string_value(json_object_get(it, "unit")), "ns");
		assert_float_equal(json_real_value(json_object_get(it, "value")), doc->cells[i].median_s * 1e9, 1e-6);
		assert_non_null(strstr(json_string_value(json_object_get(it, "extra")), "speedup "));
	}
	json_decref(j);
	cb_export_free(e);
	cb_rdoc_free(doc);
	j = export_json(text, CB_EXPORT_GAB_BIGGER, &e, &doc);
	assert_int_equal(json_array_size(j), 2 * doc->ncells);   /* throughput and speedup */
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "unit")), "x");
	json_decref(j);
	cb_export_free(e);
	cb_rdoc_free(doc);
	free(text);
}

static void test_export_failed_cell_left_out_of_json_marked_in_csv(void **state)
{
	(void)state;
	char *text = fixture_failed(1), *csv = NULL;
	cb_export *e;
	cb_rdoc *doc;
	json_t *j = export_json(text, CB_EXPORT_BENCHER, &e, &doc);
	assert_int_equal(e->nfailed, 1);
	assert_int_equal(json_object_size(j), doc->ncells - 1);
	assert_null(json_object_get(j, doc->cells[1].id));
	CAPTURE(csv, cb_export_write(f, e, CB_EXPORT_CSV));
	assert_int_equal(count(csv, "\n"), doc->ncells + 1);
	assert_int_equal(count(csv, ",failed: wrong checksum\n"), 1);
	assert_int_equal(count(csv, ",ok\n"), doc->ncells - 1);
	free(csv);
	json_decref(j);
	cb_export_free(e);
	cb_rdoc_free(doc);
	free(text);
}

static void test_export_format_names_round_trip(void **state)
{
	(void)state;
	cb_export_format f;
	for (int i = 0; i < CB_EXPORT_FORMAT_COUNT; i++) {
		assert_int_equal(cb_export_format_parse(cb_export_format_name((cb_export_format)i), &f), 0);
		assert_int_equal(f, i);
		assert_non_null(strstr(cb_export_format_list(), cb_export_format_name(f)));
	}
	assert_int_equal(cb_export_format_parse("junit", &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_junit_failures_equal_regressed),
		cmocka_unit_test(test_github_outputs_name_verdict_and_counts),
		cmocka_unit_test(test_github_commands_one_error_per_regressed_cell_escaped),
		cmocka_unit_test(test_github_commands_capped_at_annotation_limit),
		cmocka_unit_test(test_github_summary_regressions_first_rest_folded),
		cmocka_unit_test(test_github_summary_within_limit_counts_left_out),
		cmocka_unit_test(test_hyperfine_times_are_repetitions),
		cmocka_unit_test(test_hyperfine_nonzero_exit_code_fails_cell),
		cmocka_unit_test(test_hyperfine_parameters_join_identity),
		cmocka_unit_test(test_hyperfine_malformed_named),
		cmocka_unit_test(test_mixed_formats_refused),
		cmocka_unit_test(test_export_bencher_latency_is_median_ns),
		cmocka_unit_test(test_export_gab_one_entry_per_cell),
		cmocka_unit_test(test_export_failed_cell_left_out_of_json_marked_in_csv),
		cmocka_unit_test(test_export_format_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
