/* The I/O interface: everything a task does that may block goes through it,
 * so the same workload code blocks under threads and processes and yields
 * under coroutines. The blocking implementation is io_blocking.c; the
 * coroutine scheduler supplies its own ops. Each call returns the syscall's
 * result, or -errno on failure (never sets errno for the caller). */
#ifndef CB_IO_H
#define CB_IO_H

/* cb_io, cb_io_ops and the cb_io_* calls are part of the workload
 * contract (include/concbench/workload.h), so that a plug-in's waits yield
 * under coroutines as a built-in's do. */
#include <concbench/workload.h>

/* The blocking implementation (plain syscalls, EINTR retried). */
extern const cb_io_ops cb_io_blocking_ops;
static inline cb_io cb_io_blocking(void) { cb_io io = { &cb_io_blocking_ops, NULL }; return io; }
/* The same, except that sleeps return at once: for untimed passes whose
 * answer or memory a sleep cannot change (the serial reference run, an MPI
 * rank's settling), where io.sleep's 10,000 sleeps would cost 100 s. */
extern const cb_io_ops cb_io_nosleep_ops;

#endif
