// SPDX-License-Identifier: GPL-2.0-only
/* The emulated VT-d unit's registers across a live update (vtd_state.h). */
#include "iommu/vtd_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iommu/vtd_walk.h"
#include "liveupdate/state_fields.h"
#include "vmm/log.h"

/* GSTS (11.4.4): TES, RTPS, QIES, IRES, IRTPS, CFIS sit where their GCMD bits do. FLS/AFLS (no
 * advanced fault logging, CAP.AFL = 0), WBFS (CAP.RWBF = 0) and 22:0 are never set here. */
#define GSTS_BITS       (GCMD_TE | GCMD_SRTP | GCMD_QIE | GCMD_IRE | GCMD_SIRTP | GCMD_CFI)
/* FSTS (11.4.9.1) without FRI: PFO, PPF, IQE. ICE and ITE report device-TLB invalidation errors:
 * never (without ECAP.DT; with it the invalidations complete at once, vtd_iq.c). */
#define FSTS_BITS       (FSTS_PFO | FSTS_PPF | FSTS_IQE)
#define FSTS_PENDING    (FSTS_PFO | FSTS_PPF | FSTS_IQE | FSTS_ICE | FSTS_ITE)
/* IOTLB_REG (11.4.7): IIRG 61:60, IAIG 58:57, DR 49, DW 48, DID 47:32; IVT 63 reads 1 only while an
 * invalidation is in flight, which it never is after the write that started it. */
#define IOTLB_BITS      (VTD_BITS(61, 60) | VTD_BITS(58, 57) | VTD_BITS(49, 32))
/* IVA_REG: ADDR 63:12, IH 6, AM 5:0; 11:7 reserved. */
#define IVA_RSVD        VTD_BITS(11, 7)
/* FRCD (11.4.14) as vtd_fault_record writes it: FI 63:12 low; SID 15:0, FR 39:32, T1 62, F 63 high. */
#define FRCD_LO_RSVD    VTD_BITS(11, 0)
#define FRCD_HI_RSVD    (VTD_BITS(31, 16) | VTD_BITS(61, 40))
/* IQH/IQT (11.4.9.5): QH/QT 18:4, a byte offset into the queue. */
#define IQ_OFF_MASK     VTD_BITS(18, 4)
#define EVT_CTL_BITS    (FECTL_IM | FECTL_IP)

static void put_feat(struct lu_writer *w, const struct vtd_features *f)
{
	lu_put_u8(w, f->mgaw);
	lu_put_u8(w, f->haw);
	lu_put_u8(w, f->sagaw);
	lu_put_bool(w, f->ir);
	lu_put_bool(w, f->eim);
	lu_put_bool(w, f->qi);
	lu_put_bool(w, f->pt);
	lu_put_bool(w, f->sm);
	lu_put_bool(w, f->fs);
	lu_put_bool(w, f->ss);
	lu_put_bool(w, f->fl1gp);
	lu_put_bool(w, f->fl5lp);
	lu_put_bool(w, f->cm);
	lu_put_bool(w, f->dest32);
	lu_put_bool(w, f->nested);
}

static void get_feat(struct lu_cursor *c, struct vtd_features *f)
{
	f->mgaw = lu_get_u8(c);
	f->haw = lu_get_u8(c);
	f->sagaw = lu_get_u8(c);
	f->ir = lu_get_bool(c);
	f->eim = lu_get_bool(c);
	f->qi = lu_get_bool(c);
	f->pt = lu_get_bool(c);
	f->sm = lu_get_bool(c);
	f->fs = lu_get_bool(c);
	f->ss = lu_get_bool(c);
	f->fl1gp = lu_get_bool(c);
	f->fl5lp = lu_get_bool(c);
	f->cm = lu_get_bool(c);
	f->dest32 = lu_get_bool(c);
	f->nested = lu_get_bool(c);
}

static bool feat_equal(const struct vtd_features *a, const struct vtd_features *b)
{
	return a->mgaw == b->mgaw && a->haw == b->haw && a->sagaw == b->sagaw && a->ir == b->ir && a->eim == b->eim &&
	       a->qi == b->qi && a->pt == b->pt && a->sm == b->sm && a->fs == b->fs && a->ss == b->ss &&
	       a->fl1gp == b->fl1gp && a->fl5lp == b->fl5lp && a->cm == b->cm && a->dest32 == b->dest32 &&
	       a->nested == b->nested && a->dt == b->dt && a->pasid_bits == b->pasid_bits;
}

