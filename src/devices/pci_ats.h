/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated ATS, Page Request and PASID extended capabilities (PCIe 6.0 10.5.1 ATS, 10.5.2 PRI,
 * 7.8.8 PASID; 7.6.3 headers) of a function whose address translation the guest's vIOMMU and the
 * host share: the iopf test function's, and an assigned function's (vfio-pci shows ATS and PRI
 * read-only and hides PASID; the host's IOMMU driver owns the real enables and sets them when it
 * attaches the function). So the guest's writes change only this view; PRI Enable is what tells
 * the vIOMMU to route the function's page requests to the guest (pci_viommu_ops.set_iopf).
 *
 *   ATS (8 bytes, 16 kept): Capability: Invalidate Queue Depth 0 (32), Page Aligned Request (bit 5);
 *         Control: STU 4:0 and Enable (bit 15), guest-writable.
 *   PRI (16): Control: Enable (bit 0), Reset (bit 1, reads 0: clears the status bits below while
 *         Enable is 0); Status: Response Failure (bit 0), Unexpected PRG Index (bit 1), RW1C,
 *         Stopped (bit 8) = not enabled (the requests outstanding are the host's, answered by
 *         nestvm whatever the guest does); Outstanding Page Request Capacity (read-only),
 *         Allocation RW.
 *   PASID (8): Capability: Execute Permission Supported (bit 1), Privileged Mode Supported (bit 2),
 *         Max PASID Width 12:8; Control: PASID Enable (bit 0), Execute Permission Enable (bit 1)
 *         and Privileged Mode Enable (bit 2), each writable only where supported.
 */
#ifndef NESTVM_DEVICES_PCI_ATS_H
#define NESTVM_DEVICES_PCI_ATS_H

#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

#define PCI_ATS_PRI_SIZE 0x20       /* ATS (padded to 16 bytes) then PRI (16) */
#define PCI_PASID_EMUL_SIZE 0x08
#define PCI_ATS_EMUL_MAX (PCI_ATS_PRI_SIZE + PCI_PASID_EMUL_SIZE)   /* the most these take */

/* ATS at OFF and PRI at OFF + 0x10 (4-byte aligned, >= 0x100), PRI's next pointing at NEXT (0: last),
 * with an Outstanding Page Request Capacity of CAPACITY. Sets config space, wmask and w1c. */
void pci_ats_pri_add(struct pci_dev *d, uint16_t off, uint16_t next, uint32_t capacity);
/* PASID at OFF (next NEXT) for WIDTH PASID bits (1..20), with the execute / privileged modes. */
void pci_pasid_add(struct pci_dev *d, uint16_t off, uint16_t next, unsigned int width, bool exec, bool priv);
/*
 * After a config write of REG/LEN (already applied to D's config space): the PRI control register's
 * side effects (Reset, Stopped) for PRI at OFF + 0x10. true when the write touched the PRI control
 * register, with *ENABLED its Enable bit. Takes D's lock.
 */
bool pci_pri_written(struct pci_dev *d, uint16_t off, uint32_t reg, const uint8_t *data, uint32_t len, bool *enabled);
/* After a function reset or a restore of D's config space: Stopped follows Enable again; returns
 * Enable. Takes D's lock. */
bool pci_pri_sync(struct pci_dev *d, uint16_t off);

#endif
