/* Drives gnuplot for the plot and report commands. The chart logic stays in
 * the plots/ templates; this file only finds them, hands over variables and reports
 * failures in a way the CLI can print in one line. */
#include "render/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static bool has_templates(const char *dir)
{
	char *p = cb_xasprintf("%s/common.gp", dir);
	bool ok = access(p, R_OK) == 0;
	free(p);
	return ok;
}

char *cb_plots_dir(void)
{
	const char *env = getenv("CONCBENCH_PLOTS");
	if (env && *env)
		return has_templates(env) ? cb_xstrdup(env) : NULL;
	return cb_shipped_dir("plots", "plots", "common.gp");
}

void cb_gp_set_str(char **pre, const char *name, const char *value)
{
	size_t len = strlen(value), extra = 0;
	for (size_t i = 0; i < len; i++)
		extra += value[i] == '\'';
	char *q = cb_xmalloc(len + extra + 1), *o = q;
	for (size_t i = 0; i < len; i++) {
		if (value[i] == '\'')
			*o++ = '\'';  /* gnuplot doubles a quote inside '...' */
		*o++ = value[i] == '\n' ? ' ' : value[i];
	}
	*o = 0;
	char *s = cb_xasprintf("%s%s = '%s'; ", *pre ? *pre : "", name, q);
	free(q);
	free(*pre);
	*pre = s;
}

void cb_gp_set_num(char **pre, const char *name, double value)
{
	char *s = isfinite(value) ? cb_xasprintf("%s%s = %.10g; ", *pre ? *pre : "", name, value)
	                          : cb_xasprintf("%s%s = NaN; ", *pre ? *pre : "", name);
	free(*pre);
	*pre = s;
}

/* The last non-empty line of what gnuplot said, for a one-line error. */
static void last_line(char *buf, char *out, size_t size)
{
	char *end = buf + strlen(buf);
	while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
		*--end = 0;
	char *start = strrchr(buf, '\n');
	snprintf(out, size, "%s", start ? start + 1 : buf);
}

