/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live update of a 16550A (serial8250.h): the guest-visible registers, the pending THRE interrupt,
 * the interrupt level and the input the guest has not read yet, in one mandatory section:
 *
 *   "serial8250", instance = the UART's index (COM1: 0), version 1: u8 IER, LCR, MCR, LSR (without
 *   DR, which follows the input), MSR (its latched delta bits), SCR, FCR; u16 divisor latch;
 *   u8 THRE interrupt pending; u8 interrupt level; u32 input count (at most SERIAL8250_RX_BUF),
 *   the bytes oldest first.
 */
#ifndef NESTVM_SERIAL8250_STATE_H
#define NESTVM_SERIAL8250_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_format.h"

#define SERIAL8250_STATE_TYPE "serial8250"
#define SERIAL8250_STATE_VERSION 1

struct serial8250;

int serial8250_state_save(struct serial8250 *s, uint32_t instance, struct lu_writer *w);
/*
 * Into a model from serial8250_init; then drives the interrupt output to the saved level (a line
 * already at that level is no new edge for the IOAPIC). -EINVAL with WHY.
 */
int serial8250_state_restore(struct serial8250 *s, const struct lu_section *sec, char *why, size_t why_size);

#endif
