/* concbench noise's reading of its timings (noise.c); the timings
 * themselves are machine.c's (cb_noise_measure, engine/run.h). */
#ifndef CB_ENGINE_NOISE_H
#define CB_ENGINE_NOISE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/capacity.h"
#include "engine/run.h"

#define CB_NOISE_MAX_LENGTHS 16
#define CB_NOISE_MAX_ROUNDS 100000

/* What to measure, and the compare test to read it through. */
typedef struct cb_noise_opts {
	double seconds, threshold, alpha, capacity_s;
	long rounds, cells;          /* rounds a side, cells tested together */
	bool busy;                   /* every PU at once */
	uint64_t seed;
	double len[CB_NOISE_MAX_LENGTHS];  /* timing lengths, ms */
	size_t nlen;
} cb_noise_opts;

/* compare's MDC floor for sd at `rounds` a side, at Holm's first level
 * for o's cells. */
double cb_noise_mdc(double sd, double rounds, const cb_noise_opts *o);
/* The fewest rounds a side with an MDC at most o's threshold; 0 past
 * CB_NOISE_MAX_ROUNDS. */
long cb_noise_rounds_for(double sd, const cb_noise_opts *o);
/* The shortest and longest of o's lengths, whose sd ratio against
 * sqrt(short / long) tells noise independent from one millisecond to the
 * next from a state of the machine; false when there are not two. */
bool cb_noise_length_span(const cb_noise_opts *o, size_t *ilo, size_t *ihi);
/* The concbench.noise/1 document of a measurement. */
json_t *cb_noise_json(const cb_noise_opts *o, const cb_noise_summary *sum, const int *pus, size_t npus,
                      const cb_noise_series *sr, const cb_capacity_dist *cap);

#endif
