// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VT-d register file (VT-d rev 5 chapter 11): capability registers derived from the feature
 * set, the global command/status pair with its one-command-per-write rule (11.4.4), and the
 * 32/64-bit access rules (11.2: 64-bit registers may be accessed as two 32-bit halves; software
 * writes the low half first). Reserved bits read as 0 and ignore writes.
 */
#include <errno.h>
#include <string.h>

#include "iommu/vtd.h"
#include "vmm/log.h"

void vtd_default_features(struct vtd_features *f)
{
	/* 4- and 5-level second-stage tables (what vtd_sswalk offers besides 3-level, which Linux no
	 * longer needs), a 57-bit guest address width, 48-bit guest physical addresses. */
	*f = (struct vtd_features){
		.mgaw = 57, .haw = 48, .sagaw = 0xc, .ir = true, .eim = true, .qi = true, .pt = true, .sm = true,
		.fs = true, .ss = true, .fl1gp = true, .fl5lp = true,
	};
}

void vtd_derive_caps(const struct vtd_features *f, bool prs, uint64_t *cap, uint64_t *ecap)
{
	/* ND=6 (16-bit domain ids), CM=0 (only present entries are cached: the software path never
	 * caches a fault) unless the shadow backend asks for CM=1, PSI with MAMV 18 (up to 1 GiB per page-selective invalidation), both
	 * second-level superpage sizes (SLLPS 11b), DRD/DWD (drains are no-ops here). */
	*cap = CAP_ND(6) | CAP_SAGAW(f->sagaw) | CAP_MGAW(f->mgaw) | CAP_FRO(VTD_FRCD) | CAP_SLLPS(3) | CAP_PSI |
	       CAP_NFR(VTD_NFR) | CAP_MAMV(18) | CAP_DWD | CAP_DRD | (f->sm && f->fs && f->fl1gp ? CAP_FL1GP : 0) |
	       (f->sm && f->fs && f->fl5lp ? CAP_FL5LP : 0) | (f->cm ? CAP_CM : 0);
	/* Coherent walks (C, SMPWC), scalable mode with first- and second-stage translation when
	 * asked (SMTS, FLTS, SLTS) but no PASID-granular requests (ECAP.PASID=0: requests without
	 * PASID only, through RID_PASID 0; RPS=0), no NEST, no snoop control (SC=0): SNP in a leaf
	 * is reserved. MHMV 15: IEC index masks up to 2^15. Device-TLBs (DT) only when a function
	 * models ATS (f->dt): Linux enables ATS only with DT (intel_iommu_probe_device), and PRI only
	 * with ATS. */
	*ecap = ECAP_C | (f->qi ? ECAP_QI : 0) | (f->ir ? ECAP_IR : 0) | (f->ir && f->eim ? ECAP_EIM : 0) |
		(f->pt ? ECAP_PT : 0) | ECAP_IRO(VTD_IVA) | ECAP_MHMV(15) | (f->dt ? ECAP_DT : 0) |
		(f->sm ? ECAP_SMTS | ECAP_SMPWC : 0) | (f->sm && f->ss ? ECAP_SLTS : 0) | (f->sm && f->fs ? ECAP_FLTS : 0);
	/* Page requests only with a source for them, and only in scalable mode (rev 3.0 on: the
	 * PASID-related features, page requests among them, are reported Clear without SMTS). PDS
	 * with them: the wait descriptor's page-drain is trivially done (a request is in the queue
	 * before the device model returns), and Linux uses PRS only with PDS (intel_iommu_probe_device:
	 * ecap_prs && ecap_pds for pri_supported). Guests of a unit without a source see neither. */
	if (prs && f->sm)
		*ecap |= ECAP_PRS | ECAP_PDS;
	/* Requests with PASID (nested backend, a host with them): ECAP.PASID and PSS, scalable mode only. */
	if (f->sm && f->pasid_bits)
		*ecap |= ECAP_PASID | ECAP_PSS(f->pasid_bits);
}

static void make_caps(struct vtd *s)
{
	vtd_derive_caps(&s->feat, s->iopf != NULL, &s->cap, &s->ecap);
	/* Without ECAP.PRS (no source, or it went) the page request registers are RsvdZ (11.4.11):
	 * they hold their power-on values, so a source coming again starts from those and the
	 * state saved is the one of a unit that never had one (vtd_state.c check_prq). */
	if (!(s->ecap & ECAP_PRS))
		vtd_prq_reset(s);
}

