// SPDX-License-Identifier: GPL-2.0-only
/* kvmclock and the TSC offsets across a live update (clock_state.h). */
#include "arch/x86_64/clock_state.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "liveupdate/state_fields.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define CLOCK_FLAGS (KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)

int x86_clock_state_put(struct lu_writer *w, const struct x86_clock_state *c)
{
	lu_writer_begin(w, X86_CLOCK_STATE_TYPE, 0, X86_CLOCK_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, c->flags);
	lu_put_u64(w, c->clock);
	lu_put_u64(w, c->realtime);
	lu_put_u64(w, c->host_tsc);
	lu_put_u64(w, c->mono);
	return lu_writer_end(w);
}

int x86_clock_state_get(const struct lu_section *s, struct x86_clock_state *c, char *why, size_t why_size)
{
	struct lu_cursor cur;

	lu_cursor_init(&cur, s);
	c->flags = lu_get_u32(&cur);
	c->clock = lu_get_u64(&cur);
	c->realtime = lu_get_u64(&cur);
	c->host_tsc = lu_get_u64(&cur);
	c->mono = lu_get_u64(&cur);
	if (!cur.bad && (c->flags & ~(uint32_t)CLOCK_FLAGS))
		lu_cursor_fail(&cur, "kvmclock flags %#" PRIx32 " KVM does not define", c->flags);
	return lu_cursor_finish(&cur, why, why_size);
}

uint64_t x86_tsc_offset_after(uint64_t ofs_src, uint64_t guest_src, uint64_t guest_dst, uint64_t tsc_src,
			      uint64_t tsc_dst, uint32_t khz)
{
	/* Signed: kvmclock may be read back a little behind (no KVM_CLOCK_REALTIME on either side). */
	__int128 ticks = (__int128)(int64_t)(guest_dst - guest_src) * khz / 1000000;

	return ofs_src + (uint64_t)(int64_t)ticks - (tsc_dst - tsc_src);
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int x86_clock_read(struct vm *vm, struct x86_clock_state *c)
{
	struct kvm_clock_data d = { 0 };

	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &d))
		return err_errno("KVM_GET_CLOCK");
	*c = (struct x86_clock_state){ .flags = d.flags & CLOCK_FLAGS, .clock = d.clock, .realtime = d.realtime,
				       .host_tsc = d.host_tsc, .mono = mono_ns() };
	return 0;
}

int x86_clock_write(struct vm *vm, const struct x86_clock_state *saved, struct x86_clock_state *now, bool *with_tsc,
		    char *why, size_t why_size)
{
	struct kvm_clock_data d = { .clock = saved->clock };
	uint64_t t = mono_ns(), set;

	/* KVM adds the CLOCK_REALTIME that passed since REALTIME (api.rst 4.63); without it, we do. */
	if (saved->flags & KVM_CLOCK_REALTIME) {
		d.flags = KVM_CLOCK_REALTIME;
		d.realtime = saved->realtime;
	} else if (t > saved->mono) {
		d.clock += t - saved->mono;
	}
	set = d.clock;
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &d)) {
		int e = errno;

		snprintf(why, why_size, "KVM_SET_CLOCK %" PRIu64 " ns: %s", set, strerror(e));
		return -e;
	}
	memset(&d, 0, sizeof(d));
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &d)) {
		int e = errno;

		snprintf(why, why_size, "KVM_GET_CLOCK after KVM_SET_CLOCK: %s", strerror(e));
		return -e;
	}
	*now = (struct x86_clock_state){ .flags = d.flags & CLOCK_FLAGS, .clock = d.clock, .realtime = d.realtime,
					 .host_tsc = d.host_tsc, .mono = mono_ns() };
	*with_tsc = (saved->flags & KVM_CLOCK_HOST_TSC) && (now->flags & KVM_CLOCK_HOST_TSC);
	pr_debug("update: kvmclock %" PRIu64 " -> %" PRIu64 " ns (%s), host TSC %s", saved->clock, now->clock,
		 saved->flags & KVM_CLOCK_REALTIME ? "realtime" : "monotonic", *with_tsc ? "on both sides" : "missing");
	return 0;
}
