// SPDX-License-Identifier: GPL-2.0-only
/* The IOTLB: hits per (sid, asid, page), write permission, and each kind of invalidation. */
#include "iommu/iotlb.h"
#include "tap.h"

static struct iotlb t;

int main(void)
{
	uint64_t pa = 0;

	iotlb_init(&t);
	CHECK(!iotlb_lookup(&t, 1, 5, 0x1000, false, &pa) && t.misses == 1, "empty: miss");
	iotlb_insert(&t, 1, 5, 0x1000, 0x80000, 12, true);
	CHECK(iotlb_lookup(&t, 1, 5, 0x1abc, true, &pa) && pa == 0x80abc, "hit with offset (0x%llx)", (unsigned long long)pa);
	CHECK(!iotlb_lookup(&t, 2, 5, 0x1abc, false, &pa), "other stream: miss");
	CHECK(!iotlb_lookup(&t, 1, 6, 0x1abc, false, &pa), "other ASID: miss");
	CHECK(!iotlb_lookup(&t, 1, 5, 0x2000, false, &pa), "next page: miss");

	iotlb_insert(&t, 1, 5, 0x3000, 0x90000, 12, false);
	CHECK(iotlb_lookup(&t, 1, 5, 0x3000, false, &pa) && pa == 0x90000, "read-only entry: read hits");
	CHECK(!iotlb_lookup(&t, 1, 5, 0x3000, true, &pa), "read-only entry: write misses (walk decides)");

	/* A 2M block cached from two of its pages: a TLBI of any address in it removes both. */
	iotlb_insert(&t, 1, 5, 0x200000, 0x400000, 21, true);
	iotlb_insert(&t, 1, 5, 0x3ff000, 0x5ff000, 21, true);
	iotlb_inv_range(&t, 5, false, 0x250000, 1);
	CHECK(!iotlb_lookup(&t, 1, 5, 0x200000, false, &pa) && !iotlb_lookup(&t, 1, 5, 0x3ff000, false, &pa),
	      "VA inside a block invalidates every page of the block");
	CHECK(iotlb_lookup(&t, 1, 5, 0x1000, false, &pa), "unrelated page survives");

	iotlb_inv_range(&t, 6, false, 0x1000, 0x1000);
	CHECK(iotlb_lookup(&t, 1, 5, 0x1000, false, &pa), "VA of another ASID leaves it");
	iotlb_inv_range(&t, 0, true, 0x1000, 0x1000);
	CHECK(!iotlb_lookup(&t, 1, 5, 0x1000, false, &pa), "VAA (all ASIDs) removes it");

	iotlb_insert(&t, 1, 5, 0x1000, 0x80000, 12, true);
	iotlb_insert(&t, 1, 7, 0x1000, 0x81000, 12, true);
	iotlb_insert(&t, 2, 7, 0x5000, 0x82000, 12, true);
	iotlb_inv_asid(&t, 7);
	CHECK(iotlb_lookup(&t, 1, 5, 0x1000, false, &pa) && !iotlb_lookup(&t, 1, 7, 0x1000, false, &pa) &&
	      !iotlb_lookup(&t, 2, 7, 0x5000, false, &pa), "ASID invalidation is exact");
	iotlb_insert(&t, 2, 7, 0x5000, 0x82000, 12, true);
	iotlb_inv_sid(&t, 1);
	CHECK(!iotlb_lookup(&t, 1, 5, 0x1000, false, &pa) && iotlb_lookup(&t, 2, 7, 0x5000, false, &pa),
	      "stream invalidation is exact");
	iotlb_inv_all(&t);
	CHECK(!iotlb_lookup(&t, 2, 7, 0x5000, false, &pa), "invalidate all");

	/* Ranges at the top of the address space do not wrap around to 0. */
	iotlb_insert(&t, 1, 1, 0x0, 0x1000, 12, true);
	iotlb_inv_range(&t, 1, false, UINT64_MAX - 0xfff, 0x10000);
	CHECK(iotlb_lookup(&t, 1, 1, 0x0, false, &pa), "range ending past 2^64 does not wrap to page 0");
	iotlb_insert(&t, 1, 1, 0x7fff000, 0x1000, 12, true);
	iotlb_inv_range(&t, 1, false, 0x7ffffff, 0x10000);
	CHECK(!iotlb_lookup(&t, 1, 1, 0x7fff000, false, &pa), "range starting in the last byte of a page hits it");
	iotlb_insert(&t, 1, 1, 0x1000, 0x1000, 99, true);
	CHECK(!iotlb_lookup(&t, 1, 1, 0x1000, false, &pa), "bogus leaf size not cached");
	return tap_done();
}
