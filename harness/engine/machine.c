/* The machine record written into every results file: enough to tell two
 * runs' machines apart and to warn about what distorts measurements
 * (frequency governor, clocksource, load at start, what a page fault
 * costs under a hypervisor). */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/chain.h"
#include "engine/run.h"

static char *read_first_line(const char *path)
{
	FILE *f = fopen(path, "re");
	char buf[256];
	if (!f)
		return NULL;
	char *r = fgets(buf, sizeof buf, f);
	fclose(f);
	if (!r)
		return NULL;
	buf[strcspn(buf, "\n")] = 0;
	return cb_xstrdup(buf);
}

static json_t *string_or_null(char *s)
{
	json_t *j = s ? json_string(s) : json_null();
	free(s);
	return j;
}

static char *cpu_model(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];
	char *model = NULL;
	if (!f)
		return NULL;
	while (!model && fgets(line, sizeof line, f)) {
		/* x86: "model name"; aarch64 has no name, only part numbers. */
		if (!strncmp(line, "model name", 10) || !strncmp(line, "CPU part", 8)) {
			char *colon = strchr(line, ':');
			if (colon) {
				colon += 1 + strspn(colon + 1, " \t");
				colon[strcspn(colon, "\n")] = 0;
				model = cb_xstrdup(colon);
			}
		}
	}
	fclose(f);
	return model;
}

/* Tasks runnable at this moment besides this process: the mean of
 * /proc/stat's procs_running (which counts the reader) over a few reads
 * 5 ms apart. The load average lags by minutes (just after a build it
 * still says busy); this says what competes now. NAN when unreadable. */
#define RUNNABLE_SAMPLES 10
static double runnable_others(void)
{
	double sum = 0;
	int n = 0;
	for (int i = 0; i < RUNNABLE_SAMPLES; i++) {
		if (i) {
			struct timespec ts = { 0, 5 * 1000 * 1000L };
			nanosleep(&ts, NULL);
		}
		FILE *f = fopen("/proc/stat", "re");
		if (!f)
			return NAN;
		char line[256];
		long running = -1;
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "procs_running %ld", &running) == 1)
				break;
		fclose(f);
		if (running < 1)
			return NAN;
		sum += (double)(running - 1);
		n++;
	}
	return sum / n;
}

/* Whether the CPU says it runs under a hypervisor (x86's "hypervisor"
 * flag in /proc/cpuinfo): 1 yes, 0 no, -1 unknown (no flags line, as on
 * arm64). */
static int virtual_machine(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[8192];
	int v = -1;
	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof line, f))
		if (!strncmp(line, "flags", 5))
			v = strstr(line, " hypervisor") != NULL;
	fclose(f);
	return v;
}

/* Whether a virtio balloon reports free memory to the host (feature bit 5,
 * VIRTIO_BALLOON_F_REPORTING): memory one process frees is handed back,
 * and the host backs it again when a later process touches it. Recorded
 * beside the fault cost, not as its cause: on this project's VM, holding
 * reporting back for a minute left a fault at 13-17 us. */
static bool free_page_reporting(void)
{
	DIR *d = opendir("/sys/bus/virtio/drivers/virtio_balloon");
	struct dirent *e;
	bool on = false;
	if (!d)
		return false;
	while (!on && (e = readdir(d))) {
		if (strncmp(e->d_name, "virtio", 6))
			continue;
		char path[512];
		snprintf(path, sizeof path, "/sys/bus/virtio/drivers/virtio_balloon/%s/features", e->d_name);
		char *bits = read_first_line(path);
		on = bits && strlen(bits) > 5 && bits[5] == '1';
		free(bits);
	}
	closedir(d);
	return on;
}

/* What a page fault costs this process: the median of three first
 * touches of FAULT_PAGES fresh pages, in microseconds a page (NAN when no
 * memory could be had). Every fresh process (one per cell and round) and
 * every forked worker pays it for each page it touches first: about
 * 0.1-1 us on bare metal; on this project's 2-core VM (a PVM guest, whose
 * page tables the hypervisor keeps) 13-18 us, which made io.file under
 * `processes` measure faults more than I/O. */
