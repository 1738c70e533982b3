/* SPDX-License-Identifier: GPL-2.0-only */
/* Register access to the emulated SMMUv3 the way a guest's MMIO reaches it, for the fuzz targets. */
#ifndef NESTVM_FUZZ_SMMUV3_REGS_H
#define NESTVM_FUZZ_SMMUV3_REGS_H

#include <stdint.h>

#include "iommu/smmuv3.h"

static inline void wr(struct smmuv3 *s, uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	smmuv3_mmio(s, off, d, len, true);
}

static inline uint32_t rd(struct smmuv3 *s, uint64_t off)
{
	uint8_t d[4];

	smmuv3_mmio(s, off, d, 4, false);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

#endif
