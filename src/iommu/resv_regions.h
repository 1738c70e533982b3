/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A host device's IOMMU reserved regions, as sysfs shows them (iommu_group/reserved_regions, one
 * "START END TYPE" line each; Documentation/ABI/testing/sysfs-kernel-iommu_groups). nestvm needs the
 * software MSI window: where iommufd maps the host's MSI doorbell into a device's domain.
 */
#ifndef NESTVM_IOMMU_RESV_REGIONS_H
#define NESTVM_IOMMU_RESV_REGIONS_H

#include <stddef.h>
#include <stdint.h>

/* The first "msi" region of TEXT (LEN bytes): 0 with *START, -ENOENT if none. Pure. */
int resv_regions_msi(const char *text, size_t len, uint64_t *start);
/* The "msi" region of the device behind the VFIO cdev VFIO_FD: 0, -ENOENT, or another -errno (quiet). */
int resv_regions_vfio_msi(int vfio_fd, uint64_t *start);

#endif
