/* One cell outside a plan, for tests that drive the runner directly
 * (cb_cell_open / cb_cell_rep / cb_cell_close): the configuration, run and
 * placement a plan would give it, and their teardown. */
#ifndef CB_TEST_CELL_FIXTURE_H
#define CB_TEST_CELL_FIXTURE_H

#include <stdlib.h>

#include "engine/run.h"

typedef struct cell_fixture {
	cb_run_config cfg;
	cb_run run;
	cb_cell cell;
	cb_kv kv[4];      /* strategy --param pairs */
	bool own_job;
} cell_fixture;

/* job: an existing job, or NULL to create one of wl at size tiny. Placement
 * as the plan does it: groups for strategies with threads per process.
 * Returns NULL with err set when the job, placement or cell cannot open. */
static inline cell_fixture *cell_fixture_new(cb_job *job, const cb_workload *wl, const cb_strategy *st,
                                             int workers, int conc, int threads, const char *pin,
                                             const char *sched, const cb_kv *kv, size_t nkv, int reps,
                                             cb_error *err)
{
	cell_fixture *f = cb_xcalloc(1, sizeof *f);
	f->cfg.size = CB_SIZE_TINY;
	f->cfg.reps = reps;
	for (size_t i = 0; i < nkv && i < 4; i++)
		f->kv[i] = kv[i];
	f->cfg.params = f->kv;
	f->cfg.nparams = nkv < 4 ? nkv : 4;
	f->run.cfg = &f->cfg;
	f->run.perf_fd = -1;
	f->cell.strategy = st;
	f->cell.workers = workers;
	f->cell.concurrency = conc;
	f->cell.threads = threads;
	f->cell.reps_total = reps;
	f->cell.run = &f->run;
	if (cb_pin_parse(pin, &f->cfg.pin, err) || cb_schedule_parse(sched, &f->cfg.sched, err) ||
	    cb_topology_open(&f->run.topo, NULL, err))
		goto fail;
	if (!job) {
		if (cb_job_create(&job, wl, CB_SIZE_TINY, 1, NULL, 0, NULL, err))
			goto fail;
		f->own_job = true;
	}
	f->cell.job = job;
	if (cb_cell_place(&f->cell, f->run.topo, &f->cfg.pin, err))
		goto fail;
	if (cb_cell_open(&f->cell, err))
		goto fail;
	return f;
fail:
	cb_placement_free(&f->cell.place);
	if (f->own_job)
		cb_job_free(f->cell.job);
	if (f->run.topo)
		cb_topology_free(f->run.topo);
	cb_pin_free(&f->cfg.pin);
	free(f);
	return NULL;
}

static inline void cell_fixture_free(cell_fixture *f)
{
	cb_cell_close(&f->cell);
	cb_placement_free(&f->cell.place);
	free(f->cell.reps);
	free(f->cell.error);
	if (f->own_job)
		cb_job_free(f->cell.job);
	cb_topology_free(f->run.topo);
	cb_pin_free(&f->cfg.pin);
	free(f);
}

#endif
