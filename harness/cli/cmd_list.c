/* `concbench list [workloads|strategies|pins|suites|micro] [-v]`: everything is
 * generated from the registry tables, so the listing cannot drift from
 * what `run` accepts. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "engine/gbench.h"
#include "micro/micro.h"
#include "engine/run.h"

static void list_workloads(bool verbose)
{
	printf("workloads:\n");
	for (const cb_workload *const *w = cb_workloads; *w; w++) {
		printf("  %-16s %-7s %s\n", (*w)->name, cb_kind_names[(*w)->kind], (*w)->summary);
		if (!verbose)
			continue;
		printf("      checksum covers: %s\n", (*w)->checksum);
		printf("      parameters (--param NAME=VALUE; per-size defaults with --size):\n");
		for (size_t i = 0; i < (*w)->nparams; i++)
			cb_param_describe(&(*w)->params[i], stdout);
	}
}

static void flag_text(unsigned flags, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s", flags & CB_STRATEGY_BASELINE ? " baseline" : "",
	         flags & CB_STRATEGY_FORKS ? " forks" : "", flags & CB_STRATEGY_YIELDS ? " yields" : "",
	         flags & CB_STRATEGY_POOL ? " pool" : "", flags & CB_STRATEGY_CONCURRENCY ? " takes-c" : "");
}

static void list_strategies(bool verbose)
{
	printf("strategies:\n");
	for (const cb_strategy *const *s = cb_strategies; *s; s++) {
		printf("  %-12s %s\n", (*s)->name, (*s)->summary);
		if (!verbose)
			continue;
		char flags[128];
		flag_text((*s)->flags, flags, sizeof flags);
		printf("      traits:%s\n", *flags ? flags : " none");
		for (size_t i = 0; i < (*s)->nparams; i++)
			cb_param_describe(&(*s)->params[i], stdout);
	}
}

static void list_pins(void)
{
	printf("pin policies (--pin):\n");
	for (int i = 0; cb_pin_names[i]; i++)
		printf("  %-10s %s\n", cb_pin_names[i], cb_pin_summaries[i]);
	printf("  %-10s %s\n", "0,2,4-7", "an explicit list of PUs (OS indices), dealt to workers in order");
}

static void list_suites(void)
{
	printf("suites (--suite):\n");
	for (const cb_suite *s = cb_suites; s->name; s++)
		printf("  %-10s %s\n", s->name, s->summary);
}

static void print_name(const char *name, void *ctx)
{
	(void)ctx;
	char *id = cb_micro_id(name);
	printf("      %s\n", id);
	free(id);
}

/* With -v, every benchmark of the family as the engine names it (the
 * families register into an empty engine, listed, then cleared). */
static void list_micro(bool verbose)
{
	printf("micro families (concbench micro [FAMILY | FAMILY/BENCHMARK | GLOB]):\n");
	for (const cb_micro_family *f = cb_micro_families; f->name; f++) {
		printf("  %-10s %s\n", f->name, f->summary);
		if (!verbose)
			continue;
		cb_gb_clear();
		f->register_fn();
		cb_gb_list(NULL, print_name, NULL);
		cb_gb_clear();
	}
}

typedef struct { const char *name; void (*fn)(bool verbose); } list_kind;

static void list_pins_v(bool v) { (void)v; list_pins(); }
static void list_suites_v(bool v) { (void)v; list_suites(); }

static const list_kind kinds[] = {
	{ "workloads", list_workloads },
	{ "strategies", list_strategies },
	{ "pins", list_pins_v },
	{ "suites", list_suites_v },
	{ "micro", list_micro },
};
#define NKINDS (sizeof kinds / sizeof *kinds)

int cb_cmd_list(int argc, char **argv)
{
	bool verbose = false;
	const char *what = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: concbench list [workloads|strategies|pins|suites|micro] [-v]\n"
			       "Lists what 'concbench run' and 'concbench micro' accept; -v adds parameters,\n"
			       "defaults and ranges, and every micro benchmark.\n");
			return CB_EXIT_OK;
		} else if (!what)
			what = argv[i];
		else {
			fprintf(stderr, "concbench: unexpected argument '%s' (see 'concbench list --help')\n", argv[i]);
			return CB_EXIT_USAGE;
		}
	}
	bool found = false;
	for (size_t k = 0; k < NKINDS; k++)
		if (!what || !strcmp(what, kinds[k].name)) {
			if (found)
				printf("\n");
			kinds[k].fn(verbose);
			found = true;
		}
	if (!found) {
		fprintf(stderr, "concbench: unknown list '%s' (known:", what);
		for (size_t k = 0; k < NKINDS; k++)
			fprintf(stderr, "%s %s", k ? "," : "", kinds[k].name);
		fprintf(stderr, ")\n");
		return CB_EXIT_USAGE;
	}
	return CB_EXIT_OK;
}
