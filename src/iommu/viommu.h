/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vIOMMU backend layer. A front-end (the emulated SMMUv3, the emulated VT-d) decodes the guest's
 * structures and commands and drives a backend through these ops:
 *   - attach: a stream (StreamID / RID) now uses {abort, bypass, the guest's stage-1 config};
 *   - invalidate: a BATCH of invalidations (everything the guest queued up to its sync point), so a
 *     nested backend can forward them to the host in as few IOMMU_HWPT_INVALIDATE calls as it can;
 *   - translate: the software path for emulated devices (IOVA -> guest physical);
 *   - events: faults the backend finds asynchronously (nested: the vEVENTQ) go back to the front-end.
 * Backends: software (viommu_soft.c: the guest's tables walked by nestvm through the stream config's
 * pgwalk_ops), nested (viommu_nested.c: the iommufd core, with the front-end's format ops), shadow
 * (viommu_shadow.c: the guest's tables walked on its invalidations and copied into an IOAS per
 * assigned device, for hosts that cannot nest). Nothing here is one front-end's: configs and invalidations carry the guest's
 * raw words for the format to encode, faults a generic kind (pgwalk.h) for the front-end to map.
 * The front-end serializes its calls into a backend (under its own lock). The VM reaches the
 * front-end only through the PCI host (devices/pci_viommu.h).
 */
#ifndef NESTVM_VIOMMU_H
#define NESTVM_VIOMMU_H

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "iommu/iopf.h"
#include "iommu/pgwalk.h"
#include "iommu/s1walk.h"
#include "iommu/vtd_fswalk.h"
#include "iommu/vtd_sswalk.h"

struct guest_mem;
struct viommu;

enum viommu_cfg_kind {
	VIOMMU_CFG_ABORT,           /* every transaction terminates, no event */
	VIOMMU_CFG_BYPASS,          /* IOVA == guest physical address */
	VIOMMU_CFG_S1,              /* the guest's stage 1 (decoded CD), stage 2 is nestvm's */
};

struct viommu_stream_cfg {
	enum viommu_cfg_kind kind;
	uint64_t raw[4];            /* the guest's own words for the stream, which a nested format encodes
				     * for the host (SMMUv3: STE words 0-1) */
	/* VIOMMU_CFG_S1, for the backends that walk the guest's tables (software; shadow next): the
	 * walker and its config, decoded by the front-end, and the tag its IOTLB entries carry (the
	 * one the guest invalidates by: SMMUv3 ASID, VT-d domain id). */
	const struct pgwalk_ops *walker;
	union {
		struct s1walk_cfg s1;       /* s1walk_ops: the decoded CD (SMMUv3) */
		struct vtd_sswalk_cfg ss;   /* vtd_ss_pgwalk: a decoded legacy context entry or scalable-mode
					     * PASID entry with PGTT second stage (VT-d) */
		struct vtd_fs_pgwalk_cfg fs;   /* vtd_fs_pgwalk: a PASID entry with PGTT first stage */
	};
	uint16_t tag;
	bool record_faults;         /* CD.R: stage-1 faults are reported as events */
	/* The guest enabled PRI (or stall) for the stream, which the front-end decides: a nested backend
	 * with an I/O page fault service (iopf.h) allocates the stream's stage-1 HWPT with
	 * IOMMU_HWPT_FAULT_ID_VALID, so the host's page requests reach the guest. */
	bool iopf;
};

enum viommu_inval_kind {
	VIOMMU_INV_ALL,             /* every cached translation (TLBI_NH_ALL, TLBI_NSNH_ALL) */
	VIOMMU_INV_ASID,            /* TLBI_NH_ASID */
	VIOMMU_INV_VA,              /* TLBI_NH_VA: [iova, iova+size) of asid */
	VIOMMU_INV_VAA,             /* TLBI_NH_VAA: [iova, iova+size) of every asid */
	VIOMMU_INV_CD,              /* CFGI_CD(_ALL): cached context descriptors of sid (ssid) */
	VIOMMU_INV_ATC,             /* ATC_INV: the device's own ATC */
};

/* The most invalidations a front-end passes in one viommu_invalidate call. */
#define VIOMMU_INV_BATCH 128

struct viommu_inval {
	enum viommu_inval_kind kind;
	uint32_t sid, ssid;
	uint16_t asid;
	bool leaf;
	bool all_ssids;             /* CFGI_CD_ALL, ATC_INV with Global */
	uint64_t iova, size;
	uint64_t raw[4];            /* the guest's own descriptor (SMMUv3: the 2-word command), for
				     * nested formats that forward it as is */
	uint32_t cookie;            /* front-end's: which queue entry this came from */
};

/* Does INV drop the translations a backend holds for domain TAG at SSID (0: requests without
 * one)? Configuration and device-TLB invalidations are never a backend's own to act on: the
 * front-end reloads the configuration, the kernel or device flushes its TLB. */
static inline bool viommu_inval_covers(const struct viommu_inval *inv, uint16_t tag, uint32_t ssid)
{
	switch (inv->kind) {
	case VIOMMU_INV_ALL:
	case VIOMMU_INV_VAA:
		return true;
	case VIOMMU_INV_ASID:
	case VIOMMU_INV_VA:
		return inv->asid == tag && inv->ssid == ssid;
	case VIOMMU_INV_CD:
	case VIOMMU_INV_ATC:
		return false;
	}
	return false;
}

/* Result of a software translation. */
struct viommu_xlate {
	uint64_t pa;
	uint64_t len;               /* bytes from pa that stay contiguous (to the end of the page/leaf) */
};

/* A translation fault, for the front-end to turn into its event record. */
struct viommu_fault {
	enum viommu_fault_kind kind;
	uint32_t sid;
	uint64_t iova;
	uint64_t fetch_addr;        /* VIOMMU_F_WALK_EABT */
	uint8_t reason;             /* pgwalk_fault.reason: the format's own code (VT-d FRCD.FR) */
	bool write;
};

struct viommu_ops {
	const char *name;
	int (*attach)(struct viommu *v, uint32_t sid, const struct viommu_stream_cfg *cfg);
	/*
	 * Optional (nested backends of front-ends with PASIDs): requests of assigned device SID with
	 * PASID (non-zero) translate by CFG (abort: blocked). -ENODEV: not a device of this backend.
	 */
	int (*attach_pasid)(struct viommu *v, uint32_t sid, uint32_t pasid, const struct viommu_stream_cfg *cfg);
	void (*detach)(struct viommu *v, uint32_t sid);
	/*
	 * Applies N invalidations in order. Returns 0; or -ETIMEDOUT when all were applied but an ATC
	 * invalidation did not complete; or another -errno with *DONE set to the index of the first one
	 * that failed (those after it were not applied).
	 */
	int (*invalidate)(struct viommu *v, const struct viommu_inval *inv, unsigned int n, unsigned int *done);
	/*
	 * Software path: 0 with OUT filled; -ENOENT when SID is not attached (the front-end loads its
	 * config and attaches); -EPERM when the stream aborts (no event); -EFAULT with FAULT filled.
	 */
	int (*translate)(struct viommu *v, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out,
			 struct viommu_fault *fault);
	void (*destroy)(struct viommu *v);
	/* Optional: adds the backend's iommufd object ids and counters to O (vm.viommu). */
	void (*describe)(struct viommu *v, json_object *o);
	/* Optional: the front-end starts on one guest register access; a backend that bounds the work
	 * a guest can cause per access (shadow: table walks) starts a new budget. */
	void (*begin_access)(struct viommu *v);
};

/* Faults a backend finds on its own (nested: vEVENTQ records) go to the front-end through this. */
typedef void (*viommu_event_fn)(void *frontend, const struct viommu_fault *f, const void *raw, unsigned int raw_len);

struct viommu {
	const struct viommu_ops *ops;
	viommu_event_fn event;
	void *frontend;
	uint64_t nr_invalidate_calls;   /* backend calls made, for batching statistics */
	struct iopf *iopf;              /* the front-end's I/O page fault service, for vm.viommu; NULL: none */
};

static inline int viommu_attach(struct viommu *v, uint32_t sid, const struct viommu_stream_cfg *cfg)
{
	return v->ops->attach(v, sid, cfg);
}

static inline int viommu_attach_pasid(struct viommu *v, uint32_t sid, uint32_t pasid,
				      const struct viommu_stream_cfg *cfg)
{
	return v->ops->attach_pasid ? v->ops->attach_pasid(v, sid, pasid, cfg) : -ENODEV;
}

static inline int viommu_invalidate(struct viommu *v, const struct viommu_inval *inv, unsigned int n,
				    unsigned int *done)
{
	v->nr_invalidate_calls++;
	return v->ops->invalidate(v, inv, n, done);
}

/* What vm.viommu reports of the backend: its name, call counts, and what it describes itself. */
static inline void viommu_describe(struct viommu *v, json_object *o)
{
	json_object_object_add(o, "backend", json_object_new_string(v->ops->name));
	json_object_object_add(o, "invalidate_calls", json_object_new_int64((int64_t)v->nr_invalidate_calls));
	if (v->ops->describe)
		v->ops->describe(v, o);
	if (v->iopf) {
		json_object *i = json_object_new_object();

		iopf_describe(v->iopf, i);
		json_object_object_add(o, "iopf", i);
	}
}

static inline void viommu_begin_access(struct viommu *v)
{
	if (v->ops->begin_access)
		v->ops->begin_access(v);
}

static inline void viommu_destroy(struct viommu *v)
{
	if (v)
		v->ops->destroy(v);
}

/* The software backend: stage 1 walked by nestvm over MEM, with an IOTLB. NULL on ENOMEM (reported). */
struct viommu *viommu_soft_create(const struct guest_mem *mem);

#endif
