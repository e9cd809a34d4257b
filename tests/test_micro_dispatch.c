/* The dispatch micro-benchmarks: one pools/<strategy>_empty_job per
 * strategy in the registry, each running without error and reporting a
 * positive round trip. Arguments are handed to Google Benchmark, so the
 * same binary gives the figures: `test_micro_dispatch
 * --benchmark_min_time=0.5 --benchmark_repetitions=3` (the test itself
 * runs with a tiny minimum time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine/gbench.h"
#include "micro/micro.h"
#include "engine/strategy.h"

static int seen[64];

static void report(const struct cb_gb_run *r, void *ctx)
{
	(void)ctx;
	printf("%-44s %-7s %12.3f us%s%s\n", r->name, r->aggregate ? r->aggregate : "", r->real_s * 1e6,
	       r->error ? "  ERROR: " : "", r->error ? r->error_message : "");
	if (r->error)
		fail_msg("%s: %s", r->name, r->error_message);
	if (!r->aggregate && r->real_s <= 0)
		fail_msg("%s: no time measured", r->name);
	int i = 0;
	for (const cb_strategy *const *s = cb_strategies; *s && i < 64; s++, i++) {
		char want[128];
		snprintf(want, sizeof want, "pools/%s_empty_job/", (*s)->name);
		if (!strncmp(r->name, want, strlen(want)))
			seen[i]++;
	}
}

static void test_every_strategy_has_an_empty_job_benchmark(void **state)
{
	(void)state;
	cb_micro_register_dispatch();
	assert_true(cb_gb_run("^pools/", report, NULL) > 0);
	cb_gb_clear();
	int i = 0;
	for (const cb_strategy *const *s = cb_strategies; *s && i < 64; s++, i++)
		if (!seen[i] && !((*s)->flags & (CB_STRATEGY_EXTERNAL | CB_STRATEGY_RUNTIME)))
			fail_msg("no pools/%s_empty_job was run", (*s)->name);
}

int main(int argc, char **argv)
{
	char *args[64] = { argv[0], "--benchmark_min_time=0.01" };
	int n = 1;
	bool has_min_time = false;
	for (int i = 1; i < argc && n < 62; i++) {
		has_min_time |= !strncmp(argv[i], "--benchmark_min_time", 20);
		args[n++] = argv[i];
	}
	if (!has_min_time)
		args[n++] = "--benchmark_min_time=0.01";
	args[n] = NULL;
	cb_gb_init(&n, args);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_strategy_has_an_empty_job_benchmark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
