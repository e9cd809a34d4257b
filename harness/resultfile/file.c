/* The results file: see file.h. */
#include "resultfile/file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cb_results_load(const char *path, char **text, size_t *len, cb_error *err)
{
	struct stat st;
	int rc = -1, fd = open(path, O_RDONLY | O_CLOEXEC);
	char *data = NULL;
	size_t got = 0;
	if (fd < 0)
		return cb_error_set(err, CB_EXIT_USAGE, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		/* A run's folder stands for its results.json, in every command
		 * that reads one. */
		int in = openat(fd, "results.json", O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			cb_error_set(err, CB_EXIT_USAGE, "%s: a folder without results.json (valid: a results.json "
			             "file, or the folder of a run)", path);
			goto out;
		}
		close(fd);
		fd = in;
		if (fstat(fd, &st)) {
			cb_error_set(err, CB_EXIT_USAGE, "%s/results.json: cannot stat: %s", path, strerror(errno));
			goto out;
		}
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)CB_RESULTS_MAX_BYTES) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: not a regular file of at most %u MiB", path,
		             CB_RESULTS_MAX_BYTES >> 20);
		goto out;
	}
	data = cb_xmalloc((size_t)st.st_size + 1);
	for (ssize_t r; got < (size_t)st.st_size; got += (size_t)r) {
		r = read(fd, data + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0) {
			cb_error_set(err, CB_EXIT_USAGE, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (!r)
			break;
	}
	data[got] = 0;
	*text = data;
	*len = got;
	data = NULL;
	rc = 0;
out:
	close(fd);
	free(data);
	return rc;
}

bool cb_text_is_json(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	return *text == '{' || *text == '[';
}

/* Control bytes other than whitespace near the start: an executable or an
 * archive handed over by mistake, which deserves a plainer word than a
 * syntax error. */
bool cb_text_is_binary(const char *data, size_t len)
{
	for (size_t i = 0; i < len && i < 512; i++) {
		unsigned char c = (unsigned char)data[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return true;
	}
	return false;
}

/* ---- typed field access ------------------------------------------------ */

const char *cb_json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int missing(cb_jreader *rd, const char *where, const char *what)
{
	return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s%smissing '%s'", rd->name, where,
	                    *where ? ": " : "", what);
}

int cb_jget_string(cb_jreader *rd, const json_t *obj, const char *key, const char *where,
                   bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? missing(rd, where, key) : 0;
	if (!json_is_string(v))
		return cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s%s'%s' must be a string, not %s",
		                    rd->name, where, *where ? ": " : "", key, cb_json_type_name(v));
	*out = json_string_value(v);
	return 0;
}

int cb_jget_int(cb_jreader *rd, const json_t *obj, const char *key, const char *where,
                bool required, long long *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? missing(rd, where, key) : 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: %s%s'%s' must be a non-negative integer, not %s", rd->name,
		                    where, *where ? ": " : "", key,
		                    json_is_integer(v) ? "negative" : cb_json_type_name(v));
	*out = json_integer_value(v);
	return 0;
}

int cb_jget_number(cb_jreader *rd, const json_t *obj, const char *key, const char *where,
                   bool required, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? missing(rd, where, key) : 0;
	double d = json_number_value(v);
	if (!json_is_number(v) || !isfinite(d) || d < 0)
		return cb_error_set(rd->err, CB_EXIT_USAGE,
		                    "%s: %s%s'%s' must be a non-negative number, not %s", rd->name,
		                    where, *where ? ": " : "", key,
		                    json_is_number(v) ? "negative" : cb_json_type_name(v));
	*out = d;
	return 0;
}

json_t *cb_jget_typed(cb_jreader *rd, const json_t *obj, const char *key, const char *where,
                      json_type type, bool required, int *rc)
{
	json_t *v = json_object_get(obj, key);
	*rc = 0;
	if (!v) {
		if (required)
			*rc = missing(rd, where, key);
		return NULL;
	}
	if (json_typeof(v) != type) {
		*rc = cb_error_set(rd->err, CB_EXIT_USAGE, "%s: %s%s'%s' must be %s, not %s", rd->name,
		                   where, *where ? ": " : "", key,
		                   type == JSON_ARRAY ? "an array" : "an object", cb_json_type_name(v));
		return NULL;
	}
	return v;
}

/* ---- the parameter string ---------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cb_params_key(cb_jreader *rd, const json_t *params, const char *where, char **out)
{
	size_t n = json_object_size(params), i = 0, len = 0;
	const char **keys = cb_xcalloc(n + 1, sizeof *keys);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)params, k, v) {
		if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v)) {
			free(keys);
			return cb_error_set(rd->err, CB_EXIT_USAGE,
			                    "%s: %s: parameter '%s' must be text, not %s", rd->name, where,
			                    k, cb_json_type_name(v));
		}
		keys[i++] = k;
	}
	qsort(keys, n, sizeof *keys, cmp_str);
	char *s = NULL;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		abort();
	for (i = 0; i < n; i++) {
		v = json_object_get(params, keys[i]);
		if (json_is_string(v)) {
			fprintf(f, "%s%s=%s", i ? ";" : "", keys[i], json_string_value(v));
		} else {
			char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
			if (!t)
				abort();
			fprintf(f, "%s%s=%s", i ? ";" : "", keys[i], t);
			free(t);
		}
	}
	if (fclose(f))
		abort();
	free(keys);
	*out = s;
	return 0;
}

/* ---- the writer ------------------------------------------------------- */

void cb_csv_string(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_field(FILE *f, const json_t *v)
{
	if (!v || json_is_null(v))
		return;
	if (json_is_string(v))
		cb_csv_string(f, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(f, "%.9g", json_real_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "true" : "false", f);
}

static char *csv_text(const json_t *root, const char *const *columns, const char *const *within,
                      size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		abort();
	for (int k = 0; columns[k]; k++)
		fprintf(f, "%s%s", k ? "," : "", columns[k]);
	fputc('\n', f);
	size_t i;
	json_t *cell;
	json_array_foreach(json_object_get(root, "cells"), i, cell) {
		for (int k = 0; columns[k]; k++) {
			const char *col = columns[k];
			if (k)
				fputc(',', f);
			if (!strcmp(col, "params")) {
				cb_error err = { 0 };
				cb_jreader rd = { "results", &err };
				char *p = NULL;
				if (!cb_params_key(&rd, json_object_get(cell, "params"), "", &p))
					cb_csv_string(f, p);
				free(p);
				continue;
			}
			json_t *v = json_object_get(cell, col);
			for (int w = 0; !v && within && within[w]; w++)
				v = json_object_get(json_object_get(cell, within[w]), col);
			csv_field(f, v);
		}
		fputc('\n', f);
	}
	if (fclose(f))
		abort();
	return buf;
}

int cb_results_write_files(const char *dir, const json_t *root, const char *const *columns,
                           const char *const *within, cb_error *err)
{
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
	size_t csv_len;
	char *csv = csv_text(root, columns, within, &csv_len);
	char *jp = cb_xasprintf("%s/results.json", dir);
	char *cp = cb_xasprintf("%s/results.csv", dir);
	/* Both or neither: results.csv never describes other cells than
	 * results.json. */
	const char *paths[2] = { jp, cp };
	const void *data[2] = { text, csv };
	size_t len[2] = { strlen(text), csv_len };
	int rc = cb_write_files_atomic(2, paths, data, len, err);
	free(jp);
	free(cp);
	free(text);
	free(csv);
	return rc;
}
