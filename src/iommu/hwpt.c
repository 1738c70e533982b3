// SPDX-License-Identifier: GPL-2.0-only
/* iommufd HW page tables: allocation (stage 2 nest parents, nested stage 1), invalidation, HW info. */
#include "iommu/hwpt.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <sys/ioctl.h>

#include "iommu/fail_inject.h"
#include "vmm/log.h"

int hwpt_alloc(int iommufd, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t data_type,
	       const void *data, uint32_t len, uint32_t *out, const char *what)
{
	return hwpt_alloc_fault(iommufd, dev_id, pt_id, flags, 0, data_type, data, len, out, what);
}

int hwpt_alloc_fault(int iommufd, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t fault_id,
		     uint32_t data_type, const void *data, uint32_t len, uint32_t *out, const char *what)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .flags = flags, .dev_id = dev_id, .pt_id = pt_id,
		.data_type = data_type, .data_len = len, .data_uptr = (uintptr_t)data,
		.fault_id = flags & IOMMU_HWPT_FAULT_ID_VALID ? fault_id : 0,
	};

	if (fail_inject("hwpt-alloc") || ioctl(iommufd, IOMMU_HWPT_ALLOC, &a))
		return err_errno("IOMMU_HWPT_ALLOC %s (device %u on object %u)", what, dev_id, pt_id);
	*out = a.out_hwpt_id;
	return 0;
}

int hwpt_invalidate(int iommufd, uint32_t id, uint32_t data_type, const void *entries, uint32_t entry_len,
		    uint32_t *num)
{
	struct iommu_hwpt_invalidate i = {
		.size = sizeof(i), .hwpt_id = id, .data_uptr = (uintptr_t)entries, .data_type = data_type,
		.entry_len = entry_len, .entry_num = *num,
	};
	int r = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &i) ? -errno : 0;

	/* The kernel writes back how many entries it handled, also on failure. */
	*num = i.entry_num;
	return r;
}

int iommufd_hw_info(int iommufd, uint32_t dev_id, void *buf, uint32_t len, uint32_t *type)
{
	struct iommu_hw_info h = { .size = sizeof(h), .dev_id = dev_id, .data_len = len, .data_uptr = (uintptr_t)buf };

	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &h))
		return err_errno("IOMMU_GET_HW_INFO device %u", dev_id);
	*type = h.out_data_type;
	return 0;
}
