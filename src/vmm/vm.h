/* SPDX-License-Identifier: GPL-2.0-only */
/* A virtual machine: the KVM VM fd, guest RAM, buses, vCPUs, interrupts and devices. */
#ifndef NESTVM_VM_H
#define NESTVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "iommu/iommufd.h"
#include "vmm/boot_watch.h"
#include "vmm/bus.h"
#include "vmm/config.h"
#include "vmm/fdtab.h"
#include "vmm/guest_mem.h"
#include "vmm/irq.h"
#include "vmm/vcpu.h"

struct evloop;
struct hotplug;
struct lu_state;
struct pci_host;

struct vm {
	const struct vm_config *cfg;
	const struct arch_layout *layout;   /* arch_vm_layout(cfg); read through vm_layout() */
	/* Every fd the VM keeps is registered here (its owner closes it through fdtab_close). */
	struct fdtab fds;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;

	struct guest_mem mem;
	struct bus mmio;
	struct bus pio;
	/*
	 * Guest-physical ranges KVM maps from a device's mmap (assigned BARs), registered by their
	 * owner while its memslots are in. When the host revokes such a mapping (vfio-pci after a host
	 * side reset, power change or decode off), KVM_RUN fails with EFAULT: vcpu.c then "reads" one
	 * byte at the faulting address here, and the owner takes its memslots out so that the access is
	 * retried as trapped MMIO (reading all-ones, dropping writes, like a function that stopped
	 * decoding) instead of stopping the VM.
	 */
	struct bus devmem;
	struct irq_routes irq;
	struct evloop *loop;
	struct pci_host *pci;
	/*
	 * Device assignment (only with --device vfio): the VM's iommufd and its IOAS of guest RAM.
	 * The vfio-pci functions on vm->pci own their device fds. Set up and torn down by devices.c:
	 * devices first (closing a cdev detaches it), then the IOAS mappings, the IOAS, the iommufd.
	 */
	struct iommufd_ctx iommufd;
	struct hotplug *hotplug;      /* --hotplug-slots: root ports for vm.add-device (devices/hotplug.h) */

	struct vcpu *vcpus;
	unsigned int nr_vcpus;
	struct vcpu_park park;        /* vm.pause: vcpus_park / vcpus_unpark */

	/* First reason to stop wins (enum nestvm_exit); 0 while running. */
	atomic_int exit_code;
	atomic_bool stopping;

	atomic_uint next_memslot;     /* vm_alloc_memslot */
	uint32_t max_memslots;        /* KVM_CAP_NR_MEMSLOTS */
	unsigned int built;           /* VM_BUILT_* steps vm_create completed, for vm_destroy */
	struct boot_watch boot_watch; /* --boot-timeout */

	/*
	 * Live update, in the new process (vm_create with a state): what to restore from, and why the
	 * restore failed (one line, for the update's reply). Restoring, nothing is loaded into RAM.
	 */
	const struct lu_state *restore;
	char restore_why[256];
	/* Called by vm_run once every vCPU thread started (the update's reply), or NULL. */
	void (*started)(struct vm *vm, void *arg);
	void *started_arg;

	struct arch_vm arch;
};

/*
 * Restoring after a kexec (nestvm restore, cfg->lu_fds: the RAM memfds LUO handed back): only guest
 * RAM and the state crossed the reboot, so the host's devices (VFIO cdevs and the iommufd, disk
 * images) are opened anew from the run arguments and given the saved guest-visible state; after an
 * exec they are the handed-over fds, adopted as they are.
 */
static inline bool vm_restore_reopens(const struct vm *vm)
{
	return vm->restore && vm->cfg && vm->cfg->lu_fds;
}

/* The VM's memory map (arch_layout where the VM was not made by vm_create, e.g. in unit tests). */
static inline const struct arch_layout *vm_layout(const struct vm *vm)
{
	return vm->layout ? vm->layout : &arch_layout;
}

/* The KVM capabilities every VM needs (checked by vm_create, shown by `nestvm host`). */
struct vm_kvm_cap {
	int cap;
	const char *name;
};
extern const struct vm_kvm_cap vm_kvm_caps[];
extern const size_t vm_nr_kvm_caps;

/*
 * Opens /dev/kvm, creates the VM, RAM, buses, event loop, arch devices; loads the kernel. With
 * RESTORE (a live update's validated state, kept until vm_destroy): adopts the handed-over fds
 * (guest RAM, ...), makes the same machine and restores its state instead of loading a kernel; on
 * failure vm->restore_why says why, and the handed-over fds are left open for a fallback.
 */
int vm_create(struct vm *vm, const struct vm_config *cfg, const struct lu_state *restore);
/* Starts vCPU threads and runs the event loop on the calling thread until the guest stops. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);
/* Any thread: records CODE (first one wins) and stops vCPUs and the loop. */
void vm_request_exit(struct vm *vm, int code);
/* Registers KVM memslot(s) for a guest-memory region (RAM or a device BAR mapping). */
int vm_set_memslot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva, bool readonly);
/*
 * The VM's fd table for its parts to register their fds in, or NULL for a VM that vm_create did not
 * make (unit tests and fuzzers assemble parts by hand): the parts' fds are then their own.
 */
struct fdtab *vm_fdtab(struct vm *vm);
/* The VM's fd table, set up as vm_create does (first thing); for a VM unit tests assemble by hand too. */
int vm_fdtab_init(struct vm *vm);
/* A free memslot id, or UINT32_MAX (reported) when KVM has no more. SIZE 0 in vm_set_memslot deletes one. */
uint32_t vm_alloc_memslot(struct vm *vm);

#endif
