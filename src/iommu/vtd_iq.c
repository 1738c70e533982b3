// SPDX-License-Identifier: GPL-2.0-only
/*
 * VT-d invalidation (rev 5 6.5): the register-based interface (CCMD 11.4.6.1, IOTLB 11.4.7) and
 * the queued interface (6.5.2) with 128-bit descriptors (IQA.DW = 0) or, with ECAP.SMTS, 256-bit
 * ones (DW = 1; the upper half of the legacy types reserved): context-cache (6.5.2.1), IOTLB
 * (6.5.2.2), interrupt entry cache (6.5.2.7), invalidation wait (6.5.2.8), and with 256-bit
 * descriptors PASID-based IOTLB (6.5.2.4) and PASID-cache (6.5.2.3); with ECAP.PRS the page group
 * response (vtd_prq.c); with ECAP.DT device-TLB (6.5.2.5) and, 256-bit, PASID-based device-TLB
 * (6.5.2.6), checked and completed at once (no device-TLB is modelled).
 * Each IQT write processes at most one queue's worth of descriptors; a descriptor that cannot be
 * fetched or is invalid stops the queue with IQH at it and FSTS.IQE set (6.5.2.10), until the
 * guest clears IQE. Nothing here waits: every invalidation completes before the next descriptor.
 */
#include "iommu/vtd.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

enum {
	DESC_CC = 1,                /* context-cache invalidate */
	DESC_IOTLB = 2,
	DESC_DEVTLB = 3,            /* device-TLB (with ECAP.DT) */
	DESC_IEC = 4,               /* interrupt entry cache */
	DESC_WAIT = 5,
	DESC_PIOTLB = 6,            /* PASID-based IOTLB (256-bit only) */
	DESC_PC = 7,                /* PASID cache (256-bit only) */
	DESC_PDEVTLB = 8,           /* PASID-based device-TLB (with ECAP.DT, 256-bit only) */
	DESC_PGRESP = 9,            /* page group response (with ECAP.PRS: vtd_prq.c) */
};

/* Reserved bits of each descriptor (the 6.5.2.x layouts), low and high qword; type 11:9 included. */
#define CC_RSVD_LO      (VTD_BITS(8, 6) | VTD_BITS(15, 9) | VTD_BITS(63, 50))
#define IOTLB_RSVD_LO   (VTD_BITS(15, 8) | VTD_BITS(63, 32))
#define IOTLB_RSVD_HI   VTD_BITS(11, 7)
#define IEC_RSVD_LO     (VTD_BITS(26, 5) | VTD_BITS(63, 48))
#define WAIT_RSVD_LO    VTD_BITS(31, 8)
#define WAIT_RSVD_HI    VTD_BITS(1, 0)
#define PIOTLB_RSVD_LO  (VTD_BITS(15, 6) | VTD_BITS(63, 52))
#define PIOTLB_RSVD_HI  VTD_BITS(11, 7)
#define PC_RSVD_LO      (VTD_BITS(15, 6) | VTD_BITS(63, 52))
/* Device-TLB (6.5.2.5): PFSID 15:12 and 63:52 (ignored: no ECAP.DIT), MIP 20:16, SID 47:32;
 * ADDR 63:12, S 0. */
#define DEVTLB_RSVD_LO  (VTD_BITS(11, 4) | VTD_BITS(31, 21) | VTD_BITS(51, 48))
#define DEVTLB_RSVD_HI  VTD_BITS(11, 1)
/* PASID-based device-TLB (6.5.2.6): MIP 8:4, PFSID 15:12 and 63:52, SID 31:16, PASID 51:32;
 * ADDR 63:12, S 11, G 0. */
#define PDEVTLB_RSVD_LO VTD_BITS(11, 9)
#define PDEVTLB_RSVD_HI VTD_BITS(10, 1)

/* IOTLB / PASID-based-IOTLB descriptor high qword (6.5.2.2, 6.5.2.4): ADDR 63:12, IH 6, AM 5:0;
 * the PASID-based one's PASID in bits 51:32 of the low qword. */
#define INV_IH          (1ull << 6)
#define PIOTLB_PASID(lo) ((uint32_t)((lo) >> 32) & 0xfffff)
/* IQERCD.IQEI 0: no more specific information. Used when the backend (the host) refused a valid
 * IOTLB invalidation: the queue stops at it as at an invalid one (6.5.2.10), so the guest does
 * not take its wait descriptor for a completed invalidation. */
#define IQEI_NONE       0

