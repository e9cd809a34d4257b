/* export, the writers: Bencher Metric Format, github-action-benchmark's
 * custom arrays, CSV and Markdown, each a pure function of the rows that
 * cb_export_from_doc builds from a results file. Times go out in ns (what
 * Bencher's latency measure and most dashboards expect), rates per second. */
#include "render/export.h"
#include "analysis/series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *const format_names[CB_EXPORT_FORMAT_COUNT] = {
	"bencher", "github-action-benchmark", "github-action-benchmark-bigger", "csv", "md",
};

int cb_export_format_parse(const char *name, cb_export_format *out)
{
	for (int i = 0; i < CB_EXPORT_FORMAT_COUNT; i++)
		if (!strcmp(name, format_names[i])) {
			*out = (cb_export_format)i;
			return 0;
		}
	return -1;
}

const char *cb_export_format_name(cb_export_format f)
{
	return (unsigned)f < CB_EXPORT_FORMAT_COUNT ? format_names[f] : "?";
}

const char *cb_export_format_list(void)
{
	return "bencher, github-action-benchmark, github-action-benchmark-bigger, csv, md";
}

/* ---- rows -------------------------------------------------------------- */

int cb_export_from_doc(const cb_rdoc *doc, cb_export **out, cb_error *err)
{
	if (doc->micro)
		return cb_error_set(err, CB_EXIT_USAGE, "%s is a `concbench micro` price list; export "
		                    "reads the results of `concbench run` (valid: a results.json "
		                    "whose cells are workloads)", doc->path);
	cb_export *e = cb_xcalloc(1, sizeof *e);
	e->doc = doc;
	e->rows = cb_xcalloc(doc->ncells + 1, sizeof *e->rows);
	for (size_t i = 0; i < doc->ncells; i++) {
		const cb_rcell *c = &doc->cells[i];
		if (c->skipped) {
			e->nskipped++;
			continue;
		}
		cb_export_row *w = &e->rows[e->nrows++];
		*w = (cb_export_row){ .cell = c, .speedup = NAN, .speedup_lo = NAN,
		                      .speedup_hi = NAN, .efficiency = NAN, .throughput_lo = NAN,
		                      .throughput_hi = NAN };
		if (c->error) {
			e->nfailed++;
			continue;
		}
		if (c->ntasks > 0 && c->max_s > 0 && c->min_s > 0) {
			w->throughput_lo = (double)c->ntasks / c->max_s;
			w->throughput_hi = (double)c->ntasks / c->min_s;
		}
		/* Speedup and efficiency as the file derived them (results.c, the
		 * one definition), null where it has none; the interval from the
		 * cell's slowest and fastest repetition, as the charts draw it. */
		json_t *sp = json_object_get(c->json, "speedup"), *ef = json_object_get(c->json, "efficiency");
		if (json_is_number(sp) && c->median_s > 0 && c->max_s > 0 && c->min_s > 0) {
			w->speedup = json_number_value(sp);
			w->speedup_lo = w->speedup * c->median_s / c->max_s;
			w->speedup_hi = w->speedup * c->median_s / c->min_s;
		}
		if (json_is_number(ef))
			w->efficiency = json_number_value(ef);
	}
	*out = e;
	return 0;
}

void cb_export_free(cb_export *e)
{
	if (!e)
		return;
	free(e->rows);
	free(e);
}

/* ---- JSON formats ---------------------------------------------------- */

static bool ok(double v)
{
	return isfinite(v);
}

/* {"value", "lower_value", "upper_value"}, the bounds only when known. */
static json_t *bmf_metric(double v, double lo, double hi)
{
	json_t *m = json_pack("{s:f}", "value", v);
	if (ok(lo) && ok(hi)) {
		json_object_set_new(m, "lower_value", json_real(lo < hi ? lo : hi));
		json_object_set_new(m, "upper_value", json_real(lo < hi ? hi : lo));
	}
	return m;
}

