/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VT-d format of the nested vIOMMU core (viommu_nested.h), for hosts whose VT-d can nest
 * (ECAP.NEST, VT-d rev 5 11.4.3 bit 26): the guest's scalable-mode PASID entry for requests without
 * PASID (RID_PASID 0, 9.6) with PGTT first-stage becomes an IOMMU_HWPT_DATA_VTD_S1 nested HWPT on
 * nestvm's NEST_PARENT HWPT (the guest-RAM IOAS: second stage); pass-through goes to the parent
 * itself, blocked to an empty HWPT. The guest's IOTLB and PASID-based-IOTLB invalidations become
 * IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entries on every nested HWPT of their domain, one batch per
 * guest wait descriptor. The uAPI has no vIOMMU object, vDEVICE or vEVENTQ for VT-d (Linux 7.2:
 * drivers/iommu/intel/nested.c), which the core's per_hwpt mode is for.
 */
#ifndef NESTVM_VTD_NESTED_H
#define NESTVM_VTD_NESTED_H

#include <stddef.h>
#include <stdint.h>

#include "iommu/viommu_nested.h"

struct vtd_features;

extern const struct viommu_nested_format vtd_nested_format;

/* The host VT-d bits the nested backend needs (11.4.2 / 11.4.3). */
#define VTD_HOST_ECAP_NEST      (1ull << 26)    /* nested translation (PGTT 011b) */
#define VTD_HOST_ECAP_PRS       (1ull << 29)    /* page requests (the host reports them to iommufd) */
#define VTD_HOST_ECAP_PASID     (1ull << 40)    /* requests with PASID; PSS (39:35) + 1 PASID bits */
#define VTD_HOST_ECAP_SMTS      (1ull << 43)
#define VTD_HOST_ECAP_SLTS      (1ull << 46)    /* the nest parent is a second-stage table */
#define VTD_HOST_ECAP_FLTS      (1ull << 47)    /* the guest's tables are walked as first stage */
#define VTD_HOST_CAP_FL1GP      (1ull << 56)
#define VTD_HOST_CAP_FL5LP      (1ull << 60)
#define VTD_HOST_CAP_MGAW(cap)  ((unsigned int)(((cap) >> 16) & 0x3f) + 1)
#define VTD_HOST_CAP_SAGAW(cap) ((unsigned int)(((cap) >> 8) & 0x1f))

/* Can a host VT-d with CAP / ECAP nest a guest's first stage? 0, or -EOPNOTSUPP with *WHY. Pure. */
int vtd_nested_host_check(uint64_t cap, uint64_t ecap, const char **why);
/*
 * What the guest's unit offers on the nested backend given the host's CAP / ECAP: scalable mode
 * with first-stage translation only (ECAP.FLTS = 1, SLTS = 0: a second-stage table of the guest
 * cannot be nested), CM = 0, and FL1GP / FL5LP / MGAW / SAGAW no more than the host has. Pure.
 */
void vtd_nested_features(struct vtd_features *f, uint64_t host_cap, uint64_t host_ecap);
/*
 * Device DEV_ID's host VT-d (IOMMU_GET_HW_INFO, nothing allocated): 0 with *CAP / *ECAP when it is
 * of type INTEL_VTD and can nest (a live update adopting the nested objects asks only this), or
 * -errno with WHY (nothing reported); *CAP / *ECAP are set also when it is a VT-d that cannot nest.
 */
int vtd_nested_host_info(int iommufd, uint32_t dev_id, uint64_t *cap, uint64_t *ecap, char *why, size_t why_size);
/* Device DEV_ID's host VT-d CAP and ECAP (IOMMU_GET_HW_INFO, of type INTEL_VTD), whether it can nest or not:
 * 0, or -errno with WHY. */
int vtd_host_regs(int iommufd, uint32_t dev_id, uint64_t *cap, uint64_t *ecap, char *why, size_t why_size);
/*
 * Whether device DEV_ID (bound to IOMMUFD, on IOAS) can go on the nested backend: its
 * IOMMU_GET_HW_INFO is of type INTEL_VTD with a host that can nest, and the kernel gives it a
 * NEST_PARENT HWPT on IOAS (allocated and destroyed again). 0 with *CAP / *ECAP, or -errno with
 * WHY (nothing reported: the caller decides between falling back and failing).
 */
int vtd_nested_probe(int iommufd, uint32_t dev_id, uint32_t ioas, uint64_t *cap, uint64_t *ecap, char *why,
		     size_t why_size);

#endif
