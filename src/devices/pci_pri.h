/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated ATS and Page Request extended capabilities (PCIe 6.0 10.5.1, 10.5.2, 7.6.3 headers) of a
 * function whose page requests nestvm carries to the guest's vIOMMU: the iopf test function's and an
 * assigned function's whose host IOMMU reports its page requests to iommufd. The host kernel owns the
 * real ATS and PRI enables (its IOMMU driver sets them when it attaches the function), so the guest's
 * writes change only this view; PRI Enable is what tells the vIOMMU to route the function's page
 * requests to the guest (pci_viommu_ops.set_iopf).
 *
 *   ATS at OFF:       Capability: Invalidate Queue Depth 0 (32), Page Aligned Request (bit 5);
 *                     Control: STU 4:0 and Enable (bit 15), guest-writable.
 *   PRI at OFF + 0x10: Control: Enable (bit 0), Reset (bit 1, reads 0: clears the status bits below
 *                     while Enable is 0); Status: Response Failure (bit 0), Unexpected PRG Index
 *                     (bit 1), RW1C, Stopped (bit 8) = not enabled (the requests outstanding are the
 *                     host's, answered by nestvm whatever the guest does); Outstanding Page Request
 *                     Capacity (read-only), Allocation RW.
 */
#ifndef NESTVM_DEVICES_PCI_PRI_H
#define NESTVM_DEVICES_PCI_PRI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

#define PCI_ATS_PRI_SIZE 0x20   /* ATS (8 bytes, padded to 16) then PRI (16) */

/* Both capabilities at OFF (4-byte aligned, >= 0x100), PRI's next pointing at NEXT (0: last), with an
 * Outstanding Page Request Capacity of CAPACITY. Sets config space, wmask and w1c. */
void pci_ats_pri_add(struct pci_dev *d, uint16_t off, uint16_t next, uint32_t capacity);
/*
 * After a config write of REG/LEN (already applied to D's config space): the PRI control register's
 * side effects (Reset, Stopped). true when the write touched the PRI control register, with *ENABLED
 * its Enable bit. Takes D's lock.
 */
bool pci_pri_written(struct pci_dev *d, uint16_t off, uint32_t reg, const uint8_t *data, uint32_t len, bool *enabled);
/* After a function reset or a restore of D's config space: Stopped follows Enable again; returns
 * Enable. Takes D's lock. */
bool pci_pri_sync(struct pci_dev *d, uint16_t off);

#endif
