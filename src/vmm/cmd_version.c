// SPDX-License-Identifier: GPL-2.0-only
#include <linux/version.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cmd.h"
#include "vmm/exitcode.h"

#ifndef NESTVM_VERSION
#define NESTVM_VERSION "unknown"
#endif

void cmd_version_usage(void)
{
	printf("usage: nestvm version\n  Prints the nestvm version, host architecture and uAPI headers used.\n");
}

int cmd_version(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			cmd_version_usage();
			return EXIT_OK;
		}
		fprintf(stderr, "nestvm: version takes no arguments\n");
		return EXIT_USAGE;
	}
	printf("nestvm %s (%s, built against Linux uAPI %d.%d)\n", NESTVM_VERSION,
#if defined(__aarch64__)
	       "arm64",
#else
	       "x86_64",
#endif
	       LINUX_VERSION_CODE >> 16, (LINUX_VERSION_CODE >> 8) & 0xff);
	return EXIT_OK;
}
