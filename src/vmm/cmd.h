/* SPDX-License-Identifier: GPL-2.0-only */
/* Subcommands of the nestvm binary: one file each (cmd_<name>.c), dispatched by main.c. */
#ifndef NESTVM_CMD_H
#define NESTVM_CMD_H

struct cmd {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);   /* argv[0] is the subcommand name; returns enum nestvm_exit */
	void (*usage)(void);
};

int cmd_run(int argc, char **argv);
void cmd_run_usage(void);
int cmd_restore(int argc, char **argv);
void cmd_restore_usage(void);
int cmd_ctl(int argc, char **argv);
void cmd_ctl_usage(void);
int cmd_host(int argc, char **argv);
void cmd_host_usage(void);
int cmd_version(int argc, char **argv);
void cmd_version_usage(void);

#endif
