/* Open MPI host files ("host [slots=N] [max_slots=N]", '#' comments): read
 * once here for the mpi strategy's checks and for `concbench topo --hosts`. */
#ifndef CB_HOSTFILE_H
#define CB_HOSTFILE_H

#include "base/common.h"

typedef struct cb_host {
	char name[256];
	int slots;       /* -1: not given (Open MPI then counts that node's cores) */
} cb_host;

/* *hosts is malloc'ed; CB_EXIT_USAGE names the file and the bad line. */
int cb_hostfile_read(const char *path, cb_host **hosts, int *n, cb_error *err);
/* The slots the hosts offer in total, or -1 when a host gives none. */
int cb_hostfile_slots(const cb_host *hosts, int n);

#endif
