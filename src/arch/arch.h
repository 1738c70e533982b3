/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What each architecture (src/arch/<arch>/) provides to the generic VMM. The memory map lives in
 * arch_layout; the generic code never hard-codes an address.
 */
#ifndef NESTVM_ARCH_H
#define NESTVM_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "arch_types.h"   /* struct arch_vm, struct arch_vcpu: src/arch/<arch>/arch_types.h */

struct vm;
struct vcpu;
struct viommu;
struct lu_writer;
struct lu_state;
struct lu_section_spec;

struct arch_layout {
	uint64_t ram_base;          /* guest RAM starts here */
	uint64_t ram_max;           /* largest RAM the map allows */
	uint64_t pci_ecam_base, pci_ecam_size;
	uint64_t pci_mmio32_base, pci_mmio32_size;
	uint64_t pci_mmio64_base, pci_mmio64_size;
	uint64_t pci_pio_base, pci_pio_size;    /* x86 port I/O window; 0 size where none */
	uint32_t pci_irq_base;                  /* first wired IRQ for PCI INTx (arch numbering) */
	bool pci_cf8;                           /* x86: also the 0xCF8/0xCFC config mechanism (PCI 3.0 3.2.2.3.2) */
};
extern const struct arch_layout arch_layout;
struct vm_config;
/*
 * The memory map of a VM with this configuration (vm->layout): arch_layout, or where the machine
 * differs for UEFI firmware (x86: the Q35 map OVMF builds in, layout.h).
 */
const struct arch_layout *arch_vm_layout(const struct vm_config *cfg);

/*
 * The UEFI firmware flash (--firmware code, --firmware-vars variable store) as the arch's QEMU
 * machine lays it out, for checking the images before anything is created (vmm/firmware.h).
 */
struct arch_flash_layout {
	const char *images;         /* what fits, for messages */
	uint64_t block;             /* erase block: both sizes are multiples of it */
	uint64_t code_size, vars_size;  /* exact sizes each must have, 0: any */
	uint64_t total;             /* the size code and vars must have together, 0: any */
	const char *not_wired;      /* why the machine cannot boot the firmware yet; NULL when it can */
};
extern const struct arch_flash_layout arch_flash_layout;

/* The `type` argument of KVM_CREATE_VM (arm64: IPA size for the layout; x86: 0). */
int arch_kvm_vm_type(int kvm_fd);
int arch_vm_create(struct vm *vm);                 /* irqchip, timers, fixed devices; after KVM_CREATE_VM + RAM */
int arch_vcpu_create(struct vm *vm, struct vcpu *v);   /* after KVM_CREATE_VCPU */
int arch_load_kernel(struct vm *vm);               /* kernel + initrd into RAM, boot registers */
int arch_finalize(struct vm *vm);                  /* device tree / ACPI, once all devices exist */
int arch_vcpu_exit(struct vcpu *v);                /* exits not handled generically: enum vcpu_action or -errno */
void arch_vcpu_dump(struct vcpu *v);               /* a crashed vCPU's state, one error line (for bug reports) */
void arch_vm_destroy(struct vm *vm);
/*
 * vm.pause / vm.resume, with every vCPU parked: what the guest's clock does across a pause
 * (docs/api.md). Pause saves what resume needs; resume returns 0 or -errno (reported).
 */
int arch_vm_pause(struct vm *vm);
/* The vIOMMU backend behind the guest's IOMMU front-end (--viommu), NULL if none (vm.viommu). */
struct viommu *arch_viommu(struct vm *vm);
int arch_vm_resume(struct vm *vm);
/*
 * vm.power-button: presses the machine's power button (x86_64: the ACPI GED's interrupt, which
 * notifies the PNP0C0C button; arm64: the PL061 line of the gpio-keys KEY_POWER). 0, or -errno.
 */
int arch_vm_power_button(struct vm *vm);

/*
 * Live update (docs/liveupdate.md): the architecture's sections (vCPUs, irqchip, fixed devices).
 * Refusal: why this VM's arch state cannot be saved yet, NULL when it can. Save: every vCPU parked,
 * the event loop held. Restore: into the VM vm_create made in restore mode (vCPUs created, irqchip
 * initialized, nothing run yet); -errno with a reason in WHY.
 */
extern const struct lu_section_spec *const arch_state_specs;
extern const unsigned int arch_state_nr_specs;
const char *arch_state_refusal(struct vm *vm);
int arch_state_save(struct vm *vm, struct lu_writer *w);
int arch_state_restore(struct vm *vm, const struct lu_state *st, char *why, unsigned long why_size);

#endif
