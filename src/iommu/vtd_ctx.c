// SPDX-License-Identifier: GPL-2.0-only
/*
 * VT-d DMA remapping for emulated devices (rev 5 3.4): in legacy mode (3.4.2) the source id's root
 * entry (9.1) and context entry (9.3), in scalable mode (3.4.3) its scalable-mode root and context
 * entries (9.2, 9.4) and, for its requests without PASID, the PASID directory and table entries
 * of RID_PASID 0 (9.5, 9.6); read from guest RAM and decoded into a stream config for the
 * software backend (second-stage tables walked by vtd_ss_pgwalk, first-stage by vtd_fs_pgwalk,
 * pass-through, or blocked), and
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
#define TT_DEVTLB       1               /* the same, translation requests too (ECAP.DT) */
#define TT_PT           2               /* pass-through (ECAP.PT) */
/* Scalable-mode root entry (9.2): LP 0 / LCTP 63:12 (devfn 0-127) in the low qword, UP / UCTP in
 * the high one, bits 11:1 of each reserved. Scalable-mode context entry (9.4, 256-bit): qword 0
 * P 0, FPD 1, DTE 2, PASIDE 3, PRE 4, PDTS 11:9 (2^(PDTS+7) directory entries), PASIDDIRPTR
 * 63:12; qword 1 RID_PASID 19:0, RID_PRIV 20, 63:21 reserved; qwords 2-3 reserved. */
#define SM_CTX_PRE      (1ull << 4)
#define SM_CTX_PDTS(q0) ((unsigned int)((q0) >> 9) & 7)
#define SM_CTX_Q1_RSVD  VTD_BITS(63, 21)
/* PASID directory entry (9.5): P 0, FPD 1, 11:2 reserved, SMPTBLPTR 63:12. */
#define PDE_RSVD        VTD_BITS(11, 2)
/* PASID table entry (9.6, 512-bit): qword 0 P 0, FPD 1, AW 4:2, PGTT 8:6, SSPTPTR 63:12;
 * qword 1 DID 15:0; qword 2 SRE 0, FSPM 3:2, WPE 4, EAFE 7, FSPTPTR 63:12. */
#define PE_AW(q0)       ((unsigned int)((q0) >> 2) & 7)
#define PE_PGTT(q0)     ((unsigned int)((q0) >> 6) & 7)
#define PGTT_FS         1
#define PGTT_SS         2
#define PGTT_PT         4
#define PE_SRE          (1ull << 0)
#define PE_FSPM(q2)     ((unsigned int)((q2) >> 2) & 3)
#define PE_WPE          (1ull << 4)
#define PE_EAFE         (1ull << 7)

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
	vtd_load_assigned(s);
}

static int fail(uint8_t *reason, uint8_t r)
{
	*reason = r;
	return -EFAULT;
}

/* CFG walks the second-stage tables at SLPT with AW (context or PASID entry): 0, or -EINVAL when
 * AW is not one SAGAW offers. */
static int ss_config(struct vtd *s, struct viommu_stream_cfg *cfg, uint64_t slpt, unsigned int aw, bool sm)
{
	/* AW n selects a 30 + 9n-bit AGAW, (n + 2) levels; it must be one SAGAW offers. */
	if (aw > 4 || !(s->feat.sagaw & (1u << aw)))
		return -EINVAL;
	cfg->kind = VIOMMU_CFG_S1;
	cfg->walker = &vtd_ss_pgwalk;
	cfg->ss = (struct vtd_sswalk_cfg){
		.ssptptr = slpt & ~0xfffull, .levels = (uint8_t)(aw + 2), .mgaw_bits = s->feat.mgaw,
		.oaw_bits = s->feat.haw, .scalable = sm, .page_2m = true, .page_1g = true,
	};
	return 0;
}

/*
 * Scalable mode (3.4.3): the PASID table entry (PE) of PASID of SID, through the scalable-mode
 * context entry (its qword 0 in *CTX0) and the PASID directory it points at: directory entry
 * PASID 19:6 (within the context's 2^(PDTS+7) entries), table entry PASID 5:0, 64 bytes each. *FPD
 * ORs every level's FPD. Requests without PASID use RID_PASID, which is 0 here (ECAP.RPS = 0).
 */
