// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM's PCI devices from its config: the root complex, a virtio-blk per disk, virtio-console,
 * assigned devices, and root ports with empty hot-plug slots.
 */
#include "devices/devices.h"

#include "devices/hotplug.h"
#include "devices/pci.h"
#include "devices/vfio_pci.h"
#include "devices/virtio.h"
#include "iommu/fail_inject.h"
#include "iommu/iommufd.h"
#include "vmm/config.h"
#include "vmm/log.h"
#include "vmm/vm.h"

/* Pre-opened fds (--iommufd fd=, --device vfio,fd=) that nestvm took over and closes on failure. */
static int passed_fds(const struct vm_config *cfg)
{
	int n = cfg->iommufd_fd >= 0;

	for (unsigned int i = 0; i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++)
		n += cfg->vfio[i].fd >= 0;
	return n;
}

/*
 * Device assignment: one iommufd + IOAS per VM, every device bound and attached, then guest RAM
 * mapped (IOVA == GPA) once the attached devices' reserved IOVA ranges are known. Only when asked.
 */
static int vfio_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int r;

	r = iommufd_ctx_open(&vm->iommufd, cfg->iommufd_fd);
	if (r)
		return r;
	for (unsigned int i = 0; i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++) {
		r = vfio_pci_create(vm, &cfg->vfio[i], i);
		if (r)
			return r;
	}
	return iommufd_ctx_map_ram(&vm->iommufd, &vm->mem);
}

int devices_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int r, fds = -1;

	iommufd_ctx_init(&vm->iommufd, &vm->fds);
	for (unsigned int i = 0; i < cfg->nr_disks && i < CFG_MAX_DISKS; i++) {
		r = virtio_blk_create(vm, &cfg->disks[i], i);
		if (r)
			goto err;
	}
	if (cfg->console == CONSOLE_VIRTIO) {
		r = virtio_console_create(vm);
		if (r)
			goto err;
	}
	if (cfg->nr_vfio || cfg->hotplug_slots) {
		if (fail_inject_active())
			fds = fail_inject_count_fds();
		r = vfio_create(vm);
		if (r)
			goto err;
	}
	if (cfg->hotplug_slots) {
		/* Empty root ports after every other function: bus 0's numbering does not depend on them. */
		r = hotplug_create(vm, cfg->hotplug_slots, &vm->hotplug);
		if (r)
			goto err;
	}
	return 0;
err:
	/* The host owns every function added so far; then the vIOMMU's nested objects go (they hold the IOAS). */
	hotplug_destroy(vm->hotplug);
	vm->hotplug = NULL;
	pci_host_remove_all(vm->pci);
	iommufd_ctx_close(&vm->iommufd);
	if (fds >= 0) {
		/* NESTVM_FAIL_AT tests: unwinding must give back every fd the vfio setup opened. */
		int now = fail_inject_count_fds();

		pr_debug("fail-inject: %d fds before device assignment, %d after unwinding", fds, now);
		if (now > fds - passed_fds(cfg))
			pr_err("fd leak: %d fds open before device assignment, %d after unwinding", fds, now);
	}
	return r;
}

void devices_destroy(struct vm *vm)
{
	/* Hot-plug watches, functions (hot-plugged ones with their root ports), then the vIOMMU's nested
	 * objects (pci_host_remove_all): they hold the IOAS. */
	hotplug_destroy(vm->hotplug);
	vm->hotplug = NULL;
	pci_host_remove_all(vm->pci);
	iommufd_ctx_close(&vm->iommufd);
}
