/* `concbench topo`: the machine as hwloc sees it, and the placement every
 * pin policy gives for 1..N workers. --topology shows the same for a
 * synthetic or XML topology, to plan for machines one does not have. */
#include <string.h>

#include "commands.h"
#include "run.h"

int cb_cmd_topo(int argc, char **argv)
{
	const char *source = NULL, *restrict_to = NULL;
	long max = 0;
	cb_error err = { 0 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: concbench topo [--topology SRC] [--cpus LIST] [-n MAX]\n"
			       "Prints the machine and the PUs each pin policy gives workers 1..MAX\n"
			       "(default: every allowed PU).\n"
			       "  --topology SRC  'synthetic:pack:2 numa:2 core:8 pu:2' or an XML file\n"
			       "  --cpus LIST     restrict the allowed PUs (OS indices), as a cgroup would\n");
			return CB_EXIT_OK;
		}
		if (i + 1 < argc && !strcmp(argv[i], "--topology"))
			source = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--cpus"))
			restrict_to = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "-n")) {
			if (cb_parse_long(argv[++i], &max) || max < 1 || max > 4096) {
				fprintf(stderr, "concbench: -n '%s' must be a whole number from 1 to 4096\n", argv[i]);
				return CB_EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "concbench: unexpected argument '%s' (see 'concbench topo --help')\n", argv[i]);
			return CB_EXIT_USAGE;
		}
	}
	cb_topology *t;
	if (cb_topology_open(&t, source, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		return err.code;
	}
	if (restrict_to && cb_topology_restrict(t, restrict_to, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		cb_topology_free(t);
		return err.code;
	}
	cb_topology_summary s;
	cb_topology_summarize(t, &s);
	cb_topology_print(t, stdout);
	printf("\n");
	cb_topology_print_placements(t, max ? (int)max : s.allowed_pus, stdout);
	cb_topology_free(t);
	return CB_EXIT_OK;
}
