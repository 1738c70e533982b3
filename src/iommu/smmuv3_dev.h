/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SMMUv3 as a device of a VM: its two register pages on vm->mmio, its wired interrupts through
 * KVM, MSI writes into guest RAM (CMD_SYNC completion), the software backend for emulated
 * devices behind it, and its front-end ops on the PCI host (pci_viommu.h) for every function. The arch code picks the address and interrupt lines (arm64: layout.h).
 */
#ifndef NESTVM_SMMUV3_DEV_H
#define NESTVM_SMMUV3_DEV_H

#include <stdint.h>

#include "iommu/smmuv3.h"
#include "iommu/viommu_mount.h"

struct iopf;
struct iopf_mock;
struct vm;

struct smmuv3_dev {
	struct smmuv3 smmu;
	struct viommu_mount mount;      /* backend: software; nested (wrapping it) once an assigned device joins */
	bool nested;
	uint32_t irq[SMMUV3_NR_IRQS];   /* irq_line() numbers: eventq, priq, cmdq-sync, gerror */
	struct iopf *iopf;              /* the I/O page fault service, with a page-request source */
	struct iopf_mock *mock;         /* test builds: the IOMMUFD_TEST mock device as that source */
};

/* Creates the SMMU at BASE (SMMU_MMIO_SIZE bytes) with the default feature set. */
int smmuv3_dev_create(struct vm *vm, uint64_t base, const uint32_t irq[SMMUV3_NR_IRQS], struct smmuv3_dev **out);
void smmuv3_dev_destroy(struct vm *vm, struct smmuv3_dev *d);
/* The host's MSI doorbell IPA for the assigned devices (viommu_nested_host_msi); -ENODEV: none nested. */
int smmuv3_dev_host_msi_base(struct smmuv3_dev *d, uint64_t *base);

#endif
