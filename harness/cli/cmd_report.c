/* `concbench report FILE [-o DIR]`: report.html (self-contained, charts
 * inline as SVG) and report.md (for CI job summaries, charts as PNG links)
 * with the charts drawn beside them. Without a working gnuplot the tables
 * are still written and the exit code is 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "render/plot.h"
#include "render/report.h"
#include "resultfile/read.h"
#include "analysis/series.h"

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

/* A .dat file with at least one row that is not a comment. */
static bool has_rows(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	bool rows = false;
	while (f && !rows && fgets(line, sizeof line, f))
		rows = line[0] != '#' && line[0] != '\n';
	if (f)
		fclose(f);
	return rows;
}

/* The price-list and lock charts `concbench micro` left in the results
 * file's folder; the folder is returned (malloc'ed). */
static char *micro_charts(const char *file, cb_chart_list *charts, cb_error *err)
{
	static const char *const base[] = { "micro_price", "micro_locks" };
	static const char *const title[] = { "price list: ns per operation (log scale), by family and model",
	                                     "contended locks: operations per second against threads" };
	const char *slash = strrchr(file, '/');
	char *dir = slash ? cb_xasprintf("%.*s", (int)(slash - file), file) : cb_xstrdup(".");
	charts->c = cb_xcalloc(2, sizeof *charts->c);
	for (int i = 0; i < 2; i++) {
		char *svg = cb_xasprintf("%s/%s.svg", dir, base[i]), *dat = cb_xasprintf("%s/%s.dat", dir, base[i]);
		bool has_data = has_rows(dat);
		if (!access(svg, R_OK)) {
			cb_chart *c = &charts->c[charts->n++];
			c->base = cb_xstrdup(base[i]);
			c->title = cb_xstrdup(title[i]);
			c->workload = cb_xstrdup("micro");
			c->rendered = true;
		} else if (has_data) {
			cb_error_set(err, CB_EXIT_ENV, "%s was not drawn (gnuplot missing when the run was made?)", svg);
		}
		free(svg);
		free(dat);
	}
	return dir;
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
	if (r < 0 || cb_results_read(file, &doc, &err) || cb_mkdir_p(dir, &err))
		goto out;
	char *chart_dir = NULL;
	if (doc->micro) {
		/* `concbench micro` drew its charts beside its results file. */
		chart_dir = micro_charts(file, &charts, &chart_err);
	} else {
		if (cb_series_from_doc(doc, &set, &err))
			goto out;
		/* A chart failure is not the end: the tables still make a report. */
		if (cb_plot_all(doc, &set, dir, &charts, &chart_err) && chart_err.code != CB_EXIT_ENV) {
			err = chart_err;
			goto out;
		}
	}
	cb_report_warnings(doc, &warnings);
	for (size_t i = 0; i < warnings.n; i++)
		fprintf(stderr, "concbench: warning: %s\n", warnings.msg[i]);
	cb_report_in in = { doc, &set, &charts, chart_dir ? chart_dir : dir,
	                    chart_err.code ? chart_err.msg : NULL, &warnings };
	int wr = write_reports(&in, dir, &err);
	free(chart_dir);
	if (wr)
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
