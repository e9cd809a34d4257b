/* io.file: each task writes one file of `size` bytes in `block`-sized
 * pwrites, optionally fsyncs it, reads it back and verifies every byte;
 * the figure of merit is B/s (written plus read). The files live in a
 * private directory made by setup under $TMPDIR (or /tmp) and removed with
 * everything in it by teardown; a task that fails removes its own file
 * at once, so a full disk frees what it took and the run goes on.
 *
 * The directory is cb_temp_dir's, so that the runner can remove it when it
 * has to kill the process that made it.
 *
 * What is measured depends on the flags: with fsync=0 and direct=0 the
 * page cache absorbs the writes and serves the reads (memory speed, the
 * device may never see the data); fsync=1 adds the device's write path;
 * direct=1 (O_DIRECT: sizes and buffers aligned to 4 KiB) bypasses the
 * page cache both ways. Where the filesystem refuses O_DIRECT (tmpfs),
 * setup says so and the cells fail with that reason. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/workload.h"

#define ALIGN 4096   /* O_DIRECT: covers 512-byte and 4 KiB logical blocks */

typedef struct {
	char dir[4096];
	size_t size, block;
	int fsync, direct;
	/* The I/O buffers, allocated at setup, one for each task that may be
	 * in flight at once (ntasks of them), and lent out by the task: a task
	 * takes the lowest-numbered buffer free in its process and gives it
	 * back when it ends, as a worker of a real program keeps one buffer
	 * for the files it handles. So an executor touches about one buffer
	 * whatever the number of tasks it runs.
	 * - Not a buffer allocated in every task: that costs what the allocator
	 *   makes of it where the task runs (glibc's main arena trims its heap
	 *   and faults it back in for each block-sized buffer, thread arenas do
	 *   not), which made the serial baseline and forked workers 2-3x slower
	 *   than a thread for the same I/O.
	 * - Not buffer i for task i: a forked worker then wrote, and took a
	 *   copy-on-write fault on, every page of every task's buffer it ran
	 *   (quick size: 1,024 faults a repetition at 2 workers, 5-20 us each
	 *   under a hypervisor), so processes measured page faults more than
	 *   I/O, and moved with the host's cost of a fault.
	 * The map of buffers in use is private memory, like the buffers: the
	 * executors that share an address space (threads, coroutines) share it,
	 * and a forked worker has its own copy of both, all free at the fork
	 * (no task runs while a strategy forks). */
	unsigned char *bufs;
	size_t bufsz, nbufs;
	_Atomic uint64_t *in_use;   /* [ceil(nbufs / 64)] bits: buffer lent */
} file_state;

static const cb_param_spec params[] = {
	{ "files", CB_PARAM_INT, { "8", "16", "32", "128" }, 1, 1e6, NULL, "files = tasks" },
	{ "size", CB_PARAM_BYTES, { "64k", "1M", "4M", "16M" }, 1, 1ULL << 40, NULL, "bytes per file" },
	{ "block", CB_PARAM_BYTES, { "64k", "256k", "1M", "1M" }, 1, 1 << 30, NULL,
	  "bytes per pwrite/pread call" },
	{ "fsync", CB_PARAM_ENUM, { "0", "0", "0", "0" }, 0, 0, "0|1",
	  "1: fsync each file before reading it back (the device's write path is timed)" },
	{ "direct", CB_PARAM_ENUM, { "0", "0", "0", "0" }, 0, 0, "0|1",
	  "1: O_DIRECT, bypassing the page cache (size and block multiples of 4k)" },
};

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

static void teardown(cb_job *job)
{
	file_state *s = job->state;
	if (s->dir[0])
		remove_tree(s->dir);
	free(s->bufs);
	free((void *)s->in_use);
	free(s);
	job->state = NULL;
}

/* Opening with O_DIRECT is not enough to know: some filesystems accept the
 * flag and refuse the first aligned write. */
