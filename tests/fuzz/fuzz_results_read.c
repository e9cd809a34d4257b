/* libFuzzer target for the results reader of analyze, plot and report: any
 * bytes handed to cb_results_parse must give a document or an error naming
 * the input, never a crash or a leak. A document that reads is also turned
 * into series, warnings and both reports, so that whatever the reader lets
 * through meets the code that trusts it. Built by scripts/fuzz, not by the
 * default CMake build. */
#include "render/report.h"
#include "resultfile/read.h"
#include "analysis/series.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cb_rdoc *doc = NULL;
	cb_series_set set = { 0 };
	cb_chart_list charts = { 0 };
	cb_warnings warnings = { 0 };
	cb_error err = { 0 };
	if (cb_results_parse("fuzz.json", (const char *)data, size, &doc, &err)) {
		if (!err.code || !err.msg[0])
			abort();   /* every failure must say why */
		return 0;
	}
	cb_report_warnings(doc, &warnings);
	if (!doc->micro && cb_series_from_doc(doc, &set, &err)) {
		if (!err.code || !err.msg[0])
			abort();
		goto out;
	}
	cb_report_in in = { doc, &set, &charts, "/nonexistent", "not drawn while fuzzing", &warnings };
	free(cb_report_html(&in));
	free(cb_report_md(&in));
out:
	cb_warnings_free(&warnings);
	cb_series_set_free(&set);
	cb_rdoc_free(doc);
	return 0;
}
