// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 command queue driven like the Linux driver: CMD_SYNC completion (MSI write, wired line),
 * CFGI_* and TLBI_* effects on translations (stale until invalidated, fresh after), batching of
 * invalidations up to a SYNC, and the error protocol (CERROR_ILL/ABT/ATC_INV_SYNC, CONS.ERR,
 * GERROR.CMDQ_ERR, stall until GERRORN acknowledges, resume).
 */
#include <stdlib.h>

#include "smmuv3_harness.h"

/* A backend wrapper that records batches and fails on request. */
static const struct viommu_ops *soft_ops;
static unsigned int nr_batches, last_batch_len, fail_at = UINT32_MAX;
static int fail_err;

static int spy_invalidate(struct viommu *v, const struct viommu_inval *inv, unsigned int n, unsigned int *done)
{
	nr_batches++;
	last_batch_len = n;
	if (fail_at < n) {
		soft_ops->invalidate(v, inv, fail_err == -ETIMEDOUT ? n : fail_at, done);
		*done = fail_at;
		fail_at = UINT32_MAX;
		return fail_err;
	}
	return soft_ops->invalidate(v, inv, n, done);
}

static struct viommu_ops spy_ops;

static uint32_t cons(struct harness *h)
{
	return rd32(h, SMMU_CMDQ_CONS);
}

static uint64_t xl(struct harness *h, uint32_t sid, uint64_t iova)
{
	struct viommu_xlate x = { 0 };

	if (smmuv3_translate(&h->s, sid, iova, false, &x))
		return UINT64_MAX;
	return x.pa;
}

static void test_sync(struct harness *h)
{
	uint32_t c0 = cons(h);

	h->nr_msi = 0;
	h_cmd(h, CMD_SYNC | (uint64_t)SYNC_CS_IRQ << 12 | 0xabcdull << 32, CMDQ + 0x40);
	CHECK(cons(h) == ((c0 + 1) & 0x1ff), "SYNC consumed: CONS == PROD");
	CHECK(h->nr_msi == 1 && h->msi_addr == CMDQ + 0x40 && h->msi_data == 0xabcd,
	      "SYNC CS=SIG_IRQ with MSIAddress: MSI write of MSIData");
	h_cmd(h, CMD_SYNC | (uint64_t)SYNC_CS_IRQ << 12, 0);
	CHECK(h->irqs[SMMUV3_IRQ_CMD_SYNC] == 1 && h->nr_msi == 1, "SYNC CS=SIG_IRQ without address: cmdq-sync line");
	h_cmd(h, CMD_SYNC | (uint64_t)SYNC_CS_SEV << 12, 0);
	h_cmd(h, CMD_SYNC, CMDQ);
	CHECK(h->irqs[SMMUV3_IRQ_CMD_SYNC] == 1 && h->nr_msi == 1 && cons(h) == rd32(h, SMMU_CMDQ_PROD),
	      "SYNC CS=SIG_SEV / none: completes silently");
	h_cmd(h, CMD_PREFETCH_CONFIG | 5ull << 32, 0);
	h_cmd(h, CMD_PREFETCH_ADDR | 5ull << 32, 0x1000);
	CHECK(cons(h) == rd32(h, SMMU_CMDQ_PROD) && rd32(h, SMMU_GERROR) == 0, "PREFETCH_* accepted as hints");
}

/* Issues a bad command, checks the error state, then fixes it up like Linux (replace it with a
 * SYNC, acknowledge in GERRORN) and checks the queue resumes. */
