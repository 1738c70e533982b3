// SPDX-License-Identifier: GPL-2.0-only
/*
 * GSI routing table bookkeeping without KVM: GSI allocation bounds, and that a commit KVM refuses
 * (here: no VM fd) leaves our copy of the table exactly as KVM still has it.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "tap.h"
#include "vmm/vm.h"

int main(void)
{
	struct vm vm;
	uint32_t gsi = 0, g2 = 0;

	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = -1;
	CHECK(irq_init(&vm) == 0, "irq_init without KVM");
	CHECK(vm.irq.nr == 0 && vm.irq.max_routes == 0, "empty table, no KVM limit known");

	vm.irq.next_gsi = 32;   /* as an arch reserving its wired lines */
	CHECK(irq_alloc_msi_gsi(&vm, &gsi) == 0 && gsi == 32, "first MSI GSI follows the wired ones");
	CHECK(irq_alloc_msi_gsi(&vm, &g2) == 0 && g2 == 33, "GSIs are handed out once");

	CHECK(irq_set_msi_route(&vm, 40, 0xfee00000, 0x41, 0) == -EINVAL, "unallocated GSI refused");
	CHECK(irq_set_msi_route(&vm, 32, 0xfee00000, 0x41, 0) == -EBADF, "commit failure reported");
	CHECK(vm.irq.nr == 0, "failed new route is not kept");
	CHECK(irq_add_irqchip_route(&vm, 5, 0, 5) == -EBADF && vm.irq.nr == 0, "failed irqchip route not kept");

	/* With a route already in the table, a failed update restores the old entry. */
	CHECK(vm.irq.cap >= 1, "table storage kept for reuse");
	if (vm.irq.cap < 1)
		return tap_done();
	vm.irq.nr = 1;
	vm.irq.e[0] = (struct kvm_irq_routing_entry){ .gsi = 32, .type = KVM_IRQ_ROUTING_MSI,
						       .u.msi = { .address_lo = 0x1000, .data = 7 } };
	CHECK(irq_set_msi_route(&vm, 32, 0x2000, 9, 0) == -EBADF, "update refused by KVM");
	CHECK(vm.irq.nr == 1 && vm.irq.e[0].u.msi.address_lo == 0x1000 && vm.irq.e[0].u.msi.data == 7,
	      "old route restored");

	/* Re-setting the route KVM already has commits nothing (here a commit would fail). */
	CHECK(irq_set_msi_route(&vm, 32, 0x1000, 7, 0) == 0 && vm.irq.nr == 1, "unchanged route: no commit");

	/* x86: a device's write above 4 GiB is no interrupt; with KVM's 32-bit ids address_hi would
	 * pick a destination (or, with its 7:0 set, make KVM refuse the whole table). */
	vm.irq.msi_addr32 = true;
	CHECK(irq_set_msi_route(&vm, 33, 0x1fee00000ull, 0x41, 0) == 0 && vm.irq.nr == 1,
	      "MSI address above 4 GiB (x86): no route, nothing committed");
	CHECK(irq_set_msi_route(&vm, 32, 0x1fee01000ull, 0x41, 0) == -EBADF && vm.irq.nr == 1,
	      "... and a route moved there is taken out of KVM's table (the commit is tried)");
	vm.irq.msi_addr32 = false;

	vm.irq.max_routes = 34;
	CHECK(irq_alloc_msi_gsi(&vm, &gsi) == -ENOSPC, "no GSI beyond KVM's table");
	CHECK(irq_add_irqchip_route(&vm, 34, 0, 1) == -EINVAL, "irqchip route beyond KVM's table refused");
	irq_destroy(&vm);
	return tap_done();
}
