// SPDX-License-Identifier: GPL-2.0-only
/* PL011 driven the way a guest driver drives it: 32-bit register accesses through the bus callback. */
#include <string.h>

#include "devices/pl011.h"
#include "tap.h"

static uint8_t out[256];
static size_t out_len;
static bool line;
static int line_changes;

static void on_tx(void *opaque, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && out_len < sizeof(out); i++)
		out[out_len++] = buf[i];
}

static void on_irq(void *opaque, bool level)
{
	line = level;
	line_changes++;
}

static uint32_t rd(struct pl011 *u, uint64_t off)
{
	uint8_t d[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	pl011_mmio(u, off, d, 4, false);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static void wr(struct pl011 *u, uint64_t off, uint32_t v)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	pl011_mmio(u, off, d, 4, true);
}

static void test_ids(struct pl011 *u)
{
	uint32_t periph = 0, cell = 0;

	for (int i = 0; i < 4; i++) {
		periph |= (rd(u, 0xfe0 + 4 * i) & 0xff) << (8 * i);
		cell |= (rd(u, 0xff0 + 4 * i) & 0xff) << (8 * i);
	}
	/* Linux's AMBA bus matches (periphid & 0x000fffff) == 0x00041011 for the ARM PL011. */
	CHECK((periph & 0x000fffff) == 0x00041011, "PeriphID is ARM PL011 (0x%08x)", periph);
	CHECK(cell == 0xb105f00d, "PrimeCell ID 0xb105f00d (0x%08x)", cell);
	CHECK(rd(u, PL011_CR) == PL011_CR_RESET, "CR resets to TXE|RXE");
	CHECK(rd(u, PL011_IFLS) == PL011_IFLS_RESET, "IFLS resets to 1/2");
	CHECK(rd(u, PL011_FR) == (PL011_FR_TXFE | PL011_FR_RXFE), "FR: TX empty, RX empty, not busy");
	CHECK(rd(u, PL011_RIS) == 0 && !line && line_changes == 0, "no interrupt pending at reset");
}

static void test_tx(struct pl011 *u)
{
	uint8_t b = 'Z';

	wr(u, PL011_CR, 0x301);
	wr(u, PL011_DR, 'h');
	wr(u, PL011_DR, 0x569);   /* bits above 7 are not data */
	pl011_mmio(u, PL011_DR, &b, 1, true);   /* earlycon's byte write */
	CHECK(out_len == 3 && !memcmp(out, "hiZ", 3), "DR writes reach the output callback");
	CHECK(rd(u, PL011_RIS) & PL011_INT_TX, "TXRIS set after transmit");
	CHECK(!line, "TX interrupt masked: line low");
	wr(u, PL011_IMSC, PL011_INT_TX);
	CHECK(line && (rd(u, PL011_MIS) & PL011_INT_TX), "unmasking TX raises the line");
	wr(u, PL011_ICR, PL011_INT_TX);
	CHECK(!line && !(rd(u, PL011_RIS) & PL011_INT_TX), "ICR clears TX and lowers the line");
	wr(u, PL011_IMSC, 0);
}

static void test_rx(struct pl011 *u)
{
	uint8_t in[40];

	/* FIFO disabled: 1-byte holding register, trigger at 1. */
	pl011_input(u, (const uint8_t *)"a", 1);
	CHECK(!(rd(u, PL011_FR) & PL011_FR_RXFE) && (rd(u, PL011_FR) & PL011_FR_RXFF), "FIFOs off: one byte fills it");
	CHECK((rd(u, PL011_RIS) & (PL011_INT_RX | PL011_INT_RT)) == (PL011_INT_RX | PL011_INT_RT), "RXRIS and RTRIS set");
	CHECK(!line, "RX masked: line low");
	wr(u, PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	CHECK(line && rd(u, PL011_MIS) == (PL011_INT_RX | PL011_INT_RT), "unmasking RX/RT raises the line");
	CHECK(rd(u, PL011_DR) == 'a', "DR returns the byte");
	CHECK(rd(u, PL011_FR) & PL011_FR_RXFE, "FIFO empty after the read");
	CHECK(!line && rd(u, PL011_RIS) == 0, "draining the FIFO lowers the line");
	CHECK(rd(u, PL011_DR) == 0, "reading an empty FIFO returns 0");

	/* FIFO enabled, trigger 1/2 (16 bytes): 40 bytes in, 32 visible, rest in the backlog. */
	wr(u, PL011_LCR_H, PL011_LCR_H_FEN | 0x60);
	for (int i = 0; i < 40; i++)
		in[i] = 'A' + i;
	pl011_input(u, in, 5);
	CHECK((rd(u, PL011_RIS) & (PL011_INT_RX | PL011_INT_RT)) == PL011_INT_RT, "5 bytes < trigger: only RT");
	CHECK(line, "RT raises the line");
	wr(u, PL011_ICR, PL011_INT_RT);
	CHECK(!line, "ICR clears RT until more data arrives");
	pl011_input(u, in + 5, 35);
	CHECK(rd(u, PL011_RIS) & PL011_INT_RX, "at/above trigger: RX set");
	CHECK(rd(u, PL011_FR) & PL011_FR_RXFF, "32 visible bytes: RXFF");
	int ok = 1, n = 0;
	while (!(rd(u, PL011_FR) & PL011_FR_RXFE) && n < 100) {
		if (rd(u, PL011_DR) != (uint32_t)('A' + n))
			ok = 0;
		n++;
	}
	CHECK(ok && n == 40, "all 40 bytes read back in order (%d)", n);
	CHECK(!line && rd(u, PL011_RIS) == 0, "line low once drained");

	/* Masking with data pending lowers the line; unmasking raises it again. */
	pl011_input(u, in, 1);
	CHECK(line, "new byte raises the line");
	wr(u, PL011_IMSC, 0);
	CHECK(!line, "masking lowers the line");
	wr(u, PL011_IMSC, PL011_INT_RT);
	CHECK(line, "unmasking raises it again");
	rd(u, PL011_DR);
	CHECK(!line, "read lowers it");
	wr(u, PL011_IMSC, 0);
}

static void test_overflow(struct pl011 *u)
{
	static uint8_t big[PL011_BACKLOG + 100];

	memset(big, 'x', sizeof(big));
	pl011_input(u, big, sizeof(big));
	CHECK(u->rx_count == PL011_BACKLOG && u->rx_dropped == 100, "backlog bounded, excess dropped");
	for (int i = 0; i < PL011_BACKLOG; i++)
		rd(u, PL011_DR);
	CHECK(rd(u, PL011_FR) & PL011_FR_RXFE, "backlog drains");
}

static void test_garbage(struct pl011 *u)
{
	uint8_t d[8];
	size_t before = out_len;
	uint32_t cr = rd(u, PL011_CR);

	memset(d, 0xff, sizeof(d));
	pl011_mmio(u, 0x800, d, 4, true);
	CHECK(rd(u, 0x800) == 0, "reserved offset reads 0 after a write");
	pl011_mmio(u, PL011_MIS, d, 4, true);
	pl011_mmio(u, PL011_RIS, d, 4, true);
	CHECK(rd(u, PL011_RIS) == 0 && !line, "writes to RIS/MIS ignored");
	wr(u, PL011_IMSC, 0xffffffff);
	CHECK(rd(u, PL011_IMSC) == PL011_INT_ALL, "IMSC keeps only defined bits");
	wr(u, PL011_IMSC, 0);
	wr(u, PL011_IFLS, 0xffffffff);
	CHECK(rd(u, PL011_IFLS) == 0x3f, "IFLS keeps 6 bits");
	pl011_input(u, (const uint8_t *)"q", 1);   /* reserved trigger encoding must not misbehave */
	CHECK(rd(u, PL011_DR) == 'q', "reserved IFLS encoding still receives");
	memset(d, 0x5a, sizeof(d));
	pl011_mmio(u, PL011_DR, d, 8, true);
	pl011_mmio(u, PL011_DR, d, 3, true);
	pl011_mmio(u, PL011_DR + 2, d, 4, true);
	pl011_mmio(u, PL011_CR + 1, d, 1, true);
	CHECK(out_len == before && rd(u, PL011_CR) == cr, "bad lengths / straddling / upper-lane writes ignored");
	memset(d, 0x5a, sizeof(d));
	pl011_mmio(u, PL011_CR, d, 8, false);
	CHECK(!memcmp(d, "\0\0\0\0\0\0\0\0", 8), "8-byte read returns zeros");
	memset(d, 0x5a, sizeof(d));
	pl011_mmio(u, 0xffe, d, 4, false);
	CHECK(d[0] == 0 && d[3] == 0, "straddling read returns zeros");
	pl011_mmio(u, 0x1000, d, 4, false);
	pl011_mmio(u, ~0ull, d, 1, false);
	CHECK(d[0] == 0, "out-of-window read returns zeros");
	pl011_mmio(u, 0xfe1, d, 1, false);
	CHECK(d[0] == 0, "byte lane 1 of PeriphID0 reads 0");
	pl011_mmio(u, PL011_CR + 1, d, 1, false);
	CHECK(d[0] == (cr >> 8), "byte read of CR's upper half");
}

int main(void)
{
	struct pl011 u;

	CHECK(pl011_init(&u, on_irq, on_tx, NULL) == 0, "pl011_init");
	test_ids(&u);
	test_tx(&u);
	test_rx(&u);
	test_overflow(&u);
	test_garbage(&u);
	pl011_destroy(&u);
	return tap_done();
}
