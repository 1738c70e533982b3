/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every vIOMMU device of a VM (smmuv3_dev.c, vtd_dev.c) does around its front-end: the
 * software backend the front-end starts on, its register page on vm->mmio, its ops on the PCI host
 * (pci_viommu.h, before any function exists: every function sits behind the unit), and the switch
 * to a backend that wraps the software one (nested, shadow) when the first device is assigned.
 * Set up in that order, undone in reverse; the front-end itself is the device's.
 */
#ifndef NESTVM_VIOMMU_MOUNT_H
#define NESTVM_VIOMMU_MOUNT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

struct pci_viommu_ops;
struct viommu;
struct vm;

struct viommu_mount {
	struct vm *vm;
	const char *name;               /* the model: messages and the bus range */
	struct viommu *backend;         /* software; nested or shadow (wrapping it) once a device is assigned */
	uint64_t base;
	void *mmio_opaque;
	bool mmio_on;
	bool registered;                /* the PCI host's vIOMMU: every function's DMA and MSIs */
};

/* Before the front-end's init: checks the VM has a PCI host and makes the software backend. */
int viommu_mount_init(struct viommu_mount *m, struct vm *vm, const char *name);
/*
 * After it: the register page at BASE (SIZE bytes, FN with MMIO_OPAQUE) on vm->mmio, then OPS
 * (with OPAQUE) on the PCI host. Unwinds its own steps on failure.
 */
int viommu_mount_expose(struct viommu_mount *m, uint64_t base, uint64_t size, bus_access_fn fn, void *mmio_opaque,
			const struct pci_viommu_ops *ops, void *opaque);
/*
 * The first assigned device: WRAPPED (made by the caller from m->backend, which it owns from then
 * on, also when it failed: NULL) becomes the backend, and the front-end's *SLOT (read under LOCK)
 * points at it; FRONTEND receives its events. On NULL a new software backend takes the old one's
 * place in both, and -ENOMEM is returned.
 */
int viommu_mount_wrap(struct viommu_mount *m, struct viommu *wrapped, pthread_mutex_t *lock, struct viommu **slot,
		      void *frontend);
/* Off the PCI host and the bus (no vCPU runs any more, the functions are gone). */
void viommu_mount_hide(struct viommu_mount *m);
/* Destroys the backend, after the front-end. */
void viommu_mount_fini(struct viommu_mount *m);

#endif
