/* Topology tests: every pin policy's exact answer on synthetic trees (whose
 * OS indices equal their logical ones), restriction, errors a user sees,
 * and one bind on this machine. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/topology.h"

#define TWO_PACKAGES "synthetic:pack:2 numa:2 core:8 pu:2"  /* 64 PUs, 4 NUMA */
#define FOUR_CORES "synthetic:pack:1 core:4 pu:1"
#define BIG_TREE "synthetic:pack:4 numa:2 l3:2 core:8 pu:2"  /* 256 PUs */

static cb_topology *open_topo(const char *source)
{
	cb_topology *t = NULL;
	cb_error err = { 0 };
	if (cb_topology_open(&t, source, &err) < 0)
		fail_msg("cannot open %s: %s", source ? source : "this machine", err.msg);
	return t;
}

/* The formatted placement ("0,1,2" or "none") of `workers` under `pin`,
 * and whether it is oversubscribed. */
static const char *place(const cb_topology *t, const char *pin, int workers, bool *over)
{
	static char buf[4096];
	cb_pin p;
	cb_placement pl;
	cb_error err = { 0 };
	if (cb_pin_parse(pin, &p, &err) < 0)
		fail_msg("pin %s: %s", pin, err.msg);
	if (cb_place(t, &p, workers, &pl, &err) < 0)
		fail_msg("place %s x%d: %s", pin, workers, err.msg);
	cb_placement_format(&pl, buf, sizeof buf);
	if (over)
		*over = pl.oversubscribed;
	cb_placement_free(&pl);
	cb_pin_free(&p);
	return buf;
}

/* The error cb_place gives; the test fails if it succeeds. */
static cb_error place_error(const cb_topology *t, const char *pin, int workers)
{
	cb_pin p;
	cb_placement pl;
	cb_error err = { 0 };
	if (cb_pin_parse(pin, &p, &err) < 0)
		fail_msg("pin %s: %s", pin, err.msg);
	assert_int_equal(cb_place(t, &p, workers, &pl, &err), -1);
	assert_null(pl.sets);
	cb_pin_free(&p);
	return err;
}

static const char *place_groups(const cb_topology *t, const char *pin, int groups,
                                int per_group, bool *over)
{
	static char buf[4096];
	cb_pin p;
	cb_placement pl;
	cb_error err = { 0 };
	if (cb_pin_parse(pin, &p, &err) < 0)
		fail_msg("pin %s: %s", pin, err.msg);
	if (cb_place_groups(t, &p, groups, per_group, &pl, &err) < 0)
		fail_msg("groups %s %dx%d: %s", pin, groups, per_group, err.msg);
	assert_int_equal(pl.workers, groups * per_group);
	cb_placement_format(&pl, buf, sizeof buf);
	if (over)
		*over = pl.oversubscribed;
	cb_placement_free(&pl);
	cb_pin_free(&p);
	return buf;
}

static cb_error pin_error(const char *s)
{
	cb_pin p;
	cb_error err = { 0 };
	assert_int_equal(cb_pin_parse(s, &p, &err), -1);
	assert_null(p.list);
	return err;
}

/* --------------------------------------------------------------- open */

static void test_synthetic_counts_match_description(void **state)
{
	(void)state;
	cb_topology *t = open_topo(TWO_PACKAGES);
	cb_topology_summary s;
	cb_topology_summarize(t, &s);
	assert_int_equal(s.packages, 2);
	assert_int_equal(s.numa_nodes, 4);
	assert_int_equal(s.l3_groups, 0);
	assert_int_equal(s.cores, 32);
	assert_int_equal(s.pus, 64);
	assert_int_equal(s.allowed_pus, 64);
	assert_int_equal(s.allowed_cores, 32);
	assert_false(cb_topology_is_this_system(t));
	/* Every expected placement below is written in OS indices and
	 * relies on this. */
	hwloc_topology_t h = cb_topology_hwloc(t);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, i)->os_index, i);
	cb_topology_free(t);
}

