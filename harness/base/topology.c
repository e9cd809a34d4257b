/* Topology discovery, placement and binding over hwloc. The tree is loaded
 * once per run; the plan asks cb_place() for one cpuset per worker of each
 * cell and the strategies bind their threads or processes to those sets. */
#include "base/topology.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Larger than any Linux NR_CPUS; keeps a typo such as "0-999999999" from
 * allocating a huge list or bitmap. */
#define CB_PU_INDEX_MAX 65535

/* Two trees: `topo` as loaded is the machine record (summary, JSON, and the
 * handle binding needs), `place` is the same tree restricted to the allowed
 * PUs with hwloc_topology_restrict(). Placement runs on `place` only, so
 * that hwloc_distrib, logical order and core boundaries never see a PU the
 * process may not use, while the record still says what the machine has.
 * `place` is `topo` itself while nothing is disallowed. */
struct cb_topology {
	hwloc_topology_t topo;
	hwloc_topology_t place;
	hwloc_bitmap_t allowed;  /* OS indices; always non-empty */
	char *source;            /* "this system", "synthetic:...", an XML path */
};

/* ---------------------------------------------------------------- open */

static int rebuild_place(cb_topology *t, cb_error *err)
{
	if (t->place && t->place != t->topo)
		hwloc_topology_destroy(t->place);
	t->place = t->topo;
	if (hwloc_bitmap_isequal(t->allowed, hwloc_topology_get_topology_cpuset(t->topo)))
		return 0;
	hwloc_topology_t d;
	if (hwloc_topology_dup(&d, t->topo) < 0)
		return cb_error_set(err, CB_EXIT_ENV, "cannot copy the topology: %s", strerror(errno));
	if (hwloc_topology_restrict(d, t->allowed, HWLOC_RESTRICT_FLAG_REMOVE_CPULESS) < 0) {
		int e = errno;
		hwloc_topology_destroy(d);
		return cb_error_set(err, CB_EXIT_ENV, "cannot restrict the topology: %s", strerror(e));
	}
	t->place = d;
	return 0;
}

static int set_source(hwloc_topology_t topo, const char *source, const char *what,
                      cb_error *err)
{
	if (!strncmp(source, "synthetic:", 10)) {
		if (hwloc_topology_set_synthetic(topo, source + 10) < 0)
			return cb_error_set(err, CB_EXIT_USAGE,
			                    "%s: hwloc rejects synthetic topology '%s': %s "
			                    "(e.g. synthetic:pack:2 numa:2 core:8 pu:2; "
			                    "HWLOC_SYNTHETIC_VERBOSE=1 shows where)",
			                    what, source + 10, strerror(errno));
		return 0;
	}
	/* hwloc says only ENOENT or EINVAL; stat() first tells the user which
	 * of "no such file" and "not a topology" it is. */
	struct stat st;
	if (!*source || stat(source, &st) < 0)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "%s: cannot read topology XML '%s': %s "
		                    "(a source is an XML file or synthetic:<description>)",
		                    what, source, *source ? strerror(errno) : "empty path");
	if (hwloc_topology_set_xml(topo, source) < 0)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "%s: hwloc cannot load topology XML '%s': %s "
		                    "(HWLOC_XML_VERBOSE=1 shows why)",
		                    what, source, strerror(errno));
	return 0;
}

int cb_topology_open(cb_topology **out, const char *source, cb_error *err)
{
	int rc = -1;
	const char *what = "topology";
	*out = NULL;
	if (!source) {
		const char *env = getenv("CONCBENCH_TOPOLOGY");
		if (env && *env) {
			source = env;
			what = "$CONCBENCH_TOPOLOGY";
		}
	}
	cb_topology *t = cb_xcalloc(1, sizeof *t);
	if (hwloc_topology_init(&t->topo) < 0) {
		t->topo = NULL;
		cb_error_set(err, CB_EXIT_ENV, "hwloc cannot initialise a topology: %s",
		             strerror(errno));
		goto out;
	}
	if (source && set_source(t->topo, source, what, err) < 0)
		goto out;
	if (hwloc_topology_load(t->topo) < 0) {
		cb_error_set(err, source ? CB_EXIT_USAGE : CB_EXIT_ENV,
		             "%s: hwloc cannot load %s: %s", what,
		             source ? source : "this machine's topology", strerror(errno));
		goto out;
	}
	/* Without HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED hwloc has already
	 * dropped the PUs outside our cgroup; the intersection keeps
	 * allowed_pus right when a tree (an XML file, a future flag) still
	 * holds them. */
	t->allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t->topo));
	if (!t->allowed) {
		cb_error_set(err, CB_EXIT_ENV, "out of memory");
		goto out;
	}
	hwloc_bitmap_and(t->allowed, t->allowed, hwloc_topology_get_topology_cpuset(t->topo));
	if (hwloc_bitmap_iszero(t->allowed)) {
		cb_error_set(err, CB_EXIT_ENV, "%s: no PU is allowed to this process", what);
		goto out;
	}
	if (rebuild_place(t, err) < 0)
		goto out;
	t->source = cb_xstrdup(source ? source : "this system");
	*out = t;
	t = NULL;
	rc = 0;
