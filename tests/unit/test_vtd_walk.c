// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VT-d walkers on hand-built tables in a fake memory array: first stage 4- and 5-level with
 * 4K/2M/1G leaves, canonical addresses, U/S, R/W with and without WPE, SRE, XD/ERE, A/D/EA
 * reporting; second stage 3/4/5 levels with superpages, R-only/W-only entries, SNP/TM bits;
 * not-present and reserved bits at every level, address width faults, fault reason codes in both
 * modes, failed entry reads, and self-referencing or random tables (never more reads than levels).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/vtd_fswalk.h"
#include "iommu/vtd_sswalk.h"
#include "tap.h"

#define MEM_SIZE (16u << 20)
static uint8_t *mem;
static uint64_t brk_ptr = 0x100000;
static unsigned int reads;

static int rd(void *opaque, uint64_t pa, uint64_t *e)
{
	(void)opaque;
	reads++;
	if (pa >= MEM_SIZE || pa + 8 > MEM_SIZE || (pa & 7))
		return -EFAULT;
	memcpy(e, mem + pa, 8);
	return 0;
}

static uint64_t alloc_table(void)
{
	uint64_t a = brk_ptr;

	brk_ptr += 4096;
	if (brk_ptr > MEM_SIZE)
		abort();
	memset(mem + a, 0, 4096);
	return a;
}

static void put(uint64_t pa, uint64_t v) { memcpy(mem + pa, &v, 8); }
static uint64_t get(uint64_t pa) { uint64_t v; memcpy(&v, mem + pa, 8); return v; }

/* First-stage bits (VT-d 9.9) as the tests write them. */
#define P   (1ull << 0)
#define RW  (1ull << 1)
#define US  (1ull << 2)
#define A   (1ull << 5)
#define D   (1ull << 6)
#define PS  (1ull << 7)
#define EA  (1ull << 10)
#define XD  (1ull << 63)
#define FS_TABLE (P | RW | US | A)
#define FS_PAGE  (P | RW | US | A | D)
/* Second-stage bits (VT-d 9.8). */
#define SR  (1ull << 0)
#define SW  (1ull << 1)
#define SNP (1ull << 11)
#define TM  (1ull << 62)

/* Slot of IOVA's entry at LEVEL, allocating tables (with entry TABLE_BITS) from TOP down. */
static uint64_t slot_at(uint64_t root, int top, uint64_t iova, int level, uint64_t table_bits)
{
	uint64_t table = root;

	for (int l = top;; l--) {
		uint64_t slot = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;

		if (l == level)
			return slot;
		if (!(get(slot) & 3))
			put(slot, alloc_table() | table_bits);
		table = get(slot) & 0xffffffffff000ull;
	}
}

static void fs_map(const struct vtd_fswalk_cfg *c, uint64_t iova, uint64_t pa, int level, uint64_t attrs)
{
	put(slot_at(c->fsptptr, c->levels, iova, level, FS_TABLE), pa | attrs | (level > 1 ? PS : 0));
}

static void ss_map(const struct vtd_sswalk_cfg *c, uint64_t iova, uint64_t pa, int level, uint64_t attrs)
{
	put(slot_at(c->ssptptr, c->levels, iova, level, SR | SW), pa | attrs | (level > 1 ? PS : 0));
}

static struct vtd_fswalk_cfg fs_cfg(int levels)
{
	return (struct vtd_fswalk_cfg){ .fsptptr = alloc_table(), .levels = (uint8_t)levels, .oaw_bits = 46,
					.sre = true, .page_1g = true };
}

static struct vtd_sswalk_cfg ss_cfg(int levels, bool sm)
{
	return (struct vtd_sswalk_cfg){ .ssptptr = alloc_table(), .levels = (uint8_t)levels, .mgaw_bits = 57,
					.oaw_bits = 46, .scalable = sm, .page_2m = true, .page_1g = true, .snoop = sm };
}

static int fs(const struct vtd_fswalk_cfg *c, uint64_t iova, unsigned int acc, struct vtd_walk_result *r)
{
	reads = 0;
	return vtd_fswalk(c, iova, acc, rd, NULL, r);
}

static int ss(const struct vtd_sswalk_cfg *c, uint64_t iova, unsigned int acc, struct vtd_walk_result *r)
{
	reads = 0;
	return vtd_sswalk(c, iova, acc, rd, NULL, r);
}

