/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 firmware boot (--firmware, --firmware-vars): what QEMU virt gives AAVMF. The code flash bank
 * at 0 and the vars bank at 0x0400_0000 (CFI, two x16 devices on a 32-bit bus), each a read-only
 * KVM memslot over the flash array while in read-array mode; writes exit as MMIO to the flash model,
 * which asks for its memslot to be taken out while it answers status/ID/CFI reads and put back for
 * read array. A PL031 RTC at 0x0901_0000 and fw_cfg (MMIO, DMA) at 0x0902_0000 with the RAM size, the
 * CPU count and, with --kernel, the kernel, initrd and command line for the firmware's own loader.
 * The device tree sits at the start of RAM, where AAVMF looks for it; vCPU 0 starts at the flash base.
 * With --firmware-tables acpi fw_cfg also carries the ACPI tables (acpi/arm_tables.h), which AAVMF then
 * hands the OS instead of the device tree.
 */
#ifndef NESTVM_ARM64_FIRMWARE_H
#define NESTVM_ARM64_FIRMWARE_H

#include <stdint.h>

struct vm;

/* Opens both images and maps the banks, the RTC and fw_cfg (arch_vm_create, after the GIC). */
int arm64_firmware_create(struct vm *vm);
/* --kernel, --initrd and the command line (CMDLINE, may be NULL) into fw_cfg. */
int arm64_firmware_load_kernel(struct vm *vm, const char *cmdline);
/* --firmware-tables acpi: the machine's ACPI tables into fw_cfg's table-loader (once the vCPUs, and so
 * their MPIDRs, exist). */
int arm64_firmware_add_acpi(struct vm *vm, const uint64_t *mpidr, unsigned int nr_cpus);
/* The vars bank's guest-visible size (the device tree's reg). */
uint64_t arm64_firmware_vars_size(struct vm *vm);
void arm64_firmware_destroy(struct vm *vm);

#endif
