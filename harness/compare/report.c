/* compare, the reporters: text for a terminal, Markdown for a CI job summary,
 * JSON for scripts, and the data file the ratio chart is drawn from. Each is
 * a pure function of a cb_cmp_result; the one-line summary always comes
 * first and improvements are as loud as regressions. */
#include "compare/compare.h"
#include "compare/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Rows in report order: regressed, improved, noisy, unchanged; within each,
 * the largest change first. */
static int row_order(const void *a, const void *b)
{
	const cb_cmp_row *x = *(const cb_cmp_row *const *)a, *y = *(const cb_cmp_row *const *)b;
	if (x->verdict != y->verdict)
		return (int)x->verdict - (int)y->verdict;
	double dx = fabs(log(x->ratio)), dy = fabs(log(y->ratio));
	return (dx < dy) - (dx > dy);
}

static const cb_cmp_row **sorted_rows(const cb_cmp_result *r)
{
	const cb_cmp_row **v = cb_xcalloc(r->nrows + 1, sizeof *v);
	for (size_t i = 0; i < r->nrows; i++)
		v[i] = &r->rows[i];
	qsort(v, r->nrows, sizeof *v, row_order);
	return v;
}

static const char *fmt_value(char *buf, size_t n, cb_metric m, double v)
{
	if (m == CB_METRIC_THROUGHPUT) {
		snprintf(buf, n, "%.4g/s", v);
	} else if (v >= 1) {
		snprintf(buf, n, "%.4g s", v);
	} else if (v >= 1e-3) {
		snprintf(buf, n, "%.4g ms", v * 1e3);
	} else if (v >= 1e-6) {
		snprintf(buf, n, "%.4g us", v * 1e6);
	} else {
		snprintf(buf, n, "%.4g ns", v * 1e9);
	}
	return buf;
}

static const char *fmt_pct(char *buf, size_t n, double frac)
{
	if (isinf(frac))
		snprintf(buf, n, "none");
	else if (isnan(frac))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.1f%%", frac * 100);
	return buf;
}

static const char *fmt_p(char *buf, size_t n, double p)
{
	if (isnan(p))
		snprintf(buf, n, "-");
	else if (p < 1e-4)
		snprintf(buf, n, "<0.0001");
	else
		snprintf(buf, n, "%.4f", p);
	return buf;
}

/* The line a person reads first. `loud` marks regressed and improved alike. */
static void summary_line(FILE *f, const cb_cmp_result *r, const char *loud_on, const char *loud_off)
{
	static const char *const upper[] = { "REGRESSED", "IMPROVED" };
	fprintf(f, "concbench compare: ");
	for (int v = 0; v < CB_VERDICT_COUNT; v++) {
		bool loud = v <= CB_VERDICT_IMPROVED && r->count[v];
		fprintf(f, "%s%s%zu %s%s", v ? ", " : "", loud ? loud_on : "", r->count[v],
		        loud ? upper[v] : cb_cmp_verdict_name((cb_verdict)v), loud ? loud_off : "");
	}
	fprintf(f, " of %zu cells", r->nrows);
	if (r->nskips)
		fprintf(f, " (+%zu not compared)", r->nskips);
	if (r->nrows)
		fprintf(f, "; geometric mean %s ratio new/base %.3f [%.3f, %.3f]",
		        cb_cmp_metric_name(r->opts.metric), r->gm, r->gm_lo, r->gm_hi);
	fprintf(f, " (%s is better)", cb_cmp_lower_is_better(r->opts.metric) ? "lower" : "higher");
	if (r->shifted)
		fprintf(f, "; %sMACHINE STATE CHANGED%s: all moved %+.1f%%", loud_on, loud_off,
		        (r->shift - 1) * 100);
	fprintf(f, "\n");
}

static void shift_note(FILE *f, const cb_cmp_result *r, const char *prefix)
{
	if (!r->shifted)
		return;
	fprintf(f, "%sthe machine's state changed between the two runs: nearly every cell moved "
	        "%+.1f%% alike, which a code change rarely does across workloads; each cell is "
	        "judged against that common shift. Run BASE and NEW interleaved on the same "
	        "runner to compare the code.\n", prefix, (r->shift - 1) * 100);
}