int vtd_state_save(struct vtd *s, struct lu_writer *w)
{
	int r;

	pthread_mutex_lock(&s->lock);
	if (s->nr_inv_pend) {
		r = err_num(EBUSY, "vtd: %u IOTLB invalidations batched while saving", s->nr_inv_pend);
		goto out;
	}
	lu_writer_begin(w, VTD_STATE_TYPE, 0, VTD_STATE_VERSION, LU_SEC_MANDATORY);
	put_feat(w, &s->feat);
	lu_put_u64(w, s->cap);
	lu_put_u64(w, s->ecap);
	lu_put_u32(w, s->gsts);
	lu_put_u64(w, s->rtaddr);
	lu_put_u64(w, s->rta);
	lu_put_u64(w, s->ccmd);
	lu_put_u64(w, s->iotlb);
	lu_put_u64(w, s->iva);
	lu_put_u32(w, s->fsts);
	lu_put_u32(w, s->fectl);
	lu_put_u32(w, s->fedata);
	lu_put_u32(w, s->feaddr);
	lu_put_u32(w, s->feuaddr);
	for (unsigned int i = 0; i < VTD_NFR; i++) {
		lu_put_u64(w, s->frcd[i][0]);
		lu_put_u64(w, s->frcd[i][1]);
	}
	lu_put_u8(w, (uint8_t)s->fri);
	lu_put_u64(w, s->iqh);
	lu_put_u64(w, s->iqt);
	lu_put_u64(w, s->iqa);
	lu_put_u64(w, s->iqercd);
	lu_put_u32(w, s->ics);
	lu_put_u32(w, s->iectl);
	lu_put_u32(w, s->iedata);
	lu_put_u32(w, s->ieaddr);
	lu_put_u32(w, s->ieuaddr);
	lu_put_u64(w, s->irta);
	lu_put_u64(w, s->irta_active);
	lu_put_u64(w, s->pqh);
	lu_put_u64(w, s->pqt);
	lu_put_u64(w, s->pqa);
	lu_put_u32(w, s->prs);
	lu_put_u32(w, s->pectl);
	lu_put_u32(w, s->pedata);
	lu_put_u32(w, s->peaddr);
	lu_put_u32(w, s->peuaddr);
	lu_put_u64(w, s->nr_descs);
	lu_put_u64(w, s->nr_faults);
	lu_put_u64(w, s->nr_faults_lost);
	lu_put_u64(w, s->nr_page_reqs);
	lu_put_u64(w, s->nr_page_reqs_lost);
	lu_put_u64(w, s->nr_page_resps);
	lu_put_u32(w, s->nr_streams);
	for (unsigned int i = 0; i < s->nr_streams; i++) {
		lu_put_u16(w, s->streams[i].sid);
		lu_put_bool(w, s->streams[i].assigned);
	}
	r = lu_writer_end(w);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* An event's control/data/address registers (FECTL 11.4.9.2, IECTL 11.4.9.10, PECTL 11.4.11.5 and
 * theirs): IM and IP only, IMD 15:0, MA 31:2, MUA only with x2APIC destinations (ECAP.EIM, which
 * needs IR: what the register writes follow). IP needs a condition still pending (PENDING). */
static void check_event(struct lu_cursor *c, const char *name, const struct vtd_features *f, uint32_t ctl,
			uint32_t data, uint32_t addr, uint32_t uaddr, bool pending)
{
	if ((ctl & ~EVT_CTL_BITS) || (data & ~0xffffu) || (addr & 3) || (uaddr && !(f->ir && f->eim)))
		lu_cursor_fail(c, "%sCTL %#x DATA %#x ADDR %#x UADDR %#x: reserved bits", name, ctl, data, addr, uaddr);
	else if ((ctl & FECTL_IP) && !pending)
		lu_cursor_fail(c, "%sCTL.IP with nothing pending (it clears when software clears the condition)", name);
}

