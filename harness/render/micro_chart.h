/* The chart data of a `concbench micro` run: the text of micro_price.dat and
 * micro_locks.dat and the names of their blocks, which the templates in
 * plots/micro_*.gp read as word lists, and the charts drawn from them. */
#ifndef CB_MICRO_CHART_H
#define CB_MICRO_CHART_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/common.h"

typedef struct cb_micro_chart {
	char *dat;     /* the .dat file's text; malloc'ed */
	size_t len;
	char *words;   /* the blocks' names, space-separated, in block order; malloc'ed */
	int count;     /* price list: rows (y positions); locks: blocks */
} cb_micro_chart;

/* One block per model, rows `y ns_per_op "id"`, families in cell order with
 * a gap between them; then a block of family labels `y "family"`. words:
 * the models. */
void cb_micro_price_data(json_t *cells, cb_micro_chart *out);
/* The contended series sync/<primitive>/n<k>, one block per primitive
 * measured at two counts or more, rows `threads ops_per_s`. words: the
 * primitives. */
void cb_micro_locks_data(json_t *cells, cb_micro_chart *out);
void cb_micro_chart_free(cb_micro_chart *c);
/* DIR/NAME.dat from data, then plots/NAME.gp drawn to DIR/NAME.png and
 * .svg (none when data has no rows), each replacing the old one only
 * when whole. words_var: the template's variable for data->words; rows:
 * it also takes the row count. 0, or -1 with err naming what failed. */
int cb_micro_chart_draw(const char *dir, const char *name, const cb_micro_chart *data,
                        const char *words_var, bool rows, cb_error *err);

#endif
