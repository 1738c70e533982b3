/* SPDX-License-Identifier: GPL-2.0-only */
/* What the user asked for (`nestvm run` options), parsed and validated before anything is created. */
#ifndef NESTVM_CONFIG_H
#define NESTVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CFG_MAX_DISKS 8
#define CFG_MAX_CPUS 64
#define CFG_MAX_CPUS_STR "64"

enum console_kind { CONSOLE_SERIAL, CONSOLE_VIRTIO };
enum seccomp_mode { SECCOMP_ON, SECCOMP_LOG, SECCOMP_OFF };

struct disk_config {
	const char *path;
	bool readonly;
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	unsigned int cpus;
	uint64_t mem_size;
	bool hugepages;
	struct disk_config disks[CFG_MAX_DISKS];
	unsigned int nr_disks;
	enum console_kind console;
	enum seccomp_mode seccomp;
};

#endif
