// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ICH9 ACPI PM block driven through port I/O as OVMF drives it: its AcpiTimerLib's delay loop
 * (24-bit PM timer reads at +8 against a clock the test moves), the SCI_EN write of its boot manager,
 * PM1_STS write-1-to-clear, and ResetShutdown's PM1_CNT sequence (SLP_TYP 0, then SLP_EN) powering off.
 */
#include <stdint.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "tap.h"
#include "vmm/bus.h"

#define BASE 0x600

static struct bus pio;
static uint64_t fake_ns;
static unsigned int sleeps, last_typ;

static uint64_t fake_now(void)
{
	return fake_ns;
}

static void on_sleep(void *opaque, unsigned int typ)
{
	sleeps++;
	last_typ = typ;
}

static uint32_t in(unsigned int off, unsigned int len)
{
	uint8_t b[4] = { 0 };
	uint32_t v = 0;

	bus_dispatch(&pio, BASE + off, b, len, false);
	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void out(unsigned int off, unsigned int len, uint32_t v)
{
	uint8_t b[4];

	for (unsigned int i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	bus_dispatch(&pio, BASE + off, b, len, true);
}

int main(void)
{
	struct acpi_pm pm;
	uint32_t t0, t1;

	CHECK(bus_init(&pio, "pio") == 0 && acpi_pm_init(&pm, on_sleep, NULL) == 0, "init");
	CHECK(bus_register(&pio, BASE, ACPI_PM_LEN, acpi_pm_pio, &pm, "acpi-pm1") == 0, "register 128 ports");

	/* The timer: 3.579545 MHz, 24 bits, as AcpiTimerLib computes delays from it. */
	CHECK(acpi_pm_ticks(0) == 0 && acpi_pm_ticks(1000000000ull) == 3579545u, "one second is 3579545 ticks");
	CHECK(acpi_pm_ticks(1000000ull) == 3579, "one millisecond is 3579 ticks (rounded down)");
	CHECK(acpi_pm_ticks(5000000000ull) == (17897725u & 0xffffff), "the counter wraps at 24 bits");
	CHECK(acpi_pm_ticks(100ull * 365 * 86400 * 1000000000ull) <= 0xffffff, "no overflow after a century of uptime");
	pm.now_ns = fake_now;
	fake_ns = 7000000000ull;
	t0 = in(ACPI_PM_TMR, 4);
	fake_ns += 10000000;   /* 10 ms later */
	t1 = in(ACPI_PM_TMR, 4);
	CHECK(((t1 - t0) & 0xffffff) == 35795 || ((t1 - t0) & 0xffffff) == 35796, "10 ms: 35795 ticks (%u)",
	      (t1 - t0) & 0xffffff);
	CHECK(t0 <= 0xffffff && t1 <= 0xffffff, "bits 31:24 read 0 (24-bit timer, TMR_VAL_EXT clear)");
	CHECK((in(ACPI_PM_TMR, 2) | in(ACPI_PM_TMR + 2, 2) << 16) == t1, "16-bit halves read the same counter");
	out(ACPI_PM_TMR, 4, 0);
	CHECK(in(ACPI_PM_TMR, 4) == t1, "the timer is read-only");

	/* PM1 event and control registers. */
	CHECK(in(ACPI_PM1_STS, 2) == 0 && in(ACPI_PM1_CNT, 2) == 0, "PM1_STS and PM1_CNT reset to 0");
	out(ACPI_PM1_EN, 2, 0x0121);
	CHECK(in(ACPI_PM1_EN, 2) == 0x0121, "PM1_EN stores");
	pm.regs[ACPI_PM1_STS + 1] = 0x81;   /* as if WAK_STS and PWRBTN_STS were set */
	out(ACPI_PM1_STS, 2, 0x0100);
	CHECK(in(ACPI_PM1_STS, 2) == 0x8000, "PM1_STS: writing 1 clears that bit only");
	out(ACPI_PM1_CNT, 2, in(ACPI_PM1_CNT, 2) | ACPI_PM1_CNT_SCI_EN);
	CHECK(in(ACPI_PM1_CNT, 2) == ACPI_PM1_CNT_SCI_EN && sleeps == 0, "SCI_EN set (OVMF's boot manager), no sleep");
	out(ACPI_GPE0_EN, 1, 0x0f);
	CHECK(in(ACPI_GPE0_EN, 1) == 0x0f && in(ACPI_GPE0_STS, 4) == 0, "GPE0_EN stores, GPE0_STS reads 0");
	CHECK(in(0x40, 4) == 0, "unmodelled registers read 0");

	/* ResetShutdown: SLP_TYP := 0 (a read-modify-write), then SLP_EN. */
	out(ACPI_PM1_CNT, 2, 5u << 10 | ACPI_PM1_CNT_SCI_EN);
	CHECK(in(ACPI_PM1_CNT, 2) == (5u << 10 | ACPI_PM1_CNT_SCI_EN) && sleeps == 0, "SLP_TYP stores without SLP_EN");
	out(ACPI_PM1_CNT, 2, in(ACPI_PM1_CNT, 2) & ~ACPI_PM1_CNT_SLP_TYP);
	out(ACPI_PM1_CNT, 2, in(ACPI_PM1_CNT, 2) | ACPI_PM1_CNT_SLP_EN);
	CHECK(sleeps == 1 && last_typ == 0, "SLP_EN with SLP_TYP 0: the owner is told (soft-off)");
	CHECK(!(in(ACPI_PM1_CNT, 2) & ACPI_PM1_CNT_SLP_EN), "SLP_EN reads 0 (write-only)");
	out(ACPI_PM1_CNT + 1, 1, (ACPI_PM1_CNT_SLP_EN | 3u << 10) >> 8);
	CHECK(sleeps == 2 && last_typ == 3, "a byte write of the high half carries SLP_TYP 3");

	/* Odd accesses complete without effect. */
	uint8_t b[8] = { 0 };
	CHECK(bus_dispatch(&pio, BASE + ACPI_PM_LEN - 2, b, 4, false) == false, "an access past the block is not claimed");
	acpi_pm_pio(&pm, ACPI_PM_LEN - 2, b, 4, false);
	CHECK(b[0] == 0xff && b[3] == 0xff, "a read straddling the end reads all-ones");
	acpi_pm_pio(&pm, 0, b, 3, true);
	CHECK(sleeps == 2, "a 3-byte write is dropped");

	bus_unregister(&pio, BASE, &pm);
	acpi_pm_destroy(&pm);
	bus_destroy(&pio);
	return tap_done();
}
