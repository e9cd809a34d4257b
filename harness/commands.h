/* Subcommands implemented outside main.c, one file each (harness/cmd_*.c);
 * main.c lists them in its command table. Each returns an exit code. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H

int cb_cmd_analyze(int argc, char **argv);
int cb_cmd_plot(int argc, char **argv);
int cb_cmd_report(int argc, char **argv);

#endif
