/* Subcommands, one file each (harness/cmd_*.c); main.c lists them in its
 * command table. Each returns an exit code. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H

#include "common.h"

int cb_cmd_run(int argc, char **argv);
int cb_cmd_list(int argc, char **argv);
int cb_cmd_topo(int argc, char **argv);
int cb_cmd_analyze(int argc, char **argv);
int cb_cmd_plot(int argc, char **argv);
int cb_cmd_report(int argc, char **argv);

/* FILE [-o DIR] for plot and report; DIR defaults to FILE's folder and is
 * malloc'ed. Returns 1 for --help, -1 with err on a usage error. */
int cb_parse_file_dir_opts(const char *cmd, int argc, char **argv, const char **file,
                           char **dir, cb_error *err);

int cb_cmd_compare(int argc, char **argv);
int cb_cmd_baseline(int argc, char **argv);
int cb_cmd_micro(int argc, char **argv);
int cb_cmd_merge(int argc, char **argv);
int cb_cmd_export(int argc, char **argv);

#endif
