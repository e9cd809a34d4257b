/* `concbench analyze FILE`: the scaling table (speedup, efficiency, Amdahl,
 * Karp-Flatt) and the USL and Amdahl fits of a results.json or of any CSV
 * of N,X rows, as text for people or JSON for scripts. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "resultfile/read.h"
#include "analysis/series.h"

typedef struct analyze_opts {
	const char *file, *workload, *strategy;
	bool json;
} analyze_opts;

static const char analyze_usage[] =
	"usage: concbench analyze FILE [--format text|json] [--workload W] [--strategy S]\n"
	"\n"
	"FILE is a concbench results.json (or its run's folder) or a CSV of N,X\n"
	"rows (load, throughput; an optional header line). Prints speedup,\n"
	"efficiency, Amdahl and Karp-Flatt per point, the least-squares Amdahl\n"
	"serial fraction and the USL fit\n"
	"X(N) = gamma N / (1 + alpha (N-1) + beta N (N-1)). Under weak\n"
	"scaling speedup is the serial time of each cell's grown job over its\n"
	"time (as in results.json), and the law, Karp-Flatt and the fit are\n"
	"Gustafson's.\n"
	"--format json prints one object per series (an object with 'series'\n"
	"when several are selected). -f, -w and -s are short for --format,\n"
	"--workload and --strategy.\n"
	"Exit status: 0 analysed, 2 bad input (a file that cannot be read as\n"
	"results or N,X rows, an unknown format, workload or strategy).\n";

static int parse_opts(int argc, char **argv, analyze_opts *o, cb_error *err)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "workload", required_argument, NULL, 'w' },
		{ "strategy", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:w:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cb_error_set(err, CB_EXIT_USAGE,
				                    "analyze: unknown format '%s' (valid: text, json)", optarg);
			o->json = !strcmp(optarg, "json");
			break;
		case 'w': o->workload = optarg; break;
		case 's': o->strategy = optarg; break;
		case 'h': return 1;
		default:
			return cb_error_set(err, CB_EXIT_USAGE,
			                    "analyze: unknown option or missing value '%s' (valid: --format text|json, "
			                    "--workload W, --strategy S, --help)", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "analyze: expected one FILE, got %d (valid: a results.json or a CSV of N,X rows)",
		                    argc - optind);
	o->file = argv[optind];
	return 0;
}

/* Loads FILE either way; *doc stays NULL for CSV input. */
static int load_series(const analyze_opts *o, cb_rdoc **doc, cb_series_set *set, cb_error *err)
{
	char *text = NULL;
	double *n = NULL, *x = NULL;
	size_t len, k;
	int rc = -1;
	if (cb_results_load(o->file, &text, &len, err))
		goto out;
	if (cb_text_is_json(text)) {
		rc = cb_results_read(o->file, doc, err) || cb_series_from_doc(*doc, set, err) ? -1 : 0;
		goto out;
	}
	if (cb_points_read_csv(o->file, text, &n, &x, &k, err) ||
	    cb_series_from_points(o->file, n, x, k, set, err))
		goto out;
	rc = 0;
out:
	free(text);
	free(n);
	free(x);
	return rc;
}

static bool selected(const analyze_opts *o, const cb_series *s)
{
	return (!o->workload || !strcmp(o->workload, s->workload)) &&
	       (!o->strategy || !strcmp(o->strategy, s->strategy));
}

/* The distinct workloads (or, for one workload, strategies) in the file. */
static void known_names(const cb_series_set *set, const char *workload, char *buf, size_t size)
{
	*buf = 0;
	for (size_t i = 0; i < set->n; i++) {
		const cb_series *s = &set->s[i];
		const char *name = workload ? s->strategy : s->workload;
		if ((workload && strcmp(workload, s->workload)) || strstr(buf, name))
			continue;
		if (strlen(buf) + strlen(name) + 3 < size)
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", *buf ? ", " : "", name);
	}
}

