// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 configuration structures in guest RAM: the stream table (linear or 2-level, IHI 0070 3.3,
 * 5.1), STEs (5.2), CD tables (linear or 2-level, 5.3) and CDs (5.4). Every guest pointer is bounded
 * by the table geometry and read through gmem; anything malformed becomes the spec's configuration
 * error event (C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE, F_CD_FETCH, C_BAD_SUBSTREAMID, C_BAD_CD).
 */
#include <errno.h>
#include <string.h>

#include "iommu/smmuv3.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

static int read_words(const struct smmuv3 *s, uint64_t gpa, uint64_t *w, unsigned int n)
{
	uint8_t b[64];

	if (n > 8 || gmem_read(s->mem, gpa, b, n * 8))
		return -EFAULT;
	for (unsigned int i = 0; i < n; i++) {
		w[i] = 0;
		for (int j = 7; j >= 0; j--)
			w[i] = w[i] << 8 | b[i * 8 + j];
	}
	return 0;
}

static int bad(uint64_t evt[EVT_DWORDS], unsigned int id, uint32_t sid, uint64_t fetch)
{
	evt[0] = smmuv3_evt0(id, sid);
	evt[3] = fetch & EVT3_FETCH_ADDR;
	return -EINVAL;
}

static unsigned int oas_bits(const struct smmuv3 *s)
{
	return s1walk_ps_bits(s->feat.oas);
}

/* Finds the STE of SID and reads it into STE (3.3.1 linear, 3.3.2 2-level). */
static int fetch_ste(const struct smmuv3 *s, uint32_t sid, uint64_t ste[STE_DWORDS], uint64_t evt[EVT_DWORDS])
{
	unsigned int log2size = STRTAB_CFG_LOG2SIZE(s->strtab_base_cfg);
	uint64_t base = s->strtab_base & STRTAB_BASE_ADDR, addr;

	if (log2size > s->feat.sidsize)
		log2size = s->feat.sidsize;     /* LOG2SIZE beyond IDR1.SIDSIZE is capped (6.3.24) */
	if (log2size < 32 && (sid >> log2size))
		return bad(evt, EVT_C_BAD_STREAMID, sid, 0);

	if (s->feat.two_level_st && STRTAB_CFG_FMT(s->strtab_base_cfg) == STRTAB_CFG_FMT_2LVL) {
		unsigned int split = STRTAB_CFG_SPLIT(s->strtab_base_cfg), span;
		unsigned int l1_bits = log2size > split ? log2size - split : 0;
		uint64_t l1, l1_addr, l2idx;

		/* SPLIT is 6, 8 or 10 (4/16/64 KiB L2 tables); other values are reserved (6.3.24):
		 * we treat the table as unusable. */
		if (split != 6 && split != 8 && split != 10)
			return bad(evt, EVT_C_BAD_STREAMID, sid, 0);
		/* The L1 table is aligned to its size, at least 64 bytes. */
		base &= ~((l1_bits + 3 > 6 ? 1ull << (l1_bits + 3) : 64) - 1);
		l1_addr = base + (uint64_t)(sid >> split) * 8;
		if (read_words(s, l1_addr, &l1, 1))
			return bad(evt, EVT_F_STE_FETCH, sid, l1_addr);
		/* Span 0: no L2 table; Span n covers 2^(n-1) STEs, at most 2^SPLIT (5.1). */
		span = L1STD_SPAN(l1);
		if (span == 0 || span > split + 1)
			return bad(evt, EVT_C_BAD_STREAMID, sid, 0);
		l2idx = sid & ((1u << split) - 1);
		if (l2idx >= (1ull << (span - 1)))
			return bad(evt, EVT_C_BAD_STE, sid, 0);
		addr = (l1 & L1STD_L2PTR & ~((64ull << (span - 1)) - 1)) + l2idx * 64;
	} else {
		base &= ~((64ull << log2size) - 1);
		addr = base + (uint64_t)sid * 64;
	}
	if (read_words(s, addr, ste, STE_DWORDS))
		return bad(evt, EVT_F_STE_FETCH, sid, addr);
	return 0;
}