/* The invalidation queue (6.5.2, IQA 11.4.9.6, IQH/IQT 11.4.9.5, IQERCD 11.4.9.9). */
static void check_iq(struct lu_cursor *c, const struct vtd_saved *o)
{
	const struct vtd_features *f = &o->feat;
	uint64_t size = 0x1000ull << IQA_QS(o->iqa), align = o->iqa & IQA_DW ? 32 : 16;
	bool iqe = o->fsts & FSTS_IQE;

	/* IQA 11:3 reserved; DW (bit 11) only with ECAP.SMTS. */
	if (o->iqa & ~(f->sm ? IQA_MASK | IQA_DW : IQA_MASK))
		lu_cursor_fail(c, "IQA %#llx: reserved bits", (unsigned long long)o->iqa);
	else if ((o->iqh | o->iqt) & ~IQ_OFF_MASK)
		lu_cursor_fail(c, "IQH %#llx IQT %#llx: bits outside QH/QT 18:4", (unsigned long long)o->iqh,
			       (unsigned long long)o->iqt);
	/* IQEI 3:0 is 0-4 here; 63:4 (ITESID, ICESID) are device-TLB errors' (never). Cleared with IQE. */
	else if (o->iqercd > IQEI_RSVD || (o->iqercd && !iqe))
		lu_cursor_fail(c, "IQERCD %#llx with FSTS.IQE %u", (unsigned long long)o->iqercd, iqe);
	else if (!(o->gsts & GCMD_QIE))
		return;     /* IQT and IQA are only used again after QIE; IQH is 0 (normalize) */
	/* QIE on: IQA cannot change, IQH moves only in whole descriptors modulo the queue. */
	else if (o->iqh >= size || (o->iqh & (align - 1)))
		lu_cursor_fail(c, "IQH %#llx: not a descriptor of the %#llx-byte queue", (unsigned long long)o->iqh,
			       (unsigned long long)size);
	/*
	 * A queue run ends with IQH at IQT, or stops with IQE set (a tail beyond the queue or not on
	 * a DW boundary: IQEI 1). IQH 0 short of IQT without IQE: a state of the model before the
	 * queue ran on QIE too (it ran on IQT writes and IQE clears only, and this one still does
	 * for such a state: see vtd_state_restore).
	 */
	else if (!iqe && o->iqh && (o->iqt >= size || (o->iqt & (align - 1))))
		lu_cursor_fail(c, "IQT %#llx beyond the %#llx-byte queue with QIE on and no IQE", (unsigned long long)o->iqt,
			       (unsigned long long)size);
	else if (!iqe && o->iqh && o->iqh != o->iqt)
		lu_cursor_fail(c, "IQH %#llx short of IQT %#llx with no IQE: the queue run stopped midway",
			       (unsigned long long)o->iqh, (unsigned long long)o->iqt);
}

/* The page request queue (11.4.11): without ECAP.PRS the registers do not exist and keep their
 * reset values (PECTL.IM set); with it PQH/PQT 18:5, PQA 11:3 reserved, PRS PPR and PRO only. */
static void check_prq(struct lu_cursor *c, const struct vtd_saved *o)
{
	if (!(o->ecap & ECAP_PRS)) {
		if (o->pqh || o->pqt || o->pqa || o->prs || o->pectl != FECTL_IM || o->pedata || o->peaddr || o->peuaddr)
			lu_cursor_fail(c, "page request registers set without ECAP.PRS");
	} else if (((o->pqh | o->pqt) & ~PQ_OFF_MASK) || (o->pqa & ~PQA_MASK) || (o->prs & ~(PRS_PPR | PRS_PRO))) {
		lu_cursor_fail(c, "PQH %#llx PQT %#llx PQA %#llx PRS %#x: reserved bits", (unsigned long long)o->pqh,
			       (unsigned long long)o->pqt, (unsigned long long)o->pqa, o->prs);
	} else {
		check_event(c, "PE", &o->feat, o->pectl, o->pedata, o->peaddr, o->peuaddr, o->prs & (PRS_PPR | PRS_PRO));
	}
}

