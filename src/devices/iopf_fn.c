// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iopf test function (iopf_fn.h): a Root Complex Integrated Endpoint (so Linux allows it ATS
 * without an ATSR: intel-iommu dmar_ats_supported) with two extended capabilities, PCIe 6.0:
 *   0x100 ATS (10.5.1): Capability: Invalidate Queue Depth 0 (32), Page Aligned Request (bit 5);
 *         Control: STU 4:0 and Enable (bit 15), guest-writable.
 *   0x110 Page Request (10.5.2): Control: Enable (bit 0), Reset (bit 1, reads 0: clears the status
 *         bits below while Enable is 0); Status: Response Failure (bit 0) and Unexpected PRG Index
 *         (bit 1), RW1C, Stopped (bit 8) = not enabled (nothing is outstanding in the function
 *         itself: the requests are the host's mock device's); Outstanding Page Request Capacity 32
 *         (what nestvm keeps awaiting the guest per device, IOPF_MAX_PER_DEV), Allocation RW.
 * The page requests do not depend on these enables: the mock raises them in the host whatever the
 * guest set, as a misbehaving function could.
 */
#include "devices/iopf_fn.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>

#include "devices/pci.h"
#include "iommu/iopf.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define ATS_OFF 0x100
#define PRI_OFF 0x110
#define PRI_SIZE 0x10

struct iopf_fn {
	struct pci_dev pci;
};

/* Extended capability header (PCIe 6.0 7.6.3): ID 15:0, version 19:16, next 31:20. */
static uint32_t ext_hdr(uint16_t id, uint16_t next)
{
	return id | 1u << 16 | (uint32_t)next << 20;
}

static void mask16(uint8_t *m, uint32_t reg, uint16_t v)
{
	m[reg] = (uint8_t)v;
	m[reg + 1] = (uint8_t)(v >> 8);
}

static void iopf_fn_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	uint32_t ctl = PRI_OFF + PCI_PRI_CTRL;
	uint16_t c, st;

	if (reg > ctl || reg + len <= ctl)
		return;
	pthread_mutex_lock(&d->lock);
	c = pci_cfg_get16(d, ctl);
	st = pci_cfg_get16(d, PRI_OFF + PCI_PRI_STATUS);
	/* Reset (bit 1 of the byte written at the control register) only counts with Enable 0. */
	if ((data[ctl - reg] & PCI_PRI_CTRL_RESET) && !(c & PCI_PRI_CTRL_ENABLE))
		st &= (uint16_t)~(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
	st = (uint16_t)((st & ~PCI_PRI_STATUS_STOPPED) | (c & PCI_PRI_CTRL_ENABLE ? 0 : PCI_PRI_STATUS_STOPPED));
	pci_cfg_set16(d, PRI_OFF + PCI_PRI_STATUS, st);
	pthread_mutex_unlock(&d->lock);
	pr_debug("iopf test function: PRI %s, ATS %s", c & PCI_PRI_CTRL_ENABLE ? "enabled" : "disabled",
		 pci_cfg_get16(d, ATS_OFF + PCI_ATS_CTRL) & PCI_ATS_CTRL_ENABLE ? "enabled" : "disabled");
}

static void iopf_fn_destroy(struct pci_dev *d)
{
	pci_dev_fini(d);
	free(d);
}

/* Config space is all its state: the "pci-cfg" section carries it across a live update. */
static int iopf_fn_lu_save(struct pci_dev *d, struct lu_writer *w)
{
	return 0;
}

static const struct pci_dev_ops iopf_fn_ops = {
	.cfg_write = iopf_fn_cfg_write,
	.destroy = iopf_fn_destroy,
	.lu_save = iopf_fn_lu_save,
};

int iopf_fn_create(struct vm *vm, uint32_t rid)
{
	struct iopf_fn *f;
	struct pci_dev *d;
	int r;

	if (rid > 0xff || (rid & 7) || !(rid >> 3)) {
		pr_err("--iopf-mock function=on: sid %#x is not function 0 of a slot on bus 0 (0x08, 0x10, ... 0xf8)", rid);
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return err_num(ENOMEM, "iopf test function");
	d = &f->pci;
	pci_dev_init(d, vm, &iopf_fn_ops, "iopf test function", IOPF_FN_VENDOR, IOPF_FN_DEVICE,
		     PCI_CLASSCODE_OTHER << 8, IOPF_FN_VENDOR, IOPF_FN_DEVICE);
	r = pci_dev_add_pcie_cap(d);
	if (r < 0) {
		iopf_fn_destroy(d);
		return err_num(-r, "iopf test function: PCIe capability");
	}
	pci_cfg_set32(d, ATS_OFF, ext_hdr(PCI_EXT_CAP_ID_ATS, PRI_OFF));
	pci_cfg_set16(d, ATS_OFF + PCI_ATS_CAP, PCI_ATS_CAP_PAGE_ALIGNED);
	mask16(d->wmask, ATS_OFF + PCI_ATS_CTRL, PCI_ATS_CTRL_ENABLE | PCI_ATS_CTRL_STU(0x1f));
	pci_cfg_set32(d, PRI_OFF, ext_hdr(PCI_EXT_CAP_ID_PRI, 0));
	mask16(d->wmask, PRI_OFF + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE);
	pci_cfg_set16(d, PRI_OFF + PCI_PRI_STATUS, PCI_PRI_STATUS_STOPPED);
	mask16(d->w1c, PRI_OFF + PCI_PRI_STATUS, PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
	pci_cfg_set32(d, PRI_OFF + PCI_PRI_MAX_REQ, IOPF_MAX_PER_DEV);
	for (unsigned int i = 0; i < 4; i++)
		d->wmask[PRI_OFF + PCI_PRI_ALLOC_REQ + i] = 0xff;
	r = pci_host_add_slot(vm->pci, d, rid >> 3);
	if (r) {
		iopf_fn_destroy(d);
		return r;
	}
	pr_debug("iopf test function: 1234:11e9 at 00:%02x.0 (ATS, PRI)", rid >> 3);
	return 0;
}
