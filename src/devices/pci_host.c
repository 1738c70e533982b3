// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCIe root complex: bus 0 only, ECAM (PCIe 4.0 7.2.2) at the arch layout's window and, on x86,
 * configuration mechanism #1 at 0xCF8/0xCFC (PCI 3.0 3.2.2.3.2). A host bridge function sits at
 * 00.0; devices take slots 1..31 (single-function). Memory BARs are pre-assigned from the windows
 * the way firmware would, because x86 Linux with ACPI _CRS may keep what it finds; the guest may
 * move them and the function follows.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "vmm/bus.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define CF8_PORT 0xcf8
#define CFC_PORT 0xcfc

static const struct pci_dev_ops bridge_ops = { 0 };

void pci_host_cfg_access(struct pci_host *h, uint32_t bus, uint32_t devfn, uint32_t reg, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct pci_dev *d = NULL;

	if (len <= 4 && bus == 0 && devfn < 256 && !(devfn & 7))
		d = h->slot[devfn >> 3];
	/* Bus 0's functions never change once the guest runs: no lock. Behind a bridge, it routes. */
	for (unsigned int s = 1; len <= 4 && bus && bus < 256 && devfn < 256 && s < PCI_NR_SLOTS; s++) {
		struct pci_dev *b = h->slot[s];

		if (b && b->ops->route_cfg && b->ops->route_cfg(b, bus, devfn, reg, data, len, is_write))
			return;
	}
	if (!d) {
		/* No function: reads complete with all-ones (PCIe 4.0 2.3.2, unsupported request). */
		if (!is_write)
			memset(data, 0xff, len > 8 ? 8 : len);
		return;
	}
	if (is_write)
		pci_dev_cfg_write(d, reg, data, len);
	else
		pci_dev_cfg_read(d, reg, data, len);
}

static void ecam_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	/* PCIe 4.0 7.2.2: offset = bus << 20 | device << 15 | function << 12 | register. */
	pci_host_cfg_access(opaque, (uint32_t)(off >> 20), (uint32_t)(off >> 12) & 0xff, (uint32_t)off & 0xfff,
			    data, len, is_write);
}

static void cf8_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_host *h = opaque;

	if (off == 0 && len == 4) {
		pthread_mutex_lock(&h->lock);
		if (is_write)
			h->cf8 = (uint32_t)pci_le_get(data, 4);
		else
			pci_le_put(data, 4, h->cf8);
		pthread_mutex_unlock(&h->lock);
		return;
	}
	if (off == 1 && len == 1 && h->cf9_fn) {
		h->cf9_fn(h->cf9_opaque, 0, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0, len);
}

static void cfc_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_host *h = opaque;
	uint32_t a;

	pthread_mutex_lock(&h->lock);
	a = h->cf8;
	pthread_mutex_unlock(&h->lock);
	/* Bit 31 enables the data window; bits 23:16 bus, 15:8 devfn, 7:2 dword register. */
	if (!(a & 0x80000000u) || off + len > 4) {
		if (!is_write)
			memset(data, 0xff, len > 8 ? 8 : len);
		return;
	}
	pci_host_cfg_access(h, (a >> 16) & 0xff, (a >> 8) & 0xff, (a & 0xfc) + (uint32_t)off, data, len, is_write);
}

int pci_host_create(struct vm *vm)
{
	const struct arch_layout *l = vm_layout(vm);
	struct pci_host *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return err_num(ENOMEM, "PCI host");
	h->vm = vm;
	pthread_mutex_init(&h->lock, NULL);
	/* Red Hat / QEMU PCIe host bridge ids: Linux has no quirks for them. */
	pci_dev_init(&h->bridge, vm, &bridge_ops, "pci-host", 0x1b36, 0x0008, PCI_CLASSCODE_HOST_BRIDGE << 8, 0x1af4,
		     0x1100);
	h->bridge.host = h;
	h->slot[0] = &h->bridge;
	h->mmio32_next = l->pci_mmio32_base;
	h->mmio64_next = l->pci_mmio64_base;
	h->next_bus = 1;
	if (l->pci_ecam_size) {
		r = bus_register(&vm->mmio, l->pci_ecam_base, l->pci_ecam_size, ecam_access, h, "pci-ecam");
		if (r) {
			err_num(r, "PCI ECAM at 0x%llx", (unsigned long long)l->pci_ecam_base);
			goto err;
		}
		h->ecam_on = true;
		h->ecam_base = l->pci_ecam_base;
		h->ecam_size = l->pci_ecam_size;
	}
	if (l->pci_cf8) {
		r = bus_register(&vm->pio, CF8_PORT, 4, cf8_access, h, "pci-cf8");
		if (!r) {
			r = bus_register(&vm->pio, CFC_PORT, 4, cfc_access, h, "pci-cfc");
			if (r)
				bus_unregister(&vm->pio, CF8_PORT, h);
		}
		if (r) {
			err_num(r, "PCI ports 0xcf8/0xcfc");
			goto err;
		}
		h->cf8_on = true;
	}
	vm->pci = h;
	return 0;
err:
	if (h->ecam_on)
		bus_unregister(&vm->mmio, h->ecam_base, h);
	pci_dev_fini(&h->bridge);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return r;
}

