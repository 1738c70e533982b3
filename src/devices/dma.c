// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA contexts of emulated PCI functions (see dma.h). A translated range is walked one vIOMMU
 * translation at a time (each ends at most at its page/leaf end), each piece bounds-checked against
 * guest RAM with gmem_ptr. Nothing is cached here: the vIOMMU's IOTLB is the only cache, and the
 * guest's invalidations clear it, so strict-mode unmaps take effect on the next access.
 */
#include "devices/dma.h"

#include <errno.h>
#include <string.h>

#include "vmm/guest_mem.h"
#include "vmm/log.h"

int dma_ctx_init(struct dma_ctx *d, const struct guest_mem *mem, const struct pci_viommu *iommu, uint32_t sid)
{
	int r;

	*d = (struct dma_ctx){ .mem = mem, .iommu = iommu, .sid = sid };
	if (!iommu || !iommu->ops->dma_add)
		return 0;
	r = iommu->ops->dma_add(iommu->opaque, sid);
	if (r)
		return err_num(r, "vIOMMU: adding StreamID 0x%x", sid);
	return 0;
}

/* [addr, addr+len) with len > 0 does not wrap past the top of the 64-bit bus address space. */
static bool range_ok(uint64_t addr, uint64_t len)
{
	return len && len - 1 <= UINT64_MAX - addr;
}

/* The host piece at ADDR: at most LEFT bytes, contiguous in one translation. */
static void *piece(struct dma_ctx *d, uint64_t addr, uint64_t left, bool write, uint64_t *plen)
{
	struct viommu_xlate x;
	void *p;

	if (!d->iommu) {
		*plen = left;
		return gmem_ptr(d->mem, addr, left);
	}
	if (d->iommu->ops->dma_translate(d->iommu->opaque, d->sid, addr, write, &x)) {
		__atomic_add_fetch(&d->nr_faults, 1, __ATOMIC_RELAXED);
		pr_debug("dma: StreamID 0x%x: %s of IOVA 0x%llx faulted", d->sid, write ? "write" : "read",
			 (unsigned long long)addr);
		return NULL;
	}
	if (!x.len)
		return NULL;    /* a backend that maps nothing: never loop */
	*plen = x.len < left ? x.len : left;
	p = gmem_ptr(d->mem, x.pa, *plen);
	if (!p)
		pr_debug("dma: StreamID 0x%x: IOVA 0x%llx -> 0x%llx is not RAM", d->sid, (unsigned long long)addr,
			 (unsigned long long)x.pa);
	return p;
}

/*
 * Calls FN for each host piece of [addr, addr+len), in order; stops at the first nonzero return.
 * -EFAULT when a piece faults, is not RAM, or the range wraps.
 */
static int walk(struct dma_ctx *d, uint64_t addr, uint64_t len, bool write,
		int (*fn)(void *arg, uint8_t *p, uint64_t l), void *arg)
{
	if (!len)
		return 0;
	if (!range_ok(addr, len))
		return -EFAULT;
	while (len) {
		uint64_t l;
		uint8_t *p = piece(d, addr, len, write, &l);
		int r;

		if (!p)
			return -EFAULT;
		r = fn(arg, p, l);
		if (r)
			return r;
		addr += l;
		len -= l;
	}
	return 0;
}

struct iov_acc {
	struct iovec *iov;
	unsigned int n, max;
};

static int add_iov(void *arg, uint8_t *p, uint64_t l)
{
	struct iov_acc *a = arg;
	struct iovec *last = a->n ? &a->iov[a->n - 1] : NULL;

	if (last && (uint8_t *)last->iov_base + last->iov_len == p) {
		last->iov_len += l;     /* guest-contiguous pages are host-contiguous in one region */
		return 0;
	}
	if (a->n == a->max)
		return -E2BIG;
	a->iov[a->n++] = (struct iovec){ .iov_base = p, .iov_len = l };
	return 0;
}

int dma_map(struct dma_ctx *d, uint64_t addr, uint64_t len, bool write, struct iovec *iov, unsigned int max)
{
	struct iov_acc a = { .iov = iov, .max = max };
	int r = walk(d, addr, len, write, add_iov, &a);

	return r ? r : (int)a.n;
}

void *dma_ptr(struct dma_ctx *d, uint64_t addr, uint64_t len, bool write)
{
	struct iovec iov;

	return dma_map(d, addr, len, write, &iov, 1) == 1 ? iov.iov_base : NULL;
}

static int copy_out(void *arg, uint8_t *p, uint64_t l)
{
	uint8_t **b = arg;

	memcpy(*b, p, l);
	*b += l;
	return 0;
}

static int copy_in(void *arg, uint8_t *p, uint64_t l)
{
	const uint8_t **b = arg;

	memcpy(p, *b, l);
	*b += l;
	return 0;
}

int dma_read(struct dma_ctx *d, uint64_t addr, void *buf, size_t len)
{
	uint8_t *b = buf;

	return walk(d, addr, len, false, copy_out, &b);
}

int dma_write(struct dma_ctx *d, uint64_t addr, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	return walk(d, addr, len, true, copy_in, &b);
}
