// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI routes behind the SMMUv3 device (smmuv3_dev + irq.c): a device's MSI address is an IOVA,
 * routed to KVM as the SMMU translates it. When the guest's TLBI/CFGI change that translation the
 * route follows, and when it faults the MSI is dropped (no route, one F_TRANSLATION event) instead
 * of being routed to the raw IOVA. The guest side is driven through the SMMU's registers and RAM
 * like Linux does; KVM is replaced by a fake ioctl() that keeps the committed routing table (real
 * KVM routing is exercised by tests/testhost/viommu_*.sh).
 */
#include <linux/kvm.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/pci.h"
#include "iommu/smmuv3_dev.h"
#include "smmuv3_harness.h"
#include "vmm/vm.h"

#define FAKE_VM_FD 0x7ffe
#define SMMU_BASE 0x09050000ull
#define SID 0x10
#define MSI_IOVA 0x8000000ull       /* Linux's MSI_IOVA_BASE */
#define DOORBELL 0x8090000ull       /* an ITS-like doorbell page: not RAM, only an output address */

static struct kvm_irq_routing_entry kvm_tbl[64];
static unsigned int kvm_nr, nr_commits;

/* KVM as far as irq.c and smmuv3_dev.c use it; every other fd goes to the kernel. */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != FAKE_VM_FD)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	switch (req) {
	case KVM_CHECK_EXTENSION:
		return (unsigned long)arg == KVM_CAP_IRQ_ROUTING ? 64 : 0;
	case KVM_SET_GSI_ROUTING: {
		const struct kvm_irq_routing *t = arg;

		if (t->nr > 64) {
			errno = EINVAL;
			return -1;
		}
		memcpy(kvm_tbl, t->entries, t->nr * sizeof(kvm_tbl[0]));
		kvm_nr = t->nr;
		nr_commits++;
		return 0;
	}
	case KVM_IRQ_LINE:
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

/* The MSI address KVM has for GSI, or UINT64_MAX when it has no route (the MSI is dropped). */
static uint64_t kvm_msi(uint32_t gsi)
{
	for (unsigned int i = 0; i < kvm_nr; i++)
		if (kvm_tbl[i].gsi == gsi && kvm_tbl[i].type == KVM_IRQ_ROUTING_MSI)
			return (uint64_t)kvm_tbl[i].u.msi.address_hi << 32 | kvm_tbl[i].u.msi.address_lo;
	return UINT64_MAX;
}

static unsigned int nr_translation_faults(struct harness *h)
{
	unsigned int n = 0, prod = rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD);

	for (unsigned int i = 0; i < (prod & 0x1f); i++) {
		uint64_t evt[4];

		h_evt(h, i, evt);
		if ((evt[0] & 0xff) == EVT_F_TRANSLATION && evt[0] >> 32 == SID)
			n++;
	}
	return n;
}

static void set_pte(struct harness *h, uint64_t l3, uint64_t iova, uint64_t pte)
{
	gw64(h, l3 + ((iova >> 12) & 0x1ff) * 8, pte);
}

#define PTE(pa) (((pa) & ~0xfffull) | 3 | 1ull << 10 | 1ull << 6)

