/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A CFI parallel NOR flash with the Intel/Sharp command set (CFI primary command set 0x0001), as
 * QEMU's pflash_cfi01 models it: the firmware code and variable store of OVMF (x86: byte-wide, the
 * vars below the code at the top of 4 GiB) and AAVMF (arm64 virt: two 64 MiB banks at 0 and
 * 0x0400_0000, a 32-bit bus of two interleaved x16 devices, so commands repeat in each 16-bit lane).
 *
 * Read-array mode is served by guest memory: the owner maps PFLASH->mem read-only into the guest
 * (a KVM read-only memslot), so reads never trap and writes exit as MMIO to pflash_mmio. Any other
 * mode (status, ID, CFI query, a program or erase sequence) needs trapped reads: the device calls
 * ROMD(opaque, false) to have the mapping taken out and ROMD(opaque, true) when it is back in read
 * array mode. Commands (Intel StrataFlash/P30 datasheets, "Command Definitions"; what OVMF's
 * QemuFlashFvbServicesRuntimeDxe and ArmVirtPkg's VirtNorFlashDxe send):
 *   0xff read array, 0x70 read status, 0x50 clear status, 0x90 read identifier, 0x98 CFI query,
 *   0x40/0x10 word program, 0x20 + 0xd0 block erase, 0xe8 + count + data + 0xd0 buffered program,
 *   0x60 + 0x01/0xd0 block lock/unlock (accepted, blocks are never locked).
 * Program and erase change the host copy at once and are written to the backing file (pwrite),
 * with fsync when an operation sequence completes. Read-only flash (the code) refuses them with the
 * status error bits. Every access is bounded by the flash size; a host I/O error is reported and
 * shows as a program/erase error in the status, never a VMM exit.
 */
#ifndef NESTVM_PFLASH_CFI01_H
#define NESTVM_PFLASH_CFI01_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Status register bits (Intel "Status Register Definitions"). */
#define PFLASH_SR_READY         0x80    /* write state machine ready */
#define PFLASH_SR_ERASE_ERR     0x20
#define PFLASH_SR_PROGRAM_ERR   0x10
#define PFLASH_SR_LOCKED        0x02    /* operation on a protected block */

#define PFLASH_MAX_SIZE         (64ull << 20)
#define PFLASH_BUFFER_BYTES     64      /* per device: CFI "max bytes in a buffered write" 2^6 */
#define PFLASH_CFI_LEN          0x31    /* query table bytes (the QRY header and geometry) */
#define PFLASH_MANUFACTURER     0x89    /* Intel */
#define PFLASH_DEVICE_ID        0x18

enum pflash_mode { PFLASH_ARRAY, PFLASH_STATUS, PFLASH_ID, PFLASH_CFI };

/* FALSE: take the read-only guest mapping of the array out (reads must trap); TRUE: map it again. */
typedef void (*pflash_romd_fn)(void *opaque, bool array_mode);

struct pflash_geom {
	uint32_t block_size;        /* erase block of the bank (all devices together) */
	uint8_t bank_width;         /* bytes per bus access: 1 (OVMF) or 4 (AAVMF) */
	uint8_t device_width;       /* bytes per device: 1, or 2 for x16 devices; bank_width / device_width devices */
};

struct pflash {
	pthread_mutex_t lock;
	const char *name;           /* for messages */
	uint8_t *mem;               /* the array, page-aligned (mmap), file_size bytes */
	uint64_t size;              /* what the guest sees: file_size, or less after pflash_limit */
	uint64_t file_size;
	struct pflash_geom g;
	unsigned int nr_dev;
	bool readonly;
	int fd;                     /* backing file, written for writable flash */
	bool dirty;                 /* written since the last fsync */

	enum pflash_mode mode;
	uint8_t status;
	uint8_t cmd;                /* command of a multi-cycle sequence in progress, 0 if none */
	unsigned int cycle;         /* bus cycles of that sequence seen so far */
	uint32_t count;             /* buffered program: data words still expected */
	uint64_t buf_start;         /* buffered program: the block-aligned buffer window */

	pflash_romd_fn romd;
	void *opaque;
	uint8_t cfi[PFLASH_CFI_LEN];
	uint64_t host_errors;
};

/*
 * Opens PATH (read-only for code, read-write for vars) and loads it: its size must be a non-zero
 * multiple of G's block size, at most PFLASH_MAX_SIZE; MIN_SIZE, if non-zero, is the size the layout
 * needs (a smaller file is refused, naming both sizes). Starts in read array mode (ROMD not called).
 */
int pflash_open(struct pflash *p, const char *name, const char *path, bool readonly, const struct pflash_geom *g,
		uint64_t min_size, pflash_romd_fn romd, void *opaque);
/*
 * The guest sees only the first SIZE bytes (a non-zero multiple of the block size, at most the
 * file's): a bank the machine must map shorter than the image (arm64 with the nested-MSI ITS in the
 * last 64K of the vars bank). The rest of the file is kept as it is. -EINVAL otherwise.
 */
int pflash_limit(struct pflash *p, uint64_t size);
/* Syncs a dirty vars file; unmaps and closes. */
void pflash_close(struct pflash *p);
/* bus_access_fn over [base, base + size): writes always trap; reads trap outside read array mode. */
void pflash_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
