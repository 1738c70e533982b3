// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cold-plugged PCIe ports (pci_bridge.c), built as pci_topology.c builds a switch and a root port,
 * then read and driven through config space as a guest enumerates them: port types, bus numbers
 * and routing (also after renumbering), links, the ACS capability of downstream ports, Secondary Bus
 * Reset, and teardown of a whole subtree.
 */
#include <linux/pci_regs.h>
#include <string.h>

#include "arch/arch.h"
#include "devices/pci.h"
#include "devices/pci_bridge.h"
#include "tap.h"
#include "vmm/vm.h"

static struct vm vm;
static struct pci_dev fn[3];
static unsigned int resets[3], destroyed;

static uint32_t rd(uint32_t bus, uint32_t devfn, uint32_t reg, uint32_t len)
{
	uint8_t b[4] = { 0 };

	pci_host_cfg_access(vm.pci, bus, devfn, reg, b, len, false);
	return (uint32_t)pci_le_get(b, len);
}

static void wr(uint32_t bus, uint32_t devfn, uint32_t reg, uint32_t len, uint32_t v)
{
	uint8_t b[4];

	pci_le_put(b, len, v);
	pci_host_cfg_access(vm.pci, bus, devfn, reg, b, len, true);
}

static void fn_reset(struct pci_dev *d)
{
	resets[d - fn]++;
}

static void fn_destroy(struct pci_dev *d)
{
	destroyed++;
	pci_dev_fini(d);
}

static const struct pci_dev_ops fn_ops = { .bus_reset = fn_reset, .destroy = fn_destroy };

/* The PCI Express capability's offset, walked as a guest walks the list. */
static uint32_t find_exp(uint32_t bus, uint32_t devfn)
{
	uint32_t p = rd(bus, devfn, PCI_CAPABILITY_LIST, 1);

	for (int n = 0; p && n < 48; n++, p = rd(bus, devfn, p + 1, 1))
		if (rd(bus, devfn, p, 1) == PCI_CAP_ID_EXP)
			return p;
	return 0;
}

