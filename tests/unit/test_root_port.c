// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCIe root port and its hot-plug slot (pci_root_port.c), driven through config space as
 * Linux's pciehp drives it: enable the slot events, a card arrives (presence detect changed +
 * attention button), power the slot on, the link comes up, enumerate 00.0 of the secondary bus,
 * button pressed for removal, power off, the card goes. Interrupts are counted at the port.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "arch/arch.h"
#include "devices/pci.h"
#include "devices/pci_root_port.h"
#include "tap.h"
#include "vmm/vm.h"

static struct vm vm;
static struct pci_root_port *rp;
static unsigned int powered_on, powered_off, resets, destroyed;
static struct pci_dev child, child2;

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

static void power(void *opaque, struct pci_root_port *p, bool on)
{
	if (on)
		powered_on++;
	else
		powered_off++;
}

static void child_reset(struct pci_dev *d)
{
	resets++;
}

static void child_destroy(struct pci_dev *d)
{
	destroyed++;
	pci_dev_fini(d);
}

static const struct pci_root_port_ops rp_ops = { .power = power };
static const struct pci_dev_ops child_ops = { .bus_reset = child_reset, .destroy = child_destroy };

/* The port's devfn on bus 0 and its PCIe capability, found as a guest finds them. */
static uint32_t port, pcie;

static uint16_t sltsta(void)
{
	return (uint16_t)rd(0, port, pcie + PCI_EXP_SLTSTA, 2);
}

static void test_header(void)
{
	uint32_t p;

	CHECK(rd(0, port, PCI_VENDOR_ID, 4) == 0x000c1b36, "root port ids 1b36:000c");
	CHECK(rd(0, port, PCI_CLASS_REVISION, 4) >> 8 == PCI_CLASSCODE_PCI_BRIDGE, "class: PCI-to-PCI bridge");
	CHECK(rd(0, port, PCI_HEADER_TYPE, 1) == PCI_HEADER_TYPE_BRIDGE, "type 1 header");
	CHECK(rd(0, port, PCI_PRIMARY_BUS, 4) == 0x010100, "buses pre-assigned: primary 0, secondary 1, subordinate 1");
	CHECK(rd(0, port, PCI_INTERRUPT_PIN, 1) == 0, "no INTx pin: MSI-X only");
	/* Linux's probe of the optional windows (pci_read_bridge_windows). */
	wr(0, port, PCI_IO_BASE, 2, 0xe0f0);
	CHECK(rd(0, port, PCI_IO_BASE, 2) == 0, "no I/O window: I/O Base/Limit read-only zero");
	wr(0, port, PCI_PREF_MEMORY_BASE, 4, 0xfff0fff0);
	CHECK(rd(0, port, PCI_PREF_MEMORY_BASE, 4) == 0xfff1fff1, "64-bit prefetchable window");
	wr(0, port, PCI_PREF_BASE_UPPER32, 4, 0xffffffff);
	CHECK(rd(0, port, PCI_PREF_BASE_UPPER32, 4) == 0xffffffff, "prefetchable base upper 32 bits writable");
	wr(0, port, PCI_MEMORY_BASE, 4, 0x10f01000);
	CHECK(rd(0, port, PCI_MEMORY_BASE, 4) == 0x10f01000, "memory window base/limit (1 MiB granules)");
	wr(0, port, PCI_MEMORY_BASE, 4, 0xffffffff);
	CHECK(rd(0, port, PCI_MEMORY_BASE, 4) == 0xfff0fff0, "memory window low nibbles read zero");
	/* The capability list: PCI Express then MSI-X. */
	for (p = rd(0, port, PCI_CAPABILITY_LIST, 1); p && p < 256; p = rd(0, port, p + 1, 1))
		if (rd(0, port, p, 1) == PCI_CAP_ID_EXP)
			pcie = p;
	CHECK(pcie, "PCI Express capability at 0x%x", pcie);
	CHECK((rd(0, port, pcie + PCI_EXP_FLAGS, 2) & 0x1f0) == (PCI_EXP_TYPE_ROOT_PORT << 4 | PCI_EXP_FLAGS_SLOT),
	      "Root Port with Slot Implemented");
	CHECK((rd(0, port, pcie + PCI_EXP_SLTCAP, 4) &
	       (PCI_EXP_SLTCAP_HPC | PCI_EXP_SLTCAP_ABP | PCI_EXP_SLTCAP_PCP | PCI_EXP_SLTCAP_NCCS)) ==
	      (PCI_EXP_SLTCAP_HPC | PCI_EXP_SLTCAP_ABP | PCI_EXP_SLTCAP_PCP), "slot: hot-plug capable, button, power controller, command completed");
	CHECK(rd(0, port, pcie + PCI_EXP_SLTCAP, 4) >> 19 == 1, "physical slot number 1");
	CHECK(rd(0, port, pcie + PCI_EXP_LNKCAP, 4) & PCI_EXP_LNKCAP_DLLLARC, "link: DLL Link Active reporting");
	CHECK((rd(0, port, pcie + PCI_EXP_LNKSTA, 2) & (PCI_EXP_LNKSTA_NLW | PCI_EXP_LNKSTA_LT | PCI_EXP_LNKSTA_DLLLA)) ==
	      PCI_EXP_LNKSTA_NLW_X1, "link: x1, not training, down");
	CHECK((sltsta() & PCI_EXP_SLTSTA_PDS) == 0 && rd(0, port, pcie + PCI_EXP_SLTCTL, 2) & PCI_EXP_SLTCTL_PCC,
	      "empty slot, powered off");
	CHECK(rd(1, 0, PCI_VENDOR_ID, 4) == 0xffffffff, "nothing on bus 1 yet (all-ones)");
}

