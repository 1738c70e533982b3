/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ACPI tables of the arm64 machine, what QEMU virt hands AAVMF (hw/arm/virt-acpi-build.c) for
 * the same devices: DSDT (CPUs, the PL011, fw_cfg, the PCIe host bridge PCI0 with its windows, _PRT
 * and ECAM reservation), FADT (hardware-reduced, PSCI by HVC), MADT (a GICC per vCPU, the GICD, the
 * redistributor range, the ITS), GTDT (the architected timer's PPIs), MCFG (the ECAM), SPCR (the
 * PL011 as console) and the IORT (iort.h), then the XSDT and the RSDP.
 *
 * Built from plain parameters (the machine fills them from arch/arm64/layout.h), host-arch
 * independent, so the unit tests run everywhere.
 */
#ifndef NESTVM_ACPI_ARM_TABLES_H
#define NESTVM_ACPI_ARM_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"

#define ACPI_ARM_MAX_CPUS   512

struct acpi_arm_machine {
	unsigned int nr_cpus;
	const uint64_t *mpidr;          /* nr_cpus MPIDR_EL1 values */
	/* GICv3: distributor, the redistributor range (one RD+SGI frame pair per vCPU), the ITS. */
	uint64_t gicd, gicr, gicr_size, its;
	/* The architected timer's PPIs as GSIVs (INTIDs 16-31): secure and non-secure EL1 physical,
	 * virtual, non-secure EL2 physical. */
	uint32_t timer_sec_gsiv, timer_phys_gsiv, timer_virt_gsiv, timer_hyp_gsiv;
	bool psci_hvc;                  /* PSCI through HVC (else SMC) */
	uint64_t uart, uart_size;       /* the PL011 */
	uint32_t uart_gsiv;             /* level, active high */
	uint64_t fw_cfg, fw_cfg_size;   /* 0: none */
	/* PCIe host bridge, segment 0: ECAM (1 MiB a bus, from bus 0), the windows. */
	uint64_t ecam;
	unsigned int buses;
	uint64_t pio, pio_size;         /* CPU address of the I/O window; port 0 is at pio */
	uint64_t mmio32, mmio32_size, mmio64, mmio64_size;
	uint32_t intx_gsiv;             /* INTA..INTD of slot 0 at intx_gsiv + 0..3, swizzled by slot */
	/* The SMMUv3 in front of the host bridge: base 0 for none. */
	uint64_t smmu;
	uint32_t smmu_gsiv[4];          /* event queue, PRI queue, global error, CMD_SYNC; edge */
};

/* MADT Interrupt Controller Structures (ACPI 6.5 5.2.12). */
struct acpi_madt_arm {           /* 5.2.12: the Local Interrupt Controller Address (unused on Arm) and flags */
	struct acpi_header h;
	uint32_t lic_addr;
	uint32_t flags;
} __attribute__((packed));

enum { MADT_GICC = 0x0b, MADT_GICD = 0x0c, MADT_GICR = 0x0e, MADT_ITS = 0x0f };

struct madt_gicc {               /* 5.2.12.14 GIC CPU Interface (GICC) Structure, ACPI 6.5 layout */
	uint8_t type, length;        /* 0x0b, 82 */
	uint16_t reserved0;
	uint32_t cpu_interface_number;
	uint32_t uid;                /* ACPI Processor UID: the DSDT processor device's _UID */
	uint32_t flags;              /* GICC CPU Interface Flags: bit 0 Enabled */
	uint32_t parking_version;
	uint32_t perf_gsiv;
	uint64_t parked_addr;
	uint64_t base;               /* GICv2 CPU interface: 0 with GICv3's system registers */
	uint64_t gicv, gich;
	uint32_t vgic_maint_gsiv;
	uint64_t gicr_base;          /* 0: the GICR structure's range describes the redistributors */
	uint64_t mpidr;
	uint8_t efficiency_class;
	uint8_t reserved1;
	uint16_t spe_gsiv;
	uint16_t trbe_gsiv;
} __attribute__((packed));

struct madt_gicd {               /* 5.2.12.15 GIC Distributor (GICD) Structure */
	uint8_t type, length;        /* 0x0c, 24 */
	uint16_t reserved0;
	uint32_t gic_id;
	uint64_t base;
	uint32_t vector_base;        /* must be 0 */
	uint8_t version;             /* 3: GICv3 */
	uint8_t reserved1[3];
} __attribute__((packed));

struct madt_gicr {               /* 5.2.12.17 GIC Redistributor (GICR) Structure */
	uint8_t type, length;        /* 0x0e, 16 */
	uint8_t flags;               /* bit 0: GICR non-coherent; 0 */
	uint8_t reserved;
	uint64_t base;               /* Discovery Range Base Address */
	uint32_t range_length;
} __attribute__((packed));

struct madt_its {                /* 5.2.12.18 GIC Interrupt Translation Service (ITS) Structure */
	uint8_t type, length;        /* 0x0f, 20 */
	uint8_t flags;               /* bit 0: ITS non-coherent; 0 */
	uint8_t reserved0;
	uint32_t translation_id;     /* what the IORT's ITS group node names */
	uint64_t base;
	uint32_t reserved1;
} __attribute__((packed));

struct acpi_gtdt {               /* 5.2.25 Generic Timer Description Table, revision 2 */
	struct acpi_header h;
	uint64_t cnt_control_base;   /* 0xffff_ffff_ffff_ffff: no memory-mapped CNTControlBase */
	uint32_t reserved;
	uint32_t sec_el1_gsiv, sec_el1_flags;
	uint32_t ns_el1_gsiv, ns_el1_flags;
	uint32_t virt_el1_gsiv, virt_el1_flags;
	uint32_t ns_el2_gsiv, ns_el2_flags;
	uint64_t cnt_read_base;      /* 0xffff_ffff_ffff_ffff: none */
	uint32_t platform_timer_count, platform_timer_offset;
} __attribute__((packed));

/* GTDT timer flags (5.2.25, "Flag Definitions"): bit 0 mode (1 edge), bit 1 polarity (1 active low), bit 2 always-on. */
#define GTDT_ALWAYS_ON          (1u << 2)

struct acpi_spcr {               /* Microsoft Serial Port Console Redirection Table, revision 2 */
	struct acpi_header h;
	uint8_t interface_type;      /* 3: ARM PL011 (DBG2 serial port subtypes) */
	uint8_t reserved0[3];
	struct acpi_gas base;
	uint8_t interrupt_type;      /* bit 3: ARM GIC interrupt (GSIV) */
	uint8_t pc_irq;
	uint32_t gsiv;
	uint8_t baud;                /* 7: 115200 */
	uint8_t parity, stop_bits, flow_control, terminal_type, language;
	uint16_t pci_device_id, pci_vendor_id;   /* 0xffff: not a PCI device */
	uint8_t pci_bus, pci_dev, pci_fn;
	uint32_t pci_flags;
	uint8_t pci_segment;
	uint32_t reserved1;
} __attribute__((packed));

/* Builds every table into BUF (to be copied to GPA); *USED is the byte count. */
int acpi_arm_build(const struct acpi_arm_machine *m, uint8_t *buf, size_t size, uint64_t gpa, size_t *used);

#endif