static bool is_fault(int rc, const struct vtd_walk_result *r, enum vtd_walk_fault f, uint8_t reason, int level)
{
	return rc == -EFAULT && r->fault == f && r->reason == reason && r->level == level;
}

static void test_fs_leaves(int levels)
{
	struct vtd_fswalk_cfg c = fs_cfg(levels);
	struct vtd_walk_result r;
	uint64_t hi = levels == 5 ? 0xab000000000000ull : 0;   /* bits 55:48 need the 5th level */

	fs_map(&c, hi | 0x12345000, 0x800000, 1, FS_PAGE);
	CHECK(fs(&c, hi | 0x12345678, 0, &r) == 0 && r.pa == 0x800678 && r.level == 1 && r.block_shift == 12 &&
	      r.writable && r.readable, "FS %d-level: 4K read -> 0x%llx level %d", levels,
	      (unsigned long long)r.pa, r.level);
	CHECK(reads == (unsigned int)levels && r.reads == reads, "FS %d-level: %u entry reads", levels, reads);
	CHECK(r.ad_levels == 0 && !r.set_dirty, "FS %d-level: A and D already set: nothing to update", levels);
	CHECK(r.entry_addr[1] == slot_at(c.fsptptr, levels, hi | 0x12345000, 1, 0) && r.entry_addr[levels] ==
	      c.fsptptr + ((hi | 0x12345000) >> (12 + 9 * (levels - 1)) & 511) * 8,
	      "FS %d-level: entry addresses reported per level", levels);
	fs_map(&c, hi | 0x40200000, 0x1e00000, 2, FS_PAGE | (1ull << 12));   /* PAT set: not address */
	CHECK(fs(&c, hi | 0x402abcde, VTD_ACC_WRITE, &r) == 0 && r.pa == 0x1eabcde && r.level == 2 &&
	      r.block_shift == 21, "FS %d-level: 2M leaf (PAT bit 12 is not an address bit)", levels);
	fs_map(&c, hi | 0x80000000, 0x40000000, 3, FS_PAGE);
	CHECK(fs(&c, hi | 0xbfffffff, 0, &r) == 0 && r.pa == 0x7fffffff && r.level == 3 && r.block_shift == 30,
	      "FS %d-level: 1G leaf", levels);
	c.page_1g = false;
	CHECK(is_fault(fs(&c, hi | 0x80000000, 0, &r), &r, VTD_WALK_F_RESERVED, VTD_FR_SFS_RSVD, 3),
	      "FS %d-level: 1G leaf without FS1GP: reserved (0x72) at level 3", levels);
	c.page_1g = true;
	CHECK(is_fault(fs(&c, hi | 0x12346000, 0, &r), &r, VTD_WALK_F_NOT_PRESENT, VTD_FR_SFS_NOT_PRESENT, 1),
	      "FS %d-level: next page not present (0x71) at level 1", levels);

	/* Upper half: canonical with the top input bit set. */
	{
		uint64_t up = levels == 5 ? 0xff80000000000000ull : 0xffff800000000000ull;

		fs_map(&c, up | 0x5000, 0x805000, 1, FS_PAGE);
		CHECK(fs(&c, up | 0x5010, 0, &r) == 0 && r.pa == 0x805010, "FS %d-level: canonical upper half", levels);
		CHECK(is_fault(fs(&c, (up | 0x5010) ^ (1ull << 60), 0, &r), &r, VTD_WALK_F_ADDR,
			       VTD_FR_SGN_CANONICAL, 0) && reads == 0,
		      "FS %d-level: non-canonical address: 0x80 without a read", levels);
	}
	if (levels == 4)
		CHECK(is_fault(fs(&c, 0xab000012345000ull, 0, &r), &r, VTD_WALK_F_ADDR, VTD_FR_SGN_CANONICAL, 0),
		      "FS 4-level: a 5-level address is not canonical");
}