out:
	cb_topology_free(t);
	return rc;
}

void cb_topology_free(cb_topology *t)
{
	if (!t)
		return;
	if (t->place && t->place != t->topo)
		hwloc_topology_destroy(t->place);
	if (t->topo)
		hwloc_topology_destroy(t->topo);
	hwloc_bitmap_free(t->allowed);
	free(t->source);
	free(t);
}

/* The tree as loaded, not the restricted one: binding needs the handle that
 * knows it is this system, and callers asking hwloc about the machine want
 * the whole machine. */
hwloc_topology_t cb_topology_hwloc(const cb_topology *t)
{
	return t->topo;
}

bool cb_topology_is_this_system(const cb_topology *t)
{
	return hwloc_topology_is_thissystem(t->topo);
}

/* ------------------------------------------------------------ PU lists */

/* "0,2,4-7" -> OS indices in the order given. On error `why` says which
 * token is wrong. */
static int parse_pu_list(const char *s, int **out, int *n, char *why, size_t whylen)
{
	int *v = NULL, cnt = 0, cap = 0;
	const char *p = s, *tok = s;
	*out = NULL;
	*n = 0;
	if (!*s) {
		snprintf(why, whylen, "the list is empty");
		goto bad;
	}
	for (;;) {
		long lo, hi;
		tok = p;
		if (*p == '-') {
			snprintf(why, whylen, "PU indices are non-negative ('%.*s')",
			         (int)strcspn(tok, ","), tok);
			goto bad;
		}
		if (!isdigit((unsigned char)*p))
			goto bad_token;
		lo = strtol(p, (char **)&p, 10);
		hi = lo;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad_token;
			hi = strtol(p, (char **)&p, 10);
		}
		if (*p && *p != ',')
			goto bad_token;
		if (lo > CB_PU_INDEX_MAX || hi > CB_PU_INDEX_MAX) {
			snprintf(why, whylen, "'%.*s' is above the largest PU index %d",
			         (int)(p - tok), tok, CB_PU_INDEX_MAX);
			goto bad;
		}
		if (hi < lo) {
			snprintf(why, whylen, "range %ld-%ld runs backwards", lo, hi);
			goto bad;
		}
		for (long x = lo; x <= hi; x++) {
			if (cnt == cap) {
				cap = cap ? 2 * cap : 16;
				int *nv = realloc(v, (size_t)cap * sizeof *v);
				if (!nv)
					abort();
				v = nv;
			}
			v[cnt++] = (int)x;
		}
		if (!*p)
			break;
		p++;  /* the comma; a trailing or doubled one is an empty token */
		if (!*p || *p == ',') {
			snprintf(why, whylen, "empty entry between commas");
			goto bad;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
bad_token:
	snprintf(why, whylen, "'%.*s' is neither a PU index nor a range such as 4-7",
	         (int)strcspn(tok, ","), tok);
bad:
	free(v);
	return -1;
}

/* Ascending runs written as ranges, order kept: {0,1,2,5} -> "0-2,5". */
static void format_pu_list(const int *v, int n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < n;) {
		int j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		char item[32];
		if (j > i)
			snprintf(item, sizeof item, "%s%d-%d", i ? "," : "", v[i], v[j]);
		else
			snprintf(item, sizeof item, "%s%d", i ? "," : "", v[i]);
		size_t il = strlen(item);
		if (used + il + 1 > len) {
			/* Too long for the label: say so rather than cut a number. */
			if (len >= 4)
				strcpy(buf + (used + 4 <= len ? used : len - 4), "...");
			return;
		}
		memcpy(buf + used, item, il + 1);
		used += il;
		i = j + 1;
	}
}

static char *bitmap_list(hwloc_const_bitmap_t set)
{
	char *s = NULL;
	if (hwloc_bitmap_list_asprintf(&s, set) < 0 || !s)
		abort();
	return s;
}

