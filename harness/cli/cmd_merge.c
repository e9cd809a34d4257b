/* `concbench merge -o OUT IN...`: several runs of one plan, one results
 * file. A cell's rounds are its rounds in the inputs, in the order given;
 * cells found in one input only (a workload measured on its own) are added.
 * Runs made alternately with another build (docs/ci.md: base, new, new,
 * base ...) become one file per side whose round k of a cell ran beside the
 * other side's round k, ready for `concbench compare --paired`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "resultfile/read.h"
#include "engine/run.h"

static const char usage_text[] =
	"usage: concbench merge -o OUT IN...\n"
	"\n"
	"Merges results files of one plan into OUT: every repetition and every round\n"
	"median of each cell, its rounds in the order of IN...; cells found in some\n"
	"inputs only (workloads run one at a time) are added. A cell that failed in\n"
	"any input is failed in OUT.\n"
	"\n"
	"  -o, --out FILE   the merged results.json to write (atomically)\n"
	"  -h, --help       this text\n"
	"\n"
	"exit: 0 merged, 1 OUT could not be written, 2 bad input (a file that is\n"
	"not a results file, a cell with other parameters than before, runs of\n"
	"different machines, a micro run)\n";

static json_t *find_cell(json_t *cells, const json_t *id)
{
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
		if (json_equal(json_object_get(c, "id"), id))
			return c;
	return NULL;
}

static json_t *empty_copy(const json_t *cell)
{
	json_t *c = json_deep_copy(cell);
	json_object_set_new(c, "reps", json_array());
	json_object_set_new(c, "rounds", json_array());
	json_object_set_new(c, "reps_set_aside", json_array());
	json_object_set_new(c, "rounds_reduced", json_array());
	json_object_set_new(c, "checksum_ok", json_true());
	json_object_set_new(c, "error", json_null());
	return c;
}

/* Adds doc's cells to merged's: a cell already there gets doc's rounds
 * after its own (its repetitions' rounds numbered on), a new cell (another
 * workload measured on its own) is added. */
static int merge_one(json_t *merged, json_t *doc, const char *path, cb_error *err)
{
	json_t *mcells = json_object_get(merged, "cells");
	const char *mh = json_string_value(json_object_get(json_object_get(merged, "machine"), "host"));
	const char *dh = json_string_value(json_object_get(json_object_get(doc, "machine"), "host"));
	if (mh && dh && strcmp(mh, dh))
		return cb_error_set(err, CB_EXIT_USAGE, "%s was measured on '%s' and the first input on '%s': "
		                    "merge takes runs of one machine", path, dh, mh);
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(doc, "cells"), i, d) {
		json_t *c = find_cell(mcells, json_object_get(d, "id"));
		if (!c) {
			c = empty_copy(d);
			json_array_append_new(mcells, c);
		} else if (!json_equal(json_object_get(c, "params"), json_object_get(d, "params"))) {
			return cb_error_set(err, CB_EXIT_USAGE, "%s: cell '%s' has other parameters than in the "
			                    "inputs before it: merge takes runs of the same plan", path,
			                    json_string_value(json_object_get(d, "id")));
		}
		json_int_t first = (json_int_t)json_array_size(json_object_get(c, "rounds"));
		size_t k;
		json_t *rep;
		json_array_foreach(json_object_get(d, "reps"), k, rep) {
			json_t *copy = json_deep_copy(rep);
			json_int_t r = json_integer_value(json_object_get(rep, "round"));
			json_object_set_new(copy, "round", json_integer(first + r));
			json_array_append_new(json_object_get(c, "reps"), copy);
		}
		json_array_foreach(json_object_get(d, "reps_set_aside"), k, rep) {
			json_t *copy = json_deep_copy(rep);
			json_object_set_new(copy, "round", json_integer(first + json_integer_value(json_object_get(rep, "round"))));
			json_array_append_new(json_object_get(c, "reps_set_aside"), copy);
		}
		/* Files without the flags had every round at full capacity. */
		json_t *red = json_object_get(d, "rounds_reduced");
		for (k = 0; k < json_array_size(json_object_get(d, "rounds")); k++)
			json_array_append_new(json_object_get(c, "rounds_reduced"),
			                      json_boolean(json_is_true(json_array_get(red, k))));
		json_array_extend(json_object_get(c, "rounds"), json_object_get(d, "rounds"));
		if (!json_is_null(json_object_get(d, "error")) && json_is_null(json_object_get(c, "error")))
			json_object_set(c, "error", json_object_get(d, "error"));
		if (!json_is_true(json_object_get(d, "checksum_ok")))
			json_object_set_new(c, "checksum_ok", json_false());
	}
	if (!json_is_true(json_object_get(doc, "complete")))
		json_object_set_new(merged, "complete", json_false());
	return 0;
}

