// SPDX-License-Identifier: GPL-2.0-only
/*
 * An x86_64 vCPU's KVM state across a live update (vcpu_state.h). The restore order, from
 * Documentation/virt/kvm/api.rst and what KVM checks on each ioctl:
 *  - the TSC frequency first: the new vCPU's, unscaled, as the guest's was (x86_vcpu_state_write);
 *  - KVM_SET_SREGS2 (4.129) before the LAPIC: it carries IA32_APIC_BASE, and KVM_SET_LAPIC reads
 *    the APIC id in the mode (xAPIC or x2APIC) the base selects (4.57);
 *  - the general registers, XSAVE and XCRs (4.11, 4.42, 4.43), then the MSRs (4.19);
 *  - KVM_SET_LAPIC after the MSRs (the LAPIC timer restarts from its TMCCT);
 *  - KVM_SET_VCPU_EVENTS after the LAPIC, KVM_SET_MP_STATE after the events (a latched INIT and
 *    the SIPI vector are events; 4.31, 4.39), the debug registers (4.33);
 *  - the TSC offset (devices/vcpu.rst 4.1 KVM_VCPU_TSC_OFFSET) after the VM's kvmclock, and
 *    IA32_TSC_DEADLINE last: KVM ignores it unless the LAPIC timer is in TSC-deadline mode, and it
 *    counts in the guest's TSC.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/vcpu_state.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* MTRRs (SDM Vol. 3A 12.11.2): KVM emulates them but does not list them; the guest may read them back. */
#define MSR_MTRR_PHYS_BASE0 0x200
#define KVM_NR_VAR_MTRR 8
static const uint32_t mtrr_msrs[] = {
	0x2ff,                                   /* IA32_MTRR_DEF_TYPE */
	0x250, 0x258, 0x259,                     /* FIX64K_00000, FIX16K_80000, FIX16K_A0000 */
	0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,   /* FIX4K_C0000 .. FIX4K_F8000 */
};

static int tsc_attr(struct vcpu *v, bool set, uint64_t *offset)
{
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
				     .addr = (uint64_t)(uintptr_t)offset };

	return ioctl(v->fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a) ? -errno : 0;
}

int x86_vcpu_tsc_get(struct vcpu *v, uint64_t *offset, uint32_t *khz)
{
	int r = ioctl(v->fd, KVM_GET_TSC_KHZ);

	if (r <= 0)
		return err_errno("KVM_GET_TSC_KHZ on vCPU %u", v->id);
	*khz = (uint32_t)r;
	r = tsc_attr(v, false, offset);
	if (r)
		return err_num(-r, "KVM_GET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET on vCPU %u", v->id);
	return 0;
}

/* The MSRs to save: KVM's list without the TSC and its deadline, and the MTRRs (a new array). */
static int msr_indexes(int kvm_fd, uint32_t **out, uint32_t *nr)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;
	size_t extra = sizeof(mtrr_msrs) / sizeof(mtrr_msrs[0]) + 2 * KVM_NR_VAR_MTRR;
	uint32_t *idx, n = 0;

	/* nmsrs 0 fails with E2BIG and says how many there are (api.rst 4.3). */
	if (!ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) || errno != E2BIG)
		return err_errno("KVM_GET_MSR_INDEX_LIST (count)");
	if (probe.nmsrs > X86_MSRS_MAX)
		return err_num(E2BIG, "KVM lists %u MSRs, more than a state holds", probe.nmsrs);
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	idx = calloc(probe.nmsrs + extra, sizeof(*idx));
	if (!l || !idx) {
		free(l);
		free(idx);
		return err_num(ENOMEM, "MSR list");
	}
	l->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, l)) {
		free(l);
		free(idx);
		return err_errno("KVM_GET_MSR_INDEX_LIST");
	}
	for (uint32_t i = 0; i < l->nmsrs; i++)
		if (l->indices[i] != X86_MSR_IA32_TSC && l->indices[i] != X86_MSR_IA32_TSC_DEADLINE)
			idx[n++] = l->indices[i];
	free(l);
	for (size_t i = 0; i < extra; i++) {
		uint32_t m = i < sizeof(mtrr_msrs) / sizeof(mtrr_msrs[0]) ? mtrr_msrs[i] :
			     MSR_MTRR_PHYS_BASE0 + (uint32_t)(i - sizeof(mtrr_msrs) / sizeof(mtrr_msrs[0]));
		bool listed = false;

		for (uint32_t j = 0; j < n && !listed; j++)
			listed = idx[j] == m;
		if (!listed && n < X86_MSRS_MAX)
			idx[n++] = m;
	}
	*out = idx;
	*nr = n;
	return 0;
}

