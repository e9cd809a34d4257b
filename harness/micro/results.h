/* A micro run's results and placement (results.c), for `concbench micro`. */
#ifndef CB_MICRO_RESULTS_H
#define CB_MICRO_RESULTS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/topology.h"
#include "engine/gbench.h"
#include "micro/micro.h"

/* One benchmark's repetitions while they arrive from the reporter. */
typedef struct cb_micro_cell {
	char *name;              /* Google Benchmark's run name */
	char *label;
	json_t *reps;            /* array of rep objects */
	double *s_per_op;
	int nreps;
	char *error, *skipped;
} cb_micro_cell;

/* A micro run's results while it runs: the cells so far and the one whose
 * repetitions are arriving. The caller sets pin, argv/argc (the command
 * line), dir, created, machine, config and cells (an empty array), and
 * may set progress, called with ctx after each benchmark. */
typedef struct cb_micro_results {
	const char *pin;          /* --pin as given; NULL: compact */
	char **argv;
	int argc;
	char *dir;                /* the run's folder (freed by _free) */
	char created[32];
	json_t *machine, *config, *cells;
	int done, failed;         /* benchmarks finished, failed their verification */
	cb_micro_cell cur;
	cb_error err;             /* the first results write that failed */
	void (*progress)(void *ctx, const char *id);
	void *ctx;
} cb_micro_results;

/* The shim's run callback (cb_gb_run), ctx a cb_micro_results: a new
 * benchmark's name finishes the one before. */
void cb_micro_results_on_run(const struct cb_gb_run *r, void *ctx);
/* Finishes the last benchmark, once the shim is done. */
void cb_micro_results_finish(cb_micro_results *mr);
/* DIR/results.json and results.csv, complete or not: 0, or -1 with err. */
int cb_micro_results_write(const cb_micro_results *mr, bool complete, cb_error *err);
void cb_micro_results_free(cb_micro_results *mr);

/* The run's config object: the filter, the pin policy, -r, --min-time
 * and the families. */
json_t *cb_micro_config_json(const char *filter, const cb_pin *pin, int reps, double min_time);

/* Workers of the contended series go where --pin puts them; the same-PU
 * and cross-PU benchmarks take the first two PUs of that placement
 * (compact's under `none`, which has no PUs to give). */
int cb_micro_env_place(cb_micro_env *env, cb_topology *topo, const cb_pin *pin, cb_placement *pl,
                       cb_placement *pair, cb_error *err);

#endif
