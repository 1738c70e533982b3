/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A CFI flash bank (devices/pflash_cfi01.h) in the guest's physical address space, as UEFI firmware
 * boot needs it on both arches: in read-array mode a read-only KVM memslot over the flash array (code
 * executes from it, reads never exit; writes exit as MMIO to the model); a command that leaves read
 * array mode makes the model call back and the memslot is taken out on that vCPU thread, so status,
 * ID and CFI reads trap; back in read-array mode it is mapped again.
 */
#ifndef NESTVM_FLASH_BANK_H
#define NESTVM_FLASH_BANK_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pflash_cfi01.h"

struct vm;

struct flash_bank {
	struct pflash flash;
	struct vm *vm;
	uint64_t base;
	uint32_t slot;
	bool open, mapped, on_bus;
};

/*
 * Opens PATH as flash of geometry G (at least MIN_SIZE bytes, 0: any), shows the guest its first
 * SHOWN bytes (0: all of it) at BASE: memslot and MMIO range. -errno after reporting; the bank is
 * then for flash_bank_close (which undoes whatever part was done).
 */
int flash_bank_open(struct vm *vm, struct flash_bank *b, const char *name, const char *path, bool readonly,
		    const struct pflash_geom *g, uint64_t base, uint64_t min_size, uint64_t shown);
void flash_bank_close(struct flash_bank *b);

#endif
