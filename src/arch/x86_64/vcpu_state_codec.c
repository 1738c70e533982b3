// SPDX-License-Identifier: GPL-2.0-only
/* The "x86-vcpu" section (vcpu_state.h): encoding and the checks of a decoded one. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/vcpu_state.h"
#include "liveupdate/state_fields.h"

#define MSR_ENTRY_BYTES 12u         /* u32 index, u64 value */
#define CPUID_ENTRY_BYTES 28u       /* 7 x u32 */

/* The flags KVM_GET_VCPU_EVENTS can report (api.rst 4.31). */
#define EVENTS_FLAGS (KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SHADOW | \
		      KVM_VCPUEVENT_VALID_SMM | KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT)

void x86_vcpu_state_free(struct x86_vcpu_state *s)
{
	free(s->xsave);
	free(s->msrs);
	free(s->cpuid);
	s->xsave = NULL;
	s->msrs = NULL;
	s->cpuid = NULL;
	s->xsave_len = s->nr_msrs = s->nr_cpuid = 0;
}

int x86_vcpu_state_put(struct lu_writer *w, uint32_t instance, const struct x86_vcpu_state *s)
{
	lu_writer_begin(w, X86_VCPU_STATE_TYPE, instance, X86_VCPU_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, s->tsc_khz);
	lu_put_u64(w, s->tsc_offset);
	lu_put_u64(w, s->tsc_deadline);
	lu_put_bytes(w, &s->regs, sizeof(s->regs));
	lu_put_bytes(w, &s->sregs, sizeof(s->sregs));
	lu_put_bytes(w, &s->xcrs, sizeof(s->xcrs));
	lu_put_u32(w, s->xsave_len);
	lu_put_bytes(w, s->xsave, s->xsave_len);
	lu_put_bytes(w, &s->lapic, sizeof(s->lapic));
	lu_put_bytes(w, &s->events, sizeof(s->events));
	lu_put_u32(w, s->mp_state);
	lu_put_bytes(w, &s->dbg, sizeof(s->dbg));
	lu_put_u32(w, s->nr_msrs);
	for (uint32_t i = 0; i < s->nr_msrs; i++) {
		lu_put_u32(w, s->msrs[i].index);
		lu_put_u64(w, s->msrs[i].data);
	}
	lu_put_u32(w, s->nr_cpuid);
	for (uint32_t i = 0; i < s->nr_cpuid; i++) {
		const struct kvm_cpuid_entry2 *e = &s->cpuid[i];

		lu_put_u32(w, e->function);
		lu_put_u32(w, e->index);
		lu_put_u32(w, e->flags);
		lu_put_u32(w, e->eax);
		lu_put_u32(w, e->ebx);
		lu_put_u32(w, e->ecx);
		lu_put_u32(w, e->edx);
	}
	return lu_writer_end(w);
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* What KVM never reports: a state holding it is corrupt or not from KVM. */
static void check(struct lu_cursor *c, const struct x86_vcpu_state *s)
{
	if (c->bad)
		return;
	if (!s->tsc_khz)
		lu_cursor_fail(c, "TSC frequency 0 kHz");
	else if (s->sregs.flags & ~(uint64_t)KVM_SREGS2_FLAGS_PDPTRS_VALID)
		lu_cursor_fail(c, "sregs2 flags %#llx", (unsigned long long)s->sregs.flags);
	else if (s->xcrs.nr_xcrs > KVM_MAX_XCRS || s->xcrs.flags)
		lu_cursor_fail(c, "%" PRIu32 " XCRs (flags %#" PRIx32 "), at most %u", s->xcrs.nr_xcrs, s->xcrs.flags,
			       KVM_MAX_XCRS);
	else if (s->xsave_len < X86_XSAVE_MIN || s->xsave_len % 4)
		lu_cursor_fail(c, "an XSAVE area of %" PRIu32 " bytes", s->xsave_len);
	else if (s->events.flags & ~(uint32_t)EVENTS_FLAGS)
		lu_cursor_fail(c, "vCPU event flags %#" PRIx32 " KVM does not define", s->events.flags);
	else if (!all_zero(s->events.reserved, sizeof(s->events.reserved)))
		lu_cursor_fail(c, "vCPU events with reserved bytes set");
	else if (s->mp_state > KVM_MP_STATE_SIPI_RECEIVED)
		lu_cursor_fail(c, "mp_state %" PRIu32 " is not an x86 one", s->mp_state);
	else if (s->dbg.flags || !all_zero(s->dbg.reserved, sizeof(s->dbg.reserved)))
		lu_cursor_fail(c, "debug registers with flags or reserved words set");
	for (uint32_t i = 0; i < s->nr_msrs && !c->bad; i++) {
		uint32_t idx = s->msrs[i].index;

		if (idx == X86_MSR_IA32_TSC || idx == X86_MSR_IA32_TSC_DEADLINE)
			lu_cursor_fail(c, "MSR %#" PRIx32 " in the list (the TSC and its deadline have their own fields)", idx);
		for (uint32_t j = 0; j < i && !c->bad; j++)
			if (s->msrs[j].index == idx)
				lu_cursor_fail(c, "MSR %#" PRIx32 " listed twice", idx);
	}
}

int x86_vcpu_state_get(const struct lu_section *sec, struct x86_vcpu_state *s, char *why, size_t why_size)
{
	struct lu_cursor c;
	int r;

	memset(s, 0, sizeof(*s));
	lu_cursor_init(&c, sec);
	s->tsc_khz = lu_get_u32(&c);
	s->tsc_offset = lu_get_u64(&c);
	s->tsc_deadline = lu_get_u64(&c);
	lu_get_bytes(&c, &s->regs, sizeof(s->regs));
	lu_get_bytes(&c, &s->sregs, sizeof(s->sregs));
	lu_get_bytes(&c, &s->xcrs, sizeof(s->xcrs));
	s->xsave_len = lu_get_count(&c, X86_XSAVE_MAX, 1);
	if (!c.bad && s->xsave_len && !(s->xsave = malloc(s->xsave_len)))
		lu_cursor_fail(&c, "out of memory");
	lu_get_bytes(&c, s->xsave, s->xsave ? s->xsave_len : 0);
	lu_get_bytes(&c, &s->lapic, sizeof(s->lapic));
	lu_get_bytes(&c, &s->events, sizeof(s->events));
	s->mp_state = lu_get_u32(&c);
	lu_get_bytes(&c, &s->dbg, sizeof(s->dbg));
	s->nr_msrs = lu_get_count(&c, X86_MSRS_MAX, MSR_ENTRY_BYTES);
	if (!c.bad && s->nr_msrs && !(s->msrs = calloc(s->nr_msrs, sizeof(*s->msrs))))
		lu_cursor_fail(&c, "out of memory");
	for (uint32_t i = 0; i < s->nr_msrs && !c.bad; i++) {
		s->msrs[i].index = lu_get_u32(&c);
		s->msrs[i].data = lu_get_u64(&c);
	}
	s->nr_cpuid = lu_get_count(&c, X86_CPUID_MAX, CPUID_ENTRY_BYTES);
	if (!c.bad && s->nr_cpuid && !(s->cpuid = calloc(s->nr_cpuid, sizeof(*s->cpuid))))
		lu_cursor_fail(&c, "out of memory");
	for (uint32_t i = 0; i < s->nr_cpuid && !c.bad; i++) {
		struct kvm_cpuid_entry2 *e = &s->cpuid[i];

		e->function = lu_get_u32(&c);
		e->index = lu_get_u32(&c);
		e->flags = lu_get_u32(&c);
		e->eax = lu_get_u32(&c);
		e->ebx = lu_get_u32(&c);
		e->ecx = lu_get_u32(&c);
		e->edx = lu_get_u32(&c);
	}
	check(&c, s);
	r = lu_cursor_finish(&c, why, why_size);
	if (r)
		x86_vcpu_state_free(s);
	return r;
}
