// SPDX-License-Identifier: GPL-2.0-only
/*
 * Modern virtio-pci transport (virtio 1.2 4.1). BAR0 (64-bit memory) holds the common config, ISR,
 * device config and notify structures described by vendor capabilities (4.1.4); BAR2 holds the MSI-X
 * table and PBA. Each queue's notify address is an ioeventfd whose eventfd the event loop watches;
 * an MMIO write that still reaches us (no ioeventfd) signals the same eventfd.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/virtio.h"
#include "devices/virtio_pci_state.h"
#include "vmm/evloop.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040       /* 4.1.2.1: 0x1040 + virtio device id */

static struct virtio_dev *to_vdev(struct pci_dev *d)
{
	return (struct virtio_dev *)((char *)d - offsetof(struct virtio_dev, pci));
}

bool virtio_has_feature(const struct virtio_dev *v, unsigned int bit)
{
	return v->guest_features & (1ULL << bit);
}

bool virtio_queue_ready(struct virtio_dev *v, unsigned int q)
{
	return q < v->nr_queues && (v->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(v->status & VIRTIO_CONFIG_S_NEEDS_RESET) && v->q[q].enabled && !v->q[q].vq.broken;
}

static void fire_vector(struct virtio_dev *v, uint16_t vec)
{
	if (vec != VIRTIO_NO_VECTOR)
		pci_msix_notify(&v->msix, vec);
}

void virtio_queue_interrupt(struct virtio_dev *v, unsigned int q)
{
	if (q >= v->nr_queues)
		return;
	/* Behind a vIOMMU a push can find the used ring unmapped: tell the driver (2.1.2). */
	if (v->q[q].vq.broken)
		virtio_set_needs_reset(v);
	if (!virtq_need_notify(&v->q[q].vq))
		return;
	v->isr |= 1;        /* 4.1.4.5: queue interrupt */
	fire_vector(v, v->q[q].msix_vector);
}

void virtio_set_needs_reset(struct virtio_dev *v)
{
	if (v->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	pr_debug("%s: device needs reset", v->name);
	v->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* 2.1.2: a device entering NEEDS_RESET after DRIVER_OK sends a config change notification. */
	if (v->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		v->config_gen++;
		v->isr |= VIRTIO_PCI_ISR_CONFIG;
		fire_vector(v, v->msix_config);
	}
}

static void kick(struct virtio_queue *q)
{
	uint64_t one = 1;

	if (write(q->kick_fd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		pr_debug("%s: kick eventfd: %s", q->vdev->name, strerror(errno));
}

void virtio_queue_kick(struct virtio_dev *v, unsigned int q)
{
	if (q < v->nr_queues)
		kick(&v->q[q]);
}

/* Loop thread: the driver notified a queue (through KVM's ioeventfd or our MMIO handler). */
static bool kick_ready(void *opaque, int fd)
{
	struct virtio_queue *q = opaque;
	struct virtio_dev *v = q->vdev;
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		pr_debug("%s: queue %u eventfd: %s", v->name, q->idx, strerror(errno));
	pthread_mutex_lock(&v->lock);
	if (virtio_queue_ready(v, q->idx))
		v->ops->queue_notify(v, q->idx);
	pthread_mutex_unlock(&v->lock);
	return true;
}

static void reset(struct virtio_dev *v)
{
	for (unsigned int i = 0; i < v->nr_queues; i++) {
		struct virtio_queue *q = &v->q[i];

		q->enabled = false;
		q->size = v->max_queue_size;
		q->msix_vector = VIRTIO_NO_VECTOR;
		q->desc = q->driver = q->device = 0;
		memset(&q->vq, 0, sizeof(q->vq));
	}
	v->guest_features = 0;
	v->dfselect = v->gfselect = 0;
	v->status = 0;
	v->isr = 0;
	v->msix_config = VIRTIO_NO_VECTOR;
	v->queue_select = 0;
	v->reset_gen++;
	if (v->ops->reset)
		v->ops->reset(v);
}

void virtio_reset_done(struct virtio_dev *v)
{
	if (!v->reset_held)
		return;
	pr_debug("%s: reset complete (requests from before it finished)", v->name);
	v->reset_held = false;
}

static void status_write(struct virtio_dev *v, uint8_t val)
{
	uint8_t old = v->status;

	if (!val) {
		reset(v);
		/* 2.4.1 / 4.1.4.3.2: the reset completes when device_status reads 0, and no DMA of the
		 * old instance may land after that (the driver may free or IOMMU-unmap the buffers). */
		if (old && v->ops->reset_busy && v->ops->reset_busy(v)) {
			v->reset_held = true;
			v->held_status = old;
		}
		return;
	}
	/* 3.1.1 / 2.2: FEATURES_OK only sticks for a subset of ours that includes VERSION_1; behind a
	 * vIOMMU also ACCESS_PLATFORM (6.1: a device MAY refuse a driver that would bypass it). */
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((v->guest_features & ~v->host_features) || !virtio_has_feature(v, VIRTIO_F_VERSION_1) ||
	     (dma_translated(&v->dma) && !virtio_has_feature(v, VIRTIO_F_ACCESS_PLATFORM)))) {
		pr_debug("%s: features 0x%llx refused", v->name, (unsigned long long)v->guest_features);
		val &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	v->status = val | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Buffers made available before DRIVER_OK may have had their notification ignored. */
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		for (unsigned int i = 0; i < v->nr_queues; i++)
			if (v->q[i].enabled)
				kick(&v->q[i]);
}

static uint16_t valid_vector(struct virtio_dev *v, uint16_t vec)
{
	/* 4.1.5.1.2: a vector we cannot map reads back as NO_VECTOR. */
	return vec < v->msix.nr ? vec : VIRTIO_NO_VECTOR;
}

static void queue_enable(struct virtio_dev *v, struct virtio_queue *q)
{
	int r;

	if (q->enabled)
		return;
	/* Behind a vIOMMU the three addresses are IOVAs (ACCESS_PLATFORM, enforced at FEATURES_OK). */
	r = virtq_init_dma(&q->vq, &v->dma, q->size, q->desc, q->driver, q->device,
			   virtio_has_feature(v, VIRTIO_RING_F_EVENT_IDX));
	if (r) {
		pr_debug("%s: queue %u: bad ring (size %u desc 0x%llx driver 0x%llx device 0x%llx)", v->name, q->idx,
			 q->size, (unsigned long long)q->desc, (unsigned long long)q->driver,
			 (unsigned long long)q->device);
		virtio_set_needs_reset(v);
		return;
	}
	q->enabled = true;
}

/* The common configuration structure as the driver reads it (4.1.4.3). */
static void common_image(struct virtio_dev *v, uint8_t img[VIRTIO_COMMON_LEN])
{
	struct virtio_queue *q = v->queue_select < v->nr_queues ? &v->q[v->queue_select] : NULL;

	memset(img, 0, VIRTIO_COMMON_LEN);
	pci_le_put(img + VIRTIO_PCI_COMMON_DFSELECT, 4, v->dfselect);
	pci_le_put(img + VIRTIO_PCI_COMMON_DF, 4, v->dfselect < 2 ? (uint32_t)(v->host_features >> (32 * v->dfselect)) : 0);
	pci_le_put(img + VIRTIO_PCI_COMMON_GFSELECT, 4, v->gfselect);
	pci_le_put(img + VIRTIO_PCI_COMMON_GF, 4, v->gfselect < 2 ? (uint32_t)(v->guest_features >> (32 * v->gfselect)) : 0);
	pci_le_put(img + VIRTIO_PCI_COMMON_MSIX, 2, v->msix_config);
	pci_le_put(img + VIRTIO_PCI_COMMON_NUMQ, 2, v->nr_queues);
	img[VIRTIO_PCI_COMMON_STATUS] = v->reset_held ? v->held_status : v->status;
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = v->config_gen;
	pci_le_put(img + VIRTIO_PCI_COMMON_Q_SELECT, 2, v->queue_select);
	if (!q)
		return;     /* 4.1.4.3.2: a nonexistent queue reads queue_size 0 */
	pci_le_put(img + VIRTIO_PCI_COMMON_Q_SIZE, 2, q->size);
	pci_le_put(img + VIRTIO_PCI_COMMON_Q_MSIX, 2, q->msix_vector);
	pci_le_put(img + VIRTIO_PCI_COMMON_Q_ENABLE, 2, q->enabled);
	pci_le_put(img + VIRTIO_PCI_COMMON_Q_NOFF, 2, q->idx);
	pci_le_put(img + VIRTIO_PCI_COMMON_Q_DESCLO, 8, q->desc);
	pci_le_put(img + VIRTIO_PCI_COMMON_Q_AVAILLO, 8, q->driver);
	pci_le_put(img + VIRTIO_PCI_COMMON_Q_USEDLO, 8, q->device);
}

static void set_half(uint64_t *field, uint64_t off_in_field, uint32_t len, uint64_t val)
{
	if (len == 8)
		*field = val;
	else if (off_in_field == 0)
		*field = (*field & 0xffffffff00000000ULL) | (uint32_t)val;
	else
		*field = (*field & 0xffffffffULL) | val << 32;
}

static void common_write(struct virtio_dev *v, uint64_t off, uint32_t len, uint64_t val)
{
	struct virtio_queue *q = v->queue_select < v->nr_queues ? &v->q[v->queue_select] : NULL;
	/* 4.1.3.1: fields are accessed at their own width; 64-bit ones also as two dwords. */
	bool w1 = len == 1, w2 = len == 2, w4 = len == 4, w48 = len == 4 || (len == 8 && !(off & 7));

	if (v->reset_held) {
		/* 4.1.4.3.2: the driver waits for device_status 0 before it programs the device again. */
		pr_debug("%s: write 0x%llx while the reset completes: ignored", v->name, (unsigned long long)off);
	} else if (off == VIRTIO_PCI_COMMON_DFSELECT && w4) {
		v->dfselect = (uint32_t)val;
	} else if (off == VIRTIO_PCI_COMMON_GFSELECT && w4) {
		v->gfselect = (uint32_t)val;
	} else if (off == VIRTIO_PCI_COMMON_GF && w4) {
		/* 3.1.1: features are fixed once FEATURES_OK is set. */
		if (v->gfselect < 2 && !(v->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			unsigned int sh = 32 * v->gfselect;

			v->guest_features = (v->guest_features & ~(0xffffffffULL << sh)) | (val & 0xffffffffULL) << sh;
		}
	} else if (off == VIRTIO_PCI_COMMON_MSIX && w2) {
		v->msix_config = valid_vector(v, (uint16_t)val);
	} else if (off == VIRTIO_PCI_COMMON_STATUS && w1) {
		status_write(v, (uint8_t)val);
	} else if (off == VIRTIO_PCI_COMMON_Q_SELECT && w2) {
		v->queue_select = (uint16_t)val;
	} else if (!q) {
		pr_debug("%s: write 0x%llx to queue %u that does not exist", v->name, (unsigned long long)off,
			 v->queue_select);
	} else if (off == VIRTIO_PCI_COMMON_Q_MSIX && w2) {
		q->msix_vector = valid_vector(v, (uint16_t)val);
	} else if (off == VIRTIO_PCI_COMMON_Q_ENABLE && w2) {
		if (val == 1)
			queue_enable(v, q);
	} else if (q->enabled) {
		/* 4.1.4.3.2: queue fields are fixed while the queue is enabled. */
		pr_debug("%s: queue %u: write 0x%llx while enabled", v->name, q->idx, (unsigned long long)off);
	} else if (off == VIRTIO_PCI_COMMON_Q_SIZE && w2) {
		q->size = (uint16_t)val;    /* checked (power of two, <= max) at enable */
		if (q->size > v->max_queue_size)
			q->size = v->max_queue_size;
	} else if (off >= VIRTIO_PCI_COMMON_Q_DESCLO && off < VIRTIO_PCI_COMMON_Q_DESCLO + 8 && w48) {
		set_half(&q->desc, off - VIRTIO_PCI_COMMON_Q_DESCLO, len, val);
	} else if (off >= VIRTIO_PCI_COMMON_Q_AVAILLO && off < VIRTIO_PCI_COMMON_Q_AVAILLO + 8 && w48) {
		set_half(&q->driver, off - VIRTIO_PCI_COMMON_Q_AVAILLO, len, val);
	} else if (off >= VIRTIO_PCI_COMMON_Q_USEDLO && off < VIRTIO_PCI_COMMON_Q_USEDLO + 8 && w48) {
		set_half(&q->device, off - VIRTIO_PCI_COMMON_Q_USEDLO, len, val);
	} else {
		pr_debug("%s: ignored common config write 0x%llx/%u", v->name, (unsigned long long)off, len);
	}
}

static void bar0_access(struct virtio_dev *v, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	if (off >= VIRTIO_NOTIFY_OFF && off < VIRTIO_NOTIFY_OFF + (uint64_t)v->nr_queues * VIRTIO_NOTIFY_MULT) {
		/* 4.1.4.4: each queue has its own notify address; the value written does not matter. */
		if (is_write)
			kick(&v->q[(off - VIRTIO_NOTIFY_OFF) / VIRTIO_NOTIFY_MULT]);
		else
			memset(data, 0, len);
		return;
	}
	if (!is_write)
		memset(data, 0, len);
	pthread_mutex_lock(&v->lock);
	if (off + len <= VIRTIO_COMMON_OFF + VIRTIO_COMMON_LEN) {
		if (is_write) {
			common_write(v, off - VIRTIO_COMMON_OFF, len, pci_le_get(data, len));
		} else {
			uint8_t img[VIRTIO_COMMON_LEN];

			common_image(v, img);
			memcpy(data, img + off - VIRTIO_COMMON_OFF, len);
		}
	} else if (off >= VIRTIO_ISR_OFF && off + len <= VIRTIO_ISR_OFF + VIRTIO_ISR_LEN) {
		/* 4.1.4.5: reading the ISR status clears it. */
		if (!is_write && off == VIRTIO_ISR_OFF) {
			data[0] = v->isr;
			v->isr = 0;
		}
	} else if (off >= VIRTIO_DEVCFG_OFF && off + len <= VIRTIO_DEVCFG_OFF + (uint64_t)v->config_len) {
		uint32_t o = (uint32_t)(off - VIRTIO_DEVCFG_OFF);

		if (!is_write)
			memcpy(data, v->config + o, len);
		else if (v->ops->config_write)
			v->ops->config_write(v, o, data, len);
	} else {
		pr_debug("%s: ignored BAR0 access 0x%llx/%u", v->name, (unsigned long long)off, len);
	}
	pthread_mutex_unlock(&v->lock);
}

static void vp_bar_access(struct pci_dev *d, unsigned int bar, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	struct virtio_dev *v = to_vdev(d);

	if (bar == VIRTIO_BAR)
		bar0_access(v, off, data, len, is_write);
	else if (!(bar == VIRTIO_MSIX_BAR && pci_msix_bar_access(&v->msix, off, data, len, is_write)) && !is_write)
		memset(data, 0, len);
}

static void ioeventfd(struct virtio_dev *v, struct virtio_queue *q, uint64_t addr, bool assign)
{
	/* Any-length MMIO match (KVM_CAP_IOEVENTFD_ANY_LENGTH): drivers write 16-bit queue indexes. */
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = 0,
		.fd = q->kick_fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (v->vm->vm_fd < 0 || q->ioeventfd == assign)
		return;
	if (ioctl(v->vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		/* Not fatal: notify writes then exit to userspace and reach bar0_access. */
		pr_debug("%s: KVM_IOEVENTFD queue %u at 0x%llx: %s", v->name, q->idx, (unsigned long long)addr,
			 strerror(errno));
		return;
	}
	q->ioeventfd = assign;
	q->ioeventfd_addr = addr;
}

static void vp_bar_remap(struct pci_dev *d, unsigned int bar, uint64_t addr, bool mapped)
{
	struct virtio_dev *v = to_vdev(d);

	if (bar != VIRTIO_BAR)
		return;
	for (unsigned int i = 0; i < v->nr_queues; i++) {
		struct virtio_queue *q = &v->q[i];

		if (q->ioeventfd)
			ioeventfd(v, q, q->ioeventfd_addr, false);
		if (mapped)
			ioeventfd(v, q, addr + VIRTIO_NOTIFY_OFF + i * VIRTIO_NOTIFY_MULT, true);
	}
}

/* VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): a config-space window onto the BARs. */
static bool pci_cfg_window(struct virtio_dev *v, uint32_t reg, uint32_t len, uint8_t *bar, uint32_t *off,
			   uint32_t *blen)
{
	uint32_t data = v->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	if (!v->cfg_cap || reg >= data + 4 || reg + len <= data)
		return false;
	pthread_mutex_lock(&v->pci.lock);
	*bar = v->pci.cfg[v->cfg_cap + VIRTIO_PCI_CAP_BAR];
	*off = pci_cfg_get32(&v->pci, v->cfg_cap + VIRTIO_PCI_CAP_OFFSET);
	*blen = pci_cfg_get32(&v->pci, v->cfg_cap + VIRTIO_PCI_CAP_LENGTH);
	pthread_mutex_unlock(&v->pci.lock);
	return (*blen == 1 || *blen == 2 || *blen == 4) && !(*off & (*blen - 1)) &&
	       (*bar == VIRTIO_BAR || *bar == VIRTIO_MSIX_BAR);
}

static void vp_cfg_read(struct pci_dev *d, uint32_t reg, uint8_t *data, uint32_t len)
{
	struct virtio_dev *v = to_vdev(d);
	uint32_t base = v->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), off, blen;
	uint8_t bar, buf[4] = { 0 };

	if (!pci_cfg_window(v, reg, len, &bar, &off, &blen))
		return;
	vp_bar_access(d, bar, off, buf, blen, false);
	for (uint32_t i = 0; i < len; i++)
		if (reg + i >= base && reg + i < base + 4)
			data[i] = buf[reg + i - base];
}

static void vp_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	struct virtio_dev *v = to_vdev(d);
	uint32_t base = v->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), off, blen;
	uint8_t bar, buf[4];

	if (!pci_cfg_window(v, reg, len, &bar, &off, &blen))
		return;
	pthread_mutex_lock(&d->lock);
	memcpy(buf, &d->cfg[base], 4);
	pthread_mutex_unlock(&d->lock);
	vp_bar_access(d, bar, off, buf, blen, true);
}

static void vp_destroy(struct pci_dev *d)
{
	struct virtio_dev *v = to_vdev(d);

	v->ops->destroy(v);
}

static const struct pci_dev_ops virtio_pci_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
	.bar_access = vp_bar_access,
	.bar_remap = vp_bar_remap,
	.destroy = vp_destroy,
	.lu_quiesce = virtio_pci_lu_quiesce,
	.lu_save = virtio_pci_lu_save,
	.lu_resume = virtio_pci_lu_resume,
	.lu_restore = virtio_pci_lu_restore,
};

static int add_vcap(struct virtio_dev *v, uint8_t type, uint8_t bar, uint32_t off, uint32_t len, uint32_t extra,
		    uint8_t cap_len)
{
	uint8_t body[sizeof(struct virtio_pci_cfg_cap) - 2] = { 0 };

	/* struct virtio_pci_cap (4.1.4) minus cap_vndr/cap_next. */
	body[0] = cap_len;
	body[1] = type;
	body[2] = bar;
	pci_le_put(body + VIRTIO_PCI_CAP_OFFSET - 2, 4, off);
	pci_le_put(body + VIRTIO_PCI_CAP_LENGTH - 2, 4, len);
	pci_le_put(body + sizeof(struct virtio_pci_cap) - 2, 4, extra);
	return pci_dev_add_cap(&v->pci, PCI_CAP_ID_VNDR, cap_len, body);
}

static uint32_t class_of(uint16_t device_id)
{
	switch (device_id) {
	case 2: return PCI_CLASSCODE_STORAGE_OTHER;     /* block */
	case 3: return PCI_CLASSCODE_COMM_OTHER;        /* console */
	default: return PCI_CLASSCODE_OTHER;
	}
}

int virtio_pci_init(struct virtio_dev *v, struct vm *vm, const struct virtio_dev_ops *ops, const char *name,
		    uint16_t device_id, uint64_t host_features, uint16_t nr_queues, uint16_t max_queue_size,
		    uint8_t *config, uint32_t config_len)
{
	int r, off;

	if (!nr_queues || nr_queues > VIRTIO_MAX_QUEUES || nr_queues + 1u > PCI_MSIX_MAX_VECTORS ||
	    config_len > VIRTIO_DEVCFG_LEN || !max_queue_size || max_queue_size > VIRTQ_MAX_SIZE ||
	    (max_queue_size & (max_queue_size - 1)))
		return -EINVAL;
	memset(v, 0, offsetof(struct virtio_dev, q));
	v->vm = vm;
	v->ops = ops;
	v->name = name;
	v->device_id = device_id;
	v->host_features = host_features | 1ULL << VIRTIO_F_VERSION_1;
	if (pci_host_viommu(vm->pci))
		v->host_features |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	dma_ctx_init(&v->dma, &vm->mem, NULL, 0);     /* the stream is known at virtio_pci_add */
	v->nr_queues = nr_queues;
	v->max_queue_size = max_queue_size;
	v->config = config;
	v->config_len = config_len;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		v->q[i] = (struct virtio_queue){ .vdev = v, .idx = i, .kick_fd = -1 };
	pthread_mutex_init(&v->lock, NULL);
	reset(v);
	pci_dev_init(&v->pci, vm, &virtio_pci_ops, name, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + device_id,
		     class_of(device_id) << 8 | 1 /* 4.1.2.1: revision 1 */, VIRTIO_PCI_VENDOR,
		     /* 4.1.2.1: a non-transitional device SHOULD have a subsystem device ID of 0x40 or
		      * higher; UEFI's virtio 1.0 PCI driver (edk2 Virtio10Dxe) skips the device otherwise. */
		     0x40 + device_id);
	r = pci_dev_add_bar(&v->pci, VIRTIO_BAR, VIRTIO_BAR_SIZE, true, false);
	if (!r)
		r = pci_dev_add_bar(&v->pci, VIRTIO_MSIX_BAR, VIRTIO_MSIX_BAR_SIZE, true, false);
	if (r)
		goto err;
	/* 4.1.4: the structures, and the config-space access window the spec requires. */
	if ((r = add_vcap(v, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_BAR, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN, 0,
			  sizeof(struct virtio_pci_cap))) < 0 ||
	    (r = add_vcap(v, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_BAR, VIRTIO_NOTIFY_OFF, nr_queues * VIRTIO_NOTIFY_MULT,
			  VIRTIO_NOTIFY_MULT, sizeof(struct virtio_pci_notify_cap))) < 0 ||
	    (r = add_vcap(v, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_BAR, VIRTIO_ISR_OFF, VIRTIO_ISR_LEN, 0,
			  sizeof(struct virtio_pci_cap))) < 0 ||
	    (config_len && (r = add_vcap(v, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_BAR, VIRTIO_DEVCFG_OFF, config_len, 0,
					 sizeof(struct virtio_pci_cap))) < 0) ||
	    (r = off = add_vcap(v, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, 0, sizeof(struct virtio_pci_cfg_cap))) < 0)
		goto err;
	v->cfg_cap = (uint8_t)off;
	/* The window's bar, offset, length and data fields are driver-writable. */
	v->pci.wmask[off + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(&v->pci.wmask[off + VIRTIO_PCI_CAP_OFFSET], 0xff, 8);
	memset(&v->pci.wmask[off + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data)], 0xff, 4);
	r = pci_msix_init(&v->msix, &v->pci, nr_queues + 1u, VIRTIO_MSIX_BAR, 0, VIRTIO_MSIX_PBA_OFF);
	if (r)
		goto err;
	r = pci_dev_add_pcie_cap(&v->pci);
	if (r < 0)
		goto err;
	for (unsigned int i = 0; i < nr_queues; i++) {
		struct virtio_queue *q = &v->q[i];

		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0) {
			r = err_errno("%s: queue eventfd", name);
			goto err;
		}
		if (vm->loop) {
			r = evloop_watch(vm->loop, q->kick_fd, kick_ready, q, &q->watch);
			if (r)
				goto err;
		}
	}
	return 0;
err:
	if (r == -ENOSPC || r == -EINVAL)
		pr_err("%s: virtio-pci setup failed: %s", name, strerror(-r));
	virtio_pci_fini(v);
	return r;
}

int virtio_pci_add(struct virtio_dev *v)
{
	int r = pci_host_add(v->vm->pci, &v->pci);

	if (r)
		return r;
	/* IHI 0070 / the DT iommu-map: StreamID = RID. Registered before the guest runs. */
	r = dma_ctx_init(&v->dma, &v->vm->mem, pci_host_viommu(v->vm->pci), pci_dev_requester_id(&v->pci));
	if (r)
		pci_host_remove(v->vm->pci, &v->pci);
	return r;
}

void virtio_pci_fini(struct virtio_dev *v)
{
	pci_dev_unmap_bars(&v->pci);
	for (unsigned int i = 0; i < v->nr_queues; i++) {
		struct virtio_queue *q = &v->q[i];

		if (q->watch)
			evloop_unwatch(v->vm->loop, q->watch);
		q->watch = NULL;
		if (q->kick_fd >= 0)
			close(q->kick_fd);
		q->kick_fd = -1;
	}
	pci_msix_fini(&v->msix);
	pci_dev_fini(&v->pci);
	pthread_mutex_destroy(&v->lock);
}
