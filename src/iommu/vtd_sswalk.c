// SPDX-License-Identifier: GPL-2.0-only
/* VT-d second-stage table walk for DMA (see vtd_sswalk.h). */
#include "iommu/vtd_sswalk.h"

#include <string.h>

/* Second-stage paging entry bits, VT-d rev 4+ 9.8. */
#define SS_R            (1ull << 0)
#define SS_W            (1ull << 1)
#define SS_PS           (1ull << 7)     /* SS-PDPE / SS-PDE: leaf; SS-PML5E / SS-PML4E: reserved */
#define SS_SNP          (1ull << 11)    /* snoop: leaves only, with snoop control */
#define SS_TM           (1ull << 62)    /* transient mapping: reserved in rev 4+ */

/*
 * Reserved bits of a present entry (9.8 tables): address bits at or above HAW and TM (bit 62) at
 * every level; SNP in non-leaf entries and, without snoop control, in leaves; PS in
 * SS-PML5E/SS-PML4E; the bits below the frame of a 1 GiB / 2 MiB leaf, and PS=1 itself where
 * CAP.SLLPS has no such superpage. Bits 10:2 other than PS (X, EMT, IPAT, A, D: no SSEE/SSADS
 * here), 61:52 and 63 are ignored.
 */
static uint64_t reserved(const struct vtd_sswalk_cfg *cfg, uint64_t e, int level, bool leaf)
{
	uint64_t rsv = (cfg->oaw_bits < 52 ? VTD_BITS(51, cfg->oaw_bits) : 0) | SS_TM;

	if (!leaf || !cfg->snoop)
		rsv |= SS_SNP;
	if (level >= 4)
		rsv |= SS_PS;
	else if (level == 3 && (e & SS_PS))
		rsv |= cfg->page_1g ? VTD_BITS(29, 12) : SS_PS;
	else if (level == 2 && (e & SS_PS))
		rsv |= cfg->page_2m ? VTD_BITS(20, 12) : SS_PS;
	return rsv;
}

int vtd_sswalk(const struct vtd_sswalk_cfg *cfg, uint64_t iova, unsigned int acc, vtd_walk_read_fn rd,
	       void *opaque, struct vtd_walk_result *res)
{
	bool write = acc & VTD_ACC_WRITE, sm = cfg->scalable, r_all = true, w_all = true;
	unsigned int top = cfg->levels, in_bits, shift;
	uint64_t table, addr_mask, e = 0;
	int level;

	memset(res, 0, sizeof(*res));
	/* AW values outside SAGAW are a context / PASID entry programming error (Appendix A). */
	if (top < 3 || top > 5 || cfg->oaw_bits < 32 || cfg->oaw_bits > 52 || cfg->mgaw_bits < 32)
		return vtd_walk_fail(res, VTD_WALK_F_CONFIG, sm ? VTD_FR_SM_PASID_INVALID : VTD_FR_CTX_INVALID, 0);
	/* Input bits at or above the AGAW (and MGAW) must be 0 (3.7.1). */
	in_bits = 12 + 9 * top;
	if (cfg->mgaw_bits < in_bits)
		in_bits = cfg->mgaw_bits;
	if (iova >> in_bits)
		return vtd_walk_fail(res, VTD_WALK_F_ADDR, sm ? VTD_FR_SGN_BEYOND_AW : VTD_FR_ADDR_BEYOND_MGAW, 0);
	addr_mask = VTD_BITS(cfg->oaw_bits - 1, 12);
	table = cfg->ssptptr & ~0xfffull;
	if (table & ~addr_mask)
		return vtd_walk_fail(res, VTD_WALK_F_ROOT, sm ? VTD_FR_SSS_ROOT : VTD_FR_CTX_RSVD, (int)top);

	for (level = (int)top;; level--) {
		uint64_t addr = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;
		bool leaf;

		res->fetch_addr = addr;
		res->reads++;
		if (rd(opaque, addr, &e))
			return vtd_walk_fail(res, VTD_WALK_F_FETCH, sm ? VTD_FR_SSS_ACCESS : VTD_FR_PT_ACCESS, level);
		/* No P bit: R=W=0 is not present (3.7.1); legacy mode reports it as the access's
		 * permission fault (Appendix A, 0x05 / 0x06). */
		if (!(e & (SS_R | SS_W)))
			return vtd_walk_fail(res, VTD_WALK_F_NOT_PRESENT,
					     sm ? VTD_FR_SSS_NOT_PRESENT : write ? VTD_FR_WRITE : VTD_FR_READ, level);
		leaf = level == 1 || (level <= 3 && (e & SS_PS));
		if (e & reserved(cfg, e, level, leaf))
			return vtd_walk_fail(res, VTD_WALK_F_RESERVED, sm ? VTD_FR_SSS_RSVD : VTD_FR_PT_RSVD, level);
		/* Access rights are the AND of R and of W over the path (3.7.2). */
		r_all &= !!(e & SS_R);
		w_all &= !!(e & SS_W);
		if (leaf)
			break;
		table = e & addr_mask;
	}
	res->level = level;
	res->readable = r_all;
	res->writable = w_all;
	if (write && !w_all)
		return vtd_walk_fail(res, VTD_WALK_F_WRITE, sm ? VTD_FR_SGN_WRITE : VTD_FR_WRITE, level);
	if (!write && !r_all)
		return vtd_walk_fail(res, VTD_WALK_F_READ, sm ? VTD_FR_SGN_READ : VTD_FR_READ, level);
	shift = 12 + 9 * (unsigned int)(level - 1);
	res->block_shift = (uint8_t)shift;
	res->pa = (e & addr_mask & ~((1ull << shift) - 1)) | (iova & ((1ull << shift) - 1));
	return 0;
}
