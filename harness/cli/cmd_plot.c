/* `concbench plot FILE [-o DIR]`: redraws the charts of any results file
 * as PNG and SVG (with their .dat files) into DIR, by default the results
 * file's folder. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "render/plot.h"
#include "resultfile/read.h"
#include "analysis/series.h"

static const char plot_usage[] =
	"usage: concbench plot FILE [-o DIR]\n"
	"\n"
	"Draws the charts of a results.json (or its run's folder) into DIR\n"
	"(default: the file's folder): per workload speedup, efficiency, phases at\n"
	"the largest worker count and Karp-Flatt; per I/O workload throughput and\n"
	"latency against concurrency.\n"
	"Each chart is written as .png and .svg beside its .dat data.\n"
	"$CONCBENCH_PLOTS overrides the template folder, $CONCBENCH_GNUPLOT the binary.\n"
	"Exit status: 0 drawn, 1 a file could not be written, 2 bad input (not a\n"
	"concbench results.json), 3 gnuplot or the templates are missing or failing.\n";

static int plot_file(const char *file, const char *dir)
{
	cb_error err = { 0 };
	cb_rdoc *doc = NULL;
	cb_series_set set = { 0 };
	cb_chart_list charts = { 0 };
	if (cb_results_read(file, &doc, &err) || cb_series_from_doc(doc, &set, &err) ||
	    cb_mkdir_p(dir, &err))
		goto out;
	cb_plot_all(doc, &set, dir, &charts, &err);
	for (size_t i = 0; i < charts.n; i++)
		if (charts.c[i].rendered)
			printf("%s/%s.png\n%s/%s.svg\n", dir, charts.c[i].base, dir, charts.c[i].base);
out:
	cb_chart_list_free(&charts);
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	if (err.code)
		fprintf(stderr, "concbench: %s\n", err.msg);
	return err.code;
}

int cb_cmd_plot(int argc, char **argv)
{
	return cb_cli_file_dir_command("plot", plot_usage, argc, argv, plot_file);
}
