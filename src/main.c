// SPDX-License-Identifier: GPL-2.0-only
/* nestvm: a KVM VMM for modern device assignment (iommufd, VFIO cdev, nested vIOMMUs). */
#include <stdio.h>
#include <string.h>

#include "vmm/cmd.h"
#include "vmm/exitcode.h"

static const struct cmd cmds[] = {
	{ "run", "boot a virtual machine", cmd_run, cmd_run_usage },
	{ "restore", "after a host kernel update by kexec: take a VM back from its LUO session", cmd_restore, cmd_restore_usage },
	{ "ctl", "talk to a running VM's control API (--api-socket)", cmd_ctl, cmd_ctl_usage },
	{ "host", "probe what this host offers (KVM, iommufd, VFIO devices)", cmd_host, cmd_host_usage },
	{ "version", "print version and build information", cmd_version, cmd_version_usage },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nestvm <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'nestvm help <command>' or 'nestvm <command> --help' for a command's options.\n"
		   "Exit codes: 0 ok/guest powered off, 1 VMM error, 2 usage, 3 guest reset, 4 guest crash,\n"
		   "5 host lacks a needed feature.\n");
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		fprintf(stderr, "nestvm: no command given (see 'nestvm help')\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		if (argc > 2 && !strcmp(argv[1], "help")) {
			c = find(argv[2]);
			if (!c) {
				fprintf(stderr, "nestvm: unknown command '%s' (see 'nestvm help')\n", argv[2]);
				return EXIT_USAGE;
			}
			c->usage();
			return EXIT_OK;
		}
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv + 1);
	c = find(argv[1]);
	if (!c) {
		fprintf(stderr, "nestvm: unknown command '%s' (see 'nestvm help')\n", argv[1]);
		return EXIT_USAGE;
	}
	return c->main(argc - 1, argv + 1);
}