#define WAIT_IF         (1ull << 4)
#define WAIT_SW         (1ull << 5)

static void iq_error(struct vtd *s, unsigned int iqei)
{
	s->iqercd = iqei;
	vtd_fault_status(s, FSTS_IQE);
}

/* One descriptor (WIDE: 256-bit) at queue index IDX: 0, or the IQEI of why it is invalid. */
static unsigned int do_desc(struct vtd *s, uint64_t lo, uint64_t hi, bool wide, unsigned int idx)
{
	unsigned int g = (lo >> 4) & 3;

	switch (lo & 0xf) {
	case DESC_PIOTLB:
		if (!wide)
			return IQEI_TYPE;
		/* G 10b: every entry of the PASID in domain DID; 11b: 2^AM pages at ADDR of it. The
		 * software IOTLB keys on the domain: both are done for the whole domain or the range
		 * in it, which removes more, never less. */
		if ((lo & PIOTLB_RSVD_LO) || (hi & PIOTLB_RSVD_HI) || g < 2)
			return IQEI_RSVD;
		vtd_inv_iotlb_queue(s, g, (uint16_t)(lo >> 16), true, PIOTLB_PASID(lo), hi & ~0xfffull,
				    (unsigned int)(hi & 0x3f), hi & INV_IH, idx);
		return 0;
	case DESC_PC:
		if (!wide)
			return IQEI_TYPE;
		if ((lo & PC_RSVD_LO) || hi || g == 2)
			return IQEI_RSVD;
		/* Domain-, PASID-selective or global: the decoded PASID entries are the streams'
		 * configs, every one is loaded again. */
		vtd_inv_context(s, 1, 0, 0, 0);
		return 0;
	case DESC_CC:
		if ((lo & CC_RSVD_LO) || hi || !((lo >> 4) & 3))
			return IQEI_RSVD;
		vtd_inv_context(s, (lo >> 4) & 3, (uint16_t)(lo >> 16), (uint16_t)(lo >> 32), (lo >> 48) & 3);
		return 0;
	case DESC_IOTLB:
		if ((lo & IOTLB_RSVD_LO) || (hi & IOTLB_RSVD_HI) || !((lo >> 4) & 3))
			return IQEI_RSVD;
		vtd_inv_iotlb_queue(s, (lo >> 4) & 3, (uint16_t)(lo >> 16), false, 0, hi & ~0xfffull,
				    (unsigned int)(hi & 0x3f), hi & INV_IH, idx);
		return 0;
	case DESC_IEC:
		if (!s->feat.ir)
			return IQEI_TYPE;
		if ((lo & IEC_RSVD_LO) || hi)
			return IQEI_RSVD;
		/* Global or index-selective: the remapped routes are re-read either way (all of them:
		 * KVM's table is committed once however many changed). */
		s->xlate_changed = true;
		return 0;
	case DESC_PGRESP:
		return vtd_prq_response(s, lo, hi);
	case DESC_DEVTLB:
	case DESC_PDEVTLB:
		if (!s->feat.dt || ((lo & 0xf) == DESC_PDEVTLB && !wide))
			return IQEI_TYPE;
		if ((lo & 0xf) == DESC_DEVTLB ? (lo & DEVTLB_RSVD_LO) || (hi & DEVTLB_RSVD_HI) :
						(lo & PDEVTLB_RSVD_LO) || (hi & PDEVTLB_RSVD_HI))
			return IQEI_RSVD;
		/* Done at once: no device-TLB is modelled (nestvm's functions cache no translations),
		 * and an assigned device's ATC is the host's, invalidated by the host IOMMU driver
		 * when nestvm's IOAS (shadow) or the nested HWPT changes. */
		return 0;
	case DESC_WAIT:
		if ((lo & WAIT_RSVD_LO) || (hi & WAIT_RSVD_HI))
			return IQEI_RSVD;
		/* Everything before it is complete (each descriptor completed as it was read): write
		 * the status, then signal (6.5.2.8: SW before IF). FN needs nothing more here, nor PD
		 * (ECAP.PDS): every page request is in the page request queue before the source returns. */
		if (lo & WAIT_SW) {
			uint32_t data = (uint32_t)(lo >> 32);
			uint8_t b[4] = { (uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16), (uint8_t)(data >> 24) };

			if (gmem_write(s->mem, hi & ~3ull, b, 4))
				pr_debug("vtd: wait descriptor status address %#llx is not RAM: dropped",
					 (unsigned long long)(hi & ~3ull));
		}
		if (lo & WAIT_IF)
			vtd_iwc_signal(s);
		return 0;
	}
	/* Unknown types (the offered ones without their feature return above). */
	return IQEI_TYPE;
}

