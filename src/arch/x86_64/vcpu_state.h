/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An x86_64 vCPU across a live update: what KVM holds of it, read and written in the order KVM
 * documents (Documentation/virt/kvm/api.rst), and its section:
 *
 *   "x86-vcpu", instance = vCPU index, version 1, mandatory:
 *     u32 TSC kHz (KVM_GET_TSC_KHZ, 4.55), u64 TSC offset (KVM_VCPU_TSC_OFFSET, devices/vcpu.rst
 *     4.1), u64 IA32_TSC_DEADLINE;
 *     struct kvm_regs (4.11), struct kvm_sregs2 (4.129), struct kvm_xcrs (4.43), each as the x86_64
 *     uAPI lays it out (little-endian, fixed size);
 *     u32 XSAVE length (4096 up to X86_XSAVE_MAX, a multiple of 4) and that many bytes of
 *     KVM_GET_XSAVE2 (4.42, 4.128);
 *     struct kvm_lapic_state (4.57; its ID register always in KVM's 8-bit layout, bits 31:24,
 *     whether or not the VM has 32-bit x2APIC ids), struct kvm_vcpu_events (4.31), u32 mp_state (4.38),
 *     struct kvm_debugregs (4.32);
 *     u32 MSR count (at most X86_MSRS_MAX), then per MSR u32 index, u64 value (4.18, the MSRs
 *     KVM_GET_MSR_INDEX_LIST lists and KVM reads for this vCPU, the MTRRs; IA32_TSC and
 *     IA32_TSC_DEADLINE are the fields above);
 *     u32 CPUID entry count (at most X86_CPUID_MAX), then per entry u32 function, index, flags,
 *     EAX, EBX, ECX, EDX (KVM_GET_CPUID2, 4.120): checked against the new vCPU's, never set.
 */
#ifndef NESTVM_X86_VCPU_STATE_H
#define NESTVM_X86_VCPU_STATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_format.h"

#define X86_VCPU_STATE_TYPE "x86-vcpu"
#define X86_VCPU_STATE_VERSION 1

#define X86_XSAVE_MIN 4096u              /* struct kvm_xsave: the legacy region and header */
#define X86_XSAVE_MAX (64u << 10)        /* every XSAVE component Linux knows fits in 12 KiB */
#define X86_MSRS_MAX 1024u
#define X86_CPUID_MAX 1024u

#define X86_MSR_IA32_TSC 0x10
#define X86_MSR_IA32_TSC_DEADLINE 0x6e0

struct vcpu;

/* The LAPIC ID register between KVM's layout with 32-bit x2APIC ids (X2APIC_32BIT: the VM has them
 * and the vCPU is in x2APIC mode) and the state's 8-bit one; from_state writes the vCPU's id. */
void x86_lapic_id_to_state(struct kvm_lapic_state *l, bool x2apic_32bit);
void x86_lapic_id_from_state(struct kvm_lapic_state *l, bool x2apic_32bit, uint32_t x2apic_id);

struct x86_vcpu_state {
	uint32_t tsc_khz;
	uint64_t tsc_offset, tsc_deadline;
	struct kvm_regs regs;
	struct kvm_sregs2 sregs;
	struct kvm_xcrs xcrs;
	uint32_t xsave_len;
	uint8_t *xsave;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	uint32_t mp_state;
	struct kvm_debugregs dbg;
	uint32_t nr_msrs;
	struct kvm_msr_entry *msrs;
	uint32_t nr_cpuid;
	struct kvm_cpuid_entry2 *cpuid;
};

void x86_vcpu_state_free(struct x86_vcpu_state *s);

/* The section (vcpu_state_codec.c: pure, unit-tested). Get refuses what KVM never reports. */
int x86_vcpu_state_put(struct lu_writer *w, uint32_t instance, const struct x86_vcpu_state *s);
int x86_vcpu_state_get(const struct lu_section *sec, struct x86_vcpu_state *s, char *why, size_t why_size);

/*
 * KVM (vcpu_state.c). Read: a parked vCPU whose pending I/O is complete (vcpu_complete_io).
 * Write: into a new vCPU, everything but the TSC offset and deadline, which come after the VM's
 * kvmclock (clock_state.h): x86_vcpu_state_write_tsc; it keeps the new vCPU's (unscaled) TSC rate
 * and sets S's tsc_khz to it. Both -errno with a reason in WHY.
 */
int x86_vcpu_state_read(struct vcpu *v, struct x86_vcpu_state *s);
int x86_vcpu_state_write(struct vcpu *v, struct x86_vcpu_state *s, char *why, size_t why_size);
int x86_vcpu_state_write_tsc(struct vcpu *v, uint64_t tsc_offset, uint64_t tsc_deadline, char *why, size_t why_size);
/* Debug messages (-v): what of S the vCPU does not hold after the restore (time moves the timer count). */
void x86_vcpu_state_verify(struct vcpu *v, const struct x86_vcpu_state *s);
/* The vCPU's TSC offset (KVM_VCPU_TSC_OFFSET) and frequency. */
int x86_vcpu_tsc_get(struct vcpu *v, uint64_t *offset, uint32_t *khz);

#endif
