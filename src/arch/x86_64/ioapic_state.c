// SPDX-License-Identifier: GPL-2.0-only
/* The IOAPIC across a live update (ioapic_state.h). RTE bits: 82093AA datasheet 290566 3.2.4. */
#include "arch/x86_64/ioapic_state.h"

#include <inttypes.h>

#include "arch/x86_64/ioapic.h"
#include "liveupdate/state_fields.h"

#define PINS_MASK ((1u << IOAPIC_PINS) - 1)
#define RTE_DELIVS     (1ull << 12)     /* the model never sets it: delivery is immediate */
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL      (1ull << 15)

int ioapic_state_save(struct ioapic *io, struct lu_writer *w)
{
	pthread_mutex_lock(&io->lock);
	lu_writer_begin(w, IOAPIC_STATE_TYPE, 0, IOAPIC_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u8(w, io->id);
	lu_put_u32(w, io->regsel);
	lu_put_u32(w, io->level);
	for (unsigned int i = 0; i < IOAPIC_PINS; i++)
		lu_put_u64(w, io->rte[i]);
	lu_put_u32(w, io->routed);
	for (unsigned int i = 0; i < IOAPIC_PINS; i++) {
		lu_put_u64(w, io->route_addr[i]);
		lu_put_u32(w, io->route_data[i]);
	}
	pthread_mutex_unlock(&io->lock);
	return lu_writer_end(w);
}

int ioapic_state_restore(struct ioapic *io, const struct lu_section *s, char *why, size_t why_size)
{
	uint64_t rte[IOAPIC_PINS], addr[IOAPIC_PINS];
	uint32_t data[IOAPIC_PINS], regsel, level, routed;
	struct lu_cursor c;
	uint8_t id;
	int r;

	lu_cursor_init(&c, s);
	id = lu_get_u8(&c);
	regsel = lu_get_u32(&c);
	level = lu_get_u32(&c);
	for (unsigned int i = 0; i < IOAPIC_PINS; i++)
		rte[i] = lu_get_u64(&c);
	routed = lu_get_u32(&c);
	for (unsigned int i = 0; i < IOAPIC_PINS; i++) {
		addr[i] = lu_get_u64(&c);
		data[i] = lu_get_u32(&c);
	}
	/* What ioapic.c can hold: a 4-bit id, an 8-bit register index, 24 pins. */
	if (!c.bad && (id > 0xf || regsel > 0xff || (level & ~PINS_MASK) || (routed & ~PINS_MASK)))
		lu_cursor_fail(&c, "id %u, IOREGSEL %#" PRIx32 ", levels %#" PRIx32 " or routed pins %#" PRIx32
			       " beyond a 24-pin IOAPIC", id, regsel, level, routed);
	for (unsigned int i = 0; i < IOAPIC_PINS && !c.bad; i++) {
		/* Reserved bits are kept as the guest wrote them (ioapic.c): only these two never occur. */
		if ((rte[i] & RTE_DELIVS) || ((rte[i] & RTE_REMOTE_IRR) && !(rte[i] & RTE_LEVEL)))
			lu_cursor_fail(&c, "pin %u: redirection entry %#" PRIx64 " the model never holds", i, rte[i]);
		else if ((routed & 1u << i) && (addr[i] >> 20) != 0xfee)
			lu_cursor_fail(&c, "pin %u: route to %#" PRIx64 ", not an MSI address", i, addr[i]);
	}
	r = lu_cursor_finish(&c, why, why_size);
	if (r)
		return r;
	pthread_mutex_lock(&io->lock);
	io->id = id;
	io->regsel = regsel;
	io->level = level;
	io->routed = routed;
	for (unsigned int i = 0; i < IOAPIC_PINS; i++) {
		io->rte[i] = rte[i];
		io->route_addr[i] = (routed & 1u << i) ? addr[i] : 0;
		io->route_data[i] = (routed & 1u << i) ? data[i] : 0;
		/* The new VM's GSI table has none of them yet: KVM gets the same routes as the old one had. */
		if ((routed & 1u << i) && io->route)
			io->route(io->opaque, i, addr[i], data[i]);
	}
	pthread_mutex_unlock(&io->lock);
	return 0;
}
