/* A run: the plan (workloads x strategies x workers x concurrency x threads
 * under one pin policy and schedule, expanded into cells), the runner that
 * measures each cell through the Google Benchmark shim, and the results
 * those cells produce. */
#ifndef CB_RUN_H
#define CB_RUN_H

#include <jansson.h>
#include <stdint.h>

#include "base/common.h"
#include "base/params.h"
#include "base/stats.h"
#include "engine/strategy.h"
#include "base/topology.h"
#include "engine/workload.h"

/* What the user asked for (the CLI fills it; plan.c expands it). */
typedef struct cb_run_config {
	const char *suite;         /* NULL, "quick", "default" */
	char **workloads; int nworkloads;
	char **strategies; int nstrategies;
	int *workers; int nworkers;
	int *concurrency; int nconcurrency;   /* NULL: strategy default */
	int *threads; int nthreads;           /* NULL: 1 */
	cb_pin pin;
	cb_schedule sched;
	char sched_text[32];
	cb_size size;
	cb_kv *params; size_t nparams;
	int reps, warmup;          /* per round: each round is a fresh process */
	int rounds;                /* fresh processes per cell (>= 1) */
	double timeout_s;          /* limit on one repetition; 0: derived */
	double checkpoint_s;       /* results.json rewritten at most this often (0: every cell round) */
	uint64_t seed;             /* order of the cells in each round */
	bool weak;                 /* --scaling weak: the job grows with the workers */
	/* --trace: one extra repetition per cell (round 1), outside the
	 * statistics, records every task into trace.json; trace_cap bounds the
	 * records kept per executor. 0: no tracing. */
	size_t trace_cap;
	bool quiet;
	/* --speedup pairs: each repetition of a cell that the serial cell's
	 * speedup divides runs next to a serial repetition of the same job in
	 * the same measuring process (order drawn per pair), so that the
	 * speedup is a ratio of timings milliseconds apart. */
	bool pair_serial;
	const char *hosts;         /* --hosts FILE for launcher strategies, or NULL */
	const char *out_root;      /* "results" */
	char **argv; int argc;     /* the command line, for the record */
} cb_run_config;

/* How often the runner rewrites results.json by default (--checkpoint). */
#define CB_CHECKPOINT_S 10.0

typedef struct cb_rep {
	double wall_s, pre_s, par_s, post_s, user_s, sys_s;
	double comm_s;            /* communication inside par; NAN: not measured */
	long vcsw, ivcsw;
	long minflt;              /* minor page faults of this tree and of launched ranks */
	long long migrations;     /* -1: unavailable */
	int start_moves;          /* executors created for the job on their creator's
	                             PU and moved once onto their own (in migrations) */
	long maxrss_kib;
	bool checksum_ok;
	int round;                /* the round (fresh process) it ran in, from 0 */
	double at_s;              /* when it began, in seconds after the run began */
	json_t *cpus;             /* per worker: array of OS indices */
	json_t *probe;            /* {"PU": ms} of the speed probe taken before
	                             the round's warmup, or NULL */
	/* The parallel capacity (engine/capacity.h) the repetition had: the
	 * sum over its PUs of each one's speed (NAN: not measured), their
	 * number, and {"PU": speed}. reduced: below CB_CAPACITY_FULL of its
	 * PUs. */
	double capacity;
	int capacity_pus;
	json_t *pu_speed;
	bool reduced;
	bool set_aside;           /* retaken: kept apart, outside every figure */
	double serial_s;          /* the paired serial repetition's wall time, or NAN */
	bool serial_reduced;      /* that repetition had less than its PU */
	/* The workers' speed at the job's work against the paired serial
	 * repetition's, per CPU second: the serial one's CPU time over the
	 * sum of the workers' (NAN: not paired, or a strategy or workload
	 * whose executors wait). 1 when the same work costs the same CPU time
	 * on p PUs as on one; 0.5 when each worker ran all the time and did
	 * half of what it does alone (two PUs sharing one core of the host,
	 * caches or memory bandwidth, or the model's own per-task work). */
	double work_speed;
} cb_rep;


