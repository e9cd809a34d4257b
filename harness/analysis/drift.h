/* A change of the machine's speed during a run: the same step, at the same
 * moment, in every cell of a workload. A shared machine's state drifts
 * (a neighbour on the host, the core it lends a virtual CPU); the runner
 * spreads each cell's rounds over the run, so such a step splits every
 * cell's rounds into a fast and a slow group, which the statistics would
 * read as noise, and a comparison with another run as a change of the
 * code. Pure functions: no I/O. */
#ifndef CB_DRIFT_H
#define CB_DRIFT_H

#include <stdbool.h>
#include <stddef.h>

/* One repetition of one workload: when it began (seconds into the run),
 * its cell (0 .. ncells-1) and its time. */
typedef struct cb_drift_point {
	double at_s, wall_s;
	int cell;
} cb_drift_point;

typedef struct cb_drift {
	bool found;
	double at_s;      /* the step's moment: between the last point before and the first after */
	double ratio;     /* time after / time before (median of the cells' ratios) */
	int cells;        /* cells with 2 repetitions or more on each side */
	int agree;        /* of those, cells that moved the same way by at least CB_DRIFT_CELL */
} cb_drift;

/* A step counts when the workload's times after it differ from those before
 * by CB_DRIFT_STEP or more (10%), and at least two thirds of the cells with
 * two repetitions or more on each side (at least 3 such cells) moved the
 * same way by CB_DRIFT_CELL (5%). Each side of the step holds a fifth of
 * the points at least. */
#define CB_DRIFT_STEP 0.10
#define CB_DRIFT_CELL 0.05

/* pts is reordered (by time). NAN times and times <= 0 are skipped. */
void cb_drift_find(cb_drift_point *pts, size_t n, int ncells, cb_drift *out);

#endif
