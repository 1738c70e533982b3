// SPDX-License-Identifier: GPL-2.0-only
/*
 * VT-d legacy-mode DMA remapping for emulated devices (rev 5 3.4.2): the source id's root entry
 * (9.1) and context entry (9.3) read from guest RAM, decoded into a stream config for the
 * software backend (second-stage tables walked by vtd_ss_pgwalk, pass-through, or blocked), and
 * every fault recorded as a primary fault (7.2) unless the context entry's FPD says not to. A
 * stream's decoded entry is kept until the guest invalidates the context cache (or sets a root
 * table, or toggles TE); a lookup that faults is never kept (CAP.CM = 0: the guest does not
 * invalidate when it makes a not-present entry present).
 */
#include <errno.h>
#include <string.h>

#include "iommu/vtd.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

/* Root entry (9.1): P bit 0, CTP 63:12 in the low qword; bits 11:1 and the high qword reserved. */
#define ROOT_P          (1ull << 0)
/* Context entry (9.3): low qword P 0, FPD 1, TT 3:2, SLPTPTR 63:12 (11:4 reserved); high qword
 * AW 2:0, DID 23:8 (bits 6:3 ignored, 7 and 63:24 reserved). */
#define CTX_P           (1ull << 0)
#define CTX_FPD         (1ull << 1)
#define CTX_TT(lo)      (((lo) >> 2) & 3)
#define CTX_LO_RSVD     VTD_BITS(11, 4)
#define CTX_AW(hi)      ((unsigned int)((hi) & 7))
#define CTX_DID(hi)     ((uint16_t)((hi) >> 8))
#define CTX_HI_RSVD     (VTD_BITS(63, 24) | 1ull << 7)
#define TT_SLPT         0               /* untranslated requests through the second-stage tables */
#define TT_PT           2               /* pass-through (ECAP.PT) */

int vtd_read64(const struct vtd *s, uint64_t pa, uint64_t *v)
{
	uint8_t b[8];

	if ((pa & 7) || gmem_read(s->mem, pa, b, 8))
		return -EFAULT;
	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = *v << 8 | b[i];
	return 0;
}

static struct vtd_stream *find_stream(struct vtd *s, uint16_t sid)
{
	for (unsigned int i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid == sid)
			return &s->streams[i];
	return NULL;
}

void vtd_streams_unload(struct vtd *s)
{
	for (unsigned int i = 0; i < s->nr_streams; i++)
		s->streams[i].loaded = false;
}

/*
 * The config of SID from the active root table: 0 with CFG (and ST's FPD and DID), or -EFAULT
 * with *REASON the fault reason (Appendix A) for the request.
 */
static int load_context(struct vtd *s, struct vtd_stream *st, struct viommu_stream_cfg *cfg, uint8_t *reason)
{
	uint64_t root_lo, root_hi, lo, hi, haw_mask = VTD_BITS(s->feat.haw - 1, 12);
	uint64_t root = s->rta & RTADDR_MASK, ctp;
	unsigned int levels;

	memset(cfg, 0, sizeof(*cfg));
	st->fpd = false;
	if (!(s->gsts & GCMD_TE)) {
		cfg->kind = VIOMMU_CFG_BYPASS;  /* 3.4: with translation disabled requests are untranslated */
		return 0;
	}
	/* TE without a root table set is a programming error; reported as the root table fetch failing. */
	if (!(s->gsts & GCMD_SRTP) || vtd_read64(s, root + (st->sid >> 8) * 16, &root_lo) ||
	    vtd_read64(s, root + (st->sid >> 8) * 16 + 8, &root_hi)) {
		*reason = VTD_FR_ROOT_FETCH;
		return -EFAULT;
	}
	if (!(root_lo & ROOT_P)) {
		*reason = VTD_FR_ROOT_NOT_PRESENT;
		return -EFAULT;
	}
	ctp = root_lo & ~0xfffull;
	if ((root_lo & VTD_BITS(11, 1)) || root_hi || (ctp & ~haw_mask)) {
		*reason = VTD_FR_ROOT_RSVD;
		return -EFAULT;
	}
	if (vtd_read64(s, ctp + (st->sid & 0xff) * 16, &lo) || vtd_read64(s, ctp + (st->sid & 0xff) * 16 + 8, &hi)) {
		*reason = VTD_FR_CTX_FETCH;
		return -EFAULT;
	}
	if (!(lo & CTX_P)) {
		*reason = VTD_FR_CTX_NOT_PRESENT;
		return -EFAULT;
	}
	st->fpd = lo & CTX_FPD;
	if ((lo & CTX_LO_RSVD) || (hi & CTX_HI_RSVD)) {
		*reason = VTD_FR_CTX_RSVD;
		return -EFAULT;
	}
	st->did = CTX_DID(hi);
	switch (CTX_TT(lo)) {
	case TT_PT:
		if (!s->feat.pt)
			break;
		cfg->kind = VIOMMU_CFG_BYPASS;
		return 0;
	case TT_SLPT:
		/* AW n selects a 30 + 9n-bit AGAW, (n + 2) levels; it must be one SAGAW offers. */
		levels = CTX_AW(hi) + 2;
		if (!(s->feat.sagaw & (1u << CTX_AW(hi))))
			break;
		cfg->kind = VIOMMU_CFG_S1;
		cfg->walker = &vtd_ss_pgwalk;
		cfg->ss = (struct vtd_sswalk_cfg){
			.ssptptr = lo & ~0xfffull, .levels = (uint8_t)levels, .mgaw_bits = s->feat.mgaw,
			.oaw_bits = s->feat.haw, .page_2m = true, .page_1g = true,
		};
		cfg->tag = st->did;
		cfg->record_faults = !st->fpd;
		cfg->raw[0] = lo;
		cfg->raw[1] = hi;
		return 0;
	}
	/* TT 01b needs ECAP.DT, 11b is reserved; TT 10b needs ECAP.PT; AW outside SAGAW (Appendix A 0x03). */
	*reason = VTD_FR_CTX_INVALID;
	return -EFAULT;
}

