/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the two Intel VT-d page-table walkers share (VT-d spec rev 4+/5): the entry-read callback,
 * access flags, the result and fault kinds, and the fault reason codes (FRCD.FR) a fault maps to.
 * The walkers themselves are vtd_fswalk.h (first stage, x86 IA-32e 4/5-level, VT-d 3.6, 9.9) and
 * vtd_sswalk.h (second stage, VT-d 3.7, 9.8).
 *
 * Levels are numbered as VT-d numbers them: 1 = PTE (4 KiB), 2 = PDE, 3 = PDPE, 4 = PML4E,
 * 5 = PML5E; level 0 means "before any entry was read". A walk reads at most one entry per level,
 * so it is bounded by the level count, never by the tables: a table pointing at itself just
 * ends in a leaf, a fault or a reserved-bit fault within `levels` reads.
 */
#ifndef NESTVM_VTD_WALK_H
#define NESTVM_VTD_WALK_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* Reads the 64-bit little-endian entry at PA; nonzero when PA is not readable memory. */
typedef int (*vtd_walk_read_fn)(void *opaque, uint64_t pa, uint64_t *entry);

/* Request attributes (VT-d 3.6.2: requests-with-PASID carry PR and ER; DMA reads are data reads). */
#define VTD_ACC_WRITE   (1u << 0)   /* write (or AtomicOp) request; otherwise a read */
#define VTD_ACC_PRIV    (1u << 1)   /* PR=1: supervisor request (first stage only) */
#define VTD_ACC_EXEC    (1u << 2)   /* ER=1: instruction fetch, a read (first stage only) */

enum vtd_walk_fault {
	VTD_WALK_OK = 0,
	VTD_WALK_F_CONFIG,          /* walk configuration invalid (level count, address width) */
	VTD_WALK_F_ADDR,            /* input address: not canonical (FS) or beyond the AGAW/MGAW (SS) */
	VTD_WALK_F_ROOT,            /* table pointer of the PASID/context entry beyond the address width */
	VTD_WALK_F_FETCH,           /* an entry read failed (not guest RAM); fetch_addr says which */
	VTD_WALK_F_NOT_PRESENT,     /* FS: P=0; SS: R=W=0 */
	VTD_WALK_F_RESERVED,        /* a reserved bit is set in a present entry */
	VTD_WALK_F_SUPERVISOR,      /* supervisor request with SRE=0 */
	VTD_WALK_F_EXEC_DISABLED,   /* execute request with ERE=0 */
	VTD_WALK_F_USER,            /* user request through an entry with U/S=0 */
	VTD_WALK_F_READ,            /* SS: read through an entry with R=0 */
	VTD_WALK_F_WRITE,           /* write without write permission */
	VTD_WALK_F_EXEC,            /* execute request without execute permission */
};

/*
 * Fault reasons, VT-d rev 4+ Appendix A "Non-Recoverable Fault Reason Encodings".
 * Legacy mode (second stage only, from a legacy context entry):
 */
