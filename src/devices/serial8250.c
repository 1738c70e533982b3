// SPDX-License-Identifier: GPL-2.0-only
/*
 * 16550A UART. Register layout and bits per the TI PC16550D datasheet; the interrupt behaviour
 * follows what Linux's drivers/tty/serial/8250 expects (and QEMU's hw/char/serial.c implements):
 * THR is transmitted at once, so THRE/TEMT are always set, and a THRE interrupt is pending after
 * each THR write and whenever IER.ETBEI is switched on (serial8250_startup's THRE test relies on it).
 */
#include <string.h>

#include "devices/serial8250.h"
#include "vmm/log.h"

/* Register offsets (DLAB = LCR bit 7 selects the divisor latch at 0/1). */
enum { REG_RBR_THR, REG_IER, REG_IIR_FCR, REG_LCR, REG_MCR, REG_LSR, REG_MSR, REG_SCR };

#define IER_ERBFI 0x01  /* received data available */
#define IER_ETBEI 0x02  /* THR empty */
#define IER_ELSI  0x04  /* receiver line status */
#define IER_EDSSI 0x08  /* modem status */

#define IIR_NONE  0x01
#define IIR_MSI   0x00
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_RLSI  0x06
#define IIR_FIFO  0xc0  /* FIFOs enabled */

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_TRIGGER  0xc0

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80

/* Modem status inputs: in loopback they mirror MCR outputs (16550D "Loopback mode"). */
static uint8_t modem_lines(const struct serial8250 *s)
{
	uint8_t m = s->mcr;

	if (!(m & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;   /* a connected terminal */
	return (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) |
	       (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0);
}

/* Highest-priority pending interrupt (16550D Table 4), or IIR_NONE. */
static uint8_t iir_id(const struct serial8250 *s)
{
	if ((s->ier & IER_ELSI) && (s->lsr & LSR_ERRS))
		return IIR_RLSI;
	if ((s->ier & IER_ERBFI) && s->rx_count)
		return IIR_RDI;
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NONE;
}

bool serial8250_irq_pending(const struct serial8250 *s)
{
	return iir_id(s) != IIR_NONE;
}

static void update_irq(struct serial8250 *s)
{
	bool level = serial8250_irq_pending(s);

	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->irq)
			s->irq(s->opaque, level);
	}
}

static void rx_clear(struct serial8250 *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

static void rx_push(struct serial8250 *s, uint8_t c)
{
	if (s->rx_count == SERIAL8250_RX_BUF) {
		s->lsr |= LSR_OE;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % SERIAL8250_RX_BUF] = c;
	s->rx_count++;
}

static uint8_t rx_pop(struct serial8250 *s)
{
	uint8_t c;

	if (!s->rx_count)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL8250_RX_BUF;
	s->rx_count--;
	return c;
}

/* MCR changes move the loopback modem inputs: latch the deltas (TERI only on RI falling). */
static void set_mcr(struct serial8250 *s, uint8_t val)
{
	uint8_t old = modem_lines(s), now, chg;

	s->mcr = val & MCR_MASK;
	now = modem_lines(s);
	chg = old ^ now;
	if (chg & MSR_CTS)
		s->msr |= MSR_DCTS;
	if (chg & MSR_DSR)
		s->msr |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		s->msr |= MSR_TERI;
	if (chg & MSR_DCD)
		s->msr |= MSR_DDCD;
}

static uint8_t reg_read(struct serial8250 *s, unsigned int reg)
{
	uint8_t v;

	switch (reg) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->divisor & 0xff;
		return rx_pop(s);
	case REG_IER:
		if (s->lcr & LCR_DLAB)
			return s->divisor >> 8;
		return s->ier;
	case REG_IIR_FCR:
		v = iir_id(s);
		/* Reading IIR while it reports THRE acknowledges that interrupt (16550D Table 4). */
		if (v == IIR_THRI)
			s->thr_ipending = false;
		return v | (s->fcr & FCR_ENABLE ? IIR_FIFO : 0);
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		v = s->lsr | (s->rx_count ? LSR_DR : 0);
		s->lsr &= ~LSR_ERRS;    /* error bits clear on read */
		return v;
	case REG_MSR:
		v = modem_lines(s) | (s->msr & MSR_DELTAS);
		s->msr &= ~MSR_DELTAS;
		return v;
	default:
		return s->scr;
	}
}

static void reg_write(struct serial8250 *s, unsigned int reg, uint8_t val)
{
	uint8_t changed;

	switch (reg) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->divisor = (s->divisor & 0xff00) | val;
			return;
		}
		if (s->mcr & MCR_LOOP)
			rx_push(s, val);
		else if (s->tx)
			s->tx(s->opaque, &val, 1);
		/* Sent at once: THR is empty again, which is a new THRE event. */
		s->thr_ipending = true;
		return;
	case REG_IER:
		if (s->lcr & LCR_DLAB) {
			s->divisor = (s->divisor & 0xff) | (uint16_t)val << 8;
			return;
		}
		changed = (s->ier ^ val) & 0x0f;
		s->ier = val & 0x0f;
		/* Enabling ETBEI with THR empty raises THRE at once (as Linux's THRE probe expects). */
		if (changed & IER_ETBEI)
			s->thr_ipending = !!(s->ier & IER_ETBEI);
		return;
	case REG_IIR_FCR:
		if ((val ^ s->fcr) & FCR_ENABLE)
			rx_clear(s);         /* toggling FIFO mode resets the FIFOs */
		if (val & FCR_CLEAR_RX)
			rx_clear(s);
		s->fcr = val & (FCR_ENABLE | FCR_TRIGGER);
		return;
	case REG_LCR:
		s->lcr = val;
		return;
	case REG_MCR:
		set_mcr(s, val);
		return;
	case REG_LSR:
	case REG_MSR:
		return;                      /* factory test registers: writes ignored */
	default:
		s->scr = val;
		return;
	}
}

void serial8250_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial8250 *s = opaque;

	if (len != 1 || offset >= SERIAL8250_REGS) {
		pr_debug("serial8250: ignoring %s of %u bytes at +%#llx", is_write ? "write" : "read", len,
			 (unsigned long long)offset);
		if (!is_write && len <= 8)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (is_write)
		reg_write(s, (unsigned int)offset, data[0]);
	else
		data[0] = reg_read(s, (unsigned int)offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

void serial8250_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct serial8250 *s = opaque;

	pthread_mutex_lock(&s->lock);
	/* In loopback the receiver is disconnected from the outside. */
	if (!(s->mcr & MCR_LOOP))
		for (size_t i = 0; i < len; i++)
			rx_push(s, buf[i]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

void serial8250_init(struct serial8250 *s, serial8250_irq_fn irq, serial8250_tx_fn tx, void *opaque)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->irq = irq;
	s->tx = tx;
	s->opaque = opaque;
	/* Reset values (16550D Table 3); OUT2 set like QEMU, divisor 12 = 9600 baud. */
	s->lsr = LSR_THRE | LSR_TEMT;
	s->mcr = MCR_OUT2;
	s->divisor = 12;
}

void serial8250_destroy(struct serial8250 *s)
{
	pthread_mutex_destroy(&s->lock);
}
