// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 configuration structures in guest RAM and the events they produce: linear and 2-level
 * stream tables, STE validation, CD fetch and validation, S1DSS and CD tables with SubstreamIDs,
 * stage-1 faults (with and without CD.R), and the event queue (overflow, disable, abort, interrupt).
 */
#include "smmuv3_harness.h"

static int xl(struct harness *h, uint32_t sid, uint64_t iova, bool write, uint64_t *pa)
{
	struct viommu_xlate x = { 0 };
	int r = smmuv3_translate(&h->s, sid, iova, write, &x);

	*pa = x.pa;
	return r;
}

/* Consumes every pending event, returning the last one's record. */
static unsigned int drain(struct harness *h, uint64_t last[4])
{
	uint32_t prod = rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD), cons = rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS);
	unsigned int n = 0;

	while ((cons & 0x1f) != (prod & 0x1f)) {
		h_evt(h, cons & 0xf, last);
		cons = (cons & Q_OVF) | ((cons + 1) & 0x1f);
		n++;
	}
	wr32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS, (cons & 0x1f) | (prod & Q_OVF));
	return n;
}

static bool one_event(struct harness *h, unsigned int id, uint32_t sid, uint64_t evt[4])
{
	return drain(h, evt) == 1 && (evt[0] & 0xff) == id && (evt[0] >> 32) == sid;
}

static void test_linear(struct harness *h)
{
	uint64_t pa, e[4];

	h_ste(h, 1, STE_BYPASS, 0);
	h_ste(h, 2, STE_ABORT, 0);
	h_ste(h, 3, 0, 0);
	h_ste(h, 4, STE0_V | 1 << 1, 0);
	h_ste(h, 5, STE0_V | (uint64_t)STE_CFG_S2 << 1, 0);
	h_ste(h, 6, STE_S1(CDS) | 3ull << 4, 0);         /* S1Fmt 0b11 */
	h_ste(h, 7, STE_S1(CDS) | 1ull << 59, 0);        /* S1CDMax 1 without SubstreamIDs */
	h_ste(h, 9, STE_S1(CDS), 2ull << 30);            /* STRW EL2 without HYP */
	for (uint32_t sid = 1; sid < 10; sid++)
		smmuv3_add_stream(&h->s, sid);
	smmuv3_add_stream(&h->s, 0x100);
	h_enable(h);

	CHECK(xl(h, 1, 0x40000000, true, &pa) == 0 && pa == 0x40000000, "STE bypass: identity");
	CHECK(xl(h, 2, 0x40000000, true, &pa) == -EFAULT && drain(h, e) == 0, "STE abort: terminated, no event");
	CHECK(xl(h, 3, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STE, 3, e), "STE.V == 0: C_BAD_STE");
	CHECK(xl(h, 4, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STE, 4, e), "reserved Config: C_BAD_STE");
	CHECK(xl(h, 5, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STE, 5, e), "stage 2 Config: C_BAD_STE");
	CHECK(xl(h, 6, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STE, 6, e), "S1Fmt 0b11: C_BAD_STE");
	CHECK(xl(h, 7, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STE, 7, e),
	      "S1CDMax beyond SSIDSIZE: C_BAD_STE");
	CHECK(xl(h, 9, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STE, 9, e), "STRW EL2: C_BAD_STE");
	CHECK(xl(h, 0x100, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STREAMID, 0x100, e),
	      "SID beyond STRTAB LOG2SIZE: C_BAD_STREAMID");
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	wr32(h, SMMU_CR2, 0);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	CHECK(xl(h, 0x100, 0, false, &pa) == -EFAULT && drain(h, e) == 0,
	      "C_BAD_STREAMID not recorded without CR2.RECINVSID");
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	wr32(h, SMMU_CR2, CR2_RECINVSID);

	/* The stream table outside RAM: F_STE_FETCH with the address. */
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	wr64(h, SMMU_STRTAB_BASE, NOT_RAM);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	CHECK(xl(h, 1, 0, false, &pa) == -EFAULT && one_event(h, EVT_F_STE_FETCH, 1, e) &&
	      e[3] == NOT_RAM + 64, "stream table not in RAM: F_STE_FETCH at 0x%llx", (unsigned long long)e[3]);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	wr64(h, SMMU_STRTAB_BASE, STRTAB);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
}

