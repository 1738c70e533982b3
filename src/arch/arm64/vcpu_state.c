// SPDX-License-Identifier: GPL-2.0-only
/* arm64 vCPU state across a live update: KVM_GET_REG_LIST, ONE_REGs, the PSCI power state. */
#include "arch/arm64/vcpu_state.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "liveupdate/reg_list.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"

/* Every register id this vCPU has, in KVM's order (a new list; free() it). */
static int reg_list(struct vcpu *v, struct kvm_reg_list **out)
{
	struct kvm_reg_list probe = { .n = 0 }, *l;

	/* n = 0 fails with E2BIG and tells how many there are (api.rst 4.84). */
	if (!ioctl(v->fd, KVM_GET_REG_LIST, &probe) || errno != E2BIG)
		return err_errno("KVM_GET_REG_LIST (count) on vCPU %u", v->id);
	l = calloc(1, sizeof(*l) + probe.n * sizeof(l->reg[0]));
	if (!l)
		return err_num(ENOMEM, "register list of vCPU %u", v->id);
	l->n = probe.n;
	if (ioctl(v->fd, KVM_GET_REG_LIST, l)) {
		free(l);
		return err_errno("KVM_GET_REG_LIST on vCPU %u", v->id);
	}
	*out = l;
	return 0;
}

int arm64_vcpu_state_save(struct vcpu *v, struct lu_writer *w)
{
	struct kvm_mp_state mp;
	struct kvm_reg_list *l = NULL;
	struct lu_regs regs;
	uint8_t buf[LU_REG_MAX_LEN];
	int r;

	lu_regs_init(&regs);
	r = reg_list(v, &l);
	if (r)
		return r;
	for (uint64_t i = 0; i < l->n && !r; i++) {
		uint64_t id = l->reg[i];
		uint32_t size = KVM_REG_SIZE(id);
		struct kvm_one_reg one = { .id = id, .addr = (uint64_t)(uintptr_t)buf };

		if (size > sizeof(buf)) {
			pr_err("vCPU %u: register 0x%" PRIx64 " has %u bytes, more than a state holds", v->id, id, size);
			r = -EOVERFLOW;
		} else if (ioctl(v->fd, KVM_GET_ONE_REG, &one)) {
			r = err_errno("KVM_GET_ONE_REG 0x%" PRIx64 " on vCPU %u", id, v->id);
		} else {
			r = lu_regs_add(&regs, id, buf, size);
		}
	}
	free(l);
	if (!r && ioctl(v->fd, KVM_GET_MP_STATE, &mp))
		r = err_errno("KVM_GET_MP_STATE on vCPU %u", v->id);
	if (!r) {
		lu_writer_begin(w, ARM64_VCPU_STATE_TYPE, v->id, ARM64_VCPU_STATE_VERSION, LU_SEC_MANDATORY);
		lu_put_u64(w, v->arch.mpidr);
		lu_put_u32(w, mp.mp_state);
		lu_regs_put(w, &regs);
		r = lu_writer_end(w);
	}
	lu_regs_free(&regs);
	return r;
}

int arm64_vcpu_state_restore(struct vcpu *v, const struct lu_section *s, char *why, size_t why_size)
{
	struct kvm_mp_state mp;
	struct lu_cursor c;
	struct lu_regs regs;
	uint64_t mpidr;
	int r;

	lu_cursor_init(&c, s);
	mpidr = lu_get_u64(&c);
	mp.mp_state = lu_get_u32(&c);
	r = lu_regs_get(&c, &regs, LU_REGS_MAX);
	if (r) {
		snprintf(why, why_size, "vCPU %u: out of memory decoding its registers", v->id);
		return r;
	}
	for (unsigned int i = 0; i < regs.nr && !c.bad; i++)
		if (regs.r[i].len != KVM_REG_SIZE(regs.r[i].id))
			lu_cursor_fail(&c, "register 0x%" PRIx64 ": %u bytes, its id says %u", regs.r[i].id, regs.r[i].len,
				       KVM_REG_SIZE(regs.r[i].id));
	if (!c.bad && mpidr != v->arch.mpidr)
		lu_cursor_fail(&c, "MPIDR 0x%" PRIx64 ", the new vCPU has 0x%" PRIx64, mpidr, (uint64_t)v->arch.mpidr);
	if (!c.bad && mp.mp_state != KVM_MP_STATE_RUNNABLE && mp.mp_state != KVM_MP_STATE_STOPPED &&
	    mp.mp_state != KVM_MP_STATE_SUSPENDED)
		lu_cursor_fail(&c, "mp_state %u is not an arm64 one", mp.mp_state);
	r = lu_cursor_finish(&c, why, why_size);
	if (r) {
		lu_regs_free(&regs);
		return r;
	}
	/* KVM_GET_REG_LIST's order: every listed register is settable (invariant ones to their value). */
	for (unsigned int i = 0; i < regs.nr && !r; i++) {
		struct kvm_one_reg one = { .id = regs.r[i].id, .addr = (uint64_t)(uintptr_t)lu_regs_val(&regs, i) };

		if (ioctl(v->fd, KVM_SET_ONE_REG, &one)) {
			r = -errno;
			snprintf(why, why_size, "vCPU %u: KVM_SET_ONE_REG 0x%" PRIx64 ": %s (a register this host's KVM "
				 "refuses: restore on the host that saved it)", v->id, regs.r[i].id, strerror(errno));
		}
	}
	lu_regs_free(&regs);
	if (!r && ioctl(v->fd, KVM_SET_MP_STATE, &mp)) {
		r = -errno;
		snprintf(why, why_size, "vCPU %u: KVM_SET_MP_STATE %u: %s", v->id, mp.mp_state, strerror(errno));
	}
	return r;
}
