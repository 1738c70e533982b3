// SPDX-License-Identifier: GPL-2.0-only
/* A VFIO PCI device driven from userspace (see vfio_pci.h). */
#include "vfio_pci.h"
#include "guest_util.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

/*
 * MMIO ordering, as Linux's writel/readl (arch/arm64/include/asm/io.h): a store to the device is
 * preceded by a barrier so the device sees our earlier buffer writes (DMA source data), and a load
 * is followed by one so later buffer reads see what the device wrote before it (DMA results).
 * arm64 uses single ldr/str instructions so that a trapped access has a valid syndrome (ISV) for the
 * hypervisor (ARM ARM D17.2.40 ESR_ELx ISS for data aborts). x86 UC accesses are ordered already.
 */
#if defined(__aarch64__)
#define mmio_wmb() asm volatile("dmb oshst" ::: "memory")
#define mmio_rmb() asm volatile("dmb oshld" ::: "memory")
static inline void st32(volatile void *a, uint32_t v) { asm volatile("str %w0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
static inline void st64(volatile void *a, uint64_t v) { asm volatile("str %x0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
static inline uint32_t ld32(const volatile void *a)
{
	uint32_t v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline uint64_t ld64(const volatile void *a)
{
	uint64_t v;

	asm volatile("ldr %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}
#else
#define mmio_wmb() asm volatile("" ::: "memory")
#define mmio_rmb() asm volatile("" ::: "memory")
static inline void st32(volatile void *a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void st64(volatile void *a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline uint32_t ld32(const volatile void *a) { return *(const volatile uint32_t *)a; }
static inline uint64_t ld64(const volatile void *a) { return *(const volatile uint64_t *)a; }
#endif

static int region_info(struct vfio_pci *vp, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (ioctl(vp->fd, VFIO_DEVICE_GET_REGION_INFO, ri) < 0)
		return gu_errno("VFIO_DEVICE_GET_REGION_INFO %u", index);
	return 0;
}

int vfio_pci_open(struct vfio_pci *vp, int dev_fd, uint64_t min_bar0)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri;
	uint16_t cmd;
	void *p;
	int ret;

	memset(vp, 0, sizeof(*vp));
	vp->fd = dev_fd;
	vp->irq_fd = -1;
	if (ioctl(vp->fd, VFIO_DEVICE_GET_INFO, &info) < 0) {
		ret = gu_errno("VFIO_DEVICE_GET_INFO");
		goto err;
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) || info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		ret = gu_err(ENODEV, "not a VFIO PCI device (flags %#x, %u regions)", info.flags, info.num_regions);
		goto err;
	}
	ret = region_info(vp, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (ret)
		goto err;
	vp->cfg_off = ri.offset;
	ret = region_info(vp, VFIO_PCI_BAR0_REGION_INDEX, &ri);
	if (ret)
		goto err;
	if (ri.size < min_bar0 || !(ri.flags & VFIO_REGION_INFO_FLAG_READ) ||
	    !(ri.flags & VFIO_REGION_INFO_FLAG_WRITE)) {
		ret = gu_err(ENODEV, "BAR0 is %llu bytes, flags %#x (want >= %llu bytes, read/write)",
			     (unsigned long long)ri.size, ri.flags, (unsigned long long)min_bar0);
		goto err;
	}
	vp->bar0_off = ri.offset;
	vp->bar0_size = ri.size;
	if (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) {
		p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, vp->fd, (off_t)ri.offset);
		if (p == MAP_FAILED) {
			ret = gu_errno("mmap BAR0 (%llu bytes)", (unsigned long long)ri.size);
			goto err;
		}
		vp->bar0 = p;
	}
	/* PCI Local Bus 3.0 6.2.2: Memory Space (bit 1) for BAR0, Bus Master (bit 2) for DMA and MSI. */
	ret = vfio_pci_cfg_read(vp, PCI_COMMAND, &cmd, sizeof(cmd));
	if (ret)
		goto err;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ret = vfio_pci_cfg_write(vp, PCI_COMMAND, &cmd, sizeof(cmd));
	if (ret)
		goto err;
	return 0;
err:
	vfio_pci_close(vp);
	return ret;
}

void vfio_pci_close(struct vfio_pci *vp)
{
	if (vp->irq_fd >= 0) {
		struct vfio_irq_set off = {
			.argsz = sizeof(off), .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_MSI_IRQ_INDEX, .start = 0, .count = 0,
		};

		/* Closing the device fd disables MSI too; doing it first keeps the eventfd unused. */
		if (ioctl(vp->fd, VFIO_DEVICE_SET_IRQS, &off) < 0)
			gu_errno("VFIO_DEVICE_SET_IRQS: disable MSI");
		close(vp->irq_fd);
		vp->irq_fd = -1;
	}
	if (vp->bar0)
		munmap((void *)vp->bar0, vp->bar0_size);
	vp->bar0 = NULL;
	if (vp->fd >= 0)
		close(vp->fd);
	vp->fd = -1;
}

int vfio_pci_cfg_read(struct vfio_pci *vp, unsigned int off, void *buf, size_t len)
{
	ssize_t n = pread(vp->fd, buf, len, (off_t)(vp->cfg_off + off));

	if (n != (ssize_t)len)
		return n < 0 ? gu_errno("config read %#x+%zu", off, len) : gu_err(EIO, "short config read %#x", off);
	return 0;
}

int vfio_pci_cfg_write(struct vfio_pci *vp, unsigned int off, const void *buf, size_t len)
{
	ssize_t n = pwrite(vp->fd, buf, len, (off_t)(vp->cfg_off + off));

	if (n != (ssize_t)len)
		return n < 0 ? gu_errno("config write %#x+%zu", off, len) : gu_err(EIO, "short config write %#x", off);
	return 0;
}

/* Region fallback when BAR0 is not mmappable: vfio-pci does one access of the given size. */
static void bar_rw(struct vfio_pci *vp, unsigned int off, void *v, size_t len, int write)
{
	ssize_t n;

	if (write)
		n = pwrite(vp->fd, v, len, (off_t)(vp->bar0_off + off));
	else
		n = pread(vp->fd, v, len, (off_t)(vp->bar0_off + off));
	if (n != (ssize_t)len) {
		if (!write)
			memset(v, 0xff, len);  /* what a failed PCI read returns */
		gu_errno("BAR0 %s %#x+%zu", write ? "write" : "read", off, len);
	}
}

uint32_t vfio_pci_read32(struct vfio_pci *vp, unsigned int off)
{
	uint32_t v;

	if (off > vp->bar0_size - 4)
		return ~0U;
	if (!vp->bar0) {
		bar_rw(vp, off, &v, sizeof(v), 0);
		return v;
	}
	v = ld32(vp->bar0 + off);
	mmio_rmb();
	return v;
}

void vfio_pci_write32(struct vfio_pci *vp, unsigned int off, uint32_t v)
{
	if (off > vp->bar0_size - 4)
		return;
	if (!vp->bar0) {
		bar_rw(vp, off, &v, sizeof(v), 1);
		return;
	}
	mmio_wmb();
	st32(vp->bar0 + off, v);
}

uint64_t vfio_pci_read64(struct vfio_pci *vp, unsigned int off)
{
	uint64_t v;

	if (off > vp->bar0_size - 8)
		return ~0ULL;
	if (!vp->bar0) {
		bar_rw(vp, off, &v, sizeof(v), 0);
		return v;
	}
	v = ld64(vp->bar0 + off);
	mmio_rmb();
	return v;
}

void vfio_pci_write64(struct vfio_pci *vp, unsigned int off, uint64_t v)
{
	if (off > vp->bar0_size - 8)
		return;
	if (!vp->bar0) {
		bar_rw(vp, off, &v, sizeof(v), 1);
		return;
	}
	mmio_wmb();
	st64(vp->bar0 + off, v);
}

int vfio_pci_msi_enable(struct vfio_pci *vp)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSI_IRQ_INDEX };
	/* struct vfio_irq_set ends in data[]: here one int32_t eventfd. */
	_Alignas(struct vfio_irq_set) uint8_t buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	int32_t efd;
	int fd;

	if (ioctl(vp->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0)
		return gu_errno("VFIO_DEVICE_GET_IRQ_INFO MSI");
	if (ii.count < 1 || !(ii.flags & VFIO_IRQ_INFO_EVENTFD))
		return gu_err(ENODEV, "device has no MSI vectors (count %u, flags %#x)", ii.count, ii.flags);
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return gu_errno("eventfd");
	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	efd = fd;
	memcpy(set->data, &efd, sizeof(efd));
	if (ioctl(vp->fd, VFIO_DEVICE_SET_IRQS, set) < 0) {
		int ret = gu_errno("VFIO_DEVICE_SET_IRQS: MSI vector 0 -> eventfd");

		close(fd);
		return ret;
	}
	vp->irq_fd = fd;
	return 0;
}

int vfio_pci_wait_irq(struct vfio_pci *vp, int timeout_ms)
{
	struct pollfd pfd = { .fd = vp->irq_fd, .events = POLLIN };
	uint64_t n;
	int r;

	if (vp->irq_fd < 0)
		return -EINVAL;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return gu_errno("poll MSI eventfd");
	if (r == 0)
		return 0;
	if (read(vp->irq_fd, &n, sizeof(n)) != (ssize_t)sizeof(n)) {
		if (errno == EAGAIN)
			return 0;
		return gu_errno("read MSI eventfd");
	}
	vp->irqs += n;
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int vfio_pci_poll_clear(struct vfio_pci *vp, unsigned int reg, int is64, uint64_t mask, int timeout_ms)
{
	long long end = gu_now_ms() + timeout_ms;

	for (;;) {
		/*
		 * The clock is read before the register: the last read always comes after the deadline,
		 * so a sleep that overran it (a loaded nested x86 L2's timer can be late by a minute)
		 * never turns a finished unit into a timeout.
		 */
		int late = gu_now_ms() >= end;
		uint64_t v = is64 ? vfio_pci_read64(vp, reg) : vfio_pci_read32(vp, reg);

		if (!(v & mask))
			return 1;
		if (late)
			return 0;
		usleep(1000);
	}
}