int cb_topology_restrict(cb_topology *t, const char *oslist, cb_error *err)
{
	int rc = -1, *v = NULL, n = 0;
	char why[256];
	char *valid = bitmap_list(t->allowed);
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	if (!set)
		abort();
	if (!oslist || parse_pu_list(oslist, &v, &n, why, sizeof why) < 0) {
		cb_error_set(err, CB_EXIT_USAGE, "invalid PU list '%s': %s (allowed PUs: %s)",
		             oslist ? oslist : "", oslist ? why : "no list", valid);
		goto out;
	}
	for (int i = 0; i < n; i++)
		hwloc_bitmap_set(set, (unsigned)v[i]);
	hwloc_bitmap_and(set, set, t->allowed);
	if (hwloc_bitmap_iszero(set)) {
		cb_error_set(err, CB_EXIT_USAGE,
		             "PU list '%s' leaves no PU to run on (allowed PUs: %s)", oslist, valid);
		goto out;
	}
	hwloc_bitmap_copy(t->allowed, set);
	rc = rebuild_place(t, err);
out:
	hwloc_bitmap_free(set);
	free(valid);
	free(v);
	return rc;
}

/* ------------------------------------------------------------- summary */

static int count_type(hwloc_topology_t topo, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(topo, type);
	return n > 0 ? n : 0;
}

/* Trees without Core objects (some synthetic ones, some platforms) have
 * each PU stand for its own core. */
static int count_cores(hwloc_topology_t topo)
{
	int n = count_type(topo, HWLOC_OBJ_CORE);
	return n ? n : count_type(topo, HWLOC_OBJ_PU);
}

typedef struct cache_info {
	char name[8];            /* "L1d", "L2", "L3i" */
	unsigned level;
	const char *kind;        /* "unified", "data", "instruction" */
	unsigned long long size; /* of the first cache of this kind */
	int count;
} cache_info;

static const hwloc_obj_type_t cache_types[] = {
	HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
	HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
};
#define NCACHE_TYPES (sizeof cache_types / sizeof *cache_types)

static bool get_cache(hwloc_topology_t topo, hwloc_obj_type_t type, cache_info *c)
{
	hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, 0);
	if (!o || !o->attr)
		return false;
	c->level = o->attr->cache.depth;
	c->size = o->attr->cache.size;
	c->count = count_type(topo, type);
	switch (o->attr->cache.type) {
	case HWLOC_OBJ_CACHE_DATA:
		c->kind = "data";
		snprintf(c->name, sizeof c->name, "L%ud", c->level);
		break;
	case HWLOC_OBJ_CACHE_INSTRUCTION:
		c->kind = "instruction";
		snprintf(c->name, sizeof c->name, "L%ui", c->level);
		break;
	default:
		c->kind = "unified";
		snprintf(c->name, sizeof c->name, "L%u", c->level);
		break;
	}
	return true;
}

void cb_topology_summarize(const cb_topology *t, cb_topology_summary *s)
{
	memset(s, 0, sizeof *s);
	s->packages = count_type(t->topo, HWLOC_OBJ_PACKAGE);
	s->numa_nodes = count_type(t->topo, HWLOC_OBJ_NUMANODE);
	s->l3_groups = count_type(t->topo, HWLOC_OBJ_L3CACHE);
	s->cores = count_cores(t->topo);
	s->pus = count_type(t->topo, HWLOC_OBJ_PU);
	s->allowed_pus = hwloc_bitmap_weight(t->allowed);
	s->allowed_cores = count_cores(t->place);
	/* The last level is the deepest data or unified cache: instruction
	 * caches never hold a workload's data. */
	static const hwloc_obj_type_t data_caches[] = {
		HWLOC_OBJ_L5CACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L3CACHE,
		HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L1CACHE,
	};
	for (size_t i = 0; i < sizeof data_caches / sizeof *data_caches; i++) {
		cache_info c;
		if (get_cache(t->topo, data_caches[i], &c)) {
			s->llc_level = (int)c.level;
			s->llc_bytes = c.size;
			break;
		}
	}
	s->memory_bytes = hwloc_get_root_obj(t->topo)->total_memory;
}

/* hwloc refuses asymmetric trees; NULL then. */
static char *export_synthetic(hwloc_topology_t topo)
{
	char buf[4096];
	int n = hwloc_topology_export_synthetic(topo, buf, sizeof buf, 0);
	if (n < 0 || (size_t)n >= sizeof buf - 1)
		return NULL;
	return cb_xstrdup(buf);
}

