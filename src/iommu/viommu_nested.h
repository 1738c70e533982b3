/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The nested vIOMMU backend (SMMUv3): assigned devices are translated by the host SMMU walking the
 * guest's stage 1 (its CD tables in guest RAM) over nestvm's stage 2 (a NEST_PARENT HWPT on the
 * guest-RAM IOAS). Per VM: one IOMMU_VIOMMU_TYPE_ARM_SMMUV3, one vDEVICE per device (virt_id = the
 * guest StreamID), one nested HWPT per device carrying the guest STE words 0-1, and a vEVENTQ read
 * on the event loop. Streams of emulated devices go to the wrapped software backend; the software
 * backend also keeps every assigned stream's config so their MSI addresses can be translated.
 */
#ifndef NESTVM_VIOMMU_NESTED_H
#define NESTVM_VIOMMU_NESTED_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/viommu.h"

struct evloop;
struct smmuv3_features;

/* Wraps SOFT (owned from now on, also on failure) for the devices of IOMMUFD. NULL on ENOMEM. */
struct viommu *viommu_nested_create(struct viommu *soft, int iommufd, struct evloop *loop);
/*
 * Puts the bound device DEV_ID (its VFIO cdev VFIO_FD, attached to IOAS) behind the vIOMMU as guest
 * StreamID SID: the first device makes the nest parent, vIOMMU and vEVENTQ. The device starts with
 * an abort vSTE until the front-end attaches the stream. Unwinds on failure.
 */
int viommu_nested_add_device(struct viommu *v, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t sid);
/* IOMMU_GET_HW_INFO of the first device: F clamped to what the host SMMU can nest. */
int viommu_nested_clamp_features(struct viommu *v, struct smmuv3_features *f);
/*
 * Where the host maps its MSI doorbell in our stage 2 for the devices (the first device's software
 * MSI window, from sysfs): 0 with *BASE; -ENOENT when the host reports none, -ENODEV before a device.
 */
int viommu_nested_host_msi(struct viommu *v, uint64_t *base);
/* Destroys the iommufd objects (before the iommufd closes; the devices may be gone already). */
void viommu_nested_release(struct viommu *v);
/* Forward one command per IOMMU_HWPT_INVALIDATE (the QEMU way) instead of batches: for benchmarks. */
void viommu_nested_set_unbatched(struct viommu *v, bool on);

/* What smmuv3 IDR values the guest may see given the host's IDR0..5 (IHI 0070 6.3.1-6). Pure. */
void smmuv3_features_clamp(struct smmuv3_features *f, const uint32_t host_idr[6]);

#endif