/*
 * KVM_GET_MSRS reads entries in order and stops at the first one it refuses, returning how many it
 * read (api.rst 4.18): that one is skipped (an MSR of a feature this vCPU lacks) and the read goes on
 * after it.
 */
static int read_msrs(struct vcpu *v, const uint32_t *idx, uint32_t n, struct x86_vcpu_state *s)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	uint32_t pos = 0, skipped = 0;

	s->msrs = calloc(n ? n : 1, sizeof(*s->msrs));
	if (!m || !s->msrs) {
		free(m);
		return err_num(ENOMEM, "MSRs of vCPU %u", v->id);
	}
	while (pos < n) {
		int r;

		memset(m, 0, sizeof(*m) + (n - pos) * sizeof(m->entries[0]));
		m->nmsrs = n - pos;
		for (uint32_t i = 0; i < m->nmsrs; i++)
			m->entries[i].index = idx[pos + i];
		r = ioctl(v->fd, KVM_GET_MSRS, m);
		if (r < 0) {
			free(m);
			return err_errno("KVM_GET_MSRS on vCPU %u", v->id);
		}
		for (int i = 0; i < r; i++)
			s->msrs[s->nr_msrs++] = m->entries[i];
		pos += (uint32_t)r;
		if (pos < n) {
			pr_debug("vCPU %u: MSR %#x is not readable here; not saved", v->id, idx[pos]);
			pos++;
			skipped++;
		}
	}
	free(m);
	pr_debug("vCPU %u: %u MSRs saved, %u skipped", v->id, s->nr_msrs, skipped);
	return 0;
}

static int one_msr(struct vcpu *v, bool set, uint32_t index, uint64_t *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr = { .nmsrs = 1 }, .e = { .index = index, .data = set ? *val : 0 } };
	int r = ioctl(v->fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m);

	if (r < 0)
		return -errno;
	if (r != 1)
		return -EINVAL;
	if (!set)
		*val = m.e.data;
	return 0;
}

