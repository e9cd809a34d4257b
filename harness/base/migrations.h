/* CPU migrations, counted by the kernel (a software perf event): how a
 * pinned cell proves that its executors stayed where they were put. */
#ifndef CB_MIGRATIONS_H
#define CB_MIGRATIONS_H

/* A counter of the calling thread and of every thread and process it
 * creates from now on; -1 where perf events are refused. */
int cb_migrations_open(void);
/* Its count so far; -1 for fd < 0 or a failed read. */
long long cb_migrations_read(int fd);

#endif
