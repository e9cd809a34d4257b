/* The scaling laws measured results are held against: speedup, efficiency,
 * Amdahl (prediction and least-squares fit), Karp-Flatt, Gustafson, the
 * Universal Scalability Law fit, the I/O bound with Little's law, and the
 * per-worker-count verdict. Pure functions: no I/O, no globals. */
#ifndef CB_ANALYSIS_H
#define CB_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/common.h"
#include "base/stats.h"

/* S = t1 / tp; NAN when either time is not positive. */
double cb_speedup(double t1, double tp);
/* E = S / p; p is min(workers, usable PUs) for a measured cell. */
double cb_efficiency(double speedup, double p);
/* Amdahl: S(p) = 1 / (f + (1 - f) / p). */
double cb_amdahl_speedup(double f, double p);
/* Karp-Flatt: e(p) = (1/S - 1/p) / (1 - 1/p); NAN at p <= 1. Rising e(p)
 * means overhead that grows with p rather than a fixed serial part. */
double cb_karp_flatt(double speedup, double p);
/* Gustafson's prediction for weak scaling: S(p) = p - f (p - 1). */
double cb_gustafson_speedup(double f, double p);
/* The serial time of a job `scale` times the serial cell's, from that
 * cell's repetitions: per repetition wall + (scale - 1) x par, then the
 * median. Exact where the job grows only in its tasks (pre and post stay
 * as they are) and a scaled job runs each base task `scale` times, as weak
 * scaling does (see workload.h, pure_tasks). Scale 1 is the median wall
 * time itself. NAN with no repetitions. */
double cb_scaled_serial_s(const double *wall, const double *par, size_t n, double scale);
/* Measured scaled speedup: T_serial(the cell's job) / tp, with T_serial
 * from cb_scaled_serial_s. Not scale x t1 / tp: that scales the serial
 * phases too and overstates the speedup by Gustafson's serial share. */
double cb_scaled_speedup(double t_serial_scaled, double tp);
/* Rounds needed on both cells before a speedup is taken from paired rounds. */
#define CB_PAIRED_MIN_ROUNDS 3
/* The speedup of a cell against its serial cell from rounds run side by
 * side (the runner runs a workload's cells as one block in each round, so
 * round k of both saw the same state of the machine): the Hodges-Lehmann
 * estimate (the median of the Walsh averages) of log(base[k] / cell[k]),
 * over the rounds both have (the first min(nb, nc)),
 * leaving out a pair where either is NAN (a round or repetition that does
 * not count: measured at reduced capacity); into ratios[] when not NULL
 * (room for min(nb, nc)). Returns the number of pairs; 0, touching
 * nothing, with fewer than CB_PAIRED_MIN_ROUNDS pairs or a time not
 * positive (the speedup is then the ratio of the medians). The same
 * estimate gives the speedup of repetitions paired in one process
 * (serial_s beside wall_s). The median of the ratios would do as well
 * against a wild pair, but takes a third of its information from one pair
 * or two: over 10-20 runs of one cell, the Hodges-Lehmann estimate's
 * spread was the smaller in 10 of 15 cells (cpu.primes at 2 workers:
 * 1.37% against 1.05%, 1.45% against 1.18%). *lo and *hi (when not NULL) are the smallest and largest
 * ratio. */
size_t cb_paired_speedup(const double *base, size_t nb, const double *cell, size_t nc, double *s,
                         double *lo, double *hi, double *ratios);
/* The ideal speedup of a job `scale` times the base job, whose serial
 * fraction is f, on p PUs: (f + k (1 - f)) / (f + k (1 - f) / p). Scale 1
 * is Amdahl, scale p is Gustafson; an oversubscribed weak cell (scale above
 * its usable PUs) lies between. */
double cb_speedup_bound(double f, double scale, double p);
/* The serial fraction a measured speedup implies under the same model (the
 * bound solved for f): Karp-Flatt at scale 1, (p - S) / (p - 1) at scale p
 * (Gustafson's). NAN at p <= 1. */
double cb_karp_flatt_scaled(double speedup, double scale, double p);

typedef struct cb_amdahl_fit {
	double f;      /* serial fraction, clamped to [0, 1] */
	double se;     /* its standard error; NAN with a single informative point */
	size_t used;   /* points with p > 1 that carried information */
} cb_amdahl_fit;

/* Least-squares serial fraction from measured (p, S) points. */
int cb_amdahl_fit_points(const double *p, const double *s, size_t n,
                         cb_amdahl_fit *out, cb_error *err);
/* The same for scaled speedups (weak scaling, scale = p): Gustafson's
 * p - S = f (p - 1), least squares through the origin. */
int cb_gustafson_fit_points(const double *p, const double *s, size_t n,
                            cb_amdahl_fit *out, cb_error *err);

typedef struct cb_usl_fit {
	double alpha, beta, gamma;          /* contention, coherency, scale */
	double se_alpha, se_beta, se_gamma; /* NAN for a parameter held at its bound or with no dof */
	double r2;
	double peak_n;  /* sqrt((1 - alpha) / beta); INFINITY when beta == 0 or alpha >= 1 */
	double peak_x;  /* X(peak_n); INFINITY or gamma/alpha asymptote when unbounded */
	double sse;
} cb_usl_fit;

/* X(N) = gamma N / (1 + alpha (N - 1) + beta N (N - 1)). */
double cb_usl_eval(const cb_usl_fit *fit, double n);
/* Nonlinear least squares with alpha, beta >= 0; needs >= 3 distinct N. */
int cb_usl_fit_points(const double *n, const double *x, size_t k,
                      cb_usl_fit *out, cb_error *err);

/* Throughput ceiling of an I/O-bound cell: min(concurrency / latency,
 * cores / cpu_per_task). A cpu_per_task of 0 removes the CPU term. */
double cb_io_bound(double concurrency, double latency_s, double cores,
                   double cpu_per_task_s);

typedef struct cb_little {
	double implied;   /* throughput x latency: the concurrency Little's law sees */
	double ratio;     /* implied / concurrency; 1 when the numbers agree */
	bool consistent;  /* within tolerance */
} cb_little;

/* Little's law L = X W checked against the concurrency the cell asked for. */
cb_little cb_little_check(double concurrency, double throughput, double latency_s,
                          double tolerance);

/* One competitor at one worker count, by its wall-time statistics. */
typedef struct cb_timing {
	double median_s, min_s, max_s;
} cb_timing;

typedef struct cb_verdict {
	int best;          /* index of the fastest median; -1 with no candidate */
	int runner_up;     /* index of the second; -1 with a single candidate */
	double margin;     /* runner_up median / best median - 1 */
	bool beyond_noise; /* best's slowest repetition beat the runner-up's fastest */
} cb_verdict;

cb_verdict cb_verdict_pick(const cb_timing *t, size_t n);


#endif