typedef struct cb_cell {
	char id[256];
	cb_job *job;
	const cb_strategy *strategy;
	int workers, concurrency, threads;
	bool added_baseline;      /* serial cell the plan added for T1 */
	/* runtime */
	cb_placement place;
	cb_exec ex;
	cb_watch *watch;          /* the parent's window on the measuring process
	                             of the round under way, or NULL */
	bool open, done;
	int reps_done, reps_total;
	cb_rep *reps;
	double *rounds;           /* median wall time of each round run so far */
	bool *rounds_reduced;     /* per round: no repetition at full capacity */
	int nrounds;
	cb_rep *aside;            /* repetitions set aside (reduced capacity, retaken) */
	int naside, aside_cap;
	double capacity_cost_s;   /* seconds the capacity readings took, all rounds */
	int capacity_readings;
	int reps_on_disk;         /* what the last results.json written holds */
	bool done_on_disk;
	uint64_t checksum;
	bool checksum_ok;
	char *error;
	const char *skipped;      /* why the cell never ran (an engine filter), or NULL */
	json_t *record;           /* the strategy's own keys for the cell, or NULL */
	double latency[4];        /* p50, p90, p99, max of the last repetition (I/O) */
	bool has_latency;
	struct cb_run *run;
	struct cb_solo *solo;      /* cb_solo_open's, or NULL in a plan */
	double rep_t[4];          /* cb_now() at the last repetition's start, par
	                             start, par end and end (0 for run_rep) */
	json_t *trace;            /* the traced repetition (trace.c), or NULL */
} cb_cell;

typedef struct cb_run {
	cb_run_config *cfg;
	cb_topology *topo;
	cb_job **jobs; int njobs;
	cb_cell *cells; int ncells;
	char *dir;                /* the run folder */
	char created[32];
	json_t *machine;
	int perf_fd;              /* migrations counter, -1 if unavailable */
	int cells_done, reps_done, reps_total;
	double t_start;
	bool interrupted, failed;
	bool selected;            /* the engine filter has been applied */
	char *write_error;        /* the last results write failed: why */
	bool trace_dirty;         /* a cell was traced since trace.json was last written */
	cb_sayer say;             /* where notes, warnings and progress go (the CLI) */
} cb_run;

/* plan.c: suites, validation, expansion into cells (jobs created here). */
int cb_plan_build(cb_run *run, cb_error *err);
void cb_plan_free(cb_run *run);
/* The named suites, for --help and list. A suite's strategies are every
 * strategy of the table but those with any of the flags `without` (0:
 * every strategy), so that a strategy added to the table joins them. */
typedef struct cb_suite {
	const char *name, *summary, *workloads;
	unsigned without;          /* CB_STRATEGY_* flags the suite leaves out */
	const char *workers;
	cb_size size;
	int reps, rounds;          /* repetitions per round, rounds per cell */
} cb_suite;
extern const cb_suite cb_suites[];
const cb_suite *cb_suite_find(const char *name);
/* The suite's strategies, "a,b,c" in table order (malloc'ed), or NULL
 * when it takes every strategy. */
char *cb_suite_strategies(const cb_suite *s);
/* The suite's one-line summary, the strategies it leaves out named in
 * it; buf is used when the summary is built. */
const char *cb_suite_summary(const cb_suite *s, char *buf, size_t n);

/* How long a plan will run, as the parent can tell before anything runs:
 * per cell and round, the job's setup plus (warmup + reps) repetitions,
 * each the serial reference run's time plus the workload's declared wait
 * for a serial cell, and for the others the larger of that compute over
 * min(executors, usable PUs) and compute plus wait over the tasks in
 * flight. Cells that will not run (failed, skipped) are left out. */
#define CB_ESTIMATE_TOP 3
typedef struct cb_estimate {
	int cells, rounds, warmup, reps;
	double total_s;
	int ntop;                      /* the cells that dominate it, largest first */
	int top[CB_ESTIMATE_TOP];      /* indices into run->cells */
	double top_s[CB_ESTIMATE_TOP];
} cb_estimate;
void cb_plan_estimate(const cb_run *run, cb_estimate *e);
/* A job's serial time, as the plan estimates it: the reference run's
 * compute (scaled) plus the waits the workload declares. */
double cb_job_serial_s(const cb_job *job);

/* runner.c: runs every cell, each round in a fresh process, through the
 * shim; writes results at checkpoints (every 10 s, when a cell fails, at
 * the end). Fails (CB_EXIT_FAIL) when
 * the results could not be written, naming the cells not on disk. */
int cb_runner_run(cb_run *run, cb_error *err);
/* From here on, SIGINT and SIGTERM set a flag instead of ending the
 * process: called before the jobs are set up, so that an interrupt while
 * they are still lets every job's teardown run (io.file's directory of
 * files). The plan stops setting up jobs once it is set, and the
 * runner stops between repetitions. */