/*
 * A state saved by an earlier model: what its register writes kept and this one's do not is dropped,
 * as the writes would now (refusing it would fail the update of a guest that wrote it): IQH with
 * QIE clear (11.4.9.5: reset when QIES clears), CCMD 58:34 (reserved, 11.4.6.1), IRTA without IR
 * (11.4.9.13: RsvdZ), its EIME and the events' upper addresses without ECAP.EIM (which needs IR),
 * address bits 63:HAW of RTADDR, IQA, IRTA, PQA and the latched tables (not implemented, vtd.h).
 */
static void normalize(struct vtd_saved *o)
{
	/* (A HAW vtd_init refuses is refused by check.) */
	if (vtd_features_ok(&o->feat)) {
		uint64_t high = ~((1ull << o->feat.haw) - 1);  /* 63:HAW */

		o->rtaddr &= ~high;
		o->rta &= ~high;
		o->iqa &= ~high;
		o->irta &= ~high;
		o->irta_active &= ~high;
		o->pqa &= ~high;
	}
	if (!(o->gsts & GCMD_QIE))
		o->iqh = 0;
	o->ccmd &= CCMD_ICC | CCMD_CAIG(3) | CCMD_SW;
	if (!o->feat.ir)
		o->irta = o->irta_active = 0;
	if (!(o->feat.ir && o->feat.eim)) {
		o->irta &= ~IRTA_EIME;
		o->irta_active &= ~IRTA_EIME;
		o->feuaddr = o->ieuaddr = o->peuaddr = 0;
	}
}

