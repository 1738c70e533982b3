// SPDX-License-Identifier: GPL-2.0-only
/* PCI host bridge + generic function: config space through ECAM (and 0xCF8 on x86), BARs, caps. */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "arch/arch.h"
#include "devices/pci.h"
#include "tap.h"
#include "vmm/vm.h"

static struct vm vm;
static struct pci_dev dev;
static unsigned int bar_hits, remaps;
static uint64_t last_off, last_remap;
static bool last_mapped;

static unsigned int viommu_released;

/* A vIOMMU that remaps MSIs of RID 8 only (to prove address, data and RID reach it) and aborts RID 9. */
static int fake_msi_translate(void *opaque, uint32_t rid, uint64_t *addr, uint32_t *data, bool report)
{
	if (rid == 9)
		return -EFAULT;
	if (rid == 8) {
		*addr += 0x1000;
		*data |= 0x100;
	}
	return 0;
}

static int fake_attach_vfio(void *opaque, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t rid)
{
	return rid == 0x10 ? -EINVAL : 0;
}

static void fake_release_vfio(void *opaque)
{
	viommu_released++;
}

/* The PCI host's one seam to a vIOMMU front-end (pci_viommu.h). */
static void test_viommu_seam(void)
{
	static const struct pci_viommu_ops ops = { .name = "fake", .msi_translate = fake_msi_translate,
						   .attach_vfio = fake_attach_vfio, .release_vfio = fake_release_vfio };
	uint64_t addr = 0xfee00000;
	uint32_t data = 0x21;

	CHECK(!pci_host_viommu(vm.pci) && !pci_host_viommu(NULL), "no vIOMMU by default");
	CHECK(pci_host_msi_translate(vm.pci, 8, &addr, &data, true) == 0 && addr == 0xfee00000 && data == 0x21,
	      "no vIOMMU: MSIs unchanged");
	CHECK(pci_host_viommu_attach_vfio(vm.pci, 3, 1, 2, 0x10) == 0, "no vIOMMU: assigned functions need nothing");
	CHECK(pci_host_set_viommu(vm.pci, &ops, &vm) == 0 && pci_host_viommu(vm.pci)->ops == &ops &&
	      pci_host_viommu(vm.pci)->opaque == &vm, "vIOMMU registered");
	CHECK(pci_host_set_viommu(vm.pci, &ops, NULL) == -EBUSY, "a second vIOMMU refused");
	CHECK(pci_host_msi_translate(vm.pci, 8, &addr, &data, true) == 0 && addr == 0xfee01000 && data == 0x121,
	      "MSI address and data translated for its RID");
	CHECK(pci_host_msi_translate(vm.pci, 9, &addr, &data, true) == -EFAULT, "aborted MSI reported");
	CHECK(pci_host_viommu_attach_vfio(vm.pci, 3, 1, 2, 0x10) == -EINVAL, "attach failure passed back");
	pci_host_remove_all(vm.pci);
	CHECK(viommu_released == 1, "removing every function releases the vIOMMU's objects");
	CHECK(pci_host_set_viommu(vm.pci, NULL, NULL) == 0 && !pci_host_viommu(vm.pci), "vIOMMU unregistered");
}

static void bar_access(struct pci_dev *d, unsigned int bar, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	bar_hits++;
	last_off = off;
	if (!w)
		memset(data, 0x5a, len);
}

static void bar_remap(struct pci_dev *d, unsigned int bar, uint64_t addr, bool mapped)
{
	if (bar != 0)
		return;
	remaps++;
	last_remap = addr;
	last_mapped = mapped;
}

static const struct pci_dev_ops ops = { .bar_access = bar_access, .bar_remap = bar_remap };

static uint64_t ecam(unsigned int bus, unsigned int devfn, unsigned int reg)
{
	return arch_layout.pci_ecam_base + ((uint64_t)bus << 20 | devfn << 12 | reg);
}

static uint32_t rd(unsigned int devfn, unsigned int reg, unsigned int len)
{
	uint8_t b[8] = { 0 };

	if (!bus_dispatch(&vm.mmio, ecam(0, devfn, reg), b, len, false))
		return 0xdeadbeef;
	return (uint32_t)pci_le_get(b, len);
}

static void wr(unsigned int devfn, unsigned int reg, unsigned int len, uint32_t v)
{
	uint8_t b[8];

	pci_le_put(b, len, v);
	bus_dispatch(&vm.mmio, ecam(0, devfn, reg), b, len, true);
}

static bool mmio_claimed(uint64_t addr)
{
	uint8_t b[4];
	unsigned int before = bar_hits;

	return bus_dispatch(&vm.mmio, addr, b, 4, false) && bar_hits == before + 1;
}

