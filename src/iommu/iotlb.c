// SPDX-License-Identifier: GPL-2.0-only
/* The software path's IOTLB (see iotlb.h). */
#include "iommu/iotlb.h"

#include <string.h>

static unsigned int set_of(uint32_t sid, uint16_t asid, uint64_t page)
{
	uint64_t h = page ^ ((uint64_t)sid * 0x9e3779b1u) ^ ((uint64_t)asid << 7);

	h ^= h >> 17;
	return (unsigned int)(h & (IOTLB_SETS - 1));
}

static struct iotlb_entry *find(struct iotlb *t, uint32_t sid, uint16_t asid, uint64_t page)
{
	struct iotlb_entry *set = &t->e[set_of(sid, asid, page) * IOTLB_WAYS];

	for (unsigned int w = 0; w < IOTLB_WAYS; w++)
		if (set[w].valid && set[w].sid == sid && set[w].asid == asid && set[w].page == page)
			return &set[w];
	return NULL;
}

void iotlb_init(struct iotlb *t)
{
	memset(t, 0, sizeof(*t));
}

bool iotlb_lookup(struct iotlb *t, uint32_t sid, uint16_t asid, uint64_t iova, bool write, uint64_t *pa)
{
	struct iotlb_entry *e = find(t, sid, asid, iova >> 12);

	if (!e || (write && !e->writable)) {
		t->misses++;
		return false;
	}
	t->hits++;
	*pa = (e->pa_page << 12) | (iova & 0xfff);
	return true;
}

void iotlb_insert(struct iotlb *t, uint32_t sid, uint16_t asid, uint64_t iova, uint64_t pa,
		  unsigned int leaf_shift, bool writable)
{
	uint64_t page = iova >> 12;
	unsigned int set = set_of(sid, asid, page);
	struct iotlb_entry *e = find(t, sid, asid, page);

	if (leaf_shift < 12 || leaf_shift > 63)
		return;
	for (unsigned int w = 0; !e && w < IOTLB_WAYS; w++)
		if (!t->e[set * IOTLB_WAYS + w].valid)
			e = &t->e[set * IOTLB_WAYS + w];
	if (!e) {
		/* Round-robin victim within the set. */
		e = &t->e[set * IOTLB_WAYS + t->next_victim[set]];
		t->next_victim[set] = (t->next_victim[set] + 1) % IOTLB_WAYS;
	}
	*e = (struct iotlb_entry){
		.valid = true, .writable = writable, .asid = asid, .sid = sid, .page = page,
		.pa_page = pa >> 12,
		.leaf_base = iova & ~((1ull << leaf_shift) - 1),
		.leaf_size = 1ull << leaf_shift,
	};
}

void iotlb_inv_all(struct iotlb *t)
{
	for (unsigned int i = 0; i < IOTLB_ENTRIES; i++)
		t->e[i].valid = false;
}

void iotlb_inv_asid(struct iotlb *t, uint16_t asid)
{
	for (unsigned int i = 0; i < IOTLB_ENTRIES; i++)
		if (t->e[i].asid == asid)
			t->e[i].valid = false;
}

void iotlb_inv_sid(struct iotlb *t, uint32_t sid)
{
	for (unsigned int i = 0; i < IOTLB_ENTRIES; i++)
		if (t->e[i].sid == sid)
			t->e[i].valid = false;
}

void iotlb_inv_range(struct iotlb *t, uint16_t asid, bool all_asids, uint64_t iova, uint64_t size)
{
	/* Overflow-safe: a range running past 2^64 covers everything above IOVA. */
	uint64_t last = size == 0 ? iova : (iova + size - 1 < iova ? UINT64_MAX : iova + size - 1);

	for (unsigned int i = 0; i < IOTLB_ENTRIES; i++) {
		struct iotlb_entry *e = &t->e[i];
		uint64_t e_last = e->leaf_base + (e->leaf_size - 1);

		if (!e->valid || (!all_asids && e->asid != asid))
			continue;
		if (e->leaf_base <= last && iova <= e_last)
			e->valid = false;
	}
}
