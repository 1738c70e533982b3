/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * FUZZING AND UNIT TESTS ONLY: a stand-in for the kernel's iommufd and VFIO cdev ioctls, so
 * fuzz_smmuv3 and test_viommu_nested_core can drive the nested vIOMMU core (viommu_nested.c) without
 * /dev/iommu. It overrides ioctl() for two fds
 * (everything else goes to the kernel), hands out object ids, checks what a kernel would (argument
 * sizes, entry layout, ids that exist) and fails the calls the fuzz input asks it to fail. Real
 * behaviour is tested against the real kernel in tests/testhost/viommu_nested*.sh.
 */
#ifndef NESTVM_FAKE_IOMMUFD_H
#define NESTVM_FAKE_IOMMUFD_H

#include <stdint.h>

enum fake_fail {                /* bits of fake_iommufd_cfg.fail */
	FAKE_FAIL_PARENT = 1u << 0,     /* IOMMU_HWPT_ALLOC of the nest parent */
	FAKE_FAIL_VIOMMU = 1u << 1,
	FAKE_FAIL_VEVENTQ = 1u << 2,
	FAKE_FAIL_VDEVICE = 1u << 3,
	FAKE_FAIL_ATTACH = 1u << 4,     /* VFIO_DEVICE_ATTACH_IOMMUFD_PT */
	FAKE_FAIL_HW_INFO = 1u << 5,
	FAKE_FAIL_VSTE = 1u << 6,       /* IOMMU_HWPT_ALLOC of a nested HWPT (the guest STE refused) */
	FAKE_FAIL_DESTROY = 1u << 7,
};

struct fake_iommufd_cfg {
	uint32_t fail;              /* enum fake_fail */
	uint32_t inval_accept;      /* IOMMU_HWPT_INVALIDATE handles at most this many entries, then
				     * EINVAL (0: all) */
	uint32_t hw_type;           /* IOMMU_GET_HW_INFO out_data_type */
	uint32_t idr[6];            /* ... and the host SMMU's IDR0-5 */
};

/* Makes IOMMUFD and VFIO_FD (any open fds the caller owns) the fake's, configured by CFG. Ids 1-15
 * stand for the caller's own objects (the IOAS): they exist, and the fake hands out none of them. */
void fake_iommufd_setup(int iommufd, int vfio_fd, const struct fake_iommufd_cfg *cfg);
/* Changes which calls fail (enum fake_fail) from now on, keeping the objects. */
void fake_iommufd_set_fail(uint32_t fail);
/* The pt_id of the last VFIO_DEVICE_ATTACH_IOMMUFD_PT that succeeded (0: none). */
uint32_t fake_iommufd_attached(void);
/* The FAULT object HWPT was allocated with (IOMMU_HWPT_FAULT_ID_VALID), or 0. */
uint32_t fake_iommufd_fault_of(uint32_t hwpt);
/* Objects allocated and not destroyed (so far). */
unsigned int fake_iommufd_live(void);
/* The write end of the last vEVENTQ handed out (records for the backend to read), or -1. */
int fake_iommufd_veventq_writer(void);
/* Objects allocated and not destroyed; closes the vEVENTQ writer. */
unsigned int fake_iommufd_teardown(void);

#endif
