/* SPDX-License-Identifier: GPL-2.0-only */
/* The arm64 Linux Image header (Documentation/arch/arm64/booting.rst, "4. Call the kernel image"). */
#ifndef NESTVM_ARM64_IMAGE_H
#define NESTVM_ARM64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define ARM64_IMAGE_HDR_SIZE    64
#define ARM64_IMAGE_MAGIC       0x644d5241u     /* "ARM\x64", little endian, at offset 0x38 */
#define ARM64_IMAGE_MAX_SIZE    (1ull << 30)    /* image_size beyond this is not a plausible kernel */

struct arm64_image {
	uint64_t text_offset;   /* load offset from a 2 MiB aligned base */
	uint64_t image_size;    /* bytes from the load address the kernel may use (includes BSS) */
	unsigned int page_kb;   /* kernel page size (4, 16, 64) or 0 when the header does not say */
	uint64_t file_size;
};

/*
 * Parses and validates the header in BUF (the first LEN bytes of a file of FILE_SIZE bytes; pass
 * at least 4 KiB when the file has that many, so the EFI PE/COFF section table can be checked for
 * truncation). Returns 0, or -EINVAL with *WHY set to a short reason ("not an arm64 Image ...").
 */
int arm64_image_parse(const uint8_t *buf, size_t len, uint64_t file_size, struct arm64_image *img,
		      const char **why);

#endif