int main(void)
{
	static const uint32_t irqs[SMMUV3_NR_IRQS] = { 1, 2, 3, 4 };
	struct smmuv3_dev *d = NULL;
	struct harness h;
	struct vm vm;
	uint32_t gsi = 0, gsi2 = 0;
	uint64_t ttb, l3;
	unsigned int c0, f0;

	memset(&vm, 0, sizeof(vm));
	memset(&h, 0, sizeof(h));
	vm.vm_fd = FAKE_VM_FD;
	vm.kvm_fd = -1;
	if (gmem_add_ram(&vm.mem, RAM_BASE, RAM_SIZE, false) || bus_init(&vm.mmio, "mmio") || bus_init(&vm.pio, "pio") ||
	    irq_init(&vm) || pci_host_create(&vm) || smmuv3_dev_create(&vm, SMMU_BASE, irqs, &d)) {
		CHECK(0, "VM with an SMMUv3 device");
		return tap_done();
	}
	CHECK(pci_host_viommu(vm.pci) && !strcmp(pci_host_viommu(vm.pci)->ops->name, "smmuv3"),
	      "the SMMU is the PCI host's vIOMMU");
	h.sp = &d->smmu;
	h.mem = &vm.mem;
	h.pt_brk = PGTABLES;
	h_enable(&h);

	/* The guest's driver: a stage-1 STE for the device, its MSI IOVA mapped to the doorbell. */
	ttb = h_alloc_pt(&h);
	h_cd(&h, CDS, ttb, 5);
	h_map(&h, ttb, MSI_IOVA, DOORBELL, true);
	l3 = gr64(&h, (gr64(&h, ttb + ((MSI_IOVA >> 30) & 0x1ff) * 8) & 0xfffffffff000ull) +
		 ((MSI_IOVA >> 21) & 0x1ff) * 8) & 0xfffffffff000ull;
	h_ste(&h, SID, STE_S1(CDS), 0);
	h_cmd(&h, CMD_CFGI_STE | (uint64_t)SID << 32, 1);
	h_sync(&h);

	/* The device's MSI-X entry (pci_msix.c / vfio_pci_irq.c call this). */
	CHECK(irq_alloc_msi_gsi(&vm, &gsi) == 0 && irq_alloc_msi_gsi(&vm, &gsi2) == 0, "two MSI GSIs");
	CHECK(irq_set_msi_route(&vm, gsi, MSI_IOVA | 0x40, 0x21, SID) == 0 && kvm_msi(gsi) == DOORBELL + 0x40,
	      "route holds the translated address (0x%llx)", (unsigned long long)kvm_msi(gsi));

	/* The guest remaps the IOVA: without TLBI nothing changes, with TLBI + SYNC the route follows. */
	set_pte(&h, l3, MSI_IOVA, PTE(DOORBELL + 0x10000));
	c0 = nr_commits;
	h_cmd(&h, CMD_TLBI_NH_VA | 5ull << 48, MSI_IOVA + 0x200000);
	h_sync(&h);
	CHECK(kvm_msi(gsi) == DOORBELL + 0x40 && nr_commits == c0,
	      "TLBI of another page: route unchanged, no commit (%u)", nr_commits - c0);
	h_cmd(&h, CMD_TLBI_NH_VA | 5ull << 48, MSI_IOVA);
	h_sync(&h);
	CHECK(kvm_msi(gsi) == DOORBELL + 0x10040 && nr_commits == c0 + 1,
	      "TLBI_NH_VA + SYNC of the MSI page: route re-translated (0x%llx), one commit",
	      (unsigned long long)kvm_msi(gsi));

	/* Unmapped: the MSI write would abort. Dropped (no route), the fault recorded once. */
	f0 = nr_translation_faults(&h);
	set_pte(&h, l3, MSI_IOVA, 0);
	h_cmd(&h, CMD_TLBI_NH_ASID | 5ull << 48, 0);
	h_sync(&h);
	CHECK(kvm_msi(gsi) == UINT64_MAX, "unmapped + TLBI: route removed, not left at the raw IOVA (0x%llx)",
	      (unsigned long long)kvm_msi(gsi));
	CHECK(nr_translation_faults(&h) == f0 + 1, "the fault is an F_TRANSLATION event of the device");
	c0 = nr_commits;
	h_cmd(&h, CMD_TLBI_NH_ALL, 0);
	h_sync(&h);
	CHECK(nr_translation_faults(&h) == f0 + 1 && nr_commits == c0,
	      "still faulting after another TLBI: no second event, no commit");

	/* Mapped again: the route comes back. */
	set_pte(&h, l3, MSI_IOVA, PTE(DOORBELL));
	h_cmd(&h, CMD_TLBI_NH_VA | 5ull << 48, MSI_IOVA);
	h_sync(&h);
	CHECK(kvm_msi(gsi) == DOORBELL + 0x40, "mapped again + TLBI: route back");

	/* An MSI programmed at an IOVA that is not mapped is never routed to the IOVA itself. */
	CHECK(irq_set_msi_route(&vm, gsi2, MSI_IOVA + 0x100000, 0x22, SID) == 0 && kvm_msi(gsi2) == UINT64_MAX,
	      "MSI at an unmapped IOVA: no route (0x%llx)", (unsigned long long)kvm_msi(gsi2));
	CHECK(nr_translation_faults(&h) == f0 + 2, "... and its fault recorded");

	/* CFGI_STE to bypass: IOVA == guest physical now. */
	h_ste(&h, SID, STE_BYPASS, 0);
	h_cmd(&h, CMD_CFGI_STE | (uint64_t)SID << 32, 1);
	h_sync(&h);
	CHECK(kvm_msi(gsi) == MSI_IOVA + 0x40 && kvm_msi(gsi2) == MSI_IOVA + 0x100000,
	      "CFGI_STE (bypass): both routes re-translated");

	/* SMMUEN off with GBPA.ABORT: every MSI aborts. */
	wr32(&h, SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT);
	wr32(&h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	CHECK(kvm_msi(gsi) == UINT64_MAX && kvm_msi(gsi2) == UINT64_MAX, "SMMUEN=0 + GBPA.ABORT: routes removed");
	wr32(&h, SMMU_GBPA, GBPA_UPDATE);
	CHECK(kvm_msi(gsi) == MSI_IOVA + 0x40, "GBPA bypass: routes back untranslated");

	smmuv3_dev_destroy(&vm, d);
	CHECK(!pci_host_viommu(vm.pci), "SMMU gone: the PCI host has no vIOMMU any more");
	pci_host_destroy(&vm);
	irq_destroy(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	gmem_destroy(&vm.mem);
	return tap_done();
}