static uint32_t port_type(uint32_t bus, uint32_t devfn)
{
	uint32_t e = find_exp(bus, devfn);

	return e ? (rd(bus, devfn, e + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_TYPE) >> 4 : 0xff;
}

static struct pci_bridge *rp, *usp, *dsp[2], *rp2;

/* Root port (bus 1) - upstream port (bus 2) - downstream ports 0, 1 (buses 3, 4) - fn[0], fn[1];
 * then a root port (bus 5) with fn[2]: pci_topology.c's order. */
static void build(void)
{
	int b;

	b = pci_host_alloc_bus(vm.pci, "rp");
	CHECK(b == 1 && pci_bridge_create(&vm, PCI_BRIDGE_ROOT_PORT, "rp", 0x20, (uint8_t)b, &rp) == 0 &&
	      pci_host_add(vm.pci, &rp->pci) == 0, "root port on bus 0, secondary bus 1");
	b = pci_host_alloc_bus(vm.pci, "usp");
	CHECK(b == 2 && pci_bridge_create(&vm, PCI_BRIDGE_SWITCH_UP, "usp", 0, (uint8_t)b, &usp) == 0 &&
	      pci_bridge_attach(rp, 0, &usp->pci) == 0, "upstream port below it, internal bus 2");
	for (unsigned int i = 0; i < 2; i++) {
		b = pci_host_alloc_bus(vm.pci, "dsp");
		CHECK(pci_bridge_create(&vm, PCI_BRIDGE_SWITCH_DOWN, "dsp", i, (uint8_t)b, &dsp[i]) == 0 &&
		      pci_bridge_attach(usp, i, &dsp[i]->pci) == 0, "downstream port %u at 02:%02x.0, bus %d", i, i, b);
		pci_dev_init(&fn[i], &vm, &fn_ops, "fn", 0x1234, 0x11e8, 0x00ff0010, 0, 0);
		CHECK(pci_bridge_attach(dsp[i], 0, &fn[i]) == 0, "a function below it");
	}
	CHECK(pci_bridge_attach(dsp[0], 1, &fn[2]) != 0, "a downstream port's link holds device 0 only");
	CHECK(pci_bridge_attach(dsp[0], 0, &fn[2]) != 0, "a taken device is refused");
	pci_bridge_set_subordinate(usp, 4);
	pci_bridge_set_subordinate(rp, 4);
	b = pci_host_alloc_bus(vm.pci, "rp2");
	CHECK(b == 5 && pci_bridge_create(&vm, PCI_BRIDGE_ROOT_PORT, "rp2", 0x21, (uint8_t)b, &rp2) == 0 &&
	      pci_host_add(vm.pci, &rp2->pci) == 0, "a second root port, bus 5");
	pci_dev_init(&fn[2], &vm, &fn_ops, "fn2", 0x1234, 0x11e8, 0x00ff0010, 0, 0);
	CHECK(pci_bridge_attach(rp2, 0, &fn[2]) == 0, "a function below it");
	CHECK(pci_host_nr_buses(vm.pci) == 6, "6 buses pre-assigned (0-5)");
}

static void test_enumeration(void)
{
	uint32_t r = rp->pci.devfn, r2 = rp2->pci.devfn, e;

	CHECK(rd(0, r, PCI_VENDOR_ID, 4) == 0x000c1b36 && port_type(0, r) == PCI_EXP_TYPE_ROOT_PORT,
	      "00:%02x.0: a root port (1b36:000c, type 4)", r >> 3);
	CHECK(rd(0, r, PCI_HEADER_TYPE, 1) == PCI_HEADER_TYPE_BRIDGE &&
	      rd(0, r, PCI_CLASS_REVISION, 4) >> 8 == PCI_CLASSCODE_PCI_BRIDGE, "type 1 header, class PCI bridge");
	CHECK(rd(0, r, PCI_PRIMARY_BUS, 4) == 0x040100, "root port: buses 0 / 1 / 4");
	CHECK(rd(1, 0, PCI_VENDOR_ID, 4) == 0x8232104c && port_type(1, 0) == PCI_EXP_TYPE_UPSTREAM,
	      "01:00.0: a switch upstream port (104c:8232, type 5)");
	CHECK(rd(1, 0, PCI_PRIMARY_BUS, 4) == 0x040201, "upstream port: buses 1 / 2 / 4");
	CHECK(rd(1, 1 << 3, PCI_VENDOR_ID, 4) == 0xffffffff, "01:01.0: nothing (the root port's link has device 0 only)");
	for (uint32_t i = 0; i < 2; i++) {
		CHECK(rd(2, i << 3, PCI_VENDOR_ID, 4) == 0x8233104c && port_type(2, i << 3) == PCI_EXP_TYPE_DOWNSTREAM,
		      "02:%02x.0: a switch downstream port (104c:8233, type 6)", i);
		CHECK(rd(2, i << 3, PCI_PRIMARY_BUS, 4) == (0x030302 + 0x010100 * i), "downstream port %u: buses 2 / %u / %u",
		      i, 3 + i, 3 + i);
		CHECK(rd(3 + i, 0, PCI_VENDOR_ID, 4) == 0x11e81234, "%02x:00.0: the function below it", 3 + i);
		CHECK(pci_dev_requester_id(&fn[i]) == (3 + i) << 8, "its requester ID is %02x:00.0", 3 + i);
	}
	CHECK(rd(2, 2 << 3, PCI_VENDOR_ID, 4) == 0xffffffff, "02:02.0: nothing");
	CHECK(rd(6, 0, PCI_VENDOR_ID, 4) == 0xffffffff, "bus 6: nothing");
	CHECK(port_type(0, r2) == PCI_EXP_TYPE_ROOT_PORT && rd(0, r2, PCI_PRIMARY_BUS, 4) == 0x050500 &&
	      rd(5, 0, PCI_VENDOR_ID, 4) == 0x11e81234, "the second root port: buses 0 / 5 / 5, its function at 05:00.0");
	e = find_exp(0, r);
	CHECK(!(rd(0, r, e + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_SLOT), "no slot: nothing is hot-plugged there");
	CHECK((rd(0, r, e + PCI_EXP_LNKCAP, 4) & (PCI_EXP_LNKCAP_SLS | PCI_EXP_LNKCAP_MLW)) ==
	      (PCI_EXP_LNKCAP_SLS_16_0GB | 16 << 4), "link capability 16 GT/s x16");
	CHECK(rd(0, r, e + PCI_EXP_LNKSTA, 2) & PCI_EXP_LNKSTA_DLLLA, "root port: Data Link Layer Link Active");
	CHECK(rd(0, r, PCI_INTERRUPT_PIN, 1) == 0 && rd(0, r, PCI_BASE_ADDRESS_0, 4) == 0, "no interrupt pin, no BAR");
}

static void test_windows(void)
{
	uint32_t r = rp->pci.devfn;

	wr(0, r, PCI_IO_BASE, 2, 0xe0f0);
	CHECK(rd(0, r, PCI_IO_BASE, 2) == 0, "no I/O window");
	wr(0, r, PCI_MEMORY_BASE, 4, 0x10f01000);
	CHECK(rd(0, r, PCI_MEMORY_BASE, 4) == 0x10f01000, "memory window base/limit writable (1 MiB granules)");
	wr(0, r, PCI_MEMORY_BASE, 4, 0xffffffff);
	CHECK(rd(0, r, PCI_MEMORY_BASE, 4) == 0xfff0fff0, "memory window: the low 4 bits read zero");
	CHECK((rd(0, r, PCI_PREF_MEMORY_BASE, 2) & 0xf) == PCI_PREF_RANGE_TYPE_64, "64-bit prefetchable window");
	wr(0, r, PCI_PREF_BASE_UPPER32, 4, 0x12);
	CHECK(rd(0, r, PCI_PREF_BASE_UPPER32, 4) == 0x12, "its upper base writable");
}

static void test_acs(void)
{
	uint32_t hdr = rd(2, 0, PCI_BRIDGE_ACS, 4);

	CHECK((hdr & 0xffff) == PCI_EXT_CAP_ID_ACS && (hdr >> 16 & 0xf) == 1 && !(hdr >> 20),
	      "downstream port: ACS extended capability at 0x100, version 1, last");
	CHECK(rd(2, 0, PCI_BRIDGE_ACS + PCI_ACS_CAP, 2) == (PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF),
	      "ACS: source validation, translation blocking, request/completion redirect, upstream forwarding");
	CHECK(rd(2, 0, PCI_BRIDGE_ACS + PCI_ACS_CTRL, 2) == 0, "ACS controls off at reset (peers below route directly)");
	wr(2, 0, PCI_BRIDGE_ACS + PCI_ACS_CTRL, 2, 0xffff);
	CHECK(rd(2, 0, PCI_BRIDGE_ACS + PCI_ACS_CTRL, 2) == 0x1f, "ACS controls: only the capable ones are writable");
	CHECK((rd(0, rp->pci.devfn, PCI_BRIDGE_ACS, 4) & 0xffff) == PCI_EXT_CAP_ID_ACS &&
	      rd(0, rp->pci.devfn, PCI_BRIDGE_ACS + PCI_ACS_CTRL, 2) == 0, "root port: ACS too, controls off");
	CHECK(rd(1, 0, PCI_BRIDGE_ACS, 4) == 0, "upstream port: no extended capability");
}

static void test_renumber(void)
{
	uint32_t r = rp->pci.devfn;

	/* As Linux numbers from scratch: root port 0/8/11, upstream 8/9/11, downstream ports 9/10, 9/11. */
	wr(0, r, PCI_PRIMARY_BUS, 4, 0x0b0800);
	CHECK(rd(1, 0, PCI_VENDOR_ID, 4) == 0xffffffff && rd(8, 0, PCI_VENDOR_ID, 4) == 0x8232104c,
	      "root port renumbered to 8: the upstream port answers at 08:00.0");
	wr(8, 0, PCI_PRIMARY_BUS, 4, 0x0b0908);
	wr(9, 0, PCI_PRIMARY_BUS, 4, 0x0a0a09);
	wr(9, 1 << 3, PCI_PRIMARY_BUS, 4, 0x0b0b09);
	CHECK(rd(10, 0, PCI_VENDOR_ID, 4) == 0x11e81234 && rd(11, 0, PCI_VENDOR_ID, 4) == 0x11e81234,
	      "the functions at 0a:00.0 and 0b:00.0");
	CHECK(pci_dev_requester_id(&fn[0]) == 0x0a00 && pci_dev_requester_id(&fn[1]) == 0x0b00,
	      "their requester IDs follow");
	CHECK(rd(3, 0, PCI_VENDOR_ID, 4) == 0xffffffff, "bus 3: nothing any more");
	wr(0, r, PCI_SECONDARY_BUS, 1, 0);
	CHECK(rd(8, 0, PCI_VENDOR_ID, 4) == 0xffffffff, "secondary bus 0: the port routes nothing");
	wr(0, r, PCI_PRIMARY_BUS, 4, 0x0b0800);
}

static void test_link(void)
{
	uint32_t e = find_exp(9, 0);

	wr(9, 0, e + PCI_EXP_LNKCTL, 2, PCI_EXP_LNKCTL_LD);
	CHECK(rd(10, 0, PCI_VENDOR_ID, 4) == 0xffffffff, "downstream port 0 link disabled: its function is gone");
	CHECK(!(rd(9, 0, e + PCI_EXP_LNKSTA, 2) & PCI_EXP_LNKSTA_DLLLA), "and Data Link Layer Link Active clear");
	wr(9, 0, e + PCI_EXP_LNKCTL, 2, 0);
	CHECK(rd(10, 0, PCI_VENDOR_ID, 4) == 0x11e81234 && (rd(9, 0, e + PCI_EXP_LNKSTA, 2) & PCI_EXP_LNKSTA_DLLLA),
	      "enabled again: back, link active");
	e = find_exp(8, 0);
	wr(8, 0, e + PCI_EXP_LNKCTL, 2, PCI_EXP_LNKCTL_LD);
	CHECK(!(rd(8, 0, e + PCI_EXP_LNKCTL, 2) & PCI_EXP_LNKCTL_LD) && rd(10, 0, PCI_VENDOR_ID, 4) == 0x11e81234,
	      "an upstream port has no Link Disable");
}

static void test_reset(void)
{
	memset(resets, 0, sizeof(resets));
	wr(9, 1 << 3, PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_BUS_RESET);
	wr(9, 1 << 3, PCI_BRIDGE_CONTROL, 2, 0);
	CHECK(resets[0] == 0 && resets[1] == 1, "downstream port 1's Secondary Bus Reset resets its function only");
	wr(9, 0, PCI_BRIDGE_ACS + PCI_ACS_CTRL, 2, 0x1f);
	wr(0, rp->pci.devfn, PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_BUS_RESET);
	CHECK(resets[0] == 1 && resets[1] == 2 && resets[2] == 0, "the root port's resets the whole switch below");
	CHECK(rd(9, 0, PCI_VENDOR_ID, 4) == 0xffffffff && rd(8, 0, PCI_PRIMARY_BUS, 4) == 0x040201,
	      "the switch's ports are back to their initial bus numbers");
	wr(0, rp->pci.devfn, PCI_BRIDGE_CONTROL, 2, 0);
	wr(0, rp->pci.devfn, PCI_PRIMARY_BUS, 4, 0x040100);
	CHECK(rd(2, 0, PCI_BRIDGE_ACS + PCI_ACS_CTRL, 2) == 0 && pci_dev_requester_id(&fn[0]) == 0x0300,
	      "ACS controls off again, the function below is 03:00.0 again");
}

static void test_bounds(void)
{
	uint8_t b[8];

	/* Accesses the host bridge filters: wider than 4, misaligned or past 4 KiB change nothing. */
	memset(b, 0x5a, sizeof(b));
	pci_host_cfg_access(vm.pci, 3, 0, 0xffe, b, 4, true);
	pci_host_cfg_access(vm.pci, 3, 0, 0x1000, b, 4, false);
	pci_host_cfg_access(vm.pci, 300, 0, 0, b, 4, false);
	pci_host_cfg_access(vm.pci, 3, 300, 0, b, 4, false);
	CHECK(rd(3, 0, PCI_VENDOR_ID, 4) == 0x11e81234, "out-of-range accesses are harmless");
}

/* Behind a vIOMMU pci_topology.c presets a downstream port's ACS controls; a reset keeps them. */
static void test_acs_preset(void)
{
	struct pci_bridge *d;
	uint8_t v[2];

	if (pci_bridge_create(&vm, PCI_BRIDGE_SWITCH_DOWN, "dsp-preset", 0, 9, &d)) {
		CHECK(0, "a downstream port for the preset");
		return;
	}
	pci_bridge_acs_preset(d);
	pci_dev_cfg_read(&d->pci, PCI_BRIDGE_ACS + PCI_ACS_CTRL, v, 2);
	CHECK(pci_le_get(v, 2) == (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF),
	      "ACS preset: source validation, request/completion redirect, upstream forwarding on");
	pci_le_put(v, 2, 0);
	pci_dev_cfg_write(&d->pci, PCI_BRIDGE_ACS + PCI_ACS_CTRL, v, 2);
	d->pci.ops->bus_reset(&d->pci);
	pci_dev_cfg_read(&d->pci, PCI_BRIDGE_ACS + PCI_ACS_CTRL, v, 2);
	CHECK(pci_le_get(v, 2) == (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF), "and back on after a reset");
	pci_bridge_destroy(d);
}

int main(void)
{
	vm.vm_fd = -1;
	if (bus_init(&vm.mmio, "mmio") || bus_init(&vm.pio, "pio") || pci_host_create(&vm)) {
		CHECK(0, "host setup");
		return tap_done();
	}
	build();
	test_enumeration();
	test_windows();
	test_acs();
	test_renumber();
	test_link();
	test_reset();
	test_bounds();
	test_acs_preset();
	destroyed = 0;
	pci_host_remove_all(vm.pci);
	CHECK(destroyed == 3, "removing every function destroys the ports and the functions below them");
	pci_host_destroy(&vm);
	bus_destroy(&vm.mmio);
	bus_destroy(&vm.pio);
	return tap_done();
}