/* Clearing P in the entry of each level faults there, after exactly top - level + 1 reads. */
static void test_fs_not_present(int levels)
{
	struct vtd_fswalk_cfg c = fs_cfg(levels);
	struct vtd_walk_result r;

	for (int l = levels; l >= 1; l--) {
		uint64_t iova = 0x7000000000ull | (uint64_t)l << 12, slot;

		fs_map(&c, iova, 0x900000, 1, FS_PAGE);
		CHECK(fs(&c, iova, 0, &r) == 0, "FS %d-level: path for level %d mapped", levels, l);
		slot = slot_at(c.fsptptr, levels, iova, l, FS_TABLE);
		put(slot, get(slot) & ~P);
		CHECK(is_fault(fs(&c, iova, 0, &r), &r, VTD_WALK_F_NOT_PRESENT, VTD_FR_SFS_NOT_PRESENT, l) &&
		      reads == (unsigned int)(levels - l + 1) && r.fetch_addr == slot,
		      "FS %d-level: P=0 at level %d: 0x71 there after %u reads", levels, l, reads);
		put(slot, get(slot) | P);
	}
}

static void test_fs_reserved(void)
{
	struct vtd_fswalk_cfg c = fs_cfg(5);
	struct vtd_walk_result r;
	uint64_t iova = 0x3000, s;

	fs_map(&c, iova, 0xa00000, 1, FS_PAGE);
	CHECK(fs(&c, iova, 0, &r) == 0, "FS reserved: baseline path");
	for (int l = 5; l >= 4; l--) {
		s = slot_at(c.fsptptr, 5, iova, l, FS_TABLE);
		put(s, get(s) | PS);
		CHECK(is_fault(fs(&c, iova, 0, &r), &r, VTD_WALK_F_RESERVED, VTD_FR_SFS_RSVD, l),
		      "FS reserved: PS in the level-%d entry (0x72)", l);
		put(s, get(s) & ~PS);
	}
	for (int l = 5; l >= 1; l--) {
		s = slot_at(c.fsptptr, 5, iova, l, FS_TABLE);
		put(s, get(s) | 1ull << 46);
		CHECK(is_fault(fs(&c, iova, 0, &r), &r, VTD_WALK_F_RESERVED, VTD_FR_SFS_RSVD, l),
		      "FS reserved: address bit 46 >= width 46 at level %d", l);
		put(s, get(s) & ~(1ull << 46));
	}
	c.oaw_bits = 52;
	s = slot_at(c.fsptptr, 5, iova, 1, FS_TABLE);
	put(s, get(s) | 0x7ffull << 52 | 0xfull << 8);   /* ignored bits 62:52 and 11:8 */
	CHECK(fs(&c, iova, 0, &r) == 0 && r.pa == 0xa00000, "FS: bits 62:52 and 11:8 are ignored");
	put(s, get(s) | 1ull << 50);
	CHECK(fs(&c, iova, 0, &r) == 0 && r.pa == (0xa00000 | 1ull << 50), "FS: 52-bit width: bit 50 is address");
	c.oaw_bits = 46;
	CHECK(is_fault(fs(&c, iova, 0, &r), &r, VTD_WALK_F_RESERVED, VTD_FR_SFS_RSVD, 1),
	      "FS: bit 50 reserved with a 46-bit width");
	put(s, (get(s) & 0xfffffffffffull) | XD);
	CHECK(fs(&c, iova, 0, &r) == 0 && !r.executable, "FS: XD is not reserved; a DMA read is data");

	fs_map(&c, 0x40000000, 0x40000000, 2, FS_PAGE | 1ull << 13);
	CHECK(is_fault(fs(&c, 0x40000000, 0, &r), &r, VTD_WALK_F_RESERVED, VTD_FR_SFS_RSVD, 2),
	      "FS reserved: bit 13 of a 2M leaf");
	fs_map(&c, 0x80000000, 0x80000000, 3, FS_PAGE | 1ull << 29);
	CHECK(is_fault(fs(&c, 0x80000000, 0, &r), &r, VTD_WALK_F_RESERVED, VTD_FR_SFS_RSVD, 3),
	      "FS reserved: bit 29 of a 1G leaf");

	c.fsptptr = 1ull << 46;
	CHECK(is_fault(fs(&c, iova, 0, &r), &r, VTD_WALK_F_ROOT, VTD_FR_SFS_ROOT, 5) && reads == 0,
	      "FS: table pointer beyond the width: 0x73 without a read");
	c.fsptptr = 1ull << 40;                                  /* within the width, not memory */
	CHECK(is_fault(fs(&c, iova, 0, &r), &r, VTD_WALK_F_FETCH, VTD_FR_SFS_ROOT, 5) &&
	      r.fetch_addr == 1ull << 40, "FS: top-level entry unreadable: 0x73");
	c = fs_cfg(4);
	put(c.fsptptr, (1ull << 40) | FS_TABLE);
	CHECK(is_fault(fs(&c, 0x1000, 0, &r), &r, VTD_WALK_F_FETCH, VTD_FR_SFS_ACCESS, 3) && r.fetch_addr == 1ull << 40,
	      "FS: a lower entry unreadable: 0x70 at level 3");
	c.levels = 3;
	CHECK(is_fault(fs(&c, 0x1000, 0, &r), &r, VTD_WALK_F_CONFIG, VTD_FR_SM_PASID_INVALID, 0) && reads == 0,
	      "FS: 3 levels is no FSPM value (0x5b)");
	c.levels = 4;
	c.oaw_bits = 53;
	CHECK(is_fault(fs(&c, 0x1000, 0, &r), &r, VTD_WALK_F_CONFIG, VTD_FR_SM_PASID_INVALID, 0),
	      "FS: an address width above 52 is refused");
}

