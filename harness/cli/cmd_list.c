/* `concbench list [workloads|strategies|pins|suites|micro] [-v] [--format
 * json]`: everything is generated from the registry tables, so the listing
 * cannot drift from what `run` accepts. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "engine/gbench.h"
#include "micro/micro.h"
#include "engine/run.h"
#include "base/params.h"

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
		char **tw;
		size_t ntw = cb_python_twins(&tw);
		for (size_t i = 0; i < ntw; i++) {
			const cb_workload *w;
			cb_error err = { 0 };
			if (!cb_workload_resolve(tw[i], &w, &err))
				list_workload(w, verbose);
			else
				printf("  %-16s %-7s Python twin: %s\n", tw[i], "-", err.msg);
			free(tw[i]);
		}
		free(tw);
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
	snprintf(buf, n, "%s%s%s%s%s%s%s", flags & CB_STRATEGY_BASELINE ? " baseline" : "",
	         flags & CB_STRATEGY_FORKS ? " forks" : "", flags & CB_STRATEGY_YIELDS ? " yields" : "",
	         flags & CB_STRATEGY_POOL ? " pool" : "", flags & CB_STRATEGY_CONCURRENCY ? " takes-c" : "",
	         flags & CB_STRATEGY_RUNTIME ? " python-workloads-only" : "",
	         flags & CB_STRATEGY_ORDERS ? " orders-dependent-tasks" : "");
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
}

static void list_suites(void)
{
	printf("suites (--suite):\n");
	char buf[512];
	for (const cb_suite *s = cb_suites; s->name; s++)
		printf("  %-10s %s\n", s->name, cb_suite_summary(s, buf, sizeof buf));
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

/* ---- --format json: the same tables, for scripts ---- */

static json_t *workload_json(const cb_workload *w, bool verbose)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "name", w->name, "kind", cb_kind_names[w->kind], "summary",
	                      w->summary);
	const cb_workload_origin *og = cb_workload_origin_of(w);
	if (og)
		json_object_set_new(o, "source", json_pack("{s:s, s:s, s:s}", "type", og->kind, "path", og->path,
		                                           "sha256", og->sha256));
	if (!verbose)
		return o;
	json_t *ps = json_array();
	for (size_t i = 0; i < w->nparams; i++) {
		const cb_param_spec *p = &w->params[i];
		json_t *d = json_object();
		for (int z = 0; z < CB_NSIZES; z++)
			json_object_set_new(d, cb_size_names[z], json_string(p->dflt[z] ? p->dflt[z] : ""));
		json_array_append_new(ps, json_pack("{s:s, s:o, s:s}", "name", p->name, "defaults", d, "help",
		                                    p->help ? p->help : ""));
	}
	json_object_set_new(o, "params", ps);
	return o;
}

static json_t *workloads_json(bool verbose)
{
	json_t *a = json_array();
	const cb_workload *w;
	cb_error err = { 0 };
	if (nselected) {
		for (int i = 0; i < nselected; i++)
			if (!cb_workload_resolve(selected[i], &w, &err))
				json_array_append_new(a, workload_json(w, verbose));
		return a;
	}
	for (const cb_workload *const *b = cb_workloads; *b; b++)
		json_array_append_new(a, workload_json(*b, verbose));
	char **tw;
	size_t ntw = cb_python_twins(&tw);
	for (size_t i = 0; i < ntw; i++) {
		json_t *o = !cb_workload_resolve(tw[i], &w, &err) ? workload_json(w, verbose)
		                                                  : json_pack("{s:s, s:s}", "name", tw[i], "error", err.msg);
		json_object_set_new(o, "python_twin", json_true());
		json_array_append_new(a, o);
		free(tw[i]);
	}
	free(tw);
	return a;
}

static json_t *strategies_json(bool verbose)
{
	(void)verbose;
	json_t *a = json_array();
	for (const cb_strategy *const *s = cb_strategies; *s; s++) {
		char flags[128];
		flag_text((*s)->flags, flags, sizeof flags);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name", (*s)->name, "summary", (*s)->summary,
		                                   "traits", *flags ? flags + 1 : ""));
	}
	return a;
}

