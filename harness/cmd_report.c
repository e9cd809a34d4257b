/* `concbench report FILE [-o DIR]`: report.html (self-contained, charts
 * inline as SVG) and report.md (for CI job summaries, charts as PNG links)
 * with the charts drawn beside them. Without a working gnuplot the tables
 * are still written and the exit code is 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "plot.h"
#include "report.h"
#include "results_read.h"
#include "series.h"

static const char report_usage[] =
	"usage: concbench report FILE [-o DIR]\n"
	"\n"
	"Writes DIR/report.html (one self-contained file: machine, configuration,\n"
	"warnings, verdicts, fits, tables, every chart inline as SVG) and\n"
	"DIR/report.md (the same for a CI job summary, charts as PNG links), with\n"
	"the charts themselves. DIR defaults to the results file's folder.\n"
	"Exit 3 when the charts cannot be drawn; the reports are written anyway.\n";

static int write_reports(const cb_report_in *in, const char *dir, cb_error *err)
{
	char *html = cb_report_html(in), *md = cb_report_md(in);
	char *hp = cb_xasprintf("%s/report.html", dir), *mp = cb_xasprintf("%s/report.md", dir);
	int rc = -1;
	if (cb_write_file_atomic(hp, html, strlen(html), err) ||
	    cb_write_file_atomic(mp, md, strlen(md), err))
		goto out;
	printf("%s\n%s\n", hp, mp);
	rc = 0;
out:
	free(html);
	free(md);
	free(hp);
	free(mp);
	return rc;
}

int cb_cmd_report(int argc, char **argv)
{
	const char *file = NULL;
	char *dir = NULL;
	cb_error err = { 0 }, chart_err = { 0 };
	cb_rdoc *doc = NULL;
	cb_series_set set = { 0 };
	cb_chart_list charts = { 0 };
	cb_warnings warnings = { 0 };
	int r = cb_parse_file_dir_opts("report", argc, argv, &file, &dir, &err);
	if (r > 0) {
		fputs(report_usage, stdout);
		return CB_EXIT_OK;
	}
	if (r < 0 || cb_results_read(file, &doc, &err) || cb_series_from_doc(doc, &set, &err) ||
	    cb_mkdir_p(dir, &err))
		goto out;
	/* A chart failure is not the end: the tables still make a report. */
	if (cb_plot_all(doc, &set, dir, &charts, &chart_err) && chart_err.code != CB_EXIT_ENV) {
		err = chart_err;
		goto out;
	}
	cb_report_warnings(doc, &warnings);
	for (size_t i = 0; i < warnings.n; i++)
		fprintf(stderr, "concbench: warning: %s\n", warnings.msg[i]);
	cb_report_in in = { doc, &set, &charts, dir, chart_err.code ? chart_err.msg : NULL, &warnings };
	if (write_reports(&in, dir, &err))
		goto out;
	err = chart_err;
out:
	cb_warnings_free(&warnings);
	cb_chart_list_free(&charts);
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	free(dir);
	if (err.code)
		fprintf(stderr, "concbench: %s\n", err.msg);
	return err.code;
}
