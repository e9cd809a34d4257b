/* compare, the statistics: match the cells of two inputs, put a bootstrap
 * interval on each ratio of medians, test each cell, hold the family of tests
 * to one error rate (Holm), and judge. Also notices when nearly every cell
 * moved alike, which is the machine changing rather than the code. */
#include "compare/compare.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* Machine-state detection: at least this many cells, this share of them on
 * the same side of 1, and ratios this tightly packed around their median. */
#define SHIFT_MIN_CELLS 5
#define SHIFT_SAME_SHARE 0.9
#define SHIFT_MAX_SPREAD 0.25

void cb_cmp_opts_default(cb_cmp_opts *o)
{
	*o = (cb_cmp_opts){
		.metric = CB_METRIC_TIME,
		.threshold = 0.05,
		.alpha = 0.01,
		.seed = 1,
		.resamples = 2000,
		.min_rounds = 3,
	};
}

bool cb_cmp_lower_is_better(cb_metric m)
{
	return m != CB_METRIC_THROUGHPUT;
}

const char *cb_cmp_metric_name(cb_metric m)
{
	static const char *const names[] = { "time", "throughput", "cpu" };
	return names[m];
}

int cb_cmp_metric_parse(const char *s, cb_metric *m)
{
	for (int i = CB_METRIC_TIME; i <= CB_METRIC_CPU; i++)
		if (s && !strcmp(s, cb_cmp_metric_name((cb_metric)i))) {
			*m = (cb_metric)i;
			return 0;
		}
	return -1;
}

const char *cb_cmp_verdict_name(cb_verdict v)
{
	static const char *const names[] = { "regressed", "improved", "noisy", "unchanged" };
	return v < CB_VERDICT_COUNT ? names[v] : "?";
}

/* ---- descriptive statistics ---------------------------------------- */

static double cv_of(const double *x, size_t n)
{
	if (n < 2)
		return NAN;
	double mean = gsl_stats_mean(x, 1, n);
	return mean > 0 ? gsl_stats_sd_m(x, 1, n, mean) / mean : NAN;
}

/* ---- tests ----------------------------------------------------------- */

/* The test is Student's t on log samples with the cell's variance moderated
 * across cells (Smyth 2004, the empirical Bayes of limma): with 5 rounds
 * a side a cell's own variance has 8 degrees of freedom (4 paired), too few
 * to reach the per-cell level Holm asks of a hundred cells, while the cells
 * of one workload share most of their noise. Each cell's variance is shrunk
 * toward a prior fitted to its workload's cells, by the prior's weight d0
 * against the cell's own df, and the test has d0 + df degrees of freedom.
 * A cell that is noisier than the rest keeps most of its own variance. */

/* limma's trigammaInverse: y with trigamma(y) = x, by Newton's method. */
static double trigamma_inverse(double x)
{
	if (x > 1e7)
		return 1 / sqrt(x);
	if (x < 1e-6)
		return 1 / x;
	double y = 0.5 + 1 / x;
	for (int i = 0; i < 50; i++) {
		double tri = gsl_sf_psi_1(y);
		double dif = tri * (1 - tri / x) / gsl_sf_psi_n(2, y);
		y += dif;
		if (-dif / y < 1e-8)
			break;
	}
	return y;
}

void cb_cmp_prior(const double *s2, const double *d, size_t n, double *d0, double *s02)
{
	size_t k = 0;
	double em = 0, sum_d = 0;
	*d0 = 0;
	*s02 = NAN;
	for (size_t i = 0; i < n; i++)
		if (s2[i] > 0 && d[i] > 0 && isfinite(s2[i])) {
			em += log(s2[i]) - gsl_sf_psi(d[i] / 2) + log(d[i] / 2);
			sum_d += d[i];
			k++;
		}
	if (k < 3)
		return;
	em /= (double)k;
	double ev = 0, tri = 0;
	for (size_t i = 0; i < n; i++)
		if (s2[i] > 0 && d[i] > 0 && isfinite(s2[i])) {
			double e = log(s2[i]) - gsl_sf_psi(d[i] / 2) + log(d[i] / 2);
			ev += (e - em) * (e - em);
			tri += gsl_sf_psi_1(d[i] / 2);
		}
	ev = ev / (double)(k - 1) - tri / (double)k;
	/* No more spread than sampling alone explains: the cells share one
	 * variance, known to the df of all of them together. */
	*d0 = ev > 0 ? 2 * trigamma_inverse(ev) : sum_d;
	if (*d0 > sum_d)
		*d0 = sum_d;
	*s02 = exp(em + gsl_sf_psi(*d0 / 2) - log(*d0 / 2));
}

double cb_cmp_moderated_t1(const double *d, size_t n, double shift, double d0, double s02,
                           double *s2_post, double *df)
{
	*s2_post = NAN;
	*df = NAN;
	if (n < 2)
		return NAN;
	double m = gsl_stats_mean(d, 1, n), s2 = gsl_stats_variance_m(d, 1, n, m);
	double dd = (double)(n - 1);
	bool prior = d0 > 0 && s02 > 0;
	*s2_post = prior ? (d0 * s02 + dd * s2) / (d0 + dd) : s2;
	*df = prior ? d0 + dd : dd;
	double se = sqrt(*s2_post / (double)n), diff = m - shift;
	if (!(se > 0))
		return diff == 0 ? 1 : 0;
	return 2 * gsl_cdf_tdist_Q(fabs(diff) / se, *df);
}

double cb_cmp_moderated_t(const double *lx, size_t nx, const double *ly, size_t ny, double shift,
                          double d0, double s02, double *s2_post, double *df)
{
	*s2_post = NAN;
	*df = NAN;
	if (nx < 2 || ny < 2)
		return NAN;
	double mx = gsl_stats_mean(lx, 1, nx), my = gsl_stats_mean(ly, 1, ny);
	double ss = gsl_stats_tss_m(lx, 1, nx, mx) + gsl_stats_tss_m(ly, 1, ny, my);
	double d = (double)(nx + ny - 2), s2 = ss / d;
	bool prior = d0 > 0 && s02 > 0;
	*s2_post = prior ? (d0 * s02 + d * s2) / (d0 + d) : s2;
	*df = prior ? d0 + d : d;
	double se = sqrt(*s2_post * (1.0 / (double)nx + 1.0 / (double)ny));
	double diff = my - mx - shift;
	if (!(se > 0))
		return diff == 0 ? 1 : 0;
	return 2 * gsl_cdf_tdist_Q(fabs(diff) / se, *df);
}

typedef struct pidx {
	double p;
	size_t i;
} pidx;

static int pidx_cmp(const void *a, const void *b)
{
	double x = ((const pidx *)a)->p, y = ((const pidx *)b)->p;
	return (x > y) - (x < y);
}

void cb_cmp_holm(const double *p, double *adj, size_t m)
{
	pidx *s = cb_xmalloc((m ? m : 1) * sizeof *s);
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		adj[i] = NAN;
		if (!isnan(p[i]))
			s[k++] = (pidx){ p[i], i };
	}
	qsort(s, k, sizeof *s, pidx_cmp);
	double run = 0;
	for (size_t r = 0; r < k; r++) {
		double v = (double)(k - r) * s[r].p;
		v = v < 1 ? v : 1;
		run = v > run ? v : run;
		adj[s[r].i] = run;
	}
	free(s);
}

/* ---- bootstrap ------------------------------------------------------- */

/* ---- matching -------------------------------------------------------- */

static const cb_cmp_cell *find_cell(const cb_cmp_input *in, const char *key)
{
	for (size_t i = 0; i < in->ncells; i++)
		if (!strcmp(in->cells[i].key, key))
			return &in->cells[i];
	return NULL;
}

