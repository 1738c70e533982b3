// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shadow sync logic (src/iommu/shadow_map.c) on VT-d second-stage tables in a fake guest RAM,
 * through the real walker (vtd_ss_pgwalk), into a fake sink that behaves as iommufd's IOAS does: a
 * map must not overlap what is mapped, an unmap must cover whole areas. After each sync the sink
 * must hold exactly the guest's translation, page by page, for the synced range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/pgwalk.h"
#include "iommu/shadow_map.h"
#include "iommu/vtd_sswalk.h"
#include "tap.h"

#define RAM_BASE 0x0ull
#define RAM_SIZE (64ull << 20)          /* guest RAM [0, 64 MiB); everything else is not RAM */
/* A peer device's BAR window right above RAM (adjacent in GPA: a second target), while WIN_ON. */
#define WIN_BASE RAM_SIZE
#define WIN_SIZE (1ull << 20)
static uint8_t *ram;
static bool win_on;

/* Bytes of one target from GPA on (the sink's extent). */
static uint64_t target_extent(uint64_t gpa)
{
	if (gpa < RAM_SIZE)
		return RAM_SIZE - gpa;
	if (win_on && gpa >= WIN_BASE && gpa - WIN_BASE < WIN_SIZE)
		return WIN_BASE + WIN_SIZE - gpa;
	return 0;
}

static int rd(void *opaque, uint64_t pa, uint64_t *e)
{
	(void)opaque;
	if (pa >= RAM_SIZE || (pa & 7))
		return -EFAULT;
	memcpy(e, ram + pa, 8);
	return 0;
}

/* --- tables: 4-level second stage, page tables allocated from 32 MiB up --- */
static uint64_t next_table = 32ull << 20, root;

static uint64_t alloc_table(void)
{
	uint64_t t = next_table;

	next_table += 0x1000;
	memset(ram + t, 0, 0x1000);
	return t;
}

static uint64_t *entry(uint64_t table, uint64_t iova, int level)
{
	return (uint64_t *)(ram + table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8);
}

/* Maps IOVA -> PA with a leaf at LEVEL (1: 4K, 2: 2M, 3: 1G); PERM bit 0 R, bit 1 W; 0 clears. */
static void set_leaf(uint64_t iova, uint64_t pa, int leaf_level, uint64_t perm)
{
	uint64_t t = root;

	for (int level = 4; level > leaf_level; level--) {
		uint64_t *e = entry(t, iova, level);

		if (!(*e & 3))
			*e = alloc_table() | 3;
		t = *e & ~0xfffull & ((1ull << 48) - 1);
	}
	*entry(t, iova, leaf_level) = perm ? (pa | perm | (leaf_level > 1 ? 1ull << 7 : 0)) : 0;
}

/* --- the fake sink: an iommufd-like IOAS --- */
#define MAXA 4096
static struct shadow_area sink_a[MAXA];
static unsigned int sink_n, n_map, n_unmap, fail_map_at;
static bool sink_bad;       /* an overlap or a partial unmap was asked: what iommufd refuses */

static int fmap(void *o, uint64_t iova, uint64_t gpa, uint64_t len, bool w)
{
	(void)o;
	n_map++;
	if (fail_map_at && n_map == fail_map_at)
		return -EINVAL;
	for (unsigned int i = 0; i < sink_n; i++)
		if (iova < sink_a[i].iova + sink_a[i].len && sink_a[i].iova < iova + len) {
			sink_bad = true;
			return -EEXIST;
		}
	/* A map never spans two targets (two files to iommufd). */
	if (sink_n == MAXA || target_extent(gpa) < len)
		return -ENOSPC;
	sink_a[sink_n++] = (struct shadow_area){ .iova = iova, .len = len, .gpa = gpa, .writable = w };
	return 0;
}

static int funmap(void *o, uint64_t iova, uint64_t len)
{
	unsigned int j = 0, hit = 0;

	(void)o;
	n_unmap++;
	for (unsigned int i = 0; i < sink_n; i++) {
		struct shadow_area *a = &sink_a[i];
		bool inside = a->iova >= iova && a->iova + a->len <= iova + len;
		bool overlaps = a->iova < iova + len && iova < a->iova + a->len;

		if (overlaps && !inside)
			sink_bad = true;
		if (inside) {
			hit++;
			continue;
		}
		sink_a[j++] = *a;
	}
	sink_n = j;
	return hit ? 0 : -ENOENT;
}

