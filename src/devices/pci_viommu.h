/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one seam between a VM's PCI functions and the vIOMMU in front of them (--viommu): the vIOMMU
 * front-end (the emulated SMMUv3; a VT-d one next) registers these ops on the PCI host (struct
 * pci_host.viommu) before any function is created, and every function reaches its vIOMMU only through
 * the host: emulated functions for their DMA, assigned ones to be attached, the irq layer for MSIs.
 * Requester IDs are bus << 8 | devfn (bus 0, or a root port's secondary bus); the front-end maps them to its own stream ids (SMMUv3:
 * StreamID = RID, as the DT iommu-map says).
 */
#ifndef NESTVM_DEVICES_PCI_VIOMMU_H
#define NESTVM_DEVICES_PCI_VIOMMU_H

#include <stdbool.h>
#include <stdint.h>

struct viommu_xlate;
struct iopf_mock_config;

struct pci_viommu_ops {
	const char *name;
	/* Emulated function RID is behind the vIOMMU (at its creation, before the guest runs). */
	int (*dma_add)(void *opaque, uint32_t rid);
	/* IOVA -> guest physical for RID: 0 with OUT; -EFAULT when terminated (the fault recorded). */
	int (*dma_translate)(void *opaque, uint32_t rid, uint64_t iova, bool write, struct viommu_xlate *out);
	/*
	 * Assigned function RID: its bound VFIO cdev VFIO_FD (iommufd device DEV_ID, attached to IOAS)
	 * goes behind the vIOMMU. Unwinds on failure (the device is back on IOAS).
	 */
	int (*attach_vfio)(void *opaque, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t rid);
	/*
	 * Optional: the hot-removed assigned function RID is gone (its cdev closed, which detached it): its
	 * own iommufd objects (vDEVICE, nested HWPT) go; the stream stays known, with nothing behind it.
	 */
	void (*detach_vfio)(void *opaque, uint32_t rid);
	/* Every assigned function is gone (their cdevs closed): the vIOMMU's iommufd objects go, before the IOAS. */
	void (*release_vfio)(void *opaque);
	/*
	 * An MSI (ADDR, DATA) written by RID is a DMA write the vIOMMU translates (SMMUv3: ADDR is an
	 * IOVA; interrupt remapping may also rewrite DATA): 0 with both updated, or -errno when the
	 * write aborts (the MSI is dropped; when REPORT the fault is recorded as for that DMA write).
	 * Called with the irq routing lock held: the front-end must not call irq_* from it.
	 */
	int (*msi_translate)(void *opaque, uint32_t rid, uint64_t *addr, uint32_t *data, bool report);
	/*
	 * Optional: whether the page requests of the attached assigned function RID can reach the guest
	 * (its host IOMMU reports them to iommufd, and this vIOMMU has a page request queue to put them
	 * in); the function then shows the guest ATS and PRI capabilities (devices/pci_ats.h).
	 */
	bool (*iopf_offered)(void *opaque, uint32_t rid);
	/*
	 * Optional: how many PASID (SubstreamID) bits the vIOMMU gives the attached assigned function RID
	 * (0: none); the function then shows a PASID capability of at most that width.
	 */
	unsigned int (*pasid_bits)(void *opaque, uint32_t rid);
	/*
	 * With iopf_offered: the guest set (ON) or cleared PRI Enable of assigned function RID (a vCPU's
	 * config write, a function reset, a restore). The function's page requests reach the guest's
	 * queue while it is set and the guest's translation config of RID asks for them.
	 */
	void (*set_iopf)(void *opaque, uint32_t rid, bool on);
	/*
	 * Test builds only (NULL otherwise; iommu/iopf_mock.h): the IOMMUFD_TEST mock device of C, on
	 * IOMMUFD, becomes the page-request source of its stream. Before the guest runs; its objects go
	 * with release_vfio.
	 */
	int (*attach_iopf_mock)(void *opaque, const struct iopf_mock_config *c, int iommufd, uint32_t ioas);
};

struct pci_viommu {
	const struct pci_viommu_ops *ops;
	void *opaque;
};

#endif