static void add_skip(cb_cmp_result *r, const char *label, const char *why, char *owned)
{
	r->skips = cb_xrealloc(r->skips, (r->nskips + 1) * sizeof *r->skips);
	r->skips[r->nskips++] = (cb_cmp_skip){ label, owned ? owned : why, owned };
}

static bool all_positive(const double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(x[i] > 0) || !isfinite(x[i]))
			return false;
	return true;
}

static bool use_rounds(const cb_cmp_cell *b, const cb_cmp_cell *n, const cb_cmp_opts *o)
{
	return !o->pairs && b->nrounds >= o->min_rounds && n->nrounds >= o->min_rounds;
}

/* Why a matched pair cannot be compared, or NULL (owned string). */
static char *pair_problem(const cb_cmp_cell *b, const cb_cmp_cell *n, const cb_cmp_opts *o)
{
	if (b->failed)
		return cb_xasprintf("failed in BASE: %s", b->failed);
	if (n->failed)
		return cb_xasprintf("failed in NEW: %s", n->failed);
	bool rounds = use_rounds(b, n, o);
	const cb_cmp_cell *c[2] = { b, n };
	for (int s = 0; s < 2; s++) {
		size_t cnt = rounds ? c[s]->nrounds : c[s]->nreps;
		if (!cnt)
			return cb_xasprintf("no samples in %s", s ? "NEW" : "BASE");
		if (!all_positive(rounds ? c[s]->rounds : c[s]->reps, cnt))
			return cb_xasprintf("zero or negative %s in %s", cb_cmp_metric_name(o->metric),
			                    s ? "NEW" : "BASE");
	}
	if (o->pairs && b->nreps != n->nreps)
		return cb_xasprintf("not pairs: %zu repetitions in BASE, %zu in NEW", b->nreps, n->nreps);
	return NULL;
}

/* FNV-1a of the cell's key, the bootstrap seed of its row. Parameters are
 * hashed with ',' between them, as compare's keys once wrote them, so that
 * comparing the same two files draws the same intervals as it always did. */
static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	bool in_params = false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		in_params = c == '[' ? true : c == ']' ? false : in_params;
		if (in_params && c == ';')
			c = ',';
		h = (h ^ c) * 1099511628211ull;
	}
	return h;
}

static void match_cells(cb_cmp_result *r)
{
	const cb_cmp_input *base = r->base, *new = r->new;
	r->rows = cb_xcalloc(base->ncells, sizeof *r->rows);
	for (size_t i = 0; i < base->ncells; i++) {
		const cb_cmp_cell *b = &base->cells[i], *n = find_cell(new, b->key);
		if (!n) {
			add_skip(r, b->label, "only in BASE", NULL);
			r->only_base++;
			continue;
		}
		char *why = pair_problem(b, n, &r->opts);
		if (why) {
			add_skip(r, b->label, NULL, why);
			continue;
		}
		r->rows[r->nrows++] = (cb_cmp_row){ .base = b, .new = n };
	}
	for (size_t i = 0; i < new->ncells; i++)
		if (!find_cell(base, new->cells[i].key)) {
			add_skip(r, new->cells[i].label, "only in NEW", NULL);
			r->only_new++;
		}
}

/* ---- per-cell measurement and verdicts ------------------------------- */

static double *logs_of(const double *x, size_t n)
{
	double *l = cb_xmalloc((n ? n : 1) * sizeof *l);
	for (size_t i = 0; i < n; i++)
		l[i] = log(x[i]);
	return l;
}

static void samples(const cb_cmp_row *row, const double **x, const double **y)
{
	*x = row->x;
	*y = row->y;
}

/* Rounds slowed by something outside the code. On a shared host a whole
 * measuring process now and then runs at half speed (its vCPU descheduled
 * for a while): one such round among five decides a t test by itself.
 * Interference only ever makes a round worse, never better, so a round
 * worse than its side's median by more than 3.5 robust standard deviations
 * and by more than 15% is set aside (cb_set_aside_slowed, the one rule,
 * which concbench noise applies to its timings too), and the report says
 * how many were. */

/* ---- the speed probe ---------------------------------------------------- */

/* Each round of a concbench run records, before its warmup,
 * how long a fixed cache-bound kernel took on each of the cell's PUs
 * (cb_speed_probe_ms). On a shared host a virtual CPU runs cache-bound
 * work 1.6-2x slower for seconds to minutes at a time, and a round that
 * fell in such a spell is slow whatever the code. The rounds are adjusted
 * for it by regression on a covariate the code under test cannot move
 * (CUPED, in the terms of A/B testing): x = the round's mean over its
 * readings of log(probe) minus the median log reading on that PU over both
 * files, and log t' = log t - b x. The slope b is fitted per group of
 * cells (workload, one executor or several; a CPU-bound loop hardly moves
 * with the probe, a matrix multiply moves with it nearly one for one) from
 * the rounds' spread around their own cell's mean on each side, so that a
 * change between BASE and NEW cannot enter it; with --paired, from the
 * spread of the pairs' log ratios around their mean against that of the
 * pairs' differences of x, which is what the paired test sees. Rounds that
 * the 15% rule sets aside are set aside as measured and stay out of the
 * fit: adjusted first, rounds slowed 2x came back into the test imperfectly
 * corrected (matmul at one executor, 20 paired rounds: MDC 3.6% as
 * measured, 9.6% so adjusted, 3.6% now). b is held to [0, 1.5] (a cell
 * that ran faster when its PUs ran slower has no physical meaning; a bound
 * of 3 measured worse). Both sides are put on the same reference speed, so
 * a spell that covered all of one run cancels too. */
#define SLOPE_MAX 1.5
#define SLOPE_MIN_ROUNDS 8

typedef struct pu_ref {
	int pu;
	double *v;
	size_t n;
	double med;
} pu_ref;

static pu_ref *ref_of(pu_ref **refs, size_t *n, int pu, bool add)
{
	for (size_t i = 0; i < *n; i++)
		if ((*refs)[i].pu == pu)
			return &(*refs)[i];
	if (!add)
		return NULL;
	*refs = cb_xrealloc(*refs, (*n + 1) * sizeof **refs);
	(*refs)[*n] = (pu_ref){ .pu = pu };
	return &(*refs)[(*n)++];
}

static void ref_add(pu_ref **refs, size_t *n, const cb_cmp_cell *c)
{
	for (size_t i = 0; i < c->nprobes; i++) {
		pu_ref *p = ref_of(refs, n, c->probes[i].pu, true);
		p->v = cb_xrealloc(p->v, (p->n + 1) * sizeof *p->v);
		p->v[p->n++] = c->probes[i].log_ms;
	}
}

/* x of every round of c (malloc'ed), or NULL when a round has no reading. */
static double *probe_x(const cb_cmp_cell *c, pu_ref *refs, size_t nrefs)
{
	if (!c->nprobes || !c->nrounds)
		return NULL;
	double *x = cb_xcalloc(c->nrounds, sizeof *x);
	size_t *cnt = cb_xcalloc(c->nrounds, sizeof *cnt);
	for (size_t i = 0; i < c->nprobes; i++) {
		const pu_ref *p = ref_of(&refs, &nrefs, c->probes[i].pu, false);
		x[c->probes[i].round] += c->probes[i].log_ms - p->med;
		cnt[c->probes[i].round]++;
	}
	for (size_t i = 0; i < c->nrounds && x; i++) {
		if (!cnt[i]) {
			free(x);
			x = NULL;
		} else {
			x[i] /= (double)cnt[i];
		}
	}
	free(cnt);
	return x;
}

/* Adds the cross-products of y and x, each centred on its mean over the
 * entries not skipped, to a group's sums; `weight` rounds an entry. */
