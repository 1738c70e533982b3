/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VFIO PCI device driven from userspace (include/uapi/linux/vfio.h): config space through the
 * config region, BAR0 mmapped (or read/written through its region when it cannot be mapped), and
 * MSI vector 0 signalled on an eventfd (VFIO_DEVICE_SET_IRQS).
 */
#ifndef NESTVM_GUEST_VFIO_PCI_H
#define NESTVM_GUEST_VFIO_PCI_H

#include <stdint.h>
#include <stddef.h>

struct vfio_pci {
	int fd;			/* VFIO device fd */
	uint64_t cfg_off;	/* config region offset in fd */
	uint64_t bar0_off;	/* BAR0 region offset in fd */
	uint64_t bar0_size;
	volatile uint8_t *bar0;	/* mmap of BAR0, NULL when it is accessed with pread/pwrite */
	int irq_fd;		/* eventfd of MSI vector 0, -1 until vfio_pci_msi_enable */
	uint64_t irqs;		/* interrupts counted by vfio_pci_wait_irq */
};

/* Takes over dev_fd (closed by vfio_pci_close, also on failure): finds the regions, enables memory
 * decoding and bus mastering, maps BAR0 (at least min_bar0 bytes). */
int vfio_pci_open(struct vfio_pci *vp, int dev_fd, uint64_t min_bar0);
void vfio_pci_close(struct vfio_pci *vp);

int vfio_pci_cfg_read(struct vfio_pci *vp, unsigned int off, void *buf, size_t len);
int vfio_pci_cfg_write(struct vfio_pci *vp, unsigned int off, const void *buf, size_t len);

/* BAR0 accesses of exactly 4 or 8 bytes (single loads/stores, in order with respect to each
 * other and to earlier/later normal memory accesses, like Linux's readl/writel). */
uint32_t vfio_pci_read32(struct vfio_pci *vp, unsigned int off);
void vfio_pci_write32(struct vfio_pci *vp, unsigned int off, uint32_t v);
uint64_t vfio_pci_read64(struct vfio_pci *vp, unsigned int off);
void vfio_pci_write64(struct vfio_pci *vp, unsigned int off, uint64_t v);
/* Polls BAR0 register REG (64-bit when IS64) until (value & MASK) == 0: 1, or 0 after TIMEOUT_MS. */
int vfio_pci_poll_clear(struct vfio_pci *vp, unsigned int reg, int is64, uint64_t mask, int timeout_ms);

/* Enables MSI with one vector on an eventfd. */
int vfio_pci_msi_enable(struct vfio_pci *vp);
/* Waits up to timeout_ms for the MSI eventfd; returns the number of interrupts that arrived since
 * the last call (added to vp->irqs), 0 on timeout, or -errno. */
int vfio_pci_wait_irq(struct vfio_pci *vp, int timeout_ms);

#endif