static const char *hwloc_version_string(void)
{
#ifdef HWLOC_VERSION
	return HWLOC_VERSION;
#else
	static char v[32];
	unsigned a = hwloc_get_api_version();
	snprintf(v, sizeof v, "api %u.%u.%u", a >> 16, (a >> 8) & 0xff, a & 0xff);
	return v;
#endif
}

json_t *cb_topology_to_json(const cb_topology *t)
{
	cb_topology_summary s;
	cb_topology_summarize(t, &s);
	char *cpus = bitmap_list(t->allowed);
	char *synth = export_synthetic(t->topo);
	json_t *caches = json_array();
	for (size_t i = 0; i < NCACHE_TYPES; i++) {
		cache_info c;
		if (!get_cache(t->topo, cache_types[i], &c))
			continue;
		json_array_append_new(caches, json_pack("{s:s, s:I, s:s, s:I, s:i}",
			"name", c.name, "level", (json_int_t)c.level, "type", c.kind,
			"size_bytes", (json_int_t)c.size, "count", c.count));
	}
	json_t *j = json_pack("{s:s, s:b, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:o,"
	                      " s:i, s:I, s:I, s:o}",
		"source", t->source,
		"this_system", cb_topology_is_this_system(t),
		"hwloc_version", hwloc_version_string(),
		"packages", s.packages,
		"numa_nodes", s.numa_nodes,
		"l3_groups", s.l3_groups,
		"cores", s.cores,
		"pus", s.pus,
		"allowed_pus", s.allowed_pus,
		"allowed_cores", s.allowed_cores,
		"allowed_cpuset", cpus,
		"caches", caches,
		"llc_level", s.llc_level,
		"llc_bytes", (json_int_t)s.llc_bytes,
		"memory_bytes", (json_int_t)s.memory_bytes,
		"synthetic", synth ? json_string(synth) : json_null());
	free(cpus);
	free(synth);
	return j;
}

static void format_bytes(unsigned long long b, char *buf, size_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof units / sizeof *units) {
		v /= 1024;
		u++;
	}
	if (v == (double)(unsigned long long)v)
		snprintf(buf, n, "%llu %s", (unsigned long long)v, units[u]);
	else
		snprintf(buf, n, "%.1f %s", v, units[u]);
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void cb_topology_print(const cb_topology *t, FILE *f)
{
	cb_topology_summary s;
	cb_topology_summarize(t, &s);
	char *cpus = bitmap_list(t->allowed);
	char *synth = export_synthetic(t->topo);
	char size[32];

	fprintf(f, "topology: %s (hwloc %s)\n", t->source, hwloc_version_string());
	fprintf(f, "  %d %s, %d NUMA %s, %d L3 %s, %d %s, %d %s\n",
	        s.packages, plural(s.packages, "package", "packages"),
	        s.numa_nodes, plural(s.numa_nodes, "node", "nodes"),
	        s.l3_groups, plural(s.l3_groups, "group", "groups"),
	        s.cores, plural(s.cores, "core", "cores"),
	        s.pus, plural(s.pus, "PU", "PUs"));
	fprintf(f, "  allowed: %d %s on %d %s, cpuset %s\n",
	        s.allowed_pus, plural(s.allowed_pus, "PU", "PUs"),
	        s.allowed_cores, plural(s.allowed_cores, "core", "cores"), cpus);
	fprintf(f, "  caches:");
	int ncaches = 0;
	for (size_t i = 0; i < NCACHE_TYPES; i++) {
		cache_info c;
		if (!get_cache(t->topo, cache_types[i], &c))
			continue;
		format_bytes(c.size, size, sizeof size);
		fprintf(f, "%s %s %s x%d", ncaches++ ? "," : "", c.name, size, c.count);
	}
	if (!ncaches)
		fprintf(f, " none reported");
	else if (s.llc_level)
		fprintf(f, " (last level: L%d)", s.llc_level);
	fprintf(f, "\n");
	format_bytes(s.memory_bytes, size, sizeof size);
	fprintf(f, "  memory: %s\n", size);
	if (synth)
		fprintf(f, "  tree: %s\n", synth);
	free(cpus);
	free(synth);
}

/* ----------------------------------------------------------------- pins */

/* The last entry is the list form, by example; `concbench list pins` and
 * the "known:" part of errors are both generated from these tables. */
