// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86_64 live-update sections (arch.h, docs/liveupdate.md): every vCPU (vcpu_state.h), the
 * guest clocks (clock_state.h), the userspace IOAPIC, COM1 and the one legacy port that keeps
 * state, the PCI CONFIG_ADDRESS latch at 0xCF8:
 *
 *   "x86-ports", instance 0, version 1, mandatory: u8 the 0xCF8/0xCFC mechanism is on, u32 the
 *   CONFIG_ADDRESS latch (PCI 3.0 3.2.2.3.2): a guest paused between its 0xCF8 write and its 0xCFC
 *   access finds the same address after the update.
 *
 * The ACPI sleep/reset registers, 0xCF9, the i8042 and the POST port act on each write and keep
 * nothing (legacy_ports.c); there is no PIC, PIT or RTC.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "arch/x86_64/clock_state.h"
#include "arch/x86_64/ioapic_state.h"
#include "arch/x86_64/machine.h"
#include "arch/x86_64/vcpu_state.h"
#include "devices/pci.h"
#include "devices/serial8250_state.h"
#include "iommu/fail_inject.h"
#include "iommu/iopf.h"
#include "iommu/iopf_mock.h"
#include "iommu/viommu_nested.h"
#include "iommu/viommu_shadow.h"
#include "iommu/vtd_dev.h"
#include "iommu/vtd_state.h"
#include "liveupdate/state_fields.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define X86_PORTS_STATE_TYPE "x86-ports"

static const struct lu_section_spec specs[] = {
	{ X86_VCPU_STATE_TYPE, 1, 1, true, true },
	{ X86_CLOCK_STATE_TYPE, 1, 1, false, true },
	{ IOAPIC_STATE_TYPE, 1, 1, false, true },
	{ SERIAL8250_STATE_TYPE, 1, 1, false, true },
	{ X86_PORTS_STATE_TYPE, 1, 1, false, true },
	/* --viommu vtd (checked by vtd_dev_state_restore: present exactly when the VM has one). */
	{ VTD_STATE_TYPE, 1, VTD_STATE_VERSION, false, false },
	{ VIOMMU_SHADOW_STATE_TYPE, 1, VIOMMU_SHADOW_STATE_VERSION, false, false },
	{ VIOMMU_NESTED_STATE_TYPE, 1, VIOMMU_NESTED_STATE_VERSION, false, false },
	/* Its page-request source (test builds: the IOMMUFD_TEST mock device). */
	{ IOPF_STATE_TYPE, 1, IOPF_STATE_VERSION, false, false },
	{ IOPF_MOCK_STATE_TYPE, 1, IOPF_MOCK_STATE_VERSION, false, false },
};
const struct lu_section_spec *const arch_state_specs = specs;
const unsigned int arch_state_nr_specs = sizeof(specs) / sizeof(specs[0]);

/* What the vCPU and clock sections need of KVM (api.rst section 8 and 4.x). */
static const struct { int cap; const char *name; } caps[] = {
	{ KVM_CAP_SREGS2, "KVM_CAP_SREGS2" },
	{ KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS" },
	{ KVM_CAP_DEBUGREGS, "KVM_CAP_DEBUGREGS" },
	{ KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ" },
	{ KVM_CAP_ADJUST_CLOCK, "KVM_CAP_ADJUST_CLOCK" },
	{ KVM_CAP_VCPU_ATTRIBUTES, "KVM_CAP_VCPU_ATTRIBUTES" },
};

/*
 * At vCPU 0's creation (the loop thread that asks arch_state_refusal may not make ioctls, seccomp.c):
 * whether this KVM has what the vCPU and clock sections need; the reason kept in vm->arch.
 */
void x86_state_probe(struct vm *vm, struct vcpu *v)
{
	struct kvm_device_attr tsc = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET };

	vm->arch.lu_refusal = NULL;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			snprintf(vm->arch.lu_why, sizeof(vm->arch.lu_why),
				 "x86_64: this KVM lacks %s, which the vCPU state needs", caps[i].name);
			vm->arch.lu_refusal = vm->arch.lu_why;
			return;
		}
	if (ioctl(v->fd, KVM_HAS_DEVICE_ATTR, &tsc))
		vm->arch.lu_refusal = "x86_64: this KVM has no KVM_VCPU_TSC_OFFSET attribute: the guest TSC could not be carried";
}

const char *arch_state_refusal(struct vm *vm)
{
	return vm->arch.lu_refusal;
}

static int ports_save(struct vm *vm, struct lu_writer *w)
{
	bool on = vm->pci && vm->pci->cf8_on;
	uint32_t a = 0;

	if (on) {
		pthread_mutex_lock(&vm->pci->lock);
		a = vm->pci->cf8;
		pthread_mutex_unlock(&vm->pci->lock);
	}
	lu_writer_begin(w, X86_PORTS_STATE_TYPE, 0, 1, LU_SEC_MANDATORY);
	lu_put_bool(w, on);
	lu_put_u32(w, a);
	return lu_writer_end(w);
}

static int ports_restore(struct vm *vm, const struct lu_section *s, char *why, size_t why_size)
{
	bool on, here = vm->pci && vm->pci->cf8_on;
	struct lu_cursor c;
	uint32_t a;
	int r;

	lu_cursor_init(&c, s);
	on = lu_get_bool(&c);
	a = lu_get_u32(&c);
	if (!c.bad && on != here)
		lu_cursor_fail(&c, "the 0xCF8/0xCFC mechanism was %s, the new machine has it %s", on ? "on" : "off",
			       here ? "on" : "off");
	r = lu_cursor_finish(&c, why, why_size);
	if (!r && here) {
		pthread_mutex_lock(&vm->pci->lock);
		vm->pci->cf8 = a;
		pthread_mutex_unlock(&vm->pci->lock);
	}
	return r;
}

