// SPDX-License-Identifier: GPL-2.0-only
/* iommufd vIOMMU objects. */
#include "iommu/viommu_obj.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <sys/ioctl.h>

#include "iommu/fail_inject.h"
#include "vmm/log.h"

int viommu_obj_alloc(int iommufd, uint32_t type, uint32_t dev_id, uint32_t hwpt_id, uint32_t *out)
{
	struct iommu_viommu_alloc a = { .size = sizeof(a), .type = type, .dev_id = dev_id, .hwpt_id = hwpt_id };

	if (fail_inject("viommu-alloc") || ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &a)) {
		int e = errno;

		/* arm-smmu-v3 (arm_vsmmu_init) refuses a vIOMMU when the host SMMU cannot keep the guest's
		 * stage 1 coherent without the VMM: it needs IDR0.CANWBS (or S2FWB) to nest. */
		if (e == EOPNOTSUPP)
			pr_err("IOMMU_VIOMMU_ALLOC: the host IOMMU cannot nest for device %u (arm-smmu-v3 needs "
			       "CANWBS or S2FWB; the kernel's vIOMMU support may be missing): use --viommu none", dev_id);
		else
			err_num(e, "IOMMU_VIOMMU_ALLOC for device %u on HWPT %u", dev_id, hwpt_id);
		return -e;
	}
	*out = a.out_viommu_id;
	return 0;
}
