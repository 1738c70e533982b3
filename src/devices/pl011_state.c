// SPDX-License-Identifier: GPL-2.0-only
/* PL011 state across a live update (pl011_state.h). */
#include "devices/pl011_state.h"

#include <inttypes.h>

#include "devices/pl011.h"
#include "liveupdate/state_fields.h"

int pl011_state_save(struct pl011 *u, struct lu_writer *w)
{
	pthread_mutex_lock(&u->lock);
	lu_writer_begin(w, PL011_STATE_TYPE, 0, PL011_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, u->ibrd);
	lu_put_u32(w, u->fbrd);
	lu_put_u32(w, u->lcr_h);
	lu_put_u32(w, u->cr);
	lu_put_u32(w, u->ifls);
	lu_put_u32(w, u->imsc);
	lu_put_u32(w, u->ris);
	lu_put_u32(w, u->dmacr);
	lu_put_u32(w, u->ilpr);
	lu_put_bool(w, u->irq_level);
	lu_put_u64(w, u->rx_dropped);
	lu_put_u32(w, u->rx_count);
	for (unsigned int i = 0; i < u->rx_count; i++)
		lu_put_u8(w, u->rx[(u->rx_head + i) % PL011_BACKLOG]);
	pthread_mutex_unlock(&u->lock);
	return lu_writer_end(w);
}

int pl011_state_restore(struct pl011 *u, const struct lu_section *s, char *why, size_t why_size)
{
	struct pl011 n = { 0 };
	struct lu_cursor c;
	int r;

	lu_cursor_init(&c, s);
	n.ibrd = lu_get_u32(&c);
	n.fbrd = lu_get_u32(&c);
	n.lcr_h = lu_get_u32(&c);
	n.cr = lu_get_u32(&c);
	n.ifls = lu_get_u32(&c);
	n.imsc = lu_get_u32(&c);
	n.ris = lu_get_u32(&c);
	n.dmacr = lu_get_u32(&c);
	n.ilpr = lu_get_u32(&c);
	n.irq_level = lu_get_bool(&c);
	n.rx_dropped = lu_get_u64(&c);
	n.rx_count = lu_get_count(&c, PL011_BACKLOG, 1);
	lu_get_bytes(&c, n.rx, n.rx_count);
	/* Registers hold what the model lets the guest write (pl011.c): nothing wider. */
	if (!c.bad && ((n.imsc | n.ris) & ~PL011_INT_ALL))
		lu_cursor_fail(&c, "interrupt bits 0x%" PRIx32 "/0x%" PRIx32 " beyond the PL011's", n.imsc, n.ris);
	if (!c.bad && n.irq_level != ((n.ris & n.imsc) != 0))
		lu_cursor_fail(&c, "interrupt level %d does not follow RIS & IMSC", n.irq_level);
	r = lu_cursor_finish(&c, why, why_size);
	if (r)
		return r;
	pthread_mutex_lock(&u->lock);
	u->ibrd = n.ibrd;
	u->fbrd = n.fbrd;
	u->lcr_h = n.lcr_h;
	u->cr = n.cr;
	u->ifls = n.ifls;
	u->imsc = n.imsc;
	u->ris = n.ris;
	u->dmacr = n.dmacr;
	u->ilpr = n.ilpr;
	u->rx_dropped = n.rx_dropped;
	u->rx_head = 0;
	u->rx_count = n.rx_count;
	for (unsigned int i = 0; i < n.rx_count; i++)
		u->rx[i] = n.rx[i];
	u->irq_level = n.irq_level;
	if (u->irq)
		u->irq(u->opaque, n.irq_level);
	pthread_mutex_unlock(&u->lock);
	return 0;
}
