/* Open MPI host files: see hostfile.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hostfile.h"

int cb_hostfile_read(const char *path, cb_host **hosts, int *n, cb_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return cb_error_set(err, CB_EXIT_USAGE, "--hosts '%s': %s", path, strerror(errno));
	char line[1024];
	cb_host *v = NULL;
	int cnt = 0;
	while (fgets(line, sizeof line, f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		cb_host h = { .slots = -1 };
		if (sscanf(line, "%255s", h.name) != 1)
			continue;
		char *s = strstr(line, "slots=");
		while (s && s > line && s[-1] == '_')   /* skip max_slots= */
			s = strstr(s + 1, "slots=");
		if (s) {
			char num[32];
			long sl;
			if (sscanf(s + 6, "%31[0-9]", num) != 1 || cb_parse_long(num, &sl) || sl < 1 || sl > 1 << 20) {
				fclose(f);
				free(v);
				return cb_error_set(err, CB_EXIT_USAGE, "--hosts '%s': host '%s' has a bad slots= value",
				                    path, h.name);
			}
			h.slots = (int)sl;
		}
		v = realloc(v, (size_t)(cnt + 1) * sizeof *v);
		if (!v)
			abort();
		v[cnt++] = h;
	}
	fclose(f);
	if (!cnt)
		return cb_error_set(err, CB_EXIT_USAGE, "--hosts '%s' names no host", path);
	*hosts = v;
	*n = cnt;
	return 0;
}

int cb_hostfile_slots(const cb_host *hosts, int n)
{
	int total = 0;
	for (int i = 0; i < n; i++) {
		if (hosts[i].slots < 0)
			return -1;
		total += hosts[i].slots;
	}
	return total;
}
