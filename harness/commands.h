/* The subcommands, one function each; harness/main.c holds their table. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H

int cb_cmd_run(int argc, char **argv);
int cb_cmd_list(int argc, char **argv);
int cb_cmd_topo(int argc, char **argv);
int cb_cmd_micro(int argc, char **argv);

#endif