const char *const cb_pin_names[] = {
	"none", "compact", "spread", "cores", "0,2,4-7", NULL,
};
const char *const cb_pin_summaries[] = {
	"no binding: the OS scheduler decides",
	"consecutive allowed PUs in hwloc's logical order (SMT siblings first)",
	"hwloc_distrib across packages, NUMA nodes and caches, one PU per worker",
	"one PU per physical core, no SMT siblings; refuses more workers than cores",
	"explicit OS PU indices: worker i on the i-th, round-robin past the end of the list",
	NULL,
};
static const cb_pin_kind pin_kinds[] = {
	CB_PIN_NONE, CB_PIN_COMPACT, CB_PIN_SPREAD, CB_PIN_CORES,
};
#define NPIN_NAMES (sizeof pin_kinds / sizeof *pin_kinds)

static void known_pins(char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; cb_pin_names[i] && used < n; i++) {
		if (isdigit((unsigned char)cb_pin_names[i][0]))
			used += (size_t)snprintf(buf + used, n - used, ", or a list of PUs such as %s",
			                         cb_pin_names[i]);
		else
			used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
			                         cb_pin_names[i]);
	}
}

int cb_pin_parse(const char *s, cb_pin *out, cb_error *err)
{
	char known[256], why[256];
	memset(out, 0, sizeof *out);
	known_pins(known, sizeof known);
	if (!s || !*s)
		return cb_error_set(err, CB_EXIT_USAGE, "empty pin policy (known: %s)", known);
	/* A leading digit or minus sign means the user meant a list; a list
	 * error then says what is wrong with it instead of "unknown name". */
	if (isdigit((unsigned char)s[0]) || s[0] == '-') {
		if (parse_pu_list(s, &out->list, &out->nlist, why, sizeof why) < 0)
			return cb_error_set(err, CB_EXIT_USAGE, "invalid PU list '%s': %s", s, why);
		out->kind = CB_PIN_LIST;
		format_pu_list(out->list, out->nlist, out->text, sizeof out->text);
		return 0;
	}
	for (size_t i = 0; i < NPIN_NAMES; i++)
		if (!strcmp(s, cb_pin_names[i])) {
			out->kind = pin_kinds[i];
			snprintf(out->text, sizeof out->text, "%s", cb_pin_names[i]);
			return 0;
		}
	return cb_error_set(err, CB_EXIT_USAGE, "unknown pin policy '%s' (known: %s)", s, known);
}

void cb_pin_free(cb_pin *p)
{
	if (!p)
		return;
	free(p->list);
	p->list = NULL;
	p->nlist = 0;
}

/* ------------------------------------------------------------ placement */

/* OS indices of the PUs of `place` inside `within` (NULL: all) in logical
 * order; with per_core only the first PU of each core. PUs of one core are
 * consecutive in logical order, so comparing with the previous core is
 * enough. */
static int *candidates(hwloc_topology_t place, hwloc_const_bitmap_t within, bool per_core,
                       int *n)
{
	int npus = count_type(place, HWLOC_OBJ_PU);
	int *v = cb_xmalloc(sizeof *v * (size_t)(npus ? npus : 1));
	hwloc_obj_t prev_core = NULL;
	*n = 0;
	for (int i = 0; i < npus; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(place, HWLOC_OBJ_PU, (unsigned)i);
		if (within && !hwloc_bitmap_isset(within, pu->os_index))
			continue;
		if (per_core) {
			hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(place, HWLOC_OBJ_CORE, pu);
			if (core && core == prev_core)
				continue;
			prev_core = core;
		}
		v[(*n)++] = (int)pu->os_index;
	}
	return v;
}

/* hwloc_distrib hands out min(workers, PUs) sets; workers beyond the PUs
 * wrap round the distribution of all PUs so that oversubscription stays
 * even (hwloc's own answer for n > PUs stacks neighbours on one PU). */
static int spread_assign(hwloc_topology_t place, int workers, int *assign, cb_error *err)
{
	int rc = -1;
	int npus = count_type(place, HWLOC_OBJ_PU);
	int n = workers < npus ? workers : npus;
	/* hwloc_distrib stores a fresh hwloc_bitmap_dup() in each slot: the
	 * slots start empty and are ours to free. */
	hwloc_bitmap_t *sets = cb_xcalloc((size_t)n, sizeof *sets);
	hwloc_obj_t root = hwloc_get_root_obj(place);
	if (hwloc_distrib(place, &root, 1, sets, (unsigned)n, INT_MAX, 0) < 0) {
		cb_error_set(err, CB_EXIT_ENV, "hwloc_distrib failed: %s", strerror(errno));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (!sets[i]) {
			cb_error_set(err, CB_EXIT_ENV, "hwloc_distrib left worker %d without a PU", i);
			goto out;
		}
		hwloc_bitmap_singlify(sets[i]);
	}
	for (int i = 0; i < workers; i++)
		assign[i] = hwloc_bitmap_first(sets[i % n]);
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		hwloc_bitmap_free(sets[i]);
	free(sets);
	return rc;
}

