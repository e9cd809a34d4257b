/* compare: two results files in, one verdict per cell out. The readers turn a
 * concbench results.json or a Google Benchmark JSON file into samples of one
 * metric per cell; the statistics match cells, test them, and judge them;
 * the reporters print what was judged. Everything here is pure: only the
 * CLI (cmd_compare.c) prints errors and picks the exit code. */
#ifndef CB_COMPARE_H
#define CB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/common.h"
#include "base/stats.h"

typedef enum cb_metric {
	CB_METRIC_TIME,       /* wall seconds per repetition; lower is better */
	CB_METRIC_THROUGHPUT, /* tasks (items) per second; higher is better */
	CB_METRIC_CPU,        /* user + sys seconds per repetition; lower is better */
} cb_metric;

/* In the order reports list them: what a reader must act on first. */
typedef enum cb_verdict {
	CB_VERDICT_REGRESSED,
	CB_VERDICT_IMPROVED,
	CB_VERDICT_NOISY,
	CB_VERDICT_UNCHANGED,
	CB_VERDICT_COUNT
} cb_verdict;

/* Machine facts held side by side; a difference is a loud warning. */
enum { CB_FACT_HOST, CB_FACT_CPU, CB_FACT_KERNEL, CB_FACT_GOVERNOR, CB_FACT_TOPOLOGY,
       CB_FACT_COUNT };

/* One cell of one input, already in the chosen metric. */
typedef struct cb_cmp_cell {
	char *key;       /* identity for matching (workload, params, strategy, ...) */
	char *label;     /* what the user sees: the cell id, or the benchmark name */
	double *reps;    /* metric per repetition */
	size_t nreps;
	double *rounds;  /* metric per fresh-process round (its median), if any */
	size_t nrounds;
	char *failed;    /* why the cell has no usable result; NULL when it has */
	int executors;   /* workers x threads; 0 where the file does not say */
	struct cb_cmp_probe *probes; /* the speed probe before each round's repetitions */
	size_t nprobes;
} cb_cmp_cell;

/* One reading of the speed probe (results.json reps[].probe_ms): on PU
 * `pu`, before a repetition of round `round` (an index into rounds). */
typedef struct cb_cmp_probe {
	size_t round;
	int pu;
	double log_ms;
} cb_cmp_probe;

/* A step in the machine's speed that the run found during itself, in every
 * cell of one workload (results.json's machine_changes). */
typedef struct cb_cmp_change {
	char *workload;
	double at_s, ratio;
} cb_cmp_change;

typedef struct cb_cmp_input {
	char *path;
	const char *format;            /* "concbench" or "gbench" */
	char *facts[CB_FACT_COUNT];    /* NULL where the file does not say */
	cb_cmp_change *changes;
	size_t nchanges;
	cb_cmp_cell *cells;
	size_t ncells;
} cb_cmp_input;

/* Readers. `name` is the file name used in error messages. A cell that the
 * file marks as failed is kept with `failed` set, so that it is listed. */
int cb_cmp_input_parse(const char *name, const char *data, size_t len, cb_metric metric,
                       cb_cmp_input **out, cb_error *err);
int cb_cmp_input_load(const char *path, cb_metric metric, cb_cmp_input **out, cb_error *err);
void cb_cmp_input_free(cb_cmp_input *in);
/* Leaves parameter `name` out of every cell's identity, so that cells that
 * differ only in it match. */
void cb_cmp_input_ignore_param(cb_cmp_input *in, const char *name);

/* Baselines: named copies of a results file under results/baselines/. */
#define CB_BASELINE_DIR "results/baselines"
/* results/baselines/NAME.json (malloc'ed) once NAME is [A-Za-z0-9._-]+. */
int cb_baseline_path(const char *name, char **path, cb_error *err);
/* Checks that `file` is a results file, then copies it atomically. */
int cb_baseline_save(const char *name, const char *file, char **saved, cb_error *err);
/* Names of the saved baselines, sorted; *names and each name malloc'ed. */
int cb_baseline_list(char ***names, size_t *n, cb_error *err);
/* " (saved: a, b)" or " (none saved: ...)" after an unknown baseline's
 * name, to f. */
void cb_baseline_list_text(FILE *f);

