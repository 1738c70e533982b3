// SPDX-License-Identifier: GPL-2.0-only
/* The VM: creation in dependency order, unwinding in reverse, and the run/stop protocol. */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/devices.h"
#include "liveupdate/fds_section.h"
#include "devices/pci.h"
#include "devices/pci_state.h"
#include "vmm/console.h"
#include "vmm/event_monitor.h"
#include "vmm/evloop.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/seccomp.h"
#include "vmm/vcpu.h"

enum {
	VM_BUILT_MMIO = 1 << 0,
	VM_BUILT_PIO = 1 << 1,
	VM_BUILT_IRQ = 1 << 2,
	VM_BUILT_ARCH = 1 << 3,
	VM_BUILT_DEVICES = 1 << 4,
	VM_BUILT_CONSOLE = 1 << 5,
	VM_BUILT_PCI = 1 << 6,
	VM_BUILT_DEVMEM = 1 << 7,
	VM_BUILT_PARK = 1 << 8,
	VM_BUILT_FDTAB = 1 << 9,
	VM_BUILT_BOOT_WATCH = 1 << 10,
};

#define KVM_API_VERSION_REQUIRED 12   /* the only stable KVM API version (api.rst 4.1) */
#define EVLOOP_ENTRIES 256

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV) {
		pr_err("/dev/kvm: this host has no KVM (enable virtualization, load the kvm module)");
		return -EOPNOTSUPP;
	}
	if (errno == EACCES || errno == EPERM) {
		pr_err("/dev/kvm: permission denied (add this user to the kvm group)");
		return -EACCES;
	}
	return err_errno("open /dev/kvm");
}

const struct vm_kvm_cap vm_kvm_caps[] = {
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ KVM_CAP_IRQFD, "IRQFD" },
	{ KVM_CAP_IOEVENTFD, "IOEVENTFD" },
	{ KVM_CAP_IRQ_ROUTING, "IRQ_ROUTING" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },   /* vcpu_kick */
};
const size_t vm_nr_kvm_caps = sizeof(vm_kvm_caps) / sizeof(vm_kvm_caps[0]);

static int check_caps(struct vm *vm)
{
	int r, max;

	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r < 0)
		return err_errno("KVM_GET_API_VERSION");
	if (r != KVM_API_VERSION_REQUIRED) {
		pr_err("KVM API version %d, nestvm needs %d", r, KVM_API_VERSION_REQUIRED);
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < vm_nr_kvm_caps; i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, vm_kvm_caps[i].cap) <= 0) {
			pr_err("the host's KVM lacks KVM_CAP_%s", vm_kvm_caps[i].name);
			return -EOPNOTSUPP;
		}
	}
	/* KVM_CAP_MAX_VCPUS, falling back to the recommended count (api.rst KVM_CAP_NR_VCPUS). */
	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && vm->cfg->cpus > (unsigned int)max) {
		pr_err("--cpus %u: the host's KVM allows at most %d vCPUs", vm->cfg->cpus, max);
		return -EINVAL;
	}
	r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	vm->max_memslots = r > 0 ? (uint32_t)r : 32;   /* 32: the pre-NR_MEMSLOTS minimum */
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size < 0)
		return err_errno("KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)vm->vcpu_mmap_size < sizeof(struct kvm_run)) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE %d is smaller than struct kvm_run", vm->vcpu_mmap_size);
		return -EINVAL;
	}
	return 0;
}

int vm_set_memslot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva, bool readonly)
{
	struct kvm_userspace_memory_region m = {
		.slot = slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0)
		return err_errno("KVM_SET_USER_MEMORY_REGION slot %u (0x%" PRIx64 "+0x%" PRIx64 ")", slot, gpa, size);
	return 0;
}

uint32_t vm_alloc_memslot(struct vm *vm)
{
	uint32_t s = atomic_fetch_add(&vm->next_memslot, 1);

	if (s >= vm->max_memslots) {
		pr_err("out of KVM memslots (the host allows %u)", vm->max_memslots);
		return UINT32_MAX;
	}
	return s;
}

