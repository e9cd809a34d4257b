/* compare, the pieces its reporters share (compare_report.c): row order,
 * the summary line, the Markdown table and the number formats, so that the
 * text, Markdown, JUnit and GitHub outputs cannot tell different stories. */
#ifndef CB_COMPARE_REPORT_H
#define CB_COMPARE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "compare/compare.h"

/* Rows in report order (regressed, improved, noisy, unchanged; the largest
 * change first within each). malloc'ed array of pointers into r; free() it. */
const cb_cmp_row **cb_cmp_sorted_rows(const cb_cmp_result *r);
/* "concbench compare: 1 REGRESSED, ..." and a newline; md: bold the loud parts. */
void cb_cmp_summary_line(FILE *f, const cb_cmp_result *r, bool md);
/* The machine-state and power notes, each a line, or nothing. */
void cb_cmp_notes(FILE *f, const cb_cmp_result *r, bool md);
void cb_cmp_method_line(FILE *f, const cb_cmp_result *r);
/* The Markdown table of cb_cmp_report_md: its header and one row. */
void cb_cmp_md_head(FILE *f, const cb_cmp_result *r);
void cb_cmp_md_row(FILE *f, const cb_cmp_result *r, const cb_cmp_row *w);
/* s as inline code in a table cell (pipes escaped, backticks replaced). */
void cb_cmp_md_code(FILE *f, const char *s);
/* "1.23 ms", "4.5e+04/s"; "12.3%" ("none" for INFINITY); "0.0012" ("-" for NAN). */
const char *cb_cmp_fmt_value(char *buf, size_t n, cb_metric m, double v);
const char *cb_cmp_fmt_pct(char *buf, size_t n, double frac);
const char *cb_cmp_fmt_p(char *buf, size_t n, double p);
/* The compare chart's x range: every row's interval, 1 and the threshold
 * band, whatever the ratios, with a margin. */
void cb_cmp_chart_range(const cb_cmp_result *r, double *lo, double *hi);
/* Nothing compared though the files have cells (most likely the wrong
 * pair of files: never a silent pass): -1 with err saying which it was
 * (no cell matched: CB_EXIT_USAGE; none usable: CB_EXIT_FAIL), else 0. */
int cb_cmp_none_compared(const cb_cmp_result *r, const char *base, const char *new, cb_error *err);
/* --save DIR: DIR/compare.txt, .md, .json and .xml, each replaced whole:
 * 0, or -1 with err. */
int cb_cmp_save_reports(const cb_cmp_result *r, const char *dir, cb_error *err);

#endif