static void check(struct lu_cursor *c, const struct vtd_saved *o)
{
	const struct vtd_features *f = &o->feat;
	uint64_t cap, ecap, rta_bits = f->sm ? RTADDR_MASK | 3ull << 10 : RTADDR_MASK;
	uint64_t irta_bits = !f->ir ? 0 : f->eim ? IRTA_MASK : IRTA_MASK & ~IRTA_EIME;
	uint32_t gsts_bits = GCMD_TE | GCMD_SRTP | (f->qi ? GCMD_QIE : 0) | (f->ir ? GCMD_IRE | GCMD_SIRTP | GCMD_CFI : 0);
	bool ppf = false;

	if (!vtd_features_ok(f)) {
		lu_cursor_fail(c, "a feature set vtd_init refuses (MGAW %u HAW %u SAGAW %#x)", f->mgaw, f->haw, f->sagaw);
		return;
	}
	/* CAP/ECAP are the features' (ECAP.PRS and PDS: a page request source, scalable mode only;
	 * ECAP.DT gave feat.dt, vtd_state_decode). */
	vtd_derive_caps(f, o->ecap & ECAP_PRS, &cap, &ecap);
	if (o->cap != cap || o->ecap != ecap) {
		lu_cursor_fail(c, "CAP %#llx ECAP %#llx are not what the features give (CAP %#llx ECAP %#llx)",
			       (unsigned long long)o->cap, (unsigned long long)o->ecap, (unsigned long long)cap,
			       (unsigned long long)ecap);
		return;
	}
	for (unsigned int i = 0; i < VTD_NFR; i++) {
		if ((o->frcd[i][0] & FRCD_LO_RSVD) || (o->frcd[i][1] & FRCD_HI_RSVD)) {
			lu_cursor_fail(c, "FRCD %u %#llx %#llx: reserved bits", i, (unsigned long long)o->frcd[i][0],
				       (unsigned long long)o->frcd[i][1]);
			return;
		}
		ppf |= o->frcd[i][1] & FRCD_F;
	}
	/* GSTS: IRES only after SIRTP (the model refuses IRE before it, 11.4.4.1), latched tables only
	 * by SRTP/SIRTP, which set RTPS/IRTPS until a reset clears both. TES needs no RTPS: the
	 * model lets TE on before any SRTP (a root table at 0). */
	if (o->gsts & ~gsts_bits)
		lu_cursor_fail(c, "GSTS %#x: status bits this unit never sets", o->gsts);
	else if ((o->gsts & GCMD_IRE) && !(o->gsts & GCMD_SIRTP))
		lu_cursor_fail(c, "GSTS.IRES without IRTPS");
	/* RTADDR (11.4.5): 9:0 reserved, TTM 11:10 only with ECAP.SMTS. */
	else if ((o->rtaddr & ~rta_bits) || (o->rta & ~rta_bits))
		lu_cursor_fail(c, "RTADDR %#llx (latched %#llx): reserved bits", (unsigned long long)o->rtaddr,
			       (unsigned long long)o->rta);
	else if (o->rta && !(o->gsts & GCMD_SRTP))
		lu_cursor_fail(c, "a latched root table %#llx without GSTS.RTPS", (unsigned long long)o->rta);
	/* IRTA (11.4.9.13): RsvdZ without IR; 10:4 reserved, EIME 11 only with x2APIC support (ECAP.EIM);
	 * S 3:0 any size. */
	else if ((o->irta & ~irta_bits) || (o->irta_active & ~irta_bits))
		lu_cursor_fail(c, "IRTA %#llx (latched %#llx): reserved bits", (unsigned long long)o->irta,
			       (unsigned long long)o->irta_active);
	else if (o->irta_active && !(o->gsts & GCMD_SIRTP))
		lu_cursor_fail(c, "a latched interrupt remapping table %#llx without GSTS.IRTPS",
			       (unsigned long long)o->irta_active);
	/* CCMD (11.4.6.1): ICC reads 1 only while an invalidation is in flight; never after the write. */
	else if (o->ccmd & CCMD_ICC)
		lu_cursor_fail(c, "CCMD.ICC set: a context invalidation in flight");
	else if ((o->iotlb & ~IOTLB_BITS) || (o->iva & IVA_RSVD))
		lu_cursor_fail(c, "IOTLB %#llx IVA %#llx: IVT or reserved bits", (unsigned long long)o->iotlb,
			       (unsigned long long)o->iva);
	/* FSTS (11.4.9.1): PPF is the OR of the records' F bits; IQE only with the queue offered. */
	else if ((o->fsts & ~FSTS_BITS) || ((o->fsts & FSTS_IQE) && !f->qi))
		lu_cursor_fail(c, "FSTS %#x: bits this unit never sets", o->fsts);
	else if (!(o->fsts & FSTS_PPF) != !ppf)
		lu_cursor_fail(c, "FSTS.PPF %u but a fault record with F %s", !!(o->fsts & FSTS_PPF), ppf ? "set" : "clear");
	/* FRI indexes the NFR fault recording registers (CAP.NFR + 1 = 8). */
	else if (o->fri >= VTD_NFR)
		lu_cursor_fail(c, "FRI %u beyond the %u fault recording registers", o->fri, VTD_NFR);
	else if (o->ics & ~ICS_IWC)
		lu_cursor_fail(c, "ICS %#x: reserved bits", o->ics);
	if (c->bad)
		return;
	check_event(c, "FE", f, o->fectl, o->fedata, o->feaddr, o->feuaddr, o->fsts & FSTS_PENDING);
	check_event(c, "IE", f, o->iectl, o->iedata, o->ieaddr, o->ieuaddr, o->ics & ICS_IWC);
	if (!c->bad)
		check_iq(c, o);
	if (!c->bad)
		check_prq(c, o);
	for (uint32_t i = 0; i < o->nr_streams && !c->bad; i++)
		for (uint32_t j = 0; j < i && !c->bad; j++)
			if (o->stream[j].sid == o->stream[i].sid)
				lu_cursor_fail(c, "source id %#x twice", o->stream[i].sid);
}

