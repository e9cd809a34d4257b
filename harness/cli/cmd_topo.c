/* `concbench topo`: the machine as hwloc sees it, and the placement every
 * pin policy gives for 1..N workers. --topology shows the same for a
 * synthetic or XML topology, to plan for machines one does not have. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "base/hostfile.h"
#include "engine/run.h"

/* Where mpirun puts N ranks with a host file (its default, --map-by slot:
 * each host's slots filled in turn), and the PU each rank then binds to on
 * its node under the pin policy, assuming every node looks like this one
 * (each rank's own record in the results says what it really was). */
static int print_hosts(const cb_topology *t, const char *path, int ranks, cb_error *err)
{
	cb_host *hosts;
	int n, rc = -1;
	if (cb_hostfile_read(path, &hosts, &n, err))
		return -1;
	int slots = cb_hostfile_slots(hosts, n);
	if (slots < 0) {
		cb_error_set(err, CB_EXIT_USAGE, "--hosts '%s': give every host slots=N to plan placement here", path);
		goto out;
	}
	if (!ranks)
		ranks = slots;
	if (ranks > slots) {
		cb_error_set(err, CB_EXIT_USAGE, "-n %d is more ranks than the %d slots of '%s'", ranks, slots, path);
		goto out;
	}
	printf("\nMPI ranks across hosts (%s, %d hosts, %d slots; mpirun --map-by slot, pin compact on each node):\n",
	       path, n, slots);
	printf("  %-6s %-24s %-6s %s\n", "rank", "host", "local", "PU");
	cb_pin pin;
	if (cb_pin_parse("compact", &pin, err))
		goto out;
	for (int r = 0, h = 0, local = 0; r < ranks; r++, local++) {
		while (local >= hosts[h].slots) {
			h++;
			local = 0;
		}
		cb_placement pl;
		if (cb_place(t, &pin, local + 1, &pl, err)) {
			cb_pin_free(&pin);
			goto out;
		}
		printf("  %-6d %-24s %-6d %d%s\n", r, hosts[h].name, local, pl.pu[local],
		       pl.oversubscribed ? " (oversubscribed)" : "");
		cb_placement_free(&pl);
	}
	cb_pin_free(&pin);
	rc = 0;
out:
	free(hosts);
	return rc;
}

static const char topo_usage[] =
	"usage: concbench topo [--topology SRC] [--cpus LIST] [--hosts FILE] [-n MAX]\n"
	"                      [--format text|json]\n"
	"Prints the machine and the PUs each pin policy gives workers 1..MAX\n"
	"(default: every allowed PU).\n"
	"  --topology SRC  'synthetic:pack:2 numa:2 core:8 pu:2' or an XML file\n"
	"  --cpus LIST     restrict the allowed PUs (OS indices), as a cgroup would\n"
	"  --hosts FILE    also show where mpirun puts MAX ranks (default: every slot)\n"
	"                  of an Open MPI host file, and their PUs on each node\n"
	"  --format FMT    text (default) or json: {\"topology\": as results.json's\n"
	"                  machine.topology, \"placements\": {policy: [{\"workers\", \"pu\"}]}}\n"
	"Exit status: 0 printed, 2 bad input (a topology, PU list, -n or host file),\n"
	"3 hwloc cannot read this machine.\n";

int cb_cmd_topo(int argc, char **argv)
{
	const char *source = NULL, *restrict_to = NULL, *hosts = NULL, *format = "text";
	long max = 0;
	cb_error err = { 0 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(topo_usage, stdout);
			return CB_EXIT_OK;
		}
		if (i + 1 < argc && !strcmp(argv[i], "--topology"))
			source = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--cpus"))
			restrict_to = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--hosts"))
			hosts = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--format"))
			format = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			format = argv[i] + 9;
		else if (i + 1 < argc && !strcmp(argv[i], "-n")) {
			if (cb_parse_long(argv[++i], &max) || max < 1 || max > 4096) {
				fprintf(stderr, "concbench: -n '%s' must be a whole number from 1 to 4096\n", argv[i]);
				return CB_EXIT_USAGE;
			}
		} else {
			fprintf(stderr, argv[i][0] == '-'
			        ? "concbench: topo: unknown option or missing value '%s' (valid: --topology SRC, --cpus LIST, "
			          "--hosts FILE, --format text|json, -n MAX, --help)\n"
			        : "concbench: unexpected argument '%s' (see 'concbench topo --help')\n", argv[i]);
			return CB_EXIT_USAGE;
		}
	}
	bool json = !strcmp(format, "json");
	if (!json && strcmp(format, "text")) {
		fprintf(stderr, "concbench: unknown format '%s' (known: text, json)\n", format);
		return CB_EXIT_USAGE;
	}
	if (json && hosts) {
		fprintf(stderr, "concbench: --hosts is shown as text only: leave out --format json or --hosts\n");
		return CB_EXIT_USAGE;
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
	if (json) {
		json_t *doc = json_pack("{s:o, s:o}", "topology", cb_topology_to_json(t), "placements",
		                        cb_topology_placements_json(t, max ? (int)max : s.allowed_pus));
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
		json_decref(doc);
		cb_topology_free(t);
		return CB_EXIT_OK;
	}
	cb_topology_print(t, stdout);
	printf("\n");
	cb_topology_print_placements(t, max ? (int)max : s.allowed_pus, stdout);
	int rc = CB_EXIT_OK;
	if (hosts && print_hosts(t, hosts, (int)max, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		rc = err.code;
	}
	cb_topology_free(t);
	return rc;
}