static void test_open_bad_synthetic_is_usage_error(void **state)
{
	(void)state;
	cb_topology *t = (cb_topology *)1;
	cb_error err = { 0 };
	assert_int_equal(cb_topology_open(&t, "synthetic:pack:x core:2", &err), -1);
	assert_null(t);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "'pack:x core:2'"));
	assert_non_null(strstr(err.msg, "Invalid argument"));
}

static void test_open_missing_xml_is_usage_error(void **state)
{
	(void)state;
	cb_topology *t = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_topology_open(&t, "/nonexistent/topo.xml", &err), -1);
	assert_null(t);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "/nonexistent/topo.xml"));
	assert_non_null(strstr(err.msg, "No such file"));
}

static void test_open_garbage_xml_is_usage_error(void **state)
{
	(void)state;
	char path[] = "/tmp/cb_topo_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "<topology", 9), 9);
	close(fd);
	cb_topology *t = NULL;
	cb_error err = { 0 };
	assert_int_equal(cb_topology_open(&t, path, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, path));
	unlink(path);
}

static void test_open_xml_export_roundtrips_counts(void **state)
{
	(void)state;
	cb_topology *t = open_topo(BIG_TREE);
	char path[] = "/tmp/cb_topo_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(hwloc_topology_export_xml(cb_topology_hwloc(t), path, 0), 0);
	cb_topology_free(t);

	t = open_topo(path);
	unlink(path);
	cb_topology_summary s;
	cb_topology_summarize(t, &s);
	assert_int_equal(s.packages, 4);
	assert_int_equal(s.numa_nodes, 8);
	assert_int_equal(s.l3_groups, 16);
	assert_int_equal(s.pus, 256);
	assert_false(cb_topology_is_this_system(t));
	assert_string_equal(place(t, "spread", 4, NULL), "0,64,128,192");
	cb_topology_free(t);
}

static void test_open_env_variable_replaces_this_machine(void **state)
{
	(void)state;
	setenv("CONCBENCH_TOPOLOGY", FOUR_CORES, 1);
	cb_topology *t = open_topo(NULL);
	unsetenv("CONCBENCH_TOPOLOGY");
	cb_topology_summary s;
	cb_topology_summarize(t, &s);
	assert_int_equal(s.pus, 4);
	assert_false(cb_topology_is_this_system(t));
	cb_topology_free(t);

	setenv("CONCBENCH_TOPOLOGY", "synthetic:bogus:3", 1);
	cb_error err = { 0 };
	assert_int_equal(cb_topology_open(&t, NULL, &err), -1);
	unsetenv("CONCBENCH_TOPOLOGY");
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "$CONCBENCH_TOPOLOGY"));
}

/* ---------------------------------------------------------------- pins */

static void test_pin_parse_names_and_lists(void **state)
{
	(void)state;
	static const struct { const char *in; cb_pin_kind kind; const char *text; int n; } cases[] = {
		{ "none", CB_PIN_NONE, "none", 0 },
		{ "compact", CB_PIN_COMPACT, "compact", 0 },
		{ "spread", CB_PIN_SPREAD, "spread", 0 },
		{ "cores", CB_PIN_CORES, "cores", 0 },
		{ "99", CB_PIN_LIST, "99", 1 },
		{ "0,2,4-7", CB_PIN_LIST, "0,2,4-7", 6 },
		{ "0,1,2,5", CB_PIN_LIST, "0-2,5", 4 },
		{ "3,2,2", CB_PIN_LIST, "3,2,2", 3 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cb_pin p;
		cb_error err = { 0 };
		assert_int_equal(cb_pin_parse(cases[i].in, &p, &err), 0);
		assert_int_equal(p.kind, cases[i].kind);
		assert_string_equal(p.text, cases[i].text);
		assert_int_equal(p.nlist, cases[i].n);
		cb_pin_free(&p);
	}
	cb_pin p;
	cb_error err = { 0 };
	assert_int_equal(cb_pin_parse("4-7,0", &p, &err), 0);
	assert_int_equal(p.list[0], 4);
	assert_int_equal(p.list[3], 7);
	assert_int_equal(p.list[4], 0);
	cb_pin_free(&p);
}

static void test_pin_parse_bad_lists_are_usage_errors(void **state)
{
	(void)state;
	static const char *const bad[] = { "99x", "5-2", "-1", "1,-2", "1,,2", "1,", "3-", "70000" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cb_error err = pin_error(bad[i]);
		assert_int_equal(err.code, CB_EXIT_USAGE);
		assert_non_null(strstr(err.msg, "invalid PU list"));
	}
	assert_non_null(strstr(pin_error("5-2").msg, "range 5-2 runs backwards"));
	assert_non_null(strstr(pin_error("99x").msg, "'99x' is neither"));
	assert_non_null(strstr(pin_error("-1").msg, "non-negative"));
}

static void test_pin_parse_unknown_name_lists_known(void **state)
{
	(void)state;
	cb_error err = pin_error("x");
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_string_equal(err.msg,
	                    "unknown pin policy 'x' (known: none, compact, spread, cores, "
	                    "or a list of PUs such as 0,2,4-7)");
	err = pin_error("");
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "known: none, compact"));
}

