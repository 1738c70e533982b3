/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86_64 firmware boot (--firmware, --firmware-vars): what QEMU's q35 machine gives Debian's OVMF
 * (no SMM, no CSM), in the map layout.h describes. The 4 MiB flash ends at 4 GiB (vars below code,
 * CFI with one x8 device each, read-only memslots in read-array mode; vCPU 0 starts from KVM's reset
 * state at the code's last 16 bytes). The host bridge is Q35's MCH (PCIEXBAR moves the ECAM to where
 * OVMF puts it), 00:1f.0 the ICH9 LPC bridge whose PMBASE places the ACPI block with the PM timer,
 * ports 0x70/0x71 the CMOS RTC with the RAM size in its NVRAM, and fw_cfg on ports 0x510-0x51b (DMA)
 * carries the CPU count, RAM size, etc/e820, the 64-bit PCI aperture's size, the ACPI tables through
 * the table-loader and, with --kernel, the kernel, initrd and command line for OVMF's own loader.
 */
#ifndef NESTVM_X86_FIRMWARE_H
#define NESTVM_X86_FIRMWARE_H

#include <stddef.h>

struct vm;
struct x86_acpi_machine;

/* The flash, chipset functions, RTC and fw_cfg (arch_vm_create, once the PCI host exists). */
int x86_firmware_create(struct vm *vm);
/* The machine's fw_cfg items and the direct-boot ones (each may be NULL/0) for the firmware's loader. */
int x86_firmware_add_boot(struct vm *vm, const void *setup, size_t setup_size, const void *kernel, size_t kernel_size,
			  const void *initrd, size_t initrd_size, const char *cmdline);
/* The ACPI tables M describes, through the table-loader (arch_finalize). */
int x86_firmware_add_acpi(struct vm *vm, struct x86_acpi_machine *m);
void x86_firmware_destroy(struct vm *vm);

#endif
