/* The one reader of results.json (see results/README.md), for analyze,
 * plot, report, compare, baseline and merge: the document into a flat view
 * of its cells, with the samples of every repetition and round. Also a CSV
 * of `N,X` rows from any source for analyze. Every input problem is a
 * CB_EXIT_USAGE error naming the file and the JSON path (typed field
 * access, file.h); fields added later within version 1 are ignored. */
#ifndef CB_RESULTS_READ_H
#define CB_RESULTS_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/build.h"
#include "base/common.h"
#include "resultfile/file.h"

/* One cell; strings point into the document's JSON tree. Times in seconds,
 * NAN where the file has null or nothing. */
typedef struct cb_rcell {
	const char *id, *workload, *kind, *strategy, *pin, *schedule, *error;
	const char *skipped;   /* why the cell never ran, or NULL */
	char *params;          /* "k=v;k=v", sorted by key; owned */
	int workers, concurrency, threads, usable_pus;
	bool oversubscribed, checksum_ok;
	double median_s, min_s, max_s, cv;
	double throughput;     /* tasks/s at the median */
	double serial_fraction;
	long ntasks;
	int scale;             /* the job's weak-scaling factor; 0 when the file has none */
	size_t nreps;
	double pre_s, par_s, post_s;  /* medians over the repetitions */
	double cpu_s;                 /* median user + sys per repetition */
	long migrations;              /* most in one repetition; -1 when unknown */
	double lat_p50, lat_p90, lat_p99, lat_max;
	bool has_ntasks;              /* the file names the task count */
	bool baseline;                /* the T1 cell of its job (speedup's base) */
	double *wall, *user, *sys;    /* per repetition; user and sys NAN if absent */
	double *par;                  /* per repetition; NAN if absent */
	double *serial;               /* per repetition: its paired serial
	                                 repetition's wall time, NAN if none */
	double *rounds;               /* median wall time of each round */
	bool *round_reduced;          /* per round: none of its repetitions had
	                                 full capacity (rounds_reduced) */
	size_t nrounds;
	size_t reps_in_file;          /* reps[] as written: nreps leaves out those
	                                 at reduced capacity when others were not */
	const json_t *json;           /* the cell in the document */
} cb_rcell;

typedef struct cb_rdoc {
	json_t *root;
	const char *path;
	const json_t *machine;  /* NULL when the file has none */
	const char *host, *kernel, *cpu_model, *clocksource, *governor, *created;
	double loadavg1;       /* NAN when unknown */
	double runnable_others; /* tasks runnable besides concbench at the start; NAN when unknown */
	double page_fault_us;  /* what a first touch of a page cost at the start; NAN when unknown */
	bool free_page_reporting; /* a balloon hands freed memory back to the host */
	double noise_sd;       /* machine.noise.sd_log: the floor before the first cell; NAN when unknown */
	cb_build_info build;   /* the binary that measured; fields NULL when the file has none */
	int rounds;            /* config.rounds; 1 when unknown */
	int allowed_pus;       /* 0 when unknown */
	bool weak_scaling;     /* config.scaling == "weak": Gustafson */
	bool complete;
	bool micro;            /* a `concbench micro` run: cells of kind micro,
	                          read from `root` directly; `cells` is empty */
	cb_rcell *cells;
	size_t ncells;
} cb_rdoc;

int cb_results_read(const char *path, cb_rdoc **out, cb_error *err);
/* The same from text in memory (len bytes, NUL not needed); path only names
 * the input in errors and must outlive the document. */
int cb_results_parse(const char *path, const char *text, size_t len, cb_rdoc **out,
                     cb_error *err);
/* The same from a parsed document (a reference is taken). */
int cb_results_parse_json(const char *path, json_t *root, cb_rdoc **out, cb_error *err);
void cb_rdoc_free(cb_rdoc *doc);
/* A page fault that costs more than CB_FAULT_US_LIMIT: what it means for
 * the figures, as a sentence (malloc'ed), or NULL. Said by run at its
 * start and by the report. */
#define CB_FAULT_US_LIMIT 2.0
char *cb_machine_fault_warning(double page_fault_us);
/* The machine's CPU-bound timing noise (sd of log time, concbench noise)
 * when it keeps compare, at `rounds` a side among `cells` cells, from
 * seeing a change of CB_NOISE_THRESHOLD in even the steadiest CPU-bound
 * cell: a sentence (malloc'ed), or NULL. Said by the report. */
#define CB_NOISE_THRESHOLD 0.05
#define CB_NOISE_ALPHA 0.01
char *cb_machine_noise_warning(double sd, int rounds, size_t cells);
/* A cell that never had its PUs at full capacity (results.json's
 * capacity.limited): which cell, how much of how many PUs the machine
 * gave it, the slowest PU, and what its speedup then is, as a sentence
 * (malloc'ed), or NULL. Said by run and the report. */
char *cb_cell_capacity_warning(const json_t *cell);
/* Below this speed per CPU second against the paired serial repetitions
 * (capacity.work_speed), a parallel cell's workers were slowed. */
#define CB_WORK_SPEED_LOW 0.85
/* The warning for a cell whose workers, though they had their PUs, did
 * the work at less than CB_WORK_SPEED_LOW of the serial speed per CPU
 * second: the speedup lost there is not the model's scheduling alone. NULL
 * otherwise, or when the cell already warns of reduced capacity. */
char *cb_cell_work_speed_warning(const json_t *cell);
/* The machine's parallel capacity as the run's cells saw it: over every
 * repetition on 2 PUs or more (set aside ones included), the median share
 * of its PUs the machine gave and the share of repetitions below 90%;
 * and the cells that never had full capacity. */
typedef struct cb_doc_capacity {
	size_t reps, limited;
	double median, below;
} cb_doc_capacity;
void cb_rdoc_capacity(const cb_rdoc *d, cb_doc_capacity *out);

/* N,X rows, optional header line, '#' comments and blank lines ignored.
 * *n and *x are malloc'ed, sorted by N. */
int cb_points_read_csv(const char *path, const char *text, double **n, double **x,
                       size_t *k, cb_error *err);

#endif
