// SPDX-License-Identifier: GPL-2.0-only
/* ARM PL011 UART model; register semantics from the PL011 TRM (ARM DDI 0183G), chapter 3. */
#include "devices/pl011.h"

#include <errno.h>
#include <string.h>

#include "vmm/log.h"

/* PeriphID0-3 then PCellID0-3 (TRM 3.3.17-3.3.24): part 0x011, designer ARM (0x41), revision r1p5. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

int pl011_init(struct pl011 *u, pl011_irq_fn irq, pl011_tx_fn tx, void *opaque)
{
	int r;

	memset(u, 0, sizeof(*u));
	r = pthread_mutex_init(&u->lock, NULL);
	if (r)
		return err_num(r, "pl011: pthread_mutex_init");
	u->irq = irq;
	u->tx = tx;
	u->opaque = opaque;
	u->cr = PL011_CR_RESET;
	u->ifls = PL011_IFLS_RESET;
	return 0;
}

void pl011_destroy(struct pl011 *u)
{
	pthread_mutex_destroy(&u->lock);
}

static unsigned int fifo_depth(const struct pl011 *u)
{
	/* With FEN clear the FIFOs become 1-byte holding registers (TRM 3.3.7). */
	return (u->lcr_h & PL011_LCR_H_FEN) ? PL011_FIFO_DEPTH : 1;
}

static unsigned int rx_visible(const struct pl011 *u)
{
	unsigned int d = fifo_depth(u);

	return u->rx_count < d ? u->rx_count : d;
}

static unsigned int rx_trigger(const struct pl011 *u)
{
	/* IFLS RXIFLSEL (bits 5:3): 1/8, 1/4, 1/2, 3/4, 7/8 full; reserved encodings act as 1/2. */
	static const unsigned int eighths[8] = { 1, 2, 4, 6, 7, 4, 4, 4 };

	if (!(u->lcr_h & PL011_LCR_H_FEN))
		return 1;
	return PL011_FIFO_DEPTH * eighths[(u->ifls >> 3) & 7] / 8;
}

static void update_irq(struct pl011 *u)
{
	bool level = (u->ris & u->imsc) != 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->opaque, level);
	}
}

/*
 * After the RX FIFO level changed (TRM 2.8.1): RXINTR is set at/above the trigger level and clears
 * below it; RTINTR (receive timeout) is set while data waits, since host input arrives in bursts
 * and the line is then idle, and clears when the FIFO empties. ICR clears both until the next change.
 */
static void rx_changed(struct pl011 *u)
{
	unsigned int vis = rx_visible(u);

	if (vis >= rx_trigger(u))
		u->ris |= PL011_INT_RX;
	else
		u->ris &= ~PL011_INT_RX;
	if (vis)
		u->ris |= PL011_INT_RT;
	else
		u->ris &= ~PL011_INT_RT;
}

void pl011_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct pl011 *u = opaque;
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	for (; n < len && u->rx_count < PL011_BACKLOG; n++, u->rx_count++)
		u->rx[(u->rx_head + u->rx_count) % PL011_BACKLOG] = buf[n];
	if (n < len) {
		u->rx_dropped += len - n;
		pr_debug("pl011: input backlog full, dropped %zu bytes", len - n);
	}
	if (n) {
		rx_changed(u);
		update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
}

static uint32_t read_dr(struct pl011 *u)
{
	uint32_t v;

	if (!u->rx_count)
		return 0;
	/* Error bits 11:8 are always clear: host input has no framing/parity/break. */
	v = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % PL011_BACKLOG;
	u->rx_count--;
	rx_changed(u);
	update_irq(u);
	return v;
}

