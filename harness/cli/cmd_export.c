/* `concbench export RESULTS --to FORMAT`: one run's results in a format a
 * benchmark-history tool reads (Bencher, github-action-benchmark) or as a
 * flat CSV or Markdown table. Writes to standard output, or atomically to
 * the file given with -o. */
#include "cli/commands.h"
#include "render/export.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char export_usage[] =
	"usage: concbench export RESULTS -f FORMAT [-o FILE]\n"
	"\n"
	"Writes the cells of one run (RESULTS: a results.json, or a run folder\n"
	"holding one) for a benchmark-history tool:\n"
	"\n"
	"  bencher                         Bencher Metric Format: per cell latency (ns),\n"
	"                                  throughput, speedup, efficiency\n"
	"  github-action-benchmark         customSmallerIsBetter: median time per cell (ns)\n"
	"  github-action-benchmark-bigger  customBiggerIsBetter: throughput and speedup\n"
	"  csv                             one row per cell\n"
	"  md                              a Markdown table\n"
	"\n"
	"  -f, --to FORMAT    one of the above (required; also --format)\n"
	"  -o, --out FILE     write FILE (atomically) instead of standard output (also --output)\n"
	"\n"
	"Failed cells are left out of the JSON formats (a failed cell has no time)\n"
	"and marked in csv and md. Shapes and examples: results/README.md.\n"
	"Exit status: 0 written, 1 FILE could not be written, 2 bad input (an unknown\n"
	"format, a file that is not a concbench results.json).\n";

typedef struct export_opts {
	const char *results, *output;
	cb_export_format format;
	bool have_format;
} export_opts;

static int parse_opts(int argc, char **argv, export_opts *o, cb_error *err)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cb_export_format_parse(optarg, &o->format))
				return cb_error_set(err, CB_EXIT_USAGE, "export: unknown format '%s' (valid: %s)",
				                    optarg, cb_export_format_list());
			o->have_format = true;
			break;
		case 'o': o->output = optarg; break;
		case 'h': return 1;
		default:
			return cb_error_set(err, CB_EXIT_USAGE, "export: unknown option or missing value "
			                    "'%s' (valid: --to FORMAT, -o FILE, --help)", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cb_error_set(err, CB_EXIT_USAGE, "export: expected one RESULTS file, got %d "
		                    "(valid: a results.json or a run folder)", argc - optind);
	if (!o->have_format)
		return cb_error_set(err, CB_EXIT_USAGE, "export: --to FORMAT is required (valid: %s)",
		                    cb_export_format_list());
	o->results = argv[optind];
	return 0;
}

int cb_cmd_export(int argc, char **argv)
{
	export_opts o = { 0 };
	cb_error err = { 0 };
	cb_rdoc *doc = NULL;
	cb_export *e = NULL;
	char *path = NULL, *data = NULL;
	size_t len = 0;
	int rc = parse_opts(argc, argv, &o, &err);
	if (rc > 0) {
		fputs(export_usage, stdout);
		return CB_EXIT_OK;
	}
	if (rc)
		goto fail;
	path = cb_xstrdup(o.results);   /* a run's folder stands for its results.json (cb_results_load) */
	if (cb_results_read(path, &doc, &err) || cb_export_from_doc(doc, &e, &err))
		goto fail;
	FILE *m = open_memstream(&data, &len);
	if (!m)
		abort();
	int wrc = cb_export_write(m, e, o.format);
	if (fclose(m) || wrc) {
		cb_error_set(&err, CB_EXIT_FAIL, "export: cannot format the %s output",
		             cb_export_format_name(o.format));
		goto fail;
	}
	if (o.output) {
		if (cb_write_file_atomic(o.output, data, len, &err))
			goto fail;
	} else if (fwrite(data, 1, len, stdout) != len || fflush(stdout)) {
		cb_error_set(&err, CB_EXIT_FAIL, "cannot write the export to standard output: %s",
		             strerror(errno));
		goto fail;
	}
	if (e->nfailed && o.format <= CB_EXPORT_GAB_BIGGER)
		fprintf(stderr, "concbench: warning: %zu failed cells of %s left out of the %s export\n",
		        e->nfailed, path, cb_export_format_name(o.format));
	rc = CB_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "concbench: %s\n", err.msg);
	rc = err.code ? err.code : CB_EXIT_USAGE;
out:
	cb_export_free(e);
	cb_rdoc_free(doc);
	free(data);
	free(path);
	return rc;
}
