// SPDX-License-Identifier: GPL-2.0-only
/* x86_64 vCPU setup: CPUID, MSRs, LAPIC LINT pins, and the boot registers of the BSP. */
#include <asm/kvm.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "arch/x86_64/boot64.h"
#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/machine.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 1ull
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_DEF_ENABLE (1ull << 11)
#define MTRR_TYPE_WB 6

/* LAPIC registers (SDM Vol. 3A 11.5.1): LVT LINT0/LINT1, delivery mode in bits 10:8. */
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_DM_MASK (7u << 8)
#define APIC_DM_NMI (4u << 8)
#define APIC_DM_EXTINT (7u << 8)

static int set_cpuid(struct vm *vm, struct vcpu *v)
{
	struct kvm_cpuid2 *c;
	int r;

	r = cpuid_get_supported(vm->kvm_fd, &c);
	if (r)
		return r;
	cpuid_filter(c, v->id, vm->cfg->cpus, ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0);
	r = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? err_errno("KVM_SET_CPUID2 vCPU %u", v->id) : 0;
	free(c);
	return r;
}

static int set_msrs(struct vcpu *v)
{
	struct { uint32_t index; uint64_t data; } want[] = {
		/* What firmware leaves: fast strings on, MTRRs enabled with write-back default (SDM 11.11.2.1). */
		{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
		{ MSR_MTRR_DEF_TYPE, MTRR_DEF_ENABLE | MTRR_TYPE_WB },
		/*
		 * More vCPUs than xAPIC ids: every LAPIC starts in x2APIC mode, as firmware leaves a
		 * machine whose APIC ids go past 254. Linux counts the MADT's x2APIC entries (ids from 255
		 * on) only with x2APIC already on at boot (arch/x86/kernel/acpi/boot.c: apic_id_valid() of
		 * the boot APIC driver); switched on later, with interrupt remapping, it keeps 255 CPUs.
		 * INIT keeps the mode (SDM Vol. 3A 11.12.5.1), so the APs come up in it too.
		 */
		{ X86_MSR_APIC_BASE, X86_LAPIC_ADDR | X86_APIC_BASE_EN | X86_APIC_BASE_EXTD |
				     (v->id ? 0 : X86_APIC_BASE_BSP) },
	};
	size_t n = sizeof(want) / sizeof(want[0]) - (v->vm->cfg->cpus > X86_XAPIC_MAX_CPUS ? 0 : 1);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[1];
	} m;

	for (size_t i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		m.hdr.nmsrs = 1;
		m.e[0].index = want[i].index;
		m.e[0].data = want[i].data;
		int r = ioctl(v->fd, KVM_SET_MSRS, &m);

		if (r < 0)
			return err_errno("KVM_SET_MSRS %#x vCPU %u", want[i].index, v->id);
		if (r != 1) {
			pr_err("KVM_SET_MSRS: KVM refused MSR %#x on vCPU %u", want[i].index, v->id);
			return -EINVAL;
		}
	}
	return 0;
}

/* Virtual-wire mode as firmware sets it (MP spec 3.6.2.2): LINT0 ExtINT (the PIC), LINT1 NMI. */
static int set_lint(struct vcpu *v)
{
	struct kvm_lapic_state s;
	uint32_t lvt;

	if (ioctl(v->fd, KVM_GET_LAPIC, &s) < 0)
		return err_errno("KVM_GET_LAPIC vCPU %u", v->id);
	memcpy(&lvt, &s.regs[APIC_LVT0], 4);
	lvt = (lvt & ~APIC_DM_MASK) | APIC_DM_EXTINT;
	memcpy(&s.regs[APIC_LVT0], &lvt, 4);
	memcpy(&lvt, &s.regs[APIC_LVT1], 4);
	lvt = (lvt & ~APIC_DM_MASK) | APIC_DM_NMI;
	memcpy(&s.regs[APIC_LVT1], &lvt, 4);
	if (ioctl(v->fd, KVM_SET_LAPIC, &s) < 0)
		return err_errno("KVM_SET_LAPIC vCPU %u", v->id);
	return 0;
}

int x86_boot_bsp(struct vm *vm, struct vcpu *v)
{
	int r;

	if (!vm->arch.kernel_loaded || v->id != 0 || v->arch.boot_regs_set)
		return 0;
	r = boot64_set_regs(v->fd, v->id, vm->arch.entry, X86_ZERO_PAGE_ADDR);
	if (!r)
		v->arch.boot_regs_set = true;
	return r;
}

int arch_vcpu_create(struct vm *vm, struct vcpu *v)
{
	int r;

	v->arch.boot_regs_set = false;
	r = set_cpuid(vm, v);
	if (!r)
		r = set_msrs(v);
	if (!r)
		r = set_lint(v);
	if (!r && v->id == 0)
		x86_state_probe(vm, v);
	/* APs wait for INIT/SIPI in the in-kernel LAPIC; only the BSP gets boot registers. */
	if (!r)
		r = x86_boot_bsp(vm, v);
	return r;
}

/* Highest vector set in a 256-bit LAPIC register array (ISR 0x100, IRR 0x200: eight 32-bit words at
 * a 16-byte stride, SDM Vol. 3 11.8.4), or -1. */
static int lapic_top_vector(const struct kvm_lapic_state *l, unsigned int base)
{
	for (int w = 7; w >= 0; w--) {
		uint32_t bits;

		memcpy(&bits, &l->regs[base + (unsigned int)w * 16], sizeof(bits));
		if (bits)
			return w * 32 + 31 - __builtin_clz(bits);
	}
	return -1;
}