static void method_line(FILE *f, const cb_cmp_result *r)
{
	const cb_cmp_opts *o = &r->opts;
	if (o->pairs) {
		size_t wild = 0;
		for (size_t i = 0; i < r->nrows; i++)
			wild += r->rows[i].wild;
		fprintf(f, "method: unit of replication A/B pairs (one repetition of BASE and one of NEW, "
		        "milliseconds apart on the same PUs, in a random order, concbench ab); Wilcoxon "
		        "signed-rank test on the pairs' log ratios (%zu pairs beyond %g robust sd and %g%% "
		        "of their cell's median left out as one side's stall), and where a cell has "
		        "several pairs of processes, the larger of its p and a random-effects test's "
		        "(variance between processes pooled over the workload's cells); p adjusted across "
		        "%zu tested cells by Holm, family-wise alpha %g; ratio new/base the Hodges-Lehmann "
		        "estimate with its distribution-free %g%% interval; threshold %g%%; MDC = smallest "
		        "change detectable with 80%% power at alpha/%zu by both tests (none where n pairs "
		        "cannot reach it: p >= 2^(1-n)).\n",
		        wild, CB_CMP_WILD_SD, CB_CMP_WILD_MIN * 100, r->ntested, o->alpha, (1 - o->alpha) * 100,
		        o->threshold * 100, r->ntested ? r->ntested : 1);
		return;
	}
	double *df = cb_xmalloc((r->nrows + 1) * sizeof *df);
	for (size_t i = 0; i < r->nrows; i++)
		df[i] = r->rows[i].prior_df;
	double med_df = r->nrows ? cb_median(df, r->nrows) : 0;
	free(df);
	fprintf(f, "method: unit of replication %s (fresh-process rounds when both sides have "
	        "at least %zu%s); t test on log samples with each cell's variance moderated across "
	        "its workload's cells (empirical Bayes, median prior df %.1f); p adjusted across %zu "
	        "tested cells by Holm, family-wise alpha %g; ratio of medians new/base with %g%% "
	        "percentile bootstrap interval (%d resamples, seed %lu); threshold %g%%; MDC = "
	        "smallest change detectable with 80%% power at alpha/%zu; %zu rounds set aside as slowed "
	        "by interference (worse than their side's median by over 15%% and 3.5 robust sd); ",
	        r->unit, o->min_rounds, o->paired ? ", paired round by round" : "", med_df,
	        r->ntested, o->alpha, (1 - o->alpha) * 100, o->resamples, o->seed, o->threshold * 100,
	        r->ntested ? r->ntested : 1, r->set_aside);
	if (o->no_adjust)
		fputs("rounds as measured (--no-adjust).\n", f);
	else if (r->adjusted)
		fprintf(f, "rounds of %zu cells adjusted for the speed probe (slope fitted per workload, "
		        "largest %.2f: %s).\n", r->adjusted, r->slope_max, r->slope_group);
	else
		fputs("rounds as measured (no speed probe readings to adjust by).\n", f);
}

/* Said before any table: cells that could not have had any verdict but
 * noisy at these sample sizes, and what would give them one. */
static void power_note(FILE *f, const cb_cmp_result *r, const char *prefix)
{
	if (!r->underpowered)
		return;
	if (!r->ntested) {
		fprintf(f, "%sno cell can be tested: each needs at least 2 samples a side. Run both sides "
		        "with --rounds 5 or more (or more repetitions).\n", prefix);
		return;
	}
	fprintf(f, "%s%zu of %zu cells cannot see a change of %g%% at these sample sizes (%s; median "
	        "MDC %.1f%%)", prefix, r->underpowered, r->nrows, r->opts.threshold * 100, r->unit,
	        100 * r->underpowered_mdc);
	if (isfinite(r->needed_n))
		fprintf(f, "; about %.0f %s would let half of them", r->needed_n,
		        !strcmp(r->unit, "pairs") ? "pairs" : strcmp(r->unit, "rounds") ? "repetitions a side"
		        : "rounds a side");
	fprintf(f, ". Their verdict is noisy because no other was possible (`concbench noise` measures "
	        "how much of it is the machine's own).\n");
}