void vtd_set_iopf(struct vtd *s, struct iopf *iopf)
{
	pthread_mutex_lock(&s->lock);
	s->iopf = iopf;
	make_caps(s);
	pthread_mutex_unlock(&s->lock);
}

void vtd_set_caching_mode(struct vtd *s)
{
	pthread_mutex_lock(&s->lock);
	s->feat.cm = true;
	s->feat.fs = false;
	make_caps(s);
	pthread_mutex_unlock(&s->lock);
}

/* The walker takes 3..5 levels and 32..52-bit addresses; IR needs QI (5.1: Linux will not enable
 * one without the other, and the IEC is only invalidated through the queue); so does DT (11.4.3 DT:
 * "must also support Queued Invalidation"; device-TLBs are invalidated through it only). */
bool vtd_features_ok(const struct vtd_features *f)
{
	return f->mgaw >= 39 && f->mgaw <= 57 && f->haw >= 32 && f->haw <= 52 && (f->sagaw & 0xe) && !(f->sagaw & ~0xe) &&
	       (!f->ir || f->qi) && (!f->sm || f->qi) && (!f->dt || f->qi) && f->pasid_bits <= VTD_MAX_PASID_BITS;
}

static int check_features(const struct vtd_features *f)
{
	if (!vtd_features_ok(f))
		return err_num(EINVAL, "vtd: feature set (MGAW %u, HAW %u, SAGAW %#x)", f->mgaw, f->haw, f->sagaw);
	return 0;
}

