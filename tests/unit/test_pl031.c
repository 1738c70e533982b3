// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PL031 RTC driven as AAVMF's PL031RealTimeClockLib drives it, through the MMIO bus: the PrimeCell
 * ID check, the control register, reading the counter (host wall-clock time) and setting it through
 * the load register (UEFI SetTime), which must move the counter and keep running from there.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "devices/pl031.h"
#include "tap.h"
#include "vmm/bus.h"

#define BASE 0x09010000ull

static struct bus mmio;

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	bus_dispatch(&mmio, BASE + off, (uint8_t *)&v, 4, false);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	bus_dispatch(&mmio, BASE + off, (uint8_t *)&v, 4, true);
}

int main(void)
{
	static const uint8_t ids[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	struct pl031 rtc;
	time_t now = time(NULL);
	uint32_t v;
	uint8_t b = 0x5a;
	bool ids_ok = true;

	CHECK(bus_init(&mmio, "mmio") == 0 && pl031_init(&rtc) == 0, "init");
	CHECK(bus_register(&mmio, BASE, PL031_MMIO_SIZE, pl031_mmio, &rtc, "pl031") == 0, "register");

	for (int i = 0; i < 8; i++)
		ids_ok &= rd(PL031_PERIPHID0 + 4 * i) == ids[i];
	CHECK(ids_ok, "PeriphID 0x00141031, PCellID 0xb105f00d (TRM 3.3.9-3.3.16)");
	CHECK(rd(PL031_CR) == 1, "the clock runs from reset (CR bit 0)");
	v = rd(PL031_DR);
	CHECK(v >= (uint32_t)now && v <= (uint32_t)now + 2, "DR is the host's wall-clock seconds (%u vs %lld)", v, (long long)now);

	wr(PL031_LR, 1000000000);
	v = rd(PL031_DR);
	CHECK(v >= 1000000000 && v <= 1000000002, "LR sets the counter: DR %u", v);
	CHECK(rd(PL031_LR) == 1000000000, "LR reads back the value loaded");
	wr(PL031_DR, 5);
	v = rd(PL031_DR);
	CHECK(v >= 1000000000 && v <= 1000000002, "DR is read-only: %u", v);
	wr(PL031_CR, 0);
	CHECK(rd(PL031_CR) == 1, "CR: writing 0 does not stop a started clock (TRM 3.3.4)");

	wr(PL031_MR, 1234);
	wr(PL031_IMSC, 3);
	CHECK(rd(PL031_MR) == 1234 && rd(PL031_IMSC) == 1, "MR stored, IMSC keeps bit 0 only");
	CHECK(rd(PL031_RIS) == 0 && rd(PL031_MIS) == 0, "no alarm interrupt: RIS/MIS 0");

	/* AAVMF's IdentifyPL031 reads the IDs a byte at a time. */
	ids_ok = true;
	for (int i = 0; i < 8; i++) {
		bus_dispatch(&mmio, BASE + PL031_PERIPHID0 + 4 * i, &b, 1, false);
		ids_ok &= b == ids[i];
	}
	CHECK(ids_ok, "byte reads of the IDs");
	bus_dispatch(&mmio, BASE + PL031_LR + 3, &b, 1, false);
	CHECK(b == (1000000000u >> 24), "a byte read at +3 is the register's top byte");
	CHECK(rd(0x800) == 0, "an unassigned offset reads 0");
	bus_dispatch(&mmio, BASE + PL031_LR + 2, &b, 1, true);
	CHECK(rd(PL031_LR) == 1000000000, "a byte write is dropped");

	pl031_destroy(&rtc);
	bus_destroy(&mmio);
	return tap_done();
}
