/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The DMAR ACPI table (VT-d rev 5 chapter 8) describing the machine's one VT-d remapping unit
 * (--viommu vtd): a DRHD for PCI segment 0 with INCLUDE_PCI_ALL and the IOAPIC's device scope,
 * so the guest's intel-iommu puts every PCI function and the IOAPIC behind it (and may enable
 * interrupt remapping, which Linux refuses without the IOAPIC in some DRHD's scope). No RMRR.
 */
#ifndef NESTVM_X86_DMAR_H
#define NESTVM_X86_DMAR_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi/acpi.h"

struct acpi_dmar {               /* 8.1 DMA Remapping Reporting Structure */
	struct acpi_header h;        /* "DMAR", revision 1 */
	uint8_t haw;                 /* host address width - 1 */
	uint8_t flags;
	uint8_t reserved[10];
} __attribute__((packed));

#define DMAR_F_INTR_REMAP       (1u << 0)
#define DMAR_F_X2APIC_OPT_OUT   (1u << 1)

struct dmar_drhd {               /* 8.3 DMA Remapping Hardware Unit Definition */
	uint16_t type;               /* 0 */
	uint16_t length;             /* with the device scopes */
	uint8_t flags;               /* bit 0: INCLUDE_PCI_ALL */
	uint8_t size;                /* register set: 2^size 4 KiB pages */
	uint16_t segment;
	uint64_t address;
} __attribute__((packed));

#define DRHD_INCLUDE_PCI_ALL    (1u << 0)

struct dmar_scope {              /* 8.3.1 Device Scope Structure, one path entry */
	uint8_t type;                /* 3: IOAPIC */
	uint8_t length;
	uint16_t reserved;
	uint8_t enum_id;             /* the IOAPIC's id (MADT) */
	uint8_t start_bus;
	uint8_t dev, fn;
} __attribute__((packed));

#define DMAR_SCOPE_IOAPIC       3

struct x86_dmar {
	uint64_t regs;               /* register page base */
	uint8_t haw;                 /* host (guest physical) address width */
	bool intr_remap;
	uint8_t ioapic_id;
	uint16_t ioapic_sid;         /* the source id the IOAPIC's interrupt requests carry */
};

/* Adds the DMAR to B (an x86_acpi_machine.extra callback; OPAQUE is a struct x86_dmar). */
int x86_dmar_add(void *opaque, struct acpi_builder *b);

#endif
