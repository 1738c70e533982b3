/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A 16550A UART (8 byte-wide registers). The owner registers serial8250_access on a bus (x86: port
 * I/O at 0x3f8), feeds host input with serial8250_input and gets the interrupt line level through
 * a callback (x86: irq_line(vm, 4, level)). Register accesses come from vCPU threads and input from
 * the event loop thread, so the state is under the device's own lock.
 */
#ifndef NESTVM_SERIAL8250_H
#define NESTVM_SERIAL8250_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL8250_REGS 8
#define SERIAL8250_RX_BUF 1024   /* host input waiting for the guest; more is dropped (overrun) */

/* LEVEL is the new interrupt line level; called with the device lock held, only on changes. */
typedef void (*serial8250_irq_fn)(void *opaque, bool level);
/* Bytes the guest transmitted. */
typedef void (*serial8250_tx_fn)(void *opaque, const uint8_t *buf, size_t len);

struct serial8250 {
	pthread_mutex_t lock;
	serial8250_irq_fn irq;
	serial8250_tx_fn tx;
	void *opaque;

	uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
	uint16_t divisor;
	bool thr_ipending;      /* THR-empty interrupt pending (cleared by IIR read or THR write) */
	bool irq_level;

	uint8_t rx[SERIAL8250_RX_BUF];
	unsigned int rx_head, rx_count;
};

void serial8250_init(struct serial8250 *s, serial8250_irq_fn irq, serial8250_tx_fn tx, void *opaque);
void serial8250_destroy(struct serial8250 *s);
/* bus_access_fn: OFFSET 0..7, LEN 1; other sizes/offsets read all-ones and ignore writes. */
void serial8250_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Host input (console_input_fn); bytes beyond the receive buffer are dropped and flagged as overrun. */
void serial8250_input(void *opaque, const uint8_t *buf, size_t len);
/* Whether the registers call for an interrupt (what the line is driven to after each access). */
bool serial8250_irq_pending(const struct serial8250 *s);

#endif