static void check_error(struct harness *h, uint64_t w0, uint64_t w1, unsigned int cerror, const char *what)
{
	uint32_t at = rd32(h, SMMU_CMDQ_PROD), ge = rd32(h, SMMU_GERROR);
	int girq = h->irqs[SMMUV3_IRQ_GERROR], msi = h->nr_msi;

	h_cmd(h, w0, w1);
	h_cmd(h, CMD_SYNC | (uint64_t)SYNC_CS_IRQ << 12, CMDQ);      /* must not complete yet */
	CHECK((cons(h) & 0x1ff) == at && (cons(h) >> CMDQ_CONS_ERR_SHIFT) == cerror,
	      "%s: CONS stops at it with ERR %u (CONS 0x%x)", what, cerror, cons(h));
	CHECK(((rd32(h, SMMU_GERROR) ^ rd32(h, SMMU_GERRORN)) & GERROR_CMDQ_ERR) &&
	      h->irqs[SMMUV3_IRQ_GERROR] == girq + 1, "%s: GERROR.CMDQ_ERR active, interrupt", what);
	CHECK(h->nr_msi == msi, "%s: the SYNC behind it did not complete", what);
	wr32(h, SMMU_CMDQ_PROD, rd32(h, SMMU_CMDQ_PROD));
	CHECK((cons(h) & 0x1ff) == at, "%s: queue stays stalled until acknowledged", what);
	gw64(h, CMDQ + (at & 0xff) * 16, CMD_SYNC);
	gw64(h, CMDQ + (at & 0xff) * 16 + 8, 0);
	wr32(h, SMMU_GERRORN, rd32(h, SMMU_GERROR));
	CHECK(cons(h) == rd32(h, SMMU_CMDQ_PROD) && h->nr_msi == msi + 1 && rd32(h, SMMU_GERROR) == (ge ^ GERROR_CMDQ_ERR),
	      "%s: acknowledged: resumes, ERR clear, SYNC completes", what);
}

static void test_errors(struct harness *h)
{
	check_error(h, 0x7f, 0, CERROR_ILL, "unknown opcode");
	check_error(h, CMD_SYNC | 3ull << 12, 0, CERROR_ILL, "SYNC with reserved CS");
	check_error(h, CMD_ATC_INV | 1ull << 32, 0, CERROR_ILL, "ATC_INV without ATS");
	check_error(h, 0x20, 0, CERROR_ILL, "TLBI_EL2_ALL without HYP");
	check_error(h, 0x2a, 0, CERROR_ILL, "TLBI_S2_IPA without stage 2");
	check_error(h, CMD_CFGI_STE | CMD_SSEC, 0, CERROR_ILL, "CFGI_STE with SSec");

	/* Command fetch abort: the queue is not in RAM. */
	{
		uint32_t at;

		wr32(h, SMMU_CR0, CR0_EVTQEN | CR0_SMMUEN);
		wr64(h, SMMU_CMDQ_BASE, NOT_RAM | 8);
		wr32(h, SMMU_CMDQ_CONS, 3);
		wr32(h, SMMU_CMDQ_PROD, 3);
		wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
		wr32(h, SMMU_CMDQ_PROD, 5);
		at = cons(h);
		CHECK((at & 0x1ff) == 3 && (at >> CMDQ_CONS_ERR_SHIFT) == CERROR_ABT, "queue not in RAM: CERROR_ABT");
		wr32(h, SMMU_CR0, CR0_EVTQEN | CR0_SMMUEN);
		wr64(h, SMMU_CMDQ_BASE, CMDQ | 8);
		wr32(h, SMMU_CMDQ_CONS, 0);
		wr32(h, SMMU_CMDQ_PROD, 0);
		wr32(h, SMMU_GERRORN, rd32(h, SMMU_GERROR));
		wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
		h_sync(h);
		CHECK(cons(h) == 1 && rd32(h, SMMU_GERROR) == rd32(h, SMMU_GERRORN), "queue moved back to RAM: works");
	}
	/* Commands wait while CMDQEN is clear. */
	wr32(h, SMMU_CR0, CR0_EVTQEN | CR0_SMMUEN);
	h_sync(h);
	CHECK(cons(h) == 1, "CMDQEN == 0: PROD moves, nothing consumed");
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	CHECK(cons(h) == 2, "enabling the queue consumes what is pending");
}

