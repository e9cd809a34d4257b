/* `concbench run`'s options (run_options.c): its usage text, the parsing
 * of argv into a cb_run_config, and the checking of every value, shared
 * with the commands that measure the same plans (ab). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "engine/gbench.h"
#include "engine/run.h"

#define MAX_WORKERS 4096

static const char usage_text[] =
	"usage: concbench run [options] [--benchmark_* flags]\n"
	"\n"
	"Runs workloads x strategies x workers on pinned cores and writes\n"
	"results/<timestamp>-<host>/results.json and results.csv.\n"
	"\n"
	"  -w, --workload LIST    workloads, or all (default: all; see 'concbench list workloads')\n"
	"  -s, --strategy LIST    strategies, or all (default: all; see 'concbench list strategies')\n"
	"  -n, --workers LIST     worker counts: 4, 1,2,4, 1-8, all (default: 1,2,4 ... all PUs)\n"
	"  -c, --concurrency LIST tasks in flight, for strategies that take it (coroutines)\n"
	"  -t, --threads LIST     threads per process, for strategies that take it (hybrid)\n"
	"      --pin POLICY       none, compact, spread, cores, or PUs like 0,2,4-7 (default: compact)\n"
	"      --schedule S       static[:CHUNK] or dynamic[:CHUNK] (default: dynamic:1)\n"
	"      --size SIZE        tiny, quick, default, large (default: default)\n"
	"      --param KEY=VALUE  a workload or strategy parameter (repeatable); OWNER:KEY=VALUE\n"
	"                         sets it for one workload or strategy only (cpu.primes:n=2e6)\n"
	"      --hosts FILE       MPI host file for strategies run by a launcher (mpi): mpirun --hostfile\n"
	"  -r, --reps N           timed repetitions per cell and round (default: 10, suite's own with --suite)\n"
	"      --warmup N         untimed repetitions before the first timed one of each round (default: 1)\n"
	"      --suite NAME       a named set of cells: quick, default\n"
	"      --scaling MODE     strong (default: fixed problem) or weak (the problem grows\n"
	"                         with the workers; speedup is Gustafson's scaled speedup:\n"
	"                         the serial time of the grown job over the cell's time)\n"
	"      --rounds K         K rounds: each cell runs K times, each time in a fresh\n"
	"                         process, cells in a new random order each round\n"
	"                         (independent samples for 'concbench compare'; default 1)\n"
	"      --timeout DURATION limit on one repetition (30s, 5m); a cell past it fails\n"
	"                         and its processes are killed (default: 20 x the warmup,\n"
	"                         at least 60 s; 10 min for the first repetition)\n"
	"      --checkpoint DURATION  how often results.json is rewritten while the run goes on\n"
	"                         (default 10s; 0: after every cell round). It is also written\n"
	"                         when a cell fails and at the end, Ctrl-C included\n"
	"      --seed N           the order of the cells in each round (default: from the clock)\n"
	"      --speedup METHOD   pairs (default): each repetition of a cell runs beside a\n"
	"                         serial repetition of the same job, in the same process,\n"
	"                         order drawn, and the speedup is the median of their\n"
	"                         ratios (a slow minute of the machine falls on both);\n"
	"                         rounds: from the serial cell's own rounds only (cheaper:\n"
	"                         a pair costs a serial repetition more). I/O workloads,\n"
	"                         scaled jobs and mpi are never paired\n"
	"      --trace[=CAP]      after the timed repetitions of round 1, run one more per cell\n"
	"                         (left out of the statistics) recording every task: executor,\n"
	"                         start, end, time blocked in I/O; written to trace.json (Chrome\n"
	"                         trace events: Perfetto, chrome://tracing). Each executor keeps\n"
	"                         its first CAP tasks (default 5000), the rest are counted\n"
	"                         as dropped\n"
	"  -o, --out DIR          results root (default: results); the run goes to DIR/<timestamp>-<host>\n"
	"      --no-report        no report at the end, so no answer lines (concbench report\n"
	"                         writes it later)\n"
	"  -q, --quiet            no table, no plan estimate, no progress line, no warnings,\n"
	"                         no report\n"
	"  -h, --help             this text\n"
	"\n"
	"Every round of every cell runs in a fresh process that holds only that\n"
	"cell's job, so that no cell's figures depend on the other cells of the plan.\n"
	"At the end the run writes report.html into its folder and ends with the\n"
	"answer: per workload the best model and its worker count, whether its lead\n"
	"is beyond noise, and the main loss of the best parallel model; warnings are\n"
	"grouped by kind, every one of them in the folder's warnings.txt.\n"
	"Exit status: 0 all cells ok, 1 a cell failed (wrong checksum, task error),\n"
	"2 bad input, 3 this machine cannot run the request.\n";

static char **split_list(const char *s, int *n)
{
	char *copy = cb_xstrdup(s), *save = NULL;
	char **v = NULL;
	int cnt = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		v = cb_xrealloc(v, (size_t)(cnt + 1) * sizeof *v);
		v[cnt++] = cb_xstrdup(t);
	}
	free(copy);
	*n = cnt;
	return v;
}

static void free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* 1, 2, 4, ... up to max, and max itself. */
static int *pow2_list(int max, int *n)
{
	int *v = cb_xcalloc(32, sizeof *v), cnt = 0;
	for (int w = 1; w < max; w *= 2)
		v[cnt++] = w;
	v[cnt++] = max;
	*n = cnt;
	return v;
}

