// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci peer-to-peer DMA (issue 14). Every mmapped piece of a memory BAR (vfio_pci_area: the
 * sparse-mmap areas minus the MSI-X table and PBA pages, which stay ours) is exported as a dma-buf
 * (VFIO_DEVICE_FEATURE_DMA_BUF, one range: iommufd maps single-range VFIO dma-bufs only) and, while
 * the guest has the BAR decoding in D0, mapped into the VM's IOAS at the piece's guest-physical
 * address with IOMMU_IOAS_MAP_FILE. Another assigned device's DMA to that address then reaches the
 * BAR, as a peer's would on bare metal; behind the nested vSMMUv3 the IOAS is the nest parent's,
 * so the guest's stage 1 may point an IOVA at the BAR's GPA and stage 2 completes the walk. Each
 * mapped piece is published in the IOAS's peer windows (ioas_peers.h), where the shadow vVT-d finds
 * the dma-buf for a guest IOVA that points at the BAR and hears when the piece goes or moves.
 * (mmap'ed BARs cannot be mapped with IOMMU_IOAS_MAP: iommufd pins pages, and BAR pages have none.)
 *
 * Revocation (Linux 7.2 drivers/vfio/pci/vfio_pci_dmabuf.c, drivers/iommu/iommufd/pages.c):
 * vfio-pci revokes the dma-buf whenever the function stops decoding (COMMAND.MEM clear, D3hot, a
 * reset, the device's release) and exports it revoked while it does not decode; iommufd then zaps
 * the IOMMU mapping for good (the IOAS area stays but maps nothing, even after vfio un-revokes). So
 * a mapping is made only once the function decodes (vfio_pci_bar_remap forwards COMMAND first),
 * removed with IOMMU_IOAS_UNMAP whenever the guest's BAR stops decoding, moves or leaves D0 (and so
 * before any reset, which starts with COMMAND 0), and made anew when it decodes again: a revoked
 * mapping is never relied on. If the host revokes behind our back, DMA to the BAR is blocked
 * (an IOMMU fault in the host, nothing here) until the guest's next remap.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdalign.h>
#include <string.h>
#include <sys/ioctl.h>

#include "devices/vfio_pci.h"
#include "iommu/fail_inject.h"
#include "iommu/ioas.h"
#include "iommu/ioas_peers.h"
#include "vmm/fdtab.h"
#include "vmm/log.h"

/* VFIO_DEVICE_FEATURE_GET of VFIO_DEVICE_FEATURE_DMA_BUF for [off, off+len) of BAR: a dma-buf fd or -errno. */
static int export_dmabuf(struct vfio_pci *v, unsigned int bar, uint64_t off, uint64_t len)
{
	alignas(8) uint8_t buf[sizeof(struct vfio_device_feature) + sizeof(struct vfio_device_feature_dma_buf) +
			       sizeof(struct vfio_region_dma_range)] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	struct vfio_device_feature_dma_buf db = {
		.region_index = VFIO_PCI_BAR0_REGION_INDEX + bar,
		.open_flags = O_RDWR | O_CLOEXEC,
		.nr_ranges = 1,
	};
	struct vfio_region_dma_range range = { .offset = off, .length = len };
	int fd;

	f->argsz = sizeof(buf);
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	memcpy(f->data, &db, sizeof(db));
	memcpy(f->data + sizeof(db), &range, sizeof(range));
	if (fail_inject("p2p-export"))
		return -errno;
	fd = ioctl(v->fd, VFIO_DEVICE_FEATURE, buf);
	return fd < 0 ? -errno : fd;
}

void vfio_pci_p2p_init(struct vfio_pci *v)
{
	unsigned int n = 0;

	if (!v->p2p)
		return;
	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		struct vfio_pci_bar *b = &v->bar[i];

		for (unsigned int k = 0; k < b->nr_areas; k++) {
			struct vfio_pci_area *a = &b->area[k];
			int fd = export_dmabuf(v, i, a->off, a->size);

			if (fd < 0) {
				/* ENOTTY/EOPNOTSUPP: no VFIO_PCI_DMABUF (CONFIG_PCI_P2PDMA) in the host kernel. */
				pr_warn("%s: VFIO_DEVICE_FEATURE_DMA_BUF of BAR%u+0x%" PRIx64 "+0x%" PRIx64 ": %s; peer-to-peer "
					"DMA to this device is off (--device ...,p2p=off asks for that quietly)", v->name, i, a->off,
					a->size, strerror(-fd));
				vfio_pci_p2p_fini(v);
				v->p2p = false;
				return;
			}
			a->dmabuf = fdtab_adoptf(v->fds, fd, FD_DMABUF, "vfio_pci", "vfio%u.bar%u.%u", v->idx, i, k);
			if (a->dmabuf < 0) {
				a->dmabuf = -1;
				vfio_pci_p2p_fini(v);
				v->p2p = false;
				return;
			}
			n++;
		}
	}
	pr_debug("%s: P2P: %u BAR piece(s) exported as dma-bufs", v->name, n);
}

