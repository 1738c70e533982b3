/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test-only (-Diommufd_test=true, docs/iopf.md): the kernel's IOMMUFD_TEST mock device as the page
 * request source behind a guest StreamID. tools/iopf-mock creates the mock device on an iommufd it
 * shares with nestvm (--iommufd fd=N --iopf-mock ...) and triggers its faults; nestvm gives it a
 * selftest-format nest parent on the guest-RAM IOAS and over it a nested HWPT with
 * IOMMU_HWPT_FAULT_ID_VALID and the I/O page fault service's FAULT object, and moves the device
 * there, so its faults come through the same service and front-end as any device's.
 *
 * Why not through the nested vSMMU backend (viommu_nested.c): that backend allocates
 * IOMMU_VIOMMU_TYPE_ARM_SMMUV3 vIOMMUs and IOMMU_HWPT_DATA_ARM_SMMUV3 nested HWPTs (the guest's
 * STEs), which only the host arm-smmu-v3 driver accepts; the mock device sits on the selftest mock
 * IOMMU, which accepts only its own types (IOMMU_HWPT_DATA_SELFTEST). Nor can it attach through a
 * VFIO cdev (VFIO_DEVICE_ATTACH_IOMMUFD_PT): it is no VFIO device, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE
 * moves it. So the guest's STE does not configure it; what is real is everything from the FAULT
 * object on: the fault fd, the service, the PRIQ, CMD_PRI_RESP, the page responses.
 */
#ifndef NESTVM_IOMMU_IOPF_MOCK_H
#define NESTVM_IOMMU_IOPF_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

struct iopf_mock {
	int iommufd;
	struct iopf_mock_config c;
	uint32_t parent_id, nested_id;
	bool attached;
};

/* The mock device of C on IOAS's nest parent, its nested HWPT reporting to FAULT_ID. Unwinds on failure. */
int iopf_mock_attach(struct iopf_mock *m, int iommufd, uint32_t ioas, uint32_t fault_id, const struct iopf_mock_config *c);
/* Moves the device back to the HWPT it came with and destroys ours (before the FAULT object and the IOAS). */
void iopf_mock_release(struct iopf_mock *m);

/*
 * Live update by re-exec: the mock device stays attached to our nested HWPT in the handed-over
 * iommufd; the new process adopts the two HWPTs by id (nothing allocated or attached):
 *
 *   "iopf-mock", instance 0, version 1, mandatory: u32 iommufd device id and mock device id (both
 *   checked against the new --iopf-mock), u32 nest parent and nested HWPT ids (non-zero), u32 the
 *   IOAS the parent sits on (0: the VM's).
 */
#define IOPF_MOCK_STATE_TYPE "iopf-mock"
#define IOPF_MOCK_STATE_VERSION 1

struct iopf_mock_saved {
	uint32_t dev_id, stdev_id, parent_id, nested_id, ioas;
};

struct lu_section;
struct lu_writer;

void iopf_mock_state_put(struct lu_writer *w, const struct iopf_mock *m, uint32_t ioas);
int iopf_mock_state_decode(const struct lu_section *sec, struct iopf_mock_saved *out, char *why, size_t why_size);
/* M as S says (C must name the same devices). -EINVAL with WHY. */
int iopf_mock_adopt(struct iopf_mock *m, int iommufd, const struct iopf_mock_config *c, const struct iopf_mock_saved *s,
		    char *why, size_t why_size);

#endif
