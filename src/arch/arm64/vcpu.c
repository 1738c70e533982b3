// SPDX-License-Identifier: GPL-2.0-only
/* arm64 vCPUs: KVM_ARM_VCPU_INIT with in-kernel PSCI, MPIDR, boot registers, arm-only exits. */
#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <sys/ioctl.h>

#include "arch/arm64/vcpu.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define MPIDR_EL1           ARM64_SYS_REG(3, 0, 0, 0, 5)
#define CORE_REG(r)         (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(r))

int arm64_get_reg(struct vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)val };

	if (ioctl(v->fd, KVM_GET_ONE_REG, &r) < 0)
		return err_errno("KVM_GET_ONE_REG 0x%llx on vCPU %u", (unsigned long long)id, v->id);
	return 0;
}

static int set_reg(struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	if (ioctl(v->fd, KVM_SET_ONE_REG, &r) < 0)
		return err_errno("KVM_SET_ONE_REG 0x%llx on vCPU %u", (unsigned long long)id, v->id);
	return 0;
}

int arch_vcpu_create(struct vm *vm, struct vcpu *v)
{
	struct kvm_vcpu_init init = vm->arch.target;

	/* PSCI 0.2+ in KVM; all but the boot CPU start off and come up through PSCI CPU_ON. */
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (v->id != 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return err_errno("KVM_ARM_VCPU_INIT vCPU %u", v->id);
	return arm64_get_reg(v, MPIDR_EL1, &v->arch.mpidr);
}

int arm64_set_boot_regs(struct vcpu *v, uint64_t pc, uint64_t x0)
{
	/* booting.rst "4. Call the kernel image": x0 = dtb, x1-x3 = 0, EL1h with DAIF masked. */
	const uint64_t pstate = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT;
	int r;

	r = set_reg(v, CORE_REG(regs.pstate), pstate);
	for (int i = 0; !r && i < 4; i++)
		r = set_reg(v, CORE_REG(regs.regs[i]), i ? 0 : x0);
	if (!r)
		r = set_reg(v, CORE_REG(regs.pc), pc);
	return r;
}

int arch_vcpu_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_ARM_NISV:
		/* A data abort KVM cannot emulate: no valid syndrome (ISV=0, e.g. a load/store pair or
		 * writeback to MMIO). Real hardware would not decode it either: treat as a guest crash. */
		pr_err("guest crashed: vCPU %u made an MMIO access KVM cannot decode at 0x%llx (ESR ISS 0x%llx)",
		       v->id, (unsigned long long)run->arm_nisv.fault_ipa,
		       (unsigned long long)run->arm_nisv.esr_iss);
		vm_request_exit(v->vm, EXIT_GUEST_CRASH);
		return VCPU_STOP;
	case KVM_EXIT_SYSTEM_EVENT:
		/* SHUTDOWN/RESET/CRASH are generic; the rest (WAKEUP, SUSPEND) are not enabled. */
		pr_debug("vCPU %u: system event %u ignored", v->id, run->system_event.type);
		return VCPU_CONTINUE;
	default:
		pr_err("vCPU %u: unexpected KVM exit reason %u", v->id, run->exit_reason);
		return -EINVAL;
	}
}

void arch_vcpu_dump(struct vcpu *v)
{
	uint64_t pc, sp, pstate;

	if (arm64_get_reg(v, CORE_REG(regs.pc), &pc) || arm64_get_reg(v, CORE_REG(sp_el1), &sp) ||
	    arm64_get_reg(v, CORE_REG(regs.pstate), &pstate))
		return;
	pr_err("vCPU %u: pc %#llx sp_el1 %#llx pstate %#llx", v->id, (unsigned long long)pc, (unsigned long long)sp,
	       (unsigned long long)pstate);
}
