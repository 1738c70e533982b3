/* SPDX-License-Identifier: GPL-2.0-only */
/* The arm64 parts of struct vm and struct vcpu (see src/arch/arch.h). */
#ifndef NESTVM_ARM64_ARCH_TYPES_H
#define NESTVM_ARM64_ARCH_TYPES_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct arm64_fw;
struct pl011;
struct pl061;
struct smmuv3_dev;

struct arch_vm {
	bool created;                   /* arch_vm_create ran: the fds below are ours to close */
	int gic_fd, its_fd;             /* KVM vGICv3 and ITS devices */
	uint64_t gic_dist, gic_its;     /* where they are (arm64_gic_map) */
	struct kvm_vcpu_init target;    /* KVM_ARM_PREFERRED_TARGET */
	struct pl011 *uart;
	struct pl061 *gpio;             /* the power button's GPIO (gpio.h) */
	struct smmuv3_dev *smmu;        /* --viommu smmuv3 */
	struct arm64_fw *fw;            /* --firmware: flash banks, RTC, fw_cfg (firmware.h) */

	/* Boot state: arch_load_kernel and arch_finalize may come in either order; see boot.c. */
	bool kernel_loaded, finalized;
	uint64_t entry;                 /* PC of the boot vCPU: the Image's first byte, or the flash base */
	uint64_t dtb_gpa;
	uint64_t initrd_gpa, initrd_size;
	unsigned int page_size_kb;      /* from the Image header flags; 0 unspecified */
};

struct arch_vcpu {
	uint64_t mpidr;                 /* MPIDR_EL1 as KVM set it; the FDT cpu reg */
};

#endif