static int walk_pasid_entry(struct vtd *s, uint16_t sid, uint32_t pasid, uint64_t *ctx0, uint64_t pe[3], bool *fpd,
			    uint8_t *reason)
{
	uint64_t root = s->rta & RTADDR_MASK, haw_mask = VTD_BITS(s->feat.haw - 1, 12), re, ctp, at, q[4], pde;
	bool upper = (sid & 0xff) >= 128;

	*fpd = false;
	if (vtd_read64(s, root + (sid >> 8) * 16 + (upper ? 8 : 0), &re))
		return fail(reason, VTD_FR_SM_ROOT_FETCH);
	if (!(re & 1))
		return fail(reason, VTD_FR_SM_ROOT_NOT_PRESENT);
	ctp = re & ~0xfffull;
	if ((re & VTD_BITS(11, 1)) || (ctp & ~haw_mask))
		return fail(reason, VTD_FR_SM_ROOT_RSVD);
	at = ctp + (sid & 0x7f) * 32ull;
	for (int i = 0; i < 4; i++)
		if (vtd_read64(s, at + 8 * i, &q[i]))
			return fail(reason, VTD_FR_SM_CTX_FETCH);
	if (!(q[0] & CTX_P))
		return fail(reason, VTD_FR_SM_CTX_NOT_PRESENT);
	*fpd = q[0] & CTX_FPD;
	if ((q[0] & VTD_BITS(8, 5)) || (q[1] & SM_CTX_Q1_RSVD) || q[2] || q[3] || ((q[0] & ~0xfffull) & ~haw_mask))
		return fail(reason, VTD_FR_SM_CTX_RSVD);
	if (q[1] & VTD_BITS(19, 0))
		return fail(reason, VTD_FR_SM_CTX_RID_PASID);  /* RID_PASID must be 0 without ECAP.RPS */
	*ctx0 = q[0];
	if ((pasid >> 6) >> (SM_CTX_PDTS(q[0]) + 7))
		return fail(reason, VTD_FR_SM_PDE_NOT_PRESENT);    /* beyond the directory */
	if (vtd_read64(s, (q[0] & ~0xfffull) + (pasid >> 6) * 8ull, &pde))
		return fail(reason, VTD_FR_SM_PDE_FETCH);
	if (!(pde & 1))
		return fail(reason, VTD_FR_SM_PDE_NOT_PRESENT);
	*fpd |= (pde & CTX_FPD) != 0;
	if ((pde & PDE_RSVD) || ((pde & ~0xfffull) & ~haw_mask))
		return fail(reason, VTD_FR_SM_PDE_RSVD);
	for (int i = 0; i < 3; i++)
		if (vtd_read64(s, (pde & ~0xfffull) + (pasid & 63) * 64ull + 8 * i, &pe[i]))
			return fail(reason, VTD_FR_SM_PE_FETCH);
	if (!(pe[0] & 1))
		return fail(reason, VTD_FR_SM_PE_NOT_PRESENT);
	*fpd |= (pe[0] & CTX_FPD) != 0;
	return 0;
}

