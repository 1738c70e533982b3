/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PC's CMOS real-time clock and NVRAM (Motorola MC146818A, as on QEMU's machines): an index port
 * (0x70; bit 7 the NMI mask, ignored) and a data port (0x71) over 128 bytes. OVMF needs both sides:
 * its real-time-clock driver (an architectural protocol the DXE core waits for) reads and sets the
 * time through registers 0x00-0x09 and A-D, and its memory detection reads the RAM size QEMU
 * stores in the NVRAM. Registers (MC146818A datasheet, "Address Map", "Registers"):
 *   0x00 seconds, 0x02 minutes, 0x04 hours, 0x06 day of week (1 = Sunday), 0x07 day of month,
 *   0x08 month, 0x09 year (two digits), 0x32 century (QEMU's and the FADT's usual place); BCD or
 *   binary by B's DM bit, hours 12-hour (bit 7 PM) or 24-hour by B's 24/12 bit. They follow host
 *   wall-clock time (UTC) plus an offset: reads compute them; setting B's SET bit freezes them for
 *   the guest to write, clearing it sets the offset from what was written. A write to a time
 *   register while SET is clear moves the offset at once.
 *   0x01, 0x03, 0x05 alarm seconds/minutes/hours: stored (no alarm interrupt: nothing on this
 *   machine takes IRQ 8).
 *   A (0x0a): bits 6:0 stored (divider, rate); UIP (bit 7) reads 0: an update is never in progress.
 *   B (0x0b): SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE stored; no interrupt is raised.
 *   C (0x0c): interrupt flags, read-only, always 0.   D (0x0d): VRT (bit 7) set: the RAM is valid.
 *   0x0e-0x7f: NVRAM, stored; the machine fills in the memory sizes (cmos_rtc_set_memory).
 */
#ifndef NESTVM_CMOS_RTC_H
#define NESTVM_CMOS_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define CMOS_PORT_LEN           2       /* 0x70 index, 0x71 data */
#define CMOS_SIZE               128
#define CMOS_SECONDS            0x00
#define CMOS_MINUTES            0x02
#define CMOS_HOURS              0x04
#define CMOS_WEEKDAY            0x06
#define CMOS_MDAY               0x07
#define CMOS_MONTH              0x08
#define CMOS_YEAR               0x09
#define CMOS_REG_A              0x0a
#define CMOS_REG_B              0x0b
#define CMOS_REG_C              0x0c
#define CMOS_REG_D              0x0d
#define CMOS_CENTURY            0x32
#define CMOS_A_UIP              0x80
#define CMOS_B_SET              0x80
#define CMOS_B_DM_BINARY        0x04
#define CMOS_B_24H              0x02
#define CMOS_D_VRT              0x80

struct cmos_rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[CMOS_SIZE];     /* time registers hold the frozen/written values while SET is set */
	int64_t offset;             /* guest time = host UTC seconds + offset */
	int64_t (*now)(void);       /* host UTC seconds (tests replace it) */
};

int cmos_rtc_init(struct cmos_rtc *c);
void cmos_rtc_destroy(struct cmos_rtc *c);
/*
 * What QEMU's pc machines store about memory and CPUs (its pc_cmos_init): base memory 640 KiB at
 * 0x15/0x16, KiB above 1 MiB (at most 65535) at 0x17/0x18 and 0x30/0x31, 64 KiB units above 16 MiB
 * below 4 GiB (at most 65535) at 0x34/0x35, 64 KiB units above 4 GiB at 0x5b-0x5d, CPUs - 1 at 0x5f.
 */
void cmos_rtc_set_memory(struct cmos_rtc *c, uint64_t below_4g, uint64_t above_4g, unsigned int cpus);
/* bus_access_fn over CMOS_PORT_LEN ports; byte accesses (wider ones: the first byte, the rest 0xff). */
void cmos_rtc_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Civil date (UTC) <-> seconds since 1970, for the model and its tests. */
int64_t cmos_rtc_days_from_civil(int64_t y, unsigned int m, unsigned int d);

#endif