/* Finds CD number SSID of a stage-1 STE (5.3: linear, or L1 descriptors to 4K/64K leaf tables). */
static int fetch_cd(const struct smmuv3 *s, uint32_t sid, const uint64_t ste[STE_DWORDS], uint32_t ssid,
		    uint64_t cd[CD_DWORDS], uint64_t evt[EVT_DWORDS])
{
	uint64_t ctx = ste[0] & STE0_S1CTXPTR, addr;
	unsigned int cdmax = STE0_S1CDMAX(ste[0]);

	if (cdmax == 0) {
		addr = ctx;     /* a single CD; S1Fmt ignored */
	} else {
		unsigned int fmt = STE0_S1FMT(ste[0]), leaf_bits;
		uint64_t l1, l1_addr;

		if (ssid >> cdmax)
			return bad(evt, EVT_C_BAD_SUBSTREAMID, sid, 0);
		if (fmt == S1FMT_LINEAR) {
			addr = (ctx & ~((64ull << cdmax) - 1)) + (uint64_t)ssid * 64;
		} else {
			leaf_bits = fmt == S1FMT_4K_L2 ? 6 : 10;
			l1_addr = ctx + (uint64_t)(ssid >> leaf_bits) * 8;
			if (read_words(s, l1_addr, &l1, 1))
				return bad(evt, EVT_F_CD_FETCH, sid, l1_addr);
			if (!(l1 & L1CD_V))
				return bad(evt, EVT_C_BAD_SUBSTREAMID, sid, 0);
			addr = (l1 & L1CD_L2PTR) + (uint64_t)(ssid & ((1u << leaf_bits) - 1)) * 64;
		}
	}
	if (read_words(s, addr, cd, CD_DWORDS))
		return bad(evt, EVT_F_CD_FETCH, sid, addr);
	return 0;
}

static bool granule_ok(const struct smmuv3 *s, uint8_t shift)
{
	return (shift == 12 && s->feat.gran4k) || (shift == 14 && s->feat.gran16k) ||
	       (shift == 16 && s->feat.gran64k);
}

/* CD validity (5.4): what makes a CD ILLEGAL on this implementation. */
static int decode_cd(const struct smmuv3 *s, uint32_t sid, const uint64_t cd[CD_DWORDS],
		     struct viommu_stream_cfg *cfg, uint64_t evt[EVT_DWORDS])
{
	struct s1walk_cfg *c = &cfg->s1;
	unsigned int oas = oas_bits(s), ips = s1walk_ps_bits(CD0_IPS(cd[0]));

	if (!(cd[0] & CD0_V) || !(cd[0] & CD0_AA64) ||    /* IDR0.TTF: AArch64 tables only */
	    (cd[0] & CD0_ENDI) ||                           /* IDR0.TTENDIAN: little-endian only */
	    (cd[0] & CD0_S) ||                              /* IDR0.STALL_MODEL: no stalls */
	    !(cd[0] & CD0_A))                               /* IDR0.TERM_MODEL: faults abort */
		return bad(evt, EVT_C_BAD_CD, sid, 0);
	c->oas_bits = ips < oas ? ips : oas;
	for (int i = 0; i < 2; i++) {
		struct s1walk_tt *tt = &c->tt[i];
		uint64_t w = i ? cd[2] : cd[1];

		tt->disabled = !!(cd[0] & (i ? CD0_EPD1 : CD0_EPD0));
		if (tt->disabled)
			continue;
		tt->tsz = i ? CD0_T1SZ(cd[0]) : CD0_T0SZ(cd[0]);
		tt->granule_shift = i ? s1walk_tg1_shift(CD0_TG1(cd[0])) : s1walk_tg0_shift(CD0_TG0(cd[0]));
		tt->ttb = w & CD_TTB;
		tt->had = !!(w & (i ? CD2_HAD1 : CD1_HAD0));
		/* TxSZ within 16..39 (no 52-bit VAs, IDR5.VAX == 0; no small tables, IDR3.STT == 0),
		 * granule advertised in IDR5, table inside the output address space. */
		if (tt->tsz < 16 || tt->tsz > 39 || !granule_ok(s, tt->granule_shift) || (tt->ttb >> c->oas_bits))
			return bad(evt, EVT_C_BAD_CD, sid, 0);
	}
	c->tbi[0] = !!(cd[0] & CD0_TBI0);
	c->tbi[1] = !!(cd[0] & CD0_TBI1);
	c->affd = !!(cd[0] & CD0_AFFD);
	c->pan = !!(cd[0] & CD0_PAN);
	c->asid = (uint16_t)CD0_ASID(cd[0]);
	cfg->record_faults = !!(cd[0] & CD0_R);
	return 0;
}

