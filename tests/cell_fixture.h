/* One cell outside a plan, for tests that drive the cell lifecycle directly
 * (cb_cell_rep): the engine's solo cell (cb_solo_open) at size tiny, on a
 * job of its own when none is given. */
#ifndef CB_TEST_CELL_FIXTURE_H
#define CB_TEST_CELL_FIXTURE_H

#include <stdlib.h>

#include "engine/run.h"

typedef struct cell_fixture {
	cb_cell *cell;
	cb_job *own_job;
} cell_fixture;

/* job: an existing job, or NULL to create one of wl at size tiny. Returns
 * NULL with err set when the job, placement or cell cannot open. */
static inline cell_fixture *cell_fixture_new(cb_job *job, const cb_workload *wl, const cb_strategy *st,
                                             int workers, int conc, int threads, const char *pin,
                                             const char *sched, const cb_kv *kv, size_t nkv, int reps,
                                             cb_error *err)
{
	cell_fixture *f = cb_xcalloc(1, sizeof *f);
	if (!job) {
		if (cb_job_create(&job, wl, CB_SIZE_TINY, 1, NULL, 0, NULL, err)) {
			free(f);
			return NULL;
		}
		f->own_job = job;
	}
	cb_solo_spec spec = { .job = job, .strategy = st, .workers = workers, .concurrency = conc,
	                      .threads = threads, .reps = reps, .pin = pin, .sched = sched,
	                      .params = kv, .nparams = nkv, .size = CB_SIZE_TINY };
	f->cell = cb_solo_open(&spec, err);
	if (!f->cell) {
		if (f->own_job)
			cb_job_free(f->own_job);
		free(f);
		return NULL;
	}
	return f;
}

static inline void cell_fixture_free(cell_fixture *f)
{
	cb_solo_free(f->cell);
	if (f->own_job)
		cb_job_free(f->own_job);
	free(f);
}

#endif
