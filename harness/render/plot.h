/* Charts of a results file: the .dat files for every chart and their
 * rendering by the gnuplot templates in plots/ into PNG and SVG. */
#ifndef CB_PLOT_H
#define CB_PLOT_H

#include <stddef.h>

#include "resultfile/read.h"
#include "analysis/series.h"

typedef struct cb_chart {
	char *base;     /* file name without extension: "cpu.primes-speedup" */
	char *title;    /* what the chart shows, for the report */
	char *workload; /* the workload (with params where needed) it belongs to,
	                   "" for the run's summary (heat map) */
	char *cell;     /* a timeline's cell id, else NULL */
	bool rendered;  /* the .png and .svg exist */
} cb_chart;

typedef struct cb_chart_list {
	cb_chart *c;
	size_t n;
} cb_chart_list;

/* Writes every chart's data into dir (which must exist), then renders them:
 * per workload its scaling charts and, where the run was traced (trace.json
 * beside the results file), the timeline of each strategy's largest worker
 * count; for the run, the summary heat map.
 * The .dat files and the list are produced even when gnuplot is missing or
 * fails; that is reported as a CB_EXIT_ENV error. */
int cb_plot_all(const cb_rdoc *doc, const cb_series_set *set, const char *dir,
                cb_chart_list *out, cb_error *err);
void cb_chart_list_free(cb_chart_list *list);

/* One line naming the machine, for captions. malloc'ed. */
char *cb_machine_caption(const cb_rdoc *doc);

#endif