static void test_pin_tables_are_null_terminated_pairs(void **state)
{
	(void)state;
	size_t n = 0;
	while (cb_pin_names[n]) {
		assert_non_null(cb_pin_summaries[n]);
		n++;
	}
	assert_null(cb_pin_summaries[n]);
	assert_int_equal(n, 5);
}

/* ------------------------------------------------------------- placing */

static void test_two_packages_each_policy_exact(void **state)
{
	(void)state;
	cb_topology *t = open_topo(TWO_PACKAGES);
	assert_string_equal(place(t, "compact", 4, NULL), "0,1,2,3");
	assert_string_equal(place(t, "cores", 4, NULL), "0,2,4,6");
	/* hwloc_distrib: one per package, then one per NUMA node. */
	assert_string_equal(place(t, "spread", 1, NULL), "0");
	assert_string_equal(place(t, "spread", 2, NULL), "0,32");
	assert_string_equal(place(t, "spread", 3, NULL), "0,16,32");
	assert_string_equal(place(t, "spread", 4, NULL), "0,16,32,48");
	assert_string_equal(place(t, "spread", 6, NULL), "0,8,16,32,40,48");
	assert_string_equal(place(t, "spread", 8, NULL), "0,8,16,24,32,40,48,56");
	assert_string_equal(place(t, "none", 3, NULL), "none");
	assert_string_equal(place(t, "5,1", 3, NULL), "5,1,5");
	cb_topology_free(t);
}

static void test_two_packages_placement_sets_match_pus(void **state)
{
	(void)state;
	cb_topology *t = open_topo(TWO_PACKAGES);
	cb_pin p;
	cb_placement pl;
	cb_error err = { 0 };
	assert_int_equal(cb_pin_parse("spread", &p, &err), 0);
	assert_int_equal(cb_place(t, &p, 4, &pl, &err), 0);
	assert_int_equal(pl.workers, 4);
	assert_int_equal(pl.usable_pus, 64);
	assert_false(pl.oversubscribed);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(hwloc_bitmap_weight(pl.sets[i]), 1);
		assert_int_equal(hwloc_bitmap_first(pl.sets[i]), pl.pu[i]);
	}
	cb_placement_free(&pl);

	assert_int_equal(cb_pin_parse("none", &p, &err), 0);
	assert_int_equal(cb_place(t, &p, 3, &pl, &err), 0);
	for (int i = 0; i < 3; i++) {
		assert_null(pl.sets[i]);
		assert_int_equal(pl.pu[i], -1);
	}
	assert_int_equal(pl.usable_pus, 64);
	cb_placement_free(&pl);
	cb_topology_free(t);
}