static int cores_refusal(int workers, int cores, const char *unit, cb_error *err)
{
	return cb_error_set(err, CB_EXIT_USAGE,
	                    "pin 'cores' puts one worker on each core: %d workers but %s has "
	                    "only %d %s; use compact or spread to share cores",
	                    workers, unit, cores, plural(cores, "core", "cores"));
}

/* Turns one OS index per worker (-1: unbound) into the placement. */
static void fill_placement(cb_placement *out, int workers, const int *assign, int usable)
{
	out->workers = workers;
	out->sets = cb_xcalloc((size_t)workers, sizeof *out->sets);
	out->pu = cb_xmalloc(sizeof *out->pu * (size_t)workers);
	for (int i = 0; i < workers; i++) {
		out->pu[i] = assign[i];
		if (assign[i] < 0)
			continue;
		if (!(out->sets[i] = hwloc_bitmap_alloc()))
			abort();
		hwloc_bitmap_only(out->sets[i], (unsigned)assign[i]);
	}
	out->usable_pus = usable;
	out->oversubscribed = workers > usable;
}

int cb_place(const cb_topology *t, const cb_pin *pin, int workers, cb_placement *out,
             cb_error *err)
{
	int rc = -1, n = 0;
	int *cand = NULL, *assign = NULL;
	int usable = hwloc_bitmap_weight(t->allowed);
	char *valid = NULL;
	hwloc_bitmap_t distinct = NULL;
	memset(out, 0, sizeof *out);
	if (workers < 1)
		return cb_error_set(err, CB_EXIT_USAGE, "placement needs at least 1 worker, not %d",
		                    workers);
	assign = cb_xmalloc(sizeof *assign * (size_t)workers);
	switch (pin->kind) {
	case CB_PIN_NONE:
		for (int i = 0; i < workers; i++)
			assign[i] = -1;
		break;
	case CB_PIN_COMPACT:
		cand = candidates(t->place, NULL, false, &n);
		for (int i = 0; i < workers; i++)
			assign[i] = cand[i % n];
		break;
	case CB_PIN_CORES:
		cand = candidates(t->place, NULL, true, &n);
		if (workers > n) {
			cores_refusal(workers, n, "the allowed set", err);
			goto out;
		}
		for (int i = 0; i < workers; i++)
			assign[i] = cand[i];
		break;
	case CB_PIN_SPREAD:
		if (spread_assign(t->place, workers, assign, err) < 0)
			goto out;
		break;
	case CB_PIN_LIST:
		if (pin->nlist < 1) {
			cb_error_set(err, CB_EXIT_USAGE, "empty PU list");
			goto out;
		}
		if (!(distinct = hwloc_bitmap_alloc()))
			abort();
		for (int i = 0; i < pin->nlist; i++) {
			if (pin->list[i] < 0 || !hwloc_bitmap_isset(t->allowed, (unsigned)pin->list[i])) {
				valid = bitmap_list(t->allowed);
				cb_error_set(err, CB_EXIT_USAGE, "PU %d is not available (allowed PUs: %s)",
				             pin->list[i], valid);
				goto out;
			}
			hwloc_bitmap_set(distinct, (unsigned)pin->list[i]);
		}
		for (int i = 0; i < workers; i++)
			assign[i] = pin->list[i % pin->nlist];
		usable = hwloc_bitmap_weight(distinct);
		break;
	default:
		cb_error_set(err, CB_EXIT_USAGE, "unknown pin policy %d", (int)pin->kind);
		goto out;
	}
	fill_placement(out, workers, assign, usable);
	rc = 0;
out:
	hwloc_bitmap_free(distinct);
	free(valid);
	free(cand);
	free(assign);
	return rc;
}

/* Levels tried for hybrid groups, biggest first. */
static const hwloc_obj_type_t group_levels[] = {
	HWLOC_OBJ_PACKAGE, HWLOC_OBJ_NUMANODE, HWLOC_OBJ_L3CACHE, HWLOC_OBJ_CORE, HWLOC_OBJ_PU,
};

/* The cpusets of one level's objects when they partition the allowed PUs
 * (NUMA nodes may share a cpuset, as DDR and MCDRAM do: one unit then; a
 * level that overlaps or misses PUs is not used). Returns the count, 0 when
 * the level is absent or unusable; *units is malloc'ed. */
