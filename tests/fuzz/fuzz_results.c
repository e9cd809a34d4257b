/* libFuzzer target for compare's readers: any bytes handed to the results,
 * Google Benchmark and hyperfine JSON readers must give a cells list or an error
 * naming the file, never a crash or a leak. Each input is also compared with
 * itself, so the statistics see whatever the readers let through.
 * Built by scripts/fuzz, not by the default CMake build. */
#include "compare/compare.h"
#include "compare/ci.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int m = CB_METRIC_TIME; m <= CB_METRIC_CPU; m++) {
		cb_cmp_input *in = NULL;
		cb_cmp_result *r = NULL;
		cb_error err = { 0 };
		cb_cmp_opts o;
		cb_cmp_opts_default(&o);
		o.resamples = 100;
		if (cb_cmp_input_parse("fuzz.json", (const char *)data, size, (cb_metric)m, &in, &err)) {
			if (!err.code || !err.msg[0])
				abort();   /* every failure must say why */
			continue;
		}
		if (!cb_cmp_run(in, in, &o, &r, &err)) {
			FILE *null = fopen("/dev/null", "w");
			if (null) {
				cb_cmp_report_text(null, r);
				cb_cmp_report_md(null, r);
				cb_cmp_report_json(null, r);
				cb_cmp_chart_data(null, r);
				cb_cmp_report_junit(null, r);
				cb_cmp_github_commands(null, r);
				cb_cmp_github_outputs(null, r);
				cb_cmp_github_summary(null, r, 4096);
				fclose(null);
			}
		}
		cb_cmp_result_free(r);
		cb_cmp_input_free(in);
	}
	return 0;
}
