/* The strategy table: one line per concurrency model. Listing, lookup and
 * "unknown strategy" errors are generated from it. */
#include "engine/strategy.h"

extern const cb_strategy cb_st_serial;
extern const cb_strategy cb_st_threads;
extern const cb_strategy cb_st_threadpool;
extern const cb_strategy cb_st_openmp;
extern const cb_strategy cb_st_processes;
extern const cb_strategy cb_st_processpool;
extern const cb_strategy cb_st_coroutines;
extern const cb_strategy cb_st_hybrid;
extern const cb_strategy cb_st_mpi;
extern const cb_strategy cb_st_py_threadpool;
extern const cb_strategy cb_st_py_processpool;
/* A test build adds one strategy of its own here (tests/dummy/). */
#ifdef CB_EXTRA_STRATEGY
extern const cb_strategy CB_EXTRA_STRATEGY;
#endif

const cb_strategy *const cb_strategies[] = {
	&cb_st_serial,
	&cb_st_threads,
	&cb_st_threadpool,
	&cb_st_openmp,
	&cb_st_processes,
	&cb_st_processpool,
	&cb_st_coroutines,
	&cb_st_hybrid,
	&cb_st_mpi,
	&cb_st_py_threadpool,
	&cb_st_py_processpool,
#ifdef CB_EXTRA_STRATEGY
	&CB_EXTRA_STRATEGY,
#endif
	NULL,
};
