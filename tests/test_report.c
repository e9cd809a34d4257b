/* The report's warnings and its two formats, on the synthetic fixture with
 * no charts drawn (the CLI test covers the charts). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"

typedef struct fixture {
	cb_rdoc *doc;
	cb_series_set set;
	cb_warnings warnings;
} fixture;

static int setup(void **state)
{
	const char *src = getenv("CB_SOURCE_DIR");
	char *path = cb_xasprintf("%s/tests/data/results-synthetic.json", src ? src : CB_SOURCE_DIR);
	fixture *f = cb_xcalloc(1, sizeof *f);
	cb_error err = { 0 };
	int rc = cb_results_read(path, &f->doc, &err) || cb_series_from_doc(f->doc, &f->set, &err);
	free(path);
	cb_report_warnings(f->doc, &f->warnings);
	*state = f;
	return rc;
}

static int teardown(void **state)
{
	fixture *f = *state;
	cb_warnings_free(&f->warnings);
	cb_series_set_free(&f->set);
	cb_rdoc_free(f->doc);
	free(f);
	return 0;
}

static bool warned(const fixture *f, const char *needle)
{
	for (size_t i = 0; i < f->warnings.n; i++)
		if (strstr(f->warnings.msg[i], needle))
			return true;
	return false;
}

static void test_warnings_fixture_names_each_hazard(void **state)
{
	fixture *f = *state;
	assert_true(warned(f, "governor is 'powersave'"));
	assert_true(warned(f, "cpu.primes[n=200000]/threads/n4/compact/static: 3 CPU migrations"));
	assert_true(warned(f, "synth.amdahl[f=0.1,work=200ms]/processes/n4/compact/static: cv 5.3%"));
	assert_true(warned(f, "io.sleep[sleep=10ms]/threads/n256/compact/static: oversubscribed"));
	assert_true(warned(f, "io.sleep[sleep=10ms]/processes/n16/compact/static: wrong answer"));
	assert_false(warned(f, "clocksource"));
	assert_false(warned(f, "load average"));
}

static void test_report_without_charts_says_why(void **state)
{
	fixture *f = *state;
	cb_chart_list charts = { 0 };
	cb_report_in in = { f->doc, &f->set, &charts, "/nonexistent", "gnuplot not found", &f->warnings };
	char *html = cb_report_html(&in), *md = cb_report_md(&in);
	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_non_null(strstr(html, "Charts: none drawn. gnuplot not found."));
	assert_null(strstr(html, "<svg"));
	assert_non_null(strstr(md, "Charts: none drawn. gnuplot not found."));
	/* Text from the results is escaped, not markup. */
	assert_null(strstr(html, "<0x"));
	assert_non_null(strstr(md, "| threads | 4 |"));
	free(html);
	free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_warnings_fixture_names_each_hazard),
		cmocka_unit_test(test_report_without_charts_says_why),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
