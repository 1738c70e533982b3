/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The standard fw_cfg items firmware reads about the machine (OVMF's PlatformPei/QemuFwCfgLib,
 * AAVMF's QemuFwCfgLib users): CPU count, RAM size, the x86 e820 map (etc/e820), and the direct
 * kernel boot items (kernel, x86 setup, initrd, command line) that the firmware's own loader
 * (OVMF/AAVMF QemuKernelLoaderFsDxe) boots from. Items follow fw_cfg.rst "Firmware Configuration Items".
 */
#ifndef NESTVM_FW_CFG_MACHINE_H
#define NESTVM_FW_CFG_MACHINE_H

#include <stddef.h>
#include <stdint.h>

struct fw_cfg;

/* etc/e820 entry (QEMU's struct e820_entry): le64 address, le64 length, le32 type; 20 bytes packed. */
struct fw_cfg_e820 {
	uint64_t address;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));

#define FW_CFG_E820_RAM         1
#define FW_CFG_E820_RESERVED    2
#define FW_CFG_E820_MAX         16

struct fw_cfg_machine {
	unsigned int nr_cpus;
	uint64_t ram_size;                  /* FW_CFG_RAM_SIZE: all guest RAM */
	const struct fw_cfg_e820 *e820;     /* x86: etc/e820; NULL elsewhere */
	unsigned int nr_e820;
	/* Direct boot through the firmware (all optional). x86 splits a bzImage into its setup part
	 * ((setup_sects + 1) * 512 bytes, Linux boot protocol) and the protected-mode kernel. */
	const void *setup, *kernel, *initrd;
	size_t setup_size, kernel_size, initrd_size;
	const char *cmdline;                /* NULL or "" for none */
};

/* Adds the items to F; -errno (reported) when one does not fit. */
int fw_cfg_add_machine(struct fw_cfg *f, const struct fw_cfg_machine *m);

#endif