/* CFG from PASID table entry PE (9.6) of a unit with S's features. */
static int decode_pe(struct vtd *s, const uint64_t pe[3], struct viommu_stream_cfg *cfg, uint8_t *reason)
{
	cfg->raw[0] = pe[0];
	cfg->raw[1] = pe[1];
	cfg->raw[2] = pe[2];
	switch (PE_PGTT(pe[0])) {
	case PGTT_PT:
		if (!s->feat.pt)
			break;
		cfg->kind = VIOMMU_CFG_BYPASS;
		return 0;
	case PGTT_SS:
		/* Without ECAP.SLTS (nested backend) second-stage is not offered: an invalid PGTT. */
		if (!s->feat.ss || ss_config(s, cfg, pe[0], PE_AW(pe[0]), true))
			break;
		return 0;
	case PGTT_FS:
		/* FSPM 00b 4-level, 01b 5-level (CAP.FL5LP); the rest reserved (9.6). Without
		 * ECAP.FLTS (shadow backend) first-stage is not offered: an invalid PGTT. */
		if (PE_FSPM(pe[2]) > 1 || !s->feat.fs || (PE_FSPM(pe[2]) == 1 && !s->feat.fl5lp))
			break;
		cfg->kind = VIOMMU_CFG_S1;
		cfg->walker = &vtd_fs_pgwalk;
		cfg->fs = (struct vtd_fs_pgwalk_cfg){
			.fs = { .fsptptr = pe[2] & ~0xfffull, .levels = (uint8_t)(4 + PE_FSPM(pe[2])),
				.oaw_bits = s->feat.haw, .sre = pe[2] & PE_SRE, .wpe = pe[2] & PE_WPE,
				.eafe = pe[2] & PE_EAFE, .page_1g = s->feat.fl1gp },
			.mem = s->mem,
		};
		return 0;
	}
	/* Nested (011b, no ECAP.NEST), reserved PGTT, AW outside SAGAW: SPT.4 (Appendix A). */
	return fail(reason, VTD_FR_SM_PASID_INVALID);
}

/* Requests without PASID from ST's source id: PASID 0's entry, its domain id and FPD into ST. */
static int load_scalable(struct vtd *s, struct vtd_stream *st, struct viommu_stream_cfg *cfg, uint8_t *reason)
{
	uint64_t ctx0 = 0, pe[3];
	bool fpd;
	int r = walk_pasid_entry(s, st->sid, 0, &ctx0, pe, &fpd, reason);

	st->fpd = fpd;
	if (r)
		return r;
	st->did = (uint16_t)pe[1];
	cfg->tag = st->did;
	cfg->record_faults = !st->fpd;
	/* Page requests reach the page request queue only with PRE (9.4); the function sends them only
	 * with PRI enabled (PCIe 10.5.2.2): then the backend asks the host for them. */
	cfg->iopf = (ctx0 & SM_CTX_PRE) && st->pri;
	return decode_pe(s, pe, cfg, reason);
}

int vtd_pasid_config(struct vtd *s, const struct vtd_stream *st, uint32_t pasid, struct viommu_stream_cfg *cfg)
{
	uint64_t ctx0 = 0, pe[3];
	uint8_t reason;
	bool fpd;

	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = VIOMMU_CFG_ABORT;
	if (!(s->gsts & GCMD_TE) || !(s->gsts & GCMD_SRTP) || RTADDR_TTM(s->rta) != 1 || !pasid ||
	    pasid >> s->feat.pasid_bits)
		return -ENOENT;
	if (walk_pasid_entry(s, st->sid, pasid, &ctx0, pe, &fpd, &reason))
		return -ENOENT;
	cfg->tag = (uint16_t)pe[1];
	cfg->record_faults = !fpd;
	cfg->iopf = (ctx0 & SM_CTX_PRE) && st->pri;
	if (decode_pe(s, pe, cfg, &reason)) {
		*cfg = (struct viommu_stream_cfg){ .kind = VIOMMU_CFG_ABORT };
		return -EINVAL;
	}
	return 0;
}

bool vtd_pasid_present(struct vtd *s, uint16_t sid, uint32_t pasid)
{
	uint64_t ctx0, pe[3];
	uint8_t reason;
	bool fpd;

	return !walk_pasid_entry(s, sid, pasid, &ctx0, pe, &fpd, &reason);
}

bool vtd_pasid_dir_present(struct vtd *s, uint16_t sid, uint32_t pasid)
{
	uint64_t ctx0, pe[3];
	uint8_t reason;
	bool fpd;

	/* The walk got past the directory entry when it succeeded or stopped at the table entry. */
	return !walk_pasid_entry(s, sid, pasid, &ctx0, pe, &fpd, &reason) || reason == VTD_FR_SM_PE_FETCH ||
	       reason == VTD_FR_SM_PE_NOT_PRESENT;
}

/*
 * The config of SID from the active root table: 0 with CFG (and ST's FPD and DID), or -EFAULT
 * with *REASON the fault reason (Appendix A) for the request.
 */