static void test_four_cores_each_policy_exact(void **state)
{
	(void)state;
	cb_topology *t = open_topo(FOUR_CORES);
	assert_string_equal(place(t, "compact", 4, NULL), "0,1,2,3");
	assert_string_equal(place(t, "cores", 4, NULL), "0,1,2,3");
	assert_string_equal(place(t, "spread", 2, NULL), "0,2");
	assert_string_equal(place(t, "spread", 3, NULL), "0,1,2");
	assert_string_equal(place(t, "spread", 4, NULL), "0,1,2,3");
	cb_topology_free(t);
}

static void test_big_tree_spread_follows_levels(void **state)
{
	(void)state;
	cb_topology *t = open_topo(BIG_TREE);
	cb_topology_summary s;
	cb_topology_summarize(t, &s);
	assert_int_equal(s.pus, 256);
	assert_int_equal(s.cores, 128);
	assert_int_equal(s.l3_groups, 16);
	assert_int_equal(s.llc_level, 3);
	assert_int_equal(s.llc_bytes, 16777216);
	assert_string_equal(place(t, "spread", 4, NULL), "0,64,128,192");
	assert_string_equal(place(t, "spread", 8, NULL), "0,32,64,96,128,160,192,224");
	assert_string_equal(place(t, "spread", 16, NULL),
	                    "0,16,32,48,64,80,96,112,128,144,160,176,192,208,224,240");
	assert_string_equal(place(t, "compact", 3, NULL), "0,1,2");
	assert_string_equal(place(t, "cores", 3, NULL), "0,2,4");
	bool over = true;
	const char *all = place(t, "cores", 128, &over);
	assert_false(over);
	assert_non_null(strstr(all, ",252,254"));
	assert_int_equal(place_error(t, "cores", 129).code, CB_EXIT_USAGE);
	cb_topology_free(t);
}

static void test_restricted_set_places_inside_it(void **state)
{
	(void)state;
	cb_topology *t = open_topo(TWO_PACKAGES);
	cb_error err = { 0 };
	assert_int_equal(cb_topology_restrict(t, "0-7,16-23", &err), 0);
	cb_topology_summary s;
	cb_topology_summarize(t, &s);
	assert_int_equal(s.pus, 64);  /* the machine record is unchanged */
	assert_int_equal(s.allowed_pus, 16);
	assert_int_equal(s.allowed_cores, 8);
	bool over = true;
	assert_string_equal(place(t, "compact", 10, &over), "0,1,2,3,4,5,6,7,16,17");
	assert_false(over);
	assert_string_equal(place(t, "cores", 4, NULL), "0,2,4,6");
	assert_string_equal(place(t, "cores", 8, NULL), "0,2,4,6,16,18,20,22");
	assert_string_equal(place(t, "spread", 2, NULL), "0,16");
	assert_string_equal(place(t, "spread", 4, NULL), "0,4,16,20");
	cb_error e = place_error(t, "cores", 9);
	assert_non_null(strstr(e.msg, "only 8 cores"));
	e = place_error(t, "8", 1);
	assert_string_equal(e.msg, "PU 8 is not available (allowed PUs: 0-7,16-23)");

	/* A second restriction narrows the first. */
	assert_int_equal(cb_topology_restrict(t, "6-17", &err), 0);
	assert_string_equal(place(t, "compact", 4, &over), "6,7,16,17");
	assert_false(over);
	assert_string_equal(place(t, "cores", 2, NULL), "6,16");
	cb_topology_free(t);
}

static void test_restrict_bad_list_is_usage_error(void **state)
{
	(void)state;
	cb_topology *t = open_topo(FOUR_CORES);
	cb_error err = { 0 };
	assert_int_equal(cb_topology_restrict(t, "5-2", &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "allowed PUs: 0-3"));

	memset(&err, 0, sizeof err);
	assert_int_equal(cb_topology_restrict(t, "8-15", &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_string_equal(err.msg, "PU list '8-15' leaves no PU to run on (allowed PUs: 0-3)");

	/* A failed restriction leaves the allowed set as it was. */
	assert_string_equal(place(t, "compact", 4, NULL), "0,1,2,3");
	cb_topology_free(t);
}

static void test_list_unavailable_pu_is_usage_error(void **state)
{
	(void)state;
	cb_topology *t = open_topo(FOUR_CORES);
	cb_error err = place_error(t, "0,99", 2);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_string_equal(err.msg, "PU 99 is not available (allowed PUs: 0-3)");
	cb_topology_free(t);
}

static void test_cores_more_workers_than_cores_is_refused(void **state)
{
	(void)state;
	cb_topology *t = open_topo(FOUR_CORES);
	cb_error err = place_error(t, "cores", 5);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "only 4 cores"));
	assert_non_null(strstr(err.msg, "compact or spread"));
	cb_topology_free(t);
}

