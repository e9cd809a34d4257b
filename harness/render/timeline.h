/* Timelines of traced cells (run --trace): trace.json beside a results
 * file, read once, and per cell the .dat file the timeline template draws
 * (executors on y, time on x, tasks as bars, time blocked in I/O and idle
 * waits drawn apart). */
#ifndef CB_TIMELINE_H
#define CB_TIMELINE_H

#include <jansson.h>
#include <stdbool.h>

#include "base/common.h"

/* trace.json in the folder of results file `results_path`; NULL (no error)
 * when there is none or it cannot be read as a trace. */
json_t *cb_timeline_load(const char *results_path);

/* The .dat of cell `id` (three blocks: each executor's parallel section,
 * its task bars, their blocked parts; times in ms from the start of the
 * parallel section). A lane with more bars than a chart can show has
 * neighbouring tasks merged into one bar. 0, or 1 when the trace has no
 * such cell, or -1 with err set. *lanes: the executors; *par_ms: the
 * parallel section's length. */
int cb_timeline_write(const json_t *trace, const char *id, const char *path, int *lanes,
                      double *par_ms, cb_error *err);

#endif
