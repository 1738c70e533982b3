/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bzImage parsing and placement per the Linux x86 boot protocol (Documentation/arch/x86/boot.rst).
 * Pure functions over the file bytes, so hostile headers are unit-tested.
 */
#ifndef NESTVM_X86_BZIMAGE_H
#define NESTVM_X86_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BZ_MIN_VERSION 0x020c      /* 2.12: xloadflags, so XLF_KERNEL_64 says there is a 64-bit entry */
#define BZ_ENTRY64_OFFSET 0x200    /* 64-bit entry = protected-mode load address + 0x200 */

struct bzimage_info {
	uint16_t version;
	size_t setup_size;          /* (setup_sects + 1) * 512: where the protected-mode part starts */
	size_t kernel_size;         /* bytes of the protected-mode part in the file */
	size_t hdr_end;             /* end of the setup header (0x202 + byte at 0x201), to copy */
	uint64_t pref_address;
	uint32_t init_size;         /* memory the kernel needs from its load address */
	uint32_t kernel_alignment;
	uint32_t initrd_addr_max;   /* highest address the initrd's last byte may have */
	uint32_t cmdline_size;      /* longest command line, without the NUL */
	bool relocatable;
};

struct bzimage_plan {
	uint64_t kernel_addr;
	uint64_t initrd_addr;       /* 0 without an initrd */
};

/* 0, or -ENOEXEC after saying (pr_err) why IMG is not a bootable 64-bit bzImage. */
int bzimage_parse(const uint8_t *img, size_t size, struct bzimage_info *bi);
/* Load addresses in RAM [0, RAM_END): kernel at pref_address, initrd as high as allowed. */
int bzimage_place(const struct bzimage_info *bi, uint64_t ram_end, uint64_t initrd_size, struct bzimage_plan *p);

#endif
