/* The report of a results file: warnings a reader could be misled without,
 * verdicts per workload, fit and scaling tables, and the charts, as one
 * self-contained report.html and a report.md for CI job summaries. */
#ifndef CB_REPORT_H
#define CB_REPORT_H

#include <stddef.h>

#include "render/plot.h"
#include "resultfile/read.h"
#include "analysis/series.h"

typedef struct cb_warnings {
	char **msg;
	const char **kind;   /* [n] what went wrong, to group by ("cv above 5%") */
	char **cell;         /* [n] the cell it is about (owned), or NULL for the run */
	size_t n;
} cb_warnings;

/* cv above 5%, oversubscription, wrong checksums, migrations on pinned
 * cells, a governor other than performance, load above 0.5 per PU at the
 * start, a clocksource other than tsc, an incomplete run. */
void cb_report_warnings(const cb_rdoc *doc, cb_warnings *out);
void cb_warnings_free(cb_warnings *w);
/* The warnings as the report shows them: a warning about the run one line
 * each, the warnings about cells one line per kind naming the cells
 * compactly in about `room` characters ("cv above 5% in 12 cells: ...").
 * *lines is malloc'ed, each line too; returns their number. */
size_t cb_warnings_group(const cb_warnings *w, size_t room, char ***lines);

typedef struct cb_report_in {
	const cb_rdoc *doc;
	const cb_series_set *set;
	const cb_chart_list *charts;
	const char *chart_dir;    /* where the .svg files are, to inline them */
	const char *charts_note;  /* why charts are missing; NULL when all were drawn */
	const cb_warnings *warnings;
	/* A granularity sweep's granularity.json (`concbench granularity`), or
	 * NULL: the report is then that sweep's, doc one of its runs (the
	 * machine). */
	const json_t *granularity;
} cb_report_in;

/* Both return a malloc'ed document. */
char *cb_report_html(const cb_report_in *in);
char *cb_report_md(const cb_report_in *in);

/* report_file.c: the whole report of a results file into dir. Warnings
 * about the data, a chart that could not be drawn (charts.code, with the
 * reports still written) and the files written come back in out, for the
 * CLI to print. */
typedef struct cb_report_out {
	cb_warnings warnings;
	char *warnings_file;    /* every warning, one a line: DIR/warnings.txt; NULL with none */
	char **answer;          /* one line per workload: the summary's (summary.h) */
	size_t nanswer;
	cb_error charts;
	char *html, *md;
} cb_report_out;
int cb_report_file(const char *file, const char *dir, cb_report_out *out, cb_error *err);
/* The same for a granularity sweep's folder (or its granularity.json):
 * machine, and "The smallest task each model runs efficiently" (METG per
 * series with intervals, the price list's estimates where the sweep had
 * them, the efficiency table, granularity.svg); out->answer one line per
 * series. 1 when `file` is no granularity sweep (nothing written). */
int cb_report_granularity(const char *file, const char *dir, cb_report_out *out, cb_error *err);
void cb_report_out_free(cb_report_out *out);

#endif
