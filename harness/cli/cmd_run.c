/* `concbench run`: parse the options into a cb_run_config, build the plan
 * (every name and value validated before anything runs or is written), run
 * it, and print the table. Google Benchmark's own --benchmark_* flags pass
 * through to the measurement engine. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "base/build.h"
#include "engine/gbench.h"
#include "engine/run.h"
#include "analysis/series.h"
#include "resultfile/read.h"
#include "render/dependencies.h"

static void format_seconds(double s, char *buf, size_t n)
{
	if (s >= 1)
		snprintf(buf, n, "%.3fs", s);
	else if (s >= 1e-3)
		snprintf(buf, n, "%.2fms", s * 1e3);
	else
		snprintf(buf, n, "%.1fus", s * 1e6);
}

/* "2.41 Gflop/s": the workload's rate with an SI prefix. */
static void format_rate(const json_t *cell, char *buf, size_t n)
{
	json_t *r = json_object_get(cell, "rate");
	const char *unit = json_string_value(json_object_get(cell, "rate_unit"));
	if (!json_is_real(r) || !unit) {
		snprintf(buf, n, "-");
		return;
	}
	double v = json_real_value(r);
	const char *prefix = "";
	static const char *const prefixes[] = { "k", "M", "G", "T" };
	for (int k = 0; k < 4 && v >= 1000; k++) {
		v /= 1000;
		prefix = prefixes[k];
	}
	snprintf(buf, n, "%.3g %s%s", v, prefix, unit);
}

/* "1.98", "1.52!" when the cell never had full capacity, "1.98~" when
 * its workers, with their PUs, did the work slower than alone
 * (cb_cell_work_speed_warning), "+2" for the repetitions set aside and
 * retaken; "-" when not measured. */
static void format_capacity(const json_t *cell, char *buf, size_t n)
{
	const json_t *cap = json_object_get(cell, "capacity");
	if (!json_is_object(cap)) {
		snprintf(buf, n, "-");
		return;
	}
	json_int_t aside = json_integer_value(json_object_get(cap, "set_aside"));
	char more[16] = "";
	if (aside)
		snprintf(more, sizeof more, " +%lld", (long long)aside);
	char *slow = cb_cell_work_speed_warning(cell);
	snprintf(buf, n, "%.2f%s%s", json_number_value(json_object_get(cap, "median")),
	         json_is_true(json_object_get(cap, "limited")) ? "!" : slow ? "~" : "", more);
	free(slow);
}

static void print_table(json_t *root)
{
	size_t i;
	json_t *c;
	int width = 4;
	json_array_foreach(json_object_get(root, "cells"), i, c) {
		int len = (int)strlen(json_string_value(json_object_get(c, "id")));
		width = len > width ? len : width;
	}
	/* The law's column is the ideal for each cell's own job: Amdahl's,
	 * Gustafson's under weak scaling (speedup_bound is either). */
	const char *scaling = json_string_value(json_object_get(json_object_get(root, "config"), "scaling"));
	bool weak = scaling && !strcmp(scaling, "weak");
	printf("%-*s %10s %8s %6s %9s %6s %9s %14s %s\n", width, "cell", "median", "speedup", "eff",
	       weak ? "gustafson" : "amdahl", "cv", "capacity",
	       "rate", "ok");
	json_array_foreach(json_object_get(root, "cells"), i, c) {
		json_t *st = json_object_get(c, "stats");
		double med = json_real_value(json_object_get(st, "median_s"));
		json_t *s = json_object_get(c, "speedup"), *e = json_object_get(c, "efficiency"),
		       *a = json_object_get(c, "speedup_bound"), *cv = json_object_get(st, "cv");
		char ms[16] = "-", ss[16] = "-", es[16] = "-", as[16] = "-", cs[16] = "-";
		if (json_is_real(json_object_get(st, "median_s")))
			format_seconds(med, ms, sizeof ms);
		if (json_is_real(s)) snprintf(ss, sizeof ss, "%.3f", json_real_value(s));
		if (json_is_real(e)) snprintf(es, sizeof es, "%.3f", json_real_value(e));
		if (json_is_real(a)) snprintf(as, sizeof as, "%.3f", json_real_value(a));
		if (json_is_real(cv)) snprintf(cs, sizeof cs, "%.1f%%", 100 * json_real_value(cv));
		char rs[32], ks[24];
		format_rate(c, rs, sizeof rs);
		format_capacity(c, ks, sizeof ks);
		const char *err = json_string_value(json_object_get(c, "error"));
		const char *skipped = json_string_value(json_object_get(c, "skipped"));
		printf("%-*s %10s %8s %6s %9s %6s %9s %14s %s%s%s\n", width, json_string_value(json_object_get(c, "id")), ms,
		       ss, es, as, cs, ks, rs,
		       skipped ? "-" : json_is_true(json_object_get(c, "checksum_ok")) ? "yes" : "NO",
		       err || skipped ? "  " : "", err ? err : skipped ? skipped : "");
	}
}

