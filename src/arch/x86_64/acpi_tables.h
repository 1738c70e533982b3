/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ACPI tables of the x86_64 machine: DSDT (PCI0, COM1, the power button PWRB with its GED0,
 * \_S5), FADT (hardware-reduced, sleep and reset registers in port I/O), MADT (a LAPIC per vCPU,
 * x2APIC entries for ids of 255 and up, the IOAPIC, IRQ0 -> GSI2, LINT1 NMI) and MCFG (the ECAM
 * window), then whatever EXTRA adds (the vVT-d's DMAR), the XSDT and the RSDP.
 */
#ifndef NESTVM_X86_ACPI_TABLES_H
#define NESTVM_X86_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "acpi/acpi.h"
#include "acpi/tables.h"

struct x86_acpi_machine {
	unsigned int nr_cpus;
	const struct arch_layout *layout;
	unsigned int pci_buses;         /* buses the host bridge decodes (bus 0 + the bridges' pre-assigned ones); 0: 1 */
	uint16_t sleep_port;            /* hardware-reduced sleep control/status/reset ports; 0: X86_PM_PORT */
	uint16_t pm_tmr_port;           /* an ACPI PM timer (24-bit) there; 0: none */
	/* Optional: appends more tables (acpi_add_table) before the XSDT is written. */
	int (*extra)(void *opaque, struct acpi_builder *b);
	void *opaque;
};

struct acpi_madt {               /* 5.2.12 */
	struct acpi_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4, MADT_X2APIC = 9, MADT_X2APIC_NMI = 10 };

struct madt_lapic {              /* 5.2.12.2 */
	uint8_t type, length, uid, apic_id;
	uint32_t flags;              /* bit 0: enabled */
} __attribute__((packed));

struct madt_ioapic {             /* 5.2.12.3 */
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_iso {                /* 5.2.12.5 Interrupt Source Override */
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {          /* 5.2.12.7 */
	uint8_t type, length, uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

struct madt_x2apic {             /* 5.2.12.12 Processor Local x2APIC */
	uint8_t type, length;
	uint16_t reserved;
	uint32_t x2apic_id, flags, uid;   /* flags bit 0: enabled */
} __attribute__((packed));

struct madt_x2apic_nmi {         /* 5.2.12.13 Local x2APIC NMI */
	uint8_t type, length;
	uint16_t flags;
	uint32_t uid;                /* 0xFFFFFFFF: every processor */
	uint8_t lint, reserved[3];
} __attribute__((packed));

/* Builds every table into BUF (to be copied to GPA); *USED is the byte count. */
int x86_acpi_build(const struct x86_acpi_machine *m, uint8_t *buf, size_t size, uint64_t gpa, size_t *used);

#endif