/* The merged document's figures from its cells' repetitions, its rounds,
 * and where it came from (merged_from: the inputs argv[first..argc);
 * command: this merge). */
static void finish_merged(json_t *merged, int argc, char **argv, int first)
{
	json_t *cell;
	size_t j, rounds = 0;
	json_array_foreach(json_object_get(merged, "cells"), j, cell) {
		size_t k = json_array_size(json_object_get(cell, "rounds"));
		rounds = k > rounds ? k : rounds;
		cb_results_cell_stats(cell);
		if (!json_is_null(json_object_get(cell, "error")))
			json_object_set_new(cell, "checksum_ok", json_false());
	}
	cb_results_derive(merged);
	json_object_set_new(json_object_get(merged, "config"), "rounds", json_integer((json_int_t)rounds));
	json_t *from = json_array(), *cmd = json_array();
	for (int i = first; i < argc; i++)
		json_array_append_new(from, json_string(argv[i]));
	json_object_set_new(merged, "merged_from", from);
	json_array_append_new(cmd, json_string("concbench"));
	json_array_append_new(cmd, json_string("merge"));
	for (int i = 1; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_object_set_new(merged, "command", cmd);
}

int cb_cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		CB_OPT_OUT,
		CB_OPT_HELP,
		CB_OPT_END,
	};
	const char *out = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return CB_EXIT_OK;
		}
		if (c == 'o') {
			out = optarg;
			continue;
		}
		fprintf(stderr, "concbench: merge: %s '%s' (valid: -o FILE, --help)\n",
		        c == ':' ? "option needs a value" : "unknown option", argv[optind - 1]);
		return CB_EXIT_USAGE;
	}
	if (!out || optind >= argc) {
		fprintf(stderr, "concbench: merge needs -o OUT and at least one input (see concbench merge --help)\n");
		return CB_EXIT_USAGE;
	}
	cb_error err = { 0 };
	json_t *merged = NULL;
	for (int i = optind; i < argc; i++) {
		cb_rdoc *doc = NULL;
		if (cb_results_read(argv[i], &doc, &err))
			goto fail;
		if (doc->micro) {
			cb_rdoc_free(doc);
			cb_error_set(&err, CB_EXIT_USAGE, "%s is a micro run: merge takes results of concbench run",
			             argv[i]);
			goto fail;
		}
		json_t *root = json_incref(doc->root);
		cb_rdoc_free(doc);
		if (!merged) {
			merged = json_deep_copy(root);
			json_object_set_new(merged, "cells", json_array());
			json_object_set_new(merged, "complete", json_true());
			json_object_set_new(merged, "machine_changes", json_array());
		}
		/* Each run's own steps, with the run they happened in (their
		 * at_s counts from that run's start). */
		json_t *ch, *changes = json_object_get(merged, "machine_changes");
		size_t k;
		json_array_foreach(json_object_get(root, "machine_changes"), k, ch) {
			json_t *copy = json_deep_copy(ch);
			json_object_set_new(copy, "from", json_integer(i - optind));
			json_array_append_new(changes, copy);
		}
		int rc = merge_one(merged, root, argv[i], &err);
		json_decref(root);
		if (rc)
			goto fail;
	}
	finish_merged(merged, argc, argv, optind);
	char *text = json_dumps(merged, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
	int rc = cb_write_file_atomic(out, text, strlen(text), &err);
	free(text);
	if (rc)
		goto fail;
	json_decref(merged);
	return CB_EXIT_OK;
fail:
	if (merged)
		json_decref(merged);
	fprintf(stderr, "concbench: %s\n", err.msg);
	return err.code ? err.code : CB_EXIT_FAIL;
}
