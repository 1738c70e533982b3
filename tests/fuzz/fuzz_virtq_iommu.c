// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: virtqueues behind the vIOMMU. The rings and buffers are IOVAs translated by
 * dma.c through the software vIOMMU backend (the guest's stage-1 tables walked by s1walk, cached in
 * the IOTLB), as for a virtio function behind the emulated SMMUv3. The input's first 24 bytes are
 * the stream's translation config (TTB, TxSZ, granule, flags or bypass/abort), the queue and ring
 * IOVAs and when the guest invalidates; the rest is the first 64 KiB of guest RAM, where the page
 * tables, rings and buffers live. Nothing may crash, hang or touch memory outside guest RAM (ASan).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/dma.h"
#include "devices/virtqueue.h"
#include "iommu/viommu.h"
#include "vmm/guest_mem.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 10)
#define CTL 24
#define SID 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem gm;
static struct virtq_elem e;

static uint32_t u32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The front-end's dma_translate (pci_viommu_ops; smmuv3_translate without the event queue): a fault is -EFAULT. */
static int xlate(void *opaque, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	struct viommu *v = opaque;
	struct viommu_fault f;

	return v->ops->translate(v, sid, iova, write, out, &f) ? -EFAULT : 0;
}

static void invalidate(struct viommu *v, const uint8_t *c, uint64_t iova)
{
	struct viommu_inval inv = { .kind = (enum viommu_inval_kind)(c[21] % 6), .sid = SID, .asid = c[22],
				    .iova = s1walk_va_untag(iova) & ~0xfffULL, .size = 0x1000ULL << (c[23] & 7) };

	viommu_invalidate(v, &inv, 1, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096];
	static const uint8_t granule[] = { 12, 14, 16 };
	struct viommu_stream_cfg cfg = { 0 };
	static const struct pci_viommu_ops ops = { .dma_translate = xlate };
	struct pci_viommu iommu = { .ops = &ops };
	struct iovec iov[8];
	struct dma_ctx d;
	struct viommu *v;
	const uint8_t *c = data;
	struct virtq q;
	int r, n = 0;
	uint16_t qsz;

	if (!gm.nr && gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false))
		__builtin_trap();
	if (size < CTL)
		return 0;
	memset(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), 0, RAM_SIZE);
	memcpy(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), data + CTL, size - CTL < RAM_SIZE ? size - CTL : RAM_SIZE);
	qsz = (uint16_t)(1u << (c[0] % 9));             /* 1 .. 256 */
	cfg.kind = (c[3] & 3) == 2 ? VIOMMU_CFG_BYPASS : (c[3] & 3) == 3 ? VIOMMU_CFG_ABORT : VIOMMU_CFG_S1;
	cfg.s1.tt[0] = (struct s1walk_tt){ .ttb = RAM_BASE + ((uint64_t)(c[4] | c[5] << 8) & 0xfff0), .tsz = c[1] % 64,
					   .granule_shift = granule[c[2] % 3] };
	cfg.s1.tt[1] = (struct s1walk_tt){ .ttb = RAM_BASE + ((uint64_t)(c[6] | c[7] << 8) & 0xfff0),
					   .tsz = (c[1] >> 2) % 64, .granule_shift = granule[(c[2] >> 2) % 3],
					   .disabled = !(c[3] & 4) };
	cfg.s1.oas_bits = (uint8_t)(48 - (c[2] >> 4));
	cfg.s1.tbi[0] = c[3] & 8;
	cfg.s1.tbi[1] = c[3] & 16;
	cfg.s1.affd = c[3] & 32;
	cfg.s1.priv = c[3] & 64;
	cfg.s1.pan = c[3] & 128;
	cfg.s1.asid = c[22];
	cfg.walker = &s1walk_ops;
	cfg.tag = cfg.s1.asid;
	v = viommu_soft_create(&gm);
	if (!v || viommu_attach(v, SID, &cfg))
		__builtin_trap();
	iommu.opaque = v;
	if (dma_ctx_init(&d, &gm, &iommu, SID))
		__builtin_trap();

	/* Direct DMA helpers on an input-chosen range first (what device models do with buffers). */
	dma_map(&d, u32(c + 8) + (uint64_t)(c[20] & 0x80) * 0x1000000ULL, u32(c + 16) & 0x3ffff, c[20] & 1, iov, 8);
	dma_read(&d, u32(c + 12), buf, c[21]);
	dma_ptr(&d, u32(c + 16), c[23], c[0] & 0x80);

	if (virtq_init_dma(&q, &d, qsz, u32(c + 8), u32(c + 12), u32(c + 16), c[0] & 0x40) == 0) {
		while ((r = virtq_pop(&q, &e)) == 1 && n++ < 4 * qsz) {
			virtq_elem_read(&e, 0, buf, sizeof(buf));
			virtq_elem_write(&e, e.in_len > 7 ? e.in_len - 7 : 0, buf, 7);
			virtq_elem_slice(&e, true, 0, e.in_len, iov, 8);
			virtq_push(&q, e.head, (uint32_t)(e.in_len < 64 ? e.in_len : 64));
			virtq_need_notify(&q);
			if (n == c[20] % 8) {
				/* The guest unmaps something and invalidates between two requests. */
				invalidate(v, c, u32(c + 8));
			}
		}
	}
	viommu_destroy(v);
	return 0;
}