static void centred_sums(const double *y, const double *x, const bool *skip, size_t n, size_t weight,
                         double *sxy, double *sxx, size_t *cnt)
{
	double my = 0, mx = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!skip[i]) {
			my += y[i];
			mx += x[i];
			k++;
		}
	if (k < 2)
		return;
	my /= (double)k;
	mx /= (double)k;
	for (size_t i = 0; i < n; i++)
		if (!skip[i]) {
			*sxy += (x[i] - mx) * (y[i] - my);
			*sxx += (x[i] - mx) * (x[i] - mx);
		}
	*cnt += weight * k;
}

/* One side's log rounds against their x, the rounds set aside left out. */
static void slope_sums(const cb_cmp_cell *c, const double *x, const bool *out, double *sxy,
                       double *sxx, size_t *n)
{
	double *y = logs_of(c->rounds, c->nrounds);
	centred_sums(y, x, out, c->nrounds, 1, sxy, sxx, n);
	free(y);
}

/* A paired row: the log ratios of its pairs against the differences of
 * their x, which is what the paired test sees; a pair goes when either of
 * its rounds is set aside. */
static void slope_sums_paired(const cb_cmp_cell *b, const double *xb, const bool *ob,
                              const cb_cmp_cell *n, const double *xn, const bool *on, double *sxy,
                              double *sxx, size_t *cnt)
{
	size_t k = b->nrounds;
	double *y = cb_xmalloc((k + 1) * sizeof *y), *x = cb_xmalloc((k + 1) * sizeof *x);
	bool *skip = cb_xcalloc(k + 1, sizeof *skip);
	for (size_t i = 0; i < k; i++) {
		y[i] = log(n->rounds[i]) - log(b->rounds[i]);
		x[i] = xn[i] - xb[i];
		skip[i] = ob[i] || on[i];
	}
	centred_sums(y, x, skip, k, 2, sxy, sxx, cnt);
	free(y);
	free(x);
	free(skip);
}

static double *adjusted(const cb_cmp_cell *c, const double *x, double b)
{
	double *a = cb_xmalloc(c->nrounds * sizeof *a);
	for (size_t i = 0; i < c->nrounds; i++)
		a[i] = c->rounds[i] * exp(-b * x[i]);
	return a;
}

static bool same_group(const cb_cmp_row *a, const cb_cmp_row *b);

/* The fit's sums over the rows of row i's group not fitted yet. */
static void group_sums(const cb_cmp_result *r, size_t i, double *const *xb, double *const *xn, const bool *done,
                       double sign, double *sxy, double *sxx, size_t *n)
{
	for (size_t j = i; j < r->nrows; j++) {
		if (done[j] || !xb[j] || !xn[j] || !same_group(&r->rows[i], &r->rows[j]))
			continue;
		const cb_cmp_cell *bc = r->rows[j].base, *nc = r->rows[j].new;
		/* Rounds that will be set aside (below) stay out of the fit. */
		bool *ob = cb_xcalloc(bc->nrounds + 1, sizeof *ob), *on = cb_xcalloc(nc->nrounds + 1, sizeof *on);
		cb_set_aside_slowed(bc->rounds, bc->nrounds, sign > 0, ob);
		cb_set_aside_slowed(nc->rounds, nc->nrounds, sign > 0, on);
		if (r->opts.paired && bc->nrounds == nc->nrounds) {
			slope_sums_paired(bc, xb[j], ob, nc, xn[j], on, sxy, sxx, n);
		} else {
			slope_sums(bc, xb[j], ob, sxy, sxx, n);
			slope_sums(nc, xn[j], on, sxy, sxx, n);
		}
		free(ob);
		free(on);
	}
}

static void adjust_for_probe(cb_cmp_result *r)
{
	r->slope_max = NAN;
	for (size_t i = 0; i < r->nrows; i++) {
		r->rows[i].slope = NAN;
		r->rows[i].rounds = use_rounds(r->rows[i].base, r->rows[i].new, &r->opts);
	}
	if (r->opts.no_adjust || r->opts.metric == CB_METRIC_CPU)
		return;
	pu_ref *refs = NULL;
	size_t nrefs = 0;
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].rounds) {
			ref_add(&refs, &nrefs, r->rows[i].base);
			ref_add(&refs, &nrefs, r->rows[i].new);
		}
	for (size_t k = 0; k < nrefs; k++)
		refs[k].med = cb_median(refs[k].v, refs[k].n);
	double **xb = cb_xcalloc(r->nrows + 1, sizeof *xb), **xn = cb_xcalloc(r->nrows + 1, sizeof *xn);
	bool *done = cb_xcalloc(r->nrows + 1, sizeof *done);
	for (size_t i = 0; i < r->nrows; i++) {
		if (!r->rows[i].rounds)
			continue;
		xb[i] = probe_x(r->rows[i].base, refs, nrefs);
		xn[i] = probe_x(r->rows[i].new, refs, nrefs);
	}
	/* Higher is better for throughput: its log moves against the probe's. */
	double sign = cb_cmp_lower_is_better(r->opts.metric) ? 1 : -1;
	for (size_t i = 0; i < r->nrows; i++) {
		if (done[i] || !xb[i] || !xn[i])
			continue;
		double sxy = 0, sxx = 0;
		size_t n = 0;
		group_sums(r, i, xb, xn, done, sign, &sxy, &sxx, &n);
		double b = sxx > 0 ? sign * sxy / sxx : NAN;
		b = b < 0 ? 0 : b > SLOPE_MAX ? SLOPE_MAX : b;
		bool fit = n >= SLOPE_MIN_ROUNDS && isfinite(b);
		for (size_t j = i; j < r->nrows; j++)
			if (!done[j] && xb[j] && xn[j] && same_group(&r->rows[i], &r->rows[j])) {
				done[j] = true;
				if (!fit)
					continue;
				cb_cmp_row *w = &r->rows[j];
				w->slope = b;
				w->adj_base = adjusted(w->base, xb[j], sign * b);
				w->adj_new = adjusted(w->new, xn[j], sign * b);
				r->adjusted++;
			}
		if (fit && !(b <= r->slope_max)) {
			const char *label = r->rows[i].base->label;
			r->slope_max = b;
			snprintf(r->slope_group, sizeof r->slope_group, "%.*s at %s", (int)strcspn(label, "/"),
			         label, r->rows[i].base->executors > 1 ? "several executors" : "one executor");
		}
	}
	for (size_t i = 0; i < r->nrows; i++) {
		free(xb[i]);
		free(xn[i]);
	}
	for (size_t k = 0; k < nrefs; k++)
		free(refs[k].v);
	free(refs);
	free(xb);
	free(xn);
	free(done);
}

/* The samples the row is tested on: repetitions, or rounds without the
 * rounds set aside (with --paired, a pair goes when either round does). */
