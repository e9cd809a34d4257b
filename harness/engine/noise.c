/* What concbench noise reads from its timings (engine/noise.h): compare's
 * MDC at the rounds and cells asked for, the rounds a change of the
 * threshold's size would take, the lengths whose sd ratio says what kind
 * of noise it is, and the concbench.noise/1 document. */
#include <stdio.h>

#include "base/stats.h"
#include "engine/noise.h"

/* At Holm's first level for the cells. */
double cb_noise_mdc(double sd, double rounds, const cb_noise_opts *o)
{
	return cb_mdc_floor(sd, rounds, o->alpha / (double)o->cells);
}

/* The fewest rounds a side with an MDC at most the threshold; 0 past the cap. */
long cb_noise_rounds_for(double sd, const cb_noise_opts *o)
{
	for (long r = 2; r <= CB_NOISE_MAX_ROUNDS; r++)
		if (cb_noise_mdc(sd, (double)r, o) <= o->threshold)
			return r;
	return 0;
}

bool cb_noise_length_span(const cb_noise_opts *o, size_t *ilo, size_t *ihi)
{
	*ilo = *ihi = 0;
	for (size_t l = 1; l < o->nlen; l++) {
		*ilo = o->len[l] < o->len[*ilo] ? l : *ilo;
		*ihi = o->len[l] > o->len[*ihi] ? l : *ihi;
	}
	return o->nlen > 1 && o->len[*ihi] > o->len[*ilo];
}

static json_t *capacity_json(const cb_capacity_dist *d)
{
	if (!d->n)
		return json_null();
	return json_pack("{s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f}", "pus", d->pus, "readings", (json_int_t)d->n,
	                 "probe_ms", d->probe_ms, "median", d->median, "p5", d->p5, "min", d->min, "below_full",
	                 d->below, "full_share", CB_CAPACITY_FULL);
}

json_t *cb_noise_json(const cb_noise_opts *o, const cb_noise_summary *sum, const int *pus, size_t npus,
                      const cb_noise_series *sr, const cb_capacity_dist *cap)
{
	const double *med_sd = sum->med_sd, *max_sd = sum->max_sd, floor = sum->floor;
	long need = cb_noise_rounds_for(floor, o);
	json_t *doc = json_pack("{s:s, s:f, s:b, s:i, s:i, s:f, s:f, s:i, s:f, s:f, s:o}", "schema",
	                        "concbench.noise/1", "seconds", o->seconds, "busy", o->busy, "rounds",
	                        (json_int_t)o->rounds, "cells", (json_int_t)o->cells, "threshold", o->threshold,
	                        "alpha", o->alpha, "timings", (json_int_t)sr[0].n, "floor_sd_log", floor,
	                        "floor_mdc", cb_noise_mdc(floor, (double)o->rounds, o), "floor_rounds_needed",
	                        need ? json_integer(need) : json_null());
	json_t *ja = json_array();
	for (size_t p = 0; p < npus; p++)
		json_array_append_new(ja, json_integer(pus[p]));
	json_object_set_new(doc, "pus", ja);
	json_t *lens = json_array();
	for (size_t l = 0; l < o->nlen; l++) {
		long need = cb_noise_rounds_for(med_sd[l], o);
		json_t *per = json_object();
		for (size_t p = 0; p < npus; p++) {
			char key[16];
			snprintf(key, sizeof key, "%d", pus[p]);
			const cb_noise_stat *s = &sum->stat[p * o->nlen + l];
			json_object_set_new(per, key, json_pack("{s:f, s:f, s:i}", "median_ms", s->median_ms, "sd_log", s->sd,
			                                        "set_aside", (json_int_t)s->set_aside));
		}
		json_array_append_new(lens, json_pack("{s:f, s:f, s:f, s:f, s:o, s:o}", "ms", o->len[l], "median_sd_log",
		                                      med_sd[l], "largest_sd_log", max_sd[l], "mdc",
		                                      cb_noise_mdc(med_sd[l], (double)o->rounds, o), "rounds_needed",
		                                      need ? json_integer(need) : json_null(), "per_pu", per));
	}
	json_object_set_new(doc, "lengths", lens);
	json_object_set_new(doc, "capacity", capacity_json(cap));
	return doc;
}
