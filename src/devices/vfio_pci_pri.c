// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page requests of an assigned function (docs/iopf.md "Assigned functions"). vfio-pci shows the
 * function's ATS and PRI extended capabilities read-only and the host's IOMMU driver enables both
 * when it attaches the function (Linux 7.2: intel-iommu at probe, when the function has ATS, PRI and
 * its IOMMU ECAP.PRS); what reaches userspace are the page requests of a fault-capable HWPT
 * (IOMMU_HWPT_FAULT_ID_VALID). So when the function has both capabilities and its vIOMMU can take
 * its page requests (pci_viommu_ops.iopf_offered), the guest gets emulated ATS and PRI capabilities
 * (pci_pri.h) at the start of the extended space, and PRI Enable is forwarded to the vIOMMU, whose
 * front-end then gives the function's stream the fault-capable HWPT. Capacity: the function's own
 * Outstanding Page Request Capacity, at most what nestvm keeps awaiting the guest per device.
 */
#include <linux/pci_regs.h>
#include <string.h>

#include "devices/pci_pri.h"
#include "devices/vfio_pci.h"
#include "iommu/iopf.h"
#include "vmm/log.h"

#define EXT_WALK_MAX ((PCI_CFG_SPACE_SIZE_EXP - PCI_CFG_SPACE_SIZE) / 4)

/* Offset of the function's extended capability ID (PCIe 6.0 7.6.3), or 0. Bounded: a loop or a
 * pointer out of the extended space ends the walk. */
static unsigned int host_ext_cap(struct vfio_pci *v, uint16_t id)
{
	unsigned int off = PCI_CFG_SPACE_SIZE;

	if (v->cfg_size < PCI_CFG_SPACE_SIZE_EXP)
		return 0;
	for (unsigned int i = 0; i < EXT_WALK_MAX && off >= PCI_CFG_SPACE_SIZE && off <= PCI_CFG_SPACE_SIZE_EXP - 4; i++) {
		uint32_t h;

		if (vfio_pci_cfg_pread(v, off, &h, 4) || !h || h == 0xffffffffu)
			return 0;
		if (PCI_EXT_CAP_ID(h) == id)
			return off;
		if (PCI_EXT_CAP_NEXT(h) <= off)
			return 0;   /* the list only goes forward */
		off = PCI_EXT_CAP_NEXT(h);
	}
	return 0;
}

void vfio_pci_pri_init(struct vfio_pci *v)
{
	struct pci_dev *d = &v->pci;
	unsigned int pri = host_ext_cap(v, PCI_EXT_CAP_ID_PRI);
	uint32_t cap = 0;

	if (!pri || !host_ext_cap(v, PCI_EXT_CAP_ID_ATS) || vfio_pci_cfg_pread(v, pri + PCI_PRI_MAX_REQ, &cap, 4))
		return;
	if (!pci_host_viommu_iopf_offered(d->host, pci_dev_requester_id(d))) {
		pr_debug("%s: has PRI, but its vIOMMU cannot take its page requests: not offered", v->name);
		return;
	}
	if (!cap)
		return;     /* no outstanding requests allowed: nothing to offer */
	pthread_mutex_lock(&d->lock);
	pci_ats_pri_add(d, PCI_CFG_SPACE_SIZE, 0, cap < IOPF_MAX_PER_DEV ? cap : IOPF_MAX_PER_DEV);
	/* A function reset returns them to this state too. */
	memcpy(v->reset_cfg + PCI_CFG_SPACE_SIZE, d->cfg + PCI_CFG_SPACE_SIZE, PCI_ATS_PRI_SIZE);
	pthread_mutex_unlock(&d->lock);
	v->pri_cap = PCI_CFG_SPACE_SIZE;
	pr_debug("%s: ATS and PRI offered (capacity %u)", v->name, cap < IOPF_MAX_PER_DEV ? cap : IOPF_MAX_PER_DEV);
}

/* The vIOMMU follows the guest's PRI Enable (only changes are told). */
static void tell(struct vfio_pci *v, bool on)
{
	struct pci_dev *d = &v->pci;

	if (on == v->pri_on)
		return;
	v->pri_on = on;
	pr_debug("%s: the guest %s PRI", v->name, on ? "enabled" : "disabled");
	pci_host_viommu_set_iopf(d->host, pci_dev_requester_id(d), on);
}

void vfio_pci_pri_write(struct vfio_pci *v, uint32_t reg, const uint8_t *data, uint32_t len)
{
	bool on;

	if (v->pri_cap && pci_pri_written(&v->pci, v->pri_cap, reg, data, len, &on))
		tell(v, on);
}

void vfio_pci_pri_sync(struct vfio_pci *v)
{
	if (v->pri_cap)
		tell(v, pci_pri_sync(&v->pci, v->pri_cap));
}
