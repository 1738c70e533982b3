/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VT-d remapping unit as a device of a VM (--viommu vtd, x86_64): its register page on
 * vm->mmio, its own interrupts (fault event, invalidation completion) as MSIs through KVM, the
 * software backend for emulated devices behind it, and its front-end ops on the PCI host
 * (pci_viommu.h): DMA translation and interrupt remapping for every function. Assigned devices
 * go behind it on the nested backend (viommu_nested.h with vtd_nested.h) when the host VT-d can
 * nest, else on the shadow backend (viommu_shadow.h); --viommu vtd,backend= overrides. In test builds the
 * IOMMUFD_TEST mock device can be its page-request source (--iopf-mock; vtd_prq.c, docs/iopf.md). The arch code picks the address and
 * describes the unit to the guest (DMAR).
 */
#ifndef NESTVM_VTD_DEV_H
#define NESTVM_VTD_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/iopf_source.h"
#include "iommu/viommu_mount.h"
#include "iommu/vtd.h"

struct lu_state;
struct lu_writer;
struct viommu_nested_saved;
struct viommu_shadow_saved;
struct vm;

struct vtd_dev {
	struct vtd vtd;
	struct viommu_mount mount;      /* backend: software; shadow (wrapping it) once a device is assigned */
	bool shadow;
	bool nested;                    /* (one or the other once a device is assigned) */
	struct iopf_source src;         /* the page-request source, if any (test builds: the mock device) */
	bool assigned_iopf;             /* ... which takes the assigned functions' page requests (nested) */
	/* Restoring by exec: the saved devices of the backend adopted (one or the other), until the
	 * registers are back. */
	struct viommu_shadow_saved *shadow_saved;
	struct viommu_nested_saved *nested_saved;
};

/* Creates the unit at BASE (VTD_MMIO_SIZE bytes) with the default feature set, and device-TLBs
 * (ECAP.DT) with --iopf-mock function=on. DEST32: the VM's
 * KVM takes 32-bit destination ids (KVM_CAP_X2APIC_API), so remapped interrupts may target x2APIC
 * ids above 255. */
int vtd_dev_create(struct vm *vm, uint64_t base, bool dest32, struct vtd_dev **out);
void vtd_dev_destroy(struct vm *vm, struct vtd_dev *d);

/*
 * Live update by re-exec (docs/liveupdate.md): the register model (vtd_state.h) and, with assigned
 * devices, the backend's devices: the shadow one's (viommu_shadow.h) or the nested one's
 * (viommu_nested.h: the nest parent, blocked and nested HWPTs by id).
 */
int vtd_dev_state_save(struct vtd_dev *d, struct lu_writer *w);
/* After the assigned devices adopted their IOASes (at VM build), before the PCI functions' state. */
int vtd_dev_state_restore(struct vtd_dev *d, const struct lu_state *st, char *why, size_t why_size);

#endif
