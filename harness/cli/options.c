/* The options every command shares: one spelling each (--out, never
 * --output), the FILE [-o DIR] form of plot and report, and the one
 * wording of an option getopt could not take. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli/commands.h"

int cb_cli_opt_error(const char *cmd, int ch, char **argv, cb_error *err)
{
	if (ch == ':')
		return cb_error_set(err, CB_EXIT_USAGE, "option '%s' needs a value (see 'concbench %s --help')",
		                    argv[optind - 1], cmd);
	return cb_error_set(err, CB_EXIT_USAGE, "unknown option '%s' (see 'concbench %s --help')",
	                    argv[optind - 1], cmd);
}

int cb_parse_file_dir_opts(const char *cmd, int argc, char **argv, const char **file,
                           char **dir, cb_error *err)
{
	static const struct option longopts[] = {
		CB_OPT_OUT,
		CB_OPT_HELP,
		CB_OPT_END,
	};
	const char *o = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c != 'o')
			return cb_error_set(err, CB_EXIT_USAGE, "%s: unknown option or missing value '%s' "
			                    "(valid: -o/--out DIR, --help)", cmd, argv[optind - 1]);
		o = optarg;
	}
	if (optind != argc - 1)
		return cb_error_set(err, CB_EXIT_USAGE, "%s: expected one results file, got %d "
		                    "(valid: concbench %s FILE [-o DIR])", cmd, argc - optind, cmd);
	*file = argv[optind];
	struct stat st;
	if (o) {
		*dir = cb_xstrdup(o);
	} else if (!stat(*file, &st) && S_ISDIR(st.st_mode)) {
		*dir = cb_xstrdup(*file);   /* a folder (a granularity sweep's): its report goes in it */
	} else {
		char *copy = cb_xstrdup(*file);
		*dir = cb_xstrdup(dirname(copy));
		free(copy);
	}
	return 0;
}


int cb_cli_file_dir_command(const char *cmd, const char *usage, int argc, char **argv,
                            int (*body)(const char *file, const char *dir))
{
	const char *file = NULL;
	char *dir = NULL;
	cb_error err = { 0 };
	int r = cb_parse_file_dir_opts(cmd, argc, argv, &file, &dir, &err), rc;
	if (r > 0) {
		fputs(usage, stdout);
		rc = CB_EXIT_OK;
	} else if (r < 0) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		rc = err.code;
	} else {
		rc = body(file, dir);
	}
	free(dir);
	return rc;
}