int vtd_state_decode(const struct lu_section *sec, struct vtd_saved *o, char *why, size_t why_size)
{
	struct lu_cursor c;

	memset(o, 0, sizeof(*o));
	lu_cursor_init(&c, sec);
	get_feat(&c, &o->feat);
	o->cap = lu_get_u64(&c);
	o->ecap = lu_get_u64(&c);
	/* feat.dt is not in the feature encoding: the saved ECAP.DT carries it (a state of a model
	 * before it has DT = 0), as ECAP.PRS carries the page request source. */
	o->feat.dt = o->ecap & ECAP_DT;
	/* ... nor PASIDs: ECAP.PASID and PSS carry them. */
	o->feat.pasid_bits = o->ecap & ECAP_PASID ? (uint8_t)(((o->ecap >> 35) & 0x1f) + 1) : 0;
	o->gsts = lu_get_u32(&c);
	o->rtaddr = lu_get_u64(&c);
	o->rta = lu_get_u64(&c);
	o->ccmd = lu_get_u64(&c);
	o->iotlb = lu_get_u64(&c);
	o->iva = lu_get_u64(&c);
	o->fsts = lu_get_u32(&c);
	o->fectl = lu_get_u32(&c);
	o->fedata = lu_get_u32(&c);
	o->feaddr = lu_get_u32(&c);
	o->feuaddr = lu_get_u32(&c);
	for (unsigned int i = 0; i < VTD_NFR; i++) {
		o->frcd[i][0] = lu_get_u64(&c);
		o->frcd[i][1] = lu_get_u64(&c);
	}
	o->fri = lu_get_u8(&c);
	o->iqh = lu_get_u64(&c);
	o->iqt = lu_get_u64(&c);
	o->iqa = lu_get_u64(&c);
	o->iqercd = lu_get_u64(&c);
	o->ics = lu_get_u32(&c);
	o->iectl = lu_get_u32(&c);
	o->iedata = lu_get_u32(&c);
	o->ieaddr = lu_get_u32(&c);
	o->ieuaddr = lu_get_u32(&c);
	o->irta = lu_get_u64(&c);
	o->irta_active = lu_get_u64(&c);
	o->pqh = lu_get_u64(&c);
	o->pqt = lu_get_u64(&c);
	o->pqa = lu_get_u64(&c);
	o->prs = lu_get_u32(&c);
	o->pectl = lu_get_u32(&c);
	o->pedata = lu_get_u32(&c);
	o->peaddr = lu_get_u32(&c);
	o->peuaddr = lu_get_u32(&c);
	o->nr_descs = lu_get_u64(&c);
	o->nr_faults = lu_get_u64(&c);
	o->nr_faults_lost = lu_get_u64(&c);
	o->nr_page_reqs = lu_get_u64(&c);
	o->nr_page_reqs_lost = lu_get_u64(&c);
	o->nr_page_resps = lu_get_u64(&c);
	o->nr_streams = lu_get_count(&c, VTD_MAX_STREAMS, 3);
	for (uint32_t i = 0; i < o->nr_streams && !c.bad; i++) {
		o->stream[i].sid = lu_get_u16(&c);
		o->stream[i].assigned = lu_get_bool(&c);
	}
	if (!c.bad) {
		normalize(o);
		check(&c, o);
	}
	return lu_cursor_finish(&c, why, why_size);
}

static struct vtd_stream *find_stream(struct vtd *s, uint16_t sid)
{
	for (unsigned int i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid == sid)
			return &s->streams[i];
	return NULL;
}

static const struct vtd_saved_stream *find_saved(const struct vtd_saved *sv, uint16_t sid)
{
	for (uint32_t i = 0; i < sv->nr_streams; i++)
		if (sv->stream[i].sid == sid)
			return &sv->stream[i];
	return NULL;
}

