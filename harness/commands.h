/* The subcommands main.c dispatches to, one cb_cmd_<name>() per
 * harness/cmd_<name>.c. Each parses its own options and returns the exit
 * code; add a line here and one in main.c's commands[] table. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H

/* compare (cmd_compare.c, cmd_baseline.c) */
int cb_cmd_compare(int argc, char **argv);
int cb_cmd_baseline(int argc, char **argv);

#endif
