/* concbench granularity's chart (granularity.c). */
#ifndef CB_RENDER_GRANULARITY_H
#define CB_RENDER_GRANULARITY_H

#include "analysis/granularity.h"
#include "base/common.h"

/* ROOT/granularity.dat, .png and .svg: the series' points (task duration
 * in us, efficiency, its range) on an x axis from `from` to `to` seconds,
 * and their METG at 50%; doc (or NULL) gives the machine's caption. 0, or
 * -1 with err (CB_EXIT_ENV without gnuplot). */
int cb_gran_chart(const char *root, const cb_gran_series *all, size_t n, int nsteps, double from, double to,
                  const cb_rdoc *doc, cb_error *err);

#endif