static int get_cpuid(struct vcpu *v, struct kvm_cpuid2 **out)
{
	for (uint32_t n = 64; n <= X86_CPUID_MAX; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return err_num(ENOMEM, "CPUID of vCPU %u", v->id);
		c->nent = n;
		if (!ioctl(v->fd, KVM_GET_CPUID2, c)) {
			*out = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return err_errno("KVM_GET_CPUID2 on vCPU %u", v->id);
	}
	return err_num(E2BIG, "vCPU %u has more than %u CPUID entries", v->id, X86_CPUID_MAX);
}

static int xsave_size(struct vm *vm)
{
	/* KVM_CAP_XSAVE2 on the VM says how many bytes KVM_GET_XSAVE2/KVM_SET_XSAVE move (api.rst 4.128). */
	int n = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

	return n > (int)X86_XSAVE_MIN ? n : (int)X86_XSAVE_MIN;
}

/*
 * The LAPIC ID register in the state is always KVM's 8-bit layout (api.rst 4.57 without
 * KVM_X2APIC_API_USE_32BIT_IDS: the id in bits 31:24, also in x2APIC mode), so a state reads the
 * same whichever binary wrote it. With 32-bit ids KVM reports an x2APIC-mode vCPU's full id
 * instead, and on KVM_SET_LAPIC wants exactly the vCPU's x2APIC id (read-only, SDM Vol. 3A
 * 11.12.5.1), which is its KVM vCPU id: that is what the restore writes back.
 */
#define APIC_ID 0x20

static bool lapic_32bit_id(const struct vcpu *v, uint64_t apic_base)
{
	return v->vm->arch.x2apic_ids && (apic_base & X86_APIC_BASE_EXTD);
}

void x86_lapic_id_to_state(struct kvm_lapic_state *l, bool x2apic_32bit)
{
	uint32_t id;

	if (!x2apic_32bit)
		return;
	memcpy(&id, l->regs + APIC_ID, 4);
	id <<= 24;
	memcpy(l->regs + APIC_ID, &id, 4);
}

void x86_lapic_id_from_state(struct kvm_lapic_state *l, bool x2apic_32bit, uint32_t x2apic_id)
{
	if (x2apic_32bit)
		memcpy(l->regs + APIC_ID, &x2apic_id, 4);
}

int x86_vcpu_state_read(struct vcpu *v, struct x86_vcpu_state *s)
{
	struct kvm_mp_state mp;
	struct kvm_cpuid2 *cpuid = NULL;
	uint32_t *idx = NULL, nidx = 0;
	int fd = v->fd, r, size;

	memset(s, 0, sizeof(*s));
	r = x86_vcpu_tsc_get(v, &s->tsc_offset, &s->tsc_khz);
	if (r)
		return r;
	if (ioctl(fd, KVM_GET_REGS, &s->regs))
		return err_errno("KVM_GET_REGS on vCPU %u", v->id);
	if (ioctl(fd, KVM_GET_SREGS2, &s->sregs))
		return err_errno("KVM_GET_SREGS2 on vCPU %u", v->id);
	if (ioctl(v->vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0 && ioctl(fd, KVM_GET_XCRS, &s->xcrs))
		return err_errno("KVM_GET_XCRS on vCPU %u", v->id);
	size = xsave_size(v->vm);
	if ((unsigned int)size > X86_XSAVE_MAX)
		return err_num(E2BIG, "KVM's XSAVE area has %d bytes, more than a state holds", size);
	s->xsave = calloc(1, (size_t)size);
	if (!s->xsave)
		return err_num(ENOMEM, "XSAVE area of vCPU %u", v->id);
	s->xsave_len = (uint32_t)size;
	if (ioctl(fd, size > (int)X86_XSAVE_MIN ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, s->xsave)) {
		r = err_errno("KVM_GET_XSAVE2 on vCPU %u", v->id);
		goto err;
	}
	if (ioctl(fd, KVM_GET_LAPIC, &s->lapic)) {
		r = err_errno("KVM_GET_LAPIC on vCPU %u", v->id);
		goto err;
	}
	x86_lapic_id_to_state(&s->lapic, lapic_32bit_id(v, s->sregs.apic_base));
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &s->events)) {
		r = err_errno("KVM_GET_VCPU_EVENTS on vCPU %u", v->id);
		goto err;
	}
	if (ioctl(fd, KVM_GET_MP_STATE, &mp)) {
		r = err_errno("KVM_GET_MP_STATE on vCPU %u", v->id);
		goto err;
	}
	s->mp_state = mp.mp_state;
	if (ioctl(fd, KVM_GET_DEBUGREGS, &s->dbg)) {
		r = err_errno("KVM_GET_DEBUGREGS on vCPU %u", v->id);
		goto err;
	}
	r = one_msr(v, false, X86_MSR_IA32_TSC_DEADLINE, &s->tsc_deadline);
	if (r) {
		err_num(-r, "KVM_GET_MSRS IA32_TSC_DEADLINE on vCPU %u", v->id);
		goto err;
	}
	r = msr_indexes(v->vm->kvm_fd, &idx, &nidx);
	if (!r)
		r = read_msrs(v, idx, nidx, s);
	free(idx);
	if (!r)
		r = get_cpuid(v, &cpuid);
	if (r)
		goto err;
	s->nr_cpuid = cpuid->nent;
	s->cpuid = calloc(cpuid->nent ? cpuid->nent : 1, sizeof(*s->cpuid));
	if (!s->cpuid) {
		free(cpuid);
		r = err_num(ENOMEM, "CPUID of vCPU %u", v->id);
		goto err;
	}
	memcpy(s->cpuid, cpuid->entries, cpuid->nent * sizeof(*s->cpuid));
	free(cpuid);
	return 0;
err:
	x86_vcpu_state_free(s);
	return r;
}

