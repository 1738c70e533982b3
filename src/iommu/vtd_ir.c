// SPDX-License-Identifier: GPL-2.0-only
/*
 * VT-d interrupt remapping (rev 5 chapter 5, IRTE 9.10): an interrupt request (a DMA write to
 * 0xFEEx_xxxx) in remappable format (5.1.2.2: handle in address bits 19:5 and 2, SHV bit 3 adds
 * the data's subhandle) selects an IRTE in the table IRTA points at; the IRTE's source-id
 * validation (SVT/SQ/SID) is checked against the requester, and the request leaves in the
 * compatibility format the LAPICs take (SDM Vol. 3A 11.11), with KVM's 32-bit destination ids
 * (feat.dest32) for x2APIC ids above 255. Posted interrupts are not offered
 * (CAP.PI = 0): IM = 1 is a reserved-field fault. Faults are recorded with the handle in FI 63:48.
 */
#include <errno.h>

#include "iommu/vtd.h"
#include "vmm/log.h"

/* Interrupt request address (5.1.2.2). */
#define MSI_ADDR_IF     (1ull << 4)     /* 1: remappable format */
#define MSI_ADDR_SHV    (1ull << 3)
/* IRTE, remapped format (9.10): low qword. */
#define IRTE_P          (1ull << 0)
#define IRTE_FPD        (1ull << 1)
#define IRTE_DM         (1ull << 2)
#define IRTE_RH         (1ull << 3)
#define IRTE_TM         (1ull << 4)
#define IRTE_DLM(lo)    ((uint32_t)((lo) >> 5) & 7)
#define IRTE_IM         (1ull << 15)    /* 1: posted format */
#define IRTE_V(lo)      ((uint32_t)((lo) >> 16) & 0xff)
#define IRTE_LO_RSVD    (VTD_BITS(14, 12) | VTD_BITS(31, 24))
/* xAPIC mode (IRTA.EIME = 0): the APIC id is DST 15:8 (bits 47:40), the rest of DST reserved. */
#define IRTE_XAPIC_RSVD (VTD_BITS(39, 32) | VTD_BITS(63, 48))
/* High qword: SID 15:0, SQ 17:16, SVT 19:18, 63:20 reserved. */
#define IRTE_SID(hi)    ((uint16_t)(hi))
#define IRTE_SQ(hi)     ((unsigned int)((hi) >> 16) & 3)
#define IRTE_SVT(hi)    ((unsigned int)((hi) >> 18) & 3)
#define IRTE_HI_RSVD    VTD_BITS(63, 20)

/* 9.10 SVT/SQ: may SID raise interrupts through an IRTE with HI? */
static bool sid_ok(uint64_t hi, uint16_t sid)
{
	static const uint16_t ignored[4] = { 0, 4, 6, 7 };    /* SQ: function bits left out of the compare */
	uint16_t want = IRTE_SID(hi), mask = (uint16_t)~ignored[IRTE_SQ(hi)];

	switch (IRTE_SVT(hi)) {
	case 0:
		return true;
	case 1:
		return (sid & mask) == (want & mask);
	case 2:
		/* Bus range: SID 15:8 is the start bus, 7:0 the end bus. */
		return (sid >> 8) >= (want >> 8) && (sid >> 8) <= (want & 0xff);
	}
	return false;   /* 11b reserved: caught as an IRTE reserved field before */
}

static int fail(struct vtd *s, uint16_t sid, uint8_t reason, uint32_t handle, bool report)
{
	if (report)
		vtd_fault_record(s, sid, reason, (uint64_t)handle << 48, true);
	return -EPERM;
}

static int remap(struct vtd *s, uint16_t sid, uint64_t *addr, uint32_t *data, bool report)
{
	uint64_t irta = s->irta_active, lo, hi, base = irta & ~0xfffull;
	uint32_t handle, entries = 2u << (irta & 0xf), dest;
	bool eime = s->feat.eim && (irta & IRTA_EIME);

	if (!(*addr & MSI_ADDR_IF)) {
		/* Compatibility format passes through only with CFIS set (5.1.2.1). */
		if (s->gsts & GCMD_CFI)
			return 0;
		return fail(s, sid, VTD_FR_IR_COMPAT, 0, report);
	}
	handle = (uint32_t)((*addr >> 5) & 0x7fff) | (uint32_t)((*addr >> 2) & 1) << 15;
	if (*addr & MSI_ADDR_SHV) {
		/* With SHV the data carries a subhandle in 15:0; 31:16 are reserved (5.1.2.2). */
		if (*data & 0xffff0000u)
			return fail(s, sid, VTD_FR_IR_REQ_RSVD, handle, report);
		handle = (handle + (*data & 0xffff)) & 0xffff;
	}
	if (handle >= entries)
		return fail(s, sid, VTD_FR_IR_INDEX, handle, report);
	if (vtd_read64(s, base + handle * 16ull, &lo) || vtd_read64(s, base + handle * 16ull + 8, &hi))
		return fail(s, sid, VTD_FR_IR_FETCH, handle, report);
	/* FPD (9.10): faults through this entry, from here on, are not recorded. */
	if (lo & IRTE_FPD)
		report = false;
	if (!(lo & IRTE_P))
		return fail(s, sid, VTD_FR_IR_NOT_PRESENT, handle, report);
	if ((lo & (IRTE_LO_RSVD | IRTE_IM)) || (!eime && (lo & IRTE_XAPIC_RSVD)) || (hi & IRTE_HI_RSVD) ||
	    IRTE_SVT(hi) == 3)
		return fail(s, sid, VTD_FR_IR_IRTE_RSVD, handle, report);
	if (!sid_ok(hi, sid))
		return fail(s, sid, VTD_FR_IR_SID, handle, report);
	dest = eime ? (uint32_t)(lo >> 32) : (uint32_t)(lo >> 40) & 0xff;
	/* Without 32-bit destinations in KVM an x2APIC id above 255 cannot be routed. Not the
	 * guest's fault: dropped without a record. */
	if (dest > 0xff && !s->feat.dest32) {
		pr_debug("vtd: IRTE %u targets x2APIC id %u: not routable", handle, dest);
		return -ERANGE;
	}
	/* Compatibility-format request (SDM Vol. 3A 11.11.1/11.11.2): destination 7:0 in 19:12, RH
	 * bit 3, DM bit 2; vector, delivery mode 10:8, level assert 14, trigger mode 15. Destination
	 * 31:8 goes where KVM's 32-bit ids take it, address_hi 31:8 (api.rst 4.52, KVM_SET_GSI_ROUTING). */
	*addr = 0xfee00000ull | (uint64_t)(dest & 0xff) << 12 | (uint64_t)(dest >> 8) << 40 |
		(lo & IRTE_RH ? 1u << 3 : 0) | (lo & IRTE_DM ? 1u << 2 : 0);
	*data = IRTE_V(lo) | IRTE_DLM(lo) << 8 | 1u << 14 | (lo & IRTE_TM ? 1u << 15 : 0);
	return 0;
}

int vtd_ir_translate(struct vtd *s, uint16_t sid, uint64_t *addr, uint32_t *data, bool report)
{
	int r = 0;

	/* Only the interrupt address range is an interrupt request (5.1); without IRE every request
	 * is taken as it is (compatibility format). */
	if ((*addr >> 20) != 0xfee || !s->feat.ir)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->gsts & GCMD_IRE)
		r = remap(s, sid, addr, data, report);
	pthread_mutex_unlock(&s->lock);
	return r;
}
