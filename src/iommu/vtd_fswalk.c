// SPDX-License-Identifier: GPL-2.0-only
/* VT-d first-stage (x86 IA-32e 4/5-level) table walk for DMA (see vtd_fswalk.h). */
#include "iommu/vtd_fswalk.h"

#include <string.h>

/* First-stage paging entry bits, VT-d rev 4+ 9.9 (the IA-32e layout, SDM Vol. 3A 4.5). */
#define FS_P            (1ull << 0)
#define FS_RW           (1ull << 1)     /* 0: no writes below (supervisor writes only with WPE=1) */
#define FS_US           (1ull << 2)     /* 0: no user requests below */
#define FS_A            (1ull << 5)
#define FS_D            (1ull << 6)     /* leaves only */
#define FS_PS           (1ull << 7)     /* FS-PDPE / FS-PDE: leaf; FS-PML5E / FS-PML4E: reserved */
#define FS_EA           (1ull << 10)    /* extended accessed, set by hardware when EAFE=1 */
#define FS_XD           (1ull << 63)    /* execute disable: only instruction fetches care */

/*
 * Reserved bits of a present entry (9.9 tables): the address bits at or above the address width
 * at every level, PS in FS-PML5E/FS-PML4E, and the bits between PAT (bit 12) and the page frame
 * of a 1 GiB / 2 MiB leaf. PS=1 in an FS-PDPE is itself reserved without CAP.FS1GP. Bits 62:52
 * and 11:8 are ignored; XD is never reserved here: VT-d has no EFER.NXE, it only matters to
 * instruction fetches.
 */
static uint64_t reserved(const struct vtd_fswalk_cfg *cfg, uint64_t e, int level)
{
	uint64_t rsv = cfg->oaw_bits < 52 ? VTD_BITS(51, cfg->oaw_bits) : 0;

	if (level >= 4)
		rsv |= FS_PS;
	else if (level == 3 && (e & FS_PS))
		rsv |= cfg->page_1g ? VTD_BITS(29, 13) : FS_PS;
	else if (level == 2 && (e & FS_PS))
		rsv |= VTD_BITS(20, 13);
	return rsv;
}

int vtd_fswalk(const struct vtd_fswalk_cfg *cfg, uint64_t iova, unsigned int acc, vtd_walk_read_fn rd,
	       void *opaque, struct vtd_walk_result *res)
{
	bool write = acc & VTD_ACC_WRITE, priv = acc & VTD_ACC_PRIV, exec = acc & VTD_ACC_EXEC;
	bool rw_all = true, us_all = true, xd_any = false;
	unsigned int top = cfg->levels, in_bits = 12 + 9 * top, shift;
	uint64_t table, addr_mask, e = 0;
	int level;

	memset(res, 0, sizeof(*res));
	/* FSPM values other than 4-/5-level are a PASID entry programming error (9.6, SPT.4). */
	if ((top != 4 && top != 5) || cfg->oaw_bits < 32 || cfg->oaw_bits > 52)
		return vtd_walk_fail(res, VTD_WALK_F_CONFIG, VTD_FR_SM_PASID_INVALID, 0);
	/* Request checks against the PASID entry come before the walk (3.6.2; Appendix A SPT.5/.6). */
	if (priv && !cfg->sre)
		return vtd_walk_fail(res, VTD_WALK_F_SUPERVISOR, VTD_FR_SM_SRE_CLEAR, 0);
	if (exec && !cfg->ere)
		return vtd_walk_fail(res, VTD_WALK_F_EXEC_DISABLED, VTD_FR_SM_ERE_CLEAR, 0);
	/* Bits 63:47 (4-level) or 63:56 (5-level) must be copies of the top input bit (3.6.1). */
	if ((uint64_t)((int64_t)(iova << (64 - in_bits)) >> (64 - in_bits)) != iova)
		return vtd_walk_fail(res, VTD_WALK_F_ADDR, VTD_FR_SGN_CANONICAL, 0);
	addr_mask = VTD_BITS(cfg->oaw_bits - 1, 12);
	table = cfg->fsptptr & ~0xfffull;
	if (table & ~addr_mask)
		return vtd_walk_fail(res, VTD_WALK_F_ROOT, VTD_FR_SFS_ROOT, (int)top);

	for (level = (int)top;; level--) {
		uint64_t addr = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;
		bool leaf;

		res->entry_addr[level] = res->fetch_addr = addr;
		res->reads++;
		if (rd(opaque, addr, &e))
			return vtd_walk_fail(res, VTD_WALK_F_FETCH,
					     level == (int)top ? VTD_FR_SFS_ROOT : VTD_FR_SFS_ACCESS, level);
		if (!(e & FS_P))
			return vtd_walk_fail(res, VTD_WALK_F_NOT_PRESENT, VTD_FR_SFS_NOT_PRESENT, level);
		if (e & reserved(cfg, e, level))
			return vtd_walk_fail(res, VTD_WALK_F_RESERVED, VTD_FR_SFS_RSVD, level);
		/* Access rights are the combination over every entry of the path (3.6.2). */
		rw_all &= !!(e & FS_RW);
		us_all &= !!(e & FS_US);
		xd_any |= !!(e & FS_XD);
		if (!(e & FS_A) || (cfg->eafe && !(e & FS_EA)))
			res->ad_levels |= (uint8_t)(1u << level);
		leaf = level == 1 || (level <= 3 && (e & FS_PS));
		if (leaf)
			break;
		table = e & addr_mask;
	}
	res->level = level;

	/*
	 * 3.6.2 "Access Rights": user requests need U/S=1 everywhere and, to write, R/W=1
	 * everywhere; supervisor requests may read anything and write anything unless WPE=1, which
	 * makes them honour R/W. Instruction fetches need XD=0 everywhere; supervisor fetches from
	 * user pages are refused (the SMEP rule of the spec).
	 */
	if (!priv && !us_all)
		return vtd_walk_fail(res, VTD_WALK_F_USER, VTD_FR_SGN_USER, level);
	res->executable = cfg->ere && !xd_any && (priv ? !us_all : us_all);
	if (exec && !res->executable)
		return vtd_walk_fail(res, VTD_WALK_F_EXEC, VTD_FR_SGN_EXEC, level);
	res->readable = true;
	res->writable = rw_all || (priv && !cfg->wpe);
	if (write && !res->writable)
		return vtd_walk_fail(res, VTD_WALK_F_WRITE, VTD_FR_SGN_WRITE, level);
	res->set_dirty = write && !(e & FS_D);
	shift = 12 + 9 * (unsigned int)(level - 1);
	res->block_shift = (uint8_t)shift;
	res->pa = (e & addr_mask & ~((1ull << shift) - 1)) | (iova & ((1ull << shift) - 1));
	return 0;
}
