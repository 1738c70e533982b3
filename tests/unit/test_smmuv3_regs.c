// SPDX-License-Identifier: GPL-2.0-only
/* SMMUv3 register file: reset values, ID registers from the feature set, RO/RES0 bits, ack
 * registers, GBPA's Update protocol, 64-bit registers as halves, writes refused while enabled. */
#include "smmuv3_harness.h"

static void test_reset_and_ids(struct harness *h)
{
	uint32_t idr0 = rd32(h, SMMU_IDR0), idr1 = rd32(h, SMMU_IDR1), idr5 = rd32(h, SMMU_IDR5);

	CHECK((idr0 & IDR0_S1P) && !(idr0 & 1), "IDR0: stage 1, no stage 2");
	CHECK(FIELD(idr0, 3, 2) == 2 && FIELD(idr0, 22, 21) == 2, "IDR0: AArch64 tables, little-endian");
	CHECK(FIELD(idr0, 28, 27) == 1 && (idr0 & IDR0_COHACC) && (idr0 & IDR0_ASID16) && (idr0 & IDR0_MSI),
	      "IDR0: 2-level stream table, coherent, 16-bit ASID, MSI (0x%08x)", idr0);
	CHECK(FIELD(idr0, 25, 24) == 1 && (idr0 & IDR0_TERM_MODEL) && !(idr0 & IDR0_ATS) && !(idr0 & IDR0_SEV),
	      "IDR0: no stall, terminate aborts, no ATS, no SEV");
	CHECK(FIELD(idr1, 5, 0) == 16 && FIELD(idr1, 10, 6) == 0 && FIELD(idr1, 25, 21) == 12 &&
	      FIELD(idr1, 20, 16) == 10, "IDR1: SIDSIZE 16, SSIDSIZE 0, CMDQS 12, EVTQS 10 (0x%08x)", idr1);
	CHECK(rd32(h, SMMU_IDR3) & IDR3_RIL, "IDR3: range invalidation");
	CHECK((idr5 & 7) == 4 && (idr5 & (IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K)) ==
	      (IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K), "IDR5: OAS 44 bits, 4K/16K/64K granules");
	CHECK(rd32(h, SMMU_AIDR) == 1 && rd32(h, SMMU_IIDR) == 0, "AIDR SMMUv3.1, IIDR 0");
	CHECK(rd32(h, SMMU_CR0) == 0 && rd32(h, SMMU_CR0ACK) == 0 && rd32(h, SMMU_GERROR) == 0 &&
	      rd32(h, SMMU_IRQ_CTRLACK) == 0, "CR0/CR0ACK/GERROR/IRQ_CTRLACK reset to 0");
	CHECK(rd32(h, SMMU_GBPA) == GBPA_RESET, "GBPA resets to SHCFG=incoming, bypass");
	wr32(h, SMMU_IDR0, 0);
	wr32(h, SMMU_CR0ACK, 1);
	wr32(h, SMMU_GERROR, 1);
	CHECK(rd32(h, SMMU_IDR0) == idr0 && rd32(h, SMMU_CR0ACK) == 0 && rd32(h, SMMU_GERROR) == 0,
	      "IDR0, CR0ACK and GERROR are read-only");
	CHECK(rd32(h, 0xdf0) == 0 && rd32(h, SMMU_PAGE_SIZE + 0x20) == 0, "reserved offsets read as zero");
}