static int translate(struct vtd *s, struct vtd_stream *st, uint64_t iova, bool write, struct viommu_xlate *out)
{
	struct viommu_stream_cfg cfg;
	struct viommu_fault f;
	uint8_t reason = 0;
	int r = -ENOENT;

	for (int tries = 0; tries < 2 && r == -ENOENT; tries++) {
		if (!st->loaded) {
			if (load_context(s, st, &cfg, &reason)) {
				if (!st->fpd)
					vtd_fault_record(s, st->sid, reason, iova, write);
				return -EFAULT;
			}
			r = viommu_attach(s->viommu, st->sid, &cfg);
			if (r) {
				pr_debug("vtd: attaching source id %#x: %d", st->sid, r);
				return -EFAULT;
			}
			st->loaded = true;
		}
		memset(&f, 0, sizeof(f));
		r = s->viommu->ops->translate(s->viommu, st->sid, iova, write, out, &f);
		if (r == -ENOENT)
			st->loaded = false;     /* the backend lost it: load again once */
	}
	if (r == -EFAULT) {
		if (!st->fpd)
			vtd_fault_record(s, st->sid, f.reason ? f.reason : VTD_FR_PT_ACCESS, iova, write);
		return -EFAULT;
	}
	return r ? -EFAULT : 0;
}

int vtd_translate(struct vtd *s, uint16_t sid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	struct vtd_stream *st;
	int r = -ENODEV;

	pthread_mutex_lock(&s->lock);
	st = find_stream(s, sid);
	if (st)
		r = translate(s, st, iova, write, out);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void vtd_inv_context(struct vtd *s, unsigned int gran, uint16_t did, uint16_t sid, unsigned int fm)
{
	/* FM (6.5.2.1): 01b, 10b, 11b leave function bits 2, 2:1, 2:0 of SID out of the match. */
	static const uint16_t ignored[4] = { 0, 4, 6, 7 };
	uint16_t mask = (uint16_t)~ignored[fm & 3];

	for (unsigned int i = 0; i < s->nr_streams; i++) {
		struct vtd_stream *st = &s->streams[i];

		/* Global (1), domain-selective (2: every stream of DID; one whose entry is not loaded
		 * may belong to it too, unloading it again is harmless), device-selective (3). */
		if (gran == 1 || (gran == 2 && (!st->loaded || st->did == did)) ||
		    (gran == 3 && (st->sid & mask) == (sid & mask)))
			st->loaded = false;
	}
}

void vtd_inv_iotlb(struct vtd *s, unsigned int gran, uint16_t did, uint64_t addr, unsigned int am)
{
	struct viommu_inval inv = { .kind = VIOMMU_INV_ALL };

	/* Global (1), domain-selective (2), page-selective (3: 2^AM pages at ADDR, aligned down;
	 * an AM beyond CAP.MAMV is widened to the whole domain, which removes more, never less). */
	if (gran == 2 || (gran == 3 && am > 18)) {
		inv = (struct viommu_inval){ .kind = VIOMMU_INV_ASID, .asid = did };
	} else if (gran == 3) {
		uint64_t size = 0x1000ull << am;

		inv = (struct viommu_inval){ .kind = VIOMMU_INV_VA, .asid = did, .iova = addr & ~(size - 1), .size = size };
	}
	viommu_invalidate(s->viommu, &inv, 1, NULL);
}
