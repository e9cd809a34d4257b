/* concbench CLI: one table of subcommands; usage, dispatch and "unknown
 * command" errors are generated from it. Only this layer prints errors and
 * picks the exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "base/common.h"
#include "engine/strategy.h"
#include "engine/workload.h"
#include "render/gnuplot.h"

typedef struct cb_command {
	const char *name;
	const char *summary;
	int (*fn)(int argc, char **argv);
} cb_command;

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: concbench version\nPrints the version, the workload ABI and whether Python "
		       "workloads are built.\nExit status: 0.\n");
		return CB_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "concbench: version takes no arguments ('%s'; valid: --help)\n", argv[1]);
		return CB_EXIT_USAGE;
	}
	printf("concbench %s\n", CB_VERSION_STRING);
	printf("workload ABI %d (include/concbench/workload.h); C plug-ins: -w PATH.so\n", CB_WORKLOAD_ABI);
	printf("Python workloads (-w py:FILE.py): %s\n", cb_python_status);
	return CB_EXIT_OK;
}

static const cb_command commands[] = {
	{ "run", "run workloads x strategies x workers and write results", cb_cmd_run },
	{ "micro", "run the micro-benchmark price list (start, switch, sync, handover, timers)", cb_cmd_micro },
	{ "list", "list workloads, strategies, pin policies and suites", cb_cmd_list },
	{ "topo", "show the machine and where each pin policy places workers", cb_cmd_topo },
	{ "noise", "how steady this machine is for CPU-bound work: the floor under every cell's spread", cb_cmd_noise },
	{ "granularity", "the smallest task each model runs efficiently: efficiency against task duration, METG", cb_cmd_granularity },
	{ "analyze", "scaling table, Amdahl and USL fits of a results file or N,X CSV", cb_cmd_analyze },
	{ "plot", "draw the charts of a results file (PNG and SVG)", cb_cmd_plot },
	{ "report", "write report.html and report.md for a results file", cb_cmd_report },
	{ "compare", "compare two results files cell by cell; exit 1 on a regression", cb_cmd_compare },
	{ "ab", "measure two builds, workload files or parameters pair by pair and compare them", cb_cmd_ab },
	{ "baseline", "save a results file under a name for compare --baseline", cb_cmd_baseline },
	{ "export", "write a run for Bencher, github-action-benchmark, CSV or Markdown", cb_cmd_export },
	{ "merge", "merge runs of the same plan into one file, rounds in order (compare --paired)", cb_cmd_merge },
	{ "version", "print the version", cmd_version },
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
	fprintf(f, "usage: concbench <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'concbench <command> --help' describes each command.\n"
	        "Exit status: 0 success, 1 a failure (a wrong checksum, a task error, a\n"
	        "regression found by compare), 2 bad input, 3 this machine or build cannot\n"
	        "run the request.\n");
}

/* Every chart colours a strategy's series with the table's colour. */
static void chart_palette(void)
{
	for (const cb_strategy *const *s = cb_strategies; *s; s++)
		cb_chart_palette_add((*s)->name, (*s)->colour);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CB_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	/* concbench ab's measuring process: started by ab, not by people. */
	if (!strcmp(argv[1], "ab-worker"))
		return cb_cmd_ab_worker(argc - 1, argv + 1);
	chart_palette();
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "concbench: unknown command '%s' (known:", argv[1]);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
	fprintf(stderr, ")\n");
	return CB_EXIT_USAGE;
}
