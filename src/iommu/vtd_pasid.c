// SPDX-License-Identifier: GPL-2.0-only
/*
 * Requests with PASID from assigned functions (ECAP.PASID; the nested backend only, whose host VT-d
 * has them: vtd_nested_features). The host does not walk the guest's PASID tables: each PASID entry
 * the guest sets up for a function is one host attachment of that PASID (viommu_attach_pasid: a
 * nested HWPT from a first-stage entry, the nest parent for pass-through; anything else, or no
 * entry, detaches it and its requests are blocked).
 *
 * When: every time the function's requests without PASID are loaded again (vtd_load_assigned: a
 * context- or PASID-cache invalidation, SRTP, TE), its attached PASIDs are loaded again and its
 * PASID table is scanned for new ones. Linux sets a PASID entry up and then invalidates the PASID
 * cache for that PASID (6.5.2.3, granularity 01b, which names a domain and a PASID but no source
 * id); any PASID-cache invalidation makes this scan, which is at most 2^VTD_MAX_PASID_BITS entries
 * per function (directory entries not present skip their 64). At most VTD_STREAM_PASIDS of a
 * function are attached; more are refused by the backend or here, said once, and stay blocked.
 * Faults of PASID entries are not recorded: nestvm sees no request of a function (its requests
 * with a PASID without a usable entry fault on the host, as the nested backend's blocked device).
 */
#include "iommu/viommu.h"
#include "iommu/vtd.h"
#include "vmm/log.h"

static int find(const struct vtd_stream *st, uint32_t pasid)
{
	for (unsigned int i = 0; i < st->nr_pasids; i++)
		if (st->pasid[i] == pasid)
			return (int)i;
	return -1;
}

/* PASID of ST as the guest's tables say now: attached, moved or detached; ST's list follows. */
static void apply(struct vtd *s, struct vtd_stream *st, uint32_t pasid)
{
	struct viommu_stream_cfg cfg;
	int i = find(st, pasid), r;

	if (i < 0 && st->nr_pasids == VTD_STREAM_PASIDS) {
		if (!s->pasid_full_said)
			pr_warn("vtd: source id %#x set up more than %u PASIDs: the others stay blocked", st->sid,
				VTD_STREAM_PASIDS);
		s->pasid_full_said = true;
		return;
	}
	vtd_pasid_config(s, st, pasid, &cfg);
	r = viommu_attach_pasid(s->viommu, st->sid, pasid, &cfg);
	if (!r && cfg.kind != VIOMMU_CFG_ABORT) {
		if (i < 0)
			st->pasid[st->nr_pasids++] = pasid;
		return;
	}
	if (r)
		pr_debug("vtd: source id %#x PASID %u: %d (blocked)", st->sid, pasid, r);
	/* Detached (abort), or the host refused it (the backend blocked it). */
	if (i >= 0)
		st->pasid[i] = st->pasid[--st->nr_pasids];
}

void vtd_pasids_load(struct vtd *s, struct vtd_stream *st)
{
	uint32_t had[VTD_STREAM_PASIDS], limit = 1u << s->feat.pasid_bits;
	unsigned int nr = st->nr_pasids;

	if (!s->feat.pasid_bits)
		return;
	/* The ones it has, again (in a copy: apply edits the list). */
	for (unsigned int i = 0; i < nr; i++)
		had[i] = st->pasid[i];
	for (unsigned int i = 0; i < nr; i++)
		apply(s, st, had[i]);
	/* New ones: present entries of the PASID table, 64 per directory entry (past the bound too, so
	 * that a function with more is said). */
	for (uint32_t pasid = 1; pasid < limit; pasid++) {
		if (!(pasid & 63) && !vtd_pasid_dir_present(s, st->sid, pasid)) {
			pasid += 63;    /* the whole directory entry's 64 are not there */
			continue;
		}
		if (find(st, pasid) < 0 && vtd_pasid_present(s, st->sid, pasid))
			apply(s, st, pasid);
	}
}