static void test_control(struct harness *h)
{
	wr32(h, SMMU_CR0, 0xffffffff);
	CHECK(rd32(h, SMMU_CR0) == (CR0_SMMUEN | CR0_EVTQEN | CR0_CMDQEN) && rd32(h, SMMU_CR0ACK) == rd32(h, SMMU_CR0),
	      "CR0: only SMMUEN/EVTQEN/CMDQEN (no PRI, no ATS), CR0ACK follows (0x%x)", rd32(h, SMMU_CR0));
	wr32(h, SMMU_CR1, 0xfff);
	CHECK(rd32(h, SMMU_CR1) == 0, "CR1 ignored while enabled");
	wr32(h, SMMU_CR0, 0);
	wr32(h, SMMU_CR1, 0xffffffff);
	CHECK(rd32(h, SMMU_CR1) == 0xfff, "CR1 fields only");
	wr32(h, SMMU_CR2, 0xffffffff);
	CHECK(rd32(h, SMMU_CR2) == (CR2_RECINVSID | CR2_PTM), "CR2: RECINVSID, PTM (no E2H without HYP)");

	wr32(h, SMMU_IRQ_CTRL, 0xffffffff);
	CHECK(rd32(h, SMMU_IRQ_CTRLACK) == (IRQ_CTRL_GERROR_IRQEN | IRQ_CTRL_EVTQ_IRQEN),
	      "IRQ_CTRLACK follows IRQ_CTRL, no PRIQ");
	wr32(h, SMMU_IRQ_CTRL, 0);

	/* GBPA: only writes with Update change it; Update reads back clear. */
	wr32(h, SMMU_GBPA, GBPA_ABORT);
	CHECK(rd32(h, SMMU_GBPA) == GBPA_RESET, "GBPA write without Update ignored");
	wr32(h, SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT | 0x0fe00000);
	CHECK(rd32(h, SMMU_GBPA) == GBPA_ABORT, "GBPA write with Update applies fields, Update clear");
	wr32(h, SMMU_GBPA, GBPA_UPDATE | GBPA_RESET);
	CHECK(rd32(h, SMMU_GBPA) == GBPA_RESET, "GBPA back to bypass");

	wr32(h, SMMU_GERRORN, 0xffffffff);
	CHECK(rd32(h, SMMU_GERRORN) == GERROR_MASK, "GERRORN: defined bits only");
	wr32(h, SMMU_GERRORN, 0);
}

