// SPDX-License-Identifier: GPL-2.0-only
/*
 * no-IOMMU DMA backend (dma_space.h): for a guest without an IOMMU, where the device's bus
 * addresses are guest-physical addresses. The VFIO device comes from the no-IOMMU group node,
 * because Linux 7.2 registers no cdev for no-IOMMU devices (drivers/vfio/vfio.h, vfio_device_add)
 * and refuses BIND_IOMMUFD without a real iommufd: /dev/vfio/noiommu-N, VFIO_GROUP_SET_CONTAINER
 * with an iommufd (vfio_group_ioctl_set_container -> iommufd_vfio_compat_set_no_iommu), then
 * VFIO_GROUP_GET_DEVICE_FD (needs CAP_SYS_RAWIO, drivers/vfio/group.c vfio_df_group_open).
 * A buffer's bus address is its physical address, from /proc/self/pagemap
 * (Documentation/admin-guide/mm/pagemap.rst: bit 63 present, bits 0-54 PFN; PFNs need CAP_SYS_ADMIN).
 * Nothing pins the buffers, so compaction must not move them (gu_keep_locked_pages): the device's
 * next DMA would write into the old frame, by then the guest kernel's.
 */
#include "dma_space.h"
#include "guest_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* The group node of PCI device bdf: its iommu_group link names group N -> /dev/vfio/noiommu-N. */
static int group_path(const char *bdf, char *path, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return gu_errno("%s (bound to vfio-pci, with vfio.enable_unsafe_noiommu_mode=1?)", link);
	target[n] = '\0';
	snprintf(path, len, "/dev/vfio/noiommu-%s", basename(target));
	return 0;
}

static int noiommu_open_device(struct dma_space *ds, const char *dev, int *dev_fd)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[PATH_MAX];
	int fd, ret;

	if (dev[0] == '/')
		return gu_err(EINVAL, "the noiommu backend needs a PCI address, not %s", dev);
	ret = gu_keep_locked_pages();
	if (ret)
		return gu_err(ret, "vm.compact_unevictable_allowed=0 (the DMA buffers must not move)");
	ret = group_path(dev, path, sizeof(path));
	if (ret)
		return ret;
	ds->group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (ds->group_fd < 0)
		return gu_errno("open %s", path);
	if (ioctl(ds->group_fd, VFIO_GROUP_GET_STATUS, &st) < 0)
		return gu_errno("VFIO_GROUP_GET_STATUS %s", path);
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return gu_err(EBUSY, "%s is not viable (a device of the group is bound to a host driver)", path);
	ds->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (ds->iommufd < 0)
		return gu_errno("open /dev/iommu");
	if (ioctl(ds->group_fd, VFIO_GROUP_SET_CONTAINER, &ds->iommufd) < 0)
		return gu_errno("VFIO_GROUP_SET_CONTAINER %s (iommufd, no-IOMMU mode)", path);
	ds->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (ds->pagemap_fd < 0)
		return gu_errno("open /proc/self/pagemap");
	fd = ioctl(ds->group_fd, VFIO_GROUP_GET_DEVICE_FD, dev);
	if (fd < 0)
		return gu_errno("VFIO_GROUP_GET_DEVICE_FD %s", dev);
	*dev_fd = fd;
	return 0;
}

/* Physical address of the byte at va (which must be resident: the caller mlocks). */
static int virt_to_phys(struct dma_space *ds, uintptr_t va, uint64_t *pa)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t ent;
	ssize_t n;

	n = pread(ds->pagemap_fd, &ent, sizeof(ent), (off_t)(va / ps) * (off_t)sizeof(ent));
	if (n != (ssize_t)sizeof(ent))
		return n < 0 ? gu_errno("read /proc/self/pagemap") : gu_err(EIO, "short pagemap read");
	if (!(ent & PM_PRESENT))
		return gu_err(EFAULT, "page at %#lx is not present (not locked?)", (unsigned long)va);
	if ((ent & PM_PFN_MASK) == 0)
		return gu_err(EPERM, "pagemap hides PFNs (needs CAP_SYS_ADMIN)");
	*pa = (ent & PM_PFN_MASK) * (uint64_t)ps + va % ps;
	return 0;
}

static int noiommu_map(struct dma_space *ds, void *va, size_t len, uint64_t *iova)
{
	long ps = sysconf(_SC_PAGESIZE);
	uintptr_t p = (uintptr_t)va;
	uint64_t first = 0, pa = 0;
	size_t off;
	int ret;

	if (len == 0)
		return gu_err(EINVAL, "empty DMA buffer");
	ret = virt_to_phys(ds, p, &first);
	if (ret)
		return ret;
	/* The device sees one bus range: every following page must be physically contiguous. */
	for (off = ps - p % ps; off < len; off += ps) {
		ret = virt_to_phys(ds, p + off, &pa);
		if (ret)
			return ret;
		if (pa != first + off)
			return gu_err(EFAULT, "buffer at %p is not physically contiguous (%zu bytes)", va, len);
	}
	*iova = first;
	return 0;
}

static void noiommu_close(struct dma_space *ds)
{
	if (ds->pagemap_fd >= 0)
		close(ds->pagemap_fd);
	if (ds->group_fd >= 0)
		close(ds->group_fd);
	if (ds->iommufd >= 0)
		close(ds->iommufd);
	ds->pagemap_fd = ds->group_fd = ds->iommufd = -1;
}

const struct dma_space_ops dma_noiommu_ops = {
	.name = "noiommu",
	.open_device = noiommu_open_device,
	.map = noiommu_map,
	.close = noiommu_close,
};