struct fdtab *vm_fdtab(struct vm *vm)
{
	return vm->built & VM_BUILT_FDTAB ? &vm->fds : NULL;
}

int vm_fdtab_init(struct vm *vm)
{
	int r = fdtab_init(&vm->fds);

	if (!r)
		vm->built |= VM_BUILT_FDTAB;
	return r;
}

static int create_ram(struct vm *vm)
{
	struct gmem_region *r;
	uint32_t slot;
	int ret;

	if (vm->restore) {
		/* The guest's RAM as the previous process left it, by the name guest_mem gave its memfd. */
		char name[FDTAB_NAME_LEN];
		int fd;

		snprintf(name, sizeof(name), "ram@0x%" PRIx64, vm->layout->ram_base);
		fd = fdtab_lookup(&vm->fds, FD_GUEST_RAM, name);
		if (fd < 0) {
			snprintf(vm->restore_why, sizeof(vm->restore_why), "no guest RAM memfd %s was handed over", name);
			return fd;
		}
		ret = gmem_adopt_ram(&vm->mem, vm->layout->ram_base, vm->cfg->mem_size, fd, vm->cfg->lu_fds != NULL);
	} else {
		ret = gmem_add_ram(&vm->mem, vm->layout->ram_base, vm->cfg->mem_size, vm->cfg->hugepages);
	}
	if (ret)
		return ret;
	r = &vm->mem.r[vm->mem.nr - 1];
	slot = vm_alloc_memslot(vm);
	if (slot == UINT32_MAX)
		return -ENOSPC;
	ret = vm_set_memslot(vm, slot, r->gpa, r->size, r->hva, false);
	if (ret)
		return ret;
	r->slot = slot;
	return 0;
}

