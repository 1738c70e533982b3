// SPDX-License-Identifier: GPL-2.0-only
/* AArch64 stage-1 table walk for DMA (see s1walk.h). */
#include "iommu/s1walk.h"

#include <errno.h>
#include <string.h>

/* Descriptor bits, ARM DDI 0487 D8.3 (VMSAv8-64 translation table format descriptors). */
#define DESC_VALID      (1ull << 0)
#define DESC_TABLE      (1ull << 1)     /* at levels 0-2: table (1) or block (0); at level 3: page (1) */
#define DESC_AP1        (1ull << 6)     /* AP[1]: unprivileged (EL0) access allowed */
#define DESC_AP2        (1ull << 7)     /* AP[2]: read-only */
#define DESC_AF         (1ull << 10)
#define DESC_OA_HI      (0xfull << 48)  /* OA[51:48] (FEAT_LPA): we support OAs up to 48 bits */
#define TABLE_APT0      (1ull << 61)    /* APTable[0]: no unprivileged access below */
#define TABLE_APT1      (1ull << 62)    /* APTable[1]: no write access below */

uint8_t s1walk_tg0_shift(unsigned int tg0)
{
	static const uint8_t s[4] = { 12, 16, 14, 0 };

	return s[tg0 & 3];
}

uint8_t s1walk_tg1_shift(unsigned int tg1)
{
	static const uint8_t s[4] = { 0, 14, 12, 16 };

	return s[tg1 & 3];
}

uint8_t s1walk_ps_bits(unsigned int ps)
{
	static const uint8_t b[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };

	return b[ps & 7];
}

static int fault(struct s1walk_result *res, enum viommu_fault_kind f, int level)
{
	res->fault = f;
	res->level = level;
	return -EFAULT;
}

/* Block descriptors exist at level 1 (4K granule) and level 2 (all granules) without FEAT_LPA2. */
static bool block_allowed(uint8_t g, int level)
{
	return level == 2 || (level == 1 && g == 12);
}

int s1walk(const struct s1walk_cfg *cfg, uint64_t iova, bool write, s1walk_read_fn rd, void *opaque,
	   struct s1walk_result *res)
{
	unsigned int sel = (iova >> 55) & 1;    /* VA[55] selects TTB0/TTB1 (D8.2.4) */
	const struct s1walk_tt *tt = &cfg->tt[sel];
	uint8_t g = tt->granule_shift, stride, oas = cfg->oas_bits > 48 ? 48 : cfg->oas_bits;
	unsigned int va_bits, top, levels;
	bool no_write = false, no_unpriv = false;
	uint64_t table, oa_mask;
	int level;

	memset(res, 0, sizeof(*res));
	if (tt->disabled || (g != 12 && g != 14 && g != 16) || tt->tsz < 16 || tt->tsz > 39)
		return fault(res, VIOMMU_F_TRANSLATION, 0);
	va_bits = 64 - tt->tsz;
	/* Bits [top-1:va_bits] must all equal VA[55] (TBI excludes the top byte), else the address is
	 * outside both ranges: translation fault (D8.2.3). */
	top = cfg->tbi[sel] ? 56 : 64;
	{
		uint64_t hi = (top == 64 ? iova : iova & ((1ull << top) - 1)) >> va_bits;
		uint64_t want = sel ? ((1ull << (top - va_bits)) - 1) : 0;

		if (hi != want)
			return fault(res, VIOMMU_F_TRANSLATION, 0);
	}
	stride = g - 3;
	levels = (va_bits - g + stride - 1) / stride;
	level = 4 - (int)levels;
	oa_mask = ((1ull << 48) - 1) & ~((1ull << g) - 1);
	/* The table base is aligned to the size of the start-level table; lower bits are RES0. */
	{
		unsigned int start_bits = va_bits - (g + (3 - level) * stride);
		uint64_t align = (1ull << (start_bits + 3)) - 1;

		if (align < 7)
			align = 7;
		table = tt->ttb & ((1ull << 52) - 1) & ~align;
		if (table >> oas)
			return fault(res, VIOMMU_F_ADDR_SIZE, level);
	}

	for (; level <= 3; level++) {
		unsigned int shift = g + (3 - level) * stride;
		unsigned int bits = level == 4 - (int)levels ? va_bits - shift : stride;
		uint64_t idx = (iova >> shift) & ((1ull << bits) - 1);
		uint64_t daddr = table + idx * 8, desc, out;

		if (rd(opaque, daddr, &desc)) {
			res->fetch_addr = daddr;
			return fault(res, VIOMMU_F_WALK_EABT, level);
		}
		if (!(desc & DESC_VALID))
			return fault(res, VIOMMU_F_TRANSLATION, level);
		if (level < 3 && (desc & DESC_TABLE)) {
			if ((desc & DESC_OA_HI) || ((desc & oa_mask) >> oas))
				return fault(res, VIOMMU_F_ADDR_SIZE, level);
			if (!tt->had) {
				no_write |= !!(desc & TABLE_APT1);
				no_unpriv |= !!(desc & TABLE_APT0);
			}
			table = desc & oa_mask;
			continue;
		}
		/* Level 3 with bit 1 clear is reserved; blocks only where the granule allows them. */
		if (level == 3 ? !(desc & DESC_TABLE) : !block_allowed(g, level))
			return fault(res, VIOMMU_F_TRANSLATION, level);
		out = desc & ((1ull << 48) - 1) & ~((1ull << shift) - 1);
		if ((desc & DESC_OA_HI) || (out >> oas))
			return fault(res, VIOMMU_F_ADDR_SIZE, level);
		/* No hardware AF update (IDR0.HTTU == 0): AF == 0 is an Access flag fault unless AFFD. */
		if (!(desc & DESC_AF) && !cfg->affd)
			return fault(res, VIOMMU_F_ACCESS, level);
		{
			bool ro = (desc & DESC_AP2) || no_write;
			bool unpriv_ok = (desc & DESC_AP1) && !no_unpriv;
			bool readable = cfg->priv ? !(cfg->pan && (desc & DESC_AP1)) : unpriv_ok;

			if (!readable || (write && ro))
				return fault(res, VIOMMU_F_PERMISSION, level);
			res->writable = !ro;
		}
		res->level = level;
		res->block_shift = shift;
		res->pa = out | (iova & ((1ull << shift) - 1));
		return 0;
	}
	return fault(res, VIOMMU_F_TRANSLATION, 3);   /* not reached: level 3 always decides */
}

static int ops_walk(const void *cfg, uint64_t iova, bool write, pgwalk_read_fn rd, void *opaque, struct pgwalk_out *out,
		    struct pgwalk_fault *fault)
{
	struct s1walk_result r;

	if (s1walk(cfg, iova, write, rd, opaque, &r)) {
		*fault = (struct pgwalk_fault){ .kind = r.fault, .level = r.level, .fetch_addr = r.fetch_addr };
		return -EFAULT;
	}
	*out = (struct pgwalk_out){ .pa = r.pa, .block_shift = r.block_shift, .writable = r.writable };
	return 0;
}

static uint64_t ops_tlb_addr(const void *cfg, uint64_t iova)
{
	return s1walk_tlb_va(cfg, iova);
}

const struct pgwalk_ops s1walk_ops = {
	.name = "aarch64-vmsa-s1",
	.walk = ops_walk,
	.tlb_addr = ops_tlb_addr,
};
