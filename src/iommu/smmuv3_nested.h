/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SMMUv3 format of the nested vIOMMU core (viommu_nested.h): IOMMU_VIOMMU_TYPE_ARM_SMMUV3, the
 * guest STE words 0-1 as IOMMU_HWPT_DATA_ARM_SMMUV3, the guest's commands forwarded as
 * IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 entries, vEVENTQ records as they are (IHI 0070 7.3).
 */
#ifndef NESTVM_SMMUV3_NESTED_H
#define NESTVM_SMMUV3_NESTED_H

#include <stdint.h>

#include "iommu/viommu_nested.h"

struct smmuv3_features;

extern const struct viommu_nested_format smmuv3_nested_format;

/* IOMMU_GET_HW_INFO of the first device: F clamped to what the host SMMU can nest, SSIDSIZE up to the
 * host's (SMMUV3_MAX_SSIDSIZE at most). */
int smmuv3_nested_clamp_features(struct viommu *v, struct smmuv3_features *f);
/* What smmuv3 IDR values the guest may see given the host's IDR0..5 (IHI 0070 6.3.1-6). Pure. */
void smmuv3_features_clamp(struct smmuv3_features *f, const uint32_t host_idr[6]);

#endif