static int create_vcpus(struct vm *vm)
{
	vm->vcpus = calloc(vm->cfg->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return err_num(ENOMEM, "allocating %u vCPUs", vm->cfg->cpus);
	for (unsigned int i = 0; i < vm->cfg->cpus; i++) {
		int r = vcpu_create(vm, &vm->vcpus[i], i);

		if (r)
			return r;
		vm->nr_vcpus++;
	}
	return 0;
}

/* The handed-over fds of a live update, all adopted or none (docs/liveupdate.md). */
static int adopt_handed_over(struct vm *vm)
{
	const struct lu_section *s = lu_state_find(vm->restore, LU_FDS_TYPE, 0);

	/*
	 * After a kexec: the memfds LUO handed back (cmd_restore.c checked them), under the names the
	 * state's "fds" section gave them. Not fdtab_adopt_handed_over: LUO makes them anew, nameless
	 * (/proc/self/fd shows "/ (deleted)", not "/memfd:..."), and they were never close-on-exec-less.
	 */
	if (vm->cfg->lu_fds) {
		for (unsigned int i = 0; i < vm->cfg->nr_lu_fds; i++) {
			const struct fdtab_entry *e = &vm->cfg->lu_fds[i];
			int r = fdtab_adopt(&vm->fds, e->fd, e->kind, e->owner, e->name);

			if (r < 0) {
				snprintf(vm->restore_why, sizeof(vm->restore_why), "adopting guest RAM %s: %s", e->name,
					 strerror(-r));
				return r;
			}
		}
		return 0;
	}
	if (!s) {
		snprintf(vm->restore_why, sizeof(vm->restore_why), "the state lists no handed-over fds");
		return -EINVAL;
	}
	return lu_fds_adopt(s, &vm->fds, vm->restore_why, sizeof(vm->restore_why));
}

int vm_create(struct vm *vm, const struct vm_config *cfg, const struct lu_state *restore)
{
	int r, type;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->restore = restore;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->layout = arch_vm_layout(cfg);

	/* Refuse impossible sizes before anything exists, saying what the host has. */
	if (vm->layout->ram_max && cfg->mem_size > vm->layout->ram_max) {
		pr_err("--memory: at most %" PRIu64 "M fits this architecture's guest memory map%s",
		       vm->layout->ram_max >> 20, vm->layout != &arch_layout ? " for firmware boot" : "");
		return -EINVAL;
	}
	r = gmem_check_host(cfg->mem_size, cfg->hugepages);
	if (r)
		return r;

	r = vm_fdtab_init(vm);
	if (r)
		return r;
	vm->mem.fds = &vm->fds;
	if (restore) {
		r = adopt_handed_over(vm);
		if (r)
			goto err;
	}
	r = vcpu_park_init(&vm->park);
	if (r)
		goto err;
	vm->built |= VM_BUILT_PARK;
	r = fdtab_adopt(&vm->fds, open_kvm(), FD_KVM, "vm", "kvm");
	if (r < 0)
		goto err;
	vm->kvm_fd = r;
	r = check_caps(vm);
	if (r)
		goto err;
	type = arch_kvm_vm_type(vm->kvm_fd);
	if (type < 0) {
		r = type;
		goto err;
	}
	do
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, (unsigned long)type);
	while (vm->vm_fd < 0 && errno == EINTR);   /* documented: may be interrupted (api.rst 4.2) */
	if (vm->vm_fd < 0) {
		r = err_errno("KVM_CREATE_VM");
		goto err;
	}
	vm->vm_fd = fdtab_adopt(&vm->fds, vm->vm_fd, FD_KVM_VM, "vm", "kvm-vm");
	if (vm->vm_fd < 0) {
		r = vm->vm_fd;
		goto err;
	}
	r = create_ram(vm);
	if (r)
		goto err;
	r = bus_init(&vm->mmio, "mmio");
	if (r)
		goto err;
	vm->built |= VM_BUILT_MMIO;
	r = bus_init(&vm->pio, "pio");
	if (r)
		goto err;
	vm->built |= VM_BUILT_PIO;
	r = bus_init(&vm->devmem, "devmem");
	if (r)
		goto err;
	vm->built |= VM_BUILT_DEVMEM;
	r = irq_init(vm);
	if (r)
		goto err;
	vm->built |= VM_BUILT_IRQ;
	r = evloop_init(&vm->loop, EVLOOP_ENTRIES);
	if (r)
		goto err;
	/* The PCI host first: an arch's vIOMMU (arm64 SMMUv3) registers on it, the functions come later. */
	r = pci_host_create(vm);
	if (r)
		goto err;
	vm->built |= VM_BUILT_PCI;
	r = arch_vm_create(vm);
	if (r)
		goto err;
	vm->built |= VM_BUILT_ARCH;
	r = create_vcpus(vm);
	if (r)
		goto err;
	r = devices_create(vm);
	if (r)
		goto err;
	vm->built |= VM_BUILT_DEVICES;
	r = console_init(vm);
	if (r)
		goto err;
	vm->built |= VM_BUILT_CONSOLE;
	/* Restoring, RAM already holds the kernel and everything the guest made of it. */
	r = restore ? 0 : arch_load_kernel(vm);
	if (r)
		goto err;
	r = arch_finalize(vm);
	if (r)
		goto err;
	if (restore) {
		r = arch_state_restore(vm, restore, vm->restore_why, sizeof(vm->restore_why));
		if (!r)
			r = pci_host_state_restore(vm->pci, restore, vm->restore_why, sizeof(vm->restore_why));
		if (r)
			goto err;
	}
	/* Last: the time to the OS counts from here (its vCPUs start next); a restored guest is past it. */
	if (cfg->boot_timeout && !restore) {
		r = boot_watch_init(&vm->boot_watch, cfg->boot_marker ? cfg->boot_marker : BOOT_MARKER_DEFAULT);
		if (!r)
			r = boot_watch_start(&vm->boot_watch, vm, cfg->boot_timeout);
		if (r)
			goto err;
		vm->built |= VM_BUILT_BOOT_WATCH;
	}
	return 0;
err:
	if (restore) {
		/* The caller falls back to the previous binary with the handed-over fds: leave them open. */
		if (!vm->restore_why[0])
			snprintf(vm->restore_why, sizeof(vm->restore_why), "making the VM failed (%s; see nestvm's log)",
				 strerror(r < 0 ? -r : EINVAL));
		return r < 0 ? r : -EINVAL;
	}
	vm_destroy(vm);
	return r < 0 ? r : -EINVAL;
}

