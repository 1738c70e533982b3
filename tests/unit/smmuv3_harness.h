/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the SMMUv3 unit tests: an SMMU over 16 MiB of guest RAM, driven the way Linux's
 * arm-smmu-v3 driver drives it (32/64-bit register accesses through the bus callback, structures
 * written into guest RAM), with interrupt/MSI hooks that count what they see.
 */
#ifndef NESTVM_SMMUV3_HARNESS_H
#define NESTVM_SMMUV3_HARNESS_H

#include <errno.h>
#include <string.h>

#include "iommu/smmuv3.h"
#include "tap.h"
#include "vmm/guest_mem.h"

#define RAM_BASE   0x40000000ull
#define RAM_SIZE   (16ull << 20)
#define STRTAB     (RAM_BASE + 0x100000)    /* linear, 256 STEs */
#define CMDQ       (RAM_BASE + 0x200000)    /* 256 commands */
#define EVTQ       (RAM_BASE + 0x210000)    /* 16 events */
#define CDS        (RAM_BASE + 0x300000)
#define PGTABLES   (RAM_BASE + 0x400000)
#define NOT_RAM    0x1000000ull

struct harness {
	struct guest_mem gm;
	struct viommu *v;
	struct smmuv3 s;
	struct smmuv3 *sp;          /* the SMMU the helpers drive: &s, or one made by smmuv3_dev */
	struct guest_mem *mem;      /* its guest RAM: &gm, or the VM's */
	int irqs[SMMUV3_NR_IRQS];
	int nr_msi;
	uint64_t msi_addr;
	uint32_t msi_data;
	uint64_t pt_brk;
};

static void h_irq(void *opaque, enum smmuv3_irq line)
{
	struct harness *h = opaque;

	h->irqs[line]++;
}

static void h_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct harness *h = opaque;

	h->nr_msi++;
	h->msi_addr = addr;
	h->msi_data = data;
}

static inline uint32_t rd32(struct harness *h, uint64_t off)
{
	uint8_t d[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	smmuv3_mmio(h->sp, off, d, 4, false);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static inline void wr32(struct harness *h, uint64_t off, uint32_t v)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	smmuv3_mmio(h->sp, off, d, 4, true);
}

static inline uint64_t rd64(struct harness *h, uint64_t off)
{
	uint8_t d[8];
	uint64_t v = 0;

	memset(d, 0xaa, sizeof(d));
	smmuv3_mmio(h->sp, off, d, 8, false);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | d[i];
	return v;
}

static inline void wr64(struct harness *h, uint64_t off, uint64_t v)
{
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	smmuv3_mmio(h->sp, off, d, 8, true);
}

static inline void gw64(struct harness *h, uint64_t gpa, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	if (gmem_write(h->mem, gpa, b, 8))
		CHECK(0, "harness: guest write at 0x%llx", (unsigned long long)gpa);
}

static inline uint64_t gr64(struct harness *h, uint64_t gpa)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	gmem_read(h->mem, gpa, b, 8);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* Brings the SMMU up like the Linux driver: tables, queues, then CMDQEN|EVTQEN, then SMMUEN. */
static inline void h_enable(struct harness *h)
{
	wr64(h, SMMU_STRTAB_BASE, STRTAB);
	wr32(h, SMMU_STRTAB_BASE_CFG, 8);               /* linear, LOG2SIZE 8 */
	wr64(h, SMMU_CMDQ_BASE, CMDQ | 8);
	wr32(h, SMMU_CMDQ_PROD, 0);
	wr32(h, SMMU_CMDQ_CONS, 0);
	wr64(h, SMMU_EVENTQ_BASE, EVTQ | 4);
	wr32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD, 0);
	wr32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS, 0);
	wr32(h, SMMU_IRQ_CTRL, IRQ_CTRL_GERROR_IRQEN | IRQ_CTRL_EVTQ_IRQEN);
	wr32(h, SMMU_CR2, CR2_RECINVSID | CR2_PTM);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	wr32(h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
}

