/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCIe topology assigned devices are cold-plugged into (docs/topology.md): each device on bus 0
 * (the default), behind a root port of its own (root-port=on), or behind a downstream port of a
 * virtual switch (switch=ID: one upstream port below one root port, a downstream port per device).
 * --pcie-topology host places the devices that ask for nothing as the host has them: the ones below
 * one host switch behind one virtual switch, the others behind root ports.
 * Bus numbers are pre-assigned depth first (pci_host_alloc_bus), as firmware and Linux number them.
 */
#ifndef NESTVM_DEVICES_PCI_TOPOLOGY_H
#define NESTVM_DEVICES_PCI_TOPOLOGY_H

#include <stdbool.h>

#include "vmm/config.h"

struct vm;

/* Where device N goes: its config's placement, or the host's with --pcie-topology host. */
struct pci_place {
	enum vfio_place place;      /* never VFIO_PLACE_DEFAULT */
	char sw[CFG_SWITCH_ID_MAX];
};

/*
 * Fills OUT[0..cfg->nr_vfio) (SYSFS: "/sys" but for tests). 0, or -errno (reported) when the host's
 * topology of a device cannot be read.
 */
int pci_topology_place(const struct vm_config *cfg, const char *sysfs, struct pci_place *out);
/* True when some device is placed behind a port. */
bool pci_topology_any(const struct vm_config *cfg, const struct pci_place *place);
/*
 * Builds the root ports and switches PLACE asks for on the VM's PCI host, and the devices placed in
 * them (vfio_pci_create_below); the flat ones are the caller's. Everything built belongs to the PCI
 * host (pci_host_remove_all destroys it), also on failure.
 */
int pci_topology_create(struct vm *vm, const struct pci_place *place);

#endif
