// SPDX-License-Identifier: GPL-2.0-only
/* The iommufd context of a VM: /dev/iommu, one IOAS with guest RAM at IOVA == GPA. */
#include "iommu/iommufd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/iommufd.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommu/fail_inject.h"
#include "iommu/ioas.h"
#include "vmm/fdtab.h"
#include "vmm/log.h"

int iommufd_open(void)
{
	int fd;

	if (fail_inject("iommufd-open"))
		return err_errno("open /dev/iommu (injected)");
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_errno("open /dev/iommu (is the host kernel built with CONFIG_IOMMUFD?)");
	return fd;
}

int iommufd_destroy(int iommufd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	if (ioctl(iommufd, IOMMU_DESTROY, &d))
		return err_errno("IOMMU_DESTROY object %u", id);
	return 0;
}

int iommufd_ioas_alloc(int iommufd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (fail_inject("ioas-alloc") || ioctl(iommufd, IOMMU_IOAS_ALLOC, &a))
		return err_errno("IOMMU_IOAS_ALLOC");
	*ioas_id = a.out_ioas_id;
	return 0;
}

void iommufd_ctx_init(struct iommufd_ctx *c, struct fdtab *fds)
{
	*c = (struct iommufd_ctx){ .fd = -1, .fds = fds };
	ioas_peers_init(&c->peers);
}

int iommufd_ctx_open(struct iommufd_ctx *c, int passed_fd)
{
	int r;

	iommufd_ctx_init(c, c->fds);
	if (passed_fd >= 0) {
		/* A manager's fd: make sure it is an iommufd before anything else uses it. */
		struct iommu_ioas_alloc probe = { .size = sizeof(probe) };

		r = fdtab_adopt(c->fds, passed_fd, FD_IOMMUFD, "iommufd", "iommufd");
		if (r < 0)
			return r;
		c->fd = r;
		if (ioctl(passed_fd, IOMMU_IOAS_ALLOC, &probe)) {
			r = err_errno("--iommufd fd=%d: not an open /dev/iommu", passed_fd);
			goto err;
		}
		iommufd_destroy(passed_fd, probe.out_ioas_id);
	} else {
		r = fdtab_adopt(c->fds, iommufd_open(), FD_IOMMUFD, "iommufd", "iommufd");
		if (r < 0)
			return r;
		c->fd = r;
	}
	r = iommufd_ioas_alloc(c->fd, &c->ioas_id);
	if (r)
		goto err;
	c->has_ioas = true;
	return 0;
err:
	iommufd_ctx_close(c);
	return r;
}

int iommufd_ctx_map_ram(struct iommufd_ctx *c, const struct guest_mem *gm)
{
	struct iova_range *ranges;
	unsigned int nr;
	uint64_t align, bad;
	int r;

	if (!c->has_ioas)
		return -EINVAL;
	r = ioas_iova_ranges(c->fd, c->ioas_id, &ranges, &nr, &align);
	if (r)
		return r;
	for (unsigned int i = 0; i < gm->nr; i++) {
		const struct gmem_region *g = &gm->r[i];

		if (g->memfd < 0)
			continue;
		/*
		 * IOVA == GPA, so a reserved IOVA range (e.g. the host's MSI doorbell window) inside guest
		 * RAM would make that RAM unreachable by DMA: refuse rather than silently lose it.
		 */
		if (!iova_ranges_allow(ranges, nr, g->gpa, g->size, &bad)) {
			pr_err("guest RAM 0x%" PRIx64 "-0x%" PRIx64 " overlaps the host IOMMU's reserved IOVA at 0x%" PRIx64
			       " (see /sys/kernel/iommu_groups/*/reserved_regions); use less --memory",
			       g->gpa, g->gpa + g->size - 1, bad);
			r = -EINVAL;
			break;
		}
		if (align > 1 && ((g->gpa | g->size) & (align - 1))) {
			pr_err("guest RAM 0x%" PRIx64 "+0x%" PRIx64 " is not aligned to the IOMMU's 0x%" PRIx64 " granule",
			       g->gpa, g->size, align);
			r = -EINVAL;
			break;
		}
		r = ioas_map_file(c->fd, c->ioas_id, g->memfd, 0, g->size, g->gpa, true);
		if (r)
			break;
		c->map[c->nr_maps++] = (struct iommufd_map){ .iova = g->gpa, .len = g->size };
	}
	free(ranges);
	if (r) {
		while (c->nr_maps) {
			c->nr_maps--;
			ioas_unmap(c->fd, c->ioas_id, c->map[c->nr_maps].iova, c->map[c->nr_maps].len);
		}
	}
	return r;
}

void iommufd_ctx_close(struct iommufd_ctx *c)
{
	if (c->fd < 0)
		return;
	while (c->nr_maps) {
		c->nr_maps--;
		ioas_unmap(c->fd, c->ioas_id, c->map[c->nr_maps].iova, c->map[c->nr_maps].len);
	}
	if (c->has_ioas)
		iommufd_destroy(c->fd, c->ioas_id);
	c->has_ioas = false;
	fdtab_close(c->fds, c->fd);
	c->fd = -1;
}