/*
 * PROD written behind CONS (3.5.1 incoherent indexes): the queue would seem to hold more than its
 * 256 entries. Every slot holds a SYNC that signals by MSI, so the MSIs count the commands run.
 */
static void test_incoherent_prod(struct harness *h)
{
	uint32_t c = cons(h), ge = rd32(h, SMMU_GERROR);
	uint64_t n0 = h->s.nr_cmds;
	int msi = h->nr_msi;

	CHECK(c == rd32(h, SMMU_CMDQ_PROD), "incoherent PROD: starts drained (CONS 0x%x)", c);
	for (int i = 0; i < 256; i++) {
		gw64(h, CMDQ + i * 16, CMD_SYNC | (uint64_t)SYNC_CS_IRQ << 12 | 0x77ull << 32);
		gw64(h, CMDQ + i * 16 + 8, CMDQ + 0x40);
	}
	/* Same wrap, index 2 behind CONS: 510 entries if taken modulo twice the size. */
	wr32(h, SMMU_CMDQ_PROD, (c - 2) & 0x1ff);
	CHECK(h->s.nr_cmds == n0 && h->nr_msi == msi && cons(h) == c,
	      "PROD.WR < CONS.RD, same wrap: nothing consumed (%llu commands run, CONS 0x%x)",
	      (unsigned long long)(h->s.nr_cmds - n0), cons(h));
	CHECK(rd32(h, SMMU_GERROR) == ge, "incoherent PROD is not a command error: GERROR unchanged");
	/* Other wrap, index 3 ahead: 259 entries. */
	wr32(h, SMMU_CMDQ_PROD, (c + 256 + 3) & 0x1ff);
	CHECK(h->s.nr_cmds == n0 && cons(h) == c, "PROD.WR > CONS.RD, other wrap: nothing consumed (%llu run)",
	      (unsigned long long)(h->s.nr_cmds - n0));
	/* Full (same index, other wrap) is coherent: exactly one queue's worth. */
	wr32(h, SMMU_CMDQ_PROD, c ^ 0x100);
	CHECK(h->s.nr_cmds == n0 + 256 && h->nr_msi == msi + 256 && cons(h) == (c ^ 0x100),
	      "full queue: exactly 256 commands run, CONS == PROD (%llu run)", (unsigned long long)(h->s.nr_cmds - n0));
	h_sync(h);
	CHECK(cons(h) == rd32(h, SMMU_CMDQ_PROD) && rd32(h, SMMU_GERROR) == ge, "queue works normally afterwards");
}