static inline int h_init(struct harness *h, const struct smmuv3_features *f)
{
	static const struct smmuv3_hooks hooks = { .irq = h_irq, .msi = h_msi };
	struct smmuv3_features def;

	memset(h, 0, sizeof(*h));
	h->sp = &h->s;
	h->mem = &h->gm;
	if (!f) {
		smmuv3_default_features(&def);
		f = &def;
	}
	if (gmem_add_ram(&h->gm, RAM_BASE, RAM_SIZE, false))
		return -1;
	h->v = viommu_soft_create(&h->gm);
	if (!h->v || smmuv3_init(&h->s, f, &h->gm, h->v, &hooks, h))
		return -1;
	h->pt_brk = PGTABLES;
	return 0;
}

static inline void h_fini(struct harness *h)
{
	smmuv3_destroy(&h->s);
	viommu_destroy(h->v);
	gmem_destroy(&h->gm);
}

/* Queues one command at CMDQ_PROD and publishes it. */
static inline void h_cmd(struct harness *h, uint64_t w0, uint64_t w1)
{
	uint32_t prod = rd32(h, SMMU_CMDQ_PROD);

	gw64(h, CMDQ + (prod & 0xff) * 16, w0);
	gw64(h, CMDQ + (prod & 0xff) * 16 + 8, w1);
	wr32(h, SMMU_CMDQ_PROD, (prod + 1) & 0x1ff);
}

static inline void h_sync(struct harness *h)
{
	h_cmd(h, CMD_SYNC, 0);
}

/* STE words 0-1 at SID of the linear table. */
static inline void h_ste(struct harness *h, uint32_t sid, uint64_t w0, uint64_t w1)
{
	for (int i = 0; i < 8; i++)
		gw64(h, STRTAB + sid * 64ull + i * 8, i == 0 ? w0 : i == 1 ? w1 : 0);
}

#define STE_BYPASS   (STE0_V | (uint64_t)STE_CFG_BYPASS << 1)
#define STE_ABORT    (STE0_V | (uint64_t)STE_CFG_ABORT << 1)
#define STE_S1(cd)   (STE0_V | (uint64_t)STE_CFG_S1 << 1 | ((cd) & STE0_S1CTXPTR))

/* A valid AArch64 CD with 4K granule, T0SZ 25 (39-bit), TTB1 disabled, recording faults. */
static inline void h_cd(struct harness *h, uint64_t at, uint64_t ttb0, uint16_t asid)
{
	uint64_t w0 = 25 | CD0_EPD1 | CD0_V | 4ull << 32 /* IPS 44 */ | CD0_AA64 | CD0_R | CD0_A |
		      (uint64_t)asid << 48;

	for (int i = 0; i < 8; i++)
		gw64(h, at + i * 8, i == 0 ? w0 : i == 1 ? ttb0 : 0);
}

static inline uint64_t h_alloc_pt(struct harness *h)
{
	uint64_t a = h->pt_brk;

	h->pt_brk += 0x1000;
	for (int i = 0; i < 512; i++)
		gw64(h, a + i * 8, 0);
	return a;
}

/* 4K granule, 39-bit VA: L1 -> L2 -> L3 page mapping IOVA to PA. */
static inline void h_map(struct harness *h, uint64_t ttb, uint64_t iova, uint64_t pa, bool writable)
{
	uint64_t table = ttb;

	for (int level = 1; level < 3; level++) {
		uint64_t slot = table + ((iova >> (12 + 9 * (3 - level))) & 0x1ff) * 8;
		uint64_t d = gr64(h, slot);

		if (!(d & 1)) {
			d = h_alloc_pt(h) | 3;
			gw64(h, slot, d);
		}
		table = d & 0xfffffffff000ull;
	}
	gw64(h, table + ((iova >> 12) & 0x1ff) * 8,
	     (pa & ~0xfffull) | 3 | 1ull << 10 | 1ull << 6 | (writable ? 0 : 1ull << 7));
}

/* The event record at index I of the event queue. */
static inline void h_evt(struct harness *h, unsigned int i, uint64_t evt[4])
{
	for (int w = 0; w < 4; w++)
		evt[w] = gr64(h, EVTQ + (i & 15) * 32ull + w * 8);
}

static inline unsigned int h_nr_events(struct harness *h)
{
	return (rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD) - rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS)) & 0x1f;
}

#endif