static void choose_samples(cb_cmp_row *row, const cb_cmp_opts *o)
{
	const double *x = !row->rounds ? row->base->reps : row->adj_base ? row->adj_base : row->base->rounds;
	const double *y = !row->rounds ? row->new->reps : row->adj_new ? row->adj_new : row->new->rounds;
	size_t nb = row->rounds ? row->base->nrounds : row->base->nreps;
	size_t nn = row->rounds ? row->new->nrounds : row->new->nreps;
	bool *fx = cb_xcalloc(nb + 1, sizeof *fx), *fy = cb_xcalloc(nn + 1, sizeof *fy);
	bool lower = cb_cmp_lower_is_better(o->metric);
	/* Set aside as measured: a round slowed past the rule is left out
	 * whatever the probe said; the adjustment corrects the rest. */
	if (row->rounds) {
		cb_set_aside_slowed(row->base->rounds, nb, lower, fx);
		cb_set_aside_slowed(row->new->rounds, nn, lower, fy);
	}
	bool pair = (o->paired && row->rounds && nb == nn) || (o->pairs && nb == nn);
	row->x = cb_xmalloc((nb + 1) * sizeof *row->x);
	row->y = cb_xmalloc((nn + 1) * sizeof *row->y);
	row->nb = row->nn = 0;
	for (size_t i = 0; i < nb; i++)
		if (pair ? !fx[i] && !fy[i] : !fx[i])
			row->x[row->nb++] = x[i];
	for (size_t i = 0; i < nn; i++)
		if (pair ? !fx[i] && !fy[i] : !fy[i])
			row->y[row->nn++] = y[i];
	row->set_aside = (nb - row->nb) + (nn - row->nn);
	row->pairable = pair;
	free(fx);
	free(fy);
}

/* Rounds run in pairs (base round k beside new round k, --paired): the
 * test is on the k log ratios, so what the machine did at that time, common
 * to both, cancels. */
static bool row_paired(const cb_cmp_row *row)
{
	return row->pairable && row->nb == row->nn && row->nb >= 2;
}

/* log(new_k) - log(base_k) for every pair k. */
static double *log_ratios(const cb_cmp_row *row)
{
	const double *x, *y;
	samples(row, &x, &y);
	double *d = cb_xmalloc(row->nb * sizeof *d);
	for (size_t k = 0; k < row->nb; k++)
		d[k] = log(y[k]) - log(x[k]);
	return d;
}

/* Where a cell's wild pairs begin: farther than *lim from *med (none
 * below 8 pairs). */
static void wild_cut(const double *lr, size_t n, double *med, double *lim)
{
	*med = cb_median(lr, n);
	*lim = n < 8 ? INFINITY : fmax(CB_CMP_WILD_SD * cb_robust_sd(lr, n), CB_CMP_WILD_MIN);
}

/* The pairs of a cell without those far from its median (in place): a
 * pair 12-47% off its cell's others, milliseconds from its twin, is one
 * side's stall. Left in, two or three such pairs in 30 decided the
 * signed-rank test's power (their signs are a coin's whatever the code
 * does, and they hold the top ranks) and put the MDC of a cell whose other
 * pairs agree to 1% at 6-17%. The cut is symmetric about the median, so
 * the test's null (a symmetric spread) stays what it was. */
static size_t drop_wild(double *lr, size_t n)
{
	double med, lim;
	wild_cut(lr, n, &med, &lim);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(lr[i] - med) <= lim)
			lr[m++] = lr[i];
	return m;
}

/* The row's own variance of log samples (both sides pooled, or of the log
 * ratios when paired) and its df. */
static void row_variance(const cb_cmp_row *row, double *s2, double *d)
{
	const double *x, *y;
	samples(row, &x, &y);
	*s2 = NAN;
	*d = 0;
	if (row->nb < 2 || row->nn < 2)
		return;
	if (row_paired(row)) {
		double *lr = log_ratios(row);
		*d = (double)(row->nb - 1);
		*s2 = gsl_stats_variance(lr, 1, row->nb);
		free(lr);
		return;
	}
	double *lx = logs_of(x, row->nb), *ly = logs_of(y, row->nn);
	double ss = gsl_stats_tss(lx, 1, row->nb) + gsl_stats_tss(ly, 1, row->nn);
	*d = (double)(row->nb + row->nn - 2);
	*s2 = ss / *d;
	free(lx);
	free(ly);
}

/* The group a cell's noise is pooled in: its workload (the label up to
 * its first '/'), whether it runs one executor or several, and its unit of
 * replication. Workloads differ in noise by an order of magnitude (a CPU
 * loop against a contended lock), which one prior over all cells would
 * read as cells too unlike to lend each other anything; within a workload
 * the strategies' cells share most of it. A cell with several executors
 * is slowed whenever any of its PUs is, so on a shared machine it is
 * several times noisier than the same workload on one (quick suite, 10
 * rounds: median sd of log rounds 1.2% at n1 against 2.7-3.2% at n2): pooled
 * together, they made a prior of about 2 df. */
static bool same_group(const cb_cmp_row *a, const cb_cmp_row *b)
{
	const char *x = a->base->label, *y = b->base->label;
	size_t nx = strcspn(x, "/"), ny = strcspn(y, "/");
	return a->rounds == b->rounds && nx == ny && !strncmp(x, y, nx) &&
	       (a->base->executors > 1) == (b->base->executors > 1);
}

/* The prior of each group, fitted to the rows of that group. */
static void fit_priors(cb_cmp_result *r)
{
	if (r->opts.pairs)   /* distribution-free: no variance to moderate */
		return;
	double *s2 = cb_xmalloc((r->nrows + 1) * sizeof *s2), *d = cb_xmalloc((r->nrows + 1) * sizeof *d);
	bool *done = cb_xcalloc(r->nrows + 1, sizeof *done);
	for (size_t i = 0; i < r->nrows; i++) {
		if (done[i])
			continue;
		size_t k = 0;
		for (size_t j = i; j < r->nrows; j++)
			if (!done[j] && same_group(&r->rows[i], &r->rows[j])) {
				row_variance(&r->rows[j], &s2[k], &d[k]);
				k++;
			}
		double d0, s02;
		cb_cmp_prior(s2, d, k, &d0, &s02);
		for (size_t j = i; j < r->nrows; j++)
			if (!done[j] && same_group(&r->rows[i], &r->rows[j])) {
				r->rows[j].prior_df = d0;
				r->rows[j].prior_s2 = s02;
				done[j] = true;
			}
	}
	free(s2);
	free(d);
	free(done);
}

static double test_pairs(cb_cmp_row *row, double factor);

/* p of new against base scaled by `factor` (1: no change expected). */
static double test_row(cb_cmp_row *row, double factor, const cb_cmp_opts *o)
{
	const double *x, *y;
	samples(row, &x, &y);
	if (row->nb < 2 || row->nn < 2) {
		row->test = "none (fewer than 2 samples a side)";
		return NAN;
	}
	if (o->pairs && row_paired(row))
		return test_pairs(row, factor);
	if (row_paired(row)) {
		double *lr = log_ratios(row);
		double p = cb_cmp_moderated_t1(lr, row->nb, log(factor), row->prior_df, row->prior_s2,
		                               &row->s2, &row->df);
		row->paired = true;
		row->test = "moderated paired t on log round ratios";
		free(lr);
		return p;
	}
	double *lx = logs_of(x, row->nb), *ly = logs_of(y, row->nn);
	double p = cb_cmp_moderated_t(lx, row->nb, ly, row->nn, log(factor), row->prior_df,
	                              row->prior_s2, &row->s2, &row->df);
	row->test = row->rounds ? "moderated t on log rounds" : "moderated t on log repetitions";
	free(lx);
	free(ly);
	return p;
}

/* ---- A/B pairs (concbench ab) ------------------------------------------ */

/* The pairs of each round (pair of measuring processes, as many pairs
 * each, in order) estimated on their own: rounds whose intervals are
 * disjoint differ by more than their repetitions explain, which is the
 * processes' doing (where the filesystem put one's files), not the code's. */
/* The smallest standard error a block's estimate is given: a few pairs
 * can agree by chance to a few hundredths of a percent, and a test
 * against that would call any two processes different. */
#define BLOCK_SE_FLOOR 0.002
/* Below this p, a cell's pairs of processes differ more than their pairs'
 * noise explains. */
#define BLOCK_HETEROGENEITY_P 0.01

