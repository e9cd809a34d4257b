/* compare --save DIR: the report in every format beside each other. */
#include <stdio.h>
#include <stdlib.h>

#include "compare/ci.h"
#include "compare/compare.h"
#include "compare/report.h"

/* --save DIR: the report in every format, each file replaced whole. */
int cb_cmp_save_reports(const cb_cmp_result *r, const char *dir, cb_error *err)
{
	static const char *const ext[] = { "txt", "md", "json", "xml" };
	for (int k = 0; k < 4; k++) {
		char *data = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&data, &len);
		if (!f)
			abort();
		if (k == 0)
			cb_cmp_report_text(f, r);
		else if (k == 1)
			cb_cmp_report_md(f, r);
		else if (k == 2)
			cb_cmp_report_json(f, r);
		else
			cb_cmp_report_junit(f, r);
		if (fclose(f))
			abort();
		char *path = cb_xasprintf("%s/compare.%s", dir, ext[k]);
		int rc = cb_write_file_atomic(path, data, len, err);
		free(path);
		free(data);
		if (rc)
			return -1;
	}
	return 0;
}
