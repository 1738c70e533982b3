/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the unit tests of vIOMMU front-ends made the way vm_create makes them (vtd_dev,
 * smmuv3_dev): a struct vm with guest RAM, the MMIO and port buses and the PCI host, no KVM
 * (vm_fd -1) and no vCPU; assigned devices come from the fake iommufd.
 */
#ifndef NESTVM_TEST_PCI_VM_H
#define NESTVM_TEST_PCI_VM_H

#include <errno.h>
#include <string.h>

#include "devices/pci.h"
#include "vmm/vm.h"

/* VM with CFG (may be NULL), LOOP, RAM_SIZE bytes of RAM at RAM_BASE and the PCI host. 0 or -EIO. */
static inline int pci_vm_init(struct vm *vm, struct vm_config *cfg, struct evloop *loop, uint64_t ram_base,
			      uint64_t ram_size)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->vm_fd = vm->kvm_fd = -1;
	vm->loop = loop;
	vm->iommufd.fd = -1;
	if (gmem_add_ram(&vm->mem, ram_base, ram_size, false) || bus_init(&vm->mmio, "mmio") || bus_init(&vm->pio, "pio") ||
	    pci_host_create(vm))
		return -EIO;
	return 0;
}

/* After the front-end's own destroy (its functions removed first: pci_host_remove_all). */
static inline void pci_vm_fini(struct vm *vm)
{
	pci_host_destroy(vm);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	gmem_destroy(&vm->mem);
}

#endif
