/* METG: the minimum effective task granularity (Task Bench, Slaughter et
 * al., SC20): the smallest task duration at which a model still reaches a
 * given parallel efficiency (50%, 90%). From an efficiency curve measured
 * at task durations stepped on a log scale. */
#ifndef CB_METG_H
#define CB_METG_H

#include <stddef.h>

typedef enum {
	CB_METG_FOUND,      /* crossed inside the durations measured */
	CB_METG_BELOW,      /* efficient at every duration: METG <= the smallest */
	CB_METG_NONE,       /* not efficient even at the largest: METG > it */
} cb_metg_where;

/* d[] ascending task durations (s), e[] the efficiency at each. The METG
 * at theta, as Task Bench takes it: the shortest duration that reaches
 * theta, interpolated linearly in log duration between it and the one
 * before (a coarse grain that falls short again, for imbalance, does not
 * move it); *where says which case. Returns the duration (s): the
 * crossing, d[0] (BELOW) or d[n - 1] (NONE); NAN when n == 0. */
double cb_metg(const double *d, const double *e, size_t n, double theta, cb_metg_where *where);

/* The METG the price list predicts for a bag of tasks: a job of total
 * work W split into tasks of duration d on p workers takes about
 * J + (W / d) (d + c) / p, where J is the model's cost of a job (dispatch
 * and join of an empty job) and c its cost per task (on one worker; a map
 * of empty tasks), so its efficiency W / (p T) reaches theta at
 * d = c / (1 / theta - 1 - p J / W). NAN where the job cost alone keeps
 * the efficiency below theta. */
double cb_metg_estimate(double c_task_s, double job_s, double p, double work_s, double theta);

#endif
