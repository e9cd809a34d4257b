/* The stand-in for Python workloads in a build made without CPython's
 * headers: every py: item says what to install. */
#include "engine/workload.h"

const char *const cb_python_status = "not built (install libpython3-dev and rebuild)";

int cb_python_load(const char *path, const cb_workload **out, cb_error *err)
{
	(void)path;
	*out = NULL;
	return cb_error_set(err, CB_EXIT_ENV, "Python workloads are not built into this concbench: install "
	                    "Debian's libpython3-dev and rebuild (py:%s)", path);
}