static void test_two_level(struct harness *h)
{
	uint64_t l1 = RAM_BASE + 0x500000, l2 = RAM_BASE + 0x510000, pa, e[4];

	/* SPLIT 8, LOG2SIZE 16 (all 16-bit SIDs): 256 L1 descriptors of 256-STE L2 tables. */
	for (int i = 0; i < 256; i++)
		gw64(h, l1 + i * 8, 0);
	gw64(h, l1 + 0x12 * 8, l2 | 9);                  /* Span 9: 256 STEs */
	gw64(h, l1 + 0x13 * 8, (l2 + 0x4000) | 2);       /* Span 2: 2 STEs */
	gw64(h, l1 + 0x14 * 8, NOT_RAM | 9);
	gw64(h, l1 + 0x15 * 8, l2 | 12);                 /* Span above SPLIT+1: reserved */
	for (int i = 0; i < 8; i++) {
		gw64(h, l2 + 0x34 * 64 + i * 8, i == 0 ? STE_BYPASS : 0);
		gw64(h, l2 + 0x4000 + 1 * 64 + i * 8, i == 0 ? STE_BYPASS : 0);
	}
	smmuv3_add_stream(&h->s, 0x1234);
	smmuv3_add_stream(&h->s, 0x1235);
	smmuv3_add_stream(&h->s, 0x1301);
	smmuv3_add_stream(&h->s, 0x1305);
	smmuv3_add_stream(&h->s, 0x1100);
	smmuv3_add_stream(&h->s, 0x1400);
	smmuv3_add_stream(&h->s, 0x1500);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	wr64(h, SMMU_STRTAB_BASE, l1);
	wr32(h, SMMU_STRTAB_BASE_CFG, 1u << 16 | 8 << 6 | 16);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);

	CHECK(xl(h, 0x1234, 0x41000000, false, &pa) == 0 && pa == 0x41000000, "2-level: STE via L1[0x12] bypasses");
	CHECK(xl(h, 0x1235, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STE, 0x1235, e),
	      "2-level: zeroed STE in a valid L2: C_BAD_STE");
	CHECK(xl(h, 0x1301, 0x42000000, false, &pa) == 0 && pa == 0x42000000, "2-level: Span 2 covers index 1");
	CHECK(xl(h, 0x1305, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STE, 0x1305, e),
	      "2-level: index beyond Span: C_BAD_STE");
	CHECK(xl(h, 0x1100, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STREAMID, 0x1100, e),
	      "2-level: Span 0 (invalid L1): C_BAD_STREAMID");
	CHECK(xl(h, 0x1400, 0, false, &pa) == -EFAULT && one_event(h, EVT_F_STE_FETCH, 0x1400, e) &&
	      e[3] == NOT_RAM, "2-level: L2 not in RAM: F_STE_FETCH");
	CHECK(xl(h, 0x1500, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STREAMID, 0x1500, e),
	      "2-level: reserved Span: C_BAD_STREAMID");
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	wr32(h, SMMU_STRTAB_BASE_CFG, 1u << 16 | 7 << 6 | 16);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	CHECK(xl(h, 0x1234, 0, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_STREAMID, 0x1234, e),
	      "2-level: reserved SPLIT 7: C_BAD_STREAMID");
	/* Back to the linear table. */
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	wr64(h, SMMU_STRTAB_BASE, STRTAB);
	wr32(h, SMMU_STRTAB_BASE_CFG, 8);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
}

