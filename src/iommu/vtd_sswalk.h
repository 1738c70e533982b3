/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Intel VT-d second-stage translation (VT-d rev 4+ 3.7 "Second-Stage Translation", 9.8
 * "Second-Stage Paging Entries"), as a legacy context entry (SLPTPTR, AW) or a scalable-mode
 * PASID entry (SSPTPTR, AW) describes it: 3-, 4- or 5-level tables of entries with R (bit 0) and
 * W (bit 1) and no P bit (R=W=0 is not present), 2 MiB / 1 GiB superpages where CAP.SLLPS allows.
 * Pure logic: every entry is read through a callback; A/D bits are not used (no SSADS).
 */
#ifndef NESTVM_VTD_SSWALK_H
#define NESTVM_VTD_SSWALK_H

#include "iommu/vtd_walk.h"

struct vtd_sswalk_cfg {
	uint64_t ssptptr;           /* top-level table base: SLPTPTR / SSPTPTR, bits 11:0 ignored */
	uint8_t levels;             /* 3, 4 or 5: context/PASID entry AW 1 / 2 / 3 (39/48/57-bit AGAW),
	                             * one of the CAP.SAGAW bits the front-end offers */
	uint8_t mgaw_bits;          /* CAP.MGAW + 1: input addresses at or above 2^min(MGAW, AGAW) fault */
	uint8_t oaw_bits;           /* HAW, 32..52: entry address bits [51:oaw_bits] are reserved */
	bool scalable;              /* report scalable-mode fault reasons (0x78..) instead of legacy (0x04..) */
	bool page_2m;               /* CAP.SLLPS bit 0: PS=1 in an SS-PDE maps 2 MiB (else reserved) */
	bool page_1g;               /* CAP.SLLPS bit 1: PS=1 in an SS-PDPE maps 1 GiB (else reserved) */
	bool snoop;                 /* leaf bit 11 (SNP) allowed: scalable mode or ECAP.SC=1 (else reserved) */
};

/*
 * Translates IOVA for a read or write (VTD_ACC_WRITE; other flags are ignored). Returns 0 with RES
 * describing the leaf, or -EFAULT with RES->fault, ->reason and ->level set. Reads at most
 * cfg->levels entries.
 */
int vtd_sswalk(const struct vtd_sswalk_cfg *cfg, uint64_t iova, unsigned int acc, vtd_walk_read_fn rd,
	       void *opaque, struct vtd_walk_result *res);

/* The walker as the software vIOMMU core's pgwalk_ops (vtd_pgwalk.c): CFG is a struct vtd_sswalk_cfg,
 * faults carry their FRCD.FR code in pgwalk_fault.reason. */
struct pgwalk_ops;
extern const struct pgwalk_ops vtd_ss_pgwalk;

#endif
