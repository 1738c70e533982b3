// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA contexts of emulated devices: straight to guest RAM without a vIOMMU, through the emulated
 * SMMUv3 (software walker + IOTLB) with one. Ranges split over pages, merge when host-contiguous,
 * fault with an event record naming the StreamID, and follow the guest's unmap + TLBI.
 */
#include "devices/dma.h"
#include "smmuv3_harness.h"

#define SID 8
#define BUF1 (RAM_BASE + 0x800000)
#define BUF2 (RAM_BASE + 0x900000)

static int h_translate(void *opaque, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	return smmuv3_translate(opaque, sid, iova, write, out);
}

static int h_add_stream(void *opaque, uint32_t sid)
{
	return smmuv3_add_stream(opaque, sid);
}

static void test_direct(struct harness *h)
{
	struct dma_ctx d;
	struct iovec iov[4];
	uint8_t b[8];

	CHECK(dma_ctx_init(&d, &h->gm, NULL, SID) == 0 && !dma_translated(&d), "direct context");
	CHECK(dma_map(&d, BUF1, 0x3000, true, iov, 4) == 1 && iov[0].iov_base == gmem_ptr(&h->gm, BUF1, 1) &&
	      iov[0].iov_len == 0x3000, "direct: one iovec, guest physical");
	CHECK(dma_map(&d, BUF1, 0, false, iov, 4) == 0, "direct: empty range");
	CHECK(dma_map(&d, RAM_BASE + RAM_SIZE - 8, 16, false, iov, 4) == -EFAULT, "direct: range leaving RAM faults");
	CHECK(dma_map(&d, ~0ull - 7, 16, false, iov, 4) == -EFAULT, "direct: wrapping range faults");
	CHECK(dma_read(&d, NOT_RAM, b, 8) == -EFAULT && !dma_ptr(&d, NOT_RAM, 8, false), "direct: not RAM");
	CHECK(d.nr_faults == 0, "direct: no IOMMU faults counted");
}