static void test_fs_perms(void)
{
	struct vtd_fswalk_cfg c = fs_cfg(4);
	struct vtd_walk_result r;
	uint64_t s;

	fs_map(&c, 0x1000, 0x801000, 1, FS_PAGE & ~RW);                    /* read-only */
	CHECK(fs(&c, 0x1000, 0, &r) == 0 && !r.writable, "FS: RO page: user read ok, not writable");
	CHECK(is_fault(fs(&c, 0x1000, VTD_ACC_WRITE, &r), &r, VTD_WALK_F_WRITE, VTD_FR_SGN_WRITE, 1),
	      "FS: RO page: user write faults (0x85)");
	CHECK(fs(&c, 0x1000, VTD_ACC_WRITE | VTD_ACC_PRIV, &r) == 0 && r.writable,
	      "FS: RO page: supervisor write allowed with WPE=0");
	c.wpe = true;
	CHECK(is_fault(fs(&c, 0x1000, VTD_ACC_WRITE | VTD_ACC_PRIV, &r), &r, VTD_WALK_F_WRITE, VTD_FR_SGN_WRITE, 1),
	      "FS: RO page: supervisor write faults with WPE=1");
	CHECK(fs(&c, 0x1000, VTD_ACC_PRIV, &r) == 0 && !r.writable, "FS: WPE=1: supervisor read ok, not writable");
	c.wpe = false;

	fs_map(&c, 0x2000, 0x802000, 1, FS_PAGE);
	s = slot_at(c.fsptptr, 4, 0x2000, 2, FS_TABLE);                     /* R/W=0 in the PDE */
	put(s, get(s) & ~RW);
	CHECK(is_fault(fs(&c, 0x2000, VTD_ACC_WRITE, &r), &r, VTD_WALK_F_WRITE, VTD_FR_SGN_WRITE, 1),
	      "FS: R/W=0 in a non-leaf entry makes the page read-only");
	put(s, get(s) | RW);

	fs_map(&c, 0x200000, 0x803000, 1, FS_PAGE & ~US);                  /* supervisor page */
	CHECK(is_fault(fs(&c, 0x200000, 0, &r), &r, VTD_WALK_F_USER, VTD_FR_SGN_USER, 1),
	      "FS: user read of a supervisor page faults (0x81)");
	CHECK(fs(&c, 0x200000, VTD_ACC_PRIV | VTD_ACC_WRITE, &r) == 0, "FS: supervisor request to it ok (SRE=1)");
	c.sre = false;
	CHECK(is_fault(fs(&c, 0x200000, VTD_ACC_PRIV, &r), &r, VTD_WALK_F_SUPERVISOR, VTD_FR_SM_SRE_CLEAR, 0) &&
	      reads == 0, "FS: supervisor request with SRE=0: 0x5d before the walk");
	c.sre = true;
	s = slot_at(c.fsptptr, 4, 0x2000, 4, FS_TABLE);                     /* U/S=0 in the PML4E */
	put(s, get(s) & ~US);
	CHECK(is_fault(fs(&c, 0x2000, 0, &r), &r, VTD_WALK_F_USER, VTD_FR_SGN_USER, 1),
	      "FS: U/S=0 in a non-leaf entry makes the page supervisor-only");
	put(s, get(s) | US);

	fs_map(&c, 0x3000, 0x804000, 1, FS_PAGE | XD);
	CHECK(fs(&c, 0x3000, 0, &r) == 0 && !r.executable, "FS: XD page: DMA read (data) ok");
	CHECK(is_fault(fs(&c, 0x3000, VTD_ACC_EXEC, &r), &r, VTD_WALK_F_EXEC_DISABLED, VTD_FR_SM_ERE_CLEAR, 0),
	      "FS: execute request with ERE=0: 0x5c");
	c.ere = true;
	CHECK(is_fault(fs(&c, 0x3000, VTD_ACC_EXEC, &r), &r, VTD_WALK_F_EXEC, VTD_FR_SGN_EXEC, 1),
	      "FS: execute request to an XD page faults (0x82)");
	CHECK(fs(&c, 0x2000, VTD_ACC_EXEC, &r) == 0 && r.executable, "FS: user fetch from a user page ok");
	CHECK(is_fault(fs(&c, 0x2000, VTD_ACC_EXEC | VTD_ACC_PRIV, &r), &r, VTD_WALK_F_EXEC, VTD_FR_SGN_EXEC, 1),
	      "FS: supervisor fetch from a user page faults");
	CHECK(fs(&c, 0x200000, VTD_ACC_EXEC | VTD_ACC_PRIV, &r) == 0, "FS: supervisor fetch from a supervisor page ok");
}