static void test_cf8(unsigned int devfn)
{
	uint8_t b[4];

	if (!arch_layout.pci_cf8) {
		SKIP("no 0xCF8 on this arch", "config mechanism #1");
		return;
	}
	pci_le_put(b, 4, 0x80000000u | devfn << 8);
	bus_dispatch(&vm.pio, 0xcf8, b, 4, true);
	memset(b, 0, 4);
	bus_dispatch(&vm.pio, 0xcfc, b, 4, false);
	CHECK(pci_le_get(b, 4) == 0x56781234, "0xCFC reads the function's ids");
	bus_dispatch(&vm.pio, 0xcfe, b, 2, false);
	CHECK(pci_le_get(b, 2) == 0x5678, "0xCFE reads the device id");
	pci_le_put(b, 4, devfn << 8);
	bus_dispatch(&vm.pio, 0xcf8, b, 4, true);
	bus_dispatch(&vm.pio, 0xcfc, b, 4, false);
	CHECK(pci_le_get(b, 4) == 0xffffffff, "0xCFC without the enable bit reads all-ones");
}

int main(void)
{
	unsigned int devfn;
	uint32_t bar0, v;
	uint8_t p, pcie = 0;

	vm.vm_fd = -1;
	if (bus_init(&vm.mmio, "mmio") || bus_init(&vm.pio, "pio") || pci_host_create(&vm)) {
		CHECK(0, "host setup");
		return tap_done();
	}
	CHECK(rd(0, PCI_VENDOR_ID, 4) == 0x00081b36, "host bridge ids at 00.0");
	CHECK(rd(0, PCI_CLASS_REVISION, 4) >> 8 == 0x060000, "host bridge class 0x0600");
	CHECK(rd(5 << 3, 0, 4) == 0xffffffff, "empty slot reads all-ones");
	CHECK(rd(1, 0, 4) == 0xffffffff, "function 1 reads all-ones");
	if (arch_layout.pci_ecam_size > (1u << 20))
		CHECK(bus_dispatch(&vm.mmio, ecam(1, 0, 0), (uint8_t[4]){ 0 }, 4, false), "bus 1 decodes (all-ones)");

	pci_dev_init(&dev, &vm, &ops, "test-dev", 0x1234, 0x5678, 0xff000001, 0x1af4, 0x1100);
	CHECK(pci_dev_add_bar(&dev, 0, 0x1000, false, false) == 0, "32-bit BAR0");
	CHECK(pci_dev_add_bar(&dev, 2, 0x10000, true, true) == 0, "64-bit prefetchable BAR2");
	CHECK(pci_dev_add_bar(&dev, 5, 0x1000, true, false) != 0, "64-bit BAR5 refused (no upper half)");
	CHECK(pci_dev_add_bar(&dev, 1, 0x1800, false, false) != 0, "size not a power of two refused");
	CHECK(pci_dev_add_pcie_cap(&dev) > 0, "PCIe capability");
	CHECK(pci_host_add(vm.pci, &dev) == 0, "function added");
	devfn = dev.devfn;
	CHECK(devfn == 1 << 3, "first function in slot 1");
	CHECK(rd(devfn, 0, 4) == 0x56781234 && rd(devfn, PCI_SUBSYSTEM_VENDOR_ID, 4) == 0x11001af4, "ids via ECAM");
	bar0 = rd(devfn, PCI_BASE_ADDRESS_0, 4);
	CHECK(bar0 >= arch_layout.pci_mmio32_base && bar0 < arch_layout.pci_mmio32_base + arch_layout.pci_mmio32_size &&
	      !(bar0 & 0xfff), "BAR0 pre-assigned, aligned, in the 32-bit window");
	CHECK(!mmio_claimed(bar0), "BAR not decoded before COMMAND.MEM");

	wr(devfn, PCI_VENDOR_ID, 4, 0);
	CHECK(rd(devfn, 0, 4) == 0x56781234, "ids are read-only");
	wr(devfn, PCI_COMMAND, 2, 0xffff);
	CHECK(rd(devfn, PCI_COMMAND, 2) == 0x0547, "only defined COMMAND bits stick");
	CHECK(mmio_claimed(bar0 + 8) && last_off == 8 && remaps == 1 && last_mapped && last_remap == bar0,
	      "COMMAND.MEM maps BAR0 and tells the device");
	wr(devfn, PCI_COMMAND, 2, 0);

	dev.cfg[PCI_STATUS + 1] |= PCI_STATUS_DETECTED_PARITY >> 8 | PCI_STATUS_SIG_SYSTEM_ERROR >> 8;
	wr(devfn, PCI_STATUS, 2, PCI_STATUS_DETECTED_PARITY | PCI_STATUS_CAP_LIST);
	v = rd(devfn, PCI_STATUS, 2);
	CHECK(!(v & PCI_STATUS_DETECTED_PARITY) && (v & PCI_STATUS_SIG_SYSTEM_ERROR) && (v & PCI_STATUS_CAP_LIST),
	      "STATUS: written 1 clears that bit only, CAP_LIST is read-only");

	/* BAR sizing (PCI 3.0 6.2.5.1). */
	wr(devfn, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	CHECK(rd(devfn, PCI_BASE_ADDRESS_0, 4) == 0xfffff000, "32-bit BAR sizes to 4 KiB");
	wr(devfn, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	wr(devfn, PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	CHECK(rd(devfn, PCI_BASE_ADDRESS_2, 4) == 0xffff000c && rd(devfn, PCI_BASE_ADDRESS_3, 4) == 0xffffffff,
	      "64-bit prefetchable BAR sizes to 64 KiB");
	wr(devfn, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	CHECK(rd(devfn, PCI_BASE_ADDRESS_1, 4) == 0, "unimplemented BAR reads 0");
	wr(devfn, PCI_ROM_ADDRESS, 4, 0xffffffff);
	CHECK(rd(devfn, PCI_ROM_ADDRESS, 4) == 0, "no expansion ROM");

	/* Programming and moving. */
	wr(devfn, PCI_BASE_ADDRESS_0, 4, bar0 + 0x10000 + 0x123);
	CHECK(rd(devfn, PCI_BASE_ADDRESS_0, 4) == bar0 + 0x10000, "BAR keeps only its address bits");
	wr(devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK(mmio_claimed(bar0 + 0x10000) && !mmio_claimed(bar0), "BAR decodes at its new address");
	wr(devfn, PCI_BASE_ADDRESS_0, 4, bar0 + 0x20000);
	CHECK(mmio_claimed(bar0 + 0x20000 + 0xffc) && !mmio_claimed(bar0 + 0x10000) && last_remap == bar0 + 0x20000,
	      "moving a live BAR follows");
	if (arch_layout.pci_ecam_base < (1ULL << 32)) {
		wr(devfn, PCI_BASE_ADDRESS_0, 4, (uint32_t)arch_layout.pci_ecam_base);
		CHECK(rd(0, 0, 4) == 0x00081b36 && !mmio_claimed(arch_layout.pci_ecam_base),
		      "BAR over ECAM stays unmapped");
	}
	wr(devfn, PCI_BASE_ADDRESS_0, 4, bar0);
	CHECK(mmio_claimed(bar0), "BAR mapped again after moving off a conflict");
	wr(devfn, PCI_COMMAND, 2, 0);
	CHECK(!mmio_claimed(bar0) && !last_mapped, "COMMAND.MEM clear unmaps");

	/* Capability list. */
	for (p = (uint8_t)rd(devfn, PCI_CAPABILITY_LIST, 1); p; p = (uint8_t)rd(devfn, p + 1, 1))
		if (rd(devfn, p, 1) == PCI_CAP_ID_EXP)
			pcie = p;
	CHECK(pcie && (rd(devfn, pcie + PCI_EXP_FLAGS, 2) >> 4 & 0xf) == PCI_EXP_TYPE_RC_END,
	      "PCIe capability: root complex integrated endpoint");
	CHECK(rd(devfn, 0x100, 4) == 0, "no extended capabilities");

	/* Hostile accesses. */
	CHECK(rd(devfn, 0x3, 2) == 0xffff, "unaligned config read returns all-ones");
	wr(devfn, PCI_COMMAND + 1, 2, 0xffff);
	CHECK(rd(devfn, PCI_COMMAND, 2) == 0, "unaligned config write ignored");
	CHECK(rd(devfn, 0, 8) == 0xffffffff, "8-byte config read returns all-ones");
	wr(devfn, PCI_INTERRUPT_LINE, 1, 0x2a);
	wr(devfn, PCI_INTERRUPT_PIN, 1, 0x1);
	CHECK(rd(devfn, PCI_INTERRUPT_LINE, 2) == 0x002a, "interrupt line writable, pin read-only 0");
	wr(devfn, 0xffc, 4, 0xffffffff);
	CHECK(rd(devfn, 0xffc, 4) == 0, "end of extended config space read-only");

	test_cf8(devfn);
	test_viommu_seam();

	pci_host_destroy(&vm);
	CHECK(vm.pci == NULL && !bus_dispatch(&vm.mmio, arch_layout.pci_ecam_base, (uint8_t[4]){ 0 }, 4, false),
	      "host destroyed, ECAM unregistered");
	bus_destroy(&vm.mmio);
	bus_destroy(&vm.pio);
	return tap_done();
}
