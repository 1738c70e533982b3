// SPDX-License-Identifier: GPL-2.0-only
/* The VM's PCI devices from its config: the root complex, a virtio-blk per disk, virtio-console. */
#include "devices/devices.h"

#include "devices/pci.h"
#include "devices/virtio.h"
#include "vmm/config.h"
#include "vmm/vm.h"

int devices_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int r;

	r = pci_host_create(vm);
	if (r)
		return r;
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
	return 0;
err:
	/* The host owns every function added so far and destroys them with itself. */
	pci_host_destroy(vm);
	return r;
}

void devices_destroy(struct vm *vm)
{
	pci_host_destroy(vm);
}
