/* `concbench list [workloads|strategies|pins|suites|micro] [-v]`: everything is
 * generated from the registry tables, so the listing cannot drift from
 * what `run` accepts. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "engine/gbench.h"
#include "micro/micro.h"
#include "engine/run.h"

static void list_workload(const cb_workload *w, bool verbose)
{
	printf("  %-16s %-7s %s\n", w->name, cb_kind_names[w->kind], w->summary);
	const cb_workload_origin *o = cb_workload_origin_of(w);
	if (o && verbose) {
		printf("      %s: %s\n", o->kind, o->path);
		printf("      sha256: %s\n", o->sha256);
		if (*o->runtime)
			printf("      runtime: %s%s\n", o->runtime,
			       o->gil < 0 ? "" : o->gil ? ", GIL enabled" : ", free-threaded (no GIL)");
	}
	if (!verbose)
		return;
	printf("      checksum covers: %s\n", w->checksum);
	printf("      parameters (--param NAME=VALUE; per-size defaults with --size):\n");
	for (size_t i = 0; i < w->nparams; i++)
		cb_param_describe(&w->params[i], stdout);
	if (!w->nparams)
		printf("      (none)\n");
}

/* The workloads `-w` named (loading plug-ins and Python files), or every
 * built-in. */
static const char *const *selected;
static int nselected;

static void list_workloads(bool verbose)
{
	printf("workloads:\n");
	if (!nselected) {
		for (const cb_workload *const *w = cb_workloads; *w; w++)
			list_workload(*w, verbose);
		printf("  (and any plug-in: -w PATH.so; Python: -w py:FILE.py, %s)\n", cb_python_status);
		return;
	}
	for (int i = 0; i < nselected; i++) {
		const cb_workload *w;
		cb_error err = { 0 };
		if (!cb_workload_resolve(selected[i], &w, &err))
			list_workload(w, verbose);
	}
}

/* Loads every -w item before anything is printed, so that a bad one is
 * one error line and exit code, not half a listing. */
static int load_selected(char **items, int n)
{
	for (int i = 0; i < n; i++) {
		const cb_workload *w;
		cb_error err = { 0 };
		if (cb_workload_resolve(items[i], &w, &err)) {
			fprintf(stderr, "concbench: %s\n", err.msg);
			return err.code;
		}
	}
	selected = (const char *const *)items;
	nselected = n;
	return 0;
}

static void flag_text(unsigned flags, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s%s", flags & CB_STRATEGY_BASELINE ? " baseline" : "",
	         flags & CB_STRATEGY_FORKS ? " forks" : "", flags & CB_STRATEGY_YIELDS ? " yields" : "",
	         flags & CB_STRATEGY_POOL ? " pool" : "", flags & CB_STRATEGY_CONCURRENCY ? " takes-c" : "",
	         flags & CB_STRATEGY_RUNTIME ? " python-workloads-only" : "");
}

static void list_strategies(bool verbose)
{
	printf("strategies:\n");
	for (const cb_strategy *const *s = cb_strategies; *s; s++) {
		printf("  %-14s %s\n", (*s)->name, (*s)->summary);
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
	char **items = cb_xcalloc((size_t)argc, sizeof *items);
	int nitems = 0, rc = CB_EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = true;
		else if ((!strcmp(argv[i], "-w") || !strcmp(argv[i], "--workload")) && i + 1 < argc)
			items[nitems++] = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: concbench list [workloads|strategies|pins|suites|micro] [-v] [-w ITEM]...\n"
			       "Lists what 'concbench run' and 'concbench micro' accept; -v adds parameters,\n"
			       "defaults and ranges, and every micro benchmark. -w lists only that workload:\n"
			       "a built-in's name, a plug-in's path (PATH.so) or py:FILE.py, loaded and checked\n"
			       "as 'run' would.\n");
			free(items);
			return CB_EXIT_OK;
		} else if (!what)
			what = argv[i];
		else {
			fprintf(stderr, "concbench: unexpected argument '%s' (see 'concbench list --help')\n", argv[i]);
			free(items);
			return CB_EXIT_USAGE;
		}
	}
	if (nitems) {
		if ((rc = load_selected(items, nitems)))
			goto out;
		if (!what)
			what = "workloads";
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
		rc = CB_EXIT_USAGE;
	}
out:
	free(items);
	return rc;
}
