// SPDX-License-Identifier: GPL-2.0-only
/* The userspace IOAPIC driven like Linux's io_apic.c: IOREGSEL/IOWIN dword accesses, pins, EOIs. */
#include <string.h>

#include "arch/x86_64/ioapic.h"
#include "tap.h"

static int nmsi, nroute;
static unsigned int route_pin;
static uint32_t route_data;
static uint64_t last_addr;
static uint32_t last_data;

static int on_msi(void *opaque, uint64_t addr, uint32_t data)
{
	nmsi++;
	last_addr = addr;
	last_data = data;
	return 0;
}

static void on_route(void *opaque, unsigned int pin, uint64_t addr, uint32_t data)
{
	nroute++;
	route_pin = pin;
	route_data = data;
}

static void mmio(struct ioapic *io, uint64_t off, uint32_t *v, bool w)
{
	uint8_t d[4];

	memcpy(d, v, 4);
	ioapic_mmio(io, off, d, 4, w);
	memcpy(v, d, 4);
}

static uint32_t rd(struct ioapic *io, uint32_t reg)
{
	uint32_t v = reg;

	mmio(io, 0x00, &v, true);
	mmio(io, 0x10, &v, false);
	return v;
}

static void wr(struct ioapic *io, uint32_t reg, uint32_t val)
{
	uint32_t v = reg;

	mmio(io, 0x00, &v, true);
	v = val;
	mmio(io, 0x10, &v, true);
}

static void rte(struct ioapic *io, unsigned int pin, uint64_t r)
{
	wr(io, 0x10 + 2 * pin + 1, (uint32_t)(r >> 32));
	wr(io, 0x10 + 2 * pin, (uint32_t)r);
}

