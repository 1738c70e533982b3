// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VT-d front-end driven the way Linux's intel-iommu drives it: 32/64-bit register accesses
 * through the bus callback, root/context/second-stage tables and the interrupt remapping table
 * written into guest RAM, descriptors on the invalidation queue; the DMA of an emulated device
 * translated through the software backend, its MSIs through interrupt remapping.
 */
#include <errno.h>
#include <string.h>

#include "iommu/vtd.h"
#include "tap.h"
#include "vmm/guest_mem.h"

#define RAM_BASE    0x40000000ull
#define RAM_SIZE    (16ull << 20)
#define ROOT        (RAM_BASE + 0x100000)
#define CTX         (RAM_BASE + 0x101000)
#define IQ          (RAM_BASE + 0x110000)      /* 256 descriptors (QS 0) */
#define IRT         (RAM_BASE + 0x120000)      /* 256 IRTEs (S 7) */
#define STATUS      (RAM_BASE + 0x130000)
#define PGTABLES    (RAM_BASE + 0x200000)
#define DATA        (RAM_BASE + 0x800000)
#define NOT_RAM     0x1000000ull

#define SID         0x0008                     /* 00:01.0 */
#define DID         5

static struct guest_mem gm;
static struct vtd s;
static struct viommu *v;
static uint64_t pt_brk = PGTABLES;
static int nr_msi, nr_changed;
static uint64_t msi_addr;
static uint32_t msi_data;

static void h_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	nr_msi++;
	msi_addr = addr;
	msi_data = data;
}

static void h_changed(void *opaque)
{
	(void)opaque;
	nr_changed++;
}

static uint32_t rd32(uint64_t off)
{
	uint8_t d[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	vtd_mmio(&s, off, d, 4, false);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static void wr32(uint64_t off, uint32_t x)
{
	uint8_t d[4] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24) };

	vtd_mmio(&s, off, d, 4, true);
}

static uint64_t rd64(uint64_t off)
{
	uint8_t d[8];
	uint64_t x = 0;

	memset(d, 0xaa, sizeof(d));
	vtd_mmio(&s, off, d, 8, false);
	for (int i = 7; i >= 0; i--)
		x = x << 8 | d[i];
	return x;
}

static void wr64(uint64_t off, uint64_t x)
{
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(x >> (8 * i));
	vtd_mmio(&s, off, d, 8, true);
}

static void put(uint64_t pa, uint64_t x)
{
	memcpy(gmem_ptr(&gm, pa, 8), &x, 8);
}

static uint64_t get(uint64_t pa)
{
	uint64_t x;

	memcpy(&x, gmem_ptr(&gm, pa, 8), 8);
	return x;
}

/* GCMD the way Linux writes it: the current persistent status plus one change. */
static void gcmd(uint32_t set, uint32_t clear)
{
	uint32_t st = rd32(VTD_GSTS) & (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI);

	wr32(VTD_GCMD, (st | set) & ~clear);
}

static uint64_t alloc_table(void)
{
	uint64_t t = pt_brk;

	pt_brk += 0x1000;
	memset(gmem_ptr(&gm, t, 0x1000), 0, 0x1000);
	return t;
}

/* 4-level second-stage 4 KiB mapping (9.8): R bit 0, W bit 1, address 51:12. */
static void ss_map(uint64_t root, uint64_t iova, uint64_t pa, uint64_t perm)
{
	uint64_t table = root;

	for (int level = 4; level > 1; level--) {
		uint64_t slot = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8, e = get(slot);

		if (!(e & 3)) {
			e = alloc_table() | 3;
			put(slot, e);
		}
		table = e & ~0xfffull;
	}
	put(table + ((iova >> 12) & 511) * 8, pa | perm);
}

/* Root entry for bus 0 -> CTX; context entry for SID: TT, AW 2 (4-level), DID. */
static void set_context(uint16_t sid, uint64_t slpt, unsigned int tt, bool fpd)
{
	put(ROOT, CTX | 1);
	put(ROOT + 8, 0);
	put(CTX + (sid & 0xff) * 16, slpt | (uint64_t)tt << 2 | (fpd ? 2 : 0) | 1);
	put(CTX + (sid & 0xff) * 16 + 8, 2 | (uint64_t)DID << 8);
}

/* Queues descriptors at IQT and rings the doorbell. */
static void iq_push(const uint64_t (*d)[2], unsigned int n)
{
	uint64_t t = rd64(VTD_IQT);

	for (unsigned int i = 0; i < n; i++) {
		put(IQ + t, d[i][0]);
		put(IQ + t + 8, d[i][1]);
		t = (t + 16) % 0x1000;
	}
	wr64(VTD_IQT, t);
}

static void setup_with(const struct vtd_features *f)
{
	static const struct vtd_hooks hooks = { .msi = h_msi, .xlate_changed = h_changed };

	if (v) {
		vtd_destroy(&s);
		viommu_destroy(v);
	}
	memset(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), 0, RAM_SIZE);
	pt_brk = PGTABLES;
	v = viommu_soft_create(&gm);
	if (vtd_init(&s, f, &gm, v, &hooks, NULL))
		return;
	vtd_add_stream(&s, SID);
	nr_msi = nr_changed = 0;
}

static void setup(void)
{
	struct vtd_features f;

	vtd_default_features(&f);
	setup_with(&f);
}