static void test_oversubscription_wraps_round(void **state)
{
	(void)state;
	cb_topology *t = open_topo(FOUR_CORES);
	bool over = false;
	assert_string_equal(place(t, "compact", 6, &over), "0,1,2,3,0,1");
	assert_true(over);
	over = false;
	assert_string_equal(place(t, "spread", 6, &over), "0,1,2,3,0,1");
	assert_true(over);
	over = false;
	assert_string_equal(place(t, "none", 6, &over), "none");
	assert_true(over);
	over = false;
	assert_string_equal(place(t, "1,3", 5, &over), "1,3,1,3,1");
	assert_true(over);
	over = true;
	assert_string_equal(place(t, "1,3", 2, &over), "1,3");
	assert_false(over);
	/* Duplicates count once: two workers on one PU is oversubscribed. */
	over = false;
	assert_string_equal(place(t, "2,2", 2, &over), "2,2");
	assert_true(over);
	cb_topology_free(t);

	t = open_topo(TWO_PACKAGES);
	cb_error err = { 0 };
	assert_int_equal(cb_topology_restrict(t, "0-3", &err), 0);
	assert_string_equal(place(t, "spread", 6, &over), "0,1,2,3,0,1");
	assert_true(over);
	cb_topology_free(t);
}

static void test_zero_workers_is_usage_error(void **state)
{
	(void)state;
	cb_topology *t = open_topo(FOUR_CORES);
	assert_int_equal(place_error(t, "compact", 0).code, CB_EXIT_USAGE);
	cb_topology_free(t);
}

/* -------------------------------------------------------------- groups */

static void test_place_groups_follow_packages_then_numa(void **state)
{
	(void)state;
	cb_topology *t = open_topo(TWO_PACKAGES);
	bool over = true;
	/* 2 groups: one package each. */
	assert_string_equal(place_groups(t, "compact", 2, 4, &over), "0,1,2,3,32,33,34,35");
	assert_false(over);
	assert_string_equal(place_groups(t, "cores", 2, 4, NULL), "0,2,4,6,32,34,36,38");
	assert_string_equal(place_groups(t, "spread", 2, 2, NULL), "0,1,32,33");
	/* 4 groups: one NUMA node each. */
	assert_string_equal(place_groups(t, "compact", 4, 2, NULL), "0,1,16,17,32,33,48,49");
	assert_string_equal(place_groups(t, "cores", 4, 2, NULL), "0,2,16,18,32,34,48,50");
	/* 3 groups: NUMA nodes as ranges {0}, {1}, {2,3}. */
	assert_string_equal(place_groups(t, "compact", 3, 1, NULL), "0,16,32");
	/* 8 groups: core ranges of 4 cores (8 PUs). */
	assert_string_equal(place_groups(t, "compact", 8, 1, NULL), "0,8,16,24,32,40,48,56");
	assert_string_equal(place_groups(t, "none", 2, 3, NULL), "none");
	cb_topology_free(t);
}