static uint64_t fextent(void *o, uint64_t gpa)
{
	(void)o;
	return target_extent(gpa);
}

static const struct shadow_sink_ops sink = { .map = fmap, .unmap = funmap, .extent = fextent };

/* What the sink translates IOVA to: 1 with *PA, *W; 0 when unmapped. */
static int sink_xlate(uint64_t iova, uint64_t *pa, bool *w)
{
	for (unsigned int i = 0; i < sink_n; i++)
		if (iova >= sink_a[i].iova && iova < sink_a[i].iova + sink_a[i].len) {
			*pa = sink_a[i].gpa + (iova - sink_a[i].iova);
			*w = sink_a[i].writable;
			return 1;
		}
	return 0;
}

static struct vtd_sswalk_cfg cfg;
static struct shadow_walk walk = { .ops = &vtd_ss_pgwalk, .cfg = &cfg, .rd = rd };

/* Every page of [START, END) as the sink has it equals the guest's walk (leaves to a target only). */
static bool equal(uint64_t start, uint64_t end, uint64_t *diff_at)
{
	for (uint64_t iova = start; iova < end; iova += 0x1000) {
		struct pgwalk_out o;
		struct pgwalk_fault f;
		uint64_t pa;
		bool w, want = !vtd_ss_pgwalk.walk(&cfg, iova, false, rd, NULL, &o, &f) && target_extent(o.pa);
		int have = sink_xlate(iova, &pa, &w);

		if (want != (bool)have || (want && (pa != o.pa || w != o.writable))) {
			*diff_at = iova;
			return false;
		}
	}
	return true;
}

static void reset(void)
{
	memset(ram, 0, RAM_SIZE);
	next_table = 32ull << 20;
	root = alloc_table();
	cfg = (struct vtd_sswalk_cfg){ .ssptptr = root, .levels = 4, .mgaw_bits = 48, .oaw_bits = 48,
				       .scalable = true, .page_2m = true, .page_1g = true };
	sink_n = n_map = n_unmap = fail_map_at = 0;
	sink_bad = false;
}