/* The k rounds' estimates about their weighted mean, each weighted by
 * 1 / (se^2 + tau2): Cochran's Q with tau2 = 0, the generalised Q of the
 * random-effects model otherwise (chi-square with k - 1 degrees of
 * freedom either way); *c, when asked, the DerSimonian-Laird scale
 * (sum w - sum w^2 / sum w). */
static double rounds_q(const double *est, const double *se, size_t k, double tau2, double *c)
{
	double sw = 0, sww = 0, swx = 0, swxx = 0;
	for (size_t b = 0; b < k; b++) {
		double w = 1 / (se[b] * se[b] + tau2);
		sw += w;
		sww += w * w;
		swx += w * est[b];
		swxx += w * est[b] * est[b];
	}
	if (c)
		*c = sw - sww / sw;
	double q = swxx - swx * swx / sw;
	return q > 0 ? q : 0;
}

static bool rounds_q_beyond(double q, size_t k)
{
	return q > 0 && gsl_cdf_chisq_Q(q, (double)(k - 1)) < BLOCK_HETEROGENEITY_P;
}

static void rounds_agree(cb_cmp_row *row, const double *lr, const cb_cmp_opts *o)
{
	size_t k = row->base->nrounds, n = row->nb;
	row->block_lo = row->block_hi = row->ratio;
	if (k < 2 || row->new->nrounds != k || n % k || n / k < 2)
		return;
	size_t m = n / k;
	double top_lo = -INFINITY, bottom_hi = INFINITY;
	/* Each round's estimate from its pairs less the cell's wild ones (the
	 * cut of the test, drop_wild): one side's process can run 20-30%
	 * slow for a stretch of half a second while its twin, a millisecond
	 * away on the same PU, does not (cpu.mandelbrot on the 2-vCPU VM:
	 * 5 of a round's 15 pairs), which pulled that round's estimate to
	 * -9.5% where its other pairs said -0.2%, and the workload's variance
	 * between pairs of processes (every one of its cells' MDC) with it.
	 * The pairs' spread within their pairs of processes is pooled over the
	 * cell's: the robust sd of each kept pair's deviation from its own
	 * round's estimate. A round's own few pairs (3 to 10) can agree by
	 * chance and would pass any two processes for different. */
	double med, lim;
	wild_cut(lr, n, &med, &lim);
	double *kept = cb_xmalloc(n * sizeof *kept), *dev = cb_xmalloc(n * sizeof *dev);
	double *est = cb_xmalloc(k * sizeof *est), *se = cb_xmalloc(k * sizeof *se);
	size_t *cnt = cb_xmalloc(k * sizeof *cnt), nd = 0;
	for (size_t b = 0; b < k; b++) {
		double lo, hi;
		cnt[b] = 0;
		for (size_t i = 0; i < m; i++)
			if (fabs(lr[b * m + i] - med) <= lim)
				kept[cnt[b]++] = lr[b * m + i];
		if (cnt[b] < 2) {   /* a round that was all stalls: its pairs as they are */
			memcpy(kept, lr + b * m, m * sizeof *kept);
			cnt[b] = m;
		}
		cb_hodges_lehmann(kept, cnt[b], 1 - o->alpha, &est[b], &lo, &hi);
		row->block_lo = fmin(row->block_lo, exp(est[b]));
		row->block_hi = fmax(row->block_hi, exp(est[b]));
		top_lo = fmax(top_lo, lo);
		bottom_hi = fmin(bottom_hi, hi);
		for (size_t i = 0; i < cnt[b]; i++)
			dev[nd++] = kept[i] - est[b];
	}
	double sd = cb_robust_sd(dev, nd);
	for (size_t b = 0; b < k; b++) {
		/* Each round's estimate's standard error (the Hodges-Lehmann
		 * estimate's: sd * sqrt(pi / 3m)), from the pooled spread. */
		se[b] = fmax(sd * sqrt(M_PI / (3.0 * (double)cnt[b])), BLOCK_SE_FLOOR);
		if (b < CB_CMP_MAX_BLOCKS) {
			row->block_est[b] = est[b];
			row->block_se[b] = se[b];
		}
	}
	row->nblocks = k <= CB_CMP_MAX_BLOCKS ? k : 0;
	/* Cochran's Q: the blocks' estimates about their weighted mean,
	 * chi-square with k - 1 degrees of freedom when every pair of
	 * processes measures the same change. A cell whose processes differ
	 * (io.file's files, graph.deps's layout: +1.7% to +4.0% in three pairs
	 * of processes of one build) would otherwise pass its processes'
	 * difference for the code's, the more surely the more pairs it took. */
	row->block_q = rounds_q(est, se, k, 0, &row->block_c);
	row->disagree = top_lo > bottom_hi || rounds_q_beyond(row->block_q, k);
	free(kept);
	free(dev);
	free(est);
	free(se);
	free(cnt);
}

/* Pairs: the estimate is the Hodges-Lehmann centre of the log ratios with
 * its distribution-free interval; the resamples (for the geometric mean's
 * interval only) are of the log ratios' median. */
static void measure_pairs(cb_cmp_row *row, const cb_cmp_opts *o)
{
	size_t n = row->nb;
	double *lr = log_ratios(row), est, lo, hi;
	cb_hodges_lehmann(lr, n, 1 - o->alpha, &est, &lo, &hi);
	row->ratio = exp(est);
	row->lo = exp(lo);
	row->hi = exp(hi);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		abort();
	gsl_rng_set(rng, o->seed ^ hash_key(row->base->key));
	double *buf = cb_xmalloc((n + 1) * sizeof *buf);
	for (int j = 0; j < o->resamples; j++) {
		for (size_t i = 0; i < n; i++)
			buf[i] = lr[gsl_rng_uniform_int(rng, n)];
		row->boot[j] = cb_median(buf, n);
	}
	gsl_rng_free(rng);
	free(buf);
	rounds_agree(row, lr, o);
	free(lr);
}

double cb_cmp_pairs_mdc(double sd, size_t n, double alpha)
{
	if (n < 2 || !(sd >= 0) || cb_signed_rank_min_p(n) > alpha)
		return INFINITY;
	return cb_mdc(sd * sqrt(M_PI / (3.0 * (double)n)), alpha, (double)n - 1);
}

#define MDC_SIM_DRAWS 400
#define MDC_SIM_STEPS 14

typedef struct signed_abs { double a; bool pos; } signed_abs;

static int signed_abs_cmp(const void *x, const void *y)
{
	double a = ((const signed_abs *)x)->a, b = ((const signed_abs *)y)->a;
	return (a > b) - (a < b);
}

/* The share of draws (deviations e with random signs, plus d) that the
 * exact test (its table cdf) finds above 0 at alpha. */
static double sim_power(const double *e, size_t n, double d, double alpha, const double *cdf, gsl_rng *rng,
                        signed_abs *buf)
{
	size_t m = n * (n + 1) / 2, found = 0;
	for (int k = 0; k < MDC_SIM_DRAWS; k++) {
		for (size_t i = 0; i < n; i++) {
			double x = d + (gsl_rng_uniform_int(rng, 2) ? e[i] : -e[i]);
			buf[i] = (signed_abs){ fabs(x), x > 0 };
		}
		qsort(buf, n, sizeof *buf, signed_abs_cmp);
		size_t w = 0;
		for (size_t i = 0; i < n; i++)
			w += buf[i].pos ? i + 1 : 0;
		double upper = w ? 1 - cdf[w - 1] : 1;   /* P(W+ >= w) */
		found += w * 2 > m && 2 * upper <= alpha;
	}
	return (double)found / MDC_SIM_DRAWS;
}

