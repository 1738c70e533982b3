// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: PCI config space (PCI 3.0 6.1-6.2, capabilities 6.7, PCIe capability) and the
 * MSI-X table and PBA (6.8.2) of a function on the root complex, driven the way vCPU exits reach
 * them: ECAM and 0xCF8/0xCFC accesses of any offset and width through the buses, BAR programming
 * (which moves the BARs on the MMIO bus), table/PBA accesses at wherever the guest put the MSI-X BAR,
 * and the device firing vectors. The input is a list of 8-byte operations. The models must never
 * crash, hang, or let a BAR overlap break the bus (ASan/UBSan).
 */
#include "fuzz_vm.h"

#define OP_LEN 8
#define NR_VEC 33           /* the PBA spans two qwords */
#define MSIX_BAR 2

struct fdev {
	struct pci_dev pci;
	struct pci_msix msix;
};

static struct fdev dev;
static uint8_t snap_cfg[PCI_CFG_SPACE_SIZE_EXP];
static struct pci_bar snap_bar[PCI_NR_BARS];

static void fdev_bar_access(struct pci_dev *d, unsigned int bar, uint64_t off, uint8_t *data, uint32_t len,
			    bool is_write)
{
	if (!(bar == MSIX_BAR && pci_msix_bar_access(&dev.msix, off, data, len, is_write)) && !is_write)
		memset(data, 0, len);
}

static const struct pci_dev_ops fdev_ops = { .bar_access = fdev_bar_access };

static void create(void)
{
	fuzz_vm_init();
	pci_dev_init(&dev.pci, &fvm, &fdev_ops, "fuzz-pci", 0x1b36, 0x0010, (uint32_t)PCI_CLASSCODE_OTHER << 8, 0x1b36, 1);
	if (pci_dev_add_bar(&dev.pci, 0, 0x1000, false, false) || pci_dev_add_bar(&dev.pci, MSIX_BAR, 0x4000, true, true) ||
	    pci_dev_add_bar(&dev.pci, 4, 0x100000, true, false) ||
	    pci_msix_init(&dev.msix, &dev.pci, NR_VEC, MSIX_BAR, 0, 0x2000) < 0 || pci_dev_add_pcie_cap(&dev.pci) < 0 ||
	    pci_host_add(fvm.pci, &dev.pci))
		__builtin_trap();
	memcpy(snap_cfg, dev.pci.cfg, sizeof(snap_cfg));
	memcpy(snap_bar, dev.pci.bar, sizeof(snap_bar));
}

/* Back to the state after creation: BARs unmapped, config space and MSI-X table as at reset. */
static void reset(void)
{
	uint64_t cnt;

	pci_dev_unmap_bars(&dev.pci);
	memcpy(dev.pci.cfg, snap_cfg, sizeof(snap_cfg));
	memcpy(dev.pci.bar, snap_bar, sizeof(snap_bar));
	dev.msix.enabled = dev.msix.fmask = false;
	memset(dev.msix.pba, 0, sizeof(dev.msix.pba));
	for (unsigned int i = 0; i < NR_VEC; i++) {
		struct pci_msix_vector *v = &dev.msix.v[i];

		v->addr_lo = v->addr_hi = v->data = 0;
		v->ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		v->routed = false;
		if (read(v->efd, &cnt, sizeof(cnt)) < 0) {
			/* EAGAIN: it did not fire */
		}
	}
}

static void op(const uint8_t *p)
{
	uint32_t len = 1u << (p[1] & 3), off = (uint32_t)fuzz_le(p + 2, 2);
	uint8_t b[8];
	bool wr = p[1] & 4;

	pci_le_put(b, len, fuzz_le(p + 4, 4) | fuzz_le(p + 4, 4) << 32);
	switch (p[0] % 6) {
	case 0: /* ECAM, our function (slot 1) mostly, or the host bridge / an empty slot */
	case 1:
		bus_dispatch(&fvm.mmio, arch_layout.pci_ecam_base +
			     ((uint64_t)(p[0] & 0x80 ? (p[1] >> 3) & 3 : 1) << 15 | (off & 0xfff)), b, len, wr);
		break;
	case 2: { /* CONFIG_ADDRESS / CONFIG_DATA (PCI 3.0 3.2.2.3.2) */
		uint8_t a[4];

		/* enable, bus 0 or 1, device 1 or 0 (the bridge), register; bits 27:24 carry extended registers */
		pci_le_put(a, 4, 0x80000000u | (uint32_t)(p[1] >> 4 & 1) << 16 | (uint32_t)!(p[1] & 0x20) << 11 |
			   (off & 0xfc) | (uint32_t)(off & 0xf00) << 16);
		bus_dispatch(&fvm.pio, 0xcf8, a, 4, true);
		bus_dispatch(&fvm.pio, 0xcfc + (off & 3), b, len > 4 ? 4 : len, wr);
		break;
	}
	case 3: /* the MSI-X table / PBA where the guest mapped BAR2 (if decoding) */
		bus_dispatch(&fvm.mmio, dev.pci.bar[MSIX_BAR].addr + (off & 0x3fff), b, len, wr);
		break;
	case 4: /* a BAR's window anywhere (overlaps, moves, the other BARs) */
		bus_dispatch(&fvm.mmio, dev.pci.bar[((p[1] >> 5) & 7) % PCI_NR_BARS].addr + off, b, len, wr);
		break;
	case 5: /* the device fires a vector */
		pci_msix_notify(&dev.msix, p[2] % (NR_VEC + 2));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dev.pci.vm)
		create();
	reset();
	for (size_t i = 0; i + OP_LEN <= size; i += OP_LEN)
		op(data + i);
	return 0;
}
