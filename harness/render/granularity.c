/* concbench granularity's chart: efficiency against task duration, a
 * line per series, and each series' METG at 50% (plots/granularity.gp). */
#include <stdio.h>
#include <stdlib.h>

#include "render/gnuplot.h"
#include "render/granularity.h"
#include "render/plot.h"

int cb_gran_chart(const char *root, const cb_gran_series *all, size_t n, int nsteps, double from, double to,
                  const cb_rdoc *doc, cb_error *err)
{
	size_t cap = 4096, len = 0;
	char *dat = cb_xmalloc(cap), *names = NULL;
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < nsteps; k++) {
			if (!all[i].have[k])
				continue;
			if (len + 128 > cap)
				dat = cb_xrealloc(dat, cap *= 2);
			len += (size_t)snprintf(dat + len, cap - len, "%.6g %.6g %.6g %.6g\n", all[i].d[k] * 1e6, all[i].e[k],
			                        all[i].lo[k], all[i].hi[k]);
		}
		if (len + 8 > cap)
			dat = cb_xrealloc(dat, cap *= 2);
		len += (size_t)snprintf(dat + len, cap - len, "\n\n");
		char *nn = cb_xasprintf("%s%s%s", names ? names : "", names ? " " : "", all[i].name);
		free(names);
		names = nn;
	}
	/* The METG block: one point per series, in the series' order. */
	for (size_t i = 0; i < n; i++) {
		cb_metg_where w;
		double m = cb_gran_metg(&all[i], nsteps, 0.5, all[i].e, &w);
		if (len + 64 > cap)
			dat = cb_xrealloc(dat, cap *= 2);
		len += (size_t)snprintf(dat + len, cap - len, "%.6g 0.5\n", w == CB_METG_FOUND ? m * 1e6 : 1e-30);
	}
	char *vars = NULL, *cap_text = doc ? cb_machine_caption(doc) : NULL;
	cb_gp_set_str(&vars, "names", names ? names : "");
	cb_gp_set_num(&vars, "nseries", (double)n);
	cb_gp_set_num(&vars, "nmax", 1);
	cb_gp_set_num(&vars, "xmin", from * 1e6 / 2);
	cb_gp_set_num(&vars, "xmax", to * 1e6 * 2);
	int rc = cb_chart_draw(root, "granularity", "granularity.gp", "Efficiency against task duration (METG at 50%)",
	                       cap_text, dat, len, vars, err);
	free(vars);
	free(cap_text);
	free(dat);
	free(names);
	return rc;
}