/* pciehp's sequence, one step per check. */
static void test_hotplug(void)
{
	const uint16_t en = PCI_EXP_SLTCTL_ABPE | PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_CCIE | PCI_EXP_SLTCTL_HPIE |
			    PCI_EXP_SLTCTL_DLLSCE;
	uint64_t irqs, reads;

	/* pcie_enable_notification: events on, power still off. */
	wr(0, port, pcie + PCI_EXP_SLTCTL, 2, en | PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PWR_IND_OFF | PCI_EXP_SLTCTL_ATTN_IND_OFF);
	CHECK(sltsta() & PCI_EXP_SLTSTA_CC, "Slot Control write: Command Completed");
	CHECK(rp->nr_irqs == 1, "... with an interrupt (CCIE, HPIE)");
	wr(0, port, pcie + PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_CC);
	CHECK(!(sltsta() & PCI_EXP_SLTSTA_CC), "Command Completed is RW1C");
	CHECK(powered_on == 0 && powered_off == 0, "no power change reported for an unchanged PCC");

	/* A card arrives. */
	pci_dev_init(&child, &vm, &child_ops, "child", 0x1234, 0x11e8, 0x00ff0010, 0, 0);
	CHECK(pci_root_port_plug(rp, &child) == 0, "plugged");
	CHECK(pci_root_port_plug(rp, &child2) == -EBUSY, "a second card: -EBUSY");
	CHECK((sltsta() & (PCI_EXP_SLTSTA_PDS | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_ABP)) ==
	      (PCI_EXP_SLTSTA_PDS | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_ABP), "presence detected and changed, button pressed");
	CHECK(rp->nr_irqs == 2, "one interrupt for both events (6.7.3.4)");
	pci_root_port_press_button(rp);
	CHECK(rp->nr_irqs == 2, "no new interrupt while an enabled event is still set");
	CHECK(rd(1, 0, PCI_VENDOR_ID, 4) == 0xffffffff, "powered off: the card does not answer");
	wr(0, port, pcie + PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_ABP);
	CHECK((sltsta() & 0x1ff) == PCI_EXP_SLTSTA_PDS, "events cleared, presence stays");

	/* pciehp_power_on_slot: PCC 0, power indicator on. */
	irqs = rp->nr_irqs;
	wr(0, port, pcie + PCI_EXP_SLTCTL, 2, en | PCI_EXP_SLTCTL_PWR_IND_ON | PCI_EXP_SLTCTL_ATTN_IND_OFF);
	CHECK(powered_on == 1, "power on reported to the slot's owner");
	reads = pci_root_port_link_reads(rp);
	CHECK(rd(0, port, pcie + PCI_EXP_LNKSTA, 2) & PCI_EXP_LNKSTA_DLLLA, "link up (DLLLA)");
	CHECK(pci_root_port_link_reads(rp) == reads + 1, "a Link Status read is counted (the hot-plug owner's settle point)");
	rd(0, port, pcie + PCI_EXP_LNKCTL, 2);
	rd(0, port, pcie + PCI_EXP_SLTSTA, 2);
	CHECK(pci_root_port_link_reads(rp) == reads + 1, "Link Control and Slot Status reads are not");
	rd(0, port, pcie + PCI_EXP_LNKCTL, 4);
	CHECK(pci_root_port_link_reads(rp) == reads + 2, "a dword read of Link Control/Status is");
	CHECK((sltsta() & (PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_CC)) == (PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_CC),
	      "link state changed, command completed");
	CHECK(rp->nr_irqs == irqs + 1, "one interrupt");
	CHECK(rd(1, 0, PCI_VENDOR_ID, 4) == 0x11e81234, "enumeration: the card at 01:00.0");
	CHECK(rd(1, 1 << 3, PCI_VENDOR_ID, 4) == 0xffffffff && rd(1, 1, PCI_VENDOR_ID, 4) == 0xffffffff,
	      "only device 0 on a port's bus");
	CHECK(rd(2, 0, PCI_VENDOR_ID, 4) == 0xffffffff, "bus 2: nothing");
	CHECK(pci_dev_requester_id(&child) == 0x100, "the card's requester ID is 01:00.0");
	wr(1, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	CHECK(rd(1, 0, PCI_COMMAND, 2) == PCI_COMMAND_MASTER, "config writes reach the card");
	wr(0, port, pcie + PCI_EXP_SLTSTA, 2, 0xffff);

	/* The guest renumbers the buses: routing and the requester ID follow. */
	wr(0, port, PCI_PRIMARY_BUS, 4, 0x050500);
	CHECK(rd(5, 0, PCI_VENDOR_ID, 4) == 0x11e81234 && rd(1, 0, PCI_VENDOR_ID, 4) == 0xffffffff,
	      "secondary bus 5: the card moves there");
	CHECK(pci_dev_requester_id(&child) == 0x500, "requester ID 05:00.0");
	wr(0, port, PCI_PRIMARY_BUS, 4, 0x010100);

	/* Link Disable takes the link down, and back. */
	wr(0, port, pcie + PCI_EXP_LNKCTL, 2, PCI_EXP_LNKCTL_LD);
	CHECK(!(rd(0, port, pcie + PCI_EXP_LNKSTA, 2) & PCI_EXP_LNKSTA_DLLLA) && rd(1, 0, 0, 4) == 0xffffffff,
	      "Link Disable: link down, the card unreachable");
	wr(0, port, pcie + PCI_EXP_LNKCTL, 2, 0);
	CHECK(rd(1, 0, 0, 4) == 0x11e81234, "link enabled again");
	wr(0, port, pcie + PCI_EXP_SLTSTA, 2, 0xffff);

	/* Secondary Bus Reset resets the card once per assertion. */
	wr(0, port, PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_BUS_RESET);
	wr(0, port, PCI_BRIDGE_CONTROL, 2, 0);
	CHECK(resets == 1, "Secondary Bus Reset resets the card");

	/* Removal: the button, then pciehp powers the slot off, then the card goes. */
	irqs = rp->nr_irqs;
	pci_root_port_press_button(rp);
	CHECK((sltsta() & PCI_EXP_SLTSTA_ABP) && rp->nr_irqs == irqs + 1, "attention button: event and interrupt");
	wr(0, port, pcie + PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_ABP);
	wr(0, port, pcie + PCI_EXP_SLTCTL, 2, en | PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PWR_IND_OFF | PCI_EXP_SLTCTL_ATTN_IND_OFF);
	CHECK(powered_off == 1 && !pci_root_port_powered(rp), "power off reported");
	CHECK(!(rd(0, port, pcie + PCI_EXP_LNKSTA, 2) & PCI_EXP_LNKSTA_DLLLA) && (sltsta() & PCI_EXP_SLTSTA_DLLSC),
	      "link down, state changed");
	CHECK(pci_root_port_unplug(rp) == &child, "unplug gives the card back");
	CHECK(!(sltsta() & PCI_EXP_SLTSTA_PDS) && (sltsta() & PCI_EXP_SLTSTA_PDC), "presence gone, changed");
	CHECK(pci_root_port_unplug(rp) == NULL, "an empty slot unplugs nothing");
	pci_dev_fini(&child);

	/* HPIE off: events are recorded, no interrupt. */
	wr(0, port, pcie + PCI_EXP_SLTSTA, 2, 0xffff);
	wr(0, port, pcie + PCI_EXP_SLTCTL, 2, (en & ~PCI_EXP_SLTCTL_HPIE) | PCI_EXP_SLTCTL_PCC);
	irqs = rp->nr_irqs;
	pci_root_port_press_button(rp);
	CHECK((sltsta() & PCI_EXP_SLTSTA_ABP) && rp->nr_irqs == irqs, "Hot-Plug Interrupt Enable off: no interrupt");
	/* Turning it on with an event pending sends one (the OR goes 0 -> 1). */
	wr(0, port, pcie + PCI_EXP_SLTCTL, 2, en | PCI_EXP_SLTCTL_PCC);
	CHECK(rp->nr_irqs == irqs + 1, "enabling with an event pending interrupts");
}

/* A card in the slot when the VM goes: the port destroys it. */
static void test_teardown(void)
{
	pci_dev_init(&child2, &vm, &child_ops, "child2", 0x1234, 0x11e8, 0x00ff0010, 0, 0);
	CHECK(pci_root_port_plug(rp, &child2) == 0, "a second card plugged");
	destroyed = 0;
	pci_host_remove_all(vm.pci);
	CHECK(destroyed == 1, "removing every function destroys the card in the slot");
}

int main(void)
{
	vm.vm_fd = -1;
	if (bus_init(&vm.mmio, "mmio") || bus_init(&vm.pio, "pio") || pci_host_create(&vm)) {
		CHECK(0, "host setup");
		return tap_done();
	}
	CHECK(pci_root_port_create(&vm, 0, &rp_ops, NULL, &rp) == 0, "root port created on bus 0");
	port = rp->pci.devfn;
	CHECK(port == 1 << 3, "in slot 1");
	test_header();
	test_hotplug();
	test_teardown();
	pci_host_destroy(&vm);
	bus_destroy(&vm.mmio);
	bus_destroy(&vm.pio);
	return tap_done();
}
