/* compare's reader of hyperfine's --export-json files: each results[]
 * entry is a cell named by its command (or its -n name), its times are the
 * repetitions. Called by cb_cmp_input_parse when the top level has
 * 'results'; every malformed input is an error naming the file and the
 * place (fuzzed with the other readers by tests/fuzz/fuzz_results.c). */
#ifndef CB_HYPERFINE_READ_H
#define CB_HYPERFINE_READ_H

#include <jansson.h>

#include "compare/compare.h"

/* Fills `in` (already allocated, path set) from the parsed document. */
int cb_hyperfine_read(const char *name, const json_t *root, cb_metric metric, cb_cmp_input *in,
                      cb_error *err);

#endif