void cb_cmp_report_text(FILE *f, const cb_cmp_result *r)
{
	char b1[32], b2[32], b3[32], b4[32];
	const cb_cmp_row **rows = sorted_rows(r);
	summary_line(f, r, "", "");
	fprintf(f, "BASE %s\nNEW  %s\n", r->base->path, r->new->path);
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(f, "WARNING: %s\n", r->warnings[i]);
	shift_note(f, r, "NOTE: ");
	power_note(f, r, "POWER: ");
	if (r->ntested)
		fprintf(f, "\n%-10s %8s  %-22s %10s %10s %8s %6s %7s %6s %6s  %s\n", "verdict", "change",
		        "ratio [interval]", "base", "new", "p(Holm)", "MDC", "n", "cv b", "cv n", "cell");
	for (size_t i = 0; r->ntested && i < r->nrows; i++) {
		const cb_cmp_row *w = rows[i];
		char ci[64], n[32], cvb[16], cvn[16];
		snprintf(ci, sizeof ci, "%.3f [%.3f, %.3f]", w->ratio, w->lo, w->hi);
		if (w->pairs)
			snprintf(n, sizeof n, "%zu pairs", w->nb);
		else
			snprintf(n, sizeof n, "%zu/%zu%s", w->nb, w->nn, w->rounds ? "r" : "");
		fprintf(f, "%-10s %+7.1f%%  %-22s %10s %10s %8s %6s %7s %6s %6s  %s\n",
		        cb_cmp_verdict_name(w->verdict), (w->ratio - 1) * 100, ci,
		        fmt_value(b1, sizeof b1, r->opts.metric, w->base_med),
		        fmt_value(b2, sizeof b2, r->opts.metric, w->new_med), fmt_p(b3, sizeof b3, w->p_adj),
		        fmt_pct(b4, sizeof b4, w->mdc), n, fmt_pct(cvb, sizeof cvb, w->cv_base),
		        fmt_pct(cvn, sizeof cvn, w->cv_new), w->base->label);
	}
	if (r->nskips)
		fprintf(f, "\nnot compared (%zu):\n", r->nskips);
	for (size_t i = 0; i < r->nskips; i++)
		fprintf(f, "  %s: %s\n", r->skips[i].why, r->skips[i].label);
	fprintf(f, "\n");
	method_line(f, r);
	free(rows);
}

static void md_cell(FILE *f, const char *s)
{
	fputc('`', f);
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '`' || *s == '\n')
			fputc('\'', f);
		else
			fputc(*s, f);
	}
	fputc('`', f);
}

static void md_head(FILE *f, const cb_cmp_result *r)
{
	fprintf(f, "| verdict | cell | base | new | change | %g%% interval | p (Holm) | MDC | n |\n"
	        "|---|---|--:|--:|--:|--:|--:|--:|--:|\n", (1 - r->opts.alpha) * 100);
}

static void md_row(FILE *f, const cb_cmp_result *r, const cb_cmp_row *w)
{
	char b1[32], b2[32], b3[32], b4[32];
	bool loud = w->verdict <= CB_VERDICT_IMPROVED;
	fprintf(f, "| %s%s%s | ", loud ? "**" : "", cb_cmp_verdict_name(w->verdict), loud ? "**" : "");
	md_cell(f, w->base->label);
	if (w->pairs) {
		fprintf(f, " | %s | %s | %+.1f%% | %+.1f%% … %+.1f%% | %s | %s | %zu pairs |\n",
		        fmt_value(b1, sizeof b1, r->opts.metric, w->base_med),
		        fmt_value(b2, sizeof b2, r->opts.metric, w->new_med), (w->ratio - 1) * 100,
		        (w->lo - 1) * 100, (w->hi - 1) * 100, fmt_p(b3, sizeof b3, w->p_adj),
		        fmt_pct(b4, sizeof b4, w->mdc), w->nb);
		return;
	}
	fprintf(f, " | %s | %s | %+.1f%% | %+.1f%% … %+.1f%% | %s | %s | %zu/%zu%s |\n",
	        fmt_value(b1, sizeof b1, r->opts.metric, w->base_med),
	        fmt_value(b2, sizeof b2, r->opts.metric, w->new_med), (w->ratio - 1) * 100,
	        (w->lo - 1) * 100, (w->hi - 1) * 100, fmt_p(b3, sizeof b3, w->p_adj),
	        fmt_pct(b4, sizeof b4, w->mdc), w->nb, w->nn, w->rounds ? " rounds" : "");
}

