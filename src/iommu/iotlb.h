/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small IOTLB for the software translation path: leaf translations cached per 4 KiB input page,
 * tagged by (StreamID, ASID), each remembering the extent of its leaf so that an invalidation of any
 * address inside a block removes every page cached from it (IHI 0070 3.17: TLB invalidation must
 * remove all entries the range overlaps; removing more is always allowed).
 */
#ifndef NESTVM_IOTLB_H
#define NESTVM_IOTLB_H

#include <stdbool.h>
#include <stdint.h>

#define IOTLB_WAYS 4
#define IOTLB_SETS 64               /* a power of two */
#define IOTLB_ENTRIES (IOTLB_WAYS * IOTLB_SETS)

struct iotlb_entry {
	bool valid;
	bool writable;
	uint16_t asid;
	uint32_t sid;
	uint64_t page;              /* input address >> 12 */
	uint64_t pa_page;           /* output address of that page */
	uint64_t leaf_base;         /* input range of the whole leaf, for invalidation */
	uint64_t leaf_size;
};

struct iotlb {
	struct iotlb_entry e[IOTLB_ENTRIES];    /* set i is e[i * IOTLB_WAYS ...] */
	uint8_t next_victim[IOTLB_SETS];
	uint64_t hits, misses;
};

void iotlb_init(struct iotlb *t);
/* True (and *PA) when (SID, ASID, IOVA) is cached with the permission WRITE needs. */
bool iotlb_lookup(struct iotlb *t, uint32_t sid, uint16_t asid, uint64_t iova, bool write, uint64_t *pa);
/* Caches the page of IOVA from a leaf of 2^LEAF_SHIFT bytes mapping IOVA to PA. */
void iotlb_insert(struct iotlb *t, uint32_t sid, uint16_t asid, uint64_t iova, uint64_t pa,
		  unsigned int leaf_shift, bool writable);
void iotlb_inv_all(struct iotlb *t);
void iotlb_inv_asid(struct iotlb *t, uint16_t asid);
void iotlb_inv_sid(struct iotlb *t, uint32_t sid);
/* Entries whose leaf overlaps [IOVA, IOVA+SIZE): of ASID, or of every ASID when ALL_ASIDS. */
void iotlb_inv_range(struct iotlb *t, uint16_t asid, bool all_asids, uint64_t iova, uint64_t size);

#endif