static int probe_direct(const file_state *s, cb_error *err)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/probe", s->dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC | O_DIRECT, 0600), e = 0;
	if (fd < 0) {
		e = errno;
	} else {
		void *buf = NULL;
		if (posix_memalign(&buf, ALIGN, ALIGN))
			abort();
		memset(buf, 0, ALIGN);
		if (pwrite(fd, buf, ALIGN, 0) != ALIGN)
			e = errno ? errno : EIO;
		free(buf);
		close(fd);
	}
	unlink(path);
	if (e)
		return cb_error_set(err, CB_EXIT_ENV,
		                    "io.file: direct=1 but the filesystem of %s refuses O_DIRECT (%s); "
		                    "set TMPDIR to a directory on a disk filesystem, or use direct=0",
		                    s->dir, strerror(e));
	return 0;
}

static int setup(cb_job *job, cb_error *err)
{
	file_state *s = cb_xcalloc(1, sizeof *s);
	job->state = s;
	s->size = (size_t)cb_job_param(job, "size");
	s->block = (size_t)cb_job_param(job, "block");
	s->fsync = (int)cb_job_param(job, "fsync");
	s->direct = (int)cb_job_param(job, "direct");
	if (s->block > s->size)
		s->block = s->size;
	if (s->direct && (s->size % ALIGN || s->block % ALIGN))
		return cb_error_set(err, CB_EXIT_USAGE,
		                    "io.file: direct=1 needs size and block in multiples of 4k (size=%s block=%s)",
		                    cb_params_text(&job->params, "size"), cb_params_text(&job->params, "block"));
	int e = cb_temp_dir("io.file", s->dir, sizeof s->dir);
	if (e)
		return cb_error_set(err, CB_EXIT_ENV, "io.file: cannot create a directory in %s: %s (set TMPDIR "
		                    "to a writable directory)", cb_temp_root(), strerror(-e));
	if (s->direct && probe_direct(s, err))
		return -1;
	job->ntasks = (size_t)cb_job_param(job, "files");
	s->bufsz = (s->block + ALIGN - 1) / ALIGN * ALIGN;
	void *bufs = NULL;
	if (posix_memalign(&bufs, ALIGN, job->ntasks * s->bufsz))
		return cb_error_set(err, CB_EXIT_ENV, "io.file: cannot allocate %zu buffers of %zu bytes",
		                    job->ntasks, s->bufsz);
	s->bufs = bufs;
	s->nbufs = job->ntasks;
	s->in_use = cb_xcalloc((s->nbufs + 63) / 64, sizeof *s->in_use);
	return 0;
}

/* The lowest-numbered free buffer, marked in use. There is always one:
 * no more tasks than buffers are in flight in one process. */
static size_t take_buffer(const file_state *s)
{
	for (size_t w = 0;; w = (w + 1) % ((s->nbufs + 63) / 64)) {
		uint64_t v = atomic_load_explicit(&s->in_use[w], memory_order_relaxed);
		while (~v) {
			int b = __builtin_ctzll(~v);
			if ((size_t)b + w * 64 >= s->nbufs)
				break;
			if (atomic_compare_exchange_weak_explicit(&s->in_use[w], &v, v | 1ULL << b,
			                                          memory_order_acquire, memory_order_relaxed))
				return w * 64 + (size_t)b;
		}
	}
}

static void give_back_buffer(const file_state *s, size_t k)
{
	atomic_fetch_and_explicit(&s->in_use[k / 64], ~(1ULL << k % 64), memory_order_release);
}

/* File i's content: 8-byte words, word w = seed(i) ^ w * golden ratio. */
static uint64_t seed_of(size_t i) { return cb_mix64(0x10f11e, i); }

static void fill(unsigned char *p, size_t n, uint64_t seed, size_t off)
{
	size_t w = off / 8;   /* fill and verify see the same (off, n): consistent for any block */
	for (size_t k = 0; k < n; k += 8, w++) {
		uint64_t v = seed ^ (w * 0x9e3779b97f4a7c15ULL);
		memcpy(p + k, &v, n - k < 8 ? n - k : 8);
	}
}

