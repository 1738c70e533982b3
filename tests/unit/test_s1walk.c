// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stage-1 walker on hand-built tables: every granule, blocks and pages, TTB0/TTB1 and TBI,
 * AP/APTable/AF/PAN checks, address size faults, external aborts on the walk, self-referencing
 * tables and random garbage (bounded: never more descriptor reads than levels).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/s1walk.h"
#include "tap.h"

#define MEM_SIZE (32u << 20)
static uint8_t *mem;
static uint64_t brk_ptr = 0x100000;
static unsigned int reads;

static int rd(void *opaque, uint64_t pa, uint64_t *desc)
{
	reads++;
	if (pa >= MEM_SIZE || pa + 8 > MEM_SIZE || (pa & 7))
		return -EFAULT;
	memcpy(desc, mem + pa, 8);
	return 0;
}

static uint64_t alloc_table(uint64_t size)
{
	uint64_t a = (brk_ptr + size - 1) & ~(size - 1);

	brk_ptr = a + size;
	memset(mem + a, 0, size);
	return a;
}

static void put(uint64_t pa, uint64_t v)
{
	memcpy(mem + pa, &v, 8);
}

static uint64_t get(uint64_t pa)
{
	uint64_t v;

	memcpy(&v, mem + pa, 8);
	return v;
}

#define PAGE_RW   (3ull | 1ull << 10 | 1ull << 6)          /* page, AF, AP=0b01 (EL0 RW) */
#define BLOCK_RW  (1ull | 1ull << 10 | 1ull << 6)
#define TABLE     3ull

/* Maps IOVA -> PA with a leaf at LEAF_LEVEL, allocating tables as needed. */
static void map(const struct s1walk_tt *tt, uint64_t iova, uint64_t pa, int leaf_level, uint64_t attrs)
{
	unsigned int g = tt->granule_shift, stride = g - 3, va_bits = 64 - tt->tsz;
	int levels = (va_bits - g + stride - 1) / stride, level = 4 - levels;
	uint64_t table = tt->ttb;

	for (; level <= leaf_level; level++) {
		unsigned int shift = g + (3 - level) * stride;
		unsigned int bits = level == 4 - levels ? va_bits - shift : stride;
		uint64_t slot = table + ((iova >> shift) & ((1ull << bits) - 1)) * 8;

		if (level == leaf_level) {
			put(slot, (pa & ~((1ull << shift) - 1)) | attrs);
			return;
		}
		if (!(get(slot) & 1))
			put(slot, alloc_table(1ull << g) | TABLE);
		table = get(slot) & 0xfffffffff000ull & ~((1ull << g) - 1);
	}
}

static struct s1walk_cfg cfg_for(uint8_t g, uint8_t tsz)
{
	struct s1walk_cfg c = { .oas_bits = 40, .asid = 1 };

	c.tt[0] = (struct s1walk_tt){ .ttb = alloc_table(1ull << g), .tsz = tsz, .granule_shift = g };
	c.tt[1].disabled = true;
	return c;
}

static int walk(const struct s1walk_cfg *c, uint64_t iova, bool write, struct s1walk_result *r)
{
	reads = 0;
	return s1walk(c, iova, write, rd, NULL, r);
}

