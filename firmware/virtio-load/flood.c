// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest-load payload: a guest that keeps a virtqueue non-empty forever. It republishes the same
 * transmitq chain of the virtio-console (1 MiB of '.' in 16 descriptors) as fast as the device
 * returns it, so the ring never drains, while it writes a progress counter to sector 0 of a
 * virtio-blk disk, one request at a time. It never ends: tests/testhost/guest_load.sh reads the
 * counter from the disk image to see that the event loop still serves the disk, sends SIGTERM and
 * measures how fast nestvm stops, and counts the console bytes that reach the host.
 */
#include "tap.h"
#include "vdev.h"

int main(void);

#define VIRTIO_ID_BLOCK         2
#define VIRTIO_ID_CONSOLE       3
#define CON_TXQ                 1               /* transmitq0 (5.3.2) */
#define CON_QSZ                 256
#define CON_SEGS                16
#define CON_SEG_LEN             65536
#define BLK_QSZ                 16
#define BLK_T_OUT               1               /* 5.2.6 */

/* Rings in the BSS (Normal write-back memory, identity mapped): alignment 16 / 2 / 4 (2.7.10.1). */
static struct vring_desc con_desc[CON_QSZ] __attribute__((aligned(4096)));
static volatile uint16_t con_avail[2 + CON_QSZ + 1] __attribute__((aligned(4096)));
static volatile uint16_t con_used[2 + 4 * CON_QSZ + 1] __attribute__((aligned(4096)));
static struct vring_desc blk_desc[BLK_QSZ] __attribute__((aligned(4096)));
static volatile uint16_t blk_avail[2 + BLK_QSZ + 1] __attribute__((aligned(4096)));
static volatile uint16_t blk_used[2 + 4 * BLK_QSZ + 1] __attribute__((aligned(4096)));
static uint8_t dots[CON_SEG_LEN] __attribute__((aligned(4096)));
static struct {
	uint32_t type, ioprio;
	uint64_t sector;
} blk_hdr __attribute__((aligned(16)));
static char blk_data[512] __attribute__((aligned(512)));
static volatile uint8_t blk_status;

/* Sector 0 reads "nestvm-flood N\n": the shell test takes N with sed. */
static void fill_sector(unsigned long long n)
{
	static const char tag[] = "nestvm-flood ";
	char num[24];
	unsigned int i = 0, k = 0;

	do {
		num[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	for (const char *t = tag; *t; t++)
		blk_data[i++] = *t;
	while (k)
		blk_data[i++] = num[--k];
	blk_data[i++] = '\n';
	while (i < sizeof(blk_data))
		blk_data[i++] = 0;
}

/* Writes "nestvm-flood N" to sector 0 (request chain head 0); returns the used index that ends it. */
static uint16_t blk_write(struct vq *bq, unsigned long long n)
{
	fill_sector(n);
	blk_status = 0xff;
	vq_add(bq, 0);
	vq_publish(bq);
	vq_notify(bq);
	return bq->avail_idx;
}

int main(void)
{
	struct vdev con, blk;
	struct vq txq, bq;
	unsigned long long done = 0;
	uint16_t blk_wait;

	tap_diag("nestvm guest-load payload: console transmitq kept full, disk counter");
	if (!tap_check(vdev_probe(&con, VIRTIO_ID_CONSOLE) &&
		       vdev_queue(&con, &txq, CON_TXQ, CON_QSZ, con_desc, con_avail, con_used) && vdev_driver_ok(&con),
		       "virtio-console transmitq set up") ||
	    !tap_check(vdev_probe(&blk, VIRTIO_ID_BLOCK) &&
		       vdev_queue(&blk, &bq, 0, BLK_QSZ, blk_desc, blk_avail, blk_used) && vdev_driver_ok(&blk),
		       "virtio-blk queue set up"))
		return (int)tap_done();

	for (unsigned int i = 0; i < CON_SEG_LEN; i++)
		dots[i] = '.';
	/* One chain, head 0: CON_SEGS device-readable buffers, all the same page run of dots. */
	for (unsigned int i = 0; i < CON_SEGS; i++)
		con_desc[i] = (struct vring_desc){ (uintptr_t)dots, CON_SEG_LEN,
						   i + 1 < CON_SEGS ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1) };
	/* The disk request, head 0: header, 512 bytes of data, status (5.2.6). */
	blk_hdr.type = BLK_T_OUT;
	blk_hdr.sector = 0;
	blk_desc[0] = (struct vring_desc){ (uintptr_t)&blk_hdr, sizeof(blk_hdr), VRING_DESC_F_NEXT, 1 };
	blk_desc[1] = (struct vring_desc){ (uintptr_t)blk_data, sizeof(blk_data), VRING_DESC_F_NEXT, 2 };
	blk_desc[2] = (struct vring_desc){ (uintptr_t)&blk_status, 1, VRING_DESC_F_WRITE, 0 };
	/* The disk works before the flood (bounded wait: a dead device fails the point, not the payload). */
	blk_wait = blk_write(&bq, ++done);
	for (unsigned long i = 0; i < 100000000ul && vq_used_idx(&bq) != blk_wait; i++)
		;
	if (!tap_check(vq_used_idx(&bq) == blk_wait && blk_status == 0, "virtio-blk write completes"))
		return (int)tap_done();
	tap_diag("flooding");
	blk_wait = blk_write(&bq, ++done);
	for (;;) {
		/* Republish the chain as soon as the device returns it: the ring never drains. Without
		 * EVENT_IDX a driver notifies after each publish (2.7.13.3.1): the device may be idle. */
		if (vq_pending(&txq) < CON_QSZ) {
			while (vq_pending(&txq) < CON_QSZ)
				vq_add(&txq, 0);
			vq_publish(&txq);
			vq_notify(&txq);
		}
		if (vq_used_idx(&bq) == blk_wait) {
			if (blk_status != 0)
				continue;       /* a failed write: the counter stops, the test sees it */
			blk_wait = blk_write(&bq, ++done);
		}
	}
}
