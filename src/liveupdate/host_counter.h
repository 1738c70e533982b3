/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A clock that runs on across a kexec, to time the reboot of a kexec update: the machine's counter,
 * not reset by a kexec, where userspace can read it and its frequency. arm64: CNTVCT_EL0 and
 * CNTFRQ_EL0 (Arm ARM D12 "The Generic Timer": Linux lets EL0 read both, CNTKCTL_EL1.EL0VCTEN; a
 * VHE host kernel keeps CNTVOFF_EL2 at 0, so the virtual count is the system count in both kernels).
 * x86_64: none (the TSC also runs on, but its frequency is not known to userspace): the caller
 * falls back to CLOCK_REALTIME, which the new kernel takes from the RTC (second precision at best).
 */
#ifndef NESTVM_HOST_COUNTER_H
#define NESTVM_HOST_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

/* The counter's value and frequency; false when there is none. */
static inline bool lu_host_counter(uint64_t *ticks, uint64_t *hz)
{
#if defined(__aarch64__)
	uint64_t v, f;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	*ticks = v;
	*hz = f;
	return f != 0;
#else
	*ticks = *hz = 0;
	return false;
#endif
}

#endif
