/* The machine record written into every results file: enough to tell two
 * runs' machines apart and to warn about what distorts measurements
 * (frequency governor, clocksource, load at start, what a page fault
 * costs under a hypervisor). */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

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
