// SPDX-License-Identifier: GPL-2.0-only
/* The glue between a vIOMMU device, its VM and its backend (see viommu_mount.h). */
#include "iommu/viommu_mount.h"

#include <errno.h>

#include "devices/pci.h"
#include "iommu/viommu.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int viommu_mount_init(struct viommu_mount *m, struct vm *vm, const char *name)
{
	*m = (struct viommu_mount){ .vm = vm, .name = name };
	if (!vm->pci)
		return err_num(EINVAL, "%s: no PCI host to sit in front of", name);
	m->backend = viommu_soft_create(&vm->mem);
	return m->backend ? 0 : -ENOMEM;
}

int viommu_mount_expose(struct viommu_mount *m, uint64_t base, uint64_t size, bus_access_fn fn, void *mmio_opaque,
			const struct pci_viommu_ops *ops, void *opaque)
{
	int r = bus_register(&m->vm->mmio, base, size, fn, mmio_opaque, m->name);

	if (r)
		return err_num(r, "%s: MMIO range at 0x%llx", m->name, (unsigned long long)base);
	m->base = base;
	m->mmio_opaque = mmio_opaque;
	m->mmio_on = true;
	r = pci_host_set_viommu(m->vm->pci, ops, opaque);
	if (r) {
		bus_unregister(&m->vm->mmio, base, mmio_opaque);
		m->mmio_on = false;
		return r;
	}
	m->registered = true;
	return 0;
}

int viommu_mount_wrap(struct viommu_mount *m, struct viommu *wrapped, pthread_mutex_t *lock, struct viommu **slot,
		      void *frontend)
{
	struct viommu *b = wrapped;

	/* The wrapper took the software backend with it when it failed: a new one. */
	if (!wrapped)
		b = viommu_soft_create(&m->vm->mem);
	if (b)
		b->frontend = frontend;
	pthread_mutex_lock(lock);
	*slot = b;
	pthread_mutex_unlock(lock);
	m->backend = b;
	return wrapped ? 0 : -ENOMEM;
}

void viommu_mount_hide(struct viommu_mount *m)
{
	if (m->registered && m->vm->pci)
		pci_host_set_viommu(m->vm->pci, NULL, NULL);
	m->registered = false;
	if (m->mmio_on)
		bus_unregister(&m->vm->mmio, m->base, m->mmio_opaque);
	m->mmio_on = false;
}

void viommu_mount_fini(struct viommu_mount *m)
{
	viommu_destroy(m->backend);
	m->backend = NULL;
}
