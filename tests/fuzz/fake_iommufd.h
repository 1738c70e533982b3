/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * FUZZING AND UNIT TESTS ONLY: a stand-in for the kernel's iommufd and VFIO cdev ioctls, so
 * fuzz_smmuv3, fuzz_vtd and the nested unit tests can drive the nested vIOMMU core (viommu_nested.c,
 * SMMUv3 and VT-d formats) without /dev/iommu. It overrides ioctl() for the iommufd and up to
 * FAKE_MAX_VFIO device fds, records every call it takes (fake_iommufd_calls)
 * (everything else goes to the kernel), hands out object ids, checks what a kernel would (argument
 * sizes, entry layout, ids that exist; for VT-d what drivers/iommu/intel/nested.c checks) and fails
 * the calls the fuzz input asks it to fail. Real SMMUv3 behaviour is tested against the real kernel
 * in tests/testhost/viommu_nested*.sh; no testhost VT-d can nest (docs/viommu.md).
 */
#ifndef NESTVM_FAKE_IOMMUFD_H
#define NESTVM_FAKE_IOMMUFD_H

#include <linux/iommufd.h>
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
	uint64_t vtd_cap, vtd_ecap; /* ... or (hw_type INTEL_VTD) the host VT-d's CAP and ECAP */
	uint64_t hw_caps;           /* ... and out_capabilities (IOMMU_HW_CAP_*) */
	uint8_t max_pasid_log2;     /* ... and out_max_pasid_log2 */
};

#define FAKE_MAX_VFIO 4
#define FAKE_MAX_PASIDS 16          /* PASID attachments per device */
#define FAKE_MAX_CALLS 256
#define FAKE_CALL_ENTRIES 8

/* One ioctl the fake took (whether it succeeded or not). */
struct fake_call {
	unsigned long req;          /* IOMMU_* or VFIO_DEVICE_ATTACH_IOMMUFD_PT */
	int vfio_fd;                /* attach: the device's fd */
	int err;                    /* 0 or the errno it failed with */
	uint32_t dev_id, id;        /* HWPT_ALLOC: pt_id; attach: pt_id; INVALIDATE: hwpt_id; DESTROY: id */
	uint32_t out_id;            /* an id handed out */
	uint32_t flags, data_type;
	uint32_t pasid;             /* attach / detach with VFIO_DEVICE_ATTACH_PASID / _DETACH_PASID */
	struct iommu_hwpt_vtd_s1 s1;        /* HWPT_ALLOC with IOMMU_HWPT_DATA_VTD_S1 */
	uint32_t nr_entries;        /* INVALIDATE: entries asked (the first FAKE_CALL_ENTRIES VT-d ones kept) */
	struct iommu_hwpt_vtd_s1_invalidate e[FAKE_CALL_ENTRIES];
};

/* Makes IOMMUFD and VFIO_FD (any open fds the caller owns) the fake's, configured by CFG. Ids 1-15
 * stand for the caller's own objects (the IOAS): they exist, and the fake hands out none of them. */
void fake_iommufd_setup(int iommufd, int vfio_fd, const struct fake_iommufd_cfg *cfg);
/* Changes which calls fail (enum fake_fail) from now on, keeping the objects. */
void fake_iommufd_set_fail(uint32_t fail);
/* ... and how many entries an IOMMU_HWPT_INVALIDATE handles (fake_iommufd_cfg.inval_accept). */
void fake_iommufd_set_inval_accept(uint32_t nr);
/* Another device fd the fake answers VFIO_DEVICE_ATTACH_IOMMUFD_PT for (after setup). */
void fake_iommufd_add_vfio(int vfio_fd);
/* The pt_id of the last VFIO_DEVICE_ATTACH_IOMMUFD_PT that succeeded (0: none). */
uint32_t fake_iommufd_attached(void);
/* ... of device fd VFIO_FD. */
uint32_t fake_iommufd_attached_of(int vfio_fd);
/* The HWPT PASID of device fd VFIO_FD is attached to (VFIO_DEVICE_ATTACH_PASID), or 0. */
uint32_t fake_iommufd_pasid_attached(int vfio_fd, uint32_t pasid);
/* The calls taken since setup or the last fake_iommufd_clear_calls (at most FAKE_MAX_CALLS kept). */
const struct fake_call *fake_iommufd_calls(unsigned int *nr);
void fake_iommufd_clear_calls(void);
/* The FAULT object HWPT was allocated with (IOMMU_HWPT_FAULT_ID_VALID), or 0. */
uint32_t fake_iommufd_fault_of(uint32_t hwpt);
/* Objects allocated and not destroyed (so far). */
unsigned int fake_iommufd_live(void);
/* The write end of the last vEVENTQ handed out (records for the backend to read), or -1. */
int fake_iommufd_veventq_writer(void);
/* The kernel's end of the last FAULT object's fd (IOMMU_FAULT_QUEUE_ALLOC, a SOCK_SEQPACKET pair):
 * write struct iommu_hwpt_pgfault records, read struct iommu_hwpt_page_response; or -1. */
int fake_iommufd_fault_kernel(void);
/* Objects allocated and not destroyed; closes the vEVENTQ writer and the FAULT fd's kernel end. */
unsigned int fake_iommufd_teardown(void);

#endif
