/* Futex wait and wake on a 32-bit atomic word, for the pools' dispatch and
 * join. A futex is one syscall on each side and needs no mutex: the waker
 * publishes with an atomic store and wakes, the sleeper rechecks the word.
 * `shared` selects the cross-process form (the word is in MAP_SHARED memory);
 * threads of one process use the cheaper private form. */
#ifndef CB_FUTEX_H
#define CB_FUTEX_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleeps while *word == expect, at most `timeout` (relative; NULL: no
 * limit). 0 when woken or when the word had already changed, -ETIMEDOUT,
 * or -EINTR. */
static inline int cb_futex_wait(_Atomic uint32_t *word, uint32_t expect,
                                const struct timespec *timeout, bool shared)
{
	long rc = syscall(SYS_futex, (uint32_t *)word, shared ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE,
	                  expect, timeout, NULL, 0);
	if (rc == 0 || errno == EAGAIN)
		return 0;
	return -errno;
}

/* Wakes up to n sleepers on word. */
static inline void cb_futex_wake(_Atomic uint32_t *word, int n, bool shared)
{
	syscall(SYS_futex, (uint32_t *)word, shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

#endif