static void test_s1(struct harness *h)
{
	uint64_t ttb = h_alloc_pt(h), pa, e[4];
	uint64_t cd = CDS;

	h_cd(h, cd, ttb, 7);
	h_map(h, ttb, 0x100000, 0x40800000, true);
	h_map(h, ttb, 0x101000, 0x40801000, false);
	h_ste(h, 16, STE_S1(cd), 0);
	smmuv3_add_stream(&h->s, 16);
	h_sync(h);      /* nothing cached yet; a SYNC is harmless */
	CHECK(xl(h, 16, 0x100abc, true, &pa) == 0 && pa == 0x40800abc, "S1: translated write (0x%llx)",
	      (unsigned long long)pa);
	CHECK(xl(h, 16, 0x101000, false, &pa) == 0 && pa == 0x40801000, "S1: read of a read-only page");
	CHECK(xl(h, 16, 0x101008, true, &pa) == -EFAULT && one_event(h, EVT_F_PERMISSION, 16, e) &&
	      e[2] == 0x101008 && !(e[1] & EVT1_RNW), "S1: write to read-only page: F_PERMISSION, RnW=0, addr");
	CHECK(xl(h, 16, 0x200000, false, &pa) == -EFAULT && one_event(h, EVT_F_TRANSLATION, 16, e) &&
	      e[2] == 0x200000 && (e[1] & EVT1_RNW), "S1: unmapped read: F_TRANSLATION, RnW=1");
	CHECK(xl(h, 16, 1ull << 40, false, &pa) == -EFAULT && one_event(h, EVT_F_TRANSLATION, 16, e),
	      "S1: IOVA beyond T0SZ: F_TRANSLATION");

	/* CD.R == 0: translation faults are not recorded. */
	gw64(h, cd, gr64(h, cd) & ~CD0_R);
	h_cmd(h, CMD_CFGI_CD | 16ull << 32, 0);
	h_sync(h);
	CHECK(xl(h, 16, 0x200000, false, &pa) == -EFAULT && drain(h, e) == 0, "CD.R == 0: fault not recorded");
	gw64(h, cd, gr64(h, cd) | CD0_R);

	/* A table pointer outside RAM: F_WALK_EABT with the descriptor address. */
	gw64(h, cd + 8, NOT_RAM);
	h_cmd(h, CMD_CFGI_CD | 16ull << 32, 0);
	h_sync(h);
	CHECK(xl(h, 16, 0x100000, false, &pa) == -EFAULT && one_event(h, EVT_F_WALK_EABT, 16, e) &&
	      e[3] == NOT_RAM, "TTB0 not in RAM: F_WALK_EABT at 0x%llx", (unsigned long long)e[3]);
	gw64(h, cd + 8, ttb);

	/* Invalid CDs. */
	{
		static const struct { uint64_t clear, set; const char *what; } bad[] = {
			{ CD0_V, 0, "CD.V == 0" },
			{ CD0_AA64, 0, "AArch32 CD" },
			{ 0x3f, 10, "T0SZ 10" },
			{ 0x3f, 45, "T0SZ 45" },
			{ 0, CD0_ENDI, "big-endian tables" },
			{ CD0_A, 0, "CD.A == 0" },
			{ 0, CD0_S, "CD.S (stall) set" },
			{ 0, 3ull << 6, "reserved TG0" },
		};
		uint64_t good = gr64(h, cd);

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			gw64(h, cd, (good & ~bad[i].clear) | bad[i].set);
			h_cmd(h, CMD_CFGI_CD | 16ull << 32, 0);
			h_sync(h);
			CHECK(xl(h, 16, 0x100000, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_CD, 16, e),
			      "%s: C_BAD_CD", bad[i].what);
		}
		gw64(h, cd, good);
		gw64(h, cd + 8, 1ull << 46);
		h_cmd(h, CMD_CFGI_CD | 16ull << 32, 0);
		h_sync(h);
		CHECK(xl(h, 16, 0x100000, false, &pa) == -EFAULT && one_event(h, EVT_C_BAD_CD, 16, e),
		      "TTB0 beyond OAS: C_BAD_CD");
		gw64(h, cd + 8, ttb);
	}
	h_ste(h, 16, STE_S1(NOT_RAM), 0);
	h_cmd(h, CMD_CFGI_STE | 16ull << 32, 0);
	h_sync(h);
	CHECK(xl(h, 16, 0x100000, false, &pa) == -EFAULT && one_event(h, EVT_F_CD_FETCH, 16, e) && e[3] == NOT_RAM,
	      "CD not in RAM: F_CD_FETCH");
	h_ste(h, 16, STE_S1(cd), 0);
	h_cmd(h, CMD_CFGI_STE | 16ull << 32, 0);
	h_sync(h);
	CHECK(xl(h, 16, 0x100000, false, &pa) == 0 && pa == 0x40800000, "valid again after CFGI_STE");
}

static void test_ssid(void)
{
	struct smmuv3_features f;
	struct harness h;
	uint64_t ttb, cdtab = CDS + 0x10000, l1cd = CDS + 0x20000, pa, e[4];

	smmuv3_default_features(&f);
	f.ssidsize = 8;
	CHECK(h_init(&h, &f) == 0, "SMMU with 8-bit SubstreamIDs");
	ttb = h_alloc_pt(&h);
	h_map(&h, ttb, 0x5000, 0x40805000, true);
	h_cd(&h, cdtab, ttb, 3);                        /* CD 0 of a linear table */
	h_ste(&h, 1, STE_S1(cdtab) | 4ull << 59, S1DSS_SSID0);
	h_ste(&h, 2, STE_S1(cdtab) | 4ull << 59, S1DSS_TERMINATE);
	h_ste(&h, 3, STE_S1(cdtab) | 4ull << 59, S1DSS_BYPASS);
	gw64(&h, l1cd, 0);                              /* 2-level CD table, L1[0] invalid */
	h_ste(&h, 4, STE_S1(l1cd) | 1ull << 4 | 8ull << 59, S1DSS_SSID0);
	for (uint32_t sid = 1; sid <= 4; sid++)
		smmuv3_add_stream(&h.s, sid);
	h_enable(&h);
	CHECK(xl(&h, 1, 0x5010, false, &pa) == 0 && pa == 0x40805010, "S1DSS=SSID0: CD 0 of a linear CD table");
	CHECK(xl(&h, 2, 0x5010, false, &pa) == -EFAULT && one_event(&h, EVT_F_STREAM_DISABLED, 2, e),
	      "S1DSS=terminate: F_STREAM_DISABLED");
	CHECK(xl(&h, 3, 0x5010, false, &pa) == 0 && pa == 0x5010, "S1DSS=bypass");
	CHECK(xl(&h, 4, 0x5010, false, &pa) == -EFAULT && one_event(&h, EVT_C_BAD_SUBSTREAMID, 4, e),
	      "2-level CD table, invalid L1 descriptor: C_BAD_SUBSTREAMID");
	gw64(&h, l1cd, (CDS + 0x30000) | L1CD_V);
	h_cd(&h, CDS + 0x30000, ttb, 3);
	h_cmd(&h, CMD_CFGI_CD_ALL | 4ull << 32, 0);
	h_sync(&h);
	CHECK(xl(&h, 4, 0x5010, true, &pa) == 0 && pa == 0x40805010, "2-level CD table after CFGI_CD_ALL");
	h_fini(&h);
}

