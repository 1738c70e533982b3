// SPDX-License-Identifier: GPL-2.0-only
/* iommufd vDEVICE objects. */
#include "iommu/vdevice.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <sys/ioctl.h>

#include "iommu/fail_inject.h"
#include "vmm/log.h"

int vdevice_alloc(int iommufd, uint32_t viommu_id, uint32_t dev_id, uint64_t virt_id, uint32_t *out)
{
	struct iommu_vdevice_alloc a = { .size = sizeof(a), .viommu_id = viommu_id, .dev_id = dev_id, .virt_id = virt_id };

	if (fail_inject("vdevice-alloc") || ioctl(iommufd, IOMMU_VDEVICE_ALLOC, &a))
		return err_errno("IOMMU_VDEVICE_ALLOC device %u as virtual ID 0x%llx in vIOMMU %u", dev_id,
				 (unsigned long long)virt_id, viommu_id);
	*out = a.out_vdevice_id;
	return 0;
}
