/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test-only (-Diommufd_test=true): the ABI of the kernel's IOMMUFD_TEST ioctl (CONFIG_IOMMUFD_TEST,
 * drivers/iommu/iommufd/iommufd_test.h in Linux 7.2, not an installed uAPI header), as far as nestvm's
 * page-fault tests use it: a mock device on the mock IOMMU (IOMMU_TEST_OP_MOCK_DOMAIN), moved between
 * HWPTs (IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE), raising a PRI page request (IOMMU_TEST_OP_TRIGGER_IOPF:
 * one request with LAST_PAGE, PASID_VALID when pasid != 0). Its nested HWPTs take
 * IOMMU_HWPT_DATA_SELFTEST data. The layout matches the kernel's (op numbers, the union's 48 bytes).
 */
#ifndef NESTVM_IOMMU_IOMMUFD_MOCK_H
#define NESTVM_IOMMU_IOMMUFD_MOCK_H

#include <linux/iommufd.h>
#include <stdint.h>

enum {
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	IOMMU_TEST_OP_TRIGGER_IOPF = 15,
};

struct iommu_test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t __reserved;
	union {
		struct {
			uint32_t out_stdev_id, out_hwpt_id, out_idev_id;
		} mock_domain;
		struct {
			uint32_t pt_id;
		} mock_domain_replace;
		struct {
			uint32_t dev_id, pasid, grpid, perm;
			uint64_t addr;
		} trigger_iopf;
		uint64_t largest[6];        /* the kernel's largest member (dirty) */
	};
	uint32_t last;
};
_Static_assert(sizeof(struct iommu_test_cmd) == 72, "struct iommu_test_cmd as in Linux 7.2");

#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef

struct iommu_hwpt_selftest {
	uint32_t iotlb;
};

#endif
