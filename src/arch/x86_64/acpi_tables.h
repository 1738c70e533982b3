/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ACPI tables of the x86_64 machine: DSDT (PCI0, COM1, the power button PWRB with its GED0,
 * \_S5), FADT (hardware-reduced, sleep and reset registers in port I/O), MADT (a LAPIC per vCPU,
 * the IOAPIC, IRQ0 -> GSI2, LINT1 NMI) and MCFG (the ECAM window), then whatever EXTRA adds (a DMAR
 * for the planned VT-d), the XSDT and the RSDP.
 */
#ifndef NESTVM_X86_ACPI_TABLES_H
#define NESTVM_X86_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "arch/x86_64/acpi.h"

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

struct acpi_fadt {               /* ACPI 6.5 5.2.9, revision 6 */
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk, pm_tmr_blk;
	uint32_t gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_blk_len, gpe1_blk_len, gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

/* FADT flags (Table 5.10) and IA-PC boot architecture flags (Table 5.11). */
#define FADT_F_PWR_BUTTON       (1u << 4)    /* no fixed power button */
#define FADT_F_SLP_BUTTON       (1u << 5)
#define FADT_F_RESET_REG_SUP    (1u << 10)
#define FADT_F_HW_REDUCED_ACPI  (1u << 20)
#define FADT_IAPC_VGA_NOT_PRESENT  (1u << 2)
#define FADT_IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

struct acpi_madt {               /* 5.2.12 */
	struct acpi_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4 };

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

struct acpi_mcfg_alloc {         /* PCI Firmware Spec 3.3 4.1.2 */
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));

struct acpi_mcfg {
	struct acpi_header h;
	uint64_t reserved;
	struct acpi_mcfg_alloc alloc[1];
} __attribute__((packed));

/* Builds every table into BUF (to be copied to GPA); *USED is the byte count. */
int x86_acpi_build(const struct x86_acpi_machine *m, uint8_t *buf, size_t size, uint64_t gpa, size_t *used);

#endif