double cb_cmp_pairs_mdc_sim(const double *lr, size_t n, double alpha, unsigned long seed)
{
	if (n < 2 || n > CB_SIGNED_RANK_EXACT || cb_signed_rank_min_p(n) > alpha)
		return INFINITY;
	double est, lo, hi, spread = 0;
	cb_hodges_lehmann(lr, n, 0.5, &est, &lo, &hi);
	double *e = cb_xmalloc(n * sizeof *e), *cdf = cb_signed_rank_cdf(n);
	for (size_t i = 0; i < n; i++) {
		e[i] = lr[i] - est;
		spread = fmax(spread, fabs(e[i]));
	}
	signed_abs *buf = cb_xmalloc(n * sizeof *buf);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		abort();
	gsl_rng_set(rng, seed);
	/* Past the largest deviation every draw is positive: the test's
	 * floor decides, and it was checked above. */
	double a = 0, b = 2 * spread + 1e-9;
	for (int k = 0; k < MDC_SIM_STEPS; k++) {
		double mid = (a + b) / 2;
		if (sim_power(e, n, mid, alpha, cdf, rng, buf) >= CB_MDC_POWER)
			b = mid;
		else
			a = mid;
	}
	gsl_rng_free(rng);
	free(buf);
	free(cdf);
	free(e);
	return expm1(b);
}

/* The rounds' estimates pooled with the variance between pairs of
 * processes (row->tau2) added to each one's own: the estimate's standard
 * error (log), and the estimate into *est; NAN without rounds. */
static double random_effects_se(const cb_cmp_row *row, double *est)
{
	double sw = 0, swx = 0;
	for (size_t b = 0; b < row->nblocks; b++) {
		double w = 1 / (row->block_se[b] * row->block_se[b] + row->tau2);
		sw += w;
		swx += w * row->block_est[b];
	}
	*est = sw > 0 ? swx / sw : NAN;
	return sw > 0 ? 1 / sqrt(sw) : NAN;
}

/* p of the pairs' log ratios against log(factor): signed ranks, and where
 * the cell has rounds, the larger of that and the random-effects test's
 * p (a z test of the rounds' pooled estimate with the workload's
 * variance between pairs of processes): pairs within one pair of
 * processes share that pair's own difference, and a process of one side
 * can run a few percent off its twin for reasons of its own (graph.deps:
 * three pairs of processes of one build at -2.0%, -4.8% and -3.8%). */
static double test_pairs(cb_cmp_row *row, double factor)
{
	double *lr = log_ratios(row);
	size_t n = drop_wild(lr, row->nb);
	row->wild = row->nb - n;
	double p = cb_signed_rank_p(lr, n, log(factor)), sd = cb_robust_sd(lr, n), est;
	double se = random_effects_se(row, &est);
	if (isfinite(se) && se > 0)
		p = fmax(p, 2 * gsl_cdf_ugaussian_Q(fabs(est - log(factor)) / se));
	row->pairs = row->paired = true;
	row->test = "Wilcoxon signed-rank on log pair ratios";
	row->s2 = sd * sd;
	row->df = (double)row->nb - 1;
	free(lr);
	return p;
}

static void measure_row(cb_cmp_row *row, const cb_cmp_opts *o)
{
	const double *x, *y;
	row->rounds = use_rounds(row->base, row->new, o);
	choose_samples(row, o);
	samples(row, &x, &y);
	row->base_med = cb_median(x, row->nb);
	row->new_med = cb_median(y, row->nn);
	row->cv_base = cv_of(x, row->nb);
	row->cv_new = cv_of(y, row->nn);
	row->ratio = row->new_med / row->base_med;
	row->boot = cb_xmalloc((size_t)o->resamples * sizeof *row->boot);
	if (o->pairs && row_paired(row)) {
		measure_pairs(row, o);
		return;
	}
	cb_bootstrap_median_ratio(x, row->nb, y, row->nn, o->resamples, 1 - o->alpha,
	                          o->seed ^ hash_key(row->base->key), &row->lo, &row->hi, row->boot);
}

/* Smallest change the cell's test would find with CB_MDC_POWER at the
 * strictest per-cell level Holm may apply (alpha / m). */
static double min_detectable(const cb_cmp_row *row, double alpha_cell)
{
	if (row->nb < 2 || row->nn < 2 || !(row->df > 0) || isnan(row->s2))
		return INFINITY;
	if (row->pairs) {
		double *lr = log_ratios(row), est;
		double mdc = cb_cmp_pairs_mdc_sim(lr, drop_wild(lr, row->nb), alpha_cell, hash_key(row->base->key));
		free(lr);
		double se = random_effects_se(row, &est);
		if (isfinite(se) && se > 0)
			mdc = fmax(mdc, expm1((gsl_cdf_ugaussian_Qinv(alpha_cell / 2) + gsl_cdf_ugaussian_Pinv(CB_MDC_POWER)) * se));
		return mdc;
	}
	double spread = row->paired ? sqrt(row->s2 / (double)row->nb)
	                : sqrt(row->s2 * (1.0 / (double)row->nb + 1.0 / (double)row->nn));
	return cb_mdc(spread, alpha_cell, row->df);
}

static void judge_row(cb_cmp_row *row, const cb_cmp_opts *o, double factor)
{
	double r = row->ratio / factor;
	double worse = cb_cmp_lower_is_better(o->metric) ? r : 1 / r;
	double lim = 1 + o->threshold;
	bool sig = !isnan(row->p_adj) && row->p_adj <= o->alpha;
	/* Pairs: every pair of processes shows the change's direction, or a
	 * process that happened to run slower than its twin would pass for
	 * the code; other rows have one estimate, which is its own least.
	 * (Every pair of processes beyond the threshold asked more than 12
	 * pairs a process can give: a true +2% read +0.8% in one of three.) */
	bool lower = cb_cmp_lower_is_better(o->metric);
	double least_worse = row->pairs ? (lower ? row->block_lo / factor : factor / row->block_hi) : worse;
	double least_better = row->pairs ? (lower ? row->block_hi / factor : factor / row->block_lo) : worse;
	bool every_worse = least_worse > 1, every_better = least_better < 1;
	/* Processes that differ more than their repetitions: a change is
	 * the code's only when even its least pair of processes shows more
	 * of it than the processes differ among themselves. */
	if (row->pairs && row->disagree) {
		double spread = row->block_hi / row->block_lo - 1;
		every_worse = every_worse && least_worse - 1 > spread;
		every_better = every_better && 1 / least_better - 1 > spread;
	}
	if (sig && worse > lim && every_worse) {
		row->verdict = CB_VERDICT_REGRESSED;
		row->why = "significant, beyond threshold";
	} else if (sig && worse < 1 / lim && every_better) {
		row->verdict = CB_VERDICT_IMPROVED;
		row->why = "significant, beyond threshold";
	} else if (row->disagree) {
		/* Processes that differ more than their repetitions, in ways
		 * that leave the change's direction or size open. */
		row->verdict = CB_VERDICT_NOISY;
		row->why = "its pairs of measuring processes disagree beyond their repetitions' noise: the "
		           "processes differ more than their repetitions";
	} else if (sig && (worse > lim || worse < 1 / lim)) {
		row->verdict = CB_VERDICT_NOISY;
		row->why = "significant, but not in the same direction in every one of its pairs of measuring processes";
	} else if (isnan(row->p_adj)) {
		row->verdict = CB_VERDICT_NOISY;
		row->why = "too few samples to test";
	} else if (row->mdc > o->threshold) {
		row->verdict = CB_VERDICT_NOISY;
		row->why = "too noisy to see a change of the threshold's size";
	} else {
		row->verdict = CB_VERDICT_UNCHANGED;
		row->why = sig ? "significant, within threshold" : "no significant change";
	}
}

