// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a guest that fills its SMMUv3's stream table, CDs, page tables and command
 * queue with anything it likes. The input's first 32 bytes are register values (STRTAB_BASE_CFG,
 * queue sizes, CMDQ_PROD, GBPA, StreamIDs and IOVAs to translate); the rest is the first 64 KiB of
 * guest RAM, where all pointers of the register values land. The model must never crash, hang or
 * touch memory outside guest RAM (ASan).
 */
#include <stdint.h>
#include <string.h>

#include "iommu/smmuv3.h"
#include "vmm/guest_mem.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 10)
#define CTL 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem gm;

static void wr(struct smmuv3 *s, uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	smmuv3_mmio(s, off, d, len, true);
}

static uint32_t u32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct smmuv3_hooks hooks = { 0 };
	struct smmuv3_features f;
	struct viommu_xlate x;
	struct viommu *v;
	struct smmuv3 s;

	if (!gm.nr && gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false))
		__builtin_trap();
	if (size < CTL)
		return 0;
	memset(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), 0, RAM_SIZE);
	memcpy(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), data + CTL, size - CTL < RAM_SIZE ? size - CTL : RAM_SIZE);
	smmuv3_default_features(&f);
	f.ssidsize = data[0] & 0xf;
	f.msi = data[0] & 0x10;
	f.ats = data[0] & 0x20;
	v = viommu_soft_create(&gm);
	if (!v || smmuv3_init(&s, &f, &gm, v, &hooks, NULL))
		__builtin_trap();
	for (int i = 0; i < 4; i++)
		smmuv3_add_stream(&s, data[8 + i] | (uint32_t)(data[12 + i] & 3) << 8);
	wr(&s, SMMU_STRTAB_BASE, RAM_BASE + (data[1] << 8), 8);
	wr(&s, SMMU_STRTAB_BASE_CFG, u32(data + 2) & 0x307ff, 4);
	wr(&s, SMMU_CMDQ_BASE, RAM_BASE + 0x8000 + (data[6] & 0x1f), 8);     /* up to 2^31 entries asked */
	wr(&s, SMMU_EVENTQ_BASE, RAM_BASE + 0xc000 + (data[7] & 0x1f), 8);
	wr(&s, SMMU_GBPA, GBPA_UPDATE | (data[16] & 1 ? GBPA_ABORT : 0), 4);
	wr(&s, SMMU_IRQ_CTRL, 5, 4);
	wr(&s, SMMU_CR2, CR2_RECINVSID, 4);
	wr(&s, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | (data[16] & 2 ? CR0_SMMUEN : 0), 4);
	wr(&s, SMMU_CMDQ_PROD, u32(data + 17), 4);
	for (int i = 0; i < 4; i++) {
		uint64_t iova = (uint64_t)u32(data + 21 + (i & 1) * 4) << (data[29] & 0x1f);

		smmuv3_translate(&s, data[8 + i] | (uint32_t)(data[12 + i] & 3) << 8, iova, i & 1, &x);
		smmuv3_translate(&s, data[8 + i] | (uint32_t)(data[12 + i] & 3) << 8, iova, i & 1, &x);
	}
	/* Acknowledge a command error and let the queue run again. */
	wr(&s, SMMU_GERRORN, s.gerror, 4);
	wr(&s, SMMU_CMDQ_PROD, u32(data + 17) + data[30], 4);
	smmuv3_destroy(&s);
	viommu_destroy(v);
	return 0;
}