static void test_registers(void)
{
	uint64_t cap, ecap;

	setup();
	CHECK(rd32(VTD_VER) == 0x10, "VER 1.0");
	cap = rd64(VTD_CAP);
	ecap = rd64(VTD_ECAP);
	CHECK(((cap >> 8) & 0x1f) == 0xc && ((cap >> 16) & 0x3f) == 56, "CAP: SAGAW 4/5-level, MGAW 57 bits");
	CHECK(((cap >> 24) & 0x3ff) * 16 == VTD_FRCD && ((cap >> 40) & 0xff) + 1 == VTD_NFR, "CAP: FRO, NFR");
	CHECK((cap & CAP_PSI) && !(cap & CAP_CM) && ((cap >> 34) & 0xf) == 3, "CAP: PSI, CM=0, SLLPS 2M+1G");
	CHECK((ecap & (ECAP_QI | ECAP_IR | ECAP_EIM | ECAP_PT | ECAP_C)) == (ECAP_QI | ECAP_IR | ECAP_EIM | ECAP_PT | ECAP_C),
	      "ECAP: C, QI, IR, EIM, PT");
	CHECK(((ecap >> 8) & 0x3ff) * 16 == VTD_IVA && (ecap & ECAP_SMTS) && (ecap & ECAP_FLTS) && (ecap & ECAP_SLTS) &&
	      !(ecap & (1ull << 40)) && !(ecap & (1ull << 26)), "ECAP: IRO, SMTS/FLTS/SLTS, no PASID, no NEST");
	CHECK(!(ecap & ECAP_DT), "ECAP: no DT by default");
	CHECK((cap & CAP_FL1GP) && (cap & CAP_FL5LP), "CAP: first-stage 1G and 5-level");
	CHECK(rd32(VTD_CAP) == (uint32_t)cap && rd32(VTD_CAP + 4) == (uint32_t)(cap >> 32), "CAP in 32-bit halves");
	wr64(VTD_CAP, 0);
	CHECK(rd64(VTD_CAP) == cap, "CAP read-only");
	CHECK(rd32(VTD_FECTL) == FECTL_IM && rd32(VTD_IECTL) == FECTL_IM && rd32(VTD_GSTS) == 0, "reset values");

	/* RTADDR: bits 11:0 reserved (TTM 00 only), 32-bit halves low then high. */
	wr32(VTD_RTADDR, (uint32_t)ROOT | 0xfff);
	wr32(VTD_RTADDR + 4, 0x12);
	CHECK(rd64(VTD_RTADDR) == (0x12ull << 32 | ROOT | 0xc00), "RTADDR written in halves: TTM kept, 9:0 reserved");
	wr64(VTD_RTADDR, ROOT);
	wr32(VTD_GCMD, GCMD_SRTP);
	CHECK(rd32(VTD_GSTS) == GCMD_SRTP && rd32(VTD_GCMD) == 0, "SRTP -> RTPS; GCMD reads 0");
	wr32(VTD_GCMD, GCMD_TE | GCMD_QIE);
	CHECK(rd32(VTD_GSTS) == GCMD_SRTP, "two changes in one GCMD write ignored");
	gcmd(GCMD_IRE, 0);
	CHECK(!(rd32(VTD_GSTS) & GCMD_IRE), "IRE before SIRTP ignored");
	gcmd(GCMD_TE, 0);
	CHECK(rd32(VTD_GSTS) & GCMD_TE, "TE");
	gcmd(0, GCMD_TE);
	CHECK(!(rd32(VTD_GSTS) & GCMD_TE), "TE cleared");
	/* Bad accesses: 64-bit to a 32-bit register, unaligned, beyond the page. */
	wr64(VTD_FEDATA, 0x1234);
	CHECK(rd32(VTD_FEDATA) == 0, "64-bit write to a 32-bit register ignored");
	CHECK(rd64(VTD_FEDATA) == 0, "64-bit read of a 32-bit register reads 0");
	wr32(VTD_FEDATA, 0xabcd1234);
	CHECK(rd32(VTD_FEDATA) == 0x1234, "FEDATA 31:16 reserved");
	wr32(VTD_FEADDR, 0xfee00003);
	CHECK(rd32(VTD_FEADDR) == 0xfee00000, "FEADDR 1:0 reserved");
	wr64(VTD_IQA, IQ | 0xff8 | 7);
	CHECK(rd64(VTD_IQA) == (IQ | IQA_DW | 7), "IQA: DW (with SMTS) kept, 10:3 reserved");
	wr64(VTD_IRTA, IRT | 0x7f0 | IRTA_EIME | 7);
	CHECK(rd64(VTD_IRTA) == (IRT | IRTA_EIME | 7), "IRTA: 10:4 reserved");
	/* Table and queue addresses: bits 63:HAW (48 here) are not implemented, they read 0. */
	wr64(VTD_RTADDR, 0xffff000000000000ull | ROOT | 1u << 10);
	wr64(VTD_IQA, 0xffff000000000000ull | IQ | 7);
	wr64(VTD_IRTA, 0xffff000000000000ull | IRT | 7);
	CHECK(rd64(VTD_RTADDR) == (ROOT | 1u << 10) && rd64(VTD_IQA) == (IQ | 7) && rd64(VTD_IRTA) == (IRT | 7),
	      "RTADDR, IQA, IRTA: bits 63:48 (above HAW) read 0");
	wr32(VTD_RTADDR + 4, 0xffffffff);
	wr32(VTD_IQA + 4, 0xffffffff);
	wr32(VTD_IRTA + 4, 0xffffffff);
	CHECK(rd64(VTD_RTADDR) == (0xffffull << 32 | ROOT | 1u << 10) && rd64(VTD_IQA) == (0xffffull << 32 | IQ | 7) &&
	      rd64(VTD_IRTA) == (0xffffull << 32 | IRT | 7), "... written as 32-bit halves: 47:32 kept");
	wr64(VTD_RTADDR, 0);
	wr64(VTD_IQA, 0);
	wr64(VTD_IRTA, 0);
	/* CCMD (11.4.6.1): 58:34 reserved, CAIG 60:59 hardware's; CIRG, FM, SID, DID are kept. */
	wr64(VTD_CCMD, 0x07fffffc00000000ull | 1ull << 61 | 3ull << 32 | 0x0008ull << 16 | DID);
	CHECK(rd64(VTD_CCMD) == (1ull << 61 | 3ull << 32 | 0x0008ull << 16 | DID), "CCMD: 58:34 reserved (no ICC)");
	wr32(VTD_CCMD + 4, 0x07fffffc);
	CHECK(rd64(VTD_CCMD) == (0x0008ull << 16 | DID), "CCMD upper half: 58:34 reserved");
	wr64(VTD_CCMD, CCMD_ICC | 0x07fffffc00000000ull | 1ull << 61);
	CHECK(rd64(VTD_CCMD) == (1ull << 61 | CCMD_CAIG(1)), "CCMD with ICC: CIRG, CAIG global, 58:34 reserved");
}

static void enable_translation(void)
{
	wr64(VTD_RTADDR, ROOT);
	wr32(VTD_GCMD, GCMD_SRTP);
	gcmd(GCMD_TE, 0);
}

