/* The report of a results file, as `report` and `micro` write it: read,
 * series, charts (a chart that cannot be drawn is kept aside, not the
 * end), then report.html and report.md written atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/series.h"
#include "render/plot.h"
#include "render/report.h"
#include "render/summary.h"
#include "resultfile/read.h"

static int write_reports(const cb_report_in *in, const char *dir, cb_report_out *out, cb_error *err)
{
	char *html = cb_report_html(in), *md = cb_report_md(in);
	char *hp = cb_xasprintf("%s/report.html", dir), *mp = cb_xasprintf("%s/report.md", dir);
	int rc = -1;
	if (cb_write_file_atomic(hp, html, strlen(html), err) ||
	    cb_write_file_atomic(mp, md, strlen(md), err))
		goto out;
	out->html = hp;
	out->md = mp;
	hp = mp = NULL;
	rc = 0;
out:
	free(html);
	free(md);
	free(hp);
	free(mp);
	return rc;
}

/* Every warning, one a line, into dir/warnings.txt: the terminal and the
 * report show them grouped by kind. */
static int write_warnings(const cb_warnings *w, const char *dir, cb_report_out *out, cb_error *err)
{
	if (!w->n)
		return 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	for (size_t i = 0; i < w->n; i++)
		fprintf(f, "%s\n", w->msg[i]);
	fclose(f);
	char *path = cb_xasprintf("%s/warnings.txt", dir);
	int rc = cb_write_file_atomic(path, text, len, err);
	free(text);
	if (rc)
		free(path);
	else
		out->warnings_file = path;
	return rc;
}

/* The summary's answer, one line per workload (summary.h). */
static void answers(const cb_series_set *set, cb_report_out *out)
{
	cb_summary sm;
	cb_summary_build(set, &sm);
	out->answer = cb_xcalloc(sm.nrows + 1, sizeof *out->answer);
	for (size_t r = 0; r < sm.nrows; r++)
		out->answer[out->nanswer++] = cb_summary_answer(&sm.rows[r]);
	cb_summary_free(&sm);
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


int cb_report_file(const char *file, const char *dir, cb_report_out *out, cb_error *err)
{
	cb_rdoc *doc = NULL;
	cb_series_set set = { 0 };
	cb_chart_list charts = { 0 };
	char *chart_dir = NULL;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (cb_results_read(file, &doc, err) || cb_mkdir_p(dir, err))
		goto done;
	if (doc->micro) {
		/* `concbench micro` drew its charts beside its results file. */
		chart_dir = micro_charts(file, &charts, &out->charts);
	} else {
		if (cb_series_from_doc(doc, &set, err))
			goto done;
		/* A chart failure is not the end: the tables still make a report. */
		if (cb_plot_all(doc, &set, dir, &charts, &out->charts) && out->charts.code != CB_EXIT_ENV) {
			*err = out->charts;
			goto done;
		}
	}
	cb_report_warnings(doc, &out->warnings);
	if (!doc->micro)
		answers(&set, out);
	if (write_warnings(&out->warnings, dir, out, err))
		goto done;
	cb_report_in in = { doc, &set, &charts, chart_dir ? chart_dir : dir,
	                    out->charts.code ? out->charts.msg : NULL, &out->warnings };
	rc = write_reports(&in, dir, out, err);
done:
	free(chart_dir);
	cb_chart_list_free(&charts);
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	return rc;
}

void cb_report_out_free(cb_report_out *out)
{
	cb_warnings_free(&out->warnings);
	for (size_t i = 0; i < out->nanswer; i++)
		free(out->answer[i]);
	free(out->answer);
	free(out->warnings_file);
	free(out->html);
	free(out->md);
	memset(out, 0, sizeof *out);
}