static json_t *pins_json(bool verbose)
{
	(void)verbose;
	json_t *a = json_array();
	for (int i = 0; cb_pin_names[i]; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "name", cb_pin_names[i], "summary", cb_pin_summaries[i]));
	return a;
}

static json_t *suites_json(bool verbose)
{
	(void)verbose;
	json_t *a = json_array();
	char buf[512];
	for (const cb_suite *s = cb_suites; s->name; s++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "name", s->name, "summary",
		                                   cb_suite_summary(s, buf, sizeof buf)));
	return a;
}

static json_t *micro_json(bool verbose)
{
	(void)verbose;
	json_t *a = json_array();
	for (const cb_micro_family *f = cb_micro_families; f->name; f++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "name", f->name, "summary", f->summary));
	return a;
}

typedef struct {
	const char *name;
	void (*fn)(bool verbose);
	json_t *(*json)(bool verbose);
} list_kind;

static void list_pins_v(bool v) { (void)v; list_pins(); }
static void list_suites_v(bool v) { (void)v; list_suites(); }

static const list_kind kinds[] = {
	{ "workloads", list_workloads, workloads_json },
	{ "strategies", list_strategies, strategies_json },
	{ "pins", list_pins_v, pins_json },
	{ "suites", list_suites_v, suites_json },
	{ "micro", list_micro, micro_json },
};
#define NKINDS (sizeof kinds / sizeof *kinds)

int cb_cmd_list(int argc, char **argv)
{
	bool verbose = false;
	const char *what = NULL, *format = "text";
	char **items = cb_xcalloc((size_t)argc, sizeof *items);
	int nitems = 0, rc = CB_EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = true;
		else if ((!strcmp(argv[i], "-w") || !strcmp(argv[i], "--workload")) && i + 1 < argc)
			items[nitems++] = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			format = argv[i] + 9;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			format = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: concbench list [workloads|strategies|pins|suites|micro] [-v] [-w ITEM]...\n"
			       "                      [--format text|json]\n"
			       "Lists what 'concbench run' and 'concbench micro' accept; -v adds parameters,\n"
			       "defaults and ranges, and every micro benchmark. -w lists only that workload:\n"
			       "a built-in's name, a plug-in's path (PATH.so) or py:FILE.py, loaded and checked\n"
			       "as 'run' would. The Python twins of built-ins (py.NAME) are listed with them.\n"
			       "--format json: one object, a key per list (\"workloads\": [{\"name\", \"kind\",\n"
			       "\"summary\", ...}], ...), for scripts.\n"
			       "Exit status: 0 listed, 2 bad input (an unknown list, workload or format),\n"
			       "3 a plug-in or Python file that this build cannot load.\n");
			free(items);
			return CB_EXIT_OK;
		} else if (!what && argv[i][0] != '-')
			what = argv[i];
		else {
			fprintf(stderr, argv[i][0] == '-'
			        ? "concbench: list: unknown option or missing value '%s' (valid: -v, -w ITEM, "
			          "--format text|json, --help)\n"
			        : "concbench: unexpected argument '%s' (see 'concbench list --help')\n", argv[i]);
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
	bool json = !strcmp(format, "json");
	if (!json && strcmp(format, "text")) {
		fprintf(stderr, "concbench: unknown format '%s' (known: text, json)\n", format);
		rc = CB_EXIT_USAGE;
		goto out;
	}
	bool found = false;
	json_t *doc = json_object();
	for (size_t k = 0; k < NKINDS; k++)
		if (!what || !strcmp(what, kinds[k].name)) {
			if (json)
				json_object_set_new(doc, kinds[k].name, kinds[k].json(verbose));
			else {
				if (found)
					printf("\n");
				kinds[k].fn(verbose);
			}
			found = true;
		}
	if (found && json) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
	}
	json_decref(doc);
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