#define FAULT_PAGES 1024
static double page_fault_us(void)
{
	long sz = sysconf(_SC_PAGESIZE);
	size_t page = sz > 0 ? (size_t)sz : 4096, len = page * FAULT_PAGES;
	double t[3];
	for (int k = 0; k < 3; k++) {
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NAN;
		madvise((void *)p, len, MADV_NOHUGEPAGE);
		double t0 = cb_now();
		for (size_t off = 0; off < len; off += page)
			p[off] = 1;
		t[k] = (cb_now() - t0) / FAULT_PAGES * 1e6;
		munmap((void *)p, len);
	}
	return cb_median(t, 3);
}

/* The speed probe: a 128 x 128 double matrix multiply (384 KiB, resident
 * in L2), timed five times on static buffers, the fastest kept. This
 * machine's slow spells (a virtual CPU at 1.6-2x for seconds to minutes,
 * for cache-bound work only) show in it as in cpu.matmul: over 240 s of
 * alternating turns on PU 1, quick matmul and the probe correlated 0.88
 * in their log times, where a pointer chase over 64 MiB and an integer
 * loop did not (0.10, 0.43). The first
 * call of a process fills the buffers and multiplies once untimed: a fresh
 * process's first touches are page faults, not the machine's speed. */
#define PROBE_N 128
#define PROBE_BLOCK 32
#define PROBE_REPEAT 5   /* about 0.35 ms each on the 2-core machine */
static double probe_a[PROBE_N * PROBE_N], probe_b[PROBE_N * PROBE_N], probe_c[PROBE_N * PROBE_N];

static void probe_multiply(void)
{
	const size_t n = PROBE_N, bs = PROBE_BLOCK;
	memset(probe_c, 0, sizeof probe_c);
	for (size_t kk = 0; kk < n; kk += bs)
		for (size_t jj = 0; jj < n; jj += bs)
			for (size_t i = 0; i < n; i++)
				for (size_t k = kk; k < kk + bs; k++) {
					double aik = probe_a[i * n + k];
					const double *bk = probe_b + k * n;
					for (size_t j = jj; j < jj + bs; j++)
						probe_c[i * n + j] += aik * bk[j];
				}
}

double cb_speed_probe_ms(void)
{
	static bool ready;
	if (!ready) {
		for (size_t i = 0; i < PROBE_N * PROBE_N; i++) {
			probe_a[i] = (double)(i % 1009) / 1009.0 - 0.5;
			probe_b[i] = (double)(i % 1013) / 1013.0 - 0.5;
		}
		probe_multiply();
		ready = true;
	}
	/* The fastest of a few: a state of the machine lasts seconds, a
	 * preemption or an interrupt one reading. */
	double ms = INFINITY;
	for (int k = 0; k < PROBE_REPEAT; k++) {
		double t0 = cb_now();
		probe_multiply();
		double t = (cb_now() - t0) * 1e3;
		ms = t < ms ? t : ms;
	}
	/* The product is read, so that the multiplies are not removed. */
	volatile double sink = probe_c[PROBE_N + 1];
	(void)sink;
	return ms;
}

/* ---- the timing noise of CPU-bound work (concbench noise) -------------- */

#define NOISE_MIN_CYCLES 5

static int bind_pu(const cb_topology *t, hwloc_bitmap_t set, int pu)
{
	hwloc_bitmap_only(set, (unsigned)pu);
	return cb_bind_thread(t, set);
}

/* --busy: one thread per PU, all timing the same length at once. The
 * threads wait at a gate until every one has started (the barrier counts
 * them and the coordinator), or leave when one could not. */
typedef struct {
	pthread_mutex_t lock;
	pthread_cond_t open;
	bool go, stop;
	pthread_barrier_t bar;
	size_t current;          /* index of the length of this step */
	double per_ms;
} busy_shared;

typedef struct {
	const cb_topology *t;
	busy_shared *sh;
	cb_noise_series *sr;     /* this PU's series, one per length */
	bool bound;
} busy_arg;

