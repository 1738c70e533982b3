// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the PCIe root port and its hot-plug slot (pci_root_port.c), driven the way vCPU
 * exits and the slot's owner reach it: ECAM accesses of any offset and width to the port (type 1
 * header, PCI Express capability with the slot registers, MSI-X capability), accesses to any bus
 * and device behind it (routing through the guest-programmed bus numbers, link state), MSI-X table
 * accesses in BAR0, and the owner plugging and unplugging a function and pressing the button in
 * between. The input is a list of 8-byte operations [kind, sel, off16, val32]; sel: len
 * 1 << (sel & 3), write if sel & 4. Nothing may crash, hang or leak (ASan/UBSan).
 */
#include "fuzz_vm.h"

#include "devices/pci_root_port.h"

#define OP_LEN 8

static struct pci_root_port *rp;
static struct pci_dev card;
static bool card_init;
static unsigned int power_calls;

static void card_destroy(struct pci_dev *d)
{
	pci_dev_fini(d);
	card_init = false;
}

static const struct pci_dev_ops card_ops = { .destroy = card_destroy };

static void power(void *opaque, struct pci_root_port *p, bool on)
{
	power_calls++;
}

static const struct pci_root_port_ops rp_ops = { .power = power };

static void create(void)
{
	/* A port per input: give its BAR0 the same place each time (the host's allocator only bumps). */
	fvm.pci->mmio32_next = arch_layout.pci_mmio32_base;
	fvm.pci->next_bus = 1;
	if (pci_root_port_create(&fvm, 0, &rp_ops, NULL, &rp))
		__builtin_trap();
}

static void destroy(void)
{
	struct pci_dev *d = &rp->pci;

	pci_host_remove(fvm.pci, d);
	d->ops->destroy(d);     /* and the card, if plugged */
	rp = NULL;
}

static void op(const uint8_t *p)
{
	uint32_t len = 1u << (p[1] & 3), off = (uint32_t)fuzz_le(p + 2, 2);
	bool wr = p[1] & 4;
	uint8_t b[8];

	pci_le_put(b, len, fuzz_le(p + 4, 4) | fuzz_le(p + 4, 4) << 32);
	switch (p[0] % 7) {
	case 0: /* the port's config space (bus 0, its slot) */
	case 1:
		bus_dispatch(&fvm.mmio, arch_layout.pci_ecam_base + ((uint64_t)rp->pci.devfn << 12 | (off & 0xfff)), b, len, wr);
		break;
	case 2: /* behind it: buses 0-7, devices 0-1, any function */
		bus_dispatch(&fvm.mmio, arch_layout.pci_ecam_base + ((uint64_t)(p[1] >> 3 & 7) << 20 |
			     (uint64_t)(p[1] >> 6 & 1) << 15 | (uint64_t)(p[0] >> 5 & 1) << 12 | (off & 0xfff)),
			     b, len, wr);
		break;
	case 3: /* the slot's owner plugs a card */
		if (!card_init) {
			pci_dev_init(&card, &fvm, &card_ops, "fuzz-card", 0x1234, 0x11e8, 0x00ff0010, 0, 0);
			card_init = true;
		}
		if (pci_root_port_plug(rp, &card) && !rp->child)
			__builtin_trap();
		break;
	case 4: { /* ... or takes it out */
		struct pci_dev *d = pci_root_port_unplug(rp);

		if (d && d != &card)
			__builtin_trap();
		if (d)
			card_destroy(d);
		break;
	}
	case 5: /* the attention button */
		pci_root_port_press_button(rp);
		break;
	case 6: /* the MSI-X table / PBA where the guest mapped BAR0 (if decoding) */
		bus_dispatch(&fvm.mmio, rp->pci.bar[0].addr + (off & 0xfff), b, len, wr);
		break;
	}
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