/* Compares with the pattern; adds the words read into *sum. */
static int verify(const unsigned char *p, size_t n, uint64_t seed, size_t off, uint64_t *sum)
{
	size_t w = off / 8;
	uint64_t acc = 0;
	for (size_t k = 0; k < n; k += 8, w++) {
		uint64_t v = seed ^ (w * 0x9e3779b97f4a7c15ULL), got = 0;
		size_t m = n - k < 8 ? n - k : 8;
		memcpy(&got, p + k, m);
		if (m < 8)
			v &= (1ULL << (8 * m)) - 1;   /* little-endian tail */
		if (got != v)
			return -1;
		acc += got;
	}
	*sum += acc;
	return 0;
}

static int write_file(const file_state *s, cb_io *io, const char *path, unsigned char *buf, uint64_t seed)
{
	/* A new file every repetition, never an old one truncated: ext4
	 * (auto_da_alloc) forces the data of a file truncated to zero and
	 * rewritten out to the device at close, so from the second repetition
	 * on every task would wait for writeback that fsync=0 does not ask
	 * for, and for whatever else the device had queued. */
	if (unlink(path) && errno != ENOENT)
		return -errno;
	int flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | (s->direct ? O_DIRECT : 0);
	int fd = open(path, flags, 0600), rc = 0;
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < s->size && !rc; off += s->block) {
		size_t n = s->size - off < s->block ? s->size - off : s->block;
		fill(buf, n, seed, off);
		for (size_t done = 0; done < n && !rc;) {
			ssize_t k = cb_io_pwrite(io, fd, buf + done, n - done, (off_t)(off + done));
			if (k < 0)
				rc = (int)k;
			else if (k == 0)
				rc = -ENOSPC;
			else
				done += (size_t)k;
		}
	}
	if (!rc && s->fsync)
		rc = cb_io_fsync(io, fd);
	if (close(fd) && !rc)
		rc = -errno;   /* NFS and friends report write errors here */
	return rc;
}

static int read_file(const file_state *s, cb_io *io, const char *path, unsigned char *buf, uint64_t seed,
                     uint64_t *sum)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (s->direct ? O_DIRECT : 0)), rc = 0;
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < s->size && !rc; off += s->block) {
		size_t n = s->size - off < s->block ? s->size - off : s->block;
		for (size_t done = 0; done < n && !rc;) {
			ssize_t k = cb_io_pread(io, fd, buf + done, n - done, (off_t)(off + done));
			if (k < 0)
				rc = (int)k;
			else if (k == 0)
				rc = -EIO;   /* shorter than written */
			else
				done += (size_t)k;
		}
		if (!rc && verify(buf, n, seed, off, sum))
			rc = -EILSEQ;   /* a byte read back differs from the byte written */
	}
	close(fd);
	return rc;
}

static int task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	const file_state *s = job->state;
	char path[4200];
	snprintf(path, sizeof path, "%s/f%zu", s->dir, i);
	size_t k = take_buffer(s);
	unsigned char *buf = s->bufs + k * s->bufsz;
	uint64_t seed = seed_of(i), sum = 0;
	int rc = write_file(s, io, path, buf, seed);
	if (!rc)
		rc = read_file(s, io, path, buf, seed, &sum);
	give_back_buffer(s, k);
	if (rc) {
		unlink(path);   /* give back the space now, not at teardown */
		return rc;
	}
	*out = cb_mix64(cb_mix64(seed, s->size), sum);
	return 0;
}

static uint64_t post(cb_job *job)
{
	return cb_partials_hash(job);
}

static double work_units(const cb_job *job, const char **unit)
{
	const file_state *s = job->state;
	*unit = "B";
	return 2.0 * (double)s->size * (double)job->ntasks;   /* written and read */
}

const cb_workload cb_wl_file = {
	.abi = CB_WORKLOAD_ABI,
	.name = "io.file",
	.summary = "write, optionally fsync, read back and verify one file per task in a private "
	           "temp dir (fsync=, direct=); B/s",
	.kind = CB_KIND_IO,
	.params = params,
	.nparams = sizeof params / sizeof *params,
	.checksum = "every 8-byte word read back from every file (each byte verified against what was "
	            "written), summed per file, hashed in file order",
	.setup = setup,
	.task = task,
	.post = post,
	.teardown = teardown,
	.work_units = work_units,
};