static int level_units(const cb_topology *t, hwloc_obj_type_t type, hwloc_bitmap_t **units)
{
	int nobj = count_type(t->place, type), n = 0;
	hwloc_bitmap_t seen = hwloc_bitmap_alloc();
	*units = cb_xcalloc((size_t)(nobj ? nobj : 1), sizeof **units);
	for (int i = 0; i < nobj; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t->place, type, (unsigned)i);
		if (!o->cpuset || !hwloc_bitmap_intersects(o->cpuset, t->allowed))
			continue;
		if (n && hwloc_bitmap_isequal(o->cpuset, (*units)[n - 1]))
			continue;
		if (hwloc_bitmap_intersects(o->cpuset, seen))
			goto unusable;
		(*units)[n] = hwloc_bitmap_dup(o->cpuset);
		hwloc_bitmap_and((*units)[n], (*units)[n], t->allowed);
		hwloc_bitmap_or(seen, seen, (*units)[n]);
		n++;
	}
	if (hwloc_bitmap_isequal(seen, t->allowed))
		goto out;
unusable:
	for (int i = 0; i < n; i++)
		hwloc_bitmap_free((*units)[i]);
	n = 0;
out:
	hwloc_bitmap_free(seen);
	return n;
}

/* `groups` cpusets: the biggest level with at least `groups` units, its
 * units dealt as contiguous ranges (group g takes units
 * [g*n/groups, (g+1)*n/groups)). More groups than PUs wrap round the PUs. */
static hwloc_bitmap_t *split_groups(const cb_topology *t, int groups)
{
	hwloc_bitmap_t *g = cb_xcalloc((size_t)groups, sizeof *g);
	for (int i = 0; i < groups; i++)
		if (!(g[i] = hwloc_bitmap_alloc()))
			abort();
	for (size_t l = 0; l < sizeof group_levels / sizeof *group_levels; l++) {
		hwloc_bitmap_t *units;
		int n = level_units(t, group_levels[l], &units);
		if (n >= groups) {
			for (int i = 0; i < groups; i++)
				for (long u = (long)i * n / groups; u < (long)(i + 1) * n / groups; u++)
					hwloc_bitmap_or(g[i], g[i], units[u]);
		} else if (n && l + 1 == sizeof group_levels / sizeof *group_levels) {
			for (int i = 0; i < groups; i++)
				hwloc_bitmap_copy(g[i], units[i % n]);
		}
		for (int i = 0; i < n; i++)
			hwloc_bitmap_free(units[i]);
		free(units);
		if (!hwloc_bitmap_iszero(g[0]))
			break;
	}
	return g;
}

int cb_place_groups(const cb_topology *t, const cb_pin *pin, int groups, int per_group,
                    cb_placement *out, cb_error *err)
{
	int rc = -1, workers, *assign = NULL;
	int usable = hwloc_bitmap_weight(t->allowed);
	bool over = false;
	hwloc_bitmap_t *gsets = NULL;
	memset(out, 0, sizeof *out);
	if (groups < 1 || per_group < 1 || groups > INT_MAX / per_group)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "groups need at least 1 group of at least 1 worker, not %d x %d",
		                    groups, per_group);
	if (pin->kind == CB_PIN_LIST)
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "pin '%s': grouped placement takes none, compact, spread or "
		                    "cores, not a PU list", pin->text);
	workers = groups * per_group;
	assign = cb_xmalloc(sizeof *assign * (size_t)workers);
	if (pin->kind == CB_PIN_NONE) {
		for (int i = 0; i < workers; i++)
			assign[i] = -1;
		goto fill;
	}
	if (pin->kind == CB_PIN_CORES && workers > count_cores(t->place)) {
		cores_refusal(workers, count_cores(t->place), "the allowed set", err);
		goto out;
	}
	gsets = split_groups(t, groups);
	/* Inside a group the threads are compact (or one per core for
	 * `cores`): the groups already spread the processes, and a group's
	 * threads share its caches. */
	for (int g = 0; g < groups; g++) {
		int n;
		int *cand = candidates(t->place, gsets[g], pin->kind == CB_PIN_CORES, &n);
		if (pin->kind == CB_PIN_CORES && per_group > n) {
			char unit[32];
			snprintf(unit, sizeof unit, "group %d", g);
			cores_refusal(per_group, n, unit, err);
			free(cand);
			goto out;
		}
		for (int k = 0; k < per_group; k++)
			assign[g * per_group + k] = cand[k % n];
		over |= per_group > n;
		free(cand);
	}
fill:
	fill_placement(out, workers, assign, usable);
	out->oversubscribed |= over;
	rc = 0;
