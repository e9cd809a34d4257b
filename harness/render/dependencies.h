/* Under run's table: how the cells of task graphs met the dependencies
 * between their tasks (results.json `dependencies`, in the workload's own
 * words), one line per workload and way, naming the strategies. */
#ifndef CB_DEPENDENCIES_H
#define CB_DEPENDENCIES_H

#include <jansson.h>
#include <stdio.h>

/* Nothing when no cell records its dependencies. */
void cb_dependencies_print(FILE *f, const json_t *results);

#endif