#define VTD_FR_CTX_INVALID      0x03    /* invalid programming of a context entry (AW) */
#define VTD_FR_ADDR_BEYOND_MGAW 0x04    /* input address above 2^AGAW - 1 */
#define VTD_FR_WRITE            0x05    /* write to an entry without W (incl. R=W=0) */
#define VTD_FR_READ             0x06    /* read through an entry without R (incl. R=W=0) */
#define VTD_FR_PT_ACCESS        0x07    /* error accessing a second-level paging entry */
#define VTD_FR_CTX_RSVD         0x0b    /* reserved field in the context entry (SLPTPTR) */
#define VTD_FR_PT_RSVD          0x0c    /* reserved field in a second-level paging entry */
/* Scalable mode: */
#define VTD_FR_SM_PASID_INVALID 0x5b    /* SPT.4: invalid scalable-mode PASID entry (FSPM/AW) */
#define VTD_FR_SM_ERE_CLEAR     0x5c    /* SPT.5: execute request, PASID entry ERE=0 */
#define VTD_FR_SM_SRE_CLEAR     0x5d    /* SPT.6: supervisor request, PASID entry SRE=0 */
#define VTD_FR_SFS_ACCESS       0x70    /* SFS.1: error accessing a first-stage paging entry */
#define VTD_FR_SFS_NOT_PRESENT  0x71    /* SFS.2: P=0 in a first-stage paging entry */
#define VTD_FR_SFS_RSVD         0x72    /* SFS.3: reserved field in a first-stage paging entry */
#define VTD_FR_SFS_ROOT         0x73    /* SFS.4: error accessing the FS-PML5E/PML4E (FSPTPTR) */
#define VTD_FR_SSS_ACCESS       0x78    /* SSS.1: error accessing a second-stage paging entry */
#define VTD_FR_SSS_NOT_PRESENT  0x79    /* SSS.2: R=W=0 in a second-stage paging entry */
#define VTD_FR_SSS_RSVD         0x7a    /* SSS.3: reserved field in a second-stage paging entry */
#define VTD_FR_SSS_ROOT         0x7b    /* SSS.4: invalid second-stage table pointer (SSPTPTR) */
#define VTD_FR_SGN_CANONICAL    0x80    /* SGN.1: first-stage input address not canonical */
#define VTD_FR_SGN_USER         0x81    /* SGN.2: user request, U/S=0 on the path */
#define VTD_FR_SGN_EXEC         0x82    /* SGN.3: execute request without execute permission */
#define VTD_FR_SGN_BEYOND_AW    0x83    /* SGN.4: input address beyond the second-stage AGAW */
#define VTD_FR_SGN_WRITE        0x85    /* SGN.6: write request without write permission */
#define VTD_FR_SGN_READ         0x86    /* SGN.7: read request without read permission */

struct vtd_walk_result {
	enum vtd_walk_fault fault;
	uint8_t reason;             /* VTD_FR_* for FRCD.FR when fault != VTD_WALK_OK */
	int level;                  /* level of the leaf, or where the fault happened (0: before any read) */
	uint64_t pa;                /* output address of the input address (VTD_WALK_OK) */
	uint8_t block_shift;        /* the leaf maps 2^block_shift bytes: 12, 21 or 30 */
	bool readable;              /* the leaf allows reads at this privilege (caching a write translation) */
	bool writable;              /* the leaf allows writes at this privilege (caching a read translation) */
	bool executable;            /* FS: the leaf allows instruction fetches at this privilege */
	uint64_t fetch_addr;        /* address of the last entry read (VTD_WALK_F_FETCH: the one that failed) */
	unsigned int reads;         /* entries read: never more than the level count */
	/*
	 * FS A/D (VT-d 3.6.3 / 9.9): hardware sets A in every entry it uses (and EA, bit 10, when
	 * EAFE=1) and D in the leaf of a write. The walker never writes guest memory: bit L of
	 * ad_levels says the entry at level L (address entry_addr[L]) lacks A (or EA), set_dirty that
	 * the leaf lacks D on a write. The front-end decides to set them (atomically) or to refuse.
	 * `writable` ignores D: a shadow mapping made writable must set D first, since the device's
	 * later writes through it are never walked.
	 */
	uint8_t ad_levels;
	bool set_dirty;
	uint64_t entry_addr[6];     /* FS: entry read at each level, index = level */
};

/* Bits HI..LO of an entry, for the walkers' reserved-bit masks. */
#define VTD_BITS(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* Records a fault in RES; returns -EFAULT for the walker to return. */
static inline int vtd_walk_fail(struct vtd_walk_result *res, enum vtd_walk_fault f, uint8_t reason, int level)
{
	res->fault = f;
	res->reason = reason;
	res->level = level;
	return -EFAULT;
}

#endif
