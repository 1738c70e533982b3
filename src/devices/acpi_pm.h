/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ICH9 ACPI power-management I/O block (128 bytes where the LPC bridge's PMBASE puts it; Intel
 * ICH9 datasheet 13.8.3 "Power Management I/O Registers"), what firmware on QEMU's q35 uses of it:
 *   +0x00 PM1_STS (16-bit, write 1 to clear; nothing sets a bit here: no SCI is ever raised)
 *   +0x02 PM1_EN  (16-bit, stored)
 *   +0x04 PM1_CNT (32-bit): bit 0 SCI_EN and bits 12:10 SLP_TYP stored; writing bit 13 SLP_EN
 *         enters SLP_TYP: 0 is soft-off, as on QEMU's q35 (OVMF's ResetShutdown writes it), the
 *         owner is told (ACPI 6.5 4.8.3.2.1 PM1 Control Registers)
 *   +0x08 PM1_TMR (32-bit, read-only): the ACPI PM timer, a free-running 3.579545 MHz counter of 24
 *         bits (ACPI 6.5 4.8.3.3; the FADT's TMR_VAL_EXT is clear), read from the host's monotonic
 *         clock: OVMF's AcpiTimerLib (its only delay source) and Linux's acpi_pm clocksource read it
 *   +0x20 GPE0_STS (8 bytes, reads 0), +0x28 GPE0_EN (8 bytes, stored)
 * Everything else reads 0 and ignores writes. Accesses of 1, 2 or 4 bytes, each byte its register's.
 */
#ifndef NESTVM_ACPI_PM_H
#define NESTVM_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define ACPI_PM_LEN             0x80
#define ACPI_PM1_STS            0x00
#define ACPI_PM1_EN             0x02
#define ACPI_PM1_CNT            0x04
#define ACPI_PM_TMR             0x08
#define ACPI_GPE0_STS           0x20
#define ACPI_GPE0_EN            0x28
#define ACPI_GPE0_LEN           0x10
#define ACPI_PM1_CNT_SCI_EN     0x0001u
#define ACPI_PM1_CNT_SLP_TYP    0x1c00u
#define ACPI_PM1_CNT_SLP_EN     0x2000u
#define ACPI_PM_TIMER_HZ        3579545ull
#define ACPI_PM_TIMER_MASK      0xffffffu

/* SLP_EN was written with SLP_TYP TYP (0-7). On the writing vCPU's thread. */
typedef void (*acpi_pm_sleep_fn)(void *opaque, unsigned int typ);

struct acpi_pm {
	pthread_mutex_t lock;
	uint8_t regs[ACPI_PM_LEN];  /* stored registers (the timer and write-only bits are not) */
	acpi_pm_sleep_fn sleep;
	void *opaque;
	uint64_t (*now_ns)(void);   /* the monotonic clock (tests replace it) */
};

int acpi_pm_init(struct acpi_pm *pm, acpi_pm_sleep_fn sleep, void *opaque);
void acpi_pm_destroy(struct acpi_pm *pm);
/* The timer's 24-bit value NS nanoseconds after its start. */
uint32_t acpi_pm_ticks(uint64_t ns);
/* bus_access_fn over ACPI_PM_LEN ports. */
void acpi_pm_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
