// SPDX-License-Identifier: GPL-2.0-only
/* The IORT (see iort.h); field names are DEN0049E.f's. */
#include "acpi/iort.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "vmm/log.h"

_Static_assert(sizeof(struct acpi_iort) == 48, "IORT header");
_Static_assert(sizeof(struct iort_node) == 16, "IORT node header");
_Static_assert(sizeof(struct iort_id_mapping) == 20, "IORT ID mapping");
_Static_assert(sizeof(struct iort_its_group) == 24, "ITS group node with one ITS");
_Static_assert(sizeof(struct iort_smmuv3) == 68 + 20, "SMMUv3 node with one ID mapping");
_Static_assert(sizeof(struct iort_rc) == 36 + 20, "root complex node with one ID mapping");

/* The identity over [0, COUNT) to the node at OUT. */
static struct iort_id_mapping identity(uint32_t count, uint32_t out)
{
	return (struct iort_id_mapping){ .input_base = 0, .id_count = count - 1, .output_base = 0,
					 .output_reference = out };
}

int acpi_iort_add(struct acpi_builder *b, const struct acpi_iort_params *p)
{
	struct {
		struct acpi_iort iort;
		struct iort_its_group its;
		struct iort_smmuv3 smmu;
		struct iort_rc rc;
	} __attribute__((packed)) t;
	uint32_t its_at = sizeof(t.iort), smmu_at = its_at + sizeof(t.its);
	uint32_t rc_at = p->smmu ? smmu_at + sizeof(t.smmu) : smmu_at;
	uint32_t len = rc_at + sizeof(t.rc), id = 0;
	uint8_t *rc_dst;

	if (p->rid_count == 0 || p->rid_count > 0x10000) {
		pr_err("ACPI: IORT: %u requester IDs (1 to 65536)", p->rid_count);
		return b->err = -EINVAL;
	}
	memset(&t, 0, sizeof(t));
	acpi_header_init(&t.iort.h, "IORT", len, IORT_REVISION);
	t.iort.node_count = p->smmu ? 3 : 2;
	t.iort.node_offset = its_at;

	/* One ITS, named by the Translation ID of its MADT GIC ITS structure (ACPI 6.5 5.2.12.18). */
	t.its.n = (struct iort_node){ .type = IORT_NODE_ITS_GROUP, .length = sizeof(t.its),
				      .revision = IORT_ITS_REVISION, .identifier = id++ };
	t.its.its_count = 1;
	t.its.its_id[0] = p->its_id;

	if (p->smmu) {
		t.smmu.n = (struct iort_node){ .type = IORT_NODE_SMMUV3, .length = sizeof(t.smmu),
					       .revision = IORT_SMMUV3_REVISION, .identifier = id++,
					       .mapping_count = 1,
					       .mapping_offset = offsetof(struct iort_smmuv3, map) };
		t.smmu.base = p->smmu_base;
		/*
		 * COHACC override: the SMMU's table walks and queue accesses are coherent (SMMU_IDR0.COHACC
		 * is what the model reports; the device tree says dma-coherent). Wired interrupts, so
		 * no DeviceID mapping index (flags bit 4 clear): Linux then treats the one ID mapping as
		 * the path of the endpoints' StreamIDs to the ITS, not of the SMMU's own MSIs.
		 */
		t.smmu.flags = IORT_SMMUV3_COHACC_OVERRIDE;
		t.smmu.model = 0;
		t.smmu.event_gsiv = p->smmu_gsiv[0];
		t.smmu.pri_gsiv = p->smmu_gsiv[1];
		t.smmu.gerr_gsiv = p->smmu_gsiv[2];
		t.smmu.sync_gsiv = p->smmu_gsiv[3];
		/* StreamID -> DeviceID, identity: the msi-map of the device tree. */
		t.smmu.map = identity(p->rid_count, its_at);
	}

	t.rc.n = (struct iort_node){ .type = IORT_NODE_RC, .length = sizeof(t.rc), .revision = IORT_RC_REVISION,
				     .identifier = id++, .mapping_count = 1,
				     .mapping_offset = offsetof(struct iort_rc, map) };
	/* Fully coherent (CCA 1, CPM, DACS): the device tree's dma-coherent on the host bridge. */
	t.rc.cache_coherent = 1;
	t.rc.memory_flags = IORT_MF_CPM | IORT_MF_DACS;
	t.rc.ats = 0;                   /* no ATS: the PCI devices have no ATS capability to offer */
	t.rc.segment = 0;
	t.rc.memory_address_limit = 64;
	/* RID -> StreamID (iommu-map) into the SMMU, or RID -> DeviceID (msi-map) straight to the ITS. */
	t.rc.map = identity(p->rid_count, p->smmu ? smmu_at : its_at);

	/* Without an SMMU the root complex node follows the ITS group directly. */
	rc_dst = (uint8_t *)&t + rc_at;
	if (!p->smmu)
		memmove(rc_dst, &t.rc, sizeof(t.rc));
	return acpi_add_table(b, &t, len, true, NULL);
}
