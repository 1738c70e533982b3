// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci config-space virtualization without a device: the capability walk over garbage and
 * loops, which bytes are emulated vs passed through, the MSI capability's write masks, a hidden
 * ROM, and the BAR mmap split around the MSI-X table and PBA pages. Power management, the
 * COMMAND ordering and the emulated ATS/PRI of a function with page requests run against a memfd
 * standing in for the VFIO device fd (config region at 0, BAR0's region at DEV_BAR0), so what
 * reaches "the device" is visible.
 */
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sys/eventfd.h>

#include "../fuzz/fake_iommufd.h"
#include "devices/vfio_pci.h"
#include "tap.h"
#include "vmm/vm.h"

static const struct pci_dev_ops ops = { .cfg_read = vfio_pci_cfg_read, .cfg_write = vfio_pci_cfg_write };

static uint32_t rd(struct pci_dev *d, uint32_t reg, uint32_t len)
{
	uint8_t b[4] = { 0 };

	pci_dev_cfg_read(d, reg, b, len);
	return (uint32_t)pci_le_get(b, len);
}

static void wr(struct pci_dev *d, uint32_t reg, uint32_t len, uint32_t val)
{
	uint8_t b[4];

	pci_le_put(b, len, val);
	pci_dev_cfg_write(d, reg, b, len);
}

static void fake_function(uint8_t *c)
{
	memset(c, 0, 256);
	pci_le_put(c + PCI_VENDOR_ID, 2, 0x1234);
	pci_le_put(c + PCI_DEVICE_ID, 2, 0x11e8);
	pci_le_put(c + PCI_CLASS_REVISION, 4, 0x00ff0010);
	pci_le_put(c + PCI_STATUS, 2, PCI_STATUS_CAP_LIST | PCI_STATUS_SIG_SYSTEM_ERROR);
	c[PCI_INTERRUPT_PIN] = 1;
	c[PCI_CAPABILITY_LIST] = 0x40;
	/* 0x40 MSI, 64-bit with per-vector masking, 4 vectors capable -> 0x58 VPD (hidden) -> 0x60 PM */
	c[0x40] = PCI_CAP_ID_MSI; c[0x41] = 0x58;
	pci_le_put(c + 0x42, 2, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (2 << 1));
	c[0x58] = PCI_CAP_ID_VPD; c[0x59] = 0x60;
	c[0x60] = PCI_CAP_ID_PM; c[0x61] = 0x70;
	/* 0x70 PCIe v2, whose next pointer loops back to 0x40 */
	c[0x70] = PCI_CAP_ID_EXP; c[0x71] = 0x40; c[0x72] = 2;
}

#define DEV_BAR0 0x1000
#define BAR0_GPA 0x10000000u
#define PM 0x40         /* the fake PM capability */
#define MSI 0x50
#define EXP 0x70

static const struct pci_dev_ops full_ops = {
	.cfg_read = vfio_pci_cfg_read, .cfg_write = vfio_pci_cfg_write,
	.bar_access = vfio_pci_bar_access, .bar_remap = vfio_pci_bar_remap,
};
/* No config-write hook: only what vfio_pci_bar_remap itself does reaches the device. */
static const struct pci_dev_ops remap_ops = {
	.cfg_read = vfio_pci_cfg_read, .bar_access = vfio_pci_bar_access, .bar_remap = vfio_pci_bar_remap,
};

static uint16_t dev16(struct vfio_pci *v, uint32_t reg)
{
	uint8_t b[2] = { 0xff, 0xff };

	if (pread(v->fd, b, 2, reg) != 2)
		return 0xffff;
	return (uint16_t)pci_le_get(b, 2);
}

static uint32_t bar_rd(struct vm *vm)
{
	uint8_t b[4];

	if (!bus_dispatch(&vm->mmio, BAR0_GPA, b, 4, false))
		return 0xbad;   /* not decoding */
	return (uint32_t)pci_le_get(b, 4);
}

/*
 * A function with PM (D2 supported, not D1; No_Soft_Reset NSR), MSI and PCIe v2 (Function Level
 * Reset capable: FLR), BAR0 4 KiB, over a memfd.
 */
static struct vfio_pci *pm_function(struct vm *vm, const struct pci_dev_ops *fops, bool nsr, bool flr)
{
	struct vfio_pci *v = calloc(1, sizeof(*v));
	struct vfio_pci_cap caps[4];
	uint8_t c[256] = { 0 }, pat[4] = { 0x44, 0x33, 0x22, 0x11 };
	unsigned int n;

	pci_le_put(c + PCI_VENDOR_ID, 4, 0x11e81234);
	pci_le_put(c + PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	c[PCI_CAPABILITY_LIST] = PM;
	c[PM] = PCI_CAP_ID_PM; c[PM + 1] = MSI;
	pci_le_put(c + PM + PCI_PM_PMC, 2, 3 | PCI_PM_CAP_D2);
	pci_le_put(c + PM + PCI_PM_CTRL, 2, nsr ? PCI_PM_CTRL_NO_SOFT_RESET : 0);
	c[MSI] = PCI_CAP_ID_MSI; c[MSI + 1] = EXP;
	pci_le_put(c + MSI + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_64BIT);
	c[EXP] = PCI_CAP_ID_EXP;
	pci_le_put(c + EXP + PCI_EXP_FLAGS, 2, 2 | PCI_EXP_TYPE_ENDPOINT << 4);
	pci_le_put(c + EXP + PCI_EXP_DEVCAP, 4, flr ? PCI_EXP_DEVCAP_FLR : 0);
	v->fd = memfd_create("vfio-dev", MFD_CLOEXEC);
	if (v->fd < 0 || ftruncate(v->fd, DEV_BAR0 + 0x1000) || pwrite(v->fd, c, sizeof(c), 0) != sizeof(c) ||
	    pwrite(v->fd, pat, 4, DEV_BAR0) != 4)
		return NULL;
	v->cfg_size = 256;
	pci_dev_init(&v->pci, vm, fops, "vfio-pm", 0x1234, 0x11e8, 0, 0, 0);
	vfio_pci_config_header(v, c, 0);
	pci_dev_add_bar(&v->pci, 0, 0x1000, false, false);
	v->bar[0].size = 0x1000;
	v->bar[0].region_off = DEV_BAR0;
	n = vfio_pci_caps_scan(c, sizeof(c), caps, 4);
	if (n != 3 || vfio_pci_config_caps(v, c, caps, n))
		return NULL;
	vfio_pci_config_snapshot(v);
	pthread_mutex_init(&v->irq_lock, NULL);
	return v;
}

static void pm_free(struct vfio_pci *v)
{
	pci_dev_fini(&v->pci);
	pthread_mutex_destroy(&v->irq_lock);
	close(v->fd);
	free(v);
}

/* PCI PM 1.2 3.2.4 / 5.4.1 as the guest sees them; the function itself never leaves D0. */
static void test_power_management(void)
{
	struct vm vm = { .vm_fd = -1 };
	struct vfio_pci *v;
	struct pci_dev *d;

	bus_init(&vm.mmio, "mmio");
	v = pm_function(&vm, &full_ops, false, false);
	CHECK(v != NULL, "PM function over a memfd built");
	if (!v)
		return;
	d = &v->pci;
	CHECK(!vfio_pci_cfg_is_pt(v, PM + PCI_PM_CTRL) && !vfio_pci_cfg_is_pt(v, PM + PCI_PM_CTRL + 1) &&
	      vfio_pci_cfg_is_pt(v, PM + PCI_PM_PMC), "PMCSR emulated, PMC passed through");
	CHECK(rd(d, PM + PCI_PM_PMC, 2) == (3 | PCI_PM_CAP_D2), "PMC read from the function");
	wr(d, PCI_BASE_ADDRESS_0, 4, BAR0_GPA);
	wr(d, MSI + PCI_MSI_ADDRESS_LO, 4, 0xfee00000);
	wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	CHECK(dev16(v, PCI_COMMAND) == (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), "COMMAND forwarded to the device");
	CHECK(rd(d, PM + PCI_PM_CTRL, 2) == 0, "PMCSR: D0, No_Soft_Reset 0 (the function's)");
	CHECK(bar_rd(&vm) == 0x11223344, "D0: BAR0 reads the device");

	wr(d, PM + PCI_PM_CTRL, 2, 1);
	CHECK((rd(d, PM + PCI_PM_CTRL, 2) & 3) == 0, "D1 is not supported: the write changes nothing");
	wr(d, PM + PCI_PM_CTRL, 2, 3);
	CHECK((rd(d, PM + PCI_PM_CTRL, 2) & 3) == 3 && atomic_load(&v->pm_state) == VFIO_PCI_D3HOT,
	      "D3hot entered (guest view)");
	CHECK(dev16(v, PM + PCI_PM_CTRL) == 0, "the device's own PMCSR untouched: it stays in D0");
	CHECK(bar_rd(&vm) == 0xffffffff, "D3hot: BAR0 reads all-ones");
	{
		uint8_t b[4] = { 0xef, 0xbe, 0xad, 0xde }, got[4] = { 0 };

		bus_dispatch(&vm.mmio, BAR0_GPA, b, 4, true);
		CHECK(pread(v->fd, got, 4, DEV_BAR0) == 4 && pci_le_get(got, 4) == 0x11223344, "D3hot: BAR0 writes dropped");
	}
	wr(d, PM + PCI_PM_CTRL, 2, 2);
	CHECK((rd(d, PM + PCI_PM_CTRL, 2) & 3) == 3, "D3hot -> D2 refused (D3hot only goes to D0)");
	wr(d, PM + PCI_PM_CTRL, 2, 0);
	CHECK((rd(d, PM + PCI_PM_CTRL, 2) & 3) == 0 && atomic_load(&v->pm_state) == VFIO_PCI_D0, "back in D0");
	CHECK(rd(d, PCI_COMMAND, 2) == 0 && rd(d, PCI_BASE_ADDRESS_0, 4) == 0 && rd(d, MSI + PCI_MSI_ADDRESS_LO, 4) == 0,
	      "D3hot -> D0, No_Soft_Reset 0: COMMAND, BAR0, MSI address at reset values (0x%x 0x%x 0x%x)",
	      rd(d, PCI_COMMAND, 2), rd(d, PCI_BASE_ADDRESS_0, 4), rd(d, MSI + PCI_MSI_ADDRESS_LO, 4));
	CHECK(dev16(v, PCI_COMMAND) == 0, "the device's COMMAND follows (decode off)");
	CHECK(bar_rd(&vm) == 0xbad, "BAR0 no longer decodes");
	pm_free(v);

	v = pm_function(&vm, &full_ops, true, false);
	CHECK(v != NULL, "PM function with No_Soft_Reset built");
	if (!v)
		return;
	d = &v->pci;
	wr(d, PCI_BASE_ADDRESS_0, 4, BAR0_GPA);
	wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	wr(d, PM + PCI_PM_CTRL, 2, 2);
	CHECK((rd(d, PM + PCI_PM_CTRL, 2) & 3) == 2 && bar_rd(&vm) == 0xffffffff, "D2 (supported): BAR0 reads all-ones");
	wr(d, PM + PCI_PM_CTRL, 2, 3);
	wr(d, PM + PCI_PM_CTRL, 2, 0);
	CHECK(rd(d, PM + PCI_PM_CTRL, 2) == PCI_PM_CTRL_NO_SOFT_RESET && rd(d, PCI_COMMAND, 2) == PCI_COMMAND_MEMORY &&
	      rd(d, PCI_BASE_ADDRESS_0, 4) == BAR0_GPA && bar_rd(&vm) == 0x11223344,
	      "D3hot -> D0, No_Soft_Reset 1: state kept, BAR0 reads the device again");
	pm_free(v);

	/* Enabling decode reaches the device before the BAR's memslots go in (vfio_pci_bar_remap). */
	v = pm_function(&vm, &remap_ops, false, false);
	CHECK(v != NULL, "function without the config-write hook built");
	if (!v)
		return;
	wr(&v->pci, PCI_BASE_ADDRESS_0, 4, BAR0_GPA);
	wr(&v->pci, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK(dev16(v, PCI_COMMAND) == PCI_COMMAND_MEMORY, "BAR remap forwards COMMAND.MEM itself, before its memslots");
	pm_free(v);
	bus_destroy(&vm.mmio);
}

/* PCIe 6.0 7.5.3.4 Initiate Function Level Reset, and what 6.6.2 resets, as the guest sees it. */
static void test_flr(void)
{
	struct vm vm = { .vm_fd = -1 };
	struct vfio_pci *v;
	struct pci_dev *d;

	bus_init(&vm.mmio, "mmio");
	for (int flr = 1; flr >= 0; flr--) {
		v = pm_function(&vm, &full_ops, false, flr);
		CHECK(v != NULL, "PCIe function %s FLR built", flr ? "with" : "without");
		if (!v)
			break;
		d = &v->pci;
		wr(d, PCI_BASE_ADDRESS_0, 4, BAR0_GPA);
		wr(d, MSI + PCI_MSI_ADDRESS_LO, 4, 0xfee00000);
		wr(d, MSI + PCI_MSI_DATA_64, 2, 0x41);
		wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		wr(d, EXP + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_RELAX_EN);
		CHECK(dev16(v, EXP + PCI_EXP_DEVCTL) == PCI_EXP_DEVCTL_RELAX_EN,
		      "%s: the rest of Device Control reaches the device, the FLR bit does not (0x%x)",
		      flr ? "FLR" : "no FLR capability", dev16(v, EXP + PCI_EXP_DEVCTL));
		if (flr) {
			CHECK(rd(d, PCI_COMMAND, 2) == 0 && rd(d, PCI_BASE_ADDRESS_0, 4) == 0 &&
			      rd(d, MSI + PCI_MSI_ADDRESS_LO, 4) == 0 && rd(d, MSI + PCI_MSI_DATA_64, 2) == 0,
			      "FLR: COMMAND, BAR0, MSI address and data back to reset values");
			CHECK(dev16(v, PCI_COMMAND) == 0 && bar_rd(&vm) == 0xbad, "FLR: the device stops decoding, BAR0 gone");
		} else {
			CHECK(rd(d, PCI_COMMAND, 2) == (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &&
			      rd(d, PCI_BASE_ADDRESS_0, 4) == BAR0_GPA && bar_rd(&vm) == 0x11223344,
			      "no FLR capability: the bit does nothing");
		}
		pm_free(v);
	}
	bus_destroy(&vm.mmio);
}

/* The vIOMMU side of page requests and PASIDs (pci_viommu_ops.iopf_offered / set_iopf / pasid_bits), recorded. */
static bool offer;
static unsigned int pasid_bits;
static int nr_set, last_on = -1;
static uint32_t last_rid;
static int iommufd = -1;

static unsigned int v_pasid(void *opaque, uint32_t rid)
{
	return pasid_bits;
}

static bool v_offered(void *opaque, uint32_t rid)
{
	return offer;
}

static void v_set(void *opaque, uint32_t rid, bool on)
{
	nr_set++;
	last_on = on;
	last_rid = rid;
}

#define H_ATS 0x130
#define H_PRI 0x148     /* the function's own layout, not ours */

/*
 * A PCIe function whose extended space (4 KiB config region) holds AER at 0x100 -> ATS at H_ATS ->
 * PRI at H_PRI (capacity CAP) unless NO_ATS, behind host H; offered or not by its vIOMMU; its iommufd
 * device (10, on the fake) reports HW_CAPS and MAX_PASID_LOG2.
 */
static struct vfio_pci *ecap_function(struct vm *vm, struct pci_host *h, uint32_t cap, bool no_ats, bool loop,
				      uint64_t hw_caps, uint8_t max_pasid_log2)
{
	struct fake_iommufd_cfg fc = { .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .hw_caps = hw_caps,
				       .max_pasid_log2 = max_pasid_log2 };
	struct vfio_pci *v = calloc(1, sizeof(*v));
	uint8_t c[4096] = { 0 };

	pci_le_put(c + PCI_VENDOR_ID, 4, 0x11e81234);
	pci_le_put(c + 0x100, 4, PCI_EXT_CAP_ID_ERR | 1u << 16 | (uint32_t)(no_ats ? H_PRI : H_ATS) << 20);
	pci_le_put(c + H_ATS, 4, PCI_EXT_CAP_ID_ATS | 1u << 16 | (uint32_t)H_PRI << 20);
	/* LOOP: PRI's next points back at AER (a walk must end anyway); PRI is found first. */
	pci_le_put(c + H_PRI, 4, PCI_EXT_CAP_ID_PRI | 1u << 16 | (loop ? 0x100u << 20 : 0));
	pci_le_put(c + H_PRI + PCI_PRI_MAX_REQ, 4, cap);
	v->fd = memfd_create("vfio-dev", MFD_CLOEXEC);
	if (v->fd < 0 || ftruncate(v->fd, DEV_BAR0 + 0x1000) || pwrite(v->fd, c, sizeof(c), 0) != sizeof(c))
		return NULL;
	v->cfg_size = 4096;
	v->iommufd = iommufd;
	v->devid = 10;
	fake_iommufd_teardown();
	fake_iommufd_setup(iommufd, -1, &fc);
	snprintf(v->name, sizeof(v->name), "vfio-pri");
	pci_dev_init(&v->pci, vm, &full_ops, "vfio-pri", 0x1234, 0x11e8, 0, 0, 0);
	vfio_pci_config_header(v, c, 0);
	vfio_pci_config_snapshot(v);
	pthread_mutex_init(&v->irq_lock, NULL);
	v->pci.host = h;
	v->pci.devfn = 0x18;
	vfio_pci_ecap_init(v);
	return v;
}

static struct vfio_pci *pri_function(struct vm *vm, struct pci_host *h, uint32_t cap, bool no_ats, bool loop)
{
	return ecap_function(vm, h, cap, no_ats, loop, 0, 0);
}

static void test_page_requests(void)
{
	static const struct pci_viommu_ops vops = { .name = "test", .iopf_offered = v_offered, .set_iopf = v_set,
						    .pasid_bits = v_pasid };
	struct vm vm = { .vm_fd = -1 };
	struct pci_host h;
	struct vfio_pci *v;
	struct pci_dev *d;

	memset(&h, 0, sizeof(h));
	iommufd = eventfd(0, EFD_CLOEXEC);
	bus_init(&vm.mmio, "mmio");
	pci_host_set_viommu(&h, &vops, NULL);
	offer = true;
	v = pri_function(&vm, &h, 512, false, false);
	CHECK(v != NULL, "a function with ATS and PRI built");
	if (!v)
		return;
	d = &v->pci;
	CHECK(v->pri_cap == 0x100 && rd(d, 0x100, 4) == (PCI_EXT_CAP_ID_ATS | 1u << 16 | 0x110u << 20) &&
	      rd(d, 0x110, 4) == (PCI_EXT_CAP_ID_PRI | 1u << 16) && rd(d, 0x120, 4) == 0,
	      "offered: ATS at 0x100 -> PRI at 0x110, the last (the function's AER and layout hidden)");
	CHECK(rd(d, 0x110 + PCI_PRI_MAX_REQ, 4) == 32 && rd(d, 0x110 + PCI_PRI_STATUS, 2) == PCI_PRI_STATUS_STOPPED &&
	      rd(d, 0x100 + PCI_ATS_CAP, 2) == PCI_ATS_CAP_PAGE_ALIGNED,
	      "capacity 512 capped at what nestvm keeps per device (32); Stopped; ATS page aligned");
	wr(d, 0x100 + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE | 3);
	wr(d, 0x110 + PCI_PRI_ALLOC_REQ, 4, 32);
	CHECK(rd(d, 0x100 + PCI_ATS_CTRL, 2) == (PCI_ATS_CTRL_ENABLE | 3) && rd(d, 0x110 + PCI_PRI_ALLOC_REQ, 4) == 32 &&
	      nr_set == 0, "ATS Enable/STU and the allocation are the guest's; the vIOMMU is not told");
	wr(d, 0x110 + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	CHECK(nr_set == 1 && last_on == 1 && last_rid == 0x18 && !(rd(d, 0x110 + PCI_PRI_STATUS, 2) & PCI_PRI_STATUS_STOPPED),
	      "PRI Enable: the vIOMMU is told for RID 0x18, Stopped clears");
	wr(d, 0x110 + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	CHECK(nr_set == 1, "the same Enable again: not told twice");
	d->cfg[0x110 + PCI_PRI_STATUS] |= PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI;
	wr(d, 0x110 + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE | PCI_PRI_CTRL_RESET);
	CHECK((rd(d, 0x110 + PCI_PRI_STATUS, 2) & 3) == 3 && rd(d, 0x110 + PCI_PRI_CTRL, 2) == PCI_PRI_CTRL_ENABLE,
	      "Reset with Enable set does nothing (10.5.2.2), and reads 0");
	wr(d, 0x110 + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_RESET);
	CHECK(nr_set == 2 && last_on == 0 && rd(d, 0x110 + PCI_PRI_STATUS, 2) == PCI_PRI_STATUS_STOPPED,
	      "Enable 0 with Reset: told, error bits cleared, Stopped");
	wr(d, 0x110 + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	vfio_pci_function_reset(v);
	CHECK(nr_set == 4 && last_on == 0 && rd(d, 0x110 + PCI_PRI_CTRL, 2) == 0 &&
	      rd(d, 0x110 + PCI_PRI_STATUS, 2) == PCI_PRI_STATUS_STOPPED && rd(d, 0x100 + PCI_ATS_CTRL, 2) == 0 &&
	      rd(d, 0x110 + PCI_PRI_ALLOC_REQ, 4) == 0,
	      "a function reset: PRI and ATS back to reset values, Stopped, the vIOMMU told PRI is off");
	pm_free(v);

	v = pri_function(&vm, &h, 8, false, true);
	CHECK(v && v->pri_cap && rd(&v->pci, 0x110 + PCI_PRI_MAX_REQ, 4) == 8,
	      "a looping extended list: the walk ends, PRI found; capacity 8 (the function's) kept");
	if (v)
		pm_free(v);
	v = pri_function(&vm, &h, 8, true, false);
	CHECK(v && !v->pri_cap && rd(&v->pci, 0x100, 4) == 0, "PRI without ATS: not offered (Linux enables PRI only with ATS)");
	if (v)
		pm_free(v);
	offer = false;
	v = pri_function(&vm, &h, 8, false, false);
	CHECK(v && !v->pri_cap && rd(&v->pci, 0x100, 4) == 0, "a vIOMMU that cannot take its page requests: nothing offered");
	if (v) {
		wr(&v->pci, 0x110 + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
		CHECK(nr_set == 4 && rd(&v->pci, 0x110, 4) == 0, "... and writes there do nothing");
		pm_free(v);
	}
	offer = true;
	v = ecap_function(&vm, &h, 8, false, false, IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, 0);
	CHECK(v && !v->pri_cap && rd(&v->pci, 0x100, 4) == 0, "iommufd says ATS cannot be used on it: no ATS, no PRI");
	if (v)
		pm_free(v);

	/* PASIDs: the smaller of the vIOMMU's and the host's width; the host's execute / privileged modes. */
	pasid_bits = 16;
	v = ecap_function(&vm, &h, 8, false, false, IOMMU_HW_CAP_PCI_PASID_EXEC, 20);
	if (v) {
		d = &v->pci;
		CHECK(rd(d, 0x110, 4) == (PCI_EXT_CAP_ID_PRI | 1u << 16 | 0x120u << 20) &&
		      rd(d, 0x120, 4) == (PCI_EXT_CAP_ID_PASID | 1u << 16) &&
		      rd(d, 0x120 + PCI_PASID_CAP, 2) == (PCI_PASID_CAP_EXEC | 16 << 8),
		      "ATS -> PRI -> PASID at 0x120: 16 bits (the vIOMMU's, the host has 20), execute permission, no privileged mode");
		wr(d, 0x120 + PCI_PASID_CTRL, 2, PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC | PCI_PASID_CTRL_PRIV);
		CHECK(rd(d, 0x120 + PCI_PASID_CTRL, 2) == (PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC),
		      "PASID Control: Enable and Execute writable, Privileged (not supported) stays 0");
		vfio_pci_function_reset(v);
		CHECK(rd(d, 0x120 + PCI_PASID_CTRL, 2) == 0 && rd(d, 0x120 + PCI_PASID_CAP, 2) == (PCI_PASID_CAP_EXEC | 16 << 8),
		      "a function reset clears PASID Control, the capability stays");
		pm_free(v);
	}
	offer = false;
	v = ecap_function(&vm, &h, 8, false, false, IOMMU_HW_CAP_PCI_PASID_PRIV, 5);
	CHECK(v && !v->pri_cap && rd(&v->pci, 0x100, 4) == (PCI_EXT_CAP_ID_PASID | 1u << 16) &&
	      rd(&v->pci, 0x100 + PCI_PASID_CAP, 2) == (PCI_PASID_CAP_PRIV | 5 << 8),
	      "no PRI offered: PASID alone at 0x100, 5 bits (the host's), privileged mode");
	if (v)
		pm_free(v);
	v = ecap_function(&vm, &h, 8, false, false, 0, 0);
	CHECK(v && rd(&v->pci, 0x100, 4) == 0, "the host enabled no PASID on it: none offered");
	if (v)
		pm_free(v);
	pasid_bits = 0;
	v = ecap_function(&vm, &h, 8, false, false, 0, 20);
	CHECK(v && rd(&v->pci, 0x100, 4) == 0, "a vIOMMU that gives it no PASIDs: none offered");
	if (v)
		pm_free(v);
	fake_iommufd_teardown();
	close(iommufd);
	pci_host_set_viommu(&h, NULL, NULL);
	bus_destroy(&vm.mmio);
}

int main(void)
{
	uint8_t real[256];
	struct vfio_pci_cap caps[16];
	struct vm vm = { .vm_fd = -1 };
	struct vfio_pci *v = calloc(1, sizeof(*v));
	struct pci_dev *d = &v->pci;
	unsigned int n;

	fake_function(real);
	n = vfio_pci_caps_scan(real, sizeof(real), caps, 16);
	CHECK(n == 3, "kept capabilities: MSI, PM, PCIe (VPD hidden, loop cut): %u", n);
	CHECK(n == 3 && caps[0].id == PCI_CAP_ID_MSI && caps[0].off == 0x40 && caps[0].len == 24, "MSI with masking is 24 bytes");
	CHECK(n == 3 && caps[1].id == PCI_CAP_ID_PM && caps[1].off == 0x60 && caps[1].len == 8, "PM is 8 bytes");
	CHECK(n == 3 && caps[2].id == PCI_CAP_ID_EXP && caps[2].off == 0x70 && caps[2].len == 0x3c, "PCIe v2 is 0x3c bytes");
	CHECK(vfio_pci_caps_scan(real, 64, caps, 16) == 0, "short config image: no capabilities");
	CHECK(vfio_pci_caps_scan(real, sizeof(real), caps, 1) == 1, "bounded by the output size");

	/* Garbage lists: pointers into the header, past the end, self loops. */
	{
		uint8_t g[256];

		memcpy(g, real, sizeof(g));
		g[PCI_CAPABILITY_LIST] = 0x20;
		CHECK(vfio_pci_caps_scan(g, sizeof(g), caps, 16) == 0, "pointer into the header ends the walk");
		g[PCI_CAPABILITY_LIST] = 0xfe;
		CHECK(vfio_pci_caps_scan(g, sizeof(g), caps, 16) == 0, "pointer past the end ends the walk");
		g[PCI_CAPABILITY_LIST] = 0x40;
		g[0x41] = 0x40;
		CHECK(vfio_pci_caps_scan(g, sizeof(g), caps, 16) == 1, "self loop: walked once");
		g[0x40] = PCI_CAP_ID_EXP;
		g[0x42] = 1;
		g[PCI_CAPABILITY_LIST] = 0xf0;
		g[0xf0] = PCI_CAP_ID_EXP; g[0xf1] = 0; g[0xf2] = 2;
		CHECK(vfio_pci_caps_scan(g, sizeof(g), caps, 16) == 1 && caps[0].len == 16, "capability clipped at 256");
		for (unsigned int i = 0; i < 5000; i++) {
			for (unsigned int k = 0; k < sizeof(g); k++)
				g[k] = (uint8_t)rand();
			n = vfio_pci_caps_scan(g, sizeof(g), caps, 16);
			for (unsigned int k = 0; k < n; k++)
				if (caps[k].off < 0x40 || caps[k].off + caps[k].len > 256)
					n = 99;
			if (n > 16)
				break;
		}
		CHECK(n <= 16, "random config images: every kept capability inside 0x40..0xff");
	}

	/* The emulated function built from it. */
	v->fd = -1;
	pci_dev_init(d, &vm, &ops, "vfio-test", 0x1234, 0x11e8, 0x00ff0010, 0, 0);
	vfio_pci_config_header(v, real, 1);
	n = vfio_pci_caps_scan(real, sizeof(real), caps, 16);
	CHECK(!vfio_pci_config_caps(v, real, caps, n), "capabilities added");
	CHECK(rd(d, PCI_VENDOR_ID, 4) == 0x11e81234, "ids from the function");
	CHECK(rd(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, "status has a capability list");
	CHECK(!(rd(d, PCI_STATUS, 2) & PCI_STATUS_SIG_SYSTEM_ERROR), "the function's error bits are not copied");
	CHECK(rd(d, PCI_CAPABILITY_LIST, 1) == 0x40, "list starts at the real MSI offset");
	CHECK(rd(d, 0x41, 1) == 0x60, "MSI -> PM: the hidden VPD is skipped");
	CHECK(rd(d, 0x58, 1) == 0, "the hidden capability reads as zero");
	CHECK(rd(d, 0x61, 1) == 0x70 && rd(d, 0x71, 1) == 0, "PM -> PCIe -> end: the loop is cut");
	CHECK(rd(d, PCI_INTERRUPT_PIN, 1) == 1, "interrupt pin INTA");
	CHECK(rd(d, 0x100, 4) == 0, "no extended capabilities");
	CHECK(!vfio_pci_cfg_is_pt(v, 0x60) && !vfio_pci_cfg_is_pt(v, 0x61) && vfio_pci_cfg_is_pt(v, 0x62) &&
	      vfio_pci_cfg_is_pt(v, 0x67) && !vfio_pci_cfg_is_pt(v, 0x68), "PM body passed through, id/next emulated");
	CHECK(vfio_pci_cfg_is_pt(v, 0x72) && vfio_pci_cfg_is_pt(v, 0xab) && !vfio_pci_cfg_is_pt(v, 0xac),
	      "PCIe body passed through");
	{
		bool any = false;

		for (uint32_t r = 0; r < 0x60; r++)
			any |= vfio_pci_cfg_is_pt(v, r);
		for (uint32_t r = 0xac; r < PCI_CFG_SPACE_SIZE_EXP; r++)
			any |= vfio_pci_cfg_is_pt(v, r);
		CHECK(!any, "header, MSI and the rest are emulated");
	}
	/* MSI (PCI 3.0 6.8.1): enable + MME writable; 64-bit and MMC read-only; masking hidden. */
	CHECK((rd(d, 0x42, 2) & (PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | PCI_MSI_FLAGS_QMASK)) ==
	      (PCI_MSI_FLAGS_64BIT | (2 << 1)), "MSI control: 64-bit, 4 vectors capable, no per-vector masking");
	wr(d, 0x42, 2, 0xffff);
	CHECK(rd(d, 0x42, 2) == (PCI_MSI_FLAGS_64BIT | (2 << 1) | PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE),
	      "MSI control write keeps read-only bits: 0x%x", rd(d, 0x42, 2));
	wr(d, 0x44, 4, 0xffffffff);
	wr(d, 0x48, 4, 0xfeedf00d);
	wr(d, 0x4c, 4, 0xffffffff);
	CHECK(rd(d, 0x44, 4) == 0xfffffffc && rd(d, 0x48, 4) == 0xfeedf00d && rd(d, 0x4c, 4) == 0xffff,
	      "MSI address dword aligned, upper address, 16-bit data");
	CHECK(v->msi.cap == 0x40 && v->msi.is64 && v->msi.max_vec == 4, "MSI state recorded");
	wr(d, PCI_ROM_ADDRESS, 4, 0xffffffff);
	CHECK(rd(d, PCI_ROM_ADDRESS, 4) == 0, "expansion ROM hidden by default");
	wr(d, PCI_VENDOR_ID, 4, 0);
	CHECK(rd(d, PCI_VENDOR_ID, 4) == 0x11e81234, "ids read-only");
	pci_dev_fini(d);
	free(v);

	/* BAR mmap pieces around the MSI-X table and PBA (PCI 3.0 6.8.2: they must trap). */
	{
		uint64_t areas[2][2] = { { 0, 1 << 20 } }, holes[2][2] = { { 0x2000, 0x100 }, { 0x3000, 8 } }, out[8][2];

		n = vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8);
		CHECK(n == 2 && out[0][0] == 0 && out[0][1] == 0x2000 && out[1][0] == 0x4000 && out[1][1] == (1 << 20) - 0x4000,
		      "table and PBA pages cut out");
		holes[1][0] = 0x2800;
		n = vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8);
		CHECK(n == 2 && out[0][1] == 0x2000 && out[1][0] == 0x3000, "table and PBA in one page");
		holes[0][1] = holes[1][1] = 0;
		n = vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8);
		CHECK(n == 1 && out[0][0] == 0 && out[0][1] == 1 << 20, "no MSI-X: the whole BAR");
		areas[0][0] = 0x800;
		areas[0][1] = 0x2000;
		n = vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8);
		CHECK(n == 1 && out[0][0] == 0x1000 && out[0][1] == 0x1000, "unaligned sparse area: whole pages only");
		areas[0][0] = 0;
		areas[0][1] = 0x800;
		CHECK(vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8) == 0,
		      "sub-page area: nothing to map");
		areas[0][0] = UINT64_MAX - 0x1000;
		areas[0][1] = 0x4000;
		CHECK(vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 8) == 0,
		      "wrapping area ignored");
		areas[0][0] = 0;
		areas[0][1] = 1 << 20;
		holes[0][0] = 0x1000; holes[0][1] = 0x10;
		holes[1][0] = 0x3000; holes[1][1] = 0x10;
		CHECK(vfio_pci_split_areas((const uint64_t (*)[2])areas, 1, (const uint64_t (*)[2])holes, 2, 4096, out, 2) == 2,
		      "bounded by the output size");
	}
	test_power_management();
	test_flr();
	test_page_requests();
	return tap_done();
}