int smmuv3_load_config(struct smmuv3 *s, uint32_t sid, struct viommu_stream_cfg *cfg, uint64_t evt[EVT_DWORDS])
{
	uint64_t ste[STE_DWORDS], cd[CD_DWORDS];
	int r;

	memset(cfg, 0, sizeof(*cfg));
	memset(evt, 0, EVT_DWORDS * sizeof(*evt));
	if (!(s->cr0 & CR0_SMMUEN)) {
		/* Disabled SMMU: GBPA says abort or bypass, no event (3.2, 6.3.14). */
		cfg->kind = (s->gbpa & GBPA_ABORT) ? VIOMMU_CFG_ABORT : VIOMMU_CFG_BYPASS;
		return 0;
	}
	r = fetch_ste(s, sid, ste, evt);
	if (r)
		return r;
	cfg->raw[0] = ste[0];
	cfg->raw[1] = ste[1];
	if (!(ste[0] & STE0_V))
		return bad(evt, EVT_C_BAD_STE, sid, 0);
	switch (STE0_CONFIG(ste[0])) {
	case STE_CFG_ABORT:
		cfg->kind = VIOMMU_CFG_ABORT;   /* terminated without an event (5.2, Config) */
		return 0;
	case STE_CFG_BYPASS:
		cfg->kind = VIOMMU_CFG_BYPASS;
		return 0;
	case STE_CFG_S1:
		break;
	default:
		/* Reserved encodings, and stage 2 which IDR0.S2P does not offer: ILLEGAL. */
		return bad(evt, EVT_C_BAD_STE, sid, 0);
	}
	/* STRW other than NS-EL1 needs IDR0.HYP; S1CDMax beyond IDR1.SSIDSIZE; S1Fmt 0b11 reserved;
	 * the CD pointer outside the output address space (5.2). */
	if (STE1_STRW(ste[1]) != 0 || STE0_S1CDMAX(ste[0]) > s->feat.ssidsize || STE0_S1FMT(ste[0]) == 3 ||
	    ((ste[0] & STE0_S1CTXPTR) >> oas_bits(s)))
		return bad(evt, EVT_C_BAD_STE, sid, 0);
	if (STE0_S1CDMAX(ste[0]) != 0) {
		/* Transactions without a SubstreamID follow S1DSS (5.2). */
		switch (STE1_S1DSS(ste[1])) {
		case S1DSS_TERMINATE:
			return bad(evt, EVT_F_STREAM_DISABLED, sid, 0);
		case S1DSS_BYPASS:
			cfg->kind = VIOMMU_CFG_BYPASS;
			return 0;
		case S1DSS_SSID0:
			break;
		default:
			return bad(evt, EVT_C_BAD_STE, sid, 0);
		}
	}
	r = fetch_cd(s, sid, ste, 0, cd, evt);
	if (r)
		return r;
	r = decode_cd(s, sid, cd, cfg, evt);
	if (r)
		return r;
	cfg->s1.priv = STE1_PRIVCFG(ste[1]) == 3;      /* 0b11: privileged; else incoming (unprivileged) */
	cfg->kind = VIOMMU_CFG_S1;
	cfg->walker = &s1walk_ops;
	cfg->tag = cfg->s1.asid;
	return 0;
}
