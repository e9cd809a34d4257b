/* Tests of the micro-benchmark collection (micro.h): the family table is
 * consistent, filters select what the CLI promises, a benchmark that did
 * not do its work is reported as an error and one that cannot run as a
 * skip, and real benchmarks pass their own verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micro/micro.h"
#include "render/micro_chart.h"

#define MAX_NAMES 1024

typedef struct names {
	int n;
	char *v[MAX_NAMES];
} names;

static void collect(const char *name, void *ctx)
{
	names *ns = ctx;
	assert_true(ns->n < MAX_NAMES);
	ns->v[ns->n++] = strdup(name);
}

static void names_free(names *ns)
{
	for (int i = 0; i < ns->n; i++)
		free(ns->v[i]);
	ns->n = 0;
}

typedef struct outcome {
	int runs, errors;
	char message[512];
} outcome;

static void record(const struct cb_gb_run *r, void *ctx)
{
	outcome *o = ctx;
	if (r->aggregate)
		return;
	o->runs++;
	if (r->error) {
		o->errors++;
		snprintf(o->message, sizeof o->message, "%s", r->error_message);
	}
}

static void test_families_have_unique_names_and_benchmarks(void **state)
{
	(void)state;
	names all = { 0 };
	for (const cb_micro_family *f = cb_micro_families; f->name; f++) {
		for (const cb_micro_family *g = f + 1; g->name; g++)
			assert_string_not_equal(f->name, g->name);
		assert_non_null(f->summary);
		assert_ptr_equal(cb_micro_family_find(f->name), f);
		cb_gb_clear();
		f->register_fn();
		int before = all.n;
		assert_true(cb_gb_list(NULL, collect, &all) >= 1);
		/* Benchmarks carry their family's name in front. */
		if (strcmp(f->name, "switch"))
			for (int i = before; i < all.n; i++)
				assert_int_equal(strncmp(all.v[i], f->name, strlen(f->name)), 0);
	}
	cb_gb_clear();
	for (int i = 0; i < all.n; i++)
		for (int j = i + 1; j < all.n; j++)
			if (!strcmp(all.v[i], all.v[j]))
				fail_msg("benchmark '%s' is registered twice", all.v[i]);
	assert_null(cb_micro_family_find("nope"));
	names_free(&all);
}

static void test_filter_matches_family_benchmark_and_glob(void **state)
{
	(void)state;
	const char *n = "sync/mutex/n2/manual_time";
	assert_true(cb_micro_match(NULL, n));
	assert_true(cb_micro_match("", n));
	assert_true(cb_micro_match("sync", n));
	assert_true(cb_micro_match("sync/mutex", n));
	assert_true(cb_micro_match("sync/mutex/n2", n));
	assert_true(cb_micro_match("sync/*", n));
	assert_true(cb_micro_match("*mutex*", n));
	assert_true(cb_micro_match("start/thread*", "start/thread_create_join/manual_time"));
	assert_false(cb_micro_match("sync/mut", n));
	assert_false(cb_micro_match("syn", n));
	assert_false(cb_micro_match("start", n));
	assert_false(cb_micro_match("sync/mutex/n1", n));
	assert_true(cb_micro_pattern_is_family("sync"));
	assert_false(cb_micro_pattern_is_family("sync/mutex"));
	assert_false(cb_micro_pattern_is_family("*pipe*"));

	char *id = cb_micro_id(n);
	assert_string_equal(id, "sync/mutex/n2");
	free(id);
}

static void test_regex_selects_exactly_the_names(void **state)
{
	(void)state;
	char *pick[] = { "a/b.c/n1", "a/(x)+/n2" };
	char *re = cb_micro_regex(pick, 2);
	regex_t rx;
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&rx, "a/b.c/n1", 0, NULL, 0), 0);
	assert_int_equal(regexec(&rx, "a/(x)+/n2", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&rx, "a/bxc/n1", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&rx, "a/b.c/n12", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&rx, "za/b.c/n1", 0, NULL, 0), 0);
	regfree(&rx);
	free(re);
}

/* A worker that does one operation too few, as a broken benchmark would. */
static void short_worker(void *ctx, int idx, int64_t iters)
{
	int64_t *done = ctx;
	done[idx] = idx == 1 ? iters - 1 : iters;
}

static void broken_bench(cb_gb_state *st, void *arg)
{
	(void)arg;
	int64_t done[2] = { 0, 0 }, n = 0;
	if (cb_micro_crew_body(st, 2, CB_MICRO_POLICY, false, short_worker, done, &n) &&
	    (done[0] != n || done[1] != n))
		cb_micro_fail(st, "worker 1 did %lld of %lld", (long long)done[1], (long long)n);
}

static void test_verification_failure_is_an_error(void **state)
{
	(void)state;
	outcome o = { 0 };
	cb_gb_clear();
	cb_micro_add("test/broken", broken_bench, NULL);
	assert_int_equal(cb_gb_run("^test/broken", record, &o), 1);
	cb_gb_clear();
	assert_true(o.errors >= 1);
	assert_string_equal(o.message, "verification failed: worker 1 did 0 of 1");
	assert_false(cb_micro_is_skip(o.message));
}