void cb_cmp_report_md(FILE *f, const cb_cmp_result *r)
{
	const cb_cmp_row **rows = sorted_rows(r);
	summary_line(f, r, "**", "**");
	fprintf(f, "\nBASE `%s` · NEW `%s`\n\n", r->base->path, r->new->path);
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(f, "> **WARNING**: %s\n>\n", r->warnings[i]);
	shift_note(f, r, "> **NOTE**: ");
	power_note(f, r, "> **POWER**: ");
	if (r->nwarnings || r->shifted || r->underpowered)
		fprintf(f, "\n");
	if (r->ntested)
		md_head(f, r);
	for (size_t i = 0; r->ntested && i < r->nrows; i++)
		md_row(f, r, rows[i]);
	if (r->nskips)
		fprintf(f, "\n**Not compared** (%zu):\n\n", r->nskips);
	for (size_t i = 0; i < r->nskips; i++) {
		fprintf(f, "- %s: ", r->skips[i].why);
		md_cell(f, r->skips[i].label);
		fprintf(f, "\n");
	}
	fprintf(f, "\n<sub>");
	method_line(f, r);
	fprintf(f, "</sub>\n");
	free(rows);
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *row_json(const cb_cmp_row *w)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, "
	                 "s:o, s:o, s:o, s:o, s:o, s:o, s:I}",
	                 "cell", w->base->label, "key", w->base->key,
	                 "verdict", cb_cmp_verdict_name(w->verdict), "why", w->why,
	                 "unit", w->pairs ? "pairs" : w->rounds ? "rounds" : "repetitions", "test", w->test,
	                 "n_base", (json_int_t)w->nb, "n_new", (json_int_t)w->nn,
	                 "base_median", num(w->base_med), "new_median", num(w->new_med),
	                 "ratio", num(w->ratio), "ci_low", num(w->lo), "ci_high", num(w->hi),
	                 "p", num(w->p), "p_holm", num(w->p_adj), "mdc", num(w->mdc),
	                 "cv_base", num(w->cv_base), "cv_new", num(w->cv_new), "df", num(w->df),
	                 "prior_df", num(w->prior_df), "set_aside", (json_int_t)w->set_aside);
	json_object_set_new(j, "probe_slope", num(w->slope));
	if (w->pairs) {
		json_object_set_new(j, "pairs", json_integer((json_int_t)w->nb));
		json_object_set_new(j, "pairs_wild", json_integer((json_int_t)w->wild));
	}
	return j;
}

static json_t *summary_json(const cb_cmp_result *r)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:b, s:o, s:I, s:o, s:o}",
	                 "compared", (json_int_t)r->nrows, "not_compared", (json_int_t)r->nskips,
	                 "regressed", (json_int_t)r->count[CB_VERDICT_REGRESSED],
	                 "improved", (json_int_t)r->count[CB_VERDICT_IMPROVED],
	                 "noisy", (json_int_t)r->count[CB_VERDICT_NOISY],
	                 "unchanged", (json_int_t)r->count[CB_VERDICT_UNCHANGED],
	                 "geomean", num(r->gm), "geomean_low", num(r->gm_lo),
	                 "geomean_high", num(r->gm_hi), "machine_state_changed", r->shifted,
	                 "shift", r->shifted ? json_real(r->shift) : json_null(),
	                 "underpowered", (json_int_t)r->underpowered,
	                 "underpowered_mdc", num(r->underpowered_mdc), "needed_samples", num(r->needed_n));
}

int cb_cmp_report_json(FILE *f, const cb_cmp_result *r)
{
	const cb_cmp_row **rows = sorted_rows(r);
	json_t *cells = json_array(), *skips = json_array(), *warn = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(cells, row_json(rows[i]));
	for (size_t i = 0; i < r->nskips; i++)
		json_array_append_new(skips, json_pack("{s:s, s:s}", "cell", r->skips[i].label,
		                                       "why", r->skips[i].why));
	for (size_t i = 0; i < r->nwarnings; i++)
		json_array_append_new(warn, json_string(r->warnings[i]));
	json_t *root = json_pack(
		"{s:s, s:s, s:s, s:s, s:b, s:f, s:f, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o}",
		"schema", "concbench.compare/1", "base", r->base->path, "new", r->new->path,
		"metric", cb_cmp_metric_name(r->opts.metric),
		"lower_is_better", cb_cmp_lower_is_better(r->opts.metric),
		"threshold", r->opts.threshold, "alpha", r->opts.alpha, "correction", "holm",
		"unit", r->unit, "resamples", (json_int_t)r->opts.resamples,
		"seed", (json_int_t)r->opts.seed, "summary", summary_json(r), "warnings", warn,
		"cells", cells, "not_compared", skips);
	int rc = root ? json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : -1;
	fputc('\n', f);
	json_decref(root);
	free(rows);
	return rc;
}

