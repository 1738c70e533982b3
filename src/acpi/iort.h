/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IORT (Arm DEN0049E.f, "IO Remapping Table, Platform Design Document") of the arm64 machine:
 * how PCI requester IDs reach the GIC ITS, through the SMMUv3 when there is one. The same ID
 * translation the device tree gives with iommu-map and msi-map:
 *
 *   root complex (segment 0) --RID, identity--> SMMUv3 --StreamID, identity--> ITS group (DeviceID)
 *   root complex (segment 0) --RID, identity--> ITS group                      (no SMMU)
 *
 * Nodes are laid out ITS group, SMMUv3, root complex; every ID mapping's output reference is the
 * byte offset of its output node from the start of the table (DEN0049E.f "ID mappings").
 */
#ifndef NESTVM_ACPI_IORT_H
#define NESTVM_ACPI_IORT_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi/acpi.h"

/* Revisions: the table and node layouts QEMU virt hands AAVMF (DEN0049E.d numbering), whose fields
 * DEN0049E.f keeps at the same offsets. */
#define IORT_REVISION           5
#define IORT_ITS_REVISION       1
#define IORT_SMMUV3_REVISION    4
#define IORT_RC_REVISION        3

enum { IORT_NODE_ITS_GROUP = 0, IORT_NODE_RC = 2, IORT_NODE_SMMUV3 = 4 };

struct acpi_iort {               /* "IORT": the header, then the node array at node_offset */
	struct acpi_header h;
	uint32_t node_count;
	uint32_t node_offset;
	uint32_t reserved;
} __attribute__((packed));

struct iort_node {               /* the header every node starts with */
	uint8_t type;
	uint16_t length;             /* of the node with its ID mappings and arrays */
	uint8_t revision;
	uint32_t identifier;         /* unique among the table's nodes */
	uint32_t mapping_count;
	uint32_t mapping_offset;     /* of the ID mapping array from the node's start */
} __attribute__((packed));

struct iort_id_mapping {         /* "ID mapping format" */
	uint32_t input_base;
	uint32_t id_count;           /* the number of IDs in the range MINUS ONE */
	uint32_t output_base;
	uint32_t output_reference;   /* offset of the output node from the table's start */
	uint32_t flags;              /* bit 0: single mapping (input ignored); 0 here */
} __attribute__((packed));

struct iort_its_group {          /* "ITS group node": the ITSs by MADT GIC ITS Translation ID */
	struct iort_node n;
	uint32_t its_count;
	uint32_t its_id[1];
} __attribute__((packed));

struct iort_smmuv3 {             /* "SMMUv3 node" */
	struct iort_node n;
	uint64_t base;               /* of the register page 0 */
	uint32_t flags;              /* bit 0 COHACC override, bits 2:1 HTTU override, bit 3 proximity valid,
				      * bit 4 DeviceID mapping index valid */
	uint32_t reserved;
	uint64_t vatos;              /* VATOS page, 0: none */
	uint32_t model;              /* 0: generic SMMUv3 */
	uint32_t event_gsiv, pri_gsiv, gerr_gsiv, sync_gsiv;   /* wired interrupts, edge (0: MSI) */
	uint32_t proximity_domain;
	uint32_t device_id_mapping_index;   /* only with flags bit 4: the SMMU's own MSIs */
	struct iort_id_mapping map;  /* StreamID -> ITS DeviceID */
} __attribute__((packed));

#define IORT_SMMUV3_COHACC_OVERRIDE (1u << 0)

struct iort_rc {                 /* "Root complex node" */
	struct iort_node n;
	uint32_t cache_coherent;     /* "Memory access properties": CCA, 1 fully coherent */
	uint8_t alloc_hints;
	uint16_t reserved0;
	uint8_t memory_flags;        /* "Memory access flags": bit 0 CPM, bit 1 DACS */
	uint32_t ats;                /* bit 0: the root complex supports ATS */
	uint32_t segment;            /* the MCFG's PCI segment */
	uint8_t memory_address_limit;   /* bits of address the root complex can master */
	uint8_t reserved1[3];
	struct iort_id_mapping map;  /* RID -> StreamID or ITS DeviceID */
} __attribute__((packed));

#define IORT_MF_CPM     (1u << 0)   /* coherent path to memory */
#define IORT_MF_DACS    (1u << 1)   /* device attributes are cacheable, inner shareable */

struct acpi_iort_params {
	uint32_t its_id;             /* the MADT GIC ITS structure's Translation ID */
	bool smmu;                   /* an SMMUv3 translates the root complex's DMA */
	uint64_t smmu_base;
	uint32_t smmu_gsiv[4];       /* event queue, PRI queue, global error, CMD_SYNC: as GSIVs (INTIDs) */
	uint32_t rid_count;          /* requester IDs (and StreamIDs, DeviceIDs) mapped from 0: 1 to 0x10000 */
};

/* Appends the IORT to B (listed in the XSDT). */
int acpi_iort_add(struct acpi_builder *b, const struct acpi_iort_params *p);

#endif
