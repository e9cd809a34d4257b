/* How the CLI prints what the core hands back. What the core says while
 * it works (cb_say): notes and warnings prefixed with the program's name,
 * the progress line redrawn in place on a terminal only, a message past an
 * open progress line on a line of its own; nothing at all under --quiet.
 * And a report's outcome: its warnings, the files written, a chart that
 * could not be drawn. */
#include <stdio.h>
#include <unistd.h>

#include "cli/commands.h"
#include "render/report.h"

void cb_cli_say(void *ctx, cb_say_kind kind, const char *text)
{
	cb_cli_voice *v = ctx;
	if (v->quiet)
		return;
	bool tty = isatty(STDERR_FILENO);
	if (kind == CB_SAY_PROGRESS) {
		if (!tty)
			return;
		fprintf(stderr, "\r\033[K%s", text);
		fflush(stderr);
		v->progress_open = *text != 0;
		return;
	}
	static const char *const prefix[] = {
		[CB_SAY_NOTE] = "note: ", [CB_SAY_WARNING] = "warning: ", [CB_SAY_PROBLEM] = "",
	};
	fprintf(stderr, "%sconcbench: %s%s\n", v->progress_open ? "\n" : "", prefix[kind], text);
	v->progress_open = false;
}

int cb_cli_report(const char *file, const char *dir)
{
	cb_report_out out;
	cb_error err = { 0 };
	int rc = cb_report_file(file, dir, &out, &err);
	for (size_t i = 0; i < out.warnings.n; i++)
		fprintf(stderr, "concbench: warning: %s\n", out.warnings.msg[i]);
	if (!rc) {
		printf("%s\n%s\n", out.html, out.md);
		err = out.charts;
	}
	cb_report_out_free(&out);
	if (err.code)
		fprintf(stderr, "concbench: %s\n", err.msg);
	return err.code;
}