/* The batched IOTLB invalidations to the backend: 0, or -errno with *HEAD at the one refused (IQE). */
static int flush(struct vtd *s, unsigned int *head)
{
	uint32_t bad;
	int r = vtd_inv_flush(s, &bad);

	if (r) {
		*head = bad;
		iq_error(s, IQEI_NONE);
	}
	return r;
}

void vtd_iq_run(struct vtd *s)
{
	bool wide = s->iqa & IQA_DW;
	unsigned int shift = wide ? 5 : 4, entries = (0x1000u << IQA_QS(s->iqa)) >> shift, head, tail, n;
	uint64_t base = s->iqa & ~0xfffull;

	if (!(s->gsts & GCMD_QIE) || (s->fsts & FSTS_IQE))
		return;
	head = (unsigned int)(s->iqh >> shift);
	tail = (unsigned int)(s->iqt >> shift);
	/* IQT beyond the queue, or not on a 256-bit boundary with DW=1 (11.4.9.5). */
	if (tail >= entries || (s->iqt & ((1u << shift) - 1))) {
		iq_error(s, IQEI_TAIL);
		return;
	}
	/* At most one lap: IQH only moves forward to IQT, which is inside the queue. */
	for (n = 0; head != tail && n < entries; n++) {
		uint64_t at, lo, hi, up0 = 0, up1 = 0;
		unsigned int why;

		if (head >= entries)
			head = 0;       /* IQH from before a smaller IQA.QS or a DW change */
		at = base + ((uint64_t)head << shift);
		if (vtd_read64(s, at, &lo) || vtd_read64(s, at + 8, &hi) ||
		    (wide && (vtd_read64(s, at + 16, &up0) || vtd_read64(s, at + 24, &up1)))) {
			iq_error(s, IQEI_FETCH);
			break;
		}
		/* None of the types offered uses bits 255:128 but the page group response, whose upper
		 * half is the private data of its request (returned to the function as it is). */
		/*
		 * IOTLB invalidations are batched up to the next descriptor of another kind (a wait
		 * descriptor above all: its status write says they are done), which sees them done
		 * first, or a full batch. A batch the backend refused stops the queue at the
		 * descriptor refused.
		 */
		if ((((lo & 0xf) != DESC_IOTLB && (lo & 0xf) != DESC_PIOTLB) || s->nr_inv_pend == VIOMMU_INV_BATCH) &&
		    flush(s, &head))
			break;
		why = (up0 | up1) && (lo & 0xf) != DESC_PGRESP ? IQEI_RSVD : do_desc(s, lo, hi, wide, head);
		if (why) {
			pr_debug("vtd: invalid descriptor %#llx %#llx at IQ index %u", (unsigned long long)lo,
				 (unsigned long long)hi, head);
			iq_error(s, why);
			break;
		}
		s->nr_descs++;
		head = (head + 1) % entries;
	}
	/* What the run left batched (up to IQT, or before an invalid descriptor). */
	flush(s, &head);
	s->iqh = (uint64_t)head << shift;
}

void vtd_ccmd_write(struct vtd *s, uint64_t val)
{
	unsigned int g = CCMD_CIRG(val);

	/* 6.5.1: register-based invalidation is not for use while the queue is enabled. */
	if (s->gsts & GCMD_QIE) {
		pr_debug("vtd: CCMD written with queued invalidation enabled: ignored");
		return;
	}
	/* CAIG reports the granularity done; 0 (for the reserved CIRG 0) says the request was invalid. */
	if (g)
		vtd_inv_context(s, g, CCMD_DID(val), CCMD_SID(val), CCMD_FM(val));
	s->ccmd = (val & CCMD_SW) | CCMD_CAIG(g);
}

void vtd_iotlb_write(struct vtd *s, uint64_t val)
{
	unsigned int g = IOTLB_IIRG(val);

	if (s->gsts & GCMD_QIE) {
		pr_debug("vtd: IOTLB register written with queued invalidation enabled: ignored");
		return;
	}
	/* IAIG 0 (as for the reserved IIRG 0) says the request was not done: the backend refused it. */
	if (g && vtd_inv_iotlb(s, g, IOTLB_DID(val), s->iva & ~0xfffull, IVA_AM(s->iva)))
		g = 0;
	s->iotlb = (val & (3ull << 60 | 3ull << 48 | 0xffffull << 32)) | IOTLB_IAIG(g);
}
