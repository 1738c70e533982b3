// SPDX-License-Identifier: GPL-2.0-only
/* The arm64 live-update sections, saved and restored in dependency order (arch.h). */
#include <errno.h>
#include <stdio.h>

#include "arch/arch.h"
#include "arch/arm64/gic_state.h"
#include "arch/arm64/vcpu_state.h"
#include "devices/pl011_state.h"
#include "iommu/fail_inject.h"
#include "iommu/iopf.h"
#include "iommu/iopf_mock.h"
#include "iommu/smmuv3_dev.h"
#include "iommu/smmuv3_state.h"
#include "iommu/viommu_nested.h"
#include "vmm/vm.h"

static const struct lu_section_spec specs[] = {
	{ ARM64_VCPU_STATE_TYPE, 1, 1, true, true },
	{ ARM64_GIC_STATE_TYPE, 1, 1, false, true },
	{ ARM64_ITS_STATE_TYPE, 1, 1, false, true },
	{ PL011_STATE_TYPE, 1, 1, false, true },
	/* --viommu smmuv3 (checked by smmuv3_dev_state_restore: present exactly when the VM has one). */
	{ SMMUV3_STATE_TYPE, 1, SMMUV3_STATE_VERSION, false, false },
	{ VIOMMU_NESTED_STATE_TYPE, 1, VIOMMU_NESTED_STATE_VERSION, false, false },
	/* Its page-request source (test builds: the IOMMUFD_TEST mock device). */
	{ IOPF_STATE_TYPE, 1, IOPF_STATE_VERSION, false, false },
	{ IOPF_MOCK_STATE_TYPE, 1, IOPF_MOCK_STATE_VERSION, false, false },
};
const struct lu_section_spec *const arch_state_specs = specs;
const unsigned int arch_state_nr_specs = sizeof(specs) / sizeof(specs[0]);

const char *arch_state_refusal(struct vm *vm)
{
	if (vm->arch.fw)
		return "--firmware: the flash, RTC and fw_cfg models are not serialized yet";
	return NULL;
}

int arch_state_save(struct vm *vm, struct lu_writer *w)
{
	int r = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++)
		r = arm64_vcpu_state_save(&vm->vcpus[i], w);
	if (!r)
		r = arm64_gic_state_save(vm, w);
	if (!r)
		r = pl011_state_save(vm->arch.uart, w);
	if (!r && vm->arch.smmu)
		r = smmuv3_dev_state_save(vm->arch.smmu, w);
	return r;
}

int arch_state_restore(struct vm *vm, const struct lu_state *st, char *why, unsigned long why_size)
{
	const struct lu_section *s;
	unsigned int n = 0;
	int r = 0;

	for (s = lu_state_next(st, ARM64_VCPU_STATE_TYPE, NULL); s; s = lu_state_next(st, ARM64_VCPU_STATE_TYPE, s))
		n++;
	if (n != vm->nr_vcpus) {
		snprintf(why, why_size, "the state has %u vCPUs, the VM %u", n, vm->nr_vcpus);
		return -EINVAL;
	}
	/* The distributor and redistributors first: the ITS reads the pending tables they point at. */
	r = arm64_gic_state_restore(vm, lu_state_find(st, ARM64_GIC_STATE_TYPE, 0), why, why_size);
	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++) {
		s = lu_state_find(st, ARM64_VCPU_STATE_TYPE, i);
		if (!s) {
			snprintf(why, why_size, "no state for vCPU %u", i);
			return -EINVAL;
		}
		r = arm64_vcpu_state_restore(&vm->vcpus[i], s, why, why_size);
		/* Test hook (tests/testhost/liveupdate.sh): a restore that fails half way through. */
		if (!r && i == 0 && fail_inject("lu-restore-midway")) {
			snprintf(why, why_size, "injected failure after restoring vCPU 0 (NESTVM_FAIL_AT=lu-restore-midway)");
			r = -EIO;
		}
	}
	if (!r)
		r = arm64_its_state_restore(vm, lu_state_find(st, ARM64_ITS_STATE_TYPE, 0), why, why_size);
	if (!r)
		r = pl011_state_restore(vm->arch.uart, lu_state_find(st, PL011_STATE_TYPE, 0), why, why_size);
	/* Before the PCI functions (pci_host_state_restore): their rings and MSIs translate through it. */
	if (!r && vm->arch.smmu)
		r = smmuv3_dev_state_restore(vm->arch.smmu, st, why, why_size);
	else if (!r && lu_state_find(st, SMMUV3_STATE_TYPE, 0)) {
		snprintf(why, why_size, "the state has a vSMMUv3, this VM has none (--viommu smmuv3)");
		r = -EINVAL;
	}
	return r;
}