static json_t *bencher(const cb_export *e)
{
	json_t *root = json_object();
	for (size_t i = 0; i < e->nrows; i++) {
		const cb_export_row *w = &e->rows[i];
		const cb_rcell *c = w->cell;
		if (c->error || !ok(c->median_s))
			continue;
		json_t *m = json_object();
		json_object_set_new(m, "latency",
		                    bmf_metric(c->median_s * 1e9, c->min_s * 1e9, c->max_s * 1e9));
		if (ok(c->throughput))
			json_object_set_new(m, "throughput",
			                    bmf_metric(c->throughput, w->throughput_lo, w->throughput_hi));
		if (ok(w->speedup))
			json_object_set_new(m, "speedup", bmf_metric(w->speedup, w->speedup_lo, w->speedup_hi));
		if (ok(w->efficiency))
			json_object_set_new(m, "efficiency", bmf_metric(w->efficiency, NAN, NAN));
		json_object_set_new(root, c->id, m);
	}
	return root;
}

/* 4 significant digits, but whole numbers from 1000 on: no exponents in a tooltip. */
static char *fmt_g(double v)
{
	if (!ok(v))
		return cb_xstrdup("-");
	return cb_xasprintf(fabs(v) >= 1e3 ? "%.0f" : "%.4g", v);
}

/* What a reader of the chart's tooltip wants beside the value. */
static char *extra_text(const cb_export_row *w)
{
	const cb_rcell *c = w->cell;
	char *sp = fmt_g(w->speedup), *ef = fmt_g(w->efficiency), *tp = fmt_g(c->throughput);
	char *s = cb_xasprintf("speedup %s\nefficiency %s\nthroughput %s tasks/s\n"
	                       "min %.0f ns, max %.0f ns, %zu repetitions\nworkers %d, concurrency %d",
	                       sp, ef, tp, c->min_s * 1e9, c->max_s * 1e9, c->nreps, c->workers,
	                       c->concurrency);
	free(sp);
	free(ef);
	free(tp);
	return s;
}

static json_t *gab_entry(const char *name, const char *unit, double value, double lo, double hi,
                         const char *extra)
{
	json_t *o = json_pack("{s:s, s:s, s:f}", "name", name, "unit", unit, "value", value);
	if (ok(lo) && ok(hi)) {
		char *half = fmt_g(fabs(hi - lo) / 2), *r = cb_xasprintf("± %s", half);
		json_object_set_new(o, "range", json_string(r));
		free(half);
		free(r);
	}
	json_object_set_new(o, "extra", json_string(extra));
	return o;
}

static json_t *gab(const cb_export *e, bool bigger)
{
	json_t *root = json_array();
	for (size_t i = 0; i < e->nrows; i++) {
		const cb_export_row *w = &e->rows[i];
		const cb_rcell *c = w->cell;
		if (c->error || !ok(c->median_s))
			continue;
		char *extra = extra_text(w);
		if (!bigger) {
			json_array_append_new(root, gab_entry(c->id, "ns", c->median_s * 1e9, c->min_s * 1e9,
			                                      c->max_s * 1e9, extra));
		} else {
			char *n = cb_xasprintf("%s throughput", c->id);
			if (ok(c->throughput))
				json_array_append_new(root, gab_entry(n, "tasks/s", c->throughput,
				                                      w->throughput_lo, w->throughput_hi, extra));
			free(n);
			n = cb_xasprintf("%s speedup", c->id);
			if (ok(w->speedup))
				json_array_append_new(root, gab_entry(n, "x", w->speedup, w->speedup_lo,
				                                      w->speedup_hi, extra));
			free(n);
		}
		free(extra);
	}
	return root;
}

/* ---- CSV and Markdown -------------------------------------------------- */

static void csv_num(FILE *f, double v, double scale)
{
	if (ok(v))
		fprintf(f, ",%.15g", v * scale);
	else
		fputc(',', f);
}

