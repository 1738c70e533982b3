// SPDX-License-Identifier: GPL-2.0-only
/* See vdev.h. Register and field offsets are virtio 1.2 4.1.4 (struct virtio_pci_common_cfg, 4.1.4.3). */
#include "vdev.h"

#include "smmu.h"       /* mmio_read32 / mmio_write32 */

#define PCI_VENDOR_ID           0x00
#define PCI_COMMAND             0x04
#define PCI_COMMAND_MEMORY      0x2
#define PCI_COMMAND_MASTER      0x4
#define PCI_BAR0                0x10
#define PCI_CAP_PTR             0x34
#define PCI_CAP_ID_VNDR         0x09

#define CAP_COMMON              1       /* VIRTIO_PCI_CAP_COMMON_CFG (4.1.4) */
#define CAP_NOTIFY              2

#define CC_DFSELECT             0x00
#define CC_GFSELECT             0x08
#define CC_GF                   0x0c
#define CC_STATUS               0x14
#define CC_Q_SELECT             0x16
#define CC_Q_SIZE               0x18
#define CC_Q_ENABLE             0x1c
#define CC_Q_NOFF               0x1e
#define CC_Q_DESC               0x20
#define CC_Q_DRIVER             0x28
#define CC_Q_DEVICE             0x30

#define S_ACKNOWLEDGE           1       /* 2.1 device status bits */
#define S_DRIVER                2
#define S_DRIVER_OK             4
#define S_FEATURES_OK           8

static void w8(uintptr_t a, uint8_t v)
{
	__asm__ volatile("dsb sy\n\tstrb %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static void w16(uintptr_t a, uint16_t v)
{
	__asm__ volatile("dsb sy\n\tstrh %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static uint8_t r8(uintptr_t a)
{
	uint8_t v;

	__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static uint16_t r16(uintptr_t a)
{
	uint16_t v;

	__asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static uint32_t cfg32(unsigned int dev, unsigned int reg)
{
	return mmio_read32(ECAM_BASE + ((uintptr_t)dev << 15) + reg);
}

static uintptr_t bar_addr(unsigned int dev, unsigned int bar)
{
	uint32_t lo = cfg32(dev, PCI_BAR0 + 4 * bar);
	uintptr_t a = lo & ~0xfu;

	if ((lo & 6) == 4)      /* 64-bit memory BAR: the next one holds the high half */
		a |= (uintptr_t)cfg32(dev, PCI_BAR0 + 4 * bar + 4) << 32;
	return a;
}

bool vdev_probe(struct vdev *d, uint16_t device_id)
{
	uint32_t want = (0x1040u + device_id) << 16 | 0x1af4;
	unsigned int dev, cap, n;

	for (dev = 0; dev < 32; dev++)
		if (cfg32(dev, PCI_VENDOR_ID) == want)
			break;
	if (dev == 32)
		return false;
	mmio_write32(ECAM_BASE + ((uintptr_t)dev << 15) + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	d->common = d->notify_base = 0;
	for (cap = cfg32(dev, PCI_CAP_PTR) & 0xfc, n = 0; cap && n < 48; cap = (cfg32(dev, cap) >> 8) & 0xfc, n++) {
		uint32_t h = cfg32(dev, cap);
		uintptr_t at;

		if ((h & 0xff) != PCI_CAP_ID_VNDR)
			continue;
		/* struct virtio_pci_cap: cfg_type at 3, bar at 4, offset at 8 (4.1.4). */
		at = bar_addr(dev, cfg32(dev, cap + 4) & 0xff) + cfg32(dev, cap + 8);
		if (h >> 24 == CAP_COMMON && !d->common) {
			d->common = at;
		} else if (h >> 24 == CAP_NOTIFY && !d->notify_base) {
			d->notify_base = at;
			d->notify_mult = cfg32(dev, cap + 16);
		}
	}
	if (!d->common || !d->notify_base)
		return false;
	/* 3.1.1: reset, and wait for it to read back 0 (4.1.4.3.2). */
	vdev_reset(d);
	for (n = 0; vdev_status(d); n++)
		if (n > 10000000)
			return false;
	w8(d->common + CC_STATUS, S_ACKNOWLEDGE | S_DRIVER);
	mmio_write32(d->common + CC_GFSELECT, 0);
	mmio_write32(d->common + CC_GF, 0);
	mmio_write32(d->common + CC_GFSELECT, 1);
	mmio_write32(d->common + CC_GF, 1);             /* VIRTIO_F_VERSION_1 (bit 32) */
	w8(d->common + CC_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	return r8(d->common + CC_STATUS) & S_FEATURES_OK;
}

static void w64(uintptr_t a, uint64_t v)
{
	mmio_write32(a, (uint32_t)v);
	mmio_write32(a + 4, (uint32_t)(v >> 32));
}

bool vdev_queue(struct vdev *d, struct vq *q, unsigned int idx, uint16_t size, struct vring_desc *desc,
		volatile uint16_t *avail, volatile uint16_t *used)
{
	w16(d->common + CC_Q_SELECT, (uint16_t)idx);
	if (r16(d->common + CC_Q_SIZE) < size)
		return false;
	w16(d->common + CC_Q_SIZE, size);
	w64(d->common + CC_Q_DESC, (uintptr_t)desc);
	w64(d->common + CC_Q_DRIVER, (uintptr_t)avail);
	w64(d->common + CC_Q_DEVICE, (uintptr_t)used);
	w16(d->common + CC_Q_ENABLE, 1);
	*q = (struct vq){ .size = size, .desc = desc, .avail = avail, .used = used,
			  .notify = d->notify_base + (uintptr_t)r16(d->common + CC_Q_NOFF) * d->notify_mult };
	return r16(d->common + CC_Q_ENABLE) == 1;
}

void vdev_reset(struct vdev *d)
{
	w8(d->common + CC_STATUS, 0);
}

uint8_t vdev_status(struct vdev *d)
{
	return r8(d->common + CC_STATUS);
}

bool vdev_driver_ok(struct vdev *d)
{
	w8(d->common + CC_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return r8(d->common + CC_STATUS) & S_DRIVER_OK;
}

void vq_add(struct vq *q, uint16_t head)
{
	q->avail[2 + q->avail_idx % q->size] = head;
	q->avail_idx++;
}

void vq_publish(struct vq *q)
{
	__atomic_store_n(&q->avail[1], q->avail_idx, __ATOMIC_RELEASE);
}

void vq_notify(struct vq *q)
{
	w16(q->notify, 0);
}

uint16_t vq_used_idx(const struct vq *q)
{
	return __atomic_load_n(&q->used[1], __ATOMIC_ACQUIRE);
}

uint16_t vq_pending(const struct vq *q)
{
	return (uint16_t)(q->avail_idx - vq_used_idx(q));
}