void cb_runner_catch_interrupts(void);
/* -1 with err set (nothing was measured) once an interrupt came, else 0. */
int cb_runner_check_interrupt(cb_error *err);
/* Marks the cells an engine filter (--benchmark_filter) leaves out as
 * skipped; CB_EXIT_USAGE for a filter that is not a valid expression.
 * cb_runner_run does it unless it was done before. */
int cb_runner_select(cb_run *run, cb_error *err);
/* After a measuring process was killed (SIGKILL to it and its group): its
 * cb_temp_dir directories removed while its pid is still its own, then it
 * is reaped with whatever of its group came to this process (a subreaper).
 * cb_runner_sweep: kills and reaps every child of this process left (call
 * it only when none of them is wanted). */
void cb_runner_after_kill(pid_t pid);
void cb_runner_sweep(void);
/* cell.c: the one cell lifecycle, init -> place -> open -> rep... ->
 * close -> free. init fills what the cell is (nothing allocated); place
 * computes its executors' cpusets (groups of threads for strategies with
 * threads per process, one PU per worker otherwise: the one placement rule
 * of a cell); open runs the strategy's cell setup (pools start, untimed);
 * rep times one repetition and verifies its checksum; close tears the
 * strategy's cell down (keeping its record); free closes and releases what
 * the cell owns (not its job or run). */
void cb_cell_init(cb_cell *c, cb_run *run, cb_job *job, const cb_strategy *st, int workers,
                  int concurrency, int threads, int reps_total);
int cb_cell_place(cb_cell *c, const cb_topology *t, const cb_pin *pin, cb_error *err);
int cb_cell_open(cb_cell *c, cb_error *err);
int cb_cell_rep(cb_cell *c, cb_rep *rep, cb_error *err);
/* The cell's distinct PUs (OS indices, into pus: at least
 * place.workers of room), or 0 when it is not pinned on this machine or
 * its executors run elsewhere. */
int cb_cell_pus(const cb_cell *c, int *pus);
/* The capacity of the repetition just taken (engine/capacity.h): per PU
 * the smallest of the host's readings before and after it (NULL: none)
 * and the guest's share of its executors. Sets rep's capacity fields. */
void cb_cell_capacity(const cb_cell *c, const int *pus, int n, const double *before, const double *after,
                      cb_rep *rep);
/* Whether a repetition counts in a cell's figures: not when it was
 * measured at reduced capacity and others (any_full) were not. */
static inline bool cb_rep_counts(const cb_rep *r, bool any_full) { return !r->reduced || !any_full; }
/* The serial cell a cell's repetitions pair with (--speedup pairs), or
 * false when the cell takes none: a baseline, a scaled job, an I/O
 * workload (its serial job is mostly waiting), or executors that run
 * elsewhere. */
bool cb_cell_pairs_serial(const cb_cell *c);
/* What a measuring process says of a cell at its end (the runner's and
 * ab's alike): its checksum, the workload's record, the strategy's note,
 * latency percentiles, and the capacity probe's cost where it read any. */
json_t *cb_cell_end_json(const cb_cell *c);
/* The CPU seconds its executors spent on their shares of the job in its
 * last repetition (cb_worker_trace), or NAN where they wait by design
 * (coroutines, I/O workloads) or were not traced. */
double cb_cell_work_cpu_s(const cb_cell *c);
/* The speed probe on the cell's PUs (cell.c), for the round to come:
 * {"PU": ms}, or NULL where it cannot run there. */
json_t *cb_cell_probe(const cb_cell *c);
void cb_cell_close(cb_cell *c);
/* Untimed, after the warmup repetitions, for a pool of processes (FORKS
 * and POOL): as many settling repetitions as the cell has executors, pass
 * r (from 0) handing task i to executor (i + r) mod executors (the
 * jobctl's rotate holds r + 1), so that every
 * executor has run every task once. fork copies no page table entries of
 * a shared mapping and every process faults in its own private pages, so
 * a worker otherwise takes a page fault (5-16 us in this project's VM) on each
 * page of each task it runs for the first time; under dynamic scheduling
 * the warmup hands each worker only some tasks, and the faults spilled
 * into the timed repetitions at random: io.file at size quick under
 * processpool at 2 workers took 5-6 ms a repetition without faults and
 * 12-14 ms with 800-900 (its per-task I/O buffers), mem.stream 7 to 58 ms
 * (its shared arrays) against 14 ms serial. The passes cost about one
 * serial job, and every task runs once in each, as in any repetition;
 * each(wall_s, ctx) is told of every pass. */
