/* SPDX-License-Identifier: GPL-2.0-only */
/* The CPUID a vCPU sees: KVM_GET_SUPPORTED_CPUID, filtered for our machine (cpuid.c). */
#ifndef NESTVM_X86_CPUID_H
#define NESTVM_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

/* Room the filter may add to what KVM returned (3 subleaves each of 0xB and 0x1F). */
#define CPUID_EXTRA_ENTRIES 8

/* *OUT (free()) holds KVM's supported CPUID with room for CPUID_EXTRA_ENTRIES more. */
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out);
/*
 * Per-vCPU view: APIC id APIC_ID of NR_CPUS (one core each, one package), hypervisor bit,
 * TSC-deadline timer when KVM emulates it, no nested SVM/VMX, no AMD extended topology leaves.
 * C must have room for CPUID_EXTRA_ENTRIES more entries.
 */
void cpuid_filter(struct kvm_cpuid2 *c, unsigned int apic_id, unsigned int nr_cpus, bool tsc_deadline);

#endif