static void *busy_main(void *p)
{
	busy_arg *a = p;
	busy_shared *sh = a->sh;
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	a->bound = !bind_pu(a->t, set, a->sr[0].pu);
	hwloc_bitmap_free(set);
	pthread_mutex_lock(&sh->lock);
	while (!sh->go)
		pthread_cond_wait(&sh->open, &sh->lock);
	pthread_mutex_unlock(&sh->lock);
	for (;;) {
		pthread_barrier_wait(&sh->bar);    /* the step is set */
		if (sh->stop)
			break;
		cb_noise_series *x = &a->sr[sh->current];
		x->s[x->n++] = cb_chain_s((uint64_t)(x->length_ms * sh->per_ms) + 1);
		pthread_barrier_wait(&sh->bar);    /* every PU done */
	}
	return NULL;
}

static void grow_series(cb_noise_series *sr, size_t nseries, size_t *cap)
{
	if (sr[0].n < *cap)
		return;
	*cap *= 2;
	for (size_t i = 0; i < nseries; i++)
		sr[i].s = cb_xrealloc(sr[i].s, *cap * sizeof *sr[i].s);
}

/* order[0..n) = a new random order of 0..n-1. */
static void fresh_order(size_t *order, size_t n, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	cb_shuffle(order, n, rng);
}

static int measure_busy(const cb_topology *t, cb_noise_series *sr, size_t npus, size_t nlen, double per_ms,
                        double seconds, uint64_t rng, size_t *cap, cb_error *err)
{
	busy_shared sh = { .lock = PTHREAD_MUTEX_INITIALIZER, .open = PTHREAD_COND_INITIALIZER, .per_ms = per_ms };
	pthread_t *tid = cb_xcalloc(npus, sizeof *tid);
	busy_arg *arg = cb_xcalloc(npus, sizeof *arg);
	size_t started = 0, *order = cb_xmalloc(nlen * sizeof *order);
	int rc = 0;
	for (size_t p = 0; p < npus && !rc; p++) {
		arg[p] = (busy_arg){ .t = t, .sh = &sh, .sr = &sr[p * nlen] };
		if (pthread_create(&tid[p], NULL, busy_main, &arg[p]))
			rc = cb_error_set(err, CB_EXIT_ENV, "noise: cannot start a thread for PU %d", sr[p * nlen].pu);
		else
			started++;
	}
	pthread_barrier_init(&sh.bar, NULL, (unsigned)started + 1);
	pthread_mutex_lock(&sh.lock);
	sh.go = true;
	sh.stop = rc != 0;
	pthread_cond_broadcast(&sh.open);
	pthread_mutex_unlock(&sh.lock);
	double end = cb_now() + seconds;
	for (size_t cycle = 0; !rc && (cycle < NOISE_MIN_CYCLES || cb_now() < end); cycle++) {
		grow_series(sr, npus * nlen, cap);
		fresh_order(order, nlen, &rng);
		for (size_t k = 0; k < nlen; k++) {
			sh.current = order[k];
			pthread_barrier_wait(&sh.bar);
			pthread_barrier_wait(&sh.bar);
		}
	}
	sh.stop = true;
	pthread_barrier_wait(&sh.bar);
	for (size_t p = 0; p < started; p++)
		pthread_join(tid[p], NULL);
	for (size_t p = 0; p < started && !rc; p++)
		if (!arg[p].bound)
			rc = cb_error_set(err, CB_EXIT_ENV, "noise: cannot bind to PU %d", sr[p * nlen].pu);
	pthread_barrier_destroy(&sh.bar);
	free(order);
	free(arg);
	free(tid);
	return rc;
}

