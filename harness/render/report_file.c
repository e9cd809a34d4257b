/* The report of a results file, as `report` and `micro` write it: read,
 * series, charts (a chart that cannot be drawn is kept aside, not the
 * end), then report.html and report.md written atomically. */
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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


/* The folder of a granularity sweep that `file` names (the folder, or its
 * granularity.json), malloc'ed; NULL when it names something else. */
static char *granularity_dir(const char *file)
{
	struct stat st;
	size_t n = strlen(file);
	char *g = NULL;
	if (!stat(file, &st) && S_ISDIR(st.st_mode))
		g = cb_xstrdup(file);
	else if (n >= 16 && !strcmp(file + n - 16, "granularity.json") && (n == 16 || file[n - 17] == '/'))
		g = n == 16 ? cb_xstrdup(".") : cb_xasprintf("%.*s", (int)(n - 17), file);
	if (!g)
		return NULL;
	char *j = cb_xasprintf("%s/granularity.json", g);
	bool ok = !access(j, R_OK);
	free(j);
	if (!ok)
		free(g), g = NULL;
	return g;
}

/* A METG of granularity.json, m[key] seconds, as "<=9.89 us", "12.3 us". */
static char *metg_str(const json_t *m, const char *key)
{
	const char *w = json_string_value(json_object_get(m, !strcmp(key, "lo_s") ? "lo_where"
	                                                     : !strcmp(key, "hi_s") ? "hi_where" : "where"));
	double v = json_number_value(json_object_get(m, key));
	const char *pre = !w || !strcmp(w, "found") ? "" : !strncmp(w, "below", 5) ? "<=" : ">";
	if (!(v > 0))
		return cb_xstrdup("-");
	return v < 1e-3 ? cb_xasprintf("%s%.3g us", pre, v * 1e6) : cb_xasprintf("%s%.3g ms", pre, v * 1e3);
}

int cb_report_granularity(const char *file, const char *dir, cb_report_out *out, cb_error *err)
{
	char *gdir = granularity_dir(file);
	struct stat st;
	memset(out, 0, sizeof *out);
	if (!gdir && !stat(file, &st) && S_ISDIR(st.st_mode)) {
		char *run = cb_xasprintf("%s/results.json", file);
		bool is_run = !access(run, F_OK);
		free(run);
		if (!is_run)
			return cb_error_set(err, CB_EXIT_USAGE, "%s: a folder without granularity.json or results.json "
			                    "(valid: a results.json file, the folder of a run or of a granularity sweep)",
			                    file);
	}
	if (!gdir)
		return 1;
	char *path = cb_xasprintf("%s/granularity.json", gdir), *pattern = cb_xasprintf("%s/tasks-*/latest/results.json", gdir);
	json_error_t je;
	json_t *g = json_load_file(path, 0, &je);
	cb_rdoc *doc = NULL;
	cb_chart_list charts = { 0 };
	glob_t gl = { 0 };
	int rc = -1;
	if (!g || !json_is_array(json_object_get(g, "series"))) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: not a granularity sweep's file (%s)", path,
		             g ? "no series" : je.text);
		goto done;
	}
	/* The machine: the sweep's last run (each run records it). */
	if (glob(pattern, 0, NULL, &gl) || !gl.gl_pathc) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: no run of the sweep in it (tasks-*/latest/results.json)", gdir);
		goto done;
	}
	if (cb_results_read(gl.gl_pathv[gl.gl_pathc - 1], &doc, err) || cb_mkdir_p(dir, err))
		goto done;
	char *svg = cb_xasprintf("%s/granularity.svg", gdir);
	if (!access(svg, R_OK)) {
		charts.c = cb_xcalloc(1, sizeof *charts.c);
		charts.c[0].base = cb_xstrdup("granularity");
		charts.c[0].title = cb_xstrdup("efficiency against task duration, one line per series, METG(50%) marked");
		charts.c[0].workload = cb_xstrdup("granularity");
		charts.c[0].rendered = true;
		charts.n = 1;
	} else {
		cb_error_set(&out->charts, CB_EXIT_ENV, "%s was not drawn (gnuplot missing when the sweep ran?)", svg);
	}
	free(svg);
	/* One answer line per series: its METG(50%) [interval] and METG(90%). */
	const json_t *s;
	size_t i;
	out->answer = cb_xcalloc(json_array_size(json_object_get(g, "series")) + 1, sizeof *out->answer);
	json_array_foreach(json_object_get(g, "series"), i, s) {
		const json_t *m5 = json_object_get(s, "metg50"), *m9 = json_object_get(s, "metg90");
		char *a5 = metg_str(m5, "task_s"), *l5 = metg_str(m5, "lo_s"), *h5 = metg_str(m5, "hi_s");
		char *a9 = metg_str(m9, "task_s");
		out->answer[out->nanswer++] = cb_xasprintf("%s: METG(50%%) %s [%s, %s], METG(90%%) %s",
		                                           json_string_value(json_object_get(s, "series")), a5, l5, h5, a9);
		free(a5);
		free(l5);
		free(h5);
		free(a9);
	}
	cb_report_in in = { doc, NULL, &charts, gdir, out->charts.code ? out->charts.msg : NULL, &out->warnings, g };
	rc = write_reports(&in, dir, out, err);
done:
	globfree(&gl);
	cb_chart_list_free(&charts);
	cb_rdoc_free(doc);
	json_decref(g);
	free(pattern);
	free(path);
	free(gdir);
	return rc;
}

int cb_report_file(const char *file, const char *dir, cb_report_out *out, cb_error *err)
{
	int g = cb_report_granularity(file, dir, out, err);
	if (g != 1)
		return g;
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
	                    out->charts.code ? out->charts.msg : NULL, &out->warnings, NULL };
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
