/* compare, the statistics: match the cells of two inputs, put a bootstrap
 * interval on each ratio of medians, test each cell, hold the family of tests
 * to one error rate (Holm), and judge. Also notices when nearly every cell
 * moved alike, which is the machine changing rather than the code. */
#include "compare.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* Below this many samples on a side, Mann-Whitney's exact distribution is
 * cheap and R's wilcox.test uses it too; above it the normal approximation is
 * accurate. */
#define EXACT_MAX 50
/* Power at which the minimum detectable change is stated. */
#define MDC_POWER 0.8
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

static double *sorted_copy(const double *x, size_t n)
{
	double *s = cb_xmalloc(n * sizeof *s);
	memcpy(s, x, n * sizeof *s);
	gsl_sort(s, 1, n);
	return s;
}

double cb_cmp_median(const double *x, size_t n)
{
	if (!n)
		return NAN;
	double *s = sorted_copy(x, n);
	double m = gsl_stats_median_from_sorted_data(s, 1, n);
	free(s);
	return m;
}

static double cv_of(const double *x, size_t n)
{
	if (n < 2)
		return NAN;
	double mean = gsl_stats_mean(x, 1, n);
	return mean > 0 ? gsl_stats_sd_m(x, 1, n, mean) / mean : NAN;
}

/* Sample standard deviation of log values pooled over both sides: the
 * relative noise that decides how small a change the test can see. */
static double pooled_log_sd(const double *x, size_t nx, const double *y, size_t ny)
{
	if (nx + ny < 3)
		return NAN;
	double ss = 0;
	const double *v[2] = { x, y };
	size_t n[2] = { nx, ny };
	for (int s = 0; s < 2; s++) {
		double mean = 0;
		for (size_t i = 0; i < n[s]; i++)
			mean += log(v[s][i]);
		mean /= (double)n[s];
		for (size_t i = 0; i < n[s]; i++)
			ss += (log(v[s][i]) - mean) * (log(v[s][i]) - mean);
	}
	return sqrt(ss / (double)(nx + ny - 2));
}

/* ---- tests ----------------------------------------------------------- */

/* P(U = u) for sample sizes m and n with no ties, u in [0, m*n]. The largest
 * of the m+n values belongs to the first sample with probability m/(m+n)
 * and then beats all n of the other, which gives the recurrence
 * p[m][n](u) = m/(m+n) p[m-1][n](u-n) + n/(m+n) p[m][n-1](u); working in
 * probabilities rather than counts keeps every term positive and in range. */
static double *mw_exact_pmf(size_t m, size_t n)
{
	size_t len = m * n + 1;
	double *prev = cb_xcalloc((n + 1) * len, sizeof *prev);
	double *cur = cb_xcalloc((n + 1) * len, sizeof *cur);
	for (size_t j = 0; j <= n; j++)
		prev[j * len] = 1;
	for (size_t i = 1; i <= m; i++) {
		memset(cur, 0, (n + 1) * len * sizeof *cur);
		cur[0] = 1;
		for (size_t j = 1; j <= n; j++) {
			double a = (double)i / (double)(i + j), b = (double)j / (double)(i + j);
			for (size_t u = 0; u <= i * j; u++) {
				double v = 0;
				if (u >= j)
					v += a * prev[j * len + u - j];
				v += b * cur[(j - 1) * len + u];
				cur[j * len + u] = v;
			}
		}
		double *t = prev;
		prev = cur;
		cur = t;
	}
	double *pmf = cb_xmalloc(len * sizeof *pmf);
	memcpy(pmf, prev + n * len, len * sizeof *pmf);
	free(prev);
	free(cur);
	return pmf;
}

static double mw_exact_p(size_t nx, size_t ny, double u)
{
	double *pmf = mw_exact_pmf(nx, ny);
	double lo = 0, hi = 0;
	for (size_t k = 0; k <= nx * ny; k++) {
		if ((double)k <= u + 1e-9)
			lo += pmf[k];
		if ((double)k >= u - 1e-9)
			hi += pmf[k];
	}
	free(pmf);
	double p = 2 * (lo < hi ? lo : hi);
	return p < 1 ? p : 1;
}

typedef struct ranked {
	double v;
	int side;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
	double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
	return (x > y) - (x < y);
}

