/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A DMA address space for one VFIO PCI device, as seen by a userspace driver: how the device fd is
 * obtained and which bus address a buffer of ours has for the device. Two backends:
 *
 *  - iommufd (dma_iommufd.c): the device's VFIO cdev (/dev/vfio/devices/vfioN) bound to /dev/iommu,
 *    attached to a fresh IOAS, and buffers mapped with IOMMU_IOAS_MAP at IOVAs we choose. Needs an
 *    IOMMU in front of the device: L1 (QEMU's SMMUv3 / VT-d), or an L2 with a vIOMMU (issue #5).
 *  - noiommu (dma_noiommu.c): an L2 without an IOMMU. Linux 7.2 gives no-IOMMU devices no cdev
 *    (drivers/vfio/vfio.h, vfio_device_add), so the device comes from its group node
 *    /dev/vfio/noiommu-N with an iommufd as the "container" (VFIO_GROUP_SET_CONTAINER; iommufd's
 *    vfio_compat.c then puts the context in no-IOMMU mode), and a buffer's bus address is its
 *    physical address from /proc/self/pagemap. Needs vfio.enable_unsafe_noiommu_mode=1,
 *    CAP_SYS_RAWIO and CAP_SYS_ADMIN (PFNs).
 *
 * Buffers handed to map() must stay mapped and locked (mlock) until close(): noiommu cannot pin.
 */
#ifndef NESTVM_GUEST_DMA_SPACE_H
#define NESTVM_GUEST_DMA_SPACE_H

#include <stddef.h>
#include <stdint.h>

struct dma_space;

struct dma_space_ops {
	const char *name;
	/* Opens the device (a PCI address "0000:00:02.0", or for iommufd also a cdev path) ready
	 * for DMA; stores its VFIO device fd in *dev_fd. */
	int (*open_device)(struct dma_space *ds, const char *dev, int *dev_fd);
	/* Makes [va, va + len) reachable by the device and returns the address it must use. */
	int (*map)(struct dma_space *ds, void *va, size_t len, uint64_t *iova);
	/* Releases everything open_device and map made, also after a failed open_device; call
	 * after closing the device fd. */
	void (*close)(struct dma_space *ds);
};

struct dma_space {
	const struct dma_space_ops *ops;
	int iommufd;		/* /dev/iommu (both backends) */
	int group_fd;		/* noiommu: /dev/vfio/noiommu-N */
	int pagemap_fd;		/* noiommu: /proc/self/pagemap */
	uint32_t dev_id;	/* iommufd: from VFIO_DEVICE_BIND_IOMMUFD */
	uint32_t ioas_id;	/* iommufd */
	uint64_t next_iova;	/* iommufd: where the next map() goes (0: choose) */
	uint64_t iova_last;	/* iommufd: inclusive end of the allowed range next_iova is in */
};

extern const struct dma_space_ops dma_iommufd_ops, dma_noiommu_ops;

/* Initializes ds for ops (all fds -1); iova: iommufd's first IOVA, 0 to choose one. */
void dma_space_init(struct dma_space *ds, const struct dma_space_ops *ops, uint64_t iova);

#endif
