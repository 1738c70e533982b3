/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The iommufd context (/dev/iommu) and the object calls every object kind shares. Object kinds get a
 * file each (ioas.c, hwpt.c, viommu.c, vdevice.c, veventq.c, fault.c), like drivers/iommu/iommufd.
 */
#ifndef NESTVM_IOMMUFD_H
#define NESTVM_IOMMUFD_H

#include <stdint.h>

/* Opens /dev/iommu (O_RDWR|O_CLOEXEC); returns the fd or -errno, reported with a hint. */
int iommufd_open(void);
/* IOMMU_DESTROY of object ID; -errno on failure (reported). */
int iommufd_destroy(int iommufd, uint32_t id);
/* IOMMU_IOAS_ALLOC: a new I/O address space; its id in *ioas_id. */
int iommufd_ioas_alloc(int iommufd, uint32_t *ioas_id);

#endif
