// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86_64 machine: split irqchip (LAPICs in KVM, our IOAPIC), COM1, the power and reset ports,
 * ACPI tables, and the exits the generic vCPU loop leaves to us.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "arch/x86_64/acpi_tables.h"
#include "arch/x86_64/dmar.h"
#include "arch/x86_64/firmware.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/machine.h"
#include "devices/pci.h"
#include "iommu/vtd_dev.h"
#include "vmm/config.h"
#include "vmm/console.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static int need_cap(struct vm *vm, int cap, const char *name)
{
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) > 0)
		return 0;
	pr_err("KVM lacks %s", name);
	return -EOPNOTSUPP;
}

static int ioapic_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	struct kvm_msi msi;

	/* The IOAPIC's interrupt requests carry its source id through interrupt remapping (DMAR
	 * IOAPIC scope); one that remapping blocks is dropped (the fault is recorded there). */
	if (pci_host_msi_translate(vm->pci, VTD_IOAPIC_SID, &addr, &data, true))
		return 0;
	msi = (struct kvm_msi){ .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data };
	/* > 0 delivered, 0 blocked by the guest (e.g. a disabled LAPIC): both are fine. */
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		return err_errno("KVM_SIGNAL_MSI (IOAPIC) %#llx/%#x", (unsigned long long)addr, data);
	return 0;
}

/* Level pins need an MSI route at GSI = pin: KVM scans those for the vectors whose EOI exits to us. */
static void ioapic_route(void *opaque, unsigned int pin, uint64_t addr, uint32_t data)
{
	irq_set_msi_route(opaque, pin, addr, data, VTD_IOAPIC_SID);   /* reports its own failure */
}

static void com1_irq(void *opaque, bool level)
{
	struct vm *vm = opaque;

	ioapic_set_irq(&vm->arch.ioapic, X86_COM1_IRQ, level);   /* ISA IRQ 4 = IOAPIC pin 4 */
}

static void com1_tx(void *opaque, const uint8_t *buf, size_t len)
{
	console_write(buf, len);
}

_Static_assert(X86_XAPIC_MAX_CPUS == CFG_XAPIC_MAX_CPUS, "--cpus' xAPIC limit is the layout's");
_Static_assert(CFG_MAX_CPUS <= X86_MADT_MAX_CPUS, "every vCPU --cpus allows fits in the MADT");

/*
 * KVM_CAP_X2APIC_API (api.rst 7.7): 32-bit APIC ids in MSIs (address_hi 31:8, 4.52) and in the
 * x2APIC LAPIC's ID register (4.57), and no "0xff is broadcast" quirk, which x2APIC ids above
 * 254 and logical x2APIC mode need. Our IOAPIC (version 0x11) has no EOI register, so the LAPIC
 * must not offer Suppress EOI Broadcast (SDM Vol. 3A 11.8.5; KVM's split-irqchip default offers
 * it without honouring it). Without the capability guests stay at xAPIC ids (255 vCPUs).
 */
static int enable_x2apic_api(struct vm *vm)
{
	int have = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X2APIC_API);
	struct kvm_enable_cap c = { .cap = KVM_CAP_X2APIC_API };
	uint64_t want = KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;

	vm->arch.x2apic_ids = false;
	if (have <= 0 || (have & want) != want) {
		if (vm->cfg->cpus > X86_XAPIC_MAX_CPUS) {
			pr_err("--cpus %u: vCPUs with x2APIC ids above %u need KVM_CAP_X2APIC_API, which this KVM lacks",
			       vm->cfg->cpus, X86_XAPIC_MAX_CPUS - 1);
			return -EOPNOTSUPP;
		}
		pr_debug("KVM_CAP_X2APIC_API: not offered (%d); 8-bit APIC ids", have);
		return 0;
	}
	c.args[0] = want | ((uint64_t)have & KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST);
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &c) < 0)
		return err_errno("KVM_ENABLE_CAP KVM_CAP_X2APIC_API %#llx", (unsigned long long)c.args[0]);
	vm->arch.x2apic_ids = true;
	return 0;
}

