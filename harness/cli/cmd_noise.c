/* `concbench noise`: how steady this machine is for CPU-bound work, before
 * any cell is blamed for its spread. A fixed floating-point chain, sized to
 * a few lengths, is timed on each PU in a new random order each cycle;
 * the sd of log time per PU and length is the floor under every CPU-bound
 * cell's rounds, and through compare's own MDC it says the smallest change
 * a cell could show at R rounds a side among M cells, and the rounds that
 * a change of the threshold's size would take. The lengths side by side
 * show what kind of noise it is: noise independent from one millisecond to
 * the next shrinks as 1/sqrt(length), a state of the machine that lasts
 * longer than a timing does not shrink at all (then more rounds help, and
 * longer repetitions do not). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "compare/compare.h"
#include "engine/capacity.h"
#include "engine/noise.h"
#include "engine/run.h"


static const char usage_text[] =
	"usage: concbench noise [--seconds S] [--lengths LIST] [--cpus LIST] [--busy]\n"
	"                       [--rounds R] [--cells M] [--threshold PCT] [--format text|json]\n"
	"\n"
	"Times a fixed floating-point chain (core-bound, no memory traffic) sized to\n"
	"each length, on each PU in turn, in a new random order each cycle, and\n"
	"prints the sd of log time per PU and length: the floor under the spread of\n"
	"every CPU-bound cell's rounds on this machine now. Timings that compare\n"
	"would set aside (over 15% and 3.5 robust sds slower) are left out and\n"
	"counted. From it, with compare's\n"
	"test, the smallest change a cell could show (MDC, 80% power, Holm's level\n"
	"for M cells, the variance known exactly: the best case) at R rounds a side,\n"
	"and the rounds a side a change of the threshold's size would take. Run it\n"
	"while nothing else runs: whatever else runs is part of what it measures.\n"
	"\n"
	"  --seconds S      how long to measure (default 10; at least 5 cycles)\n"
	"  --lengths LIST   timing lengths in ms (default 5,10,20,40,80; at most 16)\n"
	"  --cpus LIST      the PUs (OS indices, as 0,2-3) (default: every allowed PU;\n"
	"                   at most 8 of them, spread evenly)\n"
	"  --busy           time on every PU at once, as a cell with a worker on each\n"
	"                   runs (default: one PU at a time, the others idle)\n"
	"  --rounds R       rounds a side for the MDC (default 10: the quick suite's)\n"
	"  --cells M        cells tested together (default 143: the quick suite's on 2 PUs;\n"
	"                   compare's first line gives the count for other plans)\n"
	"  --threshold PCT  the change compare should see (default 5)\n"
	"  --capacity-seconds S  then, for S seconds (default 5; 0: not), the machine's\n"
	"                   parallel capacity on those PUs (2 or more): every 50 ms a\n"
	"                   10 ms probe alone on one PU, then on all at once; each PU's\n"
	"                   speed with all busy against alone, summed (2.0: two PUs that\n"
	"                   run as fast together as alone). Its median, 5th percentile,\n"
	"                   smallest, and the share of moments below 90% of the PUs\n"
	"  --format F       text (default) or json\n"
	"  --seed N         the order of the timings\n"
	"  -h, --help       this text\n"
	"\n"
	"exit: 0 measured, 2 bad input, 3 this machine cannot bind to its PUs\n";

typedef struct {
	cb_noise_opts n;
	bool json;
	const char *cpus;
} noise_opts;

static int parse_lengths(const char *text, noise_opts *o, cb_error *err)
{
	char *copy = cb_xstrdup(text), *save = NULL;
	o->n.nlen = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double v;
		if (o->n.nlen == CB_NOISE_MAX_LENGTHS || cb_parse_double(tok, &v) || !(v >= 0.5 && v <= 10000)) {
			free(copy);
			return cb_error_set(err, CB_EXIT_USAGE, "--lengths '%s': give at most %d lengths in ms, each "
			                    "from 0.5 to 10000, comma-separated (as 5,10,20)", text, CB_NOISE_MAX_LENGTHS);
		}
		o->n.len[o->n.nlen++] = v;
	}
	free(copy);
	if (!o->n.nlen)
		return cb_error_set(err, CB_EXIT_USAGE, "--lengths '%s' names no length (as 5,10,20)", text);
	return 0;
}

/* One option of noise's (not --help): 0, or -1 with err. */
static int parse_option(int ch, const char *arg, noise_opts *o, cb_error *err)
{
	double v;
	switch (ch) {
	case 'S':
		if (cb_parse_double(arg, &v) || !(v >= 0.1 && v <= 3600))
			return cb_error_set(err, CB_EXIT_USAGE, "--seconds '%s' must be a number from 0.1 to 3600",
			                    arg);
		o->n.seconds = v;
		return 0;
	case 'K':
		if (cb_parse_double(arg, &v) || !(v == 0 || (v >= 0.1 && v <= 3600)))
			return cb_error_set(err, CB_EXIT_USAGE, "--capacity-seconds '%s' must be 0 or a number "
			                    "from 0.1 to 3600", arg);
		o->n.capacity_s = v;
		return 0;
	case 'L':
		return parse_lengths(arg, o, err);
	case 'C':
		o->cpus = arg;
		return 0;
	case 'B':
		o->n.busy = true;
		return 0;
	case 'R':
		if (cb_parse_long(arg, &o->n.rounds) || o->n.rounds < 2 || o->n.rounds > CB_NOISE_MAX_ROUNDS)
			return cb_error_set(err, CB_EXIT_USAGE, "--rounds '%s' must be a whole number from 2 to %d",
			                    arg, CB_NOISE_MAX_ROUNDS);
		return 0;
	case 'M':
		if (cb_parse_long(arg, &o->n.cells) || o->n.cells < 1 || o->n.cells > 1000000)
			return cb_error_set(err, CB_EXIT_USAGE, "--cells '%s' must be a whole number from 1 to 1000000",
			                    arg);
		return 0;
	case 'T':
		if (cb_parse_double(arg, &v) || !(v > 0 && v <= 100))
			return cb_error_set(err, CB_EXIT_USAGE, "--threshold '%s' must be a percentage above 0, "
			                    "at most 100 (as 5)", arg);
		o->n.threshold = v / 100;
		return 0;
	case 'F':
		if (strcmp(arg, "text") && strcmp(arg, "json"))
			return cb_error_set(err, CB_EXIT_USAGE, "--format '%s' (valid: text, json)", arg);
		o->json = !strcmp(arg, "json");
		return 0;
	case 's': {
		long seed;
		if (cb_parse_long(arg, &seed) || seed < 0)
			return cb_error_set(err, CB_EXIT_USAGE, "--seed '%s' must be a whole number, 0 or more", arg);
		o->n.seed = (uint64_t)seed;
		return 0;
	}
	}
	return 0;
}

