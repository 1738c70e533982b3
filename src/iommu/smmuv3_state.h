/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated SMMUv3 across a live update by re-exec (docs/liveupdate.md). The guest's stream
 * table, context descriptors, page tables and queues stay in guest RAM; the register file is the
 * model's and crosses as a section:
 *
 *   "smmuv3", instance 0, version 1, mandatory: the feature set the guest saw (u8 2-level stream
 *   table, MSI, SEV, ATS, RIL, 4K/16K/64K granules, u8 SIDSIZE, SSIDSIZE, CMDQS, EVTQS, OAS, u32 IIDR,
 *   AIDR: the new model's, clamped to the host SMMU, must be the same, else the guest's IDR0-5 would
 *   change under it), u32 CR0, CR1, CR2, GBPA, IRQ_CTRL, GERROR, GERRORN, u64 GERROR_IRQ_CFG0, u32
 *   CFG1, CFG2, u64 STRTAB_BASE, u32 STRTAB_BASE_CFG, u64 CMDQ_BASE, u32 CMDQ_PROD, CMDQ_CONS (with
 *   CERROR), u64 EVENTQ_BASE, u32 EVENTQ_PROD (with OVFLG), EVENTQ_CONS (with OVACKFLG), u64
 *   EVENTQ_IRQ_CFG0, u32 CFG1, CFG2 (IHI 0070 6.3), u8 an ATC invalidation timed out (the next
 *   CMD_SYNC reports it), u64 commands, events, events lost (counters), u32 StreamIDs (at most 64)
 *   and each u32 StreamID the model knows. Version 2 adds the PRI queue (a page-request source,
 *   smmuv3_priq.c): u8 IDR0.PRI, u8 PRIQS (both part of the feature set), u64 PRIQ_BASE, u32
 *   PRIQ_PROD (with OVFLG), PRIQ_CONS (with OVACKFLG), u64 PRIQ_IRQ_CFG0, u32 CFG1, CFG2, u64 page
 *   requests written, lost, CMD_PRI_RESPs; a version 1 state (no PRI queue) is still restored.
 *
 * Stream configurations (STE, CD) are not carried: the new model reads them again from the guest's
 * tables once the registers are back (an SMMU may fetch configuration at any time it has none
 * cached, IHI 0070 3.21), and re-attaches every stream; an assigned device whose nested HWPT holds
 * the same STE words keeps it (viommu_nested_state.h). Until then the model is frozen: streams are
 * registered without being attached, so nothing replaces what the previous process left attached.
 */
#ifndef NESTVM_SMMUV3_STATE_H
#define NESTVM_SMMUV3_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/smmuv3.h"
#include "liveupdate/state_format.h"

#define SMMUV3_STATE_TYPE "smmuv3"
#define SMMUV3_STATE_VERSION 2

struct smmuv3_saved {
	struct smmuv3_features feat;
	uint32_t cr0, cr1, cr2, gbpa, irq_ctrl, gerror, gerrorn;
	uint64_t gerror_irq_cfg0;
	uint32_t gerror_irq_cfg1, gerror_irq_cfg2;
	uint64_t strtab_base;
	uint32_t strtab_base_cfg;
	struct smmuv3_queue cmdq, evtq;
	uint64_t evtq_irq_cfg0;
	uint32_t evtq_irq_cfg1, evtq_irq_cfg2;
	bool atc_timeout;
	uint64_t nr_cmds, nr_events, nr_events_lost;
	uint32_t nr_streams;
	uint32_t sid[SMMUV3_MAX_STREAMS];
	/* version 2 */
	struct smmuv3_queue priq;
	uint64_t priq_irq_cfg0;
	uint32_t priq_irq_cfg1, priq_irq_cfg2;
	uint64_t nr_pri_reqs, nr_pri_lost, nr_pri_resps;
};

/* The model's registers and streams (under its lock): VM paused, no register access in progress. */
int smmuv3_state_save(struct smmuv3 *s, struct lu_writer *w);
/*
 * Pure: every register within the bits a guest write can leave in it (6.3), at most 64 distinct
 * StreamIDs within SIDSIZE, a feature set the model supports. -EINVAL with WHY.
 */
int smmuv3_state_decode(const struct lu_section *sec, struct smmuv3_saved *out, char *why, size_t why_size);
/*
 * The new process, frozen model (smmuv3_freeze) with its streams registered by the devices: the
 * registers from S (the feature sets must match), the saved StreamIDs registered too, then thawed:
 * every stream's config read from the guest's tables and attached. -EINVAL with WHY.
 */
int smmuv3_state_restore(struct smmuv3 *s, const struct smmuv3_saved *sv, char *why, size_t why_size);
/* Restoring: streams are registered but not attached until smmuv3_state_restore. */
void smmuv3_freeze(struct smmuv3 *s);

#endif