/* Rank sum of x (mid-ranks for ties) and sum(t^3 - t) over tie groups. */
static double rank_sum(const double *x, size_t nx, const double *y, size_t ny, double *ties)
{
	size_t n = nx + ny;
	ranked *r = cb_xmalloc(n * sizeof *r);
	for (size_t i = 0; i < nx; i++)
		r[i] = (ranked){ x[i], 0 };
	for (size_t i = 0; i < ny; i++)
		r[nx + i] = (ranked){ y[i], 1 };
	qsort(r, n, sizeof *r, ranked_cmp);
	double rx = 0;
	*ties = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && r[j + 1].v == r[i].v)
			j++;
		double t = (double)(j - i + 1), mid = (double)(i + j) / 2 + 1;
		*ties += t * t * t - t;
		for (size_t k = i; k <= j; k++)
			if (r[k].side == 0)
				rx += mid;
		i = j + 1;
	}
	free(r);
	return rx;
}

double cb_cmp_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                           double *u_out, bool *exact_out)
{
	double ties, u = rank_sum(x, nx, y, ny, &ties) - (double)nx * (double)(nx + 1) / 2;
	bool exact = nx < EXACT_MAX && ny < EXACT_MAX && ties == 0;
	double p;
	if (u_out)
		*u_out = u;
	if (exact_out)
		*exact_out = exact;
	if (!nx || !ny)
		return 1;
	if (exact)
		return mw_exact_p(nx, ny, u);
	double n = (double)(nx + ny), mn = (double)nx * (double)ny;
	double var = mn / 12 * ((n + 1) - ties / (n * (n - 1)));
	if (!(var > 0))
		return 1;
	double z = u - mn / 2;
	z = (z - (z > 0 ? 0.5 : z < 0 ? -0.5 : 0)) / sqrt(var);
	p = 2 * gsl_cdf_ugaussian_Q(fabs(z));
	return p < 1 ? p : 1;
}

double cb_cmp_welch(const double *x, size_t nx, const double *y, size_t ny)
{
	if (nx < 2 || ny < 2)
		return NAN;
	double mx = gsl_stats_mean(x, 1, nx), my = gsl_stats_mean(y, 1, ny);
	double vx = gsl_stats_variance_m(x, 1, nx, mx) / (double)nx;
	double vy = gsl_stats_variance_m(y, 1, ny, my) / (double)ny;
	double se2 = vx + vy;
	if (!(se2 > 0))
		return mx == my ? 1 : 0;
	double t = (my - mx) / sqrt(se2);
	double df = se2 * se2 / (vx * vx / (double)(nx - 1) + vy * vy / (double)(ny - 1));
	return 2 * gsl_cdf_tdist_Q(fabs(t), df);
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

static double resampled_median(gsl_rng *rng, const double *x, size_t n, double *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = x[gsl_rng_uniform_int(rng, n)];
	gsl_sort(buf, 1, n);
	return gsl_stats_median_from_sorted_data(buf, 1, n);
}

void cb_cmp_bootstrap(const double *x, size_t nx, const double *y, size_t ny, int resamples,
                      double level, unsigned long seed, double *lo, double *hi, double *boot)
{
	size_t b = resamples > 0 ? (size_t)resamples : 1;
	double *lr = cb_xmalloc(b * sizeof *lr);
	double *buf = cb_xmalloc((nx > ny ? nx : ny) * sizeof *buf + 1);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		abort();
	gsl_rng_set(rng, seed);
	for (size_t i = 0; i < b; i++) {
		double mx = resampled_median(rng, x, nx, buf);
		double my = resampled_median(rng, y, ny, buf);
		lr[i] = log(my / mx);
	}
	if (boot)
		memcpy(boot, lr, b * sizeof *lr);
	gsl_sort(lr, 1, b);
	*lo = exp(gsl_stats_quantile_from_sorted_data(lr, 1, b, (1 - level) / 2));
	*hi = exp(gsl_stats_quantile_from_sorted_data(lr, 1, b, 1 - (1 - level) / 2));
	gsl_rng_free(rng);
	free(buf);
	free(lr);
}

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
	r->skips = realloc(r->skips, (r->nskips + 1) * sizeof *r->skips);
	if (!r->skips)
		abort();
	r->skips[r->nskips++] = (cb_cmp_skip){ label, owned ? owned : why, owned };
}

static bool all_positive(const double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(x[i] > 0) || !isfinite(x[i]))
			return false;
	return true;
}