static void test_invalidation(struct harness *h)
{
	uint64_t ttb = h_alloc_pt(h), l3;
	unsigned int b0;

	h_cd(h, CDS, ttb, 9);
	h_map(h, ttb, 0x10000, 0x40a00000, true);
	h_map(h, ttb, 0x11000, 0x40a01000, true);
	h_ste(h, 30, STE_S1(CDS), 0);
	smmuv3_add_stream(&h->s, 30);
	CHECK(xl(h, 30, 0x10010) == 0x40a00010, "S1 translation cached");
	/* The L3 table holding both pages. */
	l3 = gr64(h, gr64(h, ttb) & 0xfffffffff000ull) & 0xfffffffff000ull;

	gw64(h, l3 + 0x10 * 8, 0x40b00000 | 3 | 1 << 10 | 1 << 6);
	CHECK(xl(h, 30, 0x10010) == 0x40a00010, "PTE changed without TLBI: stale translation (IOTLB hit)");
	h_cmd(h, CMD_TLBI_NH_VA | 8ull << 48, 0x11000);
	h_sync(h);
	CHECK(xl(h, 30, 0x10010) == 0x40a00010, "TLBI_NH_VA of another page: still stale");
	h_cmd(h, CMD_TLBI_NH_VA | 9ull << 48, 0x10000);
	h_sync(h);
	CHECK(xl(h, 30, 0x10010) == 0x40b00010, "TLBI_NH_VA + SYNC: new translation");

	gw64(h, l3 + 0x10 * 8, 0x40c00000 | 3 | 1 << 10 | 1 << 6);
	h_cmd(h, CMD_TLBI_NH_ASID | 8ull << 48, 0);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x40b00000, "TLBI_NH_ASID of another ASID: stale");
	h_cmd(h, CMD_TLBI_NH_ASID | 9ull << 48, 0);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x40c00000, "TLBI_NH_ASID: new translation");

	gw64(h, l3 + 0x10 * 8, 0x40d00000 | 3 | 1 << 10 | 1 << 6);
	h_cmd(h, CMD_TLBI_NH_VAA, 0x10000);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x40d00000, "TLBI_NH_VAA: new translation");

	gw64(h, l3 + 0x10 * 8, 0x40e00000 | 3 | 1 << 10 | 1 << 6);
	h_cmd(h, CMD_TLBI_NH_ALL, 0);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x40e00000, "TLBI_NH_ALL: new translation");

	gw64(h, l3 + 0x10 * 8, 0x40f00000 | 3 | 1 << 10 | 1 << 6);
	h_cmd(h, CMD_TLBI_NSNH_ALL, 0);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x40f00000, "TLBI_NSNH_ALL: new translation");

	/* Range TLBI (IDR3.RIL): TG 4K, SCALE 0, NUM 1 covers two pages from 0xf000: 0xf000, 0x10000. */
	gw64(h, l3 + 0x10 * 8, 0x40a00000 | 3 | 1 << 10 | 1 << 6);
	h_cmd(h, CMD_TLBI_NH_VA | 9ull << 48 | 0ull << 20 | 0ull << 12, 1ull << 10 | 0xe000);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x40f00000, "range TLBI of 1 page below it: stale");
	h_cmd(h, CMD_TLBI_NH_VA | 9ull << 48 | 1ull << 12, 1ull << 10 | 0xf000);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x40a00000, "range TLBI NUM=1 (2 pages) reaching it: new translation");

	/* CFGI_CD: a new TTB0 takes effect only after the invalidation. */
	{
		uint64_t ttb2 = h_alloc_pt(h);

		h_map(h, ttb2, 0x10000, 0x41000000, true);
		gw64(h, CDS + 8, ttb2);
		CHECK(xl(h, 30, 0x10000) == 0x40a00000, "CD changed without CFGI_CD: old tables");
		h_cmd(h, CMD_CFGI_CD | 30ull << 32, 1);
		h_sync(h);
		CHECK(xl(h, 30, 0x10000) == 0x41000000, "CFGI_CD + SYNC: new tables");
	}
	/* CFGI_STE / STE_RANGE / ALL. */
	h_ste(h, 30, STE_BYPASS, 0);
	CHECK(xl(h, 30, 0x10000) == 0x41000000, "STE changed without CFGI: old config");
	h_cmd(h, CMD_CFGI_STE | 31ull << 32, 0);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x41000000, "CFGI_STE of another SID: old config");
	h_cmd(h, CMD_CFGI_STE | 30ull << 32, 1);
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x10000, "CFGI_STE: bypass now");
	h_ste(h, 30, STE_ABORT, 0);
	h_cmd(h, CMD_CFGI_STE_RANGE | 32ull << 32, 3);      /* SIDs 32..47 */
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x10000, "CFGI_STE_RANGE not covering it: old config");
	h_cmd(h, CMD_CFGI_STE_RANGE | 28ull << 32, 1);      /* SIDs 28..31 */
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == UINT64_MAX, "CFGI_STE_RANGE covering it: abort now");
	h_ste(h, 30, STE_BYPASS, 0);
	h_cmd(h, CMD_CFGI_STE_RANGE, 31);                   /* CFGI_ALL */
	h_sync(h);
	CHECK(xl(h, 30, 0x10000) == 0x10000, "CFGI_ALL: bypass again");

	/* Batching: 40 invalidations and a SYNC reach the backend as one batch. */
	b0 = nr_batches;
	for (int i = 0; i < 40; i++)
		gw64(h, CMDQ + ((rd32(h, SMMU_CMDQ_PROD) + i) & 0xff) * 16, CMD_TLBI_NH_VA | 9ull << 48),
		gw64(h, CMDQ + ((rd32(h, SMMU_CMDQ_PROD) + i) & 0xff) * 16 + 8, 0x1000ull * i);
	gw64(h, CMDQ + ((rd32(h, SMMU_CMDQ_PROD) + 40) & 0xff) * 16, CMD_SYNC);
	gw64(h, CMDQ + ((rd32(h, SMMU_CMDQ_PROD) + 40) & 0xff) * 16 + 8, 0);
	wr32(h, SMMU_CMDQ_PROD, (rd32(h, SMMU_CMDQ_PROD) + 41) & 0x1ff);
	CHECK(nr_batches == b0 + 1 && last_batch_len == 40, "41 commands (40 TLBI + SYNC): one backend call of 40 (%u calls)",
	      nr_batches - b0);
	CHECK(cons(h) == rd32(h, SMMU_CMDQ_PROD), "queue wraps and drains");
	b0 = nr_batches;
	h_cmd(h, CMD_TLBI_NH_ASID | 1ull << 48, 0);
	CHECK(nr_batches == b0 + 1, "invalidation without SYNC still reaches the backend");

	/* A backend failure on the 3rd invalidation: CONS points at that command, CERROR_ILL. */
	{
		uint32_t at = rd32(h, SMMU_CMDQ_PROD);

		fail_at = 2;
		fail_err = -EINVAL;
		for (int i = 0; i < 4; i++)
			gw64(h, CMDQ + ((at + i) & 0xff) * 16, CMD_TLBI_NH_ASID | (uint64_t)i << 48),
			gw64(h, CMDQ + ((at + i) & 0xff) * 16 + 8, 0);
		gw64(h, CMDQ + ((at + 4) & 0xff) * 16, CMD_SYNC);
		wr32(h, SMMU_CMDQ_PROD, (at + 5) & 0x1ff);
		CHECK((cons(h) & 0x1ff) == ((at + 2) & 0x1ff) && (cons(h) >> CMDQ_CONS_ERR_SHIFT) == CERROR_ILL,
		      "backend refuses the 3rd of a batch: CONS at it, CERROR_ILL");
		wr32(h, SMMU_GERRORN, rd32(h, SMMU_GERROR));
		CHECK(cons(h) == rd32(h, SMMU_CMDQ_PROD), "acknowledged: the rest is retried and completes");

		at = rd32(h, SMMU_CMDQ_PROD);
		fail_at = 0;
		fail_err = -ETIMEDOUT;
		h_cmd(h, CMD_TLBI_NH_ALL, 0);
		h_sync(h);
		CHECK((cons(h) & 0x1ff) == ((at + 1) & 0x1ff) && (cons(h) >> CMDQ_CONS_ERR_SHIFT) == CERROR_ATC_INV_SYNC,
		      "timed-out invalidation: CERROR_ATC_INV_SYNC at the SYNC");
		wr32(h, SMMU_GERRORN, rd32(h, SMMU_GERROR));
	}
}

