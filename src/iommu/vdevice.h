/* SPDX-License-Identifier: GPL-2.0-only */
/* iommufd vDEVICE objects (IOMMU_VDEVICE_ALLOC): a device's ID as the guest's vIOMMU knows it. */
#ifndef NESTVM_IOMMU_VDEVICE_H
#define NESTVM_IOMMU_VDEVICE_H

#include <stdint.h>

/* IOMMU_VDEVICE_ALLOC: DEV_ID is VIRT_ID (SMMUv3: the guest StreamID) in VIOMMU_ID; the id in *OUT. */
int vdevice_alloc(int iommufd, uint32_t viommu_id, uint32_t dev_id, uint64_t virt_id, uint32_t *out);

#endif
