/* Scaling series: the cells of one workload, parameter set and strategy
 * (plus whatever else holds still: pin, schedule, threads per process),
 * ordered by load, with speedup, efficiency, Amdahl, Karp-Flatt and the
 * USL fit computed once for analyze, plot and report alike. */
#ifndef CB_SERIES_H
#define CB_SERIES_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/analysis.h"
#include "resultfile/read.h"

typedef struct cb_point {
	double n;               /* load: workers x threads, concurrency for I/O */
	double p;               /* processors it may use: min(n, usable PUs); n for I/O, CSV */
	double x, x_lo, x_hi;   /* throughput (tasks/s) or the CSV's X; lo/hi from max/min time */
	double speedup, speedup_lo, speedup_hi;  /* against the baseline */
	double self_speedup;    /* against the same series at n = 1 */
	double efficiency;
	double amdahl;          /* the ideal: Amdahl, Gustafson under weak scaling (cb_speedup_bound) */
	double karp_flatt;      /* the serial fraction the speedup implies, by the same law */
	double scale;           /* the job is `scale` times the serial one (weak scaling), else 1 */
	double bound;           /* the ideal from the measured serial fraction only; NAN */
	/* The guard's speedup: the lower end of the 99% bootstrap interval of
	 * the speedup (of the median of the paired rounds' ratios, else of the
	 * serial cell's median time over this cell's: the baseline is measured
	 * too); speedup_lo when the job was scaled. above_bound: even that
	 * beats `bound`. */
	double guard_speedup;
	bool above_bound;
	size_t paired_rounds;   /* speedup from this many paired rounds (cb_paired_speedup); 0: not */
	const cb_rcell *cell;   /* NULL for CSV points */
} cb_point;

typedef struct cb_series {
	char *label;            /* "cpu.primes/threads", qualified only where needed */
	char *short_name;       /* "threads", "coroutines/w1": unique within its workload */
	const char *workload, *strategy, *kind;
	const char *params;     /* "" for CSV */
	char *qualifier;        /* "/w1/compact": what else holds still; NULL for CSV */
	cb_point *pts;
	size_t npts;
	double x_base;          /* the X that speedup 1 stands for */
	const cb_rcell *base_cell;  /* the serial cell speedup is derived from; NULL */
	const char *baseline;   /* what x_base is: "serial", "n=1", "USL gamma" */
	double f_measured;      /* serial fraction measured on the serial cell; NAN */
	bool weak;              /* Gustafson: speedup is scaled speedup */
	bool has_usl;
	cb_usl_fit usl;
	bool has_amdahl;
	cb_amdahl_fit amdahl;
	char usl_note[200];     /* why there is no USL fit */
} cb_series;

typedef struct cb_series_set {
	cb_series *s;
	size_t n;
} cb_series_set;

/* Cells with an error (wrong checksum, crashed worker) are left out: a
 * wrong answer measures nothing. */
int cb_series_from_doc(const cb_rdoc *doc, cb_series_set *out, cb_error *err);
/* One series from N,X pairs (sorted, distinct, > 0). */
int cb_series_from_points(const char *name, const double *n, const double *x, size_t k,
                          cb_series_set *out, cb_error *err);
void cb_series_set_free(cb_series_set *set);

/* A point whose speedup is above the bound its measured serial fraction
 * implies by more than its interval (Amdahl; Gustafson under weak
 * scaling): a sentence saying so, malloc'ed, or NULL. I/O cells are judged
 * by throughput, not by this bound. */
char *cb_point_bound_warning(const cb_series *s, const cb_point *p);
/* One executor cannot beat the serial baseline by more than this: an
 * efficiency above it at one worker is a measurement problem (a job too
 * short for the baseline's own overheads, a machine that changed speed
 * between the two cells), not a result. */
#define CB_N1_EFFICIENCY_LIMIT 1.1
bool cb_point_implausible(const cb_series *s, const cb_point *p);
/* The sentence for such a point (malloc'ed), or NULL. */
char *cb_point_implausible_warning(const cb_series *s, const cb_point *p);
/* Those sentences for every point of the set; *out malloc'ed, each too. */
size_t cb_series_bound_warnings(const cb_series_set *set, char ***out);

/* The serial fraction the Amdahl column and curve use: measured when the
 * file has it, fitted otherwise; NAN when neither. */
double cb_series_f(const cb_series *s);

#endif