static void write_csv(FILE *f, const cb_export *e)
{
	fprintf(f, "id,workload,strategy,params,workers,concurrency,threads,median_ns,min_ns,max_ns,"
	        "throughput,speedup,efficiency,status\n");
	for (size_t i = 0; i < e->nrows; i++) {
		const cb_export_row *w = &e->rows[i];
		const cb_rcell *c = w->cell;
		cb_csv_string(f, c->id);
		fputc(',', f);
		cb_csv_string(f, c->workload);
		fputc(',', f);
		cb_csv_string(f, c->strategy);
		fputc(',', f);
		cb_csv_string(f, c->params);
		fprintf(f, ",%d,%d,%d", c->workers, c->concurrency, c->threads);
		bool ran = !c->error;
		csv_num(f, ran ? c->median_s : NAN, 1e9);
		csv_num(f, ran ? c->min_s : NAN, 1e9);
		csv_num(f, ran ? c->max_s : NAN, 1e9);
		csv_num(f, ran ? c->throughput : NAN, 1);
		csv_num(f, w->speedup, 1);
		csv_num(f, w->efficiency, 1);
		fputc(',', f);
		if (c->error) {
			char *s = cb_xasprintf("failed: %s", c->error);
			cb_csv_string(f, s);
			free(s);
		} else {
			fputs("ok", f);
		}
		fputc('\n', f);
	}
}

static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '`' || *s == '\n' || *s == '\r')
			fputc(*s == '`' ? '\'' : ' ', f);
		else
			fputc(*s, f);
	}
}

static void md_time(FILE *f, double s)
{
	if (!ok(s))
		fputs("-", f);
	else if (s >= 1)
		fprintf(f, "%.4g s", s);
	else if (s >= 1e-3)
		fprintf(f, "%.4g ms", s * 1e3);
	else if (s >= 1e-6)
		fprintf(f, "%.4g us", s * 1e6);
	else
		fprintf(f, "%.4g ns", s * 1e9);
}

static void write_md(FILE *f, const cb_export *e)
{
	const cb_rdoc *d = e->doc;
	fprintf(f, "## concbench results: ");
	md_text(f, d->host);
	fprintf(f, "\n\n%zu cells", e->nrows);
	if (e->nfailed)
		fprintf(f, " (%zu failed)", e->nfailed);
	if (*d->created) {
		fprintf(f, ", run ");
		md_text(f, d->created);
	}
	if (*d->cpu_model) {
		fprintf(f, " on ");
		md_text(f, d->cpu_model);
	}
	fprintf(f, "%s.\n\n", d->complete ? "" : " (incomplete run)");
	fprintf(f, "| cell | median | min … max | throughput | speedup | efficiency | status |\n"
	        "|---|--:|--:|--:|--:|--:|---|\n");
	for (size_t i = 0; i < e->nrows; i++) {
		const cb_export_row *w = &e->rows[i];
		const cb_rcell *c = w->cell;
		fprintf(f, "| `");
		md_text(f, c->id);
		fprintf(f, "` | ");
		if (c->error) {
			fprintf(f, "- | - | - | - | - | failed: ");
			md_text(f, c->error);
			fprintf(f, " |\n");
			continue;
		}
		md_time(f, c->median_s);
		fprintf(f, " | ");
		md_time(f, c->min_s);
		fprintf(f, " … ");
		md_time(f, c->max_s);
		if (ok(c->throughput))
			fprintf(f, fabs(c->throughput) >= 1e3 ? " | %.0f/s" : " | %.4g/s", c->throughput);
		else
			fprintf(f, " | -");
		if (ok(w->speedup))
			fprintf(f, " | %.2f", w->speedup);
		else
			fprintf(f, " | -");
		if (ok(w->efficiency))
			fprintf(f, " | %.0f%%", w->efficiency * 100);
		else
			fprintf(f, " | -");
		fprintf(f, " | ok |\n");
	}
}

int cb_export_write(FILE *f, const cb_export *e, cb_export_format fmt)
{
	json_t *j = NULL;
	switch (fmt) {
	case CB_EXPORT_BENCHER: j = bencher(e); break;
	case CB_EXPORT_GAB_SMALLER: j = gab(e, false); break;
	case CB_EXPORT_GAB_BIGGER: j = gab(e, true); break;
	case CB_EXPORT_CSV: write_csv(f, e); break;
	case CB_EXPORT_MD: write_md(f, e); break;
	default: return -1;
	}
	if (j) {
		int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		json_decref(j);
		if (rc)
			return -1;
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}
