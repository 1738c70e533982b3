// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PL061 GPIO (devices/pl061.c) driven the way Linux's gpio-pl061 and gpio-keys drive the power
 * button: PrimeCell IDs, line 3 an input with both-edge interrupts unmasked, a press raising
 * GPIOINTR, the edge cleared through GPIOIC, the line read high (the press ends: falling edge, a
 * second interrupt), read low. Then level detection, the address-masked data register, and
 * accesses the model must refuse.
 */
#include <string.h>

#include "devices/pl061.h"
#include "tap.h"

static int irq_changes;
static bool irq_level;

static void irq(void *opaque, bool level)
{
	irq_changes++;
	irq_level = level;
}

static uint8_t rd(struct pl061 *g, uint64_t off)
{
	uint8_t b[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	pl061_mmio(g, off, b, 1, false);
	return b[0];
}

static void wr(struct pl061 *g, uint64_t off, uint8_t v)
{
	uint8_t b[4] = { v };

	pl061_mmio(g, off, b, 1, true);
}

/* GPIODATA with only LINE in the address mask (TRM 3.3.1: bits 9:2 of the offset). */
#define DATA(line) (PL061_DATA + (1u << (line)) * 4)

static void test_ids(struct pl061 *g)
{
	uint32_t periph = 0, cell = 0;
	uint8_t w[4];

	for (int i = 0; i < 4; i++) {
		periph |= (uint32_t)rd(g, PL061_PERIPHID0 + 4 * i) << (8 * i);
		cell |= (uint32_t)rd(g, PL061_PERIPHID0 + 0x10 + 4 * i) << (8 * i);
	}
	CHECK(periph == 0x00041061 && cell == 0xb105f00d, "PrimeCell ids: periph 0x%08x (amba id of pl061), cell 0x%08x",
	      periph, cell);
	memset(w, 0xaa, sizeof(w));
	pl061_mmio(g, PL061_PERIPHID0, w, 4, false);
	CHECK(w[0] == 0x61 && !w[1] && !w[2] && !w[3], "a 32-bit read returns the register in its low byte");
}

static void test_power_button(struct pl061 *g)
{
	/* gpio-pl061: direction input; gpio-keys asks for both edges; the irqchip unmasks. */
	wr(g, PL061_DIR, rd(g, PL061_DIR) & ~0x08);
	wr(g, PL061_IS, 0);
	wr(g, PL061_IBE, 0x08);
	wr(g, PL061_IE, 0x08);
	CHECK(!irq_level && irq_changes == 0 && rd(g, DATA(3)) == 0, "set up: no interrupt, line 3 reads low");

	pl061_press(g, 3);
	CHECK(irq_level && irq_changes == 1 && rd(g, PL061_MIS) == 0x08 && rd(g, PL061_RIS) == 0x08,
	      "press: rising edge latched, GPIOINTR high (MIS 0x%02x)", rd(g, PL061_MIS));
	wr(g, PL061_IC, 0x08);
	CHECK(!irq_level && rd(g, PL061_RIS) == 0, "GPIOIC clears the edge, GPIOINTR low");
	CHECK(rd(g, DATA(2)) == 0 && !irq_level, "a read of another line does not end the press");
	CHECK(rd(g, DATA(3)) == 0x08, "gpio-keys samples the line: high (pressed)");
	CHECK(irq_level && rd(g, PL061_RIS) == 0x08, "having been seen, the press ends: falling edge, GPIOINTR high");
	wr(g, PL061_IC, 0x08);
	CHECK(rd(g, DATA(3)) == 0 && !irq_level, "the line then reads low (released), nothing pending");
	CHECK(rd(g, PL061_DATA + 0x3fc) == 0 && !irq_level, "and stays released");

	/* Only rising edges (IBE 0, IEV 1): the release raises nothing. */
	wr(g, PL061_IBE, 0);
	wr(g, PL061_IEV, 0x08);
	pl061_press(g, 3);
	CHECK(irq_level, "rising-edge mode: the press interrupts");
	wr(g, PL061_IC, 0x08);
	CHECK(rd(g, DATA(3)) == 0x08 && !irq_level && rd(g, DATA(3)) == 0, "rising-edge mode: the release does not");

	/* Masked: latched in RIS, GPIOINTR stays low until unmasked. */
	wr(g, PL061_IE, 0);
	pl061_press(g, 3);
	CHECK(!irq_level && rd(g, PL061_RIS) == 0x08 && rd(g, PL061_MIS) == 0, "masked: latched in RIS, not in MIS");
	wr(g, PL061_IE, 0x08);
	CHECK(irq_level, "unmasking the latched edge raises GPIOINTR");
	wr(g, PL061_IC, 0xff);
	rd(g, DATA(3));
	wr(g, PL061_IC, 0xff);
}

static void test_level_and_outputs(struct pl061 *g)
{
	/* Level-sensitive, active high on line 0: RIS follows the line, GPIOIC does not clear it. */
	wr(g, PL061_IS, 0x01);
	wr(g, PL061_IEV, 0x01);
	wr(g, PL061_IE, 0x01);
	pl061_set_input(g, 0, true);
	wr(g, PL061_IC, 0x01);
	CHECK(irq_level && rd(g, PL061_RIS) == 0x01, "level-high line: asserted while high, GPIOIC cannot clear it");
	pl061_set_input(g, 0, false);
	CHECK(!irq_level && rd(g, PL061_RIS) == 0, "level-high line: deasserts when the line goes low");
	wr(g, PL061_IEV, 0);
	CHECK(irq_level, "level-low line: asserted while low");
	wr(g, PL061_IE, 0);
	wr(g, PL061_IS, 0);

	/* Outputs: the address mask selects what a write changes and a read returns. */
	wr(g, PL061_DIR, 0xf0);
	wr(g, PL061_DATA + 0x3fc, 0xff);
	CHECK(rd(g, PL061_DATA + 0x3fc) == 0xf0, "outputs read back what was written, inputs (low) 0 (0x%02x)",
	      rd(g, PL061_DATA + 0x3fc));
	wr(g, PL061_DATA + (0x30 << 2), 0x00);
	CHECK(rd(g, PL061_DATA + 0x3fc) == 0xc0, "a masked write changes only lines 4-5");
	CHECK(rd(g, PL061_DATA + (0x80 << 2)) == 0x80, "a masked read returns only line 7");
	pl061_set_input(g, 7, false);
	CHECK(rd(g, PL061_DATA + (0x80 << 2)) == 0x80, "an output line ignores what the machine drives");
}

static void test_refused(struct pl061 *g)
{
	uint8_t b[8];
	uint8_t dir = rd(g, PL061_DIR);

	memset(b, 0xaa, sizeof(b));
	pl061_mmio(g, PL061_DIR, b, 8, false);
	CHECK(b[0] == 0 && b[7] == 0, "an 8-byte read reads 0");
	b[0] = 0x5a;
	pl061_mmio(g, PL061_DIR + 1, b, 1, true);
	pl061_mmio(g, PL061_MMIO_SIZE, b, 1, true);
	pl061_mmio(g, PL061_DIR + 2, b, 4, true);
	CHECK(rd(g, PL061_DIR) == dir, "misaligned, straddling and out-of-range writes are dropped");
	wr(g, PL061_RIS, 0xff);
	wr(g, PL061_PERIPHID0, 0);
	CHECK(rd(g, PL061_PERIPHID0) == 0x61, "read-only registers ignore writes");
	pl061_set_input(g, 8, true);
	pl061_press(g, 200);
	CHECK(rd(g, PL061_DATA + 0x3fc) == (rd(g, PL061_DIR) & 0xc0), "lines past 7 do not exist");
}

int main(void)
{
	struct pl061 g;

	if (pl061_init(&g, irq, NULL)) {
		CHECK(0, "pl061_init");
		return tap_done();
	}
	test_ids(&g);
	test_power_button(&g);
	test_level_and_outputs(&g);
	test_refused(&g);
	pl061_destroy(&g);
	return tap_done();
}
