/* What a build is (base/build.h): the warning on a build whose timings are
 * not the optimised code's, and this binary's own record, as results.json
 * holds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/build.h"

static void warns(const char *type, const char *cflags, const char *san, bool want)
{
	cb_build_info b = { type, cflags, san, "GNU 12.2.0" };
	char *w = cb_build_warning(&b);
	if (want != (w != NULL))
		fail_msg("type '%s' cflags '%s' sanitizers '%s': %s", type ? type : "(null)", cflags ? cflags : "(null)",
		         san ? san : "(null)", w ? w : "no warning");
	free(w);
}

static void test_optimised_builds_are_not_warned_about(void **state)
{
	(void)state;
	warns("Release", "-O3 -DNDEBUG", "", false);
	warns("RelWithDebInfo", "-O2 -g -DNDEBUG", "", false);
	warns("MinSizeRel", "-Os -DNDEBUG", "", false);
	warns("", "-march=native -O2", "", false);
	/* A file from before the build was recorded: nothing to blame. */
	warns(NULL, NULL, NULL, false);
}

static void test_debug_unoptimised_and_sanitized_builds_are(void **state)
{
	(void)state;
	warns("Debug", "-g", "", true);
	warns("Debug", "-g -O2", "", true);
	warns("", "", "", true);
	warns("Release", "-O3 -O0", "", true);
	warns("Release", "-O3 -DNDEBUG", "address,undefined", true);
	warns("Release", "-O3 -DNDEBUG", "thread", true);
	cb_build_info b = { "Debug", "-g", "address,undefined", "GNU 12.2.0" };
	char *w = cb_build_warning(&b);
	assert_non_null(strstr(w, "Debug"));
	assert_non_null(strstr(w, "address,undefined"));
	assert_non_null(strstr(w, "scripts/bench"));
	free(w);
}

static void test_the_record_is_this_binarys(void **state)
{
	(void)state;
	const cb_build_info *self = cb_build_self();
	json_t *j = cb_build_json(self);
	assert_string_equal(json_string_value(json_object_get(j, "type")), self->type);
	assert_string_equal(json_string_value(json_object_get(j, "cflags")), self->cflags);
	assert_string_equal(json_string_value(json_object_get(j, "sanitizers")), self->sanitizers);
	assert_non_null(strstr(json_string_value(json_object_get(j, "compiler")), "GNU"));
#if defined(__SANITIZE_ADDRESS__)
	assert_non_null(strstr(self->sanitizers, "address"));
#endif
#if defined(__SANITIZE_THREAD__)
	assert_string_equal(self->sanitizers, "thread");
#endif
#if !defined(__OPTIMIZE__)
	char *w = cb_build_warning(self);
	assert_non_null(w);
	free(w);
#endif
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_optimised_builds_are_not_warned_about),
		cmocka_unit_test(test_debug_unoptimised_and_sanitized_builds_are),
		cmocka_unit_test(test_the_record_is_this_binarys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
