/* compare under GitHub Actions, the CLI side: the workflow commands go to
 * the log (standard error, which the runner scans like standard output, so
 * that a report redirected from standard output stays clean), and the step
 * outputs and job summary are appended to the files the runner names in
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. Appending is the runner's
 * protocol for both: each block goes out in one write(2) on an O_APPEND
 * descriptor, so it lands whole after whatever the step wrote before. */
#include "cli/commands.h"
#include "compare/ci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int append_file(const char *var, const char *path, const char *data, size_t len,
                       cb_error *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return cb_error_set(err, CB_EXIT_ENV, "cannot open %s '%s': %s", var, path,
		                    strerror(errno));
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return cb_error_set(err, CB_EXIT_ENV, "cannot write %s '%s': %s", var, path,
			                    strerror(e));
		}
		done += (size_t)w;
	}
	if (close(fd))
		return cb_error_set(err, CB_EXIT_ENV, "cannot write %s '%s': %s", var, path,
		                    strerror(errno));
	return 0;
}

static const char *env_path(const char *var)
{
	const char *v = getenv(var);
	return v && *v ? v : NULL;
}

int cb_compare_github_emit(const cb_cmp_result *r, FILE *log, const char **missing,
                           cb_error *err)
{
	const char *out = env_path("GITHUB_OUTPUT"), *sum = env_path("GITHUB_STEP_SUMMARY");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int rc = -1;
	*missing = !out && !sum ? "GITHUB_OUTPUT and GITHUB_STEP_SUMMARY"
	         : !out ? "GITHUB_OUTPUT" : !sum ? "GITHUB_STEP_SUMMARY" : NULL;
	cb_cmp_github_commands(log, r);
	fflush(log);
	if (out) {
		if (!(m = open_memstream(&buf, &len)))
			abort();
		cb_cmp_github_outputs(m, r);
		if (fclose(m))
			abort();
		if (append_file("GITHUB_OUTPUT", out, buf, len, err))
			goto out;
		free(buf);
		buf = NULL;
	}
	if (sum) {
		/* The 1 MiB is per step: what the step wrote before counts too. */
		struct stat st;
		size_t have = !stat(sum, &st) && S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
		size_t limit = have < CB_GITHUB_SUMMARY_MAX ? CB_GITHUB_SUMMARY_MAX - have : 0;
		if (!(m = open_memstream(&buf, &len)))
			abort();
		cb_cmp_github_summary(m, r, limit);
		if (fclose(m))
			abort();
		if (len && append_file("GITHUB_STEP_SUMMARY", sum, buf, len, err))
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}