static void test_fs_ad(void)
{
	struct vtd_fswalk_cfg c = fs_cfg(4);
	struct vtd_walk_result r;
	uint64_t s;

	fs_map(&c, 0x1000, 0x801000, 1, FS_PAGE & ~(A | D));
	CHECK(fs(&c, 0x1000, 0, &r) == 0 && r.ad_levels == 1u << 1 && !r.set_dirty,
	      "FS A/D: read of a leaf with A=0: A update at level 1 only");
	CHECK(fs(&c, 0x1000, VTD_ACC_WRITE, &r) == 0 && r.set_dirty, "FS A/D: write with D=0: D update");
	s = slot_at(c.fsptptr, 4, 0x1000, 3, FS_TABLE);
	put(s, get(s) & ~A);
	CHECK(fs(&c, 0x1000, 0, &r) == 0 && r.ad_levels == ((1u << 3) | (1u << 1)),
	      "FS A/D: A=0 in the PDPE too");
	c.eafe = true;
	CHECK(fs(&c, 0x1000, 0, &r) == 0 && r.ad_levels == 0x1e, "FS A/D: EAFE=1 and EA=0 everywhere: every level");
	put(s, get(s) | A | EA);
	CHECK(fs(&c, 0x1000, 0, &r) == 0 && r.ad_levels == 0x16, "FS A/D: EAFE=1, A and EA set in the PDPE");
	CHECK(get(s) == (get(s) | A | EA) && (get(slot_at(c.fsptptr, 4, 0x1000, 1, 0)) & (A | D)) == 0,
	      "FS A/D: the walker wrote nothing");
}