static void test_4k(void)
{
	struct s1walk_cfg c = cfg_for(12, 25);      /* 39-bit VA: levels 1..3 */
	struct s1walk_result r;

	map(&c.tt[0], 0x10000000, 0x800000, 3, PAGE_RW);
	CHECK(walk(&c, 0x10000123, false, &r) == 0 && r.pa == 0x800123 && r.level == 3 && r.block_shift == 12,
	      "4K: page read -> 0x%llx level %d", (unsigned long long)r.pa, r.level);
	CHECK(reads == 3, "4K/39-bit: three descriptor reads (%u)", reads);
	CHECK(walk(&c, 0x10000ff8, true, &r) == 0 && r.pa == 0x800ff8 && r.writable, "4K: page write");
	CHECK(walk(&c, 0x10001000, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION && r.level == 3,
	      "4K: next page unmapped: translation fault at level 3");
	CHECK(walk(&c, 0x40000000, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION && r.level == 1,
	      "4K: empty L1 slot: translation fault at level 1");

	map(&c.tt[0], 0x10200000, 0x1200000, 2, BLOCK_RW);
	CHECK(walk(&c, 0x10234567, true, &r) == 0 && r.pa == 0x1234567 && r.block_shift == 21 && r.level == 2,
	      "4K: 2M block at level 2");
	map(&c.tt[0], 0x40000000, 0x40000000, 1, BLOCK_RW);
	CHECK(walk(&c, 0x7fffffff, false, &r) == 0 && r.pa == 0x7fffffff && r.block_shift == 30,
	      "4K: 1G block at level 1");
	CHECK(walk(&c, 1ull << 39, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION && reads == 0,
	      "4K: IOVA beyond T0SZ range faults without a walk");

	/* Permissions: AP[2] read-only, AP[1] clear (privileged only), APTable, PAN. */
	map(&c.tt[0], 0x10003000, 0x803000, 3, PAGE_RW | 1ull << 7);
	CHECK(walk(&c, 0x10003000, false, &r) == 0 && !r.writable, "read-only page: read ok, not writable");
	CHECK(walk(&c, 0x10003000, true, &r) == -EFAULT && r.fault == VIOMMU_F_PERMISSION && r.level == 3,
	      "read-only page: write is a permission fault");
	map(&c.tt[0], 0x10004000, 0x804000, 3, PAGE_RW & ~(1ull << 6));
	CHECK(walk(&c, 0x10004000, false, &r) == -EFAULT && r.fault == VIOMMU_F_PERMISSION,
	      "privileged-only page: unprivileged DMA faults");
	c.priv = true;
	CHECK(walk(&c, 0x10004000, true, &r) == 0, "privileged-only page: privileged DMA ok");
	c.pan = true;
	CHECK(walk(&c, 0x10000000, false, &r) == -EFAULT && r.fault == VIOMMU_F_PERMISSION,
	      "PAN: privileged DMA to an EL0-accessible page faults");
	c.priv = c.pan = false;

	map(&c.tt[0], 0x10005000, 0x805000, 3, PAGE_RW & ~(1ull << 10));
	CHECK(walk(&c, 0x10005000, false, &r) == -EFAULT && r.fault == VIOMMU_F_ACCESS, "AF == 0: access fault");
	c.affd = true;
	CHECK(walk(&c, 0x10005000, false, &r) == 0, "AF == 0 with AFFD: ok");
	c.affd = false;

	map(&c.tt[0], 0x10006000, 0x806000, 3, 1ull | 1ull << 10 | 1ull << 6);
	CHECK(walk(&c, 0x10006000, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION && r.level == 3,
	      "level-3 descriptor 0b01 (reserved): translation fault");

	/* APTable[1] in the L1 table descriptor makes everything below read-only unless HAD. */
	{
		uint64_t l1 = c.tt[0].ttb + ((0x10000000ull >> 30) & 0x1ff) * 8;

		put(l1, get(l1) | 1ull << 62);
		CHECK(walk(&c, 0x10000000, true, &r) == -EFAULT && r.fault == VIOMMU_F_PERMISSION,
		      "APTable[1]: write below faults");
		c.tt[0].had = true;
		CHECK(walk(&c, 0x10000000, true, &r) == 0, "APTable ignored with HAD");
		c.tt[0].had = false;
		put(l1, get(l1) & ~(1ull << 62));
	}

	/* Output addresses beyond the output size. */
	map(&c.tt[0], 0x10007000, 1ull << 41, 3, PAGE_RW);
	CHECK(walk(&c, 0x10007000, false, &r) == -EFAULT && r.fault == VIOMMU_F_ADDR_SIZE,
	      "page beyond a 40-bit OAS: address size fault");
	c.oas_bits = 44;
	CHECK(walk(&c, 0x10007000, false, &r) == 0 && r.pa == 1ull << 41, "same page with a 44-bit OAS");
	c.oas_bits = 40;
	map(&c.tt[0], 0x10008000, 0x808000, 3, PAGE_RW | 1ull << 49);
	CHECK(walk(&c, 0x10008000, false, &r) == -EFAULT && r.fault == VIOMMU_F_ADDR_SIZE,
	      "OA[51:48] set: address size fault");
	{
		uint64_t ttb = c.tt[0].ttb;

		c.tt[0].ttb = 1ull << 45;
		CHECK(walk(&c, 0x10000000, false, &r) == -EFAULT && r.fault == VIOMMU_F_ADDR_SIZE && reads == 0,
		      "TTB beyond OAS: address size fault, nothing read");
		c.tt[0].ttb = MEM_SIZE;     /* not memory */
		CHECK(walk(&c, 0x10000000, false, &r) == -EFAULT && r.fault == VIOMMU_F_WALK_EABT &&
		      r.fetch_addr == MEM_SIZE + 0, "TTB outside memory: external abort on the walk at 0x%llx",
		      (unsigned long long)r.fetch_addr);
		c.tt[0].ttb = ttb;
	}

	/* TBI and the TTB1 half. */
	CHECK(walk(&c, 0x5a00000010000000ull, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION,
	      "tagged address without TBI faults");
	c.tbi[0] = true;
	CHECK(walk(&c, 0x5a00000010000000ull, false, &r) == 0 && r.pa == 0x800000, "tagged address with TBI0");
	c.tbi[0] = false;
	CHECK(walk(&c, 0xffffff8000000000ull, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION,
	      "TTB1 half with EPD1: translation fault");
	c.tt[1] = (struct s1walk_tt){ .ttb = alloc_table(4096), .tsz = 25, .granule_shift = 12 };
	map(&c.tt[1], 0xffffff8000001000ull, 0x900000, 3, PAGE_RW);
	CHECK(walk(&c, 0xffffff8000001010ull, false, &r) == 0 && r.pa == 0x900010, "TTB1 half translates");
	CHECK(walk(&c, 0xfff0000000001010ull, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION,
	      "TTB1 half: address below the T1SZ range faults");
}

static void test_16k(void)
{
	struct s1walk_cfg c = cfg_for(14, 16);      /* 48-bit VA: levels 0..3, 2-entry level 0 */
	struct s1walk_result r;

	map(&c.tt[0], 0x800012340000ull, 0x1004000, 3, PAGE_RW);
	CHECK(walk(&c, 0x800012343210ull, false, &r) == 0 && r.pa == 0x1007210 && reads == 4 && r.block_shift == 14,
	      "16K/48-bit: four-level walk to a 16K page (pa 0x%llx)", (unsigned long long)r.pa);
	map(&c.tt[0], 0x2000000, 0x4000000, 2, BLOCK_RW);
	CHECK(walk(&c, 0x2000000 + 0x1abcdef, true, &r) == 0 && r.pa == 0x4000000 + 0x1abcdef && r.block_shift == 25,
	      "16K: 32M block at level 2");
	map(&c.tt[0], 0x1000000000ull, 0x1000000000ull, 1, BLOCK_RW);
	CHECK(walk(&c, 0x1000000000ull, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION && r.level == 1,
	      "16K: block at level 1 is invalid without LPA2");
}

static void test_64k(void)
{
	struct s1walk_cfg c = cfg_for(16, 16);      /* 48-bit VA: levels 1..3 */
	struct s1walk_result r;

	map(&c.tt[0], 0x7fff00010000ull, 0x1010000, 3, PAGE_RW);
	CHECK(walk(&c, 0x7fff0001fffcull, true, &r) == 0 && r.pa == 0x101fffc && reads == 3 && r.block_shift == 16,
	      "64K/48-bit: three-level walk to a 64K page");
	map(&c.tt[0], 0x20000000, 0x0, 2, BLOCK_RW);
	CHECK(walk(&c, 0x20000000 + 0x1234567, false, &r) == 0 && r.pa == 0x1234567 && r.block_shift == 29,
	      "64K: 512M block at level 2");
	map(&c.tt[0], 0x400000000000ull, 0, 1, BLOCK_RW);
	CHECK(walk(&c, 0x400000000000ull, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION && r.level == 1,
	      "64K: block at level 1 is invalid");
}

static void test_bad_cfg(void)
{
	struct s1walk_cfg c = cfg_for(12, 25);
	struct s1walk_result r;

	c.tt[0].tsz = 40;
	CHECK(walk(&c, 0, false, &r) == -EFAULT && r.fault == VIOMMU_F_TRANSLATION && reads == 0, "T0SZ 40 refused");
	c.tt[0].tsz = 15;
	CHECK(walk(&c, 0, false, &r) == -EFAULT && reads == 0, "T0SZ 15 refused");
	c.tt[0].tsz = 25;
	c.tt[0].granule_shift = 13;
	CHECK(walk(&c, 0, false, &r) == -EFAULT && reads == 0, "granule 8K refused");
	CHECK(s1walk_tg0_shift(0) == 12 && s1walk_tg0_shift(1) == 16 && s1walk_tg0_shift(2) == 14 &&
	      s1walk_tg0_shift(3) == 0, "TG0 encodings");
	CHECK(s1walk_tg1_shift(1) == 14 && s1walk_tg1_shift(2) == 12 && s1walk_tg1_shift(3) == 16 &&
	      s1walk_tg1_shift(0) == 0, "TG1 encodings");
	CHECK(s1walk_ps_bits(0) == 32 && s1walk_ps_bits(4) == 44 && s1walk_ps_bits(5) == 48, "IPS encodings");
}

static void test_loops_and_garbage(void)
{
	struct s1walk_cfg c = cfg_for(12, 16);
	struct s1walk_result r;
	unsigned int max_reads = 0, ok = 0, bad_pa = 0;

	/* Every L0 entry points back at the L0 table itself. */
	for (int i = 0; i < 512; i++)
		put(c.tt[0].ttb + i * 8, c.tt[0].ttb | TABLE | 1ull << 10 | 1ull << 6);
	CHECK(walk(&c, 0x123456789000ull, false, &r) == 0 && reads == 4 && r.pa == c.tt[0].ttb,
	      "self-referencing table: 4 reads, the last one read as a page (pa 0x%llx)", (unsigned long long)r.pa);

	/* Random garbage descriptors under random configurations: bounded, never beyond OAS. */
	srand(12345);
	for (int i = 0; i < 20000; i++) {
		uint64_t base = 0x1000000 + (uint64_t)(rand() % 64) * 0x10000;
		uint64_t iova = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 8) ^ (uint64_t)rand();

		for (int j = 0; j < 64; j++) {
			uint64_t d = ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 20) ^ (uint64_t)rand();

			/* Mostly in-memory table pointers, so walks go deep. */
			if (rand() & 1)
				d = (d & ~0xfffffffff000ull) | (0x1000000 + (uint64_t)(rand() % 1024) * 0x1000);
			put(base + (uint64_t)(rand() % 0x2000) * 8, d);
		}
		c.tt[0].ttb = base;
		c.tt[0].tsz = 16 + rand() % 24;
		c.tt[0].granule_shift = (uint8_t[]){ 12, 14, 16 }[rand() % 3];
		c.tbi[0] = rand() & 1;
		c.oas_bits = (uint8_t[]){ 32, 40, 44, 48 }[rand() % 4];
		if (walk(&c, iova & 0x0000ffffffffffffull, rand() & 1, &r) == 0) {
			ok++;
			if (r.pa >> c.oas_bits)
				bad_pa++;
		}
		if (reads > max_reads)
			max_reads = reads;
	}
	CHECK(max_reads <= 4, "garbage tables: at most 4 descriptor reads per walk (%u)", max_reads);
	CHECK(bad_pa == 0, "garbage tables: no output beyond OAS (%u successful walks)", ok);
}

int main(void)
{
	mem = calloc(1, MEM_SIZE);
	if (!mem)
		return 1;
	test_4k();
	test_16k();
	test_64k();
	test_bad_cfg();
	test_loops_and_garbage();
	free(mem);
	return tap_done();
}
