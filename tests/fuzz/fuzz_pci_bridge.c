// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the ports of a cold-plugged PCIe topology (pci_bridge.c), built as pci_topology.c
 * builds them (a root port, a switch's upstream port, two downstream ports with a function below
 * each), driven by ECAM accesses of any offset and width to any bus 0-7, device 0-3 and function:
 * type 1 headers with bus numbers the input renumbers at will (routing follows, loops included),
 * the PCI Express capabilities (Link Disable), ACS, Secondary Bus Resets. The input is a list of
 * 8-byte operations [bus/dev/fn, sel, off16, val32]; sel: len 1 << (sel & 3), write if sel & 4.
 * Nothing may crash, hang or leak (ASan/UBSan).
 */
#include "fuzz_vm.h"

#include "devices/pci_bridge.h"

#define OP_LEN 8

static struct pci_dev fn[2];

static void fn_destroy(struct pci_dev *d)
{
	pci_dev_fini(d);
}

static const struct pci_dev_ops fn_ops = { .destroy = fn_destroy };

static struct pci_bridge *rp;

static void create(void)
{
	struct pci_bridge *usp, *dsp;

	fvm.pci->next_bus = 1;
	if (pci_bridge_create(&fvm, PCI_BRIDGE_ROOT_PORT, "rp", 0x20, 1, &rp) || pci_host_add(fvm.pci, &rp->pci) ||
	    pci_bridge_create(&fvm, PCI_BRIDGE_SWITCH_UP, "usp", 0, 2, &usp) || pci_bridge_attach(rp, 0, &usp->pci))
		__builtin_trap();
	for (unsigned int i = 0; i < 2; i++) {
		if (pci_bridge_create(&fvm, PCI_BRIDGE_SWITCH_DOWN, "dsp", i, (uint8_t)(3 + i), &dsp) ||
		    pci_bridge_attach(usp, i, &dsp->pci))
			__builtin_trap();
		pci_dev_init(&fn[i], &fvm, &fn_ops, "fuzz-fn", 0x1234, 0x11e8, 0x00ff0010, 0, 0);
		if (pci_bridge_attach(dsp, 0, &fn[i]))
			__builtin_trap();
	}
	pci_bridge_set_subordinate(usp, 4);
	pci_bridge_set_subordinate(rp, 4);
}

static void destroy(void)
{
	pci_host_remove(fvm.pci, &rp->pci);
	rp->pci.ops->destroy(&rp->pci);     /* and everything below */
	rp = NULL;
}

static void op(const uint8_t *p)
{
	uint32_t len = 1u << (p[1] & 3), off = (uint32_t)fuzz_le(p + 2, 2) & 0xfff;
	uint32_t bus = p[0] >> 5, dev = p[0] >> 3 & 3, fnum = p[0] & 7;
	bool wr = p[1] & 4;
	uint8_t b[8];

	/* Bus 0's device: the root port's slot for device 0 of the input's bus 0. */
	if (!bus && !dev)
		dev = rp->pci.devfn >> 3;
	pci_le_put(b, len, fuzz_le(p + 4, 4) | fuzz_le(p + 4, 4) << 32);
	bus_dispatch(&fvm.mmio, arch_layout.pci_ecam_base + ((uint64_t)bus << 20 | (uint64_t)dev << 15 |
		     (uint64_t)fnum << 12 | off), b, len, wr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fvm.pci)
		fuzz_vm_init();
	create();
	for (size_t i = 0; i + OP_LEN <= size; i += OP_LEN)
		op(data + i);
	destroy();
	return 0;
}