static bool use_rounds(const cb_cmp_cell *b, const cb_cmp_cell *n, size_t min_rounds)
{
	return b->nrounds >= min_rounds && n->nrounds >= min_rounds;
}

/* Why a matched pair cannot be compared, or NULL (owned string). */
static char *pair_problem(const cb_cmp_cell *b, const cb_cmp_cell *n, const cb_cmp_opts *o)
{
	if (b->failed)
		return cb_xasprintf("failed in BASE: %s", b->failed);
	if (n->failed)
		return cb_xasprintf("failed in NEW: %s", n->failed);
	bool rounds = use_rounds(b, n, o->min_rounds);
	const cb_cmp_cell *c[2] = { b, n };
	for (int s = 0; s < 2; s++) {
		size_t cnt = rounds ? c[s]->nrounds : c[s]->nreps;
		if (!cnt)
			return cb_xasprintf("no samples in %s", s ? "NEW" : "BASE");
		if (!all_positive(rounds ? c[s]->rounds : c[s]->reps, cnt))
			return cb_xasprintf("zero or negative %s in %s", cb_cmp_metric_name(o->metric),
			                    s ? "NEW" : "BASE");
	}
	return NULL;
}

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
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

static void samples(const cb_cmp_row *row, const double **x, const double **y)
{
	*x = row->rounds ? row->base->rounds : row->base->reps;
	*y = row->rounds ? row->new->rounds : row->new->reps;
}

/* p of new against base scaled by `factor` (1: no change expected). */
static double test_row(cb_cmp_row *row, double factor)
{
	const double *x, *y;
	samples(row, &x, &y);
	if (row->nb < 2 || row->nn < 2)
		return NAN;
	double *xs = cb_xmalloc(row->nb * sizeof *xs), *ly = cb_xmalloc(row->nn * sizeof *ly);
	double p;
	if (row->rounds) {
		for (size_t i = 0; i < row->nb; i++)
			xs[i] = log(x[i] * factor);
		for (size_t i = 0; i < row->nn; i++)
			ly[i] = log(y[i]);
		p = cb_cmp_welch(xs, row->nb, ly, row->nn);
		row->test = "Welch t on log rounds";
	} else {
		bool exact;
		for (size_t i = 0; i < row->nb; i++)
			xs[i] = x[i] * factor;
		p = cb_cmp_mann_whitney(xs, row->nb, y, row->nn, NULL, &exact);
		row->test = exact ? "Mann-Whitney U, exact" : "Mann-Whitney U, normal approx.";
	}
	free(xs);
	free(ly);
	return p;
}

static void measure_row(cb_cmp_row *row, const cb_cmp_opts *o)
{
	const double *x, *y;
	row->rounds = use_rounds(row->base, row->new, o->min_rounds);
	row->nb = row->rounds ? row->base->nrounds : row->base->nreps;
	row->nn = row->rounds ? row->new->nrounds : row->new->nreps;
	samples(row, &x, &y);
	row->base_med = cb_cmp_median(x, row->nb);
	row->new_med = cb_cmp_median(y, row->nn);
	row->cv_base = cv_of(x, row->nb);
	row->cv_new = cv_of(y, row->nn);
	row->ratio = row->new_med / row->base_med;
	row->boot = cb_xmalloc((size_t)o->resamples * sizeof *row->boot);
	cb_cmp_bootstrap(x, row->nb, y, row->nn, o->resamples, 1 - o->alpha,
	                 o->seed ^ hash_key(row->base->key), &row->lo, &row->hi, row->boot);
	row->test = "none (fewer than 2 samples)";
	row->p = test_row(row, 1);
}

/* Smallest change the cell's test would find with MDC_POWER at the
 * strictest per-cell level Holm may apply (alpha / m). */
static double min_detectable(const cb_cmp_row *row, double alpha_cell)
{
	const double *x, *y;
	samples(row, &x, &y);
	if (row->nb < 2 || row->nn < 2)
		return INFINITY;
	double s = pooled_log_sd(x, row->nb, y, row->nn);
	double spread = s * sqrt(1.0 / (double)row->nb + 1.0 / (double)row->nn);
	if (row->rounds) {
		double df = (double)(row->nb + row->nn - 2);
		return expm1((gsl_cdf_tdist_Qinv(alpha_cell / 2, df) +
		              gsl_cdf_tdist_Pinv(MDC_POWER, df)) * spread);
	}
	/* Even total separation cannot reach alpha_cell with too few samples. */
	if (log(2) - gsl_sf_lnchoose((unsigned)(row->nb + row->nn), (unsigned)row->nb) >
	    log(alpha_cell))
		return INFINITY;
	/* Mann-Whitney's efficiency against the t test is 3/pi for normal data. */
	return expm1((gsl_cdf_ugaussian_Qinv(alpha_cell / 2) + gsl_cdf_ugaussian_Pinv(MDC_POWER)) *
	             spread / sqrt(3 / M_PI));
}

