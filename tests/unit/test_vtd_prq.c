// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VT-d page request queue and page group responses (iommu/vtd_prq.c) with the I/O page fault
 * service (iommu/iopf.c) over a SOCK_SEQPACKET pair standing in for the iommufd FAULT fd: page
 * request groups become 256-bit page request descriptors, the guest's page group response
 * descriptor on the invalidation queue becomes the kernel's page response with the group's
 * cookie, a full queue sets PRS.PRO and answers Success, the page request event follows PPR/PRO
 * and PECTL.IM, and without a source the registers and the descriptor type do not exist.
 */
#include <linux/iommufd.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iommu/iopf.h"
#include "iommu/vtd.h"
#include "tap.h"
#include "vmm/guest_mem.h"

#define RAM_BASE    0x40000000ull
#define RAM_SIZE    (4ull << 20)
#define IQ          (RAM_BASE + 0x10000)       /* 256 128-bit descriptors (QS 0, DW 0) */
#define PRQ         (RAM_BASE + 0x20000)       /* 128 256-bit descriptors (PQS 0) */
#define RID         0x0010
#define DEV_ID      5

static struct guest_mem gm;
static struct vtd s;
static int kern, nr_msi;
static uint64_t msi_addr;
static uint32_t msi_data;
static unsigned int iq_tail;

static void h_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	nr_msi++;
	msi_addr = addr;
	msi_data = data;
}

static void acc(uint64_t off, uint64_t *x, uint32_t len, bool w)
{
	uint8_t d[8];

	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(*x >> (8 * i));
	vtd_mmio(&s, off, d, len, w);
	if (!w)
		for (*x = 0; len--;)
			*x = *x << 8 | d[len];
}

static uint32_t rd32(uint64_t off) { uint64_t x = 0; acc(off, &x, 4, false); return (uint32_t)x; }
static void wr32(uint64_t off, uint32_t v) { uint64_t x = v; acc(off, &x, 4, true); }
static uint64_t rd64(uint64_t off) { uint64_t x = 0; acc(off, &x, 8, false); return x; }
static void wr64(uint64_t off, uint64_t v) { acc(off, &v, 8, true); }
static uint64_t get(uint64_t pa) { uint64_t x; memcpy(&x, gmem_ptr(&gm, pa, 8), 8); return x; }
static void put(uint64_t pa, uint64_t x) { memcpy(gmem_ptr(&gm, pa, 8), &x, 8); }

static void fault(uint32_t grpid, uint64_t addr, uint32_t cookie, unsigned int pages, int pasid)
{
	struct iommu_hwpt_pgfault r[4];

	for (unsigned int i = 0; i < pages; i++)
		r[i] = (struct iommu_hwpt_pgfault){
			.flags = (i + 1 == pages ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0) |
				 (pasid >= 0 ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0),
			.dev_id = DEV_ID, .pasid = pasid >= 0 ? (uint32_t)pasid : 0, .grpid = grpid,
			.perm = IOMMU_PGFAULT_PERM_READ | (i ? 0 : IOMMU_PGFAULT_PERM_WRITE),
			.addr = addr + i * 0x1000ull, .cookie = cookie,
		};
	if (write(kern, r, pages * sizeof(r[0])) < 0)
		printf("# write failed\n");
}

static int got(struct iommu_hwpt_page_response *r)
{
	return read(kern, r, sizeof(*r)) == sizeof(*r);
}

/* One 128-bit descriptor on the invalidation queue, then IQT moved past it. */
static void iq(uint64_t lo, uint64_t hi)
{
	put(IQ + iq_tail * 16, lo);
	put(IQ + iq_tail * 16 + 8, hi);
	iq_tail = (iq_tail + 1) % 256;
	wr64(VTD_IQT, (uint64_t)iq_tail << 4);
}

/* Page group response: type 9h, RID 31:16, Response Code 15:12; PRG index 11:3, LPIG 2. */
static void pgresp(uint16_t rid, uint32_t prgi, unsigned int rc)
{
	iq(0x9 | (uint64_t)rc << 12 | (uint64_t)rid << 16, (uint64_t)prgi << 3 | 1u << 2);
}