static void test_translated(struct harness *h)
{
	static const struct pci_viommu_ops ops = { .dma_translate = h_translate, .dma_add = h_add_stream };
	struct pci_viommu iommu = { .ops = &ops, .opaque = &h->s };
	uint64_t ttb = h_alloc_pt(h), evt[4], l3;
	unsigned int ev0;
	struct dma_ctx d;
	struct iovec iov[4];
	uint8_t b[32], *p;

	h_enable(h);
	h_cd(h, CDS, ttb, 5);
	h_ste(h, SID, STE_S1(CDS), 0);
	/* IOVA 0x10000-0x11fff -> BUF1 (contiguous), 0x12000 -> BUF2, 0x13000 read-only -> BUF2+0x1000. */
	h_map(h, ttb, 0x10000, BUF1, true);
	h_map(h, ttb, 0x11000, BUF1 + 0x1000, true);
	h_map(h, ttb, 0x12000, BUF2, true);
	h_map(h, ttb, 0x13000, BUF2 + 0x1000, false);
	CHECK(dma_ctx_init(&d, &h->gm, &iommu, SID) == 0 && dma_translated(&d), "translated context, stream added");

	CHECK(dma_map(&d, 0x10800, 0x1000, false, iov, 4) == 1 && iov[0].iov_base == gmem_ptr(&h->gm, BUF1 + 0x800, 1) &&
	      iov[0].iov_len == 0x1000, "range over two IOVA pages that are host-contiguous: one iovec");
	CHECK(dma_map(&d, 0x11f00, 0x200, true, iov, 4) == 2 && iov[0].iov_len == 0x100 && iov[1].iov_len == 0x100 &&
	      iov[1].iov_base == gmem_ptr(&h->gm, BUF2, 1), "range over non-contiguous leaves: split in two");
	CHECK(dma_map(&d, 0x11f00, 0x200, true, iov, 1) == -E2BIG, "more pieces than iovecs: -E2BIG");
	p = gmem_ptr(&h->gm, BUF1 + 0x1ff0, 0x10);
	memset(p, 'a', 16);
	memset(gmem_ptr(&h->gm, BUF2, 16), 'b', 16);
	CHECK(dma_read(&d, 0x11ff0, b, 32) == 0 && b[0] == 'a' && b[15] == 'a' && b[16] == 'b' && b[31] == 'b',
	      "dma_read across a page split");
	CHECK(dma_write(&d, 0x11ffc, "wxyz1234", 8) == 0 && !memcmp(p + 12, "wxyz", 4) &&
	      !memcmp(gmem_ptr(&h->gm, BUF2, 4), "1234", 4), "dma_write across a page split");
	CHECK(dma_ptr(&d, 0x12002, 2, true) == gmem_ptr(&h->gm, BUF2 + 2, 2), "dma_ptr of a ring field");
	CHECK(h_nr_events(h) == 0 && d.nr_faults == 0, "no events for good accesses");

	/* An unmapped IOVA: F_TRANSLATION with our StreamID and the address. */
	ev0 = rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD);
	CHECK(dma_map(&d, 0x20000, 16, false, iov, 4) == -EFAULT, "unmapped IOVA faults");
	h_evt(h, ev0, evt);
	CHECK(h_nr_events(h) == 1 && (evt[0] & 0xff) == EVT_F_TRANSLATION && evt[0] >> 32 == SID &&
	      evt[2] == 0x20000 && (evt[1] & EVT1_RNW), "F_TRANSLATION event: StreamID, IOVA, read");
	CHECK(d.nr_faults == 1, "fault counted");
	/* Fault in the middle of a range: the whole access fails. */
	CHECK(dma_read(&d, 0x13ff0, b, 32) == -EFAULT, "range running into an unmapped page faults");
	/* Write to a read-only page: F_PERMISSION. */
	CHECK(dma_write(&d, 0x13000, "x", 1) == -EFAULT, "write to a read-only IOVA faults");
	h_evt(h, ev0 + 2, evt);
	CHECK((evt[0] & 0xff) == EVT_F_PERMISSION && evt[0] >> 32 == SID && !(evt[1] & EVT1_RNW) && evt[2] == 0x13000,
	      "F_PERMISSION event for the write");
	CHECK(dma_read(&d, 0x13000, b, 4) == 0, "read of the read-only IOVA works");
	CHECK(dma_map(&d, ~0ull - 0xff, 0x200, false, iov, 4) == -EFAULT, "wrapping IOVA range faults");

	/* Guest unmap: stale until its TLBI, faults after (strict mode). */
	l3 = gr64(h, gr64(h, ttb) & 0xfffffffff000ull) & 0xfffffffff000ull;
	CHECK(dma_read(&d, 0x10000, b, 4) == 0, "mapped page read (cached in the IOTLB)");
	gw64(h, l3 + 0x10 * 8, 0);
	CHECK(dma_read(&d, 0x10000, b, 4) == 0, "PTE cleared, no TLBI yet: the IOTLB still translates");
	h_cmd(h, CMD_TLBI_NH_VA | 5ull << 48, 0x10000);
	h_sync(h);
	ev0 = rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD);
	CHECK(dma_read(&d, 0x10000, b, 4) == -EFAULT, "after the guest's TLBI_NH_VA + SYNC the stale entry is gone");
	h_evt(h, ev0, evt);
	CHECK((evt[0] & 0xff) == EVT_F_TRANSLATION && evt[2] == 0x10000, "and the access records F_TRANSLATION");
	CHECK(dma_map(&d, 0x11000, 16, false, iov, 4) == 1, "the neighbouring page still translates");

	/* Hostile page tables: a table descriptor pointing outside RAM, then at garbage. */
	gw64(h, ttb + 8 * 1, NOT_RAM | 3);          /* L1 entry for IOVA 0x40000000.. */
	CHECK(dma_map(&d, 0x40000000, 16, false, iov, 4) == -EFAULT, "walk into non-RAM: fault, no crash");
	for (uint64_t a = 0; a < 512; a++)
		gw64(h, PGTABLES + 0x80000 + a * 8, 0xffffffffffffffffull);
	gw64(h, ttb + 8 * 2, (PGTABLES + 0x80000) | 3);
	CHECK(dma_map(&d, 0x80000000, 0x3000, true, iov, 4) == -EFAULT, "garbage descriptors: fault, no crash");
	CHECK(d.nr_faults >= 6, "faults counted (%llu)", (unsigned long long)d.nr_faults);

	/* Unknown stream (never added) and an aborting STE. */
	{
		struct dma_ctx other = { .mem = &h->gm, .iommu = &iommu, .sid = 77 };

		CHECK(dma_read(&other, 0x10000, b, 4) == -EFAULT, "StreamID never added: fault");
		h_ste(h, 9, STE_ABORT, 0);
		CHECK(dma_ctx_init(&other, &h->gm, &iommu, 9) == 0 && dma_read(&other, 0x1000, b, 4) == -EFAULT,
		      "aborting STE: fault");
	}
}

int main(void)
{
	struct harness h;

	if (h_init(&h, NULL)) {
		CHECK(0, "harness");
		return tap_done();
	}
	test_direct(&h);
	test_translated(&h);
	h_fini(&h);
	return tap_done();
}
