// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci config-space virtualization without a device: the capability walk over garbage and
 * loops, which bytes are emulated vs passed through, the MSI capability's write masks, a hidden
 * ROM, and the BAR mmap split around the MSI-X table and PBA pages.
 */
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vfio_pci.h"
#include "tap.h"
#include "vmm/vm.h"

static const struct pci_dev_ops ops = { .cfg_read = vfio_pci_cfg_read, .cfg_write = vfio_pci_cfg_write };

static uint32_t rd(struct pci_dev *d, uint32_t reg, uint32_t len)
{
	uint8_t b[4] = { 0 };

	pci_dev_cfg_read(d, reg, b, len);
	return (uint32_t)pci_le_get(b, len);
}

static void wr(struct pci_dev *d, uint32_t reg, uint32_t len, uint32_t val)
{
	uint8_t b[4];

	pci_le_put(b, len, val);
	pci_dev_cfg_write(d, reg, b, len);
}

static void fake_function(uint8_t *c)
{
	memset(c, 0, 256);
	pci_le_put(c + PCI_VENDOR_ID, 2, 0x1234);
	pci_le_put(c + PCI_DEVICE_ID, 2, 0x11e8);
	pci_le_put(c + PCI_CLASS_REVISION, 4, 0x00ff0010);
	pci_le_put(c + PCI_STATUS, 2, PCI_STATUS_CAP_LIST | PCI_STATUS_SIG_SYSTEM_ERROR);
	c[PCI_INTERRUPT_PIN] = 1;
	c[PCI_CAPABILITY_LIST] = 0x40;
	/* 0x40 MSI, 64-bit with per-vector masking, 4 vectors capable -> 0x58 VPD (hidden) -> 0x60 PM */
	c[0x40] = PCI_CAP_ID_MSI; c[0x41] = 0x58;
	pci_le_put(c + 0x42, 2, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (2 << 1));
	c[0x58] = PCI_CAP_ID_VPD; c[0x59] = 0x60;
	c[0x60] = PCI_CAP_ID_PM; c[0x61] = 0x70;
	/* 0x70 PCIe v2, whose next pointer loops back to 0x40 */
	c[0x70] = PCI_CAP_ID_EXP; c[0x71] = 0x40; c[0x72] = 2;
}