static uint32_t lapic_reg(const struct kvm_lapic_state *l, unsigned int off)
{
	uint32_t val;

	memcpy(&val, &l->regs[off], sizeof(val));
	return val;
}

/* What can keep a pending interrupt from a vCPU: an injection in progress, the STI/MOV SS shadow,
 * and GIF (AMD APM Vol. 2 15.17; KVM reports it through the nested state header even when the guest
 * does not use SVM itself). */
static void dump_blocking(struct vcpu *v)
{
	struct kvm_vcpu_events e;
	struct kvm_nested_state n = { .size = sizeof(n) };
	const char *gif = "?";

	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e)) {
		err_errno("vCPU %u: reading its pending events", v->id);
		return;
	}
	/* E2BIG when the nested state has a payload (L2 inside the guest): the header is still filled. */
	if (ioctl(v->fd, KVM_GET_NESTED_STATE, &n) == 0 || errno == E2BIG)
		gif = n.flags & KVM_STATE_NESTED_GIF_SET ? "1" : "0";
	pr_err("vCPU %u: events irq injected %u nr %u soft %u shadow %#x nmi injected %u pending %u masked %u "
	       "exception injected %u nr %u gif %s", v->id, e.interrupt.injected, e.interrupt.nr,
	       e.interrupt.soft, e.interrupt.shadow, e.nmi.injected, e.nmi.pending, e.nmi.masked,
	       e.exception.injected, e.exception.nr, gif);
	/* The TSC-deadline timer (SDM 11.5.4.1) next to the guest's TSC now: 0 is disarmed; a deadline
	 * far ahead of the TSC is an idle (NOHZ) vCPU, one behind it a lost expiry. */
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m = { .hdr.nmsrs = 2, .e = { { .index = 0x6e0 /* IA32_TSC_DEADLINE */ }, { .index = 0x10 /* IA32_TSC */ } } };
	if (ioctl(v->fd, KVM_GET_MSRS, &m) == 2) {
		int khz = ioctl(v->fd, KVM_GET_TSC_KHZ);
		long long ahead = (long long)(m.e[0].data - m.e[1].data);
		pr_err("vCPU %u: tsc-deadline %#llx tsc %#llx (deadline %s by %lld ms)", v->id,
		       (unsigned long long)m.e[0].data, (unsigned long long)m.e[1].data,
		       ahead >= 0 ? "ahead" : "behind", (ahead >= 0 ? ahead : -ahead) / (khz > 0 ? khz : 1));
	}
}

/*
 * The kernel-half words on top of a stopped vCPU's stack (at most 16 of the first 64 words), for a
 * hang's post mortem: mapped against the guest kernel's symbols they are its call chain. Each page
 * of the stack goes through the guest's own page tables (KVM_TRANSLATE); a word the guest cannot
 * reach ends the walk.
 */
static void dump_stack_words(struct vcpu *v, uint64_t rsp)
{
	char line[16 * 19 + 1];
	size_t len = 0;
	unsigned int shown = 0;

	for (unsigned int i = 0; i < 64 && shown < 16; i++) {
		struct kvm_translation t = { .linear_address = rsp + i * 8ull };
		uint64_t word;

		if (ioctl(v->fd, KVM_TRANSLATE, &t) || !t.valid ||
		    gmem_read(&v->vm->mem, t.physical_address, &word, sizeof(word)))
			break;
		/* x86_64 Linux's kernel text and modules live in the top 2 GiB. */
		if (word < 0xffffffff80000000ull)
			continue;
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %llx", (unsigned long long)word);
		shown++;
	}
	if (shown)
		pr_err("vCPU %u: stack:%s", v->id, line);
}

void arch_vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_lapic_state l;

	if (ioctl(v->fd, KVM_GET_REGS, &r) || ioctl(v->fd, KVM_GET_SREGS, &s)) {
		err_errno("vCPU %u: reading its registers", v->id);
		return;
	}
	pr_err("vCPU %u: rip %#llx rsp %#llx rflags %#llx cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx "
	       "cs %#x idt %#llx+%#x apic_base %#llx", v->id, (unsigned long long)r.rip, (unsigned long long)r.rsp,
	       (unsigned long long)r.rflags, (unsigned long long)s.cr0, (unsigned long long)s.cr2,
	       (unsigned long long)s.cr3, (unsigned long long)s.cr4, (unsigned long long)s.efer, s.cs.selector,
	       (unsigned long long)s.idt.base, s.idt.limit, (unsigned long long)s.apic_base);
	/* Only a 64-bit guest's stack is worth reading this way. */
	if (s.efer & EFER_LMA)
		dump_stack_words(v, r.rsp);
	/* Interrupt state, for hangs: what is pending/in service and the timer's programming. */
	if (ioctl(v->fd, KVM_GET_LAPIC, &l)) {
		err_errno("vCPU %u: reading its LAPIC", v->id);
		return;
	}
	pr_err("vCPU %u: lapic irr-top %d isr-top %d tpr %#x lvtt %#x tmict %#x tmcct %#x", v->id,
	       lapic_top_vector(&l, 0x200), lapic_top_vector(&l, 0x100), lapic_reg(&l, 0x80),
	       lapic_reg(&l, 0x320), lapic_reg(&l, 0x380), lapic_reg(&l, 0x390));
	dump_blocking(v);
}
