// SPDX-License-Identifier: GPL-2.0-only
/* The VT-d format of the nested vIOMMU core (vtd_nested.h). */
#include "iommu/vtd_nested.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "iommu/iommufd.h"
#include "iommu/vtd.h"

_Static_assert(sizeof(struct iommu_hwpt_vtd_s1) <= VIOMMU_NESTED_DATA_MAX, "VTD_S1 blob");
_Static_assert(sizeof(struct iommu_hwpt_vtd_s1_invalidate) <= VIOMMU_NESTED_ENTRY_MAX, "VTD_S1 entry");

/*
 * Scalable-mode PASID table entry (VT-d rev 5 9.6, 512 bits): qword 2 holds the first-stage
 * fields: SRE bit 128 (qword 2 bit 0), FSPM bits 131:130 (2 bits at 3:2: 00b 4-level, 01b
 * 5-level), WPE bit 132 (bit 4), EAFE bit 135 (bit 7), FSPTPTR bits 191:140 (63:12).
 */
#define PE2_SRE         (1ull << 0)
#define PE2_FSPM(q2)    ((unsigned int)((q2) >> 2) & 3)
#define PE2_WPE         (1ull << 4)
#define PE2_EAFE        (1ull << 7)
#define PE2_FSPTPTR     (~0xfffull)

/*
 * The nested HWPT for CFG. Only a first-stage PASID entry (PGTT 001b; the front-end decoded it
 * for vtd_fs_pgwalk) nests: its FSPTPTR, width and flags go to the host as they are (the kernel's
 * intel_pasid_setup_nested checks FL5LP for width 57, ECAP.SRS for SRE, ECAP.EAFS for EAFE, and
 * refuses the attach otherwise; the core rolls back). A second-stage config (legacy mode, or PGTT
 * 010b, which ECAP.SLTS = 0 does not offer) cannot be nested: 0 bytes, refused by the core; abort
 * and bypass are the core's blocked HWPT and nest parent (0 bytes).
 */
static uint32_t vtd_alloc_nested(const struct viommu_stream_cfg *cfg, uint32_t *data_type, void *data)
{
	struct iommu_hwpt_vtd_s1 s1 = { 0 };
	uint64_t q2 = cfg->raw[2];

	*data_type = IOMMU_HWPT_DATA_NONE;
	if (cfg->kind != VIOMMU_CFG_S1 || cfg->walker != &vtd_fs_pgwalk || PE2_FSPM(q2) > 1)
		return 0;
	s1.pgtbl_addr = q2 & PE2_FSPTPTR;
	s1.addr_width = PE2_FSPM(q2) ? 57 : 48;
	s1.flags = (q2 & PE2_SRE ? IOMMU_VTD_S1_SRE : 0) | (q2 & PE2_WPE ? IOMMU_VTD_S1_WPE : 0) |
		   (q2 & PE2_EAFE ? IOMMU_VTD_S1_EAFE : 0);
	*data_type = IOMMU_HWPT_DATA_VTD_S1;
	memcpy(data, &s1, sizeof(s1));
	return sizeof(s1);
}

/*
 * One IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entry (the kernel's intel_nested_cache_invalidate_user
 * takes a 4 KiB-aligned ADDR and NPAGES 4 KiB pages, or ADDR 0 with NPAGES U64_MAX for everything,
 * and flushes the nested domain's IOTLB, paging-structure caches and, through its cache tags, the
 * device TLBs of ATS devices: the guest's device-TLB invalidations need not be forwarded). A
 * page-selective invalidation (IOTLB 6.5.2.2 / PASID-based IOTLB 6.5.2.4 with granularity
 * page-selective: 2^AM pages at ADDR, aligned down by the front-end) with IH = 1 (the guest kept
 * the paging-structure entries) is a LEAF one; domain-, PASID-selective and global ones flush all.
 */
static void vtd_invalidate(const struct viommu_inval *inv, void *entry)
{
	struct iommu_hwpt_vtd_s1_invalidate e = { .addr = 0, .npages = UINT64_MAX };

	if ((inv->kind == VIOMMU_INV_VA || inv->kind == VIOMMU_INV_VAA) && inv->size >= 0x1000) {
		e.addr = inv->iova & ~0xfffull;
		e.npages = inv->size >> 12;
		e.flags = inv->leaf ? IOMMU_VTD_INV_FLAGS_LEAF : 0;
	}
	memcpy(entry, &e, sizeof(e));
}

/*
 * Which invalidations concern a nested HWPT made from a PASID entry with domain id TAG: global
 * ones, and the domain's for PASID 0 (the unit offers requests without PASID only, through
 * RID_PASID 0: ECAP.PASID = 0, so an entry for another PASID caches nothing here). PASID-cache
 * and context-cache invalidations are the front-end's (it reloads the entry and the core
 * re-attaches); device-TLB invalidations are the kernel's (above).
 */
/* A PASID-based invalidation names its PASID (the ssid; 0 for requests without PASID, RID_PASID). */
static bool vtd_inval_matches(const struct viommu_inval *inv, uint16_t tag, uint32_t pasid)
{
	return viommu_inval_covers(inv, tag, pasid);
}

/* No vEVENTQ for VT-d (per_hwpt): nothing to decode. */
static void vtd_decode_event(const void *rec, struct viommu_fault *f)
{
	(void)rec;
	memset(f, 0, sizeof(*f));
}

