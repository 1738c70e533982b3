/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live update of the in-kernel vGICv3 and its ITS through the KVM device attributes
 * (Documentation/virt/kvm/devices/arm-vgic-v3.rst, arm-vgic-its.rst):
 *
 *   "arm64-gic", version 1, mandatory: u32 number of IRQs, then four register lists (reg_list.h):
 *     distributor registers (id = offset, 32-bit values; 64-bit GICD_IROUTER<n> as two words),
 *     redistributor registers (id = MPIDR affinity << 32 | offset, 32-bit), CPU interface system
 *     registers (id = MPIDR affinity << 32 | sysreg encoding, 64-bit), and the SPIs' line levels
 *     (id = first INTID of 32, a 32-bit bitmap).
 *   "arm64-its", version 1, mandatory: the ITS registers but GITS_CTLR (id = offset, 64-bit), in
 *     restore order, then u64 GITS_CTLR. The ITS's tables (device, collection, interrupt
 *     translation) and the LPI pending tables live in guest RAM, written there at save
 *     (KVM_DEV_ARM_ITS_SAVE_TABLES, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES) and read back at restore.
 */
#ifndef NESTVM_ARM64_GIC_STATE_H
#define NESTVM_ARM64_GIC_STATE_H

#include <stddef.h>

#include "liveupdate/state_format.h"

#define ARM64_GIC_STATE_TYPE "arm64-gic"
#define ARM64_ITS_STATE_TYPE "arm64-its"

struct vm;

/* Every vCPU parked. Writes the LPI pending and ITS tables to guest RAM, then both sections. */
int arm64_gic_state_save(struct vm *vm, struct lu_writer *w);
/* Into a new, initialized vGIC (arm64_gic_init) before any vCPU ran: the distributor, redistributors and CPU interfaces. */
int arm64_gic_state_restore(struct vm *vm, const struct lu_section *s, char *why, size_t why_size);
/* After arm64_gic_state_restore (the ITS reads the pending tables the redistributors point at). */
int arm64_its_state_restore(struct vm *vm, const struct lu_section *s, char *why, size_t why_size);

#endif
