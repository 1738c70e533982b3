// SPDX-License-Identifier: GPL-2.0-only
/* vGICv3 + ITS through the KVM device API. */
#include "arch/arm64/gic.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arm64/layout.h"
#include "vmm/config.h"
#include "vmm/log.h"
#include "vmm/vm.h"

_Static_assert((uint64_t)CFG_MAX_CPUS * ARM64_GIC_REDIST_STRIDE <= ARM64_GIC_REDIST_SIZE,
	       "every vCPU --cpus allows has a redistributor frame");

uint32_t arm64_spi_irq(uint32_t spi)
{
	return KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | (32 + spi) << KVM_ARM_IRQ_NUM_SHIFT;
}

static int set_attr(int fd, uint32_t group, uint64_t attr, const void *val, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val };

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return err_errno("%s", what);
	return 0;
}

/* The device's fd, registered in the VM's fd table as NAME. */
static int create_dev(struct vm *vm, uint32_t type, const char *what, const char *name)
{
	struct kvm_create_device d = { .type = type };

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &d) < 0) {
		int r = err_errno("KVM_CREATE_DEVICE %s", what);

		return r == -ENODEV ? -EOPNOTSUPP : r;
	}
	return fdtab_adopt(vm_fdtab(vm), (int)d.fd, FD_KVM_DEVICE, "gic", name);
}

int arm64_gic_create(struct vm *vm)
{
	struct arch_vm *a = &vm->arch;
	uint64_t dist = a->gic_dist, redist = ARM64_GIC_REDIST_BASE, its = a->gic_its;
	int r;

	a->gic_fd = create_dev(vm, KVM_DEV_TYPE_ARM_VGIC_V3, "GICv3", "vgic-v3");
	if (a->gic_fd < 0)
		return a->gic_fd;
	r = set_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist,
		     "GICv3 distributor address");
	if (!r)
		r = set_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist,
			     "GICv3 redistributor address");
	if (r)
		goto fail_gic;

	/* The ITS translates PCI MSIs (DeviceID = requester ID) into LPIs. */
	a->its_fd = create_dev(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, "GIC ITS", "vgic-its");
	if (a->its_fd < 0) {
		r = a->its_fd;
		goto fail_gic;
	}
	r = set_attr(a->its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &its, "GIC ITS address");
	if (r)
		goto fail_its;
	return 0;

fail_its:
	fdtab_close(vm_fdtab(vm), a->its_fd);
	a->its_fd = -1;
fail_gic:
	fdtab_close(vm_fdtab(vm), a->gic_fd);
	a->gic_fd = -1;
	return r;
}

int arm64_gic_init(struct vm *vm)
{
	struct arch_vm *a = &vm->arch;
	uint32_t nr_irqs = ARM64_GIC_NR_IRQS;
	int r;

	/* Redistributor frames are laid out one per vCPU from the base: they must fit the window. */
	if ((uint64_t)vm->nr_vcpus * ARM64_GIC_REDIST_STRIDE > ARM64_GIC_REDIST_SIZE) {
		pr_err("GICv3: %u vCPUs need more redistributors than the memory map holds", vm->nr_vcpus);
		return -EINVAL;
	}
	r = set_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs, "GICv3 number of IRQs");
	if (!r)
		r = set_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "GICv3 init");
	if (!r)
		r = set_attr(a->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "GIC ITS init");
	return r;
}

void arm64_gic_destroy(struct vm *vm)
{
	fdtab_close(vm_fdtab(vm), vm->arch.its_fd);
	fdtab_close(vm_fdtab(vm), vm->arch.gic_fd);
	vm->arch.its_fd = vm->arch.gic_fd = -1;
}
