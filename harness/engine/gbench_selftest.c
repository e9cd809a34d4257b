/* The shim's price, measured by the shim: one trivial increment in the C
 * batch loop, in the per-iteration cb_gb_keep_running() loop, and in native
 * Google Benchmark C++, registered side by side under "shim/". */
#include "engine/gbench.h"

static void c_batch_increment(cb_gb_state *st, void *arg)
{
	int64_t x = 0;

	(void)arg;
	for (int64_t n; (n = cb_gb_batch(st)) > 0;)
		for (int64_t i = 0; i < n; i++) {
			x++;
			cb_gb_do_not_optimize(x);
		}
}

static void c_keep_running_increment(cb_gb_state *st, void *arg)
{
	int64_t x = 0;

	(void)arg;
	while (cb_gb_keep_running(st)) {
		x++;
		cb_gb_do_not_optimize(x);
	}
}

void cb_gb_register_shim_overhead(void)
{
	cb_gb_register("shim/c_batch_increment", c_batch_increment, NULL);
	cb_gb_register_native_increment("shim/cxx_native_increment");
	cb_gb_register("shim/c_keep_running_increment", c_keep_running_increment, NULL);
}
