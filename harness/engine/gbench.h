/* The only thing C sees of Google Benchmark: register benchmarks with a C
 * function and an argument, drive the measurement from the body, and get
 * every run and aggregate handed back to C through a reporter callback, so
 * the harness owns its results file. Implemented in gbench.cc. */
#ifndef CB_GBENCH_H
#define CB_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cb_gb_state cb_gb_state;   /* benchmark::State */
typedef struct cb_gb_bench cb_gb_bench;   /* benchmark::internal::Benchmark */
typedef void (*cb_gb_fn)(cb_gb_state *st, void *arg);

typedef enum { CB_GB_NS, CB_GB_US, CB_GB_MS, CB_GB_S } cb_gb_unit;

/* Counter flags, the same meaning as benchmark::Counter::Flags. */
enum {
	CB_GB_COUNTER_DEFAULT = 0,
	CB_GB_COUNTER_RATE = 1 << 0,           /* divided by the elapsed time */
	CB_GB_COUNTER_AVG_THREADS = 1 << 1,
	CB_GB_COUNTER_AVG_ITERATIONS = 1 << 3, /* divided by the iteration count */
	CB_GB_COUNTER_INVERT = 1 << 31,        /* 1/x, with RATE: seconds per item */
};

/* Process-wide setup; parses and removes --benchmark_* flags from argv
 * (Google Benchmark's own flags pass through). Random interleaving of
 * repetitions is switched on unless the flags (or the environment variable
 * BENCHMARK_ENABLE_RANDOM_INTERLEAVING) say otherwise. Only the first call
 * counts; argc may be 0 and argv NULL. */
void cb_gb_init(int *argc, char **argv);

/* Moves every --benchmark_* argument of argv[1..argc) to gb_argv (after
 * the *gb_argc already there) and returns the count left in argv, so that
 * a command's own option parser never sees the engine's flags. */
int cb_gb_take_flags(int argc, char **argv, int *gb_argc, char **gb_argv);

/* Registration. Returned handles stay valid until cb_gb_clear(). */
cb_gb_bench *cb_gb_register(const char *name, cb_gb_fn fn, void *arg);
void cb_gb_use_manual_time(cb_gb_bench *b);
void cb_gb_repetitions(cb_gb_bench *b, int n);
void cb_gb_iterations(cb_gb_bench *b, int64_t n);
void cb_gb_min_time(cb_gb_bench *b, double seconds);
void cb_gb_time_unit(cb_gb_bench *b, cb_gb_unit u);
void cb_gb_arg(cb_gb_bench *b, int64_t a);     /* adds one argument set {a} */
void cb_gb_threads(cb_gb_bench *b, int n);     /* Google Benchmark's own threads */
void cb_gb_report_aggregates_only(cb_gb_bench *b, bool on);
void cb_gb_clear(void);                        /* ClearRegisteredBenchmarks */

/* The shim's overhead check: the native C++ loop
 * `for (auto _ : state) { x++; benchmark::DoNotOptimize(x); }` (gbench.cc),
 * and beside it the same increment through the C batch loop and through
 * cb_gb_keep_running() (gbench_selftest.c), under "shim/". */
void cb_gb_register_native_increment(const char *name);
void cb_gb_register_shim_overhead(void);

/* In the body. The batch loop costs no call per iteration:
 *     for (int64_t n; (n = cb_gb_batch(st)) > 0; )
 *         for (int64_t i = 0; i < n; i++) { work }
 * cb_gb_batch() returns the iterations to run now, then 0 once (which ends
 * the timing; do not call it again after that). cb_gb_keep_running() is the
 * one-call-per-iteration form. */
int64_t cb_gb_batch(cb_gb_state *st);
bool cb_gb_keep_running(cb_gb_state *st);
int64_t cb_gb_max_iterations(const cb_gb_state *st);
int64_t cb_gb_range(const cb_gb_state *st, size_t i);   /* state.range(i) */
int cb_gb_thread_index(const cb_gb_state *st);
int cb_gb_thread_count(const cb_gb_state *st);
void cb_gb_set_iteration_time(cb_gb_state *st, double seconds);
void cb_gb_pause(cb_gb_state *st);
void cb_gb_resume(cb_gb_state *st);
void cb_gb_counter(cb_gb_state *st, const char *name, double value, int flags);
void cb_gb_set_items_processed(cb_gb_state *st, int64_t n);
void cb_gb_set_bytes_processed(cb_gb_state *st, int64_t n);
void cb_gb_set_label(cb_gb_state *st, const char *label);
void cb_gb_skip_with_error(cb_gb_state *st, const char *msg);
bool cb_gb_error_occurred(const cb_gb_state *st);

/* Keeps a value alive / forces memory to be considered written, like
 * benchmark::DoNotOptimize and ClobberMemory, without a call. */
#define cb_gb_do_not_optimize(v) __asm__ volatile("" : : "r,m"(v) : "memory")
#define cb_gb_clobber_memory() __asm__ volatile("" : : : "memory")

/* What the reporter hands back: one per repetition and one per aggregate.
 * Strings and arrays are valid during the callback only. Spelled
 * `struct cb_gb_run` (like `struct stat`): a typedef of the same name would
 * clash with the function cb_gb_run() below. */
struct cb_gb_run {
	const char *name;          /* full run name, e.g. "fam/bench/repeats:3",
	                              the same for repetitions and aggregates */
	const char *benchmark;     /* name as registered plus arguments */
	const char *aggregate;     /* NULL for a repetition; "mean", "median",
	                              "stddev", "cv" for aggregates */
	int64_t repetition_index;  /* -1 for aggregates */
	int64_t repetitions;
	int64_t iterations;
	double real_s;             /* per iteration, seconds (adjusted); for
	                              "cv" the ratio stddev / mean */
	double cpu_s;              /* per iteration, seconds (adjusted); ditto */
	bool error;                /* skipped with an error */
	const char *error_message; /* NULL unless error */
	const char *label;
	size_t ncounters;
	const char *const *counter_names;
	const double *counter_values; /* already finalised (rates applied) */
};

typedef void (*cb_gb_report_fn)(const struct cb_gb_run *run, void *ctx);

/* Runs every registered benchmark whose full run name matches filter (a
 * Google Benchmark regex: POSIX extended, a leading '-' negates; NULL or ""
 * = all, or what --benchmark_filter said) and hands each run to fn. Also
 * honours --benchmark_out (Google Benchmark's own JSON file). Returns the
 * number of benchmarks run, or -1 if filter is invalid. Calls cb_gb_init()
 * with no arguments if nobody did. */
long cb_gb_run(const char *filter, cb_gb_report_fn fn, void *ctx);

/* Hands fn the full run name of every registered benchmark instance that
 * filter selects (same syntax as cb_gb_run), without running anything.
 * Returns their number, or -1 if filter is invalid. */
typedef void (*cb_gb_list_fn)(const char *name, void *ctx);
long cb_gb_list(const char *filter, cb_gb_list_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
