/* Running gnuplot on the chart templates in plots/: finding the templates
 * and the binary, passing a preamble of variables with -e, and turning a
 * missing or failing gnuplot into a CB_EXIT_ENV error with its last words. */
#ifndef CB_GNUPLOT_H
#define CB_GNUPLOT_H

#include "base/common.h"

/* $CONCBENCH_PLOTS, else an installed binary's ../share/concbench/plots,
 * else the source tree's plots/. NULL when none has common.gp; the result
 * is malloc'ed. */
char *cb_plots_dir(void);

/* The colour of a series named `name` (or "name/..."), 0xRRGGBB, the same
 * on every chart: passed to every template as strategy_names and
 * strategy_colours (plots/common.gp's scolor). The caller that knows the
 * strategy table (the CLI) adds each strategy's once, before any chart;
 * a name not added is drawn in the default colour. */
void cb_chart_palette_add(const char *name, unsigned rgb);

/* Runs `gnuplot -e PREAMBLE DIR/TEMPLATE` ($CONCBENCH_GNUPLOT overrides
 * the binary). CB_EXIT_ENV when gnuplot is missing or fails. */
int cb_gnuplot_run(const char *plots_dir, const char *template, const char *preamble,
                   cb_error *err);

/* cb_gnuplot_run on TEMPLATE in cb_plots_dir(); CB_EXIT_ENV, naming
 * CONCBENCH_PLOTS, when there are no templates. What the commands outside
 * render/ call. */
int cb_gnuplot_template(const char *template, const char *preamble, cb_error *err);

/* Appends `name = 'value'; ` with gnuplot quoting to a malloc'ed string. */
void cb_gp_set_str(char **pre, const char *name, const char *value);
void cb_gp_set_num(char **pre, const char *name, double value);

/* gnuplot exits 0 when a full disk cuts its output short, so charts are
 * drawn into cb_gp_temp_path(path) (malloc'ed) and cb_gp_commit checks the
 * file is a whole PNG or SVG (format "png" or "svg") before renaming it
 * over path. On failure the temp file is removed, path is left as it was,
 * and the error (CB_EXIT_FAIL) names path. */
char *cb_gp_temp_path(const char *path);
int cb_gp_commit(const char *tmp, const char *path, const char *format, cb_error *err);

/* One chart from its data, start to end: DIR/NAME.dat written
 * atomically, then TEMPLATE (in plots/) drawn to DIR/NAME.png and .svg,
 * each replacing the old one only when whole. vars: the template's own
 * variables (a preamble, or NULL); plotdir, datafile, term, outbase,
 * chart_title and caption are set here. CB_EXIT_ENV without gnuplot or
 * the templates. */
int cb_chart_draw(const char *dir, const char *name, const char *template, const char *title,
                  const char *caption, const char *data, size_t len, const char *vars, cb_error *err);

/* One chart to a path the user named (CHART.png or CHART.svg, by its
 * extension; PNG otherwise): its data to CHART.dat (the extension
 * replaced), then TEMPLATE drawn with vars plus datafile, outfile and fmt,
 * each file replacing the old one only when whole. */
int cb_chart_file(const char *chart, const char *template, const char *data, size_t len, const char *vars,
                  cb_error *err);

#endif