int arch_vm_create(struct vm *vm)
{
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { X86_IOAPIC_PINS } };
	/* Under firmware the flash takes the top 4 MiB below 4 GiB: KVM's pages go where QEMU puts them. */
	uint64_t ident = vm->cfg->firmware ? X86_FW_IDENTITY_MAP : X86_IDENTITY_MAP;
	unsigned long tss = vm->cfg->firmware ? X86_FW_TSS_ADDR : X86_TSS_ADDR;
	int r;

	vm->arch.ioapic_ready = vm->arch.com1_ready = vm->arch.legacy_ready = vm->arch.rcr_ready = false;
	vm->arch.kernel_loaded = false;
	vm->arch.fw = NULL;
	r = need_cap(vm, KVM_CAP_SPLIT_IRQCHIP, "KVM_CAP_SPLIT_IRQCHIP");
	if (!r)
		r = need_cap(vm, KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING");
	if (r)
		return r;
	/*
	 * Guest TSCs tick at the host TSC's rate (nestvm asks for no scaling), so have KVM count them
	 * at the host kernel's current tsc_khz: 0 means "the host's" (api.rst 4.55 KVM_SET_TSC_KHZ, as
	 * a VM ioctl before any vCPU exists). KVM's own default is the frequency the kernel had when
	 * KVM initialised; if the kernel refined its calibration later by more than KVM's 250 ppm
	 * tolerance and the CPU cannot scale TSCs, vCPU creation never sets a TSC multiplier (Linux
	 * arch/x86/kvm/x86.c set_tsc_khz(): "user requested TSC rate below hardware speed"), KVM reads
	 * every guest TSC as 0, and each TSC-deadline timer fires as late as the host's uptime
	 * (docs/testhost.md: an emulated host whose early calibration was 0.2% off). Harmless where the
	 * two agree; kernels without the VM ioctl keep KVM's default.
	 */
	if (ioctl(vm->vm_fd, KVM_SET_TSC_KHZ, 0UL) < 0)
		pr_debug("KVM_SET_TSC_KHZ on the VM: %s; guest TSCs keep KVM's default frequency", strerror(errno));
	/* Used by VMX for real mode only, but must lie outside RAM and devices: the top of the hole. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, tss) < 0)
		return err_errno("KVM_SET_TSS_ADDR");
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		return err_errno("KVM_SET_IDENTITY_MAP_ADDR");
	/*
	 * LAPICs in KVM, IOAPIC here; no PIC and no PIT: the FADT is hardware-reduced, so Linux uses
	 * neither (it takes the LAPIC TSC-deadline timer and kvmclock). Kernels built without
	 * CONFIG_KVM_IOAPIC (the testhost's) have no KVM_CREATE_IRQCHIP/PIT2 at all, and a VT-d
	 * interrupt-remapping front-end needs the IOAPIC in userspace anyway.
	 */
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &split) < 0)
		return err_errno("KVM_ENABLE_CAP KVM_CAP_SPLIT_IRQCHIP");
	r = enable_x2apic_api(vm);
	if (r)
		return r;
	vm->irq.msi_addr32 = true;
	/* GSIs 0-23 are the IOAPIC pins (KVM reserves them for it); MSIs get GSIs from 24. */
	if (vm->irq.next_gsi < X86_IOAPIC_PINS)
		vm->irq.next_gsi = X86_IOAPIC_PINS;

	ioapic_init(&vm->arch.ioapic, ioapic_msi, ioapic_route, vm);
	r = bus_register(&vm->mmio, X86_IOAPIC_ADDR, IOAPIC_MMIO_SIZE, ioapic_mmio, &vm->arch.ioapic, "ioapic");
	if (r) {
		ioapic_destroy(&vm->arch.ioapic);
		return err_num(r, "IOAPIC at %#llx", (unsigned long long)X86_IOAPIC_ADDR);
	}
	vm->arch.ioapic_ready = true;
	/* Before any PCI function exists: the unit registers on the PCI host for all of them. */
	if (vm->cfg->viommu_model == VIOMMU_MODEL_VTD) {
		r = vtd_dev_create(vm, X86_VTD_ADDR, vm->arch.x2apic_ids, &vm->arch.vtd);
		if (r) {
			arch_vm_destroy(vm);
			return r;
		}
	}

	serial8250_init(&vm->arch.com1, com1_irq, com1_tx, vm);
	r = bus_register(&vm->pio, X86_COM1_PORT, 8, serial8250_access, &vm->arch.com1, "com1");
	if (r) {
		serial8250_destroy(&vm->arch.com1);
		arch_vm_destroy(vm);
		return err_num(r, "COM1 at port %#x", X86_COM1_PORT);
	}
	vm->arch.com1_ready = true;
	r = x86_legacy_ports_register(vm);
	if (r) {
		arch_vm_destroy(vm);
		return r;
	}
	if (vm->cfg->firmware) {
		r = x86_firmware_create(vm);
		if (r) {
			arch_vm_destroy(vm);
			return r;
		}
	}
	if (vm->cfg->console == CONSOLE_SERIAL)
		console_set_input(serial8250_input, &vm->arch.com1);
	return 0;
}

