// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the shadow backend's sync (src/iommu/shadow_map.c) driven by a guest that
 * writes anything into its VT-d second-stage tables and invalidates any range. The input is a
 * header (levels, root), a few steps (an entry write into the tables, then a sync of a range with
 * a walk budget), and a 32 KiB memory image (guest RAM: the tables and the pages they map; beyond
 * it nothing is RAM). The fake sink refuses what iommufd refuses (overlapping maps, unmaps that
 * cut an area) by trapping; after each step the recorded areas must be sorted, disjoint and what
 * the sink holds, the walks within the budget, and a complete sync equal to a page-by-page walk.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "iommu/shadow_map.h"
#include "iommu/vtd_sswalk.h"

#define IMG (32u << 10)
#define HDR 16
#define STEP 32
#define NR_STEPS 6
#define MAXA 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t img[IMG];
static struct shadow_area sink_a[MAXA];
static unsigned int sink_n;

static int rd(void *opaque, uint64_t pa, uint64_t *e)
{
	(void)opaque;
	if (pa > IMG - 8 || (pa & 7))
		return -EFAULT;
	memcpy(e, img + pa, 8);
	return 0;
}

static uint64_t u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static int fmap(void *o, uint64_t iova, uint64_t gpa, uint64_t len, bool w)
{
	(void)o;
	if (!len || iova + len - 1 < iova || gpa + len > IMG)
		__builtin_trap();
	for (unsigned int i = 0; i < sink_n; i++)
		if (iova < sink_a[i].iova + sink_a[i].len && sink_a[i].iova < iova + len)
			__builtin_trap();
	if (sink_n == MAXA)
		return -ENOSPC;     /* a failed map: the shadow must not record it */
	sink_a[sink_n++] = (struct shadow_area){ .iova = iova, .len = len, .gpa = gpa, .writable = w };
	return 0;
}

static int funmap(void *o, uint64_t iova, uint64_t len)
{
	unsigned int j = 0, hit = 0;

	(void)o;
	for (unsigned int i = 0; i < sink_n; i++) {
		struct shadow_area *a = &sink_a[i];
		bool inside = a->iova >= iova && a->iova + a->len - 1 <= iova + len - 1;

		if (!inside && a->iova <= iova + len - 1 && iova <= a->iova + a->len - 1)
			__builtin_trap();
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
	return gpa < IMG ? ((IMG - gpa) & ~0xfffull) : 0;
}

static const struct shadow_sink_ops sink = { .map = fmap, .unmap = funmap, .extent = fextent };

/* The recorded areas are sorted, disjoint, and exactly the sink's. */
static void coherent(const struct shadow_map *m)
{
	if (m->nr != sink_n)
		__builtin_trap();
	for (size_t i = 0; i < m->nr; i++) {
		const struct shadow_area *a = &m->a[i];
		bool found = false;

		if (!a->len || (i && m->a[i - 1].iova + m->a[i - 1].len > a->iova))
			__builtin_trap();
		for (unsigned int k = 0; k < sink_n && !found; k++)
			found = sink_a[k].iova == a->iova && sink_a[k].len == a->len && sink_a[k].gpa == a->gpa &&
				sink_a[k].writable == a->writable;
		if (!found)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t fixed = HDR + NR_STEPS * STEP;
	struct vtd_sswalk_cfg cfg;
	struct shadow_walk w = { .ops = &vtd_ss_pgwalk, .cfg = &cfg, .rd = rd };
	struct shadow_map m;

	if (size < fixed)
		return 0;
	memset(img, 0, IMG);
	memcpy(img, data + fixed, size - fixed > IMG ? IMG : size - fixed);
	cfg = (struct vtd_sswalk_cfg){
		.ssptptr = u64(data) & (IMG - 1) & ~0xfffull, .levels = (uint8_t)(3 + data[8] % 3), .mgaw_bits = 57,
		.oaw_bits = 48, .scalable = data[9] & 1, .page_2m = data[9] & 2, .page_1g = data[9] & 4,
	};
	sink_n = 0;
	shadow_map_init(&m, &sink, NULL);
	for (unsigned int s = 0; s < NR_STEPS; s++) {
		const uint8_t *p = data + HDR + s * STEP;
		uint64_t at = u64(p) & (IMG - 8) & ~7ull, val = u64(p + 8), start = u64(p + 16);
		uint32_t len;
		uint64_t budget, walks, end;
		int r;

		memcpy(&len, p + 24, 4);
		budget = p[28] | (uint64_t)p[29] << 8;
		/* Keep ranges where the tables can map something, and small enough to check page by page. */
		start &= (1ull << 40) - 1;
		end = p[30] & 1 ? 0 : start + (len & 0xfffff);
		if (p[31] & 1)
			memcpy(img + at, &val, 8);
		walks = m.nr_walks;
		r = shadow_map_sync(&m, &w, start, end, &budget);
		if (m.nr_walks - walks > (uint64_t)(p[28] | p[29] << 8))
			__builtin_trap();
		coherent(&m);
		if (!r && end > start && end - start <= (64u << 12)) {
			for (uint64_t iova = start & ~0xfffull; iova < end; iova += 0x1000) {
				struct pgwalk_out o;
				struct pgwalk_fault f;
				bool want = !vtd_ss_pgwalk.walk(&cfg, iova, false, rd, NULL, &o, &f) && o.pa < IMG, have = false;

				for (unsigned int k = 0; k < sink_n; k++)
					if (iova >= sink_a[k].iova && iova - sink_a[k].iova < sink_a[k].len) {
						have = true;
						if (!want || sink_a[k].gpa + (iova - sink_a[k].iova) != o.pa ||
						    sink_a[k].writable != o.writable)
							__builtin_trap();
					}
				if (want && !have && sink_n < MAXA)
					__builtin_trap();
			}
		}
	}
	shadow_map_clear(&m);
	coherent(&m);
	shadow_map_fini(&m);
	return 0;
}
