// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest clock across vm.pause: kvmclock is frozen. KVM_GET_CLOCK at pause and KVM_SET_CLOCK
 * with that value at resume (api.rst 4.62/4.63) make the guest's kvmclock continue from where it
 * stopped, so the guest sees no time pass while paused and its monotonic clock never goes back.
 * Wall-clock time is the guest's business (NTP / a resync after resume), as with cloud-hypervisor.
 */
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int arch_vm_pause(struct vm *vm)
{
	struct kvm_clock_data c = { 0 };

	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &c) < 0)
		return err_errno("KVM_GET_CLOCK at pause");
	vm->arch.paused_clock = c.clock;
	return 0;
}

int arch_vm_resume(struct vm *vm)
{
	struct kvm_clock_data c = { .clock = vm->arch.paused_clock };

	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &c) < 0)
		return err_errno("KVM_SET_CLOCK at resume");
	return 0;
}