/* Names the choices when a filter matched nothing. */
static int no_match(const analyze_opts *o, const cb_series_set *set, cb_error *err)
{
	char known[512];
	if (o->workload) {
		known_names(set, o->workload, known, sizeof known);
		if (!*known) {
			known_names(set, NULL, known, sizeof known);
			return cb_error_set(err, CB_EXIT_USAGE, "analyze: unknown workload '%s' (known: %s)",
			                    o->workload, known);
		}
	} else {
		known[0] = 0;
		for (size_t i = 0; i < set->n; i++)
			if (!strstr(known, set->s[i].strategy) && strlen(known) + strlen(set->s[i].strategy) + 3 < sizeof known)
				snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
				         *known ? ", " : "", set->s[i].strategy);
	}
	return cb_error_set(err, CB_EXIT_USAGE, "analyze: unknown strategy '%s' (known: %s)",
	                    o->strategy ? o->strategy : "", known);
}

/* ---- text ---- */

static void put_num(double v, int width, int prec)
{
	if (isfinite(v))
		printf(" %*.*f", width, prec, v);
	else
		printf(" %*s", width, "-");
}

/* "0.02 +- 0.0001"; a parameter held at its bound or fitted without
 * spare points has no standard error, and says which. */
static const char *pm(char *buf, size_t size, double v, double se)
{
	if (isfinite(se))
		snprintf(buf, size, "%.4g +- %.2g", v, se);
	else
		snprintf(buf, size, "%.4g (%s)", v, v == 0 ? "at bound" : "no spare points");
	return buf;
}

static void print_fits_text(const cb_series *s, const char *unit)
{
	char a[64], b[64], g[64];
	if (s->has_usl) {
		const cb_usl_fit *u = &s->usl;
		printf("  USL     alpha = %s contention, beta = %s coherency\n"
		       "          gamma = %s %s scale, R^2 = %.4f\n",
		       pm(a, sizeof a, u->alpha, u->se_alpha), pm(b, sizeof b, u->beta, u->se_beta),
		       pm(g, sizeof g, u->gamma, u->se_gamma), unit, u->r2);
		if (isfinite(u->peak_n))
			printf("          peak at N* = %.3g, X(N*) = %.4g %s\n", u->peak_n, u->peak_x, unit);
		else
			printf("          no peak: X grows to %.4g %s as N grows\n", u->peak_x, unit);
	} else {
		printf("  USL     not fitted: %s\n", s->usl_note);
	}
	const char *law = s->weak ? "Gustafson" : "Amdahl";
	if (s->has_amdahl)
		printf("  %-7s serial fraction = %.4g +- %.2g (least squares over %zu point%s)", law,
		       s->amdahl.f, s->amdahl.se, s->amdahl.used, s->amdahl.used == 1 ? "" : "s");
	else
		printf("  %-7s not fitted: needs a point with more than one worker", law);
	if (isfinite(s->f_measured))
		printf("; measured %.4g", s->f_measured);
	printf("\n");
}

static void print_series_text(const cb_series *s, bool csv)
{
	const char *unit = csv ? "" : "tasks/s";
	printf("%s   (X = %s; speedup against %s%s)\n", s->label, csv ? "X as given" : "throughput, tasks/s",
	       s->baseline ? s->baseline : "nothing", s->weak ? "; weak scaling: scaled speedup, Gustafson" : "");
	printf("  %6s %12s %9s %9s %10s %9s %10s\n", "N", "X", "speedup", "self_spd", "efficiency",
	       s->weak ? "gustafson" : "amdahl", "karp_flatt");
	for (size_t i = 0; i < s->npts; i++) {
		const cb_point *p = &s->pts[i];
		printf("  %6g", p->n);
		put_num(p->x, 12, 4);
		put_num(p->speedup, 9, 3);
		put_num(p->self_speedup, 9, 3);
		put_num(p->efficiency, 10, 3);
		put_num(p->amdahl, 9, 3);
		put_num(p->karp_flatt, 10, 4);
		printf("\n");
	}
	print_fits_text(s, unit);
}