static void test_translate(void)
{
	uint64_t root;
	struct viommu_xlate x;
	uint64_t frcd;

	setup();
	CHECK(vtd_translate(&s, SID, 0x1234, false, &x) == 0 && x.pa == 0x1234, "TE=0: untranslated");
	CHECK(vtd_translate(&s, 0x10, 0x1234, false, &x) == -ENODEV, "unknown source id");
	root = alloc_table();
	ss_map(root, 0x10000, DATA, 1);             /* read-only */
	ss_map(root, 0x11000, DATA + 0x1000, 3);
	set_context(SID, root, 0, false);
	enable_translation();
	CHECK(vtd_translate(&s, SID, 0x10010, false, &x) == 0 && x.pa == DATA + 0x10, "read through the SL tables");
	CHECK(vtd_translate(&s, SID, 0x11020, true, &x) == 0 && x.pa == DATA + 0x1020, "write through the SL tables");
	CHECK(rd32(VTD_FSTS) == 0, "no fault yet");

	/* A write to the read-only page: a primary fault, the fault event masked (IM=1 at reset). */
	CHECK(vtd_translate(&s, SID, 0x10008, true, &x) == -EFAULT, "write to a read-only page blocked");
	frcd = rd64(VTD_FRCD + 8);
	CHECK(rd32(VTD_FSTS) == (FSTS_PPF | FSTS_FRI(1)), "FSTS: PPF, FRI 1");
	CHECK((frcd & FRCD_F) && !(frcd & FRCD_T1) && ((frcd >> 32) & 0xff) == 0x05 && (uint16_t)frcd == SID,
	      "FRCD 0: F, write, FR 0x05, SID");
	CHECK(rd64(VTD_FRCD) == 0x10000, "FRCD 0: fault info is the page");
	CHECK(nr_msi == 0 && rd32(VTD_FECTL) == (FECTL_IM | FECTL_IP), "masked: IP set, no MSI");
	wr32(VTD_FEDATA, 0x31);
	wr32(VTD_FEADDR, 0xfee01000);
	wr32(VTD_FECTL, 0);
	CHECK(nr_msi == 1 && msi_addr == 0xfee01000 && msi_data == 0x31 && rd32(VTD_FECTL) == 0,
	      "unmasking delivers the pending fault event");
	CHECK(vtd_translate(&s, SID, 0x20000, false, &x) == -EFAULT && nr_msi == 1, "a second fault: no new event (PPF set)");
	CHECK(((rd64(VTD_FRCD + 24) >> 32) & 0xff) == 0x06, "FRCD 1: FR 0x06 (not present, read)");
	wr64(VTD_FRCD + 8, FRCD_F);
	wr32(VTD_FRCD + 16 + 12, (uint32_t)(FRCD_F >> 32));
	CHECK(rd32(VTD_FSTS) == FSTS_FRI(2), "records cleared (64-bit and 32-bit high-half writes): PPF clear");
	CHECK(vtd_translate(&s, SID, 0x20000, false, &x) == -EFAULT && nr_msi == 2 && msi_data == 0x31,
	      "a fault after all were serviced: a new event");

	/* Beyond the MGAW (57 bits) with a 4-level AGAW: 48 bits. */
	CHECK(vtd_translate(&s, SID, 1ull << 48, false, &x) == -EFAULT &&
	      ((rd64(VTD_FRCD + 56) >> 32) & 0xff) == 0x04, "beyond the AGAW: FR 0x04");

	/* Context entry not present: FR 0x02; FPD: nothing recorded. */
	put(CTX + (SID & 0xff) * 16, 0);
	wr64(VTD_CCMD, CCMD_ICC | 1ull << 61);     /* global context invalidation, register-based */
	CHECK((rd64(VTD_CCMD) >> 59 & 3) == 1 && !(rd64(VTD_CCMD) & CCMD_ICC), "CCMD: ICC clear, CAIG global");
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == -EFAULT &&
	      ((rd64(VTD_FRCD + 72) >> 32) & 0xff) == 0x02, "context not present: FR 0x02");
	set_context(SID, root, 0, true);
	CHECK(vtd_translate(&s, SID, 0x30000, false, &x) == -EFAULT && rd32(VTD_FSTS) >> 8 == 5,
	      "FPD: blocked, not recorded (FRI unchanged)");
	/* Pass-through (TT 10b). */
	set_context(SID, root, 2, false);
	wr64(VTD_CCMD, CCMD_ICC | 3ull << 61 | (uint64_t)SID << 16);
	CHECK(vtd_translate(&s, SID, 0x30000, true, &x) == 0 && x.pa == 0x30000, "pass-through context");
	/* Reserved TT 11b: FR 0x03. */
	set_context(SID, root, 3, false);
	wr64(VTD_CCMD, CCMD_ICC | 3ull << 61 | (uint64_t)SID << 16);
	CHECK(vtd_translate(&s, SID, 0x30000, true, &x) == -EFAULT &&
	      ((rd64(VTD_FRCD + 88) >> 32) & 0xff) == 0x03, "TT 11b: FR 0x03");
	/* The root table not in RAM: FR 0x08. */
	wr64(VTD_RTADDR, NOT_RAM);
	wr32(VTD_GCMD, GCMD_SRTP | GCMD_TE);
	CHECK(vtd_translate(&s, SID, 0x30000, true, &x) == -EFAULT &&
	      ((rd64(VTD_FRCD + 104) >> 32) & 0xff) == 0x08, "root table not RAM: FR 0x08");
}

static void test_fault_overflow(void)
{
	struct viommu_xlate x;
	uint64_t root;

	setup();
	root = alloc_table();
	set_context(SID, root, 0, false);
	enable_translation();
	for (int i = 0; i < VTD_NFR; i++)
		vtd_translate(&s, SID, (uint64_t)i << 12, false, &x);
	CHECK(rd32(VTD_FSTS) == (FSTS_PPF | FSTS_FRI(0)), "NFR faults: every record used, FRI wrapped to 0");
	vtd_translate(&s, SID, 0x99000, false, &x);
	CHECK(rd32(VTD_FSTS) == (FSTS_PPF | FSTS_PFO), "one more: PFO, dropped");
	CHECK(rd64(VTD_FRCD) == 0, "record 0 kept the first fault");
	wr32(VTD_FSTS, FSTS_PFO);
	wr64(VTD_FRCD + 8, FRCD_F);
	CHECK(rd32(VTD_FSTS) == FSTS_PPF, "PFO cleared (RW1C), PPF stays while records are in use");
	vtd_translate(&s, SID, 0x77000, false, &x);
	CHECK(rd64(VTD_FRCD) == 0x77000 && (rd32(VTD_FSTS) >> 8) == 1, "freed record 0 is used again");
}