static void test_evtq(struct harness *h)
{
	uint64_t pa, e[4];
	int irqs = h->irqs[SMMUV3_IRQ_EVTQ];
	uint32_t prod;

	h_ste(h, 20, 0, 0);
	smmuv3_add_stream(&h->s, 20);
	drain(h, e);
	for (int i = 0; i < 20; i++)
		xl(h, 20, 0, false, &pa);
	prod = rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD);
	CHECK(h_nr_events(h) == 16 && (prod & 0x1f) == ((rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS) ^ 0x10) & 0x1f),
	      "20 events into a 16-entry queue: full");
	CHECK((prod & Q_OVF) && !(rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS) & Q_OVF), "overflow flagged in PROD.OVFLG");
	CHECK(h->irqs[SMMUV3_IRQ_EVTQ] - irqs == 16, "an interrupt per recorded event (%d)", h->irqs[SMMUV3_IRQ_EVTQ] - irqs);
	CHECK(drain(h, e) == 16 && (e[0] & 0xff) == EVT_C_BAD_STE, "guest drains 16 records");
	CHECK(rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS) & Q_OVF, "guest acknowledged with OVACKFLG");
	xl(h, 20, 0, false, &pa);
	CHECK(drain(h, e) == 1 && !(rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD) & Q_OVF) == 0,
	      "recording resumes; OVFLG unchanged without a new overflow");

	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_SMMUEN);
	xl(h, 20, 0, false, &pa);
	CHECK(drain(h, e) == 0, "EVTQEN == 0: events discarded");
	wr64(h, SMMU_EVENTQ_BASE, NOT_RAM | 4);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	irqs = h->irqs[SMMUV3_IRQ_GERROR];
	xl(h, 20, 0, false, &pa);
	CHECK((rd32(h, SMMU_GERROR) ^ rd32(h, SMMU_GERRORN)) & GERROR_EVTQ_ABT_ERR, "queue not in RAM: EVTQ_ABT_ERR");
	CHECK(h->irqs[SMMUV3_IRQ_GERROR] == irqs + 1, "GERROR interrupt");
	xl(h, 20, 0, false, &pa);
	CHECK(h->irqs[SMMUV3_IRQ_GERROR] == irqs + 1, "an active error does not interrupt again");
	wr32(h, SMMU_GERRORN, rd32(h, SMMU_GERROR));
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_SMMUEN);
	wr64(h, SMMU_EVENTQ_BASE, EVTQ | 4);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);

	/* MSI delivery when EVENTQ_IRQ_CFG0 holds an address. */
	wr32(h, SMMU_IRQ_CTRL, IRQ_CTRL_GERROR_IRQEN);
	wr64(h, SMMU_EVENTQ_IRQ_CFG0, 0x08090040);
	wr32(h, SMMU_EVENTQ_IRQ_CFG1, 77);
	wr32(h, SMMU_IRQ_CTRL, IRQ_CTRL_GERROR_IRQEN | IRQ_CTRL_EVTQ_IRQEN);
	h->nr_msi = 0;
	xl(h, 20, 0, false, &pa);
	CHECK(h->nr_msi == 1 && h->msi_addr == 0x08090040 && h->msi_data == 77, "event interrupt as MSI");
	drain(h, e);
}

int main(void)
{
	struct harness h;

	if (h_init(&h, NULL)) {
		CHECK(0, "harness");
		return tap_done();
	}
	test_linear(&h);
	test_two_level(&h);
	test_s1(&h);
	test_evtq(&h);
	h_fini(&h);
	test_ssid();
	return tap_done();
}