static int fail(char *why, size_t why_size, struct vcpu *v, const char *what)
{
	int e = errno;

	snprintf(why, why_size, "vCPU %u: %s: %s", v->id, what, strerror(e));
	return -e;
}

static bool same_cpuid_entry(const struct kvm_cpuid_entry2 *a, const struct kvm_cpuid_entry2 *b)
{
	return a->function == b->function && a->index == b->index && a->flags == b->flags && a->eax == b->eax &&
	       a->ebx == b->ebx && a->ecx == b->ecx && a->edx == b->edx;
}

/*
 * The guest must see the same CPU: this nestvm's CPUID for the vCPU (vcpu.c, set at its creation)
 * against the saved one, after the restore (KVM updates a few bits from CR4, XCR0 and MSRs, e.g.
 * OSXSAVE and the XSAVE sizes in leaf 0xD: both sides now have the same registers).
 */
static int check_cpuid(struct vcpu *v, const struct x86_vcpu_state *s, char *why, size_t why_size)
{
	struct kvm_cpuid2 *c = NULL;
	int r = get_cpuid(v, &c);

	if (r) {
		snprintf(why, why_size, "vCPU %u: reading its CPUID: %s", v->id, strerror(-r));
		return r;
	}
	if (c->nent != s->nr_cpuid) {
		snprintf(why, why_size, "vCPU %u: the saved CPUID has %" PRIu32 " entries, this nestvm's %" PRIu32
			 " (the guest would see another CPU)", v->id, s->nr_cpuid, c->nent);
		r = -EINVAL;
	}
	for (uint32_t i = 0; i < s->nr_cpuid && !r; i++) {
		const struct kvm_cpuid_entry2 *e = &s->cpuid[i];
		bool found = false;

		for (uint32_t j = 0; j < c->nent && !found; j++)
			found = same_cpuid_entry(e, &c->entries[j]);
		if (!found) {
			snprintf(why, why_size, "vCPU %u: CPUID leaf %#" PRIx32 ".%" PRIu32 " (%08" PRIx32 " %08" PRIx32
				 " %08" PRIx32 " %08" PRIx32 ") differs in this nestvm (the guest would see another CPU)",
				 v->id, e->function, e->index, e->eax, e->ebx, e->ecx, e->edx);
			r = -EINVAL;
		}
	}
	free(c);
	return r;
}

/*
 * The saved MSRs whose value the new vCPU does not have already, in one KVM_SET_MSRS, which returns
 * how many it wrote and stops at the first it refuses (api.rst 4.19): that fails the restore. An MSR
 * already right is not written: writes have effects (kvmclock and steal-time set-up, the wall clock
 * written into the guest), and KVM refuses some, e.g. MSR_KVM_STEAL_TIME without schedstats, even
 * when they hold their reset value.
 */