static void test_iq(void)
{
	struct viommu_xlate x;
	uint64_t root;

	setup();
	root = alloc_table();
	ss_map(root, 0x10000, DATA, 3);
	set_context(SID, root, 0, false);
	enable_translation();
	wr64(VTD_IQA, IQ);
	gcmd(GCMD_QIE, 0);
	CHECK(rd32(VTD_GSTS) & GCMD_QIE && rd64(VTD_IQH) == 0, "QIE: IQH reset");

	/* Wait descriptor: status write and interrupt (6.5.2.8), IWC per 6.5.2.10. */
	wr32(VTD_IEDATA, 0x42);
	wr32(VTD_IEADDR, 0xfee00000);
	wr32(VTD_IECTL, 0);
	const uint64_t wait[1][2] = { { 5 | 1u << 5 | 1u << 4 | 0xc0ffeeull << 32, STATUS } };
	iq_push(wait, 1);
	CHECK(get(STATUS) == 0xc0ffee && rd64(VTD_IQH) == 16, "wait: status written, IQH advanced");
	CHECK(rd32(VTD_ICS) == ICS_IWC && nr_msi == 1 && msi_data == 0x42, "wait: IWC and its MSI");
	iq_push(wait, 1);
	CHECK(nr_msi == 1, "IWC still set: no second event");
	wr32(VTD_ICS, ICS_IWC);
	iq_push(wait, 1);
	CHECK(nr_msi == 2, "after clearing IWC: event again");

	/* IOTLB: a cached translation survives a change of the PTE until invalidated. */
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0 && x.pa == DATA, "translated (cached)");
	ss_map(root, 0x10000, DATA + 0x5000, 3);
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0 && x.pa == DATA, "stale until invalidated");
	const uint64_t other_dom[1][2] = { { 2 | 2u << 4 | (uint64_t)(DID + 1) << 16, 0 } };
	iq_push(other_dom, 1);
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0 && x.pa == DATA, "another domain's invalidation: kept");
	const uint64_t psi[1][2] = { { 2 | 3u << 4 | (uint64_t)DID << 16, 0x10000 } };
	iq_push(psi, 1);
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0 && x.pa == DATA + 0x5000, "page-selective: new PTE");
	ss_map(root, 0x10000, DATA + 0x6000, 3);
	const uint64_t dom[1][2] = { { 2 | 2u << 4 | (uint64_t)DID << 16, 0 } };
	iq_push(dom, 1);
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0 && x.pa == DATA + 0x6000, "domain-selective");
	/* Context-cache (device-selective) after the entry went away. */
	put(CTX + (SID & 0xff) * 16, 0);
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0, "context cached until invalidated");
	const uint64_t cc[1][2] = { { 1 | 3u << 4 | (uint64_t)SID << 32, 0 } };
	iq_push(cc, 1);
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == -EFAULT, "context-cache invalidation: entry re-read");
	/* Interrupt entry cache: MSI routes must follow. */
	nr_changed = 0;
	const uint64_t iec[1][2] = { { 4, 0 } };
	iq_push(iec, 1);
	CHECK(nr_changed == 1, "IEC invalidation: routes re-translated");

	/* Invalid descriptors: IQE, IQH left at the bad one, the queue halted until IQE is cleared. */
	wr32(VTD_FSTS, 0xff);
	for (int i = 0; i < VTD_NFR; i++)
		wr64(VTD_FRCD + 16 * i + 8, FRCD_F);
	wr32(VTD_FECTL, 0);
	nr_msi = 0;
	uint64_t h = rd64(VTD_IQH);
	const uint64_t bad[2][2] = { { 3, 0 }, { 5 | 1u << 5 | 7ull << 32, STATUS } };     /* device-TLB: no ECAP.DT */
	iq_push(bad, 2);
	CHECK(rd32(VTD_FSTS) & FSTS_IQE && rd64(VTD_IQH) == h && (rd64(VTD_IQERCD) & 0xf) == IQEI_TYPE,
	      "device-TLB descriptor: IQE, IQH at it, IQEI type");
	CHECK(get(STATUS) != 7 && nr_msi == 1, "halted: the wait after it not run; fault event sent");
	/* Linux replaces the bad one with a wait descriptor and clears IQE. */
	put(IQ + h, 5);
	put(IQ + h + 8, 0);
	wr32(VTD_FSTS, FSTS_IQE);
	CHECK(!(rd32(VTD_FSTS) & FSTS_IQE) && get(STATUS) == 7 && rd64(VTD_IQH) == rd64(VTD_IQT),
	      "IQE cleared: the queue resumes");
	const uint64_t rsvd[1][2] = { { 2 | 1u << 4 | 1ull << 40, 0 } };
	iq_push(rsvd, 1);
	CHECK((rd32(VTD_FSTS) & FSTS_IQE) && (rd64(VTD_IQERCD) & 0xf) == IQEI_RSVD, "reserved bit: IQE, IQEI rsvd");
	wr32(VTD_FSTS, FSTS_IQE);      /* the same descriptor again: IQE again, never a loop */
	CHECK(rd32(VTD_FSTS) & FSTS_IQE, "unchanged bad descriptor: IQE again");
	put(IQ + rd64(VTD_IQH), 5);
	wr32(VTD_FSTS, FSTS_IQE);
	wr64(VTD_IQT, 0x2000);
	CHECK((rd32(VTD_FSTS) & FSTS_IQE) && (rd64(VTD_IQERCD) & 0xf) == IQEI_TAIL, "IQT beyond the queue: IQE tail");
	wr64(VTD_IQT, rd64(VTD_IQH));
	wr32(VTD_FSTS, FSTS_IQE);
	/* A queue in memory that is not RAM. */
	gcmd(0, GCMD_QIE);
	CHECK(!(rd32(VTD_GSTS) & GCMD_QIE), "QIE cleared with the queue empty");
	wr64(VTD_IQA, NOT_RAM);
	gcmd(GCMD_QIE, 0);
	wr64(VTD_IQT, 0x10);
	CHECK((rd32(VTD_FSTS) & FSTS_IQE) && (rd64(VTD_IQERCD) & 0xf) == IQEI_FETCH && rd64(VTD_IQH) == 0,
	      "queue not in RAM: IQE fetch");
	/* Register-based invalidation is ignored while the queue is enabled. */
	wr64(VTD_IOTLB, IOTLB_IVT | 1ull << 60);
	CHECK(rd64(VTD_IOTLB) == (1ull << 60), "IOTLB register with QIE: ignored (no IAIG)");
}

/* Clears IQE after replacing the descriptor at IQH with a wait (no status write), as Linux does. */
static void iq_skip_bad(void)
{
	put(IQ + rd64(VTD_IQH), 5);
	put(IQ + rd64(VTD_IQH) + 8, 0);
	wr32(VTD_FSTS, FSTS_IQE);
}

static bool iq_stopped(unsigned int iqei)
{
	return (rd32(VTD_FSTS) & FSTS_IQE) && (rd64(VTD_IQERCD) & 0xf) == iqei;
}

/*
 * Device-TLBs (ECAP.DT, f.dt): the device-TLB (6.5.2.5) and PASID-based device-TLB (6.5.2.6,
 * 256-bit only) descriptors as Linux fills them (qi_desc_dev_iotlb / _pasid: SID, PFSID, QDEP,
 * ADDR with S) complete at once; legacy TT 01b translates as TT 00b.
 */
