#include "render/dependencies.h"

#include <stdlib.h>
#include <string.h>

#include "base/common.h"

void cb_dependencies_print(FILE *f, const json_t *results)
{
	const json_t *cells = json_object_get(results, "cells");
	size_t n = json_array_size(cells);
	bool *done = cb_xcalloc(n ? n : 1, sizeof *done);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(cells, i);
		const char *how = json_string_value(json_object_get(c, "dependencies"));
		const char *wl = json_string_value(json_object_get(c, "workload"));
		if (done[i] || !how || !wl)
			continue;
		/* Every strategy of this workload that met them this way, once each. */
		char *who = NULL;
		for (size_t j = i; j < n; j++) {
			const json_t *d = json_array_get(cells, j);
			const char *h = json_string_value(json_object_get(d, "dependencies"));
			const char *w = json_string_value(json_object_get(d, "workload"));
			const char *s = json_string_value(json_object_get(d, "strategy"));
			if (!h || !w || !s || strcmp(h, how) || strcmp(w, wl))
				continue;
			done[j] = true;
			size_t len = strlen(s);
			const char *at = who ? strstr(who, s) : NULL;
			if (at && (at == who || at[-1] == ' ') && (at[len] == ',' || !at[len]))
				continue;
			char *more = cb_xasprintf("%s%s%s", who ? who : "", who ? ", " : "", s);
			free(who);
			who = more;
		}
		fprintf(f, "dependencies of %s under %s: %s\n", wl, who, how);
		free(who);
	}
	free(done);
}
