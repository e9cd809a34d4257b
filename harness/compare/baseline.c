/* Baselines: a results file saved under a name, so that CI can compare a new
 * run against "main" or "v1.2" without keeping the path around. A baseline
 * is an exact copy of the file, checked to be readable by compare first. */
#include "compare/compare.h"
#include "resultfile/file.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 100

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (!n || n > NAME_MAX_LEN || name[0] == '.')
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int cb_baseline_path(const char *name, char **path, cb_error *err)
{
	if (!name_ok(name))
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "invalid baseline name '%s' (valid: 1 to %d of A-Z a-z 0-9 . _ -, "
		                    "not starting with '.')", name, NAME_MAX_LEN);
	*path = cb_xasprintf("%s/%s.json", CB_BASELINE_DIR, name);
	return 0;
}

int cb_baseline_save(const char *name, const char *file, char **saved, cb_error *err)
{
	char *path = NULL, *data = NULL;
	size_t len;
	cb_cmp_input *in = NULL;
	int rc = -1;
	if (cb_baseline_path(name, &path, err) || cb_results_load(file, &data, &len, err) ||
	    cb_cmp_input_parse(file, data, len, CB_METRIC_TIME, &in, err) ||
	    cb_mkdir_p(CB_BASELINE_DIR, err) || cb_write_file_atomic(path, data, len, err))
		goto out;
	*saved = path;
	path = NULL;
	rc = 0;
out:
	cb_cmp_input_free(in);
	free(data);
	free(path);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cb_baseline_list(char ***names, size_t *n, cb_error *err)
{
	DIR *d = opendir(CB_BASELINE_DIR);
	struct dirent *e;
	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0
		       : cb_error_set(err, CB_EXIT_USAGE, "cannot read %s: %s", CB_BASELINE_DIR,
		                      strerror(errno));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		char *name = cb_xstrdup(e->d_name);
		name[len - 5] = 0;
		if (!name_ok(name)) {
			free(name);
			continue;
		}
		*names = cb_xrealloc(*names, (*n + 1) * sizeof **names);
		(*names)[(*n)++] = name;
	}
	closedir(d);
	qsort(*names, *n, sizeof **names, cmp_names);
	return 0;
}

void cb_baseline_list_text(FILE *f)
{
	char **names;
	size_t n;
	cb_error err = { 0 };
	if (cb_baseline_list(&names, &n, &err))
		return;
	fprintf(f, n ? " (saved:" : " (none saved: concbench baseline save NAME FILE)");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s %s", i ? "," : "", names[i]);
		free(names[i]);
	}
	fprintf(f, n ? ")" : "");
	free(names);
}
