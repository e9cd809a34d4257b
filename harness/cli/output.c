/* How the CLI prints what the core hands back. What the core says while
 * it works (cb_say): notes and warnings prefixed with the program's name,
 * the progress line redrawn in place on a terminal only, a message past an
 * open progress line on a line of its own; nothing at all under --quiet.
 * And a report's outcome: its warnings, the files written, a chart that
 * could not be drawn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "render/report.h"
#include "resultfile/read.h"

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

/* At most this many lines of warnings on the terminal: the rest, and every
 * warning one a line, are in the report folder's warnings.txt. */
#define TERMINAL_WARNINGS 8

/* The warnings grouped as the report groups them, leaving out the nsaid
 * that were said already (at the start of a run). */
static void say_warnings(const cb_report_out *out, const char *const *said, size_t nsaid, int told)
{
	size_t room = told < TERMINAL_WARNINGS - 2 ? (size_t)(TERMINAL_WARNINGS - told) : 2;
	const cb_warnings *all = &out->warnings;
	cb_warnings w = { cb_xcalloc(all->n + 1, sizeof *w.msg), cb_xcalloc(all->n + 1, sizeof *w.kind),
	                  cb_xcalloc(all->n + 1, sizeof *w.cell), 0 };
	for (size_t i = 0; i < all->n; i++) {
		bool old = false;
		for (size_t k = 0; k < nsaid && !old; k++)
			old = said[k] && !strcmp(said[k], all->msg[i]);
		if (old)
			continue;
		w.msg[w.n] = all->msg[i];
		w.kind[w.n] = all->kind[i];
		w.cell[w.n++] = all->cell[i];
	}
	char **lines;
	size_t n = cb_warnings_group(&w, 160, &lines);
	bool every = n == all->n && n <= room;
	size_t shown = every || n < room ? n : room - 1;
	for (size_t i = 0; i < n; i++) {
		if (i < shown)
			fprintf(stderr, "concbench: warning: %s\n", lines[i]);
		free(lines[i]);
	}
	if (!every && out->warnings_file)
		fprintf(stderr, "concbench: %s%zu warnings in all, one a line: %s\n", shown < n ? "more kinds; " : "",
		        all->n, out->warnings_file);
	free(lines);
	free(w.msg);
	free(w.kind);
	free(w.cell);
}

void cb_cli_run_warnings(const char *dir, const char *note, const char *const *said, size_t nsaid, int told)
{
	cb_report_out out = { 0 };
	cb_rdoc *doc = NULL;
	cb_error err = { 0 };
	char *file = cb_xasprintf("%s/results.json", dir);
	if (!cb_results_read(file, &doc, &err)) {
		cb_report_warnings(doc, &out.warnings);
		say_warnings(&out, said, nsaid, told);
		cb_warnings_free(&out.warnings);
		cb_rdoc_free(doc);
	}
	fprintf(stderr, "concbench: results in %s%s\n", file, note);
	free(file);
}

int cb_cli_report_quiet(const char *file, const char *dir, bool quiet)
{
	cb_report_out out;
	cb_error err = { 0 };
	int rc = cb_report_file(file, dir, &out, &err);
	if (!quiet)
		say_warnings(&out, NULL, 0, 0);
	if (!rc && !quiet) {
		for (size_t i = 0; i < out.nanswer; i++)
			printf("%s\n", out.answer[i]);
		printf("%s\n%s\n", out.html, out.md);
		err = out.charts;
	}
	cb_report_out_free(&out);
	if (err.code)
		fprintf(stderr, "concbench: %s\n", err.msg);
	return err.code;
}

int cb_cli_report(const char *file, const char *dir)
{
	return cb_cli_report_quiet(file, dir, false);
}

void cb_cli_run_answer(const char *dir, const char *note, const char *const *said, size_t nsaid, int told)
{
	cb_report_out out;
	cb_error err = { 0 };
	char *file = cb_xasprintf("%s/results.json", dir);
	int rc = cb_report_file(file, dir, &out, &err);
	fflush(stdout);
	say_warnings(&out, said, nsaid, told);
	fprintf(stderr, "concbench: results in %s%s\n", file, note);
	if (!rc) {
		fflush(stderr);
		for (size_t i = 0; i < out.nanswer; i++)
			printf("%s\n", out.answer[i]);
		printf("report: %s\n", out.html);
		fflush(stdout);
		err = out.charts;
	}
	if (err.code)
		fprintf(stderr, "concbench: the report: %s\n", err.msg);
	cb_report_out_free(&out);
	free(file);
}

int cb_cli_parsed(int parsed, const char *usage, const cb_error *err)
{
	if (parsed == 1) {
		fputs(usage, stdout);
		return CB_EXIT_OK;
	}
	if (parsed) {
		fprintf(stderr, "concbench: %s\n", err->msg);
		return err->code;
	}
	return -1;
}
