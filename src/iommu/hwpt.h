/* SPDX-License-Identifier: GPL-2.0-only */
/* iommufd HW page tables (IOMMU_HWPT_*): nest parents (stage 2), nested HWPTs (stage 1), invalidation. */
#ifndef NESTVM_IOMMU_HWPT_H
#define NESTVM_IOMMU_HWPT_H

#include <stdint.h>

/*
 * IOMMU_HWPT_ALLOC for DEV_ID on PT_ID (an IOAS, or a vIOMMU for a nested HWPT) with FLAGS and the
 * driver data (DATA_TYPE, DATA, LEN; 0/NULL/0 for none). The id in *OUT. WHAT names it in errors.
 */
int hwpt_alloc(int iommufd, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t data_type,
	       const void *data, uint32_t len, uint32_t *out, const char *what);
/*
 * The same with FAULT_ID, a FAULT object (iommu/fault_queue.h) that receives the HWPT's I/O page
 * faults when FLAGS has IOMMU_HWPT_FAULT_ID_VALID (the kernel refuses it on a NEST_PARENT).
 */
int hwpt_alloc_fault(int iommufd, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t fault_id,
		     uint32_t data_type, const void *data, uint32_t len, uint32_t *out, const char *what);
/*
 * IOMMU_HWPT_INVALIDATE of *NUM entries of ENTRY_LEN bytes on ID (a HWPT or vIOMMU). On return *NUM
 * is how many the kernel handled (all on success). -errno is not reported: the caller knows which
 * guest command failed.
 */
int hwpt_invalidate(int iommufd, uint32_t id, uint32_t data_type, const void *entries, uint32_t entry_len,
		    uint32_t *num);
/* IOMMU_GET_HW_INFO of DEV_ID into BUF (LEN bytes); the data type in *TYPE. */
int iommufd_hw_info(int iommufd, uint32_t dev_id, void *buf, uint32_t len, uint32_t *type);

#endif
