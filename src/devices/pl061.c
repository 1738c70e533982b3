// SPDX-License-Identifier: GPL-2.0-only
/* PL061 GPIO (see pl061.h). */
#include "devices/pl061.h"

#include <string.h>

#include "vmm/log.h"

/* PeriphID0..3 (part 0x061, designer 0x41 ARM, revision 0) then PCellID0..3 (TRM 3.3.11-3.3.12). */
static const uint8_t ids[8] = { 0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

int pl061_init(struct pl061 *g, void (*irq)(void *opaque, bool level), void *opaque)
{
	int r;

	memset(g, 0, sizeof(*g));
	r = pthread_mutex_init(&g->lock, NULL);
	if (r)
		return err_num(r, "pl061: pthread_mutex_init");
	g->irq = irq;
	g->opaque = opaque;
	return 0;
}

void pl061_destroy(struct pl061 *g)
{
	pthread_mutex_destroy(&g->lock);
}

/* What each line carries: an output drives its data bit, an input what the machine drives. */
static uint8_t lines(const struct pl061 *g)
{
	return (uint8_t)((g->out & g->dir) | (g->in & ~g->dir));
}

/*
 * Interrupt detection (TRM 2.3.2) after the lines went from OLD to their current levels: an edge
 * line latches in RIS on the edge it is set up for (both with IBE, else rising with IEV, falling
 * without), until GPIOIC clears it; a level line's RIS follows whether it is at its active level.
 * GPIOINTR is any unmasked RIS bit.
 */
static void update(struct pl061 *g, uint8_t old)
{
	uint8_t now = lines(g), changed = old ^ now, edge = (uint8_t)~g->is;
	uint8_t hit = (changed & g->ibe) | (changed & ~g->ibe & ((now & g->iev) | (~now & ~g->iev)));
	bool level;

	g->ris = (uint8_t)((g->ris & edge) | (hit & edge));
	g->ris |= (uint8_t)(g->is & ~(now ^ g->iev));
	level = (g->ris & g->ie) != 0;
	if (level != g->irq_level) {
		g->irq_level = level;
		if (g->irq)
			g->irq(g->opaque, level);
	}
}

static uint8_t reg_read(struct pl061 *g, uint64_t off)
{
	uint8_t v, old;

	if (off < PL061_DIR) {
		v = lines(g) & (uint8_t)(off >> 2);
		/* A momentary input read high has been seen: the press ends (pl061.h). */
		if (v & g->momentary & g->in) {
			old = lines(g);
			g->in &= (uint8_t)~(v & g->momentary);
			g->momentary &= (uint8_t)~v;
			update(g, old);
		}
		return v;
	}
	switch (off) {
	case PL061_DIR: return g->dir;
	case PL061_IS: return g->is;
	case PL061_IBE: return g->ibe;
	case PL061_IEV: return g->iev;
	case PL061_IE: return g->ie;
	case PL061_RIS: return g->ris;
	case PL061_MIS: return g->ris & g->ie;
	case PL061_AFSEL: return g->afsel;
	default:
		if (off >= PL061_PERIPHID0 && off < PL061_PERIPHID0 + 4 * sizeof(ids))
			return ids[(off - PL061_PERIPHID0) / 4];
		return 0;   /* IC is write-only; reserved space reads 0 */
	}
}

static void reg_write(struct pl061 *g, uint64_t off, uint8_t v)
{
	uint8_t old = lines(g), mask;

	if (off < PL061_DIR) {
		mask = (uint8_t)(off >> 2);
		g->out = (uint8_t)((g->out & ~mask) | (v & mask));
		update(g, old);
		return;
	}
	switch (off) {
	case PL061_DIR: g->dir = v; break;
	case PL061_IS: g->is = v; break;
	case PL061_IBE: g->ibe = v; break;
	case PL061_IEV: g->iev = v; break;
	case PL061_IE: g->ie = v; break;
	case PL061_IC: g->ris &= (uint8_t)~(v & ~g->is); break;  /* level lines are not latched */
	case PL061_AFSEL: g->afsel = v; break;
	default: return;    /* RIS, MIS, IDs read-only; reserved space ignores writes */
	}
	update(g, old);
}

void pl061_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pl061 *g = opaque;
	unsigned int shift = (unsigned int)(offset & 3);
	uint32_t v;

	if (!len || len > 4 || shift + len > 4 || offset >= PL061_MMIO_SIZE || (is_write && shift)) {
		if (!is_write)
			memset(data, 0, len <= 8 ? len : 8);
		return;
	}
	pthread_mutex_lock(&g->lock);
	if (is_write) {
		reg_write(g, offset, data[0]);
	} else {
		v = shift ? 0 : reg_read(g, offset);    /* bits 31:8 of each word read 0 */
		memset(data, 0, len);
		if (!shift)
			data[0] = (uint8_t)v;
	}
	pthread_mutex_unlock(&g->lock);
}

static void drive(struct pl061 *g, unsigned int line, bool level, bool momentary)
{
	uint8_t old, bit = (uint8_t)(1u << line);

	pthread_mutex_lock(&g->lock);
	old = lines(g);
	g->in = level ? g->in | bit : g->in & (uint8_t)~bit;
	g->momentary = momentary ? g->momentary | bit : g->momentary & (uint8_t)~bit;
	update(g, old);
	pthread_mutex_unlock(&g->lock);
}

void pl061_set_input(struct pl061 *g, unsigned int line, bool level)
{
	if (line < PL061_NR_LINES)
		drive(g, line, level, false);
}

void pl061_press(struct pl061 *g, unsigned int line)
{
	if (line < PL061_NR_LINES)
		drive(g, line, true, true);
}
