// SPDX-License-Identifier: GPL-2.0-only
/* Test-only: the IOMMUFD_TEST mock device behind a guest StreamID (iopf_mock.h). */
#include "iommu/iopf_mock.h"

#include <errno.h>
#include <sys/ioctl.h>

#include "iommu/hwpt.h"
#include "iommu/iommufd.h"
#include "iommu/iommufd_mock.h"
#include "vmm/log.h"

static int replace(int iommufd, uint32_t stdev_id, uint32_t pt_id)
{
	struct iommu_test_cmd c = { .size = sizeof(c), .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev_id,
				    .mock_domain_replace = { .pt_id = pt_id } };

	if (ioctl(iommufd, IOMMU_TEST_CMD, &c))
		return err_errno("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE of mock device %u to %u", stdev_id, pt_id);
	return 0;
}

int iopf_mock_attach(struct iopf_mock *m, int iommufd, uint32_t ioas, uint32_t fault_id, const struct iopf_mock_config *c)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	int r;

	*m = (struct iopf_mock){ .iommufd = iommufd, .c = *c };
	r = hwpt_alloc(iommufd, c->dev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_DATA_NONE, NULL, 0,
		       &m->parent_id, "mock nest parent");
	if (r)
		return r;
	/* The fault queue goes on the nested (guest-stage) HWPT: since Linux 6.15 a nest parent may
	 * not carry one. */
	r = hwpt_alloc_fault(iommufd, c->dev_id, m->parent_id, IOMMU_HWPT_FAULT_ID_VALID, fault_id,
			     IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &m->nested_id, "mock nested (fault-capable)");
	if (r)
		goto err_parent;
	r = replace(iommufd, c->stdev_id, m->nested_id);
	if (r)
		goto err_nested;
	m->attached = true;
	return 0;

err_nested:
	iommufd_destroy(iommufd, m->nested_id);
err_parent:
	iommufd_destroy(iommufd, m->parent_id);
	return r;
}

void iopf_mock_release(struct iopf_mock *m)
{
	if (!m->attached)
		return;
	/* Leaving the fault-capable HWPT makes the kernel answer what it still holds of the device. */
	replace(m->iommufd, m->c.stdev_id, m->c.hwpt_id);
	iommufd_destroy(m->iommufd, m->nested_id);
	iommufd_destroy(m->iommufd, m->parent_id);
	m->attached = false;
}