int main(void)
{
	struct ioapic io;
	uint8_t d[8];

	ioapic_init(&io, on_msi, on_route, NULL);
	CHECK(rd(&io, 0x01) == (0x11 | 23 << 16), "version 0x11, 24 entries");
	CHECK(rd(&io, 0x10 + 8) & (1u << 16), "reset: pins masked");
	wr(&io, 0x00, 0x0f000000);
	CHECK(rd(&io, 0x00) == 0x0f000000, "ID register holds its 4 bits");

	/* Edge pin 4 (COM1): vector 0x31 to APIC 1. */
	ioapic_set_irq(&io, 4, true);
	ioapic_set_irq(&io, 4, false);
	CHECK(nmsi == 0, "masked pin delivers nothing");
	rte(&io, 4, 0x31ull | 1ull << 56);
	ioapic_set_irq(&io, 4, true);
	CHECK(nmsi == 1 && last_addr == (0xfee00000ull | 1 << 12) && last_data == 0x31, "edge: MSI to APIC 1, vector 0x31");
	ioapic_set_irq(&io, 4, true);
	CHECK(nmsi == 1, "edge: no MSI without a new rising edge");
	ioapic_set_irq(&io, 4, false);
	ioapic_set_irq(&io, 4, true);
	CHECK(nmsi == 2, "edge: next rising edge delivers");
	CHECK(nroute == 0, "edge pins need no MSI route");

	/* Level pin 10, active low: remote IRR until EOI, refires while asserted. */
	nmsi = 0;
	rte(&io, 10, 0x45ull | 1ull << 15 | 1ull << 13);
	CHECK(nroute >= 1, "unmasked level pin gets an MSI route (for EOI exits)");
	ioapic_set_irq(&io, 10, true);
	CHECK(nmsi == 1 && (last_data & 0xc0ff) == 0xc045, "level: MSI with trigger+assert bits");
	CHECK(rd(&io, 0x10 + 20) & (1u << 14), "remote IRR set");
	ioapic_set_irq(&io, 10, true);
	CHECK(nmsi == 1, "level: no MSI while in service");
	ioapic_eoi(&io, 0x45);
	CHECK(nmsi == 2, "EOI with the line still asserted refires");
	ioapic_set_irq(&io, 10, false);
	ioapic_eoi(&io, 0x45);
	CHECK(nmsi == 2 && !(rd(&io, 0x10 + 20) & (1u << 14)), "EOI after deassert: remote IRR clear, no MSI");
	wr(&io, 0x10 + 20, 0x45 | 1u << 15 | 1u << 16 | 1u << 14);
	CHECK(!(rd(&io, 0x10 + 20) & (1u << 14)), "remote IRR is read-only");
	ioapic_set_irq(&io, 10, true);
	CHECK(nmsi == 2, "masked level pin holds");
	wr(&io, 0x10 + 20, 0x45 | 1u << 15);
	CHECK(nmsi == 3, "unmasking an asserted level pin fires it");

	/* Route updates (each one is a whole KVM_SET_GSI_ROUTING): only for a pin whose MSI changed. */
	{
		int n0 = nroute;

		for (int i = 0; i < 50; i++)
			rte(&io, 10, 0x45ull | 1ull << 15);
		CHECK(nroute == n0, "same RTE rewritten 50 times: no route update (%d)", nroute - n0);
		wr(&io, 0x10 + 20, 0x45 | 1u << 15 | 1u << 16);
		wr(&io, 0x10 + 20, 0x45 | 1u << 15);
		CHECK(nroute == n0, "mask + unmask to the same MSI: no route update (%d)", nroute - n0);
		rte(&io, 10, 0x46ull | 1ull << 15);
		CHECK(nroute == n0 + 1 && route_pin == 10 && (route_data & 0xff) == 0x46,
		      "new vector: one update, of that pin (%d)", nroute - n0);
		rte(&io, 10, 0x46ull | 1ull << 15 | 2ull << 56);
		CHECK(nroute == n0 + 2, "new destination: one update");
		rte(&io, 11, 0x47ull | 1ull << 15);
		CHECK(nroute == n0 + 3 && route_pin == 11, "another pin: its own route only");
		rte(&io, 10, 0x45ull | 1ull << 15);
		ioapic_eoi(&io, 0x46);
	}

	/* Garbage from the guest. */
	wr(&io, 0xff, 0x12345678);
	CHECK(rd(&io, 0xff) == 0xffffffff, "unknown register reads all-ones");
	wr(&io, 0x01, 0);
	CHECK(rd(&io, 0x01) == (0x11 | 23 << 16), "version register is read-only");
	memset(d, 0, sizeof(d));
	ioapic_mmio(&io, 0x10, d, 1, false);
	CHECK(d[0] == 0xff, "byte access reads all-ones");
	ioapic_mmio(&io, 0x20, d, 4, true);
	ioapic_mmio(&io, 0xfff, d, 8, true);
	ioapic_set_irq(&io, 24, true);
	ioapic_set_irq(&io, 1000, true);
	ioapic_eoi(&io, 0xff);
	for (uint32_t reg = 0; reg < 256; reg++)
		wr(&io, reg, 0xffffffff);
	CHECK(rd(&io, 0x01) == (0x11 | 23 << 16), "register sweep: state sane");
	/* VT-d remappable RTE (rev 5 5.1.5.1): index 0x1234 in 63:49, index bit 15 in bit 11. */
	uint64_t a;
	uint32_t dt;
	ioapic_rte_to_msi(0x45ull | 1ull << 48 | 0x1234ull << 49, &a, &dt);
	CHECK(a == (0xfee00000ull | 0x1234 << 5 | 1u << 4) && dt == 0x45, "remappable RTE: handle in 19:5, format bit 4");
	ioapic_rte_to_msi(0x46ull | 1ull << 15 | 1ull << 11 | 1ull << 48 | 0x7fffull << 49, &a, &dt);
	CHECK(a == (0xfee00000ull | 0x7fff << 5 | 1u << 4 | 1u << 2) && dt == (0x46 | 1u << 15 | 1u << 14),
	      "remappable RTE: handle 15 in bit 2, level trigger kept for EOI matching");
	ioapic_destroy(&io);
	return tap_done();
}
