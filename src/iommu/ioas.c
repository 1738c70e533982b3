// SPDX-License-Identifier: GPL-2.0-only
/* IOAS objects: allowed IOVA ranges, IOMMU_IOAS_MAP_FILE and unmapping (include/uapi/linux/iommufd.h). */
#include "iommu/ioas.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/iommufd.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "iommu/fail_inject.h"
#include "vmm/log.h"

#define IOVA_RANGES_MAX 1024    /* far more than any IOMMU reports; bounds the allocation */

int ioas_iova_ranges(int iommufd, uint32_t ioas, struct iova_range **out, unsigned int *nr, uint64_t *align)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas };
	struct iommu_iova_range *r = NULL;

	*out = NULL;
	*nr = 0;
	if (fail_inject("iova-ranges"))
		return err_errno("IOMMU_IOAS_IOVA_RANGES (injected)");
	/* First call with no buffer: the kernel reports the count (EMSGSIZE when it does not fit). */
	for (int tries = 0; tries < 4; tries++) {
		if (!ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &q))
			break;
		if (errno != EMSGSIZE || q.num_iovas > IOVA_RANGES_MAX) {
			int e = err_errno("IOMMU_IOAS_IOVA_RANGES");

			free(r);
			return e;
		}
		free(r);
		r = calloc(q.num_iovas, sizeof(*r));
		if (!r)
			return err_num(ENOMEM, "IOMMU_IOAS_IOVA_RANGES");
		q.allowed_iovas = (uint64_t)(uintptr_t)r;
	}
	if (!r && q.num_iovas) {
		pr_err("IOMMU_IOAS_IOVA_RANGES: the range count keeps changing");
		return -EAGAIN;
	}
	/* struct iommu_iova_range and struct iova_range have the same layout: two inclusive u64s. */
	_Static_assert(sizeof(struct iommu_iova_range) == sizeof(struct iova_range), "iova range layout");
	*out = (struct iova_range *)r;
	*nr = q.num_iovas;
	*align = q.out_iova_alignment;
	return 0;
}

bool iova_ranges_allow(const struct iova_range *r, unsigned int nr, uint64_t start, uint64_t len, uint64_t *bad)
{
	uint64_t last = start + len - 1, best = UINT64_MAX;

	if (!len || last < start) {
		*bad = start;
		return false;
	}
	for (unsigned int i = 0; i < nr; i++) {
		if (r[i].start > r[i].last)
			continue;
		if (r[i].start <= start && last <= r[i].last)
			return true;
		/* The first disallowed address: the end of a range covering START, else START itself. */
		if (r[i].start <= start && r[i].last >= start && r[i].last < last)
			best = r[i].last + 1;
	}
	*bad = best != UINT64_MAX ? best : start;
	return false;
}

int ioas_try_map_file(int iommufd, uint32_t ioas, int fd, uint64_t off, uint64_t len, uint64_t iova, bool writeable)
{
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | (writeable ? IOMMU_IOAS_MAP_WRITEABLE : 0),
		.ioas_id = ioas,
		.fd = fd,
		.start = off,
		.length = len,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &m) ? -errno : 0;
}

int ioas_map_file(int iommufd, uint32_t ioas, int fd, uint64_t off, uint64_t len, uint64_t iova, bool writeable)
{
	int r = fail_inject("map-file") ? -errno : ioas_try_map_file(iommufd, ioas, fd, off, len, iova, writeable);

	if (r)
		return err_num(-r, "IOMMU_IOAS_MAP_FILE IOVA 0x%" PRIx64 "+0x%" PRIx64, iova, len);
	return 0;
}

int ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len };

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &u))
		return err_errno("IOMMU_IOAS_UNMAP IOVA 0x%" PRIx64 "+0x%" PRIx64, iova, len);
	if (u.length != len) {
		pr_err("IOMMU_IOAS_UNMAP IOVA 0x%" PRIx64 ": unmapped 0x%llx of 0x%" PRIx64, iova,
		       (unsigned long long)u.length, len);
		return -EIO;
	}
	return 0;
}
