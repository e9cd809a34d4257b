/* Parameters and option values: what parses, what is refused, and that
 * every refusal names the parameter and what would be valid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/run.h"

static void test_duration_and_bytes_parse_suffixes(void **state)
{
	(void)state;
	double v;
	assert_int_equal(cb_parse_duration("10ms", &v), 0);
	assert_float_equal(v, 0.010, 1e-15);
	assert_int_equal(cb_parse_duration("50us", &v), 0);
	assert_float_equal(v, 50e-6, 1e-15);
	assert_int_equal(cb_parse_duration("2", &v), 0);
	assert_float_equal(v, 2, 0);
	assert_int_equal(cb_parse_duration("3 parsecs", &v), -1);
	assert_int_equal(cb_parse_bytes("64k", &v), 0);
	assert_float_equal(v, 65536, 0);
	assert_int_equal(cb_parse_bytes("1M", &v), 0);
	assert_float_equal(v, 1048576, 0);
	assert_int_equal(cb_parse_bytes("k", &v), -1);
}

static void test_count_list_forms(void **state)
{
	(void)state;
	int *v, n;
	cb_error err = { 0 };
	assert_int_equal(cb_parse_count_list("1,2,4-6,all", "-n", 8, 64, &v, &n, &err), 0);
	int want[] = { 1, 2, 4, 5, 6, 8 };
	assert_int_equal(n, 6);
	assert_memory_equal(v, want, sizeof want);
	free(v);
	const char *bad[] = { "0", "abc", "", "3-1", "1,,x", "-2", "99999" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cb_error e = { 0 };
		assert_int_equal(cb_parse_count_list(bad[i], "-n/--workers", 8, 4096, &v, &n, &e), -1);
		assert_int_equal(e.code, CB_EXIT_USAGE);
		assert_non_null(strstr(e.msg, "-n/--workers"));
	}
}

static void test_param_out_of_range_names_valid_values(void **state)
{
	(void)state;
	const cb_workload *wl = cb_workload_find("synth.amdahl");
	cb_kv kv[] = { { "serial", "2" } };
	cb_params p;
	cb_error err = { 0 };
	assert_int_equal(cb_params_init(&p, wl->params, wl->nparams, CB_SIZE_TINY, kv, 1, NULL, wl->name, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "'serial'"));
	assert_non_null(strstr(err.msg, "valid"));
}

static void test_param_override_and_defaults(void **state)
{
	(void)state;
	const cb_workload *wl = cb_workload_find("synth.amdahl");
	cb_kv kv[] = { { "serial", "0.25" }, { "other", "1" } };
	bool used[2] = { false, false };
	cb_params p;
	cb_error err = { 0 };
	assert_int_equal(cb_params_init(&p, wl->params, wl->nparams, CB_SIZE_QUICK, kv, 2, used, wl->name, &err), 0);
	assert_float_equal(cb_params_get(&p, "serial"), 0.25, 0);
	assert_float_equal(cb_params_get(&p, "iters"), 1e8, 0);      /* quick default */
	assert_float_equal(cb_params_get(&p, "work"), 0, 0);         /* no duration asked for */
	assert_true(used[0]);
	assert_false(used[1]);
	cb_params_free(&p);
}

static void test_schedule_forms(void **state)
{
	(void)state;
	cb_schedule s;
	cb_error err = { 0 };
	assert_int_equal(cb_schedule_parse("static", &s, &err), 0);
	assert_int_equal(s.kind, CB_SCHED_STATIC);
	assert_int_equal(s.chunk, 0);
	assert_int_equal(cb_schedule_parse("dynamic", &s, &err), 0);
	assert_int_equal(s.chunk, 1);
	assert_int_equal(cb_schedule_parse("dynamic:16", &s, &err), 0);
	assert_int_equal(s.chunk, 16);
	assert_int_equal(cb_schedule_parse("guided", &s, &err), -1);
	cb_error e2 = { 0 };
	assert_int_equal(cb_schedule_parse("static:0", &s, &e2), -1);
	assert_non_null(strstr(e2.msg, "valid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_and_bytes_parse_suffixes),
		cmocka_unit_test(test_count_list_forms),
		cmocka_unit_test(test_param_out_of_range_names_valid_values),
		cmocka_unit_test(test_param_override_and_defaults),
		cmocka_unit_test(test_schedule_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