static void test_unavailable_placement_is_a_skip(void **state)
{
	(void)state;
	cb_micro_env env = { .max_threads = 1, .cross_why = "only one PU is usable here" };
	outcome o = { 0 };
	cb_micro_env_set(&env);
	cb_gb_clear();
	cb_micro_register_pingpong();
	assert_int_equal(cb_gb_run("^pingpong/futex/cross_pu", record, &o), 1);
	cb_gb_clear();
	cb_micro_env_set(NULL);
	assert_true(o.errors >= 1);
	assert_true(cb_micro_is_skip(o.message));
	assert_non_null(strstr(o.message, "only one PU"));
}

/* Real benchmarks, run briefly: each checks its own work (LIFO and
 * priority order at every pop, FIFO order and sums at the consumer,
 * barrier generations, exact counters) and must come out clean. */
static void test_real_benchmarks_pass_their_verification(void **state)
{
	(void)state;
	static const char *const filters[] = {
		"^handover/mpmc_(lifo|priority)/8B/oneway",
		"^handover/(shm_futex_ring|pipe)/4KiB/(oneway|roundtrip)",
		"^sync/(mutex|spin_barrier|pthread_barrier|atomic_faa_same_line)/n2",
		"^sync/pshared_semaphore/n2",
		"^pingpong/(futex|condvar)/same_pu",
		"^start/(fork_wait|posix_spawn_wait)",
	};
	cb_gb_clear();
	cb_micro_register_start();
	cb_micro_register_pingpong();
	cb_micro_register_sync();
	cb_micro_register_handover();
	for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
		outcome o = { 0 };
		assert_true(cb_gb_run(filters[i], record, &o) >= 1);
		if (o.errors)
			fail_msg("%s: %s", filters[i], o.message);
	}
	cb_gb_clear();
}

/* Many models and primitives with long names: the word lists the templates
 * read name every block, in block order, however long they grow. */
static void test_chart_words_name_every_block(void **state)
{
	(void)state;
	json_t *cells = json_array();
	for (int m = 0; m < 60; m++) {
		char model[64];
		snprintf(model, sizeof model, "a_rather_long_model_name_%02d", m);
		json_array_append_new(cells, json_pack("{s:s, s:s, s:s, s:f}", "id", "shim/op",
		                      "family", "shim", "model", model, "ns_per_op", 10.0 + m));
	}
	for (int p = 0; p < 60; p++)
		for (int n = 1; n <= 2; n++) {
			char id[96];
			snprintf(id, sizeof id, "sync/a_rather_long_primitive_name_%02d/n%d", p, n);
			json_array_append_new(cells, json_pack("{s:s, s:s, s:s, s:f}", "id", id,
			                      "family", "sync", "model", "threads", "ops_per_s", 1e6 * n));
		}
	cb_micro_chart price, locks;
	cb_micro_price_data(cells, &price);
	cb_micro_locks_data(cells, &locks);
	assert_int_equal(locks.count, 60);
	assert_true(strlen(price.words) > 1024 && strlen(locks.words) > 1024);
	assert_non_null(strstr(price.words, "a_rather_long_model_name_00 a_rather_long_model_name_01 "));
	assert_non_null(strstr(price.words, " a_rather_long_model_name_59"));
	assert_non_null(strstr(locks.words, " a_rather_long_primitive_name_59"));
	assert_non_null(strstr(locks.dat, "# a_rather_long_primitive_name_59\n1 1e+06\n2 2e+06\n"));
	assert_non_null(strstr(price.dat, "# model a_rather_long_model_name_59\n"));
	size_t words = 1;
	for (const char *p = price.words; *p; p++)
		words += *p == ' ';
	assert_int_equal(words, 60);
	cb_micro_chart_free(&price);
	cb_micro_chart_free(&locks);
	json_decref(cells);
}

/* The model a benchmark prices: its label, else the pools family's
 * strategy, else a strategy's own micro names, else shim or other. */
static void test_model_from_label_pools_and_table(void **state)
{
	(void)state;
	assert_string_equal(cb_micro_model("sync/mutex/n2", "processes"), "processes");
	assert_string_equal(cb_micro_model("pools/threadpool_empty_job/2", NULL), "threadpool");
	assert_string_equal(cb_micro_model("pools/threads_map_100k/1", ""), "threads");
	assert_string_equal(cb_micro_model("pools/processpool_map_100k_traced/2", NULL), "processpool");
	assert_string_equal(cb_micro_model("pools/serial_empty_job/1", NULL), "serial");
	assert_string_equal(cb_micro_model("switch/fcontext_roundtrip", NULL), "coroutines");
	assert_string_equal(cb_micro_model("switch/scheduler_yield", NULL), "coroutines");
	assert_string_equal(cb_micro_model("start/coroutine_create_first_switch", NULL), "coroutines");
	assert_string_equal(cb_micro_model("shim/c_batch_increment", NULL), "shim");
	assert_string_equal(cb_micro_model("start/fork_wait", NULL), "other");
}

int main(void)
{
	char *argv[] = { "test_micro", "--benchmark_min_time=0.002", "--benchmark_repetitions=1",
	                 "--benchmark_enable_random_interleaving=false", NULL };
	int argc = 4;
	cb_gb_init(&argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families_have_unique_names_and_benchmarks),
		cmocka_unit_test(test_filter_matches_family_benchmark_and_glob),
		cmocka_unit_test(test_regex_selects_exactly_the_names),
		cmocka_unit_test(test_verification_failure_is_an_error),
		cmocka_unit_test(test_unavailable_placement_is_a_skip),
		cmocka_unit_test(test_real_benchmarks_pass_their_verification),
		cmocka_unit_test(test_chart_words_name_every_block),
		cmocka_unit_test(test_model_from_label_pools_and_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