static int load_context(struct vtd *s, struct vtd_stream *st, struct viommu_stream_cfg *cfg, uint8_t *reason)
{
	uint64_t root_lo, root_hi, lo, hi, haw_mask = VTD_BITS(s->feat.haw - 1, 12);
	uint64_t root = s->rta & RTADDR_MASK, ctp;

	memset(cfg, 0, sizeof(*cfg));
	st->fpd = false;
	if (!(s->gsts & GCMD_TE)) {
		cfg->kind = VIOMMU_CFG_BYPASS;  /* 3.4: with translation disabled requests are untranslated */
		return 0;
	}
	if ((s->gsts & GCMD_SRTP) && RTADDR_TTM(s->rta) == 1)
		return load_scalable(s, st, cfg, reason);
	if (RTADDR_TTM(s->rta))
		return fail(reason, VTD_FR_SM_RTADDR);     /* 10b reserved, 11b abort-DMA mode (no ADMS) */
	/* TE without a root table set is a programming error; reported as the root table fetch failing. */
	if (!(s->gsts & GCMD_SRTP) || vtd_read64(s, root + (st->sid >> 8) * 16, &root_lo) ||
	    vtd_read64(s, root + (st->sid >> 8) * 16 + 8, &root_hi))
		return fail(reason, VTD_FR_ROOT_FETCH);
	if (!(root_lo & ROOT_P))
		return fail(reason, VTD_FR_ROOT_NOT_PRESENT);
	ctp = root_lo & ~0xfffull;
	if ((root_lo & VTD_BITS(11, 1)) || root_hi || (ctp & ~haw_mask))
		return fail(reason, VTD_FR_ROOT_RSVD);
	if (vtd_read64(s, ctp + (st->sid & 0xff) * 16, &lo) || vtd_read64(s, ctp + (st->sid & 0xff) * 16 + 8, &hi))
		return fail(reason, VTD_FR_CTX_FETCH);
	if (!(lo & CTX_P))
		return fail(reason, VTD_FR_CTX_NOT_PRESENT);
	st->fpd = lo & CTX_FPD;
	if ((lo & CTX_LO_RSVD) || (hi & CTX_HI_RSVD))
		return fail(reason, VTD_FR_CTX_RSVD);
	st->did = CTX_DID(hi);
	switch (CTX_TT(lo)) {
	case TT_PT:
		if (!s->feat.pt)
			break;
		cfg->kind = VIOMMU_CFG_BYPASS;
		return 0;
	case TT_DEVTLB:
	case TT_SLPT:
		/* TT 01b (9.3, with ECAP.DT) allows translation requests too: the requests seen here
		 * are all untranslated ones, walked as with TT 00b. */
		if ((CTX_TT(lo) == TT_DEVTLB && !s->feat.dt) || ss_config(s, cfg, lo, CTX_AW(hi), false))
			break;
		cfg->tag = st->did;
		cfg->record_faults = !st->fpd;
		cfg->raw[0] = lo;
		cfg->raw[1] = hi;
		return 0;
	}
	/* TT 01b needs ECAP.DT, 11b is reserved; TT 10b needs ECAP.PT; AW outside SAGAW (Appendix A 0x03). */
	return fail(reason, VTD_FR_CTX_INVALID);
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

void vtd_load_assigned(struct vtd *s)
{
	for (unsigned int i = 0; i < s->nr_streams; i++) {
		struct vtd_stream *st = &s->streams[i];
		struct viommu_stream_cfg cfg;
		uint8_t reason;
		int r;

		if (!st->assigned || st->loaded)
			continue;
		/* Nothing to record: no request was made. Until the guest sets up a usable entry (and
		 * invalidates: CM=1), the device's DMA is blocked. */
		if (load_context(s, st, &cfg, &reason))
			cfg = (struct viommu_stream_cfg){ .kind = VIOMMU_CFG_ABORT };
		r = viommu_attach(s->viommu, st->sid, &cfg);
		if (r)
			pr_debug("vtd: attaching assigned source id %#x: %d", st->sid, r);
		/*
		 * Nested: the host refused an entry nestvm found valid (an SRE, EAFE or 5-level first
		 * stage the host VT-d lacks, or a second-stage table, which cannot nest). The device is
		 * blocked (the core put it on its blocked HWPT) and its DMA faults on the host, which
		 * the guest never sees: its unit records the fault the entry causes instead, as if the
		 * device's next request (address 0, a read) had found it (7.2.1; scalable mode: SPT.4,
		 * invalid programming of the PASID entry; legacy: invalid context entry), unless FPD.
		 */
		if (r && s->feat.nested && cfg.kind != VIOMMU_CFG_ABORT && !st->fpd)
			vtd_fault_record(s, st->sid, (s->gsts & GCMD_SRTP) && RTADDR_TTM(s->rta) == 1 ?
						     VTD_FR_SM_PASID_INVALID : VTD_FR_CTX_INVALID, 0, false);
		st->loaded = true;
		vtd_pasids_load(s, st);     /* its requests with PASID, if the unit has them */
	}
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
		if (gran == 1 || (gran == 2 && (!st->loaded || st->did == did || st->assigned)) ||
		    (gran == 3 && (st->sid & mask) == (sid & mask)))
			st->loaded = false;
	}
	vtd_load_assigned(s);
}

