// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM's PCI devices from its config: the root complex, a virtio-blk per disk, virtio-console,
 * assigned devices, and root ports with empty hot-plug slots.
 */
#include "devices/devices.h"

#include <stdio.h>

#include "devices/hotplug.h"
#include "devices/iopf_fn.h"
#include "devices/pci.h"
#include "devices/pci_topology.h"
#include "devices/vfio_pci.h"
#include "devices/virtio.h"
#include "iommu/fail_inject.h"
#include "iommu/iommufd.h"
#include "iommu/iommufd_state.h"
#include "liveupdate/state_format.h"
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
/*
 * After a live update: the iommufd the previous process handed over, with its IOAS (guest RAM
 * mapped) and the devices bound and attached as they were: nothing is allocated or mapped again.
 */
static int vfio_adopt(struct vm *vm)
{
	const struct lu_section *s = lu_state_find(vm->restore, IOMMUFD_STATE_TYPE, 0);
	struct iommufd_saved saved;
	int r, fd = fdtab_lookup(&vm->fds, FD_IOMMUFD, "iommufd");

	if (!s || fd < 0) {
		snprintf(vm->restore_why, sizeof(vm->restore_why), "the state has no %s", s ? "handed-over iommufd fd" :
			 "iommufd section");
		return -EINVAL;
	}
	r = iommufd_state_decode(s, &saved, vm->restore_why, sizeof(vm->restore_why));
	if (r)
		return r;
	/* The same RAM at the same place (the machine is made from the same arguments). */
	for (unsigned int i = 0; i < saved.nr_maps; i++) {
		bool found = false;

		for (unsigned int k = 0; k < vm->mem.nr && !found; k++)
			found = vm->mem.r[k].gpa == saved.map[i].iova && vm->mem.r[k].size == saved.map[i].len;
		if (!found) {
			snprintf(vm->restore_why, sizeof(vm->restore_why), "IOAS mapping 0x%llx+0x%llx is no RAM region of this VM",
				 (unsigned long long)saved.map[i].iova, (unsigned long long)saved.map[i].len);
			return -EINVAL;
		}
	}
	return iommufd_ctx_adopt(&vm->iommufd, fd, &saved, vm->restore_why, sizeof(vm->restore_why));
}

static int vfio_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct pci_place place[CFG_MAX_VFIO];
	int r;

	r = pci_topology_place(cfg, "/sys", place);
	if (r)
		return r;
	if (vm->restore && pci_topology_any(cfg, place)) {
		/* Not reached: an update of such a VM is refused (the bridges have no saved state). */
		snprintf(vm->restore_why, sizeof(vm->restore_why), "root ports and switches are not restored");
		return -EINVAL;
	}
	if (vm->restore && !vm_restore_reopens(vm)) {
		r = vfio_adopt(vm);
		for (unsigned int i = 0; !r && i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++)
			r = vfio_pci_create(vm, &cfg->vfio[i], i);
		return r;
	}
	/* Also after a kexec: a new iommufd and IOAS, the devices opened, reset and attached anew. */
	r = iommufd_ctx_open(&vm->iommufd, cfg->iommufd_fd);
	if (r)
		return r;
	/* Bus 0's devices first, then the ports with theirs (docs/topology.md). */
	for (unsigned int i = 0; i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++) {
		r = place[i].place == VFIO_PLACE_FLAT ? vfio_pci_create(vm, &cfg->vfio[i], i) : 0;
		if (r)
			return r;
	}
	r = pci_topology_create(vm, place);
	if (r)
		return r;
	return iommufd_ctx_map_ram(&vm->iommufd, &vm->mem);
}

int devices_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int r, fds = -1;

	iommufd_ctx_init(&vm->iommufd, &vm->fds);
#ifdef NESTVM_IOMMUFD_TEST
	/* First, so its slot (the mock source's requester id) is not taken by the next-free-slot ones. */
	if (cfg->iopf_mock.on && cfg->iopf_mock.function) {
		r = iopf_fn_create(vm, cfg->iopf_mock.sid);
		if (r)
			goto err;
	}
#endif
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
	if (cfg->nr_vfio || cfg->hotplug_slots || cfg->iopf_mock.on) {
		if (fail_inject_active())
			fds = fail_inject_count_fds();
		r = vfio_create(vm);
		if (r)
			goto err;
	}
	if (cfg->iopf_mock.on) {
		const struct pci_viommu *pv = vm->pci ? &vm->pci->viommu : NULL;

		r = pv && pv->ops && pv->ops->attach_iopf_mock ?
			    pv->ops->attach_iopf_mock(pv->opaque, &cfg->iopf_mock, vm->iommufd.fd, vm->iommufd.ioas_id) :
			    err_num(EOPNOTSUPP, "--iopf-mock: the vIOMMU takes no page-request source");
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
	/*
	 * After a live update nothing is torn down: closing a handed-over device or the iommufd would
	 * stop what the previous binary takes back (vm_restore_fallback execs it with every fd as is).
	 */
	if (vm->restore)
		return r;
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