int main(void)
{
	uint8_t real[256];
	struct vfio_pci_cap caps[16];
	struct vm vm = { .vm_fd = -1 };
	struct vfio_pci *v = calloc(1, sizeof(*v));
	struct pci_dev *d = &v->pci;
	unsigned int n;

	fake_function(real);
	n = vfio_pci_caps_scan(real, sizeof(real), caps, 16);
	CHECK(n == 3, "kept capabilities: MSI, PM, PCIe (VPD hidden, loop cut): %u", n);
	CHECK(n == 3 && caps[0].id == PCI_CAP_ID_MSI && caps[0].off == 0x40 && caps[0].len == 24, "MSI with masking is 24 bytes");
	CHECK(n == 3 && caps[1].id == PCI_CAP_ID_PM && caps[1].off == 0x60 && caps[1].len == 8, "PM is 8 bytes");
	CHECK(n == 3 && caps[2].id == PCI_CAP_ID_EXP && caps[2].off == 0x70 && caps[2].len == 0x3c, "PCIe v2 is 0x3c bytes");
	CHECK(vfio_pci_caps_scan(real, 64, caps, 16) == 0, "short config image: no capabilities");
	CHECK(vfio_pci_caps_scan(real, sizeof(real), caps, 1) == 1, "bounded by the output size");

	/* Garbage lists: pointers into the header, past the end, self loops. */
	{
		uint8_t g[256];

		memcpy(g, real, sizeof(g));
		g[PCI_CAPABILITY_LIST] = 0x20;
		CHECK(vfio_pci_caps_scan(g, sizeof(g), caps, 16) == 0, "pointer into the header ends the walk");
		g[PCI_CAPABILITY_LIST] = 0xfe;
		CHECK(vfio_pci_caps_scan(g, sizeof(g), caps, 16) == 0, "pointer past the end ends the walk");
		g[PCI_CAPABILITY_LIST] = 0x40;
		g[0x41] = 0x40;
		CHECK(vfio_pci_caps_scan(g, sizeof(g), caps, 16) == 1, "self loop: walked once");
		g[0x40] = PCI_CAP_ID_EXP;
		g[0x42] = 1;
		g[PCI_CAPABILITY_LIST] = 0xf0;
		g[0xf0] = PCI_CAP_ID_EXP; g[0xf1] = 0; g[0xf2] = 2;
		CHECK(vfio_pci_caps_scan(g, sizeof(g), caps, 16) == 1 && caps[0].len == 16, "capability clipped at 256");
		for (unsigned int i = 0; i < 5000; i++) {
			for (unsigned int k = 0; k < sizeof(g); k++)
				g[k] = (uint8_t)rand();
			n = vfio_pci_caps_scan(g, sizeof(g), caps, 16);
			for (unsigned int k = 0; k < n; k++)
				if (caps[k].off < 0x40 || caps[k].off + caps[k].len > 256)
					n = 99;
			if (n > 16)
				break;
		}
		CHECK(n <= 16, "random config images: every kept capability inside 0x40..0xff");
	}

	/* The emulated function built from it. */
	v->fd = -1;
	pci_dev_init(d, &vm, &ops, "vfio-test", 0x1234, 0x11e8, 0x00ff0010, 0, 0);
	vfio_pci_config_header(v, real, 1);
	n = vfio_pci_caps_scan(real, sizeof(real), caps, 16);
	CHECK(!vfio_pci_config_caps(v, real, caps, n), "capabilities added");
	CHECK(rd(d, PCI_VENDOR_ID, 4) == 0x11e81234, "ids from the function");
	CHECK(rd(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, "status has a capability list");
	CHECK(!(rd(d, PCI_STATUS, 2) & PCI_STATUS_SIG_SYSTEM_ERROR), "the function's error bits are not copied");
	CHECK(rd(d, PCI_CAPABILITY_LIST, 1) == 0x40, "list starts at the real MSI offset");
	CHECK(rd(d, 0x41, 1) == 0x60, "MSI -> PM: the hidden VPD is skipped");
	CHECK(rd(d, 0x58, 1) == 0, "the hidden capability reads as zero");
	CHECK(rd(d, 0x61, 1) == 0x70 && rd(d, 0x71, 1) == 0, "PM -> PCIe -> end: the loop is cut");
	CHECK(rd(d, PCI_INTERRUPT_PIN, 1) == 1, "interrupt pin INTA");
	CHECK(rd(d, 0x100, 4) == 0, "no extended capabilities");
	CHECK(!vfio_pci_cfg_is_pt(v, 0x60) && !vfio_pci_cfg_is_pt(v, 0x61) && vfio_pci_cfg_is_pt(v, 0x62) &&
	      vfio_pci_cfg_is_pt(v, 0x67) && !vfio_pci_cfg_is_pt(v, 0x68), "PM body passed through, id/next emulated");
	CHECK(vfio_pci_cfg_is_pt(v, 0x72) && vfio_pci_cfg_is_pt(v, 0xab) && !vfio_pci_cfg_is_pt(v, 0xac),
	      "PCIe body passed through");
	{
		bool any = false;

		for (uint32_t r = 0; r < 0x60; r++)
			any |= vfio_pci_cfg_is_pt(v, r);
		for (uint32_t r = 0xac; r < PCI_CFG_SPACE_SIZE_EXP; r++)
			any |= vfio_pci_cfg_is_pt(v, r);
		CHECK(!any, "header, MSI and the rest are emulated");
	}
	/* MSI (PCI 3.0 6.8.1): enable + MME writable; 64-bit and MMC read-only; masking hidden. */
	CHECK((rd(d, 0x42, 2) & (PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | PCI_MSI_FLAGS_QMASK)) ==
	      (PCI_MSI_FLAGS_64BIT | (2 << 1)), "MSI control: 64-bit, 4 vectors capable, no per-vector masking");
	wr(d, 0x42, 2, 0xffff);
	CHECK(rd(d, 0x42, 2) == (PCI_MSI_FLAGS_64BIT | (2 << 1) | PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE),
	      "MSI control write keeps read-only bits: 0x%x", rd(d, 0x42, 2));
	wr(d, 0x44, 4, 0xffffffff);
	wr(d, 0x48, 4, 0xfeedf00d);
	wr(d, 0x4c, 4, 0xffffffff);
	CHECK(rd(d, 0x44, 4) == 0xfffffffc && rd(d, 0x48, 4) == 0xfeedf00d && rd(d, 0x4c, 4) == 0xffff,
	      "MSI address dword aligned, upper address, 16-bit data");
	CHECK(v->msi.cap == 0x40 && v->msi.is64 && v->msi.max_vec == 4, "MSI state recorded");
	wr(d, PCI_ROM_ADDRESS, 4, 0xffffffff);
	CHECK(rd(d, PCI_ROM_ADDRESS, 4) == 0, "expansion ROM hidden by default");
	wr(d, PCI_VENDOR_ID, 4, 0);
	CHECK(rd(d, PCI_VENDOR_ID, 4) == 0x11e81234, "ids read-only");
	pci_dev_fini(d);
	free(v);

	/* BAR mmap pieces around the MSI-X table and PBA (PCI 3.0 6.8.2: they must trap). */
	{
		uint64_t areas[2][2] = { { 0, 1 << 20 } }, holes[2][2] = { { 0x2000, 0x100 }, { 0x3000, 8 } }, out[8][2];

		n = vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8);
		CHECK(n == 2 && out[0][0] == 0 && out[0][1] == 0x2000 && out[1][0] == 0x4000 && out[1][1] == (1 << 20) - 0x4000,
		      "table and PBA pages cut out");
		holes[1][0] = 0x2800;
		n = vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8);
		CHECK(n == 2 && out[0][1] == 0x2000 && out[1][0] == 0x3000, "table and PBA in one page");
		holes[0][1] = holes[1][1] = 0;
		n = vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8);
		CHECK(n == 1 && out[0][0] == 0 && out[0][1] == 1 << 20, "no MSI-X: the whole BAR");
		areas[0][0] = 0x800;
		areas[0][1] = 0x2000;
		n = vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8);
		CHECK(n == 1 && out[0][0] == 0x1000 && out[0][1] == 0x1000, "unaligned sparse area: whole pages only");
		areas[0][0] = 0;
		areas[0][1] = 0x800;
		CHECK(vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8) == 0,
		      "sub-page area: nothing to map");
		areas[0][0] = UINT64_MAX - 0x1000;
		areas[0][1] = 0x4000;
		CHECK(vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8) == 0,
		      "wrapping area ignored");
		areas[0][0] = 0;
		areas[0][1] = 1 << 20;
		holes[0][0] = 0x1000; holes[0][1] = 0x10;
		holes[1][0] = 0x3000; holes[1][1] = 0x10;
		CHECK(vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 2) == 2,
		      "bounded by the output size");
	}
	return tap_done();
}
