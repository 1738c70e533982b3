// SPDX-License-Identifier: GPL-2.0-only
/*
 * The extended capabilities an assigned function shows the guest (docs/iopf.md "Assigned functions",
 * docs/viommu.md "PASIDs"): none of the function's own (vfio_pci_config.c), but emulated ATS + PRI
 * and PASID (devices/pci_ats.h) where the guest's vIOMMU and the host make them mean something.
 *
 * - ATS + PRI: vfio-pci shows the function's ATS and PRI read-only and the host's IOMMU driver enables
 *   both when it attaches the function (Linux 7.2: intel-iommu at probe, when the function has ATS,
 *   PRI and its IOMMU ECAP.PRS); what reaches userspace are the page requests of a fault-capable
 *   HWPT (IOMMU_HWPT_FAULT_ID_VALID). So when the function has both, iommufd does not say ATS cannot
 *   be used (IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED), and its vIOMMU takes its page requests
 *   (pci_viommu_ops.iopf_offered), the guest gets them at 0x100 and PRI Enable goes to the vIOMMU,
 *   whose front-end then gives the function's stream the fault-capable HWPT. Capacity: the
 *   function's own Outstanding Page Request Capacity, at most what nestvm keeps awaiting the guest
 *   per device.
 * - PASID: vfio-pci hides the capability; iommufd says what the host enabled instead
 *   (IOMMU_GET_HW_INFO out_max_pasid_log2, IOMMU_HW_CAP_PCI_PASID_EXEC / _PRIV). When the vIOMMU
 *   gives the function SubstreamIDs / PASIDs (pci_viommu_ops.pasid_bits), the guest gets a PASID
 *   capability of the smaller width after the others. Its enables are the guest's view only.
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <string.h>
#include <sys/ioctl.h>

#include "devices/pci_ats.h"
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

/* What iommufd says of the function's PASIDs and ATS (all 0 when it cannot say: nothing offered). */
static void host_info(struct vfio_pci *v, uint8_t *pasid_log2, uint64_t *caps)
{
	struct iommu_hw_info hi = { .size = sizeof(hi), .dev_id = v->devid };

	*pasid_log2 = 0;
	*caps = IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	if (v->iommufd < 0) {
		pr_debug("%s: no iommufd: no ATS, PRI or PASID offered", v->name);
		return;
	}
	if (ioctl(v->iommufd, IOMMU_GET_HW_INFO, &hi)) {
		pr_debug("%s: IOMMU_GET_HW_INFO: %s: no ATS, PRI or PASID offered", v->name, strerror(errno));
		return;
	}
	*pasid_log2 = hi.out_max_pasid_log2;
	*caps = hi.out_capabilities;
}

void vfio_pci_ecap_init(struct vfio_pci *v)
{
	struct pci_dev *d = &v->pci;
	uint16_t rid = pci_dev_requester_id(d), off = PCI_CFG_SPACE_SIZE;
	unsigned int pri = host_ext_cap(v, PCI_EXT_CAP_ID_PRI), width = pci_host_viommu_pasid_bits(d->host, rid);
	uint32_t cap = 0;
	uint8_t host_pasid;
	uint64_t caps;
	bool ats_pri;

	if (!pri && !width)
		return;
	host_info(v, &host_pasid, &caps);
	ats_pri = pri && host_ext_cap(v, PCI_EXT_CAP_ID_ATS) && !(caps & IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED) &&
		  !vfio_pci_cfg_pread(v, pri + PCI_PRI_MAX_REQ, &cap, 4) && cap &&
		  pci_host_viommu_iopf_offered(d->host, rid);
	if (host_pasid < width)
		width = host_pasid;
	if (!ats_pri && !width)
		return;
	if (cap > IOPF_MAX_PER_DEV)
		cap = IOPF_MAX_PER_DEV;
	pthread_mutex_lock(&d->lock);
	if (ats_pri) {
		pci_ats_pri_add(d, off, width ? off + PCI_ATS_PRI_SIZE : 0, cap);
		v->pri_cap = off;
		off += PCI_ATS_PRI_SIZE;
	}
	if (width)
		pci_pasid_add(d, off, 0, width, caps & IOMMU_HW_CAP_PCI_PASID_EXEC, caps & IOMMU_HW_CAP_PCI_PASID_PRIV);
	/* A function reset returns them to this state too. */
	memcpy(v->reset_cfg + PCI_CFG_SPACE_SIZE, d->cfg + PCI_CFG_SPACE_SIZE, PCI_ATS_EMUL_MAX);
	pthread_mutex_unlock(&d->lock);
	pr_debug("%s: offered%s%s (page request capacity %u, %u PASID bits)", v->name, ats_pri ? " ATS, PRI" : "",
		 width ? " PASID" : "", cap, width);
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

void vfio_pci_ecap_write(struct vfio_pci *v, uint32_t reg, const uint8_t *data, uint32_t len)
{
	bool on;

	if (v->pri_cap && pci_pri_written(&v->pci, v->pri_cap, reg, data, len, &on))
		tell(v, on);
}

void vfio_pci_ecap_sync(struct vfio_pci *v)
{
	if (v->pri_cap)
		tell(v, pci_pri_sync(&v->pci, v->pri_cap));
}
