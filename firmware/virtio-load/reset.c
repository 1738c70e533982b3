// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reset-with-I/O-in-flight payload (virtio 1.2 2.4.1, 4.1.4.3.2): 64 virtio-blk reads are made
 * available at once, a first one of 4 KiB and 63 of 1 MiB; as soon as the small one has landed the
 * driver resets the device (the big ones still running) and waits for device_status to read 0. From then on the device must not write guest
 * memory: the payload marks the last 8 bytes of every buffer (the bytes a read copies last) and
 * checks, a while later, that no read overwrote a mark. Before nestvm held the reset for its
 * io_uring requests, status read 0 at once and the reads still running landed afterwards.
 */
#include "tap.h"
#include "vdev.h"

int main(void);

#define VIRTIO_ID_BLOCK         2
#define NR_READS                64
#define QSZ                     256             /* room for 3 descriptors per read */
#define READ_LEN                (1u << 20)
#define BUF_BASE                0x44000000ul    /* RAM base + 64 MiB: past the image, in the identity map */
#define BLK_T_IN                0               /* 5.2.6 */
#define MARK                    0x6d61726b2d6d6172ull  /* "ram-kram" */

static struct vring_desc desc[QSZ] __attribute__((aligned(4096)));
static volatile uint16_t avail[2 + QSZ + 1] __attribute__((aligned(4096)));
static volatile uint16_t used[2 + 4 * QSZ + 1] __attribute__((aligned(4096)));
static struct {
	uint32_t type, ioprio;
	uint64_t sector;
} hdr[NR_READS] __attribute__((aligned(16)));
static volatile uint8_t status[NR_READS];

/* Read 0 is small, so the reset comes while the others are still copying. */
static uint32_t read_len(unsigned int i)
{
	return i ? READ_LEN : 4096;
}

static volatile uint64_t *last_word(unsigned int i)
{
	return (volatile uint64_t *)(BUF_BASE + (uintptr_t)i * READ_LEN + read_len(i) - 8);
}

static unsigned int marks_overwritten(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < NR_READS; i++)
		n += *last_word(i) != MARK;
	return n;
}

int main(void)
{
	struct vdev blk;
	struct vq q;
	unsigned long held = 0;
	unsigned int done;

	tap_diag("nestvm reset payload: 4 KiB and %u reads of %u KiB in flight, then a reset", NR_READS - 1,
		 READ_LEN >> 10);
	if (!tap_check(vdev_probe(&blk, VIRTIO_ID_BLOCK) && vdev_queue(&blk, &q, 0, QSZ, desc, avail, used) &&
		       vdev_driver_ok(&blk), "virtio-blk queue set up"))
		return (int)tap_done();
	for (unsigned int i = 0; i < NR_READS; i++) {
		uint16_t h = (uint16_t)(3 * i);

		*last_word(i) = MARK;
		hdr[i].type = BLK_T_IN;
		hdr[i].sector = (uint64_t)i * (READ_LEN / 512);
		status[i] = 0xff;
		desc[h] = (struct vring_desc){ (uintptr_t)&hdr[i], sizeof(hdr[i]), VRING_DESC_F_NEXT, (uint16_t)(h + 1) };
		desc[h + 1] = (struct vring_desc){ BUF_BASE + (uintptr_t)i * READ_LEN, read_len(i),
						   VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, (uint16_t)(h + 2) };
		desc[h + 2] = (struct vring_desc){ (uintptr_t)&status[i], 1, VRING_DESC_F_WRITE, 0 };
		vq_add(&q, h);
	}
	vq_publish(&q);
	vq_notify(&q);
	/* Reset once the device is busy: the small read landed (its mark gone), the big ones go on. */
	for (unsigned long i = 0; i < 200000000ul && *last_word(0) == MARK; i++)
		;
	done = vq_used_idx(&q);
	tap_check(*last_word(0) != MARK, "the reads started (%u of %u completed just before the reset)", done,
		  NR_READS);
	vdev_reset(&blk);
	/* 4.1.4.3.2: the driver waits for device_status to read 0. */
	while (vdev_status(&blk) && held < 1000000000ul)
		held++;
	tap_check(!vdev_status(&blk), "device_status reads 0 after the reset (%lu reads of it before)", held);
	done = vq_used_idx(&q);
	/* Nothing of the old device may land from here on: mark every buffer's end again, then look. */
	for (unsigned int i = 0; i < NR_READS; i++)
		*last_word(i) = MARK;
	for (unsigned int round = 0; round < 20; round++) {
		for (unsigned long i = 0; i < 5000000ul; i++)
			__asm__ volatile("" ::: "memory");
		if (marks_overwritten())
			break;
	}
	tap_check(marks_overwritten() == 0, "no read wrote guest memory after device_status read 0 (%u buffers hit)",
		  marks_overwritten());
	tap_check(vq_used_idx(&q) == done, "no request was completed after that (used idx %u, %u then)",
		  (unsigned int)vq_used_idx(&q), done);
	return (int)tap_done();
}
