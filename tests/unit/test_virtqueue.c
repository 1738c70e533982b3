// SPDX-License-Identifier: GPL-2.0-only
/* Split virtqueue parsing against well-formed and hostile rings in a fake guest RAM (memfd). */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

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
	gmem_destroy(&gm);
	return tap_done();
}
