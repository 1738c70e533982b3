// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_map SIZE_MiB... [--device /dev/vfio/devices/vfioN]: time mapping guest RAM (a memfd from
 * gmem_add_ram) into an IOAS through nestvm's own path (iommufd_ctx_map_ram: IOVA-range check +
 * IOMMU_IOAS_MAP_FILE) next to a bare IOMMU_IOAS_MAP_FILE ioctl on the same memfd and IOAS, in
 * the same run. With a device attached to the IOAS the mapping pins and programs the IOMMU (what a
 * VM pays); without one iommufd only records it. Best of 3 each, alternating; pages are populated
 * by a warm-up map first so neither side pays for allocating them.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "iommu/ioas.h"
#include "iommu/iommufd.h"
#include "vmm/guest_mem.h"

#define IOVA_BASE (1ULL << 30)
#define ROUNDS 7

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int attach(int iommufd, uint32_t ioas, const char *path)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = ioas };
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &b) || ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a)) {
		fprintf(stderr, "dma_map: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return fd;
}

static int bench(struct iommufd_ctx *c, uint64_t size)
{
	struct guest_mem gm = { 0 };
	double best_n = 1e9, best_b = 1e9, t;
	const struct gmem_region *r;
	int ret = -1;

	if (gmem_add_ram(&gm, IOVA_BASE, size, false))
		return -1;
	r = &gm.r[0];
	/* Warm-up: allocates the memfd's pages once (MAP_FILE pins them when a domain is attached). */
	if (ioas_map_file(c->fd, c->ioas_id, r->memfd, 0, size, IOVA_BASE, true) ||
	    ioas_unmap(c->fd, c->ioas_id, IOVA_BASE, size))
		goto out;
	for (int i = 0; i < ROUNDS; i++) {
		struct iommu_ioas_map_file m = {
			.size = sizeof(m), .ioas_id = c->ioas_id, .fd = r->memfd, .start = 0, .length = size,
			.iova = IOVA_BASE,
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		};

		t = now();
		if (iommufd_ctx_map_ram(c, &gm))
			goto out;
		t = now() - t;
		best_n = t < best_n ? t : best_n;
		if (ioas_unmap(c->fd, c->ioas_id, IOVA_BASE, size))
			goto out;
		c->nr_maps = 0;

		t = now();
		if (ioctl(c->fd, IOMMU_IOAS_MAP_FILE, &m)) {
			perror("dma_map: IOMMU_IOAS_MAP_FILE");
			goto out;
		}
		t = now() - t;
		best_b = t < best_b ? t : best_b;
		if (ioas_unmap(c->fd, c->ioas_id, IOVA_BASE, size))
			goto out;
	}
	printf("size=%lluM nestvm=%.2fGiB/s bare=%.2fGiB/s ratio=%.1f%% (best of %d: %.1f ms vs %.1f ms)\n",
	       (unsigned long long)(size >> 20), (double)size / (1 << 30) / best_n, (double)size / (1 << 30) / best_b,
	       100.0 * best_b / best_n, ROUNDS, best_n * 1e3, best_b * 1e3);
	fflush(stdout);
	ret = 0;
out:
	gmem_destroy(&gm);
	return ret;
}

int main(int argc, char **argv)
{
	struct iommufd_ctx c;
	const char *dev = NULL;
	int dfd = -1, rc = 0;

	iommufd_ctx_init(&c, NULL);
	if (iommufd_ctx_open(&c, -1))
		return 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			dev = argv[++i];
			dfd = attach(c.fd, c.ioas_id, dev);
			if (dfd < 0)
				return 1;
		}
	}
	printf("# IOAS %u, %s\n", c.ioas_id, dev ? dev : "no device attached (bookkeeping only, no pinning)");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--device")) {
			i++;
			continue;
		}
		if (bench(&c, strtoull(argv[i], NULL, 10) << 20))
			rc = 1;
	}
	if (dfd >= 0)
		close(dfd);
	iommufd_ctx_close(&c);
	return rc;
}