int cb_cell_settle(cb_cell *c, void (*each)(double wall_s, void *ctx), void *ctx, cb_error *err);
/* How many settling passes the cell takes (0: not a pool of processes, or
 * a pool of one executor after a warmup, which ran every task). */
int cb_cell_settle_passes(const cb_cell *c);
void cb_cell_free(cb_cell *c);
/* A repetition as results.json holds it, and back (-1: not a repetition). */
json_t *cb_rep_json(const cb_rep *r);
int cb_rep_from_json(const json_t *j, cb_rep *r);
void cb_rep_clear(cb_rep *rep);

/* A cell outside a plan (micro, tests): the configuration and run a plan
 * would give it, placed and opened. topo NULL opens the machine's; the
 * job stays the caller's. NULL with err set when it cannot open. */
typedef struct cb_solo_spec {
	cb_job *job;
	const cb_strategy *strategy;
	int workers, concurrency, threads, reps;
	const char *pin, *sched;
	const cb_kv *params; size_t nparams;   /* the strategy's --param pairs */
	cb_size size;
	cb_topology *topo;
	size_t trace_cap;          /* > 0: map a tracer (run --trace's) */
} cb_solo_spec;
cb_cell *cb_solo_open(const cb_solo_spec *s, cb_error *err);
void cb_solo_free(cb_cell *c);


/* results.c: results.json and results.csv. */
json_t *cb_results_json(const cb_run *run);
int cb_results_write(const cb_run *run, cb_error *err);
/* Recomputes a cell's stats from its reps, and every cell's derived
 * figures (speedup, efficiency, serial fraction, Amdahl, throughput) from
 * the cells in the file: the one place these are computed. */
void cb_results_cell_stats(json_t *cell);
void cb_results_derive(json_t *root);
/* Writes results.json and results.csv for an already built document. */
int cb_results_write_json(const char *dir, json_t *root, cb_error *err);

/* trace.c: run --trace. The measuring process runs one traced repetition
 * of its cell after the timed ones (round 1 only, outside the statistics)
 * and sends it as a JSON object (cb_trace_rep: NULL when the cell cannot
 * be traced); the parent keeps it in cell->trace, adds its summary to the
 * cell in results.json (cb_trace_summary: events, dropped, per-executor
 * busy and blocked time, imbalance = max / mean busy) and writes every
 * cell's timeline into <dir>/trace.json (Chrome trace event format),
 * atomically (cb_trace_write). */
#define CB_TRACE_CAP_DEFAULT 5000
int cb_trace_rep(cb_cell *c, json_t **out, cb_error *err);
json_t *cb_trace_summary(const json_t *trace);
int cb_trace_write(const cb_run *run, cb_error *err);

/* rundir.c: the --out root is checked before any work (CB_EXIT_USAGE
 * naming the problem), then <root>/<timestamp>-<host> is created (*dir
 * malloc'ed, created = ISO 8601 UTC). Once the folder holds a first
 * results file, publish points <root>/latest at it; a folder whose first
 * write failed is removed instead (its results files, then itself), so
 * that latest never names an empty run. */
int cb_out_root_check(const char *root, cb_error *err);
int cb_run_dir_create(const char *root, char created[32], char **dir, cb_error *err);
void cb_run_dir_publish(const char *root, const char *dir);
/* The same under another name: <root>/latest-micro, the newest price list,
 * which run reads the strategies' dispatch prices from. */
void cb_run_dir_publish_as(const char *root, const char *dir, const char *name);
void cb_run_dir_remove(const char *dir);

/* machine.c: the machine record (host, kernel, CPU, clocksource, load,
 * governor, topology). */
json_t *cb_machine_json(const cb_topology *t);
/* Milliseconds of a fixed cache-bound kernel on the calling thread's PU,
 * for compare to adjust rounds by (docs/ci.md, "The speed probe"). */
double cb_speed_probe_ms(void);
/* concbench noise: how much the time of the same CPU-bound work varies on
 * each PU, at several lengths. For every PU in pus and length in len_ms,
 * a series of timings (seconds) of a fixed floating-point chain sized to
 * that length, the (PU, length) pairs taken in a new random order each
 * cycle for `seconds` (at least 5 cycles). The calling thread is bound to
 * each PU in turn, then put back where it was; with busy, one thread per PU times
 * every length at once on all of them (as a cell with a worker on each
 * does), the lengths in a new random order each cycle. *out: npus * nlen
 * series, PU-major; cb_noise_free. */