/* "about 42 s", "about 7 min", "about 1 h 15 min". */
static void format_duration(double s, char *buf, size_t n)
{
	long m = lround(s / 60);
	if (s < 1)
		snprintf(buf, n, "under a second");
	else if (s < 90)
		snprintf(buf, n, "about %.0f s", s);
	else if (m < 60)
		snprintf(buf, n, "about %ld min", m);
	else
		snprintf(buf, n, "about %ld h %ld min", m / 60, m % 60);
}

/* A plan past this length is worth a warning before it starts. */
#define LONG_PLAN_S 600.0

/* The plan's size and how long it will take, before anything is measured:
 * a plan can run far longer than its command line suggests (a serial cell
 * of 10,000 sleeps of 10 ms waits 100 s a repetition). */
static void print_estimate(const cb_run *run)
{
	cb_estimate e;
	cb_plan_estimate(run, &e);
	char total[48];
	format_duration(e.total_s, total, sizeof total);
	fprintf(stderr, "concbench: %d cell%s x %d round%s x (%d warmup + %d repetition%s): %s, estimated "
	        "from the serial reference runs\n", e.cells, e.cells == 1 ? "" : "s", e.rounds,
	        e.rounds == 1 ? "" : "s", e.warmup, e.reps, e.reps == 1 ? "" : "s", total);
	if (e.total_s <= LONG_PLAN_S)
		return;
	char top[1024] = "";
	size_t off = 0;
	for (int k = 0; k < e.ntop && off < sizeof top; k++) {
		char d[48];
		format_duration(e.top_s[k], d, sizeof d);
		off += (size_t)snprintf(top + off, sizeof top - off, "%s%s (%s)",
		                        k == 0 ? "" : k == e.ntop - 1 ? " and " : ", ", run->cells[e.top[k]].id, d);
	}
	fprintf(stderr, "concbench: warning: this plan runs for %s, most of it in %s; fewer cells, "
	        "repetitions (-r, --warmup) or rounds, or a smaller --size or --param, shorten it\n", total, top);
}

/* The machine's record (its noise, for runs whose rounds compare tests:
 * 3 s before the first cell), and the two warnings said before the first
 * cell and not again at the end (said[0..2), malloc'ed or NULL): how many
 * lines were printed. */
static int describe_machine(cb_run *run, char *said[2])
{
	int told = 0;
	run->machine = cb_machine_json(run->topo);
	if (run->cfg->rounds >= CB_NOISE_MIN_ROUNDS)
		json_object_set_new(run->machine, "noise", cb_machine_noise_json(run->topo, CB_NOISE_RUN_S));
	said[0] = cb_build_warning(cb_build_self());
	said[1] = cb_machine_fault_warning(json_number_value(json_object_get(run->machine, "page_fault_us")));
	for (int i = 0; i < 2; i++)
		if (said[i] && !run->cfg->quiet) {
			fprintf(stderr, "concbench: warning: %s\n", said[i]);
			told++;
		}
	return told;
}

/* The run's folder with a first results.json, published as the latest:
 * 0, or -1 with err and no empty folder left behind. */
static int open_run_dir(cb_run *run, cb_error *err)
{
	if (cb_run_dir_create(run->cfg->out_root, run->created, &run->dir, err))
		return -1;
	if (cb_results_write(run, err)) {
		/* Nothing ran: leave no empty folder behind, and latest as it was. */
		cb_run_dir_remove(run->dir);
		return -1;
	}
	cb_run_dir_publish(run->cfg->out_root, run->dir);
	return 0;
}

