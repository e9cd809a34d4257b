/* Timeline data of a traced cell: trace.json (written by run --trace) is
 * read once per report, and each cell drawn gets one .dat file. The
 * executors are the trace's workers; under a coroutine scheduler the tasks
 * of all its coroutines fold onto the scheduler's lane. */
#include "render/timeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resultfile/file.h"

/* More bars than this on one lane are merged with their neighbours: a
 * chart cannot show them apart, and an inline SVG would grow without
 * bound. */
#define MAX_BARS_PER_LANE 400

json_t *cb_timeline_load(const char *results_path)
{
	const char *slash = strrchr(results_path, '/');
	char *path = slash ? cb_xasprintf("%.*s/trace.json", (int)(slash - results_path), results_path)
	                   : cb_xstrdup("trace.json");
	char *text = NULL;
	size_t len = 0;
	cb_error err = { 0 };
	json_t *j = NULL;
	if (!cb_results_load(path, &text, &len, &err))
		j = json_loadb(text, len, 0, NULL);
	free(text);
	free(path);
	if (j && !json_is_array(json_object_get(j, "traceEvents"))) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

typedef struct bar {
	double s, e, blocked;   /* ms from the parallel section's start */
	int lane;
} bar;

static int by_lane_start(const void *a, const void *b)
{
	const bar *x = a, *y = b;
	if (x->lane != y->lane)
		return x->lane - y->lane;
	return (x->s > y->s) - (x->s < y->s);
}

static const json_t *find_cell(const json_t *trace, const char *id)
{
	const json_t *cells = json_object_get(json_object_get(trace, "otherData"), "cells"), *c;
	size_t i;
	json_array_foreach(cells, i, c) {
		const char *cid = json_string_value(json_object_get(c, "id"));
		if (cid && !strcmp(cid, id))
			return c;
	}
	return NULL;
}

/* Merge: per lane, into at most MAX_BARS_PER_LANE bars, joining tasks
 * that overlap (coroutines) or nearly touch. b sorted by lane and start;
 * m has room for nb bars. Returns the bars in m. */
static size_t merge_bars(const bar *b, size_t nb, double span, bar *m)
{
	size_t nm = 0;
	for (size_t k = 0; k < nb;) {
		size_t end = k;
		while (end < nb && b[end].lane == b[k].lane)
			end++;
		double gap = (end - k) > MAX_BARS_PER_LANE ? span / MAX_BARS_PER_LANE : 0;
		for (size_t q = k; q < end; q++) {
			if (nm && m[nm - 1].lane == b[q].lane && b[q].s <= m[nm - 1].e + gap) {
				if (b[q].e > m[nm - 1].e)
					m[nm - 1].e = b[q].e;
				m[nm - 1].blocked += b[q].blocked;
			} else {
				m[nm++] = b[q];
			}
		}
		k = end;
	}
	return nm;
}

int cb_timeline_write(const json_t *trace, const char *id, const char *path, int *lanes,
                      double *par_ms, cb_error *err)
{
	const json_t *meta = find_cell(trace, id), *e;
	if (!meta)
		return 1;
	long pid = (long)json_integer_value(json_object_get(meta, "pid"));
	double p0 = json_number_value(json_object_get(meta, "par_start_us"));
	double p1 = json_number_value(json_object_get(meta, "par_end_us"));
	int nl = (int)json_integer_value(json_object_get(meta, "workers")) *
	         (int)json_integer_value(json_object_get(meta, "threads"));
	size_t i, nb = 0, cap = 64;
	bar *b = cb_xmalloc(cap * sizeof *b);
	json_array_foreach(json_object_get(trace, "traceEvents"), i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		if (!ph || strcmp(ph, "X") || json_integer_value(json_object_get(e, "pid")) != pid)
			continue;
		const json_t *args = json_object_get(e, "args");
		double ts = json_number_value(json_object_get(e, "ts"));
		double dur = json_number_value(json_object_get(e, "dur"));
		int lane = (int)json_integer_value(json_object_get(args, "executor"));
		if (nb == cap)
			b = cb_xrealloc(b, (cap *= 2) * sizeof *b);
		b[nb++] = (bar){ (ts - p0) / 1e3, (ts + dur - p0) / 1e3,
		                 json_number_value(json_object_get(args, "blocked_us")) / 1e3, lane };
		if (lane + 1 > nl)
			nl = lane + 1;
	}
	qsort(b, nb, sizeof *b, by_lane_start);
	double span = (p1 - p0) / 1e3;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fprintf(f, "# concbench timeline of %s (one traced repetition), ms from the start of its "
	        "parallel section\n# block 0: lane start end (the parallel section, waits drawn thin)\n",
	        id);
	for (int l = 0; l < nl; l++)
		fprintf(f, "%d 0 %.6f\n", l, span);
	fputs("\n\n# block 1: lane start end (tasks; neighbours merged past "
	      "a readable count)\n", f);
	bar *m = cb_xmalloc((nb + 1) * sizeof *m);
	size_t nm = merge_bars(b, nb, span, m);
	for (size_t k = 0; k < nm; k++)
		fprintf(f, "%d %.6f %.6f\n", m[k].lane, m[k].s, m[k].e);
	/* A task's blocked time is one sum: drawn at the end of its bar. */
	fputs("\n\n# block 2: lane start end (time blocked in I/O inside the tasks, drawn at "
	      "the end of each bar)\n", f);
	bool any = false;
	for (size_t k = 0; k < nm; k++)
		if (m[k].blocked > 0) {
			double w = m[k].blocked < m[k].e - m[k].s ? m[k].blocked : m[k].e - m[k].s;
			fprintf(f, "%d %.6f %.6f\n", m[k].lane, m[k].e - w, m[k].e);
			any = true;
		}
	if (!any)
		fputs("0 NaN NaN\n", f);
	fclose(f);
	free(m);
	free(b);
	*lanes = nl;
	*par_ms = span;
	int rc = cb_write_file_atomic(path, buf, len, err);
	free(buf);
	return rc;
}
