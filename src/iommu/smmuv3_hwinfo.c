// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest SMMUv3's features clamped to the host's (IOMMU_GET_HW_INFO idr[]): with nesting the host
 * SMMU walks the guest's stage 1 itself, so the guest must not see a granule, output size, PASID
 * width or range invalidation the host cannot do (IHI 0070 6.3.1 IDR0, 6.3.2 IDR1, 6.3.4 IDR3,
 * 6.3.6 IDR5). StreamIDs, queues, the stream table format and interrupts stay ours (emulated).
 */
#include "iommu/smmuv3.h"
#include "iommu/smmuv3_nested.h"

void smmuv3_features_clamp(struct smmuv3_features *f, const uint32_t host_idr[6])
{
	unsigned int host_ssid = (host_idr[1] >> 6) & 0x1f;
	unsigned int host_oas = host_idr[5] & 7;

	/* ATS would need the host's ATC invalidation on our behalf; EATS is forced off anyway. */
	f->ats = f->ats && (host_idr[0] & IDR0_ATS);
	f->ril = f->ril && (host_idr[3] & IDR3_RIL);
	f->gran4k = f->gran4k && (host_idr[5] & IDR5_GRAN4K);
	f->gran16k = f->gran16k && (host_idr[5] & IDR5_GRAN16K);
	f->gran64k = f->gran64k && (host_idr[5] & IDR5_GRAN64K);
	if (host_ssid < f->ssidsize)
		f->ssidsize = (uint8_t)host_ssid;
	/* More than 10 bits makes the guest's IDR0 offer 2-level CD tables (CD2L), which the host must walk. */
	if (!(host_idr[0] & IDR0_CD2L) && f->ssidsize > 10)
		f->ssidsize = 10;
	/* OAS encodings 0..5 grow with the size (32..48 bits); 6 (52 bits) only with 64K. */
	if (host_oas < f->oas)
		f->oas = (uint8_t)host_oas;
}