void cb_cmp_chart_data(FILE *f, const cb_cmp_result *r)
{
	const cb_cmp_row **rows = sorted_rows(r);
	fprintf(f, "# index ratio low high verdict(0 regressed,1 improved,2 noisy,3 unchanged) cell\n");
	/* The first row is drawn on top: gnuplot counts y upwards. */
	for (size_t i = 0; i < r->nrows; i++) {
		const cb_cmp_row *w = rows[i];
		fprintf(f, "%zu %.6g %.6g %.6g %d \"", r->nrows - 1 - i, w->ratio, w->lo, w->hi,
		        (int)w->verdict);
		for (const char *s = w->base->label; *s; s++)
			fputc(*s == '"' || *s == '\n' ? '\'' : *s, f);
		fprintf(f, "\"\n");
	}
	free(rows);
}

/* ---- shared with the other reporters (compare_report.h) --------------- */

const cb_cmp_row **cb_cmp_sorted_rows(const cb_cmp_result *r) { return sorted_rows(r); }
void cb_cmp_summary_line(FILE *f, const cb_cmp_result *r, bool md)
{
	summary_line(f, r, md ? "**" : "", md ? "**" : "");
}
void cb_cmp_md_head(FILE *f, const cb_cmp_result *r) { md_head(f, r); }
void cb_cmp_md_row(FILE *f, const cb_cmp_result *r, const cb_cmp_row *w) { md_row(f, r, w); }
void cb_cmp_md_code(FILE *f, const char *s) { md_cell(f, s); }
void cb_cmp_method_line(FILE *f, const cb_cmp_result *r) { method_line(f, r); }
void cb_cmp_notes(FILE *f, const cb_cmp_result *r, bool md)
{
	shift_note(f, r, md ? "> **NOTE**: " : "NOTE: ");
	power_note(f, r, md ? "> **POWER**: " : "POWER: ");
}
const char *cb_cmp_fmt_value(char *buf, size_t n, cb_metric m, double v)
{
	return fmt_value(buf, n, m, v);
}
const char *cb_cmp_fmt_p(char *buf, size_t n, double p) { return fmt_p(buf, n, p); }
const char *cb_cmp_fmt_pct(char *buf, size_t n, double frac) { return fmt_pct(buf, n, frac); }

/* The x range always shows 1 and the threshold band, whatever the ratios. */
void cb_cmp_chart_range(const cb_cmp_result *r, double *lo, double *hi)
{
	*lo = 1 / (1 + r->opts.threshold);
	*hi = 1 + r->opts.threshold;
	for (size_t i = 0; i < r->nrows; i++) {
		*lo = r->rows[i].lo < *lo ? r->rows[i].lo : *lo;
		*hi = r->rows[i].hi > *hi ? r->rows[i].hi : *hi;
	}
	double pad = (*hi - *lo) * 0.05;
	*lo -= pad;
	*hi += pad;
}

int cb_cmp_none_compared(const cb_cmp_result *r, const char *base, const char *new, cb_error *err)
{
	if (r->nrows || !r->nskips)
		return 0;
	if (r->only_base + r->only_new == r->nskips)
		return cb_error_set(err, CB_EXIT_USAGE, "no cell of %s matches a cell of %s (%zu only in "
		                    "BASE, %zu only in NEW)", base, new, r->only_base, r->only_new);
	/* matched, but none usable: the cells failed */
	size_t k = 0;
	while (!strncmp(r->skips[k].why, "only in ", 8))
		k++;
	return cb_error_set(err, CB_EXIT_FAIL, "no cell could be compared: %zu matched but "
	                    "unusable, the first '%s': %s", r->nskips - r->only_base - r->only_new,
	                    r->skips[k].label, r->skips[k].why);
}
