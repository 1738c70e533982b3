// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VT-d page request queue (chapter 7 "Page Requests": the page request descriptor, 7.4.1.1 in
 * the numbering QEMU's model cites, the page request event, 7.5; registers: "Page Request Queue
 * Head/Tail/Address", "Page Request Status", "Page Request Event Control/Data/Address/Upper
 * Address", 11.4.11) and the "Page Group Response Descriptor" of the invalidation queue: the
 * front-end of the I/O page fault service (iopf.h) for a guest's VT-d unit. A page request group from the host becomes one
 * page request descriptor per page request, the last with LPIG set; the guest's page group
 * response for (RID, PRG index) becomes the group's page response.
 *
 * Descriptors are 256-bit: VT-d rev 3.0 widened the page request descriptor from 128 to 256 bits
 * (the upper half is private data, never present here), which is why PQH/PQT count in 32-byte
 * steps (bits 18:5) and a queue of 2^PQS pages holds 2^(PQS+7) descriptors (Linux: PRQ_RING_MASK
 * = (0x1000 << PRQ_ORDER) - 0x20). Page request descriptor:
 *   qword 0: Type 7:0 = 01h, PASID Present 8, Requester ID 31:16, PASID 51:32, Execute Requested 52,
 *            Privileged Mode Requested 53;
 *   qword 1: Read Requested 0, Write Requested 1, Last Page In Group 2, PRG index 11:3,
 *            page address 63:12;
 *   qwords 2-3: private data (Private Data Present is never set here): 0.
 * Page group response descriptor (type 9h, 128-bit, or the lower half of a 256-bit one):
 *   qword 0: Type 3:0 = 9h (11:9 = 0), PASID Present 4, Response Code 15:12 (0h Success, 1h Invalid
 *            Request, Fh Response Failure), Requester ID 31:16, PASID 51:32; 8:5 and 63:52 reserved;
 *   qword 1: LPIG 2, PRG index 11:3; 1:0 and 63:12 reserved.
 *
 * What the hardware does, and what nestvm does in its place:
 *   - Queue full (PQT + 1 == PQH, one slot always free, as for the invalidation queue) or PRO
 *     already set: the request is dropped and PRO set (once PRO is set every request is dropped
 *     until software clears it, and no further event is generated); a dropped request with LPIG
 *     set gets the automatic "Success" page group response from the remapping hardware (PCIe
 *     10.4.2.1: the function retries the access and asks again once software has drained the
 *     queue). nestvm delivers a group whole or not at all, so a group that does not fit whole is
 *     dropped whole (its last request has LPIG, so: Success). The spec text was not at hand when
 *     this was written: the drop rules are those of QEMU's model (vtd_pri_request_page) and what
 *     Linux's prq_event_thread expects (it drains, then clears PRO); docs/iopf.md says so too.
 *   - The page request event (7.5, 11.4.11.5): when a descriptor is written and PPR was clear,
 *     PPR is set; when PRO is set; in both cases an interrupt goes out only if neither PPR nor PRO
 *     was set before, through PEDATA/PEADDR/PEUADDR unless PECTL.IM (then PECTL.IP stays pending
 *     until unmasked, like the fault event, 7.3). Software clearing PPR and PRO (RW1C) clears IP.
 *   - The queue has no enable bit: hardware writes requests of a device whose scalable-mode context
 *     entry has PRE set (9.4). nestvm's page request sources are configured by the host, not by the
 *     guest's context entries (docs/iopf.md), so nestvm takes "PQA never written" (0, its reset
 *     value) as "no queue" and answers "Invalid Request": nothing in the guest would ever answer.
 *   - A group with a PASID the unit does not offer (ECAP.PASID 0, or beyond PSS) cannot come from
 *     a function set up for this unit; answered "Invalid Request" (nestvm's choice). With PASIDs
 *     (vtd_pasid.c) it is written with PASID Present and the PASID.
 *   - A queue nestvm cannot write (not guest RAM): nothing is written, PQT does not move, the group
 *     is answered "Invalid Request" (VT-d has no error bit for it; nestvm's choice).
 *   - Response Code Success -> IOMMUFD_PAGE_RESP_SUCCESS; Invalid Request and Response Failure ->
 *     IOMMUFD_PAGE_RESP_INVALID (iommufd has no "Response Failure"; both say "do not retry");
 *     the reserved codes make the descriptor invalid (IQE, IQEI 4).
 *
 * Every queue access is bounded: a group is at most IOPF_GROUP_PAGES descriptors, written at
 * indices reduced modulo the queue size; a PQH or PQT beyond the queue reads as a full queue.
 */
#include <errno.h>
#include <linux/iommufd.h>

#include "iommu/iopf.h"
#include "iommu/vtd.h"
#include "iommu/vtd_walk.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

#define PRD0_TYPE       0x01ull
#define PRD0_PP         (1ull << 8)
#define PRD0_RID(x)     ((uint64_t)(x) << 16)
#define PRD0_PASID(x)   ((uint64_t)((x) & 0xfffff) << 32)
#define PRD0_ER         (1ull << 52)
#define PRD0_PMR        (1ull << 53)
#define PRD1_RDR        (1ull << 0)
#define PRD1_WRR        (1ull << 1)
#define PRD1_LPIG       (1ull << 2)
#define PRD1_PRGI(x)    ((uint64_t)((x) & 0x1ff) << 3)
#define PRD1_ADDR       (~0xfffull)
#define PRGI_MAX        0x1ffu

#define PGRESP_TYPE     0x9ull
#define PGRESP_RSVD_LO  (VTD_BITS(8, 5) | VTD_BITS(11, 9) | VTD_BITS(63, 52))
#define PGRESP_RSVD_HI  (VTD_BITS(1, 0) | VTD_BITS(63, 12))
#define PGRESP_RC(lo)   ((unsigned int)((lo) >> 12) & 0xf)
#define PGRESP_RID(lo)  ((uint16_t)((lo) >> 16))
#define PGRESP_PRGI(hi) ((uint32_t)((hi) >> 3) & PRGI_MAX)
#define RC_SUCCESS      0x0
#define RC_INVALID      0x1
#define RC_FAILURE      0xf

void vtd_prq_encode(const struct iopf_group *g, unsigned int i, uint64_t d[4])
{
	const struct iopf_page *p = &g->page[i];

	d[0] = PRD0_TYPE | PRD0_RID(g->sid & 0xffff);
	/* Execute and Privileged Mode exist only with a PASID (PCIe 6.20.2 PASID prefix). */
	if (g->pasid_valid) {
		d[0] |= PRD0_PP | PRD0_PASID(g->pasid);
		if (p->perm & IOMMU_PGFAULT_PERM_EXEC)
			d[0] |= PRD0_ER;
		if (p->perm & IOMMU_PGFAULT_PERM_PRIV)
			d[0] |= PRD0_PMR;
	}
	d[1] = PRD1_PRGI(g->grpid) | (p->addr & PRD1_ADDR);
	if (p->perm & IOMMU_PGFAULT_PERM_READ)
		d[1] |= PRD1_RDR;
	if (p->perm & IOMMU_PGFAULT_PERM_WRITE)
		d[1] |= PRD1_WRR;
	if (i + 1 == g->nr)
		d[1] |= PRD1_LPIG;
	d[2] = d[3] = 0;
}

static void pr_msi(struct vtd *s)
{
	if (s->hooks.msi)
		s->hooks.msi(s->opaque, (uint64_t)s->peuaddr << 32 | s->peaddr, s->pedata);
}

/* PRS gained BITS (locked): the page request event when neither PPR nor PRO was set before (7.5). */
static void pr_status(struct vtd *s, uint32_t bits)
{
	uint32_t before = s->prs;

	s->prs |= bits;
	if (before & (PRS_PPR | PRS_PRO) || s->prs == before)
		return;
	if (s->pectl & FECTL_IM) {
		s->pectl |= FECTL_IP;
		return;
	}
	pr_msi(s);
}

static unsigned int entries(const struct vtd *s)
{
	return 128u << PQA_PQS(s->pqa);
}

/* Writes G whole (locked): true, or false with *CODE. */
static bool push(struct vtd *s, const struct iopf_group *g, uint32_t *code)
{
	unsigned int n = entries(s), head = (unsigned int)(s->pqh >> 5), tail = (unsigned int)(s->pqt >> 5), used;
	uint64_t base = s->pqa & ~0xfffull;

	*code = IOMMUFD_PAGE_RESP_INVALID;
	if (!(s->ecap & ECAP_PRS) || !s->pqa || (g->pasid_valid && (!s->feat.pasid_bits || g->pasid >> s->feat.pasid_bits)) ||
	    g->grpid > PRGI_MAX || !g->nr)
		return false;
	used = (tail - head) & (n - 1);
	/* PRO set: dropped until software clears it; full (a PQH/PQT beyond the queue reads as full):
	 * PRO set. Either way the group's LPIG request gets Success. */
	if ((s->prs & PRS_PRO) || head >= n || tail >= n || n - 1 - used < g->nr) {
		pr_status(s, PRS_PRO);
		*code = IOMMUFD_PAGE_RESP_SUCCESS;
		return false;
	}
	for (unsigned int i = 0; i < g->nr; i++) {
		uint64_t d[4];
		uint8_t b[PRQ_DESC_SIZE];

		vtd_prq_encode(g, i, d);
		for (unsigned int j = 0; j < sizeof(b); j++)
			b[j] = (uint8_t)(d[j / 8] >> (8 * (j % 8)));
		if (gmem_write(s->mem, base + (uint64_t)((tail + i) & (n - 1)) * PRQ_DESC_SIZE, b, sizeof(b))) {
			pr_debug("vtd: page request queue at %#llx is not guest RAM: PRG %u answered Invalid Request",
				 (unsigned long long)base, g->grpid);
			return false;
		}
	}
	s->pqt = (uint64_t)((tail + g->nr) & (n - 1)) << 5;
	pr_status(s, PRS_PPR);
	return true;
}

static bool fe_deliver(void *fe, const struct iopf_group *g, uint32_t *code)
{
	struct vtd *s = fe;
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = push(s, g, code);
	if (ok)
		s->nr_page_reqs += g->nr;
	else
		s->nr_page_reqs_lost += g->nr;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void fe_lost(void *fe, uint32_t sid)
{
	struct vtd *s = fe;

	(void)sid;
	/* nestvm's bound answered it (Success): to the guest, a request its queue dropped: PRO. */
	pthread_mutex_lock(&s->lock);
	s->nr_page_reqs_lost++;
	if ((s->ecap & ECAP_PRS) && s->pqa)
		pr_status(s, PRS_PRO);
	pthread_mutex_unlock(&s->lock);
}

const struct iopf_frontend vtd_iopf_frontend = { .deliver = fe_deliver, .lost = fe_lost };

unsigned int vtd_prq_response(struct vtd *s, uint64_t lo, uint64_t hi)
{
	unsigned int rc = PGRESP_RC(lo);
	uint32_t code;

	/* Without ECAP.PRS the type does not exist. */
	if (!(s->ecap & ECAP_PRS))
		return IQEI_TYPE;
	if ((lo & PGRESP_RSVD_LO) || (hi & PGRESP_RSVD_HI))
		return IQEI_RSVD;
	if (rc == RC_SUCCESS)
		code = IOMMUFD_PAGE_RESP_SUCCESS;
	else if (rc == RC_INVALID || rc == RC_FAILURE)
		code = IOMMUFD_PAGE_RESP_INVALID;
	else
		return IQEI_RSVD;
	s->nr_page_resps++;
	/* An answer for a group nothing awaits (answered on its timeout, or never asked) goes
	 * nowhere, like a PRG response the function does not expect (PCIe 10.4.2). */
	if (s->iopf)
		iopf_respond(s->iopf, PGRESP_RID(lo), PGRESP_PRGI(hi), code);
	return 0;
}

uint64_t vtd_prq_read(struct vtd *s, uint64_t off)
{
	/* 11.4.11: the registers are RsvdZ without ECAP.PRS. */
	if (!(s->ecap & ECAP_PRS))
		return 0;
	switch (off) {
	case VTD_PQH:
		return s->pqh;
	case VTD_PQT:
		return s->pqt;
	case VTD_PQA:
		return s->pqa;
	case VTD_PRS:
		return s->prs;
	case VTD_PECTL:
		return s->pectl;
	case VTD_PEDATA:
		return s->pedata;
	case VTD_PEADDR:
		return s->peaddr;
	case VTD_PEUADDR:
		return s->peuaddr;
	}
	return 0;
}

void vtd_prq_write(struct vtd *s, uint64_t off, uint64_t v)
{
	if (!(s->ecap & ECAP_PRS))
		return;
	switch (off) {
	case VTD_PQH:
		s->pqh = v & PQ_OFF_MASK;
		return;
	case VTD_PQT:
		/* Hardware's, but software initialises it (Linux writes 0 before PQA). */
		s->pqt = v & PQ_OFF_MASK;
		return;
	case VTD_PQA:
		s->pqa = v & (VTD_ADDR_BITS(s->feat.haw) | 7);        /* PQA 63:HAW not implemented */
		return;
	case VTD_PRS:
		/* PPR and PRO are RW1C; with both clear no event is pending any more. */
		s->prs &= ~((uint32_t)v & (PRS_PPR | PRS_PRO));
		if (!(s->prs & (PRS_PPR | PRS_PRO)))
			s->pectl &= ~FECTL_IP;
		return;
	case VTD_PECTL:
		s->pectl = (s->pectl & FECTL_IP) | ((uint32_t)v & FECTL_IM);
		/* Unmasking with an event pending delivers it (11.4.11.5, as FECTL 11.4.9.2). */
		if (!(s->pectl & FECTL_IM) && (s->pectl & FECTL_IP)) {
			s->pectl &= ~FECTL_IP;
			pr_msi(s);
		}
		return;
	case VTD_PEDATA:
		s->pedata = (uint32_t)v & 0xffff;       /* IMD 15:0 */
		return;
	case VTD_PEADDR:
		s->peaddr = (uint32_t)v & ~3u;          /* MA 31:2 */
		return;
	case VTD_PEUADDR:
		s->peuaddr = s->ecap & ECAP_EIM ? (uint32_t)v : 0;
		return;
	}
}

void vtd_prq_reset(struct vtd *s)
{
	s->pqh = s->pqt = s->pqa = 0;
	s->prs = 0;
	s->pectl = FECTL_IM;
	s->pedata = s->peaddr = s->peuaddr = 0;
}
