/* Shared plumbing: errors, clock, parsers, atomic file writes, shared
 * memory. See common.h. */
#include "base/common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void cb_say(const cb_sayer *s, cb_say_kind kind, const char *fmt, ...)
{
	if (!s || !s->fn)
		return;
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	s->fn(s->ctx, kind, text);
	free(text);
}

double cb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cb_parse_long(const char *s, long *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

int cb_parse_double(const char *s, double *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_suffixed(const char *s, double *out, const char *const *sfx,
                          const double *mult, size_t nsfx, double bare)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -1;
	if (!*end) {
		*out = v * bare;
		return 0;
	}
	for (size_t i = 0; i < nsfx; i++)
		if (strcasecmp(end, sfx[i]) == 0) {
			*out = v * mult[i];
			return 0;
		}
	return -1;
}

int cb_parse_bytes(const char *s, double *out)
{
	static const char *const sfx[] = { "b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib" };
	static const double mult[] = { 1, 1024., 1024., 1024., 1048576., 1048576., 1048576.,
	                               1073741824., 1073741824., 1073741824. };
	return parse_suffixed(s, out, sfx, mult, sizeof mult / sizeof *mult, 1);
}

int cb_parse_duration(const char *s, double *out)
{
	static const char *const sfx[] = { "ns", "us", "ms", "s", "m", "min", "h", "d" };
	static const double mult[] = { 1e-9, 1e-6, 1e-3, 1, 60, 60, 3600, 86400 };
	return parse_suffixed(s, out, sfx, mult, sizeof mult / sizeof *mult, 1);
}

static int add_unique(int **v, int *n, int *cap, int x)
{
	for (int i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return 0;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = realloc(*v, (size_t)*cap * sizeof **v);
		if (!*v)
			abort();
	}
	(*v)[(*n)++] = x;
	return 0;
}

int cb_parse_count_list(const char *s, const char *what, int all_value, int max,
                        int **out, int *n, cb_error *err)
{
	int *v = NULL, cnt = 0, cap = 0;
	if (!s || !*s)
		goto bad;
	char *copy = cb_xstrdup(s), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long lo, hi;
		char *dash = strchr(tok, '-');
		if (strcmp(tok, "all") == 0) {
			lo = hi = all_value;
		} else if (dash) {
			*dash = 0;
			if (cb_parse_long(tok, &lo) || cb_parse_long(dash + 1, &hi) || hi < lo) {
				free(copy);
				goto bad;
			}
		} else if (cb_parse_long(tok, &lo)) {
			free(copy);
			goto bad;
		} else {
			hi = lo;
		}
		if (lo < 1 || hi > max) {
			free(copy);
			free(v);
			return cb_error_set(err, CB_EXIT_USAGE,
			                    "%s '%s': values must be between 1 and %d", what, s, max);
		}
		for (long x = lo; x <= hi; x++)
			add_unique(&v, &cnt, &cap, (int)x);
	}
	free(copy);
	if (!cnt)
		goto bad;
	*out = v;
	*n = cnt;
	return 0;
bad:
	free(v);
	return cb_error_set(err, CB_EXIT_USAGE,
	                    "%s '%s' is not a list of counts (valid: 4, 1,2,4, 1-8, all)",
	                    what, s ? s : "");
}

int cb_mkdir_p(const char *path, cb_error *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return cb_error_set(err, CB_EXIT_USAGE, "path too long: %s", path);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;
			*p = 0;
			if (mkdir(buf, 0777) && errno != EEXIST)
				return cb_error_set(err, CB_EXIT_USAGE, "cannot create directory '%s': %s",
				                    buf, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return cb_error_set(err, CB_EXIT_USAGE, "'%s' is not a directory", path);
	if (access(path, W_OK | X_OK))
		return cb_error_set(err, CB_EXIT_USAGE, "directory '%s' is not writable: %s",
		                    path, strerror(errno));
	return 0;
}

/* Writes one temp file next to path; on failure nothing is left. */
static int write_temp(const char *path, const char *tmp, const void *data, size_t len, cb_error *err)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return cb_error_set(err, CB_EXIT_USAGE, "cannot write '%s': %s", path, strerror(errno));
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = ENOSPC;
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd))
		goto fail;
	int rc = close(fd);
	fd = -1;
	if (rc)
		goto fail;
	return 0;
fail:
	cb_error_set(err, CB_EXIT_FAIL, "cannot write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int cb_write_files_atomic(int n, const char *const *path, const void *const *data, const size_t *len,
                          cb_error *err)
{
	char **tmp = cb_xcalloc((size_t)n + 1, sizeof *tmp);
	int written = 0, rc = -1;
	for (; written < n; written++) {
		tmp[written] = cb_xasprintf("%s.tmp.%ld", path[written], (long)getpid());
		if (write_temp(path[written], tmp[written], data[written], len[written], err))
			goto out;
	}
	/* Every file is on disk: only now does any of them replace its old
	 * version. A rename within a folder needs no new space. */
	for (int i = 0; i < n; i++)
		if (rename(tmp[i], path[i])) {
			cb_error_set(err, CB_EXIT_FAIL, "cannot write '%s': %s", path[i], strerror(errno));
			goto out;
		}
	rc = 0;
out:
	for (int i = 0; i < n && tmp[i]; i++) {
		if (rc)
			unlink(tmp[i]);
		free(tmp[i]);
	}
	free(tmp);
	return rc;
}

int cb_write_file_atomic(const char *path, const void *data, size_t len, cb_error *err)
{
	return cb_write_files_atomic(1, &path, &data, &len, err);
}

void *cb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *cb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *cb_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

uint64_t cb_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void cb_shuffle(size_t *v, size_t n, uint64_t *state)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(cb_random(state) % i), t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

char *cb_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

char *cb_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	return s;
}

/* Anonymous memory of n bytes (at least one page), page-aligned, zeroed. */
static void *map_anonymous(size_t n, int share)
{
	void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, share | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		abort();
	return p;
}

void *cb_shared_alloc(size_t n)
{
	return map_anonymous(n, MAP_SHARED);
}

void cb_shared_free(void *p, size_t n)
{
	if (p)
		munmap(p, n ? n : 1);
}

void *cb_pages_alloc(size_t n)
{
	return map_anonymous(n, MAP_PRIVATE);
}

void cb_pages_free(void *p, size_t n)
{
	cb_shared_free(p, n);
}

static char *dir_with(const char *dir, const char *probe)
{
	char *p = cb_xasprintf("%s/%s", dir, probe ? probe : ".");
	bool ok = access(p, R_OK) == 0;
	free(p);
	return ok ? cb_xstrdup(dir) : NULL;
}

char *cb_self_exe(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	return cb_xstrdup(exe);
}

char *cb_shipped_dir(const char *sub, const char *src_sub, const char *probe)
{
	char *exe = cb_self_exe(), *found = NULL;
	if (exe) {
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		char *d = cb_xasprintf("%s/../share/concbench/%s", exe, sub);
		found = dir_with(d, probe);
		free(d);
		free(exe);
	}
	if (!found) {
		char *d = cb_xasprintf("%s/%s", CB_SOURCE_DIR, src_sub);
		found = dir_with(d, probe);
		free(d);
	}
	return found;
}
