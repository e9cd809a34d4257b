/* The reader of analyze, plot and report: parameter text built from the
 * data whatever its length, the file and memory entry points alike, and
 * every input the fuzz target has kept (tests/fuzz/corpus-read/ and the
 * inputs that once crashed it, tests/fuzz/regress-read/) read to a document
 * or to an error that says why, then through series and both reports. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render/report.h"
#include "resultfile/read.h"
#include "analysis/series.h"

static const char *src_dir(void)
{
	const char *src = getenv("CB_SOURCE_DIR");
	return src ? src : CB_SOURCE_DIR;
}

static void test_params_long_values_come_back_whole(void **state)
{
	(void)state;
	char *big = cb_xcalloc(20001, 1);
	memset(big, 'v', 20000);
	json_t *root = json_pack("{s:s, s:[{s:s, s:s, s:i, s:{s:f}, s:[], s:{s:s, s:f, s:f, s:b}}]}",
	                         "schema", CB_RESULTS_SCHEMA, "cells", "workload", "w", "strategy",
	                         "serial", "workers", 1, "stats", "median_s", 1.0, "reps", "params",
	                         "z", big, "a", -2.2250738585072014e-308, "m", 1e300, "t", 1);
	char *text = json_dumps(root, JSON_COMPACT);
	cb_rdoc *doc = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_results_parse("p.json", text, strlen(text), &doc, &err), 0);
	/* Numbers and booleans as JSON writes them, exactly enough to round-trip. */
	char *want = cb_xasprintf("a=-2.2250738585072014e-308;m=1.0000000000000001e300;t=true;z=%s", big);
	assert_string_equal(doc->cells[0].params, want);
	free(want);
	cb_rdoc_free(doc);
	free(text);
	free(big);
	json_decref(root);
}

static void test_read_file_matches_parse_of_its_text(void **state)
{
	(void)state;
	char *path = cb_xasprintf("%s/tests/data/results-synthetic.json", src_dir()), *text = NULL;
	size_t len = 0;
	cb_rdoc *a = NULL, *b = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_results_read(path, &a, &err), 0);
	assert_int_equal(cb_results_load(path, &text, &len, &err), 0);
	assert_int_equal(cb_results_parse(path, text, len, &b, &err), 0);
	assert_int_equal(a->ncells, b->ncells);
	for (size_t i = 0; i < a->ncells; i++) {
		assert_string_equal(a->cells[i].id, b->cells[i].id);
		assert_string_equal(a->cells[i].params, b->cells[i].params);
		assert_true(a->cells[i].median_s == b->cells[i].median_s);
	}
	cb_rdoc_free(a);
	cb_rdoc_free(b);
	free(text);
	free(path);
}

static void test_read_missing_file_names_it(void **state)
{
	(void)state;
	cb_rdoc *doc = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_results_read("/nonexistent/results.json", &doc, &err), -1);
	assert_null(doc);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "/nonexistent/results.json"));
}

/* What the fuzz target does with one input; returns whether it read. */
static bool through_reader(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	cb_rdoc *doc = NULL;
	cb_series_set set = { 0 };
	cb_chart_list charts = { 0 };
	cb_warnings w = { 0 };
	cb_error err = { 0 };
	if (cb_results_load(path, &text, &len, &err))
		fail_msg("%s", err.msg);
	if (cb_results_parse(path, text, len, &doc, &err)) {
		if (!err.code || !err.msg[0])
			fail_msg("%s: an error without a message", path);
		free(text);
		return false;
	}
	cb_report_warnings(doc, &w);
	if (doc->micro || !cb_series_from_doc(doc, &set, &err)) {
		cb_report_in in = { doc, &set, &charts, "/nonexistent", "not drawn here", &w, NULL };
		free(cb_report_html(&in));
		free(cb_report_md(&in));
	} else if (!err.code || !err.msg[0]) {
		fail_msg("%s: a series error without a message", path);
	}
	cb_warnings_free(&w);
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	free(text);
	return true;
}

/* Every file of a folder under tests/fuzz/; returns how many read. */
static size_t each_input(const char *folder, size_t *total)
{
	char *dir = cb_xasprintf("%s/tests/fuzz/%s", src_dir(), folder);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t ok = 0;
	*total = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = cb_xasprintf("%s/%s", dir, e->d_name);
		ok += through_reader(path);
		(*total)++;
		free(path);
	}
	closedir(d);
	free(dir);
	return ok;
}

static void test_fuzz_seeds_read_and_report(void **state)
{
	(void)state;
	size_t total, ok = each_input("corpus-read", &total);
	assert_true(total >= 5);
	assert_int_equal(ok, total);   /* the seeds are valid results files */
}

static void test_fuzz_regressions_read_or_fail_cleanly(void **state)
{
	(void)state;
	size_t total;
	each_input("regress-read", &total);
	assert_true(total >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_long_values_come_back_whole),
		cmocka_unit_test(test_read_file_matches_parse_of_its_text),
		cmocka_unit_test(test_read_missing_file_names_it),
		cmocka_unit_test(test_fuzz_seeds_read_and_report),
		cmocka_unit_test(test_fuzz_regressions_read_or_fail_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