int main(void)
{
	struct shadow_map m;
	uint64_t budget, at = 0, base = 0x100000000ull;
	int r;

	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 1;

	/* 1. Empty tables: a whole-space sync costs one walk per top-level entry, no sink call. */
	reset();
	shadow_map_init(&m, &sink, NULL);
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, 0, 0, &budget);
	CHECK(r == 0 && n_map == 0 && n_unmap == 0 && m.nr == 0, "empty tables: nothing mapped (r %d)", r);
	CHECK(m.nr_walks == 512, "empty 4-level tables: 512 walks, one per PML4E (%llu)", (unsigned long long)m.nr_walks);

	/* 2. A guest map of 255 pages (edu_test --map-bench): GPAs in runs of 5 contiguous pages, each
	 * run elsewhere. The page-selective invalidation's range is a power of two (256 pages). */
	for (unsigned int i = 0; i < 255; i++)
		set_leaf(base + i * 0x1000ull, 0x200000ull + (i / 5) * 0x10000ull + (i % 5) * 0x1000ull, 1, 3);
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, base, base + 256 * 0x1000ull, &budget);
	CHECK(r == 0 && n_map == 51 && m.nr == 51, "255 pages in 51 GPA runs: 51 maps, 51 areas (r %d, %u maps)", r, n_map);
	CHECK(equal(base - 0x10000, base + 0x110000, &at), "the sink translates as the guest's tables (first diff %#llx)",
	      (unsigned long long)at);
	CHECK(!sink_bad, "no overlapping map, no partial unmap");
	n_map = 0;
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, base, base + 256 * 0x1000ull, &budget);
	CHECK(r == 0 && n_map == 0 && n_unmap == 0, "the same range again, unchanged: no sink call");

	/* 3. A remap in the middle of a run: the run's whole area goes and comes back as three. */
	set_leaf(base + 7 * 0x1000ull, 0x800000, 1, 1);     /* read-only, elsewhere */
	n_map = n_unmap = 0;
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, base + 7 * 0x1000ull, base + 8 * 0x1000ull, &budget);
	CHECK(r == 0 && n_unmap == 1 && n_map == 3, "remapped page: 1 unmap (the run), 3 maps (r %d, %u/%u)", r, n_unmap, n_map);
	CHECK(equal(base, base + 0x100000, &at) && !sink_bad, "remap followed, read-only kept read-only (diff %#llx)",
	      (unsigned long long)at);

	/* 4. The guest unmaps all 255 pages: one unmap call removes every area of the range. */
	for (unsigned int i = 0; i < 255; i++)
		set_leaf(base + i * 0x1000ull, 0, 1, 0);
	n_map = n_unmap = 0;
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, base, base + 256 * 0x1000ull, &budget);
	CHECK(r == 0 && n_unmap == 1 && n_map == 0 && m.nr == 0 && sink_n == 0, "unmapped range: 1 unmap, nothing left");
	CHECK(m.nr_walks < 512 + 256 * 3 + 10, "walks bounded by pages + holes (%llu)", (unsigned long long)m.nr_walks);

	/* 5. Superpages: a 2 MiB and a 1 GiB leaf are one area each; a contiguous 4K run stops at the
	 * 2 MiB boundary; a leaf to non-RAM is not shadowed. */
	set_leaf(0x40000000, 0x0, 3, 3);                    /* 1 GiB at 1 GiB -> GPA 0 (part RAM) */
	set_leaf(0x200000, 0x400000, 2, 3);                 /* 2 MiB */
	for (unsigned int i = 0; i < 8; i++)                /* 4K pages across 0x600000 */
		set_leaf(0x5fc000 + i * 0x1000ull, 0x1000000 + i * 0x1000ull, 1, 3);
	set_leaf(0x700000, 0xfee00000, 1, 3);               /* not RAM */
	n_map = n_unmap = 0;
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, 0, 0, &budget);
	CHECK(r == 0 && n_map == 4, "1G (RAM part) + 2M + 4K run split at 2 MiB: 4 maps, the non-RAM leaf none (%u)", n_map);
	CHECK(equal(0, 0x800000, &at) && equal(0x40000000, 0x40000000 + RAM_SIZE + 0x2000, &at) && !sink_bad,
	      "superpages and the split run translate right (diff %#llx)", (unsigned long long)at);

	/* 6. Budget: the guest changes 64 pages, the budget allows 16 walks: the first ones synced,
	 * the rest unmapped (never stale), -E2BIG. A later full budget restores everything. */
	shadow_map_clear(&m);
	for (unsigned int i = 0; i < 64; i++)
		set_leaf(base + i * 0x2000ull, 0x100000 + i * 0x2000ull, 1, 3);
	budget = 1u << 20;
	shadow_map_sync(&m, &walk, base, base + 0x80000, &budget);
	for (unsigned int i = 0; i < 64; i++)
		set_leaf(base + i * 0x2000ull, 0x300000 + i * 0x2000ull, 1, 3);
	budget = 16;
	r = shadow_map_sync(&m, &walk, base, base + 0x80000, &budget);
	CHECK(r == -E2BIG && budget == 0 && m.nr_truncated == 1, "budget ran out: -E2BIG (r %d)", r);
	{
		bool stale = false, some = false;

		for (unsigned int i = 0; i < 64; i++) {
			uint64_t pa;
			bool w;

			if (sink_xlate(base + i * 0x2000ull, &pa, &w)) {
				some = true;
				stale |= pa != 0x300000 + i * 0x2000ull;
			}
		}
		CHECK(some && !stale && !sink_bad, "what was synced is new, the rest unmapped: nothing stale");
	}
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, base, base + 0x80000, &budget);
	CHECK(r == 0 && equal(base, base + 0x80000, &at), "a full budget syncs the rest (diff %#llx)", (unsigned long long)at);

	/* 7. A failed map is not recorded, and the next sync retries it. */
	set_leaf(base + 0x100000, 0x500000, 1, 3);
	n_map = 0;
	fail_map_at = 1;
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, base + 0x100000, base + 0x101000, &budget);
	CHECK(r == -EINVAL && !sink_xlate(base + 0x100000, &at, &(bool){ 0 }), "failed map: error, nothing recorded");
	fail_map_at = 0;
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, base + 0x100000, base + 0x101000, &budget);
	CHECK(r == 0 && equal(base + 0x100000, base + 0x101000, &at), "retried at the next sync");

	/* 8. A range cutting an area widens to it: syncing one page inside the 2 MiB leaf after the
	 * guest replaced that leaf with 4K pages. */
	set_leaf(0x200000, 0, 2, 0);
	set_leaf(0x200000, 0x900000, 1, 3);
	n_unmap = n_map = 0;
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, 0x200000, 0x201000, &budget);
	CHECK(r == 0 && !sink_bad && equal(0x200000, 0x400000, &at), "a range inside an area: the area goes whole (diff %#llx)",
	      (unsigned long long)at);

	/* 9. Clear: one unmap for everything. */
	n_unmap = 0;
	r = shadow_map_clear(&m);
	CHECK(r == 0 && n_unmap == 1 && sink_n == 0 && m.nr == 0 && !sink_bad, "clear: one unmap, all gone");
	shadow_map_fini(&m);

	/* 10. A peer BAR window adjacent to RAM in GPA: a run of 8 pages crossing from RAM into it is
	 * two maps (two targets). The window goes (the BAR stops decoding): unmapping by GPA takes its
	 * area only, and a sync maps nothing there. It comes back: a sync maps it again. */
	reset();
	shadow_map_init(&m, &sink, NULL);
	win_on = true;
	for (unsigned int i = 0; i < 8; i++)
		set_leaf(base + i * 0x1000ull, RAM_SIZE - 0x4000 + i * 0x1000ull, 1, 3);
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, 0, 0, &budget);
	CHECK(r == 0 && n_map == 2 && m.nr == 2 && equal(base, base + 0x10000, &at) && !sink_bad,
	      "a run from RAM into a peer window: 2 maps, one per target (r %d, %u maps, diff %#llx)", r, n_map,
	      (unsigned long long)at);
	win_on = false;
	n_map = n_unmap = 0;
	r = shadow_map_unmap_gpa(&m, WIN_BASE, WIN_SIZE);
	CHECK(r == 0 && n_unmap == 1 && m.nr == 1 && sink_n == 1 && m.a[0].gpa == RAM_SIZE - 0x4000,
	      "the window went: unmapping by GPA took its area, the RAM one stays (r %d, %u unmaps)", r, n_unmap);
	budget = 1u << 20;
	r = shadow_map_sync(&m, &walk, 0, 0, &budget);
	CHECK(r == 0 && n_map == 0 && equal(base, base + 0x10000, &at), "... a sync maps nothing to where it was (diff %#llx)",
	      (unsigned long long)at);
	win_on = true;
	r = shadow_map_unmap_gpa(&m, WIN_BASE, WIN_SIZE);
	budget = 1u << 20;
	r = r ? r : shadow_map_sync(&m, &walk, 0, 0, &budget);
	CHECK(r == 0 && n_map == 1 && m.nr == 2 && equal(base, base + 0x10000, &at) && !sink_bad,
	      "the window is back: one map restores it (r %d, %u maps, diff %#llx)", r, n_map, (unsigned long long)at);
	n_unmap = 0;
	r = shadow_map_unmap_gpa(&m, 0, 0x1000);
	CHECK(r == 0 && n_unmap == 0 && m.nr == 2, "unmapping a GPA range nothing maps to: no call");

	/* 11. A live update: a new map takes over what the sink holds (the saved areas) without a
	 * call; a whole-space sync of unchanged tables then costs no call either, and a change after
	 * it only what changed. */
	{
		struct shadow_map m2;
		struct shadow_area saved[8];
		size_t nr = m.nr;

		memcpy(saved, m.a, nr * sizeof(*saved));
		shadow_map_init(&m2, &sink, NULL);
		n_map = n_unmap = 0;
		r = shadow_map_load(&m2, saved, nr);
		CHECK(r == 0 && m2.nr == nr && n_map == 0 && n_unmap == 0, "load: %zu areas taken over, no sink call (r %d)", nr, r);
		CHECK(shadow_map_load(&m2, saved, nr) == -EBUSY, "load into a map that holds areas: -EBUSY");
		budget = 1u << 20;
		r = shadow_map_sync(&m2, &walk, 0, 0, &budget);
		CHECK(r == 0 && n_map == 0 && n_unmap == 0 && m2.nr == nr && equal(base, base + 0x10000, &at),
		      "... a whole-space sync of the same tables: no call (r %d, %u maps, %u unmaps)", r, n_map, n_unmap);
		set_leaf(base + 0x8000, 0x300000, 1, 3);
		budget = 1u << 20;
		r = shadow_map_sync(&m2, &walk, base + 0x8000, base + 0x9000, &budget);
		CHECK(r == 0 && n_map == 1 && n_unmap == 0 && equal(base, base + 0x10000, &at) && !sink_bad,
		      "... a page the guest maps after it: one map (r %d, %u maps, %u unmaps, diff %#llx)", r, n_map, n_unmap,
		      (unsigned long long)at);
		shadow_map_fini(&m2);
	}
	shadow_map_fini(&m);
	free(ram);
	return tap_done();
}
