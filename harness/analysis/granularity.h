/* concbench granularity's analysis (granularity.c): the sweep's runs read
 * into series, one per strategy and worker count, of efficiency against
 * task duration; their METG (analysis/metg.h). */
#ifndef CB_GRANULARITY_H
#define CB_GRANULARITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "analysis/metg.h"
#include "resultfile/read.h"

#define CB_GRAN_MAX_STEPS 64

/* One series: a strategy at one worker count (and threads). */
typedef struct cb_gran_series {
	char name[96], strategy[48];
	int p, workers;
	double est50, est90;     /* the price list's METG, or NAN */
	double d[CB_GRAN_MAX_STEPS], e[CB_GRAN_MAX_STEPS], lo[CB_GRAN_MAX_STEPS], hi[CB_GRAN_MAX_STEPS];
	bool have[CB_GRAN_MAX_STEPS];
} cb_gran_series;

/* Efficiency at step k of each parallel cell of a run into *all (*n
 * series, grown as cells of new series come): the speedup over its
 * executors, and the fastest and slowest repetitions'. */
void cb_gran_collect(const cb_rdoc *d, int k, cb_gran_series **all, size_t *n);
/* METG at theta from the points s has, on curve (s->e, s->lo or s->hi). */
double cb_gran_metg(const cb_gran_series *s, int nsteps, double theta, const double *curve, cb_metg_where *w);
/* "12.3 us", "<=1 ms" (below), ">10 ms" (none). */
void cb_gran_fmt_metg(double v, cb_metg_where w, char *buf, size_t n);
/* Each series' METG as the price list (a `concbench micro pools` results
 * document) predicts it, into est50 and est90. */
void cb_gran_estimate(cb_gran_series *all, size_t n, const json_t *price, double work);
/* A series' points and METG for granularity.json. */
json_t *cb_gran_series_json(const cb_gran_series *s, int nsteps);

#endif
