// SPDX-License-Identifier: GPL-2.0-only
/*
 * SubstreamIDs (PASIDs) behind the nested vSMMUv3 (smmuv3_nested.c, smmuv3_hwinfo.c, smmuv3_dev.c
 * pasid_bits), over the fake iommufd: the host walks the guest's CD tables, so with an assigned
 * device the guest's IDR1.SSIDSIZE is the host SMMU's (at most 20; at most 10 without the host's
 * CD2L, since more makes the guest's IDR0 offer 2-level CD tables) and the PCI host gives assigned
 * functions that many PASID bits (their PASID capability: test_vfio_pci_config). Without an
 * assigned device (the software backend) and on a host without SubstreamIDs (QEMU's SMMUv3, the
 * testhost's) there are none.
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../fuzz/fake_iommufd.h"
#include "devices/pci.h"
#include "iommu/smmuv3_defs.h"
#include "iommu/smmuv3_dev.h"
#include "pci_vm.h"
#include "tap.h"
#include "vmm/evloop.h"
#include "vmm/vm.h"

#define SMMU_BASE   0x09050000ull
#define RAM_BASE    0x40000000ull
#define RAM_SIZE    (4ull << 20)
#define IOAS        2
#define SID         0x0008

static int iommufd, vfio;
static struct evloop *loop;

/* A VM with a vSMMUv3 whose host SMMU has IDR0/IDR1 as given; with ASSIGN an assigned device
 * (SID) is attached. Returns the guest's IDR0 and IDR1 and the PASID bits the PCI host gives SID. */
static int run(bool assign, uint32_t host_idr0, uint32_t host_ssid, uint32_t *idr0, uint32_t *idr1, unsigned int *bits)
{
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3 };
	static const uint32_t irq[SMMUV3_NR_IRQS] = { 0 };
	struct vm_config cfg = { 0 };
	struct smmuv3_dev *d = NULL;
	struct vm vm;
	uint8_t b[4];
	int r = 0;

	c.idr[0] = host_idr0;
	c.idr[1] = host_ssid << 6 | 16;
	c.idr[5] = 4 | (1u << 4);       /* OAS 44 bits, 4K granule */
	if (pci_vm_init(&vm, &cfg, loop, RAM_BASE, RAM_SIZE) || smmuv3_dev_create(&vm, SMMU_BASE, irq, &d))
		return -EIO;
	fake_iommufd_setup(iommufd, vfio, &c);
	vm.iommufd.fd = iommufd;
	if (assign)
		r = pci_host_viommu_attach_vfio(vm.pci, vfio, 10, IOAS, SID);
	smmuv3_mmio(&d->smmu, SMMU_IDR0, b, 4, false);
	*idr0 = (uint32_t)pci_le_get(b, 4);
	smmuv3_mmio(&d->smmu, SMMU_IDR1, b, 4, false);
	*idr1 = (uint32_t)pci_le_get(b, 4);
	*bits = pci_host_viommu_pasid_bits(vm.pci, SID);
	pci_host_remove_all(vm.pci);
	smmuv3_dev_destroy(&vm, d);
	pci_vm_fini(&vm);
	fake_iommufd_teardown();
	return r;
}

#define SSIDSIZE(idr1) (((idr1) >> 6) & 0x1f)

int main(void)
{
	uint32_t idr0, idr1;
	unsigned int bits;
	int r;

	iommufd = eventfd(0, EFD_CLOEXEC);
	vfio = eventfd(0, EFD_CLOEXEC);
	if (iommufd < 0 || vfio < 0 || evloop_init(&loop, 16)) {
		printf("Bail out! scaffolding\n");
		return 1;
	}
	r = run(true, IDR0_CD2L, 16, &idr0, &idr1, &bits);
	CHECK(r == 0 && SSIDSIZE(idr1) == 16 && (idr0 & IDR0_CD2L) && bits == 16,
	      "nested, host SSIDSIZE 16 with CD2L: the guest sees SSIDSIZE 16 and CD2L, assigned functions get 16 PASID bits "
	      "(r %d, IDR1 0x%x)", r, idr1);
	r = run(true, 0, 16, &idr0, &idr1, &bits);
	CHECK(r == 0 && SSIDSIZE(idr1) == 10 && !(idr0 & IDR0_CD2L) && bits == 10,
	      "nested, host SSIDSIZE 16 without CD2L: 10 bits (linear CD tables), no CD2L");
	r = run(true, IDR0_CD2L, 20, &idr0, &idr1, &bits);
	CHECK(r == 0 && SSIDSIZE(idr1) == 20 && bits == 20, "nested, host SSIDSIZE 20: 20");
	r = run(true, IDR0_CD2L, 0, &idr0, &idr1, &bits);
	CHECK(r == 0 && SSIDSIZE(idr1) == 0 && bits == 0, "nested, host without SubstreamIDs (QEMU's SMMUv3): none");
	r = run(false, IDR0_CD2L, 16, &idr0, &idr1, &bits);
	CHECK(r == 0 && SSIDSIZE(idr1) == 0 && !(idr0 & IDR0_CD2L) && bits == 0,
	      "no assigned device (software backend): SSIDSIZE 0, no PASIDs");
	evloop_destroy(loop);
	close(iommufd);
	close(vfio);
	return tap_done();
}
