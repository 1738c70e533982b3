/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Table layouts both machines build (ACPI 6.5 chapter 5.2): the FADT (every field through
 * HYPERVISOR_VENDOR_IDENTITY, revision 6) and the MCFG (PCI Firmware Specification 3.3 4.1.2).
 */
#ifndef NESTVM_ACPI_TABLES_H
#define NESTVM_ACPI_TABLES_H

#include <stdint.h>

#include "acpi/acpi.h"

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
/* Arm boot architecture flags (ACPI 6.5 5.2.9.4, Table 5.13). */
#define FADT_ARM_PSCI_COMPLIANT (1u << 0)    /* PSCI is implemented */
#define FADT_ARM_PSCI_USE_HVC   (1u << 1)    /* ... called with HVC (clear: SMC) */

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

_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6");
_Static_assert(sizeof(struct acpi_mcfg) == 60, "MCFG with one allocation");

#endif
