/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's clocks across a live update: kvmclock (KVM_GET/SET_CLOCK, api.rst 4.62/4.63) and the
 * vCPUs' TSCs, restored as Documentation/virt/kvm/devices/vcpu.rst 4.1 (KVM_VCPU_TSC_OFFSET) lays
 * out for a migration: kvmclock advanced by the time the update took (KVM_CLOCK_REALTIME, else
 * CLOCK_MONOTONIC, one clock for both processes), then each TSC offset moved so that the guest TSC
 * and kvmclock keep the relation they had. The guest sees the update as time that passed, as it
 * sees a vm.pause (clock.c): neither clock goes back, and its timers that fell due meanwhile fire.
 *
 *   "x86-clock", instance 0, version 1, mandatory: u32 KVM_GET_CLOCK flags, u64 kvmclock ns, u64
 *   host CLOCK_REALTIME ns (with KVM_CLOCK_REALTIME), u64 host TSC (with KVM_CLOCK_HOST_TSC), u64
 *   CLOCK_MONOTONIC ns when it was read.
 */
#ifndef NESTVM_X86_CLOCK_STATE_H
#define NESTVM_X86_CLOCK_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_format.h"

#define X86_CLOCK_STATE_TYPE "x86-clock"
#define X86_CLOCK_STATE_VERSION 1

struct vm;

struct x86_clock_state {
	uint32_t flags;
	uint64_t clock, realtime, host_tsc, mono;
};

int x86_clock_state_put(struct lu_writer *w, const struct x86_clock_state *c);
int x86_clock_state_get(const struct lu_section *s, struct x86_clock_state *c, char *why, size_t why_size);
/*
 * The TSC offset that keeps a vCPU's TSC where kvmclock says it is (vcpu.rst 4.1 step 6):
 * OFS_SRC + (GUEST_DST - GUEST_SRC) ns in ticks at KHZ - (TSC_DST - TSC_SRC), modulo 2^64.
 */
uint64_t x86_tsc_offset_after(uint64_t ofs_src, uint64_t guest_src, uint64_t guest_dst, uint64_t tsc_src,
			      uint64_t tsc_dst, uint32_t khz);

/* KVM_GET_CLOCK now (the vCPUs parked). */
int x86_clock_read(struct vm *vm, struct x86_clock_state *c);
/*
 * KVM_SET_CLOCK from SAVED; *NOW is KVM_GET_CLOCK right after. *WITH_TSC: both readings carry the
 * host TSC, so offsets can follow kvmclock (else they are kept: same host, same TSC).
 */
int x86_clock_write(struct vm *vm, const struct x86_clock_state *saved, struct x86_clock_state *now, bool *with_tsc,
		    char *why, size_t why_size);

#endif