/* The event's properties: the exit code nestvm will end with (docs/api.md). */
static json_object *exit_props(int code)
{
	json_object *p = json_object_new_object();

	if (p)
		json_object_object_add(p, "exit_code", json_object_new_int(code));
	return p;
}

void vm_request_exit(struct vm *vm, int code)
{
	bool was = false;

	if (!atomic_compare_exchange_strong(&vm->stopping, &was, true))
		return;   /* the first reason wins */
	atomic_store(&vm->exit_code, code);
	event_monitor_emit("vm", code == EXIT_OK ? "shutdown" : code == EXIT_GUEST_RESET ? "reset" :
			   code == EXIT_GUEST_CRASH ? "crashed" : "stopped", exit_props(code));
	/* vCPUs first: vm_run starts joining them once the loop has stopped. */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	vcpus_park_wake(vm);   /* parked ones (vm.pause) see stopping too */
	if (vm->loop)
		evloop_stop(vm->loop);
}

int vm_run(struct vm *vm)
{
	int r = 0;

	if (!vm->restore)
		event_monitor_emit("vm", "booting", NULL);
	/* From here on the guest sees the machine: a vIOMMU front-end cannot change what it shows. */
	if (vm->pci)
		vm->pci->running = true;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		r = vcpu_start(&vm->vcpus[i]);
		if (r) {
			vm_request_exit(vm, EXIT_VMM_ERROR);
			break;
		}
	}
	if (!r) {
		/* Everything exists now: from here on this thread only runs the loop and tears down. */
		if (vm->started)
			vm->started(vm, vm->started_arg);
		else
			event_monitor_emit("vm", "booted", NULL);
		r = seccomp_install_vm(SECCOMP_THREAD_LOOP, vm->cfg);
		if (!r)
			r = evloop_run(vm->loop);
		if (r)
			vm_request_exit(vm, EXIT_VMM_ERROR);
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	return r;
}

void vm_destroy(struct vm *vm)
{
	if (vm->vcpus) {
		/* Threads still running only if vm_run was not used to the end. */
		atomic_store(&vm->stopping, true);
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			vcpu_kick(&vm->vcpus[i]);
		vcpus_park_wake(vm);
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			vcpu_join(&vm->vcpus[i]);
	}
	if (vm->built & VM_BUILT_BOOT_WATCH)
		boot_watch_stop(&vm->boot_watch);
	if (vm->built & VM_BUILT_CONSOLE)
		console_destroy(vm);
	if (vm->built & VM_BUILT_DEVICES)
		devices_destroy(vm);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
	if (vm->built & VM_BUILT_ARCH)
		arch_vm_destroy(vm);
	if (vm->built & VM_BUILT_PCI)
		pci_host_destroy(vm);
	evloop_destroy(vm->loop);
	vm->loop = NULL;
	if (vm->built & VM_BUILT_IRQ)
		irq_destroy(vm);
	if (vm->built & VM_BUILT_DEVMEM)
		bus_destroy(&vm->devmem);
	if (vm->built & VM_BUILT_PIO)
		bus_destroy(&vm->pio);
	if (vm->built & VM_BUILT_MMIO)
		bus_destroy(&vm->mmio);
	/* Closing the VM fd drops the memslots before the RAM they point at is unmapped. */
	fdtab_close(&vm->fds, vm->vm_fd);
	vm->vm_fd = -1;
	gmem_destroy(&vm->mem);
	fdtab_close(&vm->fds, vm->kvm_fd);
	vm->kvm_fd = -1;
	if (vm->built & VM_BUILT_PARK)
		vcpu_park_destroy(&vm->park);
	/* Last: whatever is still registered here was leaked by its owner (reported, then closed). */
	if (vm->built & VM_BUILT_FDTAB)
		fdtab_destroy(&vm->fds);
	vm->built = 0;
}