/* Did the run of `in` find a step in the machine's speed during itself,
 * in the workload of this cell (the label up to its first '/')? */
static bool changed_in(const cb_cmp_input *in, const char *label)
{
	size_t n = strcspn(label, "/");
	for (size_t i = 0; i < in->nchanges; i++)
		if (strlen(in->changes[i].workload) == n && !strncmp(in->changes[i].workload, label, n))
			return true;
	return false;
}

/* A cell whose workload's run changed speed under it: its rounds mix two
 * states of the machine, and a difference from the other file may be the
 * machine's. Not a verdict on the code. */
static void distrust_changed(const cb_cmp_result *r, cb_cmp_row *row)
{
	if (row->verdict != CB_VERDICT_REGRESSED && row->verdict != CB_VERDICT_IMPROVED)
		return;
	bool b = changed_in(r->base, row->base->label), n = changed_in(r->new, row->base->label);
	if (!b && !n)
		return;
	row->verdict = CB_VERDICT_NOISY;
	row->why = b && n ? "the machine changed speed during both runs (every cell of the workload at once)"
	           : b ? "the machine changed speed during BASE (every cell of the workload at once)"
	               : "the machine changed speed during NEW (every cell of the workload at once)";
}

/* Tests every row against base * factor, holds the family to alpha with
 * Holm, and judges. */
/* The variance between pairs of measuring processes: the DerSimonian-Laird
 * estimate pooled over cells (their Q beyond its k - 1 degrees of freedom
 * over their scale). A cell has three pairs of processes, too few to tell
 * its own; its workload's cells share what makes two processes differ
 * (files, memory layout), and so do those of its worker count more
 * closely: two processes contending for one counter differ by 5-35%
 * (sync.counter at 2 workers: three pairs of processes of one build at
 * +8.6%, +6.7% and +4.7%) where one alone differs by 1%. Each cell takes
 * the larger of its workload's and its workload-and-worker-count's.
 * The cells whose own estimate, (Q - (k - 1)) / scale, is in the top
 * tenth of the pool's are left out of it (none below 10 cells): such a
 * cell's processes disagree and it is noisy on its own account, and one
 * process of a Python workload that ran 20% slow for its whole life (py
 * primes under mpi, one rank of 57) otherwise set the variance of every
 * cell of its workload, whose MDC went to 8.7%: 5% more work was found in
 * none of 19 cells, 11 with the trim. */
#define TAU_TRIM_SHARE 10

/* Whether row b is in row a's pool (its workload's, or its workload's
 * at its worker count), and b's own estimate into *t. */
static bool in_pool(const cb_cmp_row *a, const cb_cmp_row *b, bool same_executors, double *t)
{
	const char *la = a->base->label;
	size_t len = strcspn(la, "/");
	if (b->nblocks < 2 || strncmp(b->base->label, la, len) || b->base->label[len] != '/' ||
	    (same_executors && b->base->executors != a->base->executors))
		return false;
	*t = b->block_c > 0 ? (b->block_q - (double)(b->nblocks - 1)) / b->block_c : 0;
	return true;
}

static double pooled_tau2(const cb_cmp_result *r, const cb_cmp_row *a, bool same_executors)
{
	double *t = cb_xmalloc((r->nrows + 1) * sizeof *t), excess = 0, scale = 0, top = INFINITY;
	size_t m = 0;
	for (size_t j = 0; j < r->nrows; j++)
		if (in_pool(a, &r->rows[j], same_executors, &t[m]))
			m++;
	size_t trim = m / TAU_TRIM_SHARE;
	if (trim) {
		cb_sort(t, m);
		top = t[m - trim];
	}
	size_t left = trim;   /* ties at the cut: leave out no more than trim */
	for (size_t j = 0; j < r->nrows; j++) {
		const cb_cmp_row *b = &r->rows[j];
		double tb;
		if (!in_pool(a, b, same_executors, &tb))
			continue;
		if (tb >= top && left) {
			left--;
			continue;
		}
		excess += b->block_q - (double)(b->nblocks - 1);
		scale += b->block_c;
	}
	free(t);
	return scale > 0 && excess > 0 ? excess / scale : 0;
}

static void pool_tau2(cb_cmp_result *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		r->rows[i].tau2 = fmax(pooled_tau2(r, &r->rows[i], false), pooled_tau2(r, &r->rows[i], true));
}

/* A cell whose processes differ no more than its workload's do (the
 * generalised Q with the workload's variance between pairs of processes)
 * is judged by the random-effects test, which counts that variance; only
 * one whose processes differ beyond it is held to the rule of its least
 * pair of processes (judge_row). */
static void disagree_beyond_workload(cb_cmp_row *row)
{
	if (row->disagree && row->nblocks >= 2 && row->tau2 > 0)
		row->disagree = rounds_q_beyond(rounds_q(row->block_est, row->block_se, row->nblocks, row->tau2, NULL),
		                                row->nblocks);
}

static void test_and_judge(cb_cmp_result *r, double factor)
{
	size_t n = r->nrows;
	pool_tau2(r);
	for (size_t i = 0; i < n; i++)
		disagree_beyond_workload(&r->rows[i]);
	double *p = cb_xmalloc((n + 1) * sizeof *p), *adj = cb_xmalloc((n + 1) * sizeof *adj);
	r->ntested = 0;
	for (size_t i = 0; i < n; i++) {
		r->rows[i].p = test_row(&r->rows[i], factor, &r->opts);
		p[i] = r->rows[i].p;
		r->ntested += !isnan(p[i]);
	}
	cb_cmp_holm(p, adj, n);
	double alpha_cell = r->opts.alpha / (double)(r->ntested ? r->ntested : 1);
	for (size_t i = 0; i < n; i++) {
		r->rows[i].p_adj = adj[i];
		r->rows[i].mdc = min_detectable(&r->rows[i], alpha_cell);
		/* Processes that disagree: no change smaller than their spread. */
		if (r->rows[i].disagree)
			r->rows[i].mdc = fmax(r->rows[i].mdc, r->rows[i].block_hi / r->rows[i].block_lo - 1);
		judge_row(&r->rows[i], &r->opts, factor);
		distrust_changed(r, &r->rows[i]);
	}
	free(p);
	free(adj);
}

/* Nearly every cell on the same side of 1 by a similar amount: what a change
 * of the machine's state between the two runs (frequency, thermal, a noisy
 * neighbour) looks like, and what a code change rarely does across
 * workloads of different kinds. */
static bool detect_shift(const cb_cmp_result *r, double *factor)
{
	size_t k = r->nrows;
	if (k < SHIFT_MIN_CELLS)
		return false;
	double *l = cb_xmalloc(k * sizeof *l), *dev = cb_xmalloc(k * sizeof *dev);
	for (size_t i = 0; i < k; i++)
		l[i] = log(r->rows[i].ratio);
	double med = cb_median(l, k);
	size_t same = 0;
	for (size_t i = 0; i < k; i++) {
		same += l[i] * (med > 0 ? 1 : -1) >= fabs(med) / 2;
		dev[i] = fabs(l[i] - med);
	}
	double mad = cb_median(dev, k);
	free(l);
	free(dev);
	bool shifted = fabs(med) >= log1p(r->opts.threshold) / 2 &&
	               (double)same >= ceil(SHIFT_SAME_SHARE * (double)k) &&
	               mad <= SHIFT_MAX_SPREAD * fabs(med);
	*factor = exp(med);
	return shifted;
}

/* Geometric mean of the ratios; its interval from the cells' bootstrap
 * resamples taken together (each cell's resamples are independent). */
