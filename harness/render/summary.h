/* The answer first: the whole run as one table of workloads x strategies
 * at each strategy's largest worker count (efficiency, or throughput for
 * I/O), the best model per workload with whether its lead is beyond noise,
 * and per workload the main reason the best parallel model falls short of
 * ideal, read from the data: serial fraction, imbalance, start cost or
 * contention. Pure: the report and the heat-map chart both draw it. */
#ifndef CB_SUMMARY_H
#define CB_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/series.h"

typedef struct cb_summary_row {
	char *workload;          /* the group's name: "cpu.primes", "cpu.primes[n=10]" */
	bool io;                 /* value is throughput (tasks/s), else efficiency */
	double *value;           /* [ncols], NAN where the strategy did not run */
	double *n;               /* [ncols], the load the value is at */
	double *rel;             /* [ncols], the heat-map colour: efficiency, or
	                            throughput / the row's best */
	const char **series;     /* [ncols], the series shown (the best of its
	                            strategy's, "coroutines/c48"), or NULL */
	const char *best;        /* the fastest model (its best cell), or NULL */
	double best_n;           /* its load there */
	const char *runner_up;   /* NULL with one model */
	double margin;           /* runner-up median / best median - 1 */
	bool beyond_noise;       /* the min-max ranges do not overlap */
	bool best_implausible;   /* the best cell's efficiency at one worker is above
	                            CB_N1_EFFICIENCY_LIMIT: a measurement problem */
	double best_efficiency;
	char *reason;            /* one line: why the best parallel model falls short */
} cb_summary_row;

typedef struct cb_summary {
	char **cols;             /* strategies, in order met */
	size_t ncols;
	cb_summary_row *rows;
	size_t nrows;
} cb_summary;

void cb_summary_build(const cb_series_set *set, cb_summary *out);
void cb_summary_free(cb_summary *s);
/* One row as one line, the answer `run` and `report` end with: the best
 * model and its load, its lead and whether it is beyond noise, and the
 * main loss of the best parallel model (malloc'ed). */
char *cb_summary_answer(const cb_summary_row *r);
/* " (efficiency 1.21 at one worker, above 1.1: a measurement problem, not
 * a result)", for a row whose best_implausible is set (malloc'ed). */
char *cb_summary_implausible(const cb_summary_row *r);

#endif
