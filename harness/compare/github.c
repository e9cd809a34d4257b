/* compare for GitHub Actions: workflow commands that annotate the run, the
 * step outputs a later step branches on, and the job summary (the Markdown
 * table with what needs acting on in the open and the rest folded). Pure
 * functions of a cb_cmp_result; cmd_compare_ci.c writes them where the
 * runner's environment says. */
#include "compare/ci.h"
#include "compare/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *cb_cmp_overall_verdict(const cb_cmp_result *r)
{
	for (int v = 0; v < CB_VERDICT_COUNT; v++)
		if (r->count[v])
			return cb_cmp_verdict_name((cb_verdict)v);
	return "none";
}

/* Workflow command escaping: the message ends at a newline, properties at
 * ',' and '::'; GitHub decodes %25, %0D, %0A, and in properties %3A, %2C. */
static void gh_escape(FILE *f, const char *s, bool property)
{
	for (; *s; s++) {
		switch (*s) {
		case '%': fputs("%25", f); break;
		case '\r': fputs("%0D", f); break;
		case '\n': fputs("%0A", f); break;
		case ':': fputs(property ? "%3A" : ":", f); break;
		case ',': fputs(property ? "%2C" : ",", f); break;
		default: fputc(*s, f);
		}
	}
}

static void command(FILE *f, const char *kind, const char *title, const char *msg)
{
	fprintf(f, "::%s title=", kind);
	gh_escape(f, title, true);
	fputs("::", f);
	gh_escape(f, msg, false);
	fputc('\n', f);
}

void cb_cmp_github_commands(FILE *f, const cb_cmp_result *r)
{
	const cb_cmp_row **rows = cb_cmp_sorted_rows(r);
	size_t nreg = r->count[CB_VERDICT_REGRESSED], shown = 0;
	char b1[32], b2[32], p[32], mdc[32];
	for (size_t i = 0; i < r->nrows && rows[i]->verdict == CB_VERDICT_REGRESSED; i++) {
		const cb_cmp_row *w = rows[i];
		if (nreg > CB_GITHUB_MAX_ERRORS && shown == CB_GITHUB_MAX_ERRORS - 1)
			break;
		char *msg = cb_xasprintf(
			"%s: %s %+.1f%% [%+.1f%%, %+.1f%%] (%s -> %s), p after Holm %s, MDC %s",
			w->base->label, cb_cmp_metric_name(r->opts.metric), (w->ratio - 1) * 100,
			(w->lo - 1) * 100, (w->hi - 1) * 100,
			cb_cmp_fmt_value(b1, sizeof b1, r->opts.metric, w->base_med),
			cb_cmp_fmt_value(b2, sizeof b2, r->opts.metric, w->new_med),
			cb_cmp_fmt_p(p, sizeof p, w->p_adj), cb_cmp_fmt_pct(mdc, sizeof mdc, w->mdc));
		command(f, "error", "concbench regressed", msg);
		free(msg);
		shown++;
	}
	if (shown < nreg) {
		char *msg = cb_xasprintf("%zu more cells regressed; the job summary lists them all",
		                         nreg - shown);
		command(f, "error", "concbench regressed", msg);
		free(msg);
	}
	if (r->shifted) {
		char *msg = cb_xasprintf(
			"nearly every cell moved %+.1f%% alike between the two runs: the machine's state "
			"changed; each cell was judged against that shift", (r->shift - 1) * 100);
		command(f, "warning", "concbench machine state changed", msg);
		free(msg);
	}
	for (size_t i = 0; i < r->nwarnings; i++)
		command(f, "warning", "concbench machine", r->warnings[i]);
	free(rows);
}

void cb_cmp_github_outputs(FILE *f, const cb_cmp_result *r)
{
	fprintf(f, "verdict=%s\n", cb_cmp_overall_verdict(r));
	fprintf(f, "regressed=%zu\nimproved=%zu\nnoisy=%zu\nunchanged=%zu\nnot_compared=%zu\n",
	        r->count[CB_VERDICT_REGRESSED], r->count[CB_VERDICT_IMPROVED],
	        r->count[CB_VERDICT_NOISY], r->count[CB_VERDICT_UNCHANGED], r->nskips);
	if (r->nrows && isfinite(r->gm))
		fprintf(f, "geomean=%.6g\n", r->gm);
	else
		fprintf(f, "geomean=\n");
}

/* ---- the job summary, within a byte limit ----------------------------- */

/* Room kept for what closes the summary: the open <details>, the line
 * that counts rows left out and the method line. */
#define TAIL_RESERVE 2048

typedef struct sink {
	FILE *f;
	size_t used, limit;
	size_t dropped;   /* rows and list entries that did not fit */
} sink;

