/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal interfaces between the x86_64 machine's files. */
#ifndef NESTVM_X86_MACHINE_H
#define NESTVM_X86_MACHINE_H

struct vm;
struct vcpu;

/* Sets the BSP's 64-bit boot registers once both it and the loaded kernel exist. */
int x86_boot_bsp(struct vm *vm, struct vcpu *v);
/* The reset vector stub (reset_vector.c): a guest that jumps to F000:FFF0 is reset. */
int x86_reset_vector_install(struct vm *vm);
/* ACPI sleep/reset registers, 0xcf9, i8042 reset, POST port on vm->pio. */
int x86_legacy_ports_register(struct vm *vm);
void x86_legacy_ports_unregister(struct vm *vm);
/* Live update (state.c): what this KVM lacks for the vCPU state, found with vCPU 0. */
void x86_state_probe(struct vm *vm, struct vcpu *v);
/* 0xcf9, once the PCI host has taken its ports (arch_finalize); skipped when it owns 0xcf9. */
int x86_reset_control_register(struct vm *vm);

#endif
