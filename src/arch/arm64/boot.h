/* SPDX-License-Identifier: GPL-2.0-only */
/* Booting Linux on arm64: Image + initrd placement, the device tree in RAM, boot registers. */
#ifndef NESTVM_ARM64_BOOT_H
#define NESTVM_ARM64_BOOT_H

struct vm;

/*
 * Once the kernel is loaded AND the machine is finalized (all vCPUs and devices exist), in either
 * order: builds the device tree, writes it to RAM and points vCPU 0 at the kernel. No-op before.
 */
int arm64_boot_commit(struct vm *vm);

#endif
