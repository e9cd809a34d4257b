/* `concbench baseline save NAME [FILE]` and `concbench baseline list`: keep
 * named results files under results/baselines/ for `compare --baseline`. */
#include "cli/commands.h"
#include "compare/compare.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_FILE "results/latest/results.json"

static const char usage_text[] =
	"usage: concbench baseline save NAME [FILE]   keep FILE (default " DEFAULT_FILE ")\n"
	"                                             as " CB_BASELINE_DIR "/NAME.json\n"
	"       concbench baseline list               the saved baselines\n"
	"\n"
	"NAME: letters, digits, '.', '_' and '-'. Compare against one with\n"
	"`concbench compare --baseline NAME FILE`.\n"
	"Exit status: 0 done, 1 the baseline could not be written, 2 bad input (a\n"
	"bad NAME, a FILE that is not a concbench results.json).\n";

static int baseline_save(int argc, char **argv)
{
	cb_error err = { 0 };
	char *saved = NULL;
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "concbench: baseline save takes NAME [FILE] (see concbench baseline --help)\n");
		return CB_EXIT_USAGE;
	}
	if (cb_baseline_save(argv[1], argc == 3 ? argv[2] : DEFAULT_FILE, &saved, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		return err.code;
	}
	printf("saved %s as baseline '%s' (%s)\n", argc == 3 ? argv[2] : DEFAULT_FILE, argv[1], saved);
	free(saved);
	return CB_EXIT_OK;
}

static int baseline_list(int argc, char **argv)
{
	cb_error err = { 0 };
	char **names;
	size_t n;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "concbench: baseline list takes no arguments\n");
		return CB_EXIT_USAGE;
	}
	if (cb_baseline_list(&names, &n, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		return err.code;
	}
	for (size_t i = 0; i < n; i++) {
		printf("%s\n", names[i]);
		free(names[i]);
	}
	free(names);
	return CB_EXIT_OK;
}

int cb_cmd_baseline(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return CB_EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "save"))
		return baseline_save(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return baseline_list(argc - 1, argv + 1);
	fprintf(stderr, "concbench: unknown baseline action '%s' (valid: save, list)\n",
	        argc >= 2 ? argv[1] : "");
	return CB_EXIT_USAGE;
}
