/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM PrimeCell real-time clock (PL031), per the PL031 TRM (ARM DDI 0224C): a 32-bit seconds counter
 * the guest reads from RTCDR and sets through RTCLR. AAVMF's RealTimeClockRuntimeDxe needs one (it
 * checks the PrimeCell IDs, then starts and reads the counter; UEFI GetTime/SetTime run on it), and
 * the DXE core will not reach BDS without the real-time-clock architectural protocol. The counter
 * is host wall-clock time (CLOCK_REALTIME) plus an offset that RTCLR writes move. The match register
 * is stored but raises no interrupt: nothing the firmware does uses the alarm, so the model has no
 * interrupt output (RTCRIS/RTCMIS read 0). Host-architecture independent.
 */
#ifndef NESTVM_PL031_H
#define NESTVM_PL031_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PL031_MMIO_SIZE 0x1000

/* Register offsets (TRM 3.2, Table 3-1). */
#define PL031_DR        0x000   /* data: the counter (read-only) */
#define PL031_MR        0x004   /* match */
#define PL031_LR        0x008   /* load: writing sets the counter */
#define PL031_CR        0x00c   /* control: bit 0 starts the clock; once set it stays set (TRM 3.3.4) */
#define PL031_IMSC      0x010
#define PL031_RIS       0x014
#define PL031_MIS       0x018
#define PL031_ICR       0x01c
#define PL031_PERIPHID0 0xfe0   /* PeriphID0..3 0xFE0-0xFEC, PCellID0..3 0xFF0-0xFFC (TRM 3.3.9-3.3.16) */

struct pl031 {
	pthread_mutex_t lock;
	int64_t offset;             /* counter = host seconds + offset */
	uint32_t mr, lr, imsc;
	bool started;
};

int pl031_init(struct pl031 *rtc);
void pl031_destroy(struct pl031 *rtc);
/* bus_access_fn over PL031_MMIO_SIZE bytes: 32-bit registers, byte and halfword reads within one;
 * writes other than whole words are dropped. */
void pl031_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
