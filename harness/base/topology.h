/* Topology discovery and placement with hwloc. The machine (or a synthetic
 * or XML topology, for tests and for planning on machines one does not
 * have) is loaded once; placement turns a pin policy and a worker count into
 * one cpuset per worker; binding applies a cpuset to the calling thread or
 * process. */
#ifndef CB_TOPOLOGY_H
#define CB_TOPOLOGY_H

#include <hwloc.h>
#include <jansson.h>
#include <stdio.h>

#include "base/common.h"

typedef struct cb_topology cb_topology;

/* source: NULL = this machine (or $CONCBENCH_TOPOLOGY if set);
 * "synthetic:<description>" e.g. "synthetic:pack:2 numa:2 core:8 pu:2";
 * anything else is an XML file path. Errors are CB_EXIT_USAGE for a bad
 * source, CB_EXIT_ENV when hwloc cannot load this machine. */
int cb_topology_open(cb_topology **out, const char *source, cb_error *err);
void cb_topology_free(cb_topology *t);
hwloc_topology_t cb_topology_hwloc(const cb_topology *t);
/* True for this machine, false for synthetic/XML (binding is refused). */
bool cb_topology_is_this_system(const cb_topology *t);

/* Restricts the allowed cpuset (OS indices list "0-7,16-23"), as a cgroup,
 * taskset or a batch scheduler would. Used by tests and --cpus. Successive
 * calls intersect; PUs of the list that are not allowed are ignored, an
 * empty result is CB_EXIT_USAGE. Placement then runs on a copy of the tree
 * restricted with hwloc_topology_restrict(), so that every policy, spread's
 * hwloc_distrib included, sees only allowed PUs; the summary's machine
 * counts (packages ... pus) still describe the whole tree. */
int cb_topology_restrict(cb_topology *t, const char *oslist, cb_error *err);

typedef struct cb_topology_summary {
	int packages, numa_nodes, l3_groups, cores, pus;
	int allowed_pus, allowed_cores;     /* inside the allowed cpuset */
	unsigned long long llc_bytes;       /* size of one last-level cache */
	int llc_level;                      /* 3 usually, 2 where there is no L3 */
	unsigned long long memory_bytes;
} cb_topology_summary;
void cb_topology_summarize(const cb_topology *t, cb_topology_summary *s);

/* The machine record for results.json: summary fields, the allowed cpuset,
 * caches per level, and the synthetic description of the tree. */
json_t *cb_topology_to_json(const cb_topology *t);
/* Human-readable machine description, as `concbench topo` prints it. */
void cb_topology_print(const cb_topology *t, FILE *f);
/* For every policy and 1..max_workers workers, the PUs each worker gets. */
void cb_topology_print_placements(const cb_topology *t, int max_workers, FILE *f);
/* The same as JSON: {"compact": [{"workers", "pu": [...], "oversubscribed"}
 * or {"workers", "error"}, ...], ...}, one key per named policy. */
json_t *cb_topology_placements_json(const cb_topology *t, int max_workers);

/* Pin policies. */
typedef enum {
	CB_PIN_NONE,     /* the OS decides */
	CB_PIN_COMPACT,  /* consecutive allowed PUs in hwloc's logical order */
	CB_PIN_SPREAD,   /* hwloc_distrib over the tree, one PU per worker */
	CB_PIN_CORES,    /* first allowed PU of each core, no SMT siblings */
	CB_PIN_LIST,     /* explicit OS indices "0,2,4-7", dealt round-robin */
} cb_pin_kind;

typedef struct cb_pin {
	cb_pin_kind kind;
	int *list;      /* CB_PIN_LIST: OS indices in the order given */
	int nlist;
	char text[128]; /* canonical text: "compact", "0,2,4-7" */
} cb_pin;

/* Parses a policy name or a list. Syntax only: whether the PUs exist is
 * checked by cb_place(). Unknown names list the known ones. */
int cb_pin_parse(const char *s, cb_pin *out, cb_error *err);
void cb_pin_free(cb_pin *p);
/* "none, compact, spread, cores", then "0,2,4-7": the list form by
 * example, for `concbench list pins` and the "known:" part of errors. */
extern const char *const cb_pin_names[];   /* NULL-terminated */
extern const char *const cb_pin_summaries[];

typedef struct cb_placement {
	int workers;
	hwloc_bitmap_t *sets;  /* [workers]; NULL entries under CB_PIN_NONE */
	int *pu;               /* [workers] OS index of the PU, -1 under none */
	int usable_pus;        /* PUs the cell may use (allowed, or list size) */
	bool oversubscribed;   /* more workers than usable PUs */
} cb_placement;

/* Exact, deterministic answers (tests check them on synthetic trees):
 * compact: worker i -> allowed PU (i mod allowed) in logical order;
 * cores:   worker i -> first allowed PU of allowed core i; more workers than
 *          allowed cores is CB_EXIT_USAGE;
 * spread:  hwloc_distrib over the allowed PUs, each set singlified, wraps
 *          round when workers > PUs;
 * list:    worker i -> list[i mod n]; a PU not in the allowed cpuset is
 *          CB_EXIT_USAGE naming it and the allowed set;
 * none:    no sets. */
int cb_place(const cb_topology *t, const cb_pin *pin, int workers,
             cb_placement *out, cb_error *err);
/* Groups for hybrid strategies: workers = groups * per_group, worker
 * g * per_group + k is thread k of group g. The groups come from the biggest
 * level (package, NUMA node, L3, core, PU) with at least `groups` allowed
 * objects; group g takes objects [g*n/groups, (g+1)*n/groups) of the n.
 * Inside a group, compact and spread deal its PUs in logical order and
 * cores its cores' first PUs; more threads than that wrap round the group
 * (oversubscribed) except under cores (CB_EXIT_USAGE), more groups than
 * PUs wrap round the PUs. none gives no sets; a PU list is CB_EXIT_USAGE. */
int cb_place_groups(const cb_topology *t, const cb_pin *pin, int groups,
                    int per_group, cb_placement *out, cb_error *err);
void cb_placement_free(cb_placement *p);
/* "0,1,2" (OS indices per worker) or "none"; ends in "..." when cut. */
void cb_placement_format(const cb_placement *p, char *buf, size_t n);

/* For every policy (none, compact, spread, cores) and every worker count
 * 1..max_workers (< 1: the allowed PUs), the PU of each worker, or the
 * error where a policy refuses; `concbench topo` prints it. */
void cb_topology_print_placements(const cb_topology *t, int max_workers, FILE *f);
/* The same as JSON: {"compact": [{"workers", "pu": [...], "oversubscribed"}
 * or {"workers", "error"}, ...], ...}, one key per named policy. */
json_t *cb_topology_placements_json(const cb_topology *t, int max_workers);

/* Bind the calling thread / the calling process. 0 or -errno. A NULL set is
 * a no-op returning 0. Refused (-ENOTSUP) on a non-system topology. */
int cb_bind_thread(const cb_topology *t, hwloc_const_bitmap_t set);
/* At most `most` of the n PUs of pus[], spread evenly over them (the first
 * kept), in place; returns how many are kept. The probe and concbench noise
 * take their PUs so: a wide machine's rounds would pay for every PU. */
size_t cb_spread_pus(int *pus, size_t n, size_t most);
int cb_bind_process(const cb_topology *t, hwloc_const_bitmap_t set);

#endif