/* Runs the plan, then the table, and the answer (or the warnings alone
 * with --no-report, or nothing but where a failed run's results are with
 * --quiet): 0, or -1 with err when the runner itself failed. */
static int measure_and_tell(cb_run *run, const cb_run_raw *raw, const char *const *said, int told, cb_error *err)
{
	bool quiet = run->cfg->quiet;
	int run_rc = cb_runner_run(run, err);
	/* Cells the disk could not take are still measured: the table on
	 * standard output is then their only record. */
	if (!quiet && (!run_rc || run->write_error)) {
		json_t *root = cb_results_json(run);
		print_table(root);
		cb_dependencies_print(stdout, root);
		json_decref(root);
	}
	fflush(stdout);
	if (run_rc)
		return -1;
	const char *note = run->interrupted ? " (interrupted: finished cells kept)" : "";
	if (!quiet && !raw->no_report)
		cb_cli_run_answer(run->dir, note, said, 2, told);
	else if (!quiet)
		cb_cli_run_warnings(run->dir, note, said, 2, told);
	else if (run->failed)
		fprintf(stderr, "concbench: results in %s/results.json%s\n", run->dir, note);
	return 0;
}

int cb_cmd_run(int argc, char **argv)
{
	cb_run_config cfg = { .out_root = "results", .argc = argc + 1, .pair_serial = true };
	cb_cli_voice voice = { 0 };
	cb_run run = { .cfg = &cfg, .perf_fd = -1, .say = { cb_cli_say, &voice } };
	cb_error err = { 0 };
	cb_run_raw raw = { 0 };
	char *said[2] = { NULL, NULL };
	int told = 0;   /* warning lines printed before the first cell */
	char **gb_argv = cb_xcalloc((size_t)argc + 2, sizeof *gb_argv);
	int gb_argc = 1, rc;
	gb_argv[0] = "concbench";

	/* The recorded command line is taken before getopt permutes argv. */
	char **cmdline = cb_xcalloc((size_t)argc + 1, sizeof *cmdline);
	cmdline[0] = "concbench";
	for (int i = 0; i < argc; i++)
		cmdline[i + 1] = argv[i];
	cfg.argv = cmdline;

	rc = cb_run_parse_options(argc, argv, &cfg, &raw, &gb_argc, gb_argv, &err);
	if (rc > 0) {
		rc = CB_EXIT_OK;
		goto out;
	}
	if (rc)
		goto fail;
	if (cb_topology_open(&run.topo, NULL, &err))
		goto fail;
	cb_topology_summary sum;
	cb_topology_summarize(run.topo, &sum);
	if (cb_run_apply_options(&cfg, &raw, sum.allowed_pus, &err) || cb_out_root_check(cfg.out_root, &err))
		goto fail;
	voice.quiet = cfg.quiet;
	cb_gb_init(&gb_argc, gb_argv);
	if (gb_argc > 1) {
		cb_error_set(&err, CB_EXIT_USAGE, "unknown measurement-engine flag '%s'", gb_argv[1]);
		goto fail;
	}
	/* An interrupt from here on still tears every job down. */
	cb_runner_catch_interrupts();
	if (cb_plan_build(&run, &err) || cb_runner_select(&run, &err) || cb_runner_check_interrupt(&err))
		goto fail;
	if (!cfg.quiet) {
		print_estimate(&run);
		told += cb_cli_warn_short_jobs(&run);
	}
	told += describe_machine(&run, said);
	if (open_run_dir(&run, &err) || measure_and_tell(&run, &raw, (const char *const *)said, told, &err))
		goto fail;
	rc = run.failed ? CB_EXIT_FAIL : CB_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "concbench: %s\n", err.msg);
	rc = err.code ? err.code : CB_EXIT_FAIL;
out:
	cb_plan_free(&run);
	if (run.machine)
		json_decref(run.machine);
	if (run.topo)
		cb_topology_free(run.topo);
	free(run.dir);
	free(run.write_error);
	free(said[0]);
	free(said[1]);
	free(gb_argv);
	free(cmdline);
	cb_cli_run_config_free(&cfg);
	return rc;
}
