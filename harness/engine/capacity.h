/* The machine's parallel capacity under a cell: how much of each of the
 * cell's PUs the cell had while it ran. On a shared VM two busy vCPUs may
 * each run at half the speed of one busy alone (the host put them on one
 * core's two hardware threads, or lent the core to another tenant), and a
 * process of someone else's may share a PU with a worker: a speedup
 * measured then is the machine's, not the model's.
 *
 * Two readings, combined per PU (the smaller wins):
 * - the host's: a probe thread per PU, asleep between readings, times a
 *   short fixed piece of work that keeps a core's units busy (base/chain.h:
 *   independent multiply-adds and divisions) alone on one PU (each in
 *   turn) and on every PU at once; a PU's speed is its recent speed alone
 *   over its speed with all busy, at most 1; a low reading is taken again
 *   at once and the faster kept. It runs outside the timed region, after
 *   each repetition.
 * - the guest's: the share of its PU each worker's thread got while it ran
 *   its part of the job (thread CPU time over wall time, strategy.h's
 *   cb_worker_trace). A probe cannot see another process of this machine
 *   on a PU: the scheduler lets a thread that slept run first for a few
 *   milliseconds, so a short probe runs at full speed beside it while a
 *   worker that computes for longer gets half.
 *
 * The capacity is the sum over the PUs: 2.0 for an undisturbed 2-PU cell.
 * A repetition whose capacity is below CB_CAPACITY_FULL of its PUs was
 * measured at reduced capacity. */
#ifndef CB_CAPACITY_H
#define CB_CAPACITY_H

#include <stdbool.h>

#include "base/common.h"
#include "base/topology.h"
#include "engine/strategy.h"

/* The share of a cell's PUs below which a repetition is set aside. */
#define CB_CAPACITY_FULL 0.9
/* Retakes of a repetition measured at reduced capacity, per round: at
 * most this many, and none after this many in a row were reduced too. */
#define CB_CAPACITY_RETAKES 3
/* The probe's length: CB_CAPACITY_PROBE_SHARE of the cell's repetition
 * (two readings a repetition: alone and together), within these bounds. */
#define CB_CAPACITY_PROBE_SHARE 0.005
#define CB_CAPACITY_PROBE_MIN_MS 0.2
#define CB_CAPACITY_PROBE_MAX_MS 2.0
/* A worker's share counts only over this much of its wall time. */
#define CB_CAPACITY_MIN_WALL_S 0.002

typedef struct cb_capacity cb_capacity;

/* The probe's length beside a cell's repetitions that take rep_s. */
static inline double cb_capacity_probe_ms(double rep_s)
{
	double ms = CB_CAPACITY_PROBE_SHARE * rep_s * 1e3;
	return ms < CB_CAPACITY_PROBE_MIN_MS ? CB_CAPACITY_PROBE_MIN_MS
	     : ms > CB_CAPACITY_PROBE_MAX_MS ? CB_CAPACITY_PROBE_MAX_MS : ms;
}
/* One probe thread per PU of pus (OS indices, n >= 1), bound to it, and
 * the chain calibrated to probe_ms on the first; each PU's speed alone
 * read three times. NULL with err when a thread cannot start or bind.
 * CB_CAPACITY_FAKE=PU:SPEED[:COUNT] (tests) caps that PU's reading of
 * the host at SPEED for the first COUNT readings (all when left out). */
cb_capacity *cb_capacity_open(const cb_topology *t, const int *pus, int n, double probe_ms, cb_error *err);
/* Sets the probe's length (ms, at least 0.05). */
void cb_capacity_set_length(cb_capacity *cp, double probe_ms);
/* One reading of the host: alone on the next PU in turn, then all at
 * once. speed[i] (npus of them): PU i's speed with all busy against alone,
 * at most 1. Returns their sum. */
double cb_capacity_read(cb_capacity *cp, double *speed);
int cb_capacity_npus(const cb_capacity *cp);
const int *cb_capacity_pus(const cb_capacity *cp);
/* Seconds spent in readings so far, and their count. */
double cb_capacity_cost_s(const cb_capacity *cp, int *readings);
void cb_capacity_close(cb_capacity *cp);

/* The machine's capacity over a stretch of time (concbench noise): a
 * reading every every_ms for `seconds`, the probe probe_ms long, on pus.
 * Of the readings (sums over the PUs): the median, 5th percentile and
 * smallest, and the share below CB_CAPACITY_FULL of the PUs. */
typedef struct cb_capacity_dist {
	int pus;
	size_t n;
	double median, p5, min, below;
	double probe_ms;
} cb_capacity_dist;
int cb_capacity_sample(const cb_topology *t, const int *pus, int n, double seconds, double probe_ms,
                       double every_ms, cb_capacity_dist *out, cb_error *err);
/* The same figures of readings already taken (caps: sums over pus PUs). */
void cb_capacity_dist_of(double *caps, size_t n, int pus, cb_capacity_dist *out);

/* The guest's reading after a repetition: for each PU of pus (n), the sum
 * over the executors that ran only there, and never gave up their PU of
 * their own accord (a task waiting on another's output sleeps), of their
 * CPU share (cpu / wall, at most 1 in all), or 1 where no executor's share
 * counts. Executors:
 * trace[0..nexec). */
void cb_capacity_guest(const cb_worker_trace *trace, int nexec, const int *pus, int n, double *speed);

/* The fake reading of CB_CAPACITY_FAKE for PU pu at reading k (from 0),
 * or 1; exposed for the tests. */
double cb_capacity_fake(const char *spec, int pu, long k);

#endif