const struct viommu_nested_format vtd_nested_format = {
	.name = "vtd",
	.host_name = "VT-d",
	.cfg_name = "guest context/PASID entry",
	.sid_name = "source id",
	.entries_name = "IOTLB invalidations",
	.hw_info_type = IOMMU_HW_INFO_TYPE_INTEL_VTD,
	.inval_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
	.inval_len = sizeof(struct iommu_hwpt_vtd_s1_invalidate),
	.alloc_nested = vtd_alloc_nested,
	.invalidate = vtd_invalidate,
	.decode_event = vtd_decode_event,
	.per_hwpt = true,
	.inval_matches = vtd_inval_matches,
};

int vtd_nested_host_check(uint64_t cap, uint64_t ecap, const char **why)
{
	(void)cap;
	if (!(ecap & VTD_HOST_ECAP_NEST))
		*why = "the host VT-d has no nested translation (ECAP.NEST = 0)";
	else if (!(ecap & VTD_HOST_ECAP_SMTS) || !(ecap & VTD_HOST_ECAP_FLTS) || !(ecap & VTD_HOST_ECAP_SLTS))
		*why = "the host VT-d lacks scalable mode with first- and second-stage translation (ECAP.SMTS/FLTS/SLTS)";
	else
		return 0;
	return -EOPNOTSUPP;
}

void vtd_nested_features(struct vtd_features *f, uint64_t host_cap, uint64_t host_ecap)
{
	unsigned int mgaw = VTD_HOST_CAP_MGAW(host_cap), sagaw = f->sagaw & VTD_HOST_CAP_SAGAW(host_cap);

	f->sm = f->qi = true;
	/* PASIDs as the host has them (each PASID entry a host attachment), up to what one scan of a
	 * function's PASID table may walk. */
	f->pasid_bits = 0;
	if (host_ecap & VTD_HOST_ECAP_PASID) {
		unsigned int host = (unsigned int)((host_ecap >> 35) & 0x1f) + 1;

		f->pasid_bits = (uint8_t)(host < VTD_MAX_PASID_BITS ? host : VTD_MAX_PASID_BITS);
	}
	f->fs = true;               /* ECAP.FLTS: the guest's first stage is what the host nests */
	f->ss = false;              /* ECAP.SLTS = 0: a guest second stage would not nest */
	f->cm = false;              /* the host walks the guest's tables: nothing to shadow */
	f->nested = true;
	f->fl1gp = f->fl1gp && (host_cap & VTD_HOST_CAP_FL1GP);
	f->fl5lp = f->fl5lp && (host_cap & VTD_HOST_CAP_FL5LP);
	if (mgaw >= 39 && mgaw < f->mgaw)
		f->mgaw = (uint8_t)mgaw;
	if (f->mgaw < 57)
		f->fl5lp = false;   /* 5-level first stage takes 57-bit input addresses */
	if (sagaw)
		f->sagaw = (uint8_t)sagaw;
}

int vtd_host_regs(int iommufd, uint32_t dev_id, uint64_t *cap, uint64_t *ecap, char *why, size_t why_size)
{
	struct iommu_hw_info_vtd info = { 0 };
	struct iommu_hw_info hi = { .size = sizeof(hi), .dev_id = dev_id, .data_len = sizeof(info),
				    .data_uptr = (uintptr_t)&info };

	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &hi)) {
		snprintf(why, why_size, "IOMMU_GET_HW_INFO of device %u: %s", dev_id, strerror(errno));
		return -errno;
	}
	if (hi.out_data_type != IOMMU_HW_INFO_TYPE_INTEL_VTD) {
		snprintf(why, why_size, "device %u's host IOMMU is not an Intel VT-d (hw_info type %u)", dev_id,
			 hi.out_data_type);
		return -EOPNOTSUPP;
	}
	*cap = info.cap_reg;
	*ecap = info.ecap_reg;
	return 0;
}

int vtd_nested_host_info(int iommufd, uint32_t dev_id, uint64_t *cap, uint64_t *ecap, char *why, size_t why_size)
{
	const char *w;
	int r = vtd_host_regs(iommufd, dev_id, cap, ecap, why, why_size);

	if (!r && vtd_nested_host_check(*cap, *ecap, &w)) {
		snprintf(why, why_size, "%s (CAP 0x%llx ECAP 0x%llx)", w, (unsigned long long)*cap,
			 (unsigned long long)*ecap);
		r = -EOPNOTSUPP;
	}
	return r;
}

int vtd_nested_probe(int iommufd, uint32_t dev_id, uint32_t ioas, uint64_t *cap, uint64_t *ecap, char *why,
		     size_t why_size)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT, .dev_id = dev_id,
				      .pt_id = ioas, .data_type = IOMMU_HWPT_DATA_NONE };
	int r = vtd_nested_host_info(iommufd, dev_id, cap, ecap, why, why_size);

	if (r)
		return r;
	if (ioctl(iommufd, IOMMU_HWPT_ALLOC, &a)) {
		int e = errno;

		snprintf(why, why_size, "the kernel refused a NEST_PARENT HWPT for device %u: %s", dev_id, strerror(e));
		return -e;
	}
	iommufd_destroy(iommufd, a.out_hwpt_id);
	return 0;
}