int vtd_set_features(struct vtd *s, const struct vtd_features *f)
{
	int r = check_features(f);

	if (r)
		return r;
	pthread_mutex_lock(&s->lock);
	s->feat = *f;
	make_caps(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int vtd_init(struct vtd *s, const struct vtd_features *f, const struct guest_mem *mem, struct viommu *v,
	     const struct vtd_hooks *hooks, void *opaque)
{
	int r = check_features(f);

	if (r)
		return r;
	memset(s, 0, sizeof(*s));
	r = pthread_mutex_init(&s->lock, NULL);
	if (r)
		return err_num(r, "vtd: mutex");
	s->mem = mem;
	s->viommu = v;
	s->hooks = *hooks;
	s->opaque = opaque;
	s->feat = *f;
	make_caps(s);
	vtd_reset(s);
	s->xlate_changed = false;   /* nothing was translated before */
	return 0;
}

void vtd_destroy(struct vtd *s)
{
	pthread_mutex_destroy(&s->lock);
}

void vtd_reset(struct vtd *s)
{
	s->nr_inv_pend = 0;         /* (always empty between register accesses) */
	s->gsts = 0;
	s->rtaddr = s->rta = 0;
	s->ccmd = s->iotlb = s->iva = 0;
	s->fsts = 0;
	s->fectl = FECTL_IM;
	s->fedata = s->feaddr = s->feuaddr = 0;
	memset(s->frcd, 0, sizeof(s->frcd));
	s->fri = 0;
	s->iqh = s->iqt = s->iqa = s->iqercd = 0;
	s->ics = 0;
	s->iectl = FECTL_IM;
	s->iedata = s->ieaddr = s->ieuaddr = 0;
	s->irta = s->irta_active = 0;
	vtd_prq_reset(s);
	vtd_streams_unload(s);
	s->xlate_changed = true;
}

int vtd_add_stream(struct vtd *s, uint16_t sid)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid == sid)
			goto out;
	if (s->nr_streams == VTD_MAX_STREAMS) {
		r = -ENOSPC;
		goto out;
	}
	s->streams[s->nr_streams++] = (struct vtd_stream){ .sid = sid };
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int vtd_add_assigned(struct vtd *s, uint16_t sid)
{
	int r = vtd_add_stream(s, sid);

	if (r)
		return r;
	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < s->nr_streams; i++) {
		if (s->streams[i].sid == sid) {
			s->streams[i].assigned = true;
			s->streams[i].loaded = false;
		}
	}
	viommu_begin_access(s->viommu);
	vtd_load_assigned(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void vtd_remove_assigned(struct vtd *s, uint16_t sid)
{
	for (unsigned int i = 0; i < s->nr_streams; i++) {
		if (s->streams[i].sid == sid) {
			s->streams[i].assigned = s->streams[i].loaded = s->streams[i].pri = false;
			s->streams[i].nr_pasids = 0;    /* their attachments went with the device */
		}
	}
}

void vtd_set_pri(struct vtd *s, uint16_t sid, bool on)
{
	bool changed = false;

	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < s->nr_streams; i++) {
		struct vtd_stream *st = &s->streams[i];

		if (st->sid == sid && st->assigned && st->pri != on) {
			st->pri = on;
			st->loaded = false;
			changed = true;
		}
	}
	if (changed) {
		viommu_begin_access(s->viommu);
		vtd_load_assigned(s);
	}
	pthread_mutex_unlock(&s->lock);
}

/*
 * GCMD (11.4.4.1): software changes one thing per write, writing back the GSTS values of the
 * other persistent bits (TE, QIE, IRE, CFI) with at most one of them toggled or one one-shot
 * command (SRTP, SIRTP, WBF) set. A write that does more is undefined by the spec; it is ignored
 * here rather than half applied.
 */
static void gcmd_write(struct vtd *s, uint32_t val)
{
	const uint32_t persistent = GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI;
	uint32_t toggled = (val ^ s->gsts) & persistent, oneshot = val & (GCMD_SRTP | GCMD_SIRTP | GCMD_WBF);
	uint32_t what = toggled | oneshot;

	if (!s->feat.qi)
		what &= ~GCMD_QIE;
	if (!s->feat.ir)
		what &= ~(GCMD_IRE | GCMD_SIRTP | GCMD_CFI);
	what &= ~GCMD_WBF;          /* CAP.RWBF = 0: no write buffer to flush (WBFS stays 0) */
	if (!what)
		return;
	if (what & (what - 1)) {
		pr_debug("vtd: GCMD %#x changes more than one thing (GSTS %#x): ignored", val, s->gsts);
		return;
	}
	switch (what) {
	case GCMD_SRTP:
		/* 11.4.4.1 SRTP: latch RTADDR; the driver then invalidates the context cache and IOTLB
		 * globally, but nothing loaded from the old tables may be used meanwhile either. */
		s->rta = s->rtaddr;
		s->gsts |= GCMD_SRTP;   /* RTPS */
		/* Which translation mode the guest's driver chose, said once per mode (not per SRTP:
		 * the guest must not be able to flood the log). */
		if (RTADDR_TTM(s->rta) < 2 && !s->mode_said[RTADDR_TTM(s->rta)]) {
			s->mode_said[RTADDR_TTM(s->rta)] = true;
			pr_info("vtd: the guest set a %s-mode root table", RTADDR_TTM(s->rta) ? "scalable" : "legacy");
		}
		vtd_streams_unload(s);
		break;
	case GCMD_TE:
		s->gsts ^= GCMD_TE;
		vtd_streams_unload(s);
		break;
	case GCMD_QIE:
		/*
		 * 6.5.2: software sets IQT to 0 before enabling, but hardware fetches whenever IQH !=
		 * IQT with QIES set: what was queued before the enable (Windows does) is fetched now,
		 * and an IQT beyond the queue is an error now. IQH is 0 here: 11.4.9.5 QH is reset
		 * when QIES clears (below), not when it is set. Disabling is allowed only with the
		 * queue empty (IQH == IQT), otherwise the spec leaves it undefined: refused here.
		 */
		if (!(s->gsts & GCMD_QIE)) {
			s->gsts |= GCMD_QIE;
			if (s->iqt != s->iqh)
				vtd_iq_run(s);
		} else if (s->iqh == s->iqt) {
			s->gsts &= ~GCMD_QIE;
			s->iqh = 0;
		} else {
			pr_debug("vtd: QIE cleared with the queue not empty: ignored");
		}
		break;
	case GCMD_SIRTP:
		s->irta_active = s->irta;
		s->gsts |= GCMD_SIRTP;  /* IRTPS */
		s->xlate_changed = true;
		break;
	case GCMD_IRE:
		/* 11.4.4.1 IRE: enabling before an interrupt remapping table pointer was set is
		 * undefined; refused, so IRES never points at nothing. */
		if (!(s->gsts & GCMD_IRE) && !(s->gsts & GCMD_SIRTP)) {
			pr_debug("vtd: IRE set before SIRTP: ignored");
			break;
		}
		s->gsts ^= GCMD_IRE;
		s->xlate_changed = true;
		break;
	case GCMD_CFI:
		s->gsts ^= GCMD_CFI;
		s->xlate_changed = true;
		break;
	}
}

/* 64-bit registers; the rest are 32-bit. */
static bool is_64bit_reg(uint64_t off)
{
	switch (off) {
	case VTD_CAP: case VTD_ECAP: case VTD_RTADDR: case VTD_CCMD: case VTD_IQH: case VTD_IQT: case VTD_IQA:
	case VTD_IQERCD: case VTD_IRTA: case VTD_IVA: case VTD_IOTLB: case VTD_PQH: case VTD_PQT: case VTD_PQA:
		return true;
	}
	return off >= VTD_FRCD && off < VTD_FRCD + VTD_NFR * 16;
}

static uint64_t read64(struct vtd *s, uint64_t off)
{
	switch (off) {
	case VTD_CAP:
		return s->cap;
	case VTD_ECAP:
		return s->ecap;
	case VTD_RTADDR:
		return s->rtaddr;
	case VTD_CCMD:
		return s->ccmd;
	case VTD_IQH:
		return s->iqh;
	case VTD_IQT:
		return s->iqt;
	case VTD_IQA:
		return s->iqa;
	case VTD_IQERCD:
		return s->iqercd;
	case VTD_IRTA:
		return s->irta;
	case VTD_IVA:
		return s->iva;
	case VTD_IOTLB:
		return s->iotlb;
	case VTD_PQH: case VTD_PQT: case VTD_PQA:
		return vtd_prq_read(s, off);
	}
	if (off >= VTD_FRCD && off < VTD_FRCD + VTD_NFR * 16)
		return s->frcd[(off - VTD_FRCD) / 16][(off / 8) & 1];
	return 0;
}

static uint32_t read32(struct vtd *s, uint64_t off)
{
	switch (off) {
	case VTD_VER:
		return VTD_VERSION;
	case VTD_GCMD:
		return 0;           /* write-only */
	case VTD_GSTS:
		return s->gsts;
	case VTD_FSTS:
		return s->fsts | FSTS_FRI(s->fri);
	case VTD_FECTL:
		return s->fectl;
	case VTD_FEDATA:
		return s->fedata;
	case VTD_FEADDR:
		return s->feaddr;
	case VTD_FEUADDR:
		return s->feuaddr;
	case VTD_ICS:
		return s->ics;
	case VTD_IECTL:
		return s->iectl;
	case VTD_IEDATA:
		return s->iedata;
	case VTD_IEADDR:
		return s->ieaddr;
	case VTD_IEUADDR:
		return s->ieuaddr;
	case VTD_PRS: case VTD_PECTL: case VTD_PEDATA: case VTD_PEADDR: case VTD_PEUADDR:
		return (uint32_t)vtd_prq_read(s, off);
	}
	if (is_64bit_reg(off & ~7ull))
		return (uint32_t)(read64(s, off & ~7ull) >> (off & 4 ? 32 : 0));
	return 0;
}

/*
 * A write of V (the whole 64-bit register after merging a 32-bit half, HI_WRITTEN when bits 63:32
 * were part of the access). Commands in bit 63 (CCMD.ICC, IOTLB.IVT) act on the access that writes
 * the upper half; the queue tail acts on the one that writes the lower.
 */
static void write64(struct vtd *s, uint64_t off, uint64_t v, bool lo_written, bool hi_written)
{
	switch (off) {
	case VTD_RTADDR:
		/* TTM is writable with SMTS: 01b scalable; 10b/11b fault at translation time. RTA
		 * 63:HAW not implemented (11.4.5). */
		s->rtaddr = v & (VTD_ADDR_BITS(s->feat.haw) | (s->feat.sm ? 3ull << 10 : 0));
		return;
	case VTD_CCMD:
		/* CAIG is hardware's, 58:34 reserved (11.4.6.1); ICC reads 1 only while a command is in
		 * flight (never here). */
		s->ccmd = v & CCMD_SW;
		if (hi_written && (v & CCMD_ICC))
			vtd_ccmd_write(s, v);
		return;
	case VTD_IVA:
		s->iva = v & (~0xfffull | 1u << 6 | 0x3f);     /* ADDR 63:12, IH 6, AM 5:0 */
		return;
	case VTD_IOTLB:
		/* IIRG 61:60, DR 49, DW 48, DID 47:32 are software's; IAIG hardware's. */
		s->iotlb = v & (3ull << 60 | 3ull << 48 | 0xffffull << 32);
		if (hi_written && (v & IOTLB_IVT))
			vtd_iotlb_write(s, v);
		return;
	case VTD_IQT:
		/* QT 18:4 (a byte offset; with DW=1 bit 4 must be 0, checked when the queue runs). */
		s->iqt = v & 0x7fff0;
		if (lo_written)
			vtd_iq_run(s);
		return;
	case VTD_IQA:
		/* 11.4.9.6: written only while QIE is clear. DW (256-bit descriptors) needs ECAP.SMTS;
		 * IQA 63:HAW not implemented. */
		if (s->gsts & GCMD_QIE)
			return;
		s->iqa = v & (VTD_ADDR_BITS(s->feat.haw) | 7 | (s->feat.sm ? IQA_DW : 0));
		return;
	case VTD_IRTA:
		/* 11.4.9.13: RsvdZ without ECAP.IR; EIME only with ECAP.EIM (x2APIC destinations);
		 * IRTA 63:HAW not implemented. */
		if (s->ecap & ECAP_IR)
			s->irta = v & (VTD_ADDR_BITS(s->feat.haw) | 0xf | (s->ecap & ECAP_EIM ? IRTA_EIME : 0));
		return;
	case VTD_PQH: case VTD_PQT: case VTD_PQA:
		vtd_prq_write(s, off, v);
		return;
	}
	if (off >= VTD_FRCD && off < VTD_FRCD + VTD_NFR * 16 && ((off / 8) & 1) && hi_written)
		vtd_fault_frcd_write(s, (unsigned int)(off - VTD_FRCD) / 16, v);
	/* Everything else (CAP, ECAP, IQH, IQERCD, the FRCD low halves) is read-only. */
}

static void write32(struct vtd *s, uint64_t off, uint32_t v)
{
	switch (off) {
	case VTD_GCMD:
		gcmd_write(s, v);
		return;
	case VTD_FSTS:
		vtd_fault_fsts_write(s, v);
		return;
	case VTD_FECTL:
		vtd_fault_fectl_write(s, v);
		return;
	case VTD_FEDATA:
		s->fedata = v & 0xffff;     /* IMD 15:0; 31:16 reserved (no extended data) */
		return;
	case VTD_FEADDR:
		s->feaddr = v & ~3u;        /* MA 31:2 */
		return;
	case VTD_FEUADDR:
		s->feuaddr = s->ecap & ECAP_EIM ? v : 0;        /* MUA: only with x2APIC destinations */
		return;
	case VTD_ICS:
		if (v & ICS_IWC)
			s->ics &= ~ICS_IWC;
		if (!s->ics)
			s->iectl &= ~FECTL_IP;  /* 6.5.2.10: clearing IWC clears a pending event */
		return;
	case VTD_IECTL:
		vtd_iectl_write(s, v);
		return;
	case VTD_IEDATA:
		s->iedata = v & 0xffff;
		return;
	case VTD_IEADDR:
		s->ieaddr = v & ~3u;
		return;
	case VTD_IEUADDR:
		s->ieuaddr = s->ecap & ECAP_EIM ? v : 0;
		return;
	case VTD_PRS: case VTD_PECTL: case VTD_PEDATA: case VTD_PEADDR: case VTD_PEUADDR:
		vtd_prq_write(s, off, v);
		return;
	}
	if (is_64bit_reg(off & ~7ull)) {
		uint64_t old = read64(s, off & ~7ull), nv;

		nv = off & 4 ? (old & 0xffffffffull) | (uint64_t)v << 32 : (old & ~0xffffffffull) | v;
		write64(s, off & ~7ull, nv, !(off & 4), off & 4);
	}
}

void vtd_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct vtd *s = opaque;
	uint64_t v = 0;
	bool changed;

	/* 11.2: aligned 32-bit accesses to any register, aligned 64-bit ones to 64-bit registers.
	 * Anything else reads as 0 and is not written. */
	if (offset >= VTD_MMIO_SIZE || (offset & (len - 1)) || (len != 4 && len != 8) ||
	    (len == 8 && !is_64bit_reg(offset))) {
		if (!is_write)
			memset(data, 0, len);
		pr_debug("vtd: unsupported %u-byte access at 0x%llx", len, (unsigned long long)offset);
		return;
	}
	pthread_mutex_lock(&s->lock);
	viommu_begin_access(s->viommu);
	if (is_write) {
		for (uint32_t i = 0; i < len; i++)
			v |= (uint64_t)data[i] << (8 * i);
		if (len == 8)
			write64(s, offset, v, true, true);
		else
			write32(s, offset, (uint32_t)v);
	} else {
		v = len == 8 ? read64(s, offset) : read32(s, offset);
		for (uint32_t i = 0; i < len; i++)
			data[i] = (uint8_t)(v >> (8 * i));
	}
	changed = s->xlate_changed;
	s->xlate_changed = false;
	pthread_mutex_unlock(&s->lock);
	/* Outside the lock: MSI routes are translated again through vtd_ir_translate(). */
	if (changed && s->hooks.xlate_changed)
		s->hooks.xlate_changed(s->opaque);
}