static int write_msrs(struct vcpu *v, const struct x86_vcpu_state *s, char *why, size_t why_size)
{
	struct x86_vcpu_state now = { 0 };
	struct kvm_msrs *m;
	uint32_t *idx;
	int r;

	idx = calloc(s->nr_msrs ? s->nr_msrs : 1, sizeof(*idx));
	m = calloc(1, sizeof(*m) + s->nr_msrs * sizeof(m->entries[0]));
	if (!idx || !m) {
		free(idx);
		free(m);
		snprintf(why, why_size, "vCPU %u: out of memory", v->id);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < s->nr_msrs; i++)
		idx[i] = s->msrs[i].index;
	r = read_msrs(v, idx, s->nr_msrs, &now);
	free(idx);
	if (r) {
		free(m);
		x86_vcpu_state_free(&now);
		snprintf(why, why_size, "vCPU %u: reading its MSRs: %s", v->id, strerror(-r));
		return r;
	}
	for (uint32_t i = 0; i < s->nr_msrs; i++) {
		bool same = false;

		for (uint32_t j = 0; j < now.nr_msrs && !same; j++)
			same = now.msrs[j].index == s->msrs[i].index && now.msrs[j].data == s->msrs[i].data;
		if (!same)
			m->entries[m->nmsrs++] = s->msrs[i];
	}
	x86_vcpu_state_free(&now);
	r = m->nmsrs ? ioctl(v->fd, KVM_SET_MSRS, m) : 0;
	if (r < 0) {
		r = fail(why, why_size, v, "KVM_SET_MSRS");
	} else if ((uint32_t)r != m->nmsrs) {
		snprintf(why, why_size, "vCPU %u: KVM_SET_MSRS refuses MSR %#" PRIx32 " = %#llx (%d of %" PRIu32 " written)",
			 v->id, m->entries[r].index, (unsigned long long)m->entries[r].data, r, m->nmsrs);
		r = -EINVAL;
	} else {
		pr_debug("vCPU %u: %u of %u MSRs written (the others had their value)", v->id, m->nmsrs, s->nr_msrs);
		r = 0;
	}
	free(m);
	return r;
}

int x86_vcpu_state_write(struct vcpu *v, struct x86_vcpu_state *s, char *why, size_t why_size)
{
	struct kvm_mp_state mp = { .mp_state = s->mp_state };
	struct kvm_vcpu_events ev = s->events;
	int fd = v->fd, khz, r;

	khz = ioctl(fd, KVM_GET_TSC_KHZ);
	if (khz <= 0)
		return fail(why, why_size, v, "KVM_GET_TSC_KHZ");
	/*
	 * nestvm runs every guest TSC at the host's own rate, unscaled (machine.c asks KVM for the
	 * host kernel's tsc_khz at VM creation), so the saved frequency is only the number that
	 * kernel had for it then. A kernel that refined its TSC calibration since (Linux's
	 * tsc_refine_calibration_work, seconds after boot; the testhost's L1 went from 1995709 to
	 * 2000001 kHz between a VM's creation and its update), or the kernel after a kexec, names
	 * the same hardware rate differently. Asking KVM for the old number would scale the guest's
	 * TSC by the difference where the CPU can scale TSCs, and fails where it cannot ("user
	 * requested TSC rate below hardware speed", arch/x86/kvm/x86.c set_tsc_khz()); the new
	 * vCPU's unscaled TSC is the one the guest had. The conversions after this (the offset
	 * across the update, x86_tsc_offset_after) take the new kernel's better number.
	 */
	if ((uint32_t)khz != s->tsc_khz) {
		pr_debug("vCPU %u: the host kernel now calls the TSC rate %d kHz (%" PRIu32 " kHz when the VM was saved); "
			 "the guest's TSC stays unscaled", v->id, khz, s->tsc_khz);
		s->tsc_khz = (uint32_t)khz;
	}
	if (ioctl(fd, KVM_SET_SREGS2, &s->sregs))
		return fail(why, why_size, v, "KVM_SET_SREGS2");
	if (ioctl(fd, KVM_SET_REGS, &s->regs))
		return fail(why, why_size, v, "KVM_SET_REGS");
	if (s->xsave_len != (uint32_t)xsave_size(v->vm)) {
		snprintf(why, why_size, "vCPU %u: an XSAVE area of %" PRIu32 " bytes, this KVM's has %d", v->id, s->xsave_len,
			 xsave_size(v->vm));
		return -EINVAL;
	}
	if (ioctl(fd, KVM_SET_XSAVE, s->xsave))
		return fail(why, why_size, v, "KVM_SET_XSAVE");
	if (s->xcrs.nr_xcrs && ioctl(fd, KVM_SET_XCRS, &s->xcrs))
		return fail(why, why_size, v, "KVM_SET_XCRS");
	r = write_msrs(v, s, why, why_size);
	if (r)
		return r;
	{
		struct kvm_lapic_state l = s->lapic;

		x86_lapic_id_from_state(&l, lapic_32bit_id(v, s->sregs.apic_base), v->id);
		if (ioctl(fd, KVM_SET_LAPIC, &l))
			return fail(why, why_size, v, "KVM_SET_LAPIC");
	}
	/* NMI pending and the SIPI vector are always part of the state (QEMU sets both the same way). */
	ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &ev))
		return fail(why, why_size, v, "KVM_SET_VCPU_EVENTS");
	if (ioctl(fd, KVM_SET_MP_STATE, &mp))
		return fail(why, why_size, v, "KVM_SET_MP_STATE");
	if (ioctl(fd, KVM_SET_DEBUGREGS, &s->dbg))
		return fail(why, why_size, v, "KVM_SET_DEBUGREGS");
	return check_cpuid(v, s, why, why_size);
}

