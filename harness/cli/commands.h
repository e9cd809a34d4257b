/* Subcommands, one file each (cli/cmd_*.c); main.c lists them in its
 * command table. Each returns an exit code. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H

#include <stdio.h>

#include "base/common.h"

int cb_cmd_run(int argc, char **argv);
int cb_cmd_list(int argc, char **argv);
int cb_cmd_topo(int argc, char **argv);
int cb_cmd_analyze(int argc, char **argv);
int cb_cmd_plot(int argc, char **argv);
int cb_cmd_report(int argc, char **argv);

/* cmd_compare_ci.c: compare --github writes the three outputs of
 * compare/ci.h where GitHub's environment says (GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY; the commands to `log`). A variable that is not set
 * is reported in *missing (a static string, or NULL). */
struct cb_cmp_result;
int cb_compare_github_emit(const struct cb_cmp_result *r, FILE *log, const char **missing,
                           cb_error *err);

/* options.c. The options that mean the same in every command that has
 * them, for the commands' getopt_long tables. */
#define CB_OPT_OUT   { "out", required_argument, NULL, 'o' }
#define CB_OPT_REPS  { "reps", required_argument, NULL, 'r' }
#define CB_OPT_QUIET { "quiet", no_argument, NULL, 'q' }
#define CB_OPT_HELP  { "help", no_argument, NULL, 'h' }
#define CB_OPT_END   { NULL, 0, NULL, 0 }
/* The error for what getopt_long returned as ':' (a missing value) or '?'
 * (an unknown option) in command cmd; returns -1. */
int cb_cli_opt_error(const char *cmd, int ch, char **argv, cb_error *err);
/* FILE [-o DIR] for plot and report; DIR defaults to FILE's folder and is
 * malloc'ed. Returns 1 for --help, -1 with err on a usage error. */
int cb_parse_file_dir_opts(const char *cmd, int argc, char **argv, const char **file,
                           char **dir, cb_error *err);
/* A FILE [-o DIR] command: usage on --help, the usage error, else body's
 * exit code. */
int cb_cli_file_dir_command(const char *cmd, const char *usage, int argc, char **argv,
                            int (*body)(const char *file, const char *dir));

/* output.c: the CLI's hook for what the core says (ctx is a cb_cli_voice),
 * and a report written and told: its warnings on stderr, the files written
 * on stdout (neither when quiet: the report and warnings.txt are written
 * all the same); returns the exit code (3 when charts could not be drawn). */
typedef struct cb_cli_voice { bool quiet, progress_open; } cb_cli_voice;
void cb_cli_say(void *ctx, cb_say_kind kind, const char *text);
int cb_cli_report(const char *file, const char *dir);
/* What a command does with its parser's answer (1: --help, else nonzero:
 * err): the usage on stdout (exit 0), or the error on stderr (its code);
 * -1 when the command goes on. */
int cb_cli_parsed(int parsed, const char *usage, const cb_error *err);
int cb_cli_report_quiet(const char *file, const char *dir, bool quiet);
/* The end of a run: the report written into the run folder dir, its
 * warnings grouped by kind (those in said, told at the start, left out, and
 * the lines in all kept to 8 with the told lines the start printed),
 * where the results are, then the answer, one line per workload (the
 * report's summary), and the report's path. A report that could not be
 * written is said, and does not change the run's exit code. */
/* The same warnings without the report (run --no-report), then where
 * the results are. */
void cb_cli_run_warnings(const char *dir, const char *note, const char *const *said, size_t nsaid, int told);
void cb_cli_run_answer(const char *dir, const char *note, const char *const *said, size_t nsaid, int told);

/* run_checks.c: before run measures, one warning naming the jobs too
 * short for the overheads of the strategies that run them. */
struct cb_run;
int cb_cli_warn_short_jobs(const struct cb_run *run);   /* lines printed */

int cb_cmd_compare(int argc, char **argv);
int cb_cmd_baseline(int argc, char **argv);
int cb_cmd_micro(int argc, char **argv);
int cb_cmd_merge(int argc, char **argv);
int cb_cmd_export(int argc, char **argv);
int cb_cmd_noise(int argc, char **argv);
int cb_cmd_granularity(int argc, char **argv);
int cb_cmd_ab(int argc, char **argv);
int cb_cmd_ab_worker(int argc, char **argv);

/* run_options.c: run's plan options (everything but --benchmark_* flags)
 * into cfg, validated, for the commands that measure the same plans (ab).
 * 1: --help was answered; -1 with err. cb_cli_run_config_free frees what
 * it filled. */
struct cb_run_config;
int cb_cli_run_config(int argc, char **argv, struct cb_run_config *cfg, int allowed_pus, cb_error *err);
void cb_cli_run_config_free(struct cb_run_config *cfg);
/* The same in two steps, for run itself: the options as given (raw
 * strings; the --benchmark_* flags taken out into gb_argv: 1 when --help
 * was answered, -1 with err), then checked against the machine's PUs into
 * cfg (0, or -1 with err). */
typedef struct cb_run_raw {
	const char *workers, *concurrency, *threads, *pin, *schedule, *size, *reps, *warmup, *rounds,
	           *timeout, *seed, *trace, *checkpoint;
	bool no_report, all_workloads, all_strategies;
} cb_run_raw;
int cb_run_parse_options(int argc, char **argv, struct cb_run_config *cfg, cb_run_raw *raw, int *gb_argc,
                         char **gb_argv, cb_error *err);
int cb_run_apply_options(struct cb_run_config *cfg, const cb_run_raw *raw, int allowed_pus, cb_error *err);

#endif
