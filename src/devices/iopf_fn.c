// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iopf test function (iopf_fn.h): a Root Complex Integrated Endpoint (so Linux allows it ATS
 * without an ATSR: intel-iommu dmar_ats_supported) with the ATS and Page Request extended
 * capabilities of pci_ats.h at 0x100, Outstanding Page Request Capacity 32 (what nestvm keeps
 * awaiting the guest per device, IOPF_MAX_PER_DEV).
 * The page requests do not depend on these enables: the mock raises them in the host whatever the
 * guest set, as a misbehaving function could.
 */
#include "devices/iopf_fn.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>

#include "devices/pci.h"
#include "devices/pci_ats.h"
#include "iommu/iopf.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define ATS_OFF 0x100

struct iopf_fn {
	struct pci_dev pci;
};

static void iopf_fn_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	bool on;

	if (pci_pri_written(d, ATS_OFF, reg, data, len, &on))
		pr_debug("iopf test function: PRI %s, ATS %s", on ? "enabled" : "disabled",
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
	pci_ats_pri_add(d, ATS_OFF, 0, IOPF_MAX_PER_DEV);
	r = pci_host_add_slot(vm->pci, d, rid >> 3);
	if (r) {
		iopf_fn_destroy(d);
		return r;
	}
	pr_debug("iopf test function: 1234:11e9 at 00:%02x.0 (ATS, PRI)", rid >> 3);
	return 0;
}
