/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ICH9 LPC bridge at 00:1f.0 (8086:2918, class ISA bridge), as QEMU's q35 machine has it: the
 * function whose config space places the chipset's ACPI power-management I/O block. OVMF's Q35
 * platform code and its ACPI timer library program PMBASE and set ACPI_EN, write RCBA, and its boot
 * manager sets the PIRQ routing registers and finds the LPC bridge by class (its serial and keyboard
 * devices hang below it). Registers (Intel I/O Controller Hub 9 datasheet, 13.1 "LPC Interface
 * Bridge Registers (D31:F0)"):
 *   0x40 PMBASE (32-bit): bits 15:7 the base of the 128-byte ACPI I/O block, bit 0 reads 1 (I/O space);
 *   0x44 ACPI_CNTL: bit 7 ACPI_EN (the block decodes only while set), bits 2:0 SCI_IRQ_SEL;
 *   0x60-0x63, 0x68-0x6b PIRQ[A-H]_ROUT: bit 7 IRQEN (1: not routed, the reset value 0x80), bits 3:0
 *        the ISA IRQ: stored for the guest, nothing is routed through them (no INTx on this machine);
 *   0xf0 RCBA (32-bit): bits 31:14 the root complex register block's base, bit 0 enable: stored; the
 *        block itself is not modelled (nothing the firmware or Linux uses is in it).
 * A change of PMBASE or ACPI_EN calls the owner back with where the block decodes now.
 */
#ifndef NESTVM_ICH9_LPC_H
#define NESTVM_ICH9_LPC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"

#define ICH9_LPC_VENDOR         0x8086
#define ICH9_LPC_DEVICE         0x2918
#define ICH9_LPC_SLOT           31
#define ICH9_LPC_PMBASE         0x40
#define ICH9_LPC_PMBASE_MASK    0xff80u
#define ICH9_LPC_ACPI_CNTL      0x44
#define ICH9_LPC_ACPI_EN        0x80
#define ICH9_LPC_PIRQA_ROUT     0x60
#define ICH9_LPC_PIRQE_ROUT     0x68
#define ICH9_LPC_RCBA           0xf0
#define ICH9_PM_LEN             0x80    /* the ACPI I/O block PMBASE places */

/* The ACPI block decodes at BASE (ENABLED) or not at all. On the vCPU thread that wrote the register. */
typedef void (*ich9_pm_decode_fn)(void *opaque, uint16_t base, bool enabled);

struct ich9_lpc {
	struct pci_dev pci;
	ich9_pm_decode_fn decode;
	void *opaque;
	pthread_mutex_t lock;       /* orders the decode callbacks */
	uint16_t pm_base;           /* what the callback was last told */
	bool pm_on;
};

/* A new LPC bridge in slot 31 of H (owned by H from then on: it frees it). -errno after reporting. */
int ich9_lpc_create(struct pci_host *h, struct vm *vm, ich9_pm_decode_fn decode, void *opaque,
		    struct ich9_lpc **out);

#endif