static void test_bases(struct harness *h)
{
	wr64(h, SMMU_STRTAB_BASE, 0xffffffffffffffffull);
	CHECK(rd64(h, SMMU_STRTAB_BASE) == (STRTAB_BASE_RA | MASK64(51, 6)), "STRTAB_BASE: RA and ADDR[51:6] only");
	wr32(h, SMMU_STRTAB_BASE, 0x12345678);
	wr32(h, SMMU_STRTAB_BASE + 4, 0x00000001);
	CHECK(rd64(h, SMMU_STRTAB_BASE) == 0x112345640ull && rd32(h, SMMU_STRTAB_BASE + 4) == 1,
	      "STRTAB_BASE as two 32-bit halves (0x%llx)", (unsigned long long)rd64(h, SMMU_STRTAB_BASE));
	wr32(h, SMMU_STRTAB_BASE_CFG, 0xffffffff);
	CHECK(rd32(h, SMMU_STRTAB_BASE_CFG) == 0x307ff, "STRTAB_BASE_CFG: FMT/SPLIT/LOG2SIZE only");
	wr64(h, SMMU_CMDQ_BASE, 0xffffffffffffffffull);
	CHECK(rd64(h, SMMU_CMDQ_BASE) == (Q_BASE_RWA | MASK64(51, 5) | 0x1f), "CMDQ_BASE: RA, ADDR[51:5], LOG2SIZE");
	wr64(h, SMMU_EVENTQ_BASE, 0xffffffffffffffffull);
	CHECK(rd64(h, SMMU_EVENTQ_BASE) == (Q_BASE_RWA | MASK64(51, 5) | 0x1f), "EVENTQ_BASE likewise");
	wr64(h, SMMU_GERROR_IRQ_CFG0, 0xffffffffffffffffull);
	wr32(h, SMMU_GERROR_IRQ_CFG2, 0xffffffff);
	CHECK(rd64(h, SMMU_GERROR_IRQ_CFG0) == MASK64(51, 2) && rd32(h, SMMU_GERROR_IRQ_CFG2) == 0x3f,
	      "GERROR_IRQ_CFG0 ADDR[51:2], CFG2 SH/MemAttr");
	wr64(h, SMMU_EVENTQ_IRQ_CFG0, 0xfee01004);
	wr32(h, SMMU_EVENTQ_IRQ_CFG1, 0x42);
	CHECK(rd64(h, SMMU_EVENTQ_IRQ_CFG0) == 0xfee01004 && rd32(h, SMMU_EVENTQ_IRQ_CFG1) == 0x42, "EVENTQ_IRQ_CFG0/1");
	wr32(h, SMMU_IRQ_CTRL, IRQ_CTRL_EVTQ_IRQEN);
	wr64(h, SMMU_EVENTQ_IRQ_CFG0, 0);
	CHECK(rd64(h, SMMU_EVENTQ_IRQ_CFG0) == 0xfee01004, "EVENTQ_IRQ_CFG0 ignored while its interrupt is enabled");
	wr32(h, SMMU_IRQ_CTRL, 0);
	wr64(h, SMMU_EVENTQ_IRQ_CFG0, 0);
	wr64(h, SMMU_GERROR_IRQ_CFG0, 0);

	/* Queue pointers: CMDQ_CONS/EVENTQ_PROD writable only while their queue is disabled;
	 * EVENTQ_PROD/CONS live in page 1. */
	wr64(h, SMMU_CMDQ_BASE, CMDQ | 8);
	wr32(h, SMMU_CMDQ_CONS, 0xffffffff);
	CHECK(rd32(h, SMMU_CMDQ_CONS) == 0x1ff, "CMDQ_CONS: index and wrap of a 256-entry queue");
	wr32(h, SMMU_CMDQ_CONS, 0);
	wr64(h, SMMU_EVENTQ_BASE, EVTQ | 4);
	wr32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD, 0x80000013);
	CHECK(rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD) == 0x80000013, "EVENTQ_PROD in page 1: OVFLG, wrap, index");
	wr32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD, 0);

	wr64(h, SMMU_STRTAB_BASE, STRTAB);
	wr32(h, SMMU_CR0, CR0_SMMUEN | CR0_CMDQEN | CR0_EVTQEN);
	wr64(h, SMMU_STRTAB_BASE, 0x1000);
	wr32(h, SMMU_STRTAB_BASE_CFG, 3);
	wr64(h, SMMU_CMDQ_BASE, 0x1000);
	wr32(h, SMMU_CMDQ_CONS, 5);
	wr64(h, SMMU_EVENTQ_BASE, 0x1000);
	wr32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD, 5);
	CHECK(rd64(h, SMMU_STRTAB_BASE) == STRTAB && rd32(h, SMMU_STRTAB_BASE_CFG) == 0x307ff &&
	      rd64(h, SMMU_CMDQ_BASE) == (CMDQ | 8) && rd32(h, SMMU_CMDQ_CONS) == 0 &&
	      rd64(h, SMMU_EVENTQ_BASE) == (EVTQ | 4) && rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD) == 0,
	      "tables and queues cannot be moved while enabled");
	wr32(h, SMMU_CR0, 0);
}

