/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live update of an arm64 vCPU: every register KVM lists (KVM_GET_REG_LIST: core registers, system
 * registers, the timers' CTL/CVAL/CNT, firmware pseudo-registers such as the PSCI version) as a
 * register list, and the PSCI power state (KVM_GET_MP_STATE), in one mandatory section per vCPU:
 *
 *   "arm64-vcpu", instance = vCPU index, version 1: u64 MPIDR_EL1 (checked against the new vCPU's),
 *   u32 mp_state, then the register list (reg_list.h; ids are KVM ONE_REG ids).
 */
#ifndef NESTVM_ARM64_VCPU_STATE_H
#define NESTVM_ARM64_VCPU_STATE_H

#include <stddef.h>

#include "liveupdate/state_format.h"

#define ARM64_VCPU_STATE_TYPE "arm64-vcpu"
#define ARM64_VCPU_STATE_VERSION 1

struct vcpu;

/* The vCPU must be out of KVM_RUN (parked). -errno, reported. */
int arm64_vcpu_state_save(struct vcpu *v, struct lu_writer *w);
/* Into a vCPU made by KVM_ARM_VCPU_INIT that has not run. -errno with a reason in WHY. */
int arm64_vcpu_state_restore(struct vcpu *v, const struct lu_section *s, char *why, size_t why_size);

#endif