static void test_dt(void)
{
	/* Type 3: QDEP 31, PFSID 0xabcd (15:12 and 63:52), SID; 8 KiB at 0x10000 (S). */
	const uint64_t devtlb_lo = 3 | 31u << 16 | 0xdull << 12 | 0xabcull << 52 | (uint64_t)SID << 32;
	const uint64_t wait_lo = 5 | 1u << 5 | 0x11ull << 32;
	struct vtd_features f;
	struct viommu_xlate x;
	uint64_t root;

	setup();
	set_context(SID, alloc_table(), 1, false);
	enable_translation();
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == -EFAULT &&
	      ((rd64(VTD_FRCD + 8) >> 32) & 0xff) == VTD_FR_CTX_INVALID, "no DT: legacy TT 01b faults (0x03)");
	wr64(VTD_IQA, IQ);
	gcmd(GCMD_QIE, 0);
	const uint64_t dev[1][2] = { { devtlb_lo, 0x10000 | 1 } };
	iq_push(dev, 1);
	CHECK(iq_stopped(IQEI_TYPE), "no DT: device-TLB descriptor is IQE, IQEI type");

	vtd_default_features(&f);
	f.dt = true;
	setup_with(&f);
	CHECK(rd64(VTD_ECAP) & ECAP_DT, "dt: ECAP.DT");
	f.qi = f.ir = f.sm = false;
	CHECK(!vtd_features_ok(&f), "dt needs QI");
	root = alloc_table();
	ss_map(root, 0x10000, DATA, 3);
	set_context(SID, root, 1, false);
	enable_translation();
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0 && x.pa == DATA, "dt: legacy TT 01b translates");
	wr64(VTD_IQA, IQ);
	gcmd(GCMD_QIE, 0);
	const uint64_t ok[2][2] = { { devtlb_lo, 0x10000 | 1 }, { wait_lo, STATUS } };
	iq_push(ok, 2);
	CHECK(!(rd32(VTD_FSTS) & FSTS_IQE) && get(STATUS) == 0x11 && rd64(VTD_IQH) == 32,
	      "dt: device-TLB descriptor completes, the wait after it writes its status");
	const uint64_t rsvd[2][2] = { { devtlb_lo | 1ull << 21, 0x10000 }, { devtlb_lo, 0x10000 | 2 } };
	iq_push(rsvd, 1);
	CHECK(iq_stopped(IQEI_RSVD) && rd64(VTD_IQH) == 32, "dt: device-TLB with lo bit 21 (reserved): IQE, IQEI rsvd");
	iq_skip_bad();
	iq_push(&rsvd[1], 1);
	CHECK(iq_stopped(IQEI_RSVD), "dt: device-TLB with hi bit 1 (reserved): IQE, IQEI rsvd");
	iq_skip_bad();
	const uint64_t pdev[1][2] = { { 8 | (uint64_t)SID << 16, 0x10000 } };
	iq_push(pdev, 1);
	CHECK(iq_stopped(IQEI_TYPE), "dt: PASID-based device-TLB on a 128-bit queue: IQE, IQEI type");
	iq_skip_bad();

	/* 256-bit queue: type 8 (QDEP 31, PFSID 0xabcd, SID, PASID 5; 16 KiB at 0x10000 with S: bit 13
	 * clear, bit 12 set; G), type 3, a wait. */
	gcmd(0, GCMD_QIE);
	memset(gmem_ptr(&gm, IQ, 0x1000), 0, 0x1000);
	wr64(VTD_IQT, 0);
	wr64(VTD_IQA, IQ | IQA_DW);
	gcmd(GCMD_QIE, 0);
	put(IQ, 8 | 31u << 4 | 0xdull << 12 | 0xabcull << 52 | (uint64_t)SID << 16 | 5ull << 32);
	put(IQ + 8, 0x11000 | 1u << 11 | 1);
	put(IQ + 32, devtlb_lo);
	put(IQ + 40, 0x10000);
	put(IQ + 64, wait_lo + (1ull << 32));            /* status 0x12 */
	put(IQ + 72, STATUS);
	wr64(VTD_IQT, 96);
	CHECK(!(rd32(VTD_FSTS) & FSTS_IQE) && rd64(VTD_IQH) == 96 && get(STATUS) == 0x12,
	      "dt, 256-bit: PASID-based and plain device-TLB descriptors complete, the wait writes its status");
	put(IQ + 96, 8 | (uint64_t)SID << 16);
	put(IQ + 104, 0x10000 | 1u << 10);
	wr64(VTD_IQT, 128);
	CHECK(iq_stopped(IQEI_RSVD) && rd64(VTD_IQH) == 96, "dt: PASID-based device-TLB with hi bit 10 (reserved): IQE");
}

/*
 * QIE 0 -> 1 (6.5.2): software should have set IQT to 0 first (Linux does), but hardware fetches
 * whenever IQH != IQT with QIES set, so descriptors queued before the enable (as Windows does) are
 * processed at once, and an IQT beyond the queue is an error then. IQH reads 0 again once QIE is
 * clear (11.4.9.5 QH: "reset to 0 whenever the queued invalidation is disabled").
 */
static void test_qie_enable(void)
{
	const uint64_t wait = 5 | 1u << 5 | 0x5aull << 32;     /* status write 0x5a */

	setup();
	put(IQ, wait);
	put(IQ + 8, STATUS);
	put(IQ + 16, wait | 0x100000000ull);                    /* status write 0x5b */
	put(IQ + 24, STATUS);
	/* The Linux way: IQT 0, IQA, QIE; one descriptor; the queue drained, then QIE cleared. */
	wr64(VTD_IQT, 0);
	wr64(VTD_IQA, IQ);
	gcmd(GCMD_QIE, 0);
	wr64(VTD_IQT, 0x10);
	CHECK(get(STATUS) == 0x5a && rd64(VTD_IQH) == 0x10, "one descriptor consumed: IQH 0x10");
	gcmd(0, GCMD_QIE);
	CHECK(!(rd32(VTD_GSTS) & GCMD_QIE) && rd64(VTD_IQH) == 0 && rd64(VTD_IQT) == 0x10,
	      "QIE cleared (queue empty): IQH reads 0 at once, IQT kept");
	/* Enabled again without writing IQT 0 first: the descriptors up to IQT 0x20 are fetched at once. */
	put(STATUS, 0);
	wr64(VTD_IQT, 0x20);
	CHECK(get(STATUS) == 0 && rd64(VTD_IQH) == 0, "IQT written with QIE clear: nothing fetched");
	gcmd(GCMD_QIE, 0);
	CHECK((rd32(VTD_GSTS) & GCMD_QIE) && get(STATUS) == 0x5b && rd64(VTD_IQH) == 0x20 && !(rd32(VTD_FSTS) & FSTS_IQE),
	      "QIE set with IQT 0x20: both queued wait descriptors fetched at once, IQH 0x20");
	/* A fresh unit, IQT beyond the 256-entry queue before QIE: the enable finds it (11.4.9.9 IQEI 1). */
	setup();
	wr64(VTD_IQA, IQ);
	wr64(VTD_IQT, 0x2000);
	gcmd(GCMD_QIE, 0);
	CHECK((rd32(VTD_GSTS) & GCMD_QIE) && (rd32(VTD_FSTS) & FSTS_IQE) && (rd64(VTD_IQERCD) & 0xf) == IQEI_TAIL &&
	      rd64(VTD_IQH) == 0, "QIE set with IQT beyond the queue: IQE, IQEI tail");
}

