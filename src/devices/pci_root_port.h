/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A PCIe root port with a native hot-plug slot, for the guest's stock pciehp driver: a type 1
 * (PCI-to-PCI bridge) function on bus 0 whose secondary bus holds at most one function, at 00.0.
 *   - header (PCIe 6.0 7.5.1.3): bus numbers, a memory window and a 64-bit prefetchable window
 *     (registers only: functions below decode their BARs wherever the guest puts them), no I/O
 *     window, Bridge Control with Secondary Bus Reset (the function below is reset);
 *   - PCI Express capability (7.5.3) as a Root Port with Slot Implemented: link x1 2.5 GT/s with
 *     Data Link Layer Link Active reporting, Slot Capabilities with an attention button, a power
 *     controller, attention and power indicators and Hot-Plug Capable; Command Completed is
 *     reported for every Slot Control write;
 *   - MSI-X with one vector (table in BAR0): the hot-plug interrupt, sent when the OR of the enabled
 *     Slot Status events goes from 0 to 1 (6.7.3.4, what pciehp's ISR relies on).
 * The slot's owner (hotplug.c) plugs a function (presence detect changed + attention button),
 * presses the button to ask for its removal, and is told when the guest powers the slot on or off.
 */
#ifndef NESTVM_DEVICES_PCI_ROOT_PORT_H
#define NESTVM_DEVICES_PCI_ROOT_PORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/pci_msix.h"

struct pci_root_port;

struct pci_root_port_ops {
	/*
	 * The guest switched the slot's power controller (Slot Control PCC, 7.5.3.10) ON or off.
	 * Called on the writing vCPU's thread with no lock held: the owner defers real work.
	 */
	void (*power)(void *opaque, struct pci_root_port *p, bool on);
};

struct pci_root_port {
	struct pci_dev pci;
	struct pci_msix msix;
	char name[16];
	unsigned int nr;                /* the port's index; Physical Slot Number nr + 1 */
	uint8_t bus;                    /* the secondary bus number pre-assigned (pci_host_alloc_bus) */
	uint8_t exp;                    /* PCI Express capability offset */
	const struct pci_root_port_ops *ops;
	void *opaque;
	/*
	 * The function below and config accesses to it: vCPUs reach it under the read lock, plugging and
	 * unplugging take the write lock, so an unplugged function is no longer in use once it returns.
	 */
	pthread_rwlock_t child_lock;
	struct pci_dev *child;
	/* Under pci.lock: */
	bool present;                   /* Presence Detect State */
	bool link_up;                   /* Data Link Layer Link Active */
	bool irq_level;                 /* the OR of the enabled events, last time it was evaluated */
	uint16_t sltctl;                /* Slot Control as last seen (PCC edges) */
	uint64_t nr_irqs;               /* hot-plug interrupts sent */
	uint64_t lnksta_reads;          /* guest reads of Link Status (atomic): see pci_root_port_link_reads */
};

/*
 * Builds root port NR (secondary bus the next free number, until the guest renumbers it) and puts it on the VM's
 * PCI host, which owns it from then on: pci_host_remove_all destroys it and the function in its slot.
 */
int pci_root_port_create(struct vm *vm, unsigned int nr, const struct pci_root_port_ops *ops, void *opaque,
			 struct pci_root_port **out);
/*
 * Puts D (already built, BARs unassigned) at 00.0 of the secondary bus and signals its arrival as a
 * hot-plug event (Presence Detect Changed and Attention Button Pressed, as QEMU does: pciehp powers
 * the slot on and enumerates). -EBUSY when the slot is occupied.
 */
int pci_root_port_plug(struct pci_root_port *p, struct pci_dev *d);
/*
 * Takes the function out of the slot (presence and link down, Presence Detect Changed and Data Link
 * Layer State Changed signalled) and returns it, or NULL. No vCPU uses it any more afterwards.
 * SURPRISE: the guest was not asked first (host device gone).
 */
struct pci_dev *pci_root_port_unplug(struct pci_root_port *p);
/* The attention button (6.7.1.5): pciehp starts its 5 s countdown to power the slot off (or on). */
void pci_root_port_press_button(struct pci_root_port *p);
/* Slot Control's power controller is on (PCC clear). */
bool pci_root_port_powered(struct pci_root_port *p);
/*
 * How many times the guest has read Link Status: pciehp reads it last when it decides whether an
 * occupied slot must be turned on (pciehp_handle_presence_or_link_change), which tells the slot's
 * owner that the guest is done with a removal.
 */
uint64_t pci_root_port_link_reads(struct pci_root_port *p);
/* The secondary bus number the guest gave the port (0 before enumeration). */
uint8_t pci_root_port_secondary_bus(struct pci_root_port *p);

#endif