int cb_noise_measure(const cb_topology *t, const int *pus, size_t npus, const double *len_ms, size_t nlen,
                     double seconds, bool busy, uint64_t seed, cb_noise_series **out, cb_error *err)
{
	*out = NULL;
	if (!npus || !nlen)
		return cb_error_set(err, CB_EXIT_USAGE, "noise: no PU or no length to measure");
	/* The calling thread goes back where it was: a process forked from
	 * it later (a run's measuring processes) inherits its affinity. */
	cpu_set_t was;
	bool restore = !sched_getaffinity(0, sizeof was, &was);
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	/* Iterations per millisecond on the first PU: the fastest of five. */
	if (bind_pu(t, set, pus[0])) {
		hwloc_bitmap_free(set);
		if (restore)
			sched_setaffinity(0, sizeof was, &was);
		return cb_error_set(err, CB_EXIT_ENV, "noise: cannot bind to PU %d", pus[0]);
	}
	double per_ms = cb_chain_per_ms(5);
	size_t nseries = npus * nlen, cap = 64;
	cb_noise_series *sr = cb_xcalloc(nseries, sizeof *sr);
	for (size_t i = 0; i < nseries; i++) {
		sr[i].pu = pus[i / nlen];
		sr[i].length_ms = len_ms[i % nlen];
		sr[i].s = cb_xmalloc(cap * sizeof *sr[i].s);
	}
	uint64_t rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	int rc = 0;
	if (busy) {
		rc = measure_busy(t, sr, npus, nlen, per_ms, seconds, rng, &cap, err);
	} else {
		/* Cycles: every (PU, length) once, in a new random order each
		 * time, so that a state of the machine falls on all alike. */
		size_t *order = cb_xmalloc(nseries * sizeof *order);
		double end = cb_now() + seconds;
		for (size_t cycle = 0; !rc && (cycle < NOISE_MIN_CYCLES || cb_now() < end); cycle++) {
			grow_series(sr, nseries, &cap);
			fresh_order(order, nseries, &rng);
			for (size_t k = 0; k < nseries; k++) {
				cb_noise_series *x = &sr[order[k]];
				if (bind_pu(t, set, x->pu)) {
					rc = cb_error_set(err, CB_EXIT_ENV, "noise: cannot bind to PU %d", x->pu);
					break;
				}
				x->s[x->n++] = cb_chain_s((uint64_t)(x->length_ms * per_ms) + 1);
			}
		}
		free(order);
	}
	hwloc_bitmap_free(set);
	if (restore)
		sched_setaffinity(0, sizeof was, &was);
	if (rc) {
		cb_noise_free(sr, nseries);
		return rc;
	}
	*out = sr;
	return 0;
}

size_t cb_noise_pus(const cb_topology *t, int *pus, cb_error *err)
{
	cb_topology_summary sum;
	cb_topology_summarize(t, &sum);
	cb_pin pin;
	cb_placement pl;
	if (sum.allowed_pus < 1) {
		cb_error_set(err, CB_EXIT_ENV, "noise: this process may run on no PU");
		return 0;
	}
	if (cb_pin_parse("compact", &pin, err))
		return 0;
	int rc = cb_place(t, &pin, sum.allowed_pus, &pl, err);
	cb_pin_free(&pin);
	if (rc)
		return 0;
	size_t n = (size_t)pl.workers;
	int *all = cb_xmalloc(n * sizeof *all);
	memcpy(all, pl.pu, n * sizeof *all);
	cb_placement_free(&pl);
	size_t take = cb_spread_pus(all, n, CB_NOISE_MAX_PUS);
	memcpy(pus, all, take * sizeof *pus);
	free(all);
	return take;
}

void cb_noise_summarize(const cb_noise_series *sr, size_t npus, size_t nlen, cb_noise_summary *out)
{
	out->stat = cb_xcalloc(npus * nlen, sizeof *out->stat);
	out->med_sd = cb_xcalloc(nlen, sizeof *out->med_sd);
	out->max_sd = cb_xcalloc(nlen, sizeof *out->max_sd);
	out->set_aside = out->timings = 0;
	for (size_t i = 0; i < npus * nlen; i++) {
		double *ms = cb_xmalloc((sr[i].n + 1) * sizeof *ms);
		for (size_t k = 0; k < sr[i].n; k++)
			ms[k] = sr[i].s[k] * 1e3;
		out->stat[i].median_ms = cb_median(ms, sr[i].n);
		out->stat[i].sd = cb_sd_log_kept(sr[i].s, sr[i].n, &out->stat[i].set_aside);
		out->set_aside += out->stat[i].set_aside;
		out->timings += sr[i].n;
		free(ms);
	}
	double *v = cb_xmalloc((npus + 1) * sizeof *v);
	for (size_t l = 0; l < nlen; l++) {
		for (size_t p = 0; p < npus; p++) {
			v[p] = out->stat[p * nlen + l].sd;
			out->max_sd[l] = v[p] > out->max_sd[l] ? v[p] : out->max_sd[l];
		}
		out->med_sd[l] = cb_median(v, npus);
	}
	free(v);
	out->floor = cb_median(out->med_sd, nlen);
}

