// SPDX-License-Identifier: GPL-2.0-only
/* The SMMUv3 format of the nested vIOMMU core (smmuv3_nested.h). */
#include "iommu/smmuv3_nested.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <string.h>

#include "iommu/smmuv3.h"
#include "vmm/log.h"

/*
 * The STE bits the kernel lets a guest choose (arm-smmu-v3.h STRTAB_STE_{0,1}_NESTING_ALLOWED;
 * arm_smmu_validate_vste refuses anything else with EIO): V, Config, S1Fmt, S1ContextPtr, S1CDMax;
 * S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS (IHI 0070 5.2).
 */
#define VSTE0_ALLOWED (STE0_V | (7ull << 1) | (3ull << 4) | STE0_S1CTXPTR | (0x1full << 59))
#define VSTE1_ALLOWED ((3ull << 0) | (3ull << 2) | (3ull << 4) | (3ull << 6) | STE1_S1STALLD | (3ull << 28))

_Static_assert(sizeof(struct iommu_hwpt_arm_smmuv3) <= VIOMMU_NESTED_DATA_MAX, "vSTE blob");
_Static_assert(sizeof(struct iommu_viommu_arm_smmuv3_invalidate) <= VIOMMU_NESTED_ENTRY_MAX, "command entry");

/* The vSTE for CFG: abort and bypass as V=1 vSTEs of that Config, stage 1 as the guest wrote it. */
static uint32_t smmuv3_alloc_nested(const struct viommu_stream_cfg *cfg, uint32_t *data_type, void *data)
{
	struct iommu_hwpt_arm_smmuv3 vste = { 0 };      /* little-endian host */

	switch (cfg->kind) {
	case VIOMMU_CFG_S1:
		vste.ste[0] = cfg->raw[0] & VSTE0_ALLOWED;
		vste.ste[1] = cfg->raw[1] & VSTE1_ALLOWED;
		/* EATS other than 0b00/0b01 is refused by the host; ATS is not offered anyway. */
		vste.ste[1] &= ~(3ull << 28);
		break;
	case VIOMMU_CFG_BYPASS:
		vste.ste[0] = STE0_V | (uint64_t)STE_CFG_BYPASS << 1;
		break;
	default:
		vste.ste[0] = STE0_V | (uint64_t)STE_CFG_ABORT << 1;
		break;
	}
	*data_type = IOMMU_HWPT_DATA_ARM_SMMUV3;
	memcpy(data, &vste, sizeof(vste));
	return sizeof(vste);
}

/* The guest's command as it is: the kernel checks it and puts our VMID / the physical SID in. */
static void smmuv3_invalidate(const struct viommu_inval *inv, void *entry)
{
	struct iommu_viommu_arm_smmuv3_invalidate c = { .cmd = { inv->raw[0], inv->raw[1] } };

	memcpy(entry, &c, sizeof(c));
}

static void smmuv3_decode_event(const void *rec, struct viommu_fault *f)
{
	struct iommu_vevent_arm_smmuv3 e;

	memcpy(&e, rec, sizeof(e));
	*f = (struct viommu_fault){
		.kind = VIOMMU_F_TRANSLATION,
		.sid = (uint32_t)(e.evt[0] >> 32),
		.iova = e.evt[2],
		.write = !(e.evt[1] & EVT1_RNW),
	};
}

const struct viommu_nested_format smmuv3_nested_format = {
	.name = "smmuv3",
	.host_name = "SMMUv3",
	.cfg_name = "guest STE",
	.sid_name = "StreamID",
	.entries_name = "commands",
	.viommu_type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
	.hw_info_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
	.veventq_type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
	.event_len = sizeof(struct iommu_vevent_arm_smmuv3),
	.inval_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
	.inval_len = sizeof(struct iommu_viommu_arm_smmuv3_invalidate),
	.alloc_nested = smmuv3_alloc_nested,
	.invalidate = smmuv3_invalidate,
	.decode_event = smmuv3_decode_event,
};

int smmuv3_nested_clamp_features(struct viommu *v, struct smmuv3_features *f)
{
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	int r = viommu_nested_hw_info(v, &info, sizeof(info));

	if (r)
		return r;
	/* The host walks the guest's CD tables itself (the nested STE carries S1ContextPtr, S1Fmt and
	 * S1CDMax): the guest may have as many SubstreamIDs as the host gives, which an assigned function
	 * with PASIDs uses (its PASID capability, devices/vfio_pci_ecap.c). Emulated functions have none. */
	f->ssidsize = SMMUV3_MAX_SSIDSIZE;
	smmuv3_features_clamp(f, info.idr);
	return 0;
}
