// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd DMA backend (dma_space.h): VFIO cdev + /dev/iommu, one IOAS, buffers mapped at IOVAs we
 * choose. The uAPI is include/uapi/linux/iommufd.h and vfio.h ("VFIO device cdev" section); the
 * flow is the one in Documentation/driver-api/vfio.rst ("IOMMUFD and vfio_iommu_type1"):
 * open cdev, BIND_IOMMUFD, IOAS_ALLOC, ATTACH_IOMMUFD_PT, IOAS_IOVA_RANGES, IOAS_MAP.
 */
#include "dma_space.h"
#include "guest_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

/* IOVAs are handed out 2 MiB apart so a mapping never shares an IOMMU block with the next. */
#define IOVA_ALIGN (2ULL << 20)
/* Preferred first IOVA: above 4 GiB, so the device's 64-bit DMA registers are really exercised. */
#define IOVA_PREFERRED (1ULL << 32)
#define MAX_RANGES 16

void dma_space_init(struct dma_space *ds, const struct dma_space_ops *ops, uint64_t iova)
{
	memset(ds, 0, sizeof(*ds));
	ds->ops = ops;
	ds->iommufd = ds->group_fd = ds->pagemap_fd = -1;
	ds->next_iova = iova;
}

/* Picks the first IOVA: the preferred one when an allowed range holds it, else the first aligned
 * address of a range; any mapping must also fit below the range's end (checked in map). */
static int choose_iova(struct dma_space *ds)
{
	struct iommu_iova_range ranges[MAX_RANGES];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ds->ioas_id, .num_iovas = MAX_RANGES,
		.allowed_iovas = (uintptr_t)ranges,
	};
	uint64_t want = ds->next_iova ? ds->next_iova : IOVA_PREFERRED;
	uint32_t i, n;

	if (ioctl(ds->iommufd, IOMMU_IOAS_IOVA_RANGES, &q) < 0)
		return gu_errno("IOMMU_IOAS_IOVA_RANGES ioas %u", ds->ioas_id);
	n = q.num_iovas < MAX_RANGES ? q.num_iovas : MAX_RANGES;
	for (i = 0; i < n; i++) {
		if (want >= ranges[i].start && want < ranges[i].last) {
			ds->next_iova = want;
			ds->iova_last = ranges[i].last;
			return 0;
		}
	}
	if (ds->next_iova)  /* an explicit --iova must be usable as given */
		return gu_err(ERANGE, "IOVA 0x%llx is outside the IOAS's allowed ranges",
			      (unsigned long long)ds->next_iova);
	for (i = 0; i < n; i++) {
		uint64_t start = (ranges[i].start + IOVA_ALIGN - 1) & ~(IOVA_ALIGN - 1);

		if (start == 0)  /* 0 means "not chosen yet" here */
			start = IOVA_ALIGN;
		if (start >= ranges[i].start && start < ranges[i].last) {
			ds->next_iova = start;
			ds->iova_last = ranges[i].last;
			return 0;
		}
	}
	return gu_err(ERANGE, "IOAS %u has no usable IOVA range (%u ranges)", ds->ioas_id, q.num_iovas);
}

static int iommufd_open_device(struct dma_space *ds, const char *dev, int *dev_fd)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char path[PATH_MAX];
	int fd, ret;

	if (dev[0] == '/') {
		snprintf(path, sizeof(path), "%s", dev);
	} else {
		ret = gu_vfio_cdev(dev, path, sizeof(path));
		if (ret)
			return ret;
	}
	ds->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (ds->iommufd < 0)
		return gu_errno("open /dev/iommu");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)  /* no-IOMMU devices have a sysfs vfio-dev entry but no cdev node */
		return gu_errno("open %s (a device without an IOMMU needs --noiommu)", path);
	bind.iommufd = ds->iommufd;
	if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		ret = gu_errno("VFIO_DEVICE_BIND_IOMMUFD %s", path);
		goto err;
	}
	ds->dev_id = bind.out_devid;
	if (ioctl(ds->iommufd, IOMMU_IOAS_ALLOC, &alloc) < 0) {
		ret = gu_errno("IOMMU_IOAS_ALLOC");
		goto err;
	}
	ds->ioas_id = alloc.out_ioas_id;
	attach.pt_id = ds->ioas_id;
	if (ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0) {
		ret = gu_errno("VFIO_DEVICE_ATTACH_IOMMUFD_PT %s ioas %u", path, ds->ioas_id);
		goto err;
	}
	/* Ranges narrow on attach (reserved regions such as the MSI window): query after it. */
	ret = choose_iova(ds);
	if (ret)
		goto err;
	*dev_fd = fd;
	return 0;
err:
	close(fd);  /* unbinds; the IOAS goes with the iommufd in close() */
	return ret;
}

static int iommufd_map(struct dma_space *ds, void *va, size_t len, uint64_t *iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ds->ioas_id, .user_va = (uintptr_t)va, .length = len, .iova = ds->next_iova,
	};
	uint64_t span = (len + IOVA_ALIGN - 1) & ~(IOVA_ALIGN - 1);

	if (len == 0 || ds->next_iova == 0 || ds->next_iova + len - 1 > ds->iova_last ||
	    ds->next_iova + len - 1 < ds->next_iova)
		return gu_err(ENOSPC, "no IOVA space for %zu bytes at 0x%llx", len,
			      (unsigned long long)ds->next_iova);
	if (ioctl(ds->iommufd, IOMMU_IOAS_MAP, &map) < 0)
		return gu_errno("IOMMU_IOAS_MAP %zu bytes at IOVA 0x%llx", len, (unsigned long long)map.iova);
	*iova = map.iova;
	ds->next_iova += span;
	return 0;
}

static void iommufd_close(struct dma_space *ds)
{
	/* Closing the iommufd destroys the IOAS and its mappings (the device fd is closed already). */
	if (ds->iommufd >= 0)
		close(ds->iommufd);
	ds->iommufd = -1;
}

const struct dma_space_ops dma_iommufd_ops = {
	.name = "iommufd",
	.open_device = iommufd_open_device,
	.map = iommufd_map,
	.close = iommufd_close,
};