static uint32_t reg_read(struct pl011 *u, uint64_t reg, bool pop)
{
	uint32_t fr;

	switch (reg) {
	case PL011_DR:
		return pop ? read_dr(u) : (u->rx_count ? u->rx[u->rx_head] : 0);
	case PL011_RSR:
		return 0;
	case PL011_FR:
		/* Transmission is instantaneous: TX FIFO always empty, never busy (TRM 3.3.3). */
		fr = PL011_FR_TXFE;
		if (!u->rx_count)
			fr |= PL011_FR_RXFE;
		if (rx_visible(u) >= fifo_depth(u))
			fr |= PL011_FR_RXFF;
		return fr;
	case PL011_ILPR: return u->ilpr;
	case PL011_IBRD: return u->ibrd;
	case PL011_FBRD: return u->fbrd;
	case PL011_LCR_H: return u->lcr_h;
	case PL011_CR: return u->cr;
	case PL011_IFLS: return u->ifls;
	case PL011_IMSC: return u->imsc;
	case PL011_RIS: return u->ris;
	case PL011_MIS: return u->ris & u->imsc;
	case PL011_DMACR: return u->dmacr;
	}
	if (reg >= PL011_PERIPHID0 && reg < PL011_MMIO_SIZE)
		return pl011_id[(reg - PL011_PERIPHID0) / 4];
	return 0;   /* ICR is write-only; reserved offsets read as zero */
}

static void reg_write(struct pl011 *u, uint64_t reg, uint32_t v)
{
	uint8_t c;

	/* Widths per TRM 3.3: reserved bits are masked off rather than stored. */
	switch (reg) {
	case PL011_DR:
		c = v & 0xff;
		if (u->tx)
			u->tx(u->opaque, &c, 1);
		/* The byte left at once, so the TX FIFO passed through its trigger level (TRM 2.8.1). */
		u->ris |= PL011_INT_TX;
		break;
	case PL011_RSR: break;  /* ECR: clears error flags, which are always clear */
	case PL011_ILPR: u->ilpr = v & 0xff; break;
	case PL011_IBRD: u->ibrd = v & 0xffff; break;
	case PL011_FBRD: u->fbrd = v & 0x3f; break;
	case PL011_LCR_H:
		u->lcr_h = v & 0xff;
		rx_changed(u);  /* FEN changes the FIFO depth and trigger */
		break;
	case PL011_CR: u->cr = v & 0xff87; break;
	case PL011_IFLS: u->ifls = v & 0x3f; break;
	case PL011_IMSC: u->imsc = v & PL011_INT_ALL; break;
	case PL011_ICR: u->ris &= ~(v & PL011_INT_ALL); break;
	case PL011_DMACR: u->dmacr = v & 0x7; break;
	default:
		pr_debug("pl011: write 0x%x to read-only/reserved offset 0x%llx ignored", v, (unsigned long long)reg);
		return;
	}
	update_irq(u);
}

void pl011_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pl011 *u = opaque;
	uint64_t reg = offset & ~3ull;
	unsigned int lane = offset & 3;
	uint32_t v = 0;

	/* Registers are 32 bits wide; byte/halfword accesses inside one register are allowed. */
	if ((len != 1 && len != 2 && len != 4) || lane + len > 4 || offset >= PL011_MMIO_SIZE) {
		pr_debug("pl011: %u-byte %s at 0x%llx ignored", len, is_write ? "write" : "read",
			 (unsigned long long)offset);
		if (!is_write)
			memset(data, 0, len <= 8 ? len : 8);
		return;
	}
	pthread_mutex_lock(&u->lock);
	if (is_write) {
		for (unsigned int i = 0; i < len; i++)
			v |= (uint32_t)data[i] << (8 * i);
		if (lane)
			pr_debug("pl011: write to byte %u of register 0x%llx ignored", lane, (unsigned long long)reg);
		else
			reg_write(u, reg, v);
	} else {
		/* Only an access that covers DR's data byte pops the FIFO. */
		v = reg_read(u, reg, lane == 0) >> (8 * lane);
		for (unsigned int i = 0; i < len; i++)
			data[i] = v >> (8 * i);
	}
	pthread_mutex_unlock(&u->lock);
}
