/* Shared plumbing for every module: the error record that travels up to the
 * CLI (which alone prints and picks the exit code), the monotonic clock, and
 * small parsers and file helpers used by more than one subcommand. */
#ifndef CB_COMMON_H
#define CB_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef CB_VERSION_STRING
#define CB_VERSION_STRING "0.0.0"
#endif

/* The exit codes (enum cb_exit), cb_error and cb_error_set are part of the
 * workload contract, the public header every workload is built against. */
#include <concbench/workload.h>

/* What the core has to tell the user while it works: a note, a warning, a
 * problem it goes on past, or the progress line (empty text: the line is
 * done). It hands the text to the CLI's hook, which alone prints and
 * decides how (prefix, terminal, --quiet); with no hook nothing is said. */
typedef enum cb_say_kind {
	CB_SAY_NOTE, CB_SAY_WARNING, CB_SAY_PROBLEM, CB_SAY_PROGRESS,
} cb_say_kind;
typedef struct cb_sayer {
	void (*fn)(void *ctx, cb_say_kind kind, const char *text);
	void *ctx;
} cb_sayer;
void cb_say(const cb_sayer *s, cb_say_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* CLOCK_MONOTONIC in seconds. */
double cb_now(void);

/* Worker-count lists: "1,2,4", "1-8", "all" (= all_value), mixed "1,4-6".
 * Values must be in [1, max]; duplicates are dropped, order is kept.
 * *out is malloc'ed. `what` names the option in errors ("-n/--workers"). */
int cb_parse_count_list(const char *s, const char *what, int all_value, int max,
                        int **out, int *n, cb_error *err);

/* "12", "64k", "1M", "2G" (powers of 1024), "1.5k" allowed. */
int cb_parse_bytes(const char *s, double *out);
/* "10ms", "50us", "1.5s", "100ns", a bare number is seconds. */
int cb_parse_duration(const char *s, double *out);
/* A plain double with nothing trailing. */
int cb_parse_double(const char *s, double *out);
/* A plain integer (base 10) with nothing trailing. */
int cb_parse_long(const char *s, long *out);

/* Writes data to path via a temp file in the same directory + rename. */
int cb_write_file_atomic(const char *path, const void *data, size_t len, cb_error *err);
/* The same for n files that belong together: every temp file is written
 * before any is renamed, so on failure (a full disk) every path keeps its
 * old version and no temp file is left. */
int cb_write_files_atomic(int n, const char *const *path, const void *const *data, const size_t *len,
                          cb_error *err);
/* mkdir -p; error names the path and errno. */
int cb_mkdir_p(const char *path, cb_error *err);
/* malloc/calloc/strdup that abort on exhaustion (nothing sensible to do). */
void *cb_xmalloc(size_t n);
void *cb_xcalloc(size_t n, size_t size);
void *cb_xrealloc(void *p, size_t n);
/* The project's one small random generator (splitmix64): the next value
 * from *state. Seeded orders (a run's cells, ab's pairs, noise's timings)
 * are replayed from the seed. */
uint64_t cb_random(uint64_t *state);
/* v[0..n) in a random order from *state (Fisher-Yates). */
void cb_shuffle(size_t *v, size_t n, uint64_t *state);
char *cb_xstrdup(const char *s);
/* asprintf that aborts on exhaustion. */
char *cb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The path of the running executable (/proc/self/exe), malloc'ed; NULL
 * when it cannot be read. */
char *cb_self_exe(void);
/* A folder of files concbench ships (the gnuplot templates, the Python
 * twins of built-ins) holding `probe`: an installed binary's
 * PREFIX/share/concbench/SUB (beside its bin/) first, else the source
 * tree's SRC_SUB, else NULL (probe NULL: the folder itself). malloc'ed. */
char *cb_shipped_dir(const char *sub, const char *src_sub, const char *probe);

/* Anonymous MAP_SHARED memory, visible to forked children; zeroed. */
void *cb_shared_alloc(size_t n);
void cb_shared_free(void *p, size_t n);
/* Anonymous private memory, page-aligned whatever the heap's history;
 * zeroed. For a workload's large arrays: malloc takes them from the heap
 * or from mmap as its threshold has moved, so two processes of one build
 * (BASE's and NEW's, whose plans differed in one parameter of another
 * workload) held cpu.matmul's matrices at different offsets from each
 * other and ran 1-2% apart in every pair of processes. */
void *cb_pages_alloc(size_t n);
void cb_pages_free(void *p, size_t n);

#endif
