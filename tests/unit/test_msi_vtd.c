// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI routes behind the VT-d device (vtd_dev + irq.c): with interrupt remapping on, a device's
 * MSI is a handle into the guest's IRT, routed to KVM as the IRTE says. When the guest changes the
 * IRTE and invalidates the interrupt entry cache the route follows; when remapping blocks it the
 * MSI is dropped (no route, one recorded fault, the fault event through KVM_SIGNAL_MSI). The unit
 * sits on the PCI host for DMA and refuses assigned devices. The guest side is driven through the
 * unit's registers and RAM like Linux does; KVM is replaced by a fake ioctl() that keeps the
 * committed routing table (real KVM routing is exercised by tests/testhost/viommu_vtd.sh).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/pci.h"
#include "iommu/vtd_dev.h"
#include "tap.h"
#include "vmm/vm.h"

#define FAKE_VM_FD 0x7ffe
#define VTD_BASE   0xfed90000ull
#define RAM_BASE   0x40000000ull
#define RAM_SIZE   (4ull << 20)
#define IRT        (RAM_BASE + 0x10000)
#define IQ         (RAM_BASE + 0x20000)
#define SID        0x10

static struct kvm_irq_routing_entry kvm_tbl[64];
static unsigned int kvm_nr, nr_commits, nr_signal;
static struct kvm_msi last_signal;

/* KVM as far as irq.c and vtd_dev.c use it; every other fd goes to the kernel. */
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
	case KVM_SIGNAL_MSI:
		last_signal = *(const struct kvm_msi *)arg;
		nr_signal++;
		return 1;
	}
	errno = ENOTTY;
	return -1;
}

/* KVM's route for GSI: 0 with ADDR/DATA, -1 when it has none (the MSI is dropped). */
static int kvm_msi(uint32_t gsi, uint64_t *addr, uint32_t *data)
{
	for (unsigned int i = 0; i < kvm_nr; i++)
		if (kvm_tbl[i].gsi == gsi && kvm_tbl[i].type == KVM_IRQ_ROUTING_MSI) {
			*addr = (uint64_t)kvm_tbl[i].u.msi.address_hi << 32 | kvm_tbl[i].u.msi.address_lo;
			*data = kvm_tbl[i].u.msi.data;
			return 0;
		}
	return -1;
}

static bool routed(uint32_t gsi, uint64_t addr, uint32_t data)
{
	uint64_t a;
	uint32_t d;

	return !kvm_msi(gsi, &a, &d) && a == addr && d == data;
}

static struct vtd *u;
static struct vm vm;

static void wr32(uint64_t off, uint32_t x)
{
	uint8_t d[4] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24) };

	vtd_mmio(u, off, d, 4, true);
}

static void wr64(uint64_t off, uint64_t x)
{
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(x >> (8 * i));
	vtd_mmio(u, off, d, 8, true);
}

static uint64_t rd64(uint64_t off)
{
	uint8_t d[8];
	uint64_t x = 0;

	vtd_mmio(u, off, d, 8, false);
	for (int i = 7; i >= 0; i--)
		x = x << 8 | d[i];
	return x;
}

static void put(uint64_t pa, uint64_t x)
{
	memcpy(gmem_ptr(&vm.mem, pa, 8), &x, 8);
}

static void set_irte(unsigned int idx, uint64_t lo, uint64_t hi)
{
	put(IRT + idx * 16, lo);
	put(IRT + idx * 16 + 8, hi);
}

/* A global interrupt entry cache invalidation on the queue, as Linux issues after an IRTE change. */
static void iec_invalidate(void)
{
	uint64_t t = rd64(VTD_IQT);

	put(IQ + t, 4);
	put(IQ + t + 8, 0);
	wr64(VTD_IQT, (t + 16) % 0x1000);
}

static uint64_t remappable(unsigned int handle)
{
	return 0xfee00000ull | (uint64_t)handle << 5 | 1u << 4;
}

