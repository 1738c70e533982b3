/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SMMUv3 as a device of a VM: its two register pages on vm->mmio, its wired interrupts through
 * KVM, MSI writes into guest RAM (CMD_SYNC completion), the software backend for emulated
 * devices behind it, and its front-end ops on the PCI host (pci_viommu.h) for every function. The arch code picks the address and interrupt lines (arm64: layout.h).
 */
#ifndef NESTVM_SMMUV3_DEV_H
#define NESTVM_SMMUV3_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "iommu/iopf_source.h"
#include "iommu/smmuv3.h"
#include "iommu/viommu_mount.h"

struct vm;
struct lu_writer;
struct lu_state;
struct viommu_nested_saved;

struct smmuv3_dev {
	struct smmuv3 smmu;
	struct viommu_mount mount;      /* backend: software; nested (wrapping it) once an assigned device joins */
	bool nested;
	uint32_t irq[SMMUV3_NR_IRQS];   /* irq_line() numbers: eventq, priq, cmdq-sync, gerror */
	struct iopf_source src;         /* the page-request source, if any (test builds: the mock device) */
	struct viommu_nested_saved *adopt;  /* live update, restoring: the objects assigned devices adopt */
};

/* Creates the SMMU at BASE (SMMU_MMIO_SIZE bytes) with the default feature set. */
int smmuv3_dev_create(struct vm *vm, uint64_t base, const uint32_t irq[SMMUV3_NR_IRQS], struct smmuv3_dev **out);
void smmuv3_dev_destroy(struct vm *vm, struct smmuv3_dev *d);
/* The host's MSI doorbell IPA for the assigned devices (viommu_nested_host_msi); -ENODEV: none nested. */
int smmuv3_dev_host_msi_base(struct smmuv3_dev *d, uint64_t *base);

/*
 * Live update (smmuv3_state.h, viommu_nested.h): the "smmuv3" section, and "viommu-nested" when an
 * assigned device made the backend nested. Restoring, the model is frozen from its creation, the
 * assigned devices adopt their iommufd objects (smmuv3_dev.c), and smmuv3_dev_state_restore (after
 * the interrupt controller, before the PCI functions, whose DMA and MSIs it translates) puts the
 * registers back and attaches every stream from the guest's tables. -EINVAL with WHY.
 */
int smmuv3_dev_state_save(struct smmuv3_dev *d, struct lu_writer *w);
int smmuv3_dev_state_restore(struct smmuv3_dev *d, const struct lu_state *st, char *why, size_t why_size);

#endif
