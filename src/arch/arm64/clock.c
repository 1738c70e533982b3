// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest clock across vm.pause on arm64: nothing to save. The guest's virtual counter
 * (CNTVCT_EL0 = physical count - CNTVOFF, Arm ARM D11.1.2) keeps counting while its vCPUs are
 * parked, so after resume the guest sees the pause as time that passed: its clocks jump forward by
 * the pause's length and never go back; timers that expired meanwhile fire at once.
 */
#include "arch/arch.h"

int arch_vm_pause(struct vm *vm)
{
	return 0;
}

int arch_vm_resume(struct vm *vm)
{
	return 0;
}