static void test_ss(int levels, bool sm)
{
	struct vtd_sswalk_cfg c = ss_cfg(levels, sm);
	struct vtd_walk_result r;
	uint64_t hi = levels == 5 ? 0x12000000000000ull : levels == 4 ? 0x7000000000ull : 0;
	const char *m = sm ? "SM" : "legacy";

	ss_map(&c, hi | 0x1000, 0x801000, 1, SR | SW);
	CHECK(ss(&c, hi | 0x1234, VTD_ACC_WRITE, &r) == 0 && r.pa == 0x801234 && r.level == 1 && r.block_shift == 12 &&
	      reads == (unsigned int)levels, "SS %s %d-level: 4K write (%u reads)", m, levels, reads);
	ss_map(&c, hi | 0x200000, 0x600000, 2, SR | SW);
	CHECK(ss(&c, hi | 0x2fffff, 0, &r) == 0 && r.pa == 0x6fffff && r.level == 2 && r.block_shift == 21,
	      "SS %s %d-level: 2M superpage", m, levels);
	ss_map(&c, hi | 0x40000000, 0x40000000, 3, SR | SW);
	CHECK(ss(&c, hi | 0x40000008, 0, &r) == 0 && r.pa == 0x40000008 && r.level == 3 && r.block_shift == 30,
	      "SS %s %d-level: 1G superpage", m, levels);
	c.page_1g = false;
	CHECK(is_fault(ss(&c, hi | 0x40000008, 0, &r), &r, VTD_WALK_F_RESERVED, sm ? VTD_FR_SSS_RSVD : VTD_FR_PT_RSVD, 3),
	      "SS %s %d-level: 1G without SLLPS: reserved", m, levels);
	c.page_2m = false;
	CHECK(is_fault(ss(&c, hi | 0x200000, 0, &r), &r, VTD_WALK_F_RESERVED, sm ? VTD_FR_SSS_RSVD : VTD_FR_PT_RSVD, 2),
	      "SS %s %d-level: 2M without SLLPS: reserved", m, levels);
	c.page_1g = c.page_2m = true;

	ss_map(&c, hi | 0x3000, 0x803000, 1, SR);
	CHECK(ss(&c, hi | 0x3000, 0, &r) == 0 && r.readable && !r.writable, "SS %s: R-only page: read ok", m);
	CHECK(is_fault(ss(&c, hi | 0x3000, VTD_ACC_WRITE, &r), &r, VTD_WALK_F_WRITE,
		       sm ? VTD_FR_SGN_WRITE : VTD_FR_WRITE, 1), "SS %s: R-only page: write faults", m);
	ss_map(&c, hi | 0x4000, 0x804000, 1, SW);
	CHECK(ss(&c, hi | 0x4000, VTD_ACC_WRITE, &r) == 0 && !r.readable && r.writable, "SS %s: W-only page: write ok", m);
	CHECK(is_fault(ss(&c, hi | 0x4000, 0, &r), &r, VTD_WALK_F_READ, sm ? VTD_FR_SGN_READ : VTD_FR_READ, 1),
	      "SS %s: W-only page: read faults", m);

	/* R=W=0 at each level: not present there. */
	for (int l = levels; l >= 1; l--) {
		uint64_t s = slot_at(c.ssptptr, levels, hi | 0x1000, l, SR | SW), v = get(s);

		put(s, v & ~(SR | SW));
		CHECK(is_fault(ss(&c, hi | 0x1000, VTD_ACC_WRITE, &r), &r, VTD_WALK_F_NOT_PRESENT,
			       sm ? VTD_FR_SSS_NOT_PRESENT : VTD_FR_WRITE, l) && reads == (unsigned int)(levels - l + 1),
		      "SS %s %d-level: R=W=0 at level %d: not present", m, levels, l);
		CHECK(is_fault(ss(&c, hi | 0x1000, 0, &r), &r, VTD_WALK_F_NOT_PRESENT,
			       sm ? VTD_FR_SSS_NOT_PRESENT : VTD_FR_READ, l), "SS %s: ... read reason", m);
		put(s, v & ~SW);                                       /* R only on the path */
		CHECK(is_fault(ss(&c, hi | 0x1000, VTD_ACC_WRITE, &r), &r, VTD_WALK_F_WRITE,
			       sm ? VTD_FR_SGN_WRITE : VTD_FR_WRITE, 1), "SS %s: W=0 at level %d: write faults", m, l);
		put(s, v & ~SR);                                       /* W only on the path */
		CHECK(is_fault(ss(&c, hi | 0x1000, 0, &r), &r, VTD_WALK_F_READ, sm ? VTD_FR_SGN_READ : VTD_FR_READ, 1),
		      "SS %s: R=0 at level %d: read faults", m, l);
		put(s, v | TM);
		CHECK(is_fault(ss(&c, hi | 0x1000, 0, &r), &r, VTD_WALK_F_RESERVED, sm ? VTD_FR_SSS_RSVD : VTD_FR_PT_RSVD, l),
		      "SS %s: TM (bit 62) reserved at level %d", m, l);
		put(s, v | 1ull << 46);
		CHECK(is_fault(ss(&c, hi | 0x1000, 0, &r), &r, VTD_WALK_F_RESERVED, sm ? VTD_FR_SSS_RSVD : VTD_FR_PT_RSVD, l),
		      "SS %s: address bit 46 beyond HAW at level %d", m, l);
		put(s, v | SNP);
		CHECK(l == 1 && sm ? ss(&c, hi | 0x1000, 0, &r) == 0
			: is_fault(ss(&c, hi | 0x1000, 0, &r), &r, VTD_WALK_F_RESERVED, sm ? VTD_FR_SSS_RSVD : VTD_FR_PT_RSVD, l),
		      "SS %s: SNP at level %d: %s", m, l, l == 1 && sm ? "allowed in a leaf" : "reserved");
		put(s, v);
	}
	{
		uint64_t s = slot_at(c.ssptptr, levels, hi | 0x1000, levels, 0), v = get(s);

		if (levels >= 4) {
			put(s, v | PS);
			CHECK(is_fault(ss(&c, hi | 0x1000, 0, &r), &r, VTD_WALK_F_RESERVED,
				       sm ? VTD_FR_SSS_RSVD : VTD_FR_PT_RSVD, levels),
			      "SS %s %d-level: PS in the top entry is reserved", m, levels);
			put(s, v);
		}
		s = slot_at(c.ssptptr, levels, hi | 0x1000, 1, 0);
		v = get(s);
		put(s, v | 1ull << 63 | 0x3ffull << 52 | 0x77cull);       /* X, EMT, IPAT, PAT, A, D, ignored */
		CHECK(ss(&c, hi | 0x1000, 0, &r) == 0 && r.pa == 0x801000, "SS %s: ignored leaf bits accepted", m);
		put(s, v);
	}
	CHECK(is_fault(ss(&c, 1ull << (12 + 9 * levels), 0, &r), &r, VTD_WALK_F_ADDR,
		       sm ? VTD_FR_SGN_BEYOND_AW : VTD_FR_ADDR_BEYOND_MGAW, 0) && reads == 0,
	      "SS %s %d-level: input beyond the AGAW faults without a read", m, levels);
}

