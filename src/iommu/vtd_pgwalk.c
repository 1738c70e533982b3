// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VT-d second-stage walker as a pgwalk_ops (pgwalk.h), so the software vIOMMU backend walks a
 * legacy-mode context entry's tables for emulated devices exactly as it walks SMMUv3 CDs. The
 * generic fault kind is for the core; the VT-d fault reason (Appendix A) rides along for FRCD.FR.
 */
#include <errno.h>

#include "iommu/pgwalk.h"
#include "iommu/vtd_sswalk.h"

static enum viommu_fault_kind kind(enum vtd_walk_fault f)
{
	switch (f) {
	case VTD_WALK_F_FETCH:
		return VIOMMU_F_WALK_EABT;
	case VTD_WALK_F_ROOT:
	case VTD_WALK_F_RESERVED:
		return VIOMMU_F_ADDR_SIZE;
	case VTD_WALK_F_READ:
	case VTD_WALK_F_WRITE:
	case VTD_WALK_F_USER:
	case VTD_WALK_F_EXEC:
	case VTD_WALK_F_SUPERVISOR:
	case VTD_WALK_F_EXEC_DISABLED:
		return VIOMMU_F_PERMISSION;
	default:
		return VIOMMU_F_TRANSLATION;
	}
}

static int ss_walk(const void *cfg, uint64_t iova, bool write, pgwalk_read_fn rd, void *opaque,
		   struct pgwalk_out *out, struct pgwalk_fault *fault)
{
	struct vtd_walk_result r;

	if (vtd_sswalk(cfg, iova, write ? VTD_ACC_WRITE : 0, rd, opaque, &r)) {
		*fault = (struct pgwalk_fault){
			.kind = kind(r.fault), .level = r.level, .fetch_addr = r.fetch_addr, .reason = r.reason,
		};
		return -EFAULT;
	}
	/* A leaf without R is never cached for reads: the IOTLB only keeps what it may hand out
	 * again, so a write-only leaf is walked each time (rare: Linux maps DMA_TO_DEVICE read-only,
	 * never write-only). */
	*out = (struct pgwalk_out){ .pa = r.pa, .block_shift = r.readable ? r.block_shift : 0, .writable = r.writable };
	return 0;
}

/* IOVAs are plain addresses: no tag bits to strip. */
static uint64_t ss_tlb_addr(const void *cfg, uint64_t iova)
{
	(void)cfg;
	return iova;
}

const struct pgwalk_ops vtd_ss_pgwalk = {
	.name = "vtd-second-stage",
	.walk = ss_walk,
	.tlb_addr = ss_tlb_addr,
};
