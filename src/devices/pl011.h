/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM PrimeCell UART (PL011), register model per the PL011 TRM (ARM DDI 0183G). Transmit is
 * instantaneous (the TX FIFO is always empty); received bytes queue in a host-side backlog of which
 * the first 32 (or 1, FIFOs disabled) are the guest-visible RX FIFO, so pasted input is not lost.
 * The interrupt output is level-driven from (RIS & IMSC) through a callback the machine wires to
 * its interrupt controller. Host-architecture independent: arm64 machines map it, tests drive it.
 */
#ifndef NESTVM_PL011_H
#define NESTVM_PL011_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL011_MMIO_SIZE     0x1000
#define PL011_FIFO_DEPTH    32          /* TRM 2.4.2/2.4.3: 32-entry TX and RX FIFOs */
#define PL011_BACKLOG       4096        /* host input not yet in the guest-visible FIFO */

/* Register offsets (TRM 3.2, Table 3-1). */
#define PL011_DR        0x000
#define PL011_RSR       0x004           /* read: RSR; write: ECR (clears errors) */
#define PL011_FR        0x018
#define PL011_ILPR      0x020
#define PL011_IBRD      0x024
#define PL011_FBRD      0x028
#define PL011_LCR_H     0x02c
#define PL011_CR        0x030
#define PL011_IFLS      0x034
#define PL011_IMSC      0x038
#define PL011_RIS       0x03c
#define PL011_MIS       0x040
#define PL011_ICR       0x044
#define PL011_DMACR     0x048
#define PL011_PERIPHID0 0xfe0           /* PeriphID0..3 0xFE0-0xFEC, PCellID0..3 0xFF0-0xFFC */

/* UARTFR bits (TRM 3.3.3). */
#define PL011_FR_BUSY   (1u << 3)
#define PL011_FR_RXFE   (1u << 4)
#define PL011_FR_TXFF   (1u << 5)
#define PL011_FR_RXFF   (1u << 6)
#define PL011_FR_TXFE   (1u << 7)

/* Interrupt bits shared by IMSC/RIS/MIS/ICR (TRM 3.3.12-3.3.15). */
#define PL011_INT_RX    (1u << 4)
#define PL011_INT_TX    (1u << 5)
#define PL011_INT_RT    (1u << 6)
#define PL011_INT_OE    (1u << 10)
#define PL011_INT_ALL   0x7ffu

#define PL011_LCR_H_FEN (1u << 4)
#define PL011_CR_RESET  0x0300u         /* TXE | RXE, UART disabled (TRM 3.3.8) */
#define PL011_IFLS_RESET 0x12u          /* both trigger levels 1/2 full (TRM 3.3.9) */

/* Level of the interrupt output changed (called with the device lock held: keep it short). */
typedef void (*pl011_irq_fn)(void *opaque, bool level);
/* Bytes the guest transmitted. */
typedef void (*pl011_tx_fn)(void *opaque, const uint8_t *buf, size_t len);

struct pl011 {
	pthread_mutex_t lock;   /* vCPU register accesses vs. input from the event loop */
	pl011_irq_fn irq;
	pl011_tx_fn tx;
	void *opaque;

	uint32_t ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr, ilpr;
	bool irq_level;

	uint8_t rx[PL011_BACKLOG];  /* ring: head is the oldest byte */
	unsigned int rx_head, rx_count;
	uint64_t rx_dropped;
};

int pl011_init(struct pl011 *u, pl011_irq_fn irq, pl011_tx_fn tx, void *opaque);
void pl011_destroy(struct pl011 *u);
/* struct bus callback (bus_access_fn); OPAQUE is the struct pl011. */
void pl011_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Host input (console_input_fn); OPAQUE is the struct pl011. Bytes beyond the backlog are dropped. */
void pl011_input(void *opaque, const uint8_t *buf, size_t len);

#endif
