/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device tree of the arm64 machine, built with libfdt from plain parameters (no KVM, no VM) so
 * unit tests can check it. Node layout and bindings follow QEMU virt and the kernel's
 * Documentation/devicetree/bindings (arm/cpus, arm/psci, interrupt-controller/arm,gic-v3,
 * timer/arm,arch_timer, serial/pl011, pci/host-generic-pci).
 */
#ifndef NESTVM_ARM64_DEVTREE_H
#define NESTVM_ARM64_DEVTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arm64/layout.h"
#include "vmm/config.h"

#define ARM64_FDT_MAX_SIZE  0x200000ull     /* booting.rst: the dtb must not exceed 2 MiB */

struct arm64_fdt_params {
	uint64_t ram_base, ram_size;
	unsigned int nr_cpus;
	const uint64_t *mpidr;          /* nr_cpus MPIDR_EL1 values */
	const char *bootargs;           /* complete kernel command line */
	uint64_t initrd_start, initrd_end;      /* [start, end); end == start: no initrd */
	bool smmu;                      /* an SMMUv3 at ARM64_SMMU_BASE translates the PCI devices */
	const struct arm64_gic_map *gic;        /* NULL: QEMU virt's placement */
	/* Firmware boot (--firmware): the flash banks (code ARM64_FLASH_BANK_SIZE, vars this many bytes;
	 * 0: no firmware devices), the PL031 RTC and fw_cfg. */
	uint64_t flash_vars_size;
};

/* Builds the tree into BUF (SIZE bytes) and packs it. 0, -EINVAL on bad params, -ENOSPC if too big. */
int arm64_fdt_build(void *buf, size_t size, const struct arm64_fdt_params *p);

/*
 * The kernel command line: the user's USER (may be NULL) with a console= for the chosen console
 * (ttyAMA0 for the PL011, hvc0 for virtio-console) in front unless USER already names one.
 * -ENAMETOOLONG if it does not fit in SIZE bytes.
 */
int arm64_bootargs(char *out, size_t size, const char *user, enum console_kind console);

#endif
