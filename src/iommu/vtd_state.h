/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated VT-d unit's register model across a live update by re-exec (docs/liveupdate.md),
 * like smmuv3_state.h for the SMMU. The guest's root, context, PASID and page tables, its
 * invalidation queue, interrupt remapping table and page request queue stay in guest RAM; the
 * register file is the model's (struct vtd) and crosses as a section:
 *
 *   "vtd", instance 0, version 1, mandatory: the feature set (u8 MGAW, HAW, SAGAW, u8 IR, EIM, QI,
 *   PT, SM, FS, SS, FL1GP, FL5LP, CM, DEST32, NESTED: the new unit's must be the same), u64 CAP,
 *   ECAP (checked against what the features derive, ECAP.PRS/PDS against a page request source;
 *   ECAP.DT gives the feature DT, which the feature set does not hold),
 *   u32 GSTS, u64 RTADDR and the root table address SRTP latched, u64 CCMD, IOTLB, IVA, u32 FSTS
 *   (FRI apart), FECTL, FEDATA, FEADDR, FEUADDR, 8 x u64 FRCD low, high, u8 FRI, u64 IQH, IQT, IQA,
 *   IQERCD, u32 ICS, IECTL, IEDATA, IEADDR, IEUADDR, u64 IRTA and the one SIRTP latched, u64 PQH,
 *   PQT, PQA, u32 PRS, PECTL, PEDATA, PEADDR, PEUADDR, u64 counters (descriptors, faults, faults
 *   lost, page requests, page requests lost, page responses), u32 streams (at most 64), each u16
 *   source id and u8 assigned.
 *
 * Not carried: what a stream loaded from its context entry (the new unit loads it again: assigned
 * streams at restore, the others at their next DMA, as after an SRTP), the IOTLB invalidations
 * batched for the backend (none between two register accesses: vtd_iq_run flushes them before it
 * returns, under the lock, and the vCPUs are parked while the VM is saved), the "mode said" log
 * flags. The queue itself is carried as IQH/IQT: the model fetches when QIE is set, on IQT writes
 * and when IQE is cleared, so with QIE on and no IQE nothing is left unfetched, but in a state of a
 * model that did not fetch on QIE (those descriptors are fetched at the next IQT write or IQE clear).
 *
 * This is the register model's section only: the shadow backend's devices (their IOASes and what is
 * mapped in them) have their own ("viommu-shadow", viommu_shadow.h), as do the nested backend's
 * objects ("viommu-nested", viommu_nested.h); vtd_dev.c saves and restores them with this one.
 */
#ifndef NESTVM_VTD_STATE_H
#define NESTVM_VTD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/vtd.h"
#include "liveupdate/state_format.h"

#define VTD_STATE_TYPE "vtd"
#define VTD_STATE_VERSION 1

struct vtd_saved_stream {
	uint16_t sid;
	bool assigned;
};

struct vtd_saved {
	struct vtd_features feat;
	uint64_t cap, ecap;
	uint32_t gsts;
	uint64_t rtaddr, rta;
	uint64_t ccmd, iotlb, iva;
	uint32_t fsts, fectl, fedata, feaddr, feuaddr;
	uint64_t frcd[VTD_NFR][2];
	uint8_t fri;
	uint64_t iqh, iqt, iqa, iqercd;
	uint32_t ics, iectl, iedata, ieaddr, ieuaddr;
	uint64_t irta, irta_active;
	uint64_t pqh, pqt, pqa;
	uint32_t prs, pectl, pedata, peaddr, peuaddr;
	uint64_t nr_descs, nr_faults, nr_faults_lost, nr_page_reqs, nr_page_reqs_lost, nr_page_resps;
	uint32_t nr_streams;
	struct vtd_saved_stream stream[VTD_MAX_STREAMS];
};

/* The unit's registers and streams (under its lock): VM paused, no register access in progress. -EBUSY
 * when IOTLB invalidations are still batched (a bug: never between two accesses). */
int vtd_state_save(struct vtd *s, struct lu_writer *w);
/*
 * Pure: a feature set vtd_init takes with the CAP/ECAP it derives, every register within the bits
 * the model's register writes can leave in it and consistent with the others (VT-d rev 5 chapter
 * 11), at most 64 distinct source ids. -EINVAL with WHY.
 */
int vtd_state_decode(const struct lu_section *sec, struct vtd_saved *out, char *why, size_t why_size);
/*
 * Into a unit vtd_init'ed with the same features (and the same page request source, or none): the
 * saved source ids registered (the assigned ones as assigned), then the registers; every stream
 * loads its context again (assigned ones at once). -EINVAL with WHY when the features, CAP/ECAP or
 * an assigned source id differ; -ENOSPC when the streams do not fit.
 */
int vtd_state_restore(struct vtd *s, const struct vtd_saved *sv, char *why, size_t why_size);

#endif