void vfio_pci_p2p_map(struct vfio_pci *v, unsigned int bar)
{
	struct vfio_pci_bar *b = &v->bar[bar];
	bool w = b->flags & VFIO_REGION_INFO_FLAG_WRITE;

	if (!v->p2p)
		return;
	for (unsigned int k = 0; k < b->nr_areas; k++) {
		struct vfio_pci_area *a = &b->area[k];
		uint64_t iova = b->gpa + a->off, n;
		int r;

		if (a->dmabuf < 0 || a->in_ioas)
			continue;
		r = fail_inject("p2p-map") ? -errno : ioas_try_map_file(v->iommufd, v->ioas, a->dmabuf, 0, a->size, iova, w);
		if (!r && v->peers && ioas_peers_add(v->peers, iova, a->size, a->dmabuf, w)) {
			ioas_unmap(v->iommufd, v->ioas, iova, a->size);
			r = -ENOSPC;
		}
		if (!r) {
			a->in_ioas = true;
			a->p2p_iova = iova;
			pr_debug("%s: P2P: BAR%u+0x%" PRIx64 " (0x%" PRIx64 " bytes) in the IOAS at 0x%" PRIx64, v->name, bar,
				 a->off, a->size, iova);
			continue;
		}
		/*
		 * The guest placed the BAR where the IOAS cannot take it (over another mapping: EEXIST;
		 * a reserved IOVA range such as the host's MSI window: EINVAL/ENOSPC), or the host revoked
		 * the dma-buf (ENODEV). The BAR itself still works; peers' DMA to it is blocked. A guest can
		 * repeat this at will: reported the 1st, 2nd, 4th, 8th... time.
		 */
		n = ++v->nr_p2p_fail;
		if (!(n & (n - 1)))
			pr_warn("%s: P2P: IOMMU_IOAS_MAP_FILE of BAR%u+0x%" PRIx64 " at 0x%" PRIx64 ": %s; peers cannot "
				"DMA to it there (%" PRIu64 " time%s)", v->name, bar, a->off, iova, strerror(-r), n,
				n > 1 ? "s" : "");
	}
}

void vfio_pci_p2p_unmap(struct vfio_pci *v, unsigned int bar)
{
	struct vfio_pci_bar *b = &v->bar[bar];

	for (unsigned int k = 0; k < b->nr_areas; k++) {
		struct vfio_pci_area *a = &b->area[k];

		if (!a->in_ioas)
			continue;
		/* Reported by ioas_unmap; forgotten either way (the next map goes where the BAR is then).
		 * Unpublished first: a shadow vIOMMU's own mappings of it go with it. */
		if (v->peers)
			ioas_peers_remove(v->peers, a->p2p_iova);
		ioas_unmap(v->iommufd, v->ioas, a->p2p_iova, a->size);
		a->in_ioas = false;
		pr_debug("%s: P2P: BAR%u+0x%" PRIx64 " out of the IOAS (was at 0x%" PRIx64 ")", v->name, bar, a->off,
			 a->p2p_iova);
	}
}

void vfio_pci_p2p_fini(struct vfio_pci *v)
{
	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		struct vfio_pci_bar *b = &v->bar[i];

		vfio_pci_p2p_unmap(v, i);
		for (unsigned int k = 0; k < b->nr_areas; k++) {
			if (b->area[k].dmabuf >= 0)
				fdtab_close(v->fds, b->area[k].dmabuf);
			b->area[k].dmabuf = -1;
		}
	}
}
