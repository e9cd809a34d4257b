/* The results file itself, shared by every reader and writer of it: the
 * schema name (spelt here only), the size cap, loading a file, typed field
 * access whose errors name the file and the JSON path, the one parameter
 * string ("k=v;k=v", sorted by key), and the one writer of results.json
 * with its results.csv (RFC 4180 quoting, written as a pair, atomically). */
#ifndef CB_RESULTFILE_FILE_H
#define CB_RESULTFILE_FILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/common.h"

#define CB_RESULTS_SCHEMA "concbench.results/1"
/* Larger inputs are refused rather than read: no results file comes near it. */
#define CB_RESULTS_MAX_BYTES (512u << 20)

/* A regular file of at most CB_RESULTS_MAX_BYTES into a NUL-terminated
 * malloc'ed buffer; directories and other non-files are refused. */
int cb_results_load(const char *path, char **text, size_t *len, cb_error *err);
/* True when the text looks like JSON (first non-blank byte '{' or '['). */
bool cb_text_is_json(const char *text);
/* Control bytes near the start: not a text file at all. */
bool cb_text_is_binary(const char *text, size_t len);

/* Typed field access. `name` names the file in messages, `where` the JSON
 * path of obj ("" at the top, "cells[3] 'id'"); errors are CB_EXIT_USAGE.
 * 0 and the value, or -1 with the error set; a missing optional field
 * leaves *out untouched. Numbers and integers must be finite and >= 0. */
typedef struct cb_jreader { const char *name; cb_error *err; } cb_jreader;
const char *cb_json_type_name(const json_t *j);
int cb_jget_string(cb_jreader *rd, const json_t *obj, const char *key, const char *where,
                   bool required, const char **out);
int cb_jget_int(cb_jreader *rd, const json_t *obj, const char *key, const char *where,
                bool required, long long *out);
int cb_jget_number(cb_jreader *rd, const json_t *obj, const char *key, const char *where,
                   bool required, double *out);
/* An object or an array (type), or NULL: missing (*rc 0 unless required)
 * or of another type (*rc -1). */
json_t *cb_jget_typed(cb_jreader *rd, const json_t *obj, const char *key, const char *where,
                      json_type type, bool required, int *rc);

/* "k=v;k=v" sorted by key, so that equal parameter sets compare equal:
 * strings as they are, numbers and booleans as JSON writes them. A value
 * of another type is an error naming where. NULL params give "". */
int cb_params_key(cb_jreader *rd, const json_t *params, const char *where, char **out);

/* One CSV field: as it is, or quoted (RFC 4180) where a comma, a quote or
 * a line break needs it. */
void cb_csv_string(FILE *f, const char *s);

/* results.json (indent 1, 10 significant digits) and results.csv in dir,
 * both or neither. The CSV has one row per element of root's "cells" and
 * the given columns: each looked up in the cell, then in the cell's
 * sub-objects named in `within` (NULL-terminated); "params" is the
 * parameter string. */
int cb_results_write_files(const char *dir, const json_t *root, const char *const *columns,
                           const char *const *within, cb_error *err);

#endif