static int parse_args(int argc, char **argv, noise_opts *o, cb_error *err)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 'S' },  { "lengths", required_argument, NULL, 'L' },
		{ "cpus", required_argument, NULL, 'C' },     { "rounds", required_argument, NULL, 'R' },
		{ "cells", required_argument, NULL, 'M' },    { "threshold", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'F' },   { "seed", required_argument, NULL, 's' },
		{ "busy", no_argument, NULL, 'B' },           { "capacity-seconds", required_argument, NULL, 'K' },
		CB_OPT_HELP,
		CB_OPT_END,
	};
	cb_cmp_opts defaults;
	cb_cmp_opts_default(&defaults);
	*o = (noise_opts){ .n = { .seconds = 10, .threshold = defaults.threshold, .alpha = defaults.alpha,
		                  .rounds = 10, .cells = 143, .capacity_s = 5 } };
	if (parse_lengths("5,10,20,40,80", o, err))
		return -1;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (ch == 'h')
			return 1;
		if (!strchr("SKLCBRMTFs", ch) || ch == 0)
			return cb_cli_opt_error("noise", ch, argv, err);
		if (parse_option(ch, optarg, o, err))
			return -1;
	}
	if (optind < argc)
		return cb_error_set(err, CB_EXIT_USAGE, "unexpected argument '%s' (see 'concbench noise --help')",
		                    argv[optind]);
	return 0;
}