/* Writes `len` bytes if they fit before the reserve (or unconditionally
 * when `tail`, which the reserve is for); else counts a dropped entry. */
static bool put(sink *s, const char *text, size_t len, bool tail)
{
	size_t room = s->limit > TAIL_RESERVE ? s->limit - TAIL_RESERVE : 0;
	if (tail)
		room = s->limit;
	if (s->used + len > room) {
		s->dropped++;
		return false;
	}
	fwrite(text, 1, len, s->f);
	s->used += len;
	return true;
}

/* memstream plumbing: every piece is formatted whole, then placed or not. */
typedef struct piece {
	char *buf;
	size_t len;
	FILE *f;
} piece;

static FILE *piece_open(piece *p)
{
	p->buf = NULL;
	p->len = 0;
	p->f = open_memstream(&p->buf, &p->len);
	if (!p->f)
		abort();
	return p->f;
}

static bool piece_put(sink *s, piece *p, bool tail)
{
	if (fclose(p->f))
		abort();
	bool ok = put(s, p->buf, p->len, tail);
	free(p->buf);
	return ok;
}

static void rows_block(sink *s, const cb_cmp_result *r, const cb_cmp_row **rows, size_t from,
                       size_t to)
{
	piece p;
	cb_cmp_md_head(piece_open(&p), r);
	if (!piece_put(s, &p, false)) {
		s->dropped += to - from - 1;   /* the head stood for every row */
		return;
	}
	for (size_t i = from; i < to; i++) {
		cb_cmp_md_row(piece_open(&p), r, rows[i]);
		piece_put(s, &p, false);
	}
}

size_t cb_cmp_github_summary(FILE *f, const cb_cmp_result *r, size_t limit)
{
	sink s = { .f = f, .limit = limit };
	const cb_cmp_row **rows = cb_cmp_sorted_rows(r);
	size_t loud = r->count[CB_VERDICT_REGRESSED] + r->count[CB_VERDICT_IMPROVED];
	piece p;
	FILE *m = piece_open(&p);
	fprintf(m, CB_GITHUB_MARKER "\n### concbench compare\n\n");
	cb_cmp_summary_line(m, r, true);
	fprintf(m, "\nBASE `%s` · NEW `%s`\n\n", r->base->path, r->new->path);
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(m, "> **WARNING**: %s\n>\n", r->warnings[i]);
	cb_cmp_notes(m, r, true);
	if (r->nwarnings || r->shifted || r->underpowered)
		fprintf(m, "\n");
	if (!piece_put(&s, &p, false)) {
		/* Not even the head fits (the step wrote most of its 1 MiB already). */
		piece_open(&p);
		fprintf(p.f, CB_GITHUB_MARKER "\nconcbench compare: the step summary is full; "
		        "verdict %s\n", cb_cmp_overall_verdict(r));
		piece_put(&s, &p, true);
		free(rows);
		return s.used;
	}
	if (r->ntested && loud) {
		rows_block(&s, r, rows, 0, loud);
		put(&s, "\n", 1, true);   /* a separator, not a row: from the reserve */
	}
	if (r->ntested && r->nrows > loud) {
		piece_open(&p);
		fprintf(p.f, "<details><summary>%zu noisy, %zu unchanged</summary>\n\n",
		        r->count[CB_VERDICT_NOISY], r->count[CB_VERDICT_UNCHANGED]);
		if (piece_put(&s, &p, false)) {
			rows_block(&s, r, rows, loud, r->nrows);
			put(&s, "\n</details>\n\n", 13, true);
		} else {
			s.dropped += r->nrows - loud - 1;
		}
	}
	if (r->nskips) {
		piece_open(&p);
		fprintf(p.f, "<details><summary>%zu not compared</summary>\n\n", r->nskips);
		if (piece_put(&s, &p, false)) {
			for (size_t i = 0; i < r->nskips; i++) {
				piece_open(&p);
				fprintf(p.f, "- %s: ", r->skips[i].why);
				cb_cmp_md_code(p.f, r->skips[i].label);
				fprintf(p.f, "\n");
				piece_put(&s, &p, false);
			}
			put(&s, "\n</details>\n\n", 13, true);
		} else {
			s.dropped += r->nskips - 1;
		}
	}
	piece_open(&p);
	if (s.dropped)
		fprintf(p.f, "**%zu rows left out** to keep the step summary under its %u KiB limit; "
		        "`concbench compare --format md` prints them all.\n\n", s.dropped,
		        (unsigned)(limit >> 10));
	fprintf(p.f, "<sub>");
	cb_cmp_method_line(p.f, r);
	fprintf(p.f, "</sub>\n");
	piece_put(&s, &p, true);
	free(rows);
	return s.used;
}
