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
	"the charts themselves. DIR defaults to the results file's folder. FILE may\n"
	"be a run's folder (its results.json), or the folder of a `concbench\n"
	"granularity` sweep (or its granularity.json): the report is then the\n"
	"sweep's, \"The smallest task each model runs efficiently\", written into\n"
	"that folder unless -o DIR.\n"
	"Prints the warnings grouped by kind (every one in DIR/warnings.txt), the\n"
	"answer (one line per workload: the summary's best model, its lead, the\n"
	"main loss of the best parallel model) and the files written.\n"
	"Exit status: 0 written, 1 a file could not be written, 2 bad input (not a\n"
	"concbench results.json), 3 the charts cannot be drawn (gnuplot missing or\n"
	"failing: the reports are written anyway).\n";

int cb_cmd_report(int argc, char **argv)
{
	return cb_cli_file_dir_command("report", report_usage, argc, argv, cb_cli_report);
}