out:
	if (gsets)
		for (int g = 0; g < groups; g++)
			hwloc_bitmap_free(gsets[g]);
	free(gsets);
	free(assign);
	return rc;
}

void cb_placement_free(cb_placement *p)
{
	if (!p)
		return;
	if (p->sets)
		for (int i = 0; i < p->workers; i++)
			hwloc_bitmap_free(p->sets[i]);
	free(p->sets);
	free(p->pu);
	memset(p, 0, sizeof *p);
}

void cb_placement_format(const cb_placement *p, char *buf, size_t n)
{
	size_t used = 0;
	if (!n)
		return;
	if (!p || p->workers < 1 || !p->pu || p->pu[0] < 0) {
		snprintf(buf, n, "none");
		return;
	}
	buf[0] = '\0';
	for (int i = 0; i < p->workers; i++) {
		char item[16];
		int il = snprintf(item, sizeof item, "%s%d", i ? "," : "", p->pu[i]);
		if (used + (size_t)il + 1 > n) {
			if (n >= 4)
				strcpy(buf + (used + 4 <= n ? used : n - 4), "...");
			return;
		}
		memcpy(buf + used, item, (size_t)il + 1);
		used += (size_t)il;
	}
}

void cb_topology_print_placements(const cb_topology *t, int max_workers, FILE *f)
{
	static const char *const policies[] = { "none", "compact", "spread", "cores" };
	if (max_workers < 1)
		max_workers = hwloc_bitmap_weight(t->allowed);
	size_t len = (size_t)max_workers * 8 + 16;
	char *buf = cb_xmalloc(len);
	fprintf(f, "placements (worker -> OS PU index):\n");
	for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
		cb_pin pin;
		cb_error err = { 0 };
		if (cb_pin_parse(policies[i], &pin, &err) < 0)
			continue;
		for (int w = 1; w <= max_workers; w++) {
			cb_placement p;
			memset(&err, 0, sizeof err);
			fprintf(f, "  %-8s %3d: ", policies[i], w);
			if (cb_place(t, &pin, w, &p, &err) < 0) {
				fprintf(f, "error: %s\n", err.msg);
				continue;
			}
			cb_placement_format(&p, buf, len);
			fprintf(f, "%s%s\n", buf, p.oversubscribed ? " (oversubscribed)" : "");
			cb_placement_free(&p);
		}
		cb_pin_free(&pin);
	}
	free(buf);
}

json_t *cb_topology_placements_json(const cb_topology *t, int max_workers)
{
	static const char *const policies[] = { "none", "compact", "spread", "cores" };
	if (max_workers < 1)
		max_workers = hwloc_bitmap_weight(t->allowed);
	json_t *out = json_object();
	for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
		cb_pin pin;
		cb_error err = { 0 };
		if (cb_pin_parse(policies[i], &pin, &err) < 0)
			continue;
		json_t *rows = json_array();
		for (int w = 1; w <= max_workers; w++) {
			cb_placement p;
			memset(&err, 0, sizeof err);
			if (cb_place(t, &pin, w, &p, &err) < 0) {
				json_array_append_new(rows, json_pack("{s:i, s:s}", "workers", w, "error", err.msg));
				continue;
			}
			json_t *pus = json_array();
			for (int k = 0; k < w; k++)
				json_array_append_new(pus, json_integer(p.pu[k]));
			json_array_append_new(rows, json_pack("{s:i, s:o, s:b}", "workers", w, "pu", pus,
			                                      "oversubscribed", p.oversubscribed));
			cb_placement_free(&p);
		}
		json_object_set_new(out, policies[i], rows);
		cb_pin_free(&pin);
	}
	return out;
}

/* -------------------------------------------------------------- binding */

static int bind_to(const cb_topology *t, hwloc_const_bitmap_t set, int flags)
{
	if (!set)
		return 0;
	if (!t || !hwloc_topology_is_thissystem(t->topo))
		return -ENOTSUP;
	if (hwloc_set_cpubind(t->topo, set, flags) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

int cb_bind_thread(const cb_topology *t, hwloc_const_bitmap_t set)
{
	return bind_to(t, set, HWLOC_CPUBIND_THREAD);
}

int cb_bind_process(const cb_topology *t, hwloc_const_bitmap_t set)
{
	return bind_to(t, set, HWLOC_CPUBIND_PROCESS);
}

size_t cb_spread_pus(int *pus, size_t n, size_t most)
{
	size_t take = n < most ? n : most;
	/* k * n / take >= k, so each entry is read before it is overwritten. */
	for (size_t k = 0; k < take; k++)
		pus[k] = pus[k * n / take];
	return take;
}
