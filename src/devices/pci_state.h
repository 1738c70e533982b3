/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live update of the PCI host's config-space state. One section per function the host has:
 *
 *   "pci-cfg", instance = devfn, version 1, mandatory: u16 vendor ID, u16 device ID (the restoring
 *   model must be the same function), then the 4096 bytes of emulated config space; only the bits
 *   the guest can write (and RW1C bits) are taken back, the rest is the new model's own.
 *
 * A function's own state is its model's (pci_dev_ops lu_*: vfio-pci, vfio_pci_state.h); a VM with a
 * function whose model has none (virtio, root ports) is refused an update (vm_state_refusal).
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
/* Every function of H (bridge included): config space, then the model's own sections (lu_save). */
int pci_host_state_save(struct pci_host *h, struct lu_writer *w);
/* Config space of every function from its devfn's section, then each model's lu_restore. */
int pci_host_state_restore(struct pci_host *h, const struct lu_state *st, char *why, size_t why_size);
/* The first function of H that cannot be carried across an update (no lu_save), or NULL. */
const struct pci_dev *pci_host_state_unsaved(struct pci_host *h);
/* Every function's lu_quiesce (before anything is saved) / lu_resume (the update did not happen). */
void pci_host_state_quiesce(struct pci_host *h);
void pci_host_state_resume(struct pci_host *h);

#endif