int main(void)
{
	struct vtd_dev *d = NULL;
	const struct pci_viommu *pv;
	struct viommu_xlate x;
	uint32_t gsi = 0;
	unsigned int c0;

	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = FAKE_VM_FD;
	vm.kvm_fd = -1;
	if (gmem_add_ram(&vm.mem, RAM_BASE, RAM_SIZE, false) || bus_init(&vm.mmio, "mmio") || bus_init(&vm.pio, "pio") ||
	    irq_init(&vm) || pci_host_create(&vm) || vtd_dev_create(&vm, VTD_BASE, false, &d)) {
		CHECK(0, "VM with a VT-d unit");
		return tap_done();
	}
	u = &d->vtd;
	pv = pci_host_viommu(vm.pci);
	CHECK(pv && !strcmp(pv->ops->name, "vtd"), "the VT-d unit is the PCI host's vIOMMU");
	/* An assigned device switches the unit to the shadow backend (caching mode, no first stage);
	 * here without an iommufd, so its IOAS cannot be made and the attach fails cleanly. */
	vm.iommufd.fd = -1;
	CHECK(pci_host_viommu_attach_vfio(vm.pci, -1, 1, 2, SID) == -EBADF && (u->cap & CAP_CM) &&
	      !(u->ecap & ECAP_FLTS) && !strcmp(d->mount.backend->ops->name, "shadow"),
	      "an assigned device: shadow backend, CAP.CM=1, ECAP.FLTS=0 (no iommufd here: refused)");
	CHECK(pv->ops->dma_add(pv->opaque, SID) == 0 && pv->ops->dma_translate(pv->opaque, SID, 0x5000, true, &x) == 0 &&
	      x.pa == 0x5000, "an emulated device's DMA: untranslated while TE=0");

	/* The device's MSI-X entry before the guest enables remapping: taken as it is. */
	CHECK(irq_alloc_msi_gsi(&vm, &gsi) == 0, "an MSI GSI");
	CHECK(irq_set_msi_route(&vm, gsi, 0xfee01000, 0x4030, SID) == 0 && routed(gsi, 0xfee01000, 0x4030),
	      "IRE=0: the compatibility-format MSI is routed as programmed");

	/* Linux: IRT, SIRTP, queued invalidation, fault event unmasked, IRE (CFI clear). */
	wr64(VTD_IRTA, IRT | IRTA_EIME | 7);
	wr32(VTD_GCMD, GCMD_SIRTP);
	wr64(VTD_IQA, IQ);
	wr32(VTD_GCMD, GCMD_QIE);
	wr32(VTD_FEADDR, 0xfee00000);
	wr32(VTD_FEDATA, 0x99);
	wr32(VTD_FECTL, 0);
	c0 = nr_commits;
	wr32(VTD_GCMD, GCMD_QIE | GCMD_IRE);
	CHECK(kvm_msi(gsi, &(uint64_t){ 0 }, &(uint32_t){ 0 }) == -1 && nr_commits == c0 + 1,
	      "IRE with CFIS=0: the compatibility-format route is removed (one commit)");
	CHECK(((rd64(VTD_FRCD + 8) >> 32) & 0xff) == VTD_FR_IR_COMPAT && (uint16_t)rd64(VTD_FRCD + 8) == SID,
	      "... and its fault recorded (FR 0x25, the device's source id)");
	CHECK(nr_signal == 1 && last_signal.address_lo == 0xfee00000 && last_signal.data == 0x99,
	      "the fault event went to KVM as an MSI");

	/* The driver reprograms the device with a remappable MSI: IRTE 5, vector 0x41 to APIC 3. */
	set_irte(5, 1 | 0x41ull << 16 | 3ull << 32, SID | 1ull << 18);
	iec_invalidate();
	CHECK(irq_set_msi_route(&vm, gsi, remappable(5), 0, SID) == 0 && routed(gsi, 0xfee03000, 0x4041),
	      "remappable MSI: KVM routes it as IRTE 5 says");

	/* The IRTE changes (affinity): nothing until the IEC is invalidated, then one commit. */
	set_irte(5, 1 | 0x42ull << 16 | 1ull << 32, SID | 1ull << 18);
	c0 = nr_commits;
	wr32(VTD_FSTS, 0);
	CHECK(routed(gsi, 0xfee03000, 0x4041) && nr_commits == c0, "IRTE changed, not invalidated: route unchanged");
	iec_invalidate();
	CHECK(routed(gsi, 0xfee01000, 0x4042) && nr_commits == c0 + 1, "IEC invalidation: the route follows, one commit");
	iec_invalidate();
	CHECK(nr_commits == c0 + 1, "another IEC invalidation with nothing changed: no commit");

	/* The IRTE's source-id check fails for this device: dropped, one fault. */
	wr32(VTD_FSTS, 0xff);
	wr64(VTD_FRCD + 8, FRCD_F);
	set_irte(5, 1 | 0x42ull << 16 | 1ull << 32, (SID + 8) | 1ull << 18);
	iec_invalidate();
	CHECK(kvm_msi(gsi, &(uint64_t){ 0 }, &(uint32_t){ 0 }) == -1, "SID mismatch: route removed");
	CHECK(((rd64(VTD_FRCD + 24) >> 32) & 0xff) == VTD_FR_IR_SID, "... the fault recorded (FR 0x26)");
	iec_invalidate();
	CHECK(((rd64(VTD_FRCD + 40) >> 32) & 0xff) == 0, "still blocked after another invalidation: no second record");
	set_irte(5, 1 | 0x42ull << 16 | 1ull << 32, SID | 1ull << 18);
	iec_invalidate();
	CHECK(routed(gsi, 0xfee01000, 0x4042), "IRTE fixed + IEC invalidation: the route is back");

	vtd_dev_destroy(&vm, d);
	CHECK(!pci_host_viommu(vm.pci), "unit gone: the PCI host has no vIOMMU any more");
	pci_host_destroy(&vm);
	irq_destroy(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	gmem_destroy(&vm.mem);
	return tap_done();
}
