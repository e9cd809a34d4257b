/* export: one run's results in the formats that benchmark-history tools
 * read, so that a dashboard can keep concbench's figures beside the rest.
 * The rows are built once by the results reader, with the speedup and
 * efficiency the file itself holds (derived once, by engine/results.c);
 * each writer is a pure function of them. Formats and shapes: results/README.md. */
#ifndef CB_EXPORT_H
#define CB_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "resultfile/read.h"

typedef enum cb_export_format {
	CB_EXPORT_BENCHER,       /* Bencher Metric Format (JSON object per cell) */
	CB_EXPORT_GAB_SMALLER,   /* github-action-benchmark customSmallerIsBetter: time */
	CB_EXPORT_GAB_BIGGER,    /* github-action-benchmark customBiggerIsBetter: throughput, speedup */
	CB_EXPORT_CSV,
	CB_EXPORT_MD,
	CB_EXPORT_FORMAT_COUNT
} cb_export_format;

/* One cell that ran. Times in seconds; NAN where the file or the series
 * has no figure (speedup without a serial cell of the same workload). */
typedef struct cb_export_row {
	const cb_rcell *cell;
	double speedup, speedup_lo, speedup_hi, efficiency;
	double throughput_lo, throughput_hi;   /* tasks/s at the slowest and fastest repetition */
} cb_export_row;

typedef struct cb_export {
	const cb_rdoc *doc;
	cb_export_row *rows;
	size_t nrows;
	size_t nfailed;    /* rows whose cell failed: left out of the JSON formats */
	size_t nskipped;   /* cells that never ran: in no format */
} cb_export;

int cb_export_from_doc(const cb_rdoc *doc, cb_export **out, cb_error *err);
void cb_export_free(cb_export *e);

/* "bencher", "github-action-benchmark", ...; -1 when unknown. */
int cb_export_format_parse(const char *name, cb_export_format *out);
const char *cb_export_format_name(cb_export_format f);
/* "bencher, github-action-benchmark, ..." for error messages. */
const char *cb_export_format_list(void);

/* Writes the export; 0, or -1 when the stream failed. */
int cb_export_write(FILE *f, const cb_export *e, cb_export_format fmt);

#endif
