// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SMMUv3 PRI queue and CMD_PRI_RESP (iommu/smmuv3_priq.c) with the I/O page fault service
 * (iommu/iopf.c) over a SOCK_SEQPACKET pair standing in for the iommufd FAULT fd: page request
 * groups become PRIQ entries (chapter 8 layout), the guest's CMD_PRI_RESP becomes the kernel's page
 * response with the group's cookie, PRIQ overflow sets PROD.OVFLG and answers Success, a disabled
 * PRIQ answers Invalid, and the command is illegal without IDR0.PRI or with Resp 0b11.
 */
#include <linux/iommufd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iommu/iopf.h"
#include "smmuv3_harness.h"

#define PRIQ (RAM_BASE + 0x220000)
#define SID 0x10

static int kern;

static void fault(uint32_t grpid, uint64_t addr, uint32_t cookie, unsigned int pages, int pasid)
{
	struct iommu_hwpt_pgfault r[4];

	for (unsigned int i = 0; i < pages; i++)
		r[i] = (struct iommu_hwpt_pgfault){
			.flags = (i + 1 == pages ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0) |
				 (pasid >= 0 ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0),
			.dev_id = 5, .pasid = pasid >= 0 ? (uint32_t)pasid : 0, .grpid = grpid,
			.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE |
				(pasid >= 0 ? IOMMU_PGFAULT_PERM_EXEC | IOMMU_PGFAULT_PERM_PRIV : 0),
			.addr = addr + i * 0x1000ull, .cookie = cookie,
		};
	if (write(kern, r, pages * sizeof(r[0])) < 0)
		printf("# write failed\n");
}

static int got(struct iommu_hwpt_page_response *r)
{
	return read(kern, r, sizeof(*r)) == sizeof(*r);
}

static uint32_t cmdq_err(struct harness *h)
{
	return rd32(h, SMMU_CMDQ_CONS) >> CMDQ_CONS_ERR_SHIFT;
}

/* Replaces the command the queue stopped at with a CMD_SYNC and acknowledges CMDQ_ERR (7.1). */
static void skip_bad(struct harness *h)
{
	uint32_t at = rd32(h, SMMU_CMDQ_CONS) & 0xff;

	gw64(h, CMDQ + at * 16, CMD_SYNC);
	gw64(h, CMDQ + at * 16 + 8, 0);
	wr32(h, SMMU_GERRORN, rd32(h, SMMU_GERROR));
}