static void test_iotlb_register(void)
{
	struct viommu_xlate x;
	uint64_t root;

	setup();
	root = alloc_table();
	ss_map(root, 0x10000, DATA, 3);
	set_context(SID, root, 0, false);
	enable_translation();
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0 && x.pa == DATA, "translated");
	ss_map(root, 0x10000, DATA + 0x3000, 3);
	wr64(VTD_IVA, 0x10000);
	wr32(VTD_IOTLB, 0);
	wr32(VTD_IOTLB + 4, (uint32_t)((IOTLB_IVT | 3ull << 60 | (uint64_t)DID << 32) >> 32));
	CHECK(((rd64(VTD_IOTLB) >> 57) & 3) == 3 && !(rd64(VTD_IOTLB) & IOTLB_IVT), "IOTLB register: IAIG page, IVT clear");
	CHECK(vtd_translate(&s, SID, 0x10000, false, &x) == 0 && x.pa == DATA + 0x3000, "page invalidated");
}

#define SM_CTX      (RAM_BASE + 0x102000)
#define PASID_DIR   (RAM_BASE + 0x103000)
#define PASID_TBL   (RAM_BASE + 0x104000)

/* 4-level first-stage 4 KiB mapping (9.9): P, R/W, U/S; A and D left for the walk to set. */
static void fs_map(uint64_t root, uint64_t iova, uint64_t pa, bool rw)
{
	uint64_t table = root;

	for (int level = 4; level > 1; level--) {
		uint64_t slot = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8, e = get(slot);

		if (!(e & 1)) {
			e = alloc_table() | 7;
			put(slot, e);
		}
		table = e & ~0xfffull;
	}
	put(table + ((iova >> 12) & 511) * 8, pa | 5 | (rw ? 2 : 0));
}

/* Scalable-mode root (upper half for devfn >= 128), context entry -> PASID directory -> PASID
 * entry 0 (RID_PASID) with PGTT, DID, and the table pointer in the qword PGTT uses. */
static void set_sm(uint16_t sid, unsigned int pgtt, uint64_t table)
{
	uint64_t ctx = SM_CTX + (sid & 0x7f) * 32;

	put(ROOT + (sid >> 8) * 16 + ((sid & 0xff) >= 128 ? 8 : 0), SM_CTX | 1);
	put(ctx, PASID_DIR | 1);
	put(ctx + 8, 0);
	put(PASID_DIR, PASID_TBL | 1);
	put(PASID_TBL, (pgtt == 2 ? table | 2ull << 2 : 0) | (uint64_t)pgtt << 6 | 1);
	put(PASID_TBL + 8, DID);
	put(PASID_TBL + 16, pgtt == 1 ? table : 0);
}

/* FR of the record written last (the one before FSTS.FRI). */
static unsigned int last_fr(void)
{
	unsigned int fri = rd32(VTD_FSTS) >> 8 & 0xff;

	return (rd64(VTD_FRCD + 16 * ((fri + VTD_NFR - 1) % VTD_NFR) + 8) >> 32) & 0xff;
}

static void test_scalable(void)
{
	struct viommu_xlate x;
	uint64_t fs, ss, leaf;

	setup();
	fs = alloc_table();
	fs_map(fs, 0x40000, DATA, true);
	fs_map(fs, 0x41000, DATA + 0x1000, false);
	set_sm(SID, 1, fs);
	wr64(VTD_RTADDR, ROOT | 1u << 10);          /* TTM 01b: scalable mode */
	wr32(VTD_GCMD, GCMD_SRTP);
	gcmd(GCMD_TE, 0);
	CHECK(vtd_translate(&s, SID, 0x40010, false, &x) == 0 && x.pa == DATA + 0x10, "scalable, first stage: read");
	leaf = get(PGTABLES + 3 * 0x1000 + (0x40000 >> 12) * 8);
	CHECK((leaf & (1u << 5)) && !(leaf & (1u << 6)), "read: A set in the leaf, D not");
	CHECK((get(fs) & (1u << 5)), "read: A set in the PML4E");
	CHECK(vtd_translate(&s, SID, 0x40020, true, &x) == 0 && x.pa == DATA + 0x20, "first stage: write");
	leaf = get(PGTABLES + 3 * 0x1000 + (0x40000 >> 12) * 8);
	CHECK(leaf & (1u << 6), "write: D set in the leaf (after a cached read)");
	CHECK(vtd_translate(&s, SID, 0x41000, true, &x) == -EFAULT &&
	      ((rd64(VTD_FRCD + 8) >> 32) & 0xff) == VTD_FR_SGN_WRITE, "write to a read-only first-stage page: FR 0x85");
	CHECK(vtd_translate(&s, SID, 1ull << 47, false, &x) == -EFAULT &&
	      ((rd64(VTD_FRCD + 24) >> 32) & 0xff) == VTD_FR_SGN_CANONICAL, "non-canonical IOVA: FR 0x80");

	/* Second stage through the PASID entry (AW 2), after a PASID-cache invalidation on a
	 * 256-bit queue. */
	ss = alloc_table();
	ss_map(ss, 0x40000, DATA + 0x7000, 3);
	set_sm(SID, 2, ss);
	CHECK(vtd_translate(&s, SID, 0x40000, false, &x) == 0 && x.pa == DATA, "PASID entry cached until invalidated");
	wr64(VTD_IQA, IQ | IQA_DW);
	gcmd(GCMD_QIE, 0);
	put(IQ, 7 | 3u << 4);                       /* PASID cache, global */
	put(IQ + 8, 0);
	wr64(VTD_IQT, 32);
	CHECK(rd64(VTD_IQH) == 32 && !(rd32(VTD_FSTS) & FSTS_IQE), "256-bit PASID-cache descriptor consumed");
	CHECK(vtd_translate(&s, SID, 0x40000, false, &x) == 0 && x.pa == DATA + 0x7000, "scalable, second stage");
	ss_map(ss, 0x40000, DATA + 0x8000, 3);
	put(IQ + 32, 6 | 3u << 4 | (uint64_t)DID << 16);     /* PASID-based IOTLB, page-selective */
	put(IQ + 40, 0x40000);
	wr64(VTD_IQT, 64);
	CHECK(vtd_translate(&s, SID, 0x40000, false, &x) == 0 && x.pa == DATA + 0x8000, "PASID-based IOTLB invalidation");
	put(IQ + 64, 5 | 1u << 5 | 9ull << 32);
	put(IQ + 72, STATUS);
	put(IQ + 80, 1);                            /* bit 128 of a wait descriptor: reserved */
	wr64(VTD_IQT, 96);
	CHECK((rd32(VTD_FSTS) & FSTS_IQE) && (rd64(VTD_IQERCD) & 0xf) == IQEI_RSVD && rd64(VTD_IQH) == 64,
	      "256-bit descriptor with its upper half set: IQE");
	put(IQ + 80, 0);
	wr32(VTD_FSTS, FSTS_IQE);
	CHECK(get(STATUS) == 9 && rd64(VTD_IQH) == 96, "fixed and resumed: wait status written");
	wr64(VTD_IQT, 112);
	CHECK((rd32(VTD_FSTS) & FSTS_IQE) && (rd64(VTD_IQERCD) & 0xf) == IQEI_TAIL, "IQT not 256-bit aligned: IQE");

	/* Pass-through, then the scalable-mode faults. */
	set_sm(SID, 4, 0);
	vtd_inv_context(&s, 1, 0, 0, 0);
	CHECK(vtd_translate(&s, SID, 0x1234000, true, &x) == 0 && x.pa == 0x1234000, "PGTT pass-through");
	put(PASID_TBL, 3ull << 6 | 1);             /* nested: no ECAP.NEST */
	vtd_inv_context(&s, 1, 0, 0, 0);
	wr32(VTD_FSTS, 0xff);
	for (int i = 0; i < VTD_NFR; i++)
		wr64(VTD_FRCD + 16 * i + 8, FRCD_F);
	CHECK(vtd_translate(&s, SID, 0x1000, false, &x) == -EFAULT && last_fr() == VTD_FR_SM_PASID_INVALID,
	      "PGTT nested: FR 0x5b");
	put(PASID_TBL, 0);
	CHECK(vtd_translate(&s, SID, 0x1000, false, &x) == -EFAULT, "PASID entry not present: blocked");
	put(PASID_DIR, 0);
	put(SM_CTX + (SID & 0x7f) * 32 + 8, 5);    /* RID_PASID 5 without ECAP.RPS */
	CHECK(vtd_translate(&s, SID, 0x1000, false, &x) == -EFAULT, "RID_PASID != 0: blocked");
	wr64(VTD_RTADDR, ROOT | 2u << 10);
	wr32(VTD_GCMD, GCMD_SRTP | (rd32(VTD_GSTS) & (GCMD_TE | GCMD_QIE)));
	CHECK(vtd_translate(&s, SID, 0x1000, false, &x) == -EFAULT, "TTM 10b: blocked");
	{
		uint8_t want[] = { VTD_FR_SM_PE_NOT_PRESENT, VTD_FR_SM_CTX_RID_PASID, VTD_FR_SM_RTADDR };
		unsigned int fri = rd32(VTD_FSTS) >> 8 & 0xff, ok = 0;

		for (unsigned int i = 0; i < 3; i++)
			ok += ((rd64(VTD_FRCD + 16 * ((fri + VTD_NFR - 3 + i) % VTD_NFR) + 8) >> 32) & 0xff) == want[i];
		CHECK(ok == 3, "FR 0x59 (PASID entry P=0), 0x48 (RID_PASID), 0x30 (TTM)");
	}
}