static void test_ss_misc(void)
{
	struct vtd_sswalk_cfg c = ss_cfg(5, true);
	struct vtd_walk_result r;

	c.mgaw_bits = 48;
	CHECK(is_fault(ss(&c, 1ull << 48, 0, &r), &r, VTD_WALK_F_ADDR, VTD_FR_SGN_BEYOND_AW, 0),
	      "SS: 5 levels but a 48-bit MGAW: input bit 48 faults");
	c.ssptptr = 1ull << 46;
	CHECK(is_fault(ss(&c, 0, 0, &r), &r, VTD_WALK_F_ROOT, VTD_FR_SSS_ROOT, 5), "SS SM: SSPTPTR beyond HAW (0x7b)");
	c.scalable = false;
	CHECK(is_fault(ss(&c, 0, 0, &r), &r, VTD_WALK_F_ROOT, VTD_FR_CTX_RSVD, 5), "SS legacy: SLPTPTR beyond HAW (0x0b)");
	c.ssptptr = 1ull << 40;
	CHECK(is_fault(ss(&c, 0, 0, &r), &r, VTD_WALK_F_FETCH, VTD_FR_PT_ACCESS, 5), "SS legacy: unreadable entry (0x07)");
	c.scalable = true;
	CHECK(is_fault(ss(&c, 0, 0, &r), &r, VTD_WALK_F_FETCH, VTD_FR_SSS_ACCESS, 5), "SS SM: unreadable entry (0x78)");
	c.levels = 2;
	CHECK(is_fault(ss(&c, 0, 0, &r), &r, VTD_WALK_F_CONFIG, VTD_FR_SM_PASID_INVALID, 0), "SS SM: 2 levels: 0x5b");
	c.levels = 6;
	c.scalable = false;
	CHECK(is_fault(ss(&c, 0, 0, &r), &r, VTD_WALK_F_CONFIG, VTD_FR_CTX_INVALID, 0), "SS legacy: 6 levels: 0x03");
}