typedef struct cb_cmp_opts {
	cb_metric metric;
	double threshold;    /* smallest change that matters, as a fraction (0.05) */
	double alpha;        /* family-wise error rate across all tested cells */
	unsigned long seed;  /* bootstrap seed: the same inputs give the same output */
	int resamples;       /* bootstrap resamples per cell */
	size_t min_rounds;   /* rounds needed on each side to use them as the unit */
	bool paired;         /* round k of BASE ran beside round k of NEW: test the ratios */
	bool no_adjust;      /* leave rounds as measured, without the speed probe's adjustment */
	bool pairs;          /* repetition k of BASE ran milliseconds from repetition k of NEW,
	                        on the same PUs (concbench ab): the unit is the pair, tested by
	                        Wilcoxon's signed-rank test on the pairs' log ratios */
} cb_cmp_opts;

/* The threshold under `pairs`: pairs taken milliseconds apart see about a
 * third of the noise of rounds taken seconds apart (docs/ab.md), so the
 * smallest change that matters is 1%, not 5%. */
#define CB_CMP_PAIRS_THRESHOLD 0.01

void cb_cmp_opts_default(cb_cmp_opts *o);

/* Pairs of measuring processes (rounds) a cell's pairs are read in. */
#define CB_CMP_MAX_BLOCKS 16
/* A/B pairs farther than this many robust sd, and this share, from their
 * cell's median log ratio: one side stalled (the host took its vCPU for
 * milliseconds), which says nothing of the code. */
#define CB_CMP_WILD_SD 5.0
#define CB_CMP_WILD_MIN 0.05

/* One matched cell. Ratios are new / base of the metric. */
typedef struct cb_cmp_row {
	const cb_cmp_cell *base, *new;
	bool rounds;               /* unit of replication: rounds, else repetitions */
	const char *test;          /* the test that gave p */
	size_t nb, nn;             /* samples per side in that unit */
	double base_med, new_med;
	double cv_base, cv_new;
	double ratio, lo, hi;      /* ratio of medians, bootstrap interval */
	double p, p_adj;           /* raw and Holm-adjusted p (NAN when untested) */
	double mdc;                /* smallest change detectable, fraction; INFINITY: none */
	double s2, df;             /* moderated variance of log samples, its df */
	bool paired;               /* tested on the log ratios of paired rounds */
	bool pairable;             /* --paired and as many rounds on both sides */
	bool pairs;                /* tested as A/B pairs (opts.pairs): s2 is the robust
	                              variance of the log ratios, df their count - 1 */
	bool disagree;             /* pairs: the cell's pairs of measuring processes (its
	                              rounds, as many pairs each) differ beyond their pairs'
	                              noise and their workload's variance between processes
	                              (the generalised Q); where the workload shows none,
	                              beyond their pairs' noise (Cochran's Q) or with
	                              disjoint intervals */
	double block_lo, block_hi; /* pairs: the smallest and largest estimate of a round */
	/* pairs: each round's estimate (log) and its standard error, their
	 * Cochran's Q and DerSimonian-Laird scale (sum w - sum w^2 / sum w);
	 * tau2: the variance between pairs of processes of the cell's
	 * workload, pooled over its cells. */
	size_t nblocks;
	double block_est[CB_CMP_MAX_BLOCKS], block_se[CB_CMP_MAX_BLOCKS];
	double block_q, block_c, tau2;
	size_t wild;               /* pairs: left out of the signed-rank test and its MDC
	                              as one side's hiccup (CB_CMP_WILD_SD robust sd and
	                              CB_CMP_WILD_MIN from the cell's median) */
	double *x, *y;             /* the samples tested (rounds set aside left out) */
	size_t set_aside;          /* rounds left out as slowed by interference */
	double prior_df, prior_s2; /* the moderation's prior, from the cell's workload */
	double *adj_base, *adj_new;/* rounds adjusted for the speed probe, or NULL */
	double slope;              /* of log round time on the probe, in the cell's group;
	                              NAN: not adjusted */
	cb_verdict verdict;
	const char *why;           /* one short reason for the verdict */
	double *boot;              /* bootstrap log ratios (internal) */
} cb_cmp_row;

/* A cell that could not be compared, and why. */
typedef struct cb_cmp_skip {
	const char *label;
	const char *why;           /* "only in BASE", "failed in NEW: ...", ... */
	char *owned;
} cb_cmp_skip;

