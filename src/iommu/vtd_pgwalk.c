// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VT-d walkers as pgwalk_ops (pgwalk.h), so the software vIOMMU backend walks a legacy
 * context entry's or a scalable-mode PASID entry's tables for emulated devices exactly as it walks
 * SMMUv3 CDs. The generic fault kind is for the core; the VT-d fault reason (Appendix A) rides
 * along for FRCD.FR.
 */
#include <errno.h>

#include "iommu/pgwalk.h"
#include "iommu/vtd_fswalk.h"
#include "iommu/vtd_sswalk.h"
#include "vmm/guest_mem.h"

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

/* How much of the input space the entry that failed covers (VT-d levels: 1 = 4 KiB .. 5 = 256 TiB). */
static uint8_t hole(const struct vtd_walk_result *r)
{
	if (r->fault == VTD_WALK_F_CONFIG || r->fault == VTD_WALK_F_ROOT)
		return 64;
	if (r->level < 1 || r->level > 5)
		return 0;
	return (uint8_t)(12 + 9 * (r->level - 1));
}

static int ss_walk(const void *cfg, uint64_t iova, bool write, pgwalk_read_fn rd, void *opaque,
		   struct pgwalk_out *out, struct pgwalk_fault *fault)
{
	struct vtd_walk_result r;

	if (vtd_sswalk(cfg, iova, write ? VTD_ACC_WRITE : 0, rd, opaque, &r)) {
		*fault = (struct pgwalk_fault){
			.kind = kind(r.fault), .level = r.level, .fetch_addr = r.fetch_addr, .reason = r.reason,
			.hole_shift = hole(&r),
		};
		return -EFAULT;
	}
	/* A leaf without R is never cached for reads: the IOTLB only keeps what it may hand out
	 * again, so a write-only leaf is walked each time (rare: Linux maps DMA_TO_DEVICE read-only,
	 * never write-only). */
	*out = (struct pgwalk_out){ .pa = r.pa, .block_shift = r.readable ? r.block_shift : 0, .writable = r.writable };
	return 0;
}

/* IOVAs are plain addresses: no tag bits to strip (first stage: canonical form is checked by the walk). */
static uint64_t ss_tlb_addr(const void *cfg, uint64_t iova)
{
	(void)cfg;
	return iova;
}

/* 2^min(AGAW, MGAW): the addresses the second-stage walk accepts (3.7.1). */
static uint64_t ss_ia_end(const void *cfg)
{
	const struct vtd_sswalk_cfg *c = cfg;
	unsigned int bits = 12 + 9 * (unsigned int)c->levels;

	if (c->mgaw_bits < bits)
		bits = c->mgaw_bits;
	return bits >= 64 ? UINT64_MAX : 1ull << bits;
}

const struct pgwalk_ops vtd_ss_pgwalk = {
	.name = "vtd-second-stage",
	.walk = ss_walk,
	.tlb_addr = ss_tlb_addr,
	.ia_end = ss_ia_end,
};

#define FS_A    (1ull << 5)
#define FS_D    (1ull << 6)
#define FS_EA   (1ull << 10)

/* Sets BITS in the 64-bit entry at PA, atomically as hardware does (a locked OR: the guest may
 * update the entry meanwhile, and must find its own change and ours both there). */
static void set_bits(const struct guest_mem *mem, uint64_t pa, uint64_t bits)
{
	uint64_t *p = (pa & 7) ? NULL : gmem_ptr(mem, pa, 8);

	if (p)  /* it was just read from there: always RAM */
		__atomic_fetch_or(p, bits, __ATOMIC_SEQ_CST);
}

/*
 * Requests without PASID are user requests (3.6.2: PR=0) and data reads/writes. A/D (3.6.3):
 * every entry used gets A (and EA with EAFE), the leaf of a write D, before the translation is
 * handed out. A read's translation is cached read-only, so a later write walks again and sets D.
 */
static int fs_walk(const void *cfg, uint64_t iova, bool write, pgwalk_read_fn rd, void *opaque,
		   struct pgwalk_out *out, struct pgwalk_fault *fault)
{
	const struct vtd_fs_pgwalk_cfg *c = cfg;
	struct vtd_walk_result r;

	if (vtd_fswalk(&c->fs, iova, write ? VTD_ACC_WRITE : 0, rd, opaque, &r)) {
		*fault = (struct pgwalk_fault){
			.kind = kind(r.fault), .level = r.level, .fetch_addr = r.fetch_addr, .reason = r.reason,
			.hole_shift = hole(&r),
		};
		return -EFAULT;
	}
	for (int level = 1; level <= 5; level++)
		if (r.ad_levels & (1u << level))
			set_bits(c->mem, r.entry_addr[level], FS_A | (c->fs.eafe ? FS_EA : 0));
	if (r.set_dirty)
		set_bits(c->mem, r.entry_addr[r.level], FS_D);
	*out = (struct pgwalk_out){ .pa = r.pa, .block_shift = r.block_shift, .writable = write && r.writable };
	return 0;
}

/* The lower canonical half: DMA addresses are never sign-extended kernel addresses. */
static uint64_t fs_ia_end(const void *cfg)
{
	const struct vtd_fs_pgwalk_cfg *c = cfg;

	return 1ull << (12 + 9 * (unsigned int)c->fs.levels - 1);
}

const struct pgwalk_ops vtd_fs_pgwalk = {
	.name = "vtd-first-stage",
	.walk = fs_walk,
	.tlb_addr = ss_tlb_addr,
	.ia_end = fs_ia_end,
};