int pci_host_set_ecam(struct pci_host *h, uint64_t base, uint64_t size)
{
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (h->ecam_on && (h->ecam_base != base || h->ecam_size != size)) {
		bus_unregister(&h->vm->mmio, h->ecam_base, h);
		h->ecam_on = false;
	}
	if (size && !h->ecam_on) {
		/* PCIe 4.0 7.2.2: 1 MiB per bus, at most 256 buses. */
		if (size > 256u << 20 || size & ((1u << 20) - 1) || base & (size - 1) || base + size < base)
			r = -EINVAL;
		else
			r = bus_register(&h->vm->mmio, base, size, ecam_access, h, "pci-ecam");
		if (!r) {
			h->ecam_on = true;
			h->ecam_base = base;
			h->ecam_size = size;
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (r)
		pr_err("PCI ECAM at 0x%llx (0x%llx bytes): %s; config space stays reachable through ports 0xcf8/0xcfc only",
		       (unsigned long long)base, (unsigned long long)size,
		       r == -EEXIST ? "it overlaps another device" : "not a naturally aligned window of 1-256 buses");
	return r;
}

void pci_host_set_bridge(struct pci_host *h, const struct pci_dev_ops *ops, const char *name, uint16_t vendor,
			 uint16_t device, uint32_t class_rev, uint16_t subsys_vendor, uint16_t subsys)
{
	pci_dev_fini(&h->bridge);
	pci_dev_init(&h->bridge, h->vm, ops, name, vendor, device, class_rev, subsys_vendor, subsys);
	h->bridge.host = h;
}

void pci_host_set_cf9(struct pci_host *h, bus_access_fn fn, void *opaque)
{
	h->cf9_fn = fn;
	h->cf9_opaque = opaque;
}

void pci_host_remove_all(struct pci_host *h)
{
	for (unsigned int s = PCI_NR_SLOTS - 1; s > 0; s--) {
		struct pci_dev *d = h->slot[s];

		if (!d)
			continue;
		pci_host_remove(h, d);
		if (d->ops->destroy)
			d->ops->destroy(d);
	}
	/* The cdevs are closed (that detached them): the vIOMMU's nested objects can go, before the IOAS. */
	if (h->viommu.ops && h->viommu.ops->release_vfio)
		h->viommu.ops->release_vfio(h->viommu.opaque);
}

void pci_host_destroy(struct vm *vm)
{
	struct pci_host *h = vm->pci;

	if (!h)
		return;
	if (h->ecam_on)
		bus_unregister(&vm->mmio, h->ecam_base, h);
	if (h->cf8_on) {
		bus_unregister(&vm->pio, CF8_PORT, h);
		bus_unregister(&vm->pio, CFC_PORT, h);
	}
	pci_host_remove_all(h);
	pci_dev_fini(&h->bridge);
	pthread_mutex_destroy(&h->lock);
	free(h);
	vm->pci = NULL;
}

int pci_host_set_viommu(struct pci_host *h, const struct pci_viommu_ops *ops, void *opaque)
{
	if (ops && h->viommu.ops)
		return err_num(EBUSY, "PCI host: a second vIOMMU (%s)", ops->name);
	h->viommu = (struct pci_viommu){ .ops = ops, .opaque = ops ? opaque : NULL };
	return 0;
}

const struct pci_viommu *pci_host_viommu(const struct pci_host *h)
{
	return h && h->viommu.ops ? &h->viommu : NULL;
}

int pci_host_viommu_attach_vfio(struct pci_host *h, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t rid)
{
	const struct pci_viommu *v = pci_host_viommu(h);

	if (!v || !v->ops->attach_vfio)
		return 0;
	return v->ops->attach_vfio(v->opaque, vfio_fd, dev_id, ioas, rid);
}

void pci_host_viommu_detach_vfio(struct pci_host *h, uint32_t rid)
{
	const struct pci_viommu *v = pci_host_viommu(h);

	if (v && v->ops->detach_vfio)
		v->ops->detach_vfio(v->opaque, rid);
}

bool pci_host_viommu_iopf_offered(struct pci_host *h, uint32_t rid)
{
	const struct pci_viommu *v = pci_host_viommu(h);

	return v && v->ops->iopf_offered && v->ops->set_iopf && v->ops->iopf_offered(v->opaque, rid);
}

unsigned int pci_host_viommu_pasid_bits(struct pci_host *h, uint32_t rid)
{
	const struct pci_viommu *v = pci_host_viommu(h);

	return v && v->ops->pasid_bits ? v->ops->pasid_bits(v->opaque, rid) : 0;
}

void pci_host_viommu_set_iopf(struct pci_host *h, uint32_t rid, bool on)
{
	const struct pci_viommu *v = pci_host_viommu(h);

	if (v && v->ops->set_iopf)
		v->ops->set_iopf(v->opaque, rid, on);
}

int pci_host_msi_translate(const struct pci_host *h, uint32_t rid, uint64_t *addr, uint32_t *data, bool report)
{
	const struct pci_viommu *v = pci_host_viommu(h);

	if (!v || !v->ops->msi_translate)
		return 0;
	return v->ops->msi_translate(v->opaque, rid, addr, data, report);
}

/* Bump allocation of a naturally aligned SIZE from [base, base+wsize); bounded by the window. */
static bool window_alloc(uint64_t *next, uint64_t base, uint64_t wsize, uint64_t size, uint64_t *out)
{
	uint64_t a = (*next + size - 1) & ~(size - 1);

	if (!wsize || a < *next || a + size < a || a + size > base + wsize)
		return false;
	*out = a;
	*next = a + size;
	return true;
}

int pci_host_alloc_bus(struct pci_host *h, const char *who)
{
	/* PCIe 4.0 7.2.2: the ECAM has 1 MiB per bus; the guest is told of that many (DT bus-range, MCFG). */
	uint64_t buses = vm_layout(h->vm)->pci_ecam_size >> 20;
	int b = -ENOSPC;

	pthread_mutex_lock(&h->lock);
	if (h->next_bus < buses && h->next_bus < 256)
		b = (int)h->next_bus++;
	pthread_mutex_unlock(&h->lock);
	if (b < 0)
		pr_err("%s: no bus number left (the ECAM decodes %llu buses)", who, (unsigned long long)buses);
	return b;
}

unsigned int pci_host_nr_buses(const struct pci_host *h)
{
	return h->next_bus;
}

int pci_host_add(struct pci_host *h, struct pci_dev *d)
{
	return pci_host_add_slot(h, d, 0);
}

int pci_host_add_slot(struct pci_host *h, struct pci_dev *d, unsigned int slot)
{
	const struct arch_layout *l = vm_layout(h->vm);
	unsigned int s;

	pthread_mutex_lock(&h->lock);
	if (slot) {
		s = slot < PCI_NR_SLOTS && !h->slot[slot] ? slot : PCI_NR_SLOTS;
	} else {
		for (s = 1; s < PCI_NR_SLOTS && h->slot[s]; s++)
			;
	}
	if (s == PCI_NR_SLOTS) {
		pthread_mutex_unlock(&h->lock);
		if (slot)
			pr_err("%s: PCI slot %u is not free", d->name, slot);
		else
			pr_err("%s: no free PCI slot", d->name);
		return -ENOSPC;
	}
	/*
	 * Non-prefetchable BARs go in the 32-bit window, which every OS treats as non-prefetchable;
	 * 64-bit BARs fall back to the 64-bit window when it is full.
	 */
	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &d->bar[i];
		uint64_t addr;

		if (!b->size || b->io)
			continue;
		if (!window_alloc(&h->mmio32_next, l->pci_mmio32_base, l->pci_mmio32_size, b->size, &addr) &&
		    !(b->is64 && window_alloc(&h->mmio64_next, l->pci_mmio64_base, l->pci_mmio64_size, b->size, &addr))) {
			pthread_mutex_unlock(&h->lock);
			pr_err("%s: no room for BAR%u (0x%llx bytes) in the PCI windows", d->name, i,
			       (unsigned long long)b->size);
			return -ENOSPC;
		}
		pci_dev_set_bar_addr(d, i, addr);
	}
	d->host = h;
	d->devfn = (uint8_t)(s << 3);
	h->slot[s] = d;
	pthread_mutex_unlock(&h->lock);
	pr_debug("%s: PCI 00:%02x.0", d->name, s);
	return 0;
}

void pci_host_remove(struct pci_host *h, struct pci_dev *d)
{
	pthread_mutex_lock(&h->lock);
	if (d->devfn >> 3 && h->slot[d->devfn >> 3] == d)
		h->slot[d->devfn >> 3] = NULL;
	pthread_mutex_unlock(&h->lock);
	pci_dev_unmap_bars(d);
}
