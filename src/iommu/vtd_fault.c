// SPDX-License-Identifier: GPL-2.0-only
/*
 * VT-d fault reporting (rev 5 chapter 7): primary fault logging into the fault recording
 * registers (7.2.1: FRCD ring indexed by FSTS.FRI, PFO when the next record is still in use), the
 * fault event interrupt through FECTL/FEDATA/FEADDR (7.3, 11.4.9.2), and the invalidation
 * completion event through ICS/IECTL (6.5.2.10). Every event is one MSI write at most: a guest
 * that never clears anything gets no more than one interrupt.
 */
#include <stdio.h>

#include "iommu/viommu_report.h"
#include "iommu/vtd.h"
#include "vmm/log.h"

#define FSTS_STATUS (FSTS_PFO | FSTS_PPF | FSTS_IQE | FSTS_ICE | FSTS_ITE)

static void msi(struct vtd *s, uint32_t addr_lo, uint32_t addr_hi, uint32_t data)
{
	if (s->hooks.msi)
		s->hooks.msi(s->opaque, (uint64_t)addr_hi << 32 | addr_lo, data);
}

/* 7.3: an event goes out unless one is already pending; IM=1 leaves it pending (IP) until unmasked. */
static void fault_event(struct vtd *s)
{
	if (s->fectl & FECTL_IP)
		return;
	if (s->fectl & FECTL_IM) {
		s->fectl |= FECTL_IP;
		return;
	}
	msi(s, s->feaddr, s->feuaddr, s->fedata);
}

static void update_ppf(struct vtd *s)
{
	s->fsts &= ~FSTS_PPF;
	for (unsigned int i = 0; i < VTD_NFR; i++)
		if (s->frcd[i][1] & FRCD_F)
			s->fsts |= FSTS_PPF;
	/* 7.3: IP clears when software has serviced every fault condition. */
	if (!(s->fsts & FSTS_STATUS))
		s->fectl &= ~FECTL_IP;
}

/* A fault event is generated when a condition appears with none pending before (7.3). */
static void raise(struct vtd *s, uint32_t before)
{
	if (!(before & FSTS_STATUS) && (s->fsts & FSTS_STATUS))
		fault_event(s);
}

/* The fault on the event stream (rate-limited there), named by its reason code (FR, 7.1.3). */
static void report(uint16_t sid, uint8_t reason, uint64_t fi, bool write, bool delivered)
{
	char type[16];

	snprintf(type, sizeof(type), "FR_0x%02x", reason);
	viommu_report_fault(&(struct viommu_fault_report){
		.front_end = "vtd", .origin = "emulated", .type = type, .sid = sid, .addr = fi, .write = write,
		.delivered = delivered,
	});
}

void vtd_fault_record(struct vtd *s, uint16_t sid, uint8_t reason, uint64_t fi, bool write)
{
	uint32_t before = s->fsts;
	uint64_t *rec = s->frcd[s->fri];

	s->nr_faults++;
	report(sid, reason, fi, write, !(rec[1] & FRCD_F));
	/* 7.2.1: the record FRI points at still holds an unserviced fault: overflow, this one is lost. */
	if (rec[1] & FRCD_F) {
		s->nr_faults_lost++;
		s->fsts |= FSTS_PFO;
		raise(s, before);
		return;
	}
	/* FRCD (11.4.14): FI 63:12 in the low qword (an interrupt fault puts its index in 63:48),
	 * SID 15:0, FR 39:32, T1 (1 = read) 62 and F 63 in the high one. */
	rec[0] = fi & ~0xfffull;
	rec[1] = sid | FRCD_FR(reason) | (write ? 0 : FRCD_T1) | FRCD_F;
	s->fri = (s->fri + 1) % VTD_NFR;
	s->fsts |= FSTS_PPF;
	raise(s, before);
}

void vtd_fault_status(struct vtd *s, uint32_t bits)
{
	uint32_t before = s->fsts;

	s->fsts |= bits & (FSTS_IQE | FSTS_ICE | FSTS_ITE);
	raise(s, before);
}

void vtd_fault_fsts_write(struct vtd *s, uint32_t val)
{
	bool iqe = s->fsts & FSTS_IQE;

	/* PFO, IQE, ICE, ITE are RW1C; PPF and FRI are read-only. */
	s->fsts &= ~(val & (FSTS_PFO | FSTS_IQE | FSTS_ICE | FSTS_ITE));
	update_ppf(s);
	/* 6.5.2.x: the queue halted at the bad descriptor resumes from IQH once IQE is cleared. */
	if (iqe && !(s->fsts & FSTS_IQE)) {
		s->iqercd = 0;
		vtd_iq_run(s);
	}
}

void vtd_fault_fectl_write(struct vtd *s, uint32_t val)
{
	s->fectl = (s->fectl & FECTL_IP) | (val & FECTL_IM);
	/* Unmasking with an event pending delivers it (11.4.9.2). */
	if (!(s->fectl & FECTL_IM) && (s->fectl & FECTL_IP)) {
		s->fectl &= ~FECTL_IP;
		msi(s, s->feaddr, s->feuaddr, s->fedata);
	}
}

void vtd_fault_frcd_write(struct vtd *s, unsigned int idx, uint64_t hi)
{
	/* F is RW1C; everything else in a record is read-only. */
	if (idx < VTD_NFR && (hi & FRCD_F)) {
		s->frcd[idx][1] &= ~FRCD_F;
		update_ppf(s);
	}
}

void vtd_iwc_signal(struct vtd *s)
{
	/* 6.5.2.10: an event only when IWC goes from 0 to 1. */
	if (s->ics & ICS_IWC)
		return;
	s->ics |= ICS_IWC;
	if (s->iectl & FECTL_IM) {
		s->iectl |= FECTL_IP;
		return;
	}
	msi(s, s->ieaddr, s->ieuaddr, s->iedata);
}

void vtd_iectl_write(struct vtd *s, uint32_t val)
{
	s->iectl = (s->iectl & FECTL_IP) | (val & FECTL_IM);
	if (!(s->iectl & FECTL_IM) && (s->iectl & FECTL_IP)) {
		s->iectl &= ~FECTL_IP;
		msi(s, s->ieaddr, s->ieuaddr, s->iedata);
	}
}
