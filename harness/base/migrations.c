#include "base/migrations.h"

#include <linux/perf_event.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int cb_migrations_open(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof a);
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof a;
	a.config = PERF_COUNT_SW_CPU_MIGRATIONS;
	a.inherit = 1;   /* every thread and child created afterwards counts */
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

long long cb_migrations_read(int fd)
{
	uint64_t v;
	if (fd < 0 || read(fd, &v, sizeof v) != sizeof v)
		return -1;
	return (long long)v;
}
