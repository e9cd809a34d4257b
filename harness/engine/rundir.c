/* The run folder shared by every command that writes results (`run`,
 * `micro`): the --out root checked before any work is done, then
 * <root>/<timestamp>-<host>/ created, and <root>/latest pointed at it once
 * its first results file is on disk. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/run.h"

/* An --out that cannot be written is found before any work is done: the
 * nearest existing ancestor must be a writable directory. */
int cb_out_root_check(const char *root, cb_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", root);
	for (;;) {
		struct stat st;
		if (!stat(path, &st)) {
			if (!S_ISDIR(st.st_mode))
				return cb_error_set(err, CB_EXIT_USAGE, "--out '%s': '%s' is not a directory", root, path);
			if (access(path, W_OK | X_OK))
				return cb_error_set(err, CB_EXIT_USAGE, "--out '%s': '%s' is not writable", root, path);
			return 0;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return cb_error_set(err, CB_EXIT_USAGE, "--out '%s': %s", root, strerror(errno));
		char *slash = strrchr(path, '/');
		if (!slash)
			snprintf(path, sizeof path, ".");
		else if (slash == path)
			path[1] = 0;
		else
			*slash = 0;
	}
}

int cb_run_dir_create(const char *root, char created[32], char **out, cb_error *err)
{
	time_t now = time(NULL);
	struct tm tm;
	char *dir = NULL;
	gmtime_r(&now, &tm);
	strftime(created, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	char stamp[32], host[128] = "host";
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	gethostname(host, sizeof host - 1);
	if (cb_mkdir_p(root, err))
		return -1;
	for (int k = 0; k < 100; k++) {
		char *d = k ? cb_xasprintf("%s/%s-%s-%d", root, stamp, host, k)
		            : cb_xasprintf("%s/%s-%s", root, stamp, host);
		if (!mkdir(d, 0777)) {
			dir = d;
			break;
		}
		int e = errno;
		free(d);
		if (e != EEXIST)
			return cb_error_set(err, CB_EXIT_USAGE, "cannot create a run folder in '%s': %s", root,
			                    strerror(e));
	}
	if (!dir)
		return cb_error_set(err, CB_EXIT_FAIL, "cannot find a free run folder name in '%s'", root);
	*out = dir;
	return 0;
}

void cb_run_dir_publish(const char *root, const char *dir)
{
	cb_run_dir_publish_as(root, dir, "latest");
}

void cb_run_dir_publish_as(const char *root, const char *dir, const char *name)
{
	/* <root>/<name> -> the new folder, replaced atomically. */
	char *link = cb_xasprintf("%s/%s", root, name);
	char *tmp = cb_xasprintf("%s/.%s.%ld", root, name, (long)getpid());
	char *target = cb_xstrdup(dir);
	unlink(tmp);
	if (symlink(basename(target), tmp) || rename(tmp, link))
		unlink(tmp);
	free(link);
	free(tmp);
	free(target);
}

void cb_run_dir_remove(const char *dir)
{
	static const char *const files[] = { "results.json", "results.csv" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char *p = cb_xasprintf("%s/%s", dir, files[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}