void cb_noise_summary_free(cb_noise_summary *s)
{
	free(s->stat);
	free(s->med_sd);
	free(s->max_sd);
	memset(s, 0, sizeof *s);
}

/* The run's own short measurement of the floor (results.json's
 * machine.noise): lengths that bracket a quick repetition. */
json_t *cb_machine_noise_json(const cb_topology *t, double seconds)
{
	static const double len[] = { 10, 40 };
	const size_t nlen = sizeof len / sizeof *len;
	int pus[CB_NOISE_MAX_PUS];
	cb_error err = { 0 };
	cb_noise_series *sr;
	size_t npus = cb_topology_is_this_system(t) ? cb_noise_pus(t, pus, &err) : 0;
	if (!npus || cb_noise_measure(t, pus, npus, len, nlen, seconds, false, 0, &sr, &err))
		return json_null();
	cb_noise_summary sum;
	cb_noise_summarize(sr, npus, nlen, &sum);
	json_t *jp = json_array(), *jl = json_array();
	for (size_t p = 0; p < npus; p++)
		json_array_append_new(jp, json_integer(pus[p]));
	for (size_t l = 0; l < nlen; l++)
		json_array_append_new(jl, json_real(len[l]));
	json_t *j = json_pack("{s:f, s:o, s:o, s:i, s:i, s:o}", "seconds", seconds, "lengths_ms", jl, "pus", jp,
	                      "timings", (json_int_t)sum.timings, "set_aside", (json_int_t)sum.set_aside, "sd_log",
	                      isfinite(sum.floor) ? json_real(sum.floor) : json_null());
	cb_noise_summary_free(&sum);
	cb_noise_free(sr, npus * nlen);
	return j;
}

void cb_noise_free(cb_noise_series *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++)
		free(s[i].s);
	free(s);
}

json_t *cb_machine_json(const cb_topology *t)
{
	json_t *m = json_object();
	char host[256] = "unknown";
	gethostname(host, sizeof host - 1);
	struct utsname u;
	uname(&u);
	double load[3] = { 0, 0, 0 };
	int nload = getloadavg(load, 3);

	json_object_set_new(m, "host", json_string(host));
	json_object_set_new(m, "kernel", json_sprintf("%s %s %s", u.sysname, u.release, u.machine));
	json_object_set_new(m, "arch", json_string(u.machine));
	json_object_set_new(m, "cpu_model", string_or_null(cpu_model()));
	json_object_set_new(m, "clocksource",
	                    string_or_null(read_first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource")));
	json_object_set_new(m, "governor",
	                    string_or_null(read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")));
	json_t *l = json_array();
	for (int i = 0; i < 3; i++)
		json_array_append_new(l, nload > i ? json_real(load[i]) : json_null());
	json_object_set_new(m, "loadavg", l);
	double others = runnable_others();
	json_object_set_new(m, "runnable_others", isfinite(others) ? json_real(others) : json_null());
	json_object_set_new(m, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	int vm = virtual_machine();
	json_object_set_new(m, "virtual_machine", vm < 0 ? json_null() : json_boolean(vm));
	json_object_set_new(m, "free_page_reporting", json_boolean(free_page_reporting()));
	double fault = page_fault_us();
	json_object_set_new(m, "page_fault_us", isfinite(fault) ? json_real(fault) : json_null());
	json_object_set_new(m, "topology", cb_topology_to_json(t));
	return m;
}