static void print_text(const noise_opts *o, const cb_noise_series *sr, const cb_noise_summary *sum, const int *pus,
                       size_t npus)
{
	const cb_noise_stat *st = sum->stat;
	const double *med_sd = sum->med_sd, *max_sd = sum->max_sd;
	printf("concbench noise: a fixed floating-point chain timed on %zu PU%s (", npus, npus > 1 ? "s" : "");
	for (size_t p = 0; p < npus; p++)
		printf("%s%d", p ? ", " : "", pus[p]);
	printf(")%s, %zu length%s, %.1f s, %zu timings each; %zu of %zu set aside as compare would\n\n",
	       o->n.busy ? " all at once" : " one at a time", o->n.nlen, o->n.nlen > 1 ? "s" : "", o->n.seconds, sr[0].n,
	       sum->set_aside, sum->timings);
	printf("  length   median     sd of log time     MDC floor at %ld    rounds a side\n", o->n.rounds);
	printf("           (PUs)      median  largest    rounds, %ld cells   for %g%%\n", o->n.cells, 100 * o->n.threshold);
	for (size_t l = 0; l < o->n.nlen; l++) {
		double m[CB_NOISE_MAX_PUS];
		for (size_t p = 0; p < npus; p++)
			m[p] = st[p * o->n.nlen + l].median_ms;
		long need = cb_noise_rounds_for(med_sd[l], &o->n);
		char needs[24];
		if (need)
			snprintf(needs, sizeof needs, "%ld", need);
		else
			snprintf(needs, sizeof needs, "over %d", CB_NOISE_MAX_ROUNDS);
		printf("  %5g ms  %7.2f ms  %5.1f%%   %5.1f%%     %5.1f%%             %s\n", o->n.len[l],
		       cb_median(m, npus), 100 * med_sd[l], 100 * max_sd[l],
		       100 * cb_noise_mdc(med_sd[l], (double)o->n.rounds, &o->n), needs);
	}
	printf("\n  sd of log time per PU:\n");
	for (size_t p = 0; p < npus; p++) {
		printf("    PU %-4d", pus[p]);
		for (size_t l = 0; l < o->n.nlen; l++)
			printf("  %g ms %.1f%%", o->n.len[l], 100 * st[p * o->n.nlen + l].sd);
		printf("\n");
	}
	size_t ilo, ihi;
	if (cb_noise_length_span(&o->n, &ilo, &ihi))
		printf("\nLonger timings: the sd at %g ms is %.2fx that at %g ms. Noise independent from one\n"
		       "millisecond to the next would give %.2fx; a state of the machine that outlasts a\n"
		       "timing gives 1x, and then more rounds help where longer repetitions do not.\n",
		       o->n.len[ihi], med_sd[ihi] / med_sd[ilo], o->n.len[ilo], sqrt(o->n.len[ilo] / o->n.len[ihi]));
	double floor = sum->floor;
	long need = cb_noise_rounds_for(floor, &o->n);
	printf("\nThe floor: the same CPU-bound work varies here by %.1f%% (sd of log time, the median over\n"
	       "the lengths); compare with %ld rounds a side among %ld cells cannot see a change under %.1f%%\n"
	       "in a cell that noisy, at 80%% power and even with its variance known exactly; ",
	       100 * floor, o->n.rounds, o->n.cells, 100 * cb_noise_mdc(floor, (double)o->n.rounds, &o->n));
	if (need)
		printf("%ld rounds a side would reach %g%%.\n", need, 100 * o->n.threshold);
	else
		printf("no number of rounds up to %d would reach %g%%.\n", CB_NOISE_MAX_ROUNDS, 100 * o->n.threshold);
}

#define CAPACITY_PROBE_MS 10.0
#define CAPACITY_EVERY_MS 50.0

static void print_capacity(const cb_capacity_dist *d)
{
	if (!d->n)
		return;
	printf("\nParallel capacity (%zu readings, a %.0f ms probe on %d PUs at once against each alone):\n"
	       "  median %.2f, 5th percentile %.2f, smallest %.2f of %d; %.0f%% of the moments below %.0f%% of the PUs.\n"
	       "  run marks and retakes a repetition measured at such a moment.\n",
	       d->n, d->probe_ms, d->pus, d->median, d->p5, d->min, d->pus, 100 * d->below, 100 * CB_CAPACITY_FULL);
}

int cb_cmd_noise(int argc, char **argv)
{
	noise_opts o;
	cb_error err = { 0 };
	int r = cb_cli_parsed(parse_args(argc, argv, &o, &err), usage_text, &err);
	if (r >= 0)
		return r;
	cb_topology *t;
	if (cb_topology_open(&t, NULL, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		return err.code;
	}
	if (o.cpus && cb_topology_restrict(t, o.cpus, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		cb_topology_free(t);
		return err.code;
	}
	int pus[CB_NOISE_MAX_PUS];
	size_t npus = cb_noise_pus(t, pus, &err);
	cb_noise_series *sr = NULL;
	if (npus && !o.json)
		fprintf(stderr, "concbench noise: measuring for %.1f s ...\n",
		        o.n.seconds + (npus > 1 ? o.n.capacity_s : 0));
	if (!npus || cb_noise_measure(t, pus, npus, o.n.len, o.n.nlen, o.n.seconds, o.n.busy, o.n.seed, &sr, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		cb_topology_free(t);
		return err.code;
	}
	size_t nseries = npus * o.n.nlen;
	cb_capacity_dist cap = { 0 };
	if (npus > 1 && o.n.capacity_s > 0 &&
	    cb_capacity_sample(t, pus, (int)npus, o.n.capacity_s, CAPACITY_PROBE_MS, CAPACITY_EVERY_MS, &cap, &err)) {
		fprintf(stderr, "concbench: %s\n", err.msg);
		cb_noise_free(sr, nseries);
		cb_topology_free(t);
		return err.code;
	}
	cb_noise_summary sum;
	cb_noise_summarize(sr, npus, o.n.nlen, &sum);
	int rc = CB_EXIT_OK;
	if (o.json) {
		json_t *doc = cb_noise_json(&o.n, &sum, pus, npus, sr, &cap);
		rc = json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) ? CB_EXIT_FAIL : CB_EXIT_OK;
		printf("\n");
		json_decref(doc);
	} else {
		print_text(&o, sr, &sum, pus, npus);
		print_capacity(&cap);
	}
	cb_noise_summary_free(&sum);
	cb_noise_free(sr, nseries);
	cb_topology_free(t);
	return rc;
}
