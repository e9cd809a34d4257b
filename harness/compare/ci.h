/* compare, the outputs CI systems read: JUnit XML (GitLab's merge request
 * widget, Jenkins, Azure, test-reporter actions) and GitHub Actions'
 * workflow commands, step outputs and job summary. Like the other
 * reporters these are pure functions of a cb_cmp_result; only
 * cb_compare_github_emit (cli/commands.h, cmd_compare_ci.c) touches the files
 * GitHub names in the environment. */
#ifndef CB_COMPARE_CI_H
#define CB_COMPARE_CI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "compare/compare.h"

/* One <testsuite> with a <testcase> per compared or not-compared cell:
 * <failure> for regressed, <skipped> for noisy and not compared, <error>
 * for a cell that failed on either side. Valid against
 * tests/data/junit.xsd. */
void cb_cmp_report_junit(FILE *f, const cb_cmp_result *r);
/* The JUnit counts, as the XML states them. */
typedef struct cb_junit_counts {
	size_t tests, failures, errors, skipped;
} cb_junit_counts;
cb_junit_counts cb_cmp_junit_counts(const cb_cmp_result *r);

/* The one word a workflow branches on: "regressed", "improved", "noisy",
 * "unchanged" (the first verdict in report order that any cell has), or
 * "none" when no cell was compared. */
const char *cb_cmp_overall_verdict(const cb_cmp_result *r);

/* GitHub allows 10 error annotations a step: past that, one more says how
 * many were left out. */
#define CB_GITHUB_MAX_ERRORS 10
/* The step summary file holds at most 1 MiB per step. */
#define CB_GITHUB_SUMMARY_MAX (1024u * 1024u)

/* Workflow commands: `::error title=concbench regressed::...` per regressed
 * cell, `::warning` for a machine-state change and machine differences. */
void cb_cmp_github_commands(FILE *f, const cb_cmp_result *r);
/* name=value lines for $GITHUB_OUTPUT: verdict, regressed, improved, noisy,
 * unchanged, not_compared, geomean. */
void cb_cmp_github_outputs(FILE *f, const cb_cmp_result *r);
/* Markdown for $GITHUB_STEP_SUMMARY, at most `limit` bytes: the
 * <!-- concbench-compare --> marker, the summary line, regressed and
 * improved rows in the open, noisy and unchanged rows and the cells not
 * compared folded in <details>. Rows that do not fit are counted in a last
 * line. Returns the bytes written. */
size_t cb_cmp_github_summary(FILE *f, const cb_cmp_result *r, size_t limit);
#define CB_GITHUB_MARKER "<!-- concbench-compare -->"

#endif