typedef struct cb_cmp_result {
	cb_cmp_opts opts;
	const cb_cmp_input *base, *new;
	cb_cmp_row *rows;
	size_t nrows;
	cb_cmp_skip *skips;
	size_t nskips;
	size_t only_base, only_new;    /* how many of the skips are one-sided */
	size_t count[CB_VERDICT_COUNT];
	size_t ntested;                /* cells in the Holm family */
	double gm, gm_lo, gm_hi;       /* geometric mean of ratios and its interval */
	bool shifted;                  /* nearly all cells moved alike: machine state */
	double shift;                  /* that common ratio; cells judged against it */
	const char *unit;              /* "rounds", "repetitions" or "mixed" */
	size_t underpowered;           /* cells whose MDC exceeds the threshold */
	size_t set_aside;              /* rounds set aside as slowed by interference, all cells */
	size_t adjusted;               /* cells whose rounds the speed probe adjusted */
	double slope_max;              /* the largest slope of a group, and its group */
	char slope_group[96];
	double underpowered_mdc;       /* their median MDC (INFINITY: untestable) */
	double needed_n;               /* samples a side that would let half of them see it */
	char *warnings[CB_FACT_COUNT + 4];
	size_t nwarnings;
} cb_cmp_result;

int cb_cmp_run(const cb_cmp_input *base, const cb_cmp_input *new, const cb_cmp_opts *o,
               cb_cmp_result **out, cb_error *err);
void cb_cmp_result_free(cb_cmp_result *r);
/* Exit status for CI: 1 when a cell regressed; with fail_any also when one
 * improved, the machine's state changed, or a cell was not compared. */
int cb_cmp_exit_code(const cb_cmp_result *r, bool fail_any);

/* Reporters: pure functions of the result. */
void cb_cmp_report_text(FILE *f, const cb_cmp_result *r);
void cb_cmp_report_md(FILE *f, const cb_cmp_result *r);
int cb_cmp_report_json(FILE *f, const cb_cmp_result *r);
/* Chart data for plots/compare.gp: index, ratio, lo, hi, verdict, label. */
void cb_cmp_chart_data(FILE *f, const cb_cmp_result *r);
const char *cb_cmp_verdict_name(cb_verdict v);
const char *cb_cmp_metric_name(cb_metric m);
int cb_cmp_metric_parse(const char *s, cb_metric *m);
bool cb_cmp_lower_is_better(cb_metric m);

/* The statistics, exported for the tests. */
/* The prior of the moderated t (limma's fitFDist): from n cells' variances
 * s2[i] with d[i] degrees of freedom, the prior df d0 and variance s02 by
 * the method of moments on log s2. Fewer than 3 usable cells: d0 = 0 (no
 * moderation). d0 is capped at the df of all cells together. */
void cb_cmp_prior(const double *s2, const double *d, size_t n, double *d0, double *s02);
/* Two-sided p of mean(ly) - mean(lx) - shift with the pooled variance of lx
 * and ly moderated by the prior (d0 = 0: Student's t with equal variances);
 * *s2_post and *df: the variance and degrees of freedom it used. */
double cb_cmp_moderated_t(const double *lx, size_t nx, const double *ly, size_t ny, double shift,
                          double d0, double s02, double *s2_post, double *df);
/* The same for one sample: p of mean(d) - shift (paired differences). */
double cb_cmp_moderated_t1(const double *d, size_t n, double shift, double d0, double s02,
                           double *s2_post, double *df);
/* The MDC of n A/B pairs whose log ratios have robust sd `sd`, at per-cell
 * level alpha: the signed-rank test's normal approximation (the
 * Hodges-Lehmann estimate's variance, pi sd^2 / 3n, for normal noise);
 * INFINITY when no result of n pairs can reach alpha (2^(1-n) > alpha). */
double cb_cmp_pairs_mdc(double sd, size_t n, double alpha);
/* The MDC of the pairs' own log ratios lr[n], by simulation: their
 * deviations from their Hodges-Lehmann centre, each given a random sign
 * (the symmetry the signed-rank test assumes), shifted by d; the smallest
 * d whose draws the test finds at alpha in CB_MDC_POWER of them. A few
 * wild pairs among steady ones cost the rank test more than their robust
 * sd says. Seeded: the same pairs give the same MDC. */
double cb_cmp_pairs_mdc_sim(const double *lr, size_t n, double alpha, unsigned long seed);
/* Holm's step-down adjustment of m p-values (NAN entries are left out). */
void cb_cmp_holm(const double *p, double *adj, size_t m);

#endif