/* LAPIC registers that move on their own: the timer's current count (SDM Vol. 3A 11.5.4). */
#define APIC_TMCCT 0x390

void x86_vcpu_state_verify(struct vcpu *v, const struct x86_vcpu_state *s)
{
	struct x86_vcpu_state now;
	unsigned int diffs = 0;

	if (x86_vcpu_state_read(v, &now))
		return;
	memset(now.lapic.regs + APIC_TMCCT, 0, 4);
#define SAME(f) do { if (memcmp(&now.f, &s->f, sizeof(s->f))) { diffs++; pr_debug("vCPU %u: %s differs after the restore", v->id, #f); } } while (0)
	SAME(regs);
	SAME(sregs);
	SAME(xcrs);
	SAME(events);
	SAME(mp_state);
	SAME(dbg);
#undef SAME
	{
		struct kvm_lapic_state l = s->lapic;

		memset(l.regs + APIC_TMCCT, 0, 4);
		for (unsigned int off = 0; off < sizeof(l.regs); off += 4)
			if (memcmp(l.regs + off, now.lapic.regs + off, 4)) {
				uint32_t a, b;

				memcpy(&a, l.regs + off, 4);
				memcpy(&b, now.lapic.regs + off, 4);
				diffs++;
				pr_debug("vCPU %u: LAPIC register %#x: saved %#x, now %#x", v->id, off, a, b);
			}
	}
	if (now.xsave_len != s->xsave_len || memcmp(now.xsave, s->xsave, s->xsave_len)) {
		diffs++;
		pr_debug("vCPU %u: the XSAVE area differs after the restore", v->id);
	}
	for (uint32_t i = 0; i < s->nr_msrs; i++) {
		bool found = false;

		for (uint32_t j = 0; j < now.nr_msrs && !found; j++)
			if (now.msrs[j].index == s->msrs[i].index) {
				found = true;
				if (now.msrs[j].data != s->msrs[i].data) {
					diffs++;
					pr_debug("vCPU %u: MSR %#x: saved %#llx, now %#llx", v->id, s->msrs[i].index,
						 (unsigned long long)s->msrs[i].data, (unsigned long long)now.msrs[j].data);
				}
			}
		if (!found) {
			diffs++;
			pr_debug("vCPU %u: MSR %#x not readable after the restore", v->id, s->msrs[i].index);
		}
	}
	pr_debug("vCPU %u: %u differences after the restore (%u MSRs)", v->id, diffs, s->nr_msrs);
	x86_vcpu_state_free(&now);
}

int x86_vcpu_state_write_tsc(struct vcpu *v, uint64_t tsc_offset, uint64_t tsc_deadline, char *why, size_t why_size)
{
	int r = tsc_attr(v, true, &tsc_offset);

	if (r) {
		snprintf(why, why_size, "vCPU %u: KVM_SET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET %#llx: %s", v->id,
			 (unsigned long long)tsc_offset, strerror(-r));
		return r;
	}
	/* A deadline already passed fires at once: the timer interrupt that was due is not lost. */
	r = one_msr(v, true, X86_MSR_IA32_TSC_DEADLINE, &tsc_deadline);
	if (r)
		snprintf(why, why_size, "vCPU %u: KVM_SET_MSRS IA32_TSC_DEADLINE %#llx: %s", v->id,
			 (unsigned long long)tsc_deadline, strerror(-r));
	return r;
}
