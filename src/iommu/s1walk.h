/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AArch64 VMSAv8-64 stage-1 translation table walker for DMA (ARM DDI 0487 D8 "The AArch64
 * Virtual Memory System Architecture"), as an SMMUv3 performs it for a CD (IHI 0070 3.4, 5.4).
 * Every descriptor is read through a callback, so the walker works on guest RAM (gmem) and can be
 * fed arbitrary tables: the number of levels is bounded by the granule, never by the tables.
 */
#ifndef NESTVM_S1WALK_H
#define NESTVM_S1WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/pgwalk.h"

/* One translation table (TTB0 or TTB1) of a context descriptor. */
struct s1walk_tt {
	uint64_t ttb;               /* table base, as in CD.TTBx[51:4] */
	uint8_t tsz;                /* TxSZ: input range is 2^(64 - tsz) bytes */
	uint8_t granule_shift;      /* 12, 14 or 16 */
	bool disabled;              /* EPDx: walks through this table fault */
	bool had;                   /* HADx: hierarchical APTable bits ignored */
};

struct s1walk_cfg {
	struct s1walk_tt tt[2];
	uint8_t oas_bits;           /* effective output size: min(CD.IPS, SMMU_IDR5.OAS), <= 48 */
	bool tbi[2];                /* top byte ignored for the TTB0 / TTB1 half */
	bool affd;                  /* CD.AFFD: AF == 0 does not fault */
	bool priv;                  /* transactions are privileged (STE.PRIVCFG) */
	bool pan;                   /* CD.PAN: privileged access to unprivileged-accessible pages faults */
	uint16_t asid;
};

struct s1walk_result {
	enum viommu_fault_kind fault;       /* VIOMMU_F_NONE on success */
	int level;                  /* level of the leaf, or where the fault happened */
	uint64_t pa;                /* output address of the input address (S1_OK) */
	uint8_t block_shift;        /* the leaf maps 2^block_shift bytes around the input address */
	bool writable;              /* the leaf also allows writes (for caching a read translation) */
	uint64_t fetch_addr;        /* S1_F_WALK_EABT: descriptor address that failed */
};

typedef pgwalk_read_fn s1walk_read_fn;

/* Translates IOVA for a data read or write. Returns 0 on success, -EFAULT with RES->fault set. */
int s1walk(const struct s1walk_cfg *cfg, uint64_t iova, bool write, s1walk_read_fn rd, void *opaque,
	   struct s1walk_result *res);
/* The walker interface (pgwalk.h) over s1walk: CFG is a struct s1walk_cfg. */
extern const struct pgwalk_ops s1walk_ops;

/* VA with bits [63:56] replaced by copies of VA[55], the half selector (DDI 0487 D8.2.4, D8.8). */
static inline uint64_t s1walk_va_untag(uint64_t va)
{
	return (va & ((1ull << 56) - 1)) | ((va >> 55) & 1 ? 0xffull << 56 : 0);
}

/*
 * The address a TLB entry for IOVA is tagged with. With TBI for IOVA's half (CD.TBI0/TBI1, IHI 0070
 * 5.4) the top byte takes no part in translation nor in TLB matching (DDI 0487 D8.8 "Address
 * tagging"): every tag of one address must share an entry, so TLBI of any of them removes it.
 * Without TBI the address is used whole: a tagged one is outside both ranges and faults.
 */
static inline uint64_t s1walk_tlb_va(const struct s1walk_cfg *cfg, uint64_t iova)
{
	return cfg->tbi[(iova >> 55) & 1] ? s1walk_va_untag(iova) : iova;
}

/* TGx field to a granule shift (0 when reserved); TG0 and TG1 encode sizes differently (IHI 0070 5.4). */
uint8_t s1walk_tg0_shift(unsigned int tg0);
uint8_t s1walk_tg1_shift(unsigned int tg1);
/* CD.IPS / SMMU_IDR5.OAS encoding to bits (IHI 0070 6.3.6): 32, 36, 40, 42, 44, 48, 52. */
uint8_t s1walk_ps_bits(unsigned int ps);

#endif