void vtd_inv_iotlb_queue(struct vtd *s, unsigned int gran, uint16_t did, bool pasid_based, uint32_t pasid,
			 uint64_t addr, unsigned int am, bool ih, uint32_t cookie)
{
	struct viommu_inval inv = { .kind = VIOMMU_INV_ALL };
	uint32_t bad;

	/*
	 * IOTLB (6.5.2.2, 11.4.7): global (1), domain-selective (2), page-selective (3: 2^AM pages at
	 * ADDR, aligned down, IH: only leaf entries changed). PASID-based IOTLB (6.5.2.4): 2 all of
	 * PASID in domain DID, 3 page-selective in it; the PASID is the ssid (an IOTLB descriptor's
	 * is 0, the only PASID the unit's requests have: RID_PASID). An AM beyond CAP.MAMV is widened
	 * to the whole domain, which removes more, never less.
	 */
	if (gran == 2 || (gran == 3 && am > 18)) {
		inv = (struct viommu_inval){ .kind = VIOMMU_INV_ASID, .asid = did };
	} else if (gran == 3) {
		uint64_t size = 0x1000ull << am;

		inv = (struct viommu_inval){ .kind = VIOMMU_INV_VA, .asid = did, .iova = addr & ~(size - 1), .size = size,
					     .leaf = ih };
	}
	inv.ssid = pasid_based ? pasid : 0;
	inv.raw[0] = (uint64_t)gran << 4 | (uint64_t)did << 16 | (uint64_t)pasid << 32 | (pasid_based ? 6 : 2);
	inv.raw[1] = addr | (ih ? 1u << 6 : 0) | am;
	inv.cookie = cookie;
	/* (The queue flushes a full batch itself, where a refusal stops it; never reached from there.) */
	if (s->nr_inv_pend == VIOMMU_INV_BATCH)
		vtd_inv_flush(s, &bad);
	s->inv_pend[s->nr_inv_pend++] = inv;
}

int vtd_inv_flush(struct vtd *s, uint32_t *cookie)
{
	unsigned int n = s->nr_inv_pend, done = n;
	int r;

	if (!n)
		return 0;
	s->nr_inv_pend = 0;
	r = viommu_invalidate(s->viommu, s->inv_pend, n, &done);
	/* -ETIMEDOUT is an ATC invalidation of SMMUv3's: none come from here. */
	if (!r || r == -ETIMEDOUT)
		return 0;
	*cookie = s->inv_pend[done < n ? done : n - 1].cookie;
	pr_debug("vtd: the backend refused the invalidation of descriptor %u: %d", *cookie, r);
	return r;
}

int vtd_inv_iotlb(struct vtd *s, unsigned int gran, uint16_t did, uint64_t addr, unsigned int am)
{
	uint32_t bad;

	vtd_inv_iotlb_queue(s, gran, did, false, 0, addr, am, false, 0);
	return vtd_inv_flush(s, &bad);
}
