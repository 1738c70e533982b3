/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live update of the PCI host's config-space state. One section per function the host has:
 *
 *   "pci-cfg", instance = devfn, version 1, mandatory: u16 vendor ID, u16 device ID (the restoring
 *   model must be the same function), then the 4096 bytes of emulated config space; only the bits
 *   the guest can write (and RW1C bits) are taken back, the rest is the new model's own.
 *
 * Functions' own device state (virtio queues, MSI-X tables, vfio interrupts) is not serialized yet:
 * vm_state_refusal refuses an update while the VM has any function but the host bridge.
 */
#ifndef NESTVM_PCI_STATE_H
#define NESTVM_PCI_STATE_H

#include <stddef.h>

#include "liveupdate/state_format.h"

#define PCI_CFG_STATE_TYPE "pci-cfg"

struct pci_host;
struct pci_dev;

int pci_dev_state_save(struct pci_dev *d, struct lu_writer *w);
int pci_dev_state_restore(struct pci_dev *d, const struct lu_section *s, char *why, size_t why_size);
/* Every function of H (bridge included); and their restore, each from its devfn's section. */
int pci_host_state_save(struct pci_host *h, struct lu_writer *w);
int pci_host_state_restore(struct pci_host *h, const struct lu_state *st, char *why, size_t why_size);

#endif