enum { OPT_PIN = 256, OPT_SCHEDULE, OPT_SIZE, OPT_PARAM, OPT_SUITE, OPT_WARMUP, OPT_ROUNDS, OPT_SCALING, OPT_HOSTS, OPT_TIMEOUT, OPT_SEED, OPT_TRACE, OPT_CHECKPOINT, OPT_NO_REPORT, OPT_SPEEDUP };

static const struct option options[] = {
	{ "workload", required_argument, NULL, 'w' },
	{ "strategy", required_argument, NULL, 's' },
	{ "workers", required_argument, NULL, 'n' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "threads", required_argument, NULL, 't' },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "schedule", required_argument, NULL, OPT_SCHEDULE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "param", required_argument, NULL, OPT_PARAM },
	CB_OPT_REPS,
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "scaling", required_argument, NULL, OPT_SCALING },
	{ "hosts", required_argument, NULL, OPT_HOSTS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "trace", optional_argument, NULL, OPT_TRACE },
	{ "speedup", required_argument, NULL, OPT_SPEEDUP },
	{ "no-report", no_argument, NULL, OPT_NO_REPORT },
	CB_OPT_OUT,
	CB_OPT_QUIET,
	CB_OPT_HELP,
	CB_OPT_END,
};


int cb_run_parse_options(int argc, char **argv, cb_run_config *cfg, cb_run_raw *raw,
                         int *gb_argc, char **gb_argv, cb_error *err)
{
	/* The command the options are for (run, or ab, which takes run's), for
	 * the messages. */
	const char *cmd = argc > 0 && argv[0] ? argv[0] : "run";
	/* Google Benchmark's flags are taken out before getopt sees them. */
	argc = cb_gb_take_flags(argc, argv, gb_argc, gb_argv);
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":w:s:n:c:t:r:o:qh", options, NULL)) != -1) {
		switch (ch) {
		case 'w':
			free_list(cfg->workloads, cfg->nworkloads);
			raw->all_workloads = !strcmp(optarg, "all");
			cfg->workloads = raw->all_workloads ? NULL : split_list(optarg, &cfg->nworkloads);
			cfg->nworkloads = raw->all_workloads ? 0 : cfg->nworkloads;
			break;
		case 's':
			free_list(cfg->strategies, cfg->nstrategies);
			raw->all_strategies = !strcmp(optarg, "all");
			cfg->strategies = raw->all_strategies ? NULL : split_list(optarg, &cfg->nstrategies);
			cfg->nstrategies = raw->all_strategies ? 0 : cfg->nstrategies;
			break;
		case 'n': raw->workers = optarg; break;
		case 'c': raw->concurrency = optarg; break;
		case 't': raw->threads = optarg; break;
		case 'r': raw->reps = optarg; break;
		case 'o': cfg->out_root = optarg; break;
		case 'q': cfg->quiet = true; break;
		case 'h': fputs(usage_text, stdout); return 1;
		case OPT_PIN: raw->pin = optarg; break;
		case OPT_SCHEDULE: raw->schedule = optarg; break;
		case OPT_SIZE: raw->size = optarg; break;
		case OPT_WARMUP: raw->warmup = optarg; break;
		case OPT_SUITE: cfg->suite = optarg; break;
		case OPT_ROUNDS: raw->rounds = optarg; break;
		case OPT_TIMEOUT: raw->timeout = optarg; break;
		case OPT_CHECKPOINT: raw->checkpoint = optarg; break;
		case OPT_SEED: raw->seed = optarg; break;
		case OPT_TRACE: raw->trace = optarg ? optarg : ""; break;
		case OPT_SPEEDUP:
			if (strcmp(optarg, "pairs") && strcmp(optarg, "rounds"))
				return cb_error_set(err, CB_EXIT_USAGE, "unknown --speedup '%s' (known: pairs, rounds)", optarg);
			cfg->pair_serial = !strcmp(optarg, "pairs");
			break;
		case OPT_NO_REPORT: raw->no_report = true; break;
		case OPT_SCALING:
			if (strcmp(optarg, "strong") && strcmp(optarg, "weak"))
				return cb_error_set(err, CB_EXIT_USAGE, "unknown scaling '%s' (known: strong, weak)", optarg);
			cfg->weak = !strcmp(optarg, "weak");
			break;
		case OPT_HOSTS: cfg->hosts = optarg; break;
		case OPT_PARAM: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return cb_error_set(err, CB_EXIT_USAGE, "--param '%s' is not KEY=VALUE", optarg);
			cfg->params = cb_xrealloc(cfg->params, (cfg->nparams + 1) * sizeof *cfg->params);
			char *key = cb_xstrdup(optarg);   /* argv stays intact for the record */
			key[eq - optarg] = 0;
			cfg->params[cfg->nparams++] = (cb_kv){ key, key + (eq - optarg) + 1 };
			break;
		}
		default:
			return cb_cli_opt_error(cmd, ch, argv, err);
		}
	}
	if (optind < argc)
		return cb_error_set(err, CB_EXIT_USAGE, "unexpected argument '%s' (see 'concbench %s --help')",
		                    argv[optind], cmd);
	return 0;
}

