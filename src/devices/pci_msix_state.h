/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An MSI-X table across a live update (docs/liveupdate.md):
 *
 *   "pci-msix", instance = devfn, version 1, mandatory: u32 number of vectors (1..64, must be the
 *   restoring model's), then per vector u32 message address low, high, data, vector control (the
 *   guest-visible table entry, PCI 3.0 6.8.2.6-9), then the PBA as u64 words ((N + 63) / 64).
 *
 * Message Control (enable, function mask) is config space ("pci-cfg"). The vector eventfds are not
 * in the section: their owner hands them over (vfio-pci: the fds its VFIO device signals).
 * Decoding is pure (unit-tested, fuzzed); applying is pci_msix_restore_table + pci_msix_resume.
 */
#ifndef NESTVM_PCI_MSIX_STATE_H
#define NESTVM_PCI_MSIX_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "devices/pci_msix.h"
#include "liveupdate/state_format.h"

#define PCI_MSIX_STATE_TYPE "pci-msix"
#define PCI_MSIX_STATE_VERSION 1

struct pci_msix_saved {
	unsigned int nr;
	struct { uint32_t addr_lo, addr_hi, data, ctrl; } e[PCI_MSIX_MAX_VECTORS];
	uint64_t pba[(PCI_MSIX_MAX_VECTORS + 63) / 64];
};

/* The table of M (its vectors, under its lock) as a section for function DEVFN. */
int pci_msix_state_save(struct pci_msix *m, uint8_t devfn, struct lu_writer *w);
/*
 * Decodes a "pci-msix" section: the vector count, reserved control bits clear, address low
 * dword aligned, no PBA bit beyond the vectors. -EINVAL with WHY.
 */
int pci_msix_state_decode(const struct lu_section *s, struct pci_msix_saved *out, char *why, size_t why_size);

#endif
