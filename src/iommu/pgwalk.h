/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The page-table walker interface of the software vIOMMU core: a backend that walks the guest's
 * tables itself (viommu_soft.c) does it through the walker the front-end put in the stream's config,
 * never through one format's code. The AArch64 VMSA stage-1 walker (s1walk.c, SMMUv3 CDs) implements
 * it, and so does the VT-d second-stage walker (vtd_pgwalk.c). Faults come out in one kind every front-end maps
 * to its own code (SMMUv3: IHI 0070 7.3 F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION, F_WALK_EABT).
 */
#ifndef NESTVM_PGWALK_H
#define NESTVM_PGWALK_H

#include <stdbool.h>
#include <stdint.h>

/* What kind of fault a translation hit, in no format's terms. */
enum viommu_fault_kind {
	VIOMMU_F_NONE = 0,
	VIOMMU_F_TRANSLATION,       /* no valid mapping at some level, or the input is outside every range */
	VIOMMU_F_ADDR_SIZE,         /* a table or output address beyond the configured output size */
	VIOMMU_F_ACCESS,            /* access flag clear (and not managed by the IOMMU) */
	VIOMMU_F_PERMISSION,        /* the mapping forbids the access */
	VIOMMU_F_WALK_EABT,         /* a table read failed (not guest RAM) */
};

/* Reads the 64-bit little-endian descriptor at PA; nonzero when PA is not readable memory. */
typedef int (*pgwalk_read_fn)(void *opaque, uint64_t pa, uint64_t *desc);

struct pgwalk_out {
	uint64_t pa;                /* output address of the input address */
	uint8_t block_shift;        /* the leaf maps 2^block_shift bytes around the input address */
	bool writable;              /* the leaf also allows writes (for caching a read translation) */
};

struct pgwalk_fault {
	enum viommu_fault_kind kind;
	int level;                  /* where it happened */
	uint64_t fetch_addr;        /* VIOMMU_F_WALK_EABT: the descriptor address that failed */
	uint8_t reason;             /* the format's own fault code when KIND is too coarse for it
				     * (VT-d: FRCD.FR, Appendix A); 0 when the format has none */
	/* The fault holds for every address of the 2^hole_shift-aligned block around the input (the
	 * entry that failed maps that much): a range walk (the shadow backend) skips it. 0: only
	 * the input's 4 KiB page is known; 64: every input address (an unusable config). */
	uint8_t hole_shift;
};

struct pgwalk_ops {
	const char *name;
	/*
	 * Translates IOVA for a read or WRITE through the tables CFG (the walker's own config type),
	 * every descriptor read through RD. 0 with OUT, or -EFAULT with FAULT. Bounded by the format,
	 * never by the tables.
	 */
	int (*walk)(const void *cfg, uint64_t iova, bool write, pgwalk_read_fn rd, void *opaque, struct pgwalk_out *out,
		    struct pgwalk_fault *fault);
	/* The address an IOTLB entry for IOVA is keyed on (AArch64: untagged with TBI). */
	uint64_t (*tlb_addr)(const void *cfg, uint64_t iova);
	/* Optional: the end (exclusive) of the input addresses CFG can translate, for range walks
	 * (the shadow backend sweeps [0, ia_end) on a domain-wide invalidation); NULL: 2^48. */
	uint64_t (*ia_end)(const void *cfg);
};

#endif
