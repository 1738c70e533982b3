/* SPDX-License-Identifier: GPL-2.0-only */
/* x86_64 parts of struct vm and struct vcpu. */
#ifndef NESTVM_ARCH_TYPES_H
#define NESTVM_ARCH_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/ioapic.h"
#include "devices/serial8250.h"

struct vtd_dev;
struct x86_fw;

struct arch_vm {
	struct ioapic ioapic;
	bool ioapic_ready;       /* initialised and registered on vm->mmio */
	struct serial8250 com1;
	bool com1_ready;         /* initialised (and maybe registered on vm->pio) */
	bool legacy_ready;       /* legacy ports registered */
	bool rcr_ready;          /* 0xcf9 registered */
	struct vtd_dev *vtd;     /* --viommu vtd */
	bool x2apic_ids;         /* KVM_CAP_X2APIC_API: 32-bit destination ids (machine.c) */
	struct x86_fw *fw;       /* --firmware: flash, chipset functions, RTC, fw_cfg (firmware.h) */
	bool kernel_loaded;      /* boot registers known: set them on the BSP when it exists */
	uint64_t entry;          /* 64-bit entry point (load address + 0x200) */
	const char *lu_refusal;  /* why a live update cannot carry the vCPU state (state.c), NULL if it can */
	char lu_why[96];
};

struct arch_vcpu {
	bool boot_regs_set;
};

#endif