/* IRTE (9.10): P, FPD, DM, TM, DLM, vector; DST; SID/SQ/SVT. */
static void set_irte(unsigned int idx, uint64_t lo, uint64_t hi)
{
	put(IRT + idx * 16, lo);
	put(IRT + idx * 16 + 8, hi);
}

static uint64_t remappable(unsigned int handle, bool shv)
{
	return 0xfee00000ull | (uint64_t)(handle & 0x7fff) << 5 | 1u << 4 | (shv ? 1u << 3 : 0) | ((handle >> 15) & 1) << 2;
}

static void test_ir(void)
{
	uint64_t a;
	uint32_t d;

	setup();
	a = 0xfee01000;
	d = 0x30;
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == 0xfee01000 && d == 0x30, "IRE=0: unchanged");
	wr64(VTD_IRTA, IRT | IRTA_EIME | 7);           /* 256 entries, x2APIC ids */
	wr32(VTD_GCMD, GCMD_SIRTP);
	CHECK(rd32(VTD_GSTS) == GCMD_SIRTP && nr_changed == 1, "SIRTP -> IRTPS, routes re-translated");
	gcmd(GCMD_IRE, 0);
	CHECK(rd32(VTD_GSTS) & GCMD_IRE, "IRE");
	CHECK(!(rd32(VTD_GSTS) & GCMD_CFI), "CFI clear");
	wr32(VTD_FECTL, 0);

	/* Vector 0x41, fixed, edge, physical, to APIC id 3; source id verified exactly. */
	set_irte(5, 1 | 0x41ull << 16 | 3ull << 32, SID | 1ull << 18);
	a = remappable(5, false);
	d = 0;
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == 0xfee03000 && d == 0x4041, "remapped: APIC 3, vector 0x41");
	/* Level-triggered, logical, lowest priority, redirection hint, through a subhandle. */
	set_irte(9, 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 0x51ull << 16 | 2ull << 32, SID | 1ull << 18);
	a = remappable(6, true);
	d = 3;
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == (0xfee02000 | 1u << 3 | 1u << 2) &&
	      d == (0x51 | 1u << 8 | 1u << 14 | 1u << 15), "subhandle 6+3: level, logical, lowest priority, RH");
	CHECK(rd32(VTD_FSTS) == 0, "no fault");

	/* Source id checks. */
	a = remappable(5, false);
	CHECK(vtd_ir_translate(&s, SID + 1, &a, &d, true) == -EPERM, "other function: blocked");
	CHECK(((rd64(VTD_FRCD + 8) >> 32) & 0xff) == VTD_FR_IR_SID && (uint16_t)rd64(VTD_FRCD + 8) == SID + 1 &&
	      rd64(VTD_FRCD) == 5ull << 48, "FR 0x26, requester SID, index in FI 63:48");
	CHECK(nr_msi == 1, "fault event");
	set_irte(5, 1 | 0x41ull << 16 | 3ull << 32, SID | 3ull << 16 | 1ull << 18);
	a = remappable(5, false);
	CHECK(!vtd_ir_translate(&s, SID + 7, &a, &d, true), "SQ 11b: function bits ignored");
	set_irte(5, 1 | 0x41ull << 16 | 3ull << 32, 0x0203 | 2ull << 18);
	a = remappable(5, false);
	CHECK(!vtd_ir_translate(&s, 0x0300, &a, &d, true), "SVT 10b: bus 3 in 2..3");
	a = remappable(5, false);
	CHECK(vtd_ir_translate(&s, 0x0400, &a, &d, false) == -EPERM, "SVT 10b: bus 4 outside");
	/* Entry problems. */
	a = remappable(300, false);
	CHECK(vtd_ir_translate(&s, SID, &a, &d, true) == -EPERM &&
	      ((rd64(VTD_FRCD + 24) >> 32) & 0xff) == VTD_FR_IR_INDEX, "index beyond IRTA.S: FR 0x21");
	a = remappable(7, false);
	CHECK(vtd_ir_translate(&s, SID, &a, &d, true) == -EPERM &&
	      ((rd64(VTD_FRCD + 40) >> 32) & 0xff) == VTD_FR_IR_NOT_PRESENT, "P=0: FR 0x22");
	set_irte(8, 1 | 1u << 15 | 0x41ull << 16, 0);
	a = remappable(8, false);
	CHECK(vtd_ir_translate(&s, SID, &a, &d, true) == -EPERM &&
	      ((rd64(VTD_FRCD + 56) >> 32) & 0xff) == VTD_FR_IR_IRTE_RSVD, "posted IRTE (no CAP.PI): FR 0x24");
	set_irte(10, 1 | 2 | 1u << 15, 0);
	a = remappable(10, false);
	CHECK(vtd_ir_translate(&s, SID, &a, &d, true) == -EPERM && (rd32(VTD_FSTS) >> 8) == 4, "FPD: blocked, not recorded");
	set_irte(11, 1 | 0x41ull << 16 | 0x100ull << 32, 0);
	a = remappable(11, false);
	CHECK(vtd_ir_translate(&s, SID, &a, &d, true) == -ERANGE && (rd32(VTD_FSTS) >> 8) == 4,
	      "x2APIC id 256, KVM without 32-bit ids: not routable, no fault");
	/* With KVM's 32-bit ids (KVM_CAP_X2APIC_API): destination 31:8 in address_hi 31:8. */
	s.feat.dest32 = true;
	set_irte(11, 1 | 0x41ull << 16 | 0x12345ull << 32, 0);
	a = remappable(11, false);
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == (0x123ull << 40 | 0xfee45000) && d == 0x4041,
	      "x2APIC id 0x12345 with 32-bit ids: dest 7:0 in 19:12, 31:8 in address_hi 31:8");
	set_irte(11, 1 | 0x41ull << 16 | 0xfffffffeull << 32, 0);
	a = remappable(11, false);
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == (0xffffffull << 40 | 0xfeefe000),
	      "x2APIC id 0xfffffffe: address_hi 0xffffff00 (its 7:0 stay 0, as KVM requires)");
	set_irte(11, 1 | 0x41ull << 16 | 0xffull << 32, 0);
	a = remappable(11, false);
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == 0xfeeff000, "x2APIC id 255: address_hi 0");
	s.feat.dest32 = false;
	/* Compatibility format: blocked unless CFI. */
	a = 0xfee01000;
	CHECK(vtd_ir_translate(&s, SID, &a, &d, true) == -EPERM &&
	      ((rd64(VTD_FRCD + 72) >> 32) & 0xff) == VTD_FR_IR_COMPAT, "compatibility format, CFIS=0: FR 0x25");
	gcmd(GCMD_CFI, 0);
	a = 0xfee01000;
	d = 0x30;
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == 0xfee01000 && d == 0x30, "CFIS=1: passes unchanged");
	/* xAPIC mode: the id is DST 15:8; other DST bits reserved. */
	wr64(VTD_IRTA, IRT | 7);
	wr32(VTD_GCMD, GCMD_SIRTP | (rd32(VTD_GSTS) & (GCMD_IRE | GCMD_CFI)));
	set_irte(12, 1 | 0x41ull << 16 | 0x0500ull << 32, 0);
	a = remappable(12, false);
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == 0xfee05000, "xAPIC IRTE: APIC id from DST 15:8");
	set_irte(12, 1 | 0x41ull << 16 | 0x0501ull << 32, 0);
	a = remappable(12, false);
	CHECK(vtd_ir_translate(&s, SID, &a, &d, true) == -EPERM, "xAPIC IRTE with DST 7:0 set: reserved");
	/* Not an interrupt address: not IR's. */
	a = 0x12345000;
	CHECK(!vtd_ir_translate(&s, SID, &a, &d, true) && a == 0x12345000, "outside 0xFEEx_xxxx: unchanged");
}

