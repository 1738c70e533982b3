/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Intel VT-d first-stage translation (VT-d rev 4+ 3.6 "First-Stage Translation", 9.9 "First-Stage
 * Paging Entries"): x86 IA-32e 4-level and 5-level paging as a scalable-mode PASID entry
 * (FSPTPTR, FSPM, SRE, WPE, EAFE, ERE) or a nested IOMMU_HWPT_DATA_VTD_S1 HWPT (struct
 * iommu_hwpt_vtd_s1: pgtbl_addr, addr_width, IOMMU_VTD_S1_SRE/EAFE/WPE) describes it. Pure logic:
 * every entry is read through a callback, nothing is written (see vtd_walk.h for A/D).
 */
#ifndef NESTVM_VTD_FSWALK_H
#define NESTVM_VTD_FSWALK_H

#include "iommu/vtd_walk.h"

struct vtd_fswalk_cfg {
	uint64_t fsptptr;           /* FS-PML5/PML4 table base: PASID entry FSPTPTR / pgtbl_addr, bits 11:0 ignored */
	uint8_t levels;             /* 4 or 5: PASID entry FSPM 0 / 1; iommu_hwpt_vtd_s1.addr_width 48 / 57 */
	uint8_t oaw_bits;           /* address width of table and page addresses (MGAW/HAW), 32..52:
	                             * entry address bits [51:oaw_bits] are reserved (9.9) */
	bool sre;                   /* SRE / IOMMU_VTD_S1_SRE: supervisor requests allowed */
	bool wpe;                   /* WPE / IOMMU_VTD_S1_WPE: supervisor writes need R/W=1 (like CR0.WP) */
	bool eafe;                  /* EAFE / IOMMU_VTD_S1_EAFE: the walk also sets EA (bit 10) with A */
	bool ere;                   /* ERE: execute requests allowed */
	bool page_1g;               /* CAP.FS1GP: PS=1 in an FS-PDPE maps 1 GiB (else it is reserved) */
};

/*
 * Translates IOVA for a request with VTD_ACC_* flags ACC. Returns 0 with RES describing the leaf,
 * or -EFAULT with RES->fault, ->reason and ->level set. Reads at most cfg->levels entries.
 */
int vtd_fswalk(const struct vtd_fswalk_cfg *cfg, uint64_t iova, unsigned int acc, vtd_walk_read_fn rd,
	       void *opaque, struct vtd_walk_result *res);

/*
 * The walker as the software vIOMMU core's pgwalk_ops (vtd_pgwalk.c). Hardware sets A (and EA)
 * in the entries it uses and D in the leaf it writes through (3.6.3): the adapter does that in
 * guest RAM (MEM), atomically, so it needs it beside the walk config.
 */
struct guest_mem;
struct vtd_fs_pgwalk_cfg {
	struct vtd_fswalk_cfg fs;
	const struct guest_mem *mem;
};
struct pgwalk_ops;
extern const struct pgwalk_ops vtd_fs_pgwalk;

#endif