/* ---- JSON ---- */

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *usl_json(const cb_series *s)
{
	if (!s->has_usl)
		return json_null();
	const cb_usl_fit *u = &s->usl;
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	                 "alpha", jnum(u->alpha), "beta", jnum(u->beta), "gamma", jnum(u->gamma),
	                 "alpha_se", jnum(u->se_alpha), "beta_se", jnum(u->se_beta),
	                 "gamma_se", jnum(u->se_gamma), "r2", jnum(u->r2),
	                 "peak_n", jnum(u->peak_n), "peak_x", jnum(u->peak_x));
}

static json_t *series_json(const cb_series *s, bool csv)
{
	json_t *pts = json_array();
	for (size_t i = 0; i < s->npts; i++) {
		const cb_point *p = &s->pts[i];
		json_array_append_new(pts, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"n", jnum(p->n), "x", jnum(p->x), "speedup", jnum(p->speedup),
			"self_speedup", jnum(p->self_speedup), "efficiency", jnum(p->efficiency),
			"amdahl", jnum(p->amdahl), "karp_flatt", jnum(p->karp_flatt),
			"id", p->cell ? json_string(p->cell->id) : json_null()));
	}
	json_t *amd = json_pack("{s:o, s:o, s:o}",
		"serial_fraction", s->has_amdahl ? jnum(s->amdahl.f) : json_null(),
		"serial_fraction_se", s->has_amdahl ? jnum(s->amdahl.se) : json_null(),
		"measured", jnum(s->f_measured));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:b, s:o, s:o, s:o}",
		"label", s->label, "workload", s->workload, "strategy", s->strategy,
		"params", s->params, "x", csv ? "X" : "throughput", "x_unit", csv ? "" : "tasks/s",
		"baseline", s->baseline, "weak_scaling", s->weak, "usl", usl_json(s), "amdahl", amd,
		"points", pts);
	if (!s->has_usl)
		json_object_set_new(o, "usl_note", json_string(s->usl_note));
	return o;
}

static void print_json(const cb_series_set *set, const analyze_opts *o, bool csv)
{
	json_t *all = json_array(), *out;
	for (size_t i = 0; i < set->n; i++)
		if (selected(o, &set->s[i]))
			json_array_append_new(all, series_json(&set->s[i], csv));
	if (json_array_size(all) == 1)
		out = json_incref(json_array_get(all, 0));
	else
		out = json_pack("{s:s, s:O}", "source", o->file, "series", all);
	json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	fputc('\n', stdout);
	json_decref(out);
	json_decref(all);
}

/* The fits are the point of the command: an input that cannot give any is
 * an input error, a series that cannot (serial: one point) is only noted. */
static int check_fittable(const cb_series_set *set, const analyze_opts *o, cb_error *err)
{
	size_t chosen = 0, most = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (!selected(o, &set->s[i]))
			continue;
		chosen++;
		if (set->s[i].npts > most)
			most = set->s[i].npts;
	}
	if (!chosen)
		return no_match(o, set, err);
	if (most < 3)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "%s: fewer than 3 points in every selected series (the fits need 3 load levels)",
		                    o->file);
	return 0;
}

int cb_cmd_analyze(int argc, char **argv)
{
	analyze_opts o = { 0 };
	cb_error err = { 0 };
	cb_rdoc *doc = NULL;
	cb_series_set set = { 0 };
	int r = parse_opts(argc, argv, &o, &err);
	if (r > 0) {
		fputs(analyze_usage, stdout);
		return CB_EXIT_OK;
	}
	if (r < 0 || load_series(&o, &doc, &set, &err) || check_fittable(&set, &o, &err))
		goto out;
	if (o.json) {
		print_json(&set, &o, doc == NULL);
		goto out;
	}
	for (size_t i = 0, shown = 0; i < set.n; i++)
		if (selected(&o, &set.s[i])) {
			printf("%s", shown++ ? "\n" : "");
			print_series_text(&set.s[i], doc == NULL);
		}
out:
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	if (err.code)
		fprintf(stderr, "concbench: %s\n", err.msg);
	return err.code;
}