/*
 * Without ECAP.IR, IRTA is RsvdZ (11.4.9.13); without ECAP.EIM (which needs IR here) so are its
 * EIME bit and the upper address registers of the unit's events (FEUADDR, IEUADDR: only
 * implementations with extended interrupt mode must have them).
 */
static void test_no_ir(void)
{
	struct vtd_features f;

	vtd_default_features(&f);
	f.ir = false;
	setup_with(&f);
	CHECK(!(rd64(VTD_ECAP) & (ECAP_IR | ECAP_EIM)), "IR off: ECAP.IR and EIM 0");
	wr64(VTD_IRTA, IRT | IRTA_EIME | 7);
	CHECK(rd64(VTD_IRTA) == 0, "IR off: IRTA reads 0 after a 64-bit write");
	wr32(VTD_IRTA, (uint32_t)IRT | IRTA_EIME | 7);
	wr32(VTD_IRTA + 4, 0x1);
	CHECK(rd64(VTD_IRTA) == 0, "... and after 32-bit writes");
	wr32(VTD_GCMD, GCMD_SIRTP);
	CHECK(rd32(VTD_GSTS) == 0, "IR off: SIRTP ignored");
	wr32(VTD_FEUADDR, 0x12345600);
	wr32(VTD_IEUADDR, 0x12345600);
	CHECK(rd32(VTD_FEUADDR) == 0 && rd32(VTD_IEUADDR) == 0, "IR off (so no EIM): FEUADDR, IEUADDR read 0");

	vtd_default_features(&f);
	f.eim = false;
	setup_with(&f);
	CHECK((rd64(VTD_ECAP) & ECAP_IR) && !(rd64(VTD_ECAP) & ECAP_EIM), "IR without EIM");
	wr64(VTD_IRTA, IRT | IRTA_EIME | 7);
	wr32(VTD_FEUADDR, 0x12345600);
	CHECK(rd64(VTD_IRTA) == (IRT | 7) && rd32(VTD_FEUADDR) == 0, "IRTA without EIME, FEUADDR reads 0");
}

int main(void)
{
	if (gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false)) {
		printf("Bail out! no guest RAM\n");
		return 1;
	}
	test_registers();
	test_translate();
	test_fault_overflow();
	test_iq();
	test_qie_enable();
	test_dt();
	test_iotlb_register();
	test_scalable();
	test_ir();
	test_no_ir();
	vtd_destroy(&s);
	viommu_destroy(v);
	gmem_destroy(&gm);
	return tap_done();
}