typedef struct cb_noise_series {
	int pu;            /* OS index */
	double length_ms;  /* the length asked for */
	size_t n;          /* timings in s */
	double *s;
} cb_noise_series;
int cb_noise_measure(const cb_topology *t, const int *pus, size_t npus, const double *len_ms, size_t nlen,
                     double seconds, bool busy, uint64_t seed, cb_noise_series **out, cb_error *err);
void cb_noise_free(cb_noise_series *s, size_t n);
/* The PUs noise measures on: the allowed ones (the compact placement of a
 * worker on each), at most CB_NOISE_MAX_PUS spread evenly; 0 with err. */
#define CB_NOISE_MAX_PUS 8
size_t cb_noise_pus(const cb_topology *t, int *pus, cb_error *err);
/* Per series (PU-major, as measured) its median in ms and the sd of log
 * time over the timings compare would keep (cb_sd_log_kept); per length
 * the median and largest sd over the PUs; the floor: the median over the
 * lengths of those medians (one length's figure is itself a noisy
 * estimate). */
typedef struct cb_noise_stat { double median_ms, sd; size_t set_aside; } cb_noise_stat;
typedef struct cb_noise_summary {
	cb_noise_stat *stat;
	double *med_sd, *max_sd, floor;
	size_t set_aside, timings;
} cb_noise_summary;
void cb_noise_summarize(const cb_noise_series *sr, size_t npus, size_t nlen, cb_noise_summary *out);
void cb_noise_summary_free(cb_noise_summary *s);
/* results.json's machine.noise: the floor over `seconds` at 10 and 40 ms,
 * one PU at a time; null where this is not the machine or it cannot bind. */
json_t *cb_machine_noise_json(const cb_topology *t, double seconds);
/* run measures it for CB_NOISE_RUN_S when it has CB_NOISE_MIN_ROUNDS rounds
 * or more (the runs compare tests round by round). */
#define CB_NOISE_RUN_S 3.0
#define CB_NOISE_MIN_ROUNDS 3


/* ab.c: concbench ab, A/B runs interleaved per repetition (docs/ab.md).
 * Each side of each cell is measured by its own measuring process, started
 * as `BIN ab-worker` (a build of concbench: this one, or a base
 * checkout's), which speaks JSON lines on its standard input and output:
 *   worker: {"hello": "concbench ab", "protocol": N, "version": "...",
 *            "layout": {heap, stack, map} or null} (the addresses it found
 *            after the layout CB_AB_LAYOUT gave it; older builds: absent)
 *   parent: {"protocol": N, "cell": {id, workload, strategy, workers,
 *            concurrency, threads, pin, schedule, size, scaling, params
 *            [[K, V], ...], warmup, reps, hosts, t0}}
 *   worker: builds that cell's plan (its job and serial reference answer
 *            computed here, by this build), sets it up as the runner's
 *            measuring process does ({"setup": true} once set up), runs
 *            the warmup and the settling passes ({"warm": s} each), then
 *            {"ready": {"cell": {...}}}
 *            (the cell as results.json holds it, no repetitions yet)
 *   parent: {"rep": k}  worker: {"rep": {...}} (cb_rep_json; its
 *            checksum verified against the serial answer) or {"error": "..."}
 *   parent: {"end": true}  worker: {"end": {"checksum", "record", "note",
 *            "latency"}} and exits.
 * A worker whose protocol differs refuses the cell with {"error": ...}; a
 * parent refuses a worker whose hello is missing or differs. */
#define CB_AB_PROTOCOL 1
#define CB_AB_WORKER_COMMAND "ab-worker"
/* Pairs per cell: 36 by default (the power test in tests/test_ab.c: a
 * shift of 3% is found in nearly every cell whose pairs' log ratios vary
 * by 2% or less, at Holm's level for 117 cells; on the AMD 2-vCPU VM
 * synth.amdahl's 2-worker cells, whose pairs vary by 2-3%, found +2% in 12
 * of 13); no fewer than CB_AB_MIN_PAIRS, below which a distribution-free
 * test of 117 cells at alpha 0.01 can find nothing (2^(1-n) > 0.01 / 117). */
#define CB_AB_PAIRS 36
/* Pairs per cell by default for a plan of at most CB_AB_FEW_CELLS cells (a
 * workload of one's own under a few strategies), which need not fit the
 * quick suite's 10 minutes: cells whose pairs vary by 5-10% (a Python
 * file's forking strategies at two workers) need three times as many to
 * see 5%. primes.py with 5% more work at tiny, 19 cells: 16, 15, 10 and 16
 * of 19 found at 36 pairs, 16 and 17 at 108 (81-94 s). */