static void geometric_mean(cb_cmp_result *r)
{
	size_t b = (size_t)r->opts.resamples;
	r->gm = r->gm_lo = r->gm_hi = NAN;
	if (!r->nrows)
		return;
	double sum = 0, *g = cb_xcalloc(b, sizeof *g);
	for (size_t i = 0; i < r->nrows; i++) {
		sum += log(r->rows[i].ratio);
		for (size_t j = 0; j < b; j++)
			g[j] += r->rows[i].boot[j] / (double)r->nrows;
	}
	gsl_sort(g, 1, b);
	r->gm = exp(sum / (double)r->nrows);
	r->gm_lo = exp(gsl_stats_quantile_from_sorted_data(g, 1, b, r->opts.alpha / 2));
	r->gm_hi = exp(gsl_stats_quantile_from_sorted_data(g, 1, b, 1 - r->opts.alpha / 2));
	free(g);
}

static void machine_warnings(cb_cmp_result *r)
{
	static const char *const fact[] = { "host", "cpu", "kernel", "governor", "topology" };
	for (int f = 0; f < CB_FACT_COUNT; f++) {
		const char *a = r->base->facts[f], *b = r->new->facts[f];
		if (a && b && strcmp(a, b))
			r->warnings[r->nwarnings++] = cb_xasprintf(
				"different machines: %s '%s' in BASE, '%s' in NEW; timings may not be comparable",
				fact[f], a, b);
	}
	const cb_cmp_input *side[2] = { r->base, r->new };
	for (int s = 0; s < 2; s++) {
		if (!side[s]->nchanges)
			continue;
		char list[512] = "";
		size_t off = 0;
		for (size_t i = 0; i < side[s]->nchanges && off < sizeof list; i++) {
			const cb_cmp_change *c = &side[s]->changes[i];
			off += (size_t)snprintf(list + off, sizeof list - off, "%s%s %.2fx %s from %.0f s", i ? ", " : "",
			                        c->workload, c->ratio >= 1 ? c->ratio : 1 / c->ratio,
			                        c->ratio >= 1 ? "slower" : "faster", c->at_s);
		}
		r->warnings[r->nwarnings++] = cb_xasprintf(
			"the machine changed speed during %s: %s (every cell of the workload at once); those "
			"cells are noisy, not regressed or improved: compare builds interleaved (docs/ci.md)",
			s ? "NEW" : "BASE", list);
	}
}

/* The smallest number of samples a side (pairs when paired) with which the
 * row's test would see a change of the threshold's size, its variance and
 * prior held: the df grow with n too. 0 when even 1000 would not. */
static double samples_needed(const cb_cmp_row *w, double alpha_cell, double threshold)
{
	if (!(w->s2 > 0) || !(w->df > 0))
		return 0;
	for (size_t n = 2; w->pairs && n <= 1000; n++)
		if (cb_cmp_pairs_mdc(sqrt(w->s2), n, alpha_cell) <= threshold)
			return (double)n;
	if (w->pairs)
		return 0;
	double own = w->paired ? (double)w->nb - 1 : (double)(w->nb + w->nn) - 2;
	for (double n = 2; n <= 1000; n++) {
		double d = w->paired ? n - 1 : 2 * n - 2, df = w->df - own + d;
		double spread = sqrt(w->s2 * (w->paired ? 1 / n : 2 / n));
		if (cb_mdc(spread, alpha_cell, df) <= threshold)
			return n;
	}
	return 0;
}

/* How many cells could not have seen a change of the threshold's size,
 * and the samples a side that would let half of them. */
static void power(cb_cmp_result *r)
{
	double *need = cb_xmalloc((r->nrows + 1) * sizeof *need), *mdc = cb_xmalloc((r->nrows + 1) * sizeof *mdc);
	double alpha_cell = r->opts.alpha / (double)(r->ntested ? r->ntested : 1);
	size_t k = 0, m = 0;
	r->underpowered = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		const cb_cmp_row *w = &r->rows[i];
		if (w->mdc <= r->opts.threshold)
			continue;
		r->underpowered++;
		if (isfinite(w->mdc))
			mdc[m++] = w->mdc;
		double n = samples_needed(w, alpha_cell, r->opts.threshold);
		need[k++] = n > 0 ? n : INFINITY;
	}
	r->needed_n = k ? cb_median(need, k) : NAN;
	if (!isfinite(r->needed_n))
		r->needed_n = NAN;
	r->underpowered_mdc = m ? cb_median(mdc, m) : INFINITY;
	free(need);
	free(mdc);
}

static void summarize(cb_cmp_result *r)
{
	size_t rounds = 0;
	r->set_aside = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		r->count[r->rows[i].verdict]++;
		rounds += r->rows[i].rounds;
		r->set_aside += r->rows[i].set_aside;
	}
	r->unit = rounds == r->nrows ? (r->nrows ? "rounds" : "repetitions")
	          : rounds ? "mixed" : "repetitions";
	if (r->opts.pairs)
		r->unit = "pairs";
	power(r);
	geometric_mean(r);
	machine_warnings(r);
}

static int check_opts(const cb_cmp_opts *o, cb_error *err)
{
	if (!(o->threshold >= 0) || o->threshold > 10)
		return cb_error_set(err, CB_EXIT_USAGE, "threshold %g%% is out of range (valid: 0 to 1000)",
		                    o->threshold * 100);
	if (!(o->alpha > 0 && o->alpha < 1))
		return cb_error_set(err, CB_EXIT_USAGE, "alpha %g is out of range (valid: 0 < alpha < 1)",
		                    o->alpha);
	if (o->resamples < 100 || o->resamples > 1000000)
		return cb_error_set(err, CB_EXIT_USAGE, "%d resamples is out of range (valid: 100 to 1000000)",
		                    o->resamples);
	return 0;
}

int cb_cmp_run(const cb_cmp_input *base, const cb_cmp_input *new, const cb_cmp_opts *o,
               cb_cmp_result **out, cb_error *err)
{
	if (check_opts(o, err))
		return -1;
	if (strcmp(base->format, new->format))
		return cb_error_set(err, CB_EXIT_USAGE, "%s is %s output and %s is %s output: compare "
		                    "needs the same kind on both sides (valid: two concbench results "
		                    "files, two Google Benchmark JSON files, or two hyperfine "
		                    "--export-json files)", base->path, base->format, new->path,
		                    new->format);
	cb_cmp_result *r = cb_xcalloc(1, sizeof *r);
	r->opts = *o;
	r->base = base;
	r->new = new;
	r->shift = 1;
	match_cells(r);
	adjust_for_probe(r);
	for (size_t i = 0; i < r->nrows; i++)
		measure_row(&r->rows[i], o);
	fit_priors(r);
	test_and_judge(r, 1);
	/* A and B ran milliseconds apart: a shift common to every cell is the
	 * code's (a compiler flag), not the machine's. */
	r->shifted = !o->pairs && detect_shift(r, &r->shift);
	if (r->shifted)
		test_and_judge(r, r->shift);
	else
		r->shift = 1;
	summarize(r);
	*out = r;
	return 0;
}

void cb_cmp_result_free(cb_cmp_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows; i++) {
		free(r->rows[i].boot);
		free(r->rows[i].x);
		free(r->rows[i].y);
		free(r->rows[i].adj_base);
		free(r->rows[i].adj_new);
	}
	for (size_t i = 0; i < r->nskips; i++)
		free(r->skips[i].owned);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->rows);
	free(r->skips);
	free(r);
}

int cb_cmp_exit_code(const cb_cmp_result *r, bool fail_any)
{
	if (r->count[CB_VERDICT_REGRESSED])
		return CB_EXIT_FAIL;
	if (fail_any && (r->count[CB_VERDICT_IMPROVED] || r->shifted || r->nskips))
		return CB_EXIT_FAIL;
	return CB_EXIT_OK;
}
