/* SPDX-License-Identifier: GPL-2.0-only */
/* iommufd vIOMMU objects (IOMMU_VIOMMU_ALLOC): a VM's slice of one host IOMMU instance. */
#ifndef NESTVM_IOMMU_VIOMMU_OBJ_H
#define NESTVM_IOMMU_VIOMMU_OBJ_H

#include <stdint.h>

/* IOMMU_VIOMMU_ALLOC of TYPE for DEV_ID over the nest parent HWPT_ID; the id in *OUT. Says why on refusal. */
int viommu_obj_alloc(int iommufd, uint32_t type, uint32_t dev_id, uint32_t hwpt_id, uint32_t *out);

#endif