static void test_place_groups_restricted_and_oversubscribed(void **state)
{
	(void)state;
	cb_topology *t = open_topo(TWO_PACKAGES);
	cb_error err = { 0 };
	assert_int_equal(cb_topology_restrict(t, "0-7,16-23", &err), 0);
	/* One package left: 2 groups are its 2 NUMA nodes. */
	assert_string_equal(place_groups(t, "compact", 2, 2, NULL), "0,1,16,17");
	cb_topology_free(t);

	t = open_topo(FOUR_CORES);
	bool over = false;
	/* 2 groups of 2 cores; 3 threads each wrap inside the group. */
	assert_string_equal(place_groups(t, "compact", 2, 3, &over), "0,1,0,2,3,2");
	assert_true(over);
	/* More groups than PUs wrap round the PUs. */
	over = false;
	assert_string_equal(place_groups(t, "compact", 6, 1, &over), "0,1,2,3,0,1");
	assert_true(over);

	cb_pin p;
	cb_placement pl;
	assert_int_equal(cb_pin_parse("cores", &p, &err), 0);
	assert_int_equal(cb_place_groups(t, &p, 2, 3, &pl, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "only 4 cores"));
	memset(&err, 0, sizeof err);
	assert_int_equal(cb_pin_parse("0,1", &p, &err), 0);
	assert_int_equal(cb_place_groups(t, &p, 2, 1, &pl, &err), -1);
	assert_int_equal(err.code, CB_EXIT_USAGE);
	cb_pin_free(&p);
	cb_topology_free(t);
}

/* -------------------------------------------------------------- output */

static void test_json_records_machine(void **state)
{
	(void)state;
	cb_topology *t = open_topo(BIG_TREE);
	cb_error err = { 0 };
	assert_int_equal(cb_topology_restrict(t, "0-7,16-23", &err), 0);
	json_t *j = cb_topology_to_json(t);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "pus")), 256);
	assert_int_equal(json_integer_value(json_object_get(j, "allowed_pus")), 16);
	assert_string_equal(json_string_value(json_object_get(j, "allowed_cpuset")), "0-7,16-23");
	assert_int_equal(json_integer_value(json_object_get(j, "llc_bytes")), 16777216);
	assert_int_equal(json_integer_value(json_object_get(j, "memory_bytes")), 8LL << 30);
	assert_false(json_is_true(json_object_get(j, "this_system")));
	assert_non_null(strstr(json_string_value(json_object_get(j, "synthetic")), "Package:4"));
	assert_non_null(json_string_value(json_object_get(j, "hwloc_version")));
	json_t *caches = json_object_get(j, "caches");
	assert_int_equal(json_array_size(caches), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(caches, 0), "name")),
	                    "L3");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(caches, 0), "count")), 16);
	json_decref(j);
	cb_topology_free(t);
}

static char *capture(const cb_topology *t, int max_workers)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	if (max_workers)
		cb_topology_print_placements(t, max_workers, f);
	else
		cb_topology_print(t, f);
	fclose(f);
	return text;
}

static void test_print_shows_counts_and_placements(void **state)
{
	(void)state;
	cb_topology *t = open_topo(FOUR_CORES);
	char *text = capture(t, 0);
	assert_non_null(strstr(text, "1 package, 1 NUMA node, 0 L3 groups, 4 cores, 4 PUs"));
	assert_non_null(strstr(text, "cpuset 0-3"));
	free(text);

	text = capture(t, 5);
	assert_non_null(strstr(text, "  compact    4: 0,1,2,3\n"));
	assert_non_null(strstr(text, "  compact    5: 0,1,2,3,0 (oversubscribed)\n"));
	assert_non_null(strstr(text, "  spread     2: 0,2\n"));
	assert_non_null(strstr(text, "  none       5: none (oversubscribed)\n"));
	assert_non_null(strstr(text, "  cores      5: error: pin 'cores'"));
	free(text);
	cb_topology_free(t);
}

/* ------------------------------------------------------------- binding */

static void test_bind_refused_on_synthetic(void **state)
{
	(void)state;
	cb_topology *t = open_topo(FOUR_CORES);
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	hwloc_bitmap_only(set, 0);
	assert_int_equal(cb_bind_thread(t, set), -ENOTSUP);
	assert_int_equal(cb_bind_process(t, set), -ENOTSUP);
	assert_int_equal(cb_bind_thread(t, NULL), 0);
	hwloc_bitmap_free(set);
	cb_topology_free(t);
}