int vtd_state_restore(struct vtd *s, const struct vtd_saved *sv, char *why, size_t why_size)
{
	unsigned int more = 0;
	int r = -EINVAL;

	pthread_mutex_lock(&s->lock);
	/* The guest read CAP/ECAP once at boot: the new unit must show it the same. */
	if (!feat_equal(&s->feat, &sv->feat)) {
		snprintf(why, why_size, "vtd: the guest saw a feature set (MGAW %u SM %u CM %u NESTED %u DT %u ...) this "
			 "unit does not have (MGAW %u SM %u CM %u NESTED %u DT %u ...)", sv->feat.mgaw, sv->feat.sm,
			 sv->feat.cm, sv->feat.nested, sv->feat.dt, s->feat.mgaw, s->feat.sm, s->feat.cm, s->feat.nested,
			 s->feat.dt);
		goto out;
	}
	if (s->cap != sv->cap || s->ecap != sv->ecap) {
		snprintf(why, why_size, "vtd: the guest saw ECAP %#llx, this unit has %#llx (a page request source on one "
			 "side only)", (unsigned long long)sv->ecap, (unsigned long long)s->ecap);
		goto out;
	}
	/* Devices registered before the restore: an assigned one must have been assigned before. */
	for (unsigned int i = 0; i < s->nr_streams; i++) {
		const struct vtd_saved_stream *o = find_saved(sv, s->streams[i].sid);

		if (s->streams[i].assigned && (!o || !o->assigned)) {
			snprintf(why, why_size, "vtd: source id %#x is an assigned device here but was not saved as one",
				 s->streams[i].sid);
			goto out;
		}
	}
	for (uint32_t i = 0; i < sv->nr_streams; i++)
		more += !find_stream(s, sv->stream[i].sid);
	if (s->nr_streams + more > VTD_MAX_STREAMS) {
		snprintf(why, why_size, "vtd: %u saved source ids do not fit beside the %u registered", more, s->nr_streams);
		r = -ENOSPC;
		goto out;
	}
	for (uint32_t i = 0; i < sv->nr_streams; i++) {
		struct vtd_stream *st = find_stream(s, sv->stream[i].sid);

		if (!st) {
			st = &s->streams[s->nr_streams++];
			*st = (struct vtd_stream){ .sid = sv->stream[i].sid };
		}
		st->assigned = sv->stream[i].assigned;
	}
	s->gsts = sv->gsts;
	s->rtaddr = sv->rtaddr;
	s->rta = sv->rta;
	s->ccmd = sv->ccmd;
	s->iotlb = sv->iotlb;
	s->iva = sv->iva;
	s->fsts = sv->fsts;
	s->fectl = sv->fectl;
	s->fedata = sv->fedata;
	s->feaddr = sv->feaddr;
	s->feuaddr = sv->feuaddr;
	memcpy(s->frcd, sv->frcd, sizeof(s->frcd));
	s->fri = sv->fri;
	/* QIE on with IQH 0 short of IQT and no IQE comes only from a model before the queue ran on
	 * QIE (check_iq): those descriptors are fetched at the next IQT write or IQE clear, as there.
	 * Not here: a wait descriptor's interrupt would reach LAPICs not restored yet. */
	s->iqh = sv->iqh;
	s->iqt = sv->iqt;
	s->iqa = sv->iqa;
	s->iqercd = sv->iqercd;
	s->ics = sv->ics;
	s->iectl = sv->iectl;
	s->iedata = sv->iedata;
	s->ieaddr = sv->ieaddr;
	s->ieuaddr = sv->ieuaddr;
	s->irta = sv->irta;
	s->irta_active = sv->irta_active;
	s->pqh = sv->pqh;
	s->pqt = sv->pqt;
	s->pqa = sv->pqa;
	s->prs = sv->prs;
	s->pectl = sv->pectl;
	s->pedata = sv->pedata;
	s->peaddr = sv->peaddr;
	s->peuaddr = sv->peuaddr;
	s->nr_descs = sv->nr_descs;
	s->nr_faults = sv->nr_faults;
	s->nr_faults_lost = sv->nr_faults_lost;
	s->nr_page_reqs = sv->nr_page_reqs;
	s->nr_page_reqs_lost = sv->nr_page_reqs_lost;
	s->nr_page_resps = sv->nr_page_resps;
	s->nr_inv_pend = 0;
	/*
	 * As after SRTP: contexts load again, the assigned streams' here (their devices' DMA does
	 * not wait for a walk), the others' at their next DMA, which finds the caches empty and
	 * walks as hardware does on a miss. Nothing else the registers imply is left for later:
	 * translation and interrupt remapping read them as they are now. The xlate_changed hook
	 * only runs at the end of the next register access, but no MSI route exists yet to follow:
	 * the IOAPIC's and the PCI functions' are made after this restore (arch_state_restore,
	 * pci_host_state_restore), through the restored IRTA/GSTS; the retranslation it causes
	 * finds them unchanged (or picks up an IRTE changed without an IEC invalidation, which an
	 * empty interrupt entry cache may do at any time, 6.5.2.7).
	 */
	s->xlate_changed = true;
	viommu_begin_access(s->viommu);
	vtd_streams_unload(s);
	r = 0;
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}
