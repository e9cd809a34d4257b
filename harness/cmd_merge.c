/* `concbench merge -o OUT IN...`: several runs of the same plan, one results
 * file. Each input's rounds follow the previous input's, in the order given,
 * so that runs made alternately with another build (docs/ci.md: base, new,
 * base, new ...) become one file per side whose round k ran beside the other
 * side's round k, ready for `concbench compare --paired`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "results_read.h"
#include "run.h"

static const char usage_text[] =
	"usage: concbench merge -o OUT IN...\n"
	"\n"
	"Merges results files of the same plan (the same cells) into OUT: every\n"
	"repetition and every round median of each cell, the rounds of IN... in the\n"
	"order given. A cell that failed in any input is failed in OUT.\n"
	"\n"
	"  -o, --out FILE   the merged results.json to write (atomically)\n"
	"  -h, --help       this text\n"
	"\n"
	"exit: 0 merged, 1 OUT could not be written, 2 bad input (a file that is\n"
	"not a results file, cells that differ between inputs, a micro run)\n";

static json_t *find_cell(json_t *cells, const json_t *id)
{
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
		if (json_equal(json_object_get(c, "id"), id))
			return c;
	return NULL;
}

/* Appends doc's cells to merged's; rounds numbered on from `first_round`. */
static int merge_one(json_t *merged, json_t *doc, const char *path, int first_round, cb_error *err)
{
	json_t *mcells = json_object_get(merged, "cells"), *dcells = json_object_get(doc, "cells");
	if (json_array_size(mcells) != json_array_size(dcells))
		return cb_error_set(err, CB_EXIT_USAGE, "%s has %zu cells and the first input %zu: merge "
		                    "takes runs of the same plan", path, json_array_size(dcells),
		                    json_array_size(mcells));
	size_t i;
	json_t *c;
	json_array_foreach(mcells, i, c) {
		json_t *d = find_cell(dcells, json_object_get(c, "id"));
		if (!d)
			return cb_error_set(err, CB_EXIT_USAGE, "%s has no cell '%s': merge takes runs of the "
			                    "same plan", path, json_string_value(json_object_get(c, "id")));
		size_t k;
		json_t *rep;
		json_array_foreach(json_object_get(d, "reps"), k, rep) {
			json_t *copy = json_deep_copy(rep);
			json_int_t r = json_integer_value(json_object_get(rep, "round"));
			json_object_set_new(copy, "round", json_integer(first_round + r));
			json_array_append_new(json_object_get(c, "reps"), copy);
		}
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

static int rounds_of(const json_t *doc)
{
	json_int_t k = json_integer_value(json_object_get(json_object_get(doc, "config"), "rounds"));
	return k > 0 ? (int)k : 1;
}

int cb_cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
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
	int rounds = 0;
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
		int k = rounds_of(root);
		if (!merged) {
			merged = json_deep_copy(root);
			json_t *cell;
			size_t j;
			json_array_foreach(json_object_get(merged, "cells"), j, cell) {
				json_object_set_new(cell, "reps", json_array());
				json_object_set_new(cell, "rounds", json_array());
				json_object_set_new(cell, "checksum_ok", json_true());
				json_object_set_new(cell, "error", json_null());
			}
			json_object_set_new(merged, "complete", json_true());
		}
		int rc = merge_one(merged, root, argv[i], rounds, &err);
		json_decref(root);
		if (rc)
			goto fail;
		rounds += k;
	}
	json_t *cell;
	size_t j;
	json_array_foreach(json_object_get(merged, "cells"), j, cell) {
		cb_results_cell_stats(cell);
		if (!json_is_null(json_object_get(cell, "error")))
			json_object_set_new(cell, "checksum_ok", json_false());
	}
	cb_results_derive(merged);
	json_object_set_new(json_object_get(merged, "config"), "rounds", json_integer(rounds));
	json_t *from = json_array(), *cmd = json_array();
	for (int i = optind; i < argc; i++)
		json_array_append_new(from, json_string(argv[i]));
	json_object_set_new(merged, "merged_from", from);
	json_array_append_new(cmd, json_string("concbench"));
	json_array_append_new(cmd, json_string("merge"));
	for (int i = 1; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_object_set_new(merged, "command", cmd);
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