static void gcmd(uint32_t set)
{
	wr32(VTD_GCMD, (rd32(VTD_GSTS) & (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI)) | set);
}

int main(void)
{
	static const struct vtd_hooks hooks = { .msi = h_msi };
	struct vtd_features f;
	struct viommu *v;
	struct iopf *fs = NULL;
	struct iommu_hwpt_page_response r;
	uint64_t d0, d1;
	int sv[2];

	vtd_default_features(&f);
	if (gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false) || !(v = viommu_soft_create(&gm)) ||
	    vtd_init(&s, &f, &gm, v, &hooks, NULL) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) ||
	    iopf_create_fd(-1, 3, sv[0], NULL, 1000, &fs)) {
		printf("Bail out! setup\n");
		return 1;
	}
	kern = sv[1];
	wr64(VTD_IQA, IQ);
	gcmd(GCMD_QIE);

	/* Without a source: no ECAP.PRS, the registers RsvdZ, the descriptor type invalid. */
	CHECK(!(rd64(VTD_ECAP) & (ECAP_PRS | ECAP_PDS)), "no page request source: ECAP.PRS and PDS are 0");
	wr64(VTD_PQA, PRQ);
	CHECK(rd64(VTD_PQA) == 0, "no source: PQA_REG reads 0 and ignores writes");
	pgresp(RID, 1, 0);
	CHECK((rd32(VTD_FSTS) & FSTS_IQE) && rd64(VTD_IQERCD) == IQEI_TYPE,
	      "no source: a page group response is an invalid descriptor type (IQE, IQEI 3)");
	iq_tail = 0;
	wr64(VTD_IQT, 0);
	wr64(VTD_IQA, IQ);
	wr32(VTD_FSTS, FSTS_IQE);
	gcmd(0);

	vtd_set_iopf(&s, fs);
	CHECK((rd64(VTD_ECAP) & ECAP_PRS) && (rd64(VTD_ECAP) & ECAP_PDS) && (rd64(VTD_ECAP) & ECAP_SMTS),
	      "with a source: ECAP.PRS and PDS, in scalable mode");
	CHECK(!(rd64(VTD_ECAP) & (1ull << 40)), "ECAP.PASID stays 0");
	CHECK(rd32(VTD_PECTL) == FECTL_IM, "PECTL resets with IM set");
	CHECK(iopf_add_device(fs, DEV_ID, RID, &vtd_iopf_frontend, &s) == 0, "device 5 is requester id 0x10");

	/* PQA never written: nothing in the guest will answer. */
	fault(1, 0x7000, 50, 1, -1);
	iopf_read(fs);
	CHECK(got(&r) && r.cookie == 50 && r.code == IOMMUFD_PAGE_RESP_INVALID, "no queue (PQA 0): the kernel gets INVALID");

	wr64(VTD_PQH, 0);
	wr64(VTD_PQT, 0);
	wr64(VTD_PQA, PRQ | 0xff8);
	CHECK(rd64(VTD_PQA) == PRQ, "PQA_REG: address 63:12 and PQS 2:0 only");
	wr64(VTD_PQA, 0xffff000000000000ull | PRQ | 2);
	CHECK(rd64(VTD_PQA) == (PRQ | 2), "PQA_REG: bits 63:48 (above HAW) read 0");
	wr64(VTD_PQA, PRQ);
	wr32(VTD_PEDATA, 0x12345);
	wr32(VTD_PEADDR, 0xfee01003);
	CHECK(rd32(VTD_PEDATA) == 0x2345 && rd32(VTD_PEADDR) == 0xfee01000, "PEDATA 15:0, PEADDR 31:2");
	wr32(VTD_PECTL, 0);

	fault(0x1a5, 0x12345000, 60, 1, -1);
	iopf_read(fs);
	d0 = get(PRQ);
	d1 = get(PRQ + 8);
	CHECK(rd64(VTD_PQT) == 0x20 && (rd32(VTD_PRS) & PRS_PPR), "one page request: PQT 0x20 (one 32-byte descriptor), PRS.PPR");
	CHECK(nr_msi == 1 && msi_addr == 0xfee01000 && msi_data == 0x2345, "the page request event: PEADDR/PEDATA");
	CHECK((d0 & 0xff) == 1 && ((d0 >> 16) & 0xffff) == RID && !(d0 & (1ull << 8)) && !(d0 >> 52),
	      "descriptor qword 0: type 1, requester id, no PASID Present, no ER/PMR");
	CHECK((d1 & 1) && (d1 & 2) && (d1 & 4) && ((d1 >> 3) & 0x1ff) == 0x1a5 && (d1 & ~0xfffull) == 0x12345000,
	      "descriptor qword 1: RDR, WRR, LPIG, PRG index, page address");
	CHECK(get(PRQ + 16) == 0 && get(PRQ + 24) == 0, "descriptor qwords 2-3 (private data): 0");
	CHECK(!got(&r), "the kernel waits for the guest");

	fault(2, 0x20000, 61, 3, -1);
	iopf_read(fs);
	CHECK(rd64(VTD_PQT) == 0x80 && nr_msi == 1, "a 3-request group: 3 descriptors, no new event while PPR is set");
	CHECK(!(get(PRQ + 0x28) & 4) && !(get(PRQ + 0x48) & 4) && (get(PRQ + 0x68) & 4) &&
	      (get(PRQ + 0x48) & ~0xfffull) == 0x21000 && !(get(PRQ + 0x48) & 2),
	      "LPIG only on the group's last descriptor; each its own address and permissions");

	/* The guest consumes and answers. */
	wr32(VTD_PRS, PRS_PPR);
	CHECK(!(rd32(VTD_PRS) & PRS_PPR), "PRS.PPR is RW1C");
	wr64(VTD_PQH, 0x80);
	pgresp(RID, 0x1a5, 0);
	CHECK(!(rd32(VTD_FSTS) & FSTS_IQE) && got(&r) && r.cookie == 60 && r.code == IOMMUFD_PAGE_RESP_SUCCESS,
	      "page group response Success: the kernel gets cookie 60 SUCCESS");
	pgresp(RID, 2, 1);
	CHECK(got(&r) && r.cookie == 61 && r.code == IOMMUFD_PAGE_RESP_INVALID, "Invalid Request: the kernel gets INVALID");
	fault(3, 0x30000, 62, 1, -1);
	iopf_read(fs);
	CHECK(nr_msi == 2, "PPR clear: the next request raises the event again");
	pgresp(RID, 3, 0xf);
	CHECK(got(&r) && r.cookie == 62 && r.code == IOMMUFD_PAGE_RESP_INVALID, "Response Failure: the kernel gets INVALID");
	pgresp(RID, 3, 0);
	CHECK(!(rd32(VTD_FSTS) & FSTS_IQE) && !got(&r) && iopf_count(fs, IOPF_BY_GUEST) == 3,
	      "an answer nothing awaits is ignored (no IQE, nothing to the kernel)");
	fault(4, 0x40000, 63, 1, -1);
	iopf_read(fs);
	pgresp(RID, 4, 2);
	CHECK((rd32(VTD_FSTS) & FSTS_IQE) && rd64(VTD_IQERCD) == IQEI_RSVD && !got(&r),
	      "a reserved Response Code: IQE, IQEI 4, nothing to the kernel");
	/* Skip the bad descriptor (replace it by a wait descriptor) and resume. */
	put(IQ + (rd64(VTD_IQH) >> 4) * 16, 0x5);
	put(IQ + (rd64(VTD_IQH) >> 4) * 16 + 8, 0);
	wr32(VTD_FSTS, FSTS_IQE);
	iq(0x9 | 1ull << 5 | (uint64_t)RID << 16, 4u << 3);
	CHECK((rd32(VTD_FSTS) & FSTS_IQE) && rd64(VTD_IQERCD) == IQEI_RSVD, "reserved bit 5 of a page group response: IQE");
	put(IQ + (rd64(VTD_IQH) >> 4) * 16, 0x9 | (uint64_t)RID << 16);
	put(IQ + (rd64(VTD_IQH) >> 4) * 16 + 8, 4u << 3);
	wr32(VTD_FSTS, FSTS_IQE);
	CHECK(got(&r) && r.cookie == 63 && r.code == IOMMUFD_PAGE_RESP_SUCCESS, "the corrected descriptor answers PRG 4");

	/* A group with a PASID: ECAP.PASID is 0, no such function behind this unit. */
	fault(5, 0x50000, 64, 1, 7);
	iopf_read(fs);
	CHECK(got(&r) && r.cookie == 64 && r.code == IOMMUFD_PAGE_RESP_INVALID && rd64(VTD_PQT) == 0xc0,
	      "with a PASID: INVALID, nothing written");

	/* Overflow: fill the 128-entry queue (one slot stays free) without consuming, answering each. */
	wr64(VTD_PQH, 0xc0);
	wr32(VTD_PRS, PRS_PPR);
	for (unsigned int i = 0; i < 127; i++) {
		fault(100 + i % 100, 0x100000, 1000 + i, 1, -1);
		iopf_read(fs);
		pgresp(RID, 100 + i % 100, 0);
		got(&r);
	}
	CHECK(rd64(VTD_PQT) == 0xa0 && !(rd32(VTD_PRS) & PRS_PRO), "127 descriptors: the queue is full (PQT + 1 == PQH), no PRO yet");
	wr32(VTD_PRS, PRS_PPR);
	nr_msi = 0;
	fault(300, 0x300000, 2000, 1, -1);
	iopf_read(fs);
	CHECK(got(&r) && r.cookie == 2000 && r.code == IOMMUFD_PAGE_RESP_SUCCESS && (rd32(VTD_PRS) & PRS_PRO) &&
	      rd64(VTD_PQT) == 0xa0 && nr_msi == 1,
	      "full: the group is dropped, PRS.PRO set, the event raised, the kernel gets SUCCESS (the LPIG auto-response)");
	wr64(VTD_PQH, 0xa0);
	fault(301, 0x300000, 2001, 1, -1);
	iopf_read(fs);
	CHECK(got(&r) && r.cookie == 2001 && r.code == IOMMUFD_PAGE_RESP_SUCCESS && rd64(VTD_PQT) == 0xa0 && nr_msi == 1,
	      "PRO set: dropped even with room, no new event");
	wr32(VTD_PRS, PRS_PRO);
	fault(302, 0x300000, 2002, 4, -1);
	iopf_read(fs);
	CHECK(!got(&r) && rd64(VTD_PQT) == 0x120 && nr_msi == 2, "PRO cleared: a 4-request group goes in again, with an event");
	pgresp(RID, 302, 0);
	CHECK(got(&r) && r.cookie == 2002 && r.code == IOMMUFD_PAGE_RESP_SUCCESS, "and is answered");

	/* PECTL.IM: the event stays pending (IP) until unmasked. */
	wr32(VTD_PRS, PRS_PPR);
	wr32(VTD_PECTL, FECTL_IM);
	fault(303, 0x300000, 2003, 1, -1);
	iopf_read(fs);
	CHECK(nr_msi == 2 && (rd32(VTD_PECTL) & FECTL_IP), "masked: no interrupt, PECTL.IP");
	wr32(VTD_PECTL, 0);
	CHECK(nr_msi == 3 && !(rd32(VTD_PECTL) & FECTL_IP), "unmasked: the pending interrupt goes out, IP clears");
	wr32(VTD_PECTL, FECTL_IM);
	wr32(VTD_PRS, PRS_PPR);
	fault(304, 0x300000, 2004, 1, -1);
	iopf_read(fs);
	wr32(VTD_PRS, PRS_PPR);
	CHECK(!(rd32(VTD_PECTL) & FECTL_IP), "clearing PPR (and PRO) clears a pending IP");

	/* 256-bit invalidation descriptors: the response's upper half (private data) is allowed. The
	 * queue set up again as Linux does it: IQT 0 before IQA and QIE (6.5.2). */
	gcmd(0);
	wr32(VTD_GCMD, rd32(VTD_GSTS) & ~GCMD_QIE);
	wr64(VTD_IQT, 0);
	wr64(VTD_IQA, IQ | IQA_DW);
	gcmd(GCMD_QIE);
	put(IQ, 0x9 | (uint64_t)RID << 16);
	put(IQ + 8, 303u << 3 | 4);
	put(IQ + 16, 0xabc);
	put(IQ + 24, 0);
	wr64(VTD_IQT, 0x20);
	CHECK(!(rd32(VTD_FSTS) & FSTS_IQE) && got(&r) && r.cookie == 2003 && r.code == IOMMUFD_PAGE_RESP_SUCCESS,
	      "a 256-bit page group response with private data answers PRG 303");

	/* Bounds: a PQH beyond the queue reads as full. */
	wr64(VTD_PQH, 0x7ffe0);
	fault(305, 0x300000, 2005, 1, -1);
	iopf_read(fs);
	CHECK(got(&r) && r.cookie == 2005 && r.code == IOMMUFD_PAGE_RESP_SUCCESS && (rd32(VTD_PRS) & PRS_PRO),
	      "PQH beyond the queue: full, PRO, SUCCESS");

	/* A queue outside guest RAM: nothing written, INVALID. */
	wr32(VTD_PRS, PRS_PRO | PRS_PPR);
	wr64(VTD_PQH, 0);
	wr64(VTD_PQT, 0);
	wr64(VTD_PQA, 0x1000000);
	fault(306, 0x300000, 2006, 1, -1);
	iopf_read(fs);
	CHECK(got(&r) && r.cookie == 2006 && r.code == IOMMUFD_PAGE_RESP_INVALID && rd64(VTD_PQT) == 0,
	      "a queue outside RAM: INVALID, PQT unchanged");

	/* The source goes: ECAP.PRS 0, so the registers are RsvdZ (11.4.11); with a source again they
	 * are at their power-on values, not what the guest wrote before. */
	wr64(VTD_PQA, PRQ);
	wr64(VTD_PQH, 0x40);
	wr64(VTD_PQT, 0x60);
	wr32(VTD_PEDATA, 0x77);
	wr32(VTD_PECTL, 0);
	vtd_set_iopf(&s, NULL);
	CHECK(!(rd64(VTD_ECAP) & ECAP_PRS) && !rd64(VTD_PQA) && !rd64(VTD_PQH) && !rd64(VTD_PQT) && !rd32(VTD_PECTL) &&
	      !rd32(VTD_PEDATA), "the source gone: ECAP.PRS 0, the page request registers read 0");
	wr64(VTD_PQA, PRQ);
	wr32(VTD_PECTL, 0);
	CHECK(!rd64(VTD_PQA) && !rd32(VTD_PECTL), "... and ignore writes");
	vtd_set_iopf(&s, fs);
	CHECK((rd64(VTD_ECAP) & ECAP_PRS) && !rd64(VTD_PQA) && !rd64(VTD_PQH) && !rd64(VTD_PQT) && !rd32(VTD_PRS) &&
	      rd32(VTD_PECTL) == FECTL_IM && !rd32(VTD_PEDATA) && !rd32(VTD_PEADDR),
	      "a source again: the registers at their power-on values (PECTL.IM), not the old ones");
	fault(307, 0x300000, 2007, 1, -1);
	iopf_read(fs);
	CHECK(got(&r) && r.cookie == 2007 && r.code == IOMMUFD_PAGE_RESP_INVALID && !rd64(VTD_PQT),
	      "... so no queue (PQA 0): INVALID, nothing written");
	wr64(VTD_PQA, PRQ);
	wr32(VTD_PECTL, 0);

	/* Reset: registers to their power-on values, the capability stays. */
	pthread_mutex_lock(&s.lock);
	vtd_reset(&s);
	pthread_mutex_unlock(&s.lock);
	CHECK(rd64(VTD_PQA) == 0 && rd64(VTD_PQT) == 0 && rd32(VTD_PRS) == 0 && rd32(VTD_PECTL) == FECTL_IM &&
	      (rd64(VTD_ECAP) & ECAP_PRS), "reset: PQA/PQT/PRS 0, PECTL.IM, ECAP.PRS kept");
	iopf_answer_all(fs);
	vtd_set_iopf(&s, NULL);
	CHECK(!(rd64(VTD_ECAP) & ECAP_PRS), "the source gone: ECAP.PRS 0");
	iopf_destroy(fs);
	close(kern);
	vtd_destroy(&s);
	viommu_destroy(v);
	gmem_destroy(&gm);
	return tap_done();
}