int arch_finalize(struct vm *vm)
{
	struct x86_acpi_machine m = { .nr_cpus = vm->cfg->cpus, .layout = vm_layout(vm),
				      .pci_buses = pci_host_nr_buses(vm->pci) };
	struct x86_dmar dmar;
	uint8_t *buf;
	size_t used;
	int r;

	r = x86_reset_control_register(vm);
	/* Restoring after a live update, RAM holds the stub and the tables the guest has read already. */
	if (r || vm->restore)
		return r;
	/* Under firmware the reset vector is the flash's, and RAM is the firmware's to fill. */
	if (!vm->arch.fw)
		r = x86_reset_vector_install(vm);
	if (r)
		return r;
	if (vm->arch.vtd) {
		/* IOAPIC id 0, as the MADT says. */
		dmar = (struct x86_dmar){ .regs = X86_VTD_ADDR, .haw = vm->arch.vtd->vtd.feat.haw,
					  .intr_remap = vm->arch.vtd->vtd.feat.ir, .ioapic_id = 0,
					  .ioapic_sid = VTD_IOAPIC_SID };
		m.extra = x86_dmar_add;
		m.opaque = &dmar;
	}
	if (vm->arch.fw)
		return x86_firmware_add_acpi(vm, &m);
	buf = calloc(1, X86_ACPI_SIZE);
	if (!buf)
		return err_num(-ENOMEM, "ACPI tables");
	r = x86_acpi_build(&m, buf, X86_ACPI_SIZE, X86_ACPI_ADDR, &used);
	if (!r) {
		r = gmem_write(&vm->mem, X86_ACPI_ADDR, buf, used);
		if (r)
			pr_err("ACPI: tables at %#llx are outside guest RAM", (unsigned long long)X86_ACPI_ADDR);
	}
	free(buf);
	return r;
}

int arch_vcpu_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IOAPIC_EOI:
		ioapic_eoi(&v->vm->arch.ioapic, run->eoi.vector);
		return VCPU_CONTINUE;
	case KVM_EXIT_HLT:
		return VCPU_CONTINUE;   /* not with an in-kernel LAPIC; harmless */
	default:
		pr_err("vCPU %u: unexpected KVM exit reason %u", v->id, run->exit_reason);
		return -EINVAL;
	}
}

void arch_vm_destroy(struct vm *vm)
{
	x86_firmware_destroy(vm);
	vtd_dev_destroy(vm, vm->arch.vtd);
	vm->arch.vtd = NULL;
	x86_legacy_ports_unregister(vm);
	if (vm->arch.com1_ready) {
		if (vm->cfg && vm->cfg->console == CONSOLE_SERIAL)
			console_set_input(NULL, NULL);
		bus_unregister(&vm->pio, X86_COM1_PORT, &vm->arch.com1);
		serial8250_destroy(&vm->arch.com1);
		vm->arch.com1_ready = false;
	}
	if (vm->arch.ioapic_ready) {
		bus_unregister(&vm->mmio, X86_IOAPIC_ADDR, &vm->arch.ioapic);
		ioapic_destroy(&vm->arch.ioapic);
		vm->arch.ioapic_ready = false;
	}
}

struct viommu *arch_viommu(struct vm *vm)
{
	return vm->arch.vtd ? vm->arch.vtd->mount.backend : NULL;
}

/*
 * The GED's interrupt is edge-triggered (its _CRS, acpi_tables.c): one pulse is one press. The
 * guest's _EVT then notifies PWRB (0x80), and its button driver reports KEY_POWER. A pulse the
 * IOAPIC drops (the pin still masked: no GED driver yet) is a press nobody saw, as on hardware.
 */
int arch_vm_power_button(struct vm *vm)
{
	if (!vm->arch.ioapic_ready)
		return -ENODEV;
	ioapic_set_irq(&vm->arch.ioapic, X86_GED_IRQ, true);
	ioapic_set_irq(&vm->arch.ioapic, X86_GED_IRQ, false);
	return 0;
}