#define CB_AB_PAIRS_FEW 108
#define CB_AB_FEW_CELLS 40
#define CB_AB_MIN_PAIRS 18
/* Each cell's pairs come from this many pairs of measuring processes, as
 * many pairs from each (every other pair of processes starts NEW first): a
 * process can be systematically faster or slower than its twin for reasons
 * of its own (io.file's files where the filesystem put them: 40-100%
 * between two processes of the same build), which pairs inside one pair of
 * processes cannot tell from the code; compare --pairs calls a change only
 * when every pair of processes shows it (with two pairs, io.file still gave
 * one false verdict in 117 cells of the same build). */
#define CB_AB_ROUNDS 3
/* --processes at most (compare reads up to CB_CMP_MAX_BLOCKS). Six for
 * a Python file (each interpreter draws its own hash seed and layout; one
 * process of 57 ran 20% slow for its whole life) found its 5% more work
 * in 8, 11 and 12 of 19 cells at tiny, against 11, 13 and 16 with three,
 * and took 2.7 times as long: more processes each with fewer pairs give
 * Cochran's test more to disagree on and each process's estimate more
 * noise. So CB_AB_ROUNDS stays the default for every workload. */
#define CB_AB_MAX_ROUNDS 12
/* The time a cell's pairs may take once it has CB_AB_MIN_PAIRS: the quick
 * suite's 143 cells, both sides, within 10 minutes on 2 PUs (510-527 s at
 * 36 pairs and 10 s; 607 s at 45 and 12 s; synth.amdahl's 115 ms
 * repetitions take 36 pairs in about 9 s). */
#define CB_AB_CELL_BUDGET_S 10.0

typedef struct cb_ab_side {
	const char *name;          /* "base", "new" */
	const char *bin;           /* the concbench that measures this side */
	const char *workload;      /* the -w item for every cell, or NULL: the plan's */
	cb_run_config *cfg;        /* the side's configuration (its params) */
	json_t *cells;             /* out: the side's results cells, in plan order */
} cb_ab_side;

/* How a cell's pairs of processes take their turns: CB_AB_SPREAD, all of
 * them started, then the i-th pair of each, then the (i+1)-th of each (a
 * stretch in which one process runs slow then falls on a few of its pairs,
 * not a run of them; each process's caches are colder at its turn:
 * cpu.matmul's quick repetitions read 37 ms against 30 ms in one run);
 * CB_AB_TOGETHER, one pair of processes after the other, each with the
 * page cache to itself for its pairs (spread, six live processes' files
 * put 11 of io.file's 13 cells over an MDC of 5%, against 1 of 13);
 * CB_AB_BY_KIND, spread for CPU-bound workloads, together for the others
 * (memory and sync workloads gained nothing spread: mem.stream's 13 cells
 * over 5% either way, sync.counter's 6). */
typedef enum cb_ab_order { CB_AB_BY_KIND, CB_AB_SPREAD, CB_AB_TOGETHER } cb_ab_order;

typedef struct cb_ab_opts {
	int pairs;                 /* at most this many pairs a cell */
	double cell_budget_s;      /* pairs stop past this, once CB_AB_MIN_PAIRS are in */
	uint64_t seed;             /* the order (AB or BA) of every pair */
	cb_ab_order order;         /* how the pairs of processes take their turns */
	int processes;             /* pairs of processes a cell; 0: CB_AB_ROUNDS */
} cb_ab_opts;

/* Pairs per cell when --pairs is not given: CB_AB_PAIRS_FEW for a plan of
 * at most CB_AB_FEW_CELLS cells, else CB_AB_PAIRS. */
int cb_ab_default_pairs(int ncells);
/* Measures every cell of `plan` (built from side[0]'s configuration) on
 * both sides, pair by pair; fills side[i].cells and *pairs (the record of
 * every pair: order, both times, both start times). A cell that fails on
 * either side fails on both, with one line naming the side; the run goes
 * on. -1 with err only when nothing could be measured at all. */
int cb_ab_run(cb_run *plan, cb_ab_side side[2], const cb_ab_opts *o, json_t **pairs, cb_error *err);
/* Writes a side's results.json (run's schema) into dir. */
int cb_ab_write_side(const cb_run *plan, const cb_ab_side *side, const char *dir, cb_error *err);
/* The worker: serves one cell on in_fd / out_fd; returns the exit code. */
int cb_ab_serve(int in_fd, int out_fd);

#endif