static char *read_all(int fd)
{
	size_t cap = 4096, used = 0;
	char *buf = cb_xmalloc(cap);
	ssize_t r;
	while ((r = read(fd, buf + used, cap - used - 1)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		used += (size_t)r;
		if (cap - used < 512) {
			cap *= 2;
			buf = cb_xrealloc(buf, cap);
		}
	}
	buf[used] = 0;
	return buf;
}

/* The series palette (cb_chart_palette_add): the names and their colours,
 * one word each, in the order they were added. */
static char *palette_names, *palette_colours;

void cb_chart_palette_add(const char *name, unsigned rgb)
{
	char *n = cb_xasprintf("%s%s%s", palette_names ? palette_names : "", palette_names ? " " : "", name);
	char *c = cb_xasprintf("%s%s%u", palette_colours ? palette_colours : "", palette_colours ? " " : "",
	                       rgb & 0xffffffu);
	free(palette_names);
	free(palette_colours);
	palette_names = n;
	palette_colours = c;
}

int cb_gnuplot_run(const char *plots_dir, const char *template, const char *preamble,
                   cb_error *err)
{
	const char *bin = getenv("CONCBENCH_GNUPLOT");
	if (!bin || !*bin)
		bin = "gnuplot";
	char *script = cb_xasprintf("%s/%s", plots_dir, template), *pre = NULL;
	cb_gp_set_str(&pre, "strategy_names", palette_names ? palette_names : "");
	cb_gp_set_str(&pre, "strategy_colours", palette_colours ? palette_colours : "");
	char *all = cb_xasprintf("%s%s", pre, preamble);
	free(pre);
	char *argv[] = { (char *)bin, "-e", all, script, NULL };
	char *said = NULL, line[300];
	int pipefd[2] = { -1, -1 }, rc = -1, status;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);

	if (pipe2(pipefd, O_CLOEXEC)) {
		cb_error_set(err, CB_EXIT_ENV, "cannot run gnuplot: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	int e = posix_spawnp(&pid, bin, &fa, NULL, argv, environ);
	close(pipefd[1]);
	if (e) {
		cb_error_set(err, CB_EXIT_ENV, "cannot run '%s': %s (install gnuplot-nox, or set "
		             "CONCBENCH_GNUPLOT)", bin, strerror(e));
		goto out;
	}
	said = read_all(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	last_line(said, line, sizeof line);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		cb_error_set(err, CB_EXIT_ENV, "cannot run '%s': not found (install gnuplot-nox, or set "
		             "CONCBENCH_GNUPLOT)", bin);
	else
		cb_error_set(err, CB_EXIT_ENV, "'%s' failed on %s (%s %d)%s%s", bin, script,
		             WIFEXITED(status) ? "exit" : "signal",
		             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		             *line ? ": " : "", line);
out:
	posix_spawn_file_actions_destroy(&fa);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	free(said);
	free(script);
	free(all);
	return rc;
}

char *cb_gp_temp_path(const char *path)
{
	return cb_xasprintf("%s.tmp.%ld", path, (long)getpid());
}

/* A whole PNG ends with its IEND chunk, a whole SVG with </svg>. */
static bool output_whole(const char *path, const char *format)
{
	static const unsigned char iend[] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
	unsigned char tail[64];
	struct stat st;
	bool whole = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof iend)
		goto out;
	size_t want = st.st_size < (off_t)sizeof tail ? (size_t)st.st_size : sizeof tail;
	if (pread(fd, tail, want, st.st_size - (off_t)want) != (ssize_t)want)
		goto out;
	if (!strcmp(format, "png")) {
		whole = !memcmp(tail + want - sizeof iend, iend, sizeof iend);
	} else {
		size_t n = want;
		while (n && (tail[n - 1] == '\n' || tail[n - 1] == ' ' || tail[n - 1] == '\r'))
			n--;
		whole = n >= 6 && !memcmp(tail + n - 6, "</svg>", 6);
	}
out:
	close(fd);
	return whole;
}

static bool fs_full(const char *path)
{
	struct statvfs vfs;
	return !statvfs(path, &vfs) && vfs.f_bavail == 0;
}

int cb_gp_commit(const char *tmp, const char *path, const char *format, cb_error *err)
{
	if (access(tmp, F_OK))
		return cb_error_set(err, CB_EXIT_FAIL, "cannot write '%s': gnuplot wrote nothing", path);
	if (!output_whole(tmp, format)) {
		cb_error_set(err, CB_EXIT_FAIL, "cannot write '%s': %s", path,
		             fs_full(tmp) ? strerror(ENOSPC) : "gnuplot left it incomplete");
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		cb_error_set(err, CB_EXIT_FAIL, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cb_gnuplot_template(const char *template, const char *preamble, cb_error *err)
{
	char *plots = cb_plots_dir();
	int rc = plots ? cb_gnuplot_run(plots, template, preamble, err)
	               : cb_error_set(err, CB_EXIT_ENV, "cannot find the chart templates (plots/); set CONCBENCH_PLOTS");
	free(plots);
	return rc;
}

int cb_chart_draw(const char *dir, const char *name, const char *template, const char *title,
                  const char *caption, const char *data, size_t len, const char *vars, cb_error *err)
{
	static const char *const terms[] = { "png", "svg" };
	char *plots = cb_plots_dir();
	if (!plots)
		return cb_error_set(err, CB_EXIT_ENV, "cannot find the chart templates (plots/); set CONCBENCH_PLOTS");
	char *dat = cb_xasprintf("%s/%s.dat", dir, name), *base = cb_xasprintf("%s/%s", dir, name);
	char *tmpbase = cb_gp_temp_path(base);
	int rc = cb_write_file_atomic(dat, data, len, err);
	for (size_t t = 0; t < 2 && !rc; t++) {
		char *pre = cb_xstrdup(vars ? vars : ""), *tmp = cb_xasprintf("%s.%s", tmpbase, terms[t]);
		char *path = cb_xasprintf("%s.%s", base, terms[t]);
		cb_gp_set_str(&pre, "plotdir", plots);
		cb_gp_set_str(&pre, "datafile", dat);
		cb_gp_set_str(&pre, "term", terms[t]);
		cb_gp_set_str(&pre, "outbase", tmpbase);
		cb_gp_set_str(&pre, "chart_title", title);
		cb_gp_set_str(&pre, "caption", caption ? caption : "");
		rc = cb_gnuplot_run(plots, template, pre, err);
		if (rc)
			unlink(tmp);
		else
			rc = cb_gp_commit(tmp, path, terms[t], err);
		free(pre);
		free(tmp);
		free(path);
	}
	free(tmpbase);
	free(base);
	free(dat);
	free(plots);
	return rc;
}

int cb_chart_file(const char *chart, const char *template, const char *data, size_t len, const char *vars,
                  cb_error *err)
{
	const char *dot = strrchr(chart, '.'), *slash = strrchr(chart, '/');
	bool ext = dot && (!slash || dot > slash), svg = ext && !strcmp(dot, ".svg");
	size_t stem = ext ? (size_t)(dot - chart) : strlen(chart);
	char *dat = cb_xasprintf("%.*s.dat", (int)stem, chart), *tmp = cb_gp_temp_path(chart);
	char *pre = cb_xstrdup(vars ? vars : "");
	int rc = cb_write_file_atomic(dat, data, len, err);
	if (!rc) {
		cb_gp_set_str(&pre, "datafile", dat);
		cb_gp_set_str(&pre, "outfile", tmp);
		cb_gp_set_str(&pre, "fmt", svg ? "svg" : "png");
		rc = cb_gnuplot_template(template, pre, err);
		if (rc)
			unlink(tmp);
		else
			rc = cb_gp_commit(tmp, chart, svg ? "svg" : "png", err);
	}
	free(pre);
	free(tmp);
	free(dat);
	return rc;
}
