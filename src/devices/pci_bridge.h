/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ports of a cold-plugged PCIe topology (--device vfio,...,root-port=on|switch=ID, docs/topology.md):
 * a type 1 (PCI-to-PCI bridge) function whose PCI Express capability (PCIe 6.0 7.5.3.2) says which
 * port it is, and the functions on its secondary bus, fixed before the guest runs:
 *   - a Root Port (type 4) on bus 0, without a slot: its link holds one function, at 00.0; an ACS
 *     extended capability as below;
 *   - a switch's Upstream Port (type 5) below a root port: its secondary bus is the switch's internal
 *     bus, holding the Downstream Ports at devices 0..N-1;
 *   - a switch's Downstream Port (type 6): one function below, at 00.0, and an ACS extended
 *     capability (6.12, 7.7.8) as real switches have, so the guest's IOMMU code gives each function
 *     below a group of its own and its P2P code sees that peers below one switch route through it.
 * The header (7.5.1.3): bus numbers, a memory window and a 64-bit prefetchable window (registers only:
 * functions below decode their BARs wherever the guest puts them), no I/O window, Bridge Control with
 * Secondary Bus Reset (what is below resets). No BARs and no interrupts: nothing to hot-plug, no
 * errors to report. Config accesses for buses in [secondary, subordinate] are routed down through the
 * guest-programmed bus numbers; a disabled link (Link Control LD) hides what is below.
 */
#ifndef NESTVM_DEVICES_PCI_BRIDGE_H
#define NESTVM_DEVICES_PCI_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"

enum pci_bridge_kind { PCI_BRIDGE_ROOT_PORT, PCI_BRIDGE_SWITCH_UP, PCI_BRIDGE_SWITCH_DOWN };

#define PCI_BRIDGE_ACS 0x100        /* the ACS extended capability of root and downstream ports */

struct pci_bridge {
	struct pci_dev pci;
	char name[48];
	enum pci_bridge_kind kind;
	uint8_t exp;                    /* PCI Express capability offset */
	/* Device N (function 0) of the secondary bus. Set before the guest runs, then fixed: no lock. */
	struct pci_dev *child[PCI_NR_SLOTS];
	uint8_t init[PCI_CFG_SPACE_SIZE_EXP];      /* config space as built: what a reset returns to */
};

/*
 * Builds a bridge of KIND named NAME (copied) with secondary and subordinate bus BUS, as firmware
 * numbers them (pci_host_alloc_bus); PORT is the Port Number of Link Capabilities (7.5.3.6). It is on
 * no bus yet: pci_host_add (a root port) or pci_bridge_attach (switch ports) places it. Until then the
 * caller destroys it with pci_bridge_destroy; afterwards its parent does.
 */
int pci_bridge_create(struct vm *vm, enum pci_bridge_kind kind, const char *name, unsigned int port, uint8_t bus,
		      struct pci_bridge **out);
/*
 * Puts D (built, BARs unassigned) at device SLOT, function 0, of B's secondary bus; B owns it from
 * then on (destroyed with B). Before the guest runs. -EINVAL for a slot the port cannot have (a root
 * or downstream port's link holds device 0 only, PCIe 6.0 7.3.1), -EBUSY for a taken one.
 */
int pci_bridge_attach(struct pci_bridge *b, unsigned int slot, struct pci_dev *d);
/*
 * A root or downstream port's ACS controls as firmware of an IOMMU platform leaves them: Source Validation,
 * P2P Request and Completion Redirect, Upstream Forwarding on (what Linux requires of a port to give
 * the functions below IOMMU groups of their own, REQ_ACS_FLAGS), also after a reset. Before the guest runs.
 */
void pci_bridge_acs_preset(struct pci_bridge *b);
/* The last bus below B, once its subtree is numbered (firmware's Subordinate Bus Number). */
void pci_bridge_set_subordinate(struct pci_bridge *b, uint8_t sub);
/* D as a port of this kind, or NULL (another function). */
struct pci_bridge *pci_bridge_of(struct pci_dev *d);
/* Destroys B and everything below it (a bridge on no bus yet; on a bus its parent does this). */
void pci_bridge_destroy(struct pci_bridge *b);

#endif