int arch_state_save(struct vm *vm, struct lu_writer *w)
{
	struct x86_clock_state clk;
	int r = 0;

	/* An I/O or MMIO exit handled but not yet completed in KVM is in no state KVM reports. */
	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++)
		r = vcpu_complete_io(&vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++) {
		struct x86_vcpu_state s;

		r = x86_vcpu_state_read(&vm->vcpus[i], &s);
		if (r)
			break;
		/* Test hook (liveupdate.sh): the host kernel's name for the TSC rate changes under the
		 * VM, as when it refines its calibration after the VM was made (0.5%: past KVM's 250 ppm). */
		if (fail_inject("lu-tsc-renamed"))
			s.tsc_khz -= s.tsc_khz / 200;
		r = x86_vcpu_state_put(w, i, &s);
		x86_vcpu_state_free(&s);
		if (r)
			pr_err("update: writing the state of vCPU %u: %s", i, strerror(-r));
	}
	if (!r)
		r = x86_clock_read(vm, &clk);
	if (!r)
		r = x86_clock_state_put(w, &clk);
	if (!r)
		r = ioapic_state_save(&vm->arch.ioapic, w);
	if (!r)
		r = serial8250_state_save(&vm->arch.com1, 0, w);
	if (!r)
		r = ports_save(vm, w);
	if (!r && vm->arch.vtd)
		r = vtd_dev_state_save(vm->arch.vtd, w);
	return r;
}

static int missing(char *why, size_t why_size, const char *type, unsigned int instance)
{
	snprintf(why, why_size, "no '%s' section %u", type, instance);
	return -EINVAL;
}

int arch_state_restore(struct vm *vm, const struct lu_state *st, char *why, unsigned long why_size)
{
	const struct lu_section *s;
	struct x86_vcpu_state *vs;
	struct x86_clock_state saved, now;
	unsigned int n = 0;
	bool with_tsc;
	int r;

	for (s = lu_state_next(st, X86_VCPU_STATE_TYPE, NULL); s; s = lu_state_next(st, X86_VCPU_STATE_TYPE, s))
		n++;
	if (n != vm->nr_vcpus) {
		snprintf(why, why_size, "the state has %u vCPUs, the VM %u", n, vm->nr_vcpus);
		return -EINVAL;
	}
	s = lu_state_find(st, X86_CLOCK_STATE_TYPE, 0);
	if (!s)
		return missing(why, why_size, X86_CLOCK_STATE_TYPE, 0);
	r = x86_clock_state_get(s, &saved, why, why_size);
	if (r)
		return r;
	/* Every vCPU decoded and checked before any is written. */
	vs = calloc(n ? n : 1, sizeof(*vs));
	if (!vs) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n && !r; i++) {
		s = lu_state_find(st, X86_VCPU_STATE_TYPE, i);
		r = s ? x86_vcpu_state_get(s, &vs[i], why, why_size) : missing(why, why_size, X86_VCPU_STATE_TYPE, i);
	}
	/* The vVT-d before the IOAPIC and the PCI functions (pci_host_state_restore): their MSIs go
	 * through its interrupt remapping, their DMA through its tables. */
	if (!r && vm->arch.vtd)
		r = vtd_dev_state_restore(vm->arch.vtd, st, why, why_size);
	else if (!r && lu_state_find(st, VTD_STATE_TYPE, 0)) {
		snprintf(why, why_size, "the state has a vVT-d, this VM has none (--viommu vtd)");
		r = -EINVAL;
	}
	/* The IOAPIC before COM1: the UART drives its line into the restored pin level. */
	if (!r)
		r = (s = lu_state_find(st, IOAPIC_STATE_TYPE, 0)) ? ioapic_state_restore(&vm->arch.ioapic, s, why, why_size) :
		    missing(why, why_size, IOAPIC_STATE_TYPE, 0);
	if (!r)
		r = (s = lu_state_find(st, SERIAL8250_STATE_TYPE, 0)) ?
		    serial8250_state_restore(&vm->arch.com1, s, why, why_size) : missing(why, why_size, SERIAL8250_STATE_TYPE, 0);
	if (!r)
		r = (s = lu_state_find(st, X86_PORTS_STATE_TYPE, 0)) ? ports_restore(vm, s, why, why_size) :
		    missing(why, why_size, X86_PORTS_STATE_TYPE, 0);
	for (unsigned int i = 0; i < n && !r; i++) {
		r = x86_vcpu_state_write(&vm->vcpus[i], &vs[i], why, why_size);
		/* Test hook (tests/testhost/liveupdate.sh): a restore that fails half way through. */
		if (!r && i == 0 && fail_inject("lu-restore-midway")) {
			snprintf(why, why_size, "injected failure after restoring vCPU 0 (NESTVM_FAIL_AT=lu-restore-midway)");
			r = -EIO;
		}
	}
	/* kvmclock, then each TSC where kvmclock puts it, then the deadlines that count in it. */
	if (!r)
		r = x86_clock_write(vm, &saved, &now, &with_tsc, why, why_size);
	for (unsigned int i = 0; i < n && !r; i++) {
		uint64_t ofs = with_tsc ? x86_tsc_offset_after(vs[i].tsc_offset, saved.clock, now.clock, saved.host_tsc,
								now.host_tsc, vs[i].tsc_khz) : vs[i].tsc_offset;

		r = x86_vcpu_state_write_tsc(&vm->vcpus[i], ofs, vs[i].tsc_deadline, why, why_size);
		if (!r && log_verbose)
			x86_vcpu_state_verify(&vm->vcpus[i], &vs[i]);
	}
	for (unsigned int i = 0; i < n; i++)
		x86_vcpu_state_free(&vs[i]);
	free(vs);
	return r;
}