static void judge_row(cb_cmp_row *row, const cb_cmp_opts *o, double factor)
{
	double r = row->ratio / factor;
	double worse = cb_cmp_lower_is_better(o->metric) ? r : 1 / r;
	double lim = 1 + o->threshold;
	bool sig = !isnan(row->p_adj) && row->p_adj <= o->alpha;
	if (isnan(row->p_adj)) {
		row->verdict = CB_VERDICT_NOISY;
		row->why = "too few samples to test";
	} else if (sig && worse > lim) {
		row->verdict = CB_VERDICT_REGRESSED;
		row->why = "significant, beyond threshold";
	} else if (sig && worse < 1 / lim) {
		row->verdict = CB_VERDICT_IMPROVED;
		row->why = "significant, beyond threshold";
	} else if (row->mdc > o->threshold) {
		row->verdict = CB_VERDICT_NOISY;
		row->why = "too noisy to see a change of the threshold's size";
	} else {
		row->verdict = CB_VERDICT_UNCHANGED;
		row->why = sig ? "significant, within threshold" : "no significant change";
	}
}

/* Tests every row against base * factor (the rows already hold p for a
 * factor of 1), holds the family to alpha with Holm, and judges. */
static void test_and_judge(cb_cmp_result *r, double factor)
{
	size_t n = r->nrows;
	double *p = cb_xmalloc((n + 1) * sizeof *p), *adj = cb_xmalloc((n + 1) * sizeof *adj);
	r->ntested = 0;
	for (size_t i = 0; i < n; i++) {
		if (factor != 1)
			r->rows[i].p = test_row(&r->rows[i], factor);
		p[i] = r->rows[i].p;
		r->ntested += !isnan(p[i]);
	}
	cb_cmp_holm(p, adj, n);
	double alpha_cell = r->opts.alpha / (double)(r->ntested ? r->ntested : 1);
	for (size_t i = 0; i < n; i++) {
		r->rows[i].p_adj = adj[i];
		r->rows[i].mdc = min_detectable(&r->rows[i], alpha_cell);
		judge_row(&r->rows[i], &r->opts, factor);
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
	double med = cb_cmp_median(l, k);
	size_t same = 0;
	for (size_t i = 0; i < k; i++) {
		same += l[i] * (med > 0 ? 1 : -1) >= fabs(med) / 2;
		dev[i] = fabs(l[i] - med);
	}
	double mad = cb_cmp_median(dev, k);
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
	if (strcmp(r->base->format, r->new->format))
		r->warnings[r->nwarnings++] = cb_xasprintf(
			"BASE is %s JSON and NEW is %s JSON: their cells cannot match",
			r->base->format, r->new->format);
	for (int f = 0; f < CB_FACT_COUNT; f++) {
		const char *a = r->base->facts[f], *b = r->new->facts[f];
		if (a && b && strcmp(a, b))
			r->warnings[r->nwarnings++] = cb_xasprintf(
				"different machines: %s '%s' in BASE, '%s' in NEW; timings may not be comparable",
				fact[f], a, b);
	}
}

static void summarize(cb_cmp_result *r)
{
	size_t rounds = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		r->count[r->rows[i].verdict]++;
		rounds += r->rows[i].rounds;
	}
	r->unit = rounds == r->nrows ? (r->nrows ? "rounds" : "repetitions")
	          : rounds ? "mixed" : "repetitions";
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
	cb_cmp_result *r = cb_xcalloc(1, sizeof *r);
	r->opts = *o;
	r->base = base;
	r->new = new;
	r->shift = 1;
	match_cells(r);
	for (size_t i = 0; i < r->nrows; i++)
		measure_row(&r->rows[i], o);
	test_and_judge(r, 1);
	r->shifted = detect_shift(r, &r->shift);
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
	for (size_t i = 0; i < r->nrows; i++)
		free(r->rows[i].boot);
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