/*
 * TBI (CD.TBI0, IHI 0070 5.4): the top byte of a TTB0 address is ignored for translation and TLB
 * matching, so a TLBI_NH_VA of the untagged address must remove what a tagged access cached, and
 * the other way round.
 */
static void test_tbi(struct harness *h)
{
	const uint64_t tag = 0x5aull << 56, iova = 0x20000;
	uint64_t ttb = h_alloc_pt(h), l3;

	h_cd(h, CDS + 0x100, ttb, 12);
	gw64(h, CDS + 0x100, gr64(h, CDS + 0x100) | CD0_TBI0);
	h_map(h, ttb, iova, 0x40a10000, true);
	h_ste(h, 33, STE_S1(CDS + 0x100), 0);
	smmuv3_add_stream(&h->s, 33);
	l3 = gr64(h, gr64(h, ttb) & 0xfffffffff000ull) & 0xfffffffff000ull;

	CHECK(xl(h, 33, tag | (iova + 0x10)) == 0x40a10010, "TBI0: tagged address translates, cached");
	gw64(h, l3 + 0x20 * 8, 0x40b10000 | 3 | 1 << 10 | 1 << 6);
	CHECK(xl(h, 33, tag | iova) == 0x40a10000, "TBI0: PTE changed without TLBI: stale");
	CHECK(xl(h, 33, (0x33ull << 56) | iova) == 0x40a10000, "TBI0: another tag hits the same entry");
	h_cmd(h, CMD_TLBI_NH_VA | 12ull << 48, iova);
	h_sync(h);
	CHECK(xl(h, 33, tag | iova) == 0x40b10000, "TBI0: TLBI_NH_VA of the untagged address: tagged access re-walks");

	gw64(h, l3 + 0x20 * 8, 0x40c10000 | 3 | 1 << 10 | 1 << 6);
	CHECK(xl(h, 33, iova) == 0x40b10000, "TBI0: untagged access hits what the tagged one cached");
	h_cmd(h, CMD_TLBI_NH_VAA, (0x77ull << 56) | iova);
	h_sync(h);
	CHECK(xl(h, 33, iova) == 0x40c10000, "TBI0: TLBI_NH_VAA of a tagged address: untagged access re-walks");

	/* Without TBI the tag is part of the address: outside the TTB0 range, it faults. */
	gw64(h, CDS + 0x100, gr64(h, CDS + 0x100) & ~CD0_TBI0);
	h_cmd(h, CMD_CFGI_CD | 33ull << 32, 1);
	h_sync(h);
	CHECK(xl(h, 33, iova) == 0x40c10000, "no TBI: untagged address translates");
	CHECK(xl(h, 33, tag | iova) == UINT64_MAX, "no TBI: tagged address faults, not served from the IOTLB");
}