int main(void)
{
	struct harness h;
	struct iopf *f = NULL;
	struct iommu_hwpt_page_response r;
	int sv[2];
	uint64_t e0, e1;

	if (h_init(&h, NULL) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) ||
	    iopf_create_fd(-1, 3, sv[0], NULL, 1000, &f)) {
		CHECK(0, "setup");
		return tap_done();
	}
	kern = sv[1];
	h_enable(&h);
	CHECK(!(rd32(&h, SMMU_IDR0) & IDR0_PRI), "no page request source: IDR0.PRI is 0");
	h_cmd(&h, CMD_PRI_RESP | (uint64_t)SID << 32, PRI_RESP_SUCC << 12);
	CHECK(cmdq_err(&h) == CERROR_ILL, "CMD_PRI_RESP without IDR0.PRI is illegal");
	skip_bad(&h);

	CHECK(smmuv3_set_iopf(&h.s, f) == 0 && (rd32(&h, SMMU_IDR0) & IDR0_PRI) && ((rd32(&h, SMMU_IDR1) >> 11) & 0x1f) == 8,
	      "with a source: IDR0.PRI, IDR1.PRIQS 8");
	CHECK(iopf_add_device(f, 5, SID, &smmuv3_iopf_frontend, &h.s) == 0, "device 5 is StreamID 0x10");

	/* PRIQEN 0: nothing in the guest will answer. */
	fault(1, 0x7000, 50, 1, -1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 50 && r.code == IOMMUFD_PAGE_RESP_INVALID, "PRIQ disabled: the kernel gets INVALID");

	wr64(&h, SMMU_PRIQ_BASE, PRIQ | 1);       /* 2 entries */
	CHECK(rd64(&h, SMMU_PRIQ_BASE) == (PRIQ | 1), "PRIQ_BASE holds the queue");
	wr32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_PROD, 0);
	wr32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_CONS, 0);
	wr32(&h, SMMU_IRQ_CTRL, rd32(&h, SMMU_IRQ_CTRL) | IRQ_CTRL_PRIQ_IRQEN);
	wr32(&h, SMMU_CR0, rd32(&h, SMMU_CR0) | CR0_PRIQEN);
	CHECK(rd32(&h, SMMU_CR0ACK) & CR0_PRIQEN, "PRIQEN acknowledged");
	wr64(&h, SMMU_PRIQ_BASE, PRIQ | 4);
	CHECK(rd64(&h, SMMU_PRIQ_BASE) == (PRIQ | 1), "PRIQ_BASE is fixed while PRIQEN is 1");

	fault(0x1a5, 0x12345000, 60, 1, -1);
	iopf_read(f);
	e0 = gr64(&h, PRIQ);
	e1 = gr64(&h, PRIQ + 8);
	CHECK(rd32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_PROD) == 1 && h.irqs[SMMUV3_IRQ_PRIQ] == 1,
	      "one page request: PRIQ_PROD 1, the PRIQ interrupt");
	CHECK((e0 & 0xffffffff) == SID && (e0 & PRIQ0_LAST) && (e0 & PRIQ0_READ) && (e0 & PRIQ0_WRITE) &&
	      !(e0 & (PRIQ0_SSV | PRIQ0_EXEC | PRIQ0_PRIV)), "entry: StreamID, R, W, L; no SSV, X, Priv without a PASID");
	CHECK((e1 & 0x1ff) == 0x1a5 && (e1 & PRIQ1_ADDR) == 0x12345000, "entry: PRGIndex and page address");
	CHECK(!got(&r), "the kernel waits for the guest");
	wr32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_CONS, 1);
	h_cmd(&h, CMD_PRI_RESP | (uint64_t)SID << 32, PRI_RESP_SUCC << 12 | 0x1a5);
	CHECK(cmdq_err(&h) == CERROR_NONE && got(&r) && r.cookie == 60 && r.code == IOMMUFD_PAGE_RESP_SUCCESS,
	      "CMD_PRI_RESP Success: the kernel gets cookie 60 SUCCESS");

	fault(2, 0x20000, 61, 1, 7);
	iopf_read(f);
	e0 = gr64(&h, PRIQ + 16);
	CHECK((e0 & PRIQ0_SSV) && ((e0 >> 32) & 0xfffff) == 7 && (e0 & PRIQ0_EXEC) && (e0 & PRIQ0_PRIV),
	      "with a PASID: SSV, SubstreamID 7, X and Priv");
	wr32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_CONS, 2);
	h_cmd(&h, CMD_PRI_RESP | CMD_SSV | 7ull << 12 | (uint64_t)SID << 32, PRI_RESP_DENY << 12 | 2);
	CHECK(got(&r) && r.cookie == 61 && r.code == IOMMUFD_PAGE_RESP_INVALID, "Resp Denied: the kernel gets INVALID");
	fault(3, 0x30000, 62, 1, -1);
	iopf_read(f);
	wr32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_CONS, 3);
	h_cmd(&h, CMD_PRI_RESP | (uint64_t)SID << 32, PRI_RESP_FAIL << 12 | 3);
	CHECK(got(&r) && r.cookie == 62 && r.code == IOMMUFD_PAGE_RESP_INVALID, "Resp Failure: the kernel gets INVALID");
	h_cmd(&h, CMD_PRI_RESP | (uint64_t)SID << 32, 3ull << 12 | 3);
	CHECK(cmdq_err(&h) == CERROR_ILL && !got(&r), "Resp 0b11 is reserved: illegal, nothing answered");
	skip_bad(&h);

	/* Overflow: the guest leaves two entries unconsumed. */
	fault(4, 0x40000, 70, 1, -1);
	fault(5, 0x50000, 71, 1, -1);
	iopf_read(f);
	iopf_read(f);
	CHECK(rd32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_PROD) == 1 && !(rd32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_PROD) & Q_OVF),
	      "two groups fill the 2-entry PRIQ");
	fault(6, 0x60000, 72, 1, -1);
	iopf_read(f);
	CHECK((rd32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_PROD) & Q_OVF) && got(&r) && r.cookie == 72 &&
	      r.code == IOMMUFD_PAGE_RESP_SUCCESS, "a third: PRIQ_PROD.OVFLG, and the kernel gets SUCCESS (retry)");
	fault(7, 0x70000, 73, 2, -1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 73 && r.code == IOMMUFD_PAGE_RESP_SUCCESS &&
	      (rd32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_PROD) & 0x7fffffff) == 1, "still full: discarded too, PROD unmoved");
	wr32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_CONS, 1 | Q_OVF);
	fault(8, 0x80000, 74, 2, -1);
	iopf_read(f);
	CHECK(rd32(&h, SMMU_PAGE_SIZE + SMMU_PRIQ_PROD) == (3 | Q_OVF) && !got(&r),
	      "consumed and OVACKFLG acknowledged: a 2-page group fits, no new overflow");
	/* PROD was at index 1: the first page there, the last (wrapped) at index 0. */
	CHECK(!(gr64(&h, PRIQ + 16) & PRIQ0_LAST) && (gr64(&h, PRIQ) & PRIQ0_LAST), "only the group's last entry has L");
	h_cmd(&h, CMD_PRI_RESP | (uint64_t)SID << 32, PRI_RESP_SUCC << 12 | 4);
	h_cmd(&h, CMD_PRI_RESP | (uint64_t)SID << 32, PRI_RESP_SUCC << 12 | 5);
	CHECK(got(&r) && r.cookie == 70 && got(&r) && r.cookie == 71, "the queued groups are answered in turn");
	CHECK(iopf_pending(f, SID) == 1, "one group still awaits the guest");
	iopf_destroy(f);
	CHECK(got(&r) && r.cookie == 74 && r.code == IOMMUFD_PAGE_RESP_INVALID, "at shutdown it is answered INVALID");
	smmuv3_set_iopf(&h.s, NULL);
	close(kern);
	h_fini(&h);
	return tap_done();
}