/* A table whose every entry points at the table itself: each walk ends within `levels` reads. */
static void test_self_reference(void)
{
	struct vtd_fswalk_cfg f = fs_cfg(5);
	struct vtd_sswalk_cfg s = ss_cfg(5, true);
	struct vtd_walk_result r;

	for (int i = 0; i < 512; i++) {
		put(f.fsptptr + i * 8, f.fsptptr | FS_PAGE);
		put(s.ssptptr + i * 8, s.ssptptr | SR | SW);
	}
	CHECK(fs(&f, 0x123456789000ull, VTD_ACC_WRITE, &r) == 0 && reads == 5 && r.level == 1 && r.pa == f.fsptptr,
	      "FS self-referencing table: 5 reads, the table itself is the page");
	CHECK(ss(&s, 0x123456789000ull, 0, &r) == 0 && reads == 5 && r.pa == s.ssptptr,
	      "SS self-referencing table: 5 reads, the table itself is the page");
	for (int i = 0; i < 512; i++) {
		put(f.fsptptr + i * 8, f.fsptptr | FS_PAGE | PS);
		put(s.ssptptr + i * 8, s.ssptptr | SR | SW | PS);
	}
	CHECK(is_fault(fs(&f, 0x1000, 0, &r), &r, VTD_WALK_F_RESERVED, VTD_FR_SFS_RSVD, 5) && reads == 1,
	      "FS self-referencing table with PS: reserved at the top");
	CHECK(is_fault(ss(&s, 0x1000, 0, &r), &r, VTD_WALK_F_RESERVED, VTD_FR_SSS_RSVD, 5) && reads == 1,
	      "SS self-referencing table with PS: reserved at the top");
}

/* Random memory, random roots and addresses: never more reads than levels, faults always explained. */
static void test_random(void)
{
	unsigned int worst = 0, ok = 0, bad = 0;

	srand(7);
	/* Random flags; addresses mostly into the randomised megabyte, sometimes with high garbage. */
	for (uint64_t i = brk_ptr; i < brk_ptr + (1u << 20); i += 8) {
		uint64_t e = ((uint64_t)rand() & 0xfff) | (brk_ptr + ((uint64_t)rand() % 256) * 4096);

		if (rand() % 8)
			e |= 7;                                 /* mostly present, R/W, U/S */
		if (rand() % 16 == 0)
			e |= ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 33);
		put(i, e);
	}
	for (int n = 0; n < 20000; n++) {
		struct vtd_walk_result r;
		uint64_t root = brk_ptr + ((uint64_t)rand() % 256) * 4096;
		uint64_t iova = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 12) ^ (uint64_t)rand();
		int levels = 3 + n % 3, rc;

		if (n & 1) {
			struct vtd_fswalk_cfg c = { .fsptptr = root, .levels = (uint8_t)(levels < 4 ? 4 : levels),
						    .oaw_bits = 40, .sre = true, .ere = true, .page_1g = n & 2 };

			iova = (uint64_t)((int64_t)(iova << 16) >> 16);
			rc = fs(&c, iova, (unsigned int)rand() & 7, &r);
			levels = c.levels;
		} else {
			struct vtd_sswalk_cfg c = { .ssptptr = root, .levels = (uint8_t)levels, .mgaw_bits = 57,
						    .oaw_bits = 40, .scalable = n & 2, .page_2m = true, .page_1g = n & 4 };

			rc = ss(&c, iova, (unsigned int)rand() & 1, &r);
		}
		if (reads > worst)
			worst = reads;
		if (reads > (unsigned int)levels || (rc == 0) != (r.fault == VTD_WALK_OK) || (rc && !r.reason) ||
		    (rc == 0 && (r.pa >> 40 || (r.pa ^ iova) & ((1ull << r.block_shift) - 1))))
			bad++;
		ok += rc == 0;
	}
	CHECK(bad == 0 && worst == 5 && ok > 100, "random tables: 20000 walks, %u translated, at most %u reads, %u bad",
	      ok, worst, bad);
}

int main(void)
{
	mem = calloc(1, MEM_SIZE);
	if (!mem)
		return 1;
	test_fs_leaves(4);
	test_fs_leaves(5);
	test_fs_not_present(4);
	test_fs_not_present(5);
	test_fs_reserved();
	test_fs_perms();
	test_fs_ad();
	for (int l = 3; l <= 5; l++) {
		test_ss(l, true);
		test_ss(l, false);
	}
	test_ss_misc();
	test_self_reference();
	test_random();
	free(mem);
	return tap_done();
}
