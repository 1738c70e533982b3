// SPDX-License-Identifier: GPL-2.0-only
/* Split virtqueue parsing against well-formed and hostile rings in a fake guest RAM (memfd). */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "devices/dma.h"
#include "devices/virtqueue.h"
#include "tap.h"
#include "vmm/guest_mem.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (1ULL << 20)
#define DESC (RAM_BASE + 0x1000)
#define AVAIL (RAM_BASE + 0x3000)
#define USED (RAM_BASE + 0x4000)
#define BUF (RAM_BASE + 0x10000)
#define QSZ 16

static struct guest_mem gm;
static struct vring_desc *desc;
static struct vring_avail *avail;
static struct vring_used *used;
static struct virtq_elem e;

static void fresh(struct virtq *q, bool event_idx)
{
	memset(gmem_ptr(&gm, RAM_BASE, 0x10000), 0, 0x10000);
	if (virtq_init(q, &gm, QSZ, DESC, AVAIL, USED, event_idx))
		CHECK(0, "virtq_init of a good ring");
}

static void set_desc(struct vring_desc *t, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	t[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

/* Makes HEAD available as the next entry. */
static void offer(uint16_t head)
{
	avail->ring[avail->idx % QSZ] = head;
	avail->idx++;
}

static void test_init(void)
{
	struct virtq q;

	CHECK(virtq_init(&q, &gm, QSZ, DESC, AVAIL, USED, false) == 0, "good ring accepted");
	CHECK(virtq_init(&q, &gm, 0, DESC, AVAIL, USED, false) == -EINVAL, "size 0 rejected");
	CHECK(virtq_init(&q, &gm, 12, DESC, AVAIL, USED, false) == -EINVAL, "size not a power of 2 rejected");
	CHECK(virtq_init(&q, &gm, 2048, DESC, AVAIL, USED, false) == -EINVAL, "size above the maximum rejected");
	CHECK(virtq_init(&q, &gm, QSZ, DESC + 8, AVAIL, USED, false) == -EINVAL, "misaligned descriptor table rejected");
	CHECK(virtq_init(&q, &gm, QSZ, DESC, AVAIL + 1, USED, false) == -EINVAL, "misaligned avail ring rejected");
	CHECK(virtq_init(&q, &gm, QSZ, DESC, AVAIL, USED + 2, false) == -EINVAL, "misaligned used ring rejected");
	CHECK(virtq_init(&q, &gm, QSZ, 0x1000, AVAIL, USED, false) == -EINVAL, "descriptor table outside RAM rejected");
	CHECK(virtq_init(&q, &gm, QSZ, DESC, AVAIL, RAM_BASE + RAM_SIZE - 64, false) == -EINVAL,
	      "used ring straddling the end of RAM rejected");
	CHECK(virtq_init(&q, &gm, QSZ, 0xfffffffffffffff0ULL, AVAIL, USED, false) == -EINVAL,
	      "descriptor table at the top of the address space rejected");
}

static void test_good_chain(void)
{
	uint8_t *buf = gmem_ptr(&gm, BUF, 4096), tmp[32];
	struct iovec sl[4];
	struct virtq q;

	fresh(&q, false);
	CHECK(virtq_pop(&q, &e) == 0, "empty ring pops nothing");
	memcpy(buf, "0123456789abcdefXYZ", 19);
	set_desc(desc, 3, BUF, 10, VRING_DESC_F_NEXT, 5);
	set_desc(desc, 5, BUF + 10, 9, VRING_DESC_F_NEXT, 7);
	set_desc(desc, 7, BUF + 100, 8, VRING_DESC_F_WRITE, 0);
	offer(3);
	CHECK(virtq_pop(&q, &e) == 1, "a good chain pops");
	CHECK(e.head == 3 && e.nout == 2 && e.nin == 1 && e.out_len == 19 && e.in_len == 8, "chain shape: 2 out (19 bytes), 1 in (8)");
	CHECK(virtq_elem_read(&e, 8, tmp, 6) == 6 && !memcmp(tmp, "89abcd", 6), "read across buffers");
	CHECK(virtq_elem_read(&e, 15, tmp, 10) == 4, "read stops at the end of the readable part");
	CHECK(virtq_elem_write(&e, 2, "hello!", 6) == 6 && !memcmp(buf + 102, "hello!", 6), "write into the writable part");
	CHECK(virtq_elem_write(&e, 4, "0123456789", 10) == 4, "write stops at the end of the writable part");
	CHECK(virtq_elem_slice(&e, false, 8, 4, sl, 4) == 2 && sl[0].iov_len == 2 && sl[1].iov_len == 2,
	      "slice across two readable buffers");
	CHECK(virtq_elem_slice(&e, false, 8, 40, sl, 4) == -1, "slice past the end fails");
	CHECK(virtq_elem_slice(&e, false, 0, 19, sl, 1) == -1, "slice needing more entries than given fails");
	virtq_push(&q, e.head, 8);
	CHECK(used->idx == 1 && used->ring[0].id == 3 && used->ring[0].len == 8, "used ring updated");
	CHECK(virtq_need_notify(&q), "interrupt wanted without NO_INTERRUPT");
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	CHECK(!virtq_need_notify(&q), "NO_INTERRUPT suppresses the interrupt");
	CHECK(virtq_pop(&q, &e) == 0, "ring empty again");
	virtq_unpop(&q);
	CHECK(virtq_pop(&q, &e) == 1 && e.head == 3, "unpop returns the chain to the ring");

	/* Zero-length buffers are skipped, not rejected. */
	fresh(&q, false);
	set_desc(desc, 0, BUF, 0, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF, 4, 0, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == 1 && e.nout == 1 && e.out_len == 4, "zero-length buffer skipped");
}

static void test_indirect(void)
{
	struct vring_desc *ind = gmem_ptr(&gm, BUF + 0x2000, 0x2000);
	struct virtq q;

	fresh(&q, false);
	set_desc(ind, 0, BUF, 16, VRING_DESC_F_NEXT, 2);
	set_desc(ind, 2, BUF + 16, 512, VRING_DESC_F_NEXT, 1);
	set_desc(ind, 1, BUF + 600, 1, VRING_DESC_F_WRITE, 0);
	set_desc(desc, 4, BUF + 0x2000, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(4);
	CHECK(virtq_pop(&q, &e) == 1 && e.nout == 2 && e.nin == 1 && e.out_len == 528, "indirect chain pops");

	fresh(&q, false);
	set_desc(ind, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(ind, 1, BUF, 16, VRING_DESC_F_NEXT, 0);
	set_desc(desc, 0, BUF + 0x2000, 2 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL && q.broken, "indirect loop rejected");
	CHECK(virtq_pop(&q, &e) == -EINVAL, "a broken queue stays stopped");

	fresh(&q, false);
	set_desc(ind, 0, BUF + 0x2000, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(desc, 0, BUF + 0x2000, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "nested indirect rejected");

	fresh(&q, false);
	set_desc(desc, 0, BUF + 0x2000, 20, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "indirect length not a multiple of 16 rejected");

	fresh(&q, false);
	set_desc(desc, 0, BUF + 0x2000, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "INDIRECT with NEXT rejected");

	fresh(&q, false);
	set_desc(desc, 0, RAM_BASE + RAM_SIZE - 32, 64, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "indirect table past the end of RAM rejected");

	fresh(&q, false);
	set_desc(desc, 0, BUF + 0x2000, 0x10000 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "oversized indirect table rejected");

	/* More buffers than a chain may carry. */
	fresh(&q, false);
	for (unsigned int i = 0; i < VIRTQ_MAX_SEGS + 1; i++)
		set_desc(ind, i, BUF, 8, i < VIRTQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	set_desc(desc, 0, BUF + 0x2000, (VIRTQ_MAX_SEGS + 1) * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "chain with too many buffers rejected");
}

static void test_hostile(void)
{
	struct virtq q;

	fresh(&q, false);
	set_desc(desc, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF, 16, VRING_DESC_F_NEXT, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL && q.broken, "descriptor loop rejected");

	fresh(&q, false);
	set_desc(desc, 0, BUF, 16, VRING_DESC_F_NEXT, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "self-loop rejected");

	fresh(&q, false);
	set_desc(desc, 0, RAM_BASE + RAM_SIZE - 8, 16, 0, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "buffer past the end of RAM rejected");

	fresh(&q, false);
	set_desc(desc, 0, 0x1000, 16, 0, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "buffer below RAM rejected");

	fresh(&q, false);
	set_desc(desc, 0, 0xffffffffffffff00ULL, 0x1000, 0, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "address + length wrapping rejected");

	fresh(&q, false);
	set_desc(desc, 0, BUF, 0xffffffffu, 0, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "4 GiB length rejected");

	fresh(&q, false);
	set_desc(desc, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF, 8, 0, 0);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "readable buffer after a writable one rejected");

	fresh(&q, false);
	set_desc(desc, 0, BUF, 8, VRING_DESC_F_NEXT, QSZ);
	offer(0);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "next index out of range rejected");

	fresh(&q, false);
	offer(QSZ + 3);
	CHECK(virtq_pop(&q, &e) == -EINVAL, "head index out of range rejected");

	fresh(&q, false);
	avail->idx = QSZ + 1;
	CHECK(virtq_pop(&q, &e) == -EINVAL, "avail index jumping past the queue size rejected");

	fresh(&q, false);
	avail->idx = 0xffff;
	CHECK(virtq_pop(&q, &e) == -EINVAL, "avail index going backwards rejected");
}

static void test_event_idx(void)
{
	struct virtq q;
	uint16_t *used_event, *avail_event;

	fresh(&q, true);
	used_event = &avail->ring[QSZ];
	avail_event = (uint16_t *)&used->ring[QSZ];
	CHECK(virtq_pop(&q, &e) == 0 && *avail_event == 0, "empty pop publishes avail_event");
	for (uint16_t i = 0; i < 3; i++) {
		set_desc(desc, i, BUF, 8, VRING_DESC_F_WRITE, 0);
		offer(i);
	}
	for (int i = 0; i < 3; i++)
		CHECK(virtq_pop(&q, &e) == 1, "event_idx pop %d", i);
	CHECK(virtq_pop(&q, &e) == 0 && *avail_event == 3, "avail_event follows what we consumed");
	*used_event = 1;        /* driver: interrupt once used idx passes 1 */
	virtq_push(&q, 0, 0);
	CHECK(virtq_need_notify(&q), "first interrupt always sent");
	virtq_push(&q, 1, 0);
	CHECK(virtq_need_notify(&q), "interrupt when used idx crosses used_event");
	virtq_push(&q, 2, 0);
	CHECK(!virtq_need_notify(&q), "no interrupt past used_event");
}

/*
 * Translated mode (behind a vIOMMU): a fake IOMMU maps 4 KiB IOVA pages to scattered guest pages,
 * so ring fields, descriptors and buffers are only right when every access is translated.
 */
#define IOVA 0x7000000000ULL
#define NPAGES 8
static uint64_t iomap[NPAGES];      /* page -> GPA, 0: unmapped */
static unsigned int nr_xlate;

static int fake_translate(void *opaque, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	uint64_t pg = (iova - IOVA) >> 12;

	nr_xlate++;
	if (iova < IOVA || pg >= NPAGES || !iomap[pg])
		return -EFAULT;
	out->pa = iomap[pg] + (iova & 0xfff);
	out->len = 0x1000 - (iova & 0xfff);
	return 0;
}

static void *page(unsigned int pg)
{
	return gmem_ptr(&gm, iomap[pg], 0x1000);
}

static void test_translated(void)
{
	static const struct pci_viommu_ops ops = { .dma_translate = fake_translate };
	static const struct pci_viommu iommu = { .ops = &ops };
	struct dma_ctx direct, dma;
	struct vring_desc *td, *ind0, *ind1;
	struct vring_avail *ta;
	struct vring_used *tu;
	struct virtq q;
	uint8_t tmp[16];
	struct iovec sl[2];

	dma_ctx_init(&direct, &gm, NULL, 0);
	CHECK(virtq_init_dma(&q, &direct, QSZ, DESC, AVAIL, USED, false) == 0 && !q.dma && q.desc == desc,
	      "direct DMA context: the plain pointer rings");
	CHECK(dma_ctx_init(&dma, &gm, &iommu, 8) == 0, "translated context");
	for (unsigned int i = 0; i < NPAGES; i++)
		iomap[i] = BUF + 0x8000 + 0x2000ULL * i;   /* every other page: never host-contiguous */
	memset(gmem_ptr(&gm, BUF + 0x8000, 0x10000), 0, 0x10000);
	iomap[7] = 0;
	td = page(0);
	ta = page(1);
	tu = page(2);
	CHECK(virtq_init_dma(&q, &dma, QSZ, IOVA + 0x7000, IOVA + 0x1000, IOVA + 0x2000, false) == -EINVAL,
	      "translated: unmapped descriptor table refused at enable");
	CHECK(virtq_init_dma(&q, &dma, QSZ, IOVA, IOVA + 0x1000, IOVA + 0x6ff0, false) == -EINVAL,
	      "translated: used ring running into an unmapped page refused at enable");
	CHECK(virtq_init_dma(&q, &dma, QSZ, IOVA, IOVA + 0x1000, IOVA + 0x2000, true) == 0 && q.dma && !q.desc,
	      "translated: rings at IOVAs accepted");

	/* Chain: 2 bytes at the end of page 3 + 2 at the start of page 4 (one descriptor), then a
	 * writable buffer in page 4. */
	memcpy((uint8_t *)page(3) + 0xffe, "ab", 2);
	memcpy(page(4), "cd", 2);
	set_desc(td, 2, IOVA + 0x3ffe, 4, VRING_DESC_F_NEXT, 3);
	set_desc(td, 3, IOVA + 0x4100, 8, VRING_DESC_F_WRITE, 0);
	ta->ring[0] = 2;
	ta->idx = 1;
	CHECK(virtq_pop(&q, &e) == 1 && e.head == 2 && e.nout == 2 && e.nin == 1 && e.out_len == 4 && !e.faulted,
	      "translated pop: a buffer split over two IOVA pages becomes two iovecs");
	CHECK(virtq_elem_read(&e, 0, tmp, 4) == 4 && !memcmp(tmp, "abcd", 4), "buffer bytes read through the IOMMU");
	CHECK(virtq_elem_write(&e, 0, "XY", 2) == 2 && !memcmp((uint8_t *)page(4) + 0x100, "XY", 2),
	      "writable buffer written at its translated address");
	virtq_push(&q, e.head, 2);
	CHECK(tu->idx == 1 && tu->ring[0].id == 2 && tu->ring[0].len == 2, "used ring written through the IOMMU");
	CHECK(virtq_pop(&q, &e) == 0 && *(uint16_t *)&tu->ring[QSZ] == 1, "avail_event written through the IOMMU");

	/* Indirect table spanning pages 5 and 6 (not contiguous in guest RAM). */
	ind0 = (struct vring_desc *)((uint8_t *)page(5) + 0xff0);
	ind1 = page(6);
	set_desc(ind0, 0, IOVA + 0x3000, 16, VRING_DESC_F_NEXT, 1);
	set_desc(ind1, 0, IOVA + 0x4200, 1, VRING_DESC_F_WRITE, 0);
	set_desc(td, 0, IOVA + 0x5ff0, 32, VRING_DESC_F_INDIRECT, 0);
	ta->ring[1] = 0;
	ta->idx = 2;
	CHECK(virtq_pop(&q, &e) == 1 && e.nout == 1 && e.nin == 1 && e.out_len == 16 && !e.faulted,
	      "indirect table split over two IOVA pages");
	virtq_push(&q, e.head, 0);

	/* A buffer at an unmapped IOVA: the chain pops "faulted", only this request fails. */
	nr_xlate = 0;
	dma.nr_faults = 0;
	set_desc(td, 4, IOVA + 0x3000, 16, VRING_DESC_F_NEXT, 5);
	set_desc(td, 5, IOVA + 0x7000, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 6);
	set_desc(td, 6, IOVA + 0x4300, 1, VRING_DESC_F_WRITE, 0);
	ta->ring[2] = 4;
	ta->idx = 3;
	CHECK(virtq_pop(&q, &e) == 1 && e.faulted && !q.broken && e.nin == 2 && e.in_len == 513 &&
	      !e.iov[1].iov_base, "unmapped buffer: chain pops faulted, queue not broken");
	CHECK(dma.nr_faults == 1 && nr_xlate > 0, "the fault went to the IOMMU");
	CHECK(virtq_elem_slice(&e, true, 0, 512, sl, 2) == -1, "a slice touching the faulted buffer fails");
	CHECK(virtq_elem_write(&e, 512, "S", 1) == 1 && *((uint8_t *)page(4) + 0x300) == 'S',
	      "the status byte past the faulted buffer is still written");
	virtq_push(&q, e.head, 1);
	CHECK(tu->idx == 3, "faulted chain completed");

	/* The guest unmaps the used ring (after its TLBI, the IOMMU no longer translates it). */
	iomap[2] = 0;
	set_desc(td, 7, IOVA + 0x3000, 8, 0, 0);
	ta->ring[3] = 7;
	ta->idx = 4;
	CHECK(virtq_pop(&q, &e) == 1, "pop with the used ring gone (avail still mapped)");
	virtq_push(&q, e.head, 0);
	CHECK(q.broken, "push to an unmapped used ring breaks the queue");
	CHECK(virtq_pop(&q, &e) == -EINVAL, "and nothing more is processed");
	iomap[2] = BUF + 0x8000 + 0x4000;

	/* Unmapped avail ring. */
	CHECK(virtq_init_dma(&q, &dma, QSZ, IOVA, IOVA + 0x1000, IOVA + 0x2000, false) == 0, "re-enabled");
	iomap[1] = 0;
	CHECK(virtq_pop(&q, &e) == -EINVAL && q.broken, "unmapped avail ring: pop fails, queue broken");
	CHECK(virtq_need_notify(&q), "unreadable flags: interrupt anyway");
	iomap[1] = BUF + 0x8000 + 0x2000;
}

/*
 * The used ring needs only 4-byte alignment (2.7.10.1), so a used element (8 bytes) can straddle an
 * IOVA page; behind a vIOMMU the next page maps anywhere. Such a push must be written in its two
 * halves, not fail the queue.
 */
static void test_used_straddle(void)
{
	static const struct pci_viommu_ops ops = { .dma_translate = fake_translate };
	static const struct pci_viommu iommu = { .ops = &ops };
	struct vring_desc *td;
	struct vring_avail *ta;
	uint8_t *u2, *u3;
	struct dma_ctx dma;
	struct virtq q;
	bool ok = true;

	dma_ctx_init(&dma, &gm, &iommu, 8);
	for (unsigned int i = 0; i < NPAGES; i++)
		iomap[i] = BUF + 0x8000 + 0x2000ULL * i;   /* pages 2 and 3 not contiguous in RAM */
	memset(gmem_ptr(&gm, BUF + 0x8000, 0x10000), 0, 0x10000);
	td = page(0);
	ta = page(1);
	u2 = page(2);
	u3 = page(3);
	/* Used ring at IOVA page 2 + 0xfe8: element 2 is at 0xffc..0x1003, across the page end. */
	CHECK(virtq_init_dma(&q, &dma, QSZ, IOVA, IOVA + 0x1000, IOVA + 0x2fe8, false) == 0,
	      "used ring 4-byte aligned across two IOVA pages accepted");
	for (uint16_t i = 0; i < 3; i++) {
		set_desc(td, i, IOVA + 0x4000 + 0x100 * i, 8, VRING_DESC_F_WRITE, 0);
		ta->ring[i] = i;
	}
	ta->idx = 3;
	for (uint32_t i = 0; i < 3; i++) {
		ok &= virtq_pop(&q, &e) == 1 && e.head == i;
		virtq_push(&q, e.head, 100 + i);
	}
	CHECK(ok && !q.broken, "three pushes, the third element straddling the page: queue not broken");
	CHECK(*(uint16_t *)(u2 + 0xfea) == 3, "used->idx published");
	CHECK(*(uint32_t *)(u2 + 0xff4) == 1 && *(uint32_t *)(u2 + 0xff8) == 101, "element 1 inside page 2");
	CHECK(*(uint32_t *)(u2 + 0xffc) == 2 && *(uint32_t *)u3 == 102,
	      "element 2: id at the end of page 2, len at the start of page 3");
}

int main(void)
{
	if (gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false)) {
		SKIP("no memfd", "guest RAM");
		return tap_done();
	}
	desc = gmem_ptr(&gm, DESC, 16 * QSZ);
	avail = gmem_ptr(&gm, AVAIL, 6 + 2 * QSZ);
	used = gmem_ptr(&gm, USED, 6 + 8 * QSZ);
	test_init();
	test_good_chain();
	test_indirect();
	test_hostile();
	test_event_idx();
	test_translated();
	test_used_straddle();
	gmem_destroy(&gm);
	return tap_done();
}
