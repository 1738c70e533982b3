// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CMOS RTC driven through ports 0x70/0x71 as OVMF drives it: its memory detection reads the RAM
 * size QEMU leaves at 0x34/0x35 (and 0x5b-0x5d); its PcRtc driver checks D's VRT, waits for A's UIP
 * to clear, reads the time (BCD, 24-hour), and sets it with B's SET bit; binary and 12-hour modes.
 */
#include <stdint.h>
#include <string.h>

#include "devices/cmos_rtc.h"
#include "tap.h"
#include "vmm/bus.h"

static struct bus pio;
static int64_t fake_now;

static int64_t now_fn(void)
{
	return fake_now;
}

static uint8_t rd(uint8_t idx)
{
	uint8_t v = idx;

	bus_dispatch(&pio, 0x70, &v, 1, true);
	bus_dispatch(&pio, 0x71, &v, 1, false);
	return v;
}

static void wr(uint8_t idx, uint8_t v)
{
	bus_dispatch(&pio, 0x70, &idx, 1, true);
	bus_dispatch(&pio, 0x71, &v, 1, true);
}

int main(void)
{
	struct cmos_rtc c;
	/* 2026-12-02 13:45:56 UTC, a Wednesday. */
	int64_t t = cmos_rtc_days_from_civil(2026, 12, 2) * 86400 + 13 * 3600 + 45 * 60 + 56;
	uint8_t b[4];

	CHECK(cmos_rtc_days_from_civil(1970, 1, 1) == 0 && cmos_rtc_days_from_civil(2000, 3, 1) == 11017,
	      "civil dates to days since 1970");
	CHECK(bus_init(&pio, "pio") == 0 && cmos_rtc_init(&c) == 0, "init");
	CHECK(bus_register(&pio, 0x70, CMOS_PORT_LEN, cmos_rtc_pio, &c, "cmos") == 0, "ports 0x70-0x71");
	c.now = now_fn;
	fake_now = t;

	/* QEMU's pc_cmos_init values, OVMF's PlatformGetSystemMemorySizeBelow4gb reading them. */
	cmos_rtc_set_memory(&c, 512ull << 20, 3ull << 30, 2);
	CHECK((rd(0x34) | rd(0x35) << 8) == (512 - 16) * 16, "0x34/0x35: RAM above 16 MiB in 64 KiB units");
	CHECK(((uint64_t)(rd(0x35) << 8 | rd(0x34)) << 16) + (16 << 20) == 512ull << 20, "OVMF's formula gives 512 MiB back");
	CHECK((rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16) == 3 * 16384, "0x5b-0x5d: RAM above 4 GiB in 64 KiB units");
	CHECK((rd(0x30) | rd(0x31) << 8) == 0xffff && (rd(0x15) | rd(0x16) << 8) == 640, "extended (capped) and base memory");
	CHECK(rd(0x5f) == 1, "0x5f: CPUs - 1");
	cmos_rtc_set_memory(&c, 2816ull << 20, 0, 1);
	CHECK((rd(0x34) | rd(0x35) << 8) == (2816 - 16) * 16, "2.75 GiB below 4 GiB fits 16 bits");

	/* PcRtcInit: D.VRT, A (UIP clear), the time in BCD 24-hour. */
	CHECK(rd(CMOS_REG_D) == CMOS_D_VRT, "D: VRT set (battery and RAM valid)");
	CHECK(!(rd(CMOS_REG_A) & CMOS_A_UIP) && rd(CMOS_REG_A) == 0x26, "A: 0x26, no update in progress");
	CHECK(rd(CMOS_REG_B) == CMOS_B_24H && rd(CMOS_REG_C) == 0, "B: 24-hour BCD; C: no flags");
	CHECK(rd(CMOS_SECONDS) == 0x56 && rd(CMOS_MINUTES) == 0x45 && rd(CMOS_HOURS) == 0x13, "time 13:45:56 in BCD");
	CHECK(rd(CMOS_MDAY) == 0x02 && rd(CMOS_MONTH) == 0x12 && rd(CMOS_YEAR) == 0x26 && rd(CMOS_CENTURY) == 0x20,
	      "date 2026-12-02 in BCD, century 0x32");
	CHECK(rd(CMOS_WEEKDAY) == 4, "day of week: Wednesday is 4 (Sunday 1)");
	fake_now += 61;
	CHECK(rd(CMOS_SECONDS) == 0x57 && rd(CMOS_MINUTES) == 0x46, "the clock follows the host");

	/* SetTime: SET, write the fields, clear SET; it then runs from the written time. */
	wr(CMOS_REG_B, CMOS_B_24H | CMOS_B_SET);
	fake_now += 5;
	CHECK(rd(CMOS_SECONDS) == 0x57, "SET freezes the registers");
	wr(CMOS_SECONDS, 0x00);
	wr(CMOS_MINUTES, 0x30);
	wr(CMOS_HOURS, 0x23);
	wr(CMOS_MDAY, 0x31);
	wr(CMOS_MONTH, 0x12);
	wr(CMOS_YEAR, 0x99);
	wr(CMOS_CENTURY, 0x19);
	wr(CMOS_REG_B, CMOS_B_24H);
	fake_now += 1800 + 7;
	CHECK(rd(CMOS_YEAR) == 0x00 && rd(CMOS_CENTURY) == 0x20 && rd(CMOS_MONTH) == 0x01 && rd(CMOS_MDAY) == 0x01 &&
	      rd(CMOS_HOURS) == 0x00 && rd(CMOS_MINUTES) == 0x00 && rd(CMOS_SECONDS) == 0x07,
	      "set to 1999-12-31 23:30:00, it reads 2000-01-01 00:00:07 half an hour later");

	/* Binary and 12-hour formats (B's DM and 24/12 bits). */
	wr(CMOS_REG_B, CMOS_B_DM_BINARY);
	CHECK(rd(CMOS_HOURS) == 12 && rd(CMOS_SECONDS) == 7 && rd(CMOS_YEAR) == 0, "binary 12-hour: midnight is 12 AM");
	fake_now += 13 * 3600;
	CHECK(rd(CMOS_HOURS) == (0x80 | 1), "1 PM reads 0x81 (bit 7 PM)");
	wr(CMOS_HOURS, 0x80 | 11);       /* SET clear: moves the clock at once */
	CHECK(rd(CMOS_HOURS) == (0x80 | 11) && rd(CMOS_SECONDS) == 7, "writing the hour while running moves the clock");
	wr(CMOS_REG_B, CMOS_B_24H);
	CHECK(rd(CMOS_HOURS) == 0x23, "back to BCD 24-hour: 23");

	/* NVRAM, read-only and odd accesses. */
	wr(0x40, 0xa5);
	CHECK(rd(0x40) == 0xa5, "NVRAM stores");
	wr(0x80 | 0x41, 0x5a);
	CHECK(rd(0x41) == 0x5a, "index bit 7 (NMI mask) selects the same byte");
	wr(CMOS_REG_C, 0xff);
	wr(CMOS_REG_D, 0x00);
	CHECK(rd(CMOS_REG_C) == 0 && rd(CMOS_REG_D) == CMOS_D_VRT, "C and D are read-only");
	wr(CMOS_REG_A, 0xa6);
	CHECK(rd(CMOS_REG_A) == 0x26, "A's UIP is read-only");
	memset(b, 0, sizeof(b));
	bus_dispatch(&pio, 0x70, b, 1, false);
	CHECK(b[0] == 0xff, "the index port is write-only (reads all-ones)");
	bus_dispatch(&pio, 0x70, (uint8_t[]){ 0x40 }, 1, true);
	cmos_rtc_pio(&c, 1, b, 2, false);
	CHECK(b[0] == 0xa5 && b[1] == 0xff, "a 16-bit read gives the byte, then all-ones");

	bus_unregister(&pio, 0x70, &c);
	cmos_rtc_destroy(&c);
	bus_destroy(&pio);
	return tap_done();
}
