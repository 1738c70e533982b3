// SPDX-License-Identifier: GPL-2.0-only
/* ICH9 ACPI PM I/O block with the PM timer (see acpi_pm.h). */
#include "devices/acpi_pm.h"

#include <string.h>
#include <time.h>

#include "vmm/log.h"

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t acpi_pm_ticks(uint64_t ns)
{
	/* 128-bit: ns * 3579545 overflows 64 bits after about 85 minutes. */
	return (uint32_t)((unsigned __int128)ns * ACPI_PM_TIMER_HZ / 1000000000u) & ACPI_PM_TIMER_MASK;
}

int acpi_pm_init(struct acpi_pm *pm, acpi_pm_sleep_fn sleep, void *opaque)
{
	int r;

	memset(pm, 0, sizeof(*pm));
	r = pthread_mutex_init(&pm->lock, NULL);
	if (r)
		return err_num(r, "acpi-pm: pthread_mutex_init");
	pm->sleep = sleep;
	pm->opaque = opaque;
	pm->now_ns = monotonic_ns;
	return 0;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

/* One byte of a register read. */
static uint8_t read_byte(struct acpi_pm *pm, unsigned int off, uint32_t tmr)
{
	if (off >= ACPI_PM_TMR && off < ACPI_PM_TMR + 4)
		return (uint8_t)(tmr >> (8 * (off - ACPI_PM_TMR)));
	if (off < ACPI_PM1_CNT + 4)                  /* PM1_STS, PM1_EN, PM1_CNT */
		return pm->regs[off];
	if (off >= ACPI_GPE0_EN && off < ACPI_GPE0_STS + ACPI_GPE0_LEN)
		return pm->regs[off];
	return 0;   /* GPE0_STS and the rest */
}

/* One byte of a register write (SLP_EN is acted on by the caller). */
static void write_byte(struct acpi_pm *pm, unsigned int off, uint8_t v)
{
	switch (off) {
	case ACPI_PM1_STS:
	case ACPI_PM1_STS + 1:
		pm->regs[off] &= (uint8_t)~v;               /* write 1 to clear */
		break;
	case ACPI_PM1_EN:
	case ACPI_PM1_EN + 1:
		pm->regs[off] = v;
		break;
	case ACPI_PM1_CNT:
		pm->regs[off] = v & ACPI_PM1_CNT_SCI_EN;
		break;
	case ACPI_PM1_CNT + 1:
		pm->regs[off] = v & (ACPI_PM1_CNT_SLP_TYP >> 8);   /* SLP_EN is write-only, reads 0 */
		break;
	default:
		if (off >= ACPI_GPE0_EN && off < ACPI_GPE0_STS + ACPI_GPE0_LEN)
			pm->regs[off] = v;
		break;
	}
}

void acpi_pm_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *pm = opaque;
	bool sleep = false;
	unsigned int typ = 0;
	uint32_t tmr = 0;

	if ((len != 1 && len != 2 && len != 4) || offset + len > ACPI_PM_LEN) {
		if (!is_write && len <= 8)
			memset(data, 0xff, len);
		return;
	}
	if (!is_write && offset < ACPI_PM_TMR + 4 && offset + len > ACPI_PM_TMR)
		tmr = acpi_pm_ticks(pm->now_ns());
	pthread_mutex_lock(&pm->lock);
	for (uint32_t i = 0; i < len; i++) {
		unsigned int off = (unsigned int)offset + i;

		if (!is_write) {
			data[i] = read_byte(pm, off, tmr);
			continue;
		}
		write_byte(pm, off, data[i]);
		if (off == ACPI_PM1_CNT + 1 && (data[i] & (ACPI_PM1_CNT_SLP_EN >> 8))) {
			sleep = true;
			typ = (data[i] & (ACPI_PM1_CNT_SLP_TYP >> 8)) >> 2;
		}
	}
	pthread_mutex_unlock(&pm->lock);
	if (sleep && pm->sleep)
		pm->sleep(pm->opaque, typ);
}
