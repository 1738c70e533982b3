/* SPDX-License-Identifier: GPL-2.0-only */
/* arm64 vCPU register access for the boot code. */
#ifndef NESTVM_ARM64_VCPU_H
#define NESTVM_ARM64_VCPU_H

#include <stdint.h>

struct vcpu;

int arm64_get_reg(struct vcpu *v, uint64_t id, uint64_t *val);
/* PC, X0 (the dtb address), X1-X3 = 0 and PSTATE for entering the kernel. */
int arm64_set_boot_regs(struct vcpu *v, uint64_t pc, uint64_t x0);

#endif
