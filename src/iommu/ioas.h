/* SPDX-License-Identifier: GPL-2.0-only */
/* An IOAS (iommufd I/O address space): its allowed IOVA ranges and file-backed mappings. */
#ifndef NESTVM_IOMMU_IOAS_H
#define NESTVM_IOMMU_IOAS_H

#include <stdbool.h>
#include <stdint.h>

struct iova_range {
	uint64_t start, last;   /* inclusive, as struct iommu_iova_range */
};

/*
 * IOMMU_IOAS_IOVA_RANGES: the allowed ranges (malloc'ed array in *OUT, count in *NR) and the
 * required IOVA alignment in *ALIGN. They shrink as devices attach, so ask after attaching.
 */
int ioas_iova_ranges(int iommufd, uint32_t ioas, struct iova_range **out, unsigned int *nr, uint64_t *align);
/*
 * True when [start, start+len) lies entirely inside one allowed range (len > 0, no wrap). When it
 * does not, *BAD is the first reserved (disallowed) address in it. Pure: unit-tested.
 */
bool iova_ranges_allow(const struct iova_range *r, unsigned int nr, uint64_t start, uint64_t len, uint64_t *bad);
/* IOMMU_IOAS_MAP_FILE of [off, off+len) of FD at fixed IOVA, readable and (WRITEABLE) writable by DMA. */
int ioas_map_file(int iommufd, uint32_t ioas, int fd, uint64_t off, uint64_t len, uint64_t iova, bool writeable);
/*
 * The same, unreported: -errno for a caller that reports it itself (rate-limited where a guest
 * drives it). FD may also be a VFIO BAR dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF, one range).
 */
int ioas_try_map_file(int iommufd, uint32_t ioas, int fd, uint64_t off, uint64_t len, uint64_t iova, bool writeable);
/* IOMMU_IOAS_UNMAP of exactly [iova, iova+len). */
int ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len);

#endif