int cb_run_apply_options(cb_run_config *cfg, const cb_run_raw *raw, int allowed_pus, cb_error *err)
{
	const cb_suite *suite = NULL;
	if (cfg->suite && !(suite = cb_suite_find(cfg->suite))) {
		char names[256] = "";
		for (const cb_suite *s = cb_suites; s->name; s++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
			         s == cb_suites ? "" : ", ", s->name);
		return cb_error_set(err, CB_EXIT_USAGE, "unknown suite '%s' (known: %s)", cfg->suite, names);
	}
	cfg->size = suite ? suite->size : CB_SIZE_DEFAULT;
	cfg->reps = suite ? suite->reps : 10;
	cfg->rounds = suite ? suite->rounds : 1;
	cfg->warmup = 1;
	if (raw->size && cb_size_parse(raw->size, &cfg->size, err))
		return -1;
	long v;
	if (raw->reps && (cb_parse_long(raw->reps, &v) || v < 1 || v > 100000))
		return cb_error_set(err, CB_EXIT_USAGE, "-r/--reps '%s' must be a whole number from 1 to 100000", raw->reps);
	if (raw->reps)
		cfg->reps = (int)v;
	if (raw->warmup && (cb_parse_long(raw->warmup, &v) || v < 0 || v > 1000))
		return cb_error_set(err, CB_EXIT_USAGE, "--warmup '%s' must be a whole number from 0 to 1000", raw->warmup);
	if (raw->warmup)
		cfg->warmup = (int)v;
	if (raw->rounds && (cb_parse_long(raw->rounds, &v) || v < 1 || v > 1000))
		return cb_error_set(err, CB_EXIT_USAGE, "--rounds '%s' must be a whole number from 1 to 1000", raw->rounds);
	if (raw->rounds)
		cfg->rounds = (int)v;
	if (raw->timeout && (cb_parse_duration(raw->timeout, &cfg->timeout_s) || cfg->timeout_s < 1e-3 ||
	                     cfg->timeout_s > 7 * 86400))
		return cb_error_set(err, CB_EXIT_USAGE, "--timeout '%s' is not a duration from 1ms to 7d "
		                    "(a number with s, ms, m, h or d; seconds when bare)", raw->timeout);
	cfg->checkpoint_s = CB_CHECKPOINT_S;
	if (raw->checkpoint && (cb_parse_duration(raw->checkpoint, &cfg->checkpoint_s) || cfg->checkpoint_s < 0 ||
	                        cfg->checkpoint_s > 86400))
		return cb_error_set(err, CB_EXIT_USAGE, "--checkpoint '%s' is not a duration from 0 to 1d "
		                    "(a number with s, ms, m, h or d; seconds when bare; 0: after every cell round)",
		                    raw->checkpoint);
	cfg->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (raw->seed) {
		char *end;
		errno = 0;
		unsigned long long sd = strtoull(raw->seed, &end, 10);
		if (errno || end == raw->seed || *end || raw->seed[0] == '-' || sd > INT64_MAX)
			return cb_error_set(err, CB_EXIT_USAGE, "--seed '%s' must be a whole number from 0 to %lld",
			                    raw->seed, (long long)INT64_MAX);
		cfg->seed = sd;
	}
	if (raw->trace && *raw->trace && (cb_parse_long(raw->trace, &v) || v < 1 || v > 10000000))
		return cb_error_set(err, CB_EXIT_USAGE, "--trace=%s: the cap must be a whole number of tasks per "
		                    "executor from 1 to 10000000", raw->trace);
	if (raw->trace)
		cfg->trace_cap = *raw->trace ? (size_t)v : CB_TRACE_CAP_DEFAULT;
	if (raw->workers) {
		if (cb_parse_count_list(raw->workers, "-n/--workers", allowed_pus, MAX_WORKERS, &cfg->workers,
		                        &cfg->nworkers, err))
			return -1;
	} else {
		cfg->workers = pow2_list(allowed_pus, &cfg->nworkers);
	}
	if (raw->concurrency && cb_parse_count_list(raw->concurrency, "-c/--concurrency", 10000, 1000000,
	                                            &cfg->concurrency, &cfg->nconcurrency, err))
		return -1;
	if (raw->threads && cb_parse_count_list(raw->threads, "-t/--threads", allowed_pus, MAX_WORKERS,
	                                        &cfg->threads, &cfg->nthreads, err))
		return -1;
	if (cb_pin_parse(raw->pin ? raw->pin : "compact", &cfg->pin, err))
		return -1;
	if (cb_schedule_parse(raw->schedule ? raw->schedule : "dynamic", &cfg->sched, err))
		return -1;
	cb_schedule_format(&cfg->sched, cfg->sched_text, sizeof cfg->sched_text);
	if (suite && !cfg->nworkloads && !raw->all_workloads && strcmp(suite->workloads, "all"))
		cfg->workloads = split_list(suite->workloads, &cfg->nworkloads);
	char *sts = suite && !cfg->nstrategies && !raw->all_strategies ? cb_suite_strategies(suite) : NULL;
	if (sts)
		cfg->strategies = split_list(sts, &cfg->nstrategies);
	free(sts);
	return 0;
}

void cb_cli_run_config_free(cb_run_config *cfg)
{
	free_list(cfg->workloads, cfg->nworkloads);
	free_list(cfg->strategies, cfg->nstrategies);
	free(cfg->workers);
	free(cfg->concurrency);
	free(cfg->threads);
	for (size_t i = 0; i < cfg->nparams; i++)
		free((char *)cfg->params[i].key);
	free(cfg->params);
	cb_pin_free(&cfg->pin);
}

int cb_cli_run_config(int argc, char **argv, cb_run_config *cfg, int allowed_pus, cb_error *err)
{
	cb_run_raw raw = { 0 };
	char **gb_argv = cb_xcalloc((size_t)argc + 2, sizeof *gb_argv);
	int gb_argc = 1;
	gb_argv[0] = "concbench";
	int rc = cb_run_parse_options(argc, argv, cfg, &raw, &gb_argc, gb_argv, err);
	if (!rc && gb_argc > 1)
		rc = cb_error_set(err, CB_EXIT_USAGE, "measurement-engine flag '%s' is for run only", gb_argv[1]);
	free(gb_argv);
	return rc ? rc : cb_run_apply_options(cfg, &raw, allowed_pus, err);
}
