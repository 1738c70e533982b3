/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM PrimeCell GPIO (PL061), per the PL061 TRM (ARM DDI 0190B): eight lines, each an input or an
 * output (GPIODIR), with per-line interrupt detection (edge or level, one or both edges, rising or
 * falling / high or low: GPIOIS, GPIOIBE, GPIOIEV), a mask (GPIOIE), raw and masked status and an
 * edge clear (GPIORIS, GPIOMIS, GPIOIC), combined into one interrupt output (GPIOINTR). GPIODATA is
 * address-masked: bits 9:2 of the offset select which lines a read returns or a write changes
 * (TRM 3.3.1). Registers are 8 bits wide in 32-bit words; Linux's gpio-pl061 uses byte accesses.
 *
 * The machine drives input lines with pl061_set_input. A momentary input (pl061_press, the power
 * button) is held high until the guest has read it high through GPIODATA, then released: the
 * press lasts exactly until the guest's driver has sampled it (gpio-keys samples on the edge's
 * interrupt, after its debounce), so no host timer is involved and a press is never too short.
 * Host-architecture independent (unit-tested natively).
 */
#ifndef NESTVM_PL061_H
#define NESTVM_PL061_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PL061_MMIO_SIZE 0x1000
#define PL061_NR_LINES  8

/* Register offsets (TRM 3.2, Table 3-1). GPIODATA spans 0x000-0x3fc (the mask is in the address). */
#define PL061_DATA      0x000
#define PL061_DIR       0x400   /* 1: output */
#define PL061_IS        0x404   /* 1: level-sensitive, 0: edge */
#define PL061_IBE       0x408   /* 1: both edges (IEV ignored) */
#define PL061_IEV       0x40c   /* 1: rising edge / high level, 0: falling / low */
#define PL061_IE        0x410   /* 1: the line's interrupt is not masked */
#define PL061_RIS       0x414   /* raw status (read-only) */
#define PL061_MIS       0x418   /* RIS & IE (read-only) */
#define PL061_IC        0x41c   /* write 1: clear a detected edge (write-only) */
#define PL061_AFSEL     0x420   /* hardware control: stored, no effect here */
#define PL061_PERIPHID0 0xfe0   /* PeriphID0..3 0xFE0-0xFEC, PCellID0..3 0xFF0-0xFFC (TRM 3.3.11-3.3.12) */

struct pl061 {
	pthread_mutex_t lock;
	uint8_t dir, is, ibe, iev, ie, afsel;
	uint8_t out;                /* the data register's output bits */
	uint8_t in;                 /* levels driven onto the input lines by the machine */
	uint8_t momentary;          /* inputs released once the guest has read them high */
	uint8_t ris;
	bool irq_level;             /* GPIOINTR as last signalled */
	void (*irq)(void *opaque, bool level);  /* GPIOINTR changes (called with the lock held) */
	void *opaque;
};

int pl061_init(struct pl061 *g, void (*irq)(void *opaque, bool level), void *opaque);
void pl061_destroy(struct pl061 *g);
/* bus_access_fn over PL061_MMIO_SIZE bytes: 8-bit registers in 32-bit words; reads of 1, 2 or 4
 * bytes within a word, writes of 1, 2 or 4 bytes at its start (the low byte counts). */
void pl061_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Drives input LINE (0-7) to LEVEL. */
void pl061_set_input(struct pl061 *g, unsigned int line, bool level);
/* A momentary press of LINE: high until the guest reads it high, then low (see above). */
void pl061_press(struct pl061 *g, unsigned int line);

#endif
