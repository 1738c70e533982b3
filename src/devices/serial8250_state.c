// SPDX-License-Identifier: GPL-2.0-only
/* 16550A state across a live update (serial8250_state.h). */
#include "devices/serial8250_state.h"

#include "devices/serial8250.h"
#include "liveupdate/state_fields.h"

/* What the model lets each register hold (serial8250.c): anything wider is not its state. */
#define IER_BITS 0x0f
#define MCR_BITS 0x1f
#define FCR_BITS 0xc1                /* FIFO enable, trigger level */
#define LSR_BITS 0x7e                /* OE PE FE BI, THRE TEMT (DR follows the input) */
#define LSR_ALWAYS 0x60              /* THRE and TEMT: THR is sent at once */
#define MSR_BITS 0x0f                /* the latched deltas (the lines follow MCR) */

int serial8250_state_save(struct serial8250 *s, uint32_t instance, struct lu_writer *w)
{
	pthread_mutex_lock(&s->lock);
	lu_writer_begin(w, SERIAL8250_STATE_TYPE, instance, SERIAL8250_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u8(w, s->ier);
	lu_put_u8(w, s->lcr);
	lu_put_u8(w, s->mcr);
	lu_put_u8(w, s->lsr);
	lu_put_u8(w, s->msr);
	lu_put_u8(w, s->scr);
	lu_put_u8(w, s->fcr);
	lu_put_u16(w, s->divisor);
	lu_put_bool(w, s->thr_ipending);
	lu_put_bool(w, s->irq_level);
	lu_put_u32(w, s->rx_count);
	for (unsigned int i = 0; i < s->rx_count; i++)
		lu_put_u8(w, s->rx[(s->rx_head + i) % SERIAL8250_RX_BUF]);
	pthread_mutex_unlock(&s->lock);
	return lu_writer_end(w);
}

int serial8250_state_restore(struct serial8250 *s, const struct lu_section *sec, char *why, size_t why_size)
{
	struct serial8250 n = { 0 };
	struct lu_cursor c;
	int r;

	lu_cursor_init(&c, sec);
	n.ier = lu_get_u8(&c);
	n.lcr = lu_get_u8(&c);
	n.mcr = lu_get_u8(&c);
	n.lsr = lu_get_u8(&c);
	n.msr = lu_get_u8(&c);
	n.scr = lu_get_u8(&c);
	n.fcr = lu_get_u8(&c);
	n.divisor = lu_get_u16(&c);
	n.thr_ipending = lu_get_bool(&c);
	n.irq_level = lu_get_bool(&c);
	n.rx_head = 0;
	n.rx_count = lu_get_count(&c, SERIAL8250_RX_BUF, 1);
	lu_get_bytes(&c, n.rx, n.rx_count);
	if (!c.bad && ((n.ier & ~IER_BITS) || (n.mcr & ~MCR_BITS) || (n.fcr & ~FCR_BITS) || (n.msr & ~MSR_BITS) ||
		       (n.lsr & ~LSR_BITS) || (n.lsr & LSR_ALWAYS) != LSR_ALWAYS))
		lu_cursor_fail(&c, "registers IER %#x MCR %#x FCR %#x LSR %#x MSR %#x hold bits the 16550A model does not",
			       n.ier, n.mcr, n.fcr, n.lsr, n.msr);
	if (!c.bad && n.irq_level != serial8250_irq_pending(&n))
		lu_cursor_fail(&c, "interrupt level %d does not follow IER and the pending causes", n.irq_level);
	r = lu_cursor_finish(&c, why, why_size);
	if (r)
		return r;
	pthread_mutex_lock(&s->lock);
	s->ier = n.ier;
	s->lcr = n.lcr;
	s->mcr = n.mcr;
	s->lsr = n.lsr;
	s->msr = n.msr;
	s->scr = n.scr;
	s->fcr = n.fcr;
	s->divisor = n.divisor;
	s->thr_ipending = n.thr_ipending;
	s->rx_head = 0;
	s->rx_count = n.rx_count;
	for (unsigned int i = 0; i < n.rx_count; i++)
		s->rx[i] = n.rx[i];
	s->irq_level = n.irq_level;
	if (s->irq)
		s->irq(s->opaque, n.irq_level);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
