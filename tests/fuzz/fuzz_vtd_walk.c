// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a guest that writes anything it likes into its VT-d first- and second-stage
 * tables. The input is a configuration header (levels, address widths, SRE/WPE/EAFE/ERE, superpage
 * and snoop capabilities, legacy or scalable mode, table pointers), a few IOVAs with access flags,
 * and a 32 KiB memory image the entry reads come from (outside it they fail). Both walkers must
 * never crash, never read more entries than levels, and return results that hold together.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "iommu/vtd_fswalk.h"
#include "iommu/vtd_sswalk.h"

#define IMG (32u << 10)
#define HDR 16
#define NR_IOVA 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t img[IMG];
static unsigned int reads;

static int rd(void *opaque, uint64_t pa, uint64_t *e)
{
	(void)opaque;
	reads++;
	if (pa > IMG - 8 || (pa & 7))
		return -EFAULT;
	memcpy(e, img + pa, 8);
	return 0;
}

static uint64_t u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The result must be coherent: a translation keeps the page offset and stays in the width. */
static void check(int rc, const struct vtd_walk_result *r, uint64_t iova, unsigned int levels, uint8_t oaw)
{
	if (reads > levels || r->reads != reads)
		__builtin_trap();
	if (rc == 0) {
		if (r->fault || r->level < 1 || r->level > 3 || r->block_shift != 12 + 9 * (r->level - 1) ||
		    (oaw < 64 && r->pa >> oaw) || ((r->pa ^ iova) & ((1ull << r->block_shift) - 1)))
			__builtin_trap();
	} else if (rc != -EFAULT || !r->fault || !r->reason || r->level < 0 || r->level > (int)levels) {
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t fixed = HDR + NR_IOVA * 8;

	if (size < fixed)
		return 0;
	memset(img, 0, IMG);
	memcpy(img, data + fixed, size - fixed < IMG ? size - fixed : IMG);
	for (unsigned int i = 0; i < NR_IOVA; i++) {
		uint64_t iova = u64(data + HDR + i * 8);
		uint8_t h = data[i];                      /* header byte i steers walk i */
		struct vtd_walk_result r;
		int rc;

		if (h & 1) {
			/* Table pointers: low header bits pick one of the image's 8 pages (or anything). */
			struct vtd_fswalk_cfg c = {
				.fsptptr = data[8] & 0x80 ? u64(data + HDR) : (uint64_t)(data[8] & 7) << 12,
				.levels = (uint8_t)(3 + (data[9] & 3)),               /* 3 and 6 are invalid */
				.oaw_bits = (uint8_t)(30 + data[10] % 24),            /* 30..53, edges invalid */
				.sre = h & 2, .wpe = h & 4, .eafe = h & 8, .ere = h & 16, .page_1g = h & 32,
			};

			reads = 0;
			rc = vtd_fswalk(&c, iova, (unsigned int)h >> 5, rd, NULL, &r);
			check(rc, &r, iova, c.levels, c.oaw_bits);
		} else {
			struct vtd_sswalk_cfg c = {
				.ssptptr = data[11] & 0x80 ? u64(data + HDR + 8) : (uint64_t)(data[11] & 7) << 12,
				.levels = (uint8_t)(2 + (data[12] & 3)),              /* 2 is invalid */
				.mgaw_bits = (uint8_t)(30 + data[13] % 36),
				.oaw_bits = (uint8_t)(30 + data[14] % 24),
				.scalable = h & 2, .page_2m = h & 4, .page_1g = h & 8, .snoop = h & 16,
			};

			reads = 0;
			rc = vtd_sswalk(&c, iova, (unsigned int)h >> 5, rd, NULL, &r);
			check(rc, &r, iova, c.levels, c.oaw_bits);
			if (rc == 0 && (((h >> 5) & VTD_ACC_WRITE) ? !r.writable : !r.readable))
				__builtin_trap();
		}
	}
	return 0;
}
