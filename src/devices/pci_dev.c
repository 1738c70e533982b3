// SPDX-License-Identifier: GPL-2.0-only
/*
 * A generic PCI function: emulated config space with per-byte write masks and W1C bits, BAR sizing
 * and programming, and the capability list. BAR ranges follow COMMAND.MEM/IO and the BAR registers on
 * the VM's buses.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "devices/pci.h"
#include "devices/pci_msix.h"
#include "vmm/bus.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static void set_wmask16(struct pci_dev *d, uint32_t reg, uint16_t m)
{
	d->wmask[reg] = (uint8_t)m;
	d->wmask[reg + 1] = (uint8_t)(m >> 8);
}

static void set_w1c16(struct pci_dev *d, uint32_t reg, uint16_t m)
{
	d->w1c[reg] = (uint8_t)m;
	d->w1c[reg + 1] = (uint8_t)(m >> 8);
}

static void set_wmask32(struct pci_dev *d, uint32_t reg, uint32_t m)
{
	set_wmask16(d, reg, (uint16_t)m);
	set_wmask16(d, reg + 2, (uint16_t)(m >> 16));
}

void pci_dev_init(struct pci_dev *d, struct vm *vm, const struct pci_dev_ops *ops, const char *name,
		  uint16_t vendor, uint16_t device, uint32_t class_rev, uint16_t subsys_vendor, uint16_t subsys)
{
	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->ops = ops;
	d->name = name;
	pthread_mutex_init(&d->lock, NULL);
	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		d->bar[i].dev = d;
		d->bar[i].idx = i;
	}
	/* Type 0 header, PCI 3.0 6.2.1 / PCIe 4.0 7.5.1. */
	pci_cfg_set16(d, PCI_VENDOR_ID, vendor);
	pci_cfg_set16(d, PCI_DEVICE_ID, device);
	pci_cfg_set32(d, PCI_CLASS_REVISION, class_rev);
	pci_cfg_set8(d, PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL);
	pci_cfg_set16(d, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_cfg_set16(d, PCI_SUBSYSTEM_ID, subsys);
	set_wmask16(d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		    PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	set_w1c16(d, PCI_STATUS, PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
		  PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_free = PCI_STD_HEADER_SIZEOF;
}

void pci_dev_fini(struct pci_dev *d)
{
	pci_dev_unmap_bars(d);
	pthread_mutex_destroy(&d->lock);
}

int pci_dev_add_bar(struct pci_dev *d, unsigned int idx, uint64_t size, bool is64, bool prefetch)
{
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * idx, type = PCI_BASE_ADDRESS_SPACE_MEMORY;

	if (idx >= PCI_NR_BARS || (is64 && idx + 1 >= PCI_NR_BARS) || size < 16 || (size & (size - 1)) ||
	    (!is64 && size > (1ULL << 31)) || d->bar[idx].size)
		return -EINVAL;
	d->bar[idx].size = size;
	d->bar[idx].is64 = is64;
	d->bar[idx].prefetch = prefetch;
	/* BAR sizing (PCI 3.0 6.2.5.1): the address bits below the size are hard-wired to zero. */
	if (is64)
		type |= PCI_BASE_ADDRESS_MEM_TYPE_64;
	if (prefetch)
		type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	pci_cfg_set32(d, reg, type);
	set_wmask32(d, reg, (uint32_t)~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK);
	if (is64) {
		pci_cfg_set32(d, reg + 4, 0);
		set_wmask32(d, reg + 4, (uint32_t)(~(size - 1) >> 32));
	}
	return 0;
}

int pci_dev_add_cap(struct pci_dev *d, uint8_t id, uint8_t len, const void *body)
{
	unsigned int off = (d->cap_free + 3u) & ~3u;

	if (len < 2 || off + len > PCI_CFG_SPACE_SIZE)
		return -ENOSPC;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	if (body)
		memcpy(&d->cfg[off + 2], body, len - 2u);
	/* Capability list (PCI 3.0 6.7): Status.CAP_LIST, pointer at 0x34, each cap's next byte. */
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_last = (uint8_t)off;
	d->cap_free = (uint8_t)(off + len < PCI_CFG_SPACE_SIZE ? off + len : 0xff);
	return (int)off;
}

int pci_dev_add_pcie_cap(struct pci_dev *d)
{
	int off = pci_dev_add_cap(d, PCI_CAP_ID_EXP, PCI_CAP_EXP_ENDPOINT_SIZEOF_V2, NULL);

	if (off < 0)
		return off;
	/* PCIe 4.0 7.5.3.2: capability version 2, Root Complex Integrated Endpoint (no link registers). */
	pci_cfg_set16(d, off + PCI_EXP_FLAGS, 2 | (PCI_EXP_TYPE_RC_END << 4));
	/* 7.5.3.3: 128-byte max payload, role-based error reporting. */
	pci_cfg_set32(d, off + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_RBER);
	/* 7.5.3.4: Linux programs MPS/MRRS and error reporting enables; FLR is not offered. */
	set_wmask16(d, off + PCI_EXP_DEVCTL, 0x7fff);
	pci_cfg_set16(d, off + PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN |
		      (2 << 12) /* MRRS 512 bytes */);
	/* 7.5.3.5: error detected bits are RW1C. */
	set_w1c16(d, off + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED |
		  PCI_EXP_DEVSTA_URD);
	return off;
}

static bool overlaps(uint32_t reg, uint32_t len, uint32_t start, uint32_t end)
{
	return reg < end && reg + len > start;
}

static uint64_t bar_addr_of(const struct pci_dev *d, unsigned int i)
{
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * i;
	uint64_t a = pci_cfg_get32(d, reg) & (d->bar[i].io ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK);

	if (d->bar[i].is64)
		a |= (uint64_t)pci_cfg_get32(d, reg + 4) << 32;
	return a;
}

static void pci_bar_bus_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bar *b = opaque;

	if (b->dev->ops->bar_access)
		b->dev->ops->bar_access(b->dev, b->idx, offset, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}

static struct bus *bar_bus(struct pci_dev *d, const struct pci_bar *b)
{
	return b->io ? &d->vm->pio : &d->vm->mmio;
}

static void bar_unmap(struct pci_dev *d, struct pci_bar *b)
{
	if (!b->mapped)
		return;
	bus_unregister(bar_bus(d, b), b->addr, b);
	b->mapped = false;
	if (d->ops->bar_remap)
		d->ops->bar_remap(d, b->idx, b->addr, false);
}

/*
 * Makes every BAR's bus registration match COMMAND and the BAR registers. A BAR decodes when its
 * space is enabled and its address is non-zero and does not wrap; a range that collides with
 * another device stays unmapped (the guest gets all-ones) until the guest moves it.
 */
static void update_bars(struct pci_dev *d)
{
	uint16_t cmd = pci_cfg_get16(d, PCI_COMMAND);

	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &d->bar[i];
		uint64_t addr;
		bool want;
		int r;

		if (!b->size)
			continue;
		addr = bar_addr_of(d, i);
		want = (cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) && addr && addr + b->size > addr;
		if (b->mapped && (!want || addr != b->addr))
			bar_unmap(d, b);
		if (!want || b->mapped)
			continue;
		r = bus_register(bar_bus(d, b), addr, b->size, pci_bar_bus_access, b, d->name);
		if (r) {
			pr_debug("%s: BAR%u at 0x%llx+0x%llx not mapped: %d", d->name, i, (unsigned long long)addr,
				 (unsigned long long)b->size, r);
			continue;
		}
		b->mapped = true;
		b->addr = addr;
		if (d->ops->bar_remap)
			d->ops->bar_remap(d, i, addr, true);
	}
}

void pci_dev_unmap_bars(struct pci_dev *d)
{
	pthread_mutex_lock(&d->lock);
	for (unsigned int i = 0; i < PCI_NR_BARS; i++)
		bar_unmap(d, &d->bar[i]);
	pthread_mutex_unlock(&d->lock);
}

void pci_dev_cfg_reset(struct pci_dev *d, const uint8_t *init, uint32_t len)
{
	pthread_mutex_lock(&d->lock);
	for (uint32_t r = 0; r < len && r < PCI_CFG_SPACE_SIZE_EXP; r++) {
		uint8_t m = d->wmask[r] | d->w1c[r];

		d->cfg[r] = (uint8_t)((d->cfg[r] & ~m) | (init[r] & m));
	}
	update_bars(d);
	if (d->msix)
		pci_msix_reset(d->msix);
	pthread_mutex_unlock(&d->lock);
}

void pci_dev_cfg_restore(struct pci_dev *d, const uint8_t *saved)
{
	pthread_mutex_lock(&d->lock);
	for (uint32_t r = 0; r < PCI_CFG_SPACE_SIZE_EXP; r++) {
		uint8_t m = d->wmask[r] | d->w1c[r];

		d->cfg[r] = (uint8_t)((d->cfg[r] & ~m) | (saved[r] & m));
	}
	update_bars(d);
	pthread_mutex_unlock(&d->lock);
}

void pci_dev_set_bar_addr(struct pci_dev *d, unsigned int idx, uint64_t addr)
{
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * idx;

	if (idx >= PCI_NR_BARS || !d->bar[idx].size)
		return;
	pthread_mutex_lock(&d->lock);
	addr &= ~(d->bar[idx].size - 1);
	pci_cfg_set32(d, reg, (pci_cfg_get32(d, reg) & ~PCI_BASE_ADDRESS_MEM_MASK) | ((uint32_t)addr & PCI_BASE_ADDRESS_MEM_MASK));
	if (d->bar[idx].is64)
		pci_cfg_set32(d, reg + 4, (uint32_t)(addr >> 32));
	update_bars(d);
	pthread_mutex_unlock(&d->lock);
}

static bool access_ok(uint32_t reg, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && !(reg & (len - 1)) && reg + len <= PCI_CFG_SPACE_SIZE_EXP;
}

void pci_dev_cfg_read(struct pci_dev *d, uint32_t reg, uint8_t *data, uint32_t len)
{
	if (!access_ok(reg, len)) {
		memset(data, 0xff, len > 8 ? 8 : len);
		pr_debug("%s: bad config read 0x%x/%u", d->name, reg, len);
		return;
	}
	pthread_mutex_lock(&d->lock);
	memcpy(data, &d->cfg[reg], len);
	pthread_mutex_unlock(&d->lock);
	if (d->ops->cfg_read)
		d->ops->cfg_read(d, reg, data, len);
}

void pci_dev_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	uint16_t old_cmd;
	bool msix_ctrl;

	if (!access_ok(reg, len)) {
		pr_debug("%s: bad config write 0x%x/%u", d->name, reg, len);
		return;
	}
	pthread_mutex_lock(&d->lock);
	old_cmd = pci_cfg_get16(d, PCI_COMMAND);
	for (uint32_t i = 0; i < len; i++) {
		uint32_t r = reg + i;

		/* Read-only bits keep their value; RW1C bits clear where a 1 is written. */
		d->cfg[r] = (uint8_t)((d->cfg[r] & ~d->wmask[r]) | (data[i] & d->wmask[r]));
		d->cfg[r] &= (uint8_t)~(data[i] & d->w1c[r]);
	}
	if (overlaps(reg, len, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_5 + 4) ||
	    pci_cfg_get16(d, PCI_COMMAND) != old_cmd)
		update_bars(d);
	msix_ctrl = d->msix && overlaps(reg, len, d->msix->cap + PCI_MSIX_FLAGS, d->msix->cap + PCI_MSIX_FLAGS + 2);
	if (msix_ctrl)
		pci_msix_ctrl_written(d->msix);
	pthread_mutex_unlock(&d->lock);
	if (d->ops->cfg_write)
		d->ops->cfg_write(d, reg, data, len);
}
