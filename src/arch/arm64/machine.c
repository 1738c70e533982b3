// SPDX-License-Identifier: GPL-2.0-only
/* The arm64 machine: VM type (IPA size), vGIC + ITS, PL011, and finalization before the first run. */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "arch/arm64/boot.h"
#include "arch/arm64/firmware.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/gpio.h"
#include "arch/arm64/layout.h"
#include "arch/arm64/uart.h"
#include "iommu/smmuv3_dev.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int arch_kvm_vm_type(int kvm_fd)
{
	unsigned int need = arm64_ipa_bits();
	int max = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);

	/* Without the capability KVM gives every VM a 40-bit IPA space (api.rst, KVM_CREATE_VM). */
	if (max <= 0)
		max = 40;
	if ((unsigned int)max < need) {
		pr_err("this host's KVM supports %d-bit guest physical addresses; the arm64 memory map needs %u",
		       max, need);
		return -EOPNOTSUPP;
	}
	return max == 40 && need <= 40 ? 0 : (int)KVM_VM_TYPE_ARM_IPA_SIZE(need);
}

/* Optional: report undecodable MMIO accesses as KVM_EXIT_ARM_NISV instead of failing KVM_RUN. */
static void enable_nisv_exits(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };

	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) > 0 &&
	    ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		pr_debug("KVM_ENABLE_CAP ARM_NISV_TO_USER failed (errno %d)", errno);
}

int arch_vm_create(struct vm *vm)
{
	struct arch_vm *a = &vm->arch;
	int r;

	const struct arm64_gic_map *gic = arm64_gic_map(vm->cfg->viommu_model == VIOMMU_MODEL_SMMUV3 && vm->cfg->nr_vfio);

	*a = (struct arch_vm){ .created = true, .gic_fd = -1, .its_fd = -1, .gic_dist = gic->dist, .gic_its = gic->its };
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &a->target) < 0)
		return err_errno("KVM_ARM_PREFERRED_TARGET");
	enable_nisv_exits(vm);
	r = arm64_gic_create(vm);
	if (r)
		return r;
	/* PCI MSIs go through the ITS, which needs the requester ID as DeviceID. */
	vm->irq.msi_devid = true;
	r = arm64_uart_create(vm);
	if (r)
		goto err_gic;
	r = arm64_gpio_create(vm);
	if (r)
		goto err_uart;
	if (vm->cfg->viommu_model == VIOMMU_MODEL_SMMUV3) {
		uint32_t irq[SMMUV3_NR_IRQS];

		for (int i = 0; i < SMMUV3_NR_IRQS; i++)
			irq[i] = arm64_spi_irq(ARM64_SMMU_SPI + i);
		r = smmuv3_dev_create(vm, ARM64_SMMU_BASE, irq, &a->smmu);
		if (r)
			goto err_gpio;
	}
	if (vm->cfg->firmware) {
		r = arm64_firmware_create(vm);
		if (r)
			goto err_smmu;
	}
	return 0;

err_smmu:
	smmuv3_dev_destroy(vm, a->smmu);
	a->smmu = NULL;
err_gpio:
	arm64_gpio_destroy(vm);
err_uart:
	arm64_uart_destroy(vm);
err_gic:
	arm64_gic_destroy(vm);
	return r;
}

/*
 * Assigned devices behind the nested vSMMU get MSIs only if the host maps its ITS doorbell (in our
 * stage 2) at the guest ITS doorbell's IPA (layout.h). Says so when this host's window is elsewhere.
 */
static void check_nested_msi(struct vm *vm)
{
	uint64_t host, guest = vm->arch.gic_its + ARM64_GITS_TRANSLATER;

	if (!vm->arch.smmu || smmuv3_dev_host_msi_base(vm->arch.smmu, &host) || host == guest)
		return;
	pr_warn("--viommu smmuv3: the host maps its MSI doorbell at IPA 0x%llx, the guest ITS doorbell is at "
		"0x%llx: MSIs of assigned devices will not arrive (see docs/viommu.md)",
		(unsigned long long)host, (unsigned long long)guest);
}

int arch_finalize(struct vm *vm)
{
	int r = arm64_gic_init(vm);

	if (r)
		return r;
	vm->arch.finalized = true;
	check_nested_msi(vm);
	/* A live update's restore brings its own registers, and RAM already holds the device tree. */
	return vm->restore ? 0 : arm64_boot_commit(vm);
}

void arch_vm_destroy(struct vm *vm)
{
	if (!vm->arch.created)
		return;
	arm64_firmware_destroy(vm);
	smmuv3_dev_destroy(vm, vm->arch.smmu);
	vm->arch.smmu = NULL;
	arm64_gpio_destroy(vm);
	arm64_uart_destroy(vm);
	arm64_gic_destroy(vm);
	vm->arch.created = false;
}

struct viommu *arch_viommu(struct vm *vm)
{
	return vm->arch.smmu ? vm->arch.smmu->mount.backend : NULL;
}
