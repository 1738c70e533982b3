// SPDX-License-Identifier: GPL-2.0-only
/* The cold-plugged PCIe topology of assigned devices (pci_topology.h). */
#include "devices/pci_topology.h"

#include <errno.h>
#include <limits.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <string.h>

#include "devices/host_topology.h"
#include "devices/pci.h"
#include "devices/pci_bridge.h"
#include "devices/vfio_pci.h"
#include "vmm/log.h"
#include "vmm/vm.h"

/* Root ports' Port Numbers (Link Capabilities): after the hot-plug ports' 1..CFG_MAX_HOTPLUG_SLOTS. */
#define TOPO_PORT_BASE 0x20

int pci_topology_place(const struct vm_config *cfg, const char *sysfs, struct pci_place *out)
{
	for (unsigned int i = 0; i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++) {
		const struct vfio_config *c = &cfg->vfio[i];
		char dir[PATH_MAX];
		int r;

		out[i] = (struct pci_place){ .place = c->place };
		snprintf(out[i].sw, sizeof(out[i].sw), "%s", c->sw);
		if (c->place != VFIO_PLACE_DEFAULT)
			continue;
		out[i].place = VFIO_PLACE_FLAT;
		if (cfg->topology != PCIE_TOPOLOGY_HOST)
			continue;
		r = host_pci_dir(c, sysfs, dir, sizeof(dir));
		if (r)
			return r;
		r = host_pci_switch(dir, out[i].sw, sizeof(out[i].sw));
		out[i].place = r > 0 ? VFIO_PLACE_SWITCH : VFIO_PLACE_ROOT_PORT;
		pr_debug("--pcie-topology host: vfio%u (%s): %s%s", i, strrchr(dir, '/') + 1,
			 r > 0 ? "below host switch " : "on a root port", r > 0 ? out[i].sw : "");
	}
	return 0;
}

bool pci_topology_any(const struct vm_config *cfg, const struct pci_place *place)
{
	for (unsigned int i = 0; i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++)
		if (place[i].place != VFIO_PLACE_FLAT)
			return true;
	return false;
}

/* A root port on bus 0 with secondary bus *BUS (allocated here). */
static int root_port(struct vm *vm, unsigned int nr, const char *name, struct pci_bridge **out)
{
	int bus = pci_host_alloc_bus(vm->pci, name), r;

	if (bus < 0)
		return bus;
	r = pci_bridge_create(vm, PCI_BRIDGE_ROOT_PORT, name, TOPO_PORT_BASE + nr, (uint8_t)bus, out);
	if (r)
		return r;
	/* ACS as for the downstream ports below (make_switch): the whole path to the root bus needs it. */
	if (pci_host_viommu(vm->pci))
		pci_bridge_acs_preset(*out);
	r = pci_host_add(vm->pci, &(*out)->pci);
	if (r) {
		pci_bridge_destroy(*out);
		*out = NULL;
	}
	return r;
}

/* Assigned device IDX at 00.0 of PORT's secondary bus. */
static int device_below(struct vm *vm, unsigned int idx, struct pci_bridge *port)
{
	const uint8_t bus = port->pci.cfg[PCI_SECONDARY_BUS];
	struct vfio_pci *v;
	int r;

	r = vfio_pci_create_below(vm, &vm->cfg->vfio[idx], idx, &bus, &v);
	if (r)
		return r;
	r = pci_bridge_attach(port, 0, &v->pci);
	if (r) {
		v->pci.ops->destroy(&v->pci);
		return r;
	}
	pr_debug("%s: below %s, PCI %02x:00.0", v->name, port->name, bus);
	return 0;
}

/* Switch SW: root port NR, its upstream port, a downstream port per device placed in SW (from FIRST on). */
static int make_switch(struct vm *vm, const struct pci_place *place, unsigned int first, unsigned int nr, bool *done)
{
	const struct vm_config *cfg = vm->cfg;
	const char *sw = place[first].sw;
	struct pci_bridge *rp, *usp, *dsp;
	char name[48];
	unsigned int k = 0;
	int r, bus;

	snprintf(name, sizeof(name), "switch %s root port", sw);
	r = root_port(vm, nr, name, &rp);
	if (r)
		return r;
	snprintf(name, sizeof(name), "switch %s upstream", sw);
	bus = pci_host_alloc_bus(vm->pci, name);
	if (bus < 0)
		return bus;
	r = pci_bridge_create(vm, PCI_BRIDGE_SWITCH_UP, name, 0, (uint8_t)bus, &usp);
	if (r)
		return r;
	r = pci_bridge_attach(rp, 0, &usp->pci);
	if (r) {
		pci_bridge_destroy(usp);
		return r;
	}
	for (unsigned int i = first; i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++) {
		if (done[i] || place[i].place != VFIO_PLACE_SWITCH || strcmp(place[i].sw, sw))
			continue;
		done[i] = true;
		snprintf(name, sizeof(name), "switch %s downstream %u", sw, k);
		bus = pci_host_alloc_bus(vm->pci, name);
		if (bus < 0)
			return bus;
		r = pci_bridge_create(vm, PCI_BRIDGE_SWITCH_DOWN, name, k, (uint8_t)bus, &dsp);
		if (r)
			return r;
		r = pci_bridge_attach(usp, k, &dsp->pci);
		if (r) {
			pci_bridge_destroy(dsp);
			return r;
		}
		/*
		 * Behind a vIOMMU, ACS redirect on from the start, as IOMMU platforms' firmware sets it: a
		 * DT guest enumerates PCI before its SMMU driver asks for ACS (pci_request_acs), so it
		 * would put every function below the switch in one IOMMU group and VFIO in the guest could
		 * not take them one by one. Without one, off: P2P routes through the switch.
		 */
		if (pci_host_viommu(vm->pci))
			pci_bridge_acs_preset(dsp);
		k++;
		r = device_below(vm, i, dsp);
		if (r)
			return r;
	}
	/* Firmware's Subordinate Bus Numbers: the last bus of the subtree, now that it is numbered. */
	bus = (int)pci_host_nr_buses(vm->pci) - 1;
	pci_bridge_set_subordinate(usp, (uint8_t)bus);
	pci_bridge_set_subordinate(rp, (uint8_t)bus);
	pr_info("PCIe switch %s: root port 00:%02x.0, upstream port %02x:00.0, %u downstream port(s), buses %02x-%02x",
		sw, rp->pci.devfn >> 3, usp->pci.bus, k, rp->pci.cfg[PCI_SECONDARY_BUS], bus);
	return 0;
}

int pci_topology_create(struct vm *vm, const struct pci_place *place)
{
	const struct vm_config *cfg = vm->cfg;
	bool done[CFG_MAX_VFIO] = { false };
	unsigned int nr = 0;
	int r = 0;

	/* In the order of the command line; a switch takes all its devices when its first one comes. */
	for (unsigned int i = 0; !r && i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++) {
		struct pci_bridge *rp;
		char name[48];

		if (done[i] || place[i].place == VFIO_PLACE_FLAT)
			continue;
		if (place[i].place == VFIO_PLACE_SWITCH) {
			r = make_switch(vm, place, i, nr++, done);
			continue;
		}
		done[i] = true;
		snprintf(name, sizeof(name), "root port %u (vfio%u)", nr, i);
		r = root_port(vm, nr++, name, &rp);
		if (!r)
			r = device_below(vm, i, rp);
	}
	return r;
}
