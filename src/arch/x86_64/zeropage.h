/* SPDX-License-Identifier: GPL-2.0-only */
/* The zero page (struct boot_params) and e820 map handed to a 64-bit Linux kernel. */
#ifndef NESTVM_X86_ZEROPAGE_H
#define NESTVM_X86_ZEROPAGE_H

#include <asm/bootparam.h>
#include <stdint.h>

#include "arch/x86_64/bzimage.h"

#define E820_RAM      1
#define E820_RESERVED 2

struct zeropage_args {
	const uint8_t *img;            /* the bzImage, for its setup header */
	const struct bzimage_info *bi;
	const struct bzimage_plan *plan;
	uint64_t initrd_size;
	uint64_t cmdline_addr;
	uint64_t ram_end;              /* RAM is [0, ram_end), ram_end <= the PCI hole */
	uint64_t ecam_base, ecam_size; /* reserved so Linux trusts MCFG */
	uint64_t rsdp_addr;
};

/* 0 or -EINVAL (too many e820 entries). */
int zeropage_build(struct boot_params *bp, const struct zeropage_args *a);

#endif
