/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The DMA context of an emulated PCI function: how the bus addresses a device model is handed
 * (ring addresses, descriptor buffers) reach guest RAM. Without a vIOMMU they are guest physical
 * addresses (gmem_ptr, exactly as before). Behind a vIOMMU (--viommu) they are IOVAs of the function's
 * StreamID (= RID): every range is translated through the vIOMMU at the time of the access, so a
 * guest unmap + invalidation makes later accesses fault. A fault is recorded by the vIOMMU as its
 * own event (SMMUv3: F_TRANSLATION / F_PERMISSION with the StreamID) and the access fails with
 * -EFAULT; the device model then fails the request with its error status.
 */
#ifndef NESTVM_DEVICES_DMA_H
#define NESTVM_DEVICES_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/pci_viommu.h"
#include "iommu/viommu.h"

struct guest_mem;

struct dma_ctx {
	const struct guest_mem *mem;
	const struct pci_viommu *iommu; /* NULL: bus addresses are guest physical */
	uint32_t sid;
	uint64_t nr_faults;             /* accesses the IOMMU terminated (statistics, tests) */
};

/* Direct (IOMMU NULL) or translated context (the PCI host's vIOMMU); registers requester SID with it. */
int dma_ctx_init(struct dma_ctx *d, const struct guest_mem *mem, const struct pci_viommu *iommu, uint32_t sid);

static inline bool dma_translated(const struct dma_ctx *d)
{
	return d->iommu != NULL;
}

/*
 * Host iovecs covering [addr, addr+len) for a device read (WRITE false) or write of guest memory;
 * pieces that are contiguous in host memory are merged. Returns the number of iovecs (0 for len 0),
 * -EFAULT when any part faults or is not RAM (or the range wraps), -E2BIG when MAX are not enough.
 */
int dma_map(struct dma_ctx *d, uint64_t addr, uint64_t len, bool write, struct iovec *iov, unsigned int max);
/* Host pointer for [addr, addr+len) when it is one contiguous piece (e.g. an aligned ring field), else NULL. */
void *dma_ptr(struct dma_ctx *d, uint64_t addr, uint64_t len, bool write);
/* Copies out of / into guest memory at bus address ADDR; 0 or -EFAULT (nothing partial is reported). */
int dma_read(struct dma_ctx *d, uint64_t addr, void *buf, size_t len);
int dma_write(struct dma_ctx *d, uint64_t addr, const void *buf, size_t len);

#endif
