/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal modern virtio-pci driver (virtio 1.2 4.1) for bare-metal payloads: finds a function on
 * bus 0 of the ECAM, takes its common and notify structures from the vendor capabilities (4.1.4),
 * negotiates VIRTIO_F_VERSION_1 only (3.1.1) and sets up split queues (2.7) that the payload fills
 * itself. No interrupts: the payload polls the used rings.
 */
#ifndef FW_VDEV_H
#define FW_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#define ECAM_BASE       0x4010000000ul  /* nestvm arm64 map (src/arch/arm64/layout.h) */

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VRING_DESC_F_NEXT       1
#define VRING_DESC_F_WRITE      2

struct vq {
	uint16_t size;
	struct vring_desc *desc;
	volatile uint16_t *avail;       /* flags, idx, ring[size] */
	volatile uint16_t *used;        /* flags, idx, then {u32 id, u32 len}[size] */
	uint16_t avail_idx;             /* next avail->idx to publish */
	uintptr_t notify;               /* this queue's notify address (4.1.4.4) */
};

struct vdev {
	uintptr_t common;               /* struct virtio_pci_common_cfg in its BAR */
	uintptr_t notify_base;
	uint32_t notify_mult;
};

/* Finds virtio device DEVICE_ID (1af4:1040+id, 4.1.2.1) on bus 0, enables memory and bus mastering,
 * resets it and negotiates VERSION_1 (3.1.1 steps 1-6). */
bool vdev_probe(struct vdev *d, uint16_t device_id);
/* Queue Q of SIZE entries over the rings at DESC/AVAIL/USED (zeroed, aligned 16/2/4). */
bool vdev_queue(struct vdev *d, struct vq *q, unsigned int idx, uint16_t size, struct vring_desc *desc,
		volatile uint16_t *avail, volatile uint16_t *used);
/* Writes device_status 0 (a reset, 2.4.1); the caller waits for vdev_status to read 0. */
void vdev_reset(struct vdev *d);
uint8_t vdev_status(struct vdev *d);
/* DRIVER_OK (3.1.1 step 8); false if the device refused (status reads back without it). */
bool vdev_driver_ok(struct vdev *d);
/* Puts chain HEAD on the avail ring (not published yet). */
void vq_add(struct vq *q, uint16_t head);
/* Publishes what vq_add put on the ring (2.7.13: the ring entries before the index). */
void vq_publish(struct vq *q);
void vq_notify(struct vq *q);
uint16_t vq_used_idx(const struct vq *q);
/* Chains the driver made available that the device has not returned yet. */
uint16_t vq_pending(const struct vq *q);

#endif