static void test_access_sizes(struct harness *h)
{
	uint8_t b[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	smmuv3_mmio(&h->s, SMMU_CR2, b, 1, true);
	smmuv3_mmio(&h->s, SMMU_CR2, b, 2, true);
	wr32(h, SMMU_CR2, 0);
	smmuv3_mmio(&h->s, SMMU_CR2, b, 1, true);
	CHECK(rd32(h, SMMU_CR2) == 0, "byte writes ignored");
	smmuv3_mmio(&h->s, SMMU_IDR0, b, 2, false);
	CHECK(b[0] == 0 && b[1] == 0, "halfword reads return zero");
	memset(b, 0xff, sizeof(b));
	smmuv3_mmio(&h->s, SMMU_CR0, b, 8, true);
	CHECK(rd32(h, SMMU_CR0) == 0, "64-bit write to a 32-bit register ignored");
	smmuv3_mmio(&h->s, SMMU_CR0 + 2, b, 4, true);
	CHECK(rd32(h, SMMU_CR0) == 0, "misaligned write ignored");
	smmuv3_mmio(&h->s, SMMU_PAGE_SIZE + SMMU_CR0, b, 4, true);
	CHECK(rd32(h, SMMU_CR0) == 0, "page 1 does not alias page 0 control registers");
}

static void test_gbpa_translation(void)
{
	struct harness h;
	struct viommu_xlate x;

	CHECK(h_init(&h, NULL) == 0 && smmuv3_add_stream(&h.s, 8) == 0, "SMMU with stream 8");
	CHECK(smmuv3_translate(&h.s, 8, 0x40001234, true, &x) == 0 && x.pa == 0x40001234,
	      "SMMUEN=0, GBPA bypass: identity");
	wr32(&h, SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT);
	CHECK(smmuv3_translate(&h.s, 8, 0x40001234, true, &x) == -EFAULT, "GBPA.ABORT: terminated");
	CHECK(h.s.nr_events == 0, "GBPA abort records no event");
	CHECK(smmuv3_translate(&h.s, 9, 0, false, &x) == -ENODEV, "unknown stream: -ENODEV");
	CHECK(smmuv3_add_stream(&h.s, 1u << 16) == -EINVAL, "stream beyond SIDSIZE refused");
	h_fini(&h);
}

static void test_features(void)
{
	struct smmuv3_features f;
	struct harness h;

	smmuv3_default_features(&f);
	f.two_level_st = false;
	f.msi = false;
	f.ats = true;
	f.gran16k = false;
	f.ssidsize = 12;
	CHECK(h_init(&h, &f) == 0, "SMMU with a reduced feature set");
	CHECK(FIELD(rd32(&h, SMMU_IDR0), 28, 27) == 0 && !(rd32(&h, SMMU_IDR0) & IDR0_MSI) &&
	      (rd32(&h, SMMU_IDR0) & IDR0_ATS) && (rd32(&h, SMMU_IDR0) & IDR0_CD2L), "IDR0 follows the features");
	CHECK(!(rd32(&h, SMMU_IDR5) & IDR5_GRAN16K) && FIELD(rd32(&h, SMMU_IDR1), 10, 6) == 12, "IDR5/IDR1 follow");
	wr32(&h, SMMU_STRTAB_BASE_CFG, 0x10000 | 8);
	CHECK(rd32(&h, SMMU_STRTAB_BASE_CFG) == 8, "FMT is RES0 without 2-level support");
	wr64(&h, SMMU_EVENTQ_IRQ_CFG0, 0xfee00000);
	CHECK(rd64(&h, SMMU_EVENTQ_IRQ_CFG0) == 0, "IRQ_CFG registers RAZ/WI without MSI");
	wr32(&h, SMMU_CR0, 0xff);
	CHECK(rd32(&h, SMMU_CR0) & CR0_ATSCHK, "CR0.ATSCHK writable with ATS");
	h_fini(&h);

	smmuv3_default_features(&f);
	f.cmdqs = 25;
	CHECK(smmuv3_init(&h.s, &f, NULL, NULL, &(struct smmuv3_hooks){ 0 }, NULL) == -EINVAL,
	      "impossible feature set refused");
}

int main(void)
{
	struct harness h;

	if (h_init(&h, NULL)) {
		CHECK(0, "harness");
		return tap_done();
	}
	test_reset_and_ids(&h);
	test_control(&h);
	test_bases(&h);
	test_access_sizes(&h);
	h_fini(&h);
	test_gbpa_translation();
	test_features();
	return tap_done();
}