static void test_this_machine_bound_thread_runs_on_pu(void **state)
{
	(void)state;
	unsetenv("CONCBENCH_TOPOLOGY");
	cb_topology *t = open_topo(NULL);
	assert_true(cb_topology_is_this_system(t));
	hwloc_topology_t h = cb_topology_hwloc(t);
	hwloc_bitmap_t saved = hwloc_bitmap_alloc();
	assert_int_equal(hwloc_get_cpubind(h, saved, HWLOC_CPUBIND_THREAD), 0);

	cb_pin p;
	cb_placement pl;
	cb_error err = { 0 };
	assert_int_equal(cb_pin_parse("compact", &p, &err), 0);
	assert_int_equal(cb_place(t, &p, 1, &pl, &err), 0);
	assert_int_equal(cb_bind_thread(t, pl.sets[0]), 0);
	sched_yield();
	assert_int_equal(sched_getcpu(), pl.pu[0]);

	assert_int_equal(hwloc_set_cpubind(h, saved, HWLOC_CPUBIND_THREAD), 0);
	hwloc_bitmap_free(saved);
	cb_placement_free(&pl);
	cb_topology_free(t);
}

/* The probe's and noise's PUs: at most `most`, spread evenly, the first
 * kept; fewer than `most` stay as they are. */
static void test_spread_pus_evenly(void **state)
{
	(void)state;
	int pus[16];
	for (int i = 0; i < 16; i++)
		pus[i] = 100 + i;
	assert_int_equal(cb_spread_pus(pus, 16, 8), 8);
	for (int k = 0; k < 8; k++)
		assert_int_equal(pus[k], 100 + 2 * k);
	int few[3] = { 7, 3, 5 };
	assert_int_equal(cb_spread_pus(few, 3, 8), 3);
	assert_true(few[0] == 7 && few[1] == 3 && few[2] == 5);
	int odd[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	assert_int_equal(cb_spread_pus(odd, 10, 4), 4);
	assert_true(odd[0] == 0 && odd[1] == 2 && odd[2] == 5 && odd[3] == 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_pus_evenly),
		cmocka_unit_test(test_synthetic_counts_match_description),
		cmocka_unit_test(test_open_bad_synthetic_is_usage_error),
		cmocka_unit_test(test_open_missing_xml_is_usage_error),
		cmocka_unit_test(test_open_garbage_xml_is_usage_error),
		cmocka_unit_test(test_open_xml_export_roundtrips_counts),
		cmocka_unit_test(test_open_env_variable_replaces_this_machine),
		cmocka_unit_test(test_pin_parse_names_and_lists),
		cmocka_unit_test(test_pin_parse_bad_lists_are_usage_errors),
		cmocka_unit_test(test_pin_parse_unknown_name_lists_known),
		cmocka_unit_test(test_pin_tables_are_null_terminated_pairs),
		cmocka_unit_test(test_two_packages_each_policy_exact),
		cmocka_unit_test(test_two_packages_placement_sets_match_pus),
		cmocka_unit_test(test_four_cores_each_policy_exact),
		cmocka_unit_test(test_big_tree_spread_follows_levels),
		cmocka_unit_test(test_restricted_set_places_inside_it),
		cmocka_unit_test(test_restrict_bad_list_is_usage_error),
		cmocka_unit_test(test_list_unavailable_pu_is_usage_error),
		cmocka_unit_test(test_cores_more_workers_than_cores_is_refused),
		cmocka_unit_test(test_oversubscription_wraps_round),
		cmocka_unit_test(test_zero_workers_is_usage_error),
		cmocka_unit_test(test_place_groups_follow_packages_then_numa),
		cmocka_unit_test(test_place_groups_restricted_and_oversubscribed),
		cmocka_unit_test(test_json_records_machine),
		cmocka_unit_test(test_print_shows_counts_and_placements),
		cmocka_unit_test(test_bind_refused_on_synthetic),
		cmocka_unit_test(test_this_machine_bound_thread_runs_on_pu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