static void test_garbage(struct harness *h)
{
	unsigned int stalls = 0;

	/* Random commands: the model must never crash or loop; errors stall as specified. */
	srand(77);
	for (int i = 0; i < 3000; i++) {
		uint64_t w0 = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
		uint64_t w1 = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();

		if (rand() & 1)
			w0 = (w0 & ~0xffull) | (uint64_t[]){ 3, 4, 5, 6, 0x10, 0x11, 0x12, 0x13, 0x30, 0x46 }[rand() % 10];
		h_cmd(h, w0, w1);
		if ((rd32(h, SMMU_GERROR) ^ rd32(h, SMMU_GERRORN)) & GERROR_CMDQ_ERR) {
			uint32_t at = cons(h) & 0x1ff;

			stalls++;
			gw64(h, CMDQ + (at & 0xff) * 16, CMD_SYNC);
			gw64(h, CMDQ + (at & 0xff) * 16 + 8, 0);
			wr32(h, SMMU_GERRORN, rd32(h, SMMU_GERROR));
		}
	}
	CHECK(cons(h) == rd32(h, SMMU_CMDQ_PROD), "3000 random commands: drained (%u error stalls)", stalls);
}

int main(void)
{
	struct harness h;

	if (h_init(&h, NULL)) {
		CHECK(0, "harness");
		return tap_done();
	}
	soft_ops = h.v->ops;
	spy_ops = *soft_ops;
	spy_ops.invalidate = spy_invalidate;
	h.v->ops = &spy_ops;
	h_enable(&h);
	test_sync(&h);
	test_errors(&h);
	test_incoherent_prod(&h);
	test_invalidation(&h);
	test_tbi(&h);
	test_garbage(&h);
	h_fini(&h);
	return tap_done();
}
